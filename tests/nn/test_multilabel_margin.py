"""multilabel_margin_loss / MultiLabelMarginLoss: a per-sample loop reference, gradchecks, errors, torch itself."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)


def ref_sample(x, y):
    """torch's definition, literally: targets until the first -1, hinge against every non-target."""
    targets = []
    for t in y:
        if t == -1:
            break
        targets.append(int(t))
    loss = 0.0
    for j in targets:
        for i in range(len(x)):
            if i not in targets:
                loss += max(0.0, 1.0 - (x[j] - x[i]))
    return loss / len(x)


def ref_loss(x, y, reduction="mean"):
    if x.ndim < 2:
        return np.asarray(ref_sample(x.reshape(-1), y.reshape(-1)))
    per = np.array([ref_sample(a, b) for a, b in zip(x, y)])
    return {"none": per, "sum": per.sum(), "mean": per.mean()}[reduction]


def random_targets(n, c):
    """Rows of distinct classes (a random count) then -1, then junk after the -1; one row repeats a class."""
    y = rng.integers(-1, c, (n, c))
    for row in y:
        k = rng.integers(0, c + 1)
        row[:k] = rng.permutation(c)[:k]
        if k < c:
            row[k] = -1
    y[0, :3] = [1, 1, -1]
    return y


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_values_and_grad(device, reduction):
    x, y = rng.standard_normal((4, 5)), random_targets(4, 5)
    run(Case(f"multilabel_margin-{reduction}", lambda a, b: F.multilabel_margin_loss(a, b, reduction=reduction),
             lambda a, b: ref_loss(a, b, reduction), (x, y), nondiff=(1,), atol=1e-12), device)


def test_multilabel_margin_vector_input(device):
    x, y = rng.standard_normal(6), np.array([1, 4, -1, 5, 0, 2])  # the list ends at the -1
    run(Case("multilabel_margin-1d", lambda a, b: F.multilabel_margin_loss(a, b, reduction="none"),
             lambda a, b: ref_loss(a, b), (x, y), nondiff=(1,), atol=1e-12), device)


def test_multilabel_margin_closed_forms():
    x = ember.tensor([[0.1, 0.2, 0.4, 0.8]], requires_grad=True)
    loss = F.multilabel_margin_loss(x, ember.tensor([[3, 0, -1, 1]]))  # (0.4 + 0.6 + 1.1 + 1.3) / 4
    loss.backward()
    assert abs(loss.item() - 0.85) < 1e-6
    assert x.grad.tolist() == [[-0.5, 0.5, 0.5, -0.5]]
    assert F.multilabel_margin_loss(x.detach(), ember.tensor([[-1, 3, 0, 1]])).item() == 0.0  # no targets
    edge = ember.tensor([[1.0, 0.0]], requires_grad=True)  # hinge exactly at 0: zero gradient, as in torch
    F.multilabel_margin_loss(edge, ember.tensor([[0, -1]])).backward()
    assert edge.grad.tolist() == [[0.0, 0.0]]


def test_multilabel_margin_module_and_float32():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = random_targets(3, 4)
    for reduction in ("mean", "sum", "none"):
        m = nn.MultiLabelMarginLoss(reduction=reduction)
        got = m(ember.tensor(x), ember.tensor(y))
        assert got.dtype is ember.float32
        np.testing.assert_allclose(got.numpy(), ref_loss(x.astype(np.float64), y, reduction), rtol=1e-6, atol=1e-6)
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MultiLabelMarginLoss(size_average=False).reduction == "sum"


@pytest.mark.parametrize("x,y,err,match", [
    (ember.zeros(1, 4), ember.zeros(1, 3, dtype=ember.int64), RuntimeError, r"inconsistent target size: \[1, 3\]"),
    (ember.zeros(4), ember.zeros(1, 4, dtype=ember.int64), RuntimeError, "inconsistent target size"),
    (ember.zeros(1, 4), ember.zeros(1, 4, dtype=ember.int32), RuntimeError, "int64"),
    (ember.zeros(1, 4), ember.tensor([[4, 0, -1, 1]]), RuntimeError, "'target' is out of range"),
    (ember.zeros(1, 4), ember.tensor([[3, -1, -2, 1]]), RuntimeError, "'target' is out of range"),
    (ember.zeros(1, 1, 4), ember.zeros(1, 1, 4, dtype=ember.int64), RuntimeError, r"non-empty vector or matrix.*\[1, 1, 4\]"),
    (ember.zeros(2, 0), ember.zeros(2, 0, dtype=ember.int64), RuntimeError, "non-empty vector or matrix"),
    (ember.zeros(1, 4, dtype=ember.int64), ember.zeros(1, 4, dtype=ember.int64), NotImplementedError, "not implemented"),
])
def test_multilabel_margin_errors(x, y, err, match):
    with pytest.raises(err, match=match):
        F.multilabel_margin_loss(x, y)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.multilabel_margin_loss(ember.zeros(1, 2), ember.tensor([[0, -1]]), reduction="avg")


@pytest.mark.torch
def test_multilabel_margin_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in ((5, 6), (6,)):
        x, y = rng.standard_normal(shape), random_targets(1, shape[-1]).reshape(shape) if len(shape) == 1 else random_targets(*shape)
        for reduction in ("mean", "sum", "none"):
            ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            got = F.multilabel_margin_loss(ex, ember.tensor(y), reduction=reduction)
            want = torch.nn.functional.multilabel_margin_loss(tx, torch.tensor(y), reduction=reduction)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)
            got.sum().backward()
            want.sum().backward()
            np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), atol=1e-12)
