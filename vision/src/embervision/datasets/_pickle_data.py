"""Plain data out of a pickle without running it: the subset of the format that CIFAR's python batches use.

``pickle.load`` imports and calls whatever a file names. This reader walks the opcodes itself and
builds only dicts, lists, tuples, sets, numbers, strings, bytes and numpy arrays. A global the file
names is never imported: the few numpy reconstructors are recognised by name and re-implemented
here on ``np.frombuffer``, and any other name is refused with an error that says which.
"""

from __future__ import annotations

import ast
import struct

import numpy as np

__all__ = ["load_data"]

_ARRAY = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
_SCALAR = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}
_FROMBUFFER = {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}
_SETS = {(m, n): kind for m in ("builtins", "__builtin__") for n, kind in (("set", set), ("frozenset", frozenset))}
_EMPTY_BYTES = {("builtins", "bytes"), ("__builtin__", "bytes")}


class _Global(tuple):
    """A ``(module, name)`` the pickle refers to: never imported; :func:`_reduce` knows a few by name."""


class _Pending:
    """An object under construction: a numpy dtype or array waiting for its BUILD state."""

    def __init__(self, kind, arg):
        self.kind, self.arg, self.value = kind, arg, None


def _dtype(spec, state=None):
    dt = np.dtype(spec)
    if dt.hasobject:
        raise ValueError("refusing an object dtype")
    if state is not None and state[1] in "<>":
        dt = dt.newbyteorder(state[1])
    return dt


def _array(dtype, shape, raw, fortran=False):
    if isinstance(raw, str):  # a Python 2 byte string, decoded as latin-1 on the way in
        raw = raw.encode("latin1")
    dtype = dtype.value if isinstance(dtype, _Pending) else _dtype(dtype)
    shape = tuple(int(s) for s in shape)
    if dtype.itemsize * int(np.prod(shape)) != len(raw):
        raise ValueError(f"array data of {len(raw)} bytes does not fill shape {shape} of {dtype}")
    return np.frombuffer(bytes(raw), dtype=dtype).reshape(shape, order="F" if fortran else "C").copy(order="K")


def _reduce(func, args):
    if not isinstance(func, _Global):
        raise ValueError("refusing to call an object the pickle built")
    key = tuple(func)
    if key in _ARRAY:
        return _Pending("array", args)
    if key == ("numpy", "dtype"):
        return _Pending("dtype", args[0])
    if key in _SCALAR:
        return np.frombuffer(args[1].encode("latin1") if isinstance(args[1], str) else args[1],
                             dtype=args[0].value if isinstance(args[0], _Pending) else _dtype(args[0]))[0]
    if key in _FROMBUFFER:
        return _array(args[1], args[2], args[0], args[3] == "F")
    if key in _SETS:  # protocols below 4 pickle sets as set(list)
        return _SETS[key](*args)
    if key in _EMPTY_BYTES and not args:  # protocols below 3 pickle b"" as bytes()
        return b""
    if key == ("_codecs", "encode"):
        return args[0].encode(args[1] if len(args) > 1 else "utf-8")
    raise ValueError(f"refusing to load global {func[0]}.{func[1]}")


def _build(obj, state):
    if not isinstance(obj, _Pending):
        raise ValueError("refusing to set the state of an object")
    if obj.kind == "dtype":
        obj.value = _dtype(obj.arg, state)
    else:  # ndarray.__setstate__((version, shape, dtype, is_fortran, data))
        _, shape, dtype, fortran, raw = state if len(state) == 5 else (None, *state)
        value = _array(dtype, shape, raw, bool(fortran))
        # as numpy's __setstate__: the values in native byte order
        obj.value = value if value.dtype.isnative else value.astype(value.dtype.newbyteorder("="))
    return obj


