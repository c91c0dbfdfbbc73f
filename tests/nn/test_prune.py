"""nn.utils.prune: masks against numpy references, the reparametrisation, iterative pruning, errors, torch parity."""

import importlib

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import prune

INF = float("inf")


def host(t):
    return t.detach().cpu().numpy()


def distinct(shape, seed=0):
    """Values with distinct absolute values (no ties for topk), random signs, as float32."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return ((rng.permutation(n) + 1) * rng.choice([-1.0, 1.0], n) / n).reshape(shape).astype(np.float32)


def with_weight(module, w, device):
    """``module`` on ``device`` with its weight set to the numpy array ``w``."""
    module = module.to(device)
    module.weight = nn.Parameter(ember.tensor(w, device=device))
    return module


def l1_ref(scores, mask, k):
    """numpy: ``mask`` with the ``k`` entries of smallest |score| among those it keeps zeroed."""
    mask = mask.copy()
    kept = np.flatnonzero(mask.reshape(-1) == 1)
    order = np.argsort(np.abs(scores.reshape(-1)[kept]), kind="stable")
    mask.reshape(-1)[kept[order[:k]]] = 0
    return mask


def ln_ref(scores, mask, k, n, dim):
    """numpy: ``mask`` with the ``k`` channels along ``dim`` of smallest n-norm among the kept channels zeroed."""
    moved = np.moveaxis(scores, dim, 0).reshape(scores.shape[dim], -1)
    keep = np.moveaxis(mask, dim, 0).reshape(scores.shape[dim], -1).sum(1) != 0
    order = {"fro": 2}.get(n, n)
    norms = np.linalg.norm(moved[keep], ord=order, axis=1)
    new = np.zeros(keep.sum())
    new[np.argsort(norms, kind="stable")[k:]] = 1
    channels = np.zeros(scores.shape[dim])
    channels[keep] = new
    shape = [1] * scores.ndim
    shape[dim] = -1
    return mask * channels.reshape(shape)


# --- the reparametrisation -----------------------------------------------------------------------
def test_l1_unstructured_reparametrisation(device):
    w = distinct((4, 5))
    m = with_weight(nn.Linear(5, 4), w, device)
    assert prune.l1_unstructured(m, "weight", amount=6) is m
    mask = l1_ref(w, np.ones_like(w), 6)
    np.testing.assert_array_equal(host(m.weight_mask), mask)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    assert isinstance(m.weight_orig, nn.Parameter) and not isinstance(m.weight, nn.Parameter)
    assert "weight" in m.__dict__
    np.testing.assert_array_equal(host(m.weight), w * mask)
    np.testing.assert_array_equal(host(m.weight_orig), w)
    assert m.weight_mask.dtype == ember.float32 and m.weight_mask.device == m.weight_orig.device
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.L1Unstructured) and hooks[0]._tensor_name == "weight"
    assert prune.is_pruned(m) and prune.is_pruned(nn.Sequential(nn.ReLU(), m))


@pytest.mark.parametrize("amount, k", [(0, 0), (0.25, 5), (0.5, 10), (13, 13), (1.0, 20)])
def test_l1_unstructured_amounts(amount, k):
    w = distinct((4, 5), seed=1)
    m = prune.l1_unstructured(with_weight(nn.Linear(5, 4), w, "cpu"), "weight", amount=amount)
    np.testing.assert_array_equal(host(m.weight_mask), l1_ref(w, np.ones_like(w), k))


def test_forward_pre_hook_recomputes_and_gradient_flows(device):
    w = distinct((3, 4))
    m = prune.l1_unstructured(with_weight(nn.Linear(4, 3), w, device), "weight", amount=5)
    mask = host(m.weight_mask)
    x = ember.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 4), device=device)
    out = m(x)
    np.testing.assert_allclose(host(out), host(x) @ (w * mask).T + host(m.bias), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(host(m.weight_orig.grad), np.broadcast_to(host(x).sum(0), w.shape) * mask, rtol=1e-6)
    with ember.no_grad():
        m.weight_orig.add_(1.0)
    m(x)  # the pre-hook recomputes weight from the changed weight_orig
    np.testing.assert_allclose(host(m.weight), (w + 1) * mask, rtol=1e-6)


def test_remove_makes_pruning_permanent(device):
    w = distinct((3, 4))
    m = prune.l1_unstructured(with_weight(nn.Linear(4, 3), w, device), "weight", amount=0.5)
    mask = host(m.weight_mask)
    orig = m.weight_orig
    assert prune.remove(m, "weight") is m
    assert m.weight is orig and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_array_equal(host(m.weight), w * mask)
    assert list(m.state_dict()) == ["bias", "weight"] and not m._forward_pre_hooks and not prune.is_pruned(m)
    with pytest.raises(ValueError, match="Parameter 'weight' of module Linear.* has to be pruned before pruning can be removed"):
        prune.remove(m, "weight")


def test_state_dict_round_trip():
    src = prune.random_unstructured(nn.Linear(4, 3), "weight", amount=5)
    dst = prune.identity(nn.Linear(4, 3), "weight")
    dst.load_state_dict(src.state_dict())
    x = ember.randn(2, 4)
    np.testing.assert_array_equal(host(dst(x)), host(src(x)))
    np.testing.assert_array_equal(host(dst.weight_mask), host(src.weight_mask))


# --- the methods ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, INF, -INF, "fro"])
@pytest.mark.parametrize("dim, amount, k", [(0, 2, 2), (1, 0.34, 1), (-1, 0.5, 1), (-2, 2, 2)])
def test_ln_structured_against_numpy(device, n, dim, amount, k):
    w = distinct((4, 3, 2, 2), seed=2)
    m = prune.ln_structured(with_weight(nn.Conv2d(3, 4, 2), w, device), "weight", amount=amount, n=n, dim=dim)
    np.testing.assert_array_equal(host(m.weight_mask), ln_ref(w, np.ones_like(w), k, n, dim))


def test_ln_structured_nuclear_norm():
    w = distinct((3, 2, 3), seed=3)
    mask = prune.LnStructured(amount=1, n="nuc", dim=0).compute_mask(ember.tensor(w), ember.ones(3, 2, 3))
    norms = np.linalg.norm(w, ord="nuc", axis=(1, 2))
    np.testing.assert_array_equal(host(mask).sum((1, 2)) == 0, norms == norms.min())


def test_random_unstructured_counts(device):
    m = prune.random_unstructured(nn.Linear(5, 4).to(device), "weight", amount=0.3)
    mask = host(m.weight_mask)
    assert (mask == 0).sum() == 6 and set(np.unique(mask)) == {0.0, 1.0}
    prune.random_unstructured(m, "weight", amount=4)
    new = host(m.weight_mask)
    assert (new == 0).sum() == 10 and np.all(new[mask == 0] == 0)


def test_random_structured_whole_channels(device):
    m = prune.random_structured(nn.Conv2d(4, 6, 3).to(device), "weight", amount=2, dim=0)
    mask = host(m.weight_mask)
    per_channel = mask.reshape(6, -1)
    assert set(per_channel.min(1)) == {0.0, 1.0} and np.all(per_channel.min(1) == per_channel.max(1))
    assert (per_channel.max(1) == 0).sum() == 2
    prune.random_structured(m, "weight", amount=0.5, dim=1)
    new = host(m.weight_mask)
    assert (new.sum((1, 2, 3)) == 0).sum() == 2 and (new.sum((0, 2, 3)) == 0).sum() == 2


def test_identity_and_custom_from_mask(device):
    m = prune.identity(nn.Linear(2, 3).to(device), "bias")
    np.testing.assert_array_equal(host(m.bias_mask), np.ones(3))
    mask = np.array([[1, 0, 1], [0, 1, 1]])
    m = prune.custom_from_mask(nn.Linear(3, 2).to(device), "weight", ember.tensor(mask, device=device))
    assert m.weight_mask.dtype == ember.float32
    np.testing.assert_array_equal(host(m.weight_mask), mask)
    np.testing.assert_array_equal(host(m.weight), host(m.weight_orig) * mask)


def test_prune_method_on_a_tensor():
    t = ember.tensor([3.0, -1.0, 0.5, 2.0])
    np.testing.assert_array_equal(host(prune.L1Unstructured(amount=1).prune(t)), [3.0, -1.0, 0.0, 2.0])
    scores = ember.tensor([0.0, 9.0, 9.0, 9.0])
    np.testing.assert_array_equal(host(prune.L1Unstructured(1).prune(t, importance_scores=scores)), [0.0, -1.0, 0.5, 2.0])
    # a method alone keeps default_mask's zeros but ranks every entry (only a container restricts it, as torch)
    np.testing.assert_array_equal(host(prune.L1Unstructured(1).prune(t, default_mask=ember.tensor([1.0, 0.0, 1.0, 1.0]))),
                                  [3.0, -0.0, 0.0, 2.0])


# --- iterative pruning ---------------------------------------------------------------------------
def test_iterative_pruning_composes(device):
    w = distinct((6, 4), seed=4)
    m = with_weight(nn.Linear(4, 6), w, device)
    prune.l1_unstructured(m, "weight", amount=5)
    prune.l1_unstructured(m, "weight", amount=0.25)  # 0.25 of the 19 unpruned entries: 5
    expected = l1_ref(w, l1_ref(w, np.ones_like(w), 5), 5)
    np.testing.assert_array_equal(host(m.weight_mask), expected)
    prune.ln_structured(m, "weight", amount=2, n=1, dim=0)  # scores: the pruned weight, channels still alive
    expected = ln_ref(w * expected, expected, 2, 1, 0)
    np.testing.assert_array_equal(host(m.weight_mask), expected)
    container = next(iter(m._forward_pre_hooks.values()))
    assert isinstance(container, prune.PruningContainer) and len(m._forward_pre_hooks) == 1
    assert [type(h).__name__ for h in container] == ["L1Unstructured", "L1Unstructured", "LnStructured"]
    assert container._tensor_name == "weight" and isinstance(container[-1], prune.LnStructured)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    np.testing.assert_array_equal(host(m.weight_orig), w)
    prune.remove(m, "weight")
    np.testing.assert_array_equal(host(m.weight), w * expected)


def test_importance_scores(device):
    w = distinct((3, 4), seed=5)
    scores = distinct((3, 4), seed=6)
    m = with_weight(nn.Linear(4, 3), w, device)
    prune.l1_unstructured(m, "weight", amount=4, importance_scores=ember.tensor(scores, device=device))
    np.testing.assert_array_equal(host(m.weight_mask), l1_ref(scores, np.ones_like(w), 4))
    m = with_weight(nn.Linear(4, 3), w, device)
    prune.ln_structured(m, "weight", 1, 2, 1, importance_scores=ember.tensor(scores, device=device))
    np.testing.assert_array_equal(host(m.weight_mask), ln_ref(scores, np.ones_like(w), 1, 2, 1))


def test_global_unstructured(device):
    flat = distinct((39,), seed=7)  # no ties across the three tensors
    w0, w1, b1 = flat[:24].reshape(4, 6), flat[24:36].reshape(3, 4), flat[36:]
    net = nn.Sequential(with_weight(nn.Linear(6, 4), w0, device), with_weight(nn.Linear(4, 3), w1, device))
    net[1].bias = nn.Parameter(ember.tensor(b1, device=device))
    prune.l1_unstructured(net[0], "weight", amount=3)
    first = host(net[0].weight_mask)
    params = [(net[0], "weight"), (net[1], "weight"), (net[1], "bias")]
    assert prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.25) is None
    scores = np.concatenate([(w0 * first).ravel(), w1.ravel(), b1])
    base = np.concatenate([first.ravel(), np.ones(w1.size + b1.size)])
    expected = l1_ref(scores, base, round(0.25 * 36))  # the fraction of the 36 entries still unpruned
    got = np.concatenate([host(net[0].weight_mask).ravel(), host(net[1].weight_mask).ravel(), host(net[1].bias_mask)])
    np.testing.assert_array_equal(got, expected)
    assert [type(h).__name__ for h in net[0]._forward_pre_hooks.values()] == ["PruningContainer"]
    assert [type(h).__name__ for h in net[1]._forward_pre_hooks.values()] == ["CustomFromMask", "CustomFromMask"]
    np.testing.assert_array_equal(host(net[1].bias), b1 * host(net[1].bias_mask))


def test_global_unstructured_importance_scores_and_random(device):
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2)).to(device)
    scores = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    w1 = host(net[1].weight)
    prune.global_unstructured([(net[0], "weight"), (net[1], "weight")], prune.L1Unstructured,
                              importance_scores={(net[0], "weight"): ember.tensor(scores, device=device)}, amount=4)
    expected = l1_ref(np.concatenate([scores.ravel(), w1.ravel()]), np.ones(15), 4)
    got = np.concatenate([host(net[0].weight_mask).ravel(), host(net[1].weight_mask).ravel()])
    np.testing.assert_array_equal(got, expected)
    prune.global_unstructured([(net[0], "weight"), (net[1], "weight")], prune.RandomUnstructured, amount=5)
    new = np.concatenate([host(net[0].weight_mask).ravel(), host(net[1].weight_mask).ravel()])
    assert (new == 0).sum() == 9 and np.all(new[expected == 0] == 0)


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount, error, message", [
    ("a", TypeError, "Invalid type for amount: a. Must be int or float."),
    (-1, ValueError, r"amount=-1 should either be a float in the range \[0, 1\] or a non-negative integer"),
    (1.5, ValueError, r"amount=1.5 should either be a float in the range \[0, 1\] or a non-negative integer"),
])
@pytest.mark.parametrize("method", [prune.RandomUnstructured, prune.L1Unstructured, prune.RandomStructured,
                                    lambda amount: prune.LnStructured(amount, n=2)])
def test_amount_validation(method, amount, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        method(amount)


def test_errors_leave_the_module_unpruned():
    m = nn.Linear(3, 4)
    with pytest.raises(ValueError, match="^amount=5 should be smaller than the number of parameters to prune=4$"):
        prune.l1_unstructured(m, "bias", amount=5)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"] and not prune.is_pruned(m)
    with pytest.raises(ValueError, match=r"^Structured pruning can only be applied to multidimensional tensors. "
                                         r"Found tensor of shape ember.Size\(\[4\]\) with 1 dims$"):
        prune.ln_structured(m, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match=r"^Invalid index 2 for tensor of size ember.Size\(\[4, 3\]\)$"):
        prune.random_structured(m, "weight", amount=1, dim=2)
    with pytest.raises(AssertionError, match=r"importance_scores should have the same shape as parameter weight of "
                                             r"Linear\(.*\), got ember.Size\(\[3\]\) vs ember.Size\(\[4, 3\]\)"):
        prune.l1_unstructured(m, "weight", amount=1, importance_scores=ember.ones(3))
    # the parameter is registered again (at the end, as torch) and no mask is left
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"] and not m._buffers
    assert isinstance(m.weight, nn.Parameter) and not prune.is_pruned(m)


def test_container_and_hook_errors():
    m = prune.identity(prune.identity(nn.Linear(3, 4), "weight"), "weight")
    container = next(iter(m._forward_pre_hooks.values()))
    with pytest.raises(TypeError, match="^<class 'int'> is not a BasePruningMethod subclass$"):
        container.add_pruning_method(3)
    other = prune.Identity()
    other._tensor_name = "bias"
    with pytest.raises(ValueError, match="^Can only add pruning methods acting on the parameter named 'weight' to "
                                         "PruningContainer .*. Found 'bias'$"):
        container.add_pruning_method(other)
    with pytest.raises(AttributeError):  # a method never applied has no tensor name, as torch
        container.add_pruning_method(prune.Identity())
    m.register_forward_pre_hook(prune.Identity.apply(nn.Linear(3, 4), "weight"))
    with pytest.raises(AssertionError, match="^Avoid adding multiple pruning hooks to the same tensor weight of module "
                                             r"Linear\(.*\). Use a PruningContainer.$"):
        prune.l1_unstructured(m, "weight", 1)
    with pytest.raises(TypeError, match='^Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found '
                                        "method <class 'ember.nn.utils.prune.RandomStructured'> of type structured$"):
        prune.global_unstructured([(nn.Linear(2, 2), "weight")], prune.RandomStructured, amount=1)
    with pytest.raises(TypeError, match=r"^global_unstructured\(\): parameters is not an Iterable$"):
        prune.global_unstructured(3, prune.L1Unstructured, amount=1)
    with pytest.raises(TypeError, match=r"^global_unstructured\(\): importance_scores must be of type dict$"):
        prune.global_unstructured([], prune.L1Unstructured, importance_scores=[1], amount=1)


def test_custom_pruning_type_errors():
    class Odd(prune.BasePruningMethod):
        PRUNING_TYPE = "other"

        def compute_mask(self, t, default_mask):
            return default_mask

    prune.identity(m := nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="^Unrecognized PRUNING_TYPE other$"):
        Odd.apply(m, "weight")
    Odd.PRUNING_TYPE = "structured"
    prune.identity(m := nn.Linear(2, 2), "weight")
    with pytest.raises(AttributeError, match='^Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                             "`dim` defined.$"):
        Odd.apply(m, "weight")


# --- torch parity --------------------------------------------------------------------------------
def _scenarios(lib):
    """The same pruning program written against ``lib`` (torch or ember); the state dicts it produces."""
    nn_, prune_ = lib.nn, importlib.import_module(lib.__name__ + ".nn.utils.prune")  # torch does not import it eagerly
    out = {}

    def record(key, module):
        out.update({f"{key}.{k}": v.detach().numpy().copy() for k, v in module.state_dict().items()})
        out[f"{key}.keys"] = list(module.state_dict())

    lib.manual_seed(0)
    m = nn_.Linear(7, 5)
    prune_.random_unstructured(m, "weight", amount=0.3)
    record("ru", m)
    prune_.random_unstructured(m, "weight", amount=4)
    record("ru2", m)
    m = nn_.Conv2d(4, 6, 3)
    prune_.random_structured(m, "weight", amount=2, dim=0)
    prune_.random_structured(m, "weight", amount=0.5, dim=1)
    prune_.random_unstructured(m, "weight", amount=10)
    record("rs", m)
    m = nn_.Conv2d(3, 5, 2)
    prune_.l1_unstructured(m, "weight", amount=0.4)
    prune_.ln_structured(m, "weight", amount=2, n=2, dim=0)
    prune_.ln_structured(m, "weight", amount=1, n=1, dim=1)
    prune_.ln_structured(m, "weight", amount=0.5, n=float("-inf"), dim=-1)
    record("ln", m)
    net = nn_.Sequential(nn_.Linear(8, 4), nn_.Linear(4, 3))
    prune_.l1_unstructured(net[0], "weight", amount=5)
    params = [(net[0], "weight"), (net[1], "weight"), (net[1], "bias")]
    prune_.global_unstructured(params, pruning_method=prune_.L1Unstructured, amount=0.3)
    prune_.global_unstructured(params[:2], pruning_method=prune_.RandomUnstructured, amount=7)
    record("global", net)
    m = nn_.Linear(3, 2)
    prune_.custom_from_mask(m, "weight", lib.tensor([[1, 0, 1], [0, 1, 1]]))
    prune_.identity(m, "bias")
    prune_.random_unstructured(m, "bias", 1)
    record("custom", m)
    prune_.remove(m, "weight")
    record("removed", m)
    m = nn_.Linear(3, 2)
    prune_.l1_unstructured(m, "weight", amount=2)
    m(lib.ones(4, 3)).pow(2).sum().backward()
    out["grad"] = m.weight_orig.grad.numpy().copy()
    m = nn_.Linear(6, 5)
    m.weight = nn_.Parameter(lib.tensor(np.arange(30.0).reshape(5, 6) / 7, dtype=lib.float64))
    prune_.random_unstructured(m, "weight", amount=0.5)
    prune_.random_structured(m, "weight", 2, 0)
    record("float64", m)
    return out


def test_same_masks_and_state_dicts_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _scenarios(ember), _scenarios(torch)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, list):
            assert ours[key] == value, key
        else:
            assert ours[key].dtype == value.dtype, key
            np.testing.assert_array_equal(ours[key], value, err_msg=key)
