"""``vmap``: map a function over a dimension of its inputs.

Ember's vmap is a loop: it calls ``func`` once per batch element (each mapped input
sliced with ``select``) and stacks the results along ``out_dims``. Values, structures
and errors follow ``torch.func.vmap``; the cost is that of the loop, not of one batched
call. ``chunk_size`` is accepted and has no effect.
"""

from __future__ import annotations

import functools

from .._tensor import Tensor
from ._pytree import broadcast_prefix, describe, flatten, unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """A function that applies ``func`` to every slice along ``in_dims`` and stacks the results along ``out_dims``.

    ``in_dims``/``out_dims`` are an int, None (not mapped) or a structure matching the
    arguments/outputs (tuples, lists, dicts of tensors). Keyword arguments are not mapped.
    ``randomness``: 'error' (random ops raise), 'different' (each element draws its own
    numbers) or 'same' (every element draws the same ones). Runs ``func`` once per element.

    Example:
        >>> import ember
        >>> from ember.func import vmap
        >>> vmap(lambda row, w: (row * w).sum(), in_dims=(0, None))(ember.ones(3, 2), ember.tensor([1.0, 2.0]))
        tensor([3., 3., 3.])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = getattr(func, "__name__", repr(func))

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec, dims, size = _mapped_inputs(name, in_dims, args)
        rng = _RandomState()
        results = []
        for i in range(max(size, 1)):
            if randomness == "same" and i:
                rng.restore()
            sliced = [x if d is None else _element(x, d, i, size) for x, d in zip(leaves, dims)]
            results.append(func(*unflatten(sliced, spec), **kwargs))
            if randomness == "error" and not i and rng.changed():
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use "
                                   "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stacked_outputs(name, out_dims, results, size)

    return wrapped


def _mapped_inputs(name, in_dims, args):
    """Flat inputs, their mapped dims (None: not mapped) and the batch size, after torch's checks."""
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    leaves, spec = flatten(args)
    dims = broadcast_prefix(in_dims, spec)
    if dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{describe(flatten(in_dims)[1])} but inputs has structure {describe(spec)}.")
    sizes = []
    for k, (x, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{where}: in_dims must be ints or None, got {type(d)}.")
        if not isinstance(x, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}.")
        dims[k] = d % x.ndim
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return leaves, spec, dims, sizes[0]


def _element(x, dim, i, size):
    """Slice ``i`` of ``x`` along ``dim``; for an empty batch, a zero stand-in of the slice's shape."""
    if size:
        return x.select(dim, i)
    from .._creation import zeros

    shape = x.shape[:dim] + x.shape[dim + 1:]
    return zeros(shape, dtype=x.dtype, device=x.device)


def _stacked_outputs(name, out_dims, results, size):
    import ember

    if not isinstance(out_dims, (int, tuple, list)) and out_dims is not None or isinstance(out_dims, bool):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                         "collection of ints representing where in the outputs the vmapped dimension should appear.")
    per_call = [flatten(r) for r in results]
    leaves0, spec = per_call[0]
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                         f"structure of `outputs`. out_dims has structure {describe(flatten(out_dims)[1])} but "
                         f"outputs has structure {describe(spec)}.")
    stacked = []
    for k, d in enumerate(dims):
        if d is None:
            stacked.append(leaves0[k])
            continue
        column = [leaves[k] for leaves, _ in per_call]
        for t in column:
            if not isinstance(t, Tensor):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(t)}. Did you "
                                 "mean to set out_dims= to None for output?")
        out = ember.stack(column, dim=d)
        stacked.append(out if size else out.narrow(d % out.ndim, 0, 0))
    return unflatten(stacked, spec)


class _RandomState:
    """The states of the default random generators, to detect draws ('error') or replay them ('same')."""

    def __init__(self):
        from .._random import _defaults

        self._generators = _defaults
        self._states = {dev: g._engine.get_state() for dev, g in _defaults.items()}

    def changed(self):
        return len(self._generators) != len(self._states) or any(
            g._engine.get_state() != self._states[dev] for dev, g in self._generators.items())

    def restore(self):
        for dev, state in self._states.items():
            self._generators[dev]._engine.set_state(state)
