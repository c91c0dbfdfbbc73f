"""nn.functional: scaled dot-product attention and the multi-head attention forward.

Attention without dropout is one node, :class:`FusedAttention`, with its exact backward
on arrays (for speed: one node instead of five, forward and backward); dropout, broadcast
batch dims, a mask that needs a gradient, tracing and double backward use the composed form
(matmul, :class:`SafeSoftmax`, dropout). :class:`SafeSoftmax` is a softmax whose fully masked
rows (every score ``-inf``) give zeros instead of NaN, as torch's scaled_dot_product_attention
does, with a clean zero gradient.
Multi-head attention works batch-major internally, ``(N, L, E)`` -> ``(N, H, L, E/H)``, so the
projections reshape without copies; the results equal torch's sequence-major computation.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype, _tensor
from ..._creation import ones, zeros
from ..._tensor import _make, apply
from ...autograd import _state
from ...autograd.node import Op
from ...ops.join import cat
from ._dropout import dropout as _dropout
from ._linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class SafeSoftmax(Op):
    """Softmax over the last dim where a row of only ``-inf`` gives zeros (and zero gradient), not NaN."""

    save_output = True

    def forward(self, be, a):
        xp = be.xp
        m = xp.max(a, axis=-1, keepdims=True)
        e = xp.exp(a - xp.where(xp.isfinite(m), m, xp.zeros((), dtype=a.dtype)))
        s = xp.sum(e, axis=-1, keepdims=True)
        return e / xp.where(s == 0, xp.ones((), dtype=a.dtype), s)

    def backward(self, g):
        y = self.output
        return (y * (g - (g * y).sum(-1, keepdim=True)),)


def _dtype_words(d):
    return f"ember.{d.name}"


def _check_qkv(query, key, value):
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: {_dtype_words(query.dtype)} "
            f"key.dtype: {_dtype_words(key.dtype)} and value.dtype: {_dtype_words(value.dtype)} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key need the same embedding size, got "
                           f"query {tuple(query.shape)} and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value need the same sequence length, got "
                           f"key {tuple(key.shape)} and value {tuple(value.shape)}")


def _repeat_heads(query, key, value):
    """Grouped-query attention: each key/value head serves ``H_q / H_kv`` query heads."""
    hq, hk = query.shape[-3], key.shape[-3]
    if hq == hk:
        return key, value
    if hq % hk:
        raise RuntimeError(f"scaled_dot_product_attention: number of heads in key/value ({hk}) must divide "
                           f"the number of heads in query ({hq})")
    n = hq // hk
    return key.repeat_interleave(n, dim=-3), value.repeat_interleave(n, dim=-3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(Q K^T * scale + mask) V`` over the last two dims, with batch dims broadcast.

    ``attn_mask`` is boolean (True: may attend) or float (added to the scores); ``is_causal`` masks
    the upper triangle (an error together with ``attn_mask``, as in torch). ``scale`` defaults to
    ``1 / sqrt(E)``. A row that may attend nowhere gives zeros. With ``enable_gqa`` key/value may
    have fewer heads (dim -3) than query.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> q = k = ember.eye(2).reshape(1, 2, 2)
        >>> v = ember.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)
        tensor([[[1.0000, 0.0000],
                 [0.3302, 0.6698]]])
    """
    _check_qkv(query, key, value)
    if enable_gqa and query.ndim >= 3:
        key, value = _repeat_heads(query, key, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    allowed = additive = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
        allowed = ones((query.shape[-2], key.shape[-2]), dtype=_dtype.bool, device=query.device).tril()
    elif attn_mask is not None:
        if attn_mask.dtype is _dtype.bool:
            allowed = attn_mask
        elif attn_mask.dtype.category == 2:
            additive = attn_mask
        else:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_dtype_words(attn_mask.dtype)} and  query.dtype: "
                               f"{_dtype_words(query.dtype)} instead.")
    if dropout_p == 0.0 and _fusable(query, key, value, additive):
        return apply(FusedAttention, (query, key, value), scale, additive, allowed)
    return _composed_attention(query, key, value, scale, additive, allowed, dropout_p)


