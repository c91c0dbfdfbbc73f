"""Elementwise arithmetic: binary ops with torch's promotion, unary math, comparisons."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export
from ._util import cast, promote, sum_to


# --- binary arithmetic ---------------------------------------------------------------
class Add(Op):
    def forward(self, be, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        na, nb = self.next
        return (sum_to(g, sa) if na else None), (sum_to(g, sb) if nb else None)


class Sub(Op):
    def forward(self, be, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        na, nb = self.next
        return (sum_to(g, sa) if na else None), (sum_to(-g, sb) if nb else None)


class Mul(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return a * b

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        return (sum_to(g * b, a.shape) if na else None), (sum_to(g * a, b.shape) if nb else None)


class Div(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return a / b

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        ga = sum_to(g / b, a.shape) if na else None
        gb = sum_to(-g * a / (b * b), b.shape) if nb else None
        return ga, gb


class Pow(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return be.xp.pow(a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        ga = sum_to(g * b * a ** (b - 1), a.shape) if na else None
        gb = None
        if nb:
            safe_log = where(a > 0, a, 1).log() if not a.is_complex() else a.log()
            gb = sum_to(g * a ** b * safe_log, b.shape)
        return ga, gb


def _float_pair(op, a, b):
    a, b = promote(op, a, b)
    if a.dtype.category < 2:
        f = _dtype.get_default_dtype()
        a, b = cast(a, f), cast(b, f)
    return a, b


@export(inplace=True)
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting and type promotion.

    Example:
        >>> import ember
        >>> ember.add(ember.tensor([1, 2]), ember.tensor([10, 20]), alpha=2)
        tensor([21, 42])
    """
    if alpha != 1:
        other = other * alpha
    a, b = promote("add", input, other)
    return apply(Add, (a, b))


@export(inplace=True)
def sub(input, other, *, alpha=1):
    """``input - alpha * other``.

    Example:
        >>> import ember
        >>> ember.sub(ember.tensor([5.0]), 2)
        tensor([3.])
    """
    if alpha != 1:
        other = other * alpha
    a, b = promote("sub", input, other)
    if a.dtype is _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
    return apply(Sub, (a, b))


export("subtract", inplace="subtract_")(sub)


@export(inplace=True)
def mul(input, other):
    """Elementwise product.

    Example:
        >>> import ember
        >>> ember.mul(ember.tensor([1, 2]), 1.5)
        tensor([1.5000, 3.0000])
    """
    a, b = promote("mul", input, other)
    return apply(Mul, (a, b))


export("multiply", inplace="multiply_")(mul)


@export(inplace=True)
def div(input, other, *, rounding_mode=None):
    """Elementwise division; integers give floats unless ``rounding_mode`` is 'trunc' or 'floor'.

    Example:
        >>> import ember
        >>> ember.div(ember.tensor([7, -7]), 2), ember.div(ember.tensor([7, -7]), 2, rounding_mode="floor")
        (tensor([ 3.5000, -3.5000]), tensor([ 3, -4]))
    """
    if rounding_mode is None:
        a, b = _float_pair("div", input, other)
        return apply(Div, (a, b))
    if rounding_mode == "trunc":
        a, b = promote("div", input, other)
        if a.dtype.category < 2:
            return apply(IntDiv, (a, b), "trunc")
        return (a / b).trunc()
    if rounding_mode == "floor":
        return floor_divide(input, other)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


export("divide", inplace="divide_")(div)
export("true_divide", inplace="true_divide_")(lambda input, other: div(input, other))


class IntDiv(Op):
    def forward(self, be, a, b, mode):
        xp = be.xp
        if (b == 0).any() if hasattr(b, "any") else bool(xp.any(b == 0)):
            raise RuntimeError("ZeroDivisionError")
        q = xp.floor_divide(a, b)
        if mode == "trunc":
            r = a - q * b
            q = xp.where((r != 0) & ((r < 0) != (b < 0)), q + 1, q)
        return q


