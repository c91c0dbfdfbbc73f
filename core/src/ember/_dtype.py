"""Ember's dtypes and torch's type-promotion rules.

Dtypes are plain descriptive objects; backends map them onto their own array
dtypes. numpy is used here only to describe dtypes on the host (finfo/iinfo).
"""

from __future__ import annotations

import numpy as _np

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
    "float32", "float64", "complex64", "complex128", "get_default_dtype",
    "set_default_dtype", "promote_types", "finfo", "iinfo", "result_type", "can_cast",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, such as ``ember.float32``.

    Example:
        >>> import ember
        >>> ember.float32.is_floating_point, ember.float32.itemsize
        (True, 4)
    """

    __slots__ = ("name", "itemsize", "category", "is_signed", "_rank")

    def __init__(self, name, itemsize, category, is_signed, rank):
        self.name = name
        self.itemsize = itemsize
        self.category = category
        self.is_signed = is_signed
        self._rank = rank

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_complex(self):
        return self.category == _COMPLEX

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float32: complex64, float64: complex128, float16: complex64}.get(self, self)

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


bool = dtype("bool", 1, _BOOL, False, 0)  # noqa: A001 - torch's name
uint8 = dtype("uint8", 1, _INT, False, 1)
int8 = dtype("int8", 1, _INT, True, 2)
int16 = dtype("int16", 2, _INT, True, 3)
int32 = dtype("int32", 4, _INT, True, 4)
int64 = dtype("int64", 8, _INT, True, 5)
float16 = dtype("float16", 2, _FLOAT, True, 6)
bfloat16 = dtype("bfloat16", 2, _FLOAT, True, 6)
float32 = dtype("float32", 4, _FLOAT, True, 7)
float64 = dtype("float64", 8, _FLOAT, True, 8)
complex64 = dtype("complex64", 8, _COMPLEX, True, 9)
complex128 = dtype("complex128", 16, _COMPLEX, True, 10)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
_NAMES = {d.name: d for d in ALL}
# torch's aliases
_ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
            "short": int16, "cfloat": complex64, "cdouble": complex128}


def _by_name(name):
    return _NAMES.get(name) or _ALIASES[name]


_default = [float32]


def get_default_dtype():
    """Return the default floating point dtype (``ember.float32`` unless changed).

    Example:
        >>> import ember
        >>> ember.get_default_dtype()
        ember.float32
    """
    return _default[0]


def set_default_dtype(d):
    """Set the default floating point dtype used for Python floats and ``rand``.

    Example:
        >>> import ember
        >>> ember.set_default_dtype(ember.float64); ember.tensor(1.0).dtype
        ember.float64
        >>> ember.set_default_dtype(ember.float32)
    """
    if not isinstance(d, dtype) or d.category != _FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def _promote_pair(a, b):
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo.itemsize * 2 > hi.itemsize:
            return complex128
        return hi
    if a.category == _INT:
        if a.is_signed == b.is_signed:
            return a if a.itemsize >= b.itemsize else b
        u, s = (a, b) if not a.is_signed else (b, a)
        if s.itemsize > u.itemsize:
            return s
        return {1: int16, 2: int32, 4: int64, 8: int64}[u.itemsize]
    if a.category == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize >= b.itemsize else b
    return a if a.itemsize >= b.itemsize else b


def promote_types(type1, type2):
    """Return the smallest dtype both ``type1`` and ``type2`` can be promoted to.

    Example:
        >>> import ember
        >>> ember.promote_types(ember.uint8, ember.int8)
        ember.int16
    """
    return _promote_pair(type1, type2)


def can_cast(from_, to):
    """Whether torch would allow casting ``from_`` to ``to`` in an in-place op.

    Example:
        >>> import ember
        >>> ember.can_cast(ember.float32, ember.int32)
        False
    """
    return from_.category <= to.category


_pybool = type(True)


def _category_of_scalar(v):
    if isinstance(v, _pybool):
        return _BOOL
    if isinstance(v, int):
        return _INT
    if isinstance(v, float):
        return _FLOAT
    if isinstance(v, complex):
        return _COMPLEX
    # numpy scalars and 0-d arrays are treated like Python numbers of their kind
    kind = getattr(getattr(v, "dtype", None), "kind", None)
    cat = {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT, "c": _COMPLEX}.get(kind)
    if cat is None:
        raise TypeError(f"unsupported operand type: {type(v).__name__}")
    return cat


def _default_of(category):
    return (bool, int64, _default[0], _default[0].to_complex())[category]


def result_type(*operands):
    """Torch's result dtype for an op over tensors and Python scalars.

    Dimensioned tensors win over zero-dimensional ones, which win over Python
    scalars, unless a lower-priority operand is of a higher category (bool <
    integer < floating < complex).

    Example:
        >>> import ember
        >>> ember.result_type(ember.tensor([1, 2]), 2.5)
        ember.float32
    """
    dims = zero = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dims = d if dims is None else _promote_pair(dims, d)
            else:
                zero = d if zero is None else _promote_pair(zero, d)
        else:
            c = _category_of_scalar(op)
            scalar_cat = c if c > scalar_cat else scalar_cat
    res = dims
    if zero is not None:
        if res is None:
            res = zero
        elif zero.category > res.category:
            res = res.to_complex() if zero.category == _COMPLEX and res.category == _FLOAT else zero
    if scalar_cat >= 0:
        if res is None:
            res = _default_of(scalar_cat)
        elif scalar_cat > res.category:
            res = _default_of(scalar_cat) if not (scalar_cat == _COMPLEX and res.category == _FLOAT) else res.to_complex()
    return res


class finfo:
    """Machine limits for a floating point dtype, like ``torch.finfo``.

    Example:
        >>> import ember
        >>> ember.finfo(ember.float32).eps
        1.1920928955078125e-07
        >>> ember.finfo(ember.float16)
        finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """

    def __init__(self, type=None):
        type = type or get_default_dtype()
        if type.category not in (_FLOAT, _COMPLEX):
            raise TypeError(f"ember.finfo() requires a floating point input type. Use ember.iinfo to handle '{type!r}'")
        real = type.to_real()
        self.dtype = real.name
        if real is bfloat16:
            self.bits, self.eps, self.max, self.tiny, precision = 16, 2.0 ** -7, 3.3895313892515355e38, 2.0 ** -126, 2
        else:
            info = _np.finfo(real.name)
            self.bits, self.eps, self.max = info.bits, float(info.eps), float(info.max)
            self.tiny, precision = float(info.smallest_normal), info.precision
        self.resolution = 10.0 ** -precision
        self.min = -self.max
        self.smallest_normal = self.tiny

    def __eq__(self, other):
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = object.__hash__

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits for an integer dtype, like ``torch.iinfo``.

    Example:
        >>> import ember
        >>> ember.iinfo(ember.int8)
        iinfo(min=-128, max=127, dtype=int8)
    """

    def __init__(self, type):
        if type is bool:
            raise TypeError(f"{type!r} is not supported by ember.iinfo")
        if type.category != _INT:
            raise TypeError(f"ember.iinfo() requires an integer input type. Use ember.finfo to handle '{type!r}'")
        info = _np.iinfo(type.name)
        self.bits, self.min, self.max, self.dtype = info.bits, int(info.min), int(info.max), type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = object.__hash__

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def to_dtype(value):
    """Normalise a dtype given as an ember dtype, a name or a numpy dtype."""
    if isinstance(value, dtype):
        return value
    if value is float:
        return float64
    if value is int:
        return int64
    if value is _pybool:
        return bool
    if isinstance(value, str):
        try:
            return _by_name(value.replace("ember.", "").replace("torch.", ""))
        except KeyError:
            raise TypeError(f"unknown dtype {value!r}") from None
    try:
        name = _np.dtype(value).name
    except TypeError:
        name = getattr(value, "name", str(value))
    try:
        return _by_name(name)
    except KeyError:
        raise TypeError(f"unsupported dtype {value!r}") from None


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "bfloat16": "BFloat16",
                 "complex64": "ComplexFloat", "complex128": "ComplexDouble", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def scalar_name(d):
    """Torch's scalar-type name of dtype ``d`` (``Float``, ``Long``, ...), as its error messages spell it.

    Example:
        >>> scalar_name(int64)
        'Long'
    """
    return _SCALAR_NAMES.get(d.name, d.name)
