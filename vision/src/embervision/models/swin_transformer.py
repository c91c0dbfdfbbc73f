"""Swin Transformer (Liu et al. 2021) and Swin Transformer V2 (Liu et al. 2022), with torchvision's module names."""

from __future__ import annotations

import math
from functools import partial

import ember
import ember.nn as nn
import ember.nn.functional as F

from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._registry import register_model
from ._utils import no_weights


def _patch_merging_pad(x):
    """Pad ``[..., H, W, C]`` to even H and W, then stack the four 2x2 neighbours on channels: ``[..., H/2, W/2, 4C]``."""
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)


def relative_position_index(height, width):
    """``(N, N)`` int64: the row of a ``(2h - 1) (2w - 1)`` table holding the offset between tokens i and j.

    Example:
        >>> from embervision.models.swin_transformer import relative_position_index
        >>> relative_position_index(1, 2).tolist()
        [[1, 0], [2, 1]]
    """
    coords = ember.stack(ember.meshgrid(ember.arange(height), ember.arange(width), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # N, N, 2
    return (rel[..., 0] + (height - 1)) * (2 * width - 1) + (rel[..., 1] + (width - 1))


def _get_relative_position_bias(relative_position_bias_table, relative_position_index, window_size):
    """The ``(1, heads, N, N)`` bias of every token pair of a window (``N`` tokens) looked up in the table."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].view(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


class PatchMerging(nn.Module):
    """Downsample ``[..., H, W, C]`` to ``[..., H/2, W/2, 2C]``: merge 2x2 patches, norm, project.

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import PatchMerging
        >>> PatchMerging(4)(ember.zeros(1, 5, 6, 4)).shape
        ember.Size([1, 3, 3, 8])
    """

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2's patch merging: merge 2x2 patches, project, then norm.

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import PatchMergingV2
        >>> PatchMergingV2(4)(ember.zeros(1, 4, 4, 4)).shape
        ember.Size([1, 2, 2, 8])
    """

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _shift_mask(x, pad_h, pad_w, window_size, shift_size, num_windows):
    """``(windows, N, N)``: 0 between tokens from the same region of the shifted image, -100 across regions."""
    mask = x.new_zeros((pad_h, pad_w))
    h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    for count, (h, w) in enumerate((h, w) for h in h_slices for w in w_slices):
        mask[h[0]:h[1], w[0]:w[1]] = count
    mask = mask.view(pad_h // window_size[0], window_size[0], pad_w // window_size[1], window_size[1])
    mask = mask.permute(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
    mask = mask.unsqueeze(1) - mask.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias, window_size, num_heads,
                             shift_size, attention_dropout=0.0, dropout=0.0, qkv_bias=None, proj_bias=None,
                             logit_scale=None, training=True):
    """Multi-head self-attention within (optionally cyclically shifted) windows of a ``[B, H, W, C]`` input.

    The input is padded to whole windows; a shift is dropped along a dimension that one window covers;
    tokens that the shift brought together from different regions are masked. ``logit_scale`` selects
    Swin V2's scaled cosine attention (the key bias is then zero).

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import shifted_window_attention
        >>> x = ember.randn(1, 4, 4, 8)
        >>> bias = ember.zeros(1, 2, 4, 4)
        >>> shifted_window_attention(x, ember.randn(24, 8), ember.randn(8, 8), bias, [2, 2], 2, [1, 1]).shape
        ember.Size([1, 4, 4, 8])
    """
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    shift_size = [0 if window_size[i] >= (pad_h, pad_w)[i] else shift_size[i] for i in range(2)]
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    num_windows = (pad_h // window_size[0]) * (pad_w // window_size[1])
    x = x.view(b, pad_h // window_size[0], window_size[0], pad_w // window_size[1], window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * num_windows, window_size[0] * window_size[1], c)
    if logit_scale is not None and qkv_bias is not None:
        length = qkv_bias.numel() // 3
        qkv_bias = ember.cat([qkv_bias[:length], ember.zeros_like(qkv_bias[length:2 * length]), qkv_bias[2 * length:]])
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5).matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if shifted:
        mask = _shift_mask(x, pad_h, pad_w, window_size, shift_size, num_windows)
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = (attn + mask.unsqueeze(1).unsqueeze(0)).view(-1, num_heads, x.size(1), x.size(1))
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = x.view(b, pad_h // window_size[0], pad_w // window_size[1], window_size[0], window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned relative position bias table (see :func:`shifted_window_attention`).

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import ShiftedWindowAttention
        >>> a = ShiftedWindowAttention(8, [2, 2], [1, 1], 2)
        >>> a(ember.zeros(1, 4, 4, 8)).shape, tuple(a.relative_position_bias_table.shape)
        (ember.Size([1, 4, 4, 8]), (9, 2))
    """

    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size, self.shift_size, self.num_heads = window_size, shift_size, num_heads
        self.attention_dropout, self.dropout = attention_dropout, dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        """A ``((2Wh - 1) (2Ww - 1), heads)`` table, truncated normal with std 0.02."""
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(ember.zeros((2 * wh - 1) * (2 * ww - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        """The int64 buffer mapping each token pair of a window to its row of the table."""
        self.register_buffer("relative_position_index", relative_position_index(*self.window_size).flatten())

    def get_relative_position_bias(self):
        """The ``(1, heads, N, N)`` bias added to the attention logits."""
        return _get_relative_position_bias(self.relative_position_bias_table, self.relative_position_index,
                                           self.window_size)

    def _logit_scale(self):
        return None

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(), self.window_size, self.num_heads,
            shift_size=self.shift_size, attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self._logit_scale(), training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2 window attention: scaled cosine attention and a continuous position bias from a small MLP.

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import ShiftedWindowAttentionV2
        >>> a = ShiftedWindowAttentionV2(8, [2, 2], [1, 1], 2)
        >>> a(ember.zeros(1, 4, 4, 8)).shape, tuple(a.relative_coords_table.shape)
        (ember.Size([1, 4, 4, 8]), (1, 3, 3, 2))
    """

    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias, proj_bias=proj_bias,
                         attention_dropout=attention_dropout, dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length].zero_()

    def define_relative_position_bias_table(self):
        """The buffer of log-spaced relative coordinates ``(1, 2Wh - 1, 2Ww - 1, 2)`` the MLP reads."""
        wh, ww = self.window_size
        rh = ember.arange(-(wh - 1), wh, dtype=ember.float32) / (wh - 1)
        rw = ember.arange(-(ww - 1), ww, dtype=ember.float32) / (ww - 1)
        table = ember.stack(ember.meshgrid(rh, rw, indexing="ij"), -1).unsqueeze(0) * 8  # in [-8, 8]
        table = ember.sign(table) * ember.log2(ember.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table)

    def get_relative_position_bias(self):
        """``16 * sigmoid`` of the MLP's bias for each token pair."""
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
        return 16 * ember.sigmoid(_get_relative_position_bias(table, self.relative_position_index, self.window_size))

    def _logit_scale(self):
        return self.logit_scale


class SwinTransformerBlock(nn.Module):
    """Pre-norm Swin block: ``x + sd(attn(norm1(x)))``, then ``x + sd(mlp(norm2(x)))``, on ``[B, H, W, C]``.

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import SwinTransformerBlock
        >>> SwinTransformerBlock(8, 2, [2, 2], [1, 1])(ember.zeros(1, 4, 4, 8)).shape
        ember.Size([1, 4, 4, 8])
    """

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads, attention_dropout=attention_dropout,
                               dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin V2 block: post-norm residuals ``x + sd(norm1(attn(x)))``, ``x + sd(norm2(mlp(x)))``.

    Example:
        >>> import ember
        >>> from embervision.models.swin_transformer import SwinTransformerBlockV2
        >>> SwinTransformerBlockV2(8, 2, [2, 2], [0, 0])(ember.zeros(1, 4, 4, 8)).shape
        ember.Size([1, 4, 4, 8])
    """

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio, dropout=dropout,
                         attention_dropout=attention_dropout, stochastic_depth_prob=stochastic_depth_prob,
                         norm_layer=norm_layer, attn_layer=attn_layer)

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Patch embedding, stages of shifted-window blocks with patch merging between them, a norm and a linear head.

    Args:
        patch_size: the patch embedding's kernel and stride.
        embed_dim: channels after the patch embedding (doubled by each merging).
        depths, num_heads: blocks and attention heads per stage.
        window_size: attention window; odd blocks shift it by half.
        mlp_ratio, dropout, attention_dropout: the blocks' MLP width and dropout rates.
        stochastic_depth_prob: the last block's drop probability (rising linearly from 0).
        num_classes: outputs of the head.
        norm_layer, block, downsample_layer: the layers (V1 defaults).

    Example:
        >>> import ember
        >>> from embervision.models import SwinTransformer
        >>> m = SwinTransformer([4, 4], 8, [2, 1], [2, 4], [2, 2], num_classes=3)
        >>> m(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 3])
    """

    def __init__(self, patch_size, embed_dim, depths, num_heads, window_size, mlp_ratio=4.0, dropout=0.0,
                 attention_dropout=0.0, stochastic_depth_prob=0.1, num_classes=1000, norm_layer=None, block=None,
                 downsample_layer=PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-5)
        layers = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]), stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]),
            norm_layer(embed_dim),
        )]
        total_blocks = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage = []
            for i_layer in range(depth):
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout, attention_dropout=attention_dropout,
                                   stochastic_depth_prob=stochastic_depth_prob * float(block_id) / (total_blocks - 1),
                                   norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


_CONFIGS = {  # embed_dim, depths, num_heads, stochastic depth; V2 uses 8x8 windows and its own block/merging
    "swin_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], 0.2),
    "swin_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], 0.3),
    "swin_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], 0.5),
}


def _builder(arch):
    v2 = arch.startswith("swin_v2")
    embed_dim, depths, num_heads, sd_prob = _CONFIGS[arch.replace("_v2", "")]
    layers = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2} if v2 else {}

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(arch, weights)
        return SwinTransformer(patch_size=[4, 4], embed_dim=embed_dim, depths=depths, num_heads=num_heads,
                               window_size=[8, 8] if v2 else [7, 7], stochastic_depth_prob=sd_prob,
                               **layers, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"""{arch}: :class:`SwinTransformer` with torchvision's configuration.

    Keyword arguments (``num_classes``, ``dropout``, ...) go to :class:`SwinTransformer`.

    Example:
        >>> from embervision.models import {arch}
        >>> {arch}(num_classes=10).head.out_features
        10
    """
    return register_model(build)


swin_t, swin_s, swin_b, swin_v2_t, swin_v2_s, swin_v2_b = (
    _builder(a) for a in ("swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"))
