"""``ember.linalg``: norms, inverses and solvers, and matrix decompositions with gradients.

Forward passes use the array API linalg extension of the device's namespace
(``numpy.linalg``, ``cupy.linalg``, ``array_api_strict.linalg``) through
:meth:`ember.backends.Backend.linalg`; gradients are written in Ember ops, so
double backward works.

Example:
    >>> import ember
    >>> A = ember.tensor([[2.0, 1.0], [1.0, 3.0]])
    >>> ember.linalg.solve(A, ember.tensor([3.0, 5.0]))
    tensor([0.8000, 1.4000])
"""

from __future__ import annotations

import math

from . import _dtype
from ._tensor import Tensor, apply
from .autograd import _state
from .autograd.node import Op
from .ops.linalg import cross3, matmul
from .ops.reduction import _const, amax, amin, return_type
from .ops._util import cast, sum_to, wrap_dim

__all__ = [
    "LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "solve", "det", "slogdet", "cholesky", "qr", "svd",
    "svdvals", "eigh", "eigvalsh", "pinv", "matrix_rank", "lstsq", "cross", "vecdot", "matmul", "multi_dot",
    "matrix_power", "solve_triangular", "lu_factor", "lu_factor_ex", "lu", "lu_solve", "matrix_exp", "eig", "eigvals",
    "cholesky_ex", "inv_ex", "solve_ex", "householder_product", "vander", "tensorinv", "tensorsolve", "cond", "diagonal",
]


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite (a RuntimeError, like torch's)."""


_slogdet_t = return_type("linalg_slogdet", ["sign", "logabsdet"])
_qr_t = return_type("linalg_qr", ["Q", "R"])
_svd_t = return_type("linalg_svd", ["U", "S", "Vh"])
_eigh_t = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
_lstsq_t = return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


# --- checks and error reports ------------------------------------------------------------------
def _type_name(d):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(d.name, d.name)


def _floating(A, op):
    if A.dtype.category < 2:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_type_name(A.dtype)}")


def _matrices(A, op, square=True):
    _floating(A, op)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices")


def _zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting, or None."""
    import numpy as np

    a = np.array(m, dtype=np.complex128 if np.iscomplexobj(m) else np.float64)
    n = a.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:, k:] -= np.outer(a[k + 1:, k] / a[k, k], a[k, k:])
    return None


def _failed_minor(m):
    """Order of the first leading minor that is not positive-definite, or None."""
    import numpy as np

    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return None


def _diagnose(be, a, find, message, op):
    """Raise LinAlgError naming the first failing batch element and ``find``'s finding."""
    host = be.to_host(a)
    batch = host.reshape((-1,) + host.shape[-2:])
    for i, m in enumerate(batch):
        where = find(m)
        if where is not None:
            prefix = f"(Batch element {i}): " if host.ndim > 2 else ""
            raise LinAlgError(f"{op}: {prefix}{message.format(where)}")
    raise LinAlgError(f"{op}: the matrix could not be factorized")


def _call(be, name, *arrays, diagnose=None, **kwargs):
    """``be.linalg(name, ...)`` with the namespace's LinAlgError turned into ours."""
    try:
        return be.linalg(name, *arrays, **kwargs)
    except Exception as exc:
        if type(exc).__name__ != "LinAlgError" or diagnose is None:
            raise
        diagnose(be, arrays[0])
        raise


def _singular(op):
    return lambda be, a: _diagnose(be, a, _zero_pivot, "The diagonal element {} is zero, the inversion could not be completed because the input matrix is singular.", op)


def _not_pd(be, a):
    _diagnose(be, a, _failed_minor, "The factorization could not be completed because the input is not positive-definite (the leading minor of order {} is not positive-definite).", "linalg.cholesky")


def _solve_failed(be, a):
    raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.")


# --- small helpers -----------------------------------------------------------------------------------
def _tensors(like, arrays):
    return tuple(_const(a, like) for a in arrays)


def _tril_mask(n, like, diagonal=0):
    xp = like._be.xp
    i = xp.arange(n)
    return _const(i[:, None] + diagonal >= i[None, :], like)


def _eye_mask(n, like):
    xp = like._be.xp
    i = xp.arange(n)
    return _const(i[:, None] == i[None, :], like)


def _zeros_or(g, like):
    return g if g is not None else like.new_zeros(like.shape)


def _saved_outputs(node, recompute):
    """The op's outputs: recomputed with a graph under create_graph (double backward), else constants."""
    (a,) = node.saved()
    if _state.grad_enabled:
        return recompute(a)
    return _tensors(a, node.outs)


def _off_diagonal_inverse(D, eye):
    """``1 / D`` off the diagonal and 0 on it (``eye`` is the bool diagonal mask)."""
    return (1 / (D + eye)) * (1.0 - 1.0 * eye)


# --- inverse, determinant, solve -------------------------------------------------------------------
class Inv(Op):
    save_output = True

    def forward(self, be, a):
        return _call(be, "inv", a, diagnose=_singular("linalg.inv"))

    def backward(self, g):
        yh = self.output.mH
        return (-(yh @ g @ yh),)


