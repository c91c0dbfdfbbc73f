"""nn.functional: embedding lookups (embedding, embedding_bag) and one_hot."""

from __future__ import annotations

from ... import _dtype
from ..._creation import arange, ones, tensor as _tensor, zeros
from ..._tensor import _make, apply
from ...autograd.grad_mode import no_grad
from ...autograd.node import Op
from ...ops.elementwise import where

__all__ = ["embedding", "embedding_bag", "one_hot"]


class Embedding(Op):
    """Rows ``weight[indices]``: a primitive for speed (one take forward, one index_add backward) and for
    torch's gradient rules (no gradient to ``padding_idx``; optional scaling by inverse frequency)."""

    def forward(self, be, weight, indices, padding_idx, scale_grad_by_freq):
        xp = be.xp
        self.indices, self.rows, self.padding_idx, self.freq = indices, weight.shape[0], padding_idx, scale_grad_by_freq
        flat = xp.reshape(indices, (-1,))
        return xp.reshape(xp.take(weight, flat, axis=0), tuple(indices.shape) + (weight.shape[1],))

    def backward(self, g):
        idx = _make(self.indices, g._be, g._device, g._be.dtype_of(self.indices))
        flat = idx.reshape(-1)
        g2 = g.reshape(-1, g.shape[-1])
        if self.padding_idx is not None:
            g2 = g2 * (flat != self.padding_idx).unsqueeze(1).to(g.dtype)
        if self.freq:
            counts = zeros(self.rows, dtype=g.dtype, device=g.device).index_add(0, flat, ones(flat.shape[0], dtype=g.dtype, device=g.device))
            g2 = g2 / counts.index_select(0, flat).unsqueeze(1)
        return (zeros(self.rows, g.shape[-1], dtype=g.dtype, device=g.device).index_add(0, flat, g2),)


def _check_indices(indices, n_rows, op):
    if indices.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
                           f"but got {indices.type()} instead (while checking arguments for {op})")
    xp = indices._be.xp
    a = indices._data
    if indices._be.host_checks and a.size and bool(xp.any((a < 0) | (a >= n_rows))):
        raise IndexError(f"index out of range in self ({op}: indices must be in [0, {n_rows}), the number of embeddings)")


def _renorm_(weight, indices, max_norm, norm_type):
    """Scale the rows of ``weight`` used by ``indices`` in place so their ``norm_type``-norm is at most ``max_norm``."""
    import numpy as np

    with no_grad():
        used = _tensor(np.unique(indices._host()), device=weight.device)
        rows = weight[used]
        norms = (rows.abs() ** norm_type).sum(1, keepdim=True) ** (1.0 / norm_type)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).to(weight.dtype)
        weight[used] = rows * scale


def _padding(padding_idx, n_rows):
    if padding_idx is None:
        return None
    if not -n_rows <= padding_idx < n_rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % n_rows


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (num_embeddings, dim) by the integer ``input``; output ``input.shape + (dim,)``.

    ``padding_idx`` rows get no gradient; ``max_norm`` renormalises the rows used, in place.
    ``sparse`` is accepted; gradients are dense.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> w = ember.arange(6.0).reshape(3, 2)
        >>> F.embedding(ember.tensor([[2, 0]]), w)
        tensor([[[4., 5.],
                 [0., 1.]]])
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, weight.shape[0], "embedding")
    if input.device != weight.device:
        input = input.to(weight.device)
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return apply(Embedding, (weight,), input._data, _padding(padding_idx, weight.shape[0]), scale_grad_by_freq)


def _bag_ids(input, offsets, include_last_offset):
    """Flat indices and the bag each belongs to, from a 2-D input (rows are bags) or 1-D input plus offsets."""
    import numpy as np

    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. "
                             f"However, found offsets of type {type(offsets).__name__}")
        n_bags, length = input.shape
        bags = np.repeat(np.arange(n_bags), length)
        return input.reshape(-1), bags, n_bags
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = offsets._host().astype(np.int64)
    if include_last_offset:
        starts = starts[:-1]
    if starts.size and (starts[0] != 0):
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got {starts[0]}")
    if starts.size and (starts[-1] > input.shape[0]):
        raise RuntimeError(f"offsets[-1] can not be greater than input's length ({input.shape[0]}), but got offsets[-1] of {starts[-1]}")
    bags = np.searchsorted(starts, np.arange(input.shape[0]), side="right") - 1
    return input, bags, starts.size


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the embeddings in each bag (rows of a 2-D ``input``, or segments given by ``offsets``).

    ``padding_idx`` entries are left out of their bag; empty bags give zeros.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> w = ember.arange(6.0).reshape(3, 2)
        >>> F.embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]))
        tensor([[2., 3.],
                [2., 3.]])
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                                      f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
        if per_sample_weights.shape != input.shape:
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, then it "
                             f"must have the same shape as the input ({tuple(input.shape)})")
    flat, bags, n_bags = _bag_ids(input, offsets, include_last_offset)
    pad = _padding(padding_idx, weight.shape[0])
    rows = embedding(flat, weight, pad, max_norm, norm_type, scale_grad_by_freq)
    dim = weight.shape[1]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    bag = _tensor(bags, device=weight.device)
    keep = (flat != pad).to(weight.dtype).unsqueeze(1) if pad is not None else None
    members = ones(flat.shape[0], dtype=weight.dtype, device=weight.device) if keep is None else keep.reshape(-1)
    if mode == "max":
        if keep is not None:
            rows = where(keep > 0, rows, float("-inf"))
        out = zeros(n_bags, dim, dtype=weight.dtype, device=weight.device).scatter_reduce(
            0, bag.unsqueeze(1).expand(-1, dim), rows, "amax", include_self=False)
    else:
        out = zeros(n_bags, dim, dtype=weight.dtype, device=weight.device).index_add(0, bag, rows if keep is None else rows * keep)
        if mode == "sum":
            return out
    count = zeros(n_bags, dtype=weight.dtype, device=weight.device).index_add(0, bag, members)
    if mode == "max":
        return where(count.unsqueeze(1) > 0, out, 0.0)
    return out / where(count > 0, count, 1.0).unsqueeze(1)


def one_hot(tensor, num_classes=-1):
    """One-hot encoding of an int64 tensor: ``shape + (num_classes,)`` of int64 (``-1``: ``max + 1`` classes).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.one_hot(ember.tensor([0, 2]))
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel():
        if bool((tensor < 0).any()):
            raise RuntimeError("Class values must be non-negative.")
        top = int(tensor.max())
        if num_classes == -1:
            num_classes = top + 1
        elif top >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).to(_dtype.int64)
