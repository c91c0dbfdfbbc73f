"""Spectrograms, mel filter banks, the DCT, decibels, phase recovery and spectrogram masking."""

from __future__ import annotations

import math
import warnings

import numpy as np

import ember
import ember.nn.functional as F

__all__ = [
    "spectrogram", "inverse_spectrogram", "griffinlim", "melscale_fbanks", "linear_fbanks", "create_dct",
    "amplitude_to_DB", "DB_to_amplitude", "mask_along_axis", "mask_along_axis_iid",
]


def _norms(normalized):
    """``(frame_length_norm, window_norm)`` from torchaudio's ``normalized`` (bool, "window" or "frame_length")."""
    if normalized is True or normalized == "window":
        return False, True
    if normalized == "frame_length":
        return True, False
    if normalized is False:
        return False, False
    raise ValueError(f"normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")


def _power(spec, power):
    """``|spec| ** power``; power 2 is computed as ``re^2 + im^2`` (exact gradients at 0)."""
    sq = ember.real(spec) ** 2 + ember.imag(spec) ** 2
    if power == 2.0:
        return sq
    if power == 1.0:
        return spec.abs()
    return sq ** (power / 2)


def spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center=True,
                pad_mode="reflect", onesided=True, return_complex=None):
    """The (power) spectrogram of ``(..., time)``: ``(..., n_fft // 2 + 1, frames)``.

    ``power=None`` returns the complex STFT; otherwise ``|STFT| ** power``. ``normalized=True``
    (or ``"window"``) divides by the window's L2 norm, ``"frame_length"`` by ``sqrt(n_fft)``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> x = ember.ones(1, 64)
        >>> AF.spectrogram(x, 0, ember.hann_window(16), 16, 4, 16, 2.0, False).shape
        ember.Size([1, 9, 17])
    """
    if pad > 0:
        waveform = F.pad(waveform, (pad, pad), "constant")
    frame_norm, window_norm = _norms(normalized)
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft, hop_length, win_length, window, center, pad_mode,
                      frame_norm, onesided, return_complex=True)
    spec = spec.reshape(*shape[:-1], *spec.shape[-2:])
    if window_norm:
        spec = spec / (window * window).sum().sqrt()
    return spec if power is None else _power(spec, power)


def inverse_spectrogram(spectrogram, length, pad, window, n_fft, hop_length, win_length, normalized, center=True,
                        pad_mode="reflect", onesided=True):
    """The waveform of a complex spectrogram ``(..., freq, frames)`` (inverse of :func:`spectrogram` with power None).

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> x = ember.randn(1, 64); w = ember.hann_window(16)
        >>> s = AF.spectrogram(x, 0, w, 16, 4, 16, None, False)
        >>> y = AF.inverse_spectrogram(s, 64, 0, w, 16, 4, 16, False)
        >>> bool((y - x).abs().max() < 1e-5)
        True
    """
    if not spectrogram.is_complex():
        raise ValueError(f"inverse_spectrogram expects a complex spectrogram, got {spectrogram.dtype}")
    frame_norm, window_norm = _norms(normalized)
    if window_norm:
        spectrogram = spectrogram * (window * window).sum().sqrt()
    shape = spectrogram.shape
    out = ember.istft(spectrogram.reshape(-1, shape[-2], shape[-1]), n_fft, hop_length, win_length, window, center,
                      frame_norm, onesided, None if length is None else length + 2 * pad, return_complex=False)
    if length is not None and pad > 0:
        out = out[:, pad:pad + length]
    return out.reshape(*shape[:-2], out.shape[-1])


