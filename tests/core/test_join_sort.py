"""Joining, reordering, triangles/diagonals, sorting and searching: values, gradients, errors."""

import itertools

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(3)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 4))
V = rng.standard_normal(3)
W = rng.standard_normal(3)
S = rng.permutation(12).reshape(3, 4).astype(np.float64)  # distinct values: sort indices are unique


def _topk_ref(a, k, largest=True):
    idx = np.argsort(-a if largest else a, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(a, idx, -1), idx


CASES = [
    Case("cat_dim0", lambda a, b: ember.cat([a, b]), lambda a, b: np.concatenate([a, b]), (A, B)),
    Case("cat_dim1_three", lambda a, v, w: ember.cat((a, v[:, None], w[:, None]), dim=-1),
         lambda a, v, w: np.concatenate([a, v[:, None], w[:, None]], 1), (A, V, W)),
    Case("cat_promotes", lambda a: ember.cat([a, ember.ones(1, 4, dtype=ember.int32, device=a.device)]),
         lambda a: np.concatenate([a, np.ones((1, 4))]), (A,), grad=False),
    Case("cat_skips_legacy_empty", lambda a: ember.concat([a, ember.zeros(0, dtype=a.dtype, device=a.device)], 1), lambda a: a.copy(), (A,)),
    Case("stack", lambda v, w: ember.stack([v, w], 1), lambda v, w: np.stack([v, w], 1), (V, W)),
    Case("hstack", lambda v, w: ember.hstack([v, w]), lambda v, w: np.hstack([v, w]), (V, W)),
    Case("vstack", lambda a, b: ember.vstack((a, b)), lambda a, b: np.vstack([a, b]), (A, B)),
    Case("row_stack_1d", lambda v, w: ember.row_stack((v, w)), lambda v, w: np.vstack([v, w]), (V, W)),
    Case("dstack", lambda v, w: ember.dstack([v, w]), lambda v, w: np.dstack([v, w]), (V, W)),
    Case("column_stack", lambda a, v: ember.column_stack([a, v]), lambda a, v: np.column_stack([a, v]), (A, V)),
    Case("flip", lambda a: a.flip(0, 1), lambda a: np.flip(a, (0, 1)), (A,)),
    Case("flip_list", lambda a: ember.flip(a, [-1]), lambda a: np.flip(a, -1), (A,)),
    Case("fliplr", ember.fliplr, np.fliplr, (A,)),
    Case("flipud", ember.flipud, np.flipud, (A,)),
    Case("roll_flat", lambda a: a.roll(5), lambda a: np.roll(a, 5), (A,)),
    Case("roll_dims", lambda a: ember.roll(a, (1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1)), (A,)),
    Case("rot90", lambda a: a.rot90(), lambda a: np.rot90(a), (A,)),
    Case("rot90_k2", lambda a: ember.rot90(a, 2, [1, 0]), lambda a: np.rot90(a, 2, (1, 0)), (A,)),
    Case("rot90_k_neg", lambda a: ember.rot90(a, -1), lambda a: np.rot90(a, -1), (A,)),
    Case("repeat", lambda v: v.repeat(2, 3), lambda v: np.tile(v, (2, 3)), (V,)),
    Case("repeat_3d", lambda b: b.repeat(2, 1, 2), lambda b: np.tile(b, (2, 1, 2)), (B,)),
    Case("tile", lambda a: a.tile((2,)), lambda a: np.tile(a, 2), (A,)),
    Case("repeat_interleave_int", lambda a: a.repeat_interleave(2, dim=0), lambda a: np.repeat(a, 2, 0), (A,)),
    Case("repeat_interleave_flat", lambda v: ember.repeat_interleave(v, 2), lambda v: np.repeat(v, 2), (V,)),
    Case("repeat_interleave_tensor", lambda a: a.repeat_interleave(ember.tensor([0, 2, 1, 1]), dim=1),
         lambda a: np.repeat(a, [0, 2, 1, 1], 1), (A,)),
    Case("tril", lambda a: a.tril(), np.tril, (A,)),
    Case("triu_offset", lambda a: ember.triu(a, 1), lambda a: np.triu(a, 1), (A,)),
    Case("tril_batched_neg", lambda b: ember.tril(b.reshape(2, 2, 2), -1), lambda b: np.tril(b.reshape(2, 2, 2), -1), (B,)),
    Case("diag_vector", lambda v: ember.diag(v, 1), lambda v: np.diag(v, 1), (V,)),
    Case("diag_matrix", lambda a: a.diag(-1), lambda a: np.diag(a, -1).copy(), (A,)),
    Case("diagflat", lambda b: ember.diagflat(b[:, :2]), lambda b: np.diagflat(b[:, :2]), (B,)),
    Case("diag_embed", lambda b: ember.diag_embed(b, 1), lambda b: np.stack([np.diag(r, 1) for r in b]), (B,)),
    Case("diag_embed_dims", lambda b: ember.diag_embed(b, -1, 0, 2),
         lambda b: np.moveaxis(np.stack([np.diag(r, -1) for r in b]), (1, 2), (0, 2)), (B,)),
    Case("cartesian_prod", lambda v, w: ember.cartesian_prod(v, w), lambda v, w: np.array(list(itertools.product(v, w))), (V, W)),
    Case("combinations", lambda v: ember.combinations(v), lambda v: np.array(list(itertools.combinations(v, 2))), (V,)),
    Case("combinations_replacement", lambda v: ember.combinations(v, 2, with_replacement=True),
         lambda v: np.array(list(itertools.combinations_with_replacement(v, 2))), (V,)),
    Case("argsort", lambda s: s.argsort(dim=0, descending=True), lambda s: np.argsort(-s, 0), (S,), grad=False),
    Case("msort", ember.msort, lambda s: np.sort(s, 0), (S,)),
]

# (values, indices) results: values and indices checked together, gradients through the values
SORTS = [
    ("sort", lambda s: s.sort(), lambda s: (np.sort(s), np.argsort(s))),
    ("sort_desc_dim0", lambda s: ember.sort(s, 0, descending=True), lambda s: (-np.sort(-s, 0), np.argsort(-s, 0))),
    ("topk", lambda s: s.topk(2), lambda s: _topk_ref(s, 2)),
    ("topk_smallest", lambda s: ember.topk(s, 3, largest=False), lambda s: _topk_ref(s, 3, False)),
    ("kthvalue", lambda s: s.kthvalue(2), lambda s: (np.sort(s)[:, 1], np.argsort(s)[:, 1])),
    ("kthvalue_keepdim_dim0", lambda s: ember.kthvalue(s, 3, 0, True), lambda s: (np.sort(s, 0)[2:3], np.argsort(s, 0)[2:3])),
]
for _name, _fn, _ref in SORTS:
    CASES.append(Case(_name, _fn, _ref, (S,), grad=False))
    CASES.append(Case(_name + "_grad", lambda s, f=_fn: f(s)[0], None, (S,)))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_sort_nan_and_stability(device):
    x = ember.tensor([2.0, float("nan"), 1.0, 2.0, 1.0], device=device)
    v, i = x.sort(stable=True)
    assert i.tolist() == [2, 4, 0, 3, 1] and np.isnan(v.tolist()[-1])
    v, i = x.sort(descending=True, stable=True)
    assert i.tolist() == [1, 0, 3, 2, 4]
    assert x.argsort(stable=True).tolist() == [2, 4, 0, 3, 1]
    r = repr(ember.sort(ember.tensor([2, 1])))
    assert r.startswith("ember.return_types.sort(\nvalues=tensor([1, 2])")


def test_unique(device):
    a = np.array([[3, 1, 2], [1, 3, 3]])
    x = ember.tensor(a, device=device)
    vals, inv, counts = ember.unique(x, return_inverse=True, return_counts=True)
    v, ni, nc = np.unique(a, return_inverse=True, return_counts=True)
    assert vals.tolist() == v.tolist() and counts.tolist() == nc.tolist()
    assert inv.tolist() == ni.reshape(a.shape).tolist()
    rows = np.array([[1, 2], [0, 5], [1, 2], [0, 4]])
    vals, inv, counts = ember.tensor(rows, device=device).unique(dim=0, return_inverse=True, return_counts=True)
    v, ni, nc = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    assert vals.tolist() == v.tolist() and inv.tolist() == ni.reshape(-1).tolist() and counts.tolist() == nc.tolist()
    assert ember.tensor(rows, device=device).unique(dim=1).tolist() == np.unique(rows, axis=1).tolist()
    assert ember.unique(ember.tensor([], device=device)).shape == (0,)


def test_unique_consecutive(device):
    x = ember.tensor([1, 1, 2, 2, 3, 1, 1, 2], device=device)
    out, inv, counts = ember.unique_consecutive(x, return_inverse=True, return_counts=True)
    assert out.tolist() == [1, 2, 3, 1, 2]
    assert inv.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]
    assert counts.tolist() == [2, 2, 1, 2, 1]
    m = ember.tensor([[1, 1, 2], [1, 1, 2]], device=device)
    assert m.unique_consecutive(dim=1).tolist() == [[1, 2], [1, 2]]


