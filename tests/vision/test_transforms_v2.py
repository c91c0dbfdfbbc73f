"""embervision.tv_tensors and transforms.v2: tensor subclasses, box/mask geometry, sample handling,
torchvision v2's random draws; and v1's LinearTransformation and adjust_gamma.

Values are checked against closed forms and numpy; where torchvision 0.28 imports, against it too.
"""

import pickle

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from embervision import tv_tensors
from embervision.transforms import LinearTransformation
from embervision.transforms import functional as F1
from embervision.transforms import v2
from embervision.transforms.v2 import functional as F


def _tv():
    """(torch, torchvision.transforms.v2, torchvision.tv_tensors), or a skip."""
    torch = pytest.importorskip("torch")
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    try:
        from torchvision import tv_tensors as ttv
        from torchvision.transforms import v2 as tv2
    except Exception as exc:
        pytest.skip(f"torchvision is not usable here: {type(exc).__name__}: {exc}")
    return torch, tv2, ttv


def _boxes(data, fmt="XYXY", canvas=(20, 30), dtype=None, device="cpu"):
    return tv_tensors.BoundingBoxes(data, format=fmt, canvas_size=canvas, dtype=dtype, device=device)


# --- tv_tensors ------------------------------------------------------------------------------------
def test_tv_tensors_wrap_share_and_unwrap(device):
    x = ember.arange(12.0, device=device).reshape(3, 2, 2)
    img = tv_tensors.Image(x)
    assert isinstance(img, ember.Tensor) and img.shape == (3, 2, 2) and img.device == x.device
    assert type(img + 1) is ember.Tensor and type(img[0]) is ember.Tensor and type(img.sum()) is ember.Tensor
    for kept in (img.clone(), img.detach(), img.to(ember.float64)):
        assert type(kept) is tv_tensors.Image
    assert tv_tensors.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    assert tv_tensors.Image(PILImage.new("RGB", (5, 4), (1, 2, 3)))[:, 0, 0].tolist() == [1, 2, 3]
    assert tv_tensors.Mask(PILImage.new("L", (3, 2), 7)).shape == (2, 3)
    with pytest.raises(ValueError):
        tv_tensors.Video(ember.zeros(3, 4, 4))
    with tv_tensors.set_return_type("TVTensor"):
        assert type(img * 2) is tv_tensors.Image
    assert type(img * 2) is ember.Tensor
    with pytest.raises(ValueError):
        tv_tensors.set_return_type("numpy")


def test_bounding_boxes_metadata_wrap_pickle():
    b = _boxes([1, 2, 3, 4], "xywh")
    assert b.shape == (1, 4) and b.format is tv_tensors.BoundingBoxFormat.XYWH and b.canvas_size == (20, 30)
    assert b.clamping_mode == "soft"
    c = b.clone()
    assert c.format is b.format and c.canvas_size == b.canvas_size
    w = tv_tensors.wrap(b * 2, like=b, canvas_size=(5, 5))
    assert type(w) is tv_tensors.BoundingBoxes and w.canvas_size == (5, 5) and w.tolist() == [[2, 4, 6, 8]]
    back = pickle.loads(pickle.dumps(b))
    assert type(back) is tv_tensors.BoundingBoxes and back.format is b.format and back.tolist() == b.tolist()
    with pytest.raises(ValueError):
        _boxes(ember.zeros(1, 1, 4))
    with pytest.raises(ValueError):
        tv_tensors.BoundingBoxes([0, 0, 1, 1], format="XYXY", canvas_size=(2, 2), clamping_mode="firm")


def test_tv_tensor_autograd_flows_through():
    x = ember.ones(2, 4, requires_grad=True)
    boxes = tv_tensors.BoundingBoxes(x * 3, format="XYXY", canvas_size=(9, 9))
    F.horizontal_flip(boxes).sum().backward()
    assert x.grad.tolist() == [[-3.0, 3.0, -3.0, 3.0]] * 2  # x -> w - x, y kept


