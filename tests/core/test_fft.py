"""ember.fft: values against numpy.fft, gradients of real -> complex -> real pipelines, torch's rules."""

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 8))
X5 = rng.standard_normal((2, 5))
W = rng.standard_normal((3, 5))


def _abs2(z):
    return ember.real(z) ** 2 + ember.imag(z) ** 2


def _np_abs2(z):
    return (np.abs(z) ** 2).astype(np.float64)


def _complex_from(re, im):
    return ember.fft._complex(re) + 1j * ember.fft._complex(im)


CASES = [
    Case("rfft_power", lambda x: _abs2(ember.fft.rfft(x)), lambda x: _np_abs2(np.fft.rfft(x)), (X,)),
    Case("rfft_n_pad", lambda x: _abs2(ember.fft.rfft(x, n=11)), lambda x: _np_abs2(np.fft.rfft(x, n=11)), (X,)),
    Case("rfft_n_cut_ortho", lambda x: ember.real(ember.fft.rfft(x, n=5, norm="ortho")),
         lambda x: np.fft.rfft(x, n=5, norm="ortho").real, (X,)),
    Case("fft_dim0_forward", lambda x: ember.imag(ember.fft.fft(x, dim=0, norm="forward")),
         lambda x: np.fft.fft(x, axis=0, norm="forward").imag, (X,)),
    Case("ifft_real_part", lambda x: ember.real(ember.fft.ifft(x)), lambda x: np.fft.ifft(x).real, (X5,)),
    Case("irfft_even", lambda x: ember.fft.irfft(ember.fft.rfft(x) * 1.5), lambda x: np.fft.irfft(np.fft.rfft(x) * 1.5), (X,)),
    Case("irfft_odd_n", lambda x: ember.fft.irfft(ember.fft.rfft(x), n=5), lambda x: np.fft.irfft(np.fft.rfft(x), n=5), (X5,)),
    Case("irfft_complex_bins", lambda a, b: ember.fft.irfft(_complex_from(a, b), n=9),
         lambda a, b: np.fft.irfft(a + 1j * b, n=9), (W, W[::-1].copy())),
    Case("filter", lambda x, w: ember.fft.irfft(ember.fft.rfft(x, n=8) * ember.fft.rfft(w, n=8), n=8),
         lambda x, w: np.fft.irfft(np.fft.rfft(x, n=8) * np.fft.rfft(w, n=8), n=8), (X5, W[:2].copy())),
    Case("fft2_abs2", lambda x: _abs2(ember.fft.fft2(x)), lambda x: _np_abs2(np.fft.fft2(x)), (X,)),
    Case("rfftn_ortho", lambda x: _abs2(ember.fft.rfftn(x, norm="ortho")), lambda x: _np_abs2(np.fft.rfftn(x, norm="ortho")), (X,)),
    Case("irfft2_s", lambda x: ember.fft.irfft2(ember.fft.rfft2(x), s=(3, 8)),
         lambda x: np.fft.irfft2(np.fft.rfft2(x), s=(3, 8)), (X,)),
    Case("ifftn_s", lambda x: ember.real(ember.fft.ifftn(x, s=(4, 6))), lambda x: np.fft.ifftn(x, s=(4, 6), axes=(0, 1)).real, (X,)),
    Case("hfft", lambda x: ember.fft.hfft(x, n=8), lambda x: np.fft.hfft(x, n=8), (X5,)),
    Case("ihfft", lambda x: ember.imag(ember.fft.ihfft(x)), lambda x: np.fft.ihfft(x).imag, (X,)),
    Case("fftshift", lambda x: ember.fft.fftshift(x), lambda x: np.fft.fftshift(x), (X5,)),
    Case("ifftshift_dim", lambda x: ember.fft.ifftshift(x, dim=-1), lambda x: np.fft.ifftshift(x, axes=-1), (X5,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fft_cases(case, device):
    run(case, device)


@pytest.mark.parametrize("fn", ["fft", "ifft", "rfft", "ihfft"])
def test_complex_values_and_dtype(fn, device):
    x = rng.standard_normal((2, 6)).astype(np.float32)
    got = getattr(ember.fft, fn)(ember.tensor(x, device=device))
    want = getattr(np.fft, fn)(x)
    assert got.dtype is ember.complex64
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-5, atol=1e-5)


def test_complex_input_roundtrip(device):
    z = (rng.standard_normal(7) + 1j * rng.standard_normal(7)).astype(np.complex128)
    t = ember.tensor(z, device=device)
    np.testing.assert_allclose(ember.fft.fft(t).cpu().numpy(), np.fft.fft(z), atol=1e-12)
    np.testing.assert_allclose(ember.fft.ifft(ember.fft.fft(t)).cpu().numpy(), z, atol=1e-12)


def test_integer_input_promotes():
    assert ember.fft.fft(ember.arange(4)).dtype is ember.complex64
    assert ember.fft.rfft(ember.arange(4)).dtype is ember.complex64


def test_complex_gradient_of_c2c():
    # L = sum |fft(z)|^2 = n * sum |z|^2 (Parseval), so the gradient (torch convention) is 2 n z
    z = ember.tensor([1 + 2j, -0.5j, 3.0, 0.25 + 1j], dtype=ember.complex128, requires_grad=True)
    _abs2(ember.fft.fft(z)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * 4 * z.detach().numpy())


def test_irfft_ignores_imaginary_dc_gradient():
    # numpy's irfft drops the imaginary parts of the DC and Nyquist bins: their gradients are 0
    z = ember.tensor([1 + 1j, 2 - 1j, 3 + 2j], dtype=ember.complex128, requires_grad=True)
    (ember.fft.irfft(z) * ember.tensor([1.0, 2.0, 3.0, 4.0], dtype=ember.float64)).sum().backward()
    g = z.grad.numpy()
    assert g[0].imag == 0 and g[-1].imag == 0
    # d/dRe of the middle bin: 2/n * sum_t w_t cos(2 pi t / n); d/dIm: -2/n * sum_t w_t sin(2 pi t / n)
    t = np.arange(4)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(g[1], 2 / 4 * (w * np.cos(2 * np.pi * t / 4)).sum() - 2j / 4 * (w * np.sin(2 * np.pi * t / 4)).sum(), atol=1e-12)


def test_frequencies(device):
    np.testing.assert_allclose(ember.fft.fftfreq(7, d=0.5, device=device).cpu().numpy(), np.fft.fftfreq(7, d=0.5), rtol=1e-6)
    np.testing.assert_allclose(ember.fft.rfftfreq(8, device=device).cpu().numpy(), np.fft.rfftfreq(8), rtol=1e-6)
    assert ember.fft.fftfreq(4, dtype=ember.float64).dtype is ember.float64


def test_errors():
    x = ember.ones(4)
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        ember.fft.fft(x, norm="bad")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(x, n=0)
    with pytest.raises(IndexError, match="out of range"):
        ember.fft.fft(x, dim=1)
    with pytest.raises(RuntimeError, match="real input"):
        ember.fft.rfft(ember.ones(4, dtype=ember.complex64))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 10))
    for name, kw in [("fft", {}), ("rfft", {"n": 7}), ("ifft", {"norm": "ortho"}), ("fft2", {}),
                     ("rfftn", {"s": (2, 6)}), ("hfft", {"n": 9})]:
        got = getattr(ember.fft, name)(ember.tensor(x), **kw).numpy()
        want = getattr(torch.fft, name)(torch.tensor(x), **kw).resolve_conj().numpy()
        np.testing.assert_allclose(got, want, atol=1e-10, err_msg=name)


