"""Indexing, assignment, gather/scatter and the index_*/masked_*/take/put ops: values, exact gradients, errors."""

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(1)
A = rng.standard_normal((3, 4))
V3 = rng.standard_normal((3,))
IDX = np.array([[0, 2, 2, 1], [1, 1, 0, 0]])  # gather/scatter index along dim 0, with repeats
MASK = A > 0


def _scatter_ref(base, dim, index, src, op=None):
    out = base.copy()
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        tgt = tuple(tgt)
        out[tgt] = src[pos] if op is None else op(out[tgt], src[pos])
    return out


def _scatter_reduce_ref(base, dim, index, src, reduce, include_self=True):
    groups = {}
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    out = base.copy()
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for tgt, vals in groups.items():
        out[tgt] = fns[reduce](([base[tgt]] if include_self else []) + vals)
    return out


def _index_add_ref(base, dim, index, src, alpha=1):
    out = np.moveaxis(base.copy(), dim, 0)
    np.add.at(out, index, alpha * np.moveaxis(src, dim, 0))
    return np.moveaxis(out, 0, dim)


def _setitem(index):
    def fn(a, v):
        out = a * 1
        out[index] = v
        return out
    return fn


def _setitem_ref(index):
    def ref(a, v):
        out = a.copy()
        out[index] = v
        return out
    return ref


