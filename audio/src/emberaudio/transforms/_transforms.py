"""Audio transforms as ``nn.Module`` s, like ``torchaudio.transforms``: each wraps a function of
:mod:`emberaudio.functional` with its settings (windows, filter banks and kernels kept as buffers)."""

from __future__ import annotations

import math

import ember
from ember import nn

from .. import functional as AF

__all__ = [
    "Spectrogram", "InverseSpectrogram", "GriffinLim", "MelScale", "InverseMelScale", "MelSpectrogram", "MFCC", "LFCC", "AmplitudeToDB",
    "Resample", "FrequencyMasking", "TimeMasking", "Vol", "Fade", "MuLawEncoding", "MuLawDecoding", "ComputeDeltas",
    "Preemphasis", "Deemphasis",
]


def _window(window_fn, win_length, wkwargs):
    return window_fn(win_length) if wkwargs is None else window_fn(win_length, **wkwargs)


class Spectrogram(nn.Module):
    """The (power) spectrogram of a waveform ``(..., time) -> (..., n_fft // 2 + 1, frames)``.

    ``win_length`` defaults to ``n_fft`` and ``hop_length`` to ``win_length // 2``; ``power=None``
    gives the complex STFT.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Spectrogram(n_fft=400)(ember.randn(1, 16000)).shape
        ember.Size([1, 201, 81])
    """

    def __init__(self, n_fft=400, win_length=None, hop_length=None, pad=0, window_fn=ember.hann_window, power=2.0,
                 normalized=False, wkwargs=None, center=True, pad_mode="reflect", onesided=True, return_complex=None):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.pad, self.power, self.normalized = pad, power, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def forward(self, waveform):
        return AF.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length, self.win_length, self.power,
                              self.normalized, self.center, self.pad_mode, self.onesided)


class InverseSpectrogram(nn.Module):
    """The waveform of a complex spectrogram ``(..., freq, frames) -> (..., time)``.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> x = ember.randn(1, 1600)
        >>> spec = T.Spectrogram(n_fft=128, power=None)(x)
        >>> bool((T.InverseSpectrogram(n_fft=128)(spec, 1600) - x).abs().max() < 1e-4)
        True
    """

    def __init__(self, n_fft=400, win_length=None, hop_length=None, pad=0, window_fn=ember.hann_window,
                 normalized=False, wkwargs=None, center=True, pad_mode="reflect", onesided=True):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.pad, self.normalized, self.center, self.pad_mode, self.onesided = pad, normalized, center, pad_mode, onesided

    def forward(self, spectrogram, length=None):
        return AF.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft, self.hop_length,
                                      self.win_length, self.normalized, self.center, self.pad_mode, self.onesided)


class GriffinLim(nn.Module):
    """A waveform from a magnitude spectrogram by Griffin-Lim phase recovery (``n_iter`` iterations).

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> spec = T.Spectrogram(n_fft=64)(ember.randn(1, 640))
        >>> T.GriffinLim(n_fft=64, n_iter=4, length=640)(spec).shape
        ember.Size([1, 640])
    """

    def __init__(self, n_fft=400, n_iter=32, win_length=None, hop_length=None, window_fn=ember.hann_window, power=2.0,
                 wkwargs=None, momentum=0.99, length=None, rand_init=True):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
        self.n_fft, self.n_iter = n_fft, n_iter
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.power, self.momentum, self.length, self.rand_init = power, momentum, length, rand_init

    def forward(self, specgram):
        return AF.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length, self.power,
                             self.n_iter, self.momentum, self.length, self.rand_init)


class MelScale(nn.Module):
    """Map a spectrogram ``(..., n_stft, frames)`` to ``(..., n_mels, frames)`` with triangular mel filters.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.MelScale(n_mels=40, sample_rate=16000, n_stft=201)(ember.ones(201, 5)).shape
        ember.Size([40, 5])
    """

    def __init__(self, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, n_stft=201, norm=None, mel_scale="htk"):
        super().__init__()
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min, self.norm, self.mel_scale = f_min, norm, mel_scale
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        self.register_buffer("fb", AF.melscale_fbanks(n_stft, f_min, self.f_max, n_mels, sample_rate, norm, mel_scale))

    def forward(self, specgram):
        return ember.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)


