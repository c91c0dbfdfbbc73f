"""Ember's plugin system: one pluggy manager, one facade, one registry.

Backends - the built-in numpy CPU backend included - are plugins found through
the entry-point group ``ember``. Set ``EMBER_DISABLE_PLUGIN_AUTOLOAD=1`` to turn
autoloading off; ``EMBER_PLUGINS=ember_cpu,mybackend`` then names the plugins to
load anyway (by entry-point name or module name). A plugin that fails to import
or register is skipped with a :class:`PluginWarning`; the others keep working.

Example:
    >>> import ember
    >>> "cpu" in ember.plugins.host().device_types()
    True
"""

from ._host import BackendRegistry, PluginHost, PluginWarning, host, hookimpl

__all__ = ["BackendRegistry", "PluginHost", "PluginWarning", "host", "hookimpl"]
