"""embervision.utils drawing: segmentation masks, keypoints and optical-flow colouring.

Checked against numpy references written from the definitions, and against torchvision 0.28 when it imports.
"""

import math

import numpy as np
import pytest

import ember
from embervision import utils

RNG = np.random.default_rng(0)
PALETTE = (2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1)


def np_masks(img, masks, alpha, colors):
    drawn = img.copy()
    for m, c in zip(masks, colors):
        drawn[:, m] = np.asarray(c, dtype=img.dtype)[:, None]
    drawn[:, masks.sum(0) > 1] = 0
    return (img.astype(np.float32) * np.float32(1 - alpha) + drawn.astype(np.float32) * np.float32(alpha)).astype(img.dtype)


def np_flow(flow):
    wheel = []
    for n, full, other, rising in ((15, 0, 1, 1), (6, 1, 0, 0), (4, 1, 2, 1), (11, 2, 1, 0), (13, 2, 0, 1), (6, 0, 2, 0)):
        block = np.zeros((n, 3), np.float32)
        ramp = np.floor(255 * np.arange(n, dtype=np.float32) / np.float32(n))
        block[:, full], block[:, other] = 255, ramp if rising else 255 - ramp
        wheel.append(block)
    wheel = np.concatenate(wheel)
    flow = flow / (np.sqrt((flow ** 2).sum(0)).max() + np.finfo(np.float32).eps)
    norm = np.sqrt((flow ** 2).sum(0))
    fk = (np.arctan2(-flow[1], -flow[0]) / np.float32(math.pi) + 1) / 2 * 54
    k0 = np.floor(fk).astype(int)
    k1 = np.where(k0 + 1 == 55, 0, k0 + 1)
    f = fk - k0
    col = (1 - f)[None] * wheel[k0].transpose(2, 0, 1) / 255 + f[None] * wheel[k1].transpose(2, 0, 1) / 255
    return np.floor(255 * (1 - norm[None] * (1 - col))).astype(np.uint8)


def test_draw_segmentation_masks_values(device):
    img = RNG.integers(0, 256, (3, 6, 7), dtype=np.uint8)
    masks = RNG.uniform(size=(3, 6, 7)) > 0.6
    got = utils.draw_segmentation_masks(ember.tensor(img, device=device), ember.tensor(masks, device=device), 0.3)
    colors = [tuple((i * p) % 255 for p in PALETTE) for i in range(3)]
    np.testing.assert_array_equal(got.cpu().numpy(), np_masks(img, masks, 0.3, colors))
    fimg = RNG.uniform(size=(3, 6, 7)).astype(np.float32)
    got = utils.draw_segmentation_masks(ember.tensor(fimg, device=device), ember.tensor(masks[0], device=device),
                                        colors=["#ff0000"])
    np.testing.assert_allclose(got.cpu().numpy(), np_masks(fimg, masks[:1], 0.8, [(1.0, 0.0, 0.0)]), rtol=1e-6)


def test_draw_segmentation_masks_errors():
    img = ember.zeros(3, 2, 2, dtype=ember.uint8)
    with pytest.raises(ValueError, match="dtype bool"):
        utils.draw_segmentation_masks(img, ember.zeros(2, 2))
    with pytest.raises(ValueError, match="same height and width"):
        utils.draw_segmentation_masks(img, ember.zeros(1, 3, 2, dtype=ember.bool))
    with pytest.raises(ValueError, match="RGB"):
        utils.draw_segmentation_masks(ember.zeros(1, 2, 2, dtype=ember.uint8), ember.zeros(2, 2, dtype=ember.bool))
    with pytest.raises(ValueError, match="Number of colors"):
        utils.draw_segmentation_masks(img, ember.zeros(2, 2, 2, dtype=ember.bool), colors=["red"])
    with pytest.warns(UserWarning, match="No mask was drawn"):
        assert utils.draw_segmentation_masks(img, ember.zeros(0, 2, 2, dtype=ember.bool)) is img


def test_draw_keypoints_discs_lines_visibility():
    img = ember.zeros(3, 20, 20, dtype=ember.uint8)
    kp = ember.tensor([[[3, 3], [15, 3], [15, 15]]])
    vis = ember.tensor([[True, True, False]])
    out = utils.draw_keypoints(img, kp, connectivity=[(0, 1), (1, 2)], colors=(0, 200, 0), radius=2, width=1,
                               visibility=vis).numpy()
    assert out[:, 5, 3].tolist() == [0, 200, 0] and out[:, 1, 3].tolist() == [0, 200, 0]  # the disc's rim
    assert out[:, 3, 9].tolist() == [255, 255, 255]  # on the visible connection's line
    assert out[:, 9, 15].tolist() == [0, 0, 0] and out[:, 15, 15].tolist() == [0, 0, 0]  # invisible: nothing
    ys, xs = np.nonzero(out[1] == 200)
    assert ((ys - 3) ** 2 + (np.minimum(abs(xs - 3), abs(xs - 15))) ** 2 <= 4 + 1).all()  # discs of radius 2
    fl = utils.draw_keypoints(ember.zeros(3, 20, 20), kp, colors="red")
    assert fl.dtype is ember.float32 and fl[:, 3, 3].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="num_instances, K, 2"):
        utils.draw_keypoints(img, kp[0])


