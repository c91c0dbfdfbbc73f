"""Waveform processing: resampling, mu-law companding, deltas, emphasis, IIR filters, gain."""

from __future__ import annotations

import math

import numpy as np

import ember
import ember.nn.functional as F
from ember.autograd import Op
from ember._tensor import apply

__all__ = [
    "resample", "mu_law_encoding", "mu_law_decoding", "compute_deltas", "preemphasis", "deemphasis", "lfilter",
    "biquad", "lowpass_biquad", "highpass_biquad", "gain",
]


# --- resampling ---------------------------------------------------------------------------------
def _sinc_resample_kernel(orig, new, lowpass_filter_width, rolloff, method, beta):
    """Polyphase windowed-sinc kernels ``(new, 2 * width + orig)`` and ``width`` (host, float64).

    Output sample ``j`` (at input time ``j * orig / new``) is ``sum_i x[i] k(i / orig - j / new)`` with
    ``k(t) = s sinc(pi b t) w(b t)``, ``b = min(orig, new) * rolloff``, ``s = b / orig``, ``w`` a Hann
    or Kaiser window reaching zero at ``+-lowpass_filter_width`` zero crossings.
    """
    if method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {method}")
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    idx = np.arange(-width, width + orig, dtype=np.float64)[None, :] / orig
    t = (-np.arange(new, dtype=np.float64)[:, None] / new + idx) * base
    t = np.clip(t, -lowpass_filter_width, lowpass_filter_width)
    if method == "sinc_interp_hann":
        window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = 14.769656459379492 if beta is None else beta
        window = np.i0(beta * np.sqrt(1 - (t / lowpass_filter_width) ** 2)) / np.i0(beta)
    t = t * math.pi
    with np.errstate(divide="ignore", invalid="ignore"):
        sinc = np.where(t == 0, 1.0, np.sin(t) / t)
    return sinc * window * (base / orig), width


def _apply_resample_kernel(waveform, orig, new, kernel, width):
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    length = x.shape[-1]
    x = F.pad(x, (width, width + orig))
    out = F.conv1d(x.unsqueeze(1), kernel.unsqueeze(1), stride=orig)  # (N, new, frames)
    out = out.transpose(1, 2).reshape(x.shape[0], -1)
    target = math.ceil(new * length / orig)
    return out[..., :target].reshape(*shape[:-1], target)


def resample(waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99, resampling_method="sinc_interp_hann",
             beta=None):
    """Resample ``(..., time)`` from ``orig_freq`` to ``new_freq`` with a band-limited windowed-sinc filter.

    The output has ``ceil(new_freq * time / orig_freq)`` samples. ``rolloff`` sets the cutoff as a
    fraction of the lower Nyquist rate; ``lowpass_filter_width`` the number of sinc zero crossings
    on each side; ``resampling_method`` is ``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"`` (``beta``).

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.resample(ember.ones(1, 160), 16000, 8000).shape
        ember.Size([1, 80])
    """
    if orig_freq <= 0 or new_freq <= 0:
        raise ValueError(f"Original frequency and desired frequency should be positive (got {orig_freq}, {new_freq})")
    if orig_freq == new_freq:
        return waveform
    g = math.gcd(int(orig_freq), int(new_freq))
    orig, new = int(orig_freq) // g, int(new_freq) // g
    k, width = _sinc_resample_kernel(orig, new, lowpass_filter_width, rolloff, resampling_method, beta)
    kernel = ember.tensor(k, dtype=waveform.dtype, device=waveform.device)
    return _apply_resample_kernel(waveform, orig, new, kernel, width)


# --- mu-law ------------------------------------------------------------------------------------
def mu_law_encoding(x, quantization_channels):
    """Mu-law compand ``x`` in ``[-1, 1]`` to integers in ``[0, quantization_channels)``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.mu_law_encoding(ember.tensor([-1.0, 0.0, 1.0]), 256)
        tensor([  0, 128, 255])
    """
    mu = quantization_channels - 1.0
    if not x.is_floating_point():
        x = x.to(ember.float32)
    x_mu = ember.sign(x) * ember.log1p(mu * x.abs()) / math.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu, quantization_channels):
    """The inverse of :func:`mu_law_encoding`: integers to values in ``[-1, 1]``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.mu_law_decoding(ember.tensor([0, 255]), 256)
        tensor([-1.,  1.])
    """
    mu = quantization_channels - 1.0
    if not x_mu.is_floating_point():
        x_mu = x_mu.to(ember.float32)
    x = x_mu / mu * 2 - 1.0
    return ember.sign(x) * (ember.exp(x.abs() * math.log1p(mu)) - 1.0) / mu


# --- deltas and emphasis -------------------------------------------------------------------------
def compute_deltas(specgram, win_length=5, mode="replicate"):
    """Delta coefficients along time: ``sum_n n (c[t+n] - c[t-n]) / (2 sum_n n^2)``, edges padded by ``mode``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.compute_deltas(ember.arange(6.0).reshape(1, 6), win_length=3)
        tensor([[0.5000, 1.0000, 1.0000, 1.0000, 1.0000, 0.5000]])
    """
    if win_length < 3:
        raise ValueError(f"Window length should be greater than or equal to 3, got {win_length}")
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    shape = specgram.shape
    x = F.pad(specgram.reshape(1, -1, shape[-1]), (n, n), mode=mode)
    weights = ember.arange(-n, n + 1, dtype=x.dtype, device=x.device)
    out = (x.unfold(-1, 2 * n + 1, 1) * weights).sum(-1) / denom
    return out.reshape(shape)


