"""ember.linalg's triangular/LU solvers, matrix_exp, eig, the _ex forms, householder_product, vander,
tensorinv/tensorsolve, cond and diagonal: values vs numpy references and closed forms on every
device, float64 gradients (gradcheck + gradgradcheck), errors, and a torch comparison when torch is present.
"""

import math
import warnings

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(5)
M = rng.standard_normal((4, 4)) + 4 * np.eye(4)
MB = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
RHS = rng.standard_normal((4, 3))
RHSB = rng.standard_normal((3, 1, 4, 2))
TALL = rng.standard_normal((5, 3))
WIDE = rng.standard_normal((3, 5))
SMALL = 0.3 * rng.standard_normal((3, 3))
BIG = 2.0 * rng.standard_normal((2, 3, 3))
HH = rng.standard_normal((4, 3))
TAU = rng.standard_normal(2)
XV = rng.standard_normal((2, 3))


# --- numpy references ----------------------------------------------------------------------------------
def ref_lu(a):
    """LAPACK getf2 on the host: packed LU and 1-based pivots."""
    a = np.array(a, dtype=float)
    m, n = a.shape
    piv = []
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        piv.append(p + 1)
        a[[j, p]] = a[[p, j]]
        if a[j, j] != 0:
            a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return a, np.array(piv, dtype=np.int32)


def ref_perm(piv, m):
    perm = np.arange(m)
    for i, p in enumerate(piv - 1):
        perm[[i, p]] = perm[[p, i]]
    P = np.zeros((m, m))
    P[perm, np.arange(m)] = 1
    return P


