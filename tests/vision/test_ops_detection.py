"""embervision.ops detection operators: RoI pooling family, deformable convolution, FPN, DropBlock, box losses.

Values are checked against plain-loop numpy references written from the kernels' definitions, gradients
by finite differences in float64 (the harness), and everything against torchvision 0.28 when it imports
(its pure-Python RoIAlign runs without its C++ ops; the other RoI kernels need them and are skipped then).
"""

import dataclasses
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from harness import Case, run

import ember
from embervision import ops
from embervision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7


# --- numpy references: one output element at a time, as the kernels loop ------------------------------------
def _bilinear(img, y, x):
    h, w = img.shape
    if not (-1 <= y <= h and -1 <= x <= w):
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1] + ly * (1 - lx) * img[y1, x0]
            + ly * lx * img[y1, x1])


def ref_roi_align(x, rois, out, scale=1.0, sr=-1, aligned=False, ps=False):
    ph_n, pw_n = (out, out) if isinstance(out, int) else out
    cout = x.shape[1] // (ph_n * pw_n) if ps else x.shape[1]
    res = np.zeros((len(rois), cout, ph_n, pw_n))
    off = 0.5 if aligned or ps else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not (aligned or ps):
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_n, rw / pw_n
        gh = sr if sr > 0 else math.ceil(rh / ph_n)
        gw = sr if sr > 0 else math.ceil(rw / pw_n)
        count = gh * gw if ps else max(gh * gw, 1)
        for c in range(cout):
            for i in range(ph_n):
                for j in range(pw_n):
                    img = x[int(b), (c * ph_n + i) * pw_n + j if ps else c]
                    total = sum(_bilinear(img, sy + i * bh + (iy + 0.5) * bh / gh, sx + j * bw + (ix + 0.5) * bw / gw)
                                for iy in range(gh) for ix in range(gw))
                    res[k, c, i, j] = total / count if count else np.nan
    return res


def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def ref_roi_pool(x, rois, out, scale=1.0, ps=False):
    ph_n, pw_n = out
    h, w = x.shape[2:]
    cout = x.shape[1] // (ph_n * pw_n) if ps else x.shape[1]
    res = np.zeros((len(rois), cout, ph_n, pw_n))
    extra, lim_h, lim_w = (0, h - 1, w - 1) if ps else (1, h, w)
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy, ex, ey = (_c_round(v * scale) for v in (x1, y1, x2, y2))
        bh, bw = max(ey - sy + extra, 1) / ph_n, max(ex - sx + extra, 1) / pw_n
        for c in range(cout):
            for i in range(ph_n):
                for j in range(pw_n):
                    hs, he = (min(max(v + sy, 0), lim_h) for v in (math.floor(i * bh), math.ceil((i + 1) * bh)))
                    ws, we = (min(max(v + sx, 0), lim_w) for v in (math.floor(j * bw), math.ceil((j + 1) * bw)))
                    win = x[int(b), (c * ph_n + i) * pw_n + j if ps else c, hs:he, ws:we]
                    res[k, c, i, j] = 0.0 if win.size == 0 else (win.mean() if ps else win.max())
    return res


def ref_deform_conv(x, offset, weight, bias, stride, pad, dil, mask):
    n, cin, h, w = x.shape
    cout, cin_g, kh, kw = weight.shape
    oh, ow = offset.shape[2:]
    og = offset.shape[1] // (2 * kh * kw)
    groups = cin // cin_g

    def tap(img, y, xx):
        if y <= -1 or y >= h or xx <= -1 or xx >= w:
            return 0.0
        y0, x0 = math.floor(y), math.floor(xx)
        ly, lx = y - y0, xx - x0
        val = 0.0
        for yy, wy in ((y0, 1 - ly), (y0 + 1, ly)):
            for xc, wx in ((x0, 1 - lx), (x0 + 1, lx)):
                if 0 <= yy < h and 0 <= xc < w:
                    val += wy * wx * img[yy, xc]
        return val

    cols = np.zeros((n, cin, kh, kw, oh, ow))
    for b in range(n):
        for c in range(cin):
            g = c // (cin // og)
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    for oy in range(oh):
                        for ox in range(ow):
                            y = oy * stride - pad + i * dil + offset[b, g * 2 * kh * kw + 2 * k, oy, ox]
                            xx = ox * stride - pad + j * dil + offset[b, g * 2 * kh * kw + 2 * k + 1, oy, ox]
                            m = 1.0 if mask is None else mask[b, g * kh * kw + k, oy, ox]
                            cols[b, c, i, j, oy, ox] = m * tap(x[b, c], y, xx)
    out = np.zeros((n, cout, oh, ow))
    per = cout // groups
    for o in range(cout):
        g = o // per
        out[:, o] = np.einsum("bcijyx,cij->byx", cols[:, g * cin_g:(g + 1) * cin_g], weight[o])
    return out + (0 if bias is None else bias[None, :, None, None])