CASES = [
    Case("getitem_int", lambda a: a[1], lambda a: a[1], (A,)),
    Case("getitem_neg_slice_step", lambda a: a[-2:, 1::2], lambda a: a[-2:, 1::2], (A,)),
    Case("getitem_none_ellipsis", lambda a: a[None, ..., 2], lambda a: a[None, ..., 2], (A,)),
    Case("getitem_list_repeats", lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], (A,)),
    Case("getitem_two_arrays", lambda a: a[[0, 2, 2], [1, 1, 3]], lambda a: a[[0, 2, 2], [1, 1, 3]], (A,)),
    Case("getitem_slice_then_array", lambda a: a[:, [3, 0, 3]], lambda a: a[:, [3, 0, 3]], (A,)),
    Case("getitem_bool_mask", lambda a, m: a[m], lambda a, m: a[m], (A, MASK)),
    Case("getitem_bool_row_mask", lambda a: a[ember.tensor([True, False, True])], lambda a: a[np.array([True, False, True])], (A,)),
    Case("getitem_tensor_index", lambda a, i: a[i], lambda a, i: a[i], (A, np.array([[2, 0], [0, 0]]))),
    Case("setitem_basic", _setitem((slice(1, None), 0)), _setitem_ref((slice(1, None), 0)), (A, rng.standard_normal(2))),
    Case("setitem_broadcast_row", _setitem(1), _setitem_ref(1), (A, rng.standard_normal(4))),
    Case("setitem_advanced", _setitem(([0, 2], [1, 3])), _setitem_ref(([0, 2], [1, 3])), (A, rng.standard_normal(2))),
    Case("setitem_mask", lambda a, m, v: _setitem(m)(a, v), lambda a, m, v: _setitem_ref(m)(a, v), (A, MASK, np.array(0.5))),
    Case("gather_dim0_repeats", lambda a, i: ember.gather(a, 0, i), lambda a, i: np.take_along_axis(a, i, 0), (A, IDX)),
    Case("gather_dim1_small_index", lambda a: a.gather(1, ember.tensor([[3, 3], [0, 1]])),
         lambda a: np.take_along_axis(a[:2], np.array([[3, 3], [0, 1]]), 1), (A,)),
    Case("scatter_src", lambda a, s: a.scatter(1, ember.tensor([[2, 0], [1, 3], [0, 1]]), s),
         lambda a, s: _scatter_ref(a, 1, np.array([[2, 0], [1, 3], [0, 1]]), s), (A, rng.standard_normal((3, 3)))),
    Case("scatter_value", lambda a: a.scatter(0, ember.tensor([[1, 0]]), 7.0),
         lambda a: _scatter_ref(a, 0, np.array([[1, 0]]), np.full((1, 2), 7.0)), (A,)),
    Case("scatter_add_repeats", lambda a, s: a.scatter_add(0, ember.tensor(IDX), s),
         lambda a, s: _scatter_ref(a, 0, IDX, s, np.add), (A, rng.standard_normal((2, 4)))),
    Case("index_select", lambda a: a.index_select(1, ember.tensor([3, 0, 3])), lambda a: a[:, [3, 0, 3]], (A,)),
    Case("index_add_repeats", lambda a, s: a.index_add(0, ember.tensor([2, 2]), s, alpha=2),
         lambda a, s: _index_add_ref(a, 0, np.array([2, 2]), s, 2), (A, rng.standard_normal((2, 4)))),
    Case("index_copy", lambda a, s: a.index_copy(1, ember.tensor([3, 0]), s),
         lambda a, s: _setitem_ref((slice(None), [3, 0]))(a, s), (A, rng.standard_normal((3, 2)))),
    Case("index_fill", lambda a: a.index_fill(1, ember.tensor([1, 2]), -1.0),
         lambda a: _setitem_ref((slice(None), [1, 2]))(a, -1.0), (A,)),
    Case("index_put_accumulate", lambda a, v: a.index_put((ember.tensor([0, 0, 2]), ember.tensor([1, 1, 3])), v, accumulate=True),
         lambda a, v: _index_add_ref(a.reshape(-1), 0, np.array([1, 1, 11]), v).reshape(3, 4), (A, V3)),
    Case("masked_fill", lambda a, m: a.masked_fill(m, 0.0), lambda a, m: np.where(m, 0.0, a), (A, MASK)),
    Case("masked_fill_tensor_value", lambda a, m, v: a.masked_fill(m, v), lambda a, m, v: np.where(m, v, a), (A, MASK, np.array(2.0))),
    Case("masked_select_broadcast", lambda a: a.masked_select(ember.tensor([True, False, False, True])),
         lambda a: a[:, [0, 3]].reshape(-1), (A,)),
    Case("masked_scatter", lambda a, m, s: a.masked_scatter(m, s),
         lambda a, m, s: _setitem_ref(m)(a, s[:m.sum()]), (A, MASK, rng.standard_normal(12))),
    Case("take", lambda a: ember.take(a, ember.tensor([[0, -1], [5, 5]])), lambda a: a.reshape(-1)[[[0, -1], [5, 5]]], (A,)),
    Case("take_along_dim", lambda a: ember.take_along_dim(a, ember.tensor([[1], [0], [3]]), 1),
         lambda a: np.take_along_axis(a, np.array([[1], [0], [3]]), 1), (A,)),
    Case("take_along_dim_broadcast", lambda a: ember.take_along_dim(a, ember.tensor([[2, 0, 0, 1]]), 0),
         lambda a: np.take_along_axis(a, np.array([[2, 0, 0, 1]]), 0), (A,)),
    Case("take_along_dim_flat", lambda a: ember.take_along_dim(a, ember.tensor([1, 11])), lambda a: a.reshape(-1)[[1, 11]], (A,)),
    Case("put_accumulate", lambda a, s: a.put(ember.tensor([1, 1, 7]), s, accumulate=True),
         lambda a, s: _index_add_ref(a.reshape(-1), 0, np.array([1, 1, 7]), s).reshape(3, 4), (A, V3)),
    Case("put", lambda a, s: a.put(ember.tensor([0, 7]), s), lambda a, s: _setitem_ref([0, 7])(a.reshape(-1), s).reshape(3, 4),
         (A, V3[:2])),
    Case("select_scatter", lambda a, s: ember.select_scatter(a, s, 1, -1), lambda a, s: _setitem_ref((slice(None), -1))(a, s), (A, V3)),
    Case("slice_scatter", lambda a, s: ember.slice_scatter(a, s, 1, 1, None, 2),
         lambda a, s: _setitem_ref((slice(None), slice(1, None, 2)))(a, s), (A, rng.standard_normal((3, 2)))),
]
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        CASES.append(Case(
            f"scatter_reduce_{_reduce}_{'self' if _self else 'noself'}",
            lambda a, s, r=_reduce, inc=_self: a.scatter_reduce(0, ember.tensor(IDX), s, r, include_self=inc),
            lambda a, s, r=_reduce, inc=_self: _scatter_reduce_ref(a, 0, IDX, s, r, inc),
            (A, rng.standard_normal((2, 4))),
            gradgrad=_reduce in ("sum", "mean"),
        ))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_gather_scatter_gradient_accumulates_repeats(device):
    x = ember.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    x.gather(0, ember.tensor([0, 0, 2, 0], device=device)).sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    ember.zeros(3, device=device).scatter_add(0, ember.tensor([2, 2], device=device), y * 2).sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]


def test_scatter_reduce_prod_with_zeros_gradient(device):
    base = ember.tensor([2.0, 3.0], dtype=ember.float64, device=device, requires_grad=True)
    src = ember.tensor([0.0, 5.0, 0.0], dtype=ember.float64, device=device, requires_grad=True)
    idx = ember.tensor([0, 0, 1], device=device)
    assert ember.autograd.gradcheck(lambda b, s: b.scatter_reduce(0, idx, s, "prod"), (base, src))


def test_amax_ties_share_gradient(device):
    src = ember.tensor([1.0, 4.0, 4.0], device=device, requires_grad=True)
    out = ember.zeros(1, device=device).scatter_reduce(0, ember.tensor([0, 0, 0], device=device), src, "amax")
    out.sum().backward()
    assert src.grad.tolist() == [0.0, 0.5, 0.5]


