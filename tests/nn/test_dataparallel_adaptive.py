"""nn.DataParallel (single-device semantics) and nn.AdaptiveLogSoftmaxWithLoss (numpy reference, torch comparison)."""

import numpy as np
import pytest

import ember
import ember.nn as nn

rng = np.random.default_rng(11)


def host(t):
    return t.detach().cpu().numpy()


# --- DataParallel -------------------------------------------------------------------------------
def test_dataparallel_runs_the_module_and_prefixes_state():
    inner = nn.Linear(3, 2)
    dp = nn.DataParallel(inner)
    x = ember.randn(4, 3)
    assert dp.module is inner
    np.testing.assert_array_equal(host(dp(x)), host(inner(x)))
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    assert repr(dp) == "DataParallel(\n  (module): Linear(in_features=3, out_features=2, bias=True)\n)"
    other = nn.DataParallel(nn.Linear(3, 2))
    other.load_state_dict(dp.state_dict())
    np.testing.assert_array_equal(host(other(x)), host(dp(x)))
    out = dp(x).sum()
    out.backward()
    assert inner.weight.grad is not None
    if not ember.cuda.is_available():
        assert dp.device_ids == []


def test_dataparallel_on_cuda_moves_inputs_to_the_first_device():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device")
    dp = nn.DataParallel(nn.Linear(3, 2), device_ids=[0])
    assert dp.module.weight.device == ember.device("cuda", 0)
    out = dp(ember.randn(4, 3))  # a CPU batch goes to cuda:0
    assert out.device == ember.device("cuda", 0) and out.shape == (4, 2)
    wrong = nn.DataParallel(nn.Linear(3, 2), device_ids=[0, 0])
    wrong.module.cpu()
    with pytest.raises(RuntimeError, match="module must have its parameters and buffers on device cuda:0"):
        wrong(ember.randn(4, 3))


# --- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------------------
def np_log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def np_full_log_prob(asm, x):
    """The reference: head log-probabilities for the shortlist, cluster ones shifted by the cluster's head score."""
    head = x @ host(asm.head.weight).T + (host(asm.head.bias) if asm.head.bias is not None else 0)
    head_lp = np_log_softmax(head)
    parts = [head_lp[:, :asm.shortlist_size]]
    for i, (i2h, h2o) in enumerate(asm.tail):
        cluster = x @ host(i2h.weight).T @ host(h2o.weight).T
        parts.append(np_log_softmax(cluster) + head_lp[:, asm.shortlist_size + i:asm.shortlist_size + i + 1])
    return np.concatenate(parts, axis=1)


def test_adaptive_structure_matches_torch_layout():
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs=[5, 10, 15], div_value=2.0, head_bias=True)
    shapes = {k: tuple(v.shape) for k, v in asm.named_parameters()}
    assert shapes == {"head.weight": (8, 16), "head.bias": (8,),
                      "tail.0.0.weight": (8, 16), "tail.0.1.weight": (5, 8),
                      "tail.1.0.weight": (4, 16), "tail.1.1.weight": (5, 4),
                      "tail.2.0.weight": (2, 16), "tail.2.1.weight": (5, 2)}
    assert asm.cutoffs == [5, 10, 15, 20] and asm.shortlist_size == 5 and asm.n_clusters == 3 and asm.head_size == 8


def test_adaptive_values_against_numpy(device):
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 12, cutoffs=[4, 8], head_bias=True).to(ember.float64).to(device)
    x = rng.standard_normal((7, 16))
    target = np.array([0, 3, 4, 7, 8, 11, 5])
    want = np_full_log_prob(asm, x)
    xe = ember.tensor(x, device=device)
    out, loss = asm(xe, ember.tensor(target, device=device))
    np.testing.assert_allclose(host(out), want[np.arange(7), target], rtol=1e-10)
    np.testing.assert_allclose(host(loss), -want[np.arange(7), target].mean(), rtol=1e-10)
    named = asm(xe, ember.tensor(target, device=device))
    assert named._fields == ("output", "loss") and named.loss.shape == ()
    np.testing.assert_allclose(host(asm.log_prob(xe)), want, rtol=1e-10)
    np.testing.assert_allclose(np.exp(host(asm.log_prob(xe))).sum(1), np.ones(7), rtol=1e-10)
    np.testing.assert_array_equal(host(asm.predict(xe)), want.argmax(1))
    # one unbatched sample
    single, single_loss = asm(xe[2], ember.tensor(target[2], device=device))
    assert single.shape == () and single_loss.shape == ()
    np.testing.assert_allclose(host(single), want[2, target[2]], rtol=1e-10)
    assert asm.log_prob(xe[2]).shape == (12,)
    # only shortlist targets: the tail clusters are skipped
    out, _ = asm(xe[:2], ember.tensor([1, 2], device=device))
    np.testing.assert_allclose(host(out), want[[0, 1], [1, 2]], rtol=1e-10)


def test_adaptive_gradients():
    asm = nn.AdaptiveLogSoftmaxWithLoss(8, 6, cutoffs=[2, 4], div_value=2.0).to(ember.float64)
    target = ember.tensor([0, 3, 5, 2])
    x = ember.tensor(rng.standard_normal((4, 8)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: asm(x, target).loss, (x,))
    assert ember.autograd.gradgradcheck(lambda x: asm(x, target).output, (x,))
    asm(x, target).loss.backward()
    assert all(p.grad is not None for p in asm.parameters())


def test_adaptive_errors():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive integers"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[5, 3])
    with pytest.raises(ValueError, match="cutoffs should be"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[10])
    asm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4])
    with pytest.raises(RuntimeError, match="Target values should be in \\[0, 9\\], but values in range \\[0, 12\\]"):
        asm(ember.randn(2, 8), ember.tensor([0, 12]))
    with pytest.raises(RuntimeError, match="Input and target should have the same size in the batch dimension"):
        asm(ember.randn(3, 8), ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors, .* inputs with size \\[8"):
        asm(ember.randn(8), ember.tensor([0]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input tensors"):
        asm(ember.randn(3, 8), ember.tensor(1))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        asm(ember.randn(3, 8), ember.zeros(3, 2, dtype=ember.int64))


@pytest.mark.torch
def test_adaptive_matches_torch():
    torch = pytest.importorskip("torch")
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs=[5, 12], div_value=2.0, head_bias=True).double()
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs=[5, 12], div_value=2.0, head_bias=True).to(ember.float64)
    assert list(asm.state_dict()) == list(ref.state_dict())
    asm.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rng.standard_normal((9, 16))
    target = rng.integers(0, 20, 9)
    want = ref(torch.tensor(x), torch.tensor(target))
    got = asm(ember.tensor(x), ember.tensor(target))
    np.testing.assert_allclose(host(got.output), want.output.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(host(got.loss), want.loss.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(host(asm.log_prob(ember.tensor(x))), ref.log_prob(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    np.testing.assert_array_equal(host(asm.predict(ember.tensor(x))), ref.predict(torch.tensor(x)).numpy())
