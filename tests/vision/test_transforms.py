"""embervision.transforms against numpy / Pillow references and recorded torchvision outputs."""

import colorsys
import os

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import ember
from embervision import transforms as T
from embervision.transforms import InterpolationMode as IM
from embervision.transforms import functional as F

DATA = os.path.join(os.path.dirname(__file__), "data")
REF = np.load(os.path.join(DATA, "torchvision_transforms.npz"))  # outputs of torchvision 0.28 on REF["x"], REF["u"]


def _x():
    return ember.from_numpy(REF["x"].copy())


def _u():
    return ember.from_numpy(REF["u"].copy())


def _pil():
    return Image.fromarray(REF["u"].transpose(1, 2, 0).copy())


def _img(rng, h=7, w=9, c=3):
    return rng.integers(0, 256, (h, w, c), dtype=np.uint8)


# --- conversions ---------------------------------------------------------------------------------
def test_to_tensor_and_back():
    rng = np.random.default_rng(0)
    arr = _img(rng)
    t = F.to_tensor(Image.fromarray(arr))
    assert t.dtype is ember.float32 and t.shape == (3, 7, 9)
    np.testing.assert_allclose(t.numpy(), arr.transpose(2, 0, 1) / 255, rtol=1e-6)
    assert np.array_equal(np.asarray(F.to_pil_image(F.pil_to_tensor(Image.fromarray(arr)))), arr)
    assert F.pil_to_tensor(Image.fromarray(arr)).dtype is ember.uint8
    assert F.to_tensor(Image.new("1", (2, 2), 1)).tolist() == [[[1.0, 1.0], [1.0, 1.0]]]
    floats = F.to_tensor(np.full((2, 2, 1), 0.25, np.float32))
    assert floats.dtype is ember.float32 and floats.tolist() == [[[0.25, 0.25], [0.25, 0.25]]]
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([1, 2])


