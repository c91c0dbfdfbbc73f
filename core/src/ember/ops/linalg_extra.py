"""Triangular solves and LU factorization (the primitives behind ``ember.linalg``'s solvers),
and the torch-level spellings of the newer ``ember.linalg`` functions.

Both primitives run on any array-API namespace: the triangular solve is a recursive block
substitution (matmuls on the off-diagonal blocks), the LU factorization LAPACK's ``getf2``
(partial pivoting, one rank-1 update per column), so results match LAPACK's pivot choices.
Their backward passes are written in Ember ops, so double backward works.
"""

from __future__ import annotations

import importlib
import warnings

from .._dtype import scalar_name
from .._tensor import apply
from ..autograd import _state
from ..autograd.node import Op
from ._registry import export


def require_floating(t, kernel):
    """Raise torch's NotImplementedError for a kernel that has no integer/bool version."""
    if t.dtype.category < 2:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_name(t.dtype)}\'')


def _linalg():
    return importlib.import_module("ember.linalg")


# --- triangular solve --------------------------------------------------------------------------
_BLOCK = 8  # below this size the substitution runs row by row


def _trsm(xp, a, b, upper, unit):
    """``X`` with ``tri(a) @ X = b`` (equal batch shapes): block recursion, substitution at the leaves."""
    n = a.shape[-1]
    if n <= _BLOCK:
        xs = [None] * n
        for i in (reversed(range(n)) if upper else range(n)):
            r = b[..., i:i + 1, :]
            lo, hi = (i + 1, n) if upper else (0, i)
            if hi > lo:
                r = r - xp.matmul(a[..., i:i + 1, lo:hi], xp.concat(xs[lo:hi], axis=-2))
            xs[i] = r if unit else r / a[..., i:i + 1, i:i + 1]
        return xp.concat(xs, axis=-2) if n else b
    h = n // 2
    a11, a22, b1, b2 = a[..., :h, :h], a[..., h:, h:], b[..., :h, :], b[..., h:, :]
    if upper:
        x2 = _trsm(xp, a22, b2, upper, unit)
        x1 = _trsm(xp, a11, b1 - xp.matmul(a[..., :h, h:], x2), upper, unit)
    else:
        x1 = _trsm(xp, a11, b1, upper, unit)
        x2 = _trsm(xp, a22, b2 - xp.matmul(a[..., h:, :h], x1), upper, unit)
    return xp.concat([x1, x2], axis=-2)


class SolveTriangular(Op):
    """``X = tri(A)^-1 B`` for ``A``, ``B`` with equal batch shapes; reads only A's triangle."""

    save_inputs = True
    save_output = True

    def forward(self, be, a, b, upper, unit):
        self.upper, self.unit = upper, unit
        return _trsm(be.xp, a, b, upper, unit)

    def backward(self, g):
        a, _ = self.saved()
        gb = apply(SolveTriangular, (a.mH, g), not self.upper, self.unit)
        ga = None
        if self.next[0]:
            ga = -(gb @ self.output.mH)
            k = 1 if self.unit else 0
            ga = ga.triu(k) if self.upper else ga.tril(-k)
        return ga, (gb if self.next[1] else None)


def solve_triangular(A, B, upper, unit=False):
    """``tri(A)^-1 B`` for matrices with equal batch shapes (the checked public form is ``ember.linalg``'s)."""
    return apply(SolveTriangular, (A, B), upper, unit)