@export(inplace=True)
def floor_divide(input, other):
    """Division rounded towards negative infinity.

    Example:
        >>> import ember
        >>> ember.floor_divide(ember.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    a, b = promote("floor_divide", input, other)
    if a.dtype.category < 2:
        return apply(IntDiv, (a, b), "floor")
    return (a / b).floor()


@export(inplace=True)
def pow(input, exponent):
    """``input ** exponent`` elementwise.

    Example:
        >>> import ember
        >>> ember.pow(ember.tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    if not isinstance(input, Tensor):
        a, b = promote("pow", input, exponent)
        return apply(Pow, (a, b))
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if input.dtype.category < 2 and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2 and input.dtype.category >= 2:
            return apply(Square, (input,))
    a, b = promote("pow", input, exponent)
    return apply(Pow, (a, b))


export("float_power", method=True)(lambda input, exponent: pow(cast(input, _dtype.float64) if isinstance(input, Tensor) else input, cast(exponent, _dtype.float64) if isinstance(exponent, Tensor) else exponent))


class Square(Op):
    save_inputs = True

    def forward(self, be, a):
        return a * a

    def backward(self, g):
        (a,) = self.saved()
        return (g * (2 * a),)


@export(inplace=True)
def square(input):
    """``input * input``.

    Example:
        >>> import ember
        >>> ember.square(ember.tensor([3]))
        tensor([9])
    """
    return apply(Square, (input,))


# --- unary math --------------------------------------------------------------------------
def _floating(x):
    """Torch promotes integer inputs of float-valued functions to the default dtype."""
    if x.dtype.category < 2:
        return cast(x, _dtype.get_default_dtype())
    return x


class Neg(Op):
    def forward(self, be, a):
        return -a

    def backward(self, g):
        return (-g,)


class Exp(Op):
    save_output = True

    def forward(self, be, a):
        return be.xp.exp(a)

    def backward(self, g):
        return (g * self.output,)


class Log(Op):
    save_inputs = True

    def forward(self, be, a):
        return be.xp.log(a)

    def backward(self, g):
        (a,) = self.saved()
        return (g / a,)


class Sqrt(Op):
    save_output = True

    def forward(self, be, a):
        return be.xp.sqrt(a)

    def backward(self, g):
        return (g / (2 * self.output),)


class Tanh(Op):
    save_output = True

    def forward(self, be, a):
        return be.xp.tanh(a)

    def backward(self, g):
        y = self.output
        return (g * (1 - y * y),)


class Sigmoid(Op):
    save_output = True

    def forward(self, be, a):
        xp = be.xp
        # split by sign so exp never overflows
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g):
        y = self.output
        return (g * y * (1 - y),)


class Abs(Op):
    save_inputs = True

    def forward(self, be, a):
        return be.xp.abs(a)

    def backward(self, g):
        (a,) = self.saved()
        return (g * a.sign(),)


class Sign(Op):
    def forward(self, be, a):
        return be.xp.sign(a)

    def backward(self, g):
        return (g * 0,)


class Relu(Op):
    save_output = True

    def forward(self, be, a):
        return be.xp.maximum(a, be.xp.zeros((), dtype=a.dtype))

    def backward(self, g):
        return (g * (self.output > 0),)


@export(inplace=True)
def neg(input):
    """``-input``.

    Example:
        >>> import ember
        >>> ember.neg(ember.tensor([1, -2]))
        tensor([-1,  2])
    """
    if input.dtype is _dtype.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(Neg, (input,))


export("negative", inplace="negative_")(neg)


@export(inplace=True)
def exp(input):
    """e raised to each element.

    Example:
        >>> import ember
        >>> ember.exp(ember.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183])
    """
    return apply(Exp, (_floating(input),))


@export(inplace=True)
def log(input):
    """Natural logarithm.

    Example:
        >>> import ember
        >>> ember.log(ember.tensor([1.0]))
        tensor([0.])
    """
    return apply(Log, (_floating(input),))


@export(inplace=True)
def sqrt(input):
    """Square root.

    Example:
        >>> import ember
        >>> ember.sqrt(ember.tensor([4.0, 9.0]))
        tensor([2., 3.])
    """
    return apply(Sqrt, (_floating(input),))


