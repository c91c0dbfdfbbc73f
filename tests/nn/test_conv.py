"""Convolutions, transposed convolutions, unfold/fold and the conv modules: numpy loops as references."""

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)


# --- direct (slow) numpy references -------------------------------------------------------------
def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    nd = w.ndim - 2
    s, p, d = (np.broadcast_to(v, (nd,)).tolist() for v in (stride, padding, dilation))
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pp, pp) for pp in p])
    k = w.shape[2:]
    out_sp = [(x.shape[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    n, o = x.shape[0], w.shape[0]
    cg, og = w.shape[1], o // groups
    y = np.zeros((n, o, *out_sp))
    for pos in itertools.product(*map(range, out_sp)):
        for kk in itertools.product(*map(range, k)):
            idx = tuple(pos[i] * s[i] + kk[i] * d[i] for i in range(nd))
            v = xp[(slice(None), slice(None)) + idx]
            for g in range(groups):
                y[(slice(None), slice(g * og, (g + 1) * og)) + pos] += (
                    v[:, g * cg:(g + 1) * cg] @ w[(slice(g * og, (g + 1) * og), slice(None)) + kk].T)
    return y if b is None else y + b.reshape((1, -1) + (1,) * nd)


def conv_transpose_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter every input value times the kernel into the (padded) output."""
    nd = w.ndim - 2
    s, p, op, d = (np.broadcast_to(v, (nd,)).tolist() for v in (stride, padding, output_padding, dilation))
    k = w.shape[2:]
    n, c = x.shape[:2]
    cg, og = c // groups, w.shape[1]
    full = [(x.shape[2 + i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i] for i in range(nd)]
    y = np.zeros((n, og * groups, *full))
    for pos in itertools.product(*map(range, x.shape[2:])):
        for kk in itertools.product(*map(range, k)):
            idx = tuple(pos[i] * s[i] + kk[i] * d[i] for i in range(nd))
            for g in range(groups):
                y[(slice(None), slice(g * og, (g + 1) * og)) + idx] += (
                    x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos] @ w[(slice(g * cg, (g + 1) * cg), slice(None)) + kk])
    y = y[(slice(None), slice(None)) + tuple(slice(p[i], full[i] - p[i]) for i in range(nd))]
    return y if b is None else y + b.reshape((1, -1) + (1,) * nd)


def unfold_ref(x, k, d, p, s):
    n, c = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (x.shape[2] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (x.shape[3] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh, ow))
    for i, j, a, b in itertools.product(range(k[0]), range(k[1]), range(oh), range(ow)):
        cols[:, :, i, j, a, b] = xp[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return cols.reshape(n, c * k[0] * k[1], oh * ow)


def fold_ref(cols, size, k, d, p, s):
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    oh = (size[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (size[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = cols.reshape(n, c, k[0], k[1], oh, ow)
    out = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]))
    for i, j, a, b in itertools.product(range(k[0]), range(k[1]), range(oh), range(ow)):
        out[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]] += cols[:, :, i, j, a, b]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def r(*shape):
    return rng.standard_normal(shape)


# --- op table: values vs references, gradcheck and gradgradcheck in float64 ---------------------
CASES = [
    Case("conv1d", lambda x, w, b: F.conv1d(x, w, b, padding=1), lambda x, w, b: conv_ref(x, w, b, padding=1),
         (r(1, 2, 5), r(2, 2, 3), r(2))),
    Case("conv1d_stride_dil", lambda x, w: F.conv1d(x, w, stride=2, dilation=2), lambda x, w: conv_ref(x, w, stride=2, dilation=2),
         (r(1, 2, 7), r(2, 2, 2))),
    Case("conv1d_same_even", lambda x, w: F.conv1d(x, w, padding="same"),
         lambda x, w: conv_ref(np.pad(x, [(0, 0), (0, 0), (1, 2)]), w), (r(1, 1, 5), r(2, 1, 4))),
    Case("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: conv_ref(x, w, b, padding=1),
         (r(1, 2, 3, 4), r(2, 2, 3, 3), r(2))),
    Case("conv2d_mixed", lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
         lambda x, w: conv_ref(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), (r(1, 2, 5, 4), r(2, 2, 3, 2))),
    Case("conv2d_groups", lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
         lambda x, w: conv_ref(x, w, stride=2, padding=1, groups=2), (r(1, 4, 4, 3), r(4, 2, 2, 2))),
    Case("conv2d_depthwise", lambda x, w: F.conv2d(x, w, padding=1, groups=3),
         lambda x, w: conv_ref(x, w, padding=1, groups=3), (r(1, 3, 3, 3), r(3, 1, 2, 2))),
    Case("conv2d_few_inputs_many_outputs", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),  # stacked-taps path
         lambda x, w, b: conv_ref(x, w, b, stride=(2, 1), padding=1, groups=2), (r(1, 2, 4, 3), r(8, 1, 3, 2), r(8))),
    Case("conv2d_valid", lambda x, w: F.conv2d(x, w, padding="valid"), lambda x, w: conv_ref(x, w), (r(1, 1, 3, 4), r(2, 1, 2, 3))),
    Case("conv2d_unbatched", lambda x, w: F.conv2d(x, w), lambda x, w: conv_ref(x[None], w)[0], (r(2, 3, 3), r(2, 2, 2, 2))),
    Case("conv3d", lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1)),
         lambda x, w, b: conv_ref(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1)), (r(1, 1, 3, 4, 3), r(2, 1, 2, 3, 2), r(2))),
    Case("conv_transpose1d", lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
         lambda x, w, b: conv_transpose_ref(x, w, b, stride=2, padding=1, output_padding=1), (r(1, 3, 3), r(3, 2, 3), r(2))),
    Case("conv_transpose2d", lambda x, w: F.conv_transpose2d(x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)),
         lambda x, w: conv_transpose_ref(x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)),
         (r(1, 2, 2, 2), r(2, 2, 3, 2))),
    Case("conv_transpose2d_output_padding_from_dilation",  # stride 1: the output padding exceeds the padding
         lambda x, w: F.conv_transpose2d(x, w, padding=(0, 1), output_padding=(1, 1), dilation=2),
         lambda x, w: conv_transpose_ref(x, w, padding=(0, 1), output_padding=(1, 1), dilation=2), (r(2, 2, 2, 3), r(2, 3, 2, 2))),
    Case("conv2d_mostly_padding", lambda x, w, b: F.conv2d(x, w, b, padding=1),  # input gradient over the outputs alone
         lambda x, w, b: conv_ref(x, w, b, padding=1), (r(3, 4, 2, 2), r(5, 4, 3, 3), r(5))),
    Case("conv2d_whole_rows_several_samples", lambda x, w: F.conv2d(x, w, padding=1),  # flat runs over a chunk of samples
         lambda x, w: conv_ref(x, w, padding=1), (r(3, 2, 6, 5), r(3, 2, 3, 3))),
    Case("conv_transpose2d_groups", lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=2),
         lambda x, w: conv_transpose_ref(x, w, stride=2, groups=2), (r(1, 4, 2, 2), r(4, 1, 2, 2))),
    Case("conv_transpose3d", lambda x, w: F.conv_transpose3d(x, w, stride=2), lambda x, w: conv_transpose_ref(x, w, stride=2),
         (r(1, 1, 2, 2, 1), r(1, 1, 2, 2, 2))),
    Case("unfold", lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
         lambda x: unfold_ref(x, (2, 3), (1, 2), (1, 1), (2, 1)), (r(1, 2, 4, 5),)),
    Case("fold", lambda c: F.fold(c, (4, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
         lambda c: fold_ref(c, (4, 5), (2, 3), (1, 2), (1, 1), (2, 1)), (r(1, 12, 9),)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_conv_ops(case, device):
    run(case, device)


def test_conv_float32_values(device):
    x, w = r(2, 3, 8, 8).astype(np.float32), r(5, 3, 3, 3).astype(np.float32)
    y = F.conv2d(ember.tensor(x, device=device), ember.tensor(w, device=device), stride=2, padding=1)
    assert y.dtype == ember.float32
    np.testing.assert_allclose(y.cpu().numpy(), conv_ref(x, w, stride=2, padding=1), rtol=1e-4, atol=1e-4)


def test_top_level_aliases():
    x, w = ember.randn(1, 2, 5), ember.randn(3, 2, 2)
    assert ember.conv1d(x, w).shape == (1, 3, 4)
    assert ember.conv_transpose1d(x, ember.randn(2, 3, 2)).shape == (1, 3, 6)


def test_transposed_is_adjoint_of_conv():
    # <conv(x, w), y> == <x, conv_transpose(y, w)>
    x, w = ember.tensor(r(2, 4, 7, 6)), ember.tensor(r(6, 2, 3, 2))
    y = ember.tensor(r(2, 6, 4, 3))
    lhs = (F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2) * y).sum()
    rhs = (x * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1), dilation=(1, 2), groups=2)).sum()
    assert abs(lhs.item() - rhs.item()) < 1e-9


# --- error messages ------------------------------------------------------------------------------
@pytest.mark.parametrize("call, msg", [
    (lambda: F.conv2d(ember.zeros(2, 4, 8, 8), ember.zeros(8, 3, 3, 3)),
     r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[2, 4, 8, 8\] to have 3 channels, but got 4 channels instead"),
    (lambda: F.conv2d(ember.zeros(2, 3), ember.zeros(8, 3, 3, 3)),
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]"),
    (lambda: F.conv2d(ember.zeros(2, 3, 2, 2), ember.zeros(8, 3, 3, 3)),
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't be greater"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(8, 3, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(8, 3, 3, 3), padding="full"), "Invalid padding string: 'full'"),
    (lambda: F.conv2d(ember.zeros(1, 4, 8, 8), ember.zeros(8, 2, 3, 3), groups=3),
     r"Given groups=3, expected weight to be divisible by 3 at dimension 0"),
    (lambda: F.conv2d(ember.zeros(1, 4, 8, 8), ember.zeros(6, 2, 3, 3), groups=2, bias=ember.zeros(5)),
     r"expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\] instead"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(8, 3, 3, 3), stride=0), "non-positive stride is not supported"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(8, 3, 3, 3), padding=-1), "negative padding is not supported"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(8, 3, 3, 3), stride=(1, 1, 1)),
     r"expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, but got stride=\[1, 1, 1\]"),
    (lambda: F.conv2d(ember.zeros(1, 3, 8, 8, dtype=ember.float64), ember.zeros(8, 3, 3, 3)),
     "expected scalar type Double but found Float"),
    (lambda: F.conv_transpose2d(ember.zeros(2, 3, 8, 8), ember.zeros(4, 2, 3, 3)),
     r"Given transposed=1, weight of size \[4, 2, 3, 3\], expected input\[2, 3, 8, 8\] to have 4 channels, but got 3 channels instead"),
    (lambda: F.conv_transpose2d(ember.zeros(2, 3, 8, 8), ember.zeros(3, 2, 3, 3), output_padding=1),
     "output padding must be smaller than either stride or dilation"),
    (lambda: F.fold(ember.zeros(2, 12, 8), (4, 4), 2), "calculated number of sliding blocks 3 \\* 3 = 9, but got input.size\\(2\\)=8"),
    (lambda: F.fold(ember.zeros(2, 13, 9), (4, 4), 2), "divisible by the product of kernel_size"),
])
def test_conv_errors(call, msg):
    with pytest.raises(RuntimeError, match=msg):
        call()


def test_conv_transpose_padding_string_is_type_error():
    with pytest.raises(TypeError, match="conv_transpose2d\\(\\): argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(ember.zeros(1, 2, 3, 3), ember.zeros(2, 2, 3, 3), padding="same")


# --- modules --------------------------------------------------------------------------------------
def test_conv_module_params_and_repr():
    m = nn.Conv2d(3, 8, 3)
    assert m.weight.shape == (8, 3, 3, 3) and m.bias.shape == (8,)
    assert sum(p.numel() for p in m.parameters()) == 8 * 27 + 8
    assert repr(m) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    m2 = nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, dilation=2, bias=False, padding_mode="reflect")
    assert repr(m2) == ("Conv2d(3, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False, "
                        "padding_mode=reflect)")
    t = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
    assert t.weight.shape == (4, 3, 3, 3) and repr(t) == "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), groups=2)"
    assert nn.Conv1d(2, 4, 5).weight.shape == (4, 2, 5) and nn.Conv3d(2, 4, 1, groups=2).weight.shape == (4, 1, 1, 1, 1)
    assert repr(nn.Conv2d(4, 6, 3, padding="same")) == "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=same)"


def test_conv_module_default_init_bounds():
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the bias uses the same bound
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.8 * bound
    assert abs(m.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.1 * bound


@pytest.mark.parametrize("kw, msg", [
    (dict(padding_mode="foo"), "padding_mode must be one of"),
    (dict(groups=2), "in_channels must be divisible by groups"),
    (dict(stride=2, padding="same"), "padding='same' is not supported for strided convolutions"),
])
def test_conv_module_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        nn.Conv2d(3, 8, 3, **kw)


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv_padding_modes(mode, np_mode, device):
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, device=device, dtype=ember.float64)
    x = r(1, 2, 5, 6)
    got = m(ember.tensor(x, device=device)).detach().cpu().numpy()
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode=np_mode)
    want = conv_ref(xp, m.weight.detach().cpu().numpy(), m.bias.detach().cpu().numpy())
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = ember.randn(1, 4, 5, 5)
    assert m(x).shape == (1, 2, 9, 9)
    assert m(x, output_size=(10, 10)).shape == (1, 2, 10, 10)
    with pytest.raises(ValueError, match="requested an output size of \\[12, 12\\], but valid sizes range from \\[9, 9\\] to \\[10, 10\\]"):
        m(x, output_size=(12, 12))


def test_conv_module_trains(device):
    m = nn.Conv2d(2, 2, 3, padding=1, device=device)
    x = ember.randn(4, 2, 5, 5, device=device)
    m(x).pow(2).mean().backward()
    assert m.weight.grad.shape == m.weight.shape and m.bias.grad.shape == (2,)


# --- against torch ---------------------------------------------------------------------------------
@pytest.mark.torch
def test_conv_matches_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x, w, b = r(2, 4, 9, 8), r(6, 2, 3, 3), r(6)
    for kw in (dict(stride=2, padding=1, groups=2), dict(padding="same", dilation=(2, 1), groups=2)):
        got = F.conv2d(ember.tensor(x), ember.tensor(w), ember.tensor(b), **kw).numpy()
        want = tF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw).numpy()
        np.testing.assert_allclose(got, want, atol=1e-10)
    wt = r(4, 3, 3, 3)
    got = F.conv_transpose2d(ember.tensor(x), ember.tensor(wt), stride=2, padding=1, output_padding=1, dilation=2).numpy()
    want = tF.conv_transpose2d(torch.tensor(x), torch.tensor(wt), stride=2, padding=1, output_padding=1, dilation=2).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    F.conv2d(xe, ember.tensor(w), stride=(1, 2), groups=2).pow(2).sum().backward()
    tF.conv2d(xt, torch.tensor(w), stride=(1, 2), groups=2).pow(2).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=1e-9)