def test_flow_to_image_values(device):
    flow = RNG.normal(size=(2, 5, 6)).astype(np.float32)
    got = utils.flow_to_image(ember.tensor(flow, device=device)).cpu().numpy()
    want = np_flow(flow)
    assert got.dtype == np.uint8 and got.shape == (3, 5, 6)
    assert np.abs(got.astype(int) - want).max() <= 1  # floor of float32 values may straddle an integer
    batched = utils.flow_to_image(ember.tensor(np.stack([flow, 2 * flow]), device=device)).cpu().numpy()
    np.testing.assert_array_equal(batched[1], got)  # the batch is normalised by its largest flow (2 * flow's)
    zero = utils.flow_to_image(ember.zeros(2, 2, 2, device=device)).cpu().numpy()
    assert (zero == 255).all()  # no motion is white
    with pytest.raises(ValueError, match="dtype torch.float"):
        utils.flow_to_image(ember.zeros(2, 2, 2, dtype=ember.float64))


def _tv():
    torch = pytest.importorskip("torch")
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    return torch, pytest.importorskip("torchvision")


def test_against_torchvision():
    torch, tv = _tv()
    img = RNG.integers(0, 256, (3, 16, 17), dtype=np.uint8)
    masks = RNG.uniform(size=(4, 16, 17)) > 0.7
    for colors in (None, "blue", [(10, 20, 30), "green", "#123456", (1, 2, 3)]):
        want = tv.utils.draw_segmentation_masks(torch.tensor(img), torch.tensor(masks), 0.45, colors).numpy()
        got = utils.draw_segmentation_masks(ember.tensor(img), ember.tensor(masks), 0.45, colors).numpy()
        np.testing.assert_array_equal(got, want)
    fimg = RNG.uniform(size=(3, 16, 17)).astype(np.float32)
    np.testing.assert_allclose(utils.draw_segmentation_masks(ember.tensor(fimg), ember.tensor(masks)).numpy(),
                               tv.utils.draw_segmentation_masks(torch.tensor(fimg), torch.tensor(masks)).numpy(), rtol=1e-6)
    kp = RNG.uniform(0, 16, (2, 4, 2)).astype(np.float32)
    vis = RNG.uniform(size=(2, 4)) > 0.3
    for image in (img, fimg):
        want = tv.utils.draw_keypoints(torch.tensor(image), torch.tensor(kp), [(0, 1), (2, 3), (1, 3)], "red", 1, 2,
                                       torch.tensor(vis)).numpy()
        got = utils.draw_keypoints(ember.tensor(image), ember.tensor(kp), [(0, 1), (2, 3), (1, 3)], "red", 1, 2,
                                   ember.tensor(vis)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)
    flow = RNG.normal(size=(2, 2, 9, 11)).astype(np.float32)
    np.testing.assert_array_equal(utils.flow_to_image(ember.tensor(flow)).numpy(),
                                  tv.utils.flow_to_image(torch.tensor(flow)).numpy())


# --- extra image decoders (embervision.io) ------------------------------------------------------------------------
def _encoded(img, fmt, **kw):
    import io as _io

    buf = _io.BytesIO()
    img.save(buf, fmt, **kw)
    return ember.tensor(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def test_decode_gif_frames():
    from PIL import Image

    from embervision import io

    pixels = RNG.integers(0, 4, (5, 6)).astype(np.uint8) * 60  # four grey levels: the palette keeps them exact
    single = io.decode_gif(_encoded(Image.fromarray(pixels), "GIF"))
    assert single.dtype is ember.uint8 and single.shape == (3, 5, 6)
    np.testing.assert_array_equal(single.numpy(), np.stack([pixels] * 3))
    frames = [Image.new("RGB", (6, 5), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    anim = io.decode_gif(_encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10))
    assert anim.shape == (3, 3, 5, 6)
    assert anim[:, :, 2, 3].tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]
    with pytest.raises(RuntimeError, match="decode_gif: cannot decode"):
        io.decode_gif(ember.tensor([71, 73, 70, 0], dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="uint8 data type"):
        io.decode_gif(ember.tensor([1, 2]))


def test_decode_webp_avif_heic():
    from PIL import Image, features

    from embervision import io

    rgba = RNG.integers(0, 256, (4, 5, 4), dtype=np.uint8)
    data = _encoded(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True)
    np.testing.assert_array_equal(io.decode_webp(data).numpy(), rgba.transpose(2, 0, 1))
    assert io.decode_webp(data, "RGB").shape == (3, 4, 5)
    assert io.decode_webp(data, io.ImageReadMode.GRAY).shape == (1, 4, 5)
    if features.check("avif"):
        out = io.decode_avif(_encoded(Image.new("RGB", (8, 6), (40, 120, 200)), "AVIF", quality=100)).numpy()
        assert out.shape == (3, 6, 8) and np.abs(out.astype(int) - [[[40]], [[120]], [[200]]]).max() <= 3  # lossy
    else:
        with pytest.raises(RuntimeError, match="without AVIF support"):
            io.decode_avif(ember.tensor([0], dtype=ember.uint8))
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="pillow-heif"):
            io.decode_heic(ember.tensor([0], dtype=ember.uint8))
