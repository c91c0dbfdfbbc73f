"""API coverage against torch: the names ordinary PyTorch code uses exist in Ember, and the
ops added for coverage (ember.ops.misc, ember._runtime) give numpy-checked values and gradients.
See docs/api-coverage.md for the sweep.
"""

import math

import numpy as np
import pytest

import ember
from harness import Case, run

# names commonly used by tutorials and training scripts, by namespace (all exist in torch)
COMMON = {
    "": "numel is_nonzero is_tensor is_floating_point is_complex is_signed is_same_size get_num_threads set_num_threads "
        "use_deterministic_algorithms are_deterministic_algorithms_enabled compile cdist cosine_similarity pdist "
        "pairwise_distance clamp clamp_ relu_ einsum diff cov corrcoef dist renorm heaviside gcd lcm ldexp logcumsumexp "
        "isin quantile nanquantile block_diag vander trapezoid trapz cumulative_trapezoid unravel_index rsub "
        "scalar_tensor fill zero_ det logdet slogdet inverse pinverse cholesky cholesky_solve cholesky_inverse svd qr "
        "dropout layer_norm group_norm embedding selu celu prelu hardshrink pixel_shuffle get_float32_matmul_precision "
        "set_float32_matmul_precision typename FloatTensor LongTensor BoolTensor channels_last contiguous_format "
        "strided pi e inf nan manual_seed no_grad save load from_numpy",
    "Tensor": "type_as new_zeros new_ones new_full new_empty new_tensor masked_fill_ index_put_ addmm_ baddbmm_ "
              "scatter_ clamp_ lerp_ uniform_ normal_ fill_diagonal_ t_ squeeze_ unsqueeze_ transpose_ swapaxes_ "
              "resize_ resize_as_ apply_ map_ register_hook is_signed is_nonzero is_same_size stride storage_offset "
              "pin_memory share_memory_ sum_to_size cauchy_ log_normal_ geometric_ diff cov dist renorm renorm_ "
              "quantile logcumsumexp det logdet inverse pinverse cholesky svd qr gcd lcm heaviside ldexp "
              "prelu hardshrink is_pinned is_inference is_conj is_neg",
    "nn": "Linear Conv2d BatchNorm2d ReLU Sequential ModuleList ModuleDict ParameterList ParameterDict GRU LSTM "
          "Embedding Dropout CrossEntropyLoss MSELoss Module Parameter Identity Flatten SyncBatchNorm ChannelShuffle",
    "nn.functional": "relu softmax log_softmax cross_entropy mse_loss dropout conv2d max_pool2d linear one_hot pad "
                     "interpolate normalize cosine_similarity embedding layer_norm gelu silu channel_shuffle",
    "nn.init": "xavier_uniform_ kaiming_normal_ zeros_ ones_ normal_ uniform_ constant_ orthogonal_ trunc_normal_",
    "nn.utils": "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters",
    "optim": "SGD Adam AdamW RMSprop Optimizer",
    "optim.lr_scheduler": "StepLR CosineAnnealingLR LambdaLR ReduceLROnPlateau OneCycleLR",
    "utils.data": "DataLoader Dataset TensorDataset random_split Subset",
    "linalg": "norm vector_norm matrix_norm inv solve det svd qr cholesky eigh",
    "autograd": "grad backward Function gradcheck",
}


def _resolve(root, path):
    for part in filter(None, path.split(".")):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("area", sorted(COMMON))
def test_common_names_exist(area):
    namespace = _resolve(ember, area)
    missing = [n for n in COMMON[area].split() if not hasattr(namespace, n)]
    assert not missing, f"ember.{area or ''} lacks {missing}"


@pytest.mark.parametrize("area", sorted(COMMON))
def test_common_names_are_torch_names(area):
    torch = pytest.importorskip("torch")
    namespace = _resolve(torch, area)
    invented = [n for n in COMMON[area].split() if n not in ("save", "load") and not hasattr(namespace, n)]
    assert not invented, f"torch.{area} has no {invented}"


def test_missing_submodule_is_attribute_error():
    assert not hasattr(ember, "definitely_not_a_submodule")


# --- values and gradients of the coverage ops ---------------------------------------------
rng = np.random.default_rng(3)
X = rng.standard_normal((3, 5))
Y = rng.standard_normal((4, 5))
V = rng.standard_normal(6)
SPD = X @ X.T + 3 * np.eye(3)


def np_logcumsumexp(a, axis):
    return np.log(np.cumsum(np.exp(a), axis=axis))