def test_searchsorted_and_bucketize(device):
    seq = np.array([1.0, 3.0, 5.0, 7.0])
    vals = np.array([[0.0, 3.0], [6.0, 9.0]])
    s, v = ember.tensor(seq, device=device), ember.tensor(vals, device=device)
    assert ember.searchsorted(s, v).tolist() == np.searchsorted(seq, vals).tolist()
    assert ember.searchsorted(s, v, right=True).tolist() == np.searchsorted(seq, vals, side="right").tolist()
    assert ember.searchsorted(s, v, side="right", out_int32=True).dtype == ember.int32
    assert ember.searchsorted(s, 3).tolist() == 1
    seq2 = np.array([[1, 3, 5], [2, 4, 6]])
    got = ember.searchsorted(ember.tensor(seq2, device=device), ember.tensor([[3, 4], [3, 7]], device=device))
    assert got.tolist() == [[1, 2], [1, 3]]
    unsorted = ember.tensor([5, 1, 3], device=device)
    assert ember.searchsorted(unsorted, ember.tensor([2, 4], device=device), sorter=unsorted.argsort()).tolist() == [1, 2]
    assert ember.bucketize(v, s).tolist() == np.searchsorted(seq, vals).tolist()
    assert ember.bucketize(ember.tensor([3.0], device=device), s, right=True).tolist() == [2]