def test_repr_matches_torchvision():
    torch, _, ttv = _tv()
    assert repr(_boxes([[0, 0, 4, 4]], canvas=(8, 8))) == repr(
        ttv.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8)))
    assert repr(tv_tensors.Image(ember.zeros(1, 2, 2))) == repr(ttv.Image(torch.zeros(1, 2, 2)))
    _, tv2, _ = _tv()

    def pipeline(T, lib):
        return T.Compose([T.ToImage(), T.RandomZoomOut(), T.Resize(30), T.ToDtype(lib.float32, scale=True),
                          T.RandomCrop(4, padding=1), T.ColorJitter(0.2), T.RandomApply([T.RandomHorizontalFlip()]),
                          T.CenterCrop(3), T.RandomRotation(10), T.SanitizeBoundingBoxes()])
    assert repr(pipeline(v2, ember)) == repr(pipeline(tv2, torch))


# --- box formats and geometry -------------------------------------------------------------------------
XYXY = np.array([[1.0, 2.0, 7.0, 5.0], [0.0, 0.0, 3.0, 9.0]])


def _np_formats(xyxy):
    x1, y1, x2, y2 = xyxy.T
    return {"XYXY": xyxy, "XYWH": np.stack([x1, y1, x2 - x1, y2 - y1], 1),
            "CXCYWH": np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)}


@pytest.mark.parametrize("old", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("new", ["XYXY", "XYWH", "CXCYWH"])
def test_convert_bounding_box_format(old, new, device):
    ref = _np_formats(XYXY)
    got = F.convert_bounding_box_format(_boxes(ref[old], old, device=device), new_format=new)
    assert got.format.name == new and got.device.type == ember.device(device).type
    np.testing.assert_allclose(got.cpu().numpy(), ref[new])
    plain = F.convert_bounding_box_format(ember.tensor(ref[old], device=device), old, new)
    np.testing.assert_allclose(plain.cpu().numpy(), ref[new])


def test_integer_box_conversion_matches_torchvision():
    torch, _, ttv = _tv()
    from torchvision.transforms.v2 import functional as TF
    data = [[1, 2, 6, 9], [0, 3, 5, 4]]
    for old in ("XYXY", "XYWH", "CXCYWH"):
        for new in ("XYXY", "XYWH", "CXCYWH"):
            got = F.convert_bounding_box_format(ember.tensor(data), old, new).tolist()
            want = TF.convert_bounding_box_format(torch.tensor(data), old, new).tolist()
            assert got == want, (old, new)


def test_box_geometry_closed_forms(device):
    b = _boxes([[2.0, 3.0, 10.0, 8.0]], canvas=(20, 30), device=device)
    assert F.horizontal_flip(b).tolist() == [[20.0, 3.0, 28.0, 8.0]]
    assert F.vertical_flip(b).tolist() == [[2.0, 12.0, 10.0, 17.0]]
    r = F.resize(b, [40, 15])
    assert r.tolist() == [[1.0, 6.0, 5.0, 16.0]] and r.canvas_size == (40, 15)
    c = F.crop(b, 4, 5, 10, 4)
    assert c.tolist() == [[0.0, 0.0, 4.0, 4.0]] and c.canvas_size == (10, 4)  # clamped to the crop
    p = F.pad(b, [1, 2, 3, 4])
    assert p.tolist() == [[3.0, 5.0, 11.0, 10.0]] and p.canvas_size == (26, 34)
    a = F.affine(b, 0.0, [3, -1], 1.0, [0.0, 0.0])
    assert a.tolist() == [[5.0, 2.0, 13.0, 7.0]]
    # a 90 degree turn of the whole canvas with expand: the canvas swaps to (30, 20)
    full = _boxes([[0.0, 0.0, 30.0, 20.0]], canvas=(20, 30), device=device)
    rot = F.rotate(full, 90.0, expand=True)
    assert rot.canvas_size == (30, 20)
    np.testing.assert_allclose(rot.cpu().numpy(), [[0.0, 0.0, 20.0, 30.0]], atol=1e-4)
    xywh = F.convert_bounding_box_format(b, new_format="XYWH")
    assert F.horizontal_flip(xywh).tolist() == [[20.0, 3.0, 8.0, 5.0]]


def test_mask_geometry_is_nearest(device):
    m = tv_tensors.Mask(ember.tensor([[0, 1], [2, 3]], dtype=ember.uint8, device=device))
    up = F.resize(m, [4, 4], interpolation=v2.InterpolationMode.BILINEAR)
    assert type(up) is tv_tensors.Mask and up.dtype is ember.uint8
    np.testing.assert_array_equal(up.cpu().numpy(), np.repeat(np.repeat([[0, 1], [2, 3]], 2, 0), 2, 1))
    assert F.horizontal_flip(m).tolist() == [[1, 0], [3, 2]]
    assert F.pad(m, [1, 0], fill=9).tolist() == [[9, 0, 1, 9], [9, 2, 3, 9]]
    assert F.rotate(m, 90).tolist() == [[1, 3], [0, 2]]


def _tv_boxes(ttv, b):
    import torch
    return ttv.BoundingBoxes(torch.tensor(b.tolist()), format=b.format.name, canvas_size=b.canvas_size)


@pytest.mark.parametrize("call", [
    ("horizontal_flip", (), {}), ("vertical_flip", (), {}), ("resize", ([13, 17],), {}), ("resize", (10,), {}),
    ("crop", (2, 3, 9, 11), {}), ("center_crop", ([8, 12],), {}), ("pad", ([2, 3, 1, 4],), {}),
    ("resized_crop", (1, 2, 10, 12, [7, 9]), {}), ("affine", (25.0, [2, -3], 1.2, [10.0, 5.0]), {}),
    ("rotate", (33.0,), {}), ("rotate", (33.0,), {"expand": True}), ("rotate", (-70.0,), {"center": [4.0, 6.0]}),
    ("perspective", ([[0, 0], [29, 0], [29, 19], [0, 19]], [[2, 1], [27, 3], [28, 18], [1, 17]]), {}),
])
@pytest.mark.parametrize("fmt", ["XYXY", "CXCYWH"])
def test_box_kernels_match_torchvision(call, fmt):
    torch, _, ttv = _tv()
    from torchvision.transforms.v2 import functional as TF
    name, args, kwargs = call
    b = F.convert_bounding_box_format(_boxes([[2.0, 3.0, 10.0, 8.0], [15.0, 1.0, 29.0, 19.0], [-4.0, 5.0, 6.0, 25.0]]),
                                      new_format=fmt)
    got = getattr(F, name)(b, *args, **kwargs)
    want = getattr(TF, name)(_tv_boxes(ttv, b), *args, **kwargs)
    assert got.canvas_size == tuple(want.canvas_size)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=2e-4)


