"""``ember.accelerator``: torch's device-agnostic accelerator API (torch 2.6+), over Ember's device plugins.

The accelerator is the first device type in :data:`ACCELERATOR_TYPES` whose backend plugin is installed and
sees a device (``cuda`` through the CuPy plugin). Without one, as on a CPU-only torch,
``current_accelerator()`` is None, ``is_available()`` is False, ``device_count()`` is 0, and the calls that
need a device raise ``RuntimeError("Cannot access accelerator device when none is available.")``.

Example:
    >>> import ember
    >>> device = ember.accelerator.current_accelerator() if ember.accelerator.is_available() else ember.device("cpu")
    >>> ember.ones(2, device=device).sum().item()
    2.0
"""

from __future__ import annotations

import importlib

from ._device import device as _device

__all__ = [
    "current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
    "device_index", "empty_cache", "is_available", "max_memory_allocated", "max_memory_reserved",
    "memory_allocated", "memory_reserved", "reset_peak_memory_stats", "set_device_idx", "set_device_index",
    "set_stream", "synchronize",
]

# device types that count as accelerators, in order of preference -> the ember module that fronts each
ACCELERATOR_TYPES = {"cuda": "ember.cuda"}
_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _module(check_available=True):
    """The device module (``ember.cuda``, ...) of the available accelerator, or None."""
    from .plugins import host

    installed = set(host().device_types())
    for device_type, module_name in ACCELERATOR_TYPES.items():
        if device_type in installed:
            module = importlib.import_module(module_name)
            if module.is_available():
                return module
    return None


def _require():
    module = _module()
    if module is None:
        raise RuntimeError(_NONE_AVAILABLE)
    return module


def _index(device):
    """An index from None (current), an int, a string or a device, checked to be of the accelerator's type."""
    module = _require()
    if device is None or isinstance(device, int):
        return device
    d = _device(device)
    kind = module.__name__.rpartition(".")[2]
    if d.type != kind:
        raise ValueError(f"{d.type} doesn't match the current accelerator {kind}.")
    return d.index


def is_available():
    """Whether an accelerator backend is installed and sees a device (never raises).

    Example:
        >>> import ember
        >>> ember.accelerator.is_available() in (True, False)
        True
    """
    try:
        return _module() is not None
    except Exception:
        return False


def current_accelerator(check_available=False):
    """The accelerator as a device (``device(type='cuda')``), or None without one.

    ``check_available`` is accepted for torch's signature: Ember only reports an accelerator whose backend
    sees a device, so both settings give the same answer.

    Example:
        >>> import ember
        >>> acc = ember.accelerator.current_accelerator()
        >>> acc is None or acc.type == "cuda"
        True
    """
    module = _module() if is_available() else None
    return None if module is None else _device(module.__name__.rpartition(".")[2])


def device_count():
    """The number of accelerator devices (0 without one).

    Example:
        >>> import ember
        >>> ember.accelerator.device_count() >= 0
        True
    """
    module = _module() if is_available() else None
    return 0 if module is None else module.device_count()


def current_device_index():
    """The index of the current accelerator device.

    Example:
        >>> import ember
        >>> ember.accelerator.current_device_index() if ember.accelerator.is_available() else 0
        0
    """
    return _require().current_device()


def set_device_index(device, /):
    """Make ``device`` (an index, a string or a device of the accelerator's type) the current device.

    Example:
        >>> import ember
        >>> ember.accelerator.set_device_index(0) if ember.accelerator.is_available() else None
    """
    index = _index(device)
    if index is not None:
        _require().set_device(index)


current_device_idx = current_device_index
set_device_idx = set_device_index


def synchronize(device=None, /):
    """Wait for all queued work on an accelerator device (the current one by default).

    Example:
        >>> import ember
        >>> ember.accelerator.synchronize() if ember.accelerator.is_available() else None
    """
    _require().synchronize(_index(device))


def current_stream(device=None, /):
    """The stream the accelerator queues work to now.

    Example:
        >>> import ember
        >>> ember.accelerator.current_stream() is not None if ember.accelerator.is_available() else True
        True
    """
    return _require().current_stream(_index(device))


def set_stream(stream):
    """Make ``stream`` current for its device (the backend's stream object).

    Example:
        >>> import ember
        >>> ember.accelerator.set_stream(ember.accelerator.current_stream()) if ember.accelerator.is_available() else None
    """
    _require()
    # the stream's own ``use()``, else that of the CuPy stream the cuda plugin's Stream wraps
    use = getattr(stream, "use", None) or getattr(getattr(stream, "_s", None), "use", None)
    if use is None:
        raise RuntimeError(f"set_stream: {type(stream).__name__} is not a stream of the current accelerator")
    use()


def empty_cache():
    """Give cached, unused accelerator memory back to the driver.

    Example:
        >>> import ember
        >>> ember.accelerator.empty_cache() if ember.accelerator.is_available() else None
    """
    _require().empty_cache()


def _memory(name):
    def stat(device_index=None, /):
        return getattr(_require(), name)(_index(device_index))

    stat.__name__ = stat.__qualname__ = name
    stat.__doc__ = f"""The accelerator's ``{name}`` in bytes (the current device by default).

    Example:
        >>> import ember
        >>> ember.accelerator.{name}() >= 0 if ember.accelerator.is_available() else True
        True
    """
    return stat


memory_allocated = _memory("memory_allocated")
max_memory_allocated = _memory("max_memory_allocated")
memory_reserved = _memory("memory_reserved")
max_memory_reserved = _memory("max_memory_reserved")


def reset_peak_memory_stats(device_index=None, /):
    """Restart the ``max_memory_*`` counters of an accelerator device.

    Example:
        >>> import ember
        >>> ember.accelerator.reset_peak_memory_stats() if ember.accelerator.is_available() else None
    """
    _require().reset_peak_memory_stats(_index(device_index))


class device_index:
    """Context manager that makes device ``device`` (an int) current inside the block; None does nothing.

    Example:
        >>> import ember
        >>> with ember.accelerator.device_index(None):
        ...     pass
    """

    def __init__(self, device, /):
        self.index = device
        self._previous = None

    def __enter__(self):
        if self.index is not None:
            self._previous = current_device_index()
            set_device_index(self.index)
        return self

    def __exit__(self, *exc):
        if self.index is not None:
            set_device_index(self._previous)
        return False
