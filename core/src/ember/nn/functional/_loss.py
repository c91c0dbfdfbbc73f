"""nn.functional: losses.

Most are compositions of Ember ops. Primitives: the fused cross-entropy (in ``ops.softmax``),
binary cross-entropy (torch's clamped logs and finite gradient at 0 and 1) and CTC (the
alpha-beta recursion in log space, with its exact gradient).
"""

from __future__ import annotations

import math
import warnings

from ..._dtype import scalar_name
from ... import _dtype
from ..._tensor import _make, apply
from ...autograd import _state
from ...autograd.grad_mode import no_grad
from ...autograd.node import Op, named
from ...ops import softmax as _sm
from ...ops.elementwise import where
from ._activation import logsigmoid
from ... import _autocast

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss",
    "soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "nll_loss", "cross_entropy", "ctc_loss",
]


# --- shared pieces ------------------------------------------------------------------------------
def _reduction(size_average, reduce, reduction):
    """The reduction string, honouring the deprecated ``size_average``/``reduce`` flags like torch."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{legacy}' instead.", stacklevel=3)
    return legacy


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_broadcast(input, target, stacklevel=4):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=stacklevel)


def _weighted(loss, weight, input, reduction):
    """Reduce an elementwise loss, with optional elementwise ``weight`` (mean is then the weighted mean)."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# --- regression ----------------------------------------------------------------------------------
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or elementwise) absolute error.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.l1_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 4.0]))
        tensor(1.5000)
    """
    if _autocast.active:
        input, target = _autocast.full("l1_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _warn_broadcast(input, target)
    loss = _weighted((input - target).abs(), weight, input, reduction)
    return loss if weight is not None or reduction == "none" else named(loss, f"{reduction.capitalize()}Backward0")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or elementwise) squared error.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 4.0]))
        tensor(2.5000)
    """
    if _autocast.active:
        input, target = _autocast.full("mse_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _warn_broadcast(input, target)
    return named(_weighted((input - target).square(), weight, input, reduction), "MseLossBackward0")


def _smooth_abs(diff, beta):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (the smooth-L1 curve)."""
    a = diff.abs()
    return where(a < beta, 0.5 * diff * diff / beta, a - 0.5 * beta)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """L1 loss smoothed to a parabola within ``beta`` of zero.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
    """
    if _autocast.active:
        input, target = _autocast.full("smooth_l1_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_broadcast(input, target)
    diff = input - target
    return named(_reduce(diff.abs() if beta == 0 else _smooth_abs(diff, beta), reduction), "SmoothL1LossBackward0")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error within ``delta`` of zero, ``delta``-scaled absolute error beyond.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.huber_loss(ember.tensor([0.5, 3.0]), ember.zeros(2), reduction="none", delta=2.0)
        tensor([0.1250, 4.0000])
    """
    if _autocast.active:
        input, target = _autocast.full("huber_loss", input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_broadcast(input, target)
    return named(_weighted(_smooth_abs(input - target, delta) * delta, weight, input, reduction), "HuberLossBackward0")


# --- probabilistic --------------------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    """Elementwise ``-(y log x + (1 - y) log(1 - x))`` with the logs clamped at -100, as torch does.

    A primitive for torch's gradient: ``(x - y) / max(x (1 - x), 1e-12)`` stays finite at ``x`` = 0 or 1,
    where the clamped composition would give NaN.
    """

    save_inputs = True

    def forward(self, be, x, y):
        xp = be.xp
        log_x = xp.maximum(xp.log(x), xp.asarray(-100.0, dtype=x.dtype))
        log_1mx = xp.maximum(xp.log1p(-x), xp.asarray(-100.0, dtype=x.dtype))
        return -(y * log_x + (1 - y) * log_1mx)

    def backward(self, g):
        x, y = self.saved()
        nx, ny = self.next
        gx = g * (x - y) / (x * (1 - x)).clamp(min=1e-12) if nx else None
        gy = g * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100)) if ny else None
        return gx, gy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` and targets in ``[0, 1]``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.binary_cross_entropy(ember.tensor([0.5, 1.0]), ember.tensor([1.0, 0.0]), reduction="none")
        tensor([  0.6931, 100.0000])
    """
    if _autocast.active:
        input, target = _autocast.full("binary_cross_entropy", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
                         "Please ensure they have the same size.")
    if bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = apply(BinaryCrossEntropy, (input, target.to(input.dtype)))
    if weight is not None:
        loss = loss * weight
    return named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable expression (``pos_weight`` scales the positive term).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(ember.tensor([-1e4, 0.0, 1e4]), ember.tensor([1.0, 1.0, 1.0]), reduction="none")
        tensor([1.0000e+04, 6.9315e-01, 0.0000e+00])
    """
    if _autocast.active:
        input, target = _autocast.full("binary_cross_entropy_with_logits", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # -[p y log s(x) + (1 - y) log(1 - s(x))] = (1 - y) x - (1 + (p - 1) y) log s(x)
    log_sig = logsigmoid(input)
    coef = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input - coef * log_sig
    if weight is not None:
        loss = loss * weight
    return named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence ``target * (log target - input)`` for log-probabilities ``input``.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL divergence).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> p = ember.tensor([[0.5, 0.5]])
        >>> F.kl_div(ember.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
        tensor(0.1438)
    """
    if _autocast.active:
        input, target = _autocast.full("kl_div", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target ~ Poisson(rate)``; ``input`` is the log-rate if ``log_input``.

    ``full`` adds the Stirling approximation of ``log(target!)`` for targets above 1.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.poisson_nll_loss(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]), reduction="none")
        tensor([1.0000, 0.7183])
    """
    if _autocast.active:
        input, target = _autocast.full("poisson_nll_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target ~ N(input, var)``; ``var`` may be shared across the last dimension.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.gaussian_nll_loss(ember.zeros(2, 3), ember.ones(2, 3), ember.ones(2, 1))
        tensor(0.5000)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(tuple(input.shape), float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)  # in place and unrecorded: the gradient flows as if unclamped, like torch
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- margins and embeddings ----------------------------------------------------------------------
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` for ``target = 1``, ``max(0, cos(x1, x2) - margin)`` for ``target = -1``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> a = ember.tensor([[1.0, 0.0], [1.0, 0.0]]); b = ember.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, ember.tensor([1, -1]), reduction="none")
        tensor([0., 0.])
    """
    if _autocast.active:
        input1, input2 = _autocast.full("cosine_embedding_loss", input1, input2)
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss: expected 1D or 2D inputs of the same dimension, got {input1.ndim}D and {input2.ndim}D")
    dim = input1.ndim - 1
    eps = 1e-12
    dot = (input1 * input2).sum(dim)
    norms = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = dot / norms.sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.margin_ranking_loss(ember.tensor([1.0, 1.0]), ember.tensor([0.0, 2.0]), ember.tensor([1.0, 1.0]), reduction="none")
        tensor([0., 1.])
    """
    if _autocast.active:
        input1, input2 = _autocast.full("margin_ranking_loss", input1, input2)
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``p``-norm distances (``swap``: use the closer negative).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> a = ember.zeros(1, 2); pos = ember.tensor([[1.0, 0.0]]); neg = ember.tensor([[3.0, 0.0]])
        >>> F.triplet_margin_loss(a, pos, neg, margin=3.0)
        tensor(1.)
    """
    from ._distance import pairwise_distance

    reduction = _reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
                           f"but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    return triplet_margin_with_distance_loss(
        anchor, positive, negative, distance_function=lambda x, y: pairwise_distance(x, y, p, eps),
        margin=margin, swap=swap, reduction=reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """Triplet margin loss with any ``distance_function`` (pairwise Euclidean by default).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.triplet_margin_with_distance_loss(ember.zeros(1, 2), ember.ones(1, 2), ember.ones(1, 2), margin=0.5)
        tensor(0.5000)
    """
    from ._distance import pairwise_distance

    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``target = 1``, ``max(0, margin - x)`` where ``target = -1``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]), reduction="none")
        tensor([0.3000, 0.7000])
    """
    if _autocast.active:
        input, target = _autocast.full("hinge_embedding_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = where(target != 1, (margin - input).clamp(min=0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-label one-versus-all logistic loss, averaged over the classes.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.multilabel_soft_margin_loss(ember.zeros(1, 3), ember.tensor([[1.0, 0.0, 1.0]]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss ``log(1 + exp(-target * input))``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.soft_margin_loss(ember.tensor([0.0, 1e4]), ember.tensor([1.0, 1.0]), reduction="none")
        tensor([0.6931, 0.0000])
    """
    if _autocast.active:
        input, target = _autocast.full("soft_margin_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = _reduce(0 - logsigmoid(target * input), reduction)  # 0 - x: a zero loss prints as 0, not -0
    return named(loss, "SoftMarginLossBackward0")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss ``sum_j max(0, margin - x[y] + x[j])^p / C`` over the classes ``j != y``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    if _autocast.active:
        input, = _autocast.full("multi_margin_loss", input)
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    y = target.reshape(-1, 1)
    picked = x.gather(1, y)
    hinge = (margin - picked + x).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.index_select(0, y.reshape(-1)).unsqueeze(1)
    others = (_class_ids(x) != y).to(x.dtype)
    loss = (hinge * others).sum(1) / x.shape[1]
    if input.ndim < 2:
        loss = loss.reshape(())
    return named(_reduce(loss, reduction), "MultiMarginLossBackward0")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss ``sum_{j, i} max(0, 1 - (x[y_j] - x[i])) / C`` over targets ``y_j`` and non-targets ``i``.

    ``target`` has ``input``'s shape and holds class indices; the first ``-1`` ends each sample's list.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    if _autocast.active:
        input, = _autocast.full("multilabel_margin_loss", input)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, y = _multilabel_operands(input, target)
    n, c = x.shape
    listed = (y == -1).to(_dtype.int64).cumsum(1) == 0  # the entries before the first -1
    k = int(listed.sum(1).max()) if n else 0
    listed, picked = listed[:, :k], y[:, :k].clamp(min=0)
    is_target = x.new_zeros((n, c + 1)).scatter(1, where(listed, picked, c), 1.0)[:, :c] > 0
    hinge = (1 - x.gather(1, picked).unsqueeze(2) + x.unsqueeze(1)).relu()  # (N, targets, classes)
    pairs = (listed.unsqueeze(2) & ~is_target.unsqueeze(1)).to(x.dtype)
    loss = (hinge * pairs).sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _multilabel_operands(input, target):
    """``(input, target)`` as ``(N, C)`` matrices, checked as torch checks them."""
    if input.ndim > 2 or input.ndim == 2 and input.shape[1] == 0 or input.ndim == 1 and input.shape[0] == 0:
        raise RuntimeError(f"multilabel_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    if target.shape != input.shape and not (input.ndim < 2 and target.numel() == input.numel() == 1):
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    if target.dtype is not _dtype.int64:
        raise RuntimeError(f"multilabel_margin_loss: expected target of dtype int64 (Long), but got {target.dtype}")
    if not input.is_floating_point():
        raise NotImplementedError(f"multilabel_margin_loss: not implemented for '{input.dtype}'")
    c = max(input.numel(), 1) if input.ndim < 2 else input.shape[1]
    x, y = input.reshape(-1, c), target.reshape(-1, c)
    if y.numel() and not bool(((y >= -1) & (y < c)).all()):
        raise RuntimeError(f"multilabel_margin_loss: argument #2 'target' is out of range: every target must be in "
                           f"[-1, {c - 1}], got values from {int(y.min())} to {int(y.max())}")
    return x, y


def _class_ids(x):
    from ..._creation import arange

    return arange(x.shape[1], device=x.device).unsqueeze(0)


# --- classification -------------------------------------------------------------------------------
def _check_targets(input, target):
    if input.ndim == 1 and target.ndim != 0 or input.ndim == 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim > 1 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0] if target.ndim else 0}).")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if input.ndim > 2 and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    if target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_name(target.dtype)}")


