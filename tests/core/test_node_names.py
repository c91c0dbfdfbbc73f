"""Graph nodes carry torch's names (``grad_fn.name()``, and the ``grad_fn=<...>`` of a tensor's repr)."""

import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

# names as torch 2.13 gives them for the same calls
CASES = {
    "cross_entropy": ("NllLossBackward0", lambda x, lin: F.cross_entropy(lin(x), ember.tensor([0, 1]))),
    "mse_loss": ("MseLossBackward0", lambda x, lin: F.mse_loss(lin(x), ember.zeros(2, 4))),
    "binary_cross_entropy": ("BinaryCrossEntropyBackward0", lambda x, lin: F.binary_cross_entropy(x.sigmoid(), ember.ones(2, 3))),
    "bce_with_logits": ("BinaryCrossEntropyWithLogitsBackward0", lambda x, lin: F.binary_cross_entropy_with_logits(x, ember.ones(2, 3))),
    "l1_loss": ("MeanBackward0", lambda x, lin: F.l1_loss(x, ember.zeros(2, 3))),
    "nll_loss": ("NllLossBackward0", lambda x, lin: F.nll_loss(x, ember.tensor([0, 1]))),
    "mean": ("MeanBackward0", lambda x, lin: x.mean()),
    "mean_dim": ("MeanBackward1", lambda x, lin: x.mean(1)),
    "linear": ("AddmmBackward0", lambda x, lin: lin(x)),
    "linear_no_bias": ("MmBackward0", lambda x, lin: F.linear(x, ember.ones(4, 3))),
    "matmul": ("MmBackward0", lambda x, lin: x @ ember.ones(3, 2)),
    "matvec": ("MvBackward0", lambda x, lin: x @ ember.ones(3)),
    "dot": ("DotBackward0", lambda x, lin: x[0] @ ember.ones(3)),
    "view": ("ViewBackward0", lambda x, lin: x.view(6)),
    "flatten": ("ViewBackward0", lambda x, lin: x.flatten()),
    "t": ("TBackward0", lambda x, lin: x.t()),
    "transpose": ("TransposeBackward0", lambda x, lin: x.transpose(0, 1)),
    "unsqueeze": ("UnsqueezeBackward0", lambda x, lin: x.unsqueeze(0)),
    "squeeze_dim": ("SqueezeBackward1", lambda x, lin: x.unsqueeze(0).squeeze(0)),
    "cat": ("CatBackward0", lambda x, lin: ember.cat([x, x])),
    "stack": ("StackBackward0", lambda x, lin: ember.stack([x, x])),
    "to": ("ToCopyBackward0", lambda x, lin: x.double()),
    "pow": ("PowBackward0", lambda x, lin: x ** 2),
    "std": ("StdBackward0", lambda x, lin: x.std()),
    "var": ("VarBackward0", lambda x, lin: x.var()),
    "norm": ("LinalgVectorNormBackward0", lambda x, lin: x.norm()),
    "batch_norm": ("NativeBatchNormBackward0", lambda x, lin: nn.BatchNorm1d(3)(x)),
    "layer_norm": ("NativeLayerNormBackward0", lambda x, lin: nn.LayerNorm(3)(x)),
    "conv": ("ConvolutionBackward0", lambda x, lin: nn.Conv2d(1, 1, 1)(x.reshape(1, 1, 2, 3))),
    "relu": ("ReluBackward0", lambda x, lin: F.relu(x)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_node_names_are_torchs(case):
    expected, fn = CASES[case]
    x = ember.ones(2, 3, requires_grad=True)
    y = fn(x, nn.Linear(3, 4))
    assert y.grad_fn.name() == expected
    assert f"grad_fn=<{expected}>" in repr(y)


def test_node_names_match_torch():
    torch = pytest.importorskip("torch")
    for case, (expected, fn) in CASES.items():
        # the same call through torch's API: the lambda's module names rebound to torch's
        on_torch = type(fn)(fn.__code__, dict(fn.__globals__, ember=torch, nn=torch.nn, F=torch.nn.functional))
        assert on_torch(torch.ones(2, 3, requires_grad=True), torch.nn.Linear(3, 4)).grad_fn.name() == expected, case