# --- windows, stft, istft ----------------------------------------------------------------------
def _np_window(name, N, periodic=True):
    M = N + 1 if periodic else N
    n = np.arange(N)
    if name == "hann":
        return 0.5 - 0.5 * np.cos(2 * np.pi * n / (M - 1))
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(2 * np.pi * n / (M - 1))
    if name == "blackman":
        return np.blackman(M)[:N]
    if name == "bartlett":
        return np.bartlett(M)[:N]
    return np.kaiser(M, 12.0)[:N]


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, periodic, device):
    w = getattr(ember, name + "_window")(9, periodic, dtype=ember.float64, device=device)
    np.testing.assert_allclose(w.cpu().numpy(), _np_window(name, 9, periodic), atol=1e-12)
    assert getattr(ember, name + "_window")(5).dtype is ember.float32
    assert getattr(ember, name + "_window")(1).tolist() == [1.0]
    assert getattr(ember, name + "_window")(0).shape == (0,)


def _np_stft(x, n_fft, hop, win, window, center=True, pad_mode="reflect", normalized=False, onesided=True):
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=pad_mode)
    left = (n_fft - win) // 2
    w = np.zeros(n_fft)
    w[left:left + win] = window
    T = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[..., t * hop:t * hop + n_fft] for t in range(T)], -2) * w
    spec = (np.fft.rfft if onesided else np.fft.fft)(frames, norm="ortho" if normalized else None)
    return np.swapaxes(spec, -1, -2)


