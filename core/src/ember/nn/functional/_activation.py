"""nn.functional: activations.

The pointwise activations used in hot paths (leaky_relu, elu/selu/celu, gelu, silu, mish,
hardtanh, hardsigmoid, hardswish, softplus, logsigmoid, shrinkage, threshold) are primitives
made by one factory, for speed: one pass and one graph node each. Each states its forward on
arrays and its derivative in Ember ops (so double backward works); the rest are compositions.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype
from ..._tensor import apply
from ...autograd.node import Op
from ...ops import softmax as _sm
from ...ops._util import scalar_like
from ...ops.elementwise import where
from ...ops.special import erf_kernel

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "selu",
    "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardtanh_", "hardsigmoid",
    "hardswish", "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "threshold", "threshold_",
    "logsigmoid", "softmax", "log_softmax", "softmin", "glu", "gumbel_softmax",
]


class _Pointwise(Op):
    """A pointwise activation ``y = f(x; params)``; subclasses give ``f`` on arrays and ``f'`` in Ember ops."""

    save_inputs = True

    def forward(self, be, a, *params):
        self.params = params
        return self.f(be.xp, a, *params)

    def backward(self, g):
        (x,) = self.saved()
        return (g * self.df(x, *self.params),)


def _pointwise(name, f, df):
    """An activation primitive named ``name`` from ``f(xp, a, *params)`` and ``df(x, *params)``."""
    return type(name, (_Pointwise,), {"f": staticmethod(f), "df": staticmethod(df)})


def _zero(xp, a):
    return xp.zeros((), dtype=a.dtype)


def _stable_sigmoid(xp, a):
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(xp, a):
    return xp.logaddexp(_zero(xp, a), a)


def _mask(cond, like):
    return cond.to(like.dtype)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_C = 0.044715


def _gelu_tanh_inner(x):
    return _SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)


def _gelu_tanh_df(x):
    t = _gelu_tanh_inner(x).tanh()
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_C * x * x)


def _mish_df(x):
    t = softplus(x).tanh()
    return t + x * x.sigmoid() * (1 - t * t)


LeakyRelu = _pointwise(
    "LeakyRelu",
    lambda xp, a, slope: xp.where(a > 0, a, a * slope),
    lambda x, slope: where(x > 0, scalar_like(1.0, x.dtype, x), scalar_like(slope, x.dtype, x)),
)
Elu = _pointwise(  # elu, selu and celu: scale * (x if x > 0 else alpha * expm1(x * input_scale))
    "Elu",
    lambda xp, a, alpha, scale, in_scale: scale * xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, _zero(xp, a)) * in_scale)),
    lambda x, alpha, scale, in_scale: scale * where(x > 0, 1.0, alpha * in_scale * (x * in_scale).exp()),
)
Gelu = _pointwise(
    "Gelu",
    lambda xp, a: 0.5 * a * (1 + erf_kernel(xp, a * _INV_SQRT_2)),
    lambda x: 0.5 * (1 + (x * _INV_SQRT_2).erf()) + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI,
)
GeluTanh = _pointwise(
    "GeluTanh",
    lambda xp, a: 0.5 * a * (1 + xp.tanh(_SQRT_2_OVER_PI * (a + _GELU_C * a * a * a))),
    _gelu_tanh_df,
)
Silu = _pointwise(
    "Silu",
    lambda xp, a: a * _stable_sigmoid(xp, a),
    lambda x: (lambda s: s * (1 + x * (1 - s)))(x.sigmoid()),
)
Softplus = _pointwise(
    "Softplus",
    lambda xp, a, beta, threshold: xp.where(a * beta > threshold, a, _softplus(xp, a * beta) / beta),
    lambda x, beta, threshold: where(x * beta > threshold, 1.0, (x * beta).sigmoid()).to(x.dtype),
)
Mish = _pointwise("Mish", lambda xp, a: a * xp.tanh(_softplus(xp, a)), _mish_df)
LogSigmoid = _pointwise(
    "LogSigmoid",
    lambda xp, a: xp.minimum(a, _zero(xp, a)) - xp.log1p(xp.exp(-xp.abs(a))),
    lambda x: (-x).sigmoid(),
)
Hardtanh = _pointwise(
    "Hardtanh",
    lambda xp, a, lo, hi: xp.clip(a, lo, hi),
    lambda x, lo, hi: _mask((x > lo) & (x < hi), x),
)
Hardsigmoid = _pointwise(
    "Hardsigmoid",
    lambda xp, a: xp.clip(a / 6 + 0.5, 0.0, 1.0),
    lambda x: _mask((x > -3) & (x < 3), x) / 6,
)
Hardswish = _pointwise(
    "Hardswish",
    lambda xp, a: a * xp.clip(a + 3, 0.0, 6.0) / 6,
    lambda x: where(x < -3, 0.0, where(x <= 3, x / 3 + 0.5, 1.0)).to(x.dtype),
)
Softshrink = _pointwise(
    "Softshrink",
    lambda xp, a, lambd: xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, _zero(xp, a))),
    lambda x, lambd: _mask(x.abs() > lambd, x),
)
Hardshrink = _pointwise(
    "Hardshrink",
    lambda xp, a, lambd: xp.where(xp.abs(a) > lambd, a, _zero(xp, a)),
    lambda x, lambd: _mask(x.abs() > lambd, x),
)
Threshold = _pointwise(
    "Threshold",
    lambda xp, a, th, value: xp.where(a > th, a, xp.asarray(value, dtype=a.dtype)),
    lambda x, th, value: _mask(x > th, x),
)


