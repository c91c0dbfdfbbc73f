"""The plugin facade: loads ``ember`` entry points once and keeps the backends."""

from __future__ import annotations

import importlib
import os
import threading
import warnings

import pluggy

from . import hookspecs

hookimpl = pluggy.HookimplMarker("ember")

GROUP = "ember"


class PluginWarning(UserWarning):
    """A plugin failed to load or register; the other plugins keep working."""


class BackendRegistry:
    """Where plugins add their backends, and where core finds them.

    Each device type has one provider. Backends load lazily: the plugin gives a
    ``load`` callable and it runs on first use of that device type.
    """

    def __init__(self):
        self._entries = {}  # device type -> (plugin name, load)
        self._loaded = {}
        self._lock = threading.Lock()

    def view(self, plugin_name):
        """A registry handle that stamps what it adds with ``plugin_name``."""
        return _PluginView(self, plugin_name)

    def add_backend(self, device_type, load, plugin="<direct>"):
        if not isinstance(device_type, str) or not device_type.isidentifier():
            raise ValueError(f"add_backend: device type must be an identifier string, got {device_type!r}")
        if not callable(load):
            raise TypeError(f"add_backend: load must be callable returning a Backend, got {type(load).__name__}")
        if device_type in self._entries:
            other = self._entries[device_type][0]
            raise RuntimeError(f"device type '{device_type}' is claimed by two plugins: '{other}' and '{plugin}'")
        self._entries[device_type] = (plugin, load)

    def remove_backend(self, device_type):
        self._entries.pop(device_type, None)
        self._loaded.pop(device_type, None)

    def device_types(self):
        return list(self._entries)

    def provider(self, device_type):
        return self._entries[device_type][0]

    def get(self, device_type):
        """The loaded backend for ``device_type`` (loading it on first use)."""
        be = self._loaded.get(device_type)
        if be is not None:
            return be
        with self._lock:
            if device_type in self._loaded:
                return self._loaded[device_type]
            if device_type not in self._entries:
                known = ", ".join(sorted(self._entries)) or "none"
                raise RuntimeError(f"no backend is registered for device type '{device_type}' (registered: {known})")
            plugin, load = self._entries[device_type]
            try:
                be = load()
            except Exception as exc:
                raise RuntimeError(f"the '{device_type}' backend of ember plugin '{plugin}' failed to load: "
                                   f"{type(exc).__name__}: {exc}") from exc
            from ..backends import Backend

            if not isinstance(be, Backend):
                raise TypeError(f"ember plugin '{plugin}': the loader of device type '{device_type}' returned "
                                f"{type(be).__name__}, not an ember.backends.Backend")
            be.device_type = device_type
            be.plugin = plugin
            self._loaded[device_type] = be
            return be


class _PluginView:
    def __init__(self, registry, plugin):
        self._registry, self._plugin = registry, plugin

    def add_backend(self, device_type, load):
        self._registry.add_backend(device_type, load, plugin=self._plugin)


def _load_order(ep):
    dist = getattr(ep, "dist", None)
    name = (dist.name if dist is not None else "").lower().replace("_", "-").replace(".", "-")
    first_party = name == "ember" or name.startswith("ember-")
    return (not first_party, ep.name, ep.value)


class PluginHost:
    """The one facade over pluggy: nothing else in Ember calls ``pm.hook``."""

    def __init__(self):
        self.pm = pluggy.PluginManager("ember")
        self.pm.add_hookspecs(hookspecs)
        self.registry = BackendRegistry()
        self.failures = {}  # plugin name -> error text
        self.subscriptions = {}  # hook name -> make_registry(plugin name), for hooks run on first use
        self._loaded = False

    def load_entry_points(self):
        """Import and register every ``ember`` entry point (once), honouring the autoload switches.

        Ember's own distributions (``ember``, ``ember-*``) go first, then the others by name, so
        a third-party plugin claiming a built-in device type is the one rejected.
        """
        from importlib.metadata import entry_points

        self._loaded = True
        autoload = os.environ.get("EMBER_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
        allow = {n.strip() for n in os.environ.get("EMBER_PLUGINS", "").split(",") if n.strip()}
        for ep in sorted(entry_points(group=GROUP), key=_load_order):
            if not autoload and ep.name not in allow and ep.module.split(".")[0] not in allow:
                continue
            if self.pm.get_plugin(ep.name) is not None or ep.name in self.failures:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break ember
                self._fail(ep.name, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name)

    def register(self, plugin, name=None):
        """Register a plugin object and let it add its backends now."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        if self.pm.get_plugin(name) is not None or self.pm.is_registered(plugin):
            self._fail(name, "registration failed: a plugin of this name (or this plugin object) is already registered")
            return
        try:
            self.pm.register(plugin, name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(name, f"registration failed: {type(exc).__name__}: {exc}")
            return
        for impl in self.pm.hook.ember_register_backends.get_hookimpls():
            if impl.plugin_name != name:
                continue
            before = set(self.registry.device_types())
            try:
                impl.function(registry=self.registry.view(name))
            except Exception as exc:
                for added in set(self.registry.device_types()) - before:
                    self.registry.remove_backend(added)
                self.pm.unregister(name=name)
                self._fail(name, f"ember_register_backends raised {type(exc).__name__}: {exc}")
                return
        for hook, make_registry in self.subscriptions.items():
            self._run_hook(hook, make_registry, only=name)

    def subscribe(self, hook, make_registry):
        """Run every plugin's ``hook(registry=make_registry(plugin name))`` now, and each later plugin's as it registers.

        For extension points that load on first use (``ember.distributed``'s backends): plugins cost
        nothing until then. A plugin whose hook raises is reported with a :class:`PluginWarning`; its
        device backends keep working.
        """
        self.ensure_loaded()
        if hook not in self.subscriptions:
            self.subscriptions[hook] = make_registry
            self._run_hook(hook, make_registry)

    def _run_hook(self, hook, make_registry, only=None):
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if only is not None and impl.plugin_name != only:
                continue
            try:
                impl.function(registry=make_registry(impl.plugin_name))
            except Exception as exc:
                warnings.warn(f"ember plugin '{impl.plugin_name}': {hook} raised {type(exc).__name__}: {exc}",
                              PluginWarning, stacklevel=3)

    def _fail(self, name, why):
        self.failures[name] = why
        warnings.warn(f"ember plugin '{name}' was skipped: {why}", PluginWarning, stacklevel=3)

    def device_types(self):
        self.ensure_loaded()
        return self.registry.device_types()

    def ensure_loaded(self):
        if not self._loaded:
            self.load_entry_points()

    def backend(self, device_type):
        self.ensure_loaded()
        return self.registry.get(device_type)


_host = None


def host():
    """The process-wide plugin host, created and loaded on first call."""
    global _host
    if _host is None:
        _host = PluginHost()
        _host.ensure_loaded()
    return _host


def _reset_for_tests():
    global _host
    _host = None
    importlib.invalidate_caches()
