"""Ready-made parametrizations: weight_norm, spectral_norm and orthogonal (built on :mod:`.parametrize`)."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...linalg import householder_product, matrix_exp
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _as_matrix, _default_dim, _normalize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# --- weight_norm -----------------------------------------------------------------------------------
class _WeightNorm(Module):
    """``original0 * original1 / ||original1||`` (g and v); its right inverse splits a weight into (g, v)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrize ``module.<name>`` as ``g * v / ||v||``: magnitude ``original0`` (g) and direction ``original1`` (v).

    The norm runs over every dimension but ``dim`` (over all of them for ``dim=None``). State dicts
    of the older :func:`ember.nn.utils.weight_norm` (``<name>_g``, ``<name>_v``) load too.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
        >>> m.parametrizations.weight.original0.shape
        ember.Size([2, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_old_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(load_old_keys)
    return module


# --- spectral_norm ---------------------------------------------------------------------------------
class _SpectralNorm(Module):
    """``weight / sigma``, sigma the largest singular value estimated by power iteration (buffers ``_u``, ``_v``)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = _as_matrix(weight, self.dim)
            h, w = weight_mat.shape
            with no_grad():
                self.register_buffer("_u", _normalize(weight_mat.new_empty(h).normal_(0, 1), eps))
                self.register_buffer("_v", _normalize(weight_mat.new_empty(w).normal_(0, 1), eps))
            self._power_method(weight_mat, 15)

    @no_grad()
    def _power_method(self, weight_mat, n_power_iterations):
        for _ in range(n_power_iterations):
            self._u.copy_(_normalize(weight_mat.mv(self._v), self.eps))
            self._v.copy_(_normalize(weight_mat.mH.mv(self._u), self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return _normalize(weight, self.eps)
        weight_mat = _as_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # the graph must not see the next in-place update
        return weight / u.vdot(weight_mat.mv(v))

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize ``module.<name>`` as itself divided by its largest singular value (power-iteration estimate).

    The vectors ``_u`` and ``_v`` are buffers of the parametrization, refined by
    ``n_power_iterations`` steps at each access in training mode only. ``dim`` (default 0, or 1
    for transposed convolutions) is the output dimension.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 2))
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v']
        >>> _ = [m.weight for _ in range(20)]
        >>> round(ember.linalg.svdvals(m.weight)[0].item(), 4)
        1.0
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _default_dim(module) if dim is None else dim
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# --- orthogonal --------------------------------------------------------------------------------------
def _identity_like(A, n, k):
    from ..._creation import eye

    return eye(n, k, dtype=A.dtype, device=A.device)


@no_grad()
def _householder_reflectors(X):
    """``X`` (n >= k) as torch's ``orthogonal(..., use_trivialization=False)`` stores it: LAPACK's
    ``geqrf`` layout (Householder vectors below the diagonal, R above it) with the diagonal
    replaced by the sign of R's (negated where the reflector is the identity)."""
    from ..._creation import arange
    from ...linalg import vector_norm
    from ...ops.join import stack

    n, k = X.shape[-2:]
    rows = arange(n, device=X.device)
    R = X
    columns = []
    for j in range(k):
        col = R[..., :, j]
        alpha = col[..., j]
        tail = col * (rows > j)
        tail_norm = vector_norm(tail, dim=-1)
        norm = vector_norm(col * (rows >= j), dim=-1)
        beta = (-norm).where(alpha >= 0, norm)
        identity = tail_norm == 0
        below = tail / (alpha - beta).where(~identity, 1.0).unsqueeze(-1)
        v = below + (rows == j)
        tau = ((beta - alpha) / beta).where(~identity, 0.0)
        R = R - tau[..., None, None] * v.unsqueeze(-1) @ (v.unsqueeze(-2) @ R)
        diag = alpha.where(identity, beta).sign() * (1 - 2 * identity.to(X.dtype))
        columns.append(below + diag.unsqueeze(-1) * (rows == j))
    return stack(columns, dim=-1) + R.triu(1)


def _make_orthogonal(A):
    """The Q factor of ``A``'s QR with the signs fixed so that R's diagonal is positive."""
    from ...linalg import qr

    Q, R = qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q):
    from ..._dtype import finfo
    from ...ops.bitwise import allclose

    n, k = Q.shape[-2:]
    return allclose(Q.mH @ Q, _identity_like(Q, k, k), atol=10.0 * n * finfo(Q.dtype).eps)


_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """A matrix (or batch) with orthonormal columns (or rows, when wide) from an unconstrained one."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map == "householder":
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau) * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            from ...ops.join import cat

            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                from ...linalg import solve

                eye = _identity_like(A, n, n)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            Q = Q[..., :k]
        if "base" in self._buffers:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    @no_grad()
    def right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape {Q.shape}.")
        n, k = Q.shape[-2:]
        transposed = n < k
        if transposed:
            Q = Q.mT
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                          "or the Cayley parametrizations when use_trivialization=False.")
            A = _householder_reflectors(Q)
            return A.mT if transposed else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            from ..._random import randn
            from ...ops.join import cat

            Q = _make_orthogonal(cat([Q, randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)], dim=-1))
        self.base = Q
        neg_eye = -_identity_like(Q, n, k).expand(*Q.shape[:-2], n, k)
        return neg_eye.mT if transposed else neg_eye


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize ``module.<name>`` (a matrix or batch) to have orthonormal columns, or rows when it is wide.

    ``orthogonal_map`` is ``"matrix_exp"`` (default for square or complex), ``"cayley"`` or
    ``"householder"`` (default otherwise). With ``use_trivialization`` (the default) the result
    is ``base @ map(original)`` with the buffer ``base`` set on assignment, as in torch.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
        >>> Q = m.weight; bool(ember.allclose(Q.T @ Q, ember.eye(3), atol=1e-5))
        True
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0.base']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] or weight.is_complex() else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}')
    parametrize.register_parametrization(module, name, _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization),
                                         unsafe=True)
    return module
