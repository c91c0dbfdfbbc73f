"""nn.utils.rnn: padding and packing variable-length sequences for the recurrent layers.

A :class:`PackedSequence` stores the rows of a batch of sequences time step by time step:
``data[offset_t : offset_t + batch_sizes[t]]`` are step ``t`` of the sequences still running,
longest first. Every conversion here is one gather (``index_select``) with an index computed
on the host, so gradients flow back to the padded or packed inputs.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as _np

from ... import _dtype
from ..._creation import full, tensor
from ..._tensor import Tensor
from ...ops.join import cat

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
    "unpad_sequence", "pack_sequence", "unpack_sequence",
]


def _index(values, device):
    return tensor(_np.asarray(values, dtype=_np.int64), dtype=_dtype.int64, device=device)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Sequences of different lengths packed time step by time step (see :func:`pack_padded_sequence`).

    ``batch_sizes`` (int64, on the CPU) counts the sequences still running at each step;
    ``sorted_indices`` maps the longest-first order back to the batch (None when already sorted).

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([ember.tensor([1.0, 2.0, 3.0]), ember.tensor([4.0])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes must be given (build packed sequences with pack_padded_sequence)")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The sequence with ``data`` converted by ``Tensor.to`` (indices follow ``data``'s device).

        Example:
            >>> import ember
            >>> from ember.nn.utils.rnn import pack_sequence
            >>> pack_sequence([ember.ones(2)]).to(ember.float64).data.dtype
            ember.float64
        """
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if i is None else i.to(data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def double(self):
        return self.to(_dtype.float64)

    def float(self):
        return self.to(_dtype.float32)

    def half(self):
        return self.to(_dtype.float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None).

    Example:
        >>> import ember
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    order = _np.argsort(permutation.cpu().numpy(), kind="stable")
    return _index(order, permutation.device)


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _step_rows(batch_sizes):
    """For every packed row, ``(time step, batch slot)``."""
    steps = _np.repeat(_np.arange(len(batch_sizes)), batch_sizes)
    offsets = _np.concatenate([[0], _np.cumsum(batch_sizes)[:-1]])
    return steps, _np.arange(int(_np.sum(batch_sizes))) - _np.repeat(offsets, batch_sizes)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted=False`` the batch need not be sorted by decreasing length.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 2.0], [3.0, 0.0]])
        >>> pack_padded_sequence(x, [2, 1], batch_first=True).data
        tensor([1., 3., 2.])
    """
    lens = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lens) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} (batch_size={input.shape[batch_dim]})")
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                               "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = _np.arange(len(lens))
    else:
        order = _np.argsort(-_np.asarray(lens), kind="stable")
        sorted_indices = _index(order, input.device)
    lens_sorted = _np.asarray(lens, dtype=_np.int64)[order]
    if lens_sorted.size and lens_sorted[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    steps_total = input.shape[1 - batch_dim]
    if lens_sorted.size and lens_sorted[0] > steps_total:
        raise RuntimeError(f"pack_padded_sequence: a length of {lens_sorted[0]} exceeds the {steps_total} time steps of the input")
    batch_sizes = (lens_sorted[None, :] > _np.arange(int(lens_sorted[0]) if lens_sorted.size else 0)[:, None]).sum(1)
    t, slot = _step_rows(batch_sizes)
    b = order[slot]
    flat = b * steps_total + t if batch_first else t * len(lens) + b
    data = input.reshape((-1,) + tuple(input.shape[2:])).index_select(0, _index(flat, input.device))
    return PackedSequence(data, tensor(batch_sizes, dtype=_dtype.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: ``(padded, lengths)`` with the batch in its original order.

    Example:
        >>> import ember
        >>> p = pack_sequence([ember.tensor([1.0, 2.0]), ember.tensor([3.0])])
        >>> pad_packed_sequence(p, batch_first=True, padding_value=-1)
        (tensor([[ 1.,  2.],
                [ 3., -1.]]), tensor([2, 1]))
    """
    data = sequence.data
    batch_sizes = _np.asarray(sequence.batch_sizes.tolist(), dtype=_np.int64)
    max_len, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but got "
                             f"total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    lengths = (batch_sizes[None, :] > _np.arange(batch)[:, None]).sum(1)
    t, slot = _step_rows(batch_sizes)
    if sequence.unsorted_indices is not None:  # slot s of the sorted batch belongs to sequence sorted_indices[s]
        order = _np.asarray(sequence.sorted_indices.tolist(), dtype=_np.int64)
        slot, lengths = order[slot], lengths[_np.asarray(sequence.unsorted_indices.tolist(), dtype=_np.int64)]
    source = _np.full(max_len * batch, data.shape[0], dtype=_np.int64)  # the padding row by default
    source[slot * max_len + t if batch_first else t * batch + slot] = _np.arange(data.shape[0])
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row]).index_select(0, _index(source, data.device))
    shape = (batch, max_len) if batch_first else (max_len, batch)
    return padded.reshape(shape + tuple(data.shape[1:])), tensor(lengths, dtype=_dtype.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with ``batch_first``), padded.

    Example:
        >>> import ember
        >>> pad_sequence([ember.ones(2), ember.ones(3)], batch_first=True, padding_side="left")
        tensor([[0., 1., 1.],
                [1., 1., 1.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    lens = [s.shape[0] for s in sequences]
    batch, max_len = len(lens), max(lens)
    first = sequences[0]
    total = sum(lens)
    source = _np.full((batch, max_len), total, dtype=_np.int64)
    start = 0
    for b, n in enumerate(lens):
        cols = slice(0, n) if padding_side == "right" else slice(max_len - n, max_len)
        source[b, cols] = _np.arange(start, start + n)
        start += n
    if not batch_first:
        source = source.T
    pad_row = full((1,) + tuple(first.shape[1:]), padding_value, dtype=first.dtype, device=first.device)
    padded = cat(list(sequences) + [pad_row]).index_select(0, _index(source.reshape(-1), first.device))
    return padded.reshape(source.shape + tuple(first.shape[1:]))


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors of the given ``lengths``.

    Example:
        >>> import ember
        >>> [t.tolist() for t in unpad_sequence(ember.tensor([[1, 2], [3, 0]]), [2, 1], batch_first=True)]
        [[1, 2], [3]]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)`` (longest first unless ``enforce_sorted=False``).

    Example:
        >>> import ember
        >>> pack_sequence([ember.tensor([1]), ember.tensor([2, 3])], enforce_sorted=False).data
        tensor([2, 1, 3])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a :class:`PackedSequence` holds, in the original order.

    Example:
        >>> import ember
        >>> p = pack_sequence([ember.tensor([1]), ember.tensor([2, 3])], enforce_sorted=False)
        >>> [t.tolist() for t in unpack_sequence(p)]
        [[1], [2, 3]]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
