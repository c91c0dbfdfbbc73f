"""The random transforms draw like torchvision: same calls, same order, same numbers.

Each test seeds Ember, runs the Ember transform, then seeds ``lib`` (Ember, or torch when it is
installed) and replays torchvision 0.28's documented draw sequence for that transform with plain
``lib`` calls written out here. With torch the replay *is* torchvision's algorithm on torch's
generator, so equal results mean equal draws; with Ember it checks the structure. The draw after
the transform is compared too, so both consumed the same number of values. Where torchvision
itself imports, it is compared with directly.
"""

import math
import random

import numpy as np
import pytest

import ember
from embervision import transforms as T
from embervision.transforms import autoaugment as AA
from embervision.transforms import functional as F

SEEDS = range(12)


@pytest.fixture(params=["ember", "torch"])
def lib(request):
    """The library whose generator replays torchvision's draws."""
    return ember if request.param == "ember" else pytest.importorskip("torch")


def _torchvision():
    """torchvision.transforms, or a skip when it is missing or cannot load beside this torch."""
    pytest.importorskip("torch")
    try:
        import torchvision.transforms as tvt
    except Exception as exc:  # e.g. a CUDA build of torchvision beside a CPU torch
        pytest.skip(f"torchvision is not usable here: {type(exc).__name__}: {exc}")
    return tvt


def _check(lib, seed, run, replay):
    """``run()`` after ``ember.manual_seed(seed)`` equals ``replay(lib)`` after ``lib.manual_seed(seed)``,
    and the next draw of each generator agrees."""
    ember.manual_seed(seed)
    got, got_next = run(), ember.rand(1).item()
    lib.manual_seed(seed)
    want, want_next = replay(lib), lib.rand(1).item()
    _same(got, want, exact=lib is not ember)
    assert got_next == want_next
    return got


def _same(got, want, exact):
    """Equal, floats to the bit against torch; against Ember's own ``uniform_`` (which rounds
    ``hi - lo`` differently from torch's float kernel) to a float32 ulp or two."""
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _same(g, w, exact)
    elif isinstance(want, float) and not exact:
        assert got == pytest.approx(want, rel=3e-7, abs=1e-12)
    else:
        assert got == want


def _image(h=20, w=30, c=3):
    return ember.from_numpy(np.random.default_rng(0).integers(0, 256, (c, h, w), dtype=np.uint8))


# --- torchvision's draw sequences, replayed ---------------------------------------------------
def _uniform(lib, lo, hi):
    return lib.empty(1).uniform_(lo, hi).item()


def _randint(lib, lo, hi):
    return lib.randint(lo, hi, size=(1,)).item()


def replay_random_crop(lib, h, w, th, tw):
    if h == th and w == tw:
        return 0, 0, h, w
    return _randint(lib, 0, h - th + 1), _randint(lib, 0, w - tw + 1), th, tw


def replay_log_ratio(lib, ratio):
    log_ratio = lib.log(lib.tensor(ratio))
    return lib.exp(lib.empty(1).uniform_(float(log_ratio[0]), float(log_ratio[1]))).item()


def replay_resized_crop(lib, height, width, scale, ratio):
    area = height * width
    for _ in range(10):
        target = area * _uniform(lib, scale[0], scale[1])
        aspect = replay_log_ratio(lib, ratio)
        w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return _randint(lib, 0, height - h + 1), _randint(lib, 0, width - w + 1), h, w
    if width / height < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif width / height > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


def replay_color_jitter(lib, ranges):
    order = lib.randperm(4).tolist()
    return [order] + [None if r is None else float(lib.empty(1).uniform_(r[0], r[1])) for r in ranges]


def replay_affine(lib, degrees, translate, scale, shear, size):
    angle = _uniform(lib, degrees[0], degrees[1])
    t = (0, 0)
    if translate is not None:
        dx, dy = translate[0] * size[0], translate[1] * size[1]
        t = (int(round(_uniform(lib, -dx, dx))), int(round(_uniform(lib, -dy, dy))))
    s = 1.0 if scale is None else _uniform(lib, scale[0], scale[1])
    sx = sy = 0.0
    if shear is not None:
        sx = _uniform(lib, shear[0], shear[1])
        if len(shear) == 4:
            sy = _uniform(lib, shear[2], shear[3])
    return angle, t, s, (sx, sy)


def replay_erasing(lib, c, h, w, p, scale, ratio, random_value):
    if not lib.rand(1) < p:
        return None
    for _ in range(10):
        area = h * w * _uniform(lib, scale[0], scale[1])
        aspect = replay_log_ratio(lib, ratio)
        eh, ew = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if eh < h and ew < w:
            v = lib.empty([c, eh, ew], dtype=lib.float32).normal_().numpy().tolist() if random_value else None
            return _randint(lib, 0, h - eh + 1), _randint(lib, 0, w - ew + 1), eh, ew, v
    return 0, 0, h, w, None


