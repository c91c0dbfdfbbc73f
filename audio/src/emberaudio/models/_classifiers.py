"""Keyword / sound classifiers: M5 on raw waveforms and a small CNN on log-mel spectrograms."""

from __future__ import annotations

from ember import nn

from .. import transforms as T

__all__ = ["M5", "MelCNN"]


def _conv_block(conv, channels, pool):
    return nn.Sequential(conv, nn.BatchNorm1d(channels) if isinstance(conv, nn.Conv1d) else nn.BatchNorm2d(channels),
                         nn.ReLU(), pool)


class M5(nn.Module):
    """The M5 raw-waveform CNN (Dai et al., 2017): a wide strided first convolution, then 3 small ones.

    Input ``(batch, n_input, time)``; output ``(batch, n_output)`` logits (use with cross-entropy).

    Example:
        >>> import ember, emberaudio
        >>> model = emberaudio.models.M5(n_input=1, n_output=5, stride=16, n_channel=8)
        >>> model(ember.randn(2, 1, 8000)).shape
        ember.Size([2, 5])
    """

    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        c = n_channel
        self.features = nn.Sequential(
            _conv_block(nn.Conv1d(n_input, c, kernel_size=80, stride=stride), c, nn.MaxPool1d(4)),
            _conv_block(nn.Conv1d(c, c, kernel_size=3), c, nn.MaxPool1d(4)),
            _conv_block(nn.Conv1d(c, 2 * c, kernel_size=3), 2 * c, nn.MaxPool1d(4)),
            _conv_block(nn.Conv1d(2 * c, 2 * c, kernel_size=3), 2 * c, nn.MaxPool1d(4)),
        )
        self.fc = nn.Linear(2 * c, n_output)

    def forward(self, x):
        return self.fc(self.features(x).mean(-1))


class MelCNN(nn.Module):
    """A small CNN on log-mel spectrograms: MelSpectrogram -> dB -> conv blocks -> global pool -> linear.

    Input waveforms ``(batch, 1, time)`` (or ``(batch, time)``); output ``(batch, n_classes)`` logits.
    Features are standardised per example, so the input level does not matter.

    Example:
        >>> import ember, emberaudio
        >>> model = emberaudio.models.MelCNN(n_classes=4, sample_rate=8000, n_mels=32, channels=(8, 16))
        >>> model(ember.randn(3, 1, 8000)).shape
        ember.Size([3, 4])
    """

    def __init__(self, n_classes, sample_rate=16000, n_fft=512, hop_length=None, n_mels=40, channels=(16, 32, 64),
                 dropout=0.1):
        super().__init__()
        hop_length = hop_length or n_fft // 4
        self.melspec = T.MelSpectrogram(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
        self.to_db = T.AmplitudeToDB("power", top_db=80.0)
        blocks, c_in = [], 1
        for c in channels:
            blocks.append(_conv_block(nn.Conv2d(c_in, c, kernel_size=3, padding=1), c, nn.MaxPool2d(2)))
            c_in = c
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c_in, n_classes)

    def forward(self, waveform):
        if waveform.ndim == 3:
            waveform = waveform.mean(1)  # mix channels down
        x = self.to_db(self.melspec(waveform))  # (batch, n_mels, frames)
        mean = x.mean(dim=(-2, -1), keepdim=True)
        std = x.std(dim=(-2, -1), keepdim=True) + 1e-5
        x = self.features(((x - mean) / std).unsqueeze(1))
        return self.fc(self.dropout(x.mean(dim=(-2, -1))))
