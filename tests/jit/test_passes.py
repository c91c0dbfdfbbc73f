"""Graph passes: each keeps the outputs equal to eager mode, on an MLP, a LeNet, a ResNet-like model, embervision."""

import importlib.util
import os

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.jit import _passes as P

_spec = importlib.util.spec_from_file_location("jit_models", os.path.join(os.path.dirname(__file__), "jit_models.py"))
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)




def _close(a, b):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=1e-4, atol=1e-5)


PASS_NAMES = ["eliminate_dead_code", "fold_constants", "eliminate_common_subexpressions", "fold_affine", "fuse_bias_relu"]


@pytest.mark.parametrize("name", ["mlp", "lenet", "resnet", "lstm", "transformer"])
@pytest.mark.parametrize("pass_name", PASS_NAMES)
def test_each_pass_keeps_outputs(name, pass_name):
    _, model, x, xb = next(c for c in models.cases() if c[0] == name)
    frozen = ember.jit.freeze(ember.jit.trace(model, x))
    g = P.copy_graph(frozen.graph)
    for c, t in zip(g.consts, frozen._fixed_values()):
        c.tensor = t
    if pass_name in ("fold_affine", "fuse_bias_relu"):
        P.fold_constants(g)
    getattr(P, pass_name)(g)
    _close(ember.jit.GraphModule(g, {}, name)(xb), model(xb))


def test_optimize_for_inference_on_all_models(device):
    for name, model, x, xb in models.cases(device):
        fast = ember.jit.optimize_for_inference(ember.jit.trace(model, x))
        _close(fast(xb), model(xb))
        assert not list(fast.parameters())


def test_conv_batchnorm_folding_and_fusion():
    model = models.ResNetLike().eval()
    models.randomize_batchnorm(model)
    traced = ember.jit.trace(model, ember.randn(1, 3, 8, 8))
    fast = ember.jit.optimize_for_inference(traced)
    shorts = [n.short for n in fast.graph.nodes]
    assert "Mul" not in shorts and "Sqrt" not in shorts  # every batch norm went into a convolution
    assert shorts.count("ConvBias") + shorts.count("Conv") == 5
    # a convolution not followed by a rectifier keeps its bias as its own third input
    assert all(len(n.inputs) == 3 for n in fast.graph.nodes if n.short == "Conv")
    assert len(fast.graph.nodes) < len(traced.graph.nodes) // 3


def test_linear_batchnorm_folding():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()).eval()
    models.randomize_batchnorm(model)
    fast = ember.jit.optimize_for_inference(ember.jit.trace(model, ember.randn(2, 3)))
    assert [n.short for n in fast.graph.nodes] == ["LinearRelu"]
    x = ember.randn(6, 3)
    _close(fast(x), model(x))


def test_dead_code_constant_folding_and_cse_on_a_function():
    def fn(x):
        unused = x.exp() * 3  # dead
        k = ember.ones(3) * 2 + 1  # constant
        return x.sin() * k + x.sin() * k

    from ember.jit._tracer import record

    g = record(fn, (ember.randn(2, 3),))  # the raw recording (trace() already drops dead code)
    before = len(g.nodes)
    assert P.fold_constants(g) == 2
    assert P.eliminate_common_subexpressions(g) >= 2
    assert P.eliminate_dead_code(g) >= 2
    assert [n.short for n in g.nodes] == ["Sin", "Mul", "Add"] and before == 9
    x = ember.randn(2, 3)
    _close(ember.jit.GraphModule(g, {}, "fn")(x), fn(x))


def test_freeze_needs_eval_mode_and_optimize_takes_modules():
    traced = ember.jit.trace(nn.Linear(2, 2), ember.ones(1, 2))
    with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
        ember.jit.freeze(traced.train())
    fast = ember.jit.optimize_for_inference(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    assert [n.short for n in fast.graph.nodes] == ["LinearRelu"]


def test_embervision_models_optimize():
    from embervision import models as vm

    for fn in (vm.lenet5,):
        model = fn(image_size=8).eval()
        fast = ember.jit.optimize_for_inference(ember.jit.trace(model, ember.randn(1, 1, 8, 8)))
        x = ember.randn(16, 1, 8, 8)
        _close(fast(x), model(x))
