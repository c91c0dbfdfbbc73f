"""torch's process-wide switches and constants, with their meaning in Ember.

Ember runs eagerly on numpy/CuPy, so several switches only record a setting that
code can read back (``set_num_threads``, ``set_float32_matmul_precision``, ...);
each docstring says exactly what it does. Also the math constants, memory-format
and layout tokens, and the legacy typed-tensor constructors (``FloatTensor``, ...).
"""

from __future__ import annotations

import math
import os

from . import _dtype
from .ops._registry import export

_settings = {
    "num_threads": None,
    "num_interop_threads": None,
    "deterministic": False,
    "deterministic_warn_only": False,
    "float32_matmul_precision": "highest",
    "warn_always": False,
}


def _setting(name, value):
    _settings[name] = value


@export(method=False)
def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, disable=False):
    """Return ``model`` (a function or Module) unchanged: Ember has no graph compiler, so code runs eagerly.

    Usable directly or as a decorator (``@ember.compile`` and ``@ember.compile(mode=...)``).

    Example:
        >>> import ember
        >>> f = ember.compile(lambda x: x * 2); f(ember.tensor([1.0]))
        tensor([2.])
    """
    if model is None:
        return lambda fn: fn
    return model


@export(method=False)
def get_num_threads():
    """The intra-op thread count set with :func:`set_num_threads` (default: the number of CPUs).

    Example:
        >>> import ember
        >>> ember.get_num_threads() >= 1
        True
    """
    return _settings["num_threads"] or os.cpu_count() or 1


@export(method=False)
def set_num_threads(int):
    """Record the intra-op thread count; Ember leaves BLAS threading to numpy/CuPy, so this only sets what
    :func:`get_num_threads` returns (and what DataLoader workers may read).

    Example:
        >>> import ember
        >>> n = ember.get_num_threads(); ember.set_num_threads(1); ember.get_num_threads()
        1
        >>> ember.set_num_threads(n)
    """
    if int < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _setting("num_threads", int)


@export(method=False)
def get_num_interop_threads():
    """The inter-op thread count recorded by :func:`set_num_interop_threads` (default: the number of CPUs).

    Example:
        >>> import ember
        >>> ember.get_num_interop_threads() >= 1
        True
    """
    return _settings["num_interop_threads"] or os.cpu_count() or 1


@export(method=False)
def set_num_interop_threads(int):
    """Record the inter-op thread count (Ember runs ops one at a time; the value is only reported back).

    Example:
        >>> import ember
        >>> ember.set_num_interop_threads(2); ember.get_num_interop_threads()
        2
    """
    if int < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _setting("num_interop_threads", int)


@export(method=False)
def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record whether deterministic algorithms are required. Ember's kernels are already deterministic
    for a given backend and seed, so nothing else changes.

    Example:
        >>> import ember
        >>> ember.use_deterministic_algorithms(True); ember.are_deterministic_algorithms_enabled()
        True
        >>> ember.use_deterministic_algorithms(False)
    """
    _setting("deterministic", bool(mode))
    _setting("deterministic_warn_only", bool(warn_only))


@export(method=False)
def are_deterministic_algorithms_enabled():
    """Whether :func:`use_deterministic_algorithms` was switched on.

    Example:
        >>> import ember
        >>> ember.are_deterministic_algorithms_enabled()
        False
    """
    return _settings["deterministic"]


@export(method=False)
def is_deterministic_algorithms_warn_only_enabled():
    """Whether :func:`use_deterministic_algorithms` was given ``warn_only=True``.

    Example:
        >>> import ember
        >>> ember.is_deterministic_algorithms_warn_only_enabled()
        False
    """
    return _settings["deterministic_warn_only"]


@export(method=False)
def get_deterministic_debug_mode():
    """0, 1 or 2 for the deterministic mode off, warn-only, or on.

    Example:
        >>> import ember
        >>> ember.get_deterministic_debug_mode()
        0
    """
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["deterministic_warn_only"] else 2


@export(method=False)
def set_deterministic_debug_mode(debug_mode):
    """Set the deterministic mode from 0/1/2 or "default"/"warn"/"error".

    Example:
        >>> import ember
        >>> ember.set_deterministic_debug_mode("warn"); ember.get_deterministic_debug_mode()
        1
        >>> ember.set_deterministic_debug_mode(0)
    """
    modes = {"default": 0, "warn": 1, "error": 2}
    level = modes.get(debug_mode, debug_mode)
    if level not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of 0, 1, 2 or default, warn, error, but got {debug_mode}")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


@export(method=False)
def get_float32_matmul_precision():
    """The float32 matmul precision recorded by :func:`set_float32_matmul_precision` ("highest" by default).

    Example:
        >>> import ember
        >>> ember.get_float32_matmul_precision()
        'highest'
    """
    return _settings["float32_matmul_precision"]


@export(method=False)
def set_float32_matmul_precision(precision):
    """Record "highest", "high" or "medium". Ember's float32 matmuls always run at full float32
    precision (no TF32), so this only changes what :func:`get_float32_matmul_precision` returns.

    Example:
        >>> import ember
        >>> ember.set_float32_matmul_precision("high"); ember.get_float32_matmul_precision()
        'high'
        >>> ember.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision!r}; expected 'highest', 'high' or 'medium'")
    _setting("float32_matmul_precision", precision)


