"""Deformable convolution v1/v2 (Dai et al. 2017, Zhu et al. 2018): kernel taps read at learned fractional offsets.

Every tap is a bilinear read of the input (an ``index_select`` of the four corner pixels, weighted by
the fractional position), optionally scaled by a mask; the columns then meet the weights in one
grouped matmul. All of it is Ember ops on the input's device, so the input, offsets, mask, weight and
bias all get gradients (and double backward) from autograd.
"""

from __future__ import annotations

import math

import ember
from ember import nn

from ._roi import pair


def _bilinear_taps(input, y, x, groups):
    """Bilinear reads of ``input`` (N, C, H, W) at ``y``, ``x`` (N, G, K, OH, OW), channels split in ``G`` groups.

    Returns (N, G, K, OH, OW, C / G). Positions beyond one pixel outside the image read 0; corner pixels
    outside the image read 0 (torchvision's deformable im2col).
    """
    n, c, h, w = input.shape
    cpg = c // groups
    table = input.reshape(n, groups, cpg, h, w).permute(0, 1, 3, 4, 2).reshape(n * groups * h * w, cpg)
    inside = (y > -1) & (y < h) & (x > -1) & (x < w)
    y0, x0 = y.detach().floor(), x.detach().floor()
    ly, lx = y - y0, x - x0
    y0, x0 = y0.long(), x0.long()
    base = (ember.arange(n, device=input.device).reshape(n, 1, 1, 1, 1) * groups
            + ember.arange(groups, device=input.device).reshape(1, groups, 1, 1, 1)) * h
    weights, rows = [], []
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yc, xc = y0 + dy, x0 + dx
            ok = inside & (yc >= 0) & (yc <= h - 1) & (xc >= 0) & (xc <= w - 1)
            weights.append(wy * wx * ok.to(input.dtype))
            rows.append((base + yc.clamp(0, h - 1)) * w + xc.clamp(0, w - 1))
    rows = ember.stack(rows, -1)
    vals = table.index_select(0, rows.reshape(-1)).reshape(*rows.shape, cpg)
    return (ember.stack(weights, -1).unsqueeze(-2) @ vals).squeeze(-2)


def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None):
    """Deformable 2-d convolution: tap ``k`` at output ``(i, j)`` reads the input at its regular place plus ``offset``.

    Args:
        input: (N, C_in, H, W).
        offset: (N, 2 * offset_groups * kh * kw, OH, OW): ``(dy, dx)`` pairs per offset group and tap.
        weight: (C_out, C_in / groups, kh, kw).
        bias: (C_out,) or None.
        mask: (N, offset_groups * kh * kw, OH, OW) tap weights (Deformable ConvNets v2), or None.

    Example:
        >>> import ember
        >>> from embervision.ops import deform_conv2d
        >>> x, w = ember.rand(1, 3, 5, 5), ember.rand(4, 3, 3, 3)
        >>> out = deform_conv2d(x, ember.zeros(1, 18, 3, 3), w)
        >>> bool(ember.allclose(out, ember.nn.functional.conv2d(x, w), atol=1e-5))
        True
    """
    n, cin, h, w = input.shape
    cout, cin_g, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    taps = kh * kw
    offset_groups = offset.shape[1] // (2 * taps)
    if offset_groups == 0:
        raise RuntimeError(
            "the shape of the offset tensor at dimension 1 is not valid. It should be a multiple of "
            f"2 * weight.size[2] * weight.size[3].\nGot offset.shape[1]={offset.shape[1]}, while "
            f"2 * weight.size[2] * weight.size[3]={2 * taps}")
    groups = cin // cin_g
    oh = (h + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
    ow = (w + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
    if tuple(offset.shape) != (n, 2 * offset_groups * taps, oh, ow):
        raise RuntimeError(f"deform_conv2d: offset of shape {tuple(offset.shape)} does not match the output "
                           f"(expected ({n}, {2 * offset_groups * taps}, {oh}, {ow}))")
    if mask is not None and tuple(mask.shape) != (n, offset_groups * taps, oh, ow):
        raise RuntimeError(f"deform_conv2d: mask of shape {tuple(mask.shape)} does not match the output "
                           f"(expected ({n}, {offset_groups * taps}, {oh}, {ow}))")
    if cin % offset_groups or cin % cin_g or cout % groups:
        raise RuntimeError(f"deform_conv2d: input channels ({cin}) must divide into {offset_groups} offset groups "
                           f"and weight groups of {cin_g}, output channels ({cout}) into {groups} groups")
    dev, dt = input.device, input.dtype
    ky = (ember.arange(kh, device=dev) * dh).reshape(kh, 1).expand(kh, kw).reshape(taps, 1, 1)
    kx = (ember.arange(kw, device=dev) * dw).reshape(1, kw).expand(kh, kw).reshape(taps, 1, 1)
    rows = (ember.arange(oh, device=dev) * sh - ph).reshape(1, oh, 1)
    cols = (ember.arange(ow, device=dev) * sw - pw).reshape(1, 1, ow)
    off = offset.reshape(n, offset_groups, taps, 2, oh, ow)
    y = (ky + rows).to(dt) + off[:, :, :, 0]
    x = (kx + cols).to(dt) + off[:, :, :, 1]
    vals = _bilinear_taps(input, y, x, offset_groups)  # (N, G_off, K, OH, OW, C / G_off)
    if mask is not None:
        vals = vals * mask.reshape(n, offset_groups, taps, oh, ow, 1)
    columns = vals.permute(0, 1, 5, 2, 3, 4).reshape(n, groups, cin_g * taps, oh * ow)
    out = (weight.reshape(groups, cout // groups, cin_g * taps) @ columns).reshape(n, cout, oh, ow)
    return out if bias is None else out + bias.reshape(cout, 1, 1)


class DeformConv2d(nn.Module):
    """:func:`deform_conv2d` with its own weight and bias; ``forward(input, offset, mask=None)``.

    Initialised like ``nn.Conv2d`` (Kaiming-uniform ``a=sqrt(5)`` weight, uniform bias), in torchvision's order.

    Example:
        >>> import ember
        >>> from embervision.ops import DeformConv2d
        >>> m = DeformConv2d(2, 4, 3, padding=1)
        >>> m(ember.rand(1, 2, 5, 5), ember.zeros(1, 18, 5, 5)).shape
        ember.Size([1, 4, 5, 5])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride)
        self.padding = pair(padding)
        self.dilation = pair(dilation)
        self.groups = groups
        self.weight = nn.Parameter(ember.empty(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw the weight (Kaiming-uniform, ``a=sqrt(5)``) and bias (uniform in ``+-1/sqrt(fan_in)``).

        Example:
            >>> from embervision.ops import DeformConv2d
            >>> m = DeformConv2d(2, 2, 1); m.reset_parameters(); bool(m.bias.abs().max() <= 2 ** -0.5)
            True
        """
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input, offset, mask=None):
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)

    def __repr__(self):
        s = (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        s += f", padding={self.padding}" if self.padding != (0, 0) else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        s += ", bias=False" if self.bias is None else ""
        return s + ")"
