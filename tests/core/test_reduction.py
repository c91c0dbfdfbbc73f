"""Reductions: values vs numpy on every device, float64 gradients, dtypes, keepdim shapes, return types."""

import warnings

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(1)
A = rng.standard_normal((3, 4))
P = rng.uniform(0.5, 2.0, (3, 4))
T = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, -1.0, 2.0, 2.0], [0.0, 0.0, 4.0, 1.0]])  # ties
Z = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [1.2, 0.7, -0.4, 2.0]])  # zeros
D = rng.permutation(12).reshape(3, 4).astype(np.float64)  # distinct values


def np_median(a, axis):
    s = np.sort(a, axis=axis)
    return np.take(s, (a.shape[axis] - 1) // 2, axis=axis)


CASES = [
    Case("sum_tuple", lambda a: a.sum((0, 1), keepdim=True), lambda a: a.sum((0, 1), keepdims=True), (A,)),
    Case("nansum", lambda a: ember.nansum(a, 1), lambda a: np.nansum(a, 1), (A,)),
    Case("mean_neg_dim", lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdims=True), (A,)),
    Case("nanmean", lambda a: ember.nanmean(a, 0), lambda a: np.nanmean(a, 0), (A,)),
    Case("prod_all", lambda a: a.prod(), lambda a: np.prod(a), (P,)),
    Case("prod_dim", lambda a: a.prod(1, keepdim=True), lambda a: a.prod(1, keepdims=True), (A,)),
    Case("prod_zeros", lambda a: a.prod(1), lambda a: a.prod(1), (Z,), gradgrad=False),
    Case("max_all", lambda a: a.max(), lambda a: a.max(), (D,)),
    Case("max_dim", lambda a: tuple(a.max(1)), lambda a: (a.max(1), a.argmax(1)), (D,), grad=False),
    Case("max_dim_grad", lambda a: a.max(1).values, lambda a: a.max(1), (D,)),
    Case("min_dim_keep", lambda a: tuple(ember.min(a, 0, keepdim=True)), lambda a: (a.min(0, keepdims=True), a.argmin(0, keepdims=True)), (D,), grad=False),
    Case("min_dim_grad", lambda a: ember.min(a, 0, keepdim=True).values, lambda a: a.min(0, keepdims=True), (D,)),
    Case("max_binary", lambda a, b: ember.max(a, b), np.maximum, (A, P)),
    Case("amax_ties", lambda a: ember.amax(a, 1), lambda a: a.max(1), (T,), grad=False),
    Case("amax_grad", lambda a: ember.amax(a, 1, keepdim=True), lambda a: a.max(1, keepdims=True), (D,)),
    Case("amin_dims", lambda a: ember.amin(a, (0, 1)), lambda a: a.min((0, 1)), (T,)),
    Case("aminmax", lambda a: tuple(ember.aminmax(a, dim=0)), lambda a: (a.min(0), a.max(0)), (D,)),
    Case("argmax_flat", lambda a: ember.argmax(a), lambda a: np.argmax(a), (D,), grad=False),
    Case("argmin_dim", lambda a: ember.argmin(a, 1, keepdim=True), lambda a: np.argmin(a, 1, keepdims=True), (D,), grad=False),
    Case("var", lambda a: a.var(1), lambda a: a.var(1, ddof=1), (A,)),
    Case("var_correction0", lambda a: ember.var(a, 0, correction=0, keepdim=True), lambda a: a.var(0, keepdims=True), (A,)),
    Case("std_unbiased_false", lambda a: ember.std(a, 1, False), lambda a: a.std(1), (A,)),
    Case("std_all", lambda a: a.std(), lambda a: a.std(ddof=1), (A,)),
    Case("var_mean", lambda a: ember.var_mean(a, 1), lambda a: (a.var(1, ddof=1), a.mean(1)), (A,)),
    Case("std_mean", lambda a: ember.std_mean(a, (0, 1), keepdim=True), lambda a: (a.std(ddof=1, keepdims=True), a.mean(keepdims=True)), (A,)),
    Case("logsumexp", lambda a: ember.logsumexp(a, 1), lambda a: np.log(np.exp(a).sum(1)), (A,)),
    Case("logsumexp_large", lambda a: ember.logsumexp(a * 1000, (0, 1), keepdim=True), lambda a: _lse_big(a * 1000), (A,), gradgrad=False),
    Case("cumsum", lambda a: a.cumsum(1), lambda a: a.cumsum(1), (A,)),
    Case("cumprod", lambda a: a.cumprod(0), lambda a: a.cumprod(0), (A,)),
    Case("cumprod_zeros", lambda a: ember.cumprod(a, 1), lambda a: a.cumprod(1), (Z,)),
    Case("cummax", lambda a: tuple(ember.cummax(a, 1)), lambda a: (np.maximum.accumulate(a, 1), np.array([[0, 1, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]])), (np.array([[1.0, 3.0, 3.0, 0.5], [2.0, -1.0, 2.5, 2.0], [0.0, -1.0, 4.0, 1.0]]),), grad=False),
    Case("cummax_grad", lambda a: ember.cummax(a, 1).values, lambda a: np.maximum.accumulate(a, 1), (D,)),
    Case("cummin", lambda a: tuple(ember.cummin(a, 0)), lambda a: (np.minimum.accumulate(a, 0), _running_idx(a, 0, np.less_equal)), (D,), grad=False),
    Case("cummin_grad", lambda a: ember.cummin(a, 0).values, lambda a: np.minimum.accumulate(a, 0), (D,)),
    Case("median_all", lambda a: a.median(), lambda a: np_median(a.reshape(-1), 0), (D,)),
    Case("median_dim", lambda a: ember.median(a, 1).values, lambda a: np_median(a, 1), (D,)),
    Case("nanmedian", lambda a: ember.nanmedian(a), lambda a: np.float64(np.sort(a[~np.isnan(a)])[2]), (np.array([3.0, np.nan, 1.0, 2.0, 7.0, 5.0]),), grad=False),
    Case("mode", lambda a: tuple(ember.mode(a, 1)), lambda a: (np.array([3.0, 2.0, 0.0]), np.array([2, 3, 1])), (T,), grad=False),
    Case("all_any", lambda a: (ember.all(a > 0, 1), ember.any(a > 0, 0), a.all(), ember.any(a)), lambda a: ((a > 0).all(1), (a > 0).any(0), a.all(), a.any()), (T,), grad=False),
    Case("count_nonzero", lambda a: (ember.count_nonzero(a), ember.count_nonzero(a, dim=(0, 1)), ember.count_nonzero(a, 1)), lambda a: (np.count_nonzero(a), np.count_nonzero(a), np.count_nonzero(a, 1)), (Z,), grad=False),
]