@pytest.mark.parametrize("channels,mode", [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_to_pil_image_modes(channels, mode):
    t = ember.rand(channels, 3, 5)
    img = T.ToPILImage()(t)
    assert img.mode == mode and img.size == (5, 3)
    want = (t.numpy() * 255).astype(np.uint8).transpose(1, 2, 0)
    assert np.array_equal(np.asarray(img).reshape(want.shape), want)
    assert F.to_pil_image(ember.zeros(1, 2, 2), mode="F").mode == "F"
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(ember.zeros(5, 2, 2))


def test_convert_image_dtype():
    u = ember.tensor([[[0, 128, 255]]], dtype=ember.uint8)
    np.testing.assert_allclose(F.convert_image_dtype(u).numpy(), [[[0, 128 / 255, 1]]], rtol=1e-6)
    assert F.convert_image_dtype(ember.tensor([[[0.0, 0.5, 1.0]]]), ember.uint8).tolist() == [[[0, 127, 255]]]
    assert F.convert_image_dtype(u, ember.int16).tolist() == [[[0, 128 * 128, 255 * 128]]]
    assert F.convert_image_dtype(ember.tensor([[[32767]]], dtype=ember.int16), ember.uint8).tolist() == [[[255]]]
    assert np.array_equal(F.convert_image_dtype(_x(), ember.uint8).numpy(), REF["cid"])
    assert np.array_equal(F.convert_image_dtype(_u(), ember.int16).numpy(), REF["cid2"])
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.zeros(1, 1, 1), ember.int64)


def test_normalize():
    x = ember.rand(2, 3, 4, 4)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    want = (x.numpy() - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(x).numpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        F.normalize(x, mean, [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="float tensor"):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), mean, std)


# --- geometry -------------------------------------------------------------------------------------
def test_resize_sizes_and_max_size():
    img = Image.new("RGB", (40, 20))
    assert T.Resize(10)(img).size == (20, 10)
    assert T.Resize([10])(img).size == (20, 10)
    assert T.Resize((5, 7))(img).size == (7, 5)
    assert T.Resize(10, max_size=15)(img).size == (15, 7)
    assert F.resize(ember.zeros(2, 3, 20, 40), 10).shape == (2, 3, 10, 20)
    x = ember.rand(3, 6, 6)
    assert F.resize(x, 6) is x
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((5, 7), max_size=10)(img)
    with pytest.raises(ValueError, match="strictly greater"):
        F.resize(img, 10, max_size=10)


@pytest.mark.parametrize("key,args", [
    ("resize_bl", ([9, 11],)), ("resize_bc", ([30, 13], IM.BICUBIC)), ("resize_noaa", ([9, 11], IM.BILINEAR, None, False)),
])
def test_resize_tensor_matches_torchvision(key, args):
    np.testing.assert_allclose(F.resize(_x(), *args).numpy(), REF[key], atol=1e-5)


def test_resize_uint8_matches_torchvision_and_pillow():
    assert np.array_equal(F.resize(_u(), [9, 40]).numpy(), REF["resize_u"])
    assert np.array_equal(F.resize(_u(), [9, 40], IM.NEAREST).numpy(), REF["resize_near"])
    pil = np.asarray(F.resize(_pil(), [9, 40])).transpose(2, 0, 1).astype(int)
    assert np.abs(pil - REF["resize_u"]).max() <= 1  # Pillow's fixed-point arithmetic vs float
    assert np.array_equal(np.asarray(F.resize(_pil(), 10, max_size=12)), REF["p_resize"])


def test_resize_nearest_closed_form():
    x = ember.arange(12.0).reshape(1, 3, 4)
    out = F.resize(x, [6, 2], IM.NEAREST)
    rows, cols = np.floor(np.arange(6) * 3 / 6).astype(int), np.floor(np.arange(2) * 4 / 2).astype(int)
    assert np.array_equal(out.numpy()[0], x.numpy()[0][rows][:, cols])


def test_antialiased_resize_averages_a_ramp_and_keeps_constants():
    x = ember.arange(12.0).reshape(1, 1, 12).expand(1, 12, 12)
    out = F.resize(x, [3, 3])  # interior outputs of a linear ramp sit at their centres; a constant stays constant
    assert abs(out.numpy()[0, 0, 1] - 5.5) < 1e-5
    np.testing.assert_allclose(F.resize(ember.full((1, 12, 12), 0.3), [3, 5]).numpy(), 0.3, rtol=1e-6)


def test_crop_center_crop_and_padding():
    x = ember.arange(2 * 5 * 6).reshape(2, 5, 6)
    a = x.numpy()
    assert np.array_equal(F.crop(x, 1, 2, 3, 2).numpy(), a[:, 1:4, 2:4])
    assert np.array_equal(F.crop(x, -1, 4, 3, 3).numpy(), np.pad(a, ((0, 0), (1, 0), (0, 1)))[:, 0:3, 4:7])
    assert np.array_equal(F.center_crop(x, [3, 2]).numpy(), a[:, 1:4, 2:4])
    assert np.array_equal(F.center_crop(_u(), [20, 10]).numpy(), REF["ccrop"])
    assert np.array_equal(np.asarray(F.center_crop(_pil(), [20, 30])), REF["p_ccrop"])
    pil = Image.fromarray(_img(np.random.default_rng(1), 5, 6))
    assert np.array_equal(np.asarray(F.crop(pil, 1, 2, 3, 2)), np.asarray(pil)[1:4, 2:4])


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("edge", "edge"), ("reflect", "reflect"),
                                          ("symmetric", "symmetric")])
def test_pad_modes(mode, np_mode):
    arr = _img(np.random.default_rng(2), 5, 6)
    want = np.pad(arr, ((1, 4), (2, 3), (0, 0)), mode=np_mode)
    got_pil = np.asarray(F.pad(Image.fromarray(arr), [2, 1, 3, 4], padding_mode=mode))
    got_t = F.pad(ember.from_numpy(arr.transpose(2, 0, 1).copy()), [2, 1, 3, 4], padding_mode=mode).numpy()
    assert np.array_equal(got_pil, want) and np.array_equal(got_t.transpose(1, 2, 0), want)


def test_pad_forms_and_fill():
    x = ember.zeros(1, 2, 2)
    assert T.Pad(1)(x).shape == (1, 4, 4) and T.Pad([1, 2])(x).shape == (1, 6, 4)
    assert F.pad(x, 1, fill=7).numpy()[0, 0].tolist() == [7, 7, 7, 7]
    assert np.asarray(F.pad(Image.new("RGB", (1, 1)), 1, fill=(1, 2, 3)))[0, 0].tolist() == [1, 2, 3]
    np.testing.assert_allclose(F.pad(_x(), [2, 3, 1, 4], padding_mode="symmetric").numpy(), REF["pad_sym"])
    assert np.array_equal(np.asarray(F.pad(_pil(), [2, 3, 1, 4], padding_mode="reflect")), REF["p_pad"])
    with pytest.raises(ValueError, match="Padding mode"):
        T.Pad(1, padding_mode="wrap")


