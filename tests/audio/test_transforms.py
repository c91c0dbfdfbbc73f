"""emberaudio.transforms: shapes, values against numpy compositions of the formulas, module behaviour."""

import math

import numpy as np
import pytest

import ember
import emberaudio.functional as AF
import emberaudio.transforms as T
from audio_refs import np_fbanks, np_hann, np_stft_power

rng = np.random.default_rng(1)
SECOND = rng.uniform(-0.5, 0.5, (1, 16000)).astype(np.float32)


def test_mfcc_shape_matches_torchaudio_convention():
    mfcc = T.MFCC(sample_rate=16000, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 200, "n_mels": 40})
    out = mfcc(ember.tensor(SECOND))
    assert out.shape == (1, 13, 81) and out.dtype is ember.float32
    with pytest.warns(UserWarning, match="all zero values"):  # as torchaudio: 128 htk mels over 201 bins leave one empty
        default = T.MFCC()
    assert default(ember.tensor(SECOND)).shape == (1, 40, 81)  # defaults: n_fft 400, hop 200


def test_spectrogram_defaults(device):
    x = rng.uniform(-1, 1, (2, 1000))
    spec = T.Spectrogram(n_fft=64).to(device)
    assert spec.hop_length == 32 and spec.window.shape == (64,)
    got = spec(ember.tensor(x, dtype=ember.float64, device=device)).cpu().numpy()
    np.testing.assert_allclose(got, np_stft_power(x, 64, 32, np_hann(64)), rtol=1e-5, atol=1e-7)  # float32 window
    assert "window" in spec.state_dict()


def test_mel_spectrogram_and_mfcc_values():
    x = SECOND[:, :4000].astype(np.float64)
    mel = T.MelSpectrogram(sample_rate=16000, n_fft=256, hop_length=128, n_mels=20, f_min=30.0, norm="slaney",
                           mel_scale="slaney")
    got = mel(ember.tensor(x, dtype=ember.float32)).numpy()
    power = np_stft_power(x, 256, 128, np_hann(256))
    fb = np_fbanks(129, 30.0, 8000.0, 20, 16000, "slaney", "slaney")
    want = np.einsum("cft,fm->cmt", power, fb)
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6)
    mfcc = T.MFCC(sample_rate=16000, n_mfcc=8, melkwargs=dict(n_fft=256, hop_length=128, n_mels=20, f_min=30.0,
                                                              norm="slaney", mel_scale="slaney"))
    db = 10 * np.log10(np.maximum(want, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    dct = AF.create_dct(8, 20, "ortho").numpy().astype(np.float64)
    np.testing.assert_allclose(mfcc(ember.tensor(x, dtype=ember.float32)).numpy(), np.einsum("cmt,mk->ckt", db, dct),
                               rtol=1e-3, atol=2e-3)
    log_mfcc = T.MFCC(sample_rate=16000, n_mfcc=8, log_mels=True, melkwargs=dict(n_fft=256, hop_length=128, n_mels=20,
                                                                                   f_min=30.0, norm="slaney",
                                                                                   mel_scale="slaney"))
    np.testing.assert_allclose(log_mfcc(ember.tensor(x, dtype=ember.float32)).numpy(),
                               np.einsum("cmt,mk->ckt", np.log(want + 1e-6), dct), rtol=1e-3, atol=2e-3)
    with pytest.raises(ValueError, match="more MFCC coefficients"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})


def test_lfcc_shape_and_gradient():
    x = ember.tensor(SECOND[:, :2000], requires_grad=True)
    out = T.LFCC(sample_rate=16000, n_filter=40, n_lfcc=13, speckwargs={"n_fft": 256, "hop_length": 128})(x)
    assert out.shape == (1, 13, 16)
    out.sum().backward()
    assert x.grad.shape == x.shape and bool(x.grad.isfinite().all())


def test_amplitude_to_db_modes():
    x = ember.tensor([[[4.0, 1e-12], [0.5, 2.0]]])
    np.testing.assert_allclose(T.AmplitudeToDB("magnitude")(x).numpy(), 20 * np.log10(np.maximum(x.numpy(), 1e-10)), rtol=1e-6)
    db = T.AmplitudeToDB("power", top_db=10.0)(x).numpy()
    np.testing.assert_allclose(db, np.maximum(10 * np.log10(np.maximum(x.numpy(), 1e-10)), 10 * math.log10(4) - 10), rtol=1e-6)
    with pytest.raises(ValueError, match="top_db must be positive"):
        T.AmplitudeToDB(top_db=-1)


def test_inverse_spectrogram_and_griffinlim_modules():
    x = ember.tensor(SECOND[:, :3200])
    spec = T.Spectrogram(n_fft=256, hop_length=64, power=None, pad=10)(x)
    back = T.InverseSpectrogram(n_fft=256, hop_length=64, pad=10)(spec, 3200)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)
    mag = T.Spectrogram(n_fft=256, hop_length=64)(x)
    assert T.GriffinLim(n_fft=256, hop_length=64, n_iter=2, length=3200)(mag).shape == (1, 3200)
    with pytest.raises(ValueError, match="momentum"):
        T.GriffinLim(momentum=1.5)