# --- geometry ---------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(7, 11), (20, 30), (20, 5)])
def test_random_crop_params(lib, size):
    x = _image()
    for seed in SEEDS:
        _check(lib, seed, lambda: T.RandomCrop.get_params(x, size), lambda m: replay_random_crop(m, 20, 30, *size))


def test_random_crop_forward_pads_then_draws(lib):
    x = _image(6, 5)
    # padding=1 gives 8x7; pad_if_needed pads both sides by the shortfall (as torchvision): 8x9
    for seed in SEEDS:
        got = _check(lib, seed, lambda: T.RandomCrop(8, padding=1, pad_if_needed=True)(x).numpy().tolist(),
                     lambda m: F.crop(F.pad(x, [2, 1]), *replay_random_crop(m, 8, 9, 8, 8)).numpy().tolist())
        assert np.shape(got) == (3, 8, 8)
    for seed in SEEDS:  # a crop the size of the image draws nothing
        _check(lib, seed, lambda: T.RandomCrop((6, 5))(x).shape,
               lambda m: replay_random_crop(m, 6, 5, 6, 5) and x.shape)


@pytest.mark.parametrize("scale,ratio", [((0.08, 1.0), (3 / 4, 4 / 3)), ((0.5, 0.9), (0.2, 5.0)),
                                         ((2.0, 3.0), (1.0, 1.0)), ((3.0, 4.0), (4.0, 5.0))])
def test_random_resized_crop_params(lib, scale, ratio):
    x = _image()
    for seed in range(40):
        _check(lib, seed, lambda: T.RandomResizedCrop.get_params(x, scale, ratio),
               lambda m: replay_resized_crop(m, 20, 30, scale, ratio))


def test_random_resized_crop_forward_uses_its_params():
    x = _image()
    ember.manual_seed(5)
    i, j, h, w = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
    ember.manual_seed(5)
    got = T.RandomResizedCrop(9)(x)
    np.testing.assert_array_equal(got.numpy(), F.resized_crop(x, i, j, h, w, [9, 9]).numpy())


@pytest.mark.parametrize("flip,fn", [(T.RandomHorizontalFlip, F.hflip), (T.RandomVerticalFlip, F.vflip)])
def test_flips_draw_once_even_when_p_is_zero(lib, flip, fn):
    x = _image(4, 5)
    ps = [0.0, 0.3, 0.5, 0.7, 1.0, 0.5, 0.5]
    ember.manual_seed(9)
    got = [not np.array_equal(flip(p)(x).numpy(), x.numpy()) for p in ps] + [ember.rand(1).item()]
    lib.manual_seed(9)
    want = [bool(lib.rand(1) < p) for p in ps] + [lib.rand(1).item()]
    assert got == want
    assert np.array_equal(flip(1.0)(x).numpy(), fn(x).numpy())


def test_rotation_and_affine_params(lib):
    for seed in SEEDS:
        _check(lib, seed, lambda: T.RandomRotation.get_params([-30.0, 45.0]), lambda m: _uniform(m, -30.0, 45.0))
    cases = [(T.RandomAffine(10), [-10, 10], None, None, None),
             (T.RandomAffine((5, 25), translate=(0.1, 0.3), scale=(0.8, 1.2), shear=8), [5, 25], (0.1, 0.3),
              (0.8, 1.2), [-8, 8]),
             (T.RandomAffine(0, shear=(1, 2, 3, 4), scale=(0.5, 0.6)), [0, 0], None, (0.5, 0.6), [1, 2, 3, 4])]
    for tf, *ranges in cases:
        for seed in SEEDS:
            _check(lib, seed, lambda tf=tf: tf.get_params(tf.degrees, tf.translate, tf.scale, tf.shear, [30, 20]),
                   lambda m, ranges=ranges: replay_affine(m, *ranges, [30, 20]))


def test_reversed_range_is_refused_like_uniform_():
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=3 > to=1"):
        T.RandomRotation((3, 1))(_image())


def test_rotation_forward_uses_the_drawn_angle():
    x = _image().float() / 255
    ember.manual_seed(2)
    angle = T.RandomRotation.get_params([-40.0, 40.0])
    ember.manual_seed(2)
    got = T.RandomRotation(40)(x)
    np.testing.assert_array_equal(got.numpy(), F.rotate(x, angle, fill=[0.0] * 3).numpy())