def inv(A):
    """Inverse of a square matrix (or batch); singular input raises :class:`LinAlgError`.

    Example:
        >>> import ember
        >>> ember.linalg.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _matrices(A, "linalg.inv")
    return apply(Inv, (A,))


class Det(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a):
        return be.linalg("det", a)

    def backward(self, g):
        (a,) = self.saved()
        return ((g * self.output)[..., None, None] * inv(a).mH,)


def det(A):
    """Determinant of a square matrix (or batch).

    Example:
        >>> import ember
        >>> round(ember.linalg.det(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).item(), 4)
        -2.0
    """
    _matrices(A, "linalg.det")
    return apply(Det, (A,))


class Slogdet(Op):
    save_inputs = True
    nondiff_outputs = (0,)

    def forward(self, be, a):
        return tuple(be.linalg("slogdet", a))

    def backward(self, gsign, glog):
        (a,) = self.saved()
        return (glog[..., None, None] * inv(a).mH,)


def slogdet(A):
    """``(sign, logabsdet)`` of the determinant, stable for large or tiny determinants.

    Example:
        >>> import ember
        >>> ember.linalg.slogdet(ember.tensor([[-2.0, 0.0], [0.0, 1.0]])).logabsdet
        tensor(0.6931)
    """
    _matrices(A, "linalg.slogdet")
    return _slogdet_t(*apply(Slogdet, (A,)))


class Solve(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, b):
        return _call(be, "solve", a, b, diagnose=_solve_failed)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        gb = solve(a.mH, g)
        ga = -(gb @ self.output.mH) if na else None
        return (sum_to(ga, a.shape) if na else None), (sum_to(gb, b.shape) if nb else None)


def _shape_str(s):
    return "x".join(map(str, s))


def solve(A, B, *, left=True):
    """``X`` with ``A @ X = B`` (or ``X @ A = B`` when ``left=False``); ``B`` may be a (batch of) vector(s).

    Example:
        >>> import ember
        >>> ember.linalg.solve(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), ember.tensor([[2.0], [2.0]]))
        tensor([[1.0000],
                [0.5000]])
    """
    _matrices(A, "linalg.solve")
    A, B = _promoted(A, B)
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    b = B.unsqueeze(-1) if vector else B
    if b.ndim < 2 or b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} ({_shape_str(A.shape[-2:])} and {_shape_str(B.shape[-2:])})")
    x = apply(Solve, (A, b))
    return x.squeeze(-1) if vector else x


def _promoted(A, B):
    dt = _dtype.promote_types(A.dtype, B.dtype)
    return cast(A, dt), cast(B, dt)


# --- decompositions ---------------------------------------------------------------------------------
class Cholesky(Op):
    save_output = True

    def forward(self, be, a):
        return _call(be, "cholesky", a, diagnose=_not_pd)

    def backward(self, g):
        L = self.output
        n = L.shape[-1]
        lower, eye = _tril_mask(n, L), _eye_mask(n, L)
        P = (L.mH @ (g * lower)) * lower
        P = P - 0.5 * (P * eye)
        Linv = inv(L)
        S = Linv.mH @ P @ Linv
        return (0.5 * (S + S.mH),)


def cholesky(A, *, upper=False):
    """Cholesky factor ``L`` with ``A = L @ L.mH`` (``U = L.mH`` when ``upper``); reads the lower triangle.

    Example:
        >>> import ember
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    _matrices(A, "linalg.cholesky")
    L = apply(Cholesky, (A,))
    return L.mH if upper else L


class Qr(Op):
    save_inputs = True

    def forward(self, be, a, mode):
        q, r = be.linalg("qr", a, mode=mode)
        self.outs, self.mode = (q, r), mode
        return q, r

    def backward(self, gq, gr):
        Q, R = _saved_outputs(self, lambda a: tuple(qr(a, self.mode)))
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The derivative of linalg.qr is not implemented when mode='complete' and nrows > ncols.")
        gq, gr = _zeros_or(gq, Q), _zeros_or(gr, R)
        if m >= n:
            return (_qr_square_grad(Q, R, gq, gr),)
        # wide: A = [X | Y] with X = Q U square, Y = Q V
        (a,) = self.saved()
        U, gU, gV = R[..., :m], gr[..., :m], gr[..., m:]
        Y = a[..., m:]
        gX = _qr_square_grad(Q, U, gq + Y @ gV.mH, gU)
        return (_cat_last(gX, Q @ gV),)


def _qr_square_grad(Q, R, gq, gr):
    """Gradient of A = QR (m >= n, reduced): (gQ + Q copyltu(M)) R^-H with M = R gR^H - gQ^H Q."""
    n = R.shape[-1]
    M = R @ gr.mH - gq.mH @ Q
    low = M * _tril_mask(n, M, -1)
    sym = low + low.mH + M * _eye_mask(n, M)
    B = gq + Q @ sym
    return solve(R, B.mH).mH


def _cat_last(a, b):
    """``[a | b]`` along the last dim, as products with the selection matrices ``[I 0]`` and ``[0 I]``."""
    xp, k, m = a._be.xp, a.shape[-1], b.shape[-1]
    dt = a._be.native_dtype(a.dtype)
    return a @ _const(xp.eye(k, k + m, dtype=dt), a) + b @ _const(xp.eye(m, k + m, k=k, dtype=dt), a)


