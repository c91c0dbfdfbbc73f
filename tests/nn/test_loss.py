"""Losses: values against numpy formulas for every reduction, float64 gradients on every device, torch parity."""

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(1)
X = rng.standard_normal((4, 5))
Y = rng.standard_normal((4, 5))
P = rng.uniform(0.05, 0.95, (4, 5))
Q = rng.uniform(0.0, 1.0, (4, 5))
T = rng.integers(0, 5, (4,))
T_IGN = np.array([1, -100, 4, 0])
X3 = rng.standard_normal((2, 4, 3))
T3 = np.array([[0, 3, 1], [2, 2, -100]])
W5 = rng.uniform(0.5, 2.0, (5,))
W4 = rng.uniform(0.5, 2.0, (4,))
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])
PM = np.where(rng.standard_normal((4, 5)) > 0, 1.0, -1.0)


def reduce(v, r):
    return {"none": v, "sum": v.sum(), "mean": v.mean()}[r]


def log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def log_sig(x):
    return -np.logaddexp(0, -x)


def ce_ref(x, t, w=None, ignore=-100, reduction="mean", eps=0.0):
    """torch's cross-entropy for class indices: weighted NLL mixed with a weighted uniform target."""
    logp = log_softmax(x, 1)
    c = x.shape[1]
    w = np.ones(c) if w is None else w
    valid = t != ignore
    safe = np.where(valid, t, 0)
    picked = np.take_along_axis(logp, safe[:, None], 1)[:, 0]
    wt = w[safe] * valid
    smooth = -(logp * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(1) * valid
    loss = (1 - eps) * (-picked * wt) + eps / c * smooth
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.sum() / wt.sum()


def _nll(logp, t, w, ignore, reduction):
    c = logp.shape[1]
    w = np.ones(c) if w is None else w
    valid = t != ignore
    safe = np.where(valid, t, 0)
    wt = w[safe] * valid
    loss = -np.take_along_axis(logp, safe[:, None], 1)[:, 0] * wt
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.sum() / wt.sum()


def smooth_l1(d, beta):
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


def xlogy(x, y):
    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def cos_rows(a, b):
    return (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))


CASES = []
for r in ("none", "mean", "sum"):
    CASES += [
        Case(f"l1_{r}", lambda a, b, r=r: F.l1_loss(a, b, reduction=r), lambda a, b, r=r: reduce(np.abs(a - b), r), (X, Y)),
        Case(f"mse_{r}", lambda a, b, r=r: F.mse_loss(a, b, reduction=r), lambda a, b, r=r: reduce((a - b) ** 2, r), (X, Y)),
        Case(f"smooth_l1_{r}", lambda a, b, r=r: F.smooth_l1_loss(a, b, reduction=r, beta=0.7),
             lambda a, b, r=r: reduce(smooth_l1(a - b, 0.7), r), (X, Y)),
        Case(f"huber_{r}", lambda a, b, r=r: F.huber_loss(a, b, reduction=r, delta=0.7),
             lambda a, b, r=r: reduce(0.7 * smooth_l1(a - b, 0.7), r), (X, Y)),
        Case(f"bce_{r}", lambda p, q, r=r: F.binary_cross_entropy(p, q, reduction=r),
             lambda p, q, r=r: reduce(-(q * np.log(p) + (1 - q) * np.log(1 - p)), r), (P, Q)),
        Case(f"bce_logits_{r}", lambda x, q, r=r: F.binary_cross_entropy_with_logits(x, q, reduction=r),
             lambda x, q, r=r: reduce(-(q * log_sig(x) + (1 - q) * log_sig(-x)), r), (X, Q)),
        Case(f"kl_div_{r}", lambda a, q, r=r: F.kl_div(a, q, reduction=r) if r != "mean" else F.kl_div(a, q, reduction="batchmean"),
             lambda a, q, r=r: reduce(xlogy(q, q) - q * a, r) if r != "mean" else (xlogy(q, q) - q * a).sum() / 4, (X, Q)),
        Case(f"cross_entropy_{r}", lambda x, t, r=r: F.cross_entropy(x, t, reduction=r), lambda x, t, r=r: ce_ref(x, t, reduction=r), (X, T)),
        Case(f"cross_entropy_all_{r}", lambda x, t, w, r=r: F.cross_entropy(x, t, w, ignore_index=-100, reduction=r, label_smoothing=0.2),
             lambda x, t, w, r=r: ce_ref(x, t, w, -100, r, 0.2), (X, T_IGN, W5), nondiff=(2,)),
        Case(f"cross_entropy_kdim_{r}", lambda x, t, r=r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.1),
             lambda x, t, r=r: ce_ref(x, t, None, -100, r, 0.1), (X3, T3)),
        Case(f"nll_{r}", lambda x, t, w, r=r: F.nll_loss(x, t, w, ignore_index=-100, reduction=r),
             lambda x, t, w, r=r: _nll(x, t, w, -100, r), (X, T_IGN, W5), nondiff=(2,)),
        Case(f"nll_kdim_{r}", lambda x, t, r=r: F.nll_loss(x, t, reduction=r), lambda x, t, r=r: _nll(x, t, None, -100, r), (X3, T3)),
        Case(f"poisson_{r}", lambda x, y, r=r: F.poisson_nll_loss(x, y, reduction=r), lambda x, y, r=r: reduce(np.exp(x) - y * x, r), (X, Q * 3)),
        Case(f"soft_margin_{r}", lambda x, y, r=r: F.soft_margin_loss(x, y, reduction=r),
             lambda x, y, r=r: reduce(np.log1p(np.exp(-y * x)), r), (X, PM), nondiff=(1,)),
        Case(f"hinge_{r}", lambda x, y, r=r: F.hinge_embedding_loss(x, y, margin=0.5, reduction=r),
             lambda x, y, r=r: reduce(np.where(y == 1, x, np.maximum(0, 0.5 - x)), r), (X, PM), nondiff=(1,)),
    ]

