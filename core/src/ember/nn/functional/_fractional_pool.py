"""nn.functional: fractional max pooling (Graham, 2014) with torch's pseudo-random pooling regions.

Each ``(batch, channel)`` plane draws one uniform sample per spatial axis; the sample fixes the
start of every pooling region along that axis (:func:`interval_starts`, computed on the host in the
input's dtype, as torch does). The maximum of each ``kernel_size`` region is found by gathering its
taps at flat positions; the values are then read with ``FlatGather``, whose backward routes each
gradient to its argmax (scatter-add, as torch accumulates) and whose double backward is a gather.
"""

from __future__ import annotations

import math
import operator

import numpy as _np  # host-side region tables only

from ... import _random
from ..._dtype import int64, scalar_name
from ..._tensor import Tensor, _make, apply
from ...autograd import _state
from ...autograd.node import named
from ...ops.pool import FlatGather

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}
_SAMPLE_COLUMN = {2: (1, 0), 3: (0, 1, 2)}  # which of a plane's samples drives each spatial axis (2-D: W first)
_FIT_ORDER = {2: (0, 1), 3: (0, 2, 1)}  # the axes in the order torch checks that the regions fit


def interval_starts(sample, n_in, n_out, kernel):
    """Start of each of ``n_out`` pooling regions along an axis of length ``n_in``, for samples ``u`` (host array).

    ``start[i] = int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (n_in - kernel) / (n_out - 1)``,
    every step rounded in ``u``'s dtype like torch's CPU kernel; the last region ends at the input's end.

    Example:
        >>> import numpy
        >>> interval_starts(numpy.array([0.5], dtype=numpy.float32), 10, 4, 2).tolist()
        [[0, 3, 5, 8]]
    """
    dt = sample.dtype
    out = _np.empty(sample.shape + (n_out,), dtype=_np.int64)
    if n_out > 1:
        alpha = _np.asarray(n_in - kernel, dtype=dt) / _np.asarray(n_out - 1, dtype=dt)
        u = sample[..., None]
        steps = _np.arange(n_out - 1).astype(dt)
        with _np.errstate(invalid="ignore", over="ignore"):  # odd samples give out-of-range starts, checked later
            out[..., :-1] = ((steps + u) * alpha).astype(_np.int64) - (u * alpha).astype(_np.int64)
    if n_out > 0:
        out[..., -1] = n_in - kernel
    return out


def _int_list(value, arg, position, op):
    """``value`` (an int, or a tuple/list of ints) as a tuple of ints, with torch's argument-parser errors."""
    def is_int(v):
        return not isinstance(v, (bool, float)) and hasattr(v, "__index__")

    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            if is_int(v):
                continue
            if i == 0:
                raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be tuple of ints, but found "
                                f"element of type {type(v).__name__} at pos 0")
            raise TypeError(f"{op}(): argument '{arg}' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(v).__name__}\"")
        return tuple(operator.index(v) for v in value)
    if is_int(value):
        return (operator.index(value),)
    raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be tuple of ints, not {type(value).__name__}")


def _sizes(value, nd, arg, position, op):
    """``kernel_size`` / ``output_size`` as an ``nd``-tuple (a single int repeats)."""
    sizes = _int_list(value, arg, position, op)
    if len(sizes) == 1 and not isinstance(value, (tuple, list)):
        sizes *= nd
    if len(sizes) != nd:
        which = "tuple of Ints" if nd == 2 else "tuple of three Ints"
        raise RuntimeError(f"{op}: {arg} must either be a single Int or {which}")
    return sizes


