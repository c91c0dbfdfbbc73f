"""Linear algebra: products, einsum and ember.linalg vs numpy on every device, float64 gradients, errors."""

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(2)
M = rng.standard_normal((3, 3)) + 3 * np.eye(3)  # well conditioned
MB = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
R = rng.standard_normal((4, 3))
W = rng.standard_normal((2, 4))
V3 = rng.standard_normal((3,))
B = rng.standard_normal((3, 2))
G = rng.standard_normal((3, 3))
SPD = G @ G.T + 3 * np.eye(3)


def sym(a):
    return (a + a.mT) / 2


def spd(a):
    return a @ a.mT + 3 * ember.eye(a.shape[-1], dtype=a.dtype, device=a.device)


CASES = [
    # products
    Case("einsum_matmul", lambda a, b: ember.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, (R, B[:3])),
    Case("einsum_trace_diag", lambda a: (ember.einsum("ii", a), ember.einsum("ii->i", a)), lambda a: (np.trace(a), np.diag(a)), (M,)),
    Case("einsum_implicit_sum", lambda a: ember.einsum("ij", a), lambda a: a, (R,)),
    Case("einsum_reduce_only_operand", lambda a, b: ember.einsum("ij,k->i", a, b), lambda a, b: np.einsum("ij,k->i", a, b), (R, V3)),
    Case("einsum_ellipsis_broadcast", lambda a, b: ember.einsum("...ij,...jk->...ik", a, b), lambda a, b: np.einsum("...ij,...jk->...ik", a, b), (MB, M[None])),
    Case("einsum_three", lambda a, b, c: ember.einsum("ij,jk,k->i", a, b, c), lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c), (R, M, V3)),
    Case("einsum_sublist", lambda a, b: ember.einsum(a, [0, 1], b, [1, 2], [0, 2]), lambda a, b: a @ b, (R, M)),
    Case("tensordot", lambda a, b: ember.tensordot(a, b, dims=([0], [1])), lambda a, b: np.tensordot(a, b, axes=([0], [1])), (R, W)),
    Case("tensordot_int", lambda a, b: ember.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1), (R, M)),
    Case("outer", lambda a, b: ember.outer(a, b), np.outer, (V3, W[0])),
    Case("addmm", lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2), lambda c, a, b: 0.5 * c + 2 * (a @ b), (R[:, :2], R, B)),
    Case("addmv", lambda c, a, b: ember.addmv(c, a, b), lambda c, a, b: c + a @ b, (W[0], R, V3)),
    Case("addr", lambda c, a, b: ember.addr(c, a, b, alpha=3), lambda c, a, b: c + 3 * np.outer(a, b), (M, V3, V3)),
    Case("baddbmm", lambda c, a, b: ember.baddbmm(c, a, b, beta=2), lambda c, a, b: 2 * c + a @ b, (MB, MB, MB)),
    Case("addbmm", lambda c, a, b: ember.addbmm(c, a, b), lambda c, a, b: c + (a @ b).sum(0), (M, MB, MB)),
    Case("vdot_inner", lambda a, b: (ember.vdot(a, b), ember.inner(a, b)), lambda a, b: (np.vdot(a, b), np.inner(a, b)), (V3, M[0])),
    Case("inner_nd", lambda a, b: ember.inner(a, b), np.inner, (R, M)),
    Case("kron", lambda a, b: ember.kron(a, b), np.kron, (W, B)),
    Case("trace", lambda a: ember.trace(a), np.trace, (R,)),
    Case("matrix_power", lambda a: (ember.matrix_power(a, 3), ember.linalg.matrix_power(a, -2), ember.matrix_power(a, 0)), lambda a: (np.linalg.matrix_power(a, 3), np.linalg.matrix_power(a, -2), np.eye(3)), (M,)),
    Case("multi_dot", lambda a, b, c: ember.linalg.multi_dot([a, b, c]), lambda a, b, c: a @ b @ c, (W, R, B)),
    Case("multi_dot_vectors", lambda a, b, c: ember.linalg.multi_dot([a, b, c]), lambda a, b, c: a @ b @ c, (W[0], R, V3)),
    Case("cross", lambda a, b: ember.linalg.cross(a, b), lambda a, b: np.cross(a, b), (R[:, :3], M[:1])),
    Case("cross_dim0", lambda a, b: ember.cross(a, b, dim=0), lambda a, b: np.cross(a, b, axis=0), (M, G)),
    Case("vecdot", lambda a, b: ember.linalg.vecdot(a, b, dim=0), lambda a, b: (a * b).sum(0), (M, G)),
    # norms
    Case("vector_norm_2", lambda a: ember.linalg.vector_norm(a), lambda a: np.linalg.norm(a), (R,)),
    Case("vector_norm_p_dim", lambda a: ember.linalg.vector_norm(a, 3, dim=1, keepdim=True), lambda a: (np.abs(a) ** 3).sum(1, keepdims=True) ** (1 / 3), (R,)),
    Case("vector_norm_1_inf_0", lambda a: (ember.linalg.vector_norm(a, 1, 0), ember.linalg.vector_norm(a, float("inf"), (0, 1)), ember.linalg.vector_norm(a, -float("inf")), ember.linalg.vector_norm(a, 0)), lambda a: (np.abs(a).sum(0), np.abs(a).max(), np.abs(a).min(), np.float64(a.size)), (R,), gradgrad=False),
    Case("matrix_norms", lambda a: tuple(ember.linalg.matrix_norm(a, o) for o in ("fro", 1, -1, float("inf"), -float("inf"))), lambda a: tuple(np.linalg.norm(a, o) for o in ("fro", 1, -1, np.inf, -np.inf)), (R,), gradgrad=False),
    Case("matrix_norms_svd", lambda a: tuple(ember.linalg.matrix_norm(a, o) for o in ("nuc", 2, -2)), lambda a: tuple(np.linalg.norm(a, o) for o in ("nuc", 2, -2)), (R,)),
    Case("matrix_norm_dims_keep", lambda a: ember.linalg.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True), lambda a: np.linalg.norm(np.moveaxis(a, (0, 2), (-2, -1)), "nuc", axis=(-2, -1))[None, :, None], (MB,), grad=False),
    Case("linalg_norm", lambda a: (ember.linalg.norm(a), ember.linalg.norm(a, dim=1), ember.linalg.norm(a, "fro"), ember.linalg.norm(a, 2)), lambda a: (np.linalg.norm(a), np.linalg.norm(a, axis=1), np.linalg.norm(a, "fro"), np.linalg.norm(a, 2)), (R,)),
    Case("torch_norm", lambda a: (ember.norm(a), ember.norm(a, p=1, dim=0), ember.norm(a, p="nuc")), lambda a: (np.linalg.norm(a), np.abs(a).sum(0), np.linalg.norm(a, "nuc")), (R,)),
    # inverses and solvers
    Case("inv", ember.linalg.inv, np.linalg.inv, (MB,)),
    Case("det", ember.linalg.det, np.linalg.det, (MB,)),
    Case("slogdet", lambda a: tuple(ember.linalg.slogdet(a)), lambda a: tuple(np.linalg.slogdet(a)), (-M,)),
    Case("solve_matrix", ember.linalg.solve, np.linalg.solve, (M, B)),
    Case("solve_vector_batch", ember.linalg.solve, lambda a, b: np.linalg.solve(a, b[..., None])[..., 0], (MB, MB[:, 0])),
    Case("solve_right", lambda a, b: ember.linalg.solve(a, b, left=False), lambda a, b: b @ np.linalg.inv(a), (M, B.T)),
    # decompositions (gradients of gauge-invariant functions)
    Case("cholesky", lambda a: ember.linalg.cholesky(spd(a)), lambda a: np.linalg.cholesky(a @ a.T + 3 * np.eye(3)), (G,)),
    Case("cholesky_upper", lambda a: ember.linalg.cholesky(spd(a), upper=True), lambda a: np.linalg.cholesky(a @ a.T + 3 * np.eye(3)).T, (G,), grad=False),
    Case("qr_tall", lambda a: tuple(ember.linalg.qr(a)), lambda a: tuple(np.linalg.qr(a)), (R,)),
    Case("qr_wide", lambda a: tuple(ember.linalg.qr(a)), lambda a: tuple(np.linalg.qr(a)), (W,)),
    Case("qr_complete_square", lambda a: tuple(ember.linalg.qr(a, mode="complete")), lambda a: tuple(np.linalg.qr(a, mode="complete")), (M,)),
    Case("svd_tall", lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*ember.linalg.svd(a, full_matrices=False)), lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*np.linalg.svd(a, full_matrices=False)), (R,)),
    Case("svd_wide_reconstruct", lambda a: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(*ember.linalg.svd(a, full_matrices=False)), lambda a: a, (W,)),
    Case("svd_full_values", lambda a: ember.linalg.svd(a).S, lambda a: np.linalg.svd(a)[1], (R,), grad=False),
    Case("svdvals", ember.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), (R,)),
    Case("eigh", lambda a: (lambda w, v: (w, v * v))(*ember.linalg.eigh(sym(a))), lambda a: (lambda w, v: (w, v * v))(*np.linalg.eigh((a + a.T) / 2)), (G,)),
    Case("eigh_upper", lambda a: ember.linalg.eigh(a, UPLO="U").eigenvalues, lambda a: np.linalg.eigh(a, UPLO="U")[0], (G,), grad=False),
    Case("eigvalsh", lambda a: ember.linalg.eigvalsh(sym(a)), lambda a: np.linalg.eigvalsh((a + a.T) / 2), (G,)),
    Case("pinv", ember.linalg.pinv, np.linalg.pinv, (R,)),
    Case("lstsq", lambda a, b: ember.linalg.lstsq(a, b).solution, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], (R, W.T)),
    Case("matrix_rank", lambda a: (ember.linalg.matrix_rank(a), ember.linalg.matrix_rank(a @ a.mT)), lambda a: (np.int64(3), np.int64(3)), (R,), grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_return_types():
    A = ember.tensor(M)
    assert ember.linalg.slogdet(A)._fields == ("sign", "logabsdet")
    assert ember.linalg.qr(A)._fields == ("Q", "R")
    assert ember.linalg.svd(A)._fields == ("U", "S", "Vh")
    assert ember.linalg.eigh(A)._fields == ("eigenvalues", "eigenvectors")
    r = ember.linalg.lstsq(ember.tensor(R), ember.tensor(W.T))
    assert r._fields == ("solution", "residuals", "rank", "singular_values")
    assert r.residuals.shape == (0,) and r.rank.item() == 3
    r = ember.linalg.lstsq(ember.tensor(R), ember.tensor(W.T), driver="gelsd")
    np.testing.assert_allclose(r.residuals.numpy(), np.linalg.lstsq(R, W.T, rcond=None)[1])
    assert r.singular_values.shape == (3,)
    assert repr(ember.linalg.slogdet(ember.eye(2))).startswith("ember.return_types.linalg_slogdet(\nsign=")
    assert ember.linalg.qr(A, mode="r").Q.numel() == 0


def test_full_svd_shapes():
    U, S, Vh = ember.linalg.svd(ember.tensor(R))
    assert U.shape == (4, 4) and S.shape == (3,) and Vh.shape == (3, 3)
    U, S, Vh = ember.linalg.svd(ember.tensor(R), full_matrices=False)
    assert U.shape == (4, 3)


def test_singular_and_not_positive_definite_errors():
    sing = ember.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ember.linalg.LinAlgError, match=r"^linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular.$"):
        ember.linalg.inv(sing)
    with pytest.raises(RuntimeError, match=r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero"):
        ember.linalg.inv(ember.stack([ember.eye(2), sing]) if hasattr(ember, "stack") else ember.tensor([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]))
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.cholesky: The factorization could not be completed because the input is not positive-definite \(the leading minor of order 2 is not positive-definite\)."):
        ember.linalg.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ember.linalg.LinAlgError, match="torch.linalg.solve: The solver failed because the input matrix is singular."):
        ember.linalg.solve(sing, ember.ones(2))


