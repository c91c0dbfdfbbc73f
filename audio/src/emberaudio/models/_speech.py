"""Speech recognition models: Wav2Letter, Conformer and a greedy CTC decoder."""

from __future__ import annotations

import ember
import ember.nn.functional as F
from ember import nn

__all__ = ["Wav2Letter", "Conformer", "GreedyCTCDecoder", "ctc_greedy_decode"]


def _conv_relu(c_in, c_out, kernel, stride=1, padding=0):
    return [nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=padding), nn.ReLU()]


class Wav2Letter(nn.Module):
    """Wav2Letter (Collobert et al., 2016): a fully convolutional acoustic model for CTC.

    ``input_type`` is ``"waveform"`` (a strided front-end convolution of 250 samples every 160),
    ``"power_spectrum"`` or ``"mfcc"`` (features with ``num_features`` channels). Input
    ``(batch, num_features, time)``; output ``(batch, num_classes, frames)`` log-probabilities.

    Example:
        >>> import ember, emberaudio
        >>> model = emberaudio.models.Wav2Letter(num_classes=10, input_type="mfcc", num_features=13)
        >>> model(ember.randn(1, 13, 50)).shape
        ember.Size([1, 10, 26])
    """

    def __init__(self, num_classes=40, input_type="waveform", num_features=1):
        super().__init__()
        if input_type not in ("waveform", "power_spectrum", "mfcc"):
            raise ValueError(f"input_type must be 'waveform', 'power_spectrum' or 'mfcc', got {input_type!r}")
        first = 250 if input_type == "waveform" else num_features
        layers = _conv_relu(first, 250, 48, stride=2, padding=23)
        for _ in range(7):
            layers += _conv_relu(250, 250, 7, padding=3)
        layers += _conv_relu(250, 2000, 32, padding=16) + _conv_relu(2000, 2000, 1) + _conv_relu(2000, num_classes, 1)
        self.acoustic_model = nn.Sequential(*layers)
        if input_type == "waveform":
            self.waveform_model = nn.Sequential(*_conv_relu(num_features, 250, 250, stride=160, padding=45))

    def forward(self, x):
        if hasattr(self, "waveform_model"):
            x = self.waveform_model(x)
        return F.log_softmax(self.acoustic_model(x), dim=1)


