"""affine_grid and grid_sample: a per-point numpy reference of torch's rules, gradchecks, torch itself."""

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)
MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
COMBOS_2D = list(itertools.product(MODES, PADDINGS, (False, True)))
COMBOS_3D = [c for c in COMBOS_2D if c[0] != "bicubic"]


# --- the numpy reference: one output point at a time ----------------------------------------------------
def ref_reflect(x, twice_low, twice_high):
    if twice_low == twice_high:
        return 0.0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = abs(x - low)
    flips, extra = math.floor(x / span), math.fmod(x, span)
    return extra + low if flips % 2 == 0 else span - extra + low


def ref_pad(x, n, padding, align):
    if padding == "zeros":
        return x
    if padding == "reflection":
        x = ref_reflect(x, 0, 2 * (n - 1)) if align else ref_reflect(x, -1, 2 * n - 1)
    return min(max(x, 0.0), n - 1.0)


def ref_cubic(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a if t < 2 else 0.0


def ref_taps(coord, n, mode, padding, align):
    """[(index, weight)] of one axis; index None when the tap is out of bounds."""
    x = (coord + 1) / 2 * (n - 1) if align else ((coord + 1) * n - 1) / 2
    if mode == "bicubic":
        f = math.floor(x)
        taps = [(ref_pad(f + k, n, padding, align), ref_cubic(x - (f + k))) for k in range(-1, 3)]
    else:
        x = ref_pad(x, n, padding, align)
        if mode == "nearest":
            taps = [(float(np.round(x)), 1.0)]  # half to even
        else:
            f = math.floor(x)
            taps = [(f, 1 - (x - f)), (f + 1, x - f)]
    return [(int(i) if 0 <= i < n else None, w) for i, w in taps]


def ref_grid_sample(x, grid, mode, padding, align):
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    nd = len(spatial)
    out = np.zeros((n, c) + grid.shape[1:-1])
    for b in range(n):
        for pos in np.ndindex(*grid.shape[1:-1]):
            # grid component 0 is x (the last axis)
            axes = [ref_taps(grid[(b,) + pos + (nd - 1 - d,)], spatial[d], mode, padding, align) for d in range(nd)]
            for combo in itertools.product(*axes):
                if all(i is not None for i, _ in combo):
                    w = np.prod([w for _, w in combo])
                    out[(b, slice(None)) + pos] += w * x[(b, slice(None)) + tuple(i for i, _ in combo)]
    return out


def ref_affine_grid(theta, size, align):
    nd = len(size) - 2
    axes = [np.zeros(1) if s == 1 else np.linspace(-1, 1, s) * (1 if align else (s - 1) / s) for s in size[2:]]
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack(list(mesh[::-1]) + [np.ones(size[2:])], -1)  # x, y, (z,), 1
    return np.einsum("...k,nik->n...i", base, theta).reshape((size[0],) + tuple(size[2:]) + (nd,))


def kw(mode, padding, align):
    return dict(mode=mode, padding_mode=padding, align_corners=align)


# --- values -------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode,padding,align", COMBOS_2D)
def test_grid_sample_2d_values(device, mode, padding, align):
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.uniform(-3.5, 3.5, (2, 3, 6, 2))
    got = F.grid_sample(ember.tensor(x, device=device), ember.tensor(g, device=device), **kw(mode, padding, align))
    np.testing.assert_allclose(got.cpu().numpy(), ref_grid_sample(x, g, mode, padding, align), atol=1e-12)


@pytest.mark.parametrize("mode,padding,align", COMBOS_3D)
def test_grid_sample_3d_values(device, mode, padding, align):
    x, g = rng.standard_normal((2, 2, 3, 4, 2)), rng.uniform(-3.5, 3.5, (2, 2, 3, 4, 3))
    got = F.grid_sample(ember.tensor(x, device=device), ember.tensor(g, device=device), **kw(mode, padding, align))
    np.testing.assert_allclose(got.cpu().numpy(), ref_grid_sample(x, g, mode, padding, align), atol=1e-12)


def test_grid_sample_float32_and_unit_axes(device):
    x, g = rng.standard_normal((1, 2, 1, 3)).astype(np.float32), rng.uniform(-2, 2, (1, 4, 3, 2)).astype(np.float32)
    for mode, padding, align in COMBOS_2D:
        got = F.grid_sample(ember.tensor(x, device=device), ember.tensor(g, device=device), **kw(mode, padding, align))
        assert got.dtype is ember.float32
        np.testing.assert_allclose(got.cpu().numpy(), ref_grid_sample(x, g, mode, padding, align), atol=1e-5,
                                   err_msg=str((mode, padding, align)))


def test_grid_sample_exact_points():
    img = ember.arange(12.0).reshape(1, 1, 3, 4)
    centres = F.affine_grid(ember.eye(2, 3).unsqueeze(0), (1, 1, 3, 4), align_corners=False)
    for mode in MODES:  # the identity grid reads every pixel back
        assert F.grid_sample(img, centres, mode=mode, align_corners=False).tolist() == img.tolist()
    row = ember.arange(9.0).reshape(1, 1, 3, 3)
    halves = ember.tensor([[[[-1.0, -1.0], [-0.5, -1.0], [0.0, -1.0], [0.5, -1.0]]]])  # x = 0, 0.5, 1, 1.5 on row 0
    assert F.grid_sample(row, halves, mode="nearest", align_corners=True).tolist() == [[[[0.0, 0.0, 1.0, 2.0]]]]
    assert F.grid_sample(row, halves, mode="bilinear", align_corners=True).tolist() == [[[[0.0, 0.5, 1.0, 1.5]]]]


def test_grid_sample_empty_batch_and_grid():
    assert F.grid_sample(ember.ones(0, 2, 3, 3), ember.ones(0, 2, 2, 2), align_corners=False).shape == (0, 2, 2, 2)
    assert F.grid_sample(ember.ones(1, 2, 3, 3), ember.ones(1, 0, 4, 2), align_corners=False).shape == (1, 2, 0, 4)


# --- gradients (float64 finite differences, first and second order) -------------------------------------------
def _grid_case(mode, padding, align, x, g):
    return Case(f"{mode}-{padding}-{align}-{x.ndim}d", lambda a, b: F.grid_sample(a, b, **kw(mode, padding, align)),
                lambda a, b: ref_grid_sample(a, b, mode, padding, align), (x, g), atol=1e-10)


@pytest.mark.parametrize("mode,padding,align", COMBOS_2D)
def test_grid_sample_2d_grad(device, mode, padding, align):
    run(_grid_case(mode, padding, align, rng.standard_normal((1, 1, 3, 3)), rng.uniform(-1.6, 1.6, (1, 1, 3, 2))), device)


@pytest.mark.parametrize("mode,padding,align", COMBOS_3D)
def test_grid_sample_3d_grad(device, mode, padding, align):
    run(_grid_case(mode, padding, align, rng.standard_normal((1, 1, 2, 2, 3)), rng.uniform(-1.6, 1.6, (1, 1, 1, 2, 3))),
        device)


def test_grid_sample_nearest_grid_gradient_is_zero():
    x, g = ember.randn(1, 1, 3, 3, requires_grad=True), (ember.rand(1, 2, 2, 2) * 2 - 1).requires_grad_()
    gx, gg = ember.autograd.grad(F.grid_sample(x, g, mode="nearest", align_corners=False).sum(), [x, g])
    assert gg.tolist() == ember.zeros(1, 2, 2, 2).tolist() and float(gx.sum()) == 4.0


def test_grid_sample_border_gradient_zero_on_the_border():
    # as in torch, a point exactly on the border is clamped with zero gradient
    x = ember.tensor([[[[1.0, 2.0], [3.0, 5.0]]]])
    g = ember.tensor([[[[1.0, 0.0]]]], requires_grad=True)
    F.grid_sample(x, g, padding_mode="border", align_corners=True).sum().backward()
    assert g.grad.tolist() == [[[[0.0, 1.5]]]]  # d/dy = (5 - 2) * (H - 1) / 2


# --- affine_grid ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_identity_is_the_mesh(device, align):
    grid = F.affine_grid(ember.eye(2, 3, dtype=ember.float64, device=device).expand(2, 2, 3), (2, 1, 3, 4),
                         align_corners=align)
    xs = np.linspace(-1, 1, 4) * (1 if align else 3 / 4)
    ys = np.linspace(-1, 1, 3) * (1 if align else 2 / 3)
    want = np.stack(np.meshgrid(xs, ys), -1)
    np.testing.assert_allclose(grid.cpu().numpy(), np.broadcast_to(want, (2, 3, 4, 2)), atol=1e-15)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2), (1, 1, 1, 3)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_values_and_grad(device, size, align):
    nd = len(size) - 2
    theta = rng.standard_normal((size[0], nd, nd + 1))
    case = Case(f"affine_grid-{size}-{align}", lambda t: F.affine_grid(t, size, align_corners=align),
                lambda t: ref_affine_grid(t, size, align), (theta,), atol=1e-12)
    if align and min(size[2:]) == 1:
        with pytest.warns(UserWarning, match="unit-size grids"):
            run(case, device)
    else:
        run(case, device)