# --- inputs --------------------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 4, 5, 6))


def _rois(k, lo=-2.0, hi=6.0, size=(0.3, 5.0)):
    xy = RNG.uniform(lo, hi, (k, 2))
    return np.concatenate([RNG.integers(0, 2, (k, 1)).astype(np.float64), xy, xy + RNG.uniform(*size, (k, 2))], 1)


ROIS = _rois(4)
ROIS_WILD = np.concatenate([ROIS, [[1.0, 6.0, 5.0, 4.0, 3.0], [0.0, -5.0, -5.0, -3.0, 20.0]]])  # reversed, outside


def _align_case(name, out, scale, sr, aligned, rois=ROIS):
    return Case(name, lambda x, r: ops.roi_align(x, r, out, scale, sr, aligned),
                lambda x, r: ref_roi_align(x, r, out, scale, sr, aligned), (X, rois), nondiff=(1,), gradgrad=False)


CASES = [
    _align_case("roi_align_adaptive", (2, 3), 1.0, -1, False),
    _align_case("roi_align_sr2_aligned", 3, 0.5, 2, True, ROIS_WILD),
    _align_case("roi_align_sr1_legacy", (2, 2), 1.0, 1, False, ROIS_WILD),
    _align_case("roi_align_adaptive_aligned_wild", 2, 1.0, -1, True, ROIS_WILD),
    Case("ps_roi_align", lambda x, r: ops.ps_roi_align(x, r, 2, 1.0, 2),
         lambda x, r: ref_roi_align(x, r, (2, 2), 1.0, 2, ps=True), (X, ROIS_WILD), nondiff=(1,), gradgrad=False),
    Case("ps_roi_align_adaptive", lambda x, r: ops.ps_roi_align(x, r, (2, 1), 0.5),
         lambda x, r: ref_roi_align(x, r, (2, 1), 0.5, -1, ps=True), (X, ROIS), nondiff=(1,), gradgrad=False),
    Case("roi_pool", lambda x, r: ops.roi_pool(x, r, (2, 3), 1.0),
         lambda x, r: ref_roi_pool(x, r, (2, 3), 1.0), (X, ROIS_WILD), nondiff=(1,), gradgrad=False),
    Case("roi_pool_scaled", lambda x, r: ops.roi_pool(x, r, 3, 0.5),
         lambda x, r: ref_roi_pool(x, r, (3, 3), 0.5), (X, ROIS), nondiff=(1,), gradgrad=False),
    Case("ps_roi_pool", lambda x, r: ops.ps_roi_pool(x, r, 2, 1.0),
         lambda x, r: ref_roi_pool(x, r, (2, 2), 1.0, ps=True), (X, ROIS_WILD), nondiff=(1,), gradgrad=False),
]


def _run(case, device):
    """Values on every device; the (slow, device-independent) finite differences on the CPU only."""
    run(case if device == "cpu" else dataclasses.replace(case, grad=False), device)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_roi_ops(case, device):
    _run(case, device)