class InverseMelScale(nn.Module):
    """Estimate a linear-frequency spectrogram ``(..., n_stft, frames)`` from a mel one by least squares.

    Solves ``fb.T @ spec = melspec`` (minimum-norm solution, via ``ember.linalg.lstsq``) and clamps
    the result at zero.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> mel = T.MelScale(n_mels=16, sample_rate=8000, n_stft=65)(ember.rand(65, 4))
        >>> T.InverseMelScale(n_stft=65, n_mels=16, sample_rate=8000)(mel).shape
        ember.Size([65, 4])
    """

    def __init__(self, n_stft, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, norm=None, mel_scale="htk",
                 driver="gels"):
        super().__init__()
        self.n_mels, self.sample_rate, self.driver = n_mels, sample_rate, driver
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        self.register_buffer("fb", AF.melscale_fbanks(n_stft, f_min, self.f_max, n_mels, sample_rate, norm, mel_scale))

    def forward(self, melspec):
        shape = melspec.shape
        n_mels, frames = shape[-2:]
        if n_mels != self.n_mels:
            raise ValueError(f"InverseMelScale: expected {self.n_mels} mel bins, got {n_mels}")
        mel = melspec.reshape(-1, n_mels, frames)
        spec = ember.linalg.lstsq(self.fb.transpose(0, 1)[None].to(mel.dtype), mel).solution
        return ember.relu(spec).reshape(*shape[:-2], self.fb.shape[0], frames)


class MelSpectrogram(nn.Module):
    """The mel-scaled (power) spectrogram: :class:`Spectrogram` followed by :class:`MelScale`.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=64)(ember.randn(2, 16000)).shape
        ember.Size([2, 64, 101])
    """

    def __init__(self, sample_rate=16000, n_fft=400, win_length=None, hop_length=None, f_min=0.0, f_max=None, pad=0,
                 n_mels=128, window_fn=ember.hann_window, power=2.0, normalized=False, wkwargs=None, center=True,
                 pad_mode="reflect", onesided=None, norm=None, mel_scale="htk"):
        super().__init__()
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.spectrogram = Spectrogram(n_fft, win_length, hop_length, pad, window_fn, power, normalized, wkwargs,
                                       center, pad_mode, True)
        self.win_length, self.hop_length = self.spectrogram.win_length, self.spectrogram.hop_length
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm, mel_scale)

    def forward(self, waveform):
        return self.mel_scale(self.spectrogram(waveform))


class AmplitudeToDB(nn.Module):
    """Decibels: ``10 log10`` of power (``stype="power"``) or ``20 log10`` of magnitude, floored at ``max - top_db``.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.AmplitudeToDB(stype="magnitude")(ember.tensor([1.0, 0.1]))
        tensor([  0., -20.])
    """

    def __init__(self, stype="power", top_db=None):
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ValueError(f"stype must be 'power' or 'magnitude', got {stype!r}")
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin, self.ref_value = 1e-10, 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x):
        return AF.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class _Cepstrum(nn.Module):
    """Shared by MFCC and LFCC: a filter-bank spectrogram in decibels (or log), then a DCT."""

    def _cepstrum(self, fbank_spec):
        if self.log_x:
            fbank_spec = ember.log(fbank_spec + 1e-6)
        else:
            fbank_spec = self.amplitude_to_DB(fbank_spec)
        return ember.matmul(fbank_spec.transpose(-1, -2), self.dct_mat).transpose(-1, -2)

    def _setup(self, n_coefficients, n_filters, dct_type, norm, what):
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        if n_coefficients > n_filters:
            raise ValueError(f"Cannot select more {what} coefficients than # mel bins")
        self.dct_type, self.norm = dct_type, norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.register_buffer("dct_mat", AF.create_dct(n_coefficients, n_filters, norm))


class MFCC(_Cepstrum):
    """Mel-frequency cepstral coefficients ``(..., n_mfcc, frames)``: DCT-II of the dB (or log) mel spectrogram.

    ``melkwargs`` go to :class:`MelSpectrogram` (``n_mels`` defaults to 128).

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> mfcc = T.MFCC(sample_rate=16000, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 200, "n_mels": 40})
        >>> mfcc(ember.randn(1, 16000)).shape
        ember.Size([1, 13, 81])
    """

    def __init__(self, sample_rate=16000, n_mfcc=40, dct_type=2, norm="ortho", log_mels=False, melkwargs=None):
        super().__init__()
        self.sample_rate, self.n_mfcc, self.log_mels = sample_rate, n_mfcc, log_mels
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        self._setup(n_mfcc, self.MelSpectrogram.n_mels, dct_type, norm, "MFCC")

    @property
    def log_x(self):
        return self.log_mels

    def forward(self, waveform):
        return self._cepstrum(self.MelSpectrogram(waveform))