def qr(A, mode="reduced"):
    """QR decomposition ``A = Q @ R`` (mode 'reduced', 'complete' or 'r', which leaves Q empty).

    Example:
        >>> import ember
        >>> Q, R = ember.linalg.qr(ember.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> (Q @ R).round(decimals=4).tolist()
        [[3.0, 1.0], [4.0, 2.0]]
    """
    _matrices(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    Q, R = apply(Qr, (A,), "reduced" if mode == "r" else mode)
    if mode == "r":
        Q = A.new_zeros(0)
    return _qr_t(Q, R)


class Svd(Op):
    save_inputs = True

    def forward(self, be, a):
        u, s, vh = be.linalg("svd", a, full_matrices=False)
        self.outs = (u, s, vh)
        return u, s, vh

    def backward(self, gu, gs, gvh):
        U, S, Vh = _saved_outputs(self, lambda a: tuple(svd(a, full_matrices=False)))
        m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
        V = Vh.mH
        eye = _eye_mask(k, S)
        inner = _zeros_or(gs, S)[..., None] * eye
        s2 = S * S
        F = _off_diagonal_inverse(s2[..., None, :] - s2[..., :, None], eye)  # 1/(s_j^2 - s_i^2)
        Sr, Sc = S[..., None, :], S[..., :, None]
        gA = 0
        if gu is not None:
            UtgU = U.mH @ gu
            inner = inner + (F * (UtgU - UtgU.mH)) * Sr
            if m > k:
                gA = gA + ((gu - U @ UtgU) / Sr) @ Vh
        if gvh is not None:
            gv = gvh.mH
            VtgV = V.mH @ gv
            inner = inner + Sc * (F * (VtgV - VtgV.mH))
            if n > k:
                gA = gA + U @ ((gv - V @ VtgV) / Sr).mH
        return (U @ inner @ Vh + gA,)


def svd(A, full_matrices=True):
    """Singular value decomposition ``A = U @ diag(S) @ Vh``; gradients for the reduced factors.

    Example:
        >>> import ember
        >>> ember.linalg.svd(ember.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    _matrices(A, "linalg.svd", square=False)
    if full_matrices and A.shape[-1] != A.shape[-2]:
        if A.requires_grad and _state.grad_enabled:
            raise RuntimeError("linalg.svd: the derivative is only implemented for full_matrices=False when A is not square")
        be = A._be
        return _svd_t(*_tensors(A, be.linalg("svd", A._data, full_matrices=True)))
    return _svd_t(*apply(Svd, (A,)))


def svdvals(A):
    """Singular values in descending order.

    Example:
        >>> import ember
        >>> ember.linalg.svdvals(ember.tensor([[0.0, 2.0], [1.0, 0.0]]))
        tensor([2., 1.])
    """
    _matrices(A, "linalg.svdvals", square=False)
    if A.requires_grad and _state.grad_enabled:
        return svd(A, full_matrices=False).S
    return _const(A._be.linalg("svdvals", A._data), A)


class Eigh(Op):
    save_inputs = True

    def forward(self, be, a):
        w, v = be.linalg("eigh", a)
        self.outs = (w, v)
        return w, v

    def backward(self, gw, gv):
        w, V = _saved_outputs(self, lambda a: tuple(eigh(a)))
        k = w.shape[-1]
        eye = _eye_mask(k, w)
        inner = _zeros_or(gw, w)[..., None] * eye
        if gv is not None:
            X = V.mH @ gv
            F = _off_diagonal_inverse(w[..., None, :] - w[..., :, None], eye)  # 1/(w_j - w_i)
            inner = inner + F * (0.5 * (X - X.mH))
        return (V @ inner @ V.mH,)


def _hermitian_input(A, UPLO, op):
    _matrices(A, op)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{op}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return A.mH if UPLO == "U" else A  # the namespace reads the lower triangle


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric/Hermitian matrix.

    Example:
        >>> import ember
        >>> ember.linalg.eigh(ember.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    A = _hermitian_input(A, UPLO, "linalg.eigh")
    return _eigh_t(*apply(Eigh, (A,)))


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of a symmetric/Hermitian matrix.

    Example:
        >>> import ember
        >>> ember.linalg.eigvalsh(ember.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    if A.requires_grad and _state.grad_enabled:
        return eigh(A, UPLO).eigenvalues
    A = _hermitian_input(A, UPLO, "linalg.eigvalsh")
    return _const(A._be.linalg("eigvalsh", A._data), A)


# --- built from the decompositions -----------------------------------------------------------------
def _tolerance(S, atol, rtol, shape):
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.new_zeros(S.shape[:-1] + (1,))
    if rtol is None:
        rtol = 0.0 if atol is not None and not _zero(atol) else _dtype.finfo(S.dtype).eps * max(shape[-2:])
    tol = smax * rtol
    if atol is not None:
        tol = _max_tensor(tol, atol)
    return tol


def _zero(x):
    return not isinstance(x, Tensor) and x == 0


def _max_tensor(a, b):
    from .ops.elementwise import where

    b = b if isinstance(b, Tensor) else a.new_full((), b)
    b = b[..., None] if b.ndim and b.ndim == a.ndim - 1 else b
    return where(a >= b, a, b)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse from the SVD; singular values below the tolerance are dropped.

    Example:
        >>> import ember
        >>> ember.linalg.pinv(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    from .ops.elementwise import where

    _matrices(A, "linalg.pinv", square=False)
    U, S, Vh = svd(A, full_matrices=False)
    keep = S > _tolerance(S.detach(), atol, rtol, A.shape)
    Sinv = where(keep, 1 / where(keep, S, 1.0), 0.0)
    return (Vh.mH * Sinv[..., None, :]) @ U.mH


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """Number of singular values above the tolerance (int64).

    Example:
        >>> import ember
        >>> ember.linalg.matrix_rank(ember.ones(3, 3))
        tensor(1)
    """
    _matrices(A, "linalg.matrix_rank", square=False)
    S = svdvals(A.detach())
    return (S > _tolerance(S, atol, rtol, A.shape)).sum(-1)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A @ X = B`` with torch's fields per LAPACK ``driver`` (default 'gelsy').

    Example:
        >>> import ember
        >>> A = ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> ember.linalg.lstsq(A, ember.tensor([[1.0], [2.0], [3.0]])).solution.tolist()
        [[1.0], [2.0]]
    """
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), but got {driver}")
    _matrices(A, "torch.linalg.lstsq", square=False)
    A, B = _promoted(A, B)
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    X = pinv(A, rtol=rcond) @ b
    m, n = A.shape[-2:]
    empty = A.new_zeros(0)
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else A.new_zeros(0, dtype=_dtype.int64)
    full = driver != "gelsy" and m > n and bool((matrix_rank(A) == n).all())
    residuals = ((A @ X - b).abs() ** 2).sum(-2) if full else empty
    if vector:
        X = X.squeeze(-1)
        residuals = residuals.squeeze(-1) if full else residuals
    sv = svdvals(A) if driver in ("gelsd", "gelss") else empty
    return _lstsq_t(X, residuals, rank, sv)