def test_flips_and_multi_crops():
    arr = _img(np.random.default_rng(3))
    t = ember.from_numpy(arr.transpose(2, 0, 1).copy())
    assert np.array_equal(np.asarray(F.hflip(Image.fromarray(arr))), arr[:, ::-1])
    assert np.array_equal(F.vflip(t).numpy(), arr.transpose(2, 0, 1)[:, ::-1])
    assert np.array_equal(T.RandomHorizontalFlip(1.0)(t).numpy(), arr.transpose(2, 0, 1)[:, :, ::-1])
    assert T.RandomVerticalFlip(0.0)(t) is t
    crops = F.five_crop(t, [3, 4])
    a = arr.transpose(2, 0, 1)
    for got, want in zip(crops, [a[:, :3, :4], a[:, :3, -4:], a[:, -3:, :4], a[:, -3:, -4:], a[:, 2:5, 2:6]]):
        assert np.array_equal(got.numpy(), want)
    ten = T.TenCrop(3)(Image.fromarray(arr))
    assert len(ten) == 10 and np.array_equal(np.asarray(ten[5]), arr[:, ::-1][:3, :3])
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(t, 8)


@pytest.mark.parametrize("angle,k", [(90, 1), (180, 2), (270, 3), (-90, 3)])
def test_rotate_right_angles(angle, k):
    arr = _img(np.random.default_rng(4), 6, 6)
    want = np.rot90(arr, k)
    assert np.array_equal(F.rotate(ember.from_numpy(arr.transpose(2, 0, 1).copy()), angle).numpy().transpose(1, 2, 0), want)
    assert np.array_equal(np.asarray(F.rotate(Image.fromarray(arr), angle)), want)


@pytest.mark.parametrize("key,args,kwargs", [
    ("rot_near", (33.0,), {}), ("rot_exp", (33.0,), {"expand": True}),
])
def test_rotate_matches_torchvision_and_pillow(key, args, kwargs):
    got = F.rotate(_u(), *args, **kwargs).numpy()
    assert np.array_equal(got, REF[key])
    pil = np.asarray(F.rotate(_pil(), *args, **kwargs)).transpose(2, 0, 1)
    assert pil.shape == got.shape and (pil == got).mean() > 0.99


def test_rotate_bilinear_and_fill_match_torchvision():
    np.testing.assert_allclose(F.rotate(_x(), 33.0, IM.BILINEAR).numpy(), REF["rot_bl"], atol=1e-5)
    np.testing.assert_allclose(F.rotate(_x(), 20.0, IM.BILINEAR, fill=[0.5, 0.2, 0.9]).numpy(), REF["rot_fill"], atol=1e-5)
    assert np.array_equal(np.asarray(F.rotate(_pil(), 33.0, expand=True)), REF["p_rot"])


def test_affine():
    x = ember.arange(16.0).reshape(1, 4, 4)
    shifted = F.affine(x, 0.0, [1, 2], 1.0, [0.0, 0.0]).numpy()[0]
    want = np.zeros((4, 4), np.float32)
    want[2:, 1:] = x.numpy()[0][:2, :3]
    assert np.array_equal(shifted, want)
    assert np.array_equal(F.affine(_u(), 15.0, [2, -3], 1.2, [10.0, 5.0]).numpy(), REF["aff"])
    np.testing.assert_allclose(F.affine(_x(), -25.0, [1, 1], 0.8, [0.0, 12.0], IM.BILINEAR, fill=[1.0] * 3).numpy(),
                               REF["aff_bl"], atol=1e-5)
    assert np.array_equal(np.asarray(F.affine(_pil(), 15.0, [2, -3], 1.2, [10.0, 5.0])), REF["p_aff"])
    pil = np.asarray(F.affine(_pil(), -40.0, [0, 0], 0.9, [-10.0, 25.0], IM.BILINEAR, fill=[9, 200, 30])).astype(int)
    assert np.abs(pil - REF["p_aff2"]).max() <= 1
    # rotate(a) is affine(-a)
    assert np.array_equal(F.rotate(_u(), 33.0).numpy(), F.affine(_u(), -33.0, [0, 0], 1.0, [0.0, 0.0]).numpy())


# --- colour -------------------------------------------------------------------------------------
@pytest.mark.parametrize("key,fn,factor,src", [
    ("con", F.adjust_contrast, 1.7, "u"), ("sat", F.adjust_saturation, 0.3, "x"), ("bri", F.adjust_brightness, 1.3, "u"),
    ("hue", F.adjust_hue, 0.2, "x"), ("hue_u", F.adjust_hue, -0.3, "u"), ("sharp", F.adjust_sharpness, 1.8, "u"),
])
def test_colour_matches_torchvision(key, fn, factor, src):
    got = fn(_x() if src == "x" else _u(), factor).numpy()
    np.testing.assert_allclose(got.astype(np.float64), REF[key].astype(np.float64), atol=1e-5)


