"""Linear layers: Identity, Linear, LazyLinear, Bilinear."""

from __future__ import annotations

import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Identity", "Linear", "LazyLinear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Identity(54, unused="x")(ember.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _uniform_fan_in(tensor, fan_in):
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(tensor, -bound, bound)


class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out_features, in_features)`` initialised ``U(-1/sqrt(in), 1/sqrt(in))``.

    Example:
        >>> import ember, ember.nn as nn
        >>> fc = nn.Linear(20, 30)
        >>> fc(ember.randn(128, 20)).shape, fc.weight.shape, fc.bias.shape
        (ember.Size([128, 30]), ember.Size([30, 20]), ember.Size([30]))
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias with torch's default scheme (kaiming uniform with ``a=sqrt(5)``)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = init._calculate_fan_in_and_fan_out(self.weight)[0]
            _uniform_fan_in(self.bias, fan_in)

    def forward(self, input):
        try:
            return F.linear(input, self.weight, self.bias)
        except RuntimeError as exc:
            problem = self._diagnose(input, exc)
            if problem is None:
                raise
            raise problem from None

    def _diagnose(self, input, exc):
        """A clearer error naming this layer for a bad input, ending with torch's message (None: the failure is elsewhere)."""
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            return self._error(f"expected input with {self.in_features} features (in_features), got shape "
                               f"{tuple(input.shape)}: {exc}")
        if input.dtype is not self.weight.dtype:
            return self._error(f"got input of dtype {input.dtype} but its weight is {self.weight.dtype}: "
                               f"convert one of them, e.g. model.to({input.dtype})")
        return None

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is taken from the first input it sees.

    Example:
        >>> import ember, ember.nn as nn
        >>> fc = nn.LazyLinear(4)
        >>> fc(ember.ones(2, 7)).shape, fc.in_features, type(fc).__name__
        (ember.Size([2, 4]), 7, 'Linear')
    """

    cls_to_become = Linear
    _features_attr = "in_features"

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _features_of(self, input):
        return input.shape[-1]

    def _lazy_shapes(self):
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with weight ``(out, in1, in2)`` initialised ``U(-1/sqrt(in1), 1/sqrt(in1))``.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(ember.randn(128, 20), ember.randn(128, 30)).shape
        ember.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias from ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``."""
        _uniform_fan_in(self.weight, self.weight.shape[1])
        if self.bias is not None:
            _uniform_fan_in(self.bias, self.weight.shape[1])

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