# --- norms ------------------------------------------------------------------------------------------
class VectorNorm(Op):
    """``sum(|x|^p) ** (1/p)`` for finite ``p`` other than 0 and 1; the gradient is 0 where the norm is."""

    torch_name = "LinalgVectorNormBackward0"
    save_inputs = True
    save_output = True

    def forward(self, be, a, p, dims, keepdim):
        xp = be.xp
        self.p, self.dims, self.keepdim = p, dims, keepdim
        x = xp.abs(a)
        if p == 2:
            return xp.sqrt(xp.sum(x * x, axis=dims, keepdims=keepdim))
        return xp.sum(x ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)

    def backward(self, g):
        from .ops.elementwise import where
        from .ops.reduction import _kept

        (a,) = self.saved()
        out, p = self.output, self.p
        if not self.keepdim:
            g, out = _kept(g, a.shape, self.dims), _kept(out, a.shape, self.dims)
        scale = g / where(out == 0, 1.0, out) ** (p - 1)
        if p == 2:
            return (a * scale,)
        mag = a.abs()
        zero = mag == 0
        return (where(zero, 0.0, a * where(zero, 1.0, mag) ** (p - 2)) * scale,)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all elements by default), ord in R or +-inf.

    Example:
        >>> import ember
        >>> x = ember.tensor([3.0, -4.0])
        >>> ember.linalg.vector_norm(x), ember.linalg.vector_norm(x, ord=1), ember.linalg.vector_norm(x, float("inf"))
        (tensor(5.), tensor(7.), tensor(4.))
    """
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    _floating(x, "linalg.vector_norm")
    if dtype is not None:
        x = cast(x, dtype)
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(wrap_dim(d, x.ndim, "linalg.vector_norm") for d in dim) if dim else tuple(range(x.ndim))
    if x.ndim == 0:
        dims = ()
    if ord == math.inf:
        return amax(x.abs(), dims, keepdim)
    if ord == -math.inf:
        return amin(x.abs(), dims, keepdim)
    if ord == 0:
        return (x != 0).sum(dims, keepdim).to(x.abs().dtype)
    if ord == 1:
        return x.abs().sum(dims, keepdim)
    return apply(VectorNorm, (x,), float(ord), tuple(sorted(dims)), keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two dims: 'fro', 'nuc', 2, -2 (singular values), 1, -1, inf, -inf (abs sums).

    Example:
        >>> import ember
        >>> A = ember.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> ember.linalg.matrix_norm(A, 1), ember.linalg.matrix_norm(A, float("inf"))
        (tensor(6.), tensor(7.))
    """
    _matrices(A, "linalg.matrix_norm", square=False)
    if dtype is not None:
        A = cast(A, dtype)
    d0, d1 = (wrap_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(inner, keepdim=True)
        out = (amax if ord > 0 else amin)(sums, outer, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector norm (dim an int, or 1-D input) or matrix norm (dim a pair, or 2-D input) of ``A``.

    Example:
        >>> import ember
        >>> ember.linalg.norm(ember.tensor([[3.0, 4.0], [0.0, 0.0]])), ember.linalg.norm(ember.eye(2), "nuc")
        (tensor(5.), tensor(2.))
    """
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype) if dim is None or len(dim) == 1 else matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


# --- products -------------------------------------------------------------------------------------
def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim``, broadcasting the other dims.

    Example:
        >>> import ember
        >>> ember.linalg.cross(ember.tensor([0.0, 1.0, 0.0]), ember.tensor([0.0, 0.0, 1.0]))
        tensor([1., 0., 0.])
    """
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, input.ndim, "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and {other.shape[d]}")
    a, b = _promoted(input, other)
    shape = tuple(x if x != 1 else y for x, y in zip(a.shape, b.shape))
    return cross3(a.expand(shape), b.expand(shape), d)


def vecdot(x, y, *, dim=-1):
    """Dot product of vectors along ``dim`` (conjugating ``x``), broadcasting the rest.

    Example:
        >>> import ember
        >>> ember.linalg.vecdot(ember.tensor([[1.0, 2.0]]), ember.tensor([3.0, 4.0]))
        tensor([11.])
    """
    return ((x.conj() if x.is_complex() else x) * y).sum(dim)


def multi_dot(tensors):
    """Product of a chain of matrices in the cheapest order; the first/last may be vectors.

    Example:
        >>> import ember
        >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 4), ember.ones(4)])
        tensor(12.)
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first, last = ts[0].ndim == 1, ts[-1].ndim == 1
    if first:
        ts[0] = ts[0].unsqueeze(0)
    if last:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    dims = [ts[0].shape[0]] + [t.shape[1] for t in ts]
    out = _chain(ts, _chain_order(dims), 0, len(ts) - 1)
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


def _chain_order(dims):
    """Split table of the cheapest parenthesisation (matrix-chain dynamic programme)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ts, split, i, j):
    if i == j:
        return ts[i]
    k = split[i][j]
    return _chain(ts, split, i, k) @ _chain(ts, split, k + 1, j)