def test_roi_ops_take_box_lists_and_modules(device):
    x = ember.tensor(X, device=device)
    boxes = [ember.tensor(ROIS[ROIS[:, 0] == i, 1:], device=device) for i in range(2)]
    flat = ember.tensor(np.concatenate([np.concatenate([np.full((len(b), 1), i), b.cpu().numpy()], 1)
                                        for i, b in enumerate(boxes)]), device=device)
    for fn, module in ((ops.roi_align, ops.RoIAlign((2, 2), 1.0, 2)), (ops.roi_pool, ops.RoIPool(2, 1.0)),
                       (ops.ps_roi_align, ops.PSRoIAlign(2, 1.0, 2)), (ops.ps_roi_pool, ops.PSRoIPool(2, 1.0))):
        want = fn(x, flat, 2, 1.0)
        np.testing.assert_allclose(fn(x, boxes, 2, 1.0).cpu().numpy(), want.cpu().numpy())
        np.testing.assert_allclose(module(x, flat).cpu().numpy(), fn(x, flat, 2, 1.0, *([2] if "align" in fn.__name__ else [])).cpu().numpy())
    assert repr(ops.RoIAlign((2, 2), 0.5, 2)) == "RoIAlign(output_size=(2, 2), spatial_scale=0.5, sampling_ratio=2, aligned=False)"
    assert repr(ops.PSRoIPool(3, 1.0)) == "PSRoIPool(output_size=3, spatial_scale=1.0)"


def test_roi_ops_errors_and_empty():
    x = ember.tensor(X)
    with pytest.raises(AssertionError, match="Tensor\\[K, 5\\]"):
        ops.roi_align(x, ember.zeros(3, 4, dtype=ember.float64), 2)
    with pytest.raises(AssertionError, match="List\\[Tensor\\[L, 4\\]\\]"):
        ops.roi_pool(x, [ember.zeros(3, 5, dtype=ember.float64)], 2)
    with pytest.raises(RuntimeError, match="multiple of"):
        ops.ps_roi_align(x, ember.tensor(ROIS), 3)
    with pytest.raises(RuntimeError, match="dtype"):
        ops.roi_align(x, ember.tensor(ROIS, dtype=ember.float32), 2)
    for fn in (ops.roi_align, ops.roi_pool):
        out = fn(x, ember.zeros(0, 5, dtype=ember.float64), 2)
        assert out.shape == (0, 4, 2, 2)


def test_roi_align_float32_matches_float64():
    got = ops.roi_align(ember.tensor(X, dtype=ember.float32), ember.tensor(ROIS, dtype=ember.float32), 3, 0.5, -1, True)
    np.testing.assert_allclose(got.numpy(), ref_roi_align(X, ROIS, (3, 3), 0.5, -1, True), rtol=1e-5, atol=1e-5)


def test_roi_pool_gradient_goes_to_first_maximum():
    x = ember.zeros(1, 1, 2, 2, requires_grad=True)
    ops.roi_pool(x, ember.tensor([[0.0, 0.0, 0.0, 1.0, 1.0]]), 1).sum().backward()
    assert x.grad.flatten().tolist() == [1.0, 0.0, 0.0, 0.0]