CASES += [
    Case("mse_weighted", lambda a, b, w: F.mse_loss(a, b, weight=w), lambda a, b, w: (w * (a - b) ** 2).sum() / w.sum(), (X, Y, P), nondiff=(2,)),
    Case("l1_weighted_sum", lambda a, b, w: F.l1_loss(a, b, reduction="sum", weight=w), lambda a, b, w: (w * np.abs(a - b)).sum(), (X, Y, P), nondiff=(2,)),
    Case("smooth_l1_beta0", lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), lambda a, b: np.abs(a - b).mean(), (X, Y)),
    Case("bce_weighted", lambda p, q, w: F.binary_cross_entropy(p, q, w), lambda p, q, w: (-w * (q * np.log(p) + (1 - q) * np.log(1 - p))).mean(),
         (P, Q, W5), nondiff=(2,)),
    Case("bce_logits_pos_weight", lambda x, q, w, pw: F.binary_cross_entropy_with_logits(x, q, w, pos_weight=pw, reduction="sum"),
         lambda x, q, w, pw: (-w * (pw * q * log_sig(x) + (1 - q) * log_sig(-x))).sum(), (X, Q, W5, W5[::-1].copy()), nondiff=(2, 3)),
    Case("kl_div_log_target", lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), lambda a, b: (np.exp(b) * (b - a)).sum(), (X, Y)),
    Case("cross_entropy_probs", lambda x, q, w: F.cross_entropy(x, q, w, label_smoothing=0.3),
         lambda x, q, w: -(log_softmax(x, 1) * (q * 0.7 + 0.3 / 5) * w).sum(1).mean(), (X, Q, W5), nondiff=(2,)),
    Case("cross_entropy_unbatched", lambda x, t: F.cross_entropy(x, t), lambda x, t: -log_softmax(x, 0)[t], (X[0], np.array(3))),
    Case("poisson_rate_full", lambda x, y: F.poisson_nll_loss(x, y, log_input=False, full=True),
         lambda x, y: (x - y * np.log(x + 1e-8) + np.where(y > 1, y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y), 0)).mean(),
         (P * 3, Q * 4)),
    Case("gaussian_nll", lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True),
         lambda x, y, v: (0.5 * (np.log(v) + (x - y) ** 2 / v) + 0.5 * np.log(2 * np.pi)).mean(), (X, Y, P + 0.1)),
    Case("gaussian_nll_shared_var", lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction="sum"),
         lambda x, y, v: (0.5 * (np.log(v[:, None]) + (x - y) ** 2 / v[:, None])).sum(), (X, Y, W4)),
    Case("cosine_embedding", lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1, reduction="none"),
         lambda a, b, y: np.where(y == 1, 1 - cos_rows(a, b), np.maximum(0, cos_rows(a, b) - 0.1)), (X, Y, SIGNS), nondiff=(2,)),
    Case("margin_ranking", lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3),
         lambda a, b, y: np.maximum(0, -y * (a - b) + 0.3).mean(), (X[:, 0], Y[:, 0], SIGNS), nondiff=(2,)),
    Case("triplet", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, swap=True),
         lambda a, p, n: np.maximum(2.0 + np.sqrt(((a - p + 1e-6) ** 2).sum(1))
                                    - np.minimum(np.sqrt(((a - n + 1e-6) ** 2).sum(1)), np.sqrt(((p - n + 1e-6) ** 2).sum(1))), 0).mean(),
         (X, Y, X * 0.5 + 1.0)),
    Case("triplet_p1", lambda a, p, n: F.triplet_margin_loss(a, p, n, p=1, reduction="sum"),
         lambda a, p, n: np.maximum(1.0 + np.abs(a - p + 1e-6).sum(1) - np.abs(a - n + 1e-6).sum(1), 0).sum(), (X, Y, -X)),
    Case("multilabel_soft_margin", lambda x, y, w: F.multilabel_soft_margin_loss(x, y, w),
         lambda x, y, w: (-(y * log_sig(x) + (1 - y) * log_sig(-x)) * w).mean(1).mean(), (X, Q.round(), W5), nondiff=(1, 2)),
    Case("multi_margin_p1", lambda x, t: F.multi_margin_loss(x, t, margin=0.8, reduction="none"),
         lambda x, t: np.array([sum(max(0, 0.8 - x[i, t[i]] + x[i, j]) for j in range(5) if j != t[i]) / 5 for i in range(4)]), (X, T)),
    Case("multi_margin_p2_weight", lambda x, t, w: F.multi_margin_loss(x, t, p=2, weight=w),
         lambda x, t, w: np.mean([sum(w[t[i]] * max(0, 1 - x[i, t[i]] + x[i, j]) ** 2 for j in range(5) if j != t[i]) / 5 for i in range(4)]),
         (X, T, W5), nondiff=(2,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_loss(case, device):
    run(case, device)


# --- CTC ----------------------------------------------------------------------------------------------
def ctc_brute_force(lp, target):
    """-log of the total probability of every frame labelling that collapses to ``target``."""
    n_time, n_classes = lp.shape
    total = 0.0
    for path in itertools.product(range(n_classes), repeat=n_time):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]
        if collapsed == list(target):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total)


