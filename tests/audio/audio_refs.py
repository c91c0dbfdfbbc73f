"""Numpy implementations of torchaudio's documented formulas, shared by the audio tests."""

import math

import numpy as np


# --- numpy references ----------------------------------------------------------------------------
def np_stft_power(x, n_fft, hop, window, power=2.0):
    x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode="reflect")
    T = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[..., t * hop:t * hop + n_fft] * window for t in range(T)], -2)
    return np.swapaxes(np.abs(np.fft.rfft(frames)) ** power, -1, -2)


def np_hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def np_mel(f, scale):
    if scale == "htk":
        return 2595 * math.log10(1 + f / 700)
    return f / (200 / 3) if f < 1000 else 15 + math.log(f / 1000) / (math.log(6.4) / 27)


def np_mel_inv(m, scale):
    if scale == "htk":
        return 700 * (10 ** (m / 2595) - 1)
    return m * 200 / 3 if m < 15 else 1000 * math.exp((m - 15) * math.log(6.4) / 27)


def np_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, scale):
    freqs = np.linspace(0, sr // 2, n_freqs)
    mels = np.linspace(np_mel(f_min, scale), np_mel(f_max, scale), n_mels + 2)
    corners = [np_mel_inv(m, scale) for m in mels]
    fb = np.zeros((n_freqs, n_mels))
    for m in range(n_mels):
        lo, mid, hi = corners[m:m + 3]
        for i, f in enumerate(freqs):
            if lo <= f <= mid:
                fb[i, m] = (f - lo) / (mid - lo)
            elif mid < f <= hi:
                fb[i, m] = (hi - f) / (hi - mid)
        if norm == "slaney":
            fb[:, m] *= 2 / (hi - lo)
    return fb


def np_resample(x, orig, new, width_zc=6, rolloff=0.99, kaiser_beta=None):
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * rolloff
    width = math.ceil(width_zc * orig / base)
    n_out = math.ceil(new * x.shape[-1] / orig)
    out = np.zeros(x.shape[:-1] + (n_out,))
    for j in range(n_out):
        f, p = divmod(j, new)
        for i in range(f * orig - width, f * orig + orig + width):
            if 0 <= i < x.shape[-1]:
                t = np.clip((i / orig - j / new) * base, -width_zc, width_zc)
                if kaiser_beta is None:
                    w = math.cos(t * math.pi / width_zc / 2) ** 2
                else:
                    w = np.i0(kaiser_beta * math.sqrt(1 - (t / width_zc) ** 2)) / np.i0(kaiser_beta)
                s = 1.0 if t == 0 else math.sin(math.pi * t) / (math.pi * t)
                out[..., j] += x[..., i] * s * w * base / orig
    return out


def np_deltas(x, win_length):
    n = (win_length - 1) // 2
    p = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n, n)], mode="edge")
    T = x.shape[-1]
    num = sum(k * (p[..., n + k:n + k + T] - p[..., n - k:n - k + T]) for k in range(1, n + 1))
    return num / (2 * sum(k * k for k in range(1, n + 1)))


def np_lfilter(x, a, b):
    y = np.zeros_like(x)
    for t in range(x.shape[-1]):
        acc = sum(b[k] * x[..., t - k] for k in range(len(b)) if t - k >= 0)
        acc = acc - sum(a[k] * y[..., t - k] for k in range(1, len(a)) if t - k >= 0)
        y[..., t] = acc / a[0]
    return y