def test_setitem_inplace_no_grad_and_version(device):
    x = ember.zeros(3, 4, device=device)
    v0 = x._version[0]
    x[ember.tensor([0, 2], device=device), 1] = 5.0
    x[1:, 3] = ember.tensor([1.0, 2.0], device=device)
    x[x > 4] = -1.0
    want = np.zeros((3, 4))
    want[[0, 2], 1] = -1
    want[1:, 3] = [1, 2]
    np.testing.assert_array_equal(x.cpu().numpy(), want)
    assert x._version[0] == v0 + 3


def test_setitem_records_gradient_for_value_and_base(device):
    base = ember.ones(2, 3, device=device, requires_grad=True)
    val = ember.tensor([2.0, 3.0], device=device, requires_grad=True)
    y = base * 1
    y[:, 1] = val
    (y * ember.arange(6.0, device=device).reshape(2, 3)).sum().backward()
    assert base.grad.tolist() == [[0.0, 0.0, 2.0], [3.0, 0.0, 5.0]]
    assert val.grad.tolist() == [1.0, 4.0]


def test_getitem_basic_is_view_advanced_is_copy(device):
    x = ember.zeros(3, 4, device=device)
    v = x[1:, ::2]
    with ember.no_grad():
        v += 1
    assert x.sum().item() == 4.0 and v._version is x._version
    c = x[[0, 1]]
    c += 10
    assert x.sum().item() == 4.0


def test_nonzero_argwhere(device):
    a = np.array([[0, 1, 0], [2, 0, 3]])
    x = ember.tensor(a, device=device)
    np.testing.assert_array_equal(x.nonzero().cpu().numpy(), np.argwhere(a))
    np.testing.assert_array_equal(ember.argwhere(x).cpu().numpy(), np.argwhere(a))
    for got, want in zip(x.nonzero(as_tuple=True), np.nonzero(a)):
        np.testing.assert_array_equal(got.cpu().numpy(), want)
    assert ember.tensor(3, device=device).nonzero().shape == (1, 0)
    assert ember.tensor(0, device=device).nonzero().shape == (0, 0)
    assert [t.tolist() for t in ember.where(ember.tensor([False, True], device=device))] == [[1]]


def test_uint8_index_warns_and_masks():
    x = ember.tensor([1, 2, 3])
    with pytest.warns(UserWarning, match="uint8"):
        assert x[ember.tensor([1, 0, 1], dtype=ember.uint8)].tolist() == [1, 3]


@pytest.mark.parametrize("fn, err, match", [
    (lambda x: x[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[0, 0, 0], IndexError, "too many indices"),
    (lambda x: x[ember.tensor([0.5])], IndexError, "tensors used as indices must be long, int, byte or bool"),
    (lambda x: x[::-1], ValueError, "step must be greater than zero"),
    (lambda x: x.gather(1, ember.tensor([0, 1])), RuntimeError, "Index tensor must have the same number of dimensions"),
    (lambda x: x.gather(1, ember.tensor([[0], [1]]).float()), RuntimeError, "Expected dtype int32/int64 for index"),
    (lambda x: x.index_select(1, ember.tensor([[1]])), IndexError, "Index is supposed to be a vector"),
    (lambda x: x.masked_fill(ember.tensor([1, 0, 1, 0]), 0), RuntimeError, "only supports boolean masks, but got mask with dtype long int"),
    (lambda x: x.masked_fill(ember.tensor([True, False, True, False]), ember.ones(2)), RuntimeError, "0-dimensional value tensor"),
    (lambda x: x.scatter(1, ember.tensor([[0], [1], [2]]), ember.ones(3, 1, dtype=ember.int64)), RuntimeError, "Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.masked_scatter(ember.ones(3, 4, dtype=ember.bool), ember.ones(3)), RuntimeError, "Number of elements of source < number of ones in mask"),
    (lambda x: x.scatter_reduce(0, ember.tensor([[0]]), ember.ones(1, 1), "max"), RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin"),
])
def test_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn(ember.zeros(3, 4))


def test_matches_torch_on_mixed_index():
    torch = pytest.importorskip("torch")
    a = np.arange(60.0).reshape(3, 4, 5)
    index = (slice(None), [0, 2], 1)
    np.testing.assert_array_equal(ember.tensor(a)[index].numpy(), torch.tensor(a)[index].numpy())
    sr_e = ember.tensor(A).scatter_reduce(0, ember.tensor(IDX), ember.ones(2, 4, dtype=ember.float64), "mean", include_self=False)
    sr_t = torch.tensor(A).scatter_reduce(0, torch.tensor(IDX), torch.ones(2, 4, dtype=torch.float64), "mean", include_self=False)
    np.testing.assert_allclose(sr_e.numpy(), sr_t.numpy())
