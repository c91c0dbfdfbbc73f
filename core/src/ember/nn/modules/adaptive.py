"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al. (2016) for large vocabularies."""

from __future__ import annotations

from collections import namedtuple

from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Log-probabilities of targets over ``n_classes`` split by ``cutoffs`` into a head and smaller tail clusters.

    Frequent classes (below ``cutoffs[0]``) are scored by the ``head`` linear layer, which also
    scores one logit per tail cluster; each cluster ``i`` projects the input down by
    ``div_value ** (i + 1)`` before scoring its classes. ``forward(input, target)`` returns
    ``(output, loss)``: each row's target log-probability and their negated mean.

    Example:
        >>> import ember, ember.nn as nn
        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[4, 7])
        >>> out, loss = asm(ember.randn(3, 16), ember.tensor([0, 5, 9]))
        >>> out.shape, loss.shape, asm.log_prob(ember.randn(3, 16)).exp().sum(1).allclose(ember.ones(3))
        (ember.Size([3]), ember.Size([]), True)
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if (len(cutoffs) == 0 or cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList(
            Sequential(Linear(in_features, int(in_features // (div_value ** (i + 1))), bias=False, **factory),
                       Linear(int(in_features // (div_value ** (i + 1))), self.cutoffs[i + 1] - self.cutoffs[i],
                              bias=False, **factory))
            for i in range(self.n_clusters))

    def reset_parameters(self):
        """Re-draw every weight as ``Linear`` does.

        Example:
            >>> import ember.nn as nn
            >>> nn.AdaptiveLogSoftmaxWithLoss(16, 10, [4]).reset_parameters()
        """
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        from ... import where
        from ..functional import log_softmax

        if target_.dim() == 1:
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = input_.dim() == 2
        input, target = (input_, target_) if batched else (input_.unsqueeze(0), target_.unsqueeze(0))
        if target.numel() and bool(((target < 0) | (target >= self.n_classes)).any()):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")
        output = input.new_zeros(target.size(0))
        head_index = target
        for i, cluster in enumerate(self.tail):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            in_cluster = (target >= low) & (target < high)
            rows = in_cluster.nonzero().flatten()
            if rows.numel() == 0:
                continue
            head_index = where(in_cluster, self.shortlist_size + i, head_index)
            local = log_softmax(cluster(input.index_select(0, rows)), dim=1)
            picked = local.gather(1, (target.index_select(0, rows) - low).unsqueeze(1)).squeeze(1)
            output = output.index_add(0, rows, picked)
        head_logprob = log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, head_index.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input):
        from ... import cat
        from ..functional import log_softmax

        head_logprob = log_softmax(self.head(input), dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, cluster in enumerate(self.tail):
            parts.append(log_softmax(cluster(input), dim=1) + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of every class: shape ``(batch, n_classes)`` (or ``(n_classes,)`` for 1-D input).

        Example:
            >>> import ember, ember.nn as nn
            >>> nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2]).log_prob(ember.zeros(4)).shape
            ember.Size([6])
        """
        batched = input.dim() == 2
        out = self._full_log_prob(input if batched else input.unsqueeze(0))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each row (same as ``log_prob(input).argmax(dim=1)``).

        Example:
            >>> import ember, ember.nn as nn
            >>> nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2]).predict(ember.zeros(3, 4)).shape
            ember.Size([3])
        """
        return self.log_prob(input).argmax(dim=-1)
