"""emberaudio.functional against numpy implementations of torchaudio's documented formulas."""

import math

import numpy as np
import pytest

import ember
import emberaudio.functional as AF
from audio_refs import np_deltas, np_fbanks, np_hann, np_lfilter, np_resample, np_stft_power
from harness import Case, run

rng = np.random.default_rng(0)


# --- values and gradients through the harness ----------------------------------------------------
WAVE = rng.uniform(-0.5, 0.5, size=(2, 40))
HANN = np_hann(16)

CASES = [
    Case("spectrogram_power2", lambda x: AF.spectrogram(x, 0, ember.tensor(HANN, dtype=x.dtype, device=x.device), 16, 4,
                                                        16, 2.0, False), lambda x: np_stft_power(x, 16, 4, HANN), (WAVE,)),
    Case("spectrogram_window_norm", lambda x: AF.spectrogram(x, 2, ember.tensor(HANN, dtype=x.dtype, device=x.device), 16,
                                                             8, 16, 2.0, True),
         lambda x: np_stft_power(np.pad(x, [(0, 0), (2, 2)]), 16, 8, HANN) / (HANN ** 2).sum(), (WAVE,), gradgrad=False),
    Case("spectrogram_magnitude", lambda x: AF.spectrogram(x + 1, 0, ember.tensor(HANN, dtype=x.dtype, device=x.device), 16,
                                                           8, 16, 1.0, False),
         lambda x: np_stft_power(x + 1, 16, 8, HANN, 1.0), (WAVE,), gradgrad=False),
    Case("resample_down", lambda x: AF.resample(x, 6, 4), lambda x: np_resample(x, 6, 4), (WAVE[:, :18].copy(),)),
    Case("resample_up_kaiser", lambda x: AF.resample(x, 2, 3, lowpass_filter_width=4, rolloff=0.9,
                                                     resampling_method="sinc_interp_kaiser", beta=8.0),
         lambda x: np_resample(x, 2, 3, 4, 0.9, 8.0), (WAVE[:, :12].copy(),)),
    Case("deltas", lambda x: AF.compute_deltas(x, 5), lambda x: np_deltas(x, 5), (WAVE,)),
    Case("preemphasis", lambda x: AF.preemphasis(x, 0.9), lambda x: np.concatenate([x[:, :1], x[:, 1:] - 0.9 * x[:, :-1]], 1),
         (WAVE,)),
    Case("lfilter_biquad", lambda x: AF.lfilter(x, [1.2, -0.5, 0.3], [0.4, 0.2, -0.1], clamp=False),
         lambda x: np_lfilter(x, [1.2, -0.5, 0.3], [0.4, 0.2, -0.1]), (WAVE[:, :15].copy(),)),
    Case("amplitude_to_db", lambda x: AF.amplitude_to_DB(x * x + 1e-3, 10.0, 1e-10, 0.0),
         lambda x: 10 * np.log10(x * x + 1e-3), (WAVE,)),
    Case("db_to_amplitude", lambda x: AF.DB_to_amplitude(x, 2.0, 0.5), lambda x: 2.0 * (10 ** (0.1 * x)) ** 0.5, (WAVE,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cases(case, device):
    run(case, device)


@pytest.mark.parametrize("scale", ["htk", "slaney"])
@pytest.mark.parametrize("norm", [None, "slaney"])
def test_melscale_fbanks(scale, norm):
    got = AF.melscale_fbanks(65, 20.0, 7600.0, 10, 16000, norm=norm, mel_scale=scale)
    assert got.dtype is ember.float32
    np.testing.assert_allclose(got.numpy(), np_fbanks(65, 20.0, 7600.0, 10, 16000, norm, scale), rtol=1e-5, atol=1e-7)


def test_mel_scales_known_points():
    from emberaudio.functional._spectral import _hz_to_mel, _mel_to_hz

    assert abs(_hz_to_mel(1000.0, "slaney") - 15.0) < 1e-12 and abs(_hz_to_mel(700.0, "htk") - 2595 * math.log10(2)) < 1e-9
    for s in ("htk", "slaney"):
        f = np.array([0.0, 440.0, 1000.0, 6000.0])
        np.testing.assert_allclose(_mel_to_hz(_hz_to_mel(f, s), s), f, atol=1e-9)


def test_melscale_warns_on_empty_filters():
    with pytest.warns(UserWarning, match="all zero values"):
        AF.melscale_fbanks(16, 0.0, 8000.0, 64, 16000)


@pytest.mark.parametrize("norm", [None, "ortho"])
def test_create_dct(norm):
    n_mfcc, n_mels = 5, 8
    want = np.array([[math.cos(math.pi / n_mels * (n + 0.5) * k) for k in range(n_mfcc)] for n in range(n_mels)])
    if norm is None:
        want *= 2
    else:
        want *= math.sqrt(2 / n_mels)
        want[:, 0] /= math.sqrt(2)
    got = AF.create_dct(n_mfcc, n_mels, norm).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    if norm == "ortho":
        np.testing.assert_allclose(got.T @ got, np.eye(n_mfcc), atol=1e-6)


def test_amplitude_to_db_top_db_per_example(device):
    x = np.abs(rng.standard_normal((2, 3, 4, 5))) + 1e-3
    x[1] *= 1e-6
    got = AF.amplitude_to_DB(ember.tensor(x, device=device), 10.0, 1e-10, 0.0, top_db=20.0).cpu().numpy()
    db = 10 * np.log10(x)
    want = np.maximum(db, db.reshape(2, -1).max(1)[:, None, None, None] - 20.0)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_mu_law(device):
    x = np.random.default_rng(3).uniform(-1, 1, 50)  # its own stream: the round trip's error bound holds for these
    mu = 255
    enc = ((np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) + 1) / 2 * mu + 0.5).astype(np.int64)
    got = AF.mu_law_encoding(ember.tensor(x, dtype=ember.float32, device=device), 256)
    np.testing.assert_array_equal(got.cpu().numpy(), enc)
    y = enc / mu * 2 - 1
    dec = np.sign(y) * (np.exp(np.abs(y) * np.log1p(mu)) - 1) / mu
    np.testing.assert_allclose(AF.mu_law_decoding(got, 256).cpu().numpy(), dec, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dec, x, atol=0.02)


def test_deemphasis_inverts_preemphasis(device):
    x = ember.tensor(rng.uniform(-0.3, 0.3, (2, 100)), device=device)
    np.testing.assert_allclose(AF.deemphasis(AF.preemphasis(x)).cpu().numpy(), x.cpu().numpy(), atol=1e-12)


def test_biquads_pass_and_stop_bands(device):
    sr, t = 8000, np.arange(4000) / 8000
    low, high = np.sin(2 * np.pi * 100 * t) * 0.5, np.sin(2 * np.pi * 3000 * t) * 0.5
    x = ember.tensor(np.stack([low, high]), device=device)
    lp = AF.lowpass_biquad(x, sr, 500).cpu().numpy()[:, 2000:]
    hp = AF.highpass_biquad(x, sr, 1000).cpu().numpy()[:, 2000:]
    rms = lambda a: np.sqrt((a ** 2).mean(-1))  # noqa: E731
    assert rms(lp)[0] > 0.33 and rms(lp)[1] < 0.02
    assert rms(hp)[1] > 0.33 and rms(hp)[0] < 0.01


def test_resample_sine_and_shapes(device):
    t = np.arange(16000) / 16000
    x = ember.tensor(np.sin(2 * np.pi * 440 * t), device=device)
    y = AF.resample(x, 16000, 8000).cpu().numpy()
    assert y.shape == (8000,)
    np.testing.assert_allclose(y[100:-100], np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)[100:-100], atol=2e-3)
    assert AF.resample(ember.ones(3, 2, 441), 44100, 16000).shape == (3, 2, 160)
    same = ember.ones(5)
    assert AF.resample(same, 8000, 8000) is same


def test_masks():
    ember.manual_seed(3)
    spec = ember.ones(2, 20, 30)
    for axis in (1, 2):
        out = AF.mask_along_axis(spec, 10, 0.0, axis).numpy()
        masked = (out == 0).all(axis=0).all(axis=2 - axis)  # masked rows (axis 1) or columns (axis 2)
        idx = np.flatnonzero(masked)
        assert len(idx) < 10 and (len(idx) == 0 or idx[-1] - idx[0] == len(idx) - 1)
        assert ((out == 0) == (out[:1] == 0)).all()  # the same band for the whole batch
    batch = ember.ones(6, 1, 20, 30)
    out = AF.mask_along_axis_iid(batch, 15, -1.0, 3).numpy()
    cols = (out == -1).all(axis=2)[:, 0]  # (6, 30)
    assert (cols.sum(1) < 15).all()
    assert len({tuple(c) for c in cols}) > 1  # independent bands
    with pytest.raises(ValueError, match="Only Frequency and Time"):
        AF.mask_along_axis(spec, 5, 0.0, 0)
    assert AF.mask_along_axis(spec, 10, 0.0, 2, p=0.0) is spec


def test_griffinlim_recovers_magnitude():
    ember.manual_seed(0)
    t = np.arange(4000) / 8000
    x = ember.tensor(np.sin(2 * np.pi * 300 * t) * 0.5, dtype=ember.float32)[None]
    w = ember.hann_window(256)
    spec = AF.spectrogram(x, 0, w, 256, 64, 256, 2.0, False)
    y = AF.griffinlim(spec, w, 256, 64, 256, 2.0, 32, 0.99, 4000, True)
    back = AF.spectrogram(y, 0, w, 256, 64, 256, 2.0, False)
    err = float(((back.sqrt() - spec.sqrt()).norm() / spec.sqrt().norm()))
    assert y.shape == (1, 4000) and err < 0.15
