"""Parameter initialisation (``ember.nn.init``), with torch's formulas and ember's random generators.

Every function fills its tensor in place without recording gradients and returns it.
"""

from __future__ import annotations

import functools
import math
import warnings

from ..autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
]


def _no_grad(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with no_grad():
            return fn(*args, **kwargs)

    return wrapper


_UNIT_GAIN = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"}


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (``param`` is leaky_relu's negative slope).

    Example:
        >>> import ember.nn as nn
        >>> nn.init.calculate_gain("relu"), nn.init.calculate_gain("tanh"), nn.init.calculate_gain("leaky_relu", 0.2)
        (1.4142135623730951, 1.6666666666666667, 1.3867504905630728)
    """
    if nonlinearity in _UNIT_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight: ``size(1)`` and ``size(0)`` times the receptive field size.

    Example:
        >>> import ember
        >>> ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(16, 3, 5, 5))
        (75, 400)
    """
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@_no_grad
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from ``U(a, b)``.

    Example:
        >>> import ember
        >>> w = ember.nn.init.uniform_(ember.empty(100), -1, 1); bool((w.abs() <= 1).all())
        True
    """
    return tensor.uniform_(a, b, generator=generator)


@_no_grad
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from ``N(mean, std^2)``.

    Example:
        >>> import ember
        >>> ember.nn.init.normal_(ember.empty(2, 3), std=0.02).shape
        ember.Size([2, 3])
    """
    return tensor.normal_(mean, std, generator=generator)


@_no_grad
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples of ``N(mean, std^2)`` truncated to ``[a, b]``, by rejection like torch 2.13.

    When ``[a, b]`` holds more than 30% of the mass, whole-tensor normal draws replace the samples
    outside it until none is left; otherwise uniform proposals on ``[a, b]`` are accepted with
    probability ``pdf(x) / pdf(mode)``. Both consume the generator the way torch does.

    Example:
        >>> import ember
        >>> w = ember.nn.init.trunc_normal_(ember.empty(1000), a=-0.5, b=0.5); bool((w.abs() <= 0.5).all())
        True
    """
    from .._creation import empty_like
    from ..ops.elementwise import where

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.", stacklevel=3)
    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        lo, hi = (tensor.new_tensor(v, device="cpu").item() for v in (a, b))  # the bounds as the tensor's type
        result = tensor.normal_(mean, std, generator=generator)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                break
            result = where(outside, empty_like(result).normal_(mean, std, generator=generator), result)
        return tensor.copy_(result)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def rejected(x):
        log_pdf = ((x - mean) / std) ** 2 * -0.5 - log_peak
        return empty_like(x).uniform_(generator=generator).log() > log_pdf

    result = tensor.uniform_(a, b, generator=generator).clone()
    pending = rejected(result)
    while pending.any():
        candidates = empty_like(result).uniform_(a, b, generator=generator)
        result = where(pending, candidates, result)
        pending = where(pending, rejected(candidates), pending)
    return tensor.copy_(result)


@_no_grad
def constant_(tensor, val):
    """Fill with ``val``.

    Example:
        >>> import ember
        >>> ember.nn.init.constant_(ember.empty(2), 0.5)
        tensor([0.5000, 0.5000])
    """
    return tensor.fill_(val)


def ones_(tensor):
    """Fill with ones.

    Example:
        >>> import ember
        >>> ember.nn.init.ones_(ember.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros.

    Example:
        >>> import ember
        >>> ember.nn.init.zeros_(ember.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


@_no_grad
def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix.

    Example:
        >>> import ember
        >>> ember.nn.init.eye_(ember.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    from .._creation import eye

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return tensor.copy_(eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


@_no_grad
def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta (convolution keeps the input's channels).

    Example:
        >>> import ember
        >>> w = ember.nn.init.dirac_(ember.empty(2, 2, 3)); w[:, :, 1]
        tensor([[1., 0.],
                [0., 1.]])
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels = tensor.shape[0]
    if out_channels % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = out_channels // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    tensor.zero_()
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            tensor[(g * per_group + d, d) + centre] = 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Example:
        >>> import ember, math
        >>> w = ember.nn.init.xavier_uniform_(ember.empty(30, 20)); bool((w.abs() <= math.sqrt(6 / 50)).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> import ember
        >>> ember.nn.init.xavier_normal_(ember.empty(3, 4)).shape
        ember.Size([3, 4])
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``.

    Example:
        >>> import ember, math
        >>> w = ember.nn.init.kaiming_uniform_(ember.empty(8, 50), nonlinearity="relu")
        >>> bool((w.abs() <= math.sqrt(6 / 50)).all())
        True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``.

    Example:
        >>> import ember
        >>> ember.nn.init.kaiming_normal_(ember.empty(4, 3), mode="fan_out").shape
        ember.Size([4, 3])
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


@_no_grad
def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix from the QR decomposition of a normal sample, times ``gain``.

    Example:
        >>> import ember
        >>> w = ember.nn.init.orthogonal_(ember.empty(3, 5))
        >>> bool(((w @ w.t() - ember.eye(3)).abs() < 1e-5).all())
        True
    """
    import numpy as np

    from .._random import randn

    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    sample = randn(rows, cols, generator=generator, dtype=tensor.dtype, device=tensor.device)._host().astype(np.float64)
    if rows < cols:
        sample = sample.T
    q, r = np.linalg.qr(sample)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    from .._creation import tensor as make

    return tensor.copy_(make(q.reshape(tuple(tensor.shape)) * gain, dtype=tensor.dtype, device=tensor.device))


@_no_grad
def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with ``N(0, std^2)`` values, zeroing a ``sparsity`` fraction of each column.

    Example:
        >>> import ember
        >>> w = ember.nn.init.sparse_(ember.empty(10, 3), 0.3); (w == 0).sum(0).tolist()
        [3, 3, 3]
    """
    from .._random import randperm

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    n_zeros = int(math.ceil(sparsity * rows))
    tensor.normal_(0, std, generator=generator)
    for col in range(cols):
        zero_rows = randperm(rows, generator=generator, device=tensor.device)[:n_zeros]
        tensor[zero_rows, col] = 0
    return tensor


_EXAMPLE_ARGS = {"constant": "ember.empty(2, 2), 0.5", "sparse": "ember.empty(2, 2), 0.5", "dirac": "ember.empty(2, 2, 3)"}


def _deprecated(new):
    """The old name of ``new`` (torch keeps them, with a FutureWarning)."""
    old = new.__name__[:-1]
    example = _EXAMPLE_ARGS.get(old, "ember.empty(2, 2)")

    @functools.wraps(new)
    def alias(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.", FutureWarning,
                      stacklevel=2)
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"""Deprecated spelling of :func:`{new.__name__}` (warns, then calls it).

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     isinstance(ember.nn.init.{old}({example}), ember.Tensor)
        True
    """
    return alias


uniform, normal, constant, eye, dirac, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal, \
    sparse = (_deprecated(f) for f in (uniform_, normal_, constant_, eye_, dirac_, xavier_uniform_, xavier_normal_,
                                       kaiming_uniform_, kaiming_normal_, orthogonal_, sparse_))