# --- deformable convolution ------------------------------------------------------------------------------------
def _deform_inputs(n=1, cin=2, h=4, w=5, cout=2, k=(2, 3), og=2, stride=1, pad=0, dil=1, groups=2):
    oh = (h + 2 * pad - dil * (k[0] - 1) - 1) // stride + 1
    ow = (w + 2 * pad - dil * (k[1] - 1) - 1) // stride + 1
    x = RNG.normal(size=(n, cin, h, w))
    off = RNG.uniform(-1.7, 1.7, (n, 2 * og * k[0] * k[1], oh, ow))
    weight = RNG.normal(size=(cout, cin // groups, *k))
    return x, off, weight, RNG.normal(size=cout), RNG.uniform(0, 1, (n, og * k[0] * k[1], oh, ow))


DX, DOFF, DW, DB, DMASK = _deform_inputs()
DEFORM_CASES = [
    Case("deform_conv2d_mask", lambda x, o, w, b, m: ops.deform_conv2d(x, o, w, b, mask=m),
         lambda x, o, w, b, m: ref_deform_conv(x, o, w, b, 1, 0, 1, m), (DX, DOFF, DW, DB, DMASK), gradgrad=False),
    Case("deform_conv2d_stride_dilation", lambda x, o, w: ops.deform_conv2d(x, o, w, stride=2, padding=2, dilation=2),
         lambda x, o, w: ref_deform_conv(x, o, w, None, 2, 2, 2, None),
         _deform_inputs(cin=4, cout=4, og=1, stride=2, pad=2, dil=2)[:3],
         gradgrad=False),
]


@pytest.mark.parametrize("case", DEFORM_CASES, ids=str)
def test_deform_conv2d(case, device):
    _run(case, device)


def test_deform_conv2d_zero_offsets_is_conv2d_and_module(device):
    x = ember.tensor(DX, device=device)
    w = ember.tensor(DW, device=device)
    off = ember.zeros(1, 2 * 6, 5, 5, dtype=ember.float64, device=device)
    got = ops.deform_conv2d(x, off, w, padding=1)
    want = ember.nn.functional.conv2d(x, w, padding=1, groups=2)
    np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy(), atol=1e-12)
    m = ops.DeformConv2d(4, 6, (2, 3), padding=1, groups=2, bias=False)
    assert repr(m) == "DeformConv2d(4, 6, kernel_size=(2, 3), stride=(1, 1), padding=(1, 1), groups=2, bias=False)"
    with pytest.raises(RuntimeError, match="multiple of 2"):
        ops.deform_conv2d(x, off[:, :5], w)


# --- FPN, poolers, DropBlock --------------------------------------------------------------------------------------
def test_fpn_levels_and_extra_blocks():
    ember.manual_seed(0)
    fpn = ops.FeaturePyramidNetwork([3, 5, 6], 4, extra_blocks=LastLevelP6P7(6, 4))
    feats = OrderedDict(c3=ember.rand(2, 3, 16, 16), c4=ember.rand(2, 5, 8, 8), c5=ember.rand(2, 6, 4, 4))
    out = fpn(feats)
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [
        ("c3", (2, 4, 16, 16)), ("c4", (2, 4, 8, 8)), ("c5", (2, 4, 4, 4)), ("p6", (2, 4, 2, 2)), ("p7", (2, 4, 1, 1))]
    conv = ember.nn.functional.conv2d
    inner = [fpn.inner_blocks[i][0] for i in range(3)]
    layer = [fpn.layer_blocks[i][0] for i in range(3)]
    last = conv(feats["c5"], inner[2].weight, inner[2].bias)
    np.testing.assert_allclose(out["c5"].detach().numpy(), conv(last, layer[2].weight, layer[2].bias, padding=1).detach().numpy(), atol=1e-6)
    mid = conv(feats["c4"], inner[1].weight, inner[1].bias) + last.repeat_interleave(2, 2).repeat_interleave(2, 3)
    np.testing.assert_allclose(out["c4"].detach().numpy(), conv(mid, layer[1].weight, layer[1].bias, padding=1).detach().numpy(), atol=1e-6)
    assert all(float(m.bias.abs().sum()) == 0 for m in inner + layer)
    bound = math.sqrt(6 / ((1 + 1) * 6))  # kaiming_uniform a=1 on fan_in = 6
    assert float(inner[2].weight.abs().max()) <= bound
    pooled = ops.FeaturePyramidNetwork([3], 4, extra_blocks=LastLevelMaxPool())(OrderedDict(a=ember.rand(1, 3, 5, 5)))
    np.testing.assert_array_equal(pooled["pool"].detach().numpy(), pooled["a"].detach().numpy()[:, :, ::2, ::2])
    with pytest.raises(TypeError, match="ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([3], 4, extra_blocks=ember.nn.ReLU())


def test_fpn_loads_version1_keys():
    fpn = ops.FeaturePyramidNetwork([3], 4)
    sd = OrderedDict((k.replace(".0.", "."), v) for k, v in fpn.state_dict().items())
    sd._metadata = OrderedDict({"": {"version": 1}})
    fresh = ops.FeaturePyramidNetwork([3], 4)
    fresh.load_state_dict(sd)
    assert all(bool((fresh.state_dict()[k] == v).all()) for k, v in fpn.state_dict().items())


def test_multiscale_roi_align_maps_levels():
    feats = OrderedDict(f1=ember.rand(1, 2, 32, 32), f2=ember.rand(1, 2, 16, 16), f3=ember.rand(1, 2, 8, 8))
    boxes = ember.tensor([[0.0, 0.0, 20.0, 20.0], [4.0, 4.0, 120.0, 100.0], [1.0, 2.0, 60.0, 50.0], [1.0, 2.0, 9.0, 5.0]])
    m = ops.MultiScaleRoIAlign(["f1", "f3"], (2, 2), 2, canonical_scale=32, canonical_level=3)
    out = m(feats, [boxes], [(64, 64)])
    assert m.scales == [0.5, 0.125] and (m.map_levels.k_min, m.map_levels.k_max) == (1, 3)
    areas = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt().numpy()
    levels = np.clip(np.floor(3 + np.log2(areas / 32) + 1e-6), 1, 3) - 1  # FPN eq. 1
    np.testing.assert_array_equal(m.map_levels([boxes]).numpy(), levels)
    rois = ember.cat([ember.zeros(4, 1), boxes], 1)
    assert sorted(set(levels.tolist())) == [0.0, 1.0, 2.0]
    for i, lvl in enumerate(levels):
        feat, scale = (feats["f1"], 0.5) if lvl == 0 else (feats["f3"], 0.125)  # level 2 has no map: zeros
        want = ops.roi_align(feat, rois[i:i + 1], 2, scale, 2) if lvl < 2 else ember.zeros(1, 2, 2, 2)
        np.testing.assert_allclose(out[i:i + 1].numpy(), want.numpy(), atol=1e-6)
    assert repr(m) == "MultiScaleRoIAlign(featmap_names=['f1', 'f3'], output_size=(2, 2), sampling_ratio=2)"


def test_drop_block_masks_blocks_and_rescales():
    ember.manual_seed(3)
    x = ember.ones(2, 3, 9, 9)
    y = ops.drop_block2d(x, 0.4, 3)
    kept = (y > 0).float()
    dropped = 1 - kept.numpy()
    assert dropped.sum() > 0 and float(kept.sum()) > 0
    np.testing.assert_allclose(y.sum().item(), x.numel() * float(kept.sum()) / (1e-6 + float(kept.sum())), rtol=1e-5)
    # the dropped pixels are exactly the union of 3x3 blocks around drawn centres: dilating then eroding keeps them
    ember.manual_seed(3)
    noise = ember.empty(2, 3, 7, 7).bernoulli_(0.4 * 81 / (9 * 49)).numpy()
    want = np.zeros((2, 3, 9, 9))
    for idx in zip(*np.nonzero(noise)):
        want[idx[0], idx[1], idx[2]:idx[2] + 3, idx[3]:idx[3] + 3] = 1  # block centred on centre (i+1, j+1)
    np.testing.assert_array_equal(dropped, want)
    assert ops.drop_block3d(ember.ones(1, 1, 3, 3, 3), 0.9, 5, training=False).sum().item() == 27
    with pytest.raises(ValueError, match="odd"):
        ops.drop_block2d(x, 0.5, 4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ops.DropBlock3d(1.5, 3)(ember.ones(1, 1, 3, 3, 3))
    assert repr(ops.DropBlock2d(0.1, 3)) == "DropBlock2d(p=0.1, block_size=3, inplace=False)"


# --- box functions and losses ------------------------------------------------------------------------------------
def _boxes(n):
    xy = RNG.uniform(0, 10, (n, 2))
    return np.concatenate([xy, xy + RNG.uniform(0.5, 6, (n, 2))], 1)


BA, BB = _boxes(5), _boxes(5)


def _np_pair_parts(a, b):
    lt, rb = np.maximum(a[..., :2], b[..., :2]), np.minimum(a[..., 2:], b[..., 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), -1)
    area = lambda t: (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])  # noqa: E731
    union = area(a) + area(b) - inter
    hull_lt, hull_rb = np.minimum(a[..., :2], b[..., :2]), np.maximum(a[..., 2:], b[..., 2:])
    centre = lambda t: (t[..., :2] + t[..., 2:]) / 2  # noqa: E731
    d2 = ((centre(a) - centre(b)) ** 2).sum(-1)
    diag = ((hull_rb - hull_lt) ** 2).sum(-1)
    v = 4 / np.pi ** 2 * (np.arctan((b[..., 2] - b[..., 0]) / (b[..., 3] - b[..., 1]))
                          - np.arctan((a[..., 2] - a[..., 0]) / (a[..., 3] - a[..., 1]))) ** 2
    return inter, union, np.prod(hull_rb - hull_lt, -1), d2, diag, v


def np_giou_loss(a, b, eps=1e-7):
    inter, union, hull, *_ = _np_pair_parts(a, b)
    return 1 - (inter / (union + eps) - (hull - union) / (hull + eps))


def np_diou_loss(a, b, eps=1e-7):
    inter, union, _, d2, diag, _ = _np_pair_parts(a, b)
    return 1 - inter / (union + eps) + d2 / (diag + eps)


def np_ciou_loss(a, b, eps=1e-7):
    inter, union, _, d2, diag, v = _np_pair_parts(a, b)
    iou = inter / (union + eps)
    return np_diou_loss(a, b) + v / (1 - iou + v + eps) * v


def _pairwise(fn):
    return lambda a, b: fn(a[:, None, :], b[None, :, :])


LOSS_CASES = [
    Case("giou_loss", ops.generalized_box_iou_loss, np_giou_loss, (BA, BB)),
    Case("diou_loss_mean", lambda a, b: ops.distance_box_iou_loss(a, b, reduction="mean"),
         lambda a, b: np_diou_loss(a, b).mean(), (BA, BB)),
    Case("ciou_loss_sum", lambda a, b: ops.complete_box_iou_loss(a, b, reduction="sum"),
         lambda a, b: np_ciou_loss(a, b).sum(), (BA, BB), grad=False),  # alpha is a constant in backward
    Case("distance_box_iou", ops.distance_box_iou, lambda a, b: 1 - _pairwise(np_diou_loss)(a, b), (BA, BB[:3])),
    Case("complete_box_iou", ops.complete_box_iou, lambda a, b: 1 - _pairwise(np_ciou_loss)(a, b), (BA, BB[:3]),
         grad=False),
]


@pytest.mark.parametrize("case", LOSS_CASES, ids=str)
def test_box_losses(case, device):
    _run(case, device)


def test_box_losses_closed_forms_and_reductions():
    a, b = ember.tensor([0.0, 0, 1, 1]), ember.tensor([2.0, 0, 3, 1])
    assert round(ops.generalized_box_iou_loss(a, b).item(), 5) == round(1 + 1 / 3, 5)  # hull 3, union 2
    assert round(ops.distance_box_iou_loss(a, b).item(), 5) == round(1 + 4 / 10, 5)  # centres 2 apart, diagonal^2 10
    empty = ember.zeros(0, 4)
    assert ops.complete_box_iou_loss(empty, empty, reduction="mean").item() == 0.0
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.generalized_box_iou_loss(a, b, reduction="max")
    batched = ops.distance_box_iou(ember.tensor(np.stack([BA, BA])), ember.tensor(np.stack([BB, BB])))
    np.testing.assert_allclose(batched[1].numpy(), ops.distance_box_iou(ember.tensor(BA), ember.tensor(BB)).numpy())


# --- torchvision 0.28, when it imports ------------------------------------------------------------------------------
def _tv():
    torch = pytest.importorskip("torch")
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    return torch, pytest.importorskip("torchvision")


def test_against_torchvision_roi_align():
    torch, tv = _tv()
    x = RNG.normal(size=(2, 6, 11, 13)).astype(np.float32)
    rois = _rois(9, 0.0, 5.0, (0.5, 5.0)).astype(np.float32)  # inside the image: its Python fallback = its kernel
    for out, scale, sr, aligned in (((2, 3), 1.0, -1, False), (3, 0.5, 2, True)):
        with warnings.catch_warnings():  # its fallback goes through torch.compile, which warns about deprecations
            warnings.simplefilter("ignore")
            want = tv.ops.roi_align(torch.tensor(x), torch.tensor(rois), out, scale, sr, aligned).numpy()
        got = ops.roi_align(ember.tensor(x), ember.tensor(rois), out, scale, sr, aligned).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_against_torchvision_losses_and_box_functions():
    torch, tv = _tv()
    a, b = _boxes(7).astype(np.float32), _boxes(7).astype(np.float32)
    for name in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"):
        for red in ("none", "mean", "sum"):
            ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b)
            ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b)
            want, got = getattr(tv.ops, name)(ta, tb, red), getattr(ops, name)(ea, eb, red)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
            want.sum().backward()
            got.sum().backward()
            np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-6)
    for name in ("distance_box_iou", "complete_box_iou"):
        want = getattr(tv.ops, name)(torch.tensor(a), torch.tensor(b[:4])).numpy()
        np.testing.assert_allclose(getattr(ops, name)(ember.tensor(a), ember.tensor(b[:4])).numpy(), want, rtol=1e-5, atol=1e-6)


