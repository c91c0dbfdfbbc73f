"""Model builders by name: ``get_model`` and ``list_models``."""

from __future__ import annotations

_BUILDERS = {}


def register_model(fn):
    """Register a builder function under its own name."""
    _BUILDERS[fn.__name__] = fn
    return fn


def list_models(module=None):
    """Names of every model builder (those defined in ``module`` when given).

    Example:
        >>> import embervision
        >>> "lenet5" in embervision.models.list_models()
        True
    """
    if module is None:
        return sorted(_BUILDERS)
    prefix = module.__name__
    return sorted(n for n, fn in _BUILDERS.items() if fn.__module__.startswith(prefix))


def get_model_builder(name):
    """The builder function registered under ``name``.

    Example:
        >>> import embervision
        >>> embervision.models.get_model_builder("lenet5").__name__
        'lenet5'
    """
    try:
        return _BUILDERS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; available: {', '.join(list_models())}") from None


def get_model(name, **config):
    """Build a model by name, e.g. ``get_model("lenet5", num_classes=10)``.

    Example:
        >>> import embervision
        >>> type(embervision.models.get_model("lenet5")).__name__
        'LeNet'
    """
    return get_model_builder(name)(**config)
