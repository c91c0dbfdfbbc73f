"""``ember.cuda``: the torch.cuda-style facade over whichever plugin provides the ``cuda`` device.

Core knows nothing about GPUs: every call is delegated to the ``cuda`` backend
object (its ``device_count()``, ``synchronize()``, ``memory_allocated()`` ...).
Without such a backend ``is_available()`` is False, ``device_count()`` is 0,
seeding is a no-op, and the other calls raise a ``RuntimeError`` saying what
to install.

Example:
    >>> import ember
    >>> isinstance(ember.cuda.is_available(), bool)
    True
"""

from __future__ import annotations

from ._device import device as _device

__all__ = [
    "is_available", "device_count", "current_device", "set_device", "get_device_name", "get_device_capability",
    "get_device_properties", "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
    "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved", "empty_cache",
    "reset_peak_memory_stats", "is_initialized", "init", "device", "get_rng_state", "set_rng_state",
    "current_stream", "stream",
]

_NOT_INSTALLED = "Ember has no 'cuda' backend: install ember-cuda (pip install 'ember[cuda]')"
_NO_GPU = "CuPy found no usable GPU"


def _host():
    from .plugins import host

    return host()


def _loaded():
    """The cuda backend, or a RuntimeError saying why there is none."""
    host = _host()
    if "cuda" not in host.device_types():
        raise RuntimeError(_NOT_INSTALLED)
    try:
        be = host.backend("cuda")
    except Exception as exc:
        raise RuntimeError(f"{_NO_GPU}: the 'cuda' backend failed to load ({type(exc).__name__}: {exc})") from exc
    return be


def _backend():
    be = _loaded()
    if be.device_count() <= 0:
        raise RuntimeError(_NO_GPU)
    return be


def _index(dev, be):
    """A device index from None (the current device), an int, 'cuda:N' or an ember.device."""
    if dev is None:
        return be.current_index()
    if isinstance(dev, int):
        return dev
    d = _device(dev)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return be.current_index() if d.index is None else d.index


def _call(name, dev=None, *args):
    be = _backend()
    fn = getattr(be, name, None)
    if fn is None:
        raise RuntimeError(f"the 'cuda' backend (plugin '{be.plugin}') does not provide {name}()")
    return fn(_index(dev, be), *args)


def is_available():
    """Whether a ``cuda`` backend is installed, loads, and sees at least one GPU (never raises).

    Example:
        >>> import ember
        >>> ember.cuda.is_available() in (True, False)
        True
    """
    try:
        return _backend().device_count() > 0
    except Exception:
        return False


def device_count():
    """The number of GPUs the ``cuda`` backend sees (0 without one).

    Example:
        >>> import ember
        >>> ember.cuda.device_count() >= 0
        True
    """
    try:
        return int(_loaded().device_count())
    except Exception:
        return 0


def is_initialized():
    """Whether the ``cuda`` backend has been loaded in this process.

    Example:
        >>> import ember
        >>> isinstance(ember.cuda.is_initialized(), bool)
        True
    """
    host = _host()
    return "cuda" in host.registry._loaded


def init():
    """Load the ``cuda`` backend now (it otherwise loads on first use).

    Example:
        >>> import ember
        >>> ember.cuda.init() if ember.cuda.is_available() else None
    """
    _backend()


def current_device():
    """The index of the current GPU.

    Example:
        >>> import ember
        >>> ember.cuda.current_device() if ember.cuda.is_available() else 0
        0
    """
    return _backend().current_index()


def set_device(device):
    """Make ``device`` (an index, 'cuda:N' or an ember.device) the current GPU.

    Example:
        >>> import ember
        >>> ember.cuda.set_device(0) if ember.cuda.is_available() else None
    """
    be = _backend()
    index = _index(device, be)
    if index is None or index < 0:
        return  # torch: a negative index is a no-op
    be.canonical_index(index)  # validates the ordinal
    setter = getattr(be, "set_device", None)
    if setter is None:
        raise RuntimeError(f"the 'cuda' backend (plugin '{be.plugin}') does not provide set_device()")
    setter(index)


class device:
    """Context manager that makes ``device`` the current GPU inside the block.

    Example:
        >>> import ember
        >>> ember.cuda.device  # doctest: +ELLIPSIS
        <class 'ember.cuda.device'>
    """

    def __init__(self, device):
        self.device = device

    def __enter__(self):
        be = _backend()
        self._prev = be.current_index()
        set_device(self.device)

    def __exit__(self, *exc):
        set_device(self._prev)
        return False


def get_device_name(device=None):
    """The name of a GPU (the current one by default).

    Example:
        >>> import ember
        >>> isinstance(ember.cuda.get_device_name(), str) if ember.cuda.is_available() else True
        True
    """
    return _call("device_name", device)


def get_device_capability(device=None):
    """The ``(major, minor)`` compute capability of a GPU.

    Example:
        >>> import ember
        >>> len(ember.cuda.get_device_capability()) if ember.cuda.is_available() else 2
        2
    """
    return tuple(_call("device_capability", device))


