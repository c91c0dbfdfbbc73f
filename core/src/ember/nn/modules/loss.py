"""Loss layers: thin modules over the losses of ``ember.nn.functional``.

Each class names its function (``fn``) and the settings it forwards (``settings``); class
weights are registered as buffers, as in torch.
"""

from __future__ import annotations

from .. import functional as F
from ..functional._loss import _reduction
from .module import Module

__all__ = [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss", "SoftMarginLoss",
    "MultiMarginLoss", "MultiLabelMarginLoss", "CTCLoss",
]


class _Loss(Module):
    fn = None
    settings = ()  # attribute names passed to ``fn`` as keywords

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction)

    def _call(self, *inputs):
        return type(self).fn(*inputs, reduction=self.reduction, **{k: getattr(self, k) for k in self.settings})

    def forward(self, input, target):
        return self._call(input, target)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.L1Loss()(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 4.0]))
        tensor(1.5000)
    """

    fn = staticmethod(F.l1_loss)


class MSELoss(_Loss):
    """Mean squared error.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.MSELoss(reduction="sum")(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 4.0]))
        tensor(5.)
    """

    fn = staticmethod(F.mse_loss)


class SmoothL1Loss(_Loss):
    """L1 loss smoothed to a parabola within ``beta`` of zero.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.SmoothL1Loss(beta=2.0)(ember.tensor([1.0]), ember.tensor([0.0]))
        tensor(0.2500)
    """

    fn = staticmethod(F.smooth_l1_loss)
    settings = ("beta",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta


class HuberLoss(_Loss):
    """Squared error within ``delta``, ``delta``-scaled absolute error beyond.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.HuberLoss(delta=0.5)(ember.tensor([2.0]), ember.tensor([0.0]))
        tensor(0.8750)
    """

    fn = staticmethod(F.huber_loss)
    settings = ("delta",)

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices (or class probabilities).

    Example:
        >>> import ember, ember.nn as nn
        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(ember.zeros(3, 5, requires_grad=True), ember.tensor([1, 0, 4]))
        tensor(1.6094, grad_fn=<AddBackward0>)
    """

    fn = staticmethod(F.cross_entropy)
    settings = ("weight", "ignore_index", "label_smoothing")

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.NLLLoss()(ember.tensor([[-0.5, -1.0]]), ember.tensor([1]))
        tensor(1.)
    """

    fn = staticmethod(F.nll_loss)
    settings = ("weight", "ignore_index")

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index


class BCELoss(_WeightedLoss):
    """Binary cross-entropy between probabilities and targets (logs clamped at -100).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.BCELoss()(ember.tensor([0.5, 0.5]), ember.tensor([0.0, 1.0]))
        tensor(0.6931)
    """

    fn = staticmethod(F.binary_cross_entropy)
    settings = ("weight",)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid plus binary cross-entropy, computed stably; ``pos_weight`` scales the positives.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.BCEWithLogitsLoss(pos_weight=ember.tensor([2.0]))(ember.zeros(2), ember.tensor([1.0, 0.0]))
        tensor(1.0397)
    """

    fn = staticmethod(F.binary_cross_entropy_with_logits)
    settings = ("weight", "pos_weight")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities ``input`` from ``target`` (``reduction='batchmean'`` for the true KL).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.KLDivLoss(reduction="batchmean", log_target=True)(ember.zeros(1, 2), ember.zeros(1, 2))
        tensor(0.)
    """

    fn = staticmethod(F.kl_div)
    settings = ("log_target",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.PoissonNLLLoss()(ember.zeros(2), ember.ones(2))
        tensor(1.)
    """

    fn = staticmethod(F.poisson_nll_loss)
    settings = ("log_input", "full", "eps")

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variances.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.GaussianNLLLoss()(ember.zeros(2, 1), ember.ones(2, 1), ember.ones(2, 1))
        tensor(0.5000)
    """

    fn = staticmethod(F.gaussian_nll_loss)
    settings = ("full", "eps")

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return self._call(input, target, var)


class CosineEmbeddingLoss(_Loss):
    """Pull pairs together (``target = 1``) or push their cosine below ``margin`` (``target = -1``).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.CosineEmbeddingLoss()(ember.ones(2, 3), ember.ones(2, 3), ember.tensor([1, 1]))
        tensor(0.)
    """

    fn = staticmethod(F.cosine_embedding_loss)
    settings = ("margin",)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return self._call(input1, input2, target)


class MarginRankingLoss(_Loss):
    """``max(0, -y * (x1 - x2) + margin)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.MarginRankingLoss(margin=1.0)(ember.tensor([1.0]), ember.tensor([1.0]), ember.tensor([1.0]))
        tensor(1.)
    """

    fn = staticmethod(F.margin_ranking_loss)
    settings = ("margin",)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return self._call(input1, input2, target)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``p``-norm distances.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.TripletMarginLoss()(ember.zeros(1, 2), ember.zeros(1, 2), ember.zeros(1, 2))
        tensor(1.)
    """

    fn = staticmethod(F.triplet_margin_loss)
    settings = ("margin", "p", "eps", "swap")

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return self._call(anchor, positive, negative)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet margin loss with a custom ``distance_function``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.TripletMarginWithDistanceLoss(margin=2.0)(ember.zeros(1, 2), ember.zeros(1, 2), ember.zeros(1, 2))
        tensor(2.)
    """

    fn = staticmethod(F.triplet_margin_with_distance_loss)
    settings = ("distance_function", "margin", "swap")

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return self._call(anchor, positive, negative)


class HingeEmbeddingLoss(_Loss):
    """``x`` for ``y = 1``, ``max(0, margin - x)`` for ``y = -1``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.HingeEmbeddingLoss()(ember.tensor([0.25]), ember.tensor([-1.0]))
        tensor(0.7500)
    """

    fn = staticmethod(F.hinge_embedding_loss)
    settings = ("margin",)

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.MultiLabelSoftMarginLoss()(ember.zeros(1, 2), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    fn = staticmethod(F.multilabel_soft_margin_loss)
    settings = ("weight",)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.SoftMarginLoss()(ember.zeros(2), ember.tensor([1.0, -1.0]))
        tensor(0.6931)
    """

    fn = staticmethod(F.soft_margin_loss)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.MultiMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """

    fn = staticmethod(F.multi_margin_loss)
    settings = ("p", "margin", "weight")

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        self.p, self.margin = p, margin


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss: targets are class indices, the first ``-1`` ends each sample's list.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.MultiLabelMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    fn = staticmethod(F.multilabel_margin_loss)


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss.

    Example:
        >>> import ember, ember.nn as nn
        >>> lp = ember.full((2, 1, 2), 0.5).log()
        >>> nn.CTCLoss(reduction="sum")(lp, ember.tensor([[1]]), [2], [1])
        tensor(0.2877)
    """

    fn = staticmethod(F.ctc_loss)
    settings = ("blank", "zero_infinity")

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return self._call(log_probs, targets, input_lengths, target_lengths)