@export(inplace=True)
def tanh(input):
    """Hyperbolic tangent.

    Example:
        >>> import ember
        >>> ember.tanh(ember.tensor([0.0]))
        tensor([0.])
    """
    return apply(Tanh, (_floating(input),))


@export(inplace=True)
def sigmoid(input):
    """The logistic function ``1 / (1 + exp(-x))``, stable for large ``|x|``.

    Example:
        >>> import ember
        >>> ember.sigmoid(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return apply(Sigmoid, (_floating(input),))


@export(inplace=True)
def abs(input):
    """Absolute value.

    Example:
        >>> import ember
        >>> ember.abs(ember.tensor([-1, 2]))
        tensor([1, 2])
    """
    return apply(Abs, (input,))


export("absolute", inplace="absolute_")(abs)


@export(inplace=True)
def sign(input):
    """-1, 0 or 1 by the sign of each element.

    Example:
        >>> import ember
        >>> ember.sign(ember.tensor([-3.0, 0.0, 2.0]))
        tensor([-1.,  0.,  1.])
    """
    return apply(Sign, (input,))


@export(inplace=True)
def relu(input):
    """``max(input, 0)``.

    Example:
        >>> import ember
        >>> ember.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return apply(Relu, (input,))


# --- selection and comparison ----------------------------------------------------------
class Where(Op):
    def forward(self, be, cond, a, b):
        self.cond = cond
        self.shapes = (a.shape, b.shape)
        return be.xp.where(cond, a, b)

    def backward(self, g):
        from .._tensor import _make

        c = _make(self.cond, g._be, g._device, _dtype.bool)
        zero = g.new_zeros(())
        _, na, nb = self.next
        return (None,
                sum_to(where(c, g, zero), self.shapes[0]) if na else None,
                sum_to(where(c, zero, g), self.shapes[1]) if nb else None)


@export()
def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other``.

    Example:
        >>> import ember
        >>> ember.where(ember.tensor([True, False]), ember.tensor([1.0, 2.0]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    if condition.dtype is not _dtype.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ._util import scalar_like

        dt = _dtype.result_type(input, other)
        input, other = scalar_like(input, dt, like), scalar_like(other, dt, like)
    else:
        input, other = promote("where", input, other)
    return apply(Where, (condition, input, other))


class Compare(Op):
    def forward(self, be, a, b, fn):
        return fn(a, b)


def _comparison(name, fn, doc):
    def compare(input, other):
        a, b = promote(name, input, other)
        return apply(Compare, (a, b), fn)

    compare.__name__ = name
    compare.__doc__ = doc
    return compare


def _bind_comparisons():
    import operator

    specs = [
        ("eq", operator.eq, "==", "[True, False]"), ("ne", operator.ne, "!=", "[False, True]"),
        ("lt", operator.lt, "<", "[False, False]"), ("le", operator.le, "<=", "[True, False]"),
        ("gt", operator.gt, ">", "[False, True]"), ("ge", operator.ge, ">=", "[True, True]"),
    ]
    aliases = {"ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
    for name, fn, sym, result in specs:
        doc = f"""Elementwise ``input {sym} other`` as a bool tensor.

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor([1, 3]), ember.tensor([1, 2])).tolist()
        {result}
    """
        f = _comparison(name, fn, doc)
        export(name, inplace=name + "_")(f)
        if name in aliases:
            export(aliases[name], inplace=aliases[name] + "_")(f)
        globals()[name] = f


_bind_comparisons()


# --- copies ----------------------------------------------------------------------------------
class Clone(Op):
    def forward(self, be, a):
        return be.copy(a)

    def backward(self, g):
        return (g,)


@export()
def clone(input, *, memory_format=None):
    """A copy with its own storage; gradients flow back to ``input``.

    Example:
        >>> import ember
        >>> a = ember.zeros(2); b = a.clone(); b += 1; a
        tensor([0., 0.])
    """
    return apply(Clone, (input,))