def test_bincount_and_histc(device):
    x = ember.tensor([0, 1, 1, 4], device=device)
    assert ember.bincount(x).tolist() == [1, 2, 0, 0, 1]
    assert x.bincount(minlength=7).tolist() == [1, 2, 0, 0, 1, 0, 0]
    w = ember.tensor([0.5, 1.0, 2.0, 0.25], device=device)
    got = ember.bincount(x, weights=w)
    assert got.dtype == ember.float32 and got.tolist() == [0.5, 3.0, 0.0, 0.0, 0.25]
    assert ember.bincount(x, ember.tensor([1, 2, 3, 4], device=device)).dtype == ember.float64
    assert ember.bincount(ember.tensor([], dtype=ember.int64, device=device)).tolist() == []
    data = rng.standard_normal(50).astype(np.float32)
    h = ember.histc(ember.tensor(data, device=device), bins=5, min=-1, max=1)
    want, _ = np.histogram(data[(data >= -1) & (data <= 1)], bins=5, range=(-1, 1))
    assert h.dtype == ember.float32 and h.tolist() == want.astype(np.float32).tolist()
    auto = ember.histc(ember.tensor([1.0, 2.0, 2.0, 4.0], device=device), bins=3)
    assert auto.tolist() == [1.0, 2.0, 1.0]