def test_colour_closed_forms():
    x = ember.rand(3, 4, 5)
    a = x.numpy().astype(np.float64)
    gray = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(F.rgb_to_grayscale(x).numpy()[0], gray, rtol=1e-5)
    np.testing.assert_allclose(F.adjust_brightness(x, 0.5).numpy(), a * 0.5, rtol=1e-5)
    np.testing.assert_allclose(F.adjust_contrast(x, 0.4).numpy(), np.clip(0.4 * a + 0.6 * gray.mean(), 0, 1), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_saturation(x, 1.5).numpy(), np.clip(1.5 * a - 0.5 * gray, 0, 1), rtol=1e-5, atol=1e-6)
    hue = F.adjust_hue(x, 0.25).numpy()
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*a[:, i, j])
            np.testing.assert_allclose(hue[:, i, j], colorsys.hsv_to_rgb((h + 0.25) % 1.0, s, v), atol=1e-5)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(x, 0.7)


def test_colour_on_pil_uses_pillow():
    img = _pil()
    for fn, enh in ((F.adjust_brightness, ImageEnhance.Brightness), (F.adjust_contrast, ImageEnhance.Contrast),
                    (F.adjust_saturation, ImageEnhance.Color), (F.adjust_sharpness, ImageEnhance.Sharpness)):
        assert np.array_equal(np.asarray(fn(img, 1.4)), np.asarray(enh(img).enhance(1.4)))
    assert np.array_equal(np.asarray(F.adjust_hue(img, -0.3)), REF["p_hue"])
    gray = np.asarray(F.rgb_to_grayscale(img))
    assert np.abs(gray.astype(int) - REF["gray"][0]).max() <= 1
    assert np.asarray(T.Grayscale(3)(img)).shape == (17, 23, 3)


def test_tensor_point_ops_match_torchvision():
    for key, got in (("auto", F.autocontrast(_x())), ("eq", F.equalize(_u())), ("post", F.posterize(_u(), 3)),
                     ("sol", F.solarize(_u(), 100)), ("gray", F.rgb_to_grayscale(_u()))):
        np.testing.assert_allclose(got.numpy(), REF[key], atol=1e-6, err_msg=key)
    assert np.array_equal(F.invert(_u()).numpy(), 255 - REF["u"])


def test_gaussian_blur():
    np.testing.assert_allclose(F.gaussian_blur(_x(), [5, 3], [1.5, 0.7]).numpy(), REF["blur"], atol=1e-6)
    assert np.array_equal(F.gaussian_blur(_u(), 3).numpy(), REF["blur_u"])
    assert np.array_equal(np.asarray(F.gaussian_blur(_pil(), [5, 3], [1.5, 0.7])), REF["p_blur"])
    # numpy reference: separable Gaussian with reflect padding
    a = REF["x"].astype(np.float64)
    k = np.exp(-0.5 * (np.arange(-2, 3) / 1.0) ** 2)
    k /= k.sum()
    padded = np.pad(a, ((0, 0), (2, 2), (2, 2)), mode="reflect")
    rows = sum(k[i] * padded[:, i:i + a.shape[1], :] for i in range(5))
    want = sum(k[j] * rows[:, :, j:j + a.shape[2]] for j in range(5))
    np.testing.assert_allclose(F.gaussian_blur(_x(), 5, 1.0).numpy(), want, atol=1e-5)
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(_x(), 4)


# --- batches and devices --------------------------------------------------------------------------
def test_batched_tensors_equal_per_image():
    batch = ember.rand(2, 3, 10, 12)
    for fn in (lambda t: F.resize(t, [5, 7]), lambda t: F.rotate(t, 30.0, IM.BILINEAR), lambda t: F.hflip(t),
               lambda t: F.gaussian_blur(t, 3), lambda t: F.adjust_hue(t, 0.1), lambda t: F.pad(t, 2, padding_mode="edge"),
               lambda t: F.affine(t, 10.0, [1, 1], 1.1, [5.0, 0.0])):
        out = fn(batch)
        for i in range(2):
            np.testing.assert_allclose(out[i].numpy(), fn(batch[i]).numpy(), atol=1e-6)


