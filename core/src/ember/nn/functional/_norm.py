"""nn.functional: batch, instance, layer, group, RMS and local response normalisation.

The variance is the two-pass ``mean((x - mean)^2)`` and half-precision inputs are
normalised in float32. Batch, layer, group and instance norm share one fused primitive,
:class:`NormAffine`, for speed: composed from elementwise ops the normalisation costs
about 3x the memory passes, forward and backward.
"""

from __future__ import annotations

from ... import _dtype
from ..._tensor import _make, apply
from ...autograd import _state
from ...autograd.grad_mode import no_grad
from ...autograd.node import Op, named
from ...ops._util import cast, sum_to
from ... import _autocast

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]

_LOW = (_dtype.float16, _dtype.bfloat16)


class NormAffine(Op):
    """``y = (x - mean) / sqrt(var + eps) * w + b`` with statistics over ``dims``; also returns mean and var.

    ``w`` and ``b`` broadcast against ``x``. Fused for speed; its backward is written in Ember ops,
    recomputing the normalised input from ``x`` when a graph of the gradient is being built (double backward).
    """

    save_inputs = True
    nondiff_outputs = (1, 2)

    def forward(self, be, x, w, b, dims, eps):
        xp = be.xp
        self.dims, self.eps = dims, eps
        mean = xp.mean(x, axis=dims, keepdims=True)
        xhat = x - mean
        shift = xp.mean(xhat, axis=dims, keepdims=True)  # the rounding error of the first mean (large offsets)
        xhat -= shift
        mean = mean + shift
        var = xp.mean(xhat * xhat, axis=dims, keepdims=True)
        invstd = 1 / xp.sqrt(var + eps)
        xhat *= invstd
        self.xhat, self.invstd = xhat, invstd
        y = xhat * w
        y += b
        return y, mean, var

    def backward(self, g, *_):
        x, w, b = self.saved()
        nx, nw, nb = self.next
        dims = self.dims
        if _state.grad_enabled:  # differentiable path: the statistics as functions of x
            xhat, _, var = normalize_dims(x, dims, self.eps)
            invstd = 1 / (var + self.eps).sqrt()
        else:
            xhat, invstd = (_make(a, x._be, x._device, x.dtype) for a in (self.xhat, self.invstd))
        per_group = all(w.shape[d - x.ndim + w.ndim] == 1 for d in dims if d - x.ndim + w.ndim >= 0)
        gy = g if per_group else g * w  # the gradient w.r.t. xhat, up to the factor w when w is per group
        s1 = gy.sum(dim=dims, keepdim=True) if nx or (nb and per_group) else None
        s2 = (gy * xhat).sum(dim=dims, keepdim=True) if nx or (nw and per_group) else None
        gw = gb = gx = None
        if nw:
            gw = sum_to(s2 if per_group else g * xhat, w.shape)
        if nb:
            gb = sum_to(s1 if per_group else g, b.shape)
        if nx:
            n = 1
            for d in dims:
                n *= x.shape[d]
            coef = w * invstd if per_group else invstd
            gx = gy * coef - xhat * (coef * s2 / n) - coef * s1 / n
        return gx, gw, gb


def _norm_affine(x, dims, eps, weight, bias, shape):
    """Run :class:`NormAffine`; absent ``weight``/``bias`` are constants one and zero."""
    from ... import ones, zeros

    w = weight.reshape(shape) if weight is not None else ones(shape, dtype=x.dtype, device=x.device)
    b = bias.reshape(shape) if bias is not None else zeros(shape, dtype=x.dtype, device=x.device)
    return apply(NormAffine, (x, w, b), dims, eps)