def _fusable(query, key, value, additive):
    """One :class:`FusedAttention` node serves equal batch dims, float inputs and a constant mask.

    While a tracer records (jit, ONNX export) the composed form runs, whose ops it knows.
    """
    return (_tensor._tracer is None and query.dtype.category == 2 and query.ndim >= 2 and query.shape[:-2] == key.shape[:-2] == value.shape[:-2]
            and (additive is None or not additive.requires_grad))


def _composed_attention(query, key, value, scale, additive, allowed, dropout_p=0.0):
    """Attention in Ember ops (dropout, broadcast batch dims, a mask that needs a gradient, double backward)."""
    scores = (query * scale) @ key.transpose(-2, -1)
    if additive is not None:
        scores = scores + additive
    if allowed is not None:
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    weights = apply(SafeSoftmax, (scores,))
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    return weights @ value


class FusedAttention(Op):
    """``softmax((q * scale) @ k^T + mask) @ v`` as one node, with its exact backward on arrays.

    The same operations in the same order as :func:`_composed_attention`, so the values are
    identical; the node saves the attention weights. A backward that must itself be
    differentiable (``create_graph=True``) differentiates the composed form instead.
    """

    save_inputs = True

    def forward(self, be, q, k, v, scale, additive, allowed):
        xp = be.xp
        self.be, self.scale, self.additive, self.allowed = be, scale, additive, allowed
        scores = be.matmul(q * xp.asarray(scale, dtype=q.dtype), _mT(xp, k))
        if additive is not None:
            scores = scores + additive._data
        if allowed is not None:
            scores = xp.where(allowed._data, scores, xp.asarray(-float("inf"), dtype=scores.dtype))
        self.p = SafeSoftmax.forward(self, be, scores)
        return be.matmul(self.p, v)

    def backward(self, g):
        q, k, v = self.saved()
        if _state.grad_enabled:
            return self._differentiable_backward(g, q, k, v)
        be, p, nq, nk, nv = self.be, self.p, *self.next
        xp = be.xp
        ga = g._data
        dv = be.matmul(_mT(xp, p), ga) if nv else None
        dq = dk = None
        if nq or nk:
            dp = be.matmul(ga, _mT(xp, v._data))
            ds = p * (dp - xp.sum(dp * p, axis=-1, keepdims=True))
            scale = xp.asarray(self.scale, dtype=ga.dtype)
            dq = be.matmul(ds, k._data) * scale if nq else None
            dk = be.matmul(_mT(xp, ds), q._data * scale) if nk else None
        return tuple(None if a is None else _make(a, q._be, q._device, q.dtype) for a in (dq, dk, dv))

    def _differentiable_backward(self, g, q, k, v):
        from ...autograd import grad

        wanted = [i for i, e in enumerate(self.next) if e is not None]
        inputs = (q, k, v)
        out = _composed_attention(q, k, v, self.scale, self.additive, self.allowed)
        got = grad([out], [inputs[i] for i in wanted], [g], create_graph=True, allow_unused=True)
        res = [None] * 3
        for i, gi in zip(wanted, got):
            res[i] = gi
        return tuple(res)


def _mT(xp, a):
    """The last two axes swapped (a view)."""
    return xp.permute_dims(a, tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))


# --- multi-head attention ----------------------------------------------------------------------------
def _float_mask(mask, name, like):
    """A bool mask (True: masked out) as an additive float mask; float masks pass through."""
    if mask is None:
        return None
    if mask.dtype is _dtype.bool:
        return zeros(mask.shape, dtype=like.dtype, device=like.device).masked_fill(mask, float("-inf"))
    if mask.dtype.category != 2:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _pad_last(mask):
    """Append a zero column (the extra key of ``add_bias_kv`` / ``add_zero_attn``)."""
    if mask is None:
        return None
    return cat([mask, zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype, device=mask.device)], -1)


