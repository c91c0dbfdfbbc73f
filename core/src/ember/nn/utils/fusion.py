"""Fold an evaluation-mode batch norm into the convolution or linear layer before it (for inference).

With running statistics ``mean``, ``var`` and affine ``gamma``, ``beta``, the batch norm of
``y = W x + b`` is ``s * (W x + b - mean) + beta`` with ``s = gamma / sqrt(var + eps)``: the
same layer with weight ``s * W`` (scaled per output channel) and bias ``s * (b - mean) + beta``.
"""

from __future__ import annotations

import copy

from ..._creation import ones_like, zeros_like
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _fold(w, b, mean, var, eps, gamma, beta, channel_dim):
    with no_grad():
        gamma = ones_like(mean) if gamma is None else gamma
        beta = zeros_like(mean) if beta is None else beta
        b = zeros_like(mean) if b is None else b
        scale = gamma * (var + eps).rsqrt()
        shape = [1] * w.ndim
        shape[channel_dim] = -1
        fused_w = (w * scale.reshape(shape)).to(w.dtype)
        fused_b = ((b - mean) * scale + beta).to(b.dtype)
    return Parameter(fused_w, w.requires_grad), Parameter(fused_b, b.requires_grad)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The weight and bias of a convolution followed by an evaluation-mode batch norm, as new Parameters.

    ``transpose``: the weight is a transposed convolution's ``(C_in, C_out/groups, ...)``, whose
    output channels are its dim 1.

    Example:
        >>> import ember
        >>> w, b = fuse_conv_bn_weights(ember.ones(2, 1, 1, 1), None, ember.zeros(2), ember.full((2,), 3.0), 1.0,
        ...                             ember.tensor([2.0, 4.0]), ember.tensor([0.0, 1.0]))
        >>> w.flatten().tolist(), b.tolist()
        ([1.0, 2.0], [0.0, 1.0])
    """
    return _fold(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, 1 if transpose else 0)


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The weight and bias of a linear layer followed by an evaluation-mode batch norm, as new Parameters.

    Example:
        >>> import ember
        >>> w, b = fuse_linear_bn_weights(ember.ones(2, 3), ember.ones(2), ember.ones(2), ember.full((2,), 3.0), 1.0,
        ...                               ember.tensor([2.0, 4.0]), ember.zeros(2))
        >>> w.tolist(), b.tolist()
        ([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [0.0, 0.0])
    """
    return _fold(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, 0)


def _check_eval(layer, bn):
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("the batch norm needs running statistics (track_running_stats=True) to be fused")


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` with the evaluation-mode batch norm ``bn`` that follows it folded in.

    Example:
        >>> import ember, ember.nn as nn
        >>> conv, bn = nn.Conv2d(1, 2, 3).eval(), nn.BatchNorm2d(2).eval()
        >>> x = ember.randn(1, 1, 5, 5)
        >>> bool(fuse_conv_bn_eval(conv, bn)(x).allclose(bn(conv(x)), atol=1e-6))
        True
    """
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` with the evaluation-mode batch norm ``bn`` that follows it folded in.

    Example:
        >>> import ember, ember.nn as nn
        >>> linear, bn = nn.Linear(3, 2).eval(), nn.BatchNorm1d(2).eval()
        >>> x = ember.randn(4, 3)
        >>> bool(fuse_linear_bn_eval(linear, bn)(x).allclose(bn(linear(x)), atol=1e-6))
        True
    """
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