def np_renorm(a, p, dim, maxnorm):
    other = tuple(d for d in range(a.ndim) if d != dim)
    n = np.sum(np.abs(a) ** p, axis=other, keepdims=True) ** (1 / p)
    return np.where(n > maxnorm, a * maxnorm / (n + 1e-7), a)


CASES = [
    Case("diff", lambda a: ember.diff(a), lambda a: np.diff(a), (X,)),
    Case("diff_n2_dim0", lambda a: a.diff(n=2, dim=0), lambda a: np.diff(a, n=2, axis=0), (X,)),
    Case("diff_prepend", lambda a, b: ember.diff(a, prepend=b), lambda a, b: np.diff(a, prepend=b), (V, V[:2])),
    Case("cov", lambda a: ember.cov(a), lambda a: np.cov(a), (X,)),
    Case("cov_correction0", lambda a: ember.cov(a, correction=0), lambda a: np.cov(a, ddof=0), (X,)),
    Case("cov_weights", lambda a, w: ember.cov(a, aweights=w), lambda a, w: np.cov(a, aweights=w), (X, np.abs(V[:5]) + 0.5),
         nondiff=(1,)),
    Case("corrcoef", lambda a: ember.corrcoef(a), lambda a: np.corrcoef(a), (X,)),
    Case("dist", lambda a, b: ember.dist(a, b), lambda a, b: np.linalg.norm(a - b), (X, X[::-1].copy())),
    Case("dist_p3", lambda a, b: a.dist(b, 3), lambda a, b: np.sum(np.abs(a - b) ** 3) ** (1 / 3), (X, X[::-1].copy())),
    Case("renorm", lambda a: ember.renorm(a, 2, 0, 1.0), lambda a: np_renorm(a, 2, 0, 1.0), (X,)),
    Case("logcumsumexp", lambda a: ember.logcumsumexp(a, 1), lambda a: np_logcumsumexp(a, 1), (X,)),
    Case("quantile", lambda a: ember.quantile(a, 0.3, dim=1), lambda a: np.quantile(a, 0.3, axis=1), (X,)),
    Case("quantile_vec", lambda a, q: ember.quantile(a, q, dim=0, keepdim=True),
         lambda a, q: np.quantile(a, q, axis=0, keepdims=True), (X, np.array([0.1, 0.5, 0.9])), nondiff=(1,)),
    Case("trapezoid", lambda y: ember.trapezoid(y), lambda y: np.trapezoid(y), (X,)),
    Case("trapezoid_x", lambda y, x: ember.trapezoid(y, x), lambda y, x: np.trapezoid(y, x), (X, np.cumsum(np.abs(V[:5]))),
         nondiff=(1,)),
    Case("cumulative_trapezoid", lambda y: ember.cumulative_trapezoid(y, dx=0.5),
         lambda y: np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * 0.5, axis=1), (X,)),
    Case("cdist", lambda a, b: ember.cdist(a, b), lambda a, b: np.linalg.norm(a[:, None] - b[None], axis=-1), (X, Y)),
    Case("cdist_p1", lambda a, b: ember.cdist(a, b, p=1), lambda a, b: np.abs(a[:, None] - b[None]).sum(-1), (X, Y),
         gradgrad=False),
    Case("logdet", lambda a: ember.logdet(a), lambda a: np.log(np.linalg.det(a)), (SPD,)),
    Case("inverse", lambda a: a.inverse(), np.linalg.inv, (SPD,)),
    Case("cholesky_solve", lambda b, m: ember.cholesky_solve(b, ember.cholesky(m @ m.mT)),
         lambda b, m: np.linalg.solve(m @ m.T, b), (X, SPD)),
    Case("cholesky_inverse_upper", lambda m: ember.cholesky_inverse(ember.cholesky(m @ m.mT, upper=True), upper=True),
         lambda m: np.linalg.inv(m @ m.T), (SPD,)),
    Case("block_diag", lambda a, b: ember.block_diag(a, b),
         lambda a, b: np.block([[a, np.zeros((3, 4))], [np.zeros((2, 5)), b[:2, :4]]]), (X, Y[:2, :4].copy())),
    Case("vander", lambda x: ember.vander(x, N=4), lambda x: np.vander(x, N=4), (V,)),
    Case("heaviside", lambda a, b: ember.heaviside(a, b), np.heaviside, (np.array([-1.0, 0.0, 2.0]), np.array([0.5])),
         grad=False),
    Case("type_as", lambda a, b: a.type_as(b), lambda a, b: a.astype(b.dtype), (np.arange(3), X), grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_quantile_interpolations_match_numpy(device):
    x = ember.tensor(X, device=device)
    for mode in ("linear", "lower", "higher", "midpoint", "nearest"):
        for q in (0.0, 0.25, 0.5, 0.8, 1.0):
            got = ember.quantile(x, q, dim=1, interpolation=mode).cpu().numpy()
            np.testing.assert_allclose(got, np.quantile(X, q, axis=1, method=mode), err_msg=f"{mode} {q}")
    assert ember.quantile(x, 0.5).item() == pytest.approx(np.median(X))


def test_nanquantile_and_nan_propagation(device):
    a = np.array([[1.0, np.nan, 3.0, 4.0], [np.nan] * 4])
    t = ember.tensor(a, device=device)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = np.nanquantile(a, 0.4, axis=1)
    np.testing.assert_allclose(ember.nanquantile(t, 0.4, dim=1).cpu().numpy(), want)
    assert np.isnan(ember.quantile(t, 0.4, dim=1).cpu().numpy()).all()
    with pytest.raises(RuntimeError, match="q values must be in the range"):
        ember.quantile(t, 1.5)


def test_integer_helpers(device):
    a = ember.tensor([-4, 6, 0, 9, 7], device=device)
    b = ember.tensor([6, -4, 0, 0, 21], device=device)
    assert ember.gcd(a, b).tolist() == np.gcd([-4, 6, 0, 9, 7], [6, -4, 0, 0, 21]).tolist()
    assert ember.lcm(a, b).tolist() == np.lcm([-4, 6, 0, 9, 7], [6, -4, 0, 0, 21]).tolist()
    assert a.clone().gcd_(b).tolist() == [2, 2, 0, 9, 7]
    with pytest.raises(RuntimeError, match="gcd"):
        ember.gcd(a.float(), b.float())
    assert ember.diff(ember.tensor([1, 3, 6, 10], device=device), n=2).tolist() == [1, 1]
    assert ember.diff(ember.tensor([True, True, False], device=device)).tolist() == [False, True]
    assert ember.ldexp(ember.tensor([1, 3], device=device), ember.tensor([3, -1], device=device)).tolist() == [8.0, 1.5]
    assert ember.isin(a, ember.tensor([0, 7], device=device)).tolist() == [False, False, True, False, True]
    assert ember.isin(a, ember.tensor([0, 7], device=device), invert=True).tolist() == [True, True, False, True, False]
    r, c = ember.unravel_index(ember.tensor([4, 1, 5], device=device), (2, 3))
    assert (r.tolist(), c.tolist()) == ([1, 0, 1], [1, 1, 2])
    assert ember.vander(ember.tensor([1, 2, 3], device=device), increasing=True).tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]