def griffinlim(specgram, window, n_fft, hop_length, win_length, power, n_iter, momentum, length, rand_init):
    """A waveform whose magnitude spectrogram approximates ``specgram``, by Griffin-Lim phase recovery.

    Each iteration takes the phase of the STFT of the current estimate (with the fast Griffin-Lim
    ``momentum``) and keeps the given magnitudes.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> spec = ember.ones(1, 9, 5)
        >>> AF.griffinlim(spec, ember.hann_window(16), 16, 4, 16, 2.0, 4, 0.99, None, False).shape
        ember.Size([1, 16])
    """
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in the range [0, 1), got {momentum}")
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    mag = specgram.reshape(-1, shape[-2], shape[-1]) ** (1 / power)
    if rand_init:
        phase = ember.rand(mag.shape, dtype=mag.dtype, device=mag.device) * (2 * math.pi)
        angles = _to_complex(ember.cos(phase)) + 1j * _to_complex(ember.sin(phase))  # random unit phases
    else:
        angles = _to_complex(ember.ones_like(mag))
    previous = None
    for _ in range(n_iter):
        wave = ember.istft(_to_complex(mag) * angles, n_fft, hop_length, win_length, window, length=length)
        rebuilt = ember.stft(wave, n_fft, hop_length, win_length, window, True, "reflect", False, True,
                             return_complex=True)
        angles = rebuilt if previous is None else rebuilt - previous * momentum
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    wave = ember.istft(_to_complex(mag) * angles, n_fft, hop_length, win_length, window, length=length)
    return wave.reshape(*shape[:-2], wave.shape[-1])


def _to_complex(x):
    return x.to(ember.complex128 if x.dtype is ember.float64 else ember.complex64)


# --- mel scale ---------------------------------------------------------------------------------
def _hz_to_mel(freq, mel_scale):
    if mel_scale == "htk":
        return 2595.0 * np.log10(1.0 + freq / 700.0)
    freq = np.asarray(freq, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = math.log(6.4) / 27.0
    linear = freq / f_sp
    return np.where(freq >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(freq, 1e-10) / min_log_hz) / logstep, linear)


def _mel_to_hz(mels, mel_scale):
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def _triangles(all_freqs, f_pts):
    """Triangular filters ``(n_freqs, n_filters)`` with corners at consecutive ``f_pts``."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """Triangular mel filter banks ``(n_freqs, n_mels)``: ``spec.T @ fb`` maps a spectrogram to mels.

    ``mel_scale`` is ``"htk"`` (``2595 log10(1 + f / 700)``) or ``"slaney"`` (linear below 1 kHz,
    logarithmic above); ``norm="slaney"`` divides each triangle by its width in Hz (equal area).

    Example:
        >>> import emberaudio.functional as AF
        >>> fb = AF.melscale_fbanks(201, 0.0, 8000.0, 40, 16000)
        >>> fb.shape, bool(fb.max() <= 1.0), bool((fb.sum(0) > 0).all())
        (ember.Size([201, 40]), True, True)
    """
    if norm not in (None, "slaney"):
        raise ValueError(f'norm must be one of None or "slaney", got {norm!r}')
    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f'mel_scale should be one of "htk" or "slaney", got {mel_scale!r}')
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale), n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangles(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    if (fb.max(axis=0) == 0.0).any():
        warnings.warn(f"At least one mel filterbank has all zero values. The value for `n_mels` ({n_mels}) may be set "
                      f"too high. Or, the value for `n_freqs` ({n_freqs}) may be set too low.", UserWarning, stacklevel=2)
    return ember.tensor(fb, dtype=ember.float32)


def linear_fbanks(n_freqs, f_min, f_max, n_filter, sample_rate):
    """Triangular filter banks ``(n_freqs, n_filter)`` equally spaced in Hz (used by LFCC).

    Example:
        >>> import emberaudio.functional as AF
        >>> AF.linear_fbanks(201, 0.0, 8000.0, 20, 16000).shape
        ember.Size([201, 20])
    """
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    return ember.tensor(_triangles(all_freqs, np.linspace(f_min, f_max, n_filter + 2)), dtype=ember.float32)


def create_dct(n_mfcc, n_mels, norm):
    """The DCT-II matrix ``(n_mels, n_mfcc)`` (``norm="ortho"`` or None), applied as ``x @ dct``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> d = AF.create_dct(4, 4, "ortho")
        >>> bool(((d.T @ d) - ember.eye(4)).abs().max() < 1e-6)
        True
    """
    if norm not in (None, "ortho"):
        raise ValueError(f'norm must be either "ortho" or None, got {norm!r}')
    n = np.arange(n_mels, dtype=np.float64)
    k = np.arange(n_mfcc, dtype=np.float64)[:, None]
    dct = np.cos(math.pi / n_mels * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / n_mels)
    return ember.tensor(dct.T, dtype=ember.float32)


# --- decibels ----------------------------------------------------------------------------------
def amplitude_to_DB(x, multiplier, amin, db_multiplier, top_db=None):
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, floored at ``max - top_db``.

    The ``top_db`` floor is taken per spectrogram (over the last three dims of a batch).

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.amplitude_to_DB(ember.tensor([[1.0, 0.1, 1e-12]]), 10.0, 1e-10, 0.0, top_db=80.0)
        tensor([[  0., -10., -80.]])
    """
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    if db_multiplier:
        x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.ndim > 2 else 1
        packed = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (packed.amax(dim=(-3, -2, -1)) - top_db).reshape(-1, 1, 1, 1)
        x_db = ember.maximum(packed, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x, ref, power):
    """The inverse of :func:`amplitude_to_DB`: ``ref * (10 ** (x / 10)) ** power``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.DB_to_amplitude(ember.tensor([0.0, 20.0]), 1.0, 0.5)
        tensor([ 1., 10.])
    """
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