def test_keypoints_closed_forms_and_torchvision():
    pts = tv_tensors.KeyPoints([[1.0, 2.0], [29.0, 19.0], [-3.0, 4.0]], canvas_size=(20, 30))
    assert F.horizontal_flip(pts).tolist() == [[28.0, 2.0], [0.0, 19.0], [32.0, 4.0]]
    assert F.vertical_flip(pts).tolist() == [[1.0, 17.0], [29.0, 0.0], [-3.0, 15.0]]
    c = F.crop(pts, 2, 1, 10, 10)
    assert c.tolist() == [[0.0, 0.0], [28.0, 17.0], [-4.0, 2.0]] and c.canvas_size == (10, 10)  # not clamped
    r = F.resize(pts, [40, 15])
    assert r.tolist() == [[0.5, 4.0], [14.5, 38.0], [-1.5, 8.0]] and r.canvas_size == (40, 15)
    torch, _, ttv = _tv()
    from torchvision.transforms.v2 import functional as TF
    theirs = ttv.KeyPoints(pts.tolist(), canvas_size=(20, 30))
    for name, args in [("horizontal_flip", ()), ("pad", ([1, 2, 3, 4],)), ("affine", (20.0, [1, 2], 1.1, [3.0, 0.0])),
                       ("rotate", (30.0,)), ("center_crop", ([10, 12],))]:
        got, want = getattr(F, name)(pts, *args), getattr(TF, name)(theirs, *args)
        assert got.canvas_size == tuple(want.canvas_size), name
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=2e-4, err_msg=name)