def _float(input):
    if input.dtype.category < 2:
        raise RuntimeError(f"activation functions are not implemented for integer tensors (got {input.dtype})")
    return input


def _run(op, input, inplace, *params):
    out = apply(op, (_float(input),), *params)
    return input._assign(out, op.__name__.lower() + "_") if inplace else out


# --- the rectifier family ---------------------------------------------------------------------
def relu(input, inplace=False):
    """``max(x, 0)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else input.relu()


def relu_(input):
    """In-place :func:`relu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.relu_(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to ``[min_val, max_val]``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hardtanh(ember.tensor([-3.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(Hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hardtanh_(ember.tensor([-3.0, 3.0]))
        tensor([-1.,  1.])
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.relu6(ember.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` if positive else ``negative_slope * x``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.leaky_relu(ember.tensor([-2.0, 2.0]), 0.1)
        tensor([-0.2000,  2.0000])
    """
    return _run(LeakyRelu, input, inplace, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.leaky_relu_(ember.tensor([-2.0, 2.0]), 0.5)
        tensor([-1.,  2.])
    """
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """Leaky ReLU with a learnable slope per channel (dimension 1), or one shared slope.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.prelu(ember.tensor([[-1.0, -1.0], [2.0, -2.0]]), ember.tensor([0.1, 0.5]))
        tensor([[-0.1000, -0.5000],
                [ 2.0000, -1.0000]])
    """
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else input.shape[0] if input.ndim == 1 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and channel size = {channels}.")
        if input.ndim >= 2:
            weight = weight.reshape((1, n) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: negative slopes drawn from ``U(lower, upper)`` in training, their mean otherwise.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.rrelu(ember.tensor([-3.0, 1.0]), 0.1, 0.3)
        tensor([-0.6000,  1.0000])
    """
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ..._creation import empty, ones_like

    # like torch: a slope (a double uniform) is drawn only for each element <= 0, in order
    negative = (input <= 0).detach()
    slopes = ones_like(input).detach()
    slopes[negative] = empty(int(negative.sum()), dtype=_dtype.float64, device=input.device).uniform_(lower, upper).to(input.dtype)
    out = where(input > 0, input, input * slopes)
    return input._assign(out, "rrelu_") if inplace else out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.rrelu_(ember.tensor([-4.0]), 0.25, 0.25, training=True)
        tensor([-1.])
    """
    return rrelu(input, lower, upper, training, inplace=True)


# --- exponential family -----------------------------------------------------------------------
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """``x`` if positive else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.elu(ember.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    return _run(Elu, input, inplace, alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.elu_(ember.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """Scaled ELU with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.selu(ember.tensor([-1.0, 1.0]))
        tensor([-1.1113,  1.0507])
    """
    return _run(Elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def selu_(input):
    """In-place :func:`selu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.selu_(ember.tensor([0.0]))
        tensor([0.])
    """
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """``x`` if positive else ``alpha * (exp(x / alpha) - 1)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.celu(ember.tensor([-1.0, 1.0]), alpha=2.0)
        tensor([-0.7869,  1.0000])
    """
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _run(Elu, input, inplace, alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.celu_(ember.tensor([3.0]))
        tensor([3.])
    """
    return celu(input, alpha, inplace=True)


# --- smooth gates ---------------------------------------------------------------------------------
def gelu(input, approximate="none"):
    """Gaussian error linear unit ``x * Phi(x)`` (``approximate='tanh'`` for the tanh approximation).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.gelu(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
        >>> F.gelu(ember.tensor([1.0]), approximate="tanh")
        tensor([0.8412])
    """
    if approximate == "none":
        return apply(Gelu, (_float(input),))
    if approximate == "tanh":
        return apply(GeluTanh, (_float(input),))
    raise RuntimeError(f"approximate argument must be either none or tanh. (got {approximate!r})")


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.silu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    return _run(Silu, input, inplace)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.mish(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """
    return _run(Mish, input, inplace)


def sigmoid(input):
    """The logistic function.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.sigmoid(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.tanh(ember.tensor([0.0]))
        tensor([0.])
    """
    return input.tanh()


def hardsigmoid(input, inplace=False):
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hardsigmoid(ember.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    return _run(Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hardswish(ember.tensor([-2.0, 1.0, 4.0]))
        tensor([-0.3333,  0.6667,  4.0000])
    """
    return _run(Hardswish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``; stable for large ``|x|``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.softplus(ember.tensor([-1e4, 0.0, 1e4]))
        tensor([0.0000e+00, 6.9315e-01, 1.0000e+04])
    """
    return apply(Softplus, (_float(input),), beta, threshold)


def softsign(input):
    """``x / (1 + |x|)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.softsign(ember.tensor([-1.0, 3.0]))
        tensor([-0.5000,  0.7500])
    """
    return input / (input.abs() + 1)


def logsigmoid(input):
    """``log(sigmoid(x))``, stable for large ``|x|``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.logsigmoid(ember.tensor([-1e4, 0.0, 1e4]))
        tensor([-1.0000e+04, -6.9315e-01,  0.0000e+00])
    """
    return apply(LogSigmoid, (_float(input),))


# --- shrinkage and thresholds ---------------------------------------------------------------------
def softshrink(input, lambd=0.5):
    """Shrink towards zero by ``lambd`` (values within ``lambd`` become 0).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.softshrink(ember.tensor([-1.0, 0.2, 1.0]))
        tensor([-0.5000,  0.0000,  0.5000])
    """
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return apply(Softshrink, (_float(input),), lambd)


def hardshrink(input, lambd=0.5):
    """Zero the values within ``lambd`` of zero.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.hardshrink(ember.tensor([-1.0, 0.2, 1.0]))
        tensor([-1.,  0.,  1.])
    """
    return apply(Hardshrink, (_float(input),), lambd)


def tanhshrink(input):
    """``x - tanh(x)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.tanhshrink(ember.tensor([0.0]))
        tensor([0.])
    """
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.threshold(ember.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return _run(Threshold, input, inplace, threshold, value)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.threshold_(ember.tensor([0.5, 2.0]), 1.0, 0.0)
        tensor([0., 2.])
    """
    return _run(Threshold, input, True, threshold, value)


# --- softmax family -------------------------------------------------------------------------------
def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
                  UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along ``dim`` (omitting ``dim`` warns, as in torch).

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.softmax(ember.tensor([[1.0, 1.0], [0.0, 1e4]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.0000, 1.0000]])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _sm.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log of the softmax along ``dim``, computed stably.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.log_softmax(ember.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _sm.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax of ``-x`` along ``dim``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.softmin(ember.tensor([0.0, 1e4]), dim=0)
        tensor([1., 0.])
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _sm.softmax(-input, dim)


def glu(input, dim=-1):
    """Gated linear unit: split ``dim`` in halves ``a, b`` and return ``a * sigmoid(b)``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.glu(ember.tensor([1.0, 2.0, 0.0, 0.0]))
        tensor([0.5000, 1.0000])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    lead = (slice(None),) * d
    return input[lead + (slice(0, n // 2),)] * input[lead + (slice(n // 2, n),)].sigmoid()


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution; ``hard`` gives one-hot samples with soft gradients.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> y = F.gumbel_softmax(ember.zeros(2, 5), hard=True); y.sum(-1).tolist()
        [1.0, 1.0]
    """
    from ..._creation import empty_like

    gumbels = -empty_like(logits).exponential_().log()
    soft = _sm.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    d = dim % soft.ndim
    ids = _arange_along(soft, d)
    index = soft.argmax(d, keepdim=True)
    onehot = (ids == index).to(soft.dtype)
    return onehot - soft.detach() + soft


def _arange_along(t, dim):
    from ..._creation import arange

    shape = [1] * t.ndim
    shape[dim] = t.shape[dim]
    return arange(t.shape[dim], device=t.device).reshape(shape)

