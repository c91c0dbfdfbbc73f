"""nn.functional: spatial transformers: ``affine_grid`` builds sampling grids, ``grid_sample`` reads them.

``grid_sample`` is a composition: each spatial axis gives a few integer taps and their weights (1 tap for
nearest, 2 for bilinear, 4 for bicubic), the taps of all axes are combined into flat indices into the
input padded with one zero on every side (out-of-bounds taps read that zero), and one gather plus a
weighted sum gives the output. Autograd reaches the input through the gather and the grid through the
weights, so both gradients (and double backward) come for free.
"""

from __future__ import annotations

import warnings

import numpy as _np  # host-side base grids

from ... import _dtype
from ..._creation import arange, tensor
from ...autograd import _state
from ...ops.elementwise import fmod, where
from ...ops.join import stack
from ...ops.linalg import einsum
from ._pad import pad

__all__ = ["affine_grid", "grid_sample", "GRID_SAMPLE_INTERPOLATION_MODES", "GRID_SAMPLE_PADDING_MODES"]

GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}  # torch's names and enum values
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}
_TAPS = {"nearest": (0,), "bilinear": (0, 1), "bicubic": (-1, 0, 1, 2)}  # offsets from round / floor
_CUBIC_A = -0.75


def _align(align_corners):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


# --- affine_grid --------------------------------------------------------------------------------------
def _axis_positions(n, align_corners):
    """The normalized coordinates of the ``n`` pixels along one axis (their centres, or their corners)."""
    if n <= 1:
        return _np.zeros(1)
    i = _np.arange(n, dtype=_np.float64)
    return (2 * i - (n - 1)) / (n - 1 if align_corners else n)


def affine_grid(theta, size, align_corners=None):
    """A sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) from a batch of affine matrices ``theta``.

    ``theta`` is ``(N, 2, 3)`` for a 4-D ``size`` ``(N, C, H, W)`` and ``(N, 3, 4)`` for a 5-D one; the grid
    holds ``theta @ [x, y, (z,) 1]`` for the normalized coordinates of every output pixel, ``x`` first.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.affine_grid(ember.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, 1, 2), align_corners=False)
        tensor([[[[-0.5000,  0.0000],
                  [ 0.5000,  0.0000]]]])
    """
    align = _align(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    nd = len(size) - 2
    if nd not in (2, 3):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size {size}. "
                         f"Got {theta.shape}.")
    spatial = size[2:]
    if align and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: expected theta with batch size {size[0]} for size {list(size)}, "
                           f"but got theta of shape {list(theta.shape)}")
    axes = [_axis_positions(n, align) for n in spatial]  # (D,) H, W
    mesh = _np.meshgrid(*axes, indexing="ij")
    base = _np.stack(list(mesh[::-1]) + [_np.ones(spatial)], axis=-1).reshape(1, -1, nd + 1)  # [x, y, (z,) 1]
    base = tensor(base, dtype=theta.dtype, device=theta.device)
    return (base @ theta.transpose(1, 2)).reshape((size[0],) + spatial + (nd,))


# --- grid_sample ----------------------------------------------------------------------------------------
def _check(input, grid, mode):
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    rank = (f"grid_sampler(): expected {4 if input.ndim == 4 else 5}D input and grid with same number of dimensions, "
            f"but got {shapes}")
    if input.ndim == 0 or grid.ndim == 0:
        raise RuntimeError(rank)
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {shapes}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but "
                           f"got grid with sizes {list(grid.shape)}")
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {d} being empty")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(rank)
    if input.ndim == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    if not input.is_floating_point():
        raise NotImplementedError(f"grid_sampler(): not implemented for '{input.dtype}'")


def _unnormalize(coord, n, align_corners):
    """Normalized ``[-1, 1]`` coordinates to pixel coordinates along an axis of ``n`` pixels.

    Written as torch's CPU kernel writes it, so that pixel centres land on the same floats (and kinks).
    """
    if align_corners:
        return (coord + 1) * ((n - 1) / 2)
    return coord * (n / 2) + (n - 1) / 2


def _clip(x, n):
    """``x`` clamped to ``[0, n - 1]``; as in torch, the borders themselves count as outside (zero gradient)."""
    inside = (x > 0) & (x < n - 1)
    return where(inside, x, x.detach().clamp(0, n - 1))