# --- LU factorization --------------------------------------------------------------------------
def _lu_arrays(be, a, pivot):
    """LAPACK-style ``getf2``: packed LU, 1-based int32 pivots and info (first zero pivot, 1-based)."""
    xp = be.xp
    *batch, m, n = a.shape
    k = min(m, n)
    count = 1
    for s in batch:
        count *= s
    lu = xp.reshape(be.copy(a), (count, m, n))
    rows = xp.arange(count)
    info = xp.zeros((count,), dtype=xp.int32)
    pivots = []
    complex_ = be.dtype_of(a).is_complex
    for j in range(k):
        if pivot and count:
            col = lu[:, j:, j]
            mag = xp.abs(xp.real(col)) + xp.abs(xp.imag(col)) if complex_ else xp.abs(col)  # LAPACK's i?amax measure
            p = xp.argmax(mag, axis=-1) + j
            row_j = xp.asarray(lu[:, j, :], copy=True)
            row_p = be.getitem(lu, (rows, p))
            be.setitem(lu, (rows, p), row_j)
            lu[:, j, :] = row_p
            pivots.append(p)
        d = lu[:, j, j]
        zero = d == 0
        info = xp.where((info == 0) & zero, xp.asarray(j + 1, dtype=xp.int32), info)
        if j + 1 < m:
            below = lu[:, j + 1:, j] / xp.where(zero, xp.ones_like(d), d)[:, None]
            lu[:, j + 1:, j] = below
            if j + 1 < n:
                lu[:, j + 1:, j + 1:] = lu[:, j + 1:, j + 1:] - below[:, :, None] * lu[:, j:j + 1, j + 1:]
    if pivots:
        piv = xp.astype(xp.stack(pivots, axis=-1) + 1, xp.int32)
    else:
        piv = xp.broadcast_to(xp.arange(1, k + 1, dtype=xp.int32), (count, k))
    return (xp.reshape(lu, tuple(batch) + (m, n)), xp.reshape(piv, tuple(batch) + (k,)),
            xp.reshape(info, tuple(batch)))


class LuFactor(Op):
    """``(LU, pivots, info)`` of ``A = P L U``; the gradient flows through LU (square, wide and tall)."""

    save_inputs = True
    nondiff_outputs = (1, 2)

    def forward(self, be, a, pivot):
        out = _lu_arrays(be, a, pivot)
        self.pivot, self.outs = pivot, out
        return out

    def backward(self, g, _gpiv, _ginfo):
        from .reduction import _const

        (a,) = self.saved()
        if g is None:
            return (None,)
        LU = apply(LuFactor, (a,), self.pivot)[0] if _state.grad_enabled else _const(self.outs[0], a)
        P, L, U = lu_unpack_tensors(LU, _const(self.outs[1], a))
        return (P @ _lu_grad(L, U, g),)


def _lu_grad(L, U, g):
    """Gradient of ``A' = L U`` (no pivoting) from the packed gradient ``g`` of LU."""
    from .join import cat

    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    gL, gU = g[..., :, :k].tril(-1), g[..., :k, :].triu()
    L1, U1 = L[..., :k, :], U[..., :, :k]
    inner_L = L1.mH @ gL[..., :k, :]
    inner_U = gU[..., :, :k] @ U1.mH
    if m > k:  # tall: L = [L1; L2], L2 = A2 U^-1
        inner_U = inner_U - L[..., k:, :].mH @ gL[..., k:, :]
    if n > k:  # wide: U = [U1 | U2], U2 = L^-1 A2
        inner_L = inner_L - gU[..., :, k:] @ U[..., :, k:].mH
    M = inner_L.tril(-1) + inner_U.triu()
    top = solve_triangular(L1.mH, M, upper=True, unit=True)  # L1^-H M
    if n > k:
        return cat([_right_solve_upper(U1, top), solve_triangular(L1.mH, gU[..., :, k:], upper=True, unit=True)], -1)
    if m > k:
        return _right_solve_upper(U1, cat([top, gL[..., k:, :]], -2))
    return _right_solve_upper(U1, top)


def _right_solve_upper(U, X):
    """``X U^-H`` for upper-triangular ``U``."""
    return solve_triangular(U, X.mH, upper=True).mH


