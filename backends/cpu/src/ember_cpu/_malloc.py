"""Keep freed host memory for reuse instead of handing it back to the OS at every free.

glibc serves large blocks with ``mmap`` and trims the heap top as soon as it is free, so
every large numpy temporary of a training step comes back as fresh pages that the kernel
must fault in and zero, one page fault per 4 KiB (thousands per step). Raising the two
thresholds makes the heap keep those blocks, much like torch's caching allocators; blocks
above ``mmap_threshold`` still come from and go back to the OS.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["keep_freed_memory"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def keep_freed_memory(mmap_threshold=64 << 20, trim_threshold=512 << 20):
    """Tune glibc's allocator for reuse of large blocks; False where that is not possible or disabled.

    Set ``EMBER_CPU_KEEP_FREED_MEMORY=0`` to leave the allocator as it is.

    Example:
        >>> isinstance(keep_freed_memory(), bool)
        True
    """
    if os.environ.get("EMBER_CPU_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))
