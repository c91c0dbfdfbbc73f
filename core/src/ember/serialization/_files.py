"""File plumbing shared by the formats: the error type, atomic writes, sized readable sources."""

from __future__ import annotations

import contextlib
import io
import os
import secrets

__all__ = ["SerializationError", "atomic_writer", "open_source"]


class SerializationError(RuntimeError):
    """A file could not be saved or loaded: it is malformed, truncated, unsafe or of another format.

    A subclass of ``RuntimeError``; the message names the file and the problem.

    Example:
        >>> import io, ember
        >>> try:
        ...     ember.load(io.BytesIO(b"not an archive"))
        ... except ember.serialization.SerializationError as e:
        ...     print(type(e).__mro__[1].__name__)
        RuntimeError
    """


def describe(f):
    """A short name for a path or file object, for error messages."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


@contextlib.contextmanager
def atomic_writer(f):
    """A binary file to write into; for a path the result appears atomically once the block succeeds.

    A path is written through a temporary file in the same folder, flushed,
    fsynced and then ``os.replace``-d over the target, so a crash at any point
    leaves the previous file intact. A file object is written in place.
    """
    if not isinstance(f, (str, bytes, os.PathLike)):
        yield f
        return
    path = os.fspath(f)
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.fsdecode(name)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows it
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def open_source(f):
    """``(seekable binary file positioned at the data's start, data size in bytes)`` for a path or file object."""
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as fh:
            yield fh, os.fstat(fh.fileno()).st_size
        return
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    start = f.tell()
    size = f.seek(0, io.SEEK_END) - start
    f.seek(start)
    yield f, size