def test_tril_triu_indices_and_masks(device):
    for row, col, off in ((3, 3, 0), (3, 4, 1), (4, 3, -1)):
        np.testing.assert_array_equal(ember.tril_indices(row, col, off, device=device).cpu().numpy(), np.stack(np.tril_indices(row, off, col)))
        np.testing.assert_array_equal(ember.triu_indices(row, col, off, device=device).cpu().numpy(), np.stack(np.triu_indices(row, off, col)))
    m = ember.ones(2, 3, dtype=ember.bool, device=device)
    assert m.tril().tolist() == np.tril(np.ones((2, 3), bool)).tolist()


def test_repeat_interleave_index_form_and_errors():
    assert ember.repeat_interleave(ember.tensor([1, 0, 2])).tolist() == [0, 2, 2]
    with pytest.raises(RuntimeError, match=r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 3 and input.size\(0\) = 2"):
        ember.zeros(2).repeat_interleave(ember.tensor([1, 2, 3]))


def test_cat_out_and_single():
    out = ember.empty(0)
    ember.cat([ember.ones(2), ember.zeros(1)], out=out)
    assert out.tolist() == [1.0, 1.0, 0.0]
    x = ember.ones(2)
    y = ember.cat([x])
    y += 1
    assert x.tolist() == [1.0, 1.0]


def test_flip_returns_a_copy():
    x = ember.arange(3.0)
    y = x.flip(0)
    y += 10
    assert x.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("fn, err, match", [
    (lambda: ember.cat([ember.zeros(2, 2), ember.zeros(3, 3)], 1), RuntimeError,
     r"Sizes of tensors must match except in dimension 1\. Expected size 2 but got size 3 for tensor number 1 in the list\."),
    (lambda: ember.cat([ember.zeros(2, 2), ember.zeros(2, 3, 1)], 1), RuntimeError, "Tensors must have same number of dimensions: got 2 and 3"),
    (lambda: ember.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda: ember.cat([ember.tensor(1.0)]), RuntimeError, r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda: ember.stack([ember.zeros(2), ember.zeros(3)]), RuntimeError, r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"),
    (lambda: ember.rot90(ember.zeros(2, 2), 1, [0, 0]), RuntimeError, "expected rotation dims to be different"),
    (lambda: ember.fliplr(ember.zeros(2)), RuntimeError, "Input must be >= 2-d."),
    (lambda: ember.zeros(2, 2).repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller"),
    (lambda: ember.tril(ember.zeros(2)), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda: ember.diag(ember.zeros(2, 2, 2)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
    (lambda: ember.topk(ember.zeros(3), 4), RuntimeError, "selected index k out of range"),
    (lambda: ember.kthvalue(ember.zeros(3), 0), RuntimeError, "kthvalue\\(\\): selected number k out of range for dimension 0"),
    (lambda: ember.bincount(ember.tensor([-1])), RuntimeError, "bincount only supports 1-d non-negative integral inputs."),
    (lambda: ember.histc(ember.tensor([1, 2])), NotImplementedError, "not implemented for"),
    (lambda: ember.searchsorted(ember.zeros(3), ember.zeros(2), side="left", right=True), RuntimeError, "side and right can't be set to opposites"),
    (lambda: ember.combinations(ember.zeros(2, 2)), RuntimeError, r"Expect a 1D vector, but got shape \[2, 2\]"),
])
def test_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn()


def test_against_torch():
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((4, 5))
    for fn in (lambda m, x: m.rot90(x, 3, [1, 0]), lambda m, x: m.roll(x, (2, -3), (0, 1)), lambda m, x: x.repeat(2, 1, 3),
               lambda m, x: m.triu(x, -1), lambda m, x: m.diag_embed(x, 2, 0, 2), lambda m, x: x.topk(3, 0).values,
               lambda m, x: m.unique((x > 0).long(), dim=1, return_counts=True)[1]):
        np.testing.assert_allclose(fn(ember, ember.tensor(a)).numpy(), fn(torch, torch.tensor(a)).numpy())