def test_mask_and_image_kernels_match_torchvision():
    torch, _, ttv = _tv()
    from torchvision.transforms.v2 import functional as TF
    rng = np.random.default_rng(0)
    mask = rng.integers(0, 5, (12, 14)).astype(np.uint8)
    img = rng.integers(0, 256, (3, 12, 14)).astype(np.uint8)
    for name, args in [("resize", ([7, 9],)), ("rotate", (30.0,)), ("affine", (10.0, [1, 2], 0.9, [5.0, 0.0])),
                       ("pad", ([1, 2],)), ("center_crop", ([5, 6],)), ("vertical_flip", ())]:
        got = getattr(F, name)(tv_tensors.Mask(ember.tensor(mask)), *args)
        want = getattr(TF, name)(ttv.Mask(torch.tensor(mask)), *args)
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)
        got = getattr(F, name)(tv_tensors.Image(ember.tensor(img)), *args)
        want = getattr(TF, name)(ttv.Image(torch.tensor(img)), *args)
        assert type(got) is tv_tensors.Image
        np.testing.assert_allclose(got.numpy().astype(int), want.numpy().astype(int), atol=1, err_msg=name)


# --- samples ----------------------------------------------------------------------------------------
def test_structures_and_pure_tensor_heuristic():
    img = ember.arange(4.0).reshape(1, 2, 2)
    extra = ember.tensor([[1.0, 2.0]])
    out = v2.RandomHorizontalFlip(p=1.0)((img, {"extra": extra, "name": "x", "n": 3}))
    assert out[0].tolist() == [[[1.0, 0.0], [3.0, 2.0]]]  # the first pure tensor is the image
    assert out[1]["extra"] is extra and out[1]["name"] == "x" and out[1]["n"] == 3
    image = tv_tensors.Image(img)
    a, b = v2.RandomHorizontalFlip(p=1.0)(img, image)  # with an Image present, pure tensors pass through
    assert a is img and type(b) is tv_tensors.Image and b.tolist() == [[[1.0, 0.0], [3.0, 2.0]]]


def test_detection_sample_is_transformed_together():
    img = tv_tensors.Image(ember.rand(3, 20, 30))
    boxes = _boxes([[2, 3, 10, 8]])
    mask = tv_tensors.Mask(ember.zeros(1, 20, 30, dtype=ember.uint8))
    sample = {"image": img, "target": {"boxes": boxes, "masks": mask, "labels": ember.tensor([4])}}
    out = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.Resize([10, 15]), v2.Pad(2)])(sample)
    assert out["image"].shape == (3, 14, 19) and out["target"]["masks"].shape == (1, 14, 19)
    assert out["target"]["boxes"].tolist() == [[12, 3, 16, 6]] and out["target"]["boxes"].canvas_size == (14, 19)
    assert out["target"]["labels"] is sample["target"]["labels"]
    with pytest.raises(ValueError, match="multiple HxW"):
        v2.RandomCrop(5)({"image": img, "mask": tv_tensors.Mask(ember.zeros(4, 4))})


def test_sanitize_clamp_convert():
    boxes = _boxes([[0, 0, 5, 5], [3, 3, 3, 9], [-1, 0, 4, 4], [25, 1, 29, 19]], canvas=(20, 30))
    labels = ember.tensor([1, 2, 3, 4])
    masks = tv_tensors.Mask(ember.arange(4).reshape(4, 1, 1))
    out = v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": labels, "masks": masks})
    assert out["boxes"].tolist() == [[0, 0, 5, 5], [25, 1, 29, 19]] and out["labels"].tolist() == [1, 4]
    assert out["masks"].flatten().tolist() == [0, 3] and type(out["masks"]) is tv_tensors.Mask
    assert v2.ClampBoundingBoxes()(boxes).tolist()[2] == [0, 0, 4, 4]
    conv = v2.ConvertBoundingBoxFormat("CXCYWH")(boxes)
    assert conv.format.name == "CXCYWH" and conv.tolist()[0] == [2, 2, 5, 5]
    with pytest.raises(ValueError, match="min_size"):
        v2.SanitizeBoundingBoxes(min_size=0.5)