class LFCC(_Cepstrum):
    """Linear-frequency cepstral coefficients: like :class:`MFCC` with linearly spaced triangular filters.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.LFCC(sample_rate=16000, n_filter=40, n_lfcc=20)(ember.randn(1, 4000)).shape
        ember.Size([1, 20, 21])
    """

    def __init__(self, sample_rate=16000, n_filter=128, f_min=0.0, f_max=None, n_lfcc=40, dct_type=2, norm="ortho",
                 log_lf=False, speckwargs=None):
        super().__init__()
        self.sample_rate, self.n_filter, self.n_lfcc, self.log_lf = sample_rate, n_filter, n_lfcc, log_lf
        self.f_min, self.f_max = f_min, f_max if f_max is not None else float(sample_rate // 2)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        self.register_buffer("filter_mat", AF.linear_fbanks(self.Spectrogram.n_fft // 2 + 1, self.f_min, self.f_max,
                                                            n_filter, sample_rate))
        self._setup(n_lfcc, n_filter, dct_type, norm, "LFCC")

    @property
    def log_x(self):
        return self.log_lf

    def forward(self, waveform):
        spec = self.Spectrogram(waveform)
        return self._cepstrum(ember.matmul(spec.transpose(-1, -2), self.filter_mat).transpose(-1, -2))


class Resample(nn.Module):
    """Resample ``(..., time)`` from ``orig_freq`` to ``new_freq`` (the sinc kernel is computed once).

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Resample(16000, 8000)(ember.randn(2, 1600)).shape
        ember.Size([2, 800])
    """

    def __init__(self, orig_freq=16000, new_freq=16000, resampling_method="sinc_interp_hann", lowpass_filter_width=6,
                 rolloff=0.99, beta=None, *, dtype=None):
        super().__init__()
        self.orig_freq, self.new_freq = orig_freq, new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method, self.lowpass_filter_width, self.rolloff, self.beta = (
            resampling_method, lowpass_filter_width, rolloff, beta)
        if orig_freq != new_freq:
            from ..functional._signal import _sinc_resample_kernel

            k, self.width = _sinc_resample_kernel(int(orig_freq) // self.gcd, int(new_freq) // self.gcd,
                                                  lowpass_filter_width, rolloff, resampling_method, beta)
            self.register_buffer("kernel", ember.tensor(k, dtype=dtype or ember.get_default_dtype()), persistent=False)

    def forward(self, waveform):
        if self.orig_freq == self.new_freq:
            return waveform
        from ..functional._signal import _apply_resample_kernel

        return _apply_resample_kernel(waveform, int(self.orig_freq) // self.gcd, int(self.new_freq) // self.gcd,
                                      self.kernel.to(waveform.dtype), self.width)


class _AxisMasking(nn.Module):
    def __init__(self, mask_param, axis_from_end, iid_masks, p=1.0):
        super().__init__()
        self.mask_param, self.axis_from_end, self.iid_masks, self.p = mask_param, axis_from_end, iid_masks, p

    def forward(self, specgram, mask_value=0.0):
        axis = specgram.ndim - self.axis_from_end
        if self.iid_masks and specgram.ndim == 4:
            return AF.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return AF.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """SpecAugment frequency masking: zero a random band of up to ``freq_mask_param`` frequency rows.

    ``iid_masks`` draws a band per example of a ``(batch, channel, freq, time)`` input.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.FrequencyMasking(freq_mask_param=8)(ember.ones(1, 40, 10)).shape
        ember.Size([1, 40, 10])
    """

    def __init__(self, freq_mask_param, iid_masks=False):
        super().__init__(freq_mask_param, 2, iid_masks)


class TimeMasking(_AxisMasking):
    """SpecAugment time masking: zero a random run of up to ``time_mask_param`` frames (at most ``p`` of them).

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.TimeMasking(time_mask_param=8, p=0.5)(ember.ones(1, 40, 10)).shape
        ember.Size([1, 40, 10])
    """

    def __init__(self, time_mask_param, iid_masks=False, p=1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 1, iid_masks, p)


