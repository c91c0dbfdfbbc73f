"""embervision.ops misc layers and stochastic depth: structure, values against numpy, draws like torchvision's."""

import warnings

import ember
import ember.nn as nn
import numpy as np
import pytest
from embervision import ops
from embervision.ops.misc import ConvNormActivation
from harness import Case, run

RNG = np.random.default_rng(0)


def _sd_mask(seed, shape, p):
    """The mask stochastic_depth draws after ``manual_seed(seed)``: one bernoulli_(1 - p), scaled."""
    ember.manual_seed(seed)
    return ember.empty(shape, dtype=ember.float64).bernoulli_(1 - p).numpy() / (1 - p)


def _seeded_sd(p, mode):
    def fn(x):
        ember.manual_seed(7)
        return ops.stochastic_depth(x, p, mode)
    return fn


X = RNG.normal(size=(6, 2, 3))
HOST_DRAWN = ("cpu", "strict")


def _frozen_bn(x, w, b, rm, rv):
    bn = ops.FrozenBatchNorm2d(x.shape[1], eps=1e-3)
    bn.weight, bn.bias, bn.running_mean, bn.running_var = w, b, rm, rv
    return bn(x)


def _np_frozen_bn(x, w, b, rm, rv):
    r = lambda a: a.reshape(1, -1, 1, 1)  # noqa: E731
    return (x - r(rm)) / np.sqrt(r(rv) + 1e-3) * r(w) + r(b)


CASES = [
    # the reference mask comes from the host generator: devices drawing on their own (cuda) get other masks
    Case("stochastic_depth_row", _seeded_sd(0.5, "row"), lambda x: x * _sd_mask(7, (6, 1, 1), 0.5), (X,),
         devices=HOST_DRAWN),
    Case("stochastic_depth_batch", _seeded_sd(0.3, "batch"), lambda x: x * _sd_mask(7, (1, 1, 1), 0.3), (X,),
         devices=HOST_DRAWN),
    Case("frozen_batch_norm", _frozen_bn, _np_frozen_bn,
         (RNG.normal(size=(2, 3, 2, 2)), RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3),
          RNG.uniform(0.5, 2, size=3))),
    Case("permute", lambda x: ops.Permute([0, 2, 3, 1])(x), lambda x: x.transpose(0, 2, 3, 1),
         (RNG.normal(size=(2, 3, 2, 4)),)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_values_and_gradients(case, device):
    run(case, device)


# --- stochastic depth ---------------------------------------------------------------------------------
def test_stochastic_depth_masks_rows_or_everything():
    x = ember.ones(1000, 3)
    ember.manual_seed(1)
    y = ops.stochastic_depth(x, 0.25, "row").numpy()
    assert set(np.unique(y).tolist()) == {0.0, float(np.float32(1) / np.float32(0.75))}
    assert (y == y[:, :1]).all()  # whole rows
    assert abs((y[:, 0] == 0).mean() - 0.25) < 5 * np.sqrt(0.25 * 0.75 / 1000)
    outcomes = {float(ops.stochastic_depth(x, 0.5, "batch").numpy().max()) for _ in range(20)}
    assert outcomes == {0.0, 2.0}  # all dropped or all kept (and scaled)


def test_stochastic_depth_identity_cases_and_errors():
    x = ember.randn(4, 2)
    assert ops.stochastic_depth(x, 0.7, "row", training=False) is x
    assert ops.stochastic_depth(x, 0.0, "row") is x
    assert np.array_equal(ops.stochastic_depth(x, 1.0, "row").numpy(), np.zeros((4, 2), np.float32))  # no 1/0
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got 1.5"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row', but got col"):
        ops.stochastic_depth(x, 0.5, "col")


def test_stochastic_depth_module_follows_train_eval():
    sd = ops.StochasticDepth(0.5, "row")
    assert repr(sd) == "StochasticDepth(p=0.5, mode=row)"
    x = ember.ones(64, 2)
    assert (sd(x).numpy() == 0).any()
    sd.eval()
    assert sd(x) is x


