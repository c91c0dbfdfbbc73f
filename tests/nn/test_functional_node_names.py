"""Losses and pools print torch's grad_fn names (``print(loss)`` shows the same line as torch)."""

import pytest

import ember
import ember.nn.functional as F

CASES = [
    ("F.cross_entropy(x, y)", "NllLossBackward0"),
    ("F.cross_entropy(x, y, label_smoothing=0.1)", "AddBackward0"),
    ("F.cross_entropy(x, y, label_smoothing=0.1, reduction='none')", "AddBackward0"),
    ("F.cross_entropy(x, p)", "DivBackward1"),
    ("F.cross_entropy(x, p, reduction='sum')", "NegBackward0"),
    ("F.soft_margin_loss(x, p)", "SoftMarginLossBackward0"),
    ("F.multi_margin_loss(x, y)", "MultiMarginLossBackward0"),
    ("x.sum(1)", "SumBackward1"),
    ("x.sum()", "SumBackward0"),
    ("F.max_pool1d(x3, 2)", "SqueezeBackward1"),
    ("F.avg_pool1d(x3, 2)", "SqueezeBackward1"),
    ("F.max_pool2d(x4, 2)", "MaxPool2DWithIndicesBackward0"),
    ("F.max_pool2d(x4, 2, return_indices=True)[0]", "MaxPool2DWithIndicesBackward0"),
    ("F.avg_pool2d(x4, 2)", "AvgPool2DBackward0"),
    ("F.adaptive_avg_pool2d(x4, 1)", "MeanBackward1"),
    ("F.adaptive_avg_pool2d(x4, 2)", "AdaptiveAvgPool2DBackward0"),
    ("F.adaptive_max_pool2d(x4, 2)", "AdaptiveMaxPool2DBackward0"),
    ("F.adaptive_avg_pool1d(x3, 2)", "SqueezeBackward1"),
]


def _inputs(lib):
    lib.manual_seed(0)
    x = lib.randn(4, 3, requires_grad=True)
    return dict(F=lib.nn.functional, x=x, y=lib.tensor([0, 1, 2, 1]), p=lib.softmax(lib.randn(4, 3), 1),
                x3=lib.randn(1, 2, 6, requires_grad=True), x4=lib.randn(1, 2, 4, 4, requires_grad=True))


@pytest.mark.parametrize("expr,name", CASES)
def test_node_name(expr, name):
    assert eval(expr, _inputs(ember)).grad_fn.name() == name


def test_pooling_at_the_input_size_gives_a_new_node_and_leaves_the_input_alone():
    x = ember.randn(1, 2, 4, 4, requires_grad=True) * 2
    y = F.adaptive_avg_pool2d(x, (4, 4))
    assert y is not x and y.grad_fn.name() == "AdaptiveAvgPool2DBackward0"  # torch's name for the new tensor
    assert x.grad_fn.name() == "MulBackward0"


@pytest.mark.parametrize("expr,name", CASES)
def test_node_name_matches_torch(expr, name):
    torch = pytest.importorskip("torch")
    assert eval(expr, _inputs(torch)).grad_fn.name() == name
