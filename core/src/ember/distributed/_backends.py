"""Process-group backends: the registry behind ``Backend.register_backend`` and how a group routes devices.

A backend is a name and a factory of *transports*, the objects that run the
collectives on one kind of array (the protocol is in ``docs/distributed.md``).
Core registers ``'mpi'`` and ``'gloo'`` (the same MPI transport under torch's
name for the CPU backend); plugins add theirs from their
``ember_register_distributed_backends`` hook (ember-cuda adds ``'nccl'``), and
anything else may call ``Backend.register_backend``. Every group also keeps the
MPI transport for the tensors of device types no backend of the group claims
(through a host copy), since every group lives on an MPI communicator.
"""

from __future__ import annotations

from collections import namedtuple

from ..plugins import host

HOOK = "ember_register_distributed_backends"
FALLBACK = "mpi"  # carries the device types a group's backends do not claim

_BackendPlugin = namedtuple("_BackendPlugin", ["creator_fn", "extended_api", "devices", "available", "owner"])
_PLUGINS = {}  # name -> _BackendPlugin, in registration order
_DEFAULT_DEVICE_MAP = {}  # device type -> backend name init_process_group() uses when given none
_plugin_host = None  # the plugin host whose plugins have registered their backends here


def registered():
    """The registry ``{name: entry}``, holding the backends of every loaded ember plugin."""
    global _plugin_host
    current = host()
    if current is not _plugin_host:
        _plugin_host = current
        current.subscribe(HOOK, _PluginRegistry)
    return _PLUGINS


class _Tables(type):
    """Backend's torch-style tables, read from the registry (so they include every plugin's backends)."""

    @property
    def backend_list(cls):
        """The registered backend names, in registration order."""
        return list(registered())

    @property
    def backend_capability(cls):
        """``{name: device types}`` each backend carries (None: every device type)."""
        return {name: entry.devices for name, entry in registered().items()}

    @property
    def default_device_backend_map(cls):
        """``{device type: backend name}`` used when ``init_process_group`` gets no backend (mutable, as in torch)."""
        registered()
        return _DEFAULT_DEVICE_MAP


class Backend(str, metaclass=_Tables):
    """A validated, lower-cased backend name: a registered one (``'mpi'``, ``'gloo'``, ...) or ``'cpu:mpi,...'``.

    ``Backend.register_backend`` adds backends; ``Backend.backend_list`` lists them.

    Example:
        >>> import ember.distributed as dist
        >>> dist.Backend("MPI"), dist.Backend.NCCL, "gloo" in dist.Backend.backend_list
        ('mpi', 'nccl', True)
    """

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = name.lower()
        if value not in registered():
            routes(value)  # raises ValueError unless it is a valid 'device:backend,...' list
        return super().__new__(cls, value)

    @classmethod
    def register_backend(cls, name, func, extended_api=False, devices=None, *, available=None):
        """Register process-group backend ``name``; ``func`` makes its transport for a group.

        ``func(store, rank, world_size, timeout)`` is called the first time a
        group of this backend moves a tensor of one of ``devices`` (None: every
        device type), with the group's mpi4py communicator as ``store`` (MPI
        does the rendezvous). With ``extended_api=True`` it is called as
        ``func(options, pg_options)``, ``options`` having ``store``,
        ``group_rank``, ``group_size``, ``timeout``, ``group_id`` and
        ``global_ranks_in_group``. ``available`` (an Ember extension) returns
        whether the backend can run here; ``is_backend_available`` asks it.

        Example:
            >>> import ember.distributed as dist
            >>> dist.Backend.register_backend("mine", lambda store, rank, size, timeout: None, devices=["cpu"])
            >>> dist.Backend("MINE"), dist.Backend.MINE, dist.Backend.backend_capability["mine"]
            ('mine', 'mine', ['cpu'])
        """
        registered()
        _register(name, func, extended_api, devices, available, owner="a register_backend call")