# --- masking (SpecAugment) ------------------------------------------------------------------
def _mask_param(mask_param, p, axis_length):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _range_mask(starts, ends, size, device):
    """Boolean ``(..., size)``: True where ``starts <= i < ends``."""
    i = ember.arange(size, device=device)
    return (i >= starts) & (i < ends)


def mask_along_axis(specgram, mask_param, mask_value, axis, p=1.0):
    """Set one random band of up to ``mask_param`` rows (``axis=dim-2``) or columns (``dim-1``) to ``mask_value``.

    The band width is uniform in ``[0, mask_param)`` and the same band is used for every spectrogram
    in the batch.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> out = AF.mask_along_axis(ember.ones(1, 8, 10), 4, 0.0, 2)
        >>> out.shape, bool((out == 0).any(1).sum() < 4)
        (ember.Size([1, 8, 10]), True)
    """
    dim = specgram.ndim
    if dim < 2:
        raise ValueError(f"Spectrogram must have at least two dimensions ({dim} given).")
    axis = axis % dim
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"Only Frequency and Time masking are supported (axis {dim - 2} and axis {dim - 1} supported; {axis} given).")
    size = specgram.shape[axis]
    mask_param = _mask_param(mask_param, p, size)
    if mask_param < 1:
        return specgram
    value = float(ember.rand(1)) * mask_param
    start = int(float(ember.rand(1)) * (size - value))
    mask = _range_mask(start, start + int(value), size, specgram.device)
    if axis == dim - 2:
        mask = mask.unsqueeze(-1)
    return specgram.masked_fill(mask, mask_value)


def mask_along_axis_iid(specgrams, mask_param, mask_value, axis, p=1.0):
    """Like :func:`mask_along_axis` on ``(batch, channel, freq, time)``, with an independent band per example.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.mask_along_axis_iid(ember.ones(3, 1, 8, 10), 4, 0.0, 3).shape
        ember.Size([3, 1, 8, 10])
    """
    dim = specgrams.ndim
    if dim < 3:
        raise ValueError(f"Spectrogram must have at least three dimensions ({dim} given).")
    axis = axis % dim
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"Only Frequency and Time masking are supported (axis {dim - 2} and axis {dim - 1} supported; {axis} given).")
    size = specgrams.shape[axis]
    mask_param = _mask_param(mask_param, p, size)
    if mask_param < 1:
        return specgrams
    lead = specgrams.shape[:dim - 2]
    value = ember.rand(lead, device=specgrams.device) * mask_param
    start = (ember.rand(lead, device=specgrams.device) * (size - value)).long()
    end = start + value.long()
    mask = _range_mask(start[..., None], end[..., None], size, specgrams.device)  # (..., size)
    mask = mask.unsqueeze(-1) if axis == dim - 2 else mask.unsqueeze(-2)
    return specgrams.masked_fill(mask, mask_value)
