"""Short-time Fourier transforms and window functions: ``ember.stft``, ``ember.istft``, ``ember.hann_window`` ...

Everything here is composed from :mod:`ember.fft` and ordinary ops (framing with ``unfold``,
overlap-add with shifted sums), so gradients and double backward come for free.
"""

from __future__ import annotations

import math
import warnings

import numpy as _np

from .. import _dtype
from ._registry import export

# --- windows -----------------------------------------------------------------------------------
# Each window is a function of the symmetric grid phase = 2 pi n / (N - 1), n = 0 .. N - 1 (host, float64).
_COSINE_SUMS = {
    "hann": (0.5, 0.5),
    "blackman": (0.42, 0.5, 0.08),
}


def _cosine_sum(coefficients, n, N):
    phase = 2 * math.pi * n / (N - 1)
    return sum((-1) ** k * a * _np.cos(k * phase) for k, a in enumerate(coefficients))


def _window(name, window_length, periodic, values, dtype, device, requires_grad):
    """A window tensor: ``values(n, N)`` on the symmetric grid of ``N`` points (one more when periodic)."""
    from .._creation import ones, tensor

    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dtype = dtype or _dtype.get_default_dtype()
    if dtype.category != 2:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    if window_length <= 1:
        return ones(window_length, dtype=dtype, device=device).requires_grad_(requires_grad)
    N = window_length + 1 if periodic else window_length
    w = values(_np.arange(window_length, dtype=_np.float64), N)
    return tensor(w, dtype=dtype, device=device, requires_grad=requires_grad)


@export(method=False)
def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))`` (``N = window_length + 1`` when periodic).

    Example:
        >>> import ember
        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, lambda n, N: _cosine_sum(_COSINE_SUMS["hann"], n, N),
                   dtype, device, requires_grad)


@export(method=False)
def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """The Hamming window ``alpha - beta cos(2 pi n / (N - 1))``.

    Example:
        >>> import ember
        >>> ember.hamming_window(4)
        tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    return _window("hamming_window", window_length, periodic, lambda n, N: _cosine_sum((alpha, beta), n, N),
                   dtype, device, requires_grad)


@export(method=False)
def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    Example:
        >>> import ember
        >>> ember.blackman_window(4)[1:]
        tensor([0.3400, 1.0000, 0.3400])
    """
    return _window("blackman_window", window_length, periodic, lambda n, N: _cosine_sum(_COSINE_SUMS["blackman"], n, N),
                   dtype, device, requires_grad)