def test_inplace_shape_changes_keep_history(device):
    x = ember.tensor(X, device=device, requires_grad=True)
    y = x * 2
    y.t_().unsqueeze_(0)
    assert y.shape == (1, 5, 3)
    y.squeeze_(0).transpose_(0, 1)
    assert y.shape == (3, 5)
    (y * ember.tensor(Y[:3], device=device)).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * Y[:3])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.unsqueeze_(0)
    z = ember.arange(6.0, device=device)
    assert z.resize_(2, 2).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert z.resize_(5).tolist() == [0.0, 1.0, 2.0, 3.0, 0.0]
    assert z.resize_as_(ember.zeros(1, 2)).shape == (1, 2)


def test_fill_diagonal_matches_numpy(device):
    for shape, wrap in (((3, 4), False), ((7, 3), True), ((7, 3), False), ((3, 3, 3), False)):
        want = np.zeros(shape)
        np.fill_diagonal(want, 5, wrap=wrap)
        got = ember.zeros(*shape, device=device).fill_diagonal_(5, wrap=wrap)
        np.testing.assert_array_equal(got.cpu().numpy(), want, err_msg=f"{shape} {wrap}")


def test_tensor_misc_methods(device):
    x = ember.tensor(X, device=device)
    assert x.type_as(ember.zeros(1, dtype=ember.float16)).dtype is ember.float16
    assert x.sum_to_size(1, 5).cpu().numpy() == pytest.approx(X.sum(0, keepdims=True))
    with pytest.raises(RuntimeError, match="not expandable"):
        x.sum_to_size(2, 5)
    assert x.stride() == (5, 1) and x.storage_offset() == 0
    assert ember.is_nonzero(ember.tensor([2], device=device)) and not ember.is_nonzero(ember.tensor(0.0, device=device))
    with pytest.raises(RuntimeError, match="more than one value"):
        ember.is_nonzero(x)
    assert x.is_same_size(x * 2) and not x.is_same_size(x.t())
    assert x.is_signed() and not ember.tensor([1], dtype=ember.uint8, device=device).is_signed()
    assert x.pin_memory() is x and x.share_memory_() is x and not x.is_pinned()
    assert x.new([1, 2]).dtype is x.dtype and x.new(2, 4).shape == (2, 4) and x.new(2).device == x.device