def _check_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but got weight "
                           f"tensor of shape: {list(weight.shape)}")


def _batched(input, target):
    """``(input, target, unbatched)``: an unbatched ``(C,)`` input gets a batch dimension of 1."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1), True
    return input, target, False


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices given log-probabilities ``input`` (N, C, ...).

    With ``weight`` the mean is weighted: ``sum(w[y] * loss) / sum(w[y])``; ``ignore_index`` targets count for nothing.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> logp = ember.tensor([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]).log()
        >>> F.nll_loss(logp, ember.tensor([0, 2]), reduction="none")
        tensor([0.6931, 0.2231])
    """
    if _autocast.active:
        input, = _autocast.full("nll_loss", input)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    _check_targets(input, target)
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    _check_weight(weight, n_classes)
    x, t, unbatched = _batched(input, target)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes)) if x._be.host_checks else None
    if bad is not None and bool(bad.any()):
        raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
    safe = where(valid, t, 0)
    picked = x.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(x.dtype) if weight is None else weight.to(x.dtype).index_select(0, safe.reshape(-1)).reshape(safe.shape) * valid
    loss = -picked * w
    if reduction == "none":
        return named(loss.reshape(()) if unbatched else loss, "NllLossBackward0")
    return named(loss.sum() if reduction == "sum" else loss.sum() / w.sum(), "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C, ...) against class indices or class probabilities ``target``.

    Class indices use the fused log-softmax + NLL primitive; ``weight``, ``ignore_index`` and
    ``label_smoothing`` follow torch (the weighted mean divides by the total weight of the targets).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.cross_entropy(ember.tensor([[1e4, -1e4], [0.0, 0.0]]), ember.tensor([0, 1]), reduction="none")
        tensor([0.0000, 0.6931])
        >>> F.cross_entropy(ember.zeros(1, 4), ember.tensor([[0.25, 0.25, 0.25, 0.25]]))
        tensor(1.3863)
    """
    if _autocast.active:
        input, = _autocast.full("cross_entropy", input)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if target.dtype.category >= 2 and target.shape == input.shape:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, n_classes)
    _check_targets(input, target)
    _check_weight(weight, n_classes)
    x, t, unbatched = _batched(input, target)
    loss = _sm.fused_cross_entropy(x, t, weight, ignore_index, reduction, label_smoothing)
    loss = loss.reshape(()) if unbatched and reduction == "none" else loss
    return named(loss, "AddBackward0" if label_smoothing else "NllLossBackward0")  # torch adds the smoothing term


def _soft_cross_entropy(input, target, weight, reduction, smoothing, n_classes):
    """Cross-entropy against class probabilities: ``-sum_c w_c q_c log_softmax(x)_c``."""
    dim = 1 if input.ndim > 1 else 0
    _check_weight(weight, n_classes)
    logp = _sm.log_softmax(input, dim)
    q = target if not smoothing else target * (1 - smoothing) + smoothing / n_classes
    if weight is not None:
        shape = [1] * input.ndim
        shape[dim] = n_classes
        q = q * weight.reshape(shape)
    loss = -(logp * q).sum(dim)
    if reduction == "mean":  # torch's node names: a division by a number, a negated sum
        return named(loss.sum() / (input.numel() // n_classes if input.ndim > 1 else 1), "DivBackward1")
    return named(_reduce(loss, reduction), "NegBackward0")


# --- CTC -------------------------------------------------------------------------------------------
class CTCLoss(Op):
    """Per-sample CTC negative log-likelihood ``-log p(target | log_probs)`` by the alpha recursion in log space.

    ``log_probs`` is ``(T, N, C)``; the targets are extended with blanks to ``(N, 2 * S + 1)``. The
    backward runs the beta recursion and returns the exact gradient ``-occupancy(t, c) / p``
    with respect to ``log_probs``.
    """

    save_inputs = True

    def forward(self, be, lp, ext, in_len, tgt_len, zero_infinity):
        xp = be.xp
        n_time, n_batch = lp.shape[0], lp.shape[1]
        width = ext.shape[1]
        neg_inf = xp.asarray(-math.inf, dtype=lp.dtype)
        lp_ext = xp.take_along_axis(lp, xp.broadcast_to(xp.expand_dims(ext, axis=0), (n_time, n_batch, width)), axis=2)
        pos = xp.reshape(xp.arange(width), (1, width))
        # a position s may be entered from s - 2 when it holds a label that differs from the label at s - 2
        shifted = xp.concat([xp.full((n_batch, 2), -1, dtype=ext.dtype), ext[:, :-2]], axis=1)
        skip = (pos % 2 == 1) & (ext != shifted)
        inside = pos <= xp.expand_dims(2 * tgt_len, axis=1)
        alpha = xp.full((n_time, n_batch, width), -math.inf, dtype=lp.dtype)
        start = xp.where((pos <= 1) & inside, lp_ext[0, ...], neg_inf)
        alpha[0, ...] = start
        prev = start
        for t in range(1, n_time):
            stay = prev
            step = xp.concat([xp.full((n_batch, 1), -math.inf, dtype=lp.dtype), prev[:, :-1]], axis=1)
            jump = xp.where(skip, xp.concat([xp.full((n_batch, 2), -math.inf, dtype=lp.dtype), prev[:, :-2]], axis=1), neg_inf)
            cur = xp.where(inside, _logsumexp3(xp, stay, step, jump) + lp_ext[t, ...], neg_inf)
            cur = xp.where(xp.expand_dims(t < in_len, axis=1), cur, neg_inf)
            alpha[t, ...] = cur
            prev = cur
        last_t = xp.reshape(in_len - 1, (1, n_batch, 1))
        final = xp.squeeze(xp.take_along_axis(alpha, xp.broadcast_to(last_t, (1, n_batch, width)), axis=0), axis=0)
        end = xp.expand_dims(2 * tgt_len, axis=1)
        a_end = xp.squeeze(xp.take_along_axis(final, end, axis=1), axis=1)
        a_before = xp.squeeze(xp.take_along_axis(final, xp.maximum(end - 1, xp.zeros_like(end)), axis=1), axis=1)
        a_before = xp.where(tgt_len > 0, a_before, neg_inf)
        nll = -_logaddexp(xp, a_end, a_before)
        self.stash = (alpha, lp_ext, ext, skip, inside, in_len, tgt_len, nll, zero_infinity, be)
        return xp.where(xp.isinf(nll), xp.zeros_like(nll), nll) if zero_infinity else nll

    def backward(self, g):
        if _state.grad_enabled:
            raise RuntimeError("the derivative of ctc_loss's gradient is not implemented (double backward through ctc_loss)")
        (lp_t,) = self.saved()
        alpha, lp_ext, ext, skip, inside, in_len, tgt_len, nll, zero_infinity, be = self.stash
        xp = be.xp
        lp = lp_t._data
        n_time, n_batch, n_classes = lp.shape
        width = ext.shape[1]
        neg_inf = xp.asarray(-math.inf, dtype=lp.dtype)
        pos = xp.reshape(xp.arange(width), (1, width))
        end = xp.expand_dims(2 * tgt_len, axis=1)
        # entering s + 2 from s is allowed exactly when the skip into s + 2 is
        skip_next = xp.concat([skip[:, 2:], xp.zeros((n_batch, 2), dtype=xp.bool)], axis=1)
        beta = xp.full((n_time, n_batch, width), -math.inf, dtype=lp.dtype)
        nxt = xp.full((n_batch, width), -math.inf, dtype=lp.dtype)
        for t in range(n_time - 1, -1, -1):
            stay = nxt
            step = xp.concat([nxt[:, 1:], xp.full((n_batch, 1), -math.inf, dtype=lp.dtype)], axis=1)
            jump = xp.where(skip_next, xp.concat([nxt[:, 2:], xp.full((n_batch, 2), -math.inf, dtype=lp.dtype)], axis=1), neg_inf)
            rec = _logsumexp3(xp, stay, step, jump) + lp_ext[t, ...]
            init = xp.where((pos == end) | ((pos == end - 1) & (end > 0)), lp_ext[t, ...], neg_inf)
            is_last = xp.expand_dims(in_len - 1 == t, axis=1)
            cur = xp.where(is_last, init, xp.where(xp.expand_dims(t < in_len - 1, axis=1), rec, neg_inf))
            cur = xp.where(inside, cur, neg_inf)
            beta[t, ...] = cur
            nxt = cur
        occupancy = xp.exp(alpha + beta - lp_ext + xp.reshape(nll, (1, n_batch, 1)))
        ok = xp.isfinite(nll)
        occupancy = xp.where(xp.reshape(ok, (1, n_batch, 1)), occupancy, xp.zeros((), dtype=lp.dtype))
        index = xp.broadcast_to(xp.expand_dims(ext, axis=0), (n_time, n_batch, width))
        grad = -be.scatter_add(xp.zeros_like(lp), 2, index, occupancy)
        if not zero_infinity:
            grad = xp.where(xp.reshape(ok, (1, n_batch, 1)), grad, xp.asarray(math.nan, dtype=lp.dtype))
        grad_t = _make(grad, lp_t._be, lp_t._device, lp_t.dtype)
        return (grad_t * g.reshape(1, -1, 1),)


def _logaddexp(xp, a, b):
    m = xp.maximum(a, b)
    safe = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return xp.where(xp.isfinite(m), safe + xp.log(xp.exp(a - safe) + xp.exp(b - safe)), m)


def _logsumexp3(xp, a, b, c):
    m = xp.maximum(xp.maximum(a, b), c)
    safe = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return xp.where(xp.isfinite(m), safe + xp.log(xp.exp(a - safe) + xp.exp(b - safe) + xp.exp(c - safe)), m)


def _lengths(values, n, name):
    import numpy as np

    if hasattr(values, "_host"):
        values = values._host()
    out = np.asarray(values, dtype=np.int64).reshape(-1)
    if out.shape[0] != n:
        raise RuntimeError(f"{name} must be of size batch_size ({n}), got {out.shape[0]}")
    return out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss of ``log_probs`` (T, N, C) against unaligned targets.

    ``targets`` are padded ``(N, S)`` or concatenated 1-D; the lengths are tensors or sequences.
    ``'mean'`` divides each sample's loss by its target length, then averages over the batch.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> lp = ember.full((2, 1, 2), 0.5).log()     # two frames, classes {blank, a}, uniform
        >>> F.ctc_loss(lp, ember.tensor([[1]]), [2], [1], reduction="sum")   # paths: a-, -a, aa
        tensor(0.2877)
    """
    import numpy as np

    _check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got {tuple(log_probs.shape)}")
    n_time, n_batch, n_classes = log_probs.shape
    in_len = _lengths(input_lengths, n_batch, "input_lengths")
    tgt_len = _lengths(target_lengths, n_batch, "target_lengths")
    if (in_len > n_time).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {n_time}, but got value {int(in_len.max())} "
                           "(while checking arguments for ctc_loss)")
    if (in_len < 1).any() or (tgt_len < 0).any():
        raise RuntimeError("ctc_loss: input_lengths must be positive and target_lengths non-negative")
    host_targets = targets._host().astype(np.int64) if hasattr(targets, "_host") else np.asarray(targets, dtype=np.int64)
    longest = int(tgt_len.max()) if n_batch else 0
    padded = np.full((n_batch, longest), blank, dtype=np.int64)
    if host_targets.ndim == 2:
        if longest > host_targets.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but got size {host_targets.shape[1]} "
                               "for argument #2 'targets' (while checking arguments for ctc_loss)")
        for n in range(n_batch):
            padded[n, :tgt_len[n]] = host_targets[n, :tgt_len[n]]
    else:
        starts = np.concatenate([[0], np.cumsum(tgt_len)])
        if starts[-1] > host_targets.shape[0]:
            raise RuntimeError("ctc_loss: the concatenated targets are shorter than the sum of target_lengths")
        for n in range(n_batch):
            padded[n, :tgt_len[n]] = host_targets[starts[n]:starts[n + 1]]
    ext = np.full((n_batch, 2 * longest + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    be, dev = log_probs._be, log_probs._device
    losses = apply(CTCLoss, (log_probs,), be.from_host(ext, dev.index), be.from_host(in_len, dev.index),
                   be.from_host(tgt_len, dev.index), zero_infinity)
    if reduction == "mean":
        denom = _make(be.from_host(np.maximum(tgt_len, 1).astype(np.dtype(log_probs.dtype.name)), dev.index), be, dev, log_probs.dtype)
        return (losses / denom).mean()
    if reduction == "sum":
        return losses.sum()
    return losses.reshape(()) if unbatched else losses
