"""Elementwise arithmetic and math: binary ops with torch's promotion, the unary float
functions, rounding, clamping, comparisons and selection.

Special functions (erf, lgamma, ...) live in :mod:`ember.ops.special`; logical, bitwise
and boolean tests in :mod:`ember.ops.bitwise`.
"""

from __future__ import annotations

import math

from .. import _autocast, _dtype
from .._tensor import Tensor, _make, apply
from ..autograd.node import Op
from ._registry import export
from ._util import cast, promote, scalar_like, sum_to


# --- helpers ----------------------------------------------------------------------------------
def _floating(x):
    """Torch promotes integer inputs of float-valued functions to the default dtype."""
    if x.dtype.category < 2:
        return cast(x, _dtype.get_default_dtype())
    return x


def _float_pair(op, a, b):
    """``(a, b)`` promoted together, then to the default float if both are integral."""
    a, b = promote(op, a, b)
    if a.dtype.category < 2:
        f = _dtype.get_default_dtype()
        a, b = cast(a, f), cast(b, f)
    return a, b


_NUMBERS = (int, float)
_HALVES = (_dtype.float16, _dtype.bfloat16)


def _in_float32(op, input, other):
    """``op`` (a product or quotient) of a 16-bit float tensor and a Python number as torch computes it: in
    float32 with the number unrounded, rounded once (numpy would first round the number to 16 bits, so
    ``half / 0.7`` would be a step off; sums do round the number first in torch too); else None."""
    if type(other) in _NUMBERS and isinstance(input, Tensor) and input.dtype in _HALVES:
        return cast(op(cast(input, _dtype.float32), other), input.dtype)
    if type(input) in _NUMBERS and isinstance(other, Tensor) and other.dtype in _HALVES:
        return cast(op(input, cast(other, _dtype.float32)), other.dtype)
    return None


def _is_bool(x):
    return x is True or x is False or getattr(x, "dtype", None) is _dtype.bool