def preemphasis(waveform, coeff=0.97):
    """``y[t] = x[t] - coeff * x[t - 1]`` (``y[0] = x[0]``) to boost high frequencies.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.preemphasis(ember.tensor([1.0, 1.0, 1.0]), 0.5)
        tensor([1.0000, 0.5000, 0.5000])
    """
    return ember.cat([waveform[..., :1], waveform[..., 1:] - coeff * waveform[..., :-1]], -1)


def deemphasis(waveform, coeff=0.97):
    """The inverse of :func:`preemphasis`: ``y[t] = x[t] + coeff * y[t - 1]`` (then clamped to [-1, 1]).

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.deemphasis(ember.tensor([0.5, 0.25, 0.25]), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    return lfilter(waveform, [1.0, -coeff], [1.0, 0.0])


# --- IIR filters ---------------------------------------------------------------------------------
class AllPole(Op):
    """``y[t] = x[t] - sum_k a[k] y[t - 1 - k]`` along the last dim (a sequential recursion, run on the host).

    Its adjoint is the same recursion run backwards in time, so backward is this op on the flipped gradient.
    """

    def forward(self, be, x, a):
        self.a = a
        host = be.to_host(x)
        y = np.array(host, copy=True)
        p = len(a)
        for t in range(1, y.shape[-1]):
            acc = y[..., t]
            for k in range(min(p, t)):
                acc = acc - a[k] * y[..., t - 1 - k]
            y[..., t] = acc
        return be.from_host(y, be.index_of(x))

    def backward(self, g):
        return (apply(AllPole, (g.flip(-1),), self.a).flip(-1),)


def lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    """The IIR filter ``sum_k a[k] y[t - k] = sum_k b[k] x[t - k]`` along the last dim (``a[0]`` normalises).

    Coefficients are sequences of numbers or 1-D tensors (gradients flow to ``waveform`` only).
    ``clamp`` clips the output to ``[-1, 1]``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.lfilter(ember.tensor([1.0, 0.0, 0.0, 0.0]), [1.0, -0.5], [1.0, 0.0])
        tensor([1.0000, 0.5000, 0.2500, 0.1250])
    """
    a = [float(v) for v in (a_coeffs.tolist() if isinstance(a_coeffs, ember.Tensor) else a_coeffs)]
    b = [float(v) for v in (b_coeffs.tolist() if isinstance(b_coeffs, ember.Tensor) else b_coeffs)]
    if len(a) != len(b) or not a:
        raise ValueError(f"lfilter: a_coeffs and b_coeffs must have the same non-zero length, got {len(a)} and {len(b)}")
    if a[0] == 0:
        raise ValueError("lfilter: a_coeffs[0] must be non-zero")
    a0 = a[0]
    T = waveform.shape[-1]
    fir = None
    for k, bk in enumerate(b):  # the moving-average part: shifted copies, composed from ordinary ops
        if bk == 0 or k >= T:
            continue
        term = F.pad(waveform[..., :T - k], (k, 0)) * (bk / a0) if k else waveform * (bk / a0)
        fir = term if fir is None else fir + term
    y = fir if fir is not None else waveform * 0.0
    poles = [v / a0 for v in a[1:]]
    if any(poles):
        y = apply(AllPole, (y,), poles)
    return ember.clamp(y, -1.0, 1.0) if clamp else y


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    """A second-order IIR filter: :func:`lfilter` with ``[a0, a1, a2]`` and ``[b0, b1, b2]``.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.biquad(ember.tensor([1.0, 0.0, 0.0]), 1.0, 0.0, 0.0, 1.0, -0.5, 0.0)
        tensor([1.0000, 0.5000, 0.2500])
    """
    return lfilter(waveform, [a0, a1, a2], [b0, b1, b2])


def _biquad_terms(sample_rate, cutoff_freq, Q):
    w0 = 2 * math.pi * cutoff_freq / sample_rate
    return math.cos(w0), math.sin(w0) / 2 / Q


def lowpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    """A two-pole low-pass filter (audio EQ cookbook) with corner ``cutoff_freq`` Hz.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> y = AF.lowpass_biquad(ember.ones(1, 400) * 0.5, 8000, 1000)
        >>> round(float(y[0, -1]), 3)
        0.5
    """
    c, alpha = _biquad_terms(sample_rate, cutoff_freq, Q)
    return biquad(waveform, (1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha)


def highpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    """A two-pole high-pass filter (audio EQ cookbook) with corner ``cutoff_freq`` Hz.

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> y = AF.highpass_biquad(ember.ones(1, 400) * 0.5, 8000, 1000)
        >>> abs(round(float(y[0, -1]), 3))
        0.0
    """
    c, alpha = _biquad_terms(sample_rate, cutoff_freq, Q)
    return biquad(waveform, (1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha)


def gain(waveform, gain_db=1.0):
    """Scale the waveform by ``gain_db`` decibels (``10 ** (gain_db / 20)``).

    Example:
        >>> import ember, emberaudio.functional as AF
        >>> AF.gain(ember.tensor([0.1]), 20.0)
        tensor([1.])
    """
    if gain_db == 0:
        return waveform
    return waveform * (10 ** (gain_db / 20))