def test_conversions_and_dtypes():
    pil = PILImage.new("RGB", (3, 2), (10, 20, 30))
    img = v2.ToImage()(pil)
    assert type(img) is tv_tensors.Image and img[:, 0, 0].tolist() == [10, 20, 30]
    f = v2.ToDtype(ember.float32, scale=True)(img)
    assert type(f) is tv_tensors.Image
    np.testing.assert_allclose(f[:, 0, 0].numpy(), np.array([10, 20, 30], dtype=np.float32) * np.float32(1 / 255))
    mask = tv_tensors.Mask(ember.zeros(2, 2, dtype=ember.uint8))
    out = v2.ToDtype({tv_tensors.Image: ember.float64, tv_tensors.Mask: ember.int64, "others": None})((img, mask, 5))
    assert out[0].dtype is ember.float64 and out[1].dtype is ember.int64 and out[2] == 5
    assert type(v2.ToPureTensor()(img)) is ember.Tensor
    assert v2.RGB()(tv_tensors.Image(ember.ones(1, 2, 2))).shape == (3, 2, 2)
    assert v2.Grayscale()(img).shape == (1, 2, 3)
    assert v2.Identity()(img) is img


def test_gaussian_noise_values():
    ember.manual_seed(3)
    x = ember.full((1, 2, 3), 0.5)
    got = v2.GaussianNoise(mean=0.1, sigma=0.2, clip=False)(x)
    ember.manual_seed(3)
    want = 0.5 + (0.1 + ember.randn(1, 2, 3) * 0.2)
    assert got.tolist() == want.tolist()
    assert float(v2.GaussianNoise(sigma=5.0)(x).max()) <= 1.0


def test_mixup_cutmix_labels():
    imgs = ember.rand(4, 3, 8, 8)
    labels = ember.tensor([0, 1, 2, 1])
    mixed, soft = v2.MixUp(num_classes=3)(imgs, labels)
    np.testing.assert_allclose(soft.sum(1).numpy(), np.ones(4), rtol=1e-6)
    cut, soft = v2.CutMix(num_classes=3)(imgs, labels)
    rolled = imgs.roll(1, 0)
    changed = (cut != imgs).float().mean().item()
    assert ((cut == imgs) | (cut == rolled)).all()
    np.testing.assert_allclose(soft.sum(1).numpy(), np.ones(4), rtol=1e-6)
    lam = soft[0, 0].item()  # label 0 kept with weight lam (rolled-in label is 1)
    assert abs((1 - lam) - changed) < 0.3
    with pytest.raises(ValueError, match="num_classes"):
        v2.MixUp()(imgs, labels)


def test_iou_crop_and_temporal_subsample():
    ember.manual_seed(1)
    boxes = _boxes([[2, 2, 8, 8], [20, 12, 29, 19]], canvas=(20, 30))
    image = tv_tensors.Image(ember.rand(3, 20, 30))
    img, out = v2.RandomIoUCrop(sampler_options=[0.0])(image, boxes)
    assert tuple(img.shape[-2:]) == out.canvas_size and out.shape == (2, 4)
    kept = [b for b in out.tolist() if any(b)]
    assert kept and all(0 <= x <= out.canvas_size[1] for b in kept for x in b[0::2])
    _, same = v2.RandomIoUCrop(sampler_options=[1.0])(image, boxes)
    assert same is boxes
    with pytest.raises(TypeError, match="bounding boxes"):
        v2.RandomIoUCrop()(ember.rand(3, 4, 4))
    video = tv_tensors.Video(ember.arange(7.0).reshape(7, 1, 1, 1))
    sub = v2.UniformTemporalSubsample(4)(video)
    assert type(sub) is tv_tensors.Video and sub.flatten().tolist() == [0.0, 2.0, 4.0, 6.0]