def normalize_dims(x, dims, eps):
    """``((x - mean) / sqrt(var + eps), mean, biased var)`` over ``dims`` (kept as size-1 dims).

    Example:
        >>> import ember
        >>> normalize_dims(ember.tensor([1.0, 3.0]), (0,), 0.0)[0]
        tensor([-1.,  1.])
    """
    mean = x.mean(dim=dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    return centred / (var + eps).sqrt(), mean, var


def _float(x):
    return cast(x, _dtype.float32) if x.dtype in _LOW else x


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_vec(name, t, n):
    if t is not None and t.numel() != n:
        raise RuntimeError(f"{name} should contain {n} elements not {t.numel()}")


def _mixed_dtypes(input, *params):
    """torch's CPU rule for normalisation parameters: the input's dtype, or float32 under a float16/bfloat16 input.

    Example:
        >>> import ember
        >>> _mixed_dtypes(ember.ones(2, dtype=ember.bfloat16), ember.ones(2))  # mixed precision is allowed
    """
    kinds = {p.dtype for p in params if p is not None} - {input.dtype}
    if not kinds or (input.dtype in (_dtype.float16, _dtype.bfloat16) and kinds == {_dtype.float32}):
        return
    if input.dtype is _dtype.float32:
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _update_running(running, value, momentum):
    with no_grad():
        running.mul_(1 - momentum).add_(value.detach().reshape(running.shape).to(running.dtype) * momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims; in training update running stats.

    The running variance is updated with the unbiased batch variance, like torch.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.tensor([[1.0], [3.0]])
        >>> rm, rv = ember.zeros(1), ember.ones(1)
        >>> F.batch_norm(x, rm, rv, training=True, eps=0.0), rm, rv
        (tensor([[-1.],
                [ 1.]]), tensor([0.2000]), tensor([1.1000]))
    """
    c = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_vec(name, t, c)
    _mixed_dtypes(input, running_mean, running_var, weight, bias)
    shape = (1, c) + (1,) * (input.ndim - 2)
    x = _float(input)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // max(c, 1)
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        y, mean, var = _norm_affine(x, dims, eps, weight, bias, shape)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            _update_running(running_var, var * (n / (n - 1)), momentum)
        return named(cast(y, input.dtype), "NativeBatchNormBackward0")
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    scale = 1 / (running_var + eps).sqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return named(cast(x * scale.reshape(shape) + shift.reshape(shape), input.dtype), "NativeBatchNormBackward0")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) over its spatial dims.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.instance_norm(ember.tensor([[[1.0, 3.0]]]), eps=0.0)
        tensor([[[-1.,  1.]]])
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    c = input.shape[1]
    _mixed_dtypes(input, running_mean, running_var, weight, bias)
    shape = (1, c) + (1,) * (input.ndim - 2)
    x = _float(input)
    dims = tuple(range(2, input.ndim))
    if use_input_stats:
        if x.numel() // (x.shape[0] * c) <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
        y, mean, var = _norm_affine(x, dims, eps, weight, bias, shape)
        n = x.numel() // (x.shape[0] * c)
        if running_mean is not None:
            _update_running(running_mean, mean.mean(dim=0), momentum)
        if running_var is not None:
            _update_running(running_var, (var * (n / (n - 1))).mean(dim=0), momentum)
        return cast(y, input.dtype)
    y = (x - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
    return cast(_affine(y, weight, bias, shape), input.dtype)


def _check_normalized(input, normalized_shape, weight, bias):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return tuple(range(input.ndim - k, input.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift elementwise.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.layer_norm(ember.tensor([[1.0, 3.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.]])
    """
    if _autocast.active:
        input, weight, bias = _autocast.full("layer_norm", input, weight, bias)
    dims = _check_normalized(input, normalized_shape, weight, bias)
    _mixed_dtypes(input, weight, bias)
    shape = tuple(input.shape[dims[0]:])
    return named(cast(_norm_affine(_float(input), dims, eps, weight, bias, shape)[0], input.dtype),
                 "NativeLayerNormBackward0")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of ``C / num_groups`` channels (and all spatial dims).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.group_norm(ember.tensor([[1.0, 3.0, 5.0, 9.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    if _autocast.active:
        input, weight, bias = _autocast.full("group_norm", input, weight, bias)
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
                           f"{list(input.shape)} and num_groups={num_groups}")
    for t in (weight, bias):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected weight to be a vector of size equal to the number of channels in input, but "
                               f"got weight of shape {list(t.shape)} and input of shape {list(input.shape)}")
    _mixed_dtypes(input, weight, bias)
    x = _float(input).reshape(n, num_groups, c // num_groups, -1)
    y = _norm_affine(x, (2, 3), eps, weight, bias, (1, num_groups, c // num_groups, 1))[0]
    return named(cast(y.reshape(input.shape), input.dtype), "NativeGroupNormBackward0")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing dims (``eps`` defaults to the dtype's eps).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    dims = _check_normalized(input, normalized_shape, weight, None)
    x = _float(input)
    if eps is None:
        eps = _dtype.finfo(input.dtype).eps
    y = x / ((x * x).mean(dim=dims, keepdim=True) + eps).sqrt()
    return cast(_affine(y, weight, None, tuple(input.shape[dims[0]:])), input.dtype)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each value by ``(k + alpha * mean of squares over `size` neighbouring channels) ** beta``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.local_response_norm(ember.ones(1, 2, 1), 2, alpha=1.0, beta=1.0, k=0.0)
        tensor([[[2.],
                 [1.]]])
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    from ...ops.pool import avg_pool
    from ._pad import pad

    sq = (input * input).unsqueeze(1)  # (N, 1, C, *sp): pool over the channel axis
    flat = sq.reshape(sq.shape[0], 1, sq.shape[2], -1)
    div = avg_pool(2, pad(flat, (0, 0, size // 2, (size - 1) // 2)), (size, 1), stride=1)
    div = div.reshape(input.shape)
    return input / (div * alpha + k).pow(beta)
