"""Activation layers: thin modules over ``ember.nn.functional``.

The layers without settings (and those whose only setting is ``inplace``) are made by one
factory from a table; the rest are written out.
"""

from __future__ import annotations

from ..._creation import full
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish", "Hardswish",
    "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU",
    "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax",
]


def _inplace_repr(inplace, lead=""):
    if not inplace:
        return lead
    return f"{lead}, inplace=True" if lead else "inplace=True"


def _simple(name, fn, example, takes_inplace, shows_inplace):
    """An activation layer ``name`` computing ``fn(input)`` (``fn(input, inplace)`` if it takes ``inplace``)."""

    def __init__(self, inplace=False):
        Module.__init__(self)
        self.inplace = inplace

    def forward(self, input):
        return fn(input)

    def forward_inplace(self, input):
        return fn(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)

    doc = f"""Applies ``F.{fn.__name__}`` elementwise.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.{name}()(ember.tensor([-1.0, 0.0, 2.0]))
        {example}
    """
    body = {"forward": forward, "__doc__": doc, "__module__": __name__}
    if takes_inplace:
        body.update(__init__=__init__, forward=forward_inplace)
        if shows_inplace:
            body["extra_repr"] = extra_repr
    return type(name, (Module,), body)


# name, function, doctest output, takes ``inplace``, prints ``inplace``
_SIMPLE = [
    ("ReLU", F.relu, "tensor([0., 0., 2.])", True, True),
    ("SELU", F.selu, "tensor([-1.1113,  0.0000,  2.1014])", True, True),
    ("SiLU", F.silu, "tensor([-0.2689,  0.0000,  1.7616])", True, True),
    ("Mish", F.mish, "tensor([-0.3034,  0.0000,  1.9440])", True, False),
    ("Hardswish", F.hardswish, "tensor([-0.3333,  0.0000,  1.6667])", True, False),
    ("Hardsigmoid", F.hardsigmoid, "tensor([0.3333, 0.5000, 0.8333])", True, False),
    ("Sigmoid", F.sigmoid, "tensor([0.2689, 0.5000, 0.8808])", False, False),
    ("Tanh", F.tanh, "tensor([-0.7616,  0.0000,  0.9640])", False, False),
    ("LogSigmoid", F.logsigmoid, "tensor([-1.3133, -0.6931, -0.1269])", False, False),
    ("Softsign", F.softsign, "tensor([-0.5000,  0.0000,  0.6667])", False, False),
    ("Tanhshrink", F.tanhshrink, "tensor([-0.2384,  0.0000,  1.0360])", False, False),
]
for _spec in _SIMPLE:
    globals()[_spec[0]] = _simple(*_spec)


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Threshold(0.1, 20)(ember.tensor([0.0, 1.0]))
        tensor([20.,  1.])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"threshold={self.threshold}, value={self.value}")


class RReLU(Module):
    """Randomized leaky ReLU: slopes from ``U(lower, upper)`` in training, their mean in eval.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.RReLU(0.1, 0.3).eval()(ember.tensor([-1.0, 1.0]))
        tensor([-0.2000,  1.0000])
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"lower={self.lower}, upper={self.upper}")


class Hardtanh(Module):
    """Clamp to ``[min_val, max_val]``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Hardtanh(-2, 2)(ember.tensor([-3.0, 1.0, 3.0]))
        tensor([-2.,  1.,  2.])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.ReLU6()(ember.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class ELU(Module):
    """``x`` if positive else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.ELU()(ember.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class CELU(ELU):
    """``x`` if positive else ``alpha * (exp(x / alpha) - 1)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.CELU(2.0)(ember.tensor([-1.0]))
        tensor([-0.7869])
    """

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GLU(Module):
    """Gated linear unit over ``dim``: ``a * sigmoid(b)`` for the two halves ``a, b``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.GLU()(ember.ones(2, 4)).shape
        ember.Size([2, 2])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """Gaussian error linear unit (``approximate='tanh'`` for the tanh approximation).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.GELU()(ember.tensor([1.0]))
        tensor([0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _Shrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """Zero the values within ``lambd`` of zero.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Hardshrink()(ember.tensor([0.3, -2.0]))
        tensor([ 0., -2.])
    """

    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class Softshrink(_Shrink):
    """Shrink towards zero by ``lambd``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Softshrink()(ember.tensor([0.3, -2.0]))
        tensor([ 0.0000, -1.5000])
    """

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class LeakyReLU(Module):
    """``x`` if positive else ``negative_slope * x``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.LeakyReLU(0.1)(ember.tensor([-1.0, 1.0]))
        tensor([-0.1000,  1.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Softplus()(ember.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """Leaky ReLU with learnable slopes (one, or one per channel), initialised to ``init``.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.PReLU(3); m.weight.shape, m(-ember.ones(2, 3)).tolist()
        (ember.Size([3]), [[-0.25, -0.25, -0.25], [-0.25, -0.25, -0.25]])
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), init, device=device, dtype=dtype))

    def reset_parameters(self):
        """Set every slope back to ``init``."""
        from .. import init

        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class _SoftmaxBase(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """Softmax along ``dim``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Softmax(dim=1)(ember.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class Softmin(_SoftmaxBase):
    """Softmax of the negated input along ``dim``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Softmin(dim=0)(ember.tensor([0.0, 1e4]))
        tensor([1., 0.])
    """

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    """Log-softmax along ``dim``.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.LogSoftmax(dim=0)(ember.zeros(2))
        tensor([-0.6931, -0.6931])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels of a ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Softmax2d()(ember.zeros(1, 2, 3, 3))[0, :, 0, 0]
        tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise self._error(f"expects a 3D or 4D input (got {input.ndim}D)", ValueError)
        return F.softmax(input, -3, _stacklevel=5)
