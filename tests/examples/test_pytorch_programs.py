"""Complete, typical PyTorch programs run unchanged with ``import ember as torch``.

Each asserts real values: losses fall, gradients match finite differences or closed forms,
and (when torch is importable) outputs match torch's for the same weights.
"""

import io
import math

import numpy as np
import pytest

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset


def test_polynomial_fit_tensors_autograd_nn_optim():
    """"Learning PyTorch with Examples": fit sin(x) with a cubic, three ways."""
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)

    # 1. tensors and autograd, manual SGD
    a, b, c, d = (torch.randn((), dtype=dtype, requires_grad=True) for _ in range(4))
    lr = 1e-6
    first = None
    for t in range(2000):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        first = loss.item() if first is None else first
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    assert loss.item() < first / 10 and loss.item() < 60
    # the least-squares cubic has b ~ 0.857, d ~ -0.093
    assert b.item() == pytest.approx(0.857, abs=0.05) and d.item() == pytest.approx(-0.093, abs=0.01)

    # 2. nn + optim
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(1500):
        loss = loss_fn(model(xx), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < 20 and losses[-1] < losses[0] / 10
    lstsq = np.polyfit(x.numpy(), y.numpy(), 3)[::-1]  # c0..c3
    linear = model[0]
    np.testing.assert_allclose(linear.weight.detach().numpy().ravel(), lstsq[1:], atol=0.02)


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_custom_autograd_function_legendre():
    x = torch.linspace(-1, 1, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(LegendrePolynomial3.apply, (x,))
    y = LegendrePolynomial3.apply(x)
    xn = x.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * (5 * xn ** 3 - 3 * xn))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * xn ** 2 - 1))

    # the tutorial's training loop with the custom function
    xs = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    ys = torch.sin(xs)
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(500):
        y_pred = a + b * LegendrePolynomial3.apply(c + d * xs)
        loss = (y_pred - ys).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= 5e-6 * p.grad
                p.grad = None
    assert losses[-1] < losses[0] / 5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout = nn.Dropout(0.1)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(torch.flatten(x, 1))
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def _quadrant_data(n, gen):
    """8x8 images with a bright blob in one of 4 quadrants; the label is the quadrant."""
    labels = torch.randint(0, 4, (n,), generator=gen)
    images = torch.rand(n, 1, 8, 8, generator=gen) * 0.3
    for i, k in enumerate(labels.tolist()):
        r, c = divmod(k, 2)
        images[i, 0, r * 4:(r + 1) * 4, c * 4:(c + 1) * 4] += 1.0
    return images, labels


def test_mnist_style_cnn_training_loop():
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(0)
    train_x, train_y = _quadrant_data(256, gen)
    test_x, test_y = _quadrant_data(64, gen)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=32, shuffle=True)
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    epoch_losses = []
    for epoch in range(3):
        model.train()
        total = 0.0
        for data, target in loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(data)
        epoch_losses.append(total / len(loader.dataset))
        scheduler.step()
    model.eval()
    with torch.no_grad():
        output = model(test_x)
        test_loss = F.nll_loss(output, test_y, reduction="sum").item() / len(test_x)
        correct = output.argmax(dim=1, keepdim=True).eq(test_y.view_as(output.argmax(1, keepdim=True))).sum().item()
    assert epoch_losses[-1] < epoch_losses[0] * 0.5
    assert correct / len(test_x) > 0.9 and test_loss < 0.5
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.7 ** 3)


def test_state_dict_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(4, 1, 8, 8)
    target = torch.tensor([0, 1, 2, 3])
    F.nll_loss(model(x), target).backward()
    optimizer.step()
    path = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict()}, path)

    checkpoint = torch.load(path)
    clone = Net()
    clone.load_state_dict(checkpoint["model_state_dict"])
    clone_opt = torch.optim.SGD(clone.parameters(), lr=0.5)
    clone_opt.load_state_dict(checkpoint["optimizer_state_dict"])
    model.eval(), clone.eval()
    assert checkpoint["epoch"] == 3
    assert torch.equal(model(x), clone(x))
    assert clone_opt.param_groups[0]["lr"] == 0.1
    # one more identical step on both keeps them identical (momentum buffers came along)
    for m, opt in ((model, optimizer), (clone, clone_opt)):
        opt.zero_grad()
        F.nll_loss(m(x), target).backward()
        opt.step()
    for (name, p), q in zip(model.named_parameters(), clone.parameters()):
        assert torch.equal(p, q), name
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    assert set(torch.load(buffer)) == set(model.state_dict())


class Mixture(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.scales = nn.ParameterList([nn.Parameter(torch.full((4,), 0.5 + i)) for i in range(3)])

    def forward(self, x):
        for layer, scale in zip(self.layers, self.scales):
            x = torch.tanh(layer(x)) * scale
        return x


def test_module_list_parameter_list_and_hooks():
    torch.manual_seed(0)
    model = Mixture()
    assert len(list(model.parameters())) == 9
    assert {n for n, _ in model.named_parameters()} >= {"layers.0.weight", "scales.2"}
    seen = []
    handles = [layer.register_forward_hook(lambda m, inp, out: seen.append(tuple(out.shape))) for layer in model.layers]
    grads_out = []
    model.layers[0].register_full_backward_hook(lambda m, gin, gout: grads_out.append(gout[0].clone()))
    model.layers[1].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    x = torch.randn(5, 4, requires_grad=True)
    y = model(x)
    assert seen == [(5, 4)] * 3

    def by_hand(v):  # the pre-hook doubles the input of layer 1 (F.linear bypasses the hooks)
        for i, (layer, scale) in enumerate(zip(model.layers, model.scales)):
            v = torch.tanh(F.linear(v * (2 if i == 1 else 1), layer.weight, layer.bias)) * scale
        return v

    assert torch.allclose(y, by_hand(x))
    x.register_hook(lambda g: g * 10)
    y.sum().backward()
    x2 = x.detach().clone().requires_grad_()
    by_hand(x2).sum().backward()
    assert torch.allclose(x.grad, x2.grad * 10)
    assert len(grads_out) == 1 and grads_out[0].shape == (5, 4)
    for handle in handles:
        handle.remove()
    model(x)
    assert len(seen) == 3


class Seq2Seq(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, src, tgt_in):
        _, h = self.encoder(self.embed(src))
        dec, _ = self.decoder(self.embed(tgt_in), h)
        return self.out(dec)


def test_seq2seq_gru_learns_to_reverse():
    torch.manual_seed(0)
    vocab, length, bos = 6, 4, 0
    model = Seq2Seq(vocab, 24)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for step in range(150):
        src = torch.randint(1, vocab, (32, length))
        tgt = src.flip(1)
        tgt_in = torch.cat([torch.full((32, 1), bos), tgt[:, :-1]], dim=1)
        logits = model(src, tgt_in)
        loss = criterion(logits.reshape(-1, vocab), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_gru_matches_torch_for_same_weights():
    real = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = nn.GRU(3, 5, num_layers=2, batch_first=True)
    theirs = real.nn.GRU(3, 5, num_layers=2, batch_first=True)
    with real.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(real.tensor(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((2, 7, 3)).astype(np.float32)
    out, h = ours(torch.tensor(x))
    want_out, want_h = theirs(real.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), want_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), want_h.detach().numpy(), atol=1e-5)