def test_apply_and_map_on_cpu():
    x = ember.tensor([1.0, 2.0, 3.0])
    assert x.apply_(lambda v: v * v).tolist() == [1.0, 4.0, 9.0]
    assert x.map_(ember.tensor([1.0]), lambda a, b: a + b).tolist() == [2.0, 5.0, 10.0]


def test_random_fills_have_right_law():
    n = 20000
    ln = ember.empty(n, dtype=ember.float64).log_normal_(0.5, 0.25)
    assert ln.log().mean().item() == pytest.approx(0.5, abs=0.01)
    assert ln.log().std().item() == pytest.approx(0.25, abs=0.01)
    g = ember.empty(n, dtype=ember.float64).geometric_(0.25)
    assert g.min().item() >= 1 and g.mean().item() == pytest.approx(4.0, rel=0.05)
    c = ember.empty(n, dtype=ember.float64).cauchy_(1.0, 2.0)
    assert c.median().item() == pytest.approx(1.0, abs=0.1)
    assert ((c - 1).abs() < 2).double().mean().item() == pytest.approx(0.5, abs=0.02)  # quartiles at median +- sigma


def test_old_linalg_spellings():
    a = ember.tensor(SPD)
    U, S, V = ember.svd(a)
    np.testing.assert_allclose((U * S) @ V.t(), SPD, atol=1e-10)
    Q, R = ember.qr(a)
    np.testing.assert_allclose((Q @ R).numpy(), SPD, atol=1e-10)
    sign, logabs = ember.slogdet(-a)
    assert sign.item() == -1 and logabs.item() == pytest.approx(math.log(np.linalg.det(SPD)))
    assert math.isnan(ember.logdet(-a).item())
    np.testing.assert_allclose(ember.pinverse(a).numpy(), np.linalg.pinv(SPD), atol=1e-10)
    np.testing.assert_allclose(ember.det(a).item(), np.linalg.det(SPD))


def test_functional_aliases_and_inplace_functions():
    F = ember.nn.functional
    a, b = ember.tensor(X), ember.tensor(X[::-1].copy())
    assert ember.allclose(ember.cosine_similarity(a, b), F.cosine_similarity(a, b))
    w = ember.tensor(Y)
    idx = ember.tensor([0, 3, 1])
    assert ember.equal(ember.embedding(w, idx), F.embedding(idx, w))
    t = ember.tensor([-1.0, 2.0])
    assert ember.relu_(t) is t and t.tolist() == [0.0, 2.0]
    assert ember.zero_(t).tolist() == [0.0, 0.0]
    assert ember.fill(t, 3).tolist() == [3.0, 3.0]
    assert ember.rsub(ember.tensor([1.0, 2.0]), 5, alpha=2).tolist() == [3.0, 1.0]
    assert ember.scalar_tensor(2).dtype is ember.float32
    assert ember.asarray(a) is a and ember.asarray([1, 2], dtype=ember.float64).dtype is ember.float64
    assert ember.asarray(a, copy=True) is not a and ember.equal(ember.asarray(a, copy=True), a)
    assert ember.equal(ember.max_pool2d(ember.ones(1, 1, 4, 4), 2), F.max_pool2d(ember.ones(1, 1, 4, 4), 2))
    assert not ember.detach(a.requires_grad_()).requires_grad
    assert ember.zeros(1).is_meta is False and ember.zeros(1).is_mps is False