def replay_perspective(lib, width, height, scale):
    hw, hh = int(scale * (width // 2)), int(scale * (height // 2))
    tl = [_randint(lib, 0, hw + 1), _randint(lib, 0, hh + 1)]
    tr = [_randint(lib, width - hw - 1, width), _randint(lib, 0, hh + 1)]
    br = [_randint(lib, width - hw - 1, width), _randint(lib, height - hh - 1, height)]
    bl = [_randint(lib, 0, hw + 1), _randint(lib, height - hh - 1, height)]
    return [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], [tl, tr, br, bl]


@pytest.mark.parametrize("scale", [0.0, 0.3, 0.5, 1.0])
def test_random_perspective_params(lib, scale):
    for seed in SEEDS:
        _check(lib, seed, lambda: T.RandomPerspective.get_params(30, 20, scale),
               lambda m: replay_perspective(m, 30, 20, scale))


def test_random_perspective_forward(lib):
    x = _image().float() / 255
    for seed in SEEDS:
        ember.manual_seed(seed)
        got = T.RandomPerspective(0.4, p=0.6, fill=0.5)(x)
        got_next = ember.rand(1).item()
        lib.manual_seed(seed)
        applied = bool(lib.rand(1) < 0.6)
        want = F.perspective(x, *replay_perspective(lib, 30, 20, 0.4), fill=[0.5] * 3) if applied else x
        assert got_next == lib.rand(1).item()
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_perspective_pixels(mode):
    x = _image().float() / 255
    corners = [[0, 0], [29, 0], [29, 19], [0, 19]]
    shifted = [[u + 2, v - 1] for u, v in corners]  # a translation: the affine warp's result
    np.testing.assert_allclose(F.perspective(x, corners, shifted, mode).numpy(),
                               F.affine(x, 0.0, [2, -1], 1.0, [0.0, 0.0], mode).numpy(), atol=1e-6)
    np.testing.assert_allclose(F.perspective(x, corners, corners, mode).numpy(), x.numpy(), atol=1e-6)
    pil = F.to_pil_image(_image())
    same = np.asarray(F.perspective(pil, corners, corners, mode)).astype(int) - np.asarray(pil)
    assert np.abs(same).max() <= 1  # Pillow rounds its bilinear taps
    with pytest.raises(ValueError, match="exactly four corners"):
        F.perspective(x, corners[:3], corners)


def _blur(lib, d, k, sigma):
    """torchvision's gaussian_blur of a 1 x 1 x H x W field, written with ``lib``."""
    half = (k - 1) * 0.5
    kernels = [lib.exp(-0.5 * (lib.linspace(-half, half, k) / s) ** 2) for s in sigma]
    kernels = [g / g.sum() for g in kernels]
    weight = (kernels[1][:, None] * kernels[0][None, :])[None, None]
    padded = lib.nn.functional.pad(d, [k // 2] * 4, mode="reflect")
    return lib.nn.functional.conv2d(padded, weight)


def replay_elastic(lib, alpha, sigma, size):
    fields = []
    for a, s, n in zip(alpha, sigma, size[::-1], strict=True):  # dx is scaled by the width, dy by the height
        d = lib.rand([1, 1] + size) * 2 - 1
        if s > 0.0:
            k = int(8 * s + 1)
            d = _blur(lib, d, k + 1 if k % 2 == 0 else k, sigma)
        fields.append(d * a / n)
    return lib.cat(fields, 1).permute([0, 2, 3, 1])


@pytest.mark.parametrize("alpha,sigma", [([30.0, 30.0], [0.0, 0.0]), ([50.0, 20.0], [1.5, 2.0])])
def test_elastic_params(lib, alpha, sigma):
    for seed in (0, 1, 2):
        ember.manual_seed(seed)
        got, got_next = T.ElasticTransform.get_params(alpha, sigma, [20, 24]).numpy(), ember.rand(1).item()
        lib.manual_seed(seed)
        want = replay_elastic(lib, alpha, sigma, [20, 24]).numpy()
        assert got.shape == (1, 20, 24, 2) and got_next == lib.rand(1).item()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_elastic_transform_pixels_and_forward():
    x = _image(20, 24).float() / 255
    still = ember.zeros(1, 20, 24, 2)
    for mode in ("nearest", "bilinear"):
        np.testing.assert_allclose(F.elastic_transform(x, still, mode).numpy(), x.numpy(), atol=1e-6)
        one_pixel_left = ember.tensor([2 / 24, 0.0]).expand(1, 20, 24, 2)  # content moves left by one pixel
        np.testing.assert_allclose(F.elastic_transform(x, one_pixel_left, mode).numpy(),
                                   F.affine(x, 0.0, [-1, 0], 1.0, [0.0, 0.0], mode).numpy(), atol=1e-6)
    ember.manual_seed(6)
    field = T.ElasticTransform.get_params([40.0, 40.0], [3.0, 3.0], [20, 24])
    ember.manual_seed(6)
    tf = T.ElasticTransform(40.0, 3.0, fill=0.25)
    np.testing.assert_array_equal(tf(x).numpy(), F.elastic_transform(x, field, fill=[0.25]).numpy())
    assert T.ElasticTransform(40.0, 3.0)(F.to_pil_image(_image(20, 24))).size == (24, 20)
    assert repr(tf) == ("ElasticTransform(alpha=[40.0, 40.0], sigma=[3.0, 3.0], "
                        "interpolation=InterpolationMode.BILINEAR, fill=[0.25])")
    with pytest.raises(TypeError, match="alpha should be float"):
        T.ElasticTransform(alpha=3)
    with pytest.raises(ValueError, match="displacement shape should be"):
        F.elastic_transform(x, ember.zeros(1, 2, 2, 2))


# --- colour -----------------------------------------------------------------------------------
def _jitter_params(params):
    return [params[0].tolist(), *params[1:]]


@pytest.mark.parametrize("args", [(0.4, 0.4, 0.4, 0.1), (0, (0.2, 0.9), 0, 0), (0.5, 0, 0.3, (-0.1, 0.3)),
                                  (0, 0, 0, 0)])
def test_color_jitter_params(lib, args):
    tf = T.ColorJitter(*args)
    ranges = [tf.brightness, tf.contrast, tf.saturation, tf.hue]
    for seed in SEEDS:
        _check(lib, seed, lambda: _jitter_params(tf.get_params(*ranges)), lambda m: replay_color_jitter(m, ranges))


def test_color_jitter_forward_applies_in_the_drawn_order():
    x = _image().float() / 255
    ember.manual_seed(4)
    order, *factors = T.ColorJitter.get_params((0.5, 1.5), (0.6, 1.4), (0.7, 1.3), (-0.1, 0.1))
    want = x
    for i in order.tolist():
        want = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)[i](want, factors[i])
    ember.manual_seed(4)
    np.testing.assert_allclose(T.ColorJitter(0.5, 0.4, 0.3, 0.1)(x).numpy(), want.numpy(), atol=1e-6)


def test_gaussian_blur_and_grayscale(lib):
    for seed in SEEDS:
        _check(lib, seed, lambda: T.GaussianBlur.get_params(0.1, 2.0), lambda m: _uniform(m, 0.1, 2.0))
    x = _image(4, 4)
    ember.manual_seed(1)
    got = [not np.array_equal(T.RandomGrayscale(p)(x).numpy(), x.numpy()) for p in (0.0, 0.1, 0.5, 0.9, 0.5)]
    lib.manual_seed(1)
    assert got == [bool(lib.rand(1) < p) for p in (0.0, 0.1, 0.5, 0.9, 0.5)]


_COLOUR = [(T.RandomInvert, ()), (T.RandomPosterize, (3,)), (T.RandomSolarize, (100,)),
           (T.RandomAdjustSharpness, (2.0,)), (T.RandomAutocontrast, ()), (T.RandomEqualize, ())]


@pytest.mark.parametrize("cls,args", _COLOUR, ids=[c.__name__ for c, _ in _COLOUR])
def test_colour_coin_flips(lib, cls, args):
    x = _image(5, 6)
    ps = [0.0, 0.2, 0.5, 0.8, 1.0, 0.5]
    ember.manual_seed(11)
    got = [cls(*args, p=p)(x) is not x for p in ps] + [ember.rand(1).item()]
    lib.manual_seed(11)
    assert got == [lib.rand(1).item() < p for p in ps] + [lib.rand(1).item()]


def test_colour_coin_flip_outputs_and_reprs():
    x = _image(5, 6)
    fns = (F.invert, F.posterize, F.solarize, F.adjust_sharpness, F.autocontrast, F.equalize)
    for (cls, args), fn in zip(_COLOUR, fns, strict=True):
        np.testing.assert_array_equal(cls(*args, p=1.0)(x).numpy(), fn(x, *args).numpy())
    assert repr(T.RandomPosterize(2)) == "RandomPosterize(bits=2,p=0.5)"
    assert repr(T.RandomInvert(0.2)) == "RandomInvert(p=0.2)"


# --- erasing and the containers ----------------------------------------------------------------
@pytest.mark.parametrize("value", [0, "random"])
@pytest.mark.parametrize("scale,ratio", [((0.02, 0.33), (0.3, 3.3)), ((0.9, 0.99), (0.3, 3.3))])
def test_random_erasing(lib, value, scale, ratio):
    x = ember.ones(3, 12, 16)
    for seed in SEEDS:
        ember.manual_seed(seed)
        out = T.RandomErasing(0.7, scale, ratio, value)(x)
        got_next = ember.rand(1).item()
        lib.manual_seed(seed)
        want = replay_erasing(lib, 3, 12, 16, 0.7, scale, ratio, value == "random")
        assert got_next == lib.rand(1).item()
        if want is None or want[:4] == (0, 0, 12, 16):
            assert np.array_equal(out.numpy(), x.numpy())
            continue
        i, j, h, w, v = want
        expect = x.numpy().copy()
        expect[:, i:i + h, j:j + w] = 0 if v is None else np.asarray(v, np.float32)
        np.testing.assert_allclose(out.numpy(), expect, rtol=1e-5, atol=1e-6)  # float32 normals: a few ulps


def test_random_apply(lib):
    add = [T.Lambda(lambda v: v + 1)]
    ps = [0.0, 0.25, 0.5, 0.75, 1.0]
    ember.manual_seed(3)
    got = [T.RandomApply(add, p)(0) == 1 for p in ps]
    lib.manual_seed(3)
    assert got == [not p < lib.rand(1) for p in ps]


def test_random_order_and_choice_use_python_random():
    tfs = [T.Lambda(lambda v, k=k: v + [k]) for k in range(5)]
    for seed in SEEDS:
        random.seed(seed)
        got = T.RandomOrder(tfs)([]), T.RandomChoice(tfs)([]), T.RandomChoice(tfs, p=[1, 0, 3, 0, 2])([])
        random.seed(seed)
        order = list(range(5))
        random.shuffle(order)
        want = order, random.choices(range(5))[:1], random.choices(range(5), weights=[1, 0, 3, 0, 2])[:1]
        assert [list(g) for g in got] == [list(w) for w in want]
    with pytest.raises(TypeError, match="p should be a sequence"):
        T.RandomChoice(tfs, p=0.5)


# --- automatic augmentation --------------------------------------------------------------------
def _recorded(monkeypatch, tf, img, seed):
    """The (operation, magnitude) pairs ``tf`` applies to ``img`` after ``ember.manual_seed(seed)``."""
    applied = []
    monkeypatch.setattr(AA, "_apply_op", lambda im, name, mag, *a: applied.append((name, mag)) or im)
    ember.manual_seed(seed)
    tf(img)
    return applied, ember.rand(1).item()


def _space(lib, n, h, w, wide):
    """torchvision's augmentation space built with ``lib``: name -> (magnitudes or None, signed)."""
    shear, translate, rot, enhance, posterize = (0.99, 32.0, 135.0, 0.99, 6) if wide else (0.3, None, 30.0, 0.9, 4)
    lin = lambda hi: lib.linspace(0.0, hi, n).tolist()  # noqa: E731
    return {"Identity": (None, False), "ShearX": (lin(shear), True), "ShearY": (lin(shear), True),
            "TranslateX": (lin(translate or 150.0 / 331.0 * w), True),
            "TranslateY": (lin(translate or 150.0 / 331.0 * h), True), "Rotate": (lin(rot), True),
            "Brightness": (lin(enhance), True), "Color": (lin(enhance), True), "Contrast": (lin(enhance), True),
            "Sharpness": (lin(enhance), True),
            "Posterize": ((8 - (lib.arange(n) / ((n - 1) / posterize)).round().int()).tolist(), False),
            "Solarize": (lib.linspace(255.0, 0.0, n).tolist(), False), "AutoContrast": (None, False),
            "Equalize": (None, False)}


def replay_augment(lib, space, num_ops, magnitude_bin):
    applied = []
    for _ in range(num_ops):
        name = list(space)[int(lib.randint(len(space), (1,)).item())]
        mags, signed = space[name]
        if mags is None:
            m = 0.0
        elif magnitude_bin is None:
            m = float(mags[lib.randint(len(mags), (1,), dtype=lib.long).item()])
        else:
            m = float(mags[magnitude_bin])
        if signed and lib.randint(2, (1,)):
            m *= -1.0
        applied.append((name, m))
    return applied, lib.rand(1).item()


def _same_ops(got, want, exact):
    (got_ops, got_next), (want_ops, want_next) = got, want
    assert [n for n, _ in got_ops] == [n for n, _ in want_ops] and got_next == want_next
    tol = 0 if exact else 1e-6  # ember.linspace is not torch's to the last bit
    for (_, a), (_, b) in zip(got_ops, want_ops, strict=True):
        assert a == pytest.approx(b, rel=tol, abs=tol)


@pytest.mark.parametrize("num_ops,magnitude,bins", [(2, 9, 31), (3, 20, 31), (4, 5, 10)])
def test_rand_augment_draws(lib, monkeypatch, num_ops, magnitude, bins):
    x = _image(17, 23)
    tf = T.RandAugment(num_ops, magnitude, bins)
    for seed in range(20):
        got = _recorded(monkeypatch, tf, x, seed)
        lib.manual_seed(seed)
        _same_ops(got, replay_augment(lib, _space(lib, bins, 17, 23, False), num_ops, magnitude), lib is not ember)


@pytest.mark.parametrize("bins", [31, 8])
def test_trivial_augment_draws(lib, monkeypatch, bins):
    x = _image(17, 23)
    tf = T.TrivialAugmentWide(bins)
    names = set()
    for seed in range(40):
        got = _recorded(monkeypatch, tf, x, seed)
        lib.manual_seed(seed)
        _same_ops(got, replay_augment(lib, _space(lib, bins, 17, 23, True), 1, None), lib is not ember)
        names.add(got[0][0][0])
    assert {"Identity", "Equalize"} & names  # the operations without a magnitude draw came up


def test_augment_magnitudes_are_torchs_float32_linspace():
    for wide in (False, True):
        for name, (mags, _) in AA._op_table(31, 17, 23, wide).items():
            if mags is not None and name not in ("Posterize", "Solarize"):
                hi = mags[-1]
                np.testing.assert_allclose(mags, np.arange(31) * hi / 30, rtol=2e-7, atol=1e-12)
                assert all(m == float(np.float32(m)) for m in mags)
    assert AA._op_table(31, 8, 8, False)["Posterize"][0][:6] == [8, 8, 8, 8, 7, 7]  # round(i / 7.5), half to even
    assert AA._op_table(31, 8, 8, True)["Solarize"][0][:3] == [255.0, 246.5, 238.0]
    torch = pytest.importorskip("torch")
    for n in (31, 10, 7):
        for wide in (False, True):
            assert {k: v[0] for k, v in AA._op_table(n, 17, 23, wide).items()} == \
                {k: v[0] for k, v in _space(torch, n, 17, 23, wide).items()}


def test_rand_augment_solarize_threshold_is_torchvisions():
    u = ember.tensor([[[100, 246, 247]]], dtype=ember.uint8)
    assert AA._apply_op(u, "Solarize", 246.5, F.InterpolationMode.NEAREST, None).tolist() == [[[100, 246, 8]]]
    x = u.float() / 255
    np.testing.assert_allclose(AA._apply_op(x, "Solarize", 246.5, F.InterpolationMode.NEAREST, None).numpy(),
                               [[[100 / 255, 246 / 255, 8 / 255]]], atol=1e-6)


def replay_auto_augment(lib, policies, space):
    policy_id = int(lib.randint(len(policies), (1,)).item())
    probs, signs = lib.rand((2,)), lib.randint(2, (2,))
    applied = []
    for i, (name, p, magnitude_bin) in enumerate(policies[policy_id]):
        if probs[i] <= p:
            mags, signed = space[name]
            m = float(mags[magnitude_bin]) if magnitude_bin is not None else 0.0
            if signed and signs[i] == 0:
                m *= -1.0
            applied.append((name, m))
    return applied, lib.rand(1).item()


@pytest.mark.parametrize("policy", list(T.AutoAugmentPolicy))
def test_auto_augment_draws(lib, monkeypatch, policy):
    x = _image(17, 23)
    tf = T.AutoAugment(policy)
    space = {**_space(lib, 10, 17, 23, False), "Invert": (None, False)}
    for seed in range(25):
        got = _recorded(monkeypatch, tf, x, seed)
        lib.manual_seed(seed)
        _same_ops(got, replay_auto_augment(lib, tf.policies, space), lib is not ember)


def test_auto_augment_policies_and_pixels():
    assert [len(T.AutoAugment(p).policies) for p in T.AutoAugmentPolicy] == [25, 25, 25]
    assert T.AutoAugment().policies[0] == (("Posterize", 0.4, 8), ("Rotate", 0.6, 9))
    assert T.AutoAugment(T.AutoAugmentPolicy.SVHN).policies[-1] == (("ShearX", 0.7, 2), ("Invert", 0.1, None))
    with pytest.raises(ValueError, match="not recognized"):
        T.AutoAugment("imagenet")
    u = _image(8, 9)
    assert np.array_equal(AA._apply_op(u, "Invert", 0.0, F.InterpolationMode.NEAREST, None).numpy(), 255 - u.numpy())
    for policy in T.AutoAugmentPolicy:
        for seed in range(3):
            ember.manual_seed(seed)
            assert T.AutoAugment(policy)(u).shape == u.shape
            assert T.AutoAugment(policy)(F.to_pil_image(u)).size == (9, 8)
    assert repr(T.AutoAugment()) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=None)"


def _dirichlet(lib, concentration):
    """torch's CPU Dirichlet sampler (ember's draws the same: tests/core/test_random_samplers_torch.py)."""
    return lib._sample_dirichlet(concentration)


def replay_augmix(lib, space, n_chains, depth, severity, alpha):
    m = _dirichlet(lib, lib.tensor([[alpha, alpha]]))
    w = (_dirichlet(lib, lib.tensor([[alpha] * n_chains])) * m[:, 1].view(1, -1)).tolist()[0]
    applied = []
    for _ in range(n_chains):
        for _ in range(depth if depth > 0 else int(lib.randint(low=1, high=4, size=(1,)).item())):
            name = list(space)[int(lib.randint(len(space), (1,)).item())]
            mags, signed = space[name]
            mag = float(mags[lib.randint(severity, (1,), dtype=lib.long).item()]) if mags is not None else 0.0
            if signed and lib.randint(2, (1,)):
                mag *= -1.0
            applied.append((name, mag))
    return applied, lib.rand(1).item(), m[0].tolist(), w


def _augmix_space(lib, h, w, all_ops):
    full = _space(lib, 10, h, w, False)
    names = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Posterize", "Solarize", "AutoContrast",
             "Equalize"]
    space = {k: full[k] for k in names + (["Brightness", "Color", "Contrast", "Sharpness"] if all_ops else [])}
    space["TranslateX"] = (lib.linspace(0.0, w / 3.0, 10).tolist(), True)
    space["TranslateY"] = (lib.linspace(0.0, h / 3.0, 10).tolist(), True)
    space["Posterize"] = ((4 - (lib.arange(10) / (9 / 4)).round().int()).tolist(), False)
    return space


@pytest.mark.parametrize("kw", [{}, {"chain_depth": 2, "severity": 7, "mixture_width": 4, "alpha": 0.5},
                                {"all_ops": False, "severity": 10}])
def test_augmix_draws(lib, monkeypatch, kw):
    x = _image(17, 23)
    tf = T.AugMix(**kw)
    space = _augmix_space(lib, 17, 23, tf.all_ops)
    for seed in range(12):
        got = _recorded(monkeypatch, tf, x, seed)
        lib.manual_seed(seed)
        want = replay_augmix(lib, space, tf.mixture_width, tf.chain_depth, tf.severity, tf.alpha)
        _same_ops(got, want[:2], lib is not ember)


def test_augmix_mixes_by_the_drawn_weights(monkeypatch):
    x = _image(6, 7)
    monkeypatch.setattr(AA, "_apply_op", lambda im, *a: ember.full_like(im, 100))  # every chain ends at 100
    for seed in range(5):
        ember.manual_seed(seed)
        got = T.AugMix(mixture_width=2, chain_depth=1)(x)
        ember.manual_seed(seed)
        m = ember._sample_dirichlet(ember.tensor([[1.0, 1.0]])).numpy()[0]
        w = ember._sample_dirichlet(ember.tensor([[1.0, 1.0]])).numpy()[0] * m[1]
        want = m[0] * x.numpy().astype(np.float32) + np.float32(w[0] * 100) + np.float32(w[1] * 100)
        assert got.dtype is ember.uint8
        assert np.abs(got.numpy().astype(int) - want.astype(np.uint8)).max() <= 1
    pil = F.to_pil_image(x)
    assert T.AugMix()(pil).size == (7, 6)
    with pytest.raises(ValueError, match="severity must be between"):
        T.AugMix(severity=11)
    assert repr(T.AugMix()) == ("AugMix(severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True, "
                                "interpolation=InterpolationMode.BILINEAR, fill=None)")


# --- devices ----------------------------------------------------------------------------------
def test_draws_and_results_are_the_same_on_every_device(device):
    """The draws come from the CPU generator whatever the image's device, so the results agree."""
    x = _image(16, 18)
    pipeline = [T.RandomResizedCrop(12, antialias=False), T.RandomHorizontalFlip(), T.RandomPerspective(p=1.0),
                T.ElasticTransform(20.0, 2.0), T.RandAugment(), T.TrivialAugmentWide(), T.AutoAugment(), T.AugMix()]
    for tf in pipeline:
        ember.manual_seed(3)
        want = tf(x).numpy()
        ember.manual_seed(3)
        got = tf(x.to(device))
        assert got.device.type == ember.device(device).type
        assert np.abs(got.cpu().numpy().astype(int) - want).max() <= 1
    xf = x.float() / 255
    ember.manual_seed(4)
    want = T.RandomErasing(1.0, value="random")(xf).numpy()
    ember.manual_seed(4)
    np.testing.assert_allclose(T.RandomErasing(1.0, value="random")(xf.to(device)).cpu().numpy(), want, atol=1e-6)


# --- straight against torchvision, where it imports -----------------------------------------------
def test_against_torchvision_params():
    tvt = _torchvision()
    import torch
    x, tx = _image(), torch.from_numpy(_image().numpy())
    calls = [
        (lambda m, a: m.RandomCrop.get_params(a, (9, 13))),
        (lambda m, a: m.RandomResizedCrop.get_params(a, [0.08, 1.0], [3 / 4, 4 / 3])),
        (lambda m, a: m.RandomResizedCrop.get_params(a, [0.6, 1.0], [0.1, 0.2])),
        (lambda m, a: m.RandomRotation.get_params([-20.0, 70.0])),
        (lambda m, a: m.RandomAffine.get_params([-5.0, 5.0], [0.2, 0.1], [0.7, 1.3], [-3.0, 3.0, 1.0, 6.0], [30, 20])),
        (lambda m, a: m.GaussianBlur.get_params(0.1, 2.0)),
        (lambda m, a: _jitter_params(m.ColorJitter.get_params((0.6, 1.4), None, (0.5, 1.5), (-0.2, 0.2)))),
        (lambda m, a: m.RandomErasing.get_params(a.float(), (0.02, 0.33), (0.3, 3.3), [0.5])[:4]),
        (lambda m, a: m.RandomPerspective.get_params(30, 20, 0.6)),
    ]
    for call in calls:
        for seed in SEEDS:
            torch.manual_seed(seed)
            want, want_next = call(tvt, tx), torch.rand(1).item()
            ember.manual_seed(seed)
            got, got_next = call(T, x), ember.rand(1).item()
            assert got == want and got_next == want_next


def test_against_torchvision_pipelines(monkeypatch):
    tvt = _torchvision()
    import torch
    import torchvision.transforms.autoaugment as tv_aa
    x = _image(17, 23)
    tx = torch.from_numpy(x.numpy())

    def pipeline(m, p):
        return m.Compose([m.RandomHorizontalFlip(p), m.RandomVerticalFlip(1 - p), m.RandomCrop(12, padding=2),
                          m.RandomInvert(p), m.RandomApply([m.RandomEqualize(1.0)], p), m.RandomGrayscale(p)])

    for seed in range(30):
        for p in (0.0, 0.5, 1.0):
            torch.manual_seed(seed)
            want = pipeline(tvt, p)(tx).numpy()
            ember.manual_seed(seed)
            np.testing.assert_array_equal(pipeline(T, p)(x).numpy(), want)
    augments = [(T.RandAugment(), tvt.RandAugment()), (T.RandAugment(3, 17, 20), tvt.RandAugment(3, 17, 20)),
                (T.TrivialAugmentWide(), tvt.TrivialAugmentWide())]
    augments += [(T.AutoAugment(p), tvt.AutoAugment(tvt.AutoAugmentPolicy(p.value))) for p in T.AutoAugmentPolicy]
    for tf, tv_tf in augments:
        assert getattr(tf, "policies", None) == getattr(tv_tf, "policies", None)
        for seed in range(30):
            want = []
            record = lambda im, name, mag, ops=want, **k: ops.append((name, mag)) or im  # noqa: E731
            monkeypatch.setattr(tv_aa, "_apply_op", record)
            torch.manual_seed(seed)
            tv_tf(tx)
            _same_ops(_recorded(monkeypatch, tf, x, seed), (want, torch.rand(1).item()), exact=True)


def test_against_torchvision_warps():
    tvt = _torchvision()
    import torch
    import torchvision.transforms.functional as tvf
    x = _image(20, 24).float() / 255
    tx = torch.from_numpy(x.numpy())
    for seed in range(5):
        torch.manual_seed(seed)
        field = tvt.ElasticTransform.get_params([40.0, 30.0], [2.0, 3.0], [20, 24])
        ember.manual_seed(seed)
        got = T.ElasticTransform.get_params([40.0, 30.0], [2.0, 3.0], [20, 24])
        np.testing.assert_allclose(got.numpy(), field.numpy(), rtol=1e-5, atol=1e-6)
        for mode in ("nearest", "bilinear"):
            want = tvf.elastic_transform(tx, field, getattr(tvf.InterpolationMode, mode.upper()), [0.5]).numpy()
            out = F.elastic_transform(x, ember.from_numpy(field.numpy()), mode, [0.5]).numpy()
            assert np.mean(np.abs(out - want) < 1e-4) > 0.98  # a nearest pick may flip on a rounding tie
        torch.manual_seed(seed)
        start, end = tvt.RandomPerspective.get_params(24, 20, 0.5)
        for mode in ("nearest", "bilinear"):
            want = tvf.perspective(tx, start, end, getattr(tvf.InterpolationMode, mode.upper()), [0.5] * 3).numpy()
            out = F.perspective(x, start, end, mode, [0.5] * 3).numpy()
            assert np.mean(np.abs(out - want) < 1e-4) > 0.98


def test_against_torchvision_augmix(monkeypatch):
    tvt = _torchvision()
    import torch
    import torchvision.transforms.autoaugment as tv_aa
    x = _image(17, 23)
    for seed in range(10):
        for kw in ({}, {"chain_depth": 2, "severity": 7, "mixture_width": 4, "alpha": 0.5}):
            torch.manual_seed(seed)
            want = tvt.AugMix(**kw)(torch.from_numpy(x.numpy())).numpy()
            ember.manual_seed(seed)
            got = T.AugMix(**kw)(x).numpy()
            assert np.mean(np.abs(got.astype(int) - want) <= 1) > 0.99
            want_ops = []
            record = lambda im, name, mag, ops=want_ops, **k: ops.append((name, mag)) or im  # noqa: E731
            monkeypatch.setattr(tv_aa, "_apply_op", record)
            torch.manual_seed(seed)
            tvt.AugMix(**kw)(torch.from_numpy(x.numpy()))
            _same_ops(_recorded(monkeypatch, T.AugMix(**kw), x, seed), (want_ops, torch.rand(1).item()), exact=True)
            monkeypatch.undo()
