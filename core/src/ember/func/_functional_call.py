"""``functional_call``: run a module with other tensors in place of its parameters and buffers."""

from __future__ import annotations

import contextlib

from .._tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module(*args, **kwargs)`` with the named tensors of ``parameter_and_buffer_dicts`` swapped in.

    The module's own tensors are put back afterwards, also when the call raises; gradients
    flow to the given tensors. ``parameter_and_buffer_dicts`` is a dict (or a tuple/list of
    dicts with distinct keys) from dotted names, as in ``named_parameters()``, to tensors.
    ``tie_weights``: a value given for one of several tied names is used for all of them.
    ``strict``: the names must be exactly the module's parameters and buffers.

    Example:
        >>> import ember
        >>> from ember.func import functional_call
        >>> m = ember.nn.Linear(2, 1)
        >>> functional_call(m, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}, ember.tensor([1.0, 2.0]))
        tensor([3.])
    """
    from ..nn.modules.data_parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        tensors = {}
        for d in parameter_and_buffer_dicts:
            repeated = sorted(k for k in d if k in tensors)
            if repeated:
                raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            tensors.update(d)
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with reparametrized(module, tensors, tie_weights=tie_weights, strict=strict):
        return module(*args, **({} if kwargs is None else kwargs))


@contextlib.contextmanager
def reparametrized(module, tensors, tie_weights=True, strict=False):
    """Within the block, ``module`` uses ``tensors`` (dotted name -> tensor) for its parameters and buffers.

    On the way out the module gets its own tensors back, and ``tensors`` receives the values
    the module holds then (those ``forward`` reassigned, such as updated running statistics).

    Example:
        >>> import ember
        >>> m = ember.nn.Linear(1, 1)
        >>> with reparametrized(m, {"weight": ember.ones(1, 1) * 3}):
        ...     m.weight
        tensor([[3.]])
    """
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    given = tensors
    if tie_weights:
        tensors = _tied(named, tensors)
    if strict:
        _check_keys(module, named, tensors)
    swapped = []
    try:
        for name, value in tensors.items():
            owner, attr = _owner(module, name)
            swapped.append((name, owner, attr, _swap(owner, attr, value)))
        yield
    finally:
        for name, owner, attr, old in reversed(swapped):
            current = _swap(owner, attr, old)
            if name in given and current is not _MISSING:
                given[name] = current


def _tied(named, tensors):
    """``tensors`` extended to every name tied (same tensor in the module) to a given one."""
    by_tensor = {}
    for name, t in named.items():
        by_tensor.setdefault(id(t), []).append(name)
    out = dict(tensors)
    for names in by_tensor.values():
        given = [n for n in names if n in tensors]
        if len(names) < 2 or not given:
            continue
        if len({id(tensors[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                             "Consider using tie_weights=False")
        for n in names:
            out[n] = tensors[given[0]]
    return out


def _check_keys(module, named, tensors):
    unexpected = [k for k in tensors if k not in named]
    missing = sorted(k for k in named if k not in tensors)
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors))


def _owner(module, name):
    """The sub-module holding dotted ``name`` and the attribute's own name."""
    *path, attr = name.split(".")
    for part in path:
        sub = getattr(module, part, None)
        if sub is None:
            raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
        module = sub
    if attr == "":
        raise KeyError('tensor name can\'t be empty string ""')
    return module, attr


def _swap(module, name, value):
    """Put ``value`` (``_MISSING``: remove) in place of ``module.<name>``; return what was there."""
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of ember.Tensor")
    d = module.__dict__
    for store in ("_parameters", "_buffers"):
        if name in d[store]:
            old = d[store][name]
            if value is _MISSING:
                del d[store][name]
            else:
                d[store][name] = value
            return old
    old = getattr(module, name, _MISSING)
    if value is not _MISSING:
        object.__setattr__(module, name, value)
    elif old is not _MISSING:
        object.__delattr__(module, name)
    return old