def _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate):
    """``(q, k, v)`` projections of batch-major inputs."""
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = in_proj_bias.chunk(3)
    if separate is not None:
        wq, wk, wv = separate
    else:
        if query is key and key is value:
            return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        wq, wk, wv = in_proj_weight.chunk(3)
        if key is value:
            kv_bias = None if in_proj_bias is None else in_proj_bias[embed_dim:]
            k, v = linear(key, in_proj_weight[embed_dim:], kv_bias).chunk(2, -1)
            return linear(query, wq, bq), k, v
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _check_attn_mask(attn_mask, batch, heads, tgt_len, src_len):
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}.")
        return attn_mask
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (batch * heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(batch * heads, tgt_len, src_len)}.")
        return attn_mask.reshape(batch, heads, tgt_len, src_len)
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def _split_heads(x, heads):
    """``(N, L, E)`` -> ``(N, H, L, E/H)`` (a view)."""
    n, length, e = x.shape
    return x.reshape(n, length, heads, e // heads).transpose(1, 2)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on ``(L, N, E)`` inputs (``(L, E)`` unbatched); returns ``(output, weights)``.

    Masks: ``key_padding_mask`` ``(N, S)`` and ``attn_mask`` ``(L, S)`` or ``(N * H, L, S)``, bool
    (True: may *not* attend) or float (added). ``weights`` is None unless ``need_weights``; then
    it is averaged over heads unless ``average_attn_weights=False``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> x = ember.randn(5, 2, 4)
        >>> w_in, w_out = ember.randn(12, 4), ember.randn(4, 4)
        >>> out, w = F.multi_head_attention_forward(x, x, x, 4, 2, w_in, None, None, None, False, 0.0, w_out, None)
        >>> out.shape, w.shape
        (ember.Size([5, 2, 4]), ember.Size([2, 5, 5]))
    """
    return multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                                key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
                                k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal)


def multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
                         bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True,
                         key_padding_mask=None, need_weights=True, attn_mask=None, use_separate_proj_weight=False,
                         q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
                         average_attn_weights=True, is_causal=False, batch_first=False):
    """:func:`multi_head_attention_forward` that also takes batch-first ``(N, L, E)`` inputs.

    Example:
        >>> import ember
        >>> x = ember.randn(2, 5, 4)
        >>> multi_head_attention(x, x, x, 4, 2, ember.randn(12, 4), None, None, None, False, 0.0,
        ...                      ember.randn(4, 4), None, batch_first=True)[0].shape
        ember.Size([2, 5, 4])
    """
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch_first = False
    if not batch_first:  # work batch-major: (N, L, E)
        query, key, value = _batch_major(query, key, value)
    batch, tgt_len, embed_dim = query.shape
    heads = num_heads
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // heads
    if head_dim * heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if key_padding_mask is not None and attn_mask is not None and (key_padding_mask.dtype is _dtype.bool) != (attn_mask.dtype is _dtype.bool):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead.")
    attn_mask = _float_mask(attn_mask, "attn_mask", query)
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query)
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, batch, heads, tgt_len, key.shape[1])
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        v = cat([v, bias_v.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    q = _split_heads(q, heads)
    k = _split_heads(k, heads) if static_k is None else static_k.reshape(batch, heads, -1, head_dim)
    v = _split_heads(v, heads) if static_v is None else static_v.reshape(batch, heads, -1, head_dim)
    if add_zero_attn:
        pad = zeros((batch, heads, 1, head_dim), dtype=q.dtype, device=q.device)
        k, v = cat([k, pad], 2), cat([v, pad], 2)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, k.shape[2]):
            raise AssertionError(f"expecting key_padding_mask shape of {(batch, k.shape[2])}, but got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(batch, 1, 1, k.shape[2])
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = _dropout(weights, dropout_p, True)
        out = weights @ v
    else:
        weights = None
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p)
    # sequence-major like torch: (L, N, E) contiguous, a transposed view when batch_first
    out = linear(out.permute(2, 0, 1, 3).reshape(tgt_len, batch, embed_dim), out_proj_weight, out_proj_bias)
    if batch_first:
        out = out.transpose(0, 1)
    if not batched:
        out = out.squeeze(1)
    if weights is not None:
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
    return out, weights


def _batch_major(query, key, value):
    """``(L, N, E)`` inputs as ``(N, L, E)`` views, keeping ``is`` identity (self-attention is detected by it)."""
    q = query.transpose(0, 1)
    k = q if key is query else key.transpose(0, 1)
    v = k if value is key else q if value is query else value.transpose(0, 1)
    return q, k, v
