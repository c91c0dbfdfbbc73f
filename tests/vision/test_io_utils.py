"""embervision.io and embervision.utils against Pillow and numpy."""

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import io, utils
from embervision.io import ImageReadMode


def _rgb(rng, h=6, w=7):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_read_image_modes(tmp_path):
    arr = _rgb(np.random.default_rng(0))
    Image.fromarray(arr).save(tmp_path / "a.png")
    img = io.read_image(tmp_path / "a.png")
    assert img.dtype is ember.uint8 and np.array_equal(img.numpy().transpose(1, 2, 0), arr)
    gray = io.read_image(str(tmp_path / "a.png"), ImageReadMode.GRAY)
    assert gray.shape == (1, 6, 7)
    assert np.array_equal(gray.numpy()[0], np.asarray(Image.fromarray(arr).convert("L")))
    assert io.read_image(tmp_path / "a.png", ImageReadMode.RGB_ALPHA).numpy()[3].min() == 255
    Image.fromarray(arr).convert("P").save(tmp_path / "p.png")
    assert io.read_image(tmp_path / "p.png").shape == (3, 6, 7)
    Image.fromarray(arr[:, :, 0]).save(tmp_path / "g.bmp")
    assert io.read_image(tmp_path / "g.bmp").shape == (1, 6, 7)


def test_png_round_trip_and_jpeg(tmp_path):
    arr = _rgb(np.random.default_rng(1))
    t = ember.from_numpy(arr.transpose(2, 0, 1).copy())
    io.write_png(t, tmp_path / "x.png", compression_level=9)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "x.png")), arr)
    encoded = io.encode_png(t)
    assert encoded.dtype is ember.uint8 and bytes(encoded[:8].tolist()) == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(io.decode_image(encoded).numpy(), t.numpy())
    smooth = ember.full((3, 16, 16), 100, dtype=ember.uint8)
    io.write_jpeg(smooth, tmp_path / "x.jpg", quality=95)
    back = io.read_image(tmp_path / "x.jpg")
    assert back.shape == (3, 16, 16) and int((back.int() - 100).abs().max()) <= 2
    assert io.read_file(tmp_path / "x.jpg").numel() == (tmp_path / "x.jpg").stat().st_size
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(smooth, quality=0)
    with pytest.raises(ValueError, match="alpha"):
        io.encode_jpeg(ember.zeros(4, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="uint8 tensor of shape"):
        io.encode_png(ember.zeros(3, 2, 2))


def test_decode_rejects_garbage_naming_the_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(RuntimeError, match="bad.png"):
        io.read_image(tmp_path / "bad.png")
    with pytest.raises(RuntimeError, match="cannot decode <tensor>"):
        io.decode_image(ember.tensor([1, 2, 3], dtype=ember.uint8))
    with pytest.raises(TypeError, match="1-D uint8 tensor"):
        io.decode_image(ember.zeros(3))


def test_make_grid_layout():
    batch = ember.arange(4 * 1 * 2 * 3, dtype=ember.float32).reshape(4, 1, 2, 3)
    grid = utils.make_grid(batch, nrow=3, padding=1, pad_value=-1.0)
    assert grid.shape == (3, 2 * 3 + 1, 3 * 4 + 1)
    g = grid.numpy()
    assert np.array_equal(g[0, 1:3, 1:4], batch.numpy()[0, 0]) and np.array_equal(g[2, 4:6, 1:4], batch.numpy()[3, 0])
    assert g[0, 0, 0] == -1 and np.all(g[:, 4:6, 5:8] == -1)  # the unused cell stays padding
    norm = utils.make_grid(batch, normalize=True, padding=0)
    assert float(norm.min()) == 0.0 and float(norm.max()) == 1.0
    each = utils.make_grid(batch, normalize=True, scale_each=True, padding=0)
    assert float(each[0, :, :3].min()) == 0.0 and float(each[0, :, :3].max()) == 1.0
    assert utils.make_grid(ember.rand(1, 3, 4, 4)).shape == (3, 4, 4)
    assert utils.make_grid([ember.rand(3, 4, 4), ember.rand(3, 4, 4)], padding=0).shape == (3, 4, 8)


def test_save_image(tmp_path):
    x = ember.rand(2, 3, 4, 5)
    utils.save_image(x, tmp_path / "g.png", nrow=1, padding=0)
    img = np.asarray(Image.open(tmp_path / "g.png"))
    assert img.shape == (8, 5, 3)
    want = np.clip(x.numpy()[0].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert np.array_equal(img[:4], want)


def test_draw_bounding_boxes():
    img = ember.zeros(3, 20, 30, dtype=ember.uint8)
    boxes = ember.tensor([[2, 3, 10, 12], [15, 5, 25, 18]])
    out = utils.draw_bounding_boxes(img, boxes, labels=["a", "b"], colors=["red", (0, 0, 255)], width=2)
    a = out.numpy()
    assert out.dtype is ember.uint8 and out.shape == img.shape
    assert a[:, 3, 6].tolist() == [255, 0, 0] and a[:, 4, 2].tolist() == [255, 0, 0]  # two-pixel outline
    assert a[:, 5, 20].tolist() == [0, 0, 255] and a[:, 9, 20].tolist() == [0, 0, 0]  # inside stays unfilled
    filled = utils.draw_bounding_boxes(img, boxes[:1], colors="lime", fill=True).numpy()
    assert filled[1, 8, 6] > 0 and filled[0, 8, 6] == 0
    gray = utils.draw_bounding_boxes(ember.zeros(1, 8, 8, dtype=ember.uint8), ember.tensor([[1, 1, 5, 5]]))
    assert gray.shape == (1, 8, 8)
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        utils.draw_bounding_boxes(img, ember.tensor([[5, 5, 1, 1]]))
    with pytest.raises(TypeError, match="uint8"):
        utils.draw_bounding_boxes(ember.zeros(3, 4, 4), boxes)