def test_tensor_transforms_on_every_device(device):
    x = _x()
    xd = x.to(device)
    for fn in (lambda t: F.resize(t, [9, 11]), lambda t: F.rotate(t, 33.0, IM.BILINEAR, fill=[0.5] * 3),
               lambda t: F.pad(t, [2, 3, 1, 4], padding_mode="reflect"), lambda t: F.gaussian_blur(t, 3),
               lambda t: F.adjust_hue(t, 0.2), lambda t: F.adjust_contrast(t, 1.5), lambda t: F.center_crop(t, 30),
               lambda t: F.normalize(t, [0.5] * 3, [0.2] * 3), lambda t: F.rgb_to_grayscale(t, 3)):
        got = fn(xd)
        assert got.device == xd.device
        np.testing.assert_allclose(got.cpu().numpy(), fn(x).numpy(), atol=1e-5)


# --- random transforms ----------------------------------------------------------------------------
def test_random_transforms_are_reproducible():
    tf = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                    T.RandomRotation(20), T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5), T.GaussianBlur(3),
                    T.RandomGrayscale(0.5), T.ToTensor(), T.RandomErasing(1.0)])
    img = _pil()
    ember.manual_seed(7)
    a = tf(img)
    ember.manual_seed(7)
    b = tf(img)
    assert a.shape == (3, 8, 8) and np.array_equal(a.numpy(), b.numpy())


def test_random_crop_params_and_padding():
    x = ember.arange(25.0).reshape(1, 5, 5)
    ember.manual_seed(3)
    i, j, h, w = T.RandomCrop.get_params(x, (2, 3))
    assert 0 <= i <= 3 and 0 <= j <= 2 and (h, w) == (2, 3)
    ember.manual_seed(3)
    assert np.array_equal(T.RandomCrop((2, 3))(x).numpy(), x.numpy()[:, i:i + 2, j:j + 3])
    assert T.RandomCrop(7, pad_if_needed=True)(x).shape == (1, 7, 7)
    assert T.RandomCrop(5, padding=2, fill=1)(x).shape == (1, 5, 5)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(6)(x)


def test_random_resized_crop_params_respect_ranges():
    img = Image.new("RGB", (64, 48))
    for seed in range(30):
        ember.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.2, 0.6), (0.5, 2.0))
        assert 0 <= i and i + h <= 48 and 0 <= j and j + w <= 64
        assert 0.2 * 0.9 <= h * w / (64 * 48) <= 0.6 * 1.1 and 0.45 <= w / h <= 2.2
    # impossible ranges fall back to the central crop of the closest aspect
    assert T.RandomResizedCrop.get_params(img, (2.0, 3.0), (1.0, 1.0)) == (0, 8, 48, 48)


def test_random_erasing_and_apply_choice_order():
    x = ember.ones(3, 16, 16)
    ember.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x)
    erased = out[0].numpy() != 1
    assert erased.any() and np.allclose(out.numpy()[:, erased], np.array([[0.1], [0.2], [0.3]]))
    assert T.RandomErasing(p=0.0)(x) is x
    assert T.RandomErasing(p=1.0, value="random")(x).shape == x.shape
    add = [T.Lambda(lambda v: v + 1), T.Lambda(lambda v: v * 10)]
    assert T.RandomApply(add, p=0.0)(1) == 1 and T.RandomApply(add, p=1.0)(1) == 20
    assert {T.RandomChoice(add)(1) for _ in range(20)} == {2, 10}
    assert T.RandomChoice(add, p=[0.0, 1.0])(1) == 10
    assert {T.RandomOrder(add)(1) for _ in range(20)} == {20, 11}


def test_color_jitter_ranges_and_validation():
    cj = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.3), hue=0.2)
    assert cj.brightness == (0.5, 1.5) and cj.contrast == (0.2, 0.3) and cj.saturation is None and cj.hue == (-0.2, 0.2)
    assert T.ColorJitter(brightness=2.0).brightness == (0.0, 3.0)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)
    x = ember.rand(3, 4, 4)
    assert np.array_equal(T.ColorJitter()(x).numpy(), x.numpy())
    out = T.ColorJitter(brightness=(0.0, 0.0))(x)
    assert float(out.abs().max()) == 0.0


def test_autoaugment_family_runs_on_pil_and_tensors():
    ember.manual_seed(0)
    u = _u()
    for tf in (T.RandAugment(), T.RandAugment(num_ops=3, magnitude=20), T.TrivialAugmentWide()):
        for _ in range(5):
            assert tf(u).dtype is ember.uint8 and tf(u).shape == u.shape
            assert tf(_pil()).size == (23, 17)


def test_reprs():
    assert repr(T.Resize(32)) == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.Normalize([0.5], [0.5])) == "Normalize(mean=[0.5], std=[0.5])"
    assert repr(T.Compose([T.CenterCrop(4), T.ToTensor()])) == "Compose(\n    CenterCrop(size=(4, 4))\n    ToTensor()\n)"
