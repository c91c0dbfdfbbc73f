"""``python -m ember``: what this Ember installation is made of, like ``torch.utils.collect_env``.

Prints the versions of Ember, Python and its libraries, the platform, every
registered backend with its devices and the plugin (and distribution) that
provided it, and every plugin that failed to load with the reason.
"""

from __future__ import annotations

import platform
import sys
import warnings


def _version(dist):
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _distributions():
    """Plugin (entry-point) name -> 'distribution version'."""
    from importlib.metadata import entry_points

    out = {}
    for ep in entry_points(group="ember"):
        dist = getattr(ep, "dist", None)
        out[ep.name] = f"{dist.name} {dist.version}" if dist is not None else ep.value
    return out


def _describe(host, device_type):
    try:
        be = host.backend(device_type)
        return be.describe()
    except Exception as exc:  # report, never crash: this is the tool people run when things are broken
        return f"unavailable ({type(exc).__name__}: {exc})"


def report():
    """The environment report as text.

    Example:
        >>> import ember.__main__ as m
        >>> "Ember version" in m.report()
        True
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failures are listed below instead
        import ember
        from ember.plugins import host

        h = host()
        types = h.device_types()
    lines = [
        f"Ember version: {ember.__version__}",
        f"Python version: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"Platform: {platform.platform()}",
        f"numpy version: {_version('numpy')}",
        f"pluggy version: {_version('pluggy')}",
        f"CuPy version: {_version('cupy') if _version('cupy') != 'not installed' else _cupy_wheel()}",
        "",
        "Backends:",
    ]
    dists = _distributions()
    if not types:
        lines.append("  (none registered)")
    for t in types:
        plugin = h.registry.provider(t)
        source = f"plugin '{plugin}'" + (f" from {dists[plugin]}" if plugin in dists else "")
        lines.append(f"  {t}: {_describe(h, t)} [{source}]")
    lines += ["", "Failed plugins:"]
    lines += [f"  {name}: {why}" for name, why in sorted(h.failures.items())] or ["  (none)"]
    return "\n".join(lines)


def _cupy_wheel():
    """The installed CuPy distribution, whichever wheel it came from (cupy-cuda12x, cupy-cuda13x, ...)."""
    from importlib import metadata

    for dist in metadata.distributions():
        name = dist.metadata["Name"] or ""
        if name.lower().startswith("cupy"):
            return f"{dist.version} ({name})"
    return "not installed"


def main():
    print(report())


if __name__ == "__main__":
    main()