LP = log_softmax(rng.standard_normal((5, 3, 3)), 2)
CTC_TARGETS = np.array([[1, 2], [1, 1], [2, 0]])
CTC_IN, CTC_TGT = np.array([5, 4, 3]), np.array([2, 2, 1])


def test_ctc_matches_brute_force(device):
    want = [ctc_brute_force(LP[:CTC_IN[n], n], CTC_TARGETS[n, :CTC_TGT[n]]) for n in range(3)]
    lp = ember.tensor(LP, device=device)
    got = F.ctc_loss(lp, ember.tensor(CTC_TARGETS, device=device), CTC_IN.tolist(), CTC_TGT.tolist(), reduction="none")
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-10)
    flat = ember.tensor([1, 2, 1, 1, 2])
    got_mean = F.ctc_loss(lp, flat, ember.tensor(CTC_IN), ember.tensor(CTC_TGT))
    np.testing.assert_allclose(got_mean.item(), np.mean(np.array(want) / CTC_TGT), rtol=1e-10)


def test_ctc_gradient(device):
    case = Case("ctc", lambda lp: F.ctc_loss(lp, ember.tensor(CTC_TARGETS, device=lp.device), CTC_IN.tolist(), CTC_TGT.tolist()),
                None, (LP,), gradgrad=False)
    run(case, device)


def test_ctc_impossible_alignment_and_zero_infinity():
    lp = ember.tensor(LP[:2, :1], requires_grad=True)  # 2 frames cannot emit "1 1" (needs a blank between)
    loss = F.ctc_loss(lp, ember.tensor([[1, 1]]), [2], [2], reduction="sum")
    assert math.isinf(loss.item())
    loss = F.ctc_loss(lp, ember.tensor([[1, 1]]), [2], [2], reduction="sum", zero_infinity=True)
    loss.backward()
    assert loss.item() == 0.0 and lp.grad.abs().sum().item() == 0.0


