"""Model builders by name: ``get_model`` and ``list_models``."""

from __future__ import annotations

_BUILDERS = {}


def register_model(fn):
    """Register a builder function under its own name."""
    _BUILDERS[fn.__name__] = fn
    return fn


def list_models():
    """Names of every model builder.

    Example:
        >>> import embervision
        >>> "lenet5" in embervision.models.list_models()
        True
    """
    return sorted(_BUILDERS)


def get_model(name, **config):
    """Build a model by name, e.g. ``get_model("lenet5", num_classes=10)``.

    Example:
        >>> import embervision
        >>> type(embervision.models.get_model("lenet5")).__name__
        'LeNet'
    """
    try:
        builder = _BUILDERS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; available: {', '.join(list_models())}") from None
    return builder(**config)
