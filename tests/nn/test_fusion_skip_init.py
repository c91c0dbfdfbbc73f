"""nn.utils: batch-norm fusion into convolution/linear layers, and skip_init."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, skip_init


def _np(t):
    return t.detach().numpy()


def _trained_bn(bn):
    with ember.no_grad():
        bn.running_mean.copy_(ember.randn(bn.num_features))
        bn.running_var.copy_(ember.rand(bn.num_features) + 0.5)
        bn.weight.copy_(ember.randn(bn.num_features))
        bn.bias.copy_(ember.randn(bn.num_features))
    return bn.eval()


@pytest.mark.parametrize("conv_cls,bias", [(nn.Conv2d, True), (nn.Conv2d, False), (nn.Conv1d, True)])
def test_fused_convolution_equals_conv_then_batch_norm(conv_cls, bias):
    ember.manual_seed(0)
    conv = conv_cls(3, 4, 3, bias=bias).eval()
    bn = _trained_bn((nn.BatchNorm2d if conv_cls is nn.Conv2d else nn.BatchNorm1d)(4))
    x = ember.randn(2, 3, *([7, 7] if conv_cls is nn.Conv2d else [9]))
    fused = fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-5, atol=1e-5)
    assert isinstance(fused.weight, nn.Parameter) and fused.bias is not None
    assert conv.weight is not fused.weight  # the original layer is left as it was


def test_fused_transposed_convolution_scales_its_output_channels():
    ember.manual_seed(1)
    conv = nn.ConvTranspose2d(3, 5, 2).eval()
    bn = _trained_bn(nn.BatchNorm2d(5))
    x = ember.randn(2, 3, 4, 4)
    w, b = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
                                transpose=True)
    got = ember.nn.functional.conv_transpose2d(x, w, b)
    np.testing.assert_allclose(_np(got), _np(bn(conv(x))), rtol=1e-5, atol=1e-5)


def test_fused_linear_equals_linear_then_batch_norm_and_training_mode_is_refused():
    ember.manual_seed(2)
    linear, bn = nn.Linear(6, 4).eval(), _trained_bn(nn.BatchNorm1d(4))
    x = ember.randn(5, 6)
    np.testing.assert_allclose(_np(fuse_linear_bn_eval(linear, bn)(x)), _np(bn(linear(x))), rtol=1e-5, atol=1e-5)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fuse_linear_bn_eval(linear.train(), bn)


def test_skip_init_draws_no_random_numbers_and_keeps_the_class_intact():
    ember.manual_seed(5)
    m = skip_init(nn.Linear, 4, 3)
    after_skip = ember.rand(1).item()
    ember.manual_seed(5)
    assert ember.rand(1).item() == after_skip  # skip_init consumed nothing from the generator
    assert m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert "reset_parameters" in nn.Linear.__dict__
    ember.manual_seed(5)
    assert nn.Linear(4, 3).weight.abs().max().item() <= 0.5  # regular construction still initialises (bound 1/2)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        skip_init(int)


def test_fusion_matches_torch():
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    conv, bn = nn.Conv2d(2, 3, 3).eval(), _trained_bn(nn.BatchNorm2d(3))
    tconv, tbn = torch.nn.Conv2d(2, 3, 3).eval(), torch.nn.BatchNorm2d(3).eval()
    tconv.load_state_dict({k: torch.from_numpy(_np(v)) for k, v in conv.state_dict().items()})
    tbn.load_state_dict({k: torch.from_numpy(np.asarray(_np(v))) for k, v in bn.state_dict().items()})
    ours = fuse_conv_bn_eval(conv, bn)
    theirs = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.bias.detach().numpy(), theirs.bias.detach().numpy(), rtol=1e-6, atol=1e-6)