@export(method=False)
def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular Bartlett window ``1 - |2 n / (N - 1) - 1|``.

    Example:
        >>> import ember
        >>> ember.bartlett_window(5)
        tensor([0.0000, 0.4000, 0.8000, 0.8000, 0.4000])
    """
    return _window("bartlett_window", window_length, periodic, lambda n, N: 1 - _np.abs(2 * n / (N - 1) - 1),
                   dtype, device, requires_grad)


@export(method=False)
def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (N - 1) - 1)^2)) / I0(beta)``.

    Example:
        >>> import ember
        >>> ember.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    def values(n, N):
        r = 2 * n / (N - 1) - 1
        return _np.i0(beta * _np.sqrt(_np.clip(1 - r * r, 0, None))) / _np.i0(beta)

    return _window("kaiser_window", window_length, periodic, values, dtype, device, requires_grad)


# --- framing and overlap-add ------------------------------------------------------------------
def _overlap_add(frames, hop):
    """Sum frames ``(..., T, n)`` placed every ``hop`` samples: ``(..., n + hop * (T - 1))``.

    Each frame is cut into ``K = ceil(n / hop)`` hop-long chunks; chunk ``k`` of frame ``t`` lands in
    output block ``t + k``, so the result is ``K`` shifted sums.
    """
    from ..nn.functional import pad

    *lead, T, n = frames.shape
    K = -(-n // hop)
    chunks = pad(frames, (0, K * hop - n)).reshape(*lead, T, K, hop)
    out = None
    for k in range(K):
        part = pad(chunks.select(-2, k), (0, 0, k, K - 1 - k))
        out = part if out is None else out + part
    return out.reshape(*lead, (T + K - 1) * hop).narrow(-1, 0, n + hop * (T - 1))


def _full_window(window, win_length, n_fft, op, like):
    """The analysis window as ``n_fft`` points, zero-padded on both sides when shorter (as torch)."""
    from ..nn.functional import pad

    if window is None:
        return None
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length={win_length}, "
                           f"but got window with size {list(window.shape)}")
    if window._device != like._device:
        raise RuntimeError(f"{op}: window is on {window.device} but input is on {like.device}")
    left = (n_fft - win_length) // 2
    return pad(window, (left, n_fft - win_length - left)) if win_length < n_fft else window


def _sizes(op, n_fft, hop_length, win_length, length):
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not 0 < n_fft <= length:
        raise RuntimeError(f"{op}: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got win_length={win}")
    return hop, win


def _view_as_real(z):
    from .elementwise import imag, real
    from .join import stack

    return stack([real(z), imag(z)], -1)


@export()
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The short-time Fourier transform: ``(..., n_fft // 2 + 1, frames)`` complex coefficients.

    Frames of ``n_fft`` samples every ``hop_length`` (default ``n_fft // 4``) are multiplied by
    ``window`` (``win_length`` points, zero-padded to ``n_fft`` in the middle; default rectangular)
    and transformed. ``center`` pads ``n_fft // 2`` samples on both sides with ``pad_mode`` first.
    ``normalized`` scales by ``n_fft ** -0.5``. Real input needs ``return_complex`` (as torch).

    Example:
        >>> import ember
        >>> x = ember.sin(ember.arange(64.0))
        >>> ember.stft(x, 16, window=ember.hann_window(16), return_complex=True).shape
        ember.Size([9, 17])
    """
    from .. import fft
    from ..nn.functional import pad

    op = "stft"
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: expected a 1D or 2D tensor, but got a {input.ndim}D tensor of shape {list(input.shape)}")
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied, which is known to cause "
                      "spectral leakage. To suppress this warning and use a rectangular window, explicitly set "
                      "`window=ember.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if x.dtype.category < 2:
        x = x.to(_dtype.get_default_dtype())
    if center:
        half = n_fft // 2
        x = pad(x.unsqueeze(1), (half, half), mode=pad_mode).squeeze(1)
    hop, win = _sizes(op, n_fft, hop_length, win_length, x.shape[-1])
    frames = x.unfold(-1, n_fft, hop)  # (B, T, n_fft)
    w = _full_window(window, win, n_fft, op, x)
    if w is not None:
        frames = frames * w
    onesided = (not complex_in) if onesided is None else onesided
    if onesided and complex_in:
        raise RuntimeError(f"{op}: Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = (fft.rfft if onesided else fft.fft)(frames, dim=-1, norm=norm).transpose(-1, -2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if return_complex:
        return spec
    warnings.warn("stft with return_complex=False is deprecated: it returns the real and imaginary parts in a "
                  "last dimension of size 2.", UserWarning, stacklevel=2)
    return _view_as_real(spec)


@export()
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False, onesided=None,
          length=None, return_complex=False):
    """The inverse of :func:`stft`: windowed overlap-add of the inverse transforms, divided by the window envelope.

    Example:
        >>> import ember
        >>> x = ember.sin(ember.arange(64.0)); w = ember.hann_window(16)
        >>> y = ember.istft(ember.stft(x, 16, window=w, return_complex=True), 16, window=w, length=64)
        >>> bool((y - x).abs().max() < 1e-5)
        True
    """
    from .. import fft
    from .._creation import ones
    from .elementwise import real

    op = "istft"
    if not input.is_complex():
        raise RuntimeError(f"{op} requires a complex-valued input tensor, but got {input.dtype}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a tensor with 2 or 3 dimensions of complex dtype, but got shape {list(input.shape)}")
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[-2:]
    hop, win = _sizes(op, n_fft, hop_length, win_length, n_fft)
    onesided = (n_freq != n_fft) if onesided is None else onesided
    expected = n_fft // 2 + 1 if onesided else n_fft
    if n_freq != expected:
        raise RuntimeError(f"{op}: expected the frequency dimension (second to last) of the input to be {expected} "
                           f"(n_fft={n_fft}, onesided={onesided}), but got {n_freq}")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied. Please provide the same "
                      "window used by stft to make the inversion lossless.", UserWarning, stacklevel=2)
    w = _full_window(window, win, n_fft, op, spec)
    norm = "ortho" if normalized else "backward"
    cols = spec.transpose(-1, -2)  # (B, T, freq)
    if onesided:
        if return_complex:
            raise RuntimeError(f"{op}: cannot have onesided output if return_complex=True")
        frames = fft.irfft(cols, n=n_fft, dim=-1, norm=norm)
    else:
        frames = fft.ifft(cols, n=n_fft, dim=-1, norm=norm)
        if not return_complex:
            frames = real(frames)
    if w is None:
        w = ones(n_fft, dtype=frames.dtype if not frames.is_complex() else real(frames).dtype, device=frames.device)
    signal = _overlap_add(frames * w, hop)
    envelope = _overlap_add((w * w).detach().expand(n_frames, n_fft), hop)
    start = n_fft // 2 if center else 0
    total = signal.shape[-1]
    end = total - (n_fft // 2 if center else 0) if length is None else min(start + length, total)
    signal = signal.narrow(-1, start, end - start)
    envelope = envelope.narrow(-1, start, end - start)
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError(f"{op}: window overlap add min: the window envelope is zero somewhere (n_fft={n_fft}, "
                           f"hop_length={hop}, win_length={win}); choose a window and hop that overlap everywhere")
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        from ..nn.functional import pad

        signal = pad(signal, (0, length - signal.shape[-1]))
    return signal if input.ndim == 3 else signal.squeeze(0)


__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "stft", "istft"]
