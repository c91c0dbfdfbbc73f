"""Functions on token-id lists and batches: :func:`to_tensor`, :func:`truncate`, :func:`add_token`.

Each takes one sequence (a list) or a batch (a list of lists) and keeps that structure.

Example:
    >>> from embertext import functional as F
    >>> F.to_tensor(F.add_token(F.truncate([[1, 2, 3], [4]], 2), 0), padding_value=9)
    tensor([[0, 1, 2],
            [0, 4, 9]])
"""

from __future__ import annotations

import ember

__all__ = ["to_tensor", "truncate", "add_token"]


def _is_batch(input):
    return len(input) > 0 and isinstance(input[0], (list, tuple))


def to_tensor(input, padding_value=None, dtype=ember.long):
    """A tensor from a list of ids, or a (batch, longest) tensor from a list of lists padded with ``padding_value``.

    Example:
        >>> from embertext.functional import to_tensor
        >>> to_tensor([[1, 2], [3]], padding_value=0)
        tensor([[1, 2],
                [3, 0]])
    """
    if not _is_batch(input):
        return ember.tensor(list(input), dtype=dtype)
    if padding_value is None:
        return ember.tensor([list(row) for row in input], dtype=dtype)
    width = max(len(row) for row in input)
    return ember.tensor([list(row) + [padding_value] * (width - len(row)) for row in input], dtype=dtype)


def truncate(input, max_seq_len):
    """Keep the first ``max_seq_len`` ids of a sequence (or of each sequence of a batch).

    Example:
        >>> from embertext.functional import truncate
        >>> truncate([1, 2, 3], 2), truncate([[1, 2, 3], [4]], 1)
        ([1, 2], [[1], [4]])
    """
    if _is_batch(input):
        return [list(row[:max_seq_len]) for row in input]
    return list(input[:max_seq_len])


def add_token(input, token_id, begin=True):
    """Put ``token_id`` at the beginning (or end, ``begin=False``) of a sequence or of each sequence of a batch.

    Example:
        >>> from embertext.functional import add_token
        >>> add_token([1, 2], 0), add_token([[1], [2, 3]], 9, begin=False)
        ([0, 1, 2], [[1, 9], [2, 3, 9]])
    """
    if _is_batch(input):
        return [add_token(row, token_id, begin) for row in input]
    return [token_id, *input] if begin else [*input, token_id]