def ref_expm(a):
    """Taylor series after scaling, squared back (float64 accurate for these small norms)."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(a).sum(-2).max(), 1e-300) / 0.1))))
    x = a / 2.0 ** s
    out = term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def ref_householder(a, tau):
    m, n = a.shape
    Q = np.eye(m)
    for i in range(len(tau)):
        v = np.zeros(m)
        v[i] = 1
        v[i + 1:] = a[i + 1:, i]
        Q = Q @ (np.eye(m) - tau[i] * np.outer(v, v))
    return Q[:, :n]


def lower(a):
    return np.tril(a)


CASES = [
    Case("solve_triangular_upper", lambda a, b: ember.linalg.solve_triangular(a, b, upper=True), lambda a, b: np.linalg.solve(np.triu(a), b), (M, RHS)),
    Case("solve_triangular_lower_unit", lambda a, b: ember.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
         lambda a, b: np.linalg.solve(np.tril(a, -1) + np.eye(4), b), (M, RHS)),
    Case("solve_triangular_right_batched", lambda a, b: ember.linalg.solve_triangular(a, b, upper=False, left=False),
         lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(np.tril(a), -1, -2), np.swapaxes(b, -1, -2)), -1, -2), (MB, np.swapaxes(RHSB, -1, -2))),
    Case("solve_triangular_broadcast", lambda a, b: ember.linalg.solve_triangular(a, b, upper=True), lambda a, b: np.linalg.solve(np.triu(a), b), (MB, RHSB)),
    Case("lu_factor_square", lambda a: tuple(ember.linalg.lu_factor(a)), ref_lu, (M,), grad=False),
    Case("lu_tall", lambda a: tuple(ember.linalg.lu(a)), lambda a: (ref_perm(ref_lu(a)[1], 5), np.tril(ref_lu(a)[0], -1)[:, :3] + np.eye(5, 3), np.triu(ref_lu(a)[0])[:3]), (TALL,)),
    Case("lu_wide", lambda a: tuple(ember.linalg.lu(a)), lambda a: (ref_perm(ref_lu(a)[1], 3), np.tril(ref_lu(a)[0], -1)[:, :3] + np.eye(3), np.triu(ref_lu(a)[0])), (WIDE,)),
    Case("lu_batched_reconstructs", lambda a: (lambda P, L, U: P @ L @ U)(*ember.linalg.lu(a)), lambda a: a, (MB,)),
    Case("lu_solve", lambda a, b: ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b), np.linalg.solve, (M, RHS)),
    Case("lu_solve_adjoint_right", lambda a, b: (ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b, adjoint=True), ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b.mT, left=False)),
         lambda a, b: (np.linalg.solve(a.T, b), np.linalg.solve(a.T, b).T), (M, RHS)),
    Case("lu_solve_batched_b", lambda a, b: ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b), lambda a, b: np.linalg.solve(a, b), (MB, RHSB)),
    Case("lu_unpack", lambda lu_: tuple(ember.lu_unpack(lu_, ember.tensor([3, 3, 4, 4], dtype=ember.int32, device=lu_.device))),
         lambda lu_: (ref_perm(np.array([3, 3, 4, 4]), 4), np.tril(lu_, -1) + np.eye(4), np.triu(lu_)), (M,)),
    Case("matrix_exp_small", lambda a: ember.linalg.matrix_exp(a), ref_expm, (SMALL,)),
    Case("matrix_exp_scaled_batch", lambda a: ember.matrix_exp(a), ref_expm, (BIG,), rtol=1e-7),
    Case("eig_grad_gauge_invariant", lambda a: (lambda w, v: (w.real, w.imag, v.abs()))(*ember.linalg.eig(a)), None, (SMALL + 2 * np.diag([1.0, 2.0, 3.0]),)),
    Case("householder_product", lambda a, t: ember.linalg.householder_product(a, t), ref_householder, (HH, TAU)),
    Case("orgqr_full_tau", lambda a, t: ember.orgqr(a, t), ref_householder, (HH, np.append(TAU, 0.7))),
    Case("vander", lambda x: ember.linalg.vander(x, N=4), lambda x: x[..., None] ** np.arange(4), (XV,)),
    Case("tensorinv", lambda a: ember.linalg.tensorinv(a.reshape(2, 2, 4), ind=2), lambda a: np.linalg.tensorinv(a.reshape(2, 2, 4), ind=2), (M,)),
    Case("tensorsolve", lambda a, b: ember.linalg.tensorsolve(a.reshape(4, 2, 2), b, dims=(0,)),
         lambda a, b: np.linalg.tensorsolve(a.reshape(4, 2, 2), b, axes=(0,)), (M, RHS[:2, :2])),
    Case("cond_all_p", lambda a: tuple(ember.linalg.cond(a, p) for p in (None, -2, "fro", "nuc", 1, -1, math.inf, -math.inf)),
         lambda a: tuple(np.linalg.cond(a, p) for p in (None, -2, "fro", "nuc", 1, -1, np.inf, -np.inf)), (M,), gradgrad=False),
    Case("cond_rect", lambda a: ember.linalg.cond(a), lambda a: np.linalg.cond(a), (TALL,)),
    Case("diagonal", lambda a: ember.linalg.diagonal(a, offset=-1), lambda a: np.diagonal(a, -1, -2, -1), (MB,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cases(case, device):
    run(case, device)


def test_solve_triangular_large_matches_substitution(device):
    a = rng.standard_normal((40, 40)) + 40 * np.eye(40)
    b = rng.standard_normal((40, 2))
    got = ember.linalg.solve_triangular(ember.tensor(a, device=device), ember.tensor(b, device=device), upper=False)
    np.testing.assert_allclose(got.cpu().numpy(), np.linalg.solve(np.tril(a), b), rtol=1e-10)


def test_solve_triangular_singular_gives_inf_nan(device):
    x = ember.linalg.solve_triangular(ember.zeros(2, 2, device=device), ember.ones(2, 1, device=device), upper=True).cpu().numpy()
    assert np.isnan(x[0, 0]) and np.isinf(x[1, 0])


def test_lu_pivots_info_and_zero_pivot(device):
    A = ember.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]], device=device)
    LU, piv, info = ember.linalg.lu_factor_ex(A)
    assert piv.dtype is ember.int32 and piv.tolist() == [2, 3, 3] and info.item() == 3
    assert ember.linalg.lu_factor_ex(ember.zeros(3, 2, 2, device=device)).info.tolist() == [1, 1, 1]
    with pytest.raises(ember.linalg.LinAlgError, match=r"torch.linalg.lu_factor: U\[3,3\] is zero"):
        ember.linalg.lu_factor(A)
    with pytest.raises(RuntimeError, match=r"lu_factor_ex: \(Batch element 0\): U\[1,1\]"):
        ember.linalg.lu_factor_ex(ember.zeros(2, 2, 2, device=device), check_errors=True)


def test_lu_without_pivoting(device):
    A = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    P, L, U = ember.linalg.lu(A, pivot=False)
    assert P.shape == (0,)
    np.testing.assert_allclose((L @ U).cpu().numpy(), A.cpu().numpy())
    np.testing.assert_allclose(L.cpu().numpy(), [[1, 0], [3, 1]])
    assert ember.linalg.lu_factor(A, pivot=False).pivots.tolist() == [1, 2]


def test_lu_complex_reconstructs(device):
    if device == "strict":
        pytest.skip("complex LU on strict is the same code as numpy")
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    P, L, U = ember.linalg.lu(ember.tensor(a, device=device))
    np.testing.assert_allclose((P @ L @ U).cpu().numpy(), a, atol=1e-12)


def test_lu_empty(device):
    LU, piv = ember.linalg.lu_factor(ember.ones(0, 2, 2, device=device))
    assert LU.shape == (0, 2, 2) and piv.shape == (0, 2)
    LU, piv = ember.linalg.lu_factor(ember.ones(2, 0, 0, device=device))
    assert LU.shape == (2, 0, 0) and piv.shape == (2, 0)


def test_lu_unpack_flags_and_errors(device):
    LU, piv = ember.linalg.lu_factor(ember.tensor([[2.0, 1.0], [4.0, 3.0]], device=device))
    P, L, U = ember.lu_unpack(LU, piv, unpack_data=False)
    assert L.shape == (0,) and U.shape == (0,) and P.tolist() == [[0, 1], [1, 0]]
    assert ember.lu_unpack(LU, piv, unpack_pivots=False).P.shape == (0,)
    with pytest.raises(RuntimeError, match="int32"):
        ember.lu_unpack(LU, piv.long())
    with pytest.raises(RuntimeError, match="between 1 and LU.size"):
        ember.lu_unpack(LU, piv + 5)


def test_matrix_exp_closed_forms(device):
    t = 0.7
    rot = ember.linalg.matrix_exp(ember.tensor([[0.0, -t], [t, 0.0]], dtype=ember.float64, device=device))
    np.testing.assert_allclose(rot.cpu().numpy(), [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]], rtol=1e-13)
    d = ember.tensor([[10.0, 0.0], [0.0, -3.0]], dtype=ember.float64, device=device)
    np.testing.assert_allclose(d.matrix_exp().cpu().numpy(), np.diag(np.exp([10.0, -3.0])), rtol=1e-13, atol=1e-300)
    assert ember.linalg.matrix_exp(ember.ones(0, 0, device=device)).shape == (0, 0)
    if device != "strict":  # array_api_strict has no float16
        half = ember.linalg.matrix_exp(ember.zeros(2, 2, dtype=ember.float16, device=device))
        assert half.dtype is ember.float16 and half.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_eig_and_eigvals(device):
    a = rng.standard_normal((2, 3, 3))
    w, v = ember.linalg.eig(ember.tensor(a, device=device))
    assert w.dtype is ember.complex128 and v.dtype is ember.complex128
    A = a.astype(complex)
    np.testing.assert_allclose(A @ v.cpu().numpy(), v.cpu().numpy() * w.cpu().numpy()[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.sort_complex(ember.linalg.eigvals(ember.tensor(a[0], device=device)).cpu().numpy()), np.sort_complex(np.linalg.eigvals(a[0])), atol=1e-10)
    assert ember.linalg.eigvals(ember.eye(2, device=device)).dtype is ember.complex64


def test_complex_solve_triangular_and_matrix_exp(device):
    a = 0.3 * (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)))
    b = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    A, B = ember.tensor(a + 3 * np.eye(3), device=device), ember.tensor(b, device=device)
    np.testing.assert_allclose(ember.linalg.solve_triangular(A, B, upper=False).cpu().numpy(), np.linalg.solve(np.tril(a + 3 * np.eye(3)), b), rtol=1e-12)
    np.testing.assert_allclose(ember.linalg.matrix_exp(ember.tensor(a, device=device)).cpu().numpy(), ref_expm(a), rtol=1e-12)


def test_ex_forms_report_info(device):
    batch = ember.stack([ember.eye(2, device=device), ember.zeros(2, 2, device=device)])
    inverse, info = ember.linalg.inv_ex(batch)
    assert info.dtype is ember.int32 and info.tolist() == [0, 1]
    assert inverse[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    result, info = ember.linalg.solve_ex(batch, ember.ones(2, 2, 1, device=device))
    assert info.tolist() == [0, 1] and result[0].tolist() == [[1.0], [1.0]]
    L, info = ember.linalg.cholesky_ex(ember.tensor([[[4.0, 2.0], [2.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]], device=device))
    assert info.tolist() == [0, 2, 1] and L[0].tolist() == [[2.0, 0.0], [1.0, 1.0]]
    assert ember.linalg.cholesky_ex(ember.eye(2, device=device), upper=True).info.item() == 0
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.inv_ex: \(Batch element 1\): The diagonal element 1 is zero"):
        ember.linalg.inv_ex(batch, check_errors=True)
    with pytest.raises(RuntimeError, match="leading minor of order 1"):
        ember.linalg.cholesky_ex(-ember.eye(2, device=device), check_errors=True)
    with pytest.raises(RuntimeError, match="solve_ex: The solver failed"):
        ember.linalg.solve_ex(ember.zeros(2, 2, device=device), ember.ones(2, device=device), check_errors=True)


def test_cond_singular_is_inf(device):
    z = ember.zeros(3, 2, 2, device=device)
    assert ember.linalg.cond(z, 1).tolist() == [math.inf] * 3
    assert ember.linalg.cond(z, "fro").tolist() == [math.inf] * 3


def test_vander_integer_and_zero_gradient(device):
    v = ember.linalg.vander(ember.tensor([1, 2, 3], device=device))
    assert v.dtype is ember.int64 and v.tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    x = ember.tensor([0.0, 2.0], requires_grad=True, device=device)
    ember.linalg.vander(x, N=3).sum().backward()
    assert x.grad.tolist() == [1.0, 5.0]


def test_lu_gradients(device):
    for a in (M, TALL, WIDE, MB):
        x = ember.tensor(a, device=device, requires_grad=True)
        assert ember.autograd.gradcheck(lambda t: ember.linalg.lu_factor(t).LU, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)
        assert ember.autograd.gradcheck(lambda t: tuple(ember.linalg.lu(t))[1:], (x,), eps=1e-6, atol=1e-5, rtol=1e-4)
    x = ember.tensor(M, device=device, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.linalg.lu_factor(t).LU, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_deprecated_torch_spellings_warn(device):
    A = ember.tensor([[2.0, 1.0], [0.0, 4.0]], device=device)
    b = ember.tensor([[4.0], [8.0]], device=device)
    with pytest.warns(UserWarning, match="torch.triangular_solve is deprecated"):
        X, C = ember.triangular_solve(b, A)
    assert X.tolist() == [[1.0], [2.0]] and C.tolist() == A.tolist()
    with pytest.warns(UserWarning, match="deprecated"):
        X, _ = b.triangular_solve(A, transpose=True)
    np.testing.assert_allclose(X.cpu().numpy(), np.linalg.solve(A.cpu().numpy().T, b.cpu().numpy()))
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        LU, piv, info = ember.lu(A, get_infos=True)
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        X = ember.lu_solve(b, LU, piv)
    assert X.tolist() == [[1.0], [2.0]]


@pytest.mark.parametrize("call, error, match", [
    (lambda: ember.linalg.solve_triangular(ember.eye(2), ember.ones(2), upper=True), RuntimeError, "B must have at least 2 dimensions"),
    (lambda: ember.linalg.solve_triangular(ember.eye(2), ember.ones(3, 1), upper=True), RuntimeError, r"AX = B \(2x2 and 3x1\)"),
    (lambda: ember.linalg.solve_triangular(ember.eye(2), ember.ones(2, 1), upper=True, left=False), RuntimeError, r"XA = B \(2x2 and 2x1\)"),
    (lambda: ember.linalg.solve_triangular(ember.ones(2, 3), ember.ones(2, 1), upper=True), RuntimeError, "2 by 3 matrices"),
    (lambda: ember.linalg.solve_triangular(ember.ones(2, 2).long(), ember.ones(2, 1).long(), upper=True), NotImplementedError, "triangular_solve_cpu"),
    (lambda: ember.linalg.lu_factor(ember.ones(3)), RuntimeError, "Expected tensor with 2 or more dimensions"),
    (lambda: ember.linalg.lu_factor(ember.ones(2, 2).long()), NotImplementedError, "lu_cpu"),
    (lambda: ember.linalg.lu_solve(ember.eye(2), ember.ones(2, dtype=ember.int64), ember.ones(2, 1)), RuntimeError, "int32"),
    (lambda: ember.linalg.lu_solve(ember.eye(2), ember.ones(1, dtype=ember.int32), ember.ones(2, 1)), RuntimeError, "Number of pivots"),
    (lambda: ember.linalg.lu_solve(ember.eye(2).expand(3, 2, 2), ember.ones(2, dtype=ember.int32), ember.ones(2, 1)), RuntimeError, r"pivots with shape \[2\]"),
    (lambda: ember.linalg.lu_solve(ember.eye(2), ember.ones(2, dtype=ember.int32), ember.ones(2, 1, dtype=ember.float64)), RuntimeError, "LU of type Float and B of type Double"),
    (lambda: ember.linalg.matrix_exp(ember.ones(2, 3)), RuntimeError, "2 by 3 matrices"),
    (lambda: ember.linalg.matrix_exp(ember.ones(2, 2).long()), RuntimeError, "floating point or complex"),
    (lambda: ember.linalg.eig(ember.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: ember.linalg.householder_product(ember.ones(2, 3), ember.ones(2)), RuntimeError, r"input.shape\[-2\] must be greater"),
    (lambda: ember.linalg.householder_product(ember.ones(3, 2), ember.ones(3)), RuntimeError, r"greater than or equal to tau.shape\[-1\]"),
    (lambda: ember.linalg.householder_product(ember.ones(2, 3, 2), ember.ones(3, 2)), RuntimeError, r"but got \[3\]"),
    (lambda: ember.linalg.householder_product(ember.ones(3, 2), ember.ones(2, dtype=ember.float64)), RuntimeError, "tau dtype Double does not match input dtype Float"),
    (lambda: ember.linalg.vander(ember.tensor([2.0]), N=1), RuntimeError, "N must be greater than 1"),
    (lambda: ember.linalg.vander(ember.tensor([True])), RuntimeError, "but got Bool"),
    (lambda: ember.linalg.tensorinv(ember.eye(4).reshape(4, 2, 2)), RuntimeError, "but got 2 != 8"),
    (lambda: ember.linalg.tensorinv(ember.eye(4).reshape(4, 2, 2), ind=0), RuntimeError, "strictly positive integer"),
    (lambda: ember.linalg.tensorsolve(ember.ones(2, 3, 4), ember.ones(2, 3)), RuntimeError, "but got 4 != 6"),
    (lambda: ember.linalg.cond(ember.eye(2), 3), RuntimeError, "invalid norm type: 3"),
    (lambda: ember.linalg.cond(ember.ones(2, 3), 1), RuntimeError, r"linalg.cond\(ord=1\): A must be batches of square matrices"),
    (lambda: ember.linalg.cond(ember.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: ember.triangular_solve(ember.ones(2, 1), ember.eye(2, dtype=ember.float64)), RuntimeError, "b of type Float and A of type Double"),
])
def test_errors(call, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(error, match=match):
            call()


def test_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = MB, RHSB
    ta, tb = torch.tensor(a), torch.tensor(b)
    ea, eb = ember.tensor(a), ember.tensor(b)

    def same(e, t, **kw):
        np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), **kw)

    same(ember.linalg.solve_triangular(ea, eb, upper=True), torch.linalg.solve_triangular(ta, tb, upper=True), rtol=1e-10)
    for x in (a, TALL, WIDE):
        LU, piv = ember.linalg.lu_factor(ember.tensor(x))
        tLU, tpiv = torch.linalg.lu_factor(torch.tensor(x))
        same(LU, tLU, rtol=1e-10, atol=1e-12)
        assert piv.tolist() == tpiv.tolist()
        for e, t in zip(ember.linalg.lu(ember.tensor(x)), torch.linalg.lu(torch.tensor(x)), strict=True):
            same(e, t, rtol=1e-10, atol=1e-12)
    same(ember.linalg.lu_solve(*ember.linalg.lu_factor(ea), eb, adjoint=True), torch.linalg.lu_solve(*torch.linalg.lu_factor(ta), tb, adjoint=True), rtol=1e-10)
    same(ember.linalg.matrix_exp(ember.tensor(BIG)), torch.linalg.matrix_exp(torch.tensor(BIG)), rtol=1e-12)
    same(ember.linalg.householder_product(ember.tensor(HH), ember.tensor(TAU)), torch.linalg.householder_product(torch.tensor(HH), torch.tensor(TAU)), rtol=1e-12)
    same(ember.linalg.eig(ea).eigenvalues, torch.linalg.eig(ta).eigenvalues, rtol=1e-10)
    same(ember.linalg.vander(ember.tensor(XV), N=3), torch.linalg.vander(torch.tensor(XV), N=3))
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        same(ember.linalg.cond(ea, p), torch.linalg.cond(ta, p), rtol=1e-10)
    for name in ("inv_ex", "cholesky_ex"):
        z = np.stack([np.eye(2), np.zeros((2, 2))])
        assert getattr(ember.linalg, name)(ember.tensor(z)).info.tolist() == getattr(torch.linalg, name)(torch.tensor(z)).info.tolist()
    x = torch.tensor(a, requires_grad=True)
    y = ember.tensor(a, requires_grad=True)
    g = rng.standard_normal(a.shape)
    torch.linalg.lu_factor(x).LU.backward(torch.tensor(g))
    ember.linalg.lu_factor(y).LU.backward(ember.tensor(g))
    same(y.grad, x.grad, rtol=1e-9)
