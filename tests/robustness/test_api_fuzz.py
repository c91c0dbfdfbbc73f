"""Public API inputs: core ops called with random shapes, dtypes and argument values, valid or not.

Each call either returns the numpy reference's values, or raises a clean
Python exception (TypeError, ValueError, IndexError, RuntimeError); never an
internal error (AttributeError, KeyError, ...) from Ember's own code. Inputs
the reference refuses but Ember accepts (``keepdim=None``, ``dim=[0]``) are
counted, not failed: torch accepts some of them too.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import ember
from robustness_kit import EXAMPLES, fuzz_settings, record

CLEAN = (TypeError, ValueError, IndexError, RuntimeError)
DTYPES = {"float32": ember.float32, "float64": ember.float64, "int64": ember.int64, "int32": ember.int32,
          "bool": ember.bool}
JUNK = (None, "x", 1.5, -7, 99, (1, 2), [0], True)


def _dims(a):
    return max(a.ndim, 1)  # torch lets a 0-d tensor take dim 0 or -1


def _axis(a, dim):
    """numpy's axis for torch's ``dim`` (raising like torch for out-of-range and non-integer dims)."""
    if type(dim) is not int:
        raise TypeError(f"dim must be an int, got {dim!r}")
    if not -_dims(a) <= dim < _dims(a):
        raise IndexError(f"dim {dim} out of range")
    return None if a.ndim == 0 else dim


def _ref_reduce(fn):
    def ref(a, dim, keepdim):
        axis = _axis(a, dim)
        if type(keepdim) is not bool:
            raise TypeError("keepdim must be a bool")
        return fn(a, axis=axis, keepdims=keepdim)
    return ref


def _ref_reshape(a, shape):
    if not all(type(s) is int for s in shape) or sum(s == -1 for s in shape) > 1 or any(s < -1 for s in shape):
        raise ValueError("invalid shape")
    return a.reshape(shape)


def _ref_transpose(a, d0, d1):
    return np.swapaxes(a, _axis(a, d0) or 0, _axis(a, d1) or 0) if a.ndim else a


def _ref_unsqueeze(a, dim):
    if type(dim) is not int or not -a.ndim - 1 <= dim <= a.ndim:
        raise IndexError("dim out of range")
    return np.expand_dims(a, dim)


def _ref_cat(a, b, dim):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("zero-dimensional tensors cannot be concatenated")
    return np.concatenate([a, b], axis=_axis(a, dim))


def _ref_matmul(a, b):
    if a.ndim == 0 or b.ndim == 0 or a.dtype != b.dtype or a.dtype == np.bool_:
        raise RuntimeError("matmul needs tensors of at least one dimension and one dtype")
    return np.matmul(a, b)


def _ref_index(a, i):
    if a.ndim == 0:
        raise IndexError("invalid index of a 0-dim tensor")
    return a[i]


UNARY = {
    "neg": (lambda t: -t, lambda a: -a if a.dtype != np.bool_ else _raise()),
    "abs": (ember.abs, np.abs),
    "exp": (ember.exp, lambda a: np.exp(a.astype(np.float64))),  # numpy gives float16 for bools; compare values
    "sqrt": (ember.sqrt, lambda a: np.sqrt(a.astype(np.float64))),
    "tanh": (ember.tanh, lambda a: np.tanh(a.astype(np.float64))),
    "flatten": (ember.flatten, lambda a: a.reshape(-1)),
}
BINARY = {
    "add": (ember.add, np.add),
    "sub": (ember.sub, lambda a, b: _raise() if np.bool_ in (a.dtype, b.dtype) else np.subtract(a, b)),
    "mul": (ember.mul, np.multiply),
    "div": (ember.div, lambda a, b: np.true_divide(a, b)),
    "maximum": (ember.maximum, np.maximum),
    "matmul": (ember.matmul, _ref_matmul),
}


def _raise():
    raise RuntimeError("not defined for this dtype")


SIZE = st.integers(0, 3)
SHAPES = st.lists(SIZE, min_size=0, max_size=3).map(tuple)
DIM = st.one_of(st.integers(-4, 4), st.sampled_from(JUNK))


@st.composite
def arrays(draw, shape=None):
    shape = draw(SHAPES) if shape is None else shape
    dtype = draw(st.sampled_from(sorted(DTYPES)))
    values = np.array(draw(st.lists(st.integers(-4, 4), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape)))), dtype=np.int64).reshape(shape)
    return values.astype(dtype)


@st.composite
def calls(draw):
    """``(op name, ember thunk, numpy thunk)``."""
    kind = draw(st.sampled_from(["unary", "binary", "sum", "amax", "mean", "reshape", "transpose", "unsqueeze",
                                 "cat", "index"]))
    a = draw(arrays())
    if kind == "unary":
        name = draw(st.sampled_from(sorted(UNARY)))
        fn, ref = UNARY[name]
        return name, lambda d: fn(ember.tensor(a, device=d)), lambda: ref(a)
    if kind in ("binary", "cat"):
        b_shape = draw(st.one_of(st.just(a.shape), SHAPES, st.just(a.shape[1:])))
        b = draw(arrays(b_shape))
        if kind == "cat":
            dim = draw(DIM)
            return "cat", (lambda d: ember.cat([ember.tensor(a, device=d), ember.tensor(b, device=d)], dim)), \
                (lambda: _ref_cat(a, b, dim))
        name = draw(st.sampled_from(sorted(BINARY)))
        fn, ref = BINARY[name]
        return name, lambda d: fn(ember.tensor(a, device=d), ember.tensor(b, device=d)), lambda: ref(a, b)
    if kind in ("sum", "amax", "mean"):
        dim, keepdim = draw(DIM), draw(st.one_of(st.booleans(), st.sampled_from(JUNK)))
        ref = {"sum": np.sum, "amax": np.max, "mean": np.mean}[kind]
        return kind, (lambda d: getattr(ember, kind)(ember.tensor(a, device=d), dim, keepdim)), \
            (lambda: _ref_reduce(ref)(a, dim, keepdim))
    if kind == "reshape":
        shape = tuple(draw(st.lists(st.one_of(st.integers(-2, 6), st.sampled_from(JUNK)), max_size=4)))
        return kind, lambda d: ember.tensor(a, device=d).reshape(shape), lambda: _ref_reshape(a, shape)
    if kind == "transpose":
        d0, d1 = draw(DIM), draw(DIM)
        return kind, lambda d: ember.tensor(a, device=d).transpose(d0, d1), lambda: _ref_transpose(a, d0, d1)
    if kind == "unsqueeze":
        dim = draw(DIM)
        return kind, lambda d: ember.tensor(a, device=d).unsqueeze(dim), lambda: _ref_unsqueeze(a, dim)
    i = draw(st.one_of(st.integers(-5, 5), st.sampled_from(JUNK)))
    return "index", lambda d: ember.tensor(a, device=d)[i], lambda: _ref_index(a, i)


def test_core_ops_never_fail_internally(device):
    @fuzz_settings(max(EXAMPLES // 2, 100))
    @given(calls())
    def one(call):
        name, run, ref = call
        try:
            with np.errstate(all="ignore"):
                expected, ref_error = ref(), None
        except Exception as exc:  # noqa: BLE001 - numpy's verdict, compared below
            expected, ref_error = None, exc
        try:
            got, error = run(device), None
        except Exception as exc:  # noqa: BLE001 - classified below
            got, error = None, exc
        if error is not None:
            clean = isinstance(error, CLEAN)
            record("public API", name, "FAILED" if not clean else "clean error" if ref_error is not None
                   else "clean error (torch-stricter than numpy)")
            assert clean, f"{name}: internal {type(error).__name__}: {error}"
            return
        if ref_error is not None:  # e.g. keepdim=None, or a dtype numpy refuses: nothing to compare with
            record("public API", name, "accepted (numpy reference refuses)")
            return
        actual = got.cpu().numpy() if isinstance(got, ember.Tensor) else np.asarray(got)
        ok = actual.shape == np.shape(expected) and np.allclose(actual.astype(np.float64),
                                                                np.asarray(expected, dtype=np.float64),
                                                                rtol=1e-5, atol=1e-6, equal_nan=True)
        record("public API", name, "matches numpy" if ok else "FAILED")
        assert ok, f"{name}: got {actual!r}, numpy gives {expected!r}"

    one()
