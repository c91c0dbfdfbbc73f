"""ember.fft's Hermitian 2-D/n-D transforms (hfft2, hfftn, ihfft2, ihfftn): values against numpy
built independently (full complex transforms of Hermitian-extended signals), gradients, torch's rules."""

import ember
import numpy as np
import pytest
from harness import Case, run

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4, 6))
H = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))  # a one-sided half (complex)
_NORM_SCALE = {"backward": lambda n: 1.0, "ortho": lambda n: n ** -0.5, "forward": lambda n: 1.0 / n}


def _hermitian_full(half, shape, axes):
    """The full n-d spectrum whose last-axis half is ``half`` (cut/zero-padded to ``shape``), Hermitian-symmetric:
    the half goes into the positive bins of a zero array and the rest is the conjugate mirror image."""
    last = axes[-1]
    m = shape[-1] // 2 + 1
    src = half
    for ax, n in zip(axes, shape[:-1] + (m,), strict=True):
        idx = [slice(None)] * src.ndim
        if src.shape[ax] >= n:
            idx[ax] = slice(0, n)
            src = src[tuple(idx)]
        else:
            pad = [(0, 0)] * src.ndim
            pad[ax] = (0, n - src.shape[ax])
            src = np.pad(src, pad)
    full_shape = list(src.shape)
    full_shape[last] = shape[-1]
    full = np.zeros(full_shape, dtype=complex)
    full[(slice(None),) * last + (slice(0, m),)] = src
    # mirror: F[k] = conj(F[-k]) for the bins past m, -k taken modulo each transformed axis
    mirror = np.conj(full)
    for ax in axes:
        mirror = np.roll(np.flip(mirror, ax), 1, ax)
    fill = np.arange(shape[-1]) >= m
    sel = (slice(None),) * last + (fill,)
    full[sel] = mirror[sel]
    return full


def _np_hfftn(half, s, axes, norm="backward"):
    full = _hermitian_full(half, tuple(s), tuple(axes))
    n = int(np.prod(s))
    return (np.fft.fftn(full, axes=axes).real * _NORM_SCALE[norm](n))


def _np_ihfftn(x, axes, norm="backward"):
    n = int(np.prod([x.shape[a] for a in axes]))
    inverse_norm = {"backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]
    full = np.fft.fftn(x, axes=axes).conj() * _NORM_SCALE[inverse_norm](n)  # the inverse transform of a real signal
    return full[(slice(None),) * axes[-1] + (slice(0, x.shape[axes[-1]] // 2 + 1),)]


def _abs2(z):
    return ember.real(z) ** 2 + ember.imag(z) ** 2


CASES = [
    Case("hfft2_real_half", lambda x: ember.fft.hfft2(x), lambda x: _np_hfftn(x, (4, 6), (1, 2)), (X[:, :, :4].copy(),)),
    Case("hfftn_s_ortho", lambda x: ember.fft.hfftn(x, s=(3, 5), dim=(0, 2), norm="ortho"),
         lambda x: _np_hfftn(x, (3, 5), (0, 2), "ortho"), (X,)),
    Case("ihfft2_power", lambda x: _abs2(ember.fft.ihfft2(x)), lambda x: np.abs(_np_ihfftn(x, (1, 2))) ** 2, (X,)),
    Case("ihfftn_forward_imag", lambda x: ember.imag(ember.fft.ihfftn(x, norm="forward")),
         lambda x: _np_ihfftn(x, (0, 1, 2), "forward").imag, (X,)),
    Case("ihfftn_dim", lambda x: ember.real(ember.fft.ihfftn(x, dim=(2, 0))),
         lambda x: _np_ihfftn(x, (2, 0)).real, (X,)),
    Case("roundtrip", lambda x: ember.fft.hfftn(ember.fft.ihfftn(x, dim=(1, 2)), s=(4, 6), dim=(1, 2)), lambda x: x, (X,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hermitian_cases(case, device):
    run(case, device)


@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_hfftn_complex_half(norm, device):
    got = ember.fft.hfftn(ember.tensor(H, device=device), s=(3, 6), norm=norm)
    want = _np_hfftn(H, (3, 6), (0, 1), norm)
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-6, atol=1e-6)
    assert got.dtype == ember.float64


def test_dtypes_and_shapes():
    x = ember.ones(2, 3, 8)
    assert ember.fft.ihfft2(x).dtype == ember.complex64 and ember.fft.ihfft2(x).shape == (2, 3, 5)
    assert ember.fft.ihfftn(x.double(), dim=(0,)).shape == (2, 3, 8)
    assert ember.fft.hfft2(ember.fft.ihfft2(x)).shape == (2, 3, 8)
    assert ember.fft.hfftn(ember.ones(3, 5, dtype=ember.complex128)).dtype == ember.float64
    assert ember.fft.hfftn(ember.ones(3, 5), s=(2, 9)).shape == (2, 9)


def test_errors():
    x = ember.ones(2, 4)
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        ember.fft.hfftn(x, norm="bad")
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        ember.fft.ihfft2(x, norm="bad")
    with pytest.raises(RuntimeError, match="same length"):
        ember.fft.hfftn(x, s=(2, 3, 4), dim=(0, 1))
    with pytest.raises(RuntimeError, match="expects a real input"):
        ember.fft.ihfftn(ember.ones(2, 4, dtype=ember.complex64))


def test_against_torch():
    torch = pytest.importorskip("torch")
    for norm in (None, "ortho", "forward"):
        for s, dim in ((None, None), ((3, 7), (0, 2)), (None, (-1, 0))):
            got = ember.fft.hfftn(ember.tensor(X), s=s, dim=dim, norm=norm).numpy()
            want = torch.fft.hfftn(torch.tensor(X), s=s, dim=dim, norm=norm).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
            got = ember.fft.ihfftn(ember.tensor(X), s=s, dim=dim, norm=norm).numpy()
            want = torch.fft.ihfftn(torch.tensor(X), s=s, dim=dim, norm=norm).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ember.fft.hfft2(ember.tensor(H)).numpy(), torch.fft.hfft2(torch.tensor(H)).numpy(), atol=1e-10)
    np.testing.assert_allclose(ember.fft.ihfft2(ember.tensor(X)).numpy(), torch.fft.ihfft2(torch.tensor(X)).numpy(), atol=1e-10)
