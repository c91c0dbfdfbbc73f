"""Nested containers of tensors ("pytrees"): flatten to a list of leaves and rebuild.

Tuples (named tuples too), lists and dicts are containers; everything else (None too, as
in torch.func) is a leaf. A spec is ``None`` for a leaf or ``(type, keys, child specs)``
for a container.

Example:
    >>> from ember.func._pytree import flatten, unflatten
    >>> leaves, spec = flatten({"a": (1, 2), "b": [3]})
    >>> leaves, unflatten([x * 10 for x in leaves], spec)
    ([1, 2, 3], {'a': (10, 20), 'b': [30]})
"""

from __future__ import annotations


def flatten(tree):
    """``(leaves, spec)`` of ``tree``, leaves in depth-first order.

    Example:
        >>> flatten((1, [2]))[0]
        [1, 2]
    """
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(node, leaves):
    if isinstance(node, (tuple, list)):
        return (type(node), None, [_flatten(c, leaves) for c in node])
    if isinstance(node, dict):
        return (type(node), list(node), [_flatten(node[k], leaves) for k in node])
    leaves.append(node)
    return None


def unflatten(leaves, spec):
    """Rebuild the tree of ``spec`` around ``leaves``.

    Example:
        >>> unflatten([5, 6], flatten((1, {"k": 2}))[1])
        (5, {'k': 6})
    """
    return _build(spec, iter(leaves))


def _build(spec, leaves):
    if spec is None:
        return next(leaves)
    kind, keys, children = spec
    values = [_build(c, leaves) for c in children]
    if keys is not None:
        return kind(zip(keys, values))
    if kind is tuple or kind is list:
        return kind(values)
    return kind(*values)  # a named tuple


def num_leaves(spec):
    """How many leaves a tree of ``spec`` holds.

    Example:
        >>> num_leaves(flatten((1, [2, 3]))[1])
        3
    """
    return 1 if spec is None else sum(num_leaves(c) for c in spec[2])


def describe(spec):
    """A short picture of a structure, ``*`` standing for each leaf.

    Example:
        >>> describe(flatten((1, {"k": [2]}))[1])
        "(*, {'k': [*]})"
    """
    if spec is None:
        return "*"
    kind, keys, children = spec
    inner = [describe(c) for c in children]
    if keys is not None:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, inner)) + "}"
    if issubclass(kind, list):
        return "[" + ", ".join(inner) + "]"
    return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


def broadcast_prefix(prefix, spec):
    """One value of ``prefix`` per leaf of ``spec``: a leaf of ``prefix`` covers its whole subtree.

    Returns None when ``prefix`` is not a prefix of the structure.

    Example:
        >>> broadcast_prefix((0, None), flatten((1, [2, 3]))[1])
        [0, None, None]
    """
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * num_leaves(spec)
    if spec is None:
        return None
    kind, keys, children = spec
    if isinstance(prefix, dict):
        if keys is None or set(prefix) != set(keys):
            return None
        parts = [prefix[k] for k in keys]
    else:
        if keys is not None or issubclass(kind, list) != isinstance(prefix, list) or len(prefix) != len(children):
            return None
        parts = list(prefix)
    out = []
    for part, child in zip(parts, children):
        sub = broadcast_prefix(part, child)
        if sub is None:
            return None
        out.extend(sub)
    return out