def _register(name, func, extended_api, devices, available, owner):
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register_backend: the backend name must be an identifier string, got {name!r}")
    if not callable(func):
        raise TypeError(f"register_backend: func must be callable returning a transport, got {type(func).__name__}")
    key = name.lower()
    previous = _PLUGINS.get(key)
    if previous is not None and previous.owner != owner:
        raise RuntimeError(f"register_backend: backend '{key}' is already registered by {previous.owner}")
    devices = [devices] if isinstance(devices, str) else None if devices is None else list(devices)
    _PLUGINS[key] = _BackendPlugin(func, bool(extended_api), devices, available, owner)
    for device in devices or ():
        _DEFAULT_DEVICE_MAP.setdefault(device, key)
    if not hasattr(Backend, key.upper()):
        setattr(Backend, key.upper(), key)


class _PluginRegistry:
    """What a plugin's ``ember_register_distributed_backends`` hook gets: ``register_backend`` stamped with its name."""

    def __init__(self, plugin):
        self._owner = f"ember plugin '{plugin}'"

    def register_backend(self, name, func, extended_api=False, devices=None, *, available=None):
        _register(name, func, extended_api, devices, available, owner=self._owner)


def _invalid(name):
    known = ", ".join(f"'{n}'" for n in registered())
    return (f"Invalid backend: '{name}' (registered backends: {known}; or 'device_type:backend' pairs joined "
            f"by commas, e.g. 'cpu:mpi')")


def routes(backend):
    """``{device type: backend name}`` for a group of ``backend``; the key None covers every other device type.

    Example:
        >>> from ember.distributed._backends import routes
        >>> routes("mpi")
        {'cpu': 'mpi', None: 'mpi'}
    """
    plugins = registered()
    entry = plugins.get(backend)
    if entry is not None:
        return {None: backend} if entry.devices is None else {**dict.fromkeys(entry.devices, backend), None: FALLBACK}
    pairs = {}
    for pair in backend.split(","):
        device, sep, name = pair.partition(":")
        if not sep or not device or name not in plugins or device in pairs:
            raise ValueError(_invalid(backend))
        pairs[device] = name
    return {**pairs, None: FALLBACK}


def _available(name):
    entry = _PLUGINS.get(name)
    return entry is not None and (entry.available is None or bool(entry.available()))


def is_backend_available(backend):
    """Whether ``backend`` (a name or ``'device:backend,...'``) is registered and its availability check passes.

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_backend_available("gloo") == dist.is_mpi_available(), dist.is_backend_available("ucc")
        (True, False)
    """
    try:
        names = set(routes(str(backend).lower()).values())
    except ValueError:
        return False
    return all(_available(n) for n in names)


def check_available(backend, op):
    """Raise a RuntimeError naming ``op`` when a backend the group ``backend`` needs cannot run here."""
    for name in dict.fromkeys(routes(backend).values()):
        if not _available(name):
            check = _PLUGINS[name].available
            raise RuntimeError(f"{op}: backend '{name}' (registered by {_PLUGINS[name].owner}) is not available here: "
                               f"{check.__module__}.{check.__qualname__}() is False")


def default_backend():
    """The backend ``init_process_group`` uses when given none: each device type's default, where available.

    Example:
        >>> from ember.distributed._backends import default_backend
        >>> default_backend().startswith(("mpi", "cpu:mpi,"))
        True
    """
    pairs = {d: n for d, n in Backend.default_device_backend_map.items() if _available(n)}
    names = set(pairs.values())
    return names.pop() if len(names) == 1 else ",".join(f"{d}:{n}" for d, n in pairs.items())


DistributedBackendOptions = namedtuple(
    "DistributedBackendOptions", ["store", "group_rank", "group_size", "timeout", "group_id", "global_ranks_in_group"])
DistributedBackendOptions.__doc__ = "What an ``extended_api`` backend's ``func`` gets first (``store``: the MPI communicator)."


def make_transport(name, pg):
    """The transport of backend ``name`` for process group ``pg``, made by the backend's registered ``func``."""
    entry = _PLUGINS[name]
    if entry.extended_api:
        ranks = pg.ranks if pg.ranks is not None else list(range(pg.size()))
        options = DistributedBackendOptions(pg.comm, pg.rank(), pg.size(), pg.timeout, pg.group_name, ranks)
        return entry.creator_fn(options, pg.pg_options)
    return entry.creator_fn(pg.comm, pg.rank(), pg.size(), pg.timeout)