def test_resample_module_matches_functional(device):
    x = ember.tensor(SECOND[:, :1600], device=device)
    r = T.Resample(16000, 22050).to(device)
    np.testing.assert_allclose(r(x).cpu().numpy(), AF.resample(x, 16000, 22050).cpu().numpy(), rtol=1e-6, atol=1e-7)
    assert r(x).shape == (1, math.ceil(1600 * 22050 / 16000))
    k = T.Resample(16000, 8000, resampling_method="sinc_interp_kaiser", beta=10.0).to(device)
    np.testing.assert_allclose(k(x).cpu().numpy(), AF.resample(x, 16000, 8000, resampling_method="sinc_interp_kaiser",
                                                                beta=10.0).cpu().numpy(), rtol=1e-6, atol=1e-7)
    assert "kernel" not in r.state_dict()


def test_masking_modules():
    ember.manual_seed(1)
    spec = ember.ones(4, 1, 20, 30)
    out = T.FrequencyMasking(8, iid_masks=True)(spec).numpy()
    rows = (out == 0).all(axis=3)[:, 0]
    assert (rows.sum(1) < 8).all()
    out = T.TimeMasking(50, p=0.2)(ember.ones(20, 30)).numpy()
    assert (out == 0).all(axis=0).sum() <= 6  # at most p * 30 frames
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        T.TimeMasking(5, p=2.0)


def test_vol():
    x = ember.tensor([0.1, -0.3, 0.6])
    np.testing.assert_allclose(T.Vol(2.0)(x).numpy(), [0.2, -0.6, 1.0], rtol=1e-6)
    np.testing.assert_allclose(T.Vol(6.0, "db")(x).numpy(), np.clip(x.numpy() * 10 ** (6 / 20), -1, 1), rtol=1e-6)
    np.testing.assert_allclose(T.Vol(4.0, "power")(x).numpy(), np.clip(x.numpy() * 2.0, -1, 1), rtol=1e-6)
    with pytest.raises(ValueError, match="must be positive"):
        T.Vol(-1.0)


FADE_IN = {
    "linear": lambda f: f, "exponential": lambda f: 2.0 ** ((f - 1) * 5), "logarithmic": lambda f: np.log10(0.1 + f) + 1,
    "quarter_sine": lambda f: np.sin(f * np.pi / 2), "half_sine": lambda f: np.sin(f * np.pi - np.pi / 2) / 2 + 0.5,
}
FADE_OUT = {
    "linear": lambda f: 1 - f, "exponential": lambda f: 2.0 ** (-f * 5), "logarithmic": lambda f: np.log10(1.1 - f) + 1,
    "quarter_sine": lambda f: np.sin(f * np.pi / 2 + np.pi / 2), "half_sine": lambda f: np.sin(f * np.pi + np.pi / 2) / 2 + 0.5,
}


@pytest.mark.parametrize("shape", sorted(FADE_IN))
def test_fade(shape):
    x = np.ones((2, 20))
    got = T.Fade(5, 7, shape)(ember.tensor(x)).numpy()
    want = np.ones(20)
    want[:5] = FADE_IN[shape](np.linspace(0, 1, 5))
    want[-7:] *= FADE_OUT[shape](np.linspace(0, 1, 7))
    np.testing.assert_allclose(got, np.broadcast_to(want, (2, 20)), rtol=1e-12, atol=1e-12)


def test_simple_wrappers():
    x = ember.tensor([[0.2, -0.4, 0.9]])
    assert T.MuLawEncoding(256)(x).tolist() == AF.mu_law_encoding(x, 256).tolist()
    assert T.MuLawDecoding(quantization_channels=16)(ember.tensor([0, 15])).tolist() == [-1.0, 1.0]
    np.testing.assert_allclose(T.ComputeDeltas(win_length=3)(x).numpy(), AF.compute_deltas(x, 3).numpy())
    np.testing.assert_allclose(T.Deemphasis(0.5)(T.Preemphasis(0.5)(x)).numpy(), x.numpy(), atol=1e-7)


def test_melspectrogram_trains():
    """A gradient flows from a loss on mel features back to a learnable filter before them."""
    x = ember.tensor(SECOND[:, :2000])
    w = ember.ones(1, requires_grad=True)
    feats = T.MelSpectrogram(n_fft=128, hop_length=64, n_mels=16)(x * w)
    feats.mean().backward()
    assert w.grad is not None and float(w.grad) > 0


def test_inverse_mel_scale_is_consistent():
    spec = ember.tensor(np.abs(rng.standard_normal((2, 65, 6))), dtype=ember.float32)
    mel = T.MelScale(n_mels=16, sample_rate=8000, n_stft=65)(spec)
    inverse = T.InverseMelScale(n_stft=65, n_mels=16, sample_rate=8000)
    est = inverse(mel)
    assert est.shape == spec.shape and bool((est >= 0).all())
    fb = AF.melscale_fbanks(65, 0.0, 4000.0, 16, 8000).numpy().astype(np.float64)
    want = np.maximum(np.einsum("fm,bmt->bft", np.linalg.pinv(fb.T), mel.numpy()), 0)  # clamped min-norm solution
    np.testing.assert_allclose(est.numpy(), want, rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match="expected 16 mel bins"):
        inverse(ember.ones(8, 3))