def _lse_big(a):
    m = a.max()
    return (np.log(np.exp(a - m).sum()) + m).reshape(1, 1)


def _running_idx(a, axis, better):
    out = np.zeros(a.shape, dtype=np.int64)
    a = np.moveaxis(a, axis, 0)
    o = np.moveaxis(out, axis, 0)
    best = a[0].copy()
    for i in range(1, a.shape[0]):
        take = better(a[i], best)
        best = np.where(take, a[i], best)
        o[i] = np.where(take, i, o[i - 1])
    return out


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_integer_reductions_promote_like_torch():
    i32 = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    assert ember.sum(i32).dtype == ember.int64
    assert ember.prod(i32).dtype == ember.int64 and ember.prod(i32).item() == 24
    assert ember.cumsum(i32, 0).dtype == ember.int64
    assert ember.cumprod(ember.tensor([True, False]), 0).dtype == ember.int64
    assert ember.amax(i32).dtype == ember.int32
    assert ember.max(i32, 1).indices.dtype == ember.int64
    assert ember.logsumexp(ember.tensor([1, 2]), 0).dtype == ember.float32
    assert ember.any(ember.tensor([1, 0], dtype=ember.uint8)).dtype == ember.uint8
    assert ember.all(ember.tensor([1.0, 2.0])).dtype == ember.bool