def _np_istft(spec, n_fft, hop, window, length):
    frames = np.fft.irfft(np.swapaxes(spec, -1, -2), n=n_fft) * window
    T = frames.shape[-2]
    out = np.zeros(frames.shape[:-2] + (n_fft + hop * (T - 1),))
    env = np.zeros(out.shape[-1])
    for t in range(T):
        out[..., t * hop:t * hop + n_fft] += frames[..., t, :]
        env[t * hop:t * hop + n_fft] += window ** 2
    s = n_fft // 2
    return (out / np.where(env > 1e-11, env, 1))[..., s:s + length]


SIG = rng.standard_normal((2, 30))
HANN12 = _np_window("hann", 12)
HANN8 = _np_window("hann", 8)

STFT_CASES = [
    Case("stft_reflect_power", lambda x: _abs2(ember.stft(x, 8, 2, window=ember.tensor(HANN8, dtype=x.dtype, device=x.device),
                                                          return_complex=True)),
         lambda x: _np_abs2(_np_stft(x, 8, 2, 8, HANN8)), (SIG,)),
    Case("stft_short_window_const_norm", lambda x: ember.imag(ember.stft(
        x, 16, 5, 12, window=ember.tensor(HANN12, dtype=x.dtype, device=x.device), pad_mode="constant", normalized=True,
        return_complex=True)), lambda x: _np_stft(x, 16, 5, 12, HANN12, pad_mode="constant", normalized=True).imag, (SIG,)),
    Case("stft_twosided_nocenter", lambda x: ember.real(ember.stft(
        x[0], 10, 3, window=ember.ones(10, dtype=x.dtype, device=x.device), center=False, onesided=False, return_complex=True)),
         lambda x: _np_stft(x[0], 10, 3, 10, np.ones(10), center=False, onesided=False).real, (SIG,)),
    Case("istft", lambda a, b: ember.istft(ember.fft._complex(a) + 1j * ember.fft._complex(b), 8, 2,
                                           window=ember.tensor(HANN8, dtype=a.dtype, device=a.device), length=20),
         lambda a, b: _np_istft(a + 1j * b, 8, 2, HANN8, 20), (rng.standard_normal((5, 9)), rng.standard_normal((5, 9)))),
]


@pytest.mark.parametrize("case", STFT_CASES, ids=str)
def test_stft_cases(case, device):
    run(case, device)


def test_stft_shapes_and_roundtrip(device):
    x = ember.tensor(rng.standard_normal((3, 400)), dtype=ember.float32, device=device)
    w = ember.hann_window(64, device=device)
    spec = ember.stft(x, 64, 16, window=w, return_complex=True)
    assert spec.shape == (3, 33, 26) and spec.dtype is ember.complex64
    y = ember.istft(spec, 64, 16, window=w, length=400)
    np.testing.assert_allclose(y.cpu().numpy(), x.cpu().numpy(), atol=1e-5)
    with pytest.warns(UserWarning, match="deprecated"):
        r = ember.stft(x, 64, 16, window=w, return_complex=False)
    assert r.shape == (3, 33, 26, 2)
    np.testing.assert_allclose(r[..., 1].cpu().numpy(), ember.imag(spec).cpu().numpy())


def test_stft_errors():
    x = ember.randn(100)
    with pytest.raises(RuntimeError, match="return_complex parameter be given"):
        ember.stft(x, 16, window=ember.hann_window(16))
    with pytest.raises(RuntimeError, match="win_length=16"):
        ember.stft(x, 16, window=ember.hann_window(10), return_complex=True)
    with pytest.warns(UserWarning, match="rectangular window"):
        ember.stft(x, 16, return_complex=True)
    with pytest.raises(RuntimeError, match="complex"):
        ember.istft(x.reshape(10, 10), 18)
    with pytest.raises(RuntimeError, match="overlap add"):
        ember.istft(ember.stft(x, 16, 4, window=ember.hann_window(16), return_complex=True, center=False),
                    16, 4, window=ember.hann_window(16), center=False)


def test_stft_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 50))
    kw = dict(hop_length=5, win_length=12, return_complex=True, pad_mode="constant", normalized=True)
    got = ember.stft(ember.tensor(x), 16, window=ember.hann_window(12, dtype=ember.float64), **kw).numpy()
    want = torch.stft(torch.tensor(x), 16, window=torch.hann_window(12, dtype=torch.float64), **kw).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)