def test_affine_grid_then_grid_sample_rotates():
    img = ember.arange(9.0).reshape(1, 1, 3, 3)
    quarter = ember.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])  # output (x, y) reads input (-y, x)
    out = F.grid_sample(img, F.affine_grid(quarter, (1, 1, 3, 3), align_corners=False), align_corners=False)
    np.testing.assert_allclose(out.numpy()[0, 0], np.rot90(np.arange(9.0).reshape(3, 3)), atol=1e-6)


# --- defaults and errors ---------------------------------------------------------------------------------
def test_align_corners_default_warns_and_is_false():
    x, g = ember.randn(1, 1, 3, 3), ember.rand(1, 2, 2, 2) * 2 - 1
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        out = F.grid_sample(x, g)
    assert out.tolist() == F.grid_sample(x, g, align_corners=False).tolist()
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(ember.eye(2, 3).unsqueeze(0), (1, 1, 2, 2))
    assert grid.tolist() == F.affine_grid(ember.eye(2, 3).unsqueeze(0), (1, 1, 2, 2), align_corners=False).tolist()


@pytest.mark.parametrize("args,kwargs,err,match", [
    ((ember.ones(1, 1, 3, 3), ember.ones(1, 2, 2, 1)), {}, RuntimeError, "size 2 in last dimension"),
    ((ember.ones(1, 1, 3, 3), ember.ones(2, 2, 2)), {}, RuntimeError, "same batch size"),
    ((ember.ones(2, 1, 3, 3), ember.ones(1, 2, 2, 2)), {}, RuntimeError, r"input with sizes \[2, 1, 3, 3\]"),
    ((ember.ones(1, 1, 3, 3), ember.ones(1, 3, 3, 3, 2)), {}, RuntimeError, "expected 4D input and grid"),
    ((ember.ones(1, 3, 3), ember.ones(1, 3, 1)), {}, RuntimeError, "expected 5D input and grid"),
    ((ember.ones(1, 1, 0, 3), ember.ones(1, 2, 2, 2)), {}, RuntimeError, "dimension 2 being empty"),
    ((ember.ones(1, 1, 2, 3, 3), ember.ones(1, 2, 2, 2, 3)), {"mode": "bicubic"}, RuntimeError, "only supports 4D"),
    ((ember.ones(1, 1, 3, 3), ember.ones(1, 2, 2, 2, dtype=ember.float64)), {}, RuntimeError, "same dtype"),
    ((ember.ones(1, 1, 3, 3, dtype=ember.int64), ember.ones(1, 2, 2, 2, dtype=ember.int64)), {}, NotImplementedError,
     "not implemented for"),
    ((ember.ones(1, 1, 3, 3), ember.ones(1, 2, 2, 2)), {"mode": "area"}, ValueError, "expected mode to be"),
    ((ember.ones(1, 1, 3, 3), ember.ones(1, 2, 2, 2)), {"padding_mode": "wrap"}, ValueError, "expected padding_mode"),
])
def test_grid_sample_errors(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        F.grid_sample(*args, align_corners=False, **kwargs)


@pytest.mark.parametrize("theta,size,err,match", [
    (ember.ones(1, 2, 3, dtype=ember.int64), (1, 1, 2, 2), ValueError, "floating point type"),
    (ember.ones(1, 2, 3), (1, 1, 2, 2, 2), ValueError, "shape Nx3x4"),
    (ember.ones(2, 3), (1, 1, 2, 2), ValueError, "shape Nx2x3"),
    (ember.ones(1, 2, 3), (1, 1, 2), NotImplementedError, "only supports 4D and 5D sizes"),
    (ember.ones(1, 2, 3), (1, 1, 0, 2), ValueError, "non-zero, positive output size"),
    (ember.ones(1, 2, 3), (2, 1, 2, 2), RuntimeError, "batch size 2"),
])
def test_affine_grid_errors(theta, size, err, match):
    with pytest.raises(err, match=match):
        F.affine_grid(theta, size, align_corners=False)


# --- torch itself --------------------------------------------------------------------------------------------
@pytest.mark.torch
def test_grid_sample_and_affine_grid_match_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    assert F.GRID_SAMPLE_INTERPOLATION_MODES == tF.GRID_SAMPLE_INTERPOLATION_MODES
    assert F.GRID_SAMPLE_PADDING_MODES == tF.GRID_SAMPLE_PADDING_MODES
    for x_shape, g_shape, combos in (((2, 3, 4, 5), (2, 3, 6, 2), COMBOS_2D), ((1, 2, 3, 4, 2), (1, 2, 3, 2, 3), COMBOS_3D)):
        x, g = rng.standard_normal(x_shape), rng.uniform(-3.5, 3.5, g_shape)
        for mode, padding, align in combos:
            ex, eg = ember.tensor(x, requires_grad=True), ember.tensor(g, requires_grad=True)
            tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
            out, want = F.grid_sample(ex, eg, **kw(mode, padding, align)), tF.grid_sample(tx, tg, **kw(mode, padding, align))
            w = rng.standard_normal(tuple(want.shape))
            got_grads = ember.autograd.grad((out * ember.tensor(w)).sum(), [ex, eg])
            want_grads = torch.autograd.grad((want * torch.tensor(w)).sum(), [tx, tg])
            for a, b in zip((out, *got_grads), (want, *want_grads)):
                np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-10, err_msg=str((mode, padding, align)))
    for size in ((2, 3, 4, 5), (2, 1, 3, 4, 2)):
        theta = rng.standard_normal((2, len(size) - 2, len(size) - 1))
        for align in (False, True):
            np.testing.assert_allclose(F.affine_grid(ember.tensor(theta), size, align_corners=align).numpy(),
                                       tF.affine_grid(torch.tensor(theta), size, align_corners=align).numpy(), atol=1e-12)