def test_float_only_reductions_raise():
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        ember.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex dtypes"):
        ember.tensor([1, 2]).var()


def test_keepdim_shapes():
    x = ember.zeros(2, 3, 4)
    assert x.sum((0, 2), keepdim=True).shape == (1, 3, 1)
    assert x.amax(-1, keepdim=True).shape == (2, 3, 1)
    assert x.max(1, keepdim=True).values.shape == (2, 1, 4)
    assert x.argmax(keepdim=True).shape == (1, 1, 1)
    assert x.var(1, keepdim=True).shape == (2, 1, 4)
    assert ember.median(x, 0, keepdim=True).indices.shape == (1, 3, 4)
    assert ember.logsumexp(x, (0, 1)).shape == (4,)


def test_return_types_are_named_tuples():
    x = ember.tensor([[1.0, 5.0], [4.0, 2.0]])
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices and isinstance(r, tuple)
    assert repr(r).startswith("ember.return_types.max(\nvalues=tensor([5., 4.]),\nindices=tensor([1, 0]))")
    assert type(ember.aminmax(x)).__name__ == "aminmax" and ember.aminmax(x).max.item() == 5.0
    assert type(ember.var_mean(x)) is tuple


def test_max_gradient_goes_to_one_index_amax_splits_ties():
    x = ember.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0]]
    x.grad = None
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0.5, 0.5, 0.0]]
    x.grad = None
    x.max().backward()
    assert x.grad.tolist() == [[0.5, 0.5, 0.0]]


def test_nan_propagates_through_extremes_and_median():
    x = ember.tensor([1.0, float("nan"), 3.0, float("nan")])
    assert ember.max(x).isnan().item() if hasattr(x, "isnan") else ember.max(x).item() != ember.max(x).item()
    m = ember.median(x, 0)
    assert m.indices.item() == 1 and m.values.item() != m.values.item()
    assert ember.cummax(x, 0).indices.tolist() == [0, 1, 1, 3]
    assert ember.nanmedian(x).item() == 1.0


def test_logsumexp_finite_for_large_inputs():
    x = ember.tensor([1e4, 1e4, -1e4])
    assert abs(ember.logsumexp(x, 0).item() - (1e4 + np.log(2))) < 1e-2
    assert ember.logsumexp(ember.tensor([float("-inf"), 0.0]), 0).item() == 0.0


def test_var_warns_on_nonpositive_degrees_of_freedom():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        v = ember.tensor([1.0]).std()
    assert v.item() != v.item()


def test_empty_reduction_errors():
    with pytest.raises(RuntimeError, match="max\\(\\): Expected reduction dim to be specified"):
        ember.zeros(0).max()
    with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim 0 to have non-zero size"):
        ember.zeros(0, 3).amax(0)
    assert ember.zeros(0, 3).sum(0).tolist() == [0.0, 0.0, 0.0]
    assert ember.zeros(0, 3).prod(0).tolist() == [1.0, 1.0, 1.0]


def test_dim_out_of_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.zeros(2, 3).amax(2)


def test_index_reductions_send_the_gradient_to_the_index():
    x = ember.tensor([[3.0, 1.0, 3.0, 2.0]], requires_grad=True)
    ember.mode(x, 1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0, 0.0]]
    x.grad = None
    ember.median(x, 1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0, 1.0]]


def test_prod_gradient_with_zeros_closed_form():
    x = ember.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]], requires_grad=True)
    x.prod(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]]


def test_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((4, 5))
    for name, kw in [("var", {"dim": 1}), ("std", {"dim": 0, "correction": 0}), ("logsumexp", {"dim": 1}), ("median", {}), ("cumprod", {"dim": 1}), ("amax", {"dim": 0})]:
        got = getattr(ember, name)(ember.tensor(a), **kw)
        want = getattr(torch, name)(torch.tensor(a), **kw)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, err_msg=name)
    t = rng.integers(0, 3, (3, 7))
    got, want = ember.mode(ember.tensor(t), 1), torch.mode(torch.tensor(t), 1)
    assert got.values.tolist() == want.values.tolist() and got.indices.tolist() == want.indices.tolist()