def test_ctc_rejects_long_inputs():
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 5, but got value 6"):
        F.ctc_loss(ember.tensor(LP), ember.tensor(CTC_TARGETS), [6, 4, 3], [2, 2, 1])


# --- numerics and errors ------------------------------------------------------------------------------
def test_losses_finite_for_huge_logits(device):
    x = ember.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], device=device, requires_grad=True)
    t = ember.tensor([1, 1], device=device)
    for loss in (F.cross_entropy(x, t, label_smoothing=0.1), F.binary_cross_entropy_with_logits(x, (x > 0).float().detach()),
                 F.log_softmax(x, 1).sum(), F.softplus(x).sum(), F.logsigmoid(x).sum(), F.soft_margin_loss(x, -x.sign().detach())):
        x.grad = None
        loss.backward()
        assert math.isfinite(loss.item()) and bool(x.grad.isfinite().all())
    np.testing.assert_allclose(F.cross_entropy(x, t, reduction="none").detach().cpu().numpy(), [2e4, 0.0], rtol=1e-6, atol=1e-6)


def test_bce_clamps_log_and_keeps_gradient_finite():
    p = ember.tensor([0.0, 1.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(p, ember.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert bool(p.grad.isfinite().all())


def test_all_targets_ignored_gives_nan_mean():
    out = F.cross_entropy(ember.zeros(2, 3), ember.tensor([-100, -100]))
    assert math.isnan(out.item())


@pytest.mark.parametrize("call,err,msg", [
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1])), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)\."),
    (lambda: F.cross_entropy(ember.zeros(2, 4, 3), ember.zeros(2, 4, dtype=ember.int64)), RuntimeError, r"Expected target size \[2, 3\], got \[2, 4\]"),
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1, 7])), IndexError, "Target 7 is out of bounds."),
    (lambda: F.nll_loss(ember.zeros(3, 4), ember.tensor([0, 1, -3])), IndexError, "Target -3 is out of bounds."),
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0.0, 1, 2])), RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1, 2]), reduction="foo"), ValueError, "foo is not a valid value for reduction"),
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1, 2]), weight=ember.ones(3)), RuntimeError,
     r"weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[3\]"),
    (lambda: F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1, 2]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.binary_cross_entropy(ember.full((2,), 2.0), ember.zeros(2)), RuntimeError, "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy_with_logits(ember.zeros(3, 4), ember.zeros(3)), ValueError, "must be the same as input size"),
    (lambda: F.smooth_l1_loss(ember.zeros(1), ember.zeros(1), beta=-1), RuntimeError, "does not support negative values for beta"),
    (lambda: F.multi_margin_loss(ember.zeros(2, 3), ember.tensor([0, 1]), p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: F.gaussian_nll_loss(ember.zeros(3, 4), ember.zeros(3, 4), ember.ones(3, 2)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(ember.zeros(3, 4), ember.zeros(3, 4), -ember.ones(3, 1)), ValueError, "var has negative entry"),
])
def test_errors_match_torch(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_broadcast_and_deprecation_warnings():
    with pytest.warns(UserWarning, match="that is different to the input size"):
        F.mse_loss(ember.zeros(3, 4), ember.zeros(4))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use reduction='sum' instead"):
        assert F.mse_loss(ember.ones(2), ember.zeros(2), size_average=False).item() == 2.0
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ember.zeros(2), ember.ones(2))


def test_loss_modules_forward_their_settings():
    x, t = ember.tensor(X), ember.tensor(T_IGN)
    w = ember.tensor(W5)
    m = nn.CrossEntropyLoss(weight=w, ignore_index=-100, label_smoothing=0.2, reduction="sum")
    np.testing.assert_allclose(m(x, t).item(), ce_ref(X, T_IGN, W5, -100, "sum", 0.2), rtol=1e-10)
    assert [n for n, _ in m.named_buffers()] == ["weight"] and repr(m) == "CrossEntropyLoss()"
    np.testing.assert_allclose(nn.NLLLoss(w)(x, t).item(), _nll(X, T_IGN, W5, -100, "mean"), rtol=1e-10)
    np.testing.assert_allclose(nn.HuberLoss(delta=0.5)(x, ember.tensor(Y)).item(), (0.5 * smooth_l1(X - Y, 0.5)).mean(), rtol=1e-10)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(pos_weight=w)(x, ember.tensor(Q)).item(),
                               (-(W5 * Q * log_sig(X) + (1 - Q) * log_sig(-X))).mean(), rtol=1e-10)
    np.testing.assert_allclose(nn.GaussianNLLLoss()(x, ember.tensor(Y), ember.tensor(P)).item(),
                               (0.5 * (np.log(P) + (X - Y) ** 2 / P)).mean(), rtol=1e-10)
    assert nn.TripletMarginLoss(margin=0.5).margin == 0.5 and repr(nn.CTCLoss()) == "CTCLoss()"