def permutation_from_pivots(pivots, m, like):
    """The permutation matrices ``P`` (dtype of ``like``) encoded by LAPACK's sequential row swaps."""
    import numpy as np

    be = like._be
    piv = np.asarray(be.to_host(pivots._data), dtype=np.int64)
    k = piv.shape[-1]
    flat = piv.reshape(-1, k) - 1
    if flat.size and (flat.min() < 0 or flat.max() >= m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly pass the result of lu_factor?")
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for i in range(k):
        p = flat[:, i]
        held = perm[rows, i].copy()
        perm[rows, i] = perm[rows, p]
        perm[rows, p] = held
    onehot = np.arange(m)[:, None] == perm[:, None, :]  # P[perm[i], i] = 1
    return like.new_tensor(onehot.reshape(piv.shape[:-1] + (m, m)), dtype=like.dtype)


def unpacked(LU):
    """``(L, U)`` from packed LU: L unit lower triangular (m x k), U upper triangular (k x n)."""
    from .._creation import eye

    m, n = LU.shape[-2:]
    k = min(m, n)
    return LU[..., :, :k].tril(-1) + eye(m, k, dtype=LU.dtype, device=LU.device), LU[..., :k, :].triu()


def lu_unpack_tensors(LU, pivots):
    """``(P, L, U)`` from packed LU and pivots."""
    return (permutation_from_pivots(pivots, LU.shape[-2], LU),) + unpacked(LU)


# --- torch-level spellings ------------------------------------------------------------------------
def _return_type(name, fields):
    from .reduction import return_type

    return return_type(name, fields)


_lu_unpack_t = _return_type("lu_unpack", ["P", "L", "U"])
_triangular_solve_t = _return_type("triangular_solve", ["solution", "cloned_coefficient"])


@export(method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from :func:`ember.linalg.lu_factor`'s packed LU and 1-based int32 pivots.

    Example:
        >>> import ember
        >>> P, L, U = ember.lu_unpack(*ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [3.0, 4.0]])))
        >>> (P @ L @ U).tolist()
        [[1.0, 2.0], [3.0, 4.0]]
    """
    from .. import _dtype

    if LU_pivots.dtype is not _dtype.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor")
    empty = LU_data.new_zeros(0)
    P = permutation_from_pivots(LU_pivots, LU_data.shape[-2], LU_data) if unpack_pivots else empty
    L, U = unpacked(LU_data) if unpack_data else (empty, empty)
    return _lu_unpack_t(P, L, U)


@export()
def matrix_exp(input):
    """Matrix exponential of a square matrix (or batch); same as :func:`ember.linalg.matrix_exp`.

    Example:
        >>> import ember
        >>> ember.matrix_exp(ember.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _linalg().matrix_exp(input)


@export()
def orgqr(input, tau):
    """Product of Householder reflectors; same as :func:`ember.linalg.householder_product`.

    Example:
        >>> import ember
        >>> ember.orgqr(ember.zeros(2, 2), ember.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _linalg().householder_product(input, tau)


def _deprecated(old, new, example):
    warnings.warn(f"torch.{old} is deprecated in favor of torch.linalg.{new}and will be removed in a future PyTorch release.\n{example}",
                  UserWarning, stacklevel=3)


@export()
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """``(solution, cloned_coefficient)`` of ``A X = input`` for triangular ``A`` (deprecated: warns like torch).

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.triangular_solve(ember.tensor([[2.0], [4.0]]), ember.tensor([[2.0, 0.0], [0.0, 4.0]])).solution
        tensor([[1.],
                [1.]])
    """
    _deprecated("triangular_solve", "solve_triangular",
                "torch.linalg.solve_triangular has its arguments reversed and does not return a copy of one of the inputs.\n"
                "X = torch.triangular_solve(B, A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).")
    if input.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has {input.ndim} dimensions instead")
    if input.dtype is not A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {scalar_name(input.dtype)} and A of type {scalar_name(A.dtype)} instead.")
    from .shape import broadcast_shapes

    batch = tuple(broadcast_shapes(input.shape[:-2], A.shape[:-2]))
    coefficient = A.expand(batch + tuple(A.shape[-2:]))
    M = coefficient.mT if transpose else coefficient
    X = _linalg().solve_triangular(M, input, upper=upper != transpose, unitriangular=unitriangular)
    return _triangular_solve_t(X, coefficient.clone())


@export()
def lu(A, pivot=True, get_infos=False):
    """``(LU, pivots)`` (and ``infos``) of ``A`` (deprecated: warns like torch; use :func:`ember.linalg.lu_factor`).

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))[1]
        tensor([2, 2], dtype=ember.int32)
    """
    _deprecated("lu", "lu_factor / torch.linalg.lu_factor_ex",
                "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\n"
                "and\nLU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
                "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")
    out = _linalg().lu_factor_ex(A, pivot=pivot)
    return tuple(out) if get_infos else (out.LU, out.pivots)


@export()
def lu_solve(b, LU_data, LU_pivots):
    """``X`` with ``A X = b`` from ``A``'s LU factorization (deprecated: warns like torch; use :func:`ember.linalg.lu_solve`).

    Example:
        >>> import ember, warnings
        >>> LU, piv = ember.linalg.lu_factor(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.lu_solve(ember.tensor([[2.0], [4.0]]), LU, piv)
        tensor([[1.],
                [1.]])
    """
    _deprecated("lu_solve", "lu_solve",
                "Note that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
                "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    return _linalg().lu_solve(LU_data, LU_pivots, b)