class Vol(nn.Module):
    """Scale the volume by ``gain`` (as an ``"amplitude"`` ratio, ``"power"`` ratio or ``"db"``), clipping to [-1, 1].

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Vol(2.0)(ember.tensor([0.25, 0.75]))
        tensor([0.5000, 1.0000])
    """

    def __init__(self, gain, gain_type="amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"gain_type must be 'amplitude', 'power' or 'db', got {gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")
        self.gain, self.gain_type = gain, gain_type

    def forward(self, waveform):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = AF.gain(waveform, self.gain)
        else:
            waveform = AF.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


# fade-in curves of f in [0, 1]; the fade-out curve is the fade-in curve of 1 - f
_FADES = {
    "linear": lambda f: f,
    "exponential": lambda f: ember.pow(2.0, (f - 1) * 5),
    "logarithmic": lambda f: ember.log10(0.1 + f) + 1,
    "quarter_sine": lambda f: ember.sin(f * math.pi / 2),
    "half_sine": lambda f: ember.sin(f * math.pi - math.pi / 2) / 2 + 0.5,
}


class Fade(nn.Module):
    """Fade in over the first ``fade_in_len`` samples and out over the last ``fade_out_len``.

    ``fade_shape``: ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"`` or ``"half_sine"``.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Fade(fade_in_len=3, fade_out_len=2)(ember.ones(6))
        tensor([0.0000, 0.5000, 1.0000, 1.0000, 1.0000, 0.0000])
    """

    def __init__(self, fade_in_len=0, fade_out_len=0, fade_shape="linear"):
        super().__init__()
        if fade_shape not in _FADES:
            raise ValueError(f"fade_shape must be one of {sorted(_FADES)}, got {fade_shape!r}")
        self.fade_in_len, self.fade_out_len, self.fade_shape = fade_in_len, fade_out_len, fade_shape

    def _curve(self, n, like):
        return _FADES[self.fade_shape](ember.linspace(0, 1, n, dtype=like.dtype, device=like.device))

    def forward(self, waveform):
        length = waveform.shape[-1]
        ones_in = ember.ones(length - self.fade_in_len, dtype=waveform.dtype, device=waveform.device)
        ones_out = ember.ones(length - self.fade_out_len, dtype=waveform.dtype, device=waveform.device)
        fade_in = ember.cat([self._curve(self.fade_in_len, waveform), ones_in])
        fade_out = ember.cat([ones_out, self._curve(self.fade_out_len, waveform).flip(0)])
        return waveform * fade_in * fade_out


def _wrap(name, fn, doc, **params):
    """A transform class calling ``fn(x, **settings)`` - for the one-function transforms."""

    def __init__(self, *args, **kwargs):
        nn.Module.__init__(self)
        settings = dict(params)
        settings.update(zip(params, args))
        settings.update(kwargs)
        for k, v in settings.items():
            setattr(self, k, v)
        self._settings = tuple(settings)

    def forward(self, x):
        return fn(x, *(getattr(self, k) for k in self._settings))

    return type(name, (nn.Module,), {"__init__": __init__, "forward": forward, "__doc__": doc, "__module__": __name__})


MuLawEncoding = _wrap("MuLawEncoding", AF.mu_law_encoding, """Mu-law encode a waveform to ``quantization_channels`` levels.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.MuLawEncoding(256)(ember.tensor([0.0]))
        tensor([128])
    """, quantization_channels=256)
MuLawDecoding = _wrap("MuLawDecoding", AF.mu_law_decoding, """Decode mu-law integers to a waveform in [-1, 1].

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.MuLawDecoding(256)(ember.tensor([255]))
        tensor([1.])
    """, quantization_channels=256)
ComputeDeltas = _wrap("ComputeDeltas", AF.compute_deltas, """Delta coefficients of a spectrogram along time.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.ComputeDeltas(win_length=3)(ember.ones(1, 4))
        tensor([[0., 0., 0., 0.]])
    """, win_length=5, mode="replicate")
Preemphasis = _wrap("Preemphasis", AF.preemphasis, """Pre-emphasis ``y[t] = x[t] - coeff * x[t - 1]``.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Preemphasis(0.5)(ember.tensor([1.0, 1.0]))
        tensor([1.0000, 0.5000])
    """, coeff=0.97)
Deemphasis = _wrap("Deemphasis", AF.deemphasis, """De-emphasis ``y[t] = x[t] + coeff * y[t - 1]``.

    Example:
        >>> import ember, emberaudio.transforms as T
        >>> T.Deemphasis(0.5)(ember.tensor([1.0, 0.0]))
        tensor([1.0000, 0.5000])
    """, coeff=0.97)