def _done(value):
    """Replace every finished :class:`_Pending` by its value (containers may hold them)."""
    if isinstance(value, _Pending):
        if value.value is None:
            raise ValueError(f"an unfinished numpy {value.kind}")
        return value.value
    if isinstance(value, dict):
        return {_done(k): _done(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_done(v) for v in value]
    if isinstance(value, tuple) and not isinstance(value, _Global):
        return tuple(_done(v) for v in value)
    if isinstance(value, _Global):
        raise ValueError(f"refusing to load global {value[0]}.{value[1]}")
    return value


def _protocol0_int(text):
    """Protocol 0's INT line: ``00``/``01`` are False/True, anything else a decimal."""
    return {"00": False, "01": True}[text] if text in ("00", "01") else int(text)


def _quoted_bytes(text):
    """Protocol 0's STRING line: a quoted Python 2 string literal (read as a literal, never evaluated)."""
    value = ast.literal_eval("b" + text)
    if not isinstance(value, bytes):
        raise ValueError("a malformed STRING")
    return value


def load_data(data, encoding="latin1"):
    """The plain data a pickle holds, built without importing or calling anything it names.

    ``encoding`` decodes Python 2 byte strings, as ``pickle.load``'s argument does. Raises
    ``ValueError`` naming the problem for anything else: other globals, objects, truncated data.

    Example:
        >>> import pickle, numpy
        >>> from embervision.datasets._pickle_data import load_data
        >>> load_data(pickle.dumps({b"labels": [1, 2], b"data": numpy.arange(3, dtype=numpy.uint8)}, protocol=2))
        {b'labels': [1, 2], b'data': array([0, 1, 2], dtype=uint8)}
    """
    view = memoryview(data)
    pos, stack, marks, memo = 0, [], [], {}

    def take(n):
        nonlocal pos
        if pos + n > len(view):
            raise ValueError("the pickle ends early")
        chunk = view[pos:pos + n]
        pos += n
        return chunk

    def line():
        nonlocal pos
        end = bytes(view[pos:]).find(b"\n")
        if end < 0:
            raise ValueError("the pickle ends early")
        text = bytes(view[pos:pos + end]).decode("latin1")
        pos += end + 1
        return text

    def num(fmt):
        return struct.unpack(fmt, take(struct.calcsize(fmt)))[0]

    def since_mark():
        if not marks:
            raise ValueError("an opcode needs a MARK that is not there")
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    def pop():
        if not stack:
            raise ValueError("an opcode needs a value on an empty stack")
        return stack.pop()

    def text(raw):
        return bytes(raw).decode(encoding) if encoding != "bytes" else bytes(raw)

    pushers = {
        b"N": lambda: None, b"\x88": lambda: True, b"\x89": lambda: False,
        b"}": dict, b"]": list, b")": tuple, b"\x8f": set,
        b"J": lambda: num("<i"), b"K": lambda: num("<B"), b"M": lambda: num("<H"),
        b"\x8a": lambda: int.from_bytes(take(num("<B")), "little", signed=True),
        b"\x8b": lambda: int.from_bytes(take(num("<i")), "little", signed=True),
        b"G": lambda: num(">d"),
        b"X": lambda: str(take(num("<I")), "utf-8", "surrogatepass"),
        b"\x8c": lambda: str(take(num("<B")), "utf-8", "surrogatepass"),
        b"\x8d": lambda: str(take(num("<Q")), "utf-8", "surrogatepass"),
        b"B": lambda: bytes(take(num("<I"))), b"C": lambda: bytes(take(num("<B"))),
        b"\x8e": lambda: bytes(take(num("<Q"))), b"\x96": lambda: bytearray(take(num("<Q"))),
        b"T": lambda: text(take(num("<i"))), b"U": lambda: text(take(num("<B"))),
        b"I": lambda: _protocol0_int(line()), b"L": lambda: int(line().rstrip("L")), b"F": lambda: float(line()),
        b"S": lambda: text(_quoted_bytes(line())),
        b"V": lambda: line().encode("latin1").decode("raw-unicode-escape"),
        b"c": lambda: _Global((line(), line())),
    }
    while True:
        op = bytes(take(1))
        if op in pushers:
            stack.append(pushers[op]())
        elif op == b"\x80":  # PROTO
            if num("<B") > 5:
                raise ValueError("an unknown pickle protocol")
        elif op == b"\x95":  # FRAME: only a length prefix
            take(8)
        elif op == b".":  # STOP
            if len(stack) != 1:
                raise ValueError("a malformed pickle (stack not one value at STOP)")
            return _done(stack[0])
        elif op == b"(":
            marks.append(len(stack))
        elif op in (b"q", b"r", b"p", b"\x94"):  # BINPUT, LONG_BINPUT, PUT, MEMOIZE
            key = {b"q": lambda: num("<B"), b"r": lambda: num("<I"), b"p": lambda: int(line()),
                   b"\x94": lambda: len(memo)}[op]()
            if not stack:
                raise ValueError("an opcode needs a value on an empty stack")
            memo[key] = stack[-1]
        elif op in (b"h", b"j", b"g"):  # BINGET, LONG_BINGET, GET
            key = {b"h": lambda: num("<B"), b"j": lambda: num("<I"), b"g": lambda: int(line())}[op]()
            if key not in memo:
                raise ValueError(f"a memo reference {key} to nothing")
            stack.append(memo[key])
        elif op in (b"\x85", b"\x86", b"\x87"):  # TUPLE1-3
            n = op[0] - 0x84
            if len(stack) < n:
                raise ValueError("an opcode needs more values than the stack holds")
            items = tuple(stack[len(stack) - n:])
            del stack[len(stack) - n:]
            stack.append(items)
        elif op == b"t":
            stack.append(tuple(since_mark()))
        elif op == b"l":
            stack.append(since_mark())
        elif op == b"d":
            items = since_mark()
            stack.append(dict(zip(items[::2], items[1::2])))
        elif op in (b"a", b"e"):  # APPEND, APPENDS
            items = [pop()] if op == b"a" else since_mark()
            target = pop()
            if not isinstance(target, list):
                raise ValueError("APPEND to something that is not a list")
            target.extend(items)
            stack.append(target)
        elif op in (b"s", b"u"):  # SETITEM, SETITEMS
            items = [*reversed([pop(), pop()])] if op == b"s" else since_mark()
            target = pop()
            if not isinstance(target, dict) or len(items) % 2:
                raise ValueError("SETITEM on something that is not a dict")
            for k, v in zip(items[::2], items[1::2]):
                target[k] = v
            stack.append(target)
        elif op == b"\x90":  # ADDITEMS
            items = since_mark()
            target = pop()
            if not isinstance(target, set):
                raise ValueError("ADDITEMS to something that is not a set")
            target.update(items)
            stack.append(target)
        elif op == b"\x91":  # FROZENSET
            stack.append(frozenset(since_mark()))
        elif op == b"\x93":  # STACK_GLOBAL
            name, module = pop(), pop()
            stack.append(_Global((module, name)))
        elif op == b"R":  # REDUCE
            args, func = pop(), pop()
            stack.append(_reduce(func, args))
        elif op == b"b":  # BUILD
            state = pop()
            stack.append(_build(pop(), state))
        else:
            raise ValueError(f"refusing pickle opcode {op!r}: only plain data and numpy arrays are read")
