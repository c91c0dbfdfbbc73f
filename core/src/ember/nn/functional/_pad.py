"""nn.functional: padding (constant, reflect, replicate, circular)."""

from __future__ import annotations

from ..._tensor import apply
from ...autograd.node import Op

__all__ = ["pad"]


class ConstantPad(Op):
    """Pad the trailing dims by ``(lo, hi)`` pairs (negative values crop) with ``value``.

    Its own adjoint: backward pads the gradient by the negated widths with zeros.
    """

    def forward(self, be, x, widths, value):
        self.widths = widths
        lead = x.ndim - len(widths)
        shape = tuple(x.shape[:lead]) + tuple(n + a + b for n, (a, b) in zip(x.shape[lead:], widths))
        if be.dtype_of(x).category < 2:
            value = int(value)
        out = be.full(shape, value, x.dtype, None) if value != 0 else be.xp.zeros(shape, dtype=x.dtype)
        dst = tuple(slice(max(a, 0), max(a, 0) + n + min(a, 0) + min(b, 0)) for n, (a, b) in zip(x.shape[lead:], widths))
        src = tuple(slice(max(-a, 0), n - max(-b, 0)) for n, (a, b) in zip(x.shape[lead:], widths))
        out[(...,) + dst] = x[(...,) + src]
        return out

    def backward(self, g):
        return (apply(ConstantPad, (g,), tuple((-a, -b) for a, b in self.widths), 0),)


class AxisGather(Op):
    """``x`` indexed by integer array ``index`` along ``axis``; backward: :class:`AxisScatter`."""

    def forward(self, be, x, axis, index):
        self.axis, self.index, self.size = axis, index, x.shape[axis]
        return be.xp.take(x, index, axis=axis)

    def backward(self, g):
        return (apply(AxisScatter, (g,), self.axis, self.index, self.size),)


class AxisScatter(Op):
    """The adjoint of :class:`AxisGather`: add slices of ``g`` at ``index`` along ``axis`` into zeros."""

    def forward(self, be, g, axis, index, size):
        self.axis, self.index = axis, index
        shape = list(g.shape)
        shape[axis] = size
        return be.index_add(be.xp.zeros(tuple(shape), dtype=g.dtype), axis, index, g)

    def backward(self, h):
        return (apply(AxisGather, (h,), self.axis, self.index),)


def _source_index(mode, n, a, b):
    """Which input position each padded position copies, for the index-based modes."""
    if mode == "circular":  # torch crops first, then wraps around what is left
        start, m = max(-a, 0), n - max(-a, 0) - max(-b, 0)
        return [start + j % m for j in range(-max(a, 0), m + max(b, 0))]
    out = []
    for j in range(-a, n + b):
        if mode == "reflect":
            j = -j if j < 0 else 2 * (n - 1) - j if j >= n else j
        else:  # replicate
            j = min(max(j, 0), n - 1)
        out.append(j)
    return out


_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions: ``pad = (left_last, right_last, left_2nd_last, ...)``.

    Modes: ``'constant'`` (with ``value``; negative widths crop), ``'reflect'``, ``'replicate'``, ``'circular'``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.pad(ember.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    widths = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd)))  # first padded dim first
    lead = input.ndim - nd
    if mode == "constant":
        for n, (a, b) in zip(input.shape[lead:], widths):
            if n + a + b < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return apply(ConstantPad, (input,), widths, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if nd not in (1, 2, 3) or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.")
    be, out = input._be, input
    for i, (n, (a, b)) in enumerate(zip(input.shape[lead:], widths)):
        if mode == "reflect" and (a >= n or b >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({a}, {b}) at dimension {lead + i} of input {list(input.shape)}")
        if mode == "circular" and (a > n or b > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if a == 0 and b == 0:
            continue
        index = be.from_host(_index_array(_source_index(mode, n, a, b)), input._device.index)
        out = apply(AxisGather, (out,), lead + i, index)
    return out


def _index_array(values):
    import numpy as np

    return np.asarray(values, dtype=np.int64)