def test_stochastic_depth_same_draws_as_torchvision():
    torch = pytest.importorskip("torch")
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    tvops = pytest.importorskip("torchvision.ops")
    x = RNG.normal(size=(16, 3, 2)).astype(np.float32)
    for mode, p in [("row", 0.4), ("batch", 0.5), ("row", 0.9)]:
        torch.manual_seed(5), ember.manual_seed(5)
        for _ in range(3):
            want = tvops.stochastic_depth(torch.from_numpy(x), p, mode).numpy()
            got = ops.stochastic_depth(ember.tensor(x), p, mode).numpy()
            np.testing.assert_array_equal(got, want)


# --- conv-norm-activation ----------------------------------------------------------------------------
def test_conv2d_norm_activation_layers_padding_and_bias():
    m = ops.Conv2dNormActivation(3, 8, kernel_size=5, stride=2, dilation=2)
    conv, bn, act = m
    assert isinstance(bn, nn.BatchNorm2d) and isinstance(act, nn.ReLU) and act.inplace
    assert conv.padding == (4, 4) and conv.bias is None and m.out_channels == 8
    assert m(ember.zeros(1, 3, 16, 16)).shape == (1, 8, 8, 8)
    bare = ops.Conv2dNormActivation(3, 4, (3, 5), norm_layer=None, activation_layer=nn.SiLU, inplace=None)
    assert len(bare) == 2 and bare[0].padding == (1, 2) and bare[0].bias is not None
    assert isinstance(bare[1], nn.SiLU)
    assert ops.Conv2dNormActivation(3, 4, bias=True)[0].bias is not None
    assert ops.Conv2dNormActivation(3, 4, padding=0, activation_layer=None)(ember.zeros(1, 3, 5, 5)).shape == (1, 4, 3, 3)


def test_conv3d_norm_activation():
    m = ops.Conv3dNormActivation(2, 4, kernel_size=3, stride=(1, 2, 2))
    assert isinstance(m[0], nn.Conv3d) and isinstance(m[1], nn.BatchNorm3d) and m[0].padding == (1, 1, 1)
    assert m(ember.zeros(1, 2, 3, 6, 6)).shape == (1, 4, 3, 3, 3)


def test_conv_norm_activation_values(device):
    x = RNG.normal(size=(2, 3, 5, 5)).astype(np.float32)
    m = ops.Conv2dNormActivation(3, 4, kernel_size=1).to(device).eval()
    with ember.no_grad():
        m[1].running_mean.copy_(ember.tensor([0.5, -0.5, 0.0, 1.0]))
        got = m(ember.tensor(x, device=device)).cpu().numpy()
    w = m[0].weight.detach().cpu().numpy()[:, :, 0, 0]
    ref = np.einsum("oc,nchw->nohw", w, x) - np.array([0.5, -0.5, 0.0, 1.0], np.float32).reshape(1, 4, 1, 1)
    np.testing.assert_allclose(got, np.maximum(ref / np.sqrt(1 + 1e-5), 0), rtol=1e-5, atol=1e-6)