def test_shape_and_dtype_errors():
    with pytest.raises(RuntimeError, match="linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"):
        ember.linalg.inv(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="linalg.inv: The input tensor A must have at least 2 dimensions."):
        ember.linalg.inv(ember.ones(3))
    with pytest.raises(RuntimeError, match="linalg.inv: Expected a floating point or complex tensor as input. Got Long"):
        ember.linalg.inv(ember.ones(2, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x2\)"):
        ember.linalg.solve(ember.eye(3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported."):
        ember.linalg.matrix_norm(ember.eye(3), 3)
    with pytest.raises(RuntimeError, match="linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."):
        ember.linalg.norm(ember.ones(2, 3, 4), ord=2)
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"):
        ember.linalg.vector_norm(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        ember.trace(ember.ones(2, 3, 4))


def test_solve_vector_rule_matches_torch_shapes():
    assert ember.linalg.solve(ember.eye(3).expand(2, 3, 3), ember.ones(2, 3)).shape == (2, 3)
    assert ember.linalg.solve(ember.eye(3).expand(3, 3, 3), ember.ones(3, 3)).shape == (3, 3)
    assert ember.linalg.solve(ember.eye(3), ember.ones(4, 3, 2)).shape == (4, 3, 2)


def test_norm_gradient_is_zero_at_zero():
    x = ember.zeros(3, requires_grad=True)
    ember.linalg.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_cross_without_dim_warns():
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        out = ember.cross(ember.tensor(M), ember.tensor(G))
    np.testing.assert_allclose(out.numpy(), np.cross(M, G, axis=0), rtol=1e-6)


def test_trace_of_integers_is_int64_and_einsum_promotes():
    assert ember.trace(ember.arange(6).reshape(2, 3)).item() == 4
    assert ember.einsum("i,i->", ember.tensor([1, 2]), ember.tensor([0.5, 0.5])).dtype == ember.float32


def test_matches_torch_gradients_when_available():
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 3))
    for fn in (lambda m, L: L.det(m), lambda m, L: L.inv(m).sum(), lambda m, L: L.eigh(m + m.mT).eigenvectors.abs().sum(),
               lambda m, L: L.svd(m, full_matrices=False).U.abs().sum(), lambda m, L: L.cholesky(m @ m.mT + 3 * torch_eye(m)).sum()):
        te = ember.tensor(a, requires_grad=True)
        fn(te, ember.linalg).backward()
        tt = torch.tensor(a, requires_grad=True)
        fn(tt, torch.linalg).backward()
        np.testing.assert_allclose(te.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-8)


def torch_eye(m):
    mod = ember if isinstance(m, ember.Tensor) else __import__("torch")
    return mod.eye(m.shape[-1], dtype=m.dtype)