def test_runtime_switches():
    n = ember.get_num_threads()
    ember.set_num_threads(3)
    assert ember.get_num_threads() == 3
    ember.set_num_threads(n)
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled() and ember.get_deterministic_debug_mode() == 1
    ember.use_deterministic_algorithms(False)
    with pytest.raises(RuntimeError, match="Invalid precision"):
        ember.set_float32_matmul_precision("low")
    model = ember.nn.Linear(2, 2)
    assert ember.compile(model) is model and ember.compile(mode="max-autotune")(len) is len
    assert ember.typename(ember.zeros(1, dtype=ember.int64)) == "ember.LongTensor"
    assert ember.typename(model) == "ember.nn.modules.linear.Linear"
    assert ember.FloatTensor(2, 3).tolist() == [[0.0] * 3] * 2
    assert ember.tensor([1]).type(ember.DoubleTensor).dtype is ember.float64
    assert isinstance(ember.tensor([1]), ember.LongTensor) and not isinstance(ember.tensor([1]), ember.FloatTensor)
    assert ember.zeros(1).layout == ember.strided and ember.pi == math.pi


def test_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 6))
    pairs = [
        (lambda m, t: m.cov(t), None), (lambda m, t: m.corrcoef(t), None),
        (lambda m, t: m.logcumsumexp(t, 1), None), (lambda m, t: m.diff(t, dim=0), None),
        (lambda m, t: m.quantile(t, m.tensor([0.2, 0.7], dtype=m.float64), dim=1, keepdim=True), None),
        (lambda m, t: m.nanquantile(t, 0.4, interpolation="nearest"), None),
        (lambda m, t: m.renorm(t, 1, 1, 0.5), None), (lambda m, t: m.cdist(t, t * 2), None),
        (lambda m, t: m.trapezoid(t, dx=0.3), None), (lambda m, t: m.cumulative_trapezoid(t, dim=0), None),
        (lambda m, t: m.block_diag(t, t[:2]), None), (lambda m, t: t.sum_to_size(1, 6), None),
        (lambda m, t: m.zeros(5, 3, dtype=m.float64).fill_diagonal_(2.0, wrap=True), None),
    ]
    for fn, _ in pairs:
        want = fn(torch, torch.tensor(x)).numpy()
        got = fn(ember, ember.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_channel_shuffle_matches_index_formula(device):
    x = ember.arange(2 * 6 * 3.0, device=device).reshape(2, 6, 3)
    got = ember.nn.ChannelShuffle(3)(x).cpu().numpy()
    want = x.cpu().numpy().reshape(2, 3, 2, 3).transpose(0, 2, 1, 3).reshape(2, 6, 3)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        ember.nn.functional.channel_shuffle(x, 4)


def test_sync_batchnorm_is_batchnorm_in_one_process():
    nn = ember.nn
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(3)))
    model[1].running_mean.fill_(0.5)
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(synced[1]) is nn.SyncBatchNorm and type(synced[2][0]) is nn.SyncBatchNorm
    assert synced[1].running_mean.tolist() == [0.5] * 3
    x = ember.randn(4, 3, 5, 5)
    reference = nn.BatchNorm2d(3)
    assert ember.allclose(nn.SyncBatchNorm(3)(x), reference(x))
    with pytest.raises(ValueError, match="at least 2D"):
        nn.SyncBatchNorm(3)(ember.zeros(3))


SWEEP_AREAS = ("", "Tensor", "nn", "nn.functional", "nn.init", "nn.utils", "optim", "optim.lr_scheduler", "utils.data",
               "linalg", "fft", "special", "distributions", "autograd", "cuda")


def missing_names(torch, area):
    """Public names of ``torch.<area>`` that ``ember.<area>`` lacks (the sweep behind docs/api-coverage.md)."""

    def has(namespace, name):
        try:
            getattr(namespace, name)
            return True
        except Exception:  # e.g. ember.cuda facades that need a GPU to answer
            return False

    theirs, ours = _resolve(torch, area), _resolve(ember, area)
    return sorted(n for n in dir(theirs) if not n.startswith("_") and not has(ours, n))


def test_sweep_runs_and_common_tensor_methods_are_covered():
    torch = pytest.importorskip("torch")
    missing = missing_names(torch, "Tensor")
    assert not set(COMMON["Tensor"].split()) & set(missing)


if __name__ == "__main__":  # python tests/core/test_api_coverage.py  (needs torch): print the sweep
    import torch as _torch

    for _area in SWEEP_AREAS:
        _names = missing_names(_torch, _area)
        print(f"== torch.{_area or '<top>'}: {len(_names)} missing\n{' '.join(_names)}\n")


def test_renorm_needs_two_dimensions_like_torch():
    with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
        ember.renorm(ember.tensor([3.0, 4.0]), 2, 0, 1.0)
