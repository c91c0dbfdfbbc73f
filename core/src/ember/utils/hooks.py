"""``ember.utils.hooks``: the hook handle type and helpers under torch's names.

Example:
    >>> import ember
    >>> from ember.utils.hooks import RemovableHandle
    >>> h = ember.nn.Linear(1, 1).register_forward_hook(lambda m, i, o: None)
    >>> isinstance(h, RemovableHandle)
    True
"""

from __future__ import annotations

import warnings

from ..autograd._engine import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(f):
    """Mark ``f`` as a hook that need not survive serialization (torch's decorator).

    Example:
        >>> @unserializable_hook
        ... def hook(grad): return grad
        >>> hook.__torch_unserializable__
        True
    """
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    """Warn when ``tensor`` carries backward hooks that are not marked :func:`unserializable_hook`.

    Example:
        >>> import ember
        >>> warn_if_has_hooks(ember.ones(1))
    """
    if tensor.grad_fn is None:
        hooks = tensor.__dict__.get("_leaf_hooks", {})
    else:
        hooks = tensor.grad_fn.__dict__.get("_out_hooks", {}).get(tensor._idx(), {})
    for hook in hooks.values():
        if not getattr(hook, "__torch_unserializable__", False):
            warnings.warn(f"backward hook {hook} on tensor will not be serialized.  If this is expected, you can "
                          "decorate the function with @torch.utils.hooks.unserializable_hook to suppress this warning")
