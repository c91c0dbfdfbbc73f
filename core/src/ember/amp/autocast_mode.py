"""``autocast``: run matrix products in half precision and losses in float32 inside a region."""

from __future__ import annotations

import functools
import warnings

from .. import _autocast, _dtype

_DEFAULT_DTYPE = {"cpu": _dtype.bfloat16}  # other device types: float16, as torch's cuda
_SUPPORTED = (_dtype.float16, _dtype.bfloat16)


def _registered(device_type):
    from ..plugins import host

    return device_type in host().device_types()


def is_autocast_available(device_type):
    """Whether ``device_type`` names a registered device type autocast can work on.

    Example:
        >>> import ember
        >>> ember.amp.is_autocast_available("cpu")
        True
    """
    return _registered(device_type)


def is_autocast_enabled(device_type="cuda"):
    """Whether autocast is on for ``device_type`` here (torch's default asks about cuda).

    Example:
        >>> import ember
        >>> with ember.autocast("cpu"):
        ...     ember.is_autocast_enabled("cpu"), ember.is_autocast_enabled()
        (True, False)
    """
    return device_type in _autocast.enabled


def get_autocast_dtype(device_type):
    """The dtype autocast uses for ``device_type`` (its default outside a region).

    Example:
        >>> import ember
        >>> ember.get_autocast_dtype("cpu"), ember.get_autocast_dtype("cuda")
        (ember.bfloat16, ember.float16)
    """
    return _autocast.enabled.get(device_type) or _DEFAULT_DTYPE.get(device_type, _dtype.float16)


class autocast:
    """Context manager (and decorator) for mixed precision on one device type.

    Inside, matmul/linear/conv and friends run in ``dtype`` (float16 on cuda, bfloat16 on
    cpu by default); losses, and on GPUs also softmax, norms, exp/log and sums, run in
    float32; float64 tensors are left alone. Backward passes run with autocast off.

    Args:
        device_type: 'cuda', 'cpu' or any registered device type.
        dtype: float16 or bfloat16.
        enabled: False turns autocast off for ``device_type`` inside the region.
        cache_enabled: cast each weight (a leaf requiring grad) once per region.

    Example:
        >>> import ember
        >>> x = ember.ones(2, 3)
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     y = x @ x.T
        ...     z = ember.nn.functional.mse_loss(y, ember.zeros(2, 2, dtype=ember.float16))
        >>> y.dtype, z.dtype
        (ember.float16, ember.float32)
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not _registered(device_type):
            raise RuntimeError(f"autocast: unsupported device_type '{device_type}': no backend is registered for it")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        if not self._enabled:
            return
        if device_type == "cuda":
            from .. import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2)
                self._enabled = False
                return
        if self.fast_dtype not in _SUPPORTED:
            warnings.warn(f"In {device_type} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"Autocast only supports dtypes of ember.float16, ember.bfloat16 (got {self.fast_dtype}).",
                          UserWarning, stacklevel=2)
            self._enabled = False
            return
        from .._tensor import resolve_device

        be = resolve_device(device_type)[0]
        try:
            be.native_dtype(self.fast_dtype)
        except TypeError:
            hint = " (install ml_dtypes for bfloat16 on the CPU)" if device_type == "cpu" else ""
            raise RuntimeError(f"autocast: the '{device_type}' backend does not support {self.fast_dtype}{hint}; "
                               f"pass a dtype it supports, e.g. dtype=ember.float16") from None

    def __enter__(self):
        self._saved = getattr(self, "_saved", [])
        self._saved.append((_autocast.enabled, _autocast.cache_enabled))
        state = dict(_autocast.enabled)
        if self._enabled:
            state[self.device] = self.fast_dtype
        else:
            state.pop(self.device, None)
        _autocast.set_state(state, self._cache_enabled)
        return self

    def __exit__(self, *exc):
        _autocast.set_state(*self._saved.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapped
