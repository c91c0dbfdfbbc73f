"""Logical and bitwise ops, and boolean tests (isnan, isclose, equal, ...)."""

from __future__ import annotations

import math

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export
from ._util import promote


class Elementwise(Op):
    """A non-differentiable elementwise kernel ``fn(xp, *arrays, *args)`` (bool or integer results)."""

    def forward(self, be, *arrays_and_fn):
        *arrays, fn = arrays_and_fn
        return fn(be.xp, *arrays)


def _run(fn, *tensors):
    return apply(Elementwise, tensors, fn)


def _doc(fn, name, summary, call, result):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{call}
        {result}
    """
    return fn


# --- logical ---------------------------------------------------------------------------------
def _truth(xp, a):
    return xp.astype(a, xp.bool, copy=False)


def _logical(name, kernel, sym):
    def fn(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        return _run(lambda xp, a, b: kernel(xp)(_truth(xp, a), _truth(xp, b)), *promote(name, input, other))

    return export(name, inplace=True)(_doc(fn, name, f"Elementwise ``bool(input) {sym} bool(other)``.",
                                           f"{name}(ember.tensor([0, 1, 2]), ember.tensor([1.0, 1.0, 0.0]))",
                                           _LOGICAL_RESULTS[name]))


_LOGICAL_RESULTS = {"logical_and": "tensor([False,  True, False])", "logical_or": "tensor([True, True, True])",
                    "logical_xor": "tensor([ True, False,  True])"}
logical_and = _logical("logical_and", lambda xp: xp.logical_and, "and")
logical_or = _logical("logical_or", lambda xp: xp.logical_or, "or")
logical_xor = _logical("logical_xor", lambda xp: xp.logical_xor, "xor")


@export(inplace=True)
def logical_not(input):
    """Elementwise ``not bool(input)``.

    Example:
        >>> import ember
        >>> ember.logical_not(ember.tensor([0.0, 2.0]))
        tensor([ True, False])
    """
    return _run(lambda xp, a: xp.logical_not(_truth(xp, a)), input)


# --- bitwise ----------------------------------------------------------------------------------
def _integral(name, *tensors):
    for t in tensors:
        if t.dtype.category > 1:
            raise RuntimeError(f"{name}: not implemented for '{t.dtype}' (integer and bool tensors only)")


def _shift(xp, a, b, left):
    """Shifts with torch's out-of-range rule: left by >= bits (or < 0) gives 0, right gives the sign fill."""
    bits = xp.iinfo(a.dtype).bits
    out_of_range = (b < 0) | (b >= bits)
    amount = xp.where(out_of_range, bits - 1, b)
    if left:
        return xp.where(out_of_range, xp.zeros((), dtype=a.dtype), xp.bitwise_left_shift(a, amount))
    shifted = xp.bitwise_right_shift(a, amount)
    if xp.isdtype(a.dtype, "unsigned integer"):
        return xp.where(out_of_range, xp.zeros((), dtype=a.dtype), shifted)
    return shifted


_BITWISE = {
    "bitwise_and": (lambda xp, a, b: xp.bitwise_and(a, b), "&", "tensor([0, 0, 2])"),
    "bitwise_or": (lambda xp, a, b: xp.bitwise_or(a, b), "|", "tensor([3, 5, 7])"),
    "bitwise_xor": (lambda xp, a, b: xp.bitwise_xor(a, b), "^", "tensor([3, 5, 5])"),
    "bitwise_left_shift": (lambda xp, a, b: _shift(xp, a, b, True), "<<", "tensor([ 4,  8, 48])"),
    "bitwise_right_shift": (lambda xp, a, b: _shift(xp, a, b, False), ">>", "tensor([0, 2, 0])"),
}


def _bitwise(name, kernel, sym, result):
    shift = "shift" in name

    def fn(input, other):
        a, b = promote(name, input, other)
        _integral(name, a)
        if shift and a.dtype is _dtype.bool:
            raise RuntimeError(f"{name}: not implemented for 'ember.bool'")
        return _run(kernel, a, b)

    return export(name, inplace=True)(_doc(fn, name, f"Elementwise ``input {sym} other`` on integers and bools.",
                                           f"{name}(ember.tensor([1, 4, 6]), ember.tensor([2, 1, 3]))", result))


def _bind_bitwise():
    for name, spec in _BITWISE.items():
        globals()[name] = _bitwise(name, *spec)


_bind_bitwise()


@export(inplace=True)
def bitwise_not(input):
    """Elementwise ``~input``: bit inversion for integers, logical not for bools.

    Example:
        >>> import ember
        >>> ember.bitwise_not(ember.tensor([0, 5])), ember.bitwise_not(ember.tensor([True]))
        (tensor([-1, -6]), tensor([False]))
    """
    _integral("bitwise_not", input)
    return _run(lambda xp, a: xp.bitwise_invert(a), input)


# --- boolean tests ------------------------------------------------------------------------------
def _floats_only(kernel, otherwise):
    """Apply ``kernel`` to float/complex arrays; integers and bools give the constant ``otherwise``."""

    def fn(xp, a):
        if xp.isdtype(a.dtype, ("real floating", "complex floating")):
            return kernel(xp, a)
        return xp.full(a.shape, otherwise, dtype=xp.bool)

    return fn


_TESTS = {
    "isnan": (_floats_only(lambda xp, a: xp.isnan(a), False), "nan", "[False, False,  True, False]"),
    "isinf": (_floats_only(lambda xp, a: xp.isinf(a), False), "+-inf", "[False,  True, False,  True]"),
    "isposinf": (_floats_only(lambda xp, a: a == math.inf, False), "+inf", "[False,  True, False, False]"),
    "isneginf": (_floats_only(lambda xp, a: a == -math.inf, False), "-inf", "[False, False, False,  True]"),
    "isfinite": (_floats_only(lambda xp, a: xp.isfinite(a), True), "finite", "[ True, False, False, False]"),
    "signbit": (lambda xp, a: xp.signbit(a) if xp.isdtype(a.dtype, "real floating") else a < 0, "negative (-0.0 too)",
                "[False, False, False,  True]"),
}


def _test(name, kernel, what, result):
    def fn(input):
        return _run(kernel, input)

    return export(name)(_doc(fn, name, f"Whether each element is {what}.",
                             f"{name}(ember.tensor([1.0, float('inf'), float('nan'), -float('inf')]))",
                             f"tensor({result})"))


def _bind_tests():
    for name, spec in _TESTS.items():
        globals()[name] = _test(name, *spec)


_bind_tests()


@export()
def isreal(input):
    """Whether each element has a zero imaginary part (always true for real dtypes).

    Example:
        >>> import ember
        >>> ember.isreal(ember.tensor([1.0, 2.0]))
        tensor([True, True])
    """
    return _run(lambda xp, a: xp.imag(a) == 0 if xp.isdtype(a.dtype, "complex floating")
                else xp.full(a.shape, True, dtype=xp.bool), input)


def _isclose_kernel(xp, a, b, rtol, atol, equal_nan):
    close = a == b
    if equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    if xp.isdtype(a.dtype, "bool"):
        return close
    if not xp.isdtype(a.dtype, ("real floating", "complex floating")):
        a, b = xp.astype(a, xp.float64), xp.astype(b, xp.float64)
    err = xp.abs(a - b)
    return close | (xp.isfinite(err) & (err <= atol + rtol * xp.abs(b)))


@export()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``|input - other| <= atol + rtol * |other|`` elementwise (infinities must match exactly).

    Example:
        >>> import ember
        >>> ember.isclose(ember.tensor([1.0, 1.0, float("nan")]), ember.tensor([1.0 + 1e-6, 1.1, float("nan")]))
        tensor([ True, False, False])
    """
    if isinstance(other, Tensor) and other.dtype is not input.dtype:
        raise RuntimeError(f"isclose: {input.dtype} did not match {other.dtype}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol ({rtol}) and atol ({atol}) must be non-negative")
    a, b = promote("isclose", input, other)
    return _run(lambda xp, x, y: _isclose_kernel(xp, x, y, rtol, atol, equal_nan), a, b)


@export()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether :func:`isclose` holds everywhere, as a Python bool.

    Example:
        >>> import ember
        >>> ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-9]))
        True
    """
    close = isclose(input, other, rtol, atol, equal_nan)
    return bool(close._be.xp.all(close._data))


@export()
def equal(input, other):
    """Whether two tensors have the same shape and the same values, as a Python bool.

    Example:
        >>> import ember
        >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1.0, 2.0])), ember.equal(ember.ones(2), ember.ones(3))
        (True, False)
    """
    if input.shape != other.shape:
        return False
    same = input == other
    return bool(same._be.xp.all(same._data))


__all__ = ["logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not", "isreal", "isclose",
           "allclose", "equal", *_BITWISE, *_TESTS]
