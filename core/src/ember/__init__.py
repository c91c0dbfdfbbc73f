"""Ember: a deep-learning framework with PyTorch's API, on numpy and CuPy backends.

Example:
    >>> import ember
    >>> x = ember.tensor([2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward(); x.grad
    tensor([4., 6.])
"""

from __future__ import annotations

import importlib as _importlib

from .version import __version__

from . import _dtype
from ._device import device
from ._dtype import (
    bfloat16, bool, can_cast, complex64, complex128, dtype, finfo, float16, float32, float64,
    get_default_dtype, iinfo, int8, int16, int32, int64, promote_types, result_type, set_default_dtype, uint8,
)
from ._tensor import Size, Tensor
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from . import ops as _ops
from . import _creation, _random, _tensor_methods
from ._runtime import *  # noqa: F401,F403  (process-wide switches, constants, legacy tensor types)
from ._extra_toplevel import *  # noqa: F401,F403  (exception classes; its functions reach ember via the op table)
from ._random import Generator, default_generator as _default_generator
from ._repr import set_printoptions
from .ops._registry import FUNCTIONS as _FUNCTIONS, install as _install

_install(Tensor)
_tensor_methods.install()
globals().update(_FUNCTIONS)

half, float, double, long, int, short, cfloat, cdouble = float16, float32, float64, int64, int32, int16, complex64, complex128

_SUBMODULES = {
    "nn", "optim", "utils", "autograd", "linalg", "fft", "distributions", "jit", "onnx", "cuda", "amp",
    "distributed", "testing", "special", "serialization", "backends", "plugins", "random", "multiprocessing",
    "func", "profiler", "accelerator", "cpu", "version", "signal",
}

# functions that live in a lazily imported submodule: name -> submodule
_LAZY_FUNCTIONS = {"autocast": "amp", "is_autocast_enabled": "amp", "get_autocast_dtype": "amp",
                   "save": "serialization", "load": "serialization", "save_safetensors": "serialization",
                   "load_safetensors": "serialization", "vmap": "func", "GradScaler": "amp"}


def __getattr__(name):
    if name in _SUBMODULES:
        try:
            return _importlib.import_module(f"ember.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ember.{name}":
                raise
            raise AttributeError(f"module 'ember' has no attribute '{name}'") from None
    if name in _LAZY_FUNCTIONS:
        return getattr(_importlib.import_module(f"ember.{_LAZY_FUNCTIONS[name]}"), name)
    if name == "default_generator":
        return _default_generator("cpu")
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_tensor(obj):
    """Whether ``obj`` is an Ember tensor.

    Example:
        >>> import ember
        >>> ember.is_tensor(ember.zeros(1)), ember.is_tensor([1])
        (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """Whether ``input`` has a floating point dtype.

    Example:
        >>> import ember
        >>> ember.is_floating_point(ember.zeros(1))
        True
    """
    return input.dtype.is_floating_point


def numel(input):
    """The number of elements of ``input``.

    Example:
        >>> import ember
        >>> ember.numel(ember.zeros(2, 3))
        6
    """
    return input.numel()


def get_default_device():
    """The device new tensors go to by default.

    Example:
        >>> import ember
        >>> ember.get_default_device()
        device(type='cpu')
    """
    from ._tensor import default_device

    return default_device()[1]


def set_default_device(device):
    """Set the device new tensors go to by default.

    Example:
        >>> import ember
        >>> ember.set_default_device("cpu")
    """
    from ._tensor import _default_device

    _default_device[0] = "cpu" if device is None else str(device)