def matrix_power(A, n):
    """``A`` to the integer power ``n`` by repeated squaring (of the inverse when ``n < 0``).

    Example:
        >>> import ember
        >>> ember.linalg.matrix_power(ember.tensor([[2.0, 0.0], [0.0, 1.0]]), -1)
        tensor([[0.5000, 0.0000],
                [0.0000, 1.0000]])
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:
        from ._creation import eye

        return eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape).clone()
    if n < 0:
        A, n = inv(A), -n
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result


# --- triangular and LU solvers ----------------------------------------------------------------------
_lu_factor_t = return_type("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_t = return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_t = return_type("linalg_lu", ["P", "L", "U"])
_eig_t = return_type("linalg_eig", ["eigenvalues", "eigenvectors"])
_cholesky_ex_t = return_type("linalg_cholesky_ex", ["L", "info"])
_inv_ex_t = return_type("linalg_inv_ex", ["inverse", "info"])
_solve_ex_t = return_type("linalg_solve_ex", ["result", "info"])


def _batch_broadcast(A, B):
    """``A`` and ``B`` expanded to their common batch shape (the last two dims kept)."""
    from .ops.shape import broadcast_shapes

    batch = tuple(broadcast_shapes(A.shape[:-2], B.shape[:-2]))
    return A.expand(batch + tuple(A.shape[-2:])), B.expand(batch + tuple(B.shape[-2:]))


def _check_equation(op, A, B, left):
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if (A.shape[-1] != B.shape[-2]) if left else (A.shape[-2] != B.shape[-1]):
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} ({_shape_str(A.shape[-2:])} and {_shape_str(B.shape[-2:])})")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``A @ X = B`` (``X @ A = B`` when ``left=False``) for triangular ``A``; reads only its triangle.

    Example:
        >>> import ember
        >>> A = ember.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> ember.linalg.solve_triangular(A, ember.tensor([[4.0], [8.0]]), upper=True)
        tensor([[1.],
                [2.]])
    """
    from .ops import linalg_extra

    linalg_extra.require_floating(A, "triangular_solve_cpu")
    if A.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    _check_equation("linalg.solve_triangular", A, B, left)
    A, B = _batch_broadcast(*_promoted(A, B))
    if not left:
        return linalg_extra.solve_triangular(A.mT, B.mT, not upper, unitriangular).mT
    return linalg_extra.solve_triangular(A, B, upper, unitriangular)


def _lu_failure(info, op, message, where=lambda i: i):
    """Raise LinAlgError for the first batch element whose ``info`` is positive."""
    import numpy as np

    host = np.asarray(info._be.to_host(info._data)).reshape(-1)
    bad = np.flatnonzero(host > 0)
    if bad.size:
        i = int(bad[0])
        prefix = f"(Batch element {i}): " if info.ndim else ""
        raise LinAlgError(f"{op}: {prefix}{message.format(where(int(host[i])))}")