def _need_tensor(op, name, position, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")


def _check_int_divisor(xp, b, op):
    if bool(xp.any(b == 0)):
        raise RuntimeError(f"ZeroDivisionError: integer division by zero in {op}")


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


def _times(x, y):
    """``x * y`` for tensors; straight to the primitive when the dtypes already agree (backward hot path)."""
    return apply(Mul, (x, y)) if x.dtype is y.dtype else x * y


class Mul(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return a * b

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        if g.dtype.category == 3:  # complex: torch's convention multiplies by the conjugate
            a, b = a.conj(), b.conj()
        return (sum_to(_times(g, b), a._data.shape) if na else None), (sum_to(_times(g, a), b._data.shape) if nb else None)


class Div(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return a / b

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        if g.dtype.category == 3:  # complex: torch's convention divides by the conjugate
            a, b = a.conj(), b.conj()
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
        ga = gb = None
        if na:  # d/da a**b = b * a**(b-1), taken as 0 where b == 0 (so 0**0 has gradient 0)
            ga = sum_to(where(b == 0, 0.0, g * b * a ** (b - 1)), a.shape)
        if nb:
            safe_log = where(a > 0, a, 1.0).log() if not a.is_complex() else a.log()
            gb = sum_to(g * a ** b * safe_log, b.shape)
        return ga, gb


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
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = other * alpha
    return apply(Sub, promote("sub", input, other))


export("subtract", inplace="subtract_")(sub)


@export(inplace=True)
def mul(input, other):
    """Elementwise product.

    Example:
        >>> import ember
        >>> ember.mul(ember.tensor([1, 2]), 1.5)
        tensor([1.5000, 3.0000])
    """
    wide = _in_float32(mul, input, other)
    if wide is not None:
        return wide
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
        wide = _in_float32(div, input, other)
        if wide is not None:
            return wide
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


@export(inplace=True)
def true_divide(input, other):
    """Division that always gives floats (``div`` without a rounding mode).

    Example:
        >>> import ember
        >>> ember.true_divide(ember.tensor([3]), 2)
        tensor([1.5000])
    """
    return div(input, other)


class IntDiv(Op):
    def forward(self, be, a, b, mode):
        xp = be.xp
        _check_int_divisor(xp, b, "div")
        q = xp.floor_divide(a, b)
        if mode == "trunc":
            r = a - q * b
            q = xp.where((r != 0) & ((a < 0) != (b < 0)), q + 1, q)  # a negative quotient rounds up
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


@export()
def float_power(input, exponent):
    """``input ** exponent`` computed in double precision (float64, or complex128).

    Example:
        >>> import ember
        >>> ember.float_power(ember.tensor([2, 3]), 2)
        tensor([4., 9.], dtype=ember.float64)
    """
    is_complex = any(getattr(v, "dtype", None) is not None and v.dtype.category == 3 or isinstance(v, complex)
                     for v in (input, exponent))
    dt = _dtype.complex128 if is_complex else _dtype.float64
    a = cast(input, dt) if isinstance(input, Tensor) else input
    b = cast(exponent, dt) if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


class Square(Op):
    torch_name = "PowBackward0"
    save_inputs = True

    def forward(self, be, a):
        return a * a

    def backward(self, g):
        (a,) = self.saved()
        return (g * (2 * a),)


@export(inplace=True)
def square(input):
    """``input * input`` (bool gives int64).

    Example:
        >>> import ember
        >>> ember.square(ember.tensor([3]))
        tensor([9])
    """
    if input.dtype is _dtype.bool:
        input = cast(input, _dtype.int64)
    return apply(Square, (input,))


# --- binary math: atan2, hypot, copysign, remainder, fmod ----------------------------------------
class Atan2(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return be.xp.atan2(a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        r2 = a * a + b * b
        return (sum_to(g * b / r2, a.shape) if na else None), (sum_to(-g * a / r2, b.shape) if nb else None)


class Hypot(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, b):
        return be.xp.hypot(a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        gy = g / self.output
        return (sum_to(gy * a, a.shape) if na else None), (sum_to(gy * b, b.shape) if nb else None)


class Copysign(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, b):
        return be.xp.copysign(a, b)

    def backward(self, g):
        a, _ = self.saved()
        # +-g where the sign was kept or flipped, 0 at a == 0
        return sum_to(g * a.sign() * self.output.sign(), a.shape), None


@export(inplace=True)
def atan2(input, other):
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant.

    Example:
        >>> import ember
        >>> ember.atan2(ember.tensor([1.0, 1.0]), ember.tensor([1.0, -1.0]))
        tensor([0.7854, 2.3562])
    """
    _need_tensor("atan2", "input", 1, input)
    _need_tensor("atan2", "other", 2, other)
    return apply(Atan2, _float_pair("atan2", input, other))


export("arctan2", inplace="arctan2_")(atan2)


@export(inplace=True)
def hypot(input, other):
    """``sqrt(input**2 + other**2)`` without overflow.

    Example:
        >>> import ember
        >>> ember.hypot(ember.tensor([3.0]), ember.tensor([4.0]))
        tensor([5.])
    """
    _need_tensor("hypot", "input", 1, input)
    _need_tensor("hypot", "other", 2, other)
    a, b = promote("hypot", input, other)
    if a.dtype.category < 2:
        raise RuntimeError(f"hypot: not implemented for '{a.dtype}' (floating point tensors only)")
    return apply(Hypot, (a, b))


@export(inplace=True)
def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other``.

    Example:
        >>> import ember
        >>> ember.copysign(ember.tensor([1.0, -2.0]), -0.0)
        tensor([-1., -2.])
    """
    return apply(Copysign, _float_pair("copysign", input, other))


def _fmod_kernel(xp, a, b):
    fn = getattr(xp, "fmod", None)
    if fn is not None:
        return fn(a, b)
    r = xp.remainder(xp.abs(a), xp.abs(b))  # exact for non-negative operands
    return xp.copysign(r, a) if xp.isdtype(a.dtype, "real floating") else xp.where(a < 0, -r, r)


_MODULO = {"remainder": (lambda xp, a, b: xp.remainder(a, b), "floor"),
           "fmod": (_fmod_kernel, "trunc")}


class Modulo(Op):
    """``remainder`` (sign of the divisor) and ``fmod`` (sign of the dividend)."""

    save_inputs = True

    def forward(self, be, a, b, kind):
        self.kind = kind
        if not be.xp.isdtype(a.dtype, ("real floating", "complex floating")):
            if be.xp.isdtype(a.dtype, "bool"):
                raise RuntimeError(f"{kind}: not implemented for 'Bool'")
            _check_int_divisor(be.xp, b, kind)
        return _MODULO[kind][0](be.xp, a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        gb = None
        if nb:
            q = (a / b).floor() if _MODULO[self.kind][1] == "floor" else (a / b).trunc()
            gb = sum_to(-g * q, b.shape)
        return (sum_to(g, a.shape) if na else None), gb

    def name(self):
        return f"{self.kind.capitalize()}Backward0"


@export(inplace=True)
def remainder(input, other):
    """Python's modulus: ``input - floor(input / other) * other`` (sign of ``other``).

    Example:
        >>> import ember
        >>> ember.remainder(ember.tensor([5, -5]), 3)
        tensor([2, 1])
    """
    return apply(Modulo, promote("remainder", input, other), "remainder")


@export(inplace=True)
def fmod(input, other):
    """C's modulus: ``input - trunc(input / other) * other`` (sign of ``input``).

    Example:
        >>> import ember
        >>> ember.fmod(ember.tensor([5, -5]), 3)
        tensor([ 2, -2])
    """
    return apply(Modulo, promote("fmod", input, other), "fmod")


# --- maximum, minimum, fmax, fmin --------------------------------------------------------
def _nan_ignoring(pick):
    def kernel(xp, a, b):
        native = getattr(xp, "f" + pick, None)
        if native is not None:
            return native(a, b)
        m = getattr(xp, pick + "imum")(a, b)
        return xp.where(xp.isnan(b), a, xp.where(xp.isnan(a), b, m))

    return kernel


_EXTREMA = {
    "maximum": lambda xp, a, b: xp.maximum(a, b),
    "minimum": lambda xp, a, b: xp.minimum(a, b),
    "fmax": _nan_ignoring("max"),
    "fmin": _nan_ignoring("min"),
}


class Extremum(Op):
    """Elementwise max/min. maximum and minimum split the gradient evenly on ties (as torch);
    fmax and fmin give it to ``input`` on ties and where ``other`` is nan."""

    save_inputs = True

    def forward(self, be, a, b, kind):
        self.kind = kind
        return _EXTREMA[kind](be.xp, a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        kind = self.kind
        zero = 0.0
        if kind in ("fmax", "fmin"):
            a_wins = ((a >= b) if kind == "fmax" else (a <= b)) | b.isnan()
            ga, gb = where(a_wins, g, zero), where(a_wins, zero, g)
        else:
            tie = a == b
            half = g / 2
            a_loses, b_loses = (a < b, b < a) if kind == "maximum" else (a > b, b > a)
            ga = where(tie, half, where(a_loses, zero, g))
            gb = where(tie, half, where(b_loses, zero, g))
        return (sum_to(ga, a.shape) if na else None), (sum_to(gb, b.shape) if nb else None)

    def name(self):
        return f"{self.kind.capitalize()}Backward0"


def _extremum(kind, summary, example, result):
    def fn(input, other):
        _need_tensor(kind, "input", 1, input)
        _need_tensor(kind, "other", 2, other)
        return apply(Extremum, promote(kind, input, other), kind)

    fn.__name__ = fn.__qualname__ = kind
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{kind}(ember.tensor({example[0]}), ember.tensor({example[1]}))
        {result}
    """
    return export(kind)(fn)


maximum = _extremum("maximum", "The elementwise maximum (nan if either is nan).",
                    ("[1.0, 5.0]", "[3.0, 2.0]"), "tensor([3., 5.])")
minimum = _extremum("minimum", "The elementwise minimum (nan if either is nan).",
                    ("[1.0, 5.0]", "[3.0, 2.0]"), "tensor([1., 2.])")
fmax = _extremum("fmax", "The elementwise maximum, ignoring a nan on one side.",
                 ("[1.0, float('nan')]", "[float('nan'), 2.0]"), "tensor([1., 2.])")
fmin = _extremum("fmin", "The elementwise minimum, ignoring a nan on one side.",
                 ("[1.0, float('nan')]", "[float('nan'), 2.0]"), "tensor([1., 2.])")


# --- lerp, addcmul, addcdiv, xlogy ---------------------------------------------------------
class Lerp(Op):
    """``lerp(start, end, weight)``, the weight a tensor (third input) or a Python number."""

    save_inputs = True

    def forward(self, be, start, end, weight):
        self.weight = weight
        diff = end - start
        # torch's two-sided formula: exact at weight 0 and 1
        if not hasattr(weight, "shape"):
            return start + weight * diff if -0.5 < weight < 0.5 else end - diff * (1 - weight)
        return be.xp.where(be.xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, g):
        start, end, *weight_tensor = self.saved()
        weight = weight_tensor[0] if weight_tensor else self.weight
        ns, ne = self.next[:2]
        grads = [sum_to(g * (1 - weight), start.shape) if ns else None,
                 sum_to(g * weight, end.shape) if ne else None]
        if weight_tensor:
            grads.append(sum_to(g * (end - start), weight.shape) if self.next[2] else None)
        return tuple(grads)


@export(inplace=True)
def lerp(input, end, weight):
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or a tensor.

    Example:
        >>> import ember
        >>> ember.lerp(ember.tensor([0.0, 10.0]), ember.tensor([10.0, 20.0]), 0.25)
        tensor([ 2.5000, 12.5000])
    """
    if end.dtype is not input.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for `end` but got dtype {end.dtype}")
    if not isinstance(weight, Tensor):
        return apply(Lerp, (input, end), weight)
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for `weight` but got dtype {weight.dtype}")
    return apply(Lerp, (input, end, weight))


@export(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``.

    Example:
        >>> import ember
        >>> ember.addcmul(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([3.0]), value=0.5)
        tensor([4.])
    """
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


@export(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``.

    Example:
        >>> import ember
        >>> ember.addcdiv(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([4.0]), value=2)
        tensor([2.])
    """
    if tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
        raise RuntimeError("addcdiv: integer division with addcdiv is not supported; cast tensor1 or tensor2 to a floating dtype")
    quot = tensor1 / tensor2
    return input + (quot if value == 1 else quot * value)


@export(inplace=True)
def xlogy(input, other):
    """``input * log(other)``, taken as 0 where ``input == 0`` (unless ``other`` is nan).

    Example:
        >>> import ember
        >>> ember.xlogy(ember.tensor([0.0, 2.0]), ember.tensor([0.0, 3.0]))
        tensor([0.0000, 2.1972])
    """
    x, y = _float_pair("xlogy", input, other)
    return x * where((x == 0) & (y == y), 1.0, y).log()


class LogAddExp(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, b):
        return be.xp.logaddexp(a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        y = self.output
        return (sum_to(g * (a - y).exp(), a.shape) if na else None), (sum_to(g * (b - y).exp(), b.shape) if nb else None)


@export()
def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` without overflow.

    Example:
        >>> import ember
        >>> ember.logaddexp(ember.tensor([0.0, 1000.0]), ember.tensor([0.0, 1000.0]))
        tensor([6.9315e-01, 1.0007e+03])
    """
    return apply(LogAddExp, _float_pair("logaddexp", input, other))


@export()
def logaddexp2(input, other):
    """``log2(2**input + 2**other)`` without overflow.

    Example:
        >>> import ember
        >>> ember.logaddexp2(ember.tensor([1.0]), ember.tensor([1.0]))
        tensor([2.])
    """
    a, b = _float_pair("logaddexp2", input, other)
    return logaddexp(a * _LN2, b * _LN2) / _LN2


# --- unary float functions: one table, one op class ---------------------------------------------
class _Unary(Op):
    """An elementwise float function: ``kernel(xp, a)``; ``grad(g, x, y)`` from input and/or output."""

    kernel = grad = None

    def forward(self, be, a):
        return self.kernel(be.xp, a)

    def backward(self, g):
        x = self.saved()[0] if self.save_inputs else None
        y = self.output if self.save_output else None
        return (self.grad(g, x, y),)


def _exp2(xp, a):
    fn = getattr(xp, "exp2", None)
    return fn(a) if fn is not None else xp.pow(2.0, a)


def _sigmoid(xp, a):
    """``1 / (1 + exp(-a))``, rounded as torch's kernel rounds it: 0 where ``exp(-a)`` overflows (float32
    below -88.72), without the overflow warning; float16 is computed in float32 and rounded once, as torch
    does; other types (complex, bfloat16) take the formula as it is."""
    half = getattr(xp, "float16", None)
    if half is not None and a.dtype == half:
        return xp.astype(_sigmoid(xp, xp.astype(a, xp.float32)), half)
    if a.dtype not in (xp.float32, xp.float64):
        return 1 / (1 + xp.exp(-a))
    neg = -a
    limit = math.log(float(xp.finfo(a.dtype).max))
    over = neg > limit
    zero = xp.zeros((), dtype=a.dtype)
    return xp.where(over, zero, 1 / (1 + xp.exp(xp.where(over, zero, neg))))


_LN2, _LN10 = math.log(2), math.log(10)

# name: (kernel, gradient, saves "x" and/or "y", summary, example input, example output)
_UNARY = {
    "exp": (lambda xp, a: xp.exp(a), lambda g, x, y: g * y, "y", "e raised to each element.",
            "[0.0, 1.0]", "tensor([1.0000, 2.7183])"),
    "exp2": (_exp2, lambda g, x, y: g * y * _LN2, "y", "2 raised to each element.",
             "[0.0, 3.0]", "tensor([1., 8.])"),
    "expm1": (lambda xp, a: xp.expm1(a), lambda g, x, y: g * (y + 1), "y", "``exp(x) - 1``, accurate near 0.",
              "[0.0, 1e-10]", "tensor([0.0000e+00, 1.0000e-10])"),
    "log": (lambda xp, a: xp.log(a), lambda g, x, y: g / x, "x", "Natural logarithm.",
            "[1.0]", "tensor([0.])"),
    "log2": (lambda xp, a: xp.log2(a), lambda g, x, y: g / (x * _LN2), "x", "Base-2 logarithm.",
             "[1.0, 8.0]", "tensor([0., 3.])"),
    "log10": (lambda xp, a: xp.log10(a), lambda g, x, y: g / (x * _LN10), "x", "Base-10 logarithm.",
              "[1.0, 10.0]", "tensor([0., 1.])"),
    "log1p": (lambda xp, a: xp.log1p(a), lambda g, x, y: g / (x + 1), "x", "``log(1 + x)``, accurate near 0.",
              "[0.0, 1e-10]", "tensor([0.0000e+00, 1.0000e-10])"),
    "sqrt": (lambda xp, a: xp.sqrt(a), lambda g, x, y: g / (2 * y), "y", "Square root.",
             "[4.0, 9.0]", "tensor([2., 3.])"),
    "rsqrt": (lambda xp, a: 1 / xp.sqrt(a), lambda g, x, y: g * -0.5 * y * y * y, "y", "``1 / sqrt(x)``.",
              "[4.0, 0.25]", "tensor([0.5000, 2.0000])"),
    "reciprocal": (lambda xp, a: 1 / a, lambda g, x, y: -g * y * y, "y", "``1 / x`` (integers give floats).",
                   "[2, 4]", "tensor([0.5000, 0.2500])"),
    "sin": (lambda xp, a: xp.sin(a), lambda g, x, y: g * x.cos(), "x", "Sine.",
            "[0.0, 1.0]", "tensor([0.0000, 0.8415])"),
    "cos": (lambda xp, a: xp.cos(a), lambda g, x, y: -g * x.sin(), "x", "Cosine.",
            "[0.0, 1.0]", "tensor([1.0000, 0.5403])"),
    "tan": (lambda xp, a: xp.tan(a), lambda g, x, y: g * (1 + y * y), "y", "Tangent.",
            "[0.0, 1.0]", "tensor([0.0000, 1.5574])"),
    "asin": (lambda xp, a: xp.asin(a), lambda g, x, y: g * (1 - x * x).rsqrt(), "x", "Inverse sine.",
             "[0.0, 1.0]", "tensor([0.0000, 1.5708])"),
    "acos": (lambda xp, a: xp.acos(a), lambda g, x, y: -g * (1 - x * x).rsqrt(), "x", "Inverse cosine.",
             "[0.0, 1.0]", "tensor([1.5708, 0.0000])"),
    "atan": (lambda xp, a: xp.atan(a), lambda g, x, y: g / (1 + x * x), "x", "Inverse tangent.",
             "[0.0, 1.0]", "tensor([0.0000, 0.7854])"),
    "sinh": (lambda xp, a: xp.sinh(a), lambda g, x, y: g * x.cosh(), "x", "Hyperbolic sine.",
             "[0.0, 1.0]", "tensor([0.0000, 1.1752])"),
    "cosh": (lambda xp, a: xp.cosh(a), lambda g, x, y: g * x.sinh(), "x", "Hyperbolic cosine.",
             "[0.0, 1.0]", "tensor([1.0000, 1.5431])"),
    "tanh": (lambda xp, a: xp.tanh(a), lambda g, x, y: g * (1 - y * y), "y", "Hyperbolic tangent.",
             "[0.0]", "tensor([0.])"),
    "asinh": (lambda xp, a: xp.asinh(a), lambda g, x, y: g * (x * x + 1).rsqrt(), "x", "Inverse hyperbolic sine.",
              "[0.0, 1.0]", "tensor([0.0000, 0.8814])"),
    "acosh": (lambda xp, a: xp.acosh(a), lambda g, x, y: g * (x * x - 1).rsqrt(), "x", "Inverse hyperbolic cosine.",
              "[1.0, 2.0]", "tensor([0.0000, 1.3170])"),
    "atanh": (lambda xp, a: xp.atanh(a), lambda g, x, y: g / (1 - x * x), "x", "Inverse hyperbolic tangent.",
              "[0.0, 0.5]", "tensor([0.0000, 0.5493])"),
    "sigmoid": (_sigmoid, lambda g, x, y: g * y * (1 - y), "y",
                "The logistic function ``1 / (1 + exp(-x))``, stable for large ``|x|``.",
                "[0.0]", "tensor([0.5000])"),
}
_ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
            "atanh": "arctanh"}


_AUTOCAST_FLOAT32 = {"exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt", "sinh", "cosh", "tan",
                     "asin", "acos", "erfinv"}  # torch's autocast runs these in float32


def _unary_function(name, op, summary, example, result):
    float32 = name in _AUTOCAST_FLOAT32

    def fn(input):
        if float32 and _autocast.active:
            (input,) = _autocast.full(name, input)
        return apply(op, (_floating(input),))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor({example}))
        {result}
    """
    return fn


def _bind_unary():
    for name, (kernel, grad, saves, summary, example, result) in _UNARY.items():
        op = type(name.capitalize(), (_Unary,), {
            "kernel": staticmethod(kernel), "grad": staticmethod(grad),
            "save_inputs": "x" in saves, "save_output": "y" in saves, "__module__": __name__,
        })
        fn = export(name, inplace=True)(_unary_function(name, op, summary, example, result))
        if name in _ALIASES:
            export(_ALIASES[name], inplace=_ALIASES[name] + "_")(fn)
        globals()[name] = fn
        globals()[op.__name__] = op


_bind_unary()


@export(inplace=True)
def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``.

    Example:
        >>> import ember
        >>> ember.logit(ember.tensor([0.25, 0.5, 1.0]), eps=1e-6)
        tensor([-1.0986,  0.0000, 13.8023])
    """
    p = _floating(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return (p / (1 - p)).log()


@export(inplace=True)
def sinc(input):
    """The normalized sinc ``sin(pi x) / (pi x)``, 1 at 0.

    Example:
        >>> import ember
        >>> ember.sinc(ember.tensor([0.0, 0.5]))
        tensor([1.0000, 0.6366])
    """
    x = _floating(input)
    zero = x == 0
    px = where(zero, 1.0, x * math.pi)
    return where(zero, 1.0, px.sin() / px)


def _scaled(name, factor, summary, example, result):
    def fn(input):
        return _floating(input) * factor

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor({example}))
        {result}
    """
    return export(name, inplace=True)(fn)


deg2rad = _scaled("deg2rad", math.pi / 180, "Degrees to radians.", "[180.0, 90]", "tensor([3.1416, 1.5708])")
rad2deg = _scaled("rad2deg", 180 / math.pi, "Radians to degrees.", "[3.141592653589793]", "tensor([180.])")


# --- sign-like and rounding ops (integer dtypes kept) ---------------------------------------------
class Neg(Op):
    def forward(self, be, a):
        return -a

    def backward(self, g):
        return (-g,)


class Abs(Op):
    save_inputs = True

    def forward(self, be, a):
        return be.xp.abs(a)

    def backward(self, g):
        (a,) = self.saved()
        return (g * a.sgn(),)  # abs'(0) = 0; sgn = a / |a| for complex (differentiable), sign for real


def _round(xp, a, decimals=0):
    if decimals == 0:
        return xp.round(a)
    scale = 10.0 ** (decimals if decimals > 0 else -decimals)
    return xp.round(a * scale) / scale if decimals > 0 else xp.round(a / scale) * scale


_STEPS = {
    "floor": lambda xp, a, d: xp.floor(a),
    "ceil": lambda xp, a, d: xp.ceil(a),
    "trunc": lambda xp, a, d: xp.trunc(a),
    "round": _round,
    "sign": lambda xp, a, d: xp.astype(a > 0, a.dtype) - xp.astype(a < 0, a.dtype),  # torch: sign(nan) = 0, sign(-0) = +0
}


class Step(Op):
    """Piecewise-constant functions (floor, ceil, trunc, round, sign): zero gradient."""

    def forward(self, be, a, kind, decimals):
        self.kind = kind
        return _STEPS[kind](be.xp, a, decimals)

    def backward(self, g):
        return (g.new_zeros(g.shape),)

    def name(self):
        return f"{self.kind.capitalize()}Backward0"


def _step_function(kind, summary, example, result):
    def fn(input):
        if input.dtype.category < 2:
            if input.dtype is _dtype.bool:
                raise RuntimeError(f"{kind}: not implemented for 'Bool'")
            return input.clone()  # integers are already whole
        return apply(Step, (input,), kind, 0)

    fn.__name__ = fn.__qualname__ = kind
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{kind}(ember.tensor({example}))
        {result}
    """
    return export(kind, inplace=True)(fn)


floor = _step_function("floor", "The largest integer not above each element.", "[-1.5, 1.5]", "tensor([-2.,  1.])")
ceil = _step_function("ceil", "The smallest integer not below each element.", "[-1.5, 1.5]", "tensor([-1.,  2.])")
trunc = _step_function("trunc", "Each element rounded towards zero.", "[-1.5, 1.5]", "tensor([-1.,  1.])")
export("fix", inplace="fix_")(trunc)


@export(inplace=True)
def round(input, *, decimals=0):
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds, ...).

    Example:
        >>> import ember
        >>> ember.round(ember.tensor([0.5, 1.5, 2.567])), ember.round(ember.tensor([1234.5]), decimals=-2)
        (tensor([0., 2., 3.]), tensor([1200.]))
    """
    if input.dtype.category < 2:
        if decimals != 0 or input.dtype is _dtype.bool:
            raise RuntimeError(f"round: not implemented for '{input.dtype}' with decimals={decimals}")
        return input.clone()
    return apply(Step, (input,), "round", decimals)


@export(inplace=True)
def sign(input):
    """-1, 0 or 1 by the sign of each element (bools are returned as they are).

    Example:
        >>> import ember
        >>> ember.sign(ember.tensor([-3.0, 0.0, 2.0]))
        tensor([-1.,  0.,  1.])
    """
    if input.dtype is _dtype.bool:
        return input.clone()
    return apply(Step, (input,), "sign", 0)


@export(inplace=True)
def sgn(input):
    """``sign`` extended to complex numbers: ``x / |x|`` (0 at 0).

    Example:
        >>> import ember
        >>> ember.sgn(ember.tensor([-2.0, 0.0, 5.0]))
        tensor([-1.,  0.,  1.])
    """
    if not input.is_complex():
        return sign(input)
    mag = input.abs()
    nonzero = mag != 0
    return where(nonzero, input / where(nonzero, mag, 1.0), 0.0)


@export(inplace=True)
def frac(input):
    """The fractional part ``x - trunc(x)`` (sign of ``x``).

    Example:
        >>> import ember
        >>> ember.frac(ember.tensor([1.25, -2.5]))
        tensor([ 0.2500, -0.5000])
    """
    if input.dtype.category < 2:
        raise RuntimeError(f"frac: not implemented for '{input.dtype}'")
    return input - input.trunc()


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
def abs(input):
    """Absolute value.

    Example:
        >>> import ember
        >>> ember.abs(ember.tensor([-1, 2]))
        tensor([1, 2])
    """
    if input.dtype is _dtype.bool:
        raise RuntimeError("abs: not implemented for 'Bool'")
    return apply(Abs, (input,))


export("absolute", inplace="absolute_")(abs)


class Masked(Op):
    """``g`` where ``mask`` (a bool array) holds, else 0: the backward of ReLU, and its own adjoint."""

    def forward(self, be, g, mask):
        self.mask = mask
        return be.masked(g, mask)

    def backward(self, h):
        return (apply(Masked, (h,), self.mask),)

    def name(self):
        return "ThresholdBackwardBackward0"


class Relu(Op):
    save_output = True

    def forward(self, be, a):
        return be.xp.maximum(a, be.xp.zeros((), dtype=a.dtype))

    def backward(self, g):
        return (apply(Masked, (g,), self.output._data > 0),)


@export(inplace=True)
def relu(input):
    """``max(input, 0)``.

    Example:
        >>> import ember
        >>> ember.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return apply(Relu, (input,))


# --- complex parts ------------------------------------------------------------------------------
class ComplexPart(Op):
    """real, imag and conj of a complex tensor; gradients in torch's convention (d/dx + i d/dy)."""

    def forward(self, be, a, part):
        self.part, self.complex_dtype = part, be.dtype_of(a)
        return getattr(be.xp, part)(a)

    def backward(self, g):
        if self.part == "conj":
            return (g.conj(),)
        g = g.to(self.complex_dtype)
        return (g if self.part == "real" else g * 1j,)

    def name(self):
        return f"{self.part.capitalize()}Backward0"


@export(method=False)
def real(input):
    """The real part (the tensor itself for real dtypes).

    Example:
        >>> import ember
        >>> ember.real(ember.tensor([1 + 2j, 3 - 1j]))
        tensor([1., 3.])
    """
    return apply(ComplexPart, (input,), "real") if input.is_complex() else input


@export(method=False)
def imag(input):
    """The imaginary part of a complex tensor.

    Example:
        >>> import ember
        >>> ember.imag(ember.tensor([1 + 2j, 3 - 1j]))
        tensor([ 2., -1.])
    """
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply(ComplexPart, (input,), "imag")


Tensor.real = property(real, doc="The real part (an attribute, as in torch).")
Tensor.imag = property(imag, doc="The imaginary part of a complex tensor (an attribute, as in torch).")


@export()
def conj(input):
    """The complex conjugate (the tensor itself for real dtypes).

    Example:
        >>> import ember
        >>> ember.conj(ember.tensor([1 + 2j]))
        tensor([1.-2.j])
    """
    return apply(ComplexPart, (input,), "conj") if input.is_complex() else input


export("conj_physical", inplace="conj_physical_")(conj)


@export("resolve_conj", "resolve_neg")
def resolve_conj(input):
    """``input`` itself: Ember never defers conjugation or negation to a lazy bit.

    Example:
        >>> import ember
        >>> ember.resolve_conj(ember.tensor([1 + 2j]))
        tensor([1.+2.j])
    """
    return input


@export()
def angle(input):
    """The argument of each element: ``atan2(imag, real)``; 0 or pi for real numbers.

    Example:
        >>> import ember
        >>> ember.angle(ember.tensor([-2.0, 3.0])), ember.angle(ember.tensor([1j]))
        (tensor([3.1416, 0.0000]), tensor([1.5708]))
    """
    if input.is_complex():
        return atan2(imag(input), real(input))
    x = _floating(input)
    return where(x.isnan(), x, where(x < 0, scalar_like(math.pi, x.dtype, x), 0.0))


@export()
def positive(input):
    """``+input``: the tensor itself.

    Example:
        >>> import ember
        >>> ember.positive(ember.tensor([-1, 2]))
        tensor([-1,  2])
    """
    if input.dtype is _dtype.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# --- clamp and nan_to_num ----------------------------------------------------------------------
class Clamp(Op):
    """clamp to Python-number bounds (None: no bound); the gradient passes where ``min <= x <= max``."""

    save_inputs = True

    def forward(self, be, a, lo, hi):
        self.lo, self.hi = lo, hi
        xp = be.xp
        if lo is not None:
            a = xp.maximum(a, lo)  # max-then-min: nan stays nan, min > max gives max (as torch)
        return a if hi is None else xp.minimum(a, hi)

    def backward(self, g):
        (x,) = self.saved()
        lo, hi = self.lo, self.hi
        keep = (x >= lo) if hi is None else (x <= hi) if lo is None else (x >= lo) & (x <= hi)
        return (where(keep, g, 0.0),)


class ClampTensor(Op):
    """One tensor bound: ``max(x, bound)`` for side 'min', ``min(x, bound)`` for side 'max'."""

    save_inputs = True

    def forward(self, be, a, bound, side):
        self.side = side
        return be.xp.maximum(a, bound) if side == "min" else be.xp.minimum(a, bound)

    def backward(self, g):
        x, b = self.saved()
        nx, nb = self.next
        keep = (x >= b) if self.side == "min" else (x <= b)
        return (sum_to(where(keep, g, 0.0), x.shape) if nx else None,
                sum_to(where(keep, 0.0, g), b.shape) if nb else None)

    def name(self):
        return "ClampBackward1"


_PLAIN_BOUND = (int, float, type(None))


@export(inplace=True)
def clamp(input, min=None, max=None):
    """Limit each element to ``[min, max]`` (numbers or broadcastable tensors; either may be None).

    Example:
        >>> import ember
        >>> ember.clamp(ember.tensor([-2.0, 0.5, 3.0]), min=0, max=1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if input.dtype.category == 2 and type(min) in _PLAIN_BOUND and type(max) in _PLAIN_BOUND:
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        return apply(Clamp, (input,), min, max)  # the common case: a float tensor keeps its dtype
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    dt = _dtype.result_type(input, *bounds)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return apply(Clamp, (cast(input, dt),), min, max)
    x = cast(input, dt)
    for b, side in ((min, "min"), (max, "max")):
        if b is not None:
            b = cast(b, dt) if isinstance(b, Tensor) else scalar_like(b, dt, x)
            x = apply(ClampTensor, (x, b), side)
    return x


export("clip", inplace="clip_")(clamp)


@export(inplace=True)
def clamp_min(input, min):
    """``clamp(input, min=min)``.

    Example:
        >>> import ember
        >>> ember.clamp_min(ember.tensor([-1.0, 2.0]), 0)
        tensor([0., 2.])
    """
    return clamp(input, min=min)


@export(inplace=True)
def clamp_max(input, max):
    """``clamp(input, max=max)``.

    Example:
        >>> import ember
        >>> ember.clamp_max(ember.tensor([-1.0, 2.0]), 0)
        tensor([-1.,  0.])
    """
    return clamp(input, max=max)


class NanToNum(Op):
    save_inputs = True

    def forward(self, be, a, nan, posinf, neginf):
        xp = be.xp
        fill = {v: xp.asarray(v, dtype=a.dtype) for v in (nan, posinf, neginf)}
        out = xp.where(xp.isnan(a), fill[nan], a)
        return xp.where(a == math.inf, fill[posinf], xp.where(a == -math.inf, fill[neginf], out))

    def backward(self, g):
        (x,) = self.saved()
        return (where(x.isfinite(), g, 0.0),)


@export(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace nan, +inf and -inf by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's extremes).

    Example:
        >>> import ember
        >>> ember.nan_to_num(ember.tensor([float("nan"), float("inf"), -1.0]), posinf=9.0)
        tensor([ 0.,  9., -1.])
    """
    if input.dtype.category < 2:
        return input.clone()
    info = _dtype.finfo(input.dtype)
    return apply(NanToNum, (input,), float(nan), info.max if posinf is None else float(posinf),
                 info.min if neginf is None else float(neginf))


# --- selection and comparison ----------------------------------------------------------
class Where(Op):
    def forward(self, be, cond, a, b):
        self.cond = cond
        self.shapes = (a.shape, b.shape)
        return be.xp.where(cond, a, b)

    def backward(self, g):
        c = _make(self.cond, g._be, g._device, _dtype.bool)
        zero = g.new_zeros(())
        _, na, nb = self.next
        return (None,
                sum_to(where(c, g, zero), self.shapes[0]) if na else None,
                sum_to(where(c, zero, g), self.shapes[1]) if nb else None)


@export(method=False)
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
        dt = _dtype.result_type(input, other)
        input, other = scalar_like(input, dt, like), scalar_like(other, dt, like)
    else:
        input, other = promote("where", input, other)
    return apply(Where, (condition, input, other))


def _where_method(self, condition, other):
    """``ember.where(condition, self, other)``.

    Example:
        >>> import ember
        >>> ember.tensor([1.0, 2.0]).where(ember.tensor([True, False]), 0.0)
        tensor([1., 0.])
    """
    return where(condition, self, other)


export("where", function=False)(_where_method)


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
