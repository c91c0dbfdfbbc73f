"""Everything about backends: the base class plugins extend, and torch-style flags.

Example:
    >>> import ember
    >>> ember.backends.cuda.matmul.allow_tf32
    False
"""

from types import SimpleNamespace

from ._base import Backend, HostEngine
from ._numpylike import NumpyLikeBackend

# torch.backends-style switches; backends read them when they run kernels
cuda = SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False), is_built=lambda: True)
cudnn = SimpleNamespace(allow_tf32=True, benchmark=False, deterministic=False, enabled=True)

__all__ = ["Backend", "HostEngine", "NumpyLikeBackend", "cuda", "cudnn"]
