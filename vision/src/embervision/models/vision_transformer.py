"""Vision Transformer (Dosovitskiy et al. 2020), with torchvision's module names."""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import ember
import ember.nn as nn

from ._registry import register_model
from ._utils import no_weights


class MLPBlock(nn.Sequential):
    """Linear, GELU, dropout, linear, dropout (the transformer's feed-forward block).

    Example:
        >>> import ember
        >>> from embervision.models.vision_transformer import MLPBlock
        >>> MLPBlock(8, 16, 0.0)(ember.zeros(2, 8)).shape
        ember.Size([2, 8])
    """

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(nn.Linear(in_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp_dim, in_dim),
                         nn.Dropout(dropout))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(ln_1(x)), then x + mlp(ln_2(x)).

    Example:
        >>> import ember
        >>> from embervision.models.vision_transformer import EncoderBlock
        >>> EncoderBlock(2, 8, 16, 0.0, 0.0)(ember.zeros(1, 5, 8)).shape
        ember.Size([1, 5, 8])
    """

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError(f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embeddings, dropout, ``num_layers`` encoder blocks and a final LayerNorm.

    Example:
        >>> import ember
        >>> from embervision.models.vision_transformer import Encoder
        >>> Encoder(5, 1, 2, 8, 16, 0.0, 0.0)(ember.zeros(1, 5, 8)).shape
        ember.Size([1, 5, 8])
    """

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError(f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}")
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Patchify with a strided convolution, prepend a class token, encode, classify the class token.

    Args:
        image_size: input height (= width); must be divisible by ``patch_size``.
        patch_size, num_layers, num_heads, hidden_dim, mlp_dim: the transformer's shape.
        dropout, attention_dropout: dropout rates.
        num_classes: outputs of the head.
        representation_size: an extra tanh layer before the head when given.

    Example:
        >>> import ember
        >>> from embervision.models import VisionTransformer
        >>> vit = VisionTransformer(16, 8, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=3)
        >>> vit(ember.zeros(2, 3, 16, 16)).shape
        ember.Size([2, 3])
    """

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout=0.0,
                 attention_dropout=0.0, num_classes=1000, representation_size=None, norm_layer=None):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"Input shape indivisible by patch size! ({image_size} % {patch_size})")
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.mlp_dim, self.attention_dropout, self.dropout = mlp_dim, attention_dropout, dropout
        self.num_classes, self.representation_size, self.norm_layer = num_classes, representation_size, norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        fan_in = 3 * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, c, h, w = x.shape
        p = self.patch_size
        if h != self.image_size or w != self.image_size:
            raise ValueError(f"VisionTransformer: wrong image size: expected {self.image_size}x{self.image_size}, "
                             f"got {h}x{w}")
        x = self.conv_proj(x)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([token, x], dim=1))
        return self.heads(x[:, 0])


_VIT = {  # patch, layers, heads, hidden, mlp
    "vit_b_16": (16, 12, 12, 768, 3072), "vit_b_32": (32, 12, 12, 768, 3072),
    "vit_l_16": (16, 24, 16, 1024, 4096), "vit_l_32": (32, 24, 16, 1024, 4096),
}


def _builder(name):
    patch, layers, heads, hidden, mlp = _VIT[name]

    def build(*, weights=None, progress=True, image_size=224, **kwargs):
        no_weights(name, weights)
        config = {"patch_size": patch, "num_layers": layers, "num_heads": heads, "hidden_dim": hidden, "mlp_dim": mlp}
        return VisionTransformer(image_size=image_size, **{**config, **kwargs})

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""{name}: patch {patch}, {layers} layers, {heads} heads, width {hidden}, MLP {mlp}.

    Every size can be overridden (``image_size``, ``patch_size``, ``num_layers``, ``num_heads``,
    ``hidden_dim``, ``mlp_dim``) to build a smaller model of the same structure.

    Example:
        >>> import ember
        >>> from embervision.models import {name}
        >>> m = {name}(image_size=32, patch_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=5)
        >>> m(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 5])
    """
    return register_model(build)


vit_b_16, vit_b_32, vit_l_16, vit_l_32 = (_builder(n) for n in _VIT)