_LU_ZERO = ("U[{0},{0}] is zero and using it on lu_solve would result in a division by zero. If you still want to perform "
            "the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)``: LU with partial pivoting packed LAPACK-style, 1-based int32 pivots, first zero pivot.

    ``info`` is 0 or the 1-based index of the first zero on U's diagonal. ``pivot=False`` factors without
    row exchanges (the pivots are then ``1..k``).

    Example:
        >>> import ember
        >>> ember.linalg.lu_factor_ex(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
        tensor([2, 2], dtype=ember.int32)
    """
    from .ops import linalg_extra

    if A.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    linalg_extra.require_floating(A, "lu_cpu")
    out = _lu_factor_ex_t(*apply(linalg_extra.LuFactor, (A,), pivot))
    if check_errors:
        _lu_failure(out.info, "torch.linalg.lu_factor_ex", _LU_ZERO)
    return out


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)`` of ``A = P L U`` (see :func:`lu_factor_ex`); a zero pivot raises :class:`LinAlgError`.

    Example:
        >>> import ember
        >>> LU, pivots = ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> LU
        tensor([[3.0000, 4.0000],
                [0.3333, 0.6667]])
    """
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    _lu_failure(info, "torch.linalg.lu_factor", _LU_ZERO)
    return _lu_factor_t(LU, pivots)


def lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P @ L @ U``: P a permutation, L unit lower (m x k), U upper (k x n).

    ``P`` is empty when ``pivot=False``.

    Example:
        >>> import ember
        >>> P, L, U = ember.linalg.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> (P @ L @ U).tolist()
        [[1.0, 2.0], [3.0, 4.0]]
    """
    from .ops import linalg_extra

    if A.ndim < 2:
        raise RuntimeError(f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    P = linalg_extra.permutation_from_pivots(pivots, A.shape[-2], LU) if pivot else LU.new_zeros(0)
    return _lu_t(P, *linalg_extra.unpacked(LU))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """``X`` with ``A @ X = B`` from ``A``'s :func:`lu_factor` (``X @ A = B`` if not ``left``; ``A^H`` if ``adjoint``).

    Example:
        >>> import ember
        >>> LU, pivots = ember.linalg.lu_factor(ember.tensor([[2.0, 1.0], [4.0, 3.0]]))
        >>> ember.linalg.lu_solve(LU, pivots, ember.tensor([[1.0], [1.0]]))
        tensor([[ 1.],
                [-1.]])
    """
    from .ops import linalg_extra

    if pivots.dtype is not _dtype.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    if LU.ndim < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but they are {LU.shape[-2]} by {LU.shape[-1]} matrices")
    _check_equation("linalg.lu_solve", LU, B, left)
    if pivots.shape[-1] != LU.shape[-1]:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the dimension of the matrix")
    if pivots.shape != LU.shape[:-1]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with shape {list(pivots.shape)} instead")
    if LU.dtype is not B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type {linalg_extra.scalar_name(LU.dtype)} and B of type {linalg_extra.scalar_name(B.dtype)} instead")
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return lu_solve(LU, pivots, B.mH, adjoint=not adjoint).mH
    P = linalg_extra.permutation_from_pivots(pivots, LU.shape[-2], LU)
    L, U = linalg_extra.unpacked(LU)
    if adjoint:  # A^H = U^H L^H P^T
        Y = solve_triangular(U.mH, B, upper=False)
        return P @ solve_triangular(L.mH, Y, upper=True, unitriangular=True)
    Y = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(U, Y, upper=True)


# --- matrix exponential -------------------------------------------------------------------------
# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the largest 1-norm for which the [m/m] Pade approximant is accurate to double precision.
_PADE_THETA = ((3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
               (9, 2.097847961257068e0), (13, 5.371920351148152e0))


def _pade_coefficients(m):
    """Coefficients ``b_j = (2m-j)! m! / ((2m)! j! (m-j)!)`` of the [m/m] Pade approximant to exp."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


def _pade(A, m, eye):
    """``(U, V)``: the odd and even parts of the [m/m] Pade numerator, so exp(A) ~ (V - U)^-1 (V + U)."""
    b = _pade_coefficients(m)
    A2 = A @ A
    if m < 13:
        powers = [eye, A2]
        while len(powers) <= m // 2:
            powers.append(powers[-1] @ A2)
        odd = sum(b[2 * i + 1] * P for i, P in enumerate(powers[: (m + 1) // 2]))
        even = sum(b[2 * i] * P for i, P in enumerate(powers[: m // 2 + 1]))
        return A @ odd, even
    A4 = A2 @ A2
    A6 = A4 @ A2
    odd = A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye
    even = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    return A @ odd, even


def matrix_exp(A):
    """Matrix exponential by scaling and squaring around a Pade approximant (Higham 2005).

    The degree and the number of squarings follow the largest 1-norm in the batch; the result is a
    composition of Ember ops, so gradients (and double backward) come from them.

    Example:
        >>> import ember
        >>> ember.linalg.matrix_exp(ember.tensor([[0.0, 1.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [0., 1.]])
    """
    from ._creation import eye as _eye

    _matrices(A, "linalg.matrix_exp")
    if A.dtype in (_dtype.float16, _dtype.bfloat16):
        return matrix_exp(A.float()).to(A.dtype)
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(A.detach().abs().sum(-2).amax())  # the largest 1-norm (one host sync)
    eye = _eye(n, dtype=A.dtype, device=A.device)
    for m, theta in _PADE_THETA[:-1]:
        if norm1 <= theta:
            U, V = _pade(A, m, eye)
            return solve(V - U, V + U)
    theta = _PADE_THETA[-1][1]
    s = max(0, math.ceil(math.log2(norm1 / theta))) if math.isfinite(norm1) else 0
    U, V = _pade(A / 2.0 ** s if s else A, 13, eye)
    R = solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


# --- eigen-decomposition of general matrices ---------------------------------------------------------
class Eig(Op):
    """Eigenvalues and unit-norm eigenvectors of a general matrix (complex), from the namespace's or numpy's ``eig``.

    The gradient assumes the loss does not depend on the eigenvectors' phases (as torch's does).
    """

    save_inputs = True

    def forward(self, be, a, complex_dtype):
        w, v = be.linalg("eig", a)
        nd = be.native_dtype(complex_dtype)
        self.outs = (be.xp.astype(w, nd), be.xp.astype(v, nd))
        return self.outs

    def backward(self, gw, gv):
        w, V = _saved_outputs(self, lambda a: tuple(eig(a)))
        (a,) = self.saved()
        eye = _eye_mask(w.shape[-1], w)
        G = _zeros_or(gw, w)[..., None] * eye
        if gv is not None:
            W = V.mH @ gv
            Z = W - (V.mH @ V) * W.real.diagonal(dim1=-2, dim2=-1)[..., None, :]
            E = _off_diagonal_inverse((w[..., None, :] - w[..., :, None]).conj(), eye)  # 1/conj(w_j - w_i)
            G = G + E * Z
        gA = solve(V.mH, G @ V.mH)
        return (gA if a.is_complex() else gA.real,)


def eig(A):
    """Eigenvalues and (unit-norm) eigenvectors of a general square matrix, always complex.

    Example:
        >>> import ember
        >>> ember.linalg.eig(ember.tensor([[2.0, 0.0], [0.0, 3.0]])).eigenvalues
        tensor([2.+0.j, 3.+0.j])
    """
    _matrices(A, "linalg.eig")
    complex_dtype = _dtype.complex128 if A.dtype in (_dtype.float64, _dtype.complex128) else _dtype.complex64
    return _eig_t(*apply(Eig, (A,), complex_dtype))


def eigvals(A):
    """Eigenvalues of a general square matrix, always complex.

    Example:
        >>> import ember
        >>> ember.linalg.eigvals(ember.tensor([[0.0, 1.0], [-1.0, 0.0]]))
        tensor([0.+1.j, 0.-1.j])
    """
    return eig(A).eigenvalues


# --- the _ex forms: an info code instead of an error ------------------------------------------------------
def _info_and_fixed(A, find):
    """``(info, A')``: per-matrix info codes from ``find`` on the host and ``A`` with failing matrices made identity."""
    import numpy as np

    from ._creation import eye

    host = np.asarray(A._be.to_host(A.detach()._data))
    flat = host.reshape((-1,) + host.shape[-2:])
    codes = np.array([find(m) or 0 for m in flat], dtype=np.int32).reshape(host.shape[:-2])
    info = A.new_tensor(codes, dtype=_dtype.int32)
    bad = (info > 0)[..., None, None]
    return info, A.where(~bad, eye(A.shape[-1], dtype=A.dtype, device=A.device)), bad


def _ex(A, fn, find, op, message, check_errors):
    """``(fn(A), info)`` with failing matrices' results NaN; raise like torch when ``check_errors``."""
    try:
        return fn(A), A.new_zeros(A.shape[:-2], dtype=_dtype.int32)
    except LinAlgError:
        pass
    info, fixed, bad = _info_and_fixed(A, find)
    if check_errors:
        _lu_failure(info, op, message)
    out = fn(fixed)
    bad = bad if out.ndim == bad.ndim else bad[..., 0]
    return out.where(~bad, math.nan), info


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: :func:`cholesky` with ``info`` the order of the first non positive-definite minor (0 on success).

    Failing matrices' factors are NaN (torch leaves LAPACK's partial result).

    Example:
        >>> import ember
        >>> ember.linalg.cholesky_ex(ember.tensor([[1.0, 2.0], [2.0, 1.0]])).info
        tensor(2, dtype=ember.int32)
    """
    _matrices(A, "linalg.cholesky_ex")
    msg = "The factorization could not be completed because the input is not positive-definite (the leading minor of order {} is not positive-definite)."
    return _cholesky_ex_t(*_ex(A, lambda M: cholesky(M, upper=upper), _failed_minor, "linalg.cholesky_ex", msg, check_errors))


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: :func:`inv` with ``info`` the 1-based first zero pivot of A's LU (0 on success).

    Example:
        >>> import ember
        >>> ember.linalg.inv_ex(ember.zeros(2, 2)).info
        tensor(1, dtype=ember.int32)
    """
    _matrices(A, "linalg.inv_ex")
    msg = "The diagonal element {} is zero, the inversion could not be completed because the input matrix is singular."
    return _inv_ex_t(*_ex(A, inv, _zero_pivot, "linalg.inv_ex", msg, check_errors))


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``: :func:`solve` with ``info`` the 1-based first zero pivot of A's LU (0 on success).

    Example:
        >>> import ember
        >>> ember.linalg.solve_ex(ember.eye(2), ember.tensor([1.0, 2.0]))
        ember.return_types.linalg_solve_ex(
        result=tensor([1., 2.]),
        info=tensor(0, dtype=ember.int32))
    """
    _matrices(A, "linalg.solve_ex")
    msg = "The solver failed because the input matrix is singular."
    result, info = _ex(A, lambda M: solve(M, B, left=left), _zero_pivot, "torch.linalg.solve_ex", msg, check_errors)
    return _solve_ex_t(result, info)


# --- Householder products, Vandermonde matrices, tensor solvers, condition numbers --------------------------
def householder_product(A, tau):
    """First n columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H`` (v_i: column i of A below the diagonal, 1 on it).

    Example:
        >>> import ember
        >>> ember.linalg.householder_product(ember.tensor([[1.0], [1.0]]), ember.tensor([1.0]))
        tensor([[ 0.],
                [-1.]])
    """
    from ._creation import eye
    from .ops import linalg_extra

    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    if tau.shape[:-1] != A.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau.dtype is not A.dtype:
        raise RuntimeError(f"{op}: tau dtype {linalg_extra.scalar_name(tau.dtype)} does not match input dtype {linalg_extra.scalar_name(A.dtype)}")
    linalg_extra.require_floating(A, "orgqr_cpu")
    m, n = A.shape[-2:]
    V = A.tril(-1) + eye(m, n, dtype=A.dtype, device=A.device)
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(A.shape)
    for i in reversed(range(tau.shape[-1])):  # Q <- H_i Q, innermost reflector first
        v = V[..., :, i:i + 1]
        Q = Q - (tau[..., i, None, None] * v) @ (v.mH @ Q)
    return Q


def vander(x, *, N=None):
    """Vandermonde matrix ``[1, x, x^2, ..., x^(N-1)]`` along a new last dim (N defaults to ``x.shape[-1]``).

    Example:
        >>> import ember
        >>> ember.linalg.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [1, 2, 4],
                [1, 3, 9]])
    """
    from .ops.join import cat

    if x.dtype is _dtype.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    if x.ndim == 0:
        raise RuntimeError("N must be greater than 1.")
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    x = x.to(_dtype.int64) if x.dtype.category < 2 else x  # torch: integer inputs give int64
    powers = x.unsqueeze(-1).expand(tuple(x.shape) + (N - 1,)).cumprod(-1)
    return cat([x.new_ones(tuple(x.shape) + (1,)), powers], -1)


def _numel(shape):
    return math.prod(shape)


def tensorinv(A, ind=2):
    """Inverse of ``A`` for :func:`ember.tensordot` over ``ind`` dims: result shape ``A.shape[ind:] + A.shape[:ind]``.

    Example:
        >>> import ember
        >>> ember.linalg.tensorinv(ember.eye(4).reshape(4, 2, 2), ind=1).shape
        ember.Size([2, 2, 4])
    """
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = _numel(A.shape[:ind]), _numel(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A, B, dims=None):
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` of A are moved to the end first.

    Example:
        >>> import ember
        >>> ember.linalg.tensorsolve(2 * ember.eye(6).reshape(2, 3, 6), ember.ones(2, 3))
        tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000])
    """
    if dims is not None:
        dims = [wrap_dim(d, A.ndim, "linalg.tensorsolve") for d in dims]
        A = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    rest = tuple(A.shape[B.ndim:])
    rows, cols = _numel(A.shape[:B.ndim]), _numel(rest)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    if A.dtype is not B.dtype:
        from ._dtype import scalar_name

        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {scalar_name(A.dtype)} and B of type {scalar_name(B.dtype)} instead")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(rest)


def cond(A, p=None):
    """Condition number ``norm(A, p) * norm(inv(A), p)``; p None/2/-2 use singular values (any shape).

    Singular matrices give ``inf`` for the norms that need the inverse.

    Example:
        >>> import ember
        >>> ember.linalg.cond(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    from .ops.elementwise import where

    if p not in (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc"):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2):
        S = svdvals(A)
        if S.shape[-1] == 0:
            return S.new_zeros(S.shape[:-1])
        big, small = S[..., 0], S[..., -1]
        return big / small if p != -2 else small / big
    _matrices(A, f"linalg.cond(ord={p})")
    Ainv, info = inv_ex(A)
    ok = info == 0
    value = matrix_norm(A, p) * matrix_norm(Ainv.where(ok[..., None, None], 0.0), p)
    return where(ok, value, math.inf)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset`` diagonal of the matrices of ``A`` (a view), like ``A.diagonal`` with matrix defaults.

    Example:
        >>> import ember
        >>> ember.linalg.diagonal(ember.arange(9.0).reshape(3, 3), offset=1)
        tensor([1., 5.])
    """
    return A.diagonal(offset=offset, dim1=dim1, dim2=dim2)