class _FeedForward(nn.Module):
    def __init__(self, dim, hidden, dropout):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.SiLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, dim), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class _ConvModule(nn.Module):
    """LayerNorm, pointwise conv + GLU, depthwise conv, Batch/GroupNorm, SiLU, pointwise conv."""

    def __init__(self, dim, kernel_size, dropout, use_group_norm):
        super().__init__()
        if (kernel_size - 1) % 2:
            raise ValueError("depthwise_conv_kernel_size must be odd to achieve 'SAME' padding.")
        self.norm = nn.LayerNorm(dim)
        self.net = nn.Sequential(
            nn.Conv1d(dim, 2 * dim, 1), nn.GLU(dim=1),
            nn.Conv1d(dim, dim, kernel_size, padding=(kernel_size - 1) // 2, groups=dim),
            nn.GroupNorm(1, dim) if use_group_norm else nn.BatchNorm1d(dim), nn.SiLU(),
            nn.Conv1d(dim, dim, 1), nn.Dropout(dropout),
        )

    def forward(self, x):  # (batch, time, dim)
        return self.net(self.norm(x).transpose(1, 2)).transpose(1, 2)


class _ConformerLayer(nn.Module):
    def __init__(self, dim, ffn_dim, num_heads, kernel_size, dropout, use_group_norm, convolution_first):
        super().__init__()
        self.ffn1 = _FeedForward(dim, ffn_dim, dropout)
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.attn_dropout = nn.Dropout(dropout)
        self.conv = _ConvModule(dim, kernel_size, dropout, use_group_norm)
        self.ffn2 = _FeedForward(dim, ffn_dim, dropout)
        self.final_norm = nn.LayerNorm(dim)
        self.convolution_first = convolution_first

    def _attention(self, x, padding_mask):
        y = self.attn_norm(x)
        y, _ = self.attn(y, y, y, key_padding_mask=padding_mask, need_weights=False)
        return x + self.attn_dropout(y)

    def forward(self, x, padding_mask):
        x = x + 0.5 * self.ffn1(x)
        if self.convolution_first:
            x = x + self.conv(x)
        x = self._attention(x, padding_mask)
        if not self.convolution_first:
            x = x + self.conv(x)
        x = x + 0.5 * self.ffn2(x)
        return self.final_norm(x)


class Conformer(nn.Module):
    """Conformer encoder (Gulati et al., 2020): macaron feed-forwards around self-attention and a convolution module.

    ``forward(input, lengths)`` takes ``(batch, time, input_dim)`` and the valid lengths, and returns
    ``(output, lengths)``; padded frames are masked out of the attention.

    Example:
        >>> import ember, emberaudio
        >>> model = emberaudio.models.Conformer(input_dim=16, num_heads=2, ffn_dim=32, num_layers=2,
        ...                                     depthwise_conv_kernel_size=3)
        >>> out, lengths = model(ember.randn(2, 7, 16), ember.tensor([7, 5]))
        >>> out.shape, lengths.tolist()
        (ember.Size([2, 7, 16]), [7, 5])
    """

    def __init__(self, input_dim, num_heads, ffn_dim, num_layers, depthwise_conv_kernel_size, dropout=0.0,
                 use_group_norm=False, convolution_first=False):
        super().__init__()
        self.conformer_layers = nn.ModuleList([
            _ConformerLayer(input_dim, ffn_dim, num_heads, depthwise_conv_kernel_size, dropout, use_group_norm,
                            convolution_first) for _ in range(num_layers)])

    def forward(self, input, lengths):
        padding_mask = ember.arange(input.shape[1], device=input.device)[None, :] >= lengths[:, None]
        x = input
        for layer in self.conformer_layers:
            x = layer(x, padding_mask)
        return x, lengths


def ctc_greedy_decode(emission, blank=0, lengths=None):
    """Best-path CTC decoding: the argmax label per frame, repeats merged, blanks removed.

    ``emission`` is ``(time, classes)`` or ``(batch, time, classes)`` scores; returns a list of label
    indices (a list of lists for a batch), each cut to its ``lengths`` entry when given.

    Example:
        >>> import ember
        >>> from emberaudio.models import ctc_greedy_decode
        >>> frames = ember.tensor([0, 1, 1, 0, 1, 2, 2, 0])
        >>> ctc_greedy_decode(ember.nn.functional.one_hot(frames, 3).float())
        [1, 1, 2]
    """
    if emission.ndim == 2:
        return ctc_greedy_decode(emission.unsqueeze(0), blank, lengths)[0]
    best = emission.argmax(-1).tolist()
    out = []
    for b, path in enumerate(best):
        if lengths is not None:
            path = path[:int(lengths[b])]
        labels, previous = [], None
        for p in path:
            if p != previous and p != blank:
                labels.append(p)
            previous = p
        out.append(labels)
    return out


class GreedyCTCDecoder(nn.Module):
    """Turn CTC emissions ``(time, classes)`` into text with best-path decoding over ``labels``.

    Example:
        >>> import ember
        >>> from emberaudio.models import GreedyCTCDecoder
        >>> decode = GreedyCTCDecoder(["-", "a", "b"], blank=0)
        >>> decode(ember.nn.functional.one_hot(ember.tensor([1, 1, 0, 1, 2]), 3).float())
        'aab'
    """

    def __init__(self, labels, blank=0, separator=""):
        super().__init__()
        self.labels, self.blank, self.separator = list(labels), blank, separator

    def forward(self, emission, lengths=None):
        decoded = ctc_greedy_decode(emission, self.blank, lengths)
        if emission.ndim == 2:
            return self.separator.join(self.labels[i] for i in decoded)
        return [self.separator.join(self.labels[i] for i in d) for d in decoded]
