"""``skip_init``: build a module without running its parameter initialisation."""

from __future__ import annotations

import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """An instance of ``module_cls(*args, **kwargs)`` whose parameters and buffers are left uninitialised.

    The module is built as usual (it must accept a ``device`` keyword, like torch requires) and its
    ``reset_parameters`` is skipped, so the values are whatever ``empty`` gave: load or set them afterwards.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = skip_init(nn.Linear, 3, 2)
        >>> m.weight.shape, m.bias.shape
        (ember.Size([2, 3]), ember.Size([2]))
    """
    from ..modules.module import Module

    if not isinstance(module_cls, type) or not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    if not hasattr(module_cls, "reset_parameters"):
        return module_cls(*args, **kwargs)
    own = module_cls.__dict__.get("reset_parameters")
    module_cls.reset_parameters = lambda self: None  # the instance is built without drawing its values
    try:
        return module_cls(*args, **kwargs)
    finally:
        if own is None:
            del module_cls.reset_parameters  # inherited again
        else:
            module_cls.reset_parameters = own