def test_zoom_out_places_the_image():
    ember.manual_seed(0)
    img = tv_tensors.Image(ember.ones(1, 4, 4))
    b = _boxes([[0, 0, 4, 4]], canvas=(4, 4))
    out_img, out_b = v2.RandomZoomOut(side_range=(2.0, 2.0), p=1.0)(img, b)
    x1, y1, x2, y2 = out_b.tolist()[0]
    assert out_img.shape == (1, 8, 8) and (x2 - x1, y2 - y1) == (4, 4)
    assert out_img[0, y1:y2, x1:x2].sum().item() == 16 and out_img.sum().item() == 16


# --- random draws as torchvision v2 makes them ----------------------------------------------------
def _both(make, mask_tol=0.0, seeds=range(6)):
    """``make(v2_module, lib)`` built on both sides, run on the same detection sample after the same seed.

    ``mask_tol``: the fraction of mask pixels allowed to differ where a nearest-neighbour tap sits on a
    rounding boundary (Ember's interpolate computes nearest source indices in float64, torch in float32;
    the perspective warp maps coordinates in float64)."""
    torch, tv2, ttv = _tv()
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (3, 20, 30)).astype(np.uint8)
    boxes = [[2.0, 3.0, 10.0, 8.0], [15.0, 1.0, 29.0, 19.0]]
    mask = rng.integers(0, 3, (20, 30)).astype(np.uint8)
    for seed in seeds:
        ember.manual_seed(seed)
        mine = make(v2, ember)({"image": tv_tensors.Image(ember.tensor(img)), "boxes": _boxes(boxes),
                                "masks": tv_tensors.Mask(ember.tensor(mask)), "label": 3})
        mine_next = ember.rand(1).item()
        torch.manual_seed(seed)
        theirs = make(tv2, torch)({"image": ttv.Image(torch.tensor(img)),
                                   "boxes": ttv.BoundingBoxes(boxes, format="XYXY", canvas_size=(20, 30)),
                                   "masks": ttv.Mask(torch.tensor(mask)), "label": 3})
        assert mine_next == torch.rand(1).item(), f"seed {seed}: a different number of draws"
        assert mine["boxes"].canvas_size == tuple(theirs["boxes"].canvas_size)
        np.testing.assert_allclose(mine["boxes"].numpy(), theirs["boxes"].numpy(), atol=2e-4)
        assert mine["image"].shape == tuple(theirs["image"].shape)
        assert mine["masks"].shape == tuple(theirs["masks"].shape)
        assert (mine["masks"].numpy() != theirs["masks"].numpy()).mean() <= mask_tol


@pytest.mark.parametrize("make", [
    lambda T, lib: T.RandomHorizontalFlip(),
    lambda T, lib: T.RandomVerticalFlip(p=0.3),
    lambda T, lib: T.RandomResizedCrop(12, antialias=True),
    lambda T, lib: T.RandomCrop(15, padding=2),
    lambda T, lib: T.RandomCrop((25, 35), pad_if_needed=True),
    lambda T, lib: T.RandomRotation(40),
    lambda T, lib: T.RandomRotation(40, expand=True),
    lambda T, lib: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3)),
    lambda T, lib: T.RandomZoomOut(side_range=(1.0, 2.5), p=0.7),
    lambda T, lib: T.RandomApply([T.RandomHorizontalFlip(p=1.0)], p=0.5),
    lambda T, lib: T.RandomChoice([T.RandomHorizontalFlip(p=1.0), T.RandomVerticalFlip(p=1.0), T.Pad(1)]),
    lambda T, lib: T.RandomOrder([T.Pad(1), T.RandomCrop(14), T.Resize(16)]),
    lambda T, lib: T.Compose([T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.RandomGrayscale(0.5), T.GaussianBlur(3)]),
    lambda T, lib: T.RandomPhotometricDistort(p=0.6),
    lambda T, lib: T.RandomIoUCrop(),
    lambda T, lib: T.Compose([T.RandomIoUCrop(sampler_options=[0.1, 0.5]), T.SanitizeBoundingBoxes(labels_getter=None)]),
])
def test_random_draws_match_torchvision_v2(make):
    _both(make)