def _expand(value, nd):
    """torch's ``_pair`` / ``_triple``: a sequence as a tuple, anything else repeated."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd


def _check(nd, input, kernel, out_sp, samples, op):
    """torch's checks of the pooling call, in torch's order; returns the batch size."""
    where = op + "()" if nd == 2 else op + "_out()"
    shape = list(input.shape)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {shape}")
    for d in range(1, input.ndim):
        if shape[d] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{shape} with dimension {d} being empty.")
    sp = shape[-nd:]
    for j in _FIT_ORDER[nd]:
        k, o, n = kernel[j], out_sp[j], sp[j]
        if o + k - 1 > n - (nd == 3):  # torch's 3-D check is strict
            raise RuntimeError(f"{where}: pool {_AXES[nd][j]} {k} too large relative to input {_AXES[nd][j]} {n}")
    out_shape = shape[:-nd] + list(out_sp)
    for o in out_sp:
        if o < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {o}: {out_shape}")
    batch = shape[0] if input.ndim == nd + 2 else 1
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")
    if input.dtype.category != 2:
        raise NotImplementedError(f"\"{op}_out_frame\" not implemented for '{scalar_name(input.dtype)}'")
    return batch


def _region_starts(nd, samples, batch, planes, sp, kernel, out_sp, op):
    """Flat ``prod(sp)``-plane position of each region's first tap, ``(batch, planes, *out_sp)`` int64 (host)."""
    host = _np.asarray(samples._be.to_host(samples._data))[:batch]
    base = _np.zeros((batch, planes) + tuple(out_sp), dtype=_np.int64)
    for j, (n, o, k) in enumerate(zip(sp, out_sp, kernel, strict=True)):
        starts = interval_starts(host[..., _SAMPLE_COLUMN[nd][j]], n, o, k)
        if k > 0 and starts.size and (starts.min() < 0 or starts.max() > n - k):
            raise RuntimeError(f"{op}(): _random_samples give pooling regions outside the input {_AXES[nd][j]} {n}")
        shape = [batch, planes] + [1] * nd
        shape[2 + j] = o
        base = base + starts.reshape(shape) * math.prod(sp[j + 1:])
    return base


def _filled(input, shape, value):
    """``value`` in ``shape``, attached to ``input``'s graph with zero gradient (empty results or regions)."""
    return (input.flatten()[:0].sum() + value).expand(shape).contiguous()


def _fractional_max_pool(nd, input, kernel_size, output_size, output_ratio, _random_samples):
    """Values and flat indices of N-d fractional max pooling (the shared body of the 2-D and 3-D functions)."""
    op = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _expand(output_ratio, nd)
        output_size = [int(input.size(j - nd) * ratio[j]) for j in range(nd)]
    if _random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        planes = input.size(-nd - 1)
        if input.dtype.category < 2:  # torch.rand's own refusal
            raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{scalar_name(input.dtype)}'")
        _random_samples = _random.rand(batch, planes, nd, dtype=input.dtype, device=input.device)
    kernel = _sizes(kernel_size, nd, "kernel_size", 2, op)
    out_sp = _sizes(output_size, nd, "output_size", 3, op)
    if not isinstance(_random_samples, Tensor):
        kind = type(_random_samples)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        raise TypeError(f"{op}(): argument 'random_samples' (position 4) must be Tensor, not {name}")
    if _random_samples.requires_grad and _state.grad_enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument 'random_samples'. "
                           "This input cannot have requires_grad True.")
    batch = _check(nd, input, kernel, out_sp, _random_samples, op)
    lead = tuple(input.shape[:input.ndim - nd])
    shape = lead + tuple(out_sp)
    be, dev = input._be, input._device
    if input.numel() == 0 or math.prod(out_sp) == 0:
        return _filled(input, shape, 0.0), _make(be.full(shape, 0, be.native_dtype(int64), dev.index), be, dev, int64)
    sp = tuple(input.shape[input.ndim - nd:])
    base = _region_starts(nd, _random_samples, batch, input.shape[-nd - 1], sp, kernel, out_sp, op)
    if min(kernel) <= 0:  # empty regions: -inf at each region's start, like torch
        return _filled(input, shape, -math.inf), _make(be.from_host(base.reshape(shape), dev.index), be, dev, int64)
    idx = be.xp.reshape(_region_argmax(be, input._data, base, sp, kernel, dev.index), shape)
    return apply(FlatGather, (input,), idx, nd), _make(idx, be, dev, int64)


