"""nn.functional: max, average, adaptive, Lp pooling and max unpooling."""

from __future__ import annotations

from ..._tensor import apply
from ...autograd.node import named
from ...ops.conv import ntuple
from ...ops.pool import FlatScatter, adaptive_avg_pool, adaptive_max_pool, avg_pool, max_pool

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling of ``(N, C, L)`` or ``(C, L)`` input; ``stride`` defaults to ``kernel_size``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.max_pool1d(ember.tensor([[1.0, 3.0, 2.0, 5.0]]), 2)
        tensor([[3., 5.]])
    """
    return _named(max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices),
                  "SqueezeBackward1", input)  # torch pools 1-D as 2-D, then squeezes


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling; with ``return_indices`` also the flat ``H * W`` position of each maximum.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.max_pool2d(ember.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _named(max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices),
                  "MaxPool2DWithIndicesBackward0", input)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling of ``(N, C, D, H, W)`` input.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.max_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[7.0]]]]]
    """
    return _named(max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices),
                  "MaxPool3DWithIndicesBackward0", input)


def _with_indices(fn):
    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
        return fn(input, kernel_size, stride, padding, dilation, ceil_mode, True)

    with_indices.__name__ = fn.__name__ + "_with_indices"
    with_indices.__doc__ = f"``{fn.__name__}(..., return_indices=True)``: the values and the flat positions of the maxima."
    return with_indices


def _named(result, name, input):
    """``result`` (a tensor, or values and indices) with torch's node name on the values (not when
    the pooling gave back ``input`` itself, whose node is not ours to rename)."""
    if isinstance(result, tuple):
        return (result[0] if result[0] is input else named(result[0], name),) + tuple(result[1:])
    return result if result is input else named(result, name)


def _adaptive_avg_name(nd, output_size):
    """torch averages to a single value per channel with ``mean`` (MeanBackward1)."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    single = all(size == 1 for size in sizes)
    return "MeanBackward1" if single else f"AdaptiveAvgPool{nd}DBackward0"


max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices = map(_with_indices, (max_pool1d, max_pool2d, max_pool3d))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.avg_pool1d(ember.tensor([[1.0, 3.0, 2.0, 4.0]]), 2)
        tensor([[2., 3.]])
    """
    return _named(avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad), "SqueezeBackward1", input)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """2-D average pooling; ``count_include_pad=False`` divides by the number of real (unpadded) elements.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.avg_pool2d(ember.ones(1, 1, 2, 2), 2, stride=1, padding=1, count_include_pad=False).tolist()
        [[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]]
    """
    return _named(avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override),
                  "AvgPool2DBackward0", input)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """3-D average pooling.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.avg_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[3.5]]]]]
    """
    return _named(avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override),
                  "AvgPool3DBackward0", input)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length (windows ``floor(i*L/out)`` to ``ceil((i+1)*L/out)``).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_avg_pool1d(ember.tensor([[1.0, 2.0, 3.0, 4.0]]), 2)
        tensor([[1.5000, 3.5000]])
    """
    return _named(adaptive_avg_pool(1, input, output_size), "SqueezeBackward1", input)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``(H, W)`` output size (None keeps that input size).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_avg_pool2d(ember.ones(2, 3, 5, 7), (2, None)).shape
        ember.Size([2, 3, 2, 7])
    """
    return _named(adaptive_avg_pool(2, input, output_size), _adaptive_avg_name(2, output_size), input)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed ``(D, H, W)`` output size.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_avg_pool3d(ember.ones(1, 1, 4, 4, 4), 1).shape
        ember.Size([1, 1, 1, 1, 1])
    """
    return _named(adaptive_avg_pool(3, input, output_size), _adaptive_avg_name(3, output_size), input)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_max_pool1d(ember.tensor([[1.0, 4.0, 3.0, 2.0]]), 2)
        tensor([[4., 3.]])
    """
    return _named(adaptive_max_pool(1, input, output_size, return_indices), "SqueezeBackward1", input)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``(H, W)`` output size.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_max_pool2d(ember.arange(16.0).reshape(1, 4, 4), 2).tolist()
        [[[5.0, 7.0], [13.0, 15.0]]]
    """
    return _named(adaptive_max_pool(2, input, output_size, return_indices), "AdaptiveMaxPool2DBackward0", input)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``(D, H, W)`` output size.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.adaptive_max_pool3d(ember.arange(8.0).reshape(1, 2, 2, 2), 1).tolist()
        [[[[7.0]]]]
    """
    return _named(adaptive_max_pool(3, input, output_size, return_indices), "AdaptiveMaxPool3DBackward0", input)


def _adaptive_with_indices(fn):
    def with_indices(input, output_size, return_indices=True):
        return fn(input, output_size, True)

    with_indices.__name__ = fn.__name__ + "_with_indices"
    with_indices.__doc__ = f"``{fn.__name__}(..., return_indices=True)``."
    return with_indices


adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices = map(
    _adaptive_with_indices, (adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d))


def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    op = f"max_unpool{nd}d"
    k = ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else ntuple(stride, nd, "stride", op)
    p = ntuple(padding, nd, "padding", op)
    sp = tuple(input.shape[input.ndim - nd:])
    default = tuple((i - 1) * ss - 2 * pp + kk for i, ss, pp, kk in zip(sp, s, p, k))
    if output_size is None:
        out = default
    else:
        out = tuple(output_size)[-nd:]
        for o, d, ss in zip(out, default, s):
            if not d - ss < o < d + ss:
                raise ValueError(f"invalid output_size {list(output_size)} (dim must be between "
                                 f"{[d - ss + 1 for d, ss in zip(default, s)]} and {[d + ss - 1 for d, ss in zip(default, s)]})")
    if indices.shape != input.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but "
                           f"got indices tensor with shape: {list(indices.shape)}")
    return apply(FlatScatter, (input,), indices._data, out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its ``indices`` position (the inverse of ``max_pool1d(..., return_indices=True)``), zeros elsewhere.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> y, i = F.max_pool1d(ember.tensor([[1.0, 3.0, 4.0, 2.0]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2)
        tensor([[0., 3., 4., 0.]])
    """
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """2-D max unpooling: scatter values to their flat ``H * W`` positions.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> y, i = F.max_pool2d(ember.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).tolist()
        [[[[0.0, 0.0], [0.0, 3.0]]]]
    """
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """3-D max unpooling.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> y, i = F.max_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(y, i, 2).sum().item()
        7.0
    """
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    k = ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    n = 1
    for kk in k:
        n *= kk
    out = avg_pool(nd, input.pow(norm_type), k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(n).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 1-D windows.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.lp_pool1d(ember.tensor([[3.0, 4.0]]), 2, 2)
        tensor([[5.]])
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 2-D windows.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.lp_pool2d(ember.ones(1, 1, 2, 2), 1, 2).tolist()
        [[[[4.0]]]]
    """
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 3-D windows.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 1, 2).flatten().tolist()
        [8.0]
    """
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
