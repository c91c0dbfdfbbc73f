"""nn.functional: convolutions, transposed convolutions, unfold (im2col) and fold (col2im)."""

from __future__ import annotations

import math

from ..._tensor import apply
from ...ops.conv import (
    Fold, Unfold, block_geometry, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks of a ``(N, C, H, W)`` (or ``(C, H, W)``) input as columns ``(N, C * kh * kw, L)``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.unfold(ember.arange(9.0).reshape(1, 1, 3, 3), 2).tolist()
        [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    geo = block_geometry(x.shape[0], x.shape[1], tuple(x.shape[2:]), kernel_size, dilation, padding, stride)
    if any(o <= 0 for o in geo.out_sp):
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={geo.kernel}, "
                           f"dilation={geo.dilation}, padding={geo.lo}, calculated shape of the array of sliding "
                           f"blocks as {geo.out_sp}, but its components must be at least one.")
    out = apply(Unfold, (x,), geo)
    return out.squeeze(0) if input.ndim == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns ``(N, C * kh * kw, L)`` into a ``(N, C, *output_size)`` tensor: the adjoint of :func:`unfold`.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.fold(ember.ones(1, 4, 4), (3, 3), 2).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {input.ndim}D)")
    cols = input.unsqueeze(0) if input.ndim == 2 else input
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    probe = block_geometry(1, 1, size, kernel_size, dilation, padding, stride)
    K = math.prod(probe.kernel)
    if cols.shape[1] % K:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={cols.shape[1]} and kernel_size={probe.kernel}.")
    blocks = math.prod(probe.out_sp)
    if cols.shape[2] != blocks or any(o <= 0 for o in probe.out_sp):
        raise RuntimeError(f"Given output_size={size}, kernel_size={probe.kernel}, dilation={probe.dilation}, "
                           f"padding={probe.lo}, stride={probe.stride}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {' * '.join(map(str, probe.out_sp))} = {blocks}, "
                           f"but got input.size(2)={cols.shape[2]}.")
    geo = block_geometry(cols.shape[0], cols.shape[1] // K, size, kernel_size, dilation, padding, stride)
    out = apply(Fold, (cols,), geo)
    return out.squeeze(0) if input.ndim == 2 else out