def _reflect(x, twice_low, twice_high):
    """``x`` reflected back and forth between ``twice_low / 2`` and ``twice_high / 2`` (gradient +-1)."""
    if twice_low == twice_high:
        return x.detach() * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = (x - low).abs()
    extra = fmod(x, span)
    even = fmod((x.detach() / span).floor(), 2) == 0
    return where(even, extra + low, span - extra + low)


def _pad_coordinates(x, n, padding_mode, align_corners):
    """Pixel coordinates after the padding rule: as they are (zeros), clamped (border) or reflected."""
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (n - 1)) if align_corners else _reflect(x, -1, 2 * n - 1)
    return _clip(x, n)


def _cubic_weights(t):
    """Keys' cubic-convolution weights (``A = -0.75``) of the 4 taps around fractional offset ``t``."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _axis_taps(coord, n, mode, padding_mode, align_corners):
    """``(index, weights)`` of one axis: tap indices into the zero-padded axis and their weights (``(..., taps)``).

    Weights are None for nearest; an out-of-bounds tap points at a padding zero (index 0 or ``n + 1``).
    """
    x = _unnormalize(coord, n, align_corners)
    if mode != "bicubic":
        x = _pad_coordinates(x, n, padding_mode, align_corners)
    base = x.detach().round() if mode == "nearest" else x.detach().floor()
    taps = [base + o for o in _TAPS[mode]]
    if mode == "bicubic":  # bicubic pads each tap rather than the coordinate
        taps = [_pad_coordinates(t, n, padding_mode, align_corners) for t in taps]
    index = stack(taps, dim=-1).clamp(-1, n).to(_dtype.int64) + 1
    if mode == "nearest":
        return index, None
    frac = x - base
    weights = [1 - frac, frac] if mode == "bilinear" else _cubic_weights(frac)
    return index, stack(weights, dim=-1)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` ``(N, C, H, W)`` at the normalized ``(x, y)`` positions in ``grid`` ``(N, H_out, W_out, 2)``.

    5-D input ``(N, C, D, H, W)`` takes a grid ``(N, D_out, H_out, W_out, 3)`` of ``(x, y, z)``. ``-1`` and ``1``
    are the outer edges of the corner pixels (their centres with ``align_corners=True``). Modes: bilinear,
    nearest (rounding half to even), bicubic (4-D only); ``padding_mode`` zeros, border or reflection decides
    what out-of-range positions read.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> img = ember.tensor([[[[0.0, 10.0], [20.0, 30.0]]]])
        >>> F.grid_sample(img, ember.tensor([[[[0.0, 0.0], [-0.5, -0.5]]]]), align_corners=False)
        tensor([[[[15.,  0.]]]])
    """
    if mode not in GRID_SAMPLE_INTERPOLATION_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in GRID_SAMPLE_PADDING_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align = _align(align_corners)
    _check(input, grid, mode)
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    nd = len(spatial)
    points = 1
    for s in out_spatial:
        points *= s
    grid = grid.reshape(n, points, nd)
    flat, weight, stride = None, None, 1
    for d in reversed(range(nd)):  # the last axis (width) is the grid's x, component 0
        index, w = _axis_taps(grid[..., nd - 1 - d], spatial[d], mode, padding_mode, align)
        shape = (n, points) + (1,) * d + (index.shape[-1],) + (1,) * (nd - 1 - d)
        index = index.reshape(shape) * stride
        flat = index if flat is None else flat + index
        if w is not None:
            w = w.reshape(shape)
            weight = w if weight is None else weight * w
        stride *= spatial[d] + 2
    taps = len(_TAPS[mode]) ** nd
    padded = pad(input, (1, 1) * nd).reshape(n, c, stride)
    batch = arange(n, device=input.device).reshape(n, 1)
    values = padded[batch, :, flat.reshape(n, points * taps)]  # (N, points * taps, C)
    if weight is None:
        out = values  # nearest: one tap
        if grid.requires_grad and _state.grad_enabled:
            out = out * (grid[..., :1].sign() * 0 + 1)  # keeps the grid in the graph: zero gradient, as in torch
    else:
        out = einsum("npk,npkc->npc", weight.reshape(n, points, taps), values.reshape(n, points, taps, c))
    return out.transpose(1, 2).reshape((n, c) + out_spatial)