def test_against_torchvision_drop_block_draws():
    torch, tv = _tv()
    for fn, shape, p, bs in (("drop_block2d", (2, 3, 10, 10), 0.3, 3), ("drop_block3d", (1, 2, 6, 6, 6), 0.4, 3)):
        x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
        torch.manual_seed(5)
        want = getattr(tv.ops, fn)(torch.tensor(x), p, bs).numpy()
        ember.manual_seed(5)
        np.testing.assert_allclose(getattr(ops, fn)(ember.tensor(x), p, bs).numpy(), want, rtol=1e-6)


def test_against_torchvision_module_init_and_fpn():
    torch, tv = _tv()
    from torchvision.ops.feature_pyramid_network import LastLevelP6P7 as TvP6P7

    torch.manual_seed(7)
    theirs = tv.ops.FeaturePyramidNetwork([3, 5], 4, extra_blocks=TvP6P7(5, 4))
    ember.manual_seed(7)
    ours = ops.FeaturePyramidNetwork([3, 5], 4, extra_blocks=LastLevelP6P7(5, 4))
    for (k1, v1), (k2, v2) in zip(theirs.state_dict().items(), ours.state_dict().items()):
        assert k1 == k2
        np.testing.assert_array_equal(v2.numpy(), v1.numpy())
    feats = [np.random.default_rng(2).normal(size=s).astype(np.float32) for s in ((1, 3, 8, 8), (1, 5, 4, 4))]
    want = theirs(OrderedDict((n, torch.tensor(f)) for n, f in zip("ab", feats)))
    got = ours(OrderedDict((n, ember.tensor(f)) for n, f in zip("ab", feats)))
    assert list(want) == list(got)
    for k in want:
        np.testing.assert_allclose(got[k].detach().numpy(), want[k].detach().numpy(), rtol=1e-5, atol=1e-5)
    torch.manual_seed(8)
    td = tv.ops.DeformConv2d(4, 6, 3, groups=2)
    ember.manual_seed(8)
    ed = ops.DeformConv2d(4, 6, 3, groups=2)
    np.testing.assert_array_equal(ed.weight.detach().numpy(), td.weight.detach().numpy())
    np.testing.assert_array_equal(ed.bias.detach().numpy(), td.bias.detach().numpy())
    assert repr(ed) == repr(td)


def test_against_torchvision_multiscale_roi_align():
    torch, tv = _tv()
    rng = np.random.default_rng(4)
    feats = {k: rng.normal(size=(2, 3, s, s)).astype(np.float32) for k, s in (("p2", 32, ), ("p3", 16), ("p4", 8))}
    boxes = [_boxes(5).astype(np.float32) * 5 + 1 for _ in range(2)]
    theirs = tv.ops.MultiScaleRoIAlign(["p2", "p3", "p4"], 3, 2)
    ours = ops.MultiScaleRoIAlign(["p2", "p3", "p4"], 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = theirs({k: torch.tensor(v) for k, v in feats.items()}, [torch.tensor(b) for b in boxes], [(128, 128)] * 2)
    got = ours({k: ember.tensor(v) for k, v in feats.items()}, [ember.tensor(b) for b in boxes], [(128, 128)] * 2)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert ours.scales == theirs.scales