# --- against torch -----------------------------------------------------------------------------------
TORCH_LOSSES = [
    ("cross_entropy_all", lambda m, F, x, y: F.cross_entropy(x, m.tensor(T_IGN), m.tensor(W5), ignore_index=-100, label_smoothing=0.15)),
    ("cross_entropy_kdim", lambda m, F, x, y: F.cross_entropy(x.reshape(2, 5, 2), m.tensor([[0, 4], [-100, 2]]), label_smoothing=0.1, reduction="sum")),
    ("cross_entropy_probs", lambda m, F, x, y: F.cross_entropy(x, F.softmax(y, 1), m.tensor(W5), label_smoothing=0.2)),
    ("nll_weighted", lambda m, F, x, y: F.nll_loss(F.log_softmax(x, 1), m.tensor(T_IGN), m.tensor(W5))),
    ("bce", lambda m, F, x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), m.tensor(W5))),
    ("bce_logits", lambda m, F, x, y: F.binary_cross_entropy_with_logits(x * 30, y.sigmoid(), pos_weight=m.tensor(W5))),
    ("kl_batchmean", lambda m, F, x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean")),
    ("poisson_full", lambda m, F, x, y: F.poisson_nll_loss(x, y.abs() * 3, full=True)),
    ("gaussian", lambda m, F, x, y: F.gaussian_nll_loss(x, y, x.abs() + 0.1, full=True)),
    ("smooth_l1", lambda m, F, x, y: F.smooth_l1_loss(x, y, beta=0.5)),
    ("huber", lambda m, F, x, y: F.huber_loss(x, y, delta=0.5, reduction="sum")),
    ("cosine_embedding", lambda m, F, x, y: F.cosine_embedding_loss(x, y, m.tensor(SIGNS), margin=0.2)),
    ("margin_ranking", lambda m, F, x, y: F.margin_ranking_loss(x, y, m.tensor(PM), margin=0.1)),
    ("triplet", lambda m, F, x, y: F.triplet_margin_loss(x, y, -x, swap=True)),
    ("hinge", lambda m, F, x, y: F.hinge_embedding_loss(x, m.tensor(PM))),
    ("multilabel_soft_margin", lambda m, F, x, y: F.multilabel_soft_margin_loss(x, (y > 0).double(), m.tensor(W5))),
    ("soft_margin", lambda m, F, x, y: F.soft_margin_loss(x, m.tensor(PM))),
    ("multi_margin", lambda m, F, x, y: F.multi_margin_loss(x, m.tensor(T), p=2, weight=m.tensor(W5))),
    ("mse_weighted", lambda m, F, x, y: F.mse_loss(x, y, weight=m.tensor(P))),
    ("ctc_via_log_softmax", lambda m, F, x, y: F.ctc_loss(F.log_softmax(x.reshape(5, 2, 2), 2), m.tensor([[1, 1], [1, 0]]),
                                                        m.tensor([5, 4]), m.tensor([2, 1]))),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,fn", TORCH_LOSSES, ids=[n for n, _ in TORCH_LOSSES])
def test_against_torch(name, fn):
    torch = pytest.importorskip("torch")
    out = {}
    for m in (ember, torch):
        x, y = m.tensor(X, requires_grad=True), m.tensor(Y, requires_grad=True)
        loss = fn(m, m.nn.functional, x, y)
        loss.backward()
        out[m.__name__] = (loss.item(), x.grad.numpy(), None if y.grad is None else y.grad.numpy())
    (le, gxe, gye), (lt, gxt, gyt) = out["ember"], out["torch"]
    np.testing.assert_allclose(le, lt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gxe, gxt, rtol=1e-7, atol=1e-10)
    if gyt is not None:
        np.testing.assert_allclose(gye, gyt, rtol=1e-7, atol=1e-10)
