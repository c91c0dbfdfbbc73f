"""Turning lists of samples into batches: ``default_collate`` and ``default_convert``."""

from __future__ import annotations

import collections.abc
import copy

import numpy as _np  # samples often hold numpy arrays and scalars

from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_text_array(a):
    return a.dtype.kind in "USO"


def _rebuild_mapping(elem, values):
    """A mapping like ``elem`` holding ``values`` (a plain dict when the type cannot be rebuilt)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return dict(values)


def _rebuild_sequence(elem, values):
    """A sequence like ``elem`` holding ``values`` (a list when the type cannot be rebuilt)."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return list(values)


def _stack(batch, **_):
    from ...ops.join import stack

    return stack(batch, 0)


def _numpy_array(batch, *, collate_fn_map=None):
    if _is_text_array(batch[0]):
        raise TypeError(_COLLATE_ERR.format(batch[0].dtype))
    from ..._creation import as_tensor

    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _numpy_scalar(batch, **_):
    from ..._creation import as_tensor

    return as_tensor(_np.asarray(batch))


def _floats(batch, **_):
    from ... import _dtype
    from ..._creation import tensor

    return tensor(batch, dtype=_dtype.float64)


def _ints(batch, **_):
    from ..._creation import tensor

    return tensor(batch)


def _texts(batch, **_):
    return batch


default_collate_fn_map = {
    Tensor: _stack,
    _np.ndarray: _numpy_array,
    (_np.bool_, _np.number): _numpy_scalar,
    float: _floats,
    int: _ints,
    str: _texts,
    bytes: _texts,
}


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` with per-type handlers from ``collate_fn_map``, recursing into containers.

    A handler is chosen by the exact type of the first element, then by
    ``isinstance`` in the map's order; dicts, namedtuples and sequences are
    collated field by field.

    Example:
        >>> from ember.utils.data import collate
        >>> collate([1, 2], collate_fn_map={int: lambda b, **kw: sum(b)})
        3
    """
    elem = batch[0]
    fns = collate_fn_map or {}
    elem_type = type(elem)
    if elem_type in fns:
        return fns[elem_type](batch, collate_fn_map=collate_fn_map)
    for kind, fn in fns.items():
        if isinstance(elem, kind):
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_COLLATE_ERR.format(elem_type))


def default_collate(batch):
    """Stack a list of samples into a batch, keeping the samples' structure.

    Tensors are stacked along a new first dimension; numpy arrays and numbers
    become tensors (floats as float64, ints as int64, bools as bool); strings
    stay a list; dicts, namedtuples and lists are collated field by field, and
    tuples become lists of collated fields (like torch).

    Example:
        >>> import ember
        >>> from ember.utils.data import default_collate
        >>> default_collate([(ember.tensor([1, 2]), 0.5, "a"), (ember.tensor([3, 4]), 1.5, "b")])
        [tensor([[1, 2],
                [3, 4]]), tensor([0.5000, 1.5000], dtype=ember.float64), ['a', 'b']]
        >>> default_collate([{"x": 1}, {"x": 2}])
        {'x': tensor([1, 2])}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Turn numpy arrays and scalars inside ``data`` into tensors, keeping everything else.

    This is the DataLoader's ``collate_fn`` when automatic batching is off
    (``batch_size=None``).

    Example:
        >>> import numpy as np
        >>> from ember.utils.data import default_convert
        >>> default_convert({"x": np.array([1.0, 2.0]), "name": "a"})
        {'x': tensor([1., 2.], dtype=ember.float64), 'name': 'a'}
    """
    from ..._creation import as_tensor

    if isinstance(data, Tensor):
        return data
    if isinstance(data, (_np.ndarray, _np.generic)):
        return data if _is_text_array(_np.asarray(data)) else as_tensor(_np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data

