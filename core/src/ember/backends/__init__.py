"""Everything about backends: the base class plugins extend, and torch-style flags.

Example:
    >>> import ember
    >>> ember.backends.cuda.matmul.allow_tf32
    False
"""

import sys
from types import SimpleNamespace

from ._base import Backend, HostEngine
from ._numpylike import NumpyLikeBackend

# torch.backends-style switches; backends read them when they run kernels
cuda = SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False), is_built=lambda: True)
cudnn = SimpleNamespace(allow_tf32=True, benchmark=False, deterministic=False, enabled=True,
                        is_available=lambda: False, version=lambda: None)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
for _name in ("cuda", "cudnn", "mps"):  # ``import torch.backends.cudnn as cudnn`` works as in torch
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]

__all__ = ["Backend", "HostEngine", "NumpyLikeBackend", "cuda", "cudnn", "mps"]
