"""Linear, Bilinear, LazyLinear, Identity, Flatten/Unflatten, Embedding, EmbeddingBag, one_hot and dropout."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(2)
X = rng.standard_normal((4, 3))
X3 = rng.standard_normal((2, 4, 3))
W = rng.standard_normal((5, 3))
B = rng.standard_normal((5,))
X2 = rng.standard_normal((4, 2))
WB = rng.standard_normal((5, 3, 2))
TABLE = rng.standard_normal((6, 3))
IDX = np.array([[0, 2, 5], [2, 2, 1]])

CASES = [
    Case("linear", F.linear, lambda x, w, b: x @ w.T + b, (X, W, B)),
    Case("linear_nobias_3d", F.linear, lambda x, w: x @ w.T, (X3, W)),
    Case("linear_1d", F.linear, lambda x, w, b: x @ w.T + b, (X[0], W, B)),
    Case("bilinear", F.bilinear, lambda a, b, w, c: np.einsum("ni,kij,nj->nk", a, w, b) + c, (X, X2, WB, B)),
    Case("embedding", lambda w, i: F.embedding(i, w), lambda w, i: w[i], (TABLE, IDX)),
    # the padding row gets no gradient by design, so only the values are checked here
    Case("embedding_padding", lambda w, i: F.embedding(i, w, padding_idx=2), lambda w, i: w[i], (TABLE, IDX), grad=False),
    Case("embedding_bag_mean", lambda w, i: F.embedding_bag(i, w), lambda w, i: w[i].mean(1), (TABLE, IDX)),
    Case("embedding_bag_sum_offsets", lambda w, i, o, s: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=s),
         lambda w, i, o, s: np.stack([(w[i[:2]] * s[:2, None]).sum(0), (w[i[2:]] * s[2:, None]).sum(0)]),
         (TABLE, np.array([1, 4, 0, 3, 3]), np.array([0, 2]), rng.uniform(0.5, 1.5, (5,))), nondiff=(3,)),
    Case("embedding_bag_max", lambda w, i, o: F.embedding_bag(i, w, o, mode="max"),
         lambda w, i, o: np.stack([w[i[:3]].max(0), w[i[3:]].max(0)]), (TABLE, np.array([1, 4, 0, 3, 5]), np.array([0, 3]))),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_embedding_padding_idx_gets_no_gradient_and_freq_scaling():
    w = ember.tensor(TABLE, requires_grad=True)
    F.embedding(ember.tensor(IDX), w, padding_idx=2).sum().backward()
    counts = np.bincount(IDX.ravel(), minlength=6).astype(float)
    counts[2] = 0
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(counts[:, None], 3, 1))
    w.grad = None
    F.embedding(ember.tensor(IDX), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.repeat((counts > 0).astype(float)[:, None] + (np.arange(6) == 2)[:, None], 3, 1))


def test_embedding_max_norm_renormalises_used_rows():
    w = ember.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    out = F.embedding(ember.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.numpy(), [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-5)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)


def test_embedding_bag_padding_and_empty_bags():
    w = ember.tensor(TABLE)
    out = F.embedding_bag(ember.tensor([1, 2, 2, 4]), w, ember.tensor([0, 2, 2]), padding_idx=2)
    np.testing.assert_allclose(out.numpy(), [TABLE[1], np.zeros(3), TABLE[4]], rtol=1e-6)
    out = F.embedding_bag(ember.tensor([1, 2, 3]), w, ember.tensor([0, 1, 3]), mode="sum", include_last_offset=True)
    np.testing.assert_allclose(out.numpy(), [TABLE[1], TABLE[2] + TABLE[3]], rtol=1e-6)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(ember.tensor([[1]]), w, per_sample_weights=ember.ones(1, 1))


def test_embedding_errors():
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([6]), ember.tensor(TABLE))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        F.embedding(ember.tensor([1.0]), ember.tensor(TABLE))


def test_embedding_module():
    emb = nn.Embedding(10, 3, padding_idx=-1)
    assert emb.padding_idx == 9 and emb.weight[9].tolist() == [0.0, 0.0, 0.0]
    assert repr(emb) == "Embedding(10, 3, padding_idx=9)"
    assert repr(nn.Embedding(13, 3, max_norm=1.0, sparse=True)) == "Embedding(13, 3, max_norm=1.0, sparse=True)"
    pre = nn.Embedding.from_pretrained(ember.tensor(TABLE), freeze=True)
    assert not pre.weight.requires_grad and pre(ember.tensor([3])).shape == (1, 3)
    bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    assert repr(bag) == "EmbeddingBag(10, 3, mode='sum', padding_idx=2)"
    assert bag(ember.tensor([[1, 2], [3, 4]])).shape == (2, 3)


def test_one_hot():
    assert F.one_hot(ember.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(ember.tensor([[1]]), 4).shape == (1, 1, 4) and F.one_hot(ember.tensor([1])).dtype == ember.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(ember.tensor([3]), 2)


def test_linear_module():
    fc = nn.Linear(3, 5)
    assert fc.weight.shape == (5, 3) and fc.bias.shape == (5,) and repr(fc) == "Linear(in_features=3, out_features=5, bias=True)"
    assert nn.Linear(3, 5, bias=False).bias is None
    x = ember.tensor(X, dtype=ember.float32)
    np.testing.assert_allclose(fc(x).detach().numpy(), X @ fc.weight.detach().numpy().T + fc.bias.detach().numpy(), rtol=1e-5)
    assert nn.Linear(3, 2, dtype=ember.float64).weight.dtype == ember.float64
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"):
        F.linear(x, ember.ones(5, 4))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        F.linear(x.double(), ember.ones(5, 3))


def test_lazy_linear_becomes_linear():
    fc = nn.LazyLinear(4)
    out = fc(ember.ones(2, 7))
    assert type(fc) is nn.Linear and fc.in_features == 7 and fc.weight.shape == (4, 7) and out.shape == (2, 4)
    assert repr(fc) == "Linear(in_features=7, out_features=4, bias=True)"


def test_bilinear_module_and_identity_and_flatten():
    m = nn.Bilinear(3, 2, 5)
    assert m.weight.shape == (5, 3, 2) and m(ember.ones(4, 3), ember.ones(4, 2)).shape == (4, 5)
    assert repr(m) == "Bilinear(in1_features=3, in2_features=2, out_features=5, bias=True)"
    x = ember.ones(2)
    assert nn.Identity(3, a=1)(x) is x and repr(nn.Identity()) == "Identity()"
    assert nn.Flatten()(ember.zeros(2, 3, 4)).shape == (2, 12) and nn.Flatten(0, 1)(ember.zeros(2, 3, 4)).shape == (6, 4)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert nn.Unflatten(1, (2, 3))(ember.zeros(4, 6)).shape == (4, 2, 3)
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


@pytest.mark.torch
def test_parameter_shapes_and_counts_match_torch():
    torch = pytest.importorskip("torch")
    makers = [lambda m: m.Linear(7, 3), lambda m: m.Bilinear(2, 3, 4), lambda m: m.Embedding(10, 4, padding_idx=1),
              lambda m: m.EmbeddingBag(8, 2), lambda m: m.PReLU(5), lambda m: m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1))]
    for make in makers:
        e, t = make(nn), make(torch.nn)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(e.state_dict()) == list(t.state_dict())
        assert repr(e).replace("ember", "torch") == repr(t)


# --- dropout --------------------------------------------------------------------------------------------
def test_dropout_scales_and_masks(device):
    x = ember.ones(20000, device=device)
    y = F.dropout(x, 0.3).cpu().numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert F.dropout(x, 1.0).cpu().numpy().sum() == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


def test_dropout_gradient_uses_the_same_mask():
    x = ember.ones(1000, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_channel_dropout_zeroes_whole_channels():
    y = F.dropout2d(ember.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all() and 0 < (per_channel[..., 0] == 0).mean() < 1
    y = F.dropout1d(ember.ones(16, 5), 0.5).numpy()  # unbatched (C, L)
    assert (y.min(-1) == y.max(-1)).all()
    assert F.dropout3d(ember.ones(2, 4, 2, 2, 2), 0.5).shape == (2, 4, 2, 2, 2)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(ember.ones(1, 2, 3, 4))


def test_alpha_dropout_keeps_moments():
    ember.manual_seed(5)
    x = ember.randn(200000)
    y = F.alpha_dropout(x, 0.3, training=True)
    assert abs(y.mean().item()) < 0.01 and abs(y.std().item() - 1) < 0.01
    assert F.alpha_dropout(x, 0.3) is x


def test_dropout_modules_follow_training_flag():
    m = nn.Dropout(0.5)
    assert repr(m) == "Dropout(p=0.5, inplace=False)" and repr(nn.Dropout2d(0.2, True)) == "Dropout2d(p=0.2, inplace=True)"
    x = ember.ones(100)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(-0.1)
    assert repr(nn.AlphaDropout()) == "AlphaDropout(p=0.5, inplace=False)"
    y = ember.ones(10)
    nn.Dropout(0.5, inplace=True)(y)
    assert set(y.tolist()) <= {0.0, 2.0}
