"""DropBlock (Ghiasi et al. 2018): drop contiguous square (cubic) blocks of feature maps during training."""

from __future__ import annotations

import ember
import ember.nn.functional as F
from ember import nn


def _drop_block(input, p, block_size, inplace, eps, training, dims):
    """The shared body of :func:`drop_block2d` (``dims=2``) and :func:`drop_block3d` (``dims=3``)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != dims + 2:
        raise ValueError(f"input should be {dims + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    sizes = tuple(input.shape[2:])
    block_size = min(block_size, *sizes)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    numerator, valid = p, 1
    for s in sizes:  # torchvision's float arithmetic, in its order: ((p * H) * W) / (block**2 * valid centres)
        numerator *= s
        valid *= s - block_size + 1
    gamma = numerator / ((block_size ** dims) * valid)
    noise = ember.empty(tuple(input.shape[:2]) + tuple(s - block_size + 1 for s in sizes), dtype=input.dtype,
                        device=input.device)
    noise.bernoulli_(gamma)
    half = block_size // 2
    noise = F.pad(noise, [half] * (2 * dims), value=0)
    pool = F.max_pool2d if dims == 2 else F.max_pool3d
    noise = 1 - pool(noise, stride=(1,) * dims, kernel_size=(block_size,) * dims, padding=half)
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """Zero random ``block_size`` x ``block_size`` blocks of an (N, C, H, W) batch and rescale the rest.

    Block centres are drawn with probability ``gamma = p * H * W / (block_size**2 * valid centres)``
    (the draws torchvision makes); the kept values are scaled by ``numel / (eps + kept)``.

    Example:
        >>> import ember
        >>> from embervision.ops import drop_block2d
        >>> _ = ember.manual_seed(0)
        >>> y = drop_block2d(ember.ones(1, 1, 8, 8), 0.7, 3)
        >>> int((y == 0).sum()), round(y.sum().item(), 3)
        (9, 64.0)
    """
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


def drop_block3d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """Zero random cubic blocks of an (N, C, D, H, W) batch and rescale the rest (see :func:`drop_block2d`).

    Example:
        >>> import ember
        >>> from embervision.ops import drop_block3d
        >>> drop_block3d(ember.ones(1, 1, 3, 3, 3), 0.5, 3, training=False).sum().item()
        27.0
    """
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


class DropBlock2d(nn.Module):
    """:func:`drop_block2d` as a module (active in training mode).

    Example:
        >>> import ember
        >>> from embervision.ops import DropBlock2d
        >>> DropBlock2d(0.1, 3)
        DropBlock2d(p=0.1, block_size=3, inplace=False)
    """

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"


class DropBlock3d(DropBlock2d):
    """:func:`drop_block3d` as a module (active in training mode).

    Example:
        >>> import ember
        >>> from embervision.ops import DropBlock3d
        >>> DropBlock3d(0.1, 3).eval()(ember.ones(1, 1, 2, 2, 2)).sum().item()
        8.0
    """

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