def _region_argmax(be, data, base, sp, kernel, index):
    """Flat in-plane position of each region's maximum (``base``: the regions' first taps, host ``(N, C, *out)``).

    The taps are scanned in torch's order (the first maximum wins, NaN always wins), each read with
    one 1-D ``take`` at whole-tensor positions. The winning tap is tracked as a small integer: taps
    come in increasing order, so ``maximum`` records the latest one to take the lead.
    """
    xp = be.xp
    plane = math.prod(sp)
    rows = base.shape[0] * base.shape[1]
    offsets = [sum(t * math.prod(sp[j + 1:]) for j, t in enumerate(tap)) for tap in _np.ndindex(*kernel)]
    small = xp.uint8 if len(offsets) < 2 ** 8 else xp.int64
    first = be.from_host((base.reshape(rows, -1) + _np.arange(rows)[:, None] * plane).reshape(-1), index)
    flat = xp.reshape(data, (-1,))
    best = xp.take(flat, first)
    kbest = xp.zeros(best.shape, dtype=small)
    for k, off in enumerate(offsets[1:], 1):
        v = xp.take(flat, first + off)
        upd = (v > best) | xp.isnan(v)
        best = xp.maximum(best, v)  # NaN-propagating: the same as taking v where upd
        kbest = xp.maximum(kbest, xp.astype(upd, small) * xp.asarray(k, dtype=small))
    tap_offsets = be.from_host(_np.asarray(offsets, dtype=_np.int64), index)
    return xp.remainder(first + xp.take(tap_offsets, xp.astype(kbest, xp.int64)), plane)


def _public(nd, with_indices, doc):
    """``fractional_max_pool{nd}d`` (``return_indices`` picks the result) or its ``_with_indices`` spelling."""
    grad_name = f"FractionalMaxPool{nd}DBackward0"

    def pool(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        out, idx = _fractional_max_pool(nd, input, kernel_size, output_size, output_ratio, _random_samples)
        out = named(out, grad_name)
        return (out, idx) if return_indices or with_indices else out

    pool.__name__ = pool.__qualname__ = f"fractional_max_pool{nd}d" + ("_with_indices" if with_indices else "")
    pool.__doc__ = doc
    return pool


fractional_max_pool2d = _public(2, False, """2-D fractional max pooling: max over ``kernel_size`` regions at pseudo-random strides.

    One pair of uniform samples per ``(batch, channel)`` plane (``_random_samples``, shape ``(N, C, 2)``,
    drawn with ``ember.rand`` when not given) places the regions; the output size is ``output_size``
    or ``int(input_size * output_ratio)``. With ``return_indices`` also the flat ``H * W`` position of
    each maximum.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.arange(25.0).reshape(1, 1, 5, 5)
        >>> F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=ember.full((1, 1, 2), 0.5))
        tensor([[[[ 6.,  8.,  9.],
                  [16., 18., 19.],
                  [21., 23., 24.]]]])
    """)

fractional_max_pool3d = _public(3, False, """3-D fractional max pooling over ``(T, H, W)``; ``_random_samples`` has shape ``(N, C, 3)``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.arange(64.0).reshape(1, 1, 4, 4, 4)
        >>> F.fractional_max_pool3d(x, 2, output_ratio=0.5, _random_samples=ember.full((1, 1, 3), 0.5)).flatten().tolist()
        [21.0, 23.0, 29.0, 31.0, 53.0, 55.0, 61.0, 63.0]
    """)

fractional_max_pool2d_with_indices = _public(2, True, """``fractional_max_pool2d`` returning ``(values, flat indices)`` always.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.arange(16.0).reshape(1, 4, 4)
        >>> F.fractional_max_pool2d_with_indices(x, 2, output_size=2, _random_samples=ember.zeros(1, 1, 2))[1]
        tensor([[[ 5,  7],
                 [13, 15]]])
    """)

fractional_max_pool3d_with_indices = _public(3, True, """``fractional_max_pool3d`` returning ``(values, flat indices)`` always.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.arange(8.0).reshape(1, 2, 2, 2)
        >>> F.fractional_max_pool3d_with_indices(x, 1, output_size=1, _random_samples=ember.zeros(1, 1, 3))
        (tensor([[[[7.]]]]), tensor([[[[7]]]]))
    """)
