"""Padding, interpolation, pixel shuffle and distances: numpy references (np.pad, np.interp, loops)."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)


def r(*shape):
    return rng.standard_normal(shape)


def np_widths(x, pad):
    nd = len(pad) // 2
    return [(0, 0)] * (x.ndim - nd) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd))]


def along(x, axis, fn):
    return np.apply_along_axis(fn, axis, x)


def linear_ref(x, out, align_corners):
    """Separable linear interpolation with np.interp, torch's source-coordinate rule."""
    for j, o in enumerate(out):
        axis = 2 + j
        n = x.shape[axis]
        dst = np.arange(o)
        if align_corners:
            src = dst * ((n - 1) / (o - 1) if o > 1 else 0.0)
        else:
            src = np.maximum((dst + 0.5) * n / o - 0.5, 0)
        x = along(x, axis, lambda v: np.interp(src, np.arange(n), v))
    return x


def nearest_ref(x, out, exact=False):
    for j, o in enumerate(out):
        n = x.shape[2 + j]
        src = np.minimum(np.floor((np.arange(o) + (0.5 if exact else 0.0)) * n / o), n - 1).astype(int)
        x = np.take(x, src, axis=2 + j)
    return x


def cubic_ref(x, out, align_corners):
    def w(t, A=-0.75):
        t = abs(t)
        return ((A + 2) * t - (A + 3)) * t * t + 1 if t <= 1 else ((A * t - 5 * A) * t + 8 * A) * t - 4 * A if t < 2 else 0.0

    for j, o in enumerate(out):
        axis, n = 2 + j, x.shape[2 + j]
        m = np.zeros((o, n))
        for i in range(o):
            src = i * (n - 1) / (o - 1) if align_corners else (i + 0.5) * n / o - 0.5
            f = np.floor(src)
            for t in range(-1, 3):
                m[i, int(np.clip(f + t, 0, n - 1))] += w(src - (f + t))
        x = np.moveaxis(np.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


def area_ref(x, out):
    for j, o in enumerate(out):
        axis, n = 2 + j, x.shape[2 + j]
        parts = [np.take(x, range((i * n) // o, -(-((i + 1) * n) // o)), axis=axis).mean(axis, keepdims=True) for i in range(o)]
        x = np.concatenate(parts, axis)
    return x


def shuffle_ref(x, r_):
    n, c, h, w = x.shape
    return x.reshape(n, c // r_ // r_, r_, r_, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // r_ // r_, h * r_, w * r_)


PADS = [((2, 1, 3, 0), "constant"), ((1, 2), "reflect"), ((2, 1, 1, 2), "reflect"), ((1, 3, 2, 0), "replicate"),
        ((2, 1, 1, 2), "circular"), ((1, 0, 1, 1, 0, 2), "replicate")]
NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}

CASES = [
    Case(f"pad_{mode}_{len(p)}", lambda x, p=p, mode=mode: F.pad(x, p, mode=mode),
         lambda x, p=p, mode=mode: np.pad(x, np_widths(x, p), mode=NP_MODE[mode]),
         (r(1, 2, 3, 4) if len(p) == 4 else r(1, 1, 2, 3, 3) if len(p) == 6 else r(2, 2, 4),))
    for p, mode in PADS
] + [
    Case("pad_constant_value_negative", lambda x: F.pad(x, (-1, 2, 1, -1), value=1.5),
         lambda x: np.pad(x[:, :-1, 1:], [(0, 0), (1, 0), (0, 2)], constant_values=1.5), (r(2, 3, 4),)),
    Case("interp_nearest", lambda x: F.interpolate(x, size=(5, 2)), lambda x: nearest_ref(x, (5, 2)), (r(1, 2, 3, 4),)),
    Case("interp_nearest_exact", lambda x: F.interpolate(x, size=(7,), mode="nearest-exact"),
         lambda x: nearest_ref(x, (7,), exact=True), (r(1, 2, 3),)),
    Case("interp_linear", lambda x: F.interpolate(x, size=7, mode="linear"), lambda x: linear_ref(x, (7,), False), (r(1, 2, 4),)),
    Case("interp_bilinear_ac", lambda x: F.interpolate(x, size=(4, 5), mode="bilinear", align_corners=True),
         lambda x: linear_ref(x, (4, 5), True), (r(1, 1, 3, 3),)),
    Case("interp_bilinear_down", lambda x: F.interpolate(x, size=(2, 3), mode="bilinear"), lambda x: linear_ref(x, (2, 3), False), (r(1, 2, 5, 4),)),
    Case("interp_trilinear", lambda x: F.interpolate(x, size=(3, 2, 3), mode="trilinear"),
         lambda x: linear_ref(x, (3, 2, 3), False), (r(1, 1, 2, 3, 2),)),
    Case("interp_bicubic", lambda x: F.interpolate(x, size=(5, 3), mode="bicubic"), lambda x: cubic_ref(x, (5, 3), False), (r(1, 1, 3, 4),)),
    Case("interp_bicubic_ac", lambda x: F.interpolate(x, size=(4, 4), mode="bicubic", align_corners=True),
         lambda x: cubic_ref(x, (4, 4), True), (r(1, 1, 3, 3),)),
    Case("interp_area", lambda x: F.interpolate(x, size=(2, 3), mode="area"), lambda x: area_ref(x, (2, 3)), (r(1, 2, 5, 7),)),
    Case("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), lambda x: shuffle_ref(x, 2), (r(1, 8, 2, 3),)),
    Case("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2),
         lambda x: x.reshape(1, 2, 2, 2, 3, 2).transpose(0, 1, 3, 5, 2, 4).reshape(1, 8, 2, 3), (r(1, 2, 4, 6),)),
    Case("normalize", lambda x: F.normalize(x, p=3, dim=1), lambda x: x / np.maximum((np.abs(x) ** 3).sum(1, keepdims=True) ** (1 / 3), 1e-12), (r(3, 4),)),
    Case("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=-1),
         lambda a, b: (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1), (r(3, 4), r(1, 4))),
    Case("pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=1.5),
         lambda a, b: (np.abs(a - b + 1e-6) ** 1.5).sum(-1) ** (1 / 1.5), (r(3, 4), r(3, 4))),
    Case("pdist", lambda a: F.pdist(a), lambda a: np.array([np.linalg.norm(a[i] - a[j]) for i in range(4) for j in range(i + 1, 4)]), (r(4, 3),)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pad_sampling_ops(case, device):
    run(case, device)


def test_interpolate_scale_factor_rules():
    x = ember.tensor(r(1, 1, 4, 5))
    # with a scale factor the kernel uses 1 / scale, unless recompute_scale_factor
    got = F.interpolate(x, scale_factor=1.7, mode="linear" if False else "bilinear")
    assert got.shape == (1, 1, 6, 8)
    src = (np.arange(6) + 0.5) / 1.7 - 0.5
    col = np.interp(np.maximum(src, 0), np.arange(4), x.numpy()[0, 0, :, 0])
    np.testing.assert_allclose(F.interpolate(x[..., :1], scale_factor=(1.7, 1.0), mode="bilinear").numpy()[0, 0, :, 0], col, atol=1e-6)
    np.testing.assert_allclose(F.interpolate(x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True).numpy(),
                               linear_ref(x.numpy(), (6, 8), False), atol=1e-6)
    np.testing.assert_allclose(F.interpolate(x, scale_factor=2).numpy(), x.numpy().repeat(2, 2).repeat(2, 3))


def test_interpolate_constant_is_preserved():
    x = ember.full((1, 1, 3, 4), 2.5)
    for mode in ("bilinear", "bicubic", "nearest", "area", "nearest-exact"):
        np.testing.assert_allclose(F.interpolate(x, size=(7, 5), mode=mode).numpy(), 2.5, rtol=1e-6)


@pytest.mark.parametrize("call, err, msg", [
    (lambda: F.pad(ember.zeros(2, 3, 8, 8), (1, 2, 3)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(ember.zeros(2, 3, 8, 8), (8, 8, 1, 1), mode="reflect"), RuntimeError, "Padding size should be less than the corresponding input dimension"),
    (lambda: F.pad(ember.zeros(8), (1, 1), mode="reflect"), NotImplementedError, "Padding size 2 is not supported for 1D input tensor."),
    (lambda: F.pad(ember.zeros(2, 3, 8, 8), (1, 1), mode="foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda: F.pad(ember.zeros(2, 3, 8, 8), (1, 1, 1, 1), mode="reflect", value=2), RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda: F.pad(ember.zeros(2, 3, 8, 8), (9, 8, 1, 1), mode="circular"), RuntimeError, "Padding value causes wrapping around more than once."),
    (lambda: F.interpolate(ember.zeros(2, 3, 8, 8), size=4, scale_factor=2), ValueError, "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(ember.zeros(2, 3, 8, 8)), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(ember.zeros(2, 3, 8), scale_factor=2, mode="bilinear"), NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(ember.zeros(2, 3, 8), scale_factor=2, align_corners=True), ValueError, "align_corners option can only be set"),
    (lambda: F.pixel_shuffle(ember.zeros(2, 3, 8, 8), 2), RuntimeError, "input.size\\(-3\\)=3 is not divisible by 4"),
])
def test_pad_sampling_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_pad_modules():
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad2d((1, 2, 3, 4), 2.5)) == "ConstantPad2d(padding=(1, 2, 3, 4), value=2.5)"
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    assert repr(nn.CircularPad2d((1, 1, 2, 2))) == "CircularPad2d((1, 1, 2, 2))"
    x = r(1, 2, 3, 4)
    for cls, mode in [(nn.ReflectionPad2d, "reflect"), (nn.ReplicationPad2d, "edge"), (nn.CircularPad2d, "wrap"), (nn.ZeroPad2d, "constant")]:
        np.testing.assert_allclose(cls((1, 2, 2, 1))(ember.tensor(x)).numpy(), np.pad(x, [(0, 0), (0, 0), (2, 1), (1, 2)], mode=mode))
    np.testing.assert_allclose(nn.ConstantPad1d(1, 3.0)(ember.tensor(x)).numpy(), np.pad(x, [(0, 0)] * 3 + [(1, 1)], constant_values=3.0))
    assert nn.ReplicationPad3d(1)(ember.zeros(1, 2, 2, 2)).shape == (1, 4, 4, 4)


def test_sampling_and_distance_modules():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == "Upsample(size=(3, 4), mode='bilinear')"
    x = r(1, 1, 3, 3)
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(size=(5, 4))(ember.tensor(x)).numpy(), linear_ref(x, (5, 4), True), atol=1e-12)
    np.testing.assert_allclose(nn.UpsamplingNearest2d(scale_factor=2)(ember.tensor(x)).numpy(), x.repeat(2, 2).repeat(2, 3))
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)" and repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    y = r(2, 8, 3, 3)
    np.testing.assert_allclose(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(ember.tensor(y))).numpy(), y)
    a, b = r(3, 5), r(3, 5)
    np.testing.assert_allclose(nn.CosineSimilarity()(ember.tensor(a), ember.tensor(b)).numpy(),
                               (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(nn.PairwiseDistance(keepdim=True)(ember.tensor(a), ember.tensor(b)).numpy(),
                               np.linalg.norm(a - b + 1e-6, axis=1, keepdims=True))
    assert repr(nn.Unfold(2, padding=1)) == "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"
    assert repr(nn.Fold((4, 4), 2)) == "Fold(output_size=(4, 4), kernel_size=2, dilation=1, padding=0, stride=1)"
    z = ember.tensor(r(1, 2, 4, 4))
    np.testing.assert_allclose(nn.Fold((4, 4), 2, stride=2)(nn.Unfold(2, stride=2)(z)).numpy(), z.numpy())


@pytest.mark.torch
def test_sampling_matches_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x = r(2, 3, 5, 7)
    for kw in (dict(scale_factor=1.7, mode="bicubic"), dict(size=(8, 3), mode="bilinear"), dict(scale_factor=(2.3, 0.6)),
               dict(size=(3, 11), mode="nearest-exact"), dict(size=(3, 4), mode="area"),
               dict(size=(9, 4), mode="bicubic", align_corners=True)):
        np.testing.assert_allclose(F.interpolate(ember.tensor(x), **kw).numpy(), tF.interpolate(torch.tensor(x), **kw).numpy(), atol=1e-10)
    for p, mode in [((2, 1, 3, 0), "reflect"), ((-1, 3, 3, -2), "circular"), ((1, 2, 0, 3), "replicate")]:
        np.testing.assert_allclose(F.pad(ember.tensor(x), p, mode=mode).numpy(), tF.pad(torch.tensor(x), p, mode=mode).numpy())