@export(method=False)
def set_flush_denormal(mode):
    """Return False: flushing denormals to zero is not supported (numpy keeps IEEE semantics).

    Example:
        >>> import ember
        >>> ember.set_flush_denormal(True)
        False
    """
    return False


@export(method=False)
def set_warn_always(b):
    """Record whether once-only warnings should repeat (Ember's warnings use Python's filters).

    Example:
        >>> import ember
        >>> ember.set_warn_always(False); ember.is_warn_always_enabled()
        False
    """
    _setting("warn_always", bool(b))


@export(method=False)
def is_warn_always_enabled():
    """Whether :func:`set_warn_always` was switched on.

    Example:
        >>> import ember
        >>> ember.is_warn_always_enabled()
        False
    """
    return _settings["warn_always"]


@export(method=False)
def get_device(input):
    """``input.get_device()``: the device index, or -1 on the CPU.

    Example:
        >>> import ember
        >>> ember.get_device(ember.zeros(1))
        -1
    """
    return input.get_device()


@export(method=False)
def is_anomaly_enabled():
    """Whether autograd's anomaly detection is on (``ember.autograd.detect_anomaly``).

    Example:
        >>> import ember
        >>> ember.is_anomaly_enabled()
        False
    """
    from .autograd import is_anomaly_enabled as enabled

    return enabled()


@export(method=False)
def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks backward results for NaN.

    Example:
        >>> import ember
        >>> ember.is_anomaly_check_nan_enabled()
        True
    """
    from .autograd import is_anomaly_check_nan_enabled as enabled

    return enabled()


@export(method=False)
def set_anomaly_enabled(enabled, check_nan=True):
    """Switch anomaly detection on or off for the rest of the program (``set_detect_anomaly`` without the block).

    Example:
        >>> import ember
        >>> ember.set_anomaly_enabled(False); ember.is_anomaly_enabled()
        False
    """
    from .autograd import _state

    _state.anomaly, _state.anomaly_check_nan = bool(enabled), bool(check_nan)


@export(method=False)
def typename(obj):
    """A type name: ``'ember.FloatTensor'`` style for tensors, else the qualified class name.

    Example:
        >>> import ember
        >>> ember.typename(ember.zeros(1)), ember.typename(1)
        ('ember.FloatTensor', 'int')
    """
    from ._tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


@export(method=False)
def is_storage(obj):
    """False: Ember has no storage objects (tensors own their arrays).

    Example:
        >>> import ember
        >>> ember.is_storage(ember.zeros(1))
        False
    """
    return False


class memory_format:
    """A memory-format token (``ember.contiguous_format``, ``ember.channels_last``, ...).

    Ember arrays are always row-major, so every format gives the same layout; the tokens
    exist so code that passes them runs.

    Example:
        >>> import ember
        >>> ember.channels_last
        ember.channels_last
    """

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")



class layout:
    """A tensor-layout token: ``ember.strided``, the only one (Ember tensors are dense), as ``Tensor.layout``.

    Example:
        >>> import ember
        >>> ember.zeros(1).layout, ember.zeros(1).layout is ember.strided
        (ember.strided, True)
    """

    __slots__ = ("name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'ember.layout' instances")  # as torch: the tokens are fixed

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name  # pickled by reference: the module-level token


strided = object.__new__(layout)
strided.name = "strided"
e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None


class _LegacyTensorType(type):
    """Metaclass of the legacy typed constructors: ``isinstance(x, ember.FloatTensor)`` checks dtype and device."""

    def __instancecheck__(cls, obj):
        from ._tensor import Tensor

        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == cls.device_type


def _legacy_type(name, dtype, device_type="cpu"):
    def __new__(cls, *args, device=None):
        from ._creation import empty, tensor
        from ._tensor import Tensor

        dev = device or device_type
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            if isinstance(data, Tensor):
                return data.to(device=dev, dtype=dtype)
            return tensor(data, dtype=dtype, device=dev)
        return empty(*args, dtype=dtype, device=dev).zero_()

    doc = f"""Legacy constructor: ``ember.{name}(data)`` or ``ember.{name}(*sizes)`` (zero-filled) of dtype {dtype}.

    Example:
        >>> import ember
        >>> ember.{name}([1, 0]).dtype, isinstance(ember.zeros(1, dtype=ember.{dtype.name}), ember.{name})
        (ember.{dtype.name}, True)
    """
    return _LegacyTensorType(name, (), {"__new__": __new__, "__doc__": doc, "dtype": dtype,
                                        "device_type": device_type, "__module__": "ember"})


_LEGACY_TYPES = {
    "FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16,
    "BFloat16Tensor": _dtype.bfloat16, "ByteTensor": _dtype.uint8, "CharTensor": _dtype.int8,
    "ShortTensor": _dtype.int16, "IntTensor": _dtype.int32, "LongTensor": _dtype.int64, "BoolTensor": _dtype.bool,
}

globals().update({n: _legacy_type(n, d) for n, d in _LEGACY_TYPES.items()})

# what ``ember`` re-exports from here (the functions reach it through the op table)
__all__ = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format", "memory_format", "layout",
           "strided",
           "e", "pi", "inf", "nan", "newaxis", *_LEGACY_TYPES]