def get_device_properties(device=None):
    """The backend's description of a GPU (name, total_memory, ...).

    Example:
        >>> import ember
        >>> ember.cuda.get_device_properties() is not None if ember.cuda.is_available() else True
        True
    """
    return _call("device_properties", device)


def synchronize(device=None):
    """Wait for all queued work on a GPU to finish.

    Example:
        >>> import ember
        >>> ember.cuda.synchronize() if ember.cuda.is_available() else None
    """
    be = _backend()
    be.synchronize(_index(device, be))


def _memory(name):
    def stat(device=None):
        return int(_call(name, device))

    stat.__name__ = stat.__qualname__ = name
    stat.__doc__ = f"""The backend's ``{name}`` for a GPU, in bytes (the current one by default).

    Example:
        >>> import ember
        >>> ember.cuda.{name}() >= 0 if ember.cuda.is_available() else True
        True
    """
    return stat


memory_allocated = _memory("memory_allocated")
max_memory_allocated = _memory("max_memory_allocated")
memory_reserved = _memory("memory_reserved")
max_memory_reserved = _memory("max_memory_reserved")


def empty_cache():
    """Give cached, unused GPU memory back to the driver (no-op without a GPU).

    Example:
        >>> import ember
        >>> ember.cuda.empty_cache()
    """
    if is_available():
        fn = getattr(_backend(), "empty_cache", None)
        if fn is not None:
            fn()


def reset_peak_memory_stats(device=None):
    """Restart the ``max_memory_*`` counters of a GPU.

    Example:
        >>> import ember
        >>> ember.cuda.reset_peak_memory_stats() if ember.cuda.is_available() else None
    """
    _call("reset_peak_memory_stats", device)


# --- randomness: lazy like torch (silently nothing to do without a GPU) ---------------------------
def _generator(index):
    from ._random import default_generator

    return default_generator(_device("cuda", index))


def _indices(all_devices):
    if not is_available():
        return []
    be = _backend()
    return list(range(be.device_count())) if all_devices else [be.current_index()]


def manual_seed(seed):
    """Seed the current GPU's default generator (does nothing without a GPU).

    Example:
        >>> import ember
        >>> ember.cuda.manual_seed(0)
    """
    for i in _indices(False):
        _generator(i).manual_seed(seed)


def manual_seed_all(seed):
    """Seed the default generators of every GPU (does nothing without a GPU).

    Example:
        >>> import ember
        >>> ember.cuda.manual_seed_all(0)
    """
    for i in _indices(True):
        _generator(i).manual_seed(seed)


def seed():
    """Seed the current GPU's generator from fresh entropy.

    Example:
        >>> import ember
        >>> ember.cuda.seed()
    """
    for i in _indices(False):
        _generator(i).seed()


def seed_all():
    """Seed every GPU's generator from fresh entropy.

    Example:
        >>> import ember
        >>> ember.cuda.seed_all()
    """
    for i in _indices(True):
        _generator(i).seed()


def initial_seed():
    """The seed of the current GPU's default generator.

    Example:
        >>> import ember
        >>> isinstance(ember.cuda.initial_seed(), int) if ember.cuda.is_available() else True
        True
    """
    be = _backend()
    return _generator(be.current_index()).initial_seed()


def get_rng_state(device="cuda"):
    """The state of a GPU's default generator (a uint8 tensor).

    Example:
        >>> import ember
        >>> ember.cuda.get_rng_state().dtype if ember.cuda.is_available() else ember.uint8
        ember.uint8
    """
    be = _backend()
    return _generator(_index(device, be)).get_state()


def set_rng_state(new_state, device="cuda"):
    """Restore a GPU's default generator from :func:`get_rng_state`.

    Example:
        >>> import ember
        >>> ember.cuda.set_rng_state(ember.cuda.get_rng_state()) if ember.cuda.is_available() else None
    """
    be = _backend()
    _generator(_index(device, be)).set_state(new_state)


# --- streams, events and the torch.cuda.amp spellings (classes the backend provides) -------------
def current_stream(device=None):
    """The stream ops on a GPU are queued to now (the backend's ``Stream`` object).

    Example:
        >>> import ember
        >>> ember.cuda.current_stream() is not None if ember.cuda.is_available() else True
        True
    """
    be = _backend()
    return be.current_stream(_index(device, be))


def stream(stream):
    """Context manager that makes ``stream`` current inside the block (None: no change).

    Example:
        >>> import ember
        >>> with ember.cuda.stream(None):
        ...     pass
    """
    import contextlib

    return contextlib.nullcontext() if stream is None else stream


def __getattr__(name):
    if name == "amp":
        from .amp import _cuda_amp

        return _cuda_amp
    if name in ("Stream", "Event"):
        return getattr(_backend(), name)
    if name == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError is torch.OutOfMemoryError
        from ._extra_toplevel import OutOfMemoryError

        return OutOfMemoryError
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