@pytest.mark.parametrize("make", [
    lambda T, lib: T.RandomPerspective(0.4, p=0.8),
    lambda T, lib: T.ScaleJitter((24, 32), scale_range=(0.5, 1.5)),
    lambda T, lib: T.RandomShortestSize([10, 14, 18], max_size=40),
    lambda T, lib: T.RandomResize(10, 20),
])
def test_random_draws_match_torchvision_v2_nearest_masks(make):
    _both(make, mask_tol=0.05)


def test_colour_and_noise_outputs_match_torchvision_v2():
    torch, tv2, ttv = _tv()
    x = np.random.default_rng(2).random((3, 6, 7)).astype(np.float32)
    for make in (lambda T: T.ColorJitter(0.3, 0.3, 0.3, 0.1), lambda T: T.GaussianNoise(sigma=0.2),
                 lambda T: T.RandomErasing(p=0.9, value="random"), lambda T: T.RandomChannelPermutation()):
        for seed in range(4):
            ember.manual_seed(seed)
            got = make(v2)(ember.tensor(x))
            torch.manual_seed(seed)
            want = make(tv2)(torch.tensor(x))
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=2e-6)


def test_mixup_cutmix_match_torchvision_v2():
    torch, tv2, _ = _tv()
    imgs = np.random.default_rng(3).random((4, 3, 8, 8)).astype(np.float32)
    labels = [0, 2, 1, 2]
    for name in ("MixUp", "CutMix"):
        for seed in range(4):
            ember.manual_seed(seed)
            a, la = getattr(v2, name)(alpha=0.7, num_classes=3)(ember.tensor(imgs), ember.tensor(labels))
            torch.manual_seed(seed)
            b, lb = getattr(tv2, name)(alpha=0.7, num_classes=3)(torch.tensor(imgs), torch.tensor(labels))
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
            np.testing.assert_allclose(la.numpy(), lb.numpy(), atol=1e-6)


# --- v1 additions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_adjust_gamma(dtype, device):
    x = np.array([[[0, 64, 128, 255]]], dtype=np.uint8)
    t = ember.tensor(x, device=device)
    t = t if dtype == "uint8" else t.float() / 255
    got = F1.adjust_gamma(t, 0.5, gain=1.1).cpu().numpy()
    ref = np.clip(1.1 * (x / 255.0) ** 0.5, 0, 1)
    if dtype == "uint8":
        np.testing.assert_array_equal(got, (ref * 255.999).astype(np.uint8))
    else:
        np.testing.assert_allclose(got, ref, rtol=1e-5)
    pil = F1.adjust_gamma(PILImage.fromarray(x[0]), 2.0)
    assert np.asarray(pil)[0].tolist() == [int(255.999 * (v / 255.0) ** 2) for v in x[0, 0]]
    with pytest.raises(ValueError, match="non-negative"):
        F1.adjust_gamma(t, -1)


def test_linear_transformation(device):
    rng = np.random.default_rng(0)
    m, mean = rng.random((12, 12)).astype(np.float32), rng.random(12).astype(np.float32)
    x = rng.random((2, 3, 2, 2)).astype(np.float32)
    tf = LinearTransformation(ember.tensor(m, device=device), ember.tensor(mean, device=device))
    got = tf(ember.tensor(x, device=device))
    np.testing.assert_allclose(got.cpu().numpy(), ((x.reshape(2, 12) - mean) @ m).reshape(x.shape), rtol=1e-5)
    with pytest.raises(ValueError, match="incompatible shape"):
        tf(ember.zeros(1, 2, 2, device=device))
    with pytest.raises(ValueError, match="square"):
        LinearTransformation(ember.zeros(3, 4), ember.zeros(3))


def test_v2_get_params_and_v1_parity():
    assert v2.RandomResizedCrop.get_params is not None and v2.RandomCrop.get_params is not None
    x = ember.rand(3, 10, 12)
    for make in (lambda T: T.RandomResizedCrop(6), lambda T: T.RandomRotation(20), lambda T: T.ColorJitter(0.2, 0.2)):
        ember.manual_seed(5)
        a = make(v2)(x)
        ember.manual_seed(5)
        from embervision import transforms as T1
        b = make(T1)(x)
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