def test_conv_norm_activation_base_class_warns():
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        ConvNormActivation(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.Conv2dNormActivation(3, 4)


# --- squeeze-excitation, MLP, frozen batch norm --------------------------------------------------------
def test_squeeze_excitation_values(device):
    se = ops.SqueezeExcitation(4, 2, activation=nn.SiLU).to(device)
    x = RNG.normal(size=(2, 4, 3, 3)).astype(np.float32)
    got = se(ember.tensor(x, device=device)).detach().cpu().numpy()
    p = {k: v.detach().cpu().numpy() for k, v in se.state_dict().items()}
    s = x.mean((2, 3)) @ p["fc1.weight"][:, :, 0, 0].T + p["fc1.bias"]
    s = s / (1 + np.exp(-s))
    s = s @ p["fc2.weight"][:, :, 0, 0].T + p["fc2.bias"]
    np.testing.assert_allclose(got, x / (1 + np.exp(-s))[:, :, None, None], rtol=1e-5, atol=1e-6)
    assert list(se.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_mlp_structure_and_values(device):
    m = ops.MLP(4, [8, 6, 3], norm_layer=nn.LayerNorm, activation_layer=nn.GELU, dropout=0.2)
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "LayerNorm", "GELU", "Dropout", "Linear", "LayerNorm", "GELU", "Dropout", "Linear",
                     "Dropout"]
    assert m[3].p == 0.2 and not m[3].inplace
    assert ops.MLP(4, [8, 3], inplace=True)[1].inplace and ops.MLP(4, [3], bias=False)[0].bias is None
    m = ops.MLP(4, [5, 3]).to(device).eval()
    x = RNG.normal(size=(2, 4)).astype(np.float32)
    p = {k: v.detach().cpu().numpy() for k, v in m.state_dict().items()}
    ref = np.maximum(x @ p["0.weight"].T + p["0.bias"], 0) @ p["3.weight"].T + p["3.bias"]
    np.testing.assert_allclose(m(ember.tensor(x, device=device)).detach().cpu().numpy(), ref, rtol=1e-5, atol=1e-6)


def test_frozen_batch_norm_buffers_repr_and_loading_a_batch_norm():
    bn = nn.BatchNorm2d(3)
    with ember.no_grad():
        bn.weight.copy_(ember.tensor([1.0, 2.0, 3.0]))
        bn.running_var.copy_(ember.tensor([4.0, 1.0, 0.25]))
    frozen = ops.FrozenBatchNorm2d(3)
    assert list(frozen.parameters()) == [] and repr(frozen) == "FrozenBatchNorm2d(3, eps=1e-05)"
    assert "num_batches_tracked" in bn.state_dict()
    frozen.load_state_dict(bn.state_dict())  # strict: num_batches_tracked is dropped
    x = ember.randn(2, 3, 4, 4)
    np.testing.assert_allclose(frozen(x).numpy(), bn.eval()(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert list(frozen.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    nested = nn.Sequential(nn.Conv2d(2, 3, 1), ops.FrozenBatchNorm2d(3))
    nested.load_state_dict(nn.Sequential(nn.Conv2d(2, 3, 1), bn).state_dict())  # as a submodule too
    np.testing.assert_array_equal(nested[1].running_var.numpy(), bn.running_var.numpy())


def test_modules_match_torchvision():
    torch = pytest.importorskip("torch")
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    tvops = pytest.importorskip("torchvision.ops")
    x = RNG.normal(size=(2, 6, 5, 5)).astype(np.float32)
    builds = [
        lambda lib, nnl: lib.Conv2dNormActivation(6, 4, kernel_size=3, stride=2, groups=2, activation_layer=nnl.SiLU),
        lambda lib, nnl: lib.SqueezeExcitation(6, 3, scale_activation=nnl.Hardsigmoid),
        lambda lib, nnl: lib.FrozenBatchNorm2d(6, eps=1e-3),
        lambda lib, nnl: lib.Permute([0, 3, 1, 2]),
        lambda lib, nnl: lib.MLP(5, [7, 4], norm_layer=nnl.LayerNorm, activation_layer=nnl.GELU),
    ]
    for build in builds:
        torch.manual_seed(2), ember.manual_seed(2)
        theirs, ours = build(tvops, torch.nn).eval(), build(ops, nn).eval()
        ts, es = theirs.state_dict(), ours.state_dict()
        assert list(ts) == list(es)
        for k in ts:
            np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
        assert repr(ours) == repr(theirs).replace("torch.", "ember.")
        with torch.no_grad(), ember.no_grad():
            np.testing.assert_allclose(ours(ember.tensor(x)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                       rtol=1e-5, atol=1e-6)
