"""Ember's CUDA backend: CuPy arrays on NVIDIA GPUs, registered through the ``ember`` entry point.

Registering imports nothing heavy: CuPy is imported the first time a ``cuda``
tensor is asked for. Without CuPy, or with CuPy but no usable GPU, ``import
ember`` still works, ``ember.cuda.is_available()`` is False and asking for a
``cuda`` tensor raises a ``RuntimeError`` saying which of the two is missing.

The plugin also registers the ``'nccl'`` process-group backend of
``ember.distributed`` for ``cuda`` tensors (``_nccl.py``), whether or not NCCL
can run here; ``ember.distributed.is_nccl_available()`` says whether it can.

Example:
    >>> import ember
    >>> ember.plugins.host().registry.provider("cuda")
    'cuda'
"""

import ember.plugins

NO_CUPY = "CuPy is not installed: install it with `pip install cupy-cuda12x` to use the 'cuda' device"
NO_GPU = "CuPy is installed but found no usable GPU"


def load():
    """Import CuPy, check that it sees a GPU, and build the backend (the registry's loader).

    Raises:
        RuntimeError: naming what is missing - CuPy itself, or a usable GPU (driver, device).

    Example:
        >>> import ember_cuda
        >>> try:
        ...     backend = ember_cuda.load()
        ... except RuntimeError as exc:
        ...     print(str(exc).startswith("CuPy is"))
        ... else:
        ...     print(True)
        True
    """
    try:
        import cupy
    except ImportError as exc:
        raise RuntimeError(f"{NO_CUPY} ({exc})") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, driver too old, no device
        raise RuntimeError(f"{NO_GPU} ({type(exc).__name__}: {exc})") from exc
    if count <= 0:
        raise RuntimeError(f"{NO_GPU} (cupy.cuda.runtime.getDeviceCount() is 0)")
    from ._backend import CUDABackend

    return CUDABackend()


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add the ``cuda`` device type (loaded lazily by :func:`load`)."""
    registry.add_backend("cuda", load)


@ember.plugins.hookimpl
def ember_register_distributed_backends(registry):
    """Add the ``'nccl'`` backend of ``ember.distributed`` for ``cuda`` tensors (CuPy is imported on first use)."""
    from . import _nccl

    registry.register_backend("nccl", _nccl.NCCLTransport, devices=["cuda"], available=_nccl.is_available)
