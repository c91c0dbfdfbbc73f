"""nn.functional: dropout in its element, channel and alpha (self-normalising) forms."""

from __future__ import annotations

import warnings

from ..._creation import empty, empty_like

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_NEG_SAT = 1.7580993408473766  # -SELU(-inf) = scale * alpha: where alpha dropout sends dropped units


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, per_channel):
    """0/1 draws (1 with probability ``1 - p``), per element or per ``(N, C)`` channel.

    Like torch, the mask is laid out like the input and filled in memory order (a transposed
    input gets a transposed mask), so the same seed drops the same elements.
    """
    if per_channel:
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
        return empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    return empty_like(input).bernoulli_(1 - p)


def _apply(input, p, training, inplace, per_channel=False, alpha=False):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        out = input * 0
    else:
        keep = _keep_mask(input, p, per_channel)
        if alpha:
            # keep E[x] and Var[x] of SELU activations: dropped units go to the negative saturation value,
            # then an affine map a * x + b restores the moments
            a = ((_SELU_NEG_SAT ** 2 * p + 1) * (1 - p)) ** -0.5
            out = input * (keep * a) + ((keep - 1) * (_SELU_NEG_SAT * a) + _SELU_NEG_SAT * a * p)
        else:  # torch scales the mask in float32 for 16-bit types, rounding once
            noise = keep / (1 - p) if keep.element_size() > 2 else (keep.float() / (1 - p)).to(keep.dtype)
            out = input * noise
    return input._assign(out, "dropout_") if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (identity unless training).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> y = F.dropout(ember.ones(1000), 0.5); sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> F.dropout(ember.ones(2), 0.5, training=False)
        tensor([1., 1.])
    """
    return _apply(input, p, training, inplace)


def _feature_dropout(name, spatial, input, p, training, inplace):
    batched = spatial + 2
    if input.ndim not in (batched - 1, batched):
        if name != "dropout2d":
            raise RuntimeError(f"{name}: Expected {batched - 1}D or {batched}D input, but received a {input.ndim}D input. "
                               f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                               f"dimension{'s' if spatial > 1 else ''}, a channel dimension, and an optional batch dimension "
                               f"(i.e. {batched - 1}D or {batched}D inputs).")
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=3)
    if name == "dropout2d" and input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
                      "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
                      "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.", stacklevel=3)
        return _apply(input, p, training, inplace, per_channel=True)
    if input.ndim == batched - 1 and name != "dropout2d":
        out = _apply(input.unsqueeze(0), p, training, False, per_channel=True).squeeze(0)
        return input._assign(out, name + "_") if inplace and out is not input else out
    return _apply(input, p, training, inplace, per_channel=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> y = F.dropout1d(ember.ones(4, 8, 3)); bool(((y == y[..., :1]).all()))
        True
    """
    return _feature_dropout("dropout1d", 1, input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, H, W)`` input with probability ``p``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> y = F.dropout2d(ember.ones(2, 8, 3, 3)); bool((y.flatten(2) == y[:, :, :1, 0]).all())
        True
    """
    return _feature_dropout("dropout2d", 2, input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability ``p``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.dropout3d(ember.ones(2, 4, 2, 2, 2), training=False).shape
        ember.Size([2, 4, 2, 2, 2])
    """
    return _feature_dropout("dropout3d", 3, input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance of the activations.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> y = F.alpha_dropout(ember.randn(100000), 0.2, training=True)
        >>> abs(y.mean().item()) < 0.02, abs(y.std().item() - 1) < 0.02
        (True, True)
    """
    return _apply(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.feature_alpha_dropout(ember.ones(2, 3, 4), 0.5).shape
        ember.Size([2, 3, 4])
    """
    return _apply(input, p, training, inplace, per_channel=True, alpha=True)
