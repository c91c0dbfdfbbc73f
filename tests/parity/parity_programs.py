"""Ordinary PyTorch training programs, written once and run on either library.

Each program takes a :class:`Lib` (ember or torch, with its ``nn``, ``optim``, ...) and returns
the list of numbers it would print: losses, accuracies, learning rates, norms. Run under
``import ember as torch`` after the same ``manual_seed`` they must print torch's numbers.
Data come from numpy (the same arrays for both libraries) or from the library's own
seeded generator (ember's host generator draws torch's numbers).
"""

import importlib
import io
import math
import random

import numpy as np


class Lib:
    """One library seen the way a PyTorch program imports it: torch, nn, F, optim, data."""

    def __init__(self, name):
        self.name = name
        self.torch = importlib.import_module(name)
        self.nn = importlib.import_module(name + ".nn")
        self.F = importlib.import_module(name + ".nn.functional")
        self.optim = importlib.import_module(name + ".optim")
        self.sched = importlib.import_module(name + ".optim.lr_scheduler")
        self.data = importlib.import_module(name + ".utils.data")
        self.dist = importlib.import_module(name + ".distributions")

    def __repr__(self):
        return f"Lib({self.name!r})"


def _blobs(n, dim, classes, seed, spread=1.0):
    """Gaussian clusters: float32 features and int64 labels from numpy."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, dim)) * 2
    y = rng.integers(0, classes, size=n)
    x = centers[y] + spread * rng.normal(size=(n, dim))
    return x.astype(np.float32), y.astype(np.int64)


def _accuracy(logits, y):
    return float((logits.argmax(1) == y).float().mean())


def blitz_cnn(L):
    """The 60-minute-blitz CNN on synthetic images: DataLoader(shuffle=True), SGD momentum."""
    torch, nn, F, optim, data = L.torch, L.nn, L.F, L.optim, L.data
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    templates = torch.randn(10, 3, 32, 32)
    labels = torch.randint(0, 10, (48,))
    images = templates[labels] + 0.5 * torch.randn(48, 3, 32, 32)
    loader = data.DataLoader(data.TensorDataset(images, labels), batch_size=12, shuffle=True)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    printed = []
    for _ in range(3):
        running = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            optimizer.step()
            running += loss.item()
            printed.append(loss.item())
        printed.append(running / len(loader))
    with torch.no_grad():
        printed.append(_accuracy(net(images), labels))
    return printed


def mlp_batchnorm_dropout(L):
    """An MLP with BatchNorm1d and Dropout, Adam + StepLR, evaluated under eval()/no_grad."""
    torch, nn, optim, data = L.torch, L.nn, L.optim, L.data
    torch.manual_seed(1)
    x, y = _blobs(160, 12, 3, seed=1, spread=1.5)
    x, y = torch.tensor(x), torch.tensor(y)
    # no bias before BatchNorm: its gradient is rounding noise that Adam would blow up to +-lr
    model = nn.Sequential(
        nn.Linear(12, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = L.sched.StepLR(optimizer, step_size=3, gamma=0.5)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    printed = []
    for _ in range(8):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        scheduler.step()
        model.eval()
        with torch.no_grad():
            printed += [total / len(x), _accuracy(model(x), y), scheduler.get_last_lr()[0]]
    bn = model[1]
    printed += [bn.running_mean.norm().item(), bn.running_var.norm().item(),
                float(bn.num_batches_tracked)]
    return printed


def cnn_onecycle_clipping(L):
    """A CNN with BatchNorm2d, MaxPool, Dropout2d; AdamW + OneCycleLR + gradient clipping."""
    torch, nn, optim, data = L.torch, L.nn, L.optim, L.data
    torch.manual_seed(2)
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, size=64)
    x = rng.normal(size=(64, 1, 12, 12)).astype(np.float32)
    for k in range(4):  # one bright quadrant per class
        r, c = divmod(k, 2)
        x[y == k, :, 6 * r:6 * r + 6, 6 * c:6 * c + 6] += 1.5
    dataset = data.TensorDataset(torch.tensor(x), torch.tensor(y))
    loader = data.DataLoader(dataset, batch_size=16, shuffle=True)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout2d(0.2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4))
    epochs = 4
    optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    scheduler = L.sched.OneCycleLR(optimizer, max_lr=0.05, epochs=epochs,
                                   steps_per_epoch=len(loader))
    printed = []
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            printed += [loss.item(), norm.item(), scheduler.get_last_lr()[0]]
    model.eval()
    with torch.no_grad():
        printed.append(_accuracy(model(dataset.tensors[0]), dataset.tensors[1]))
    return printed


TEXT = ("the quick brown fox jumps over the lazy dog while the small cat sleeps "
        "in the warm sun and the birds sing over the quiet green hills ") * 2


def lstm_char_model(L):
    """A character LSTM (2 layers, dropout), RMSprop, truncated BPTT with detached state."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(3)
    vocab = sorted(set(TEXT))
    ids = torch.tensor([vocab.index(c) for c in TEXT])
    batch, bptt = 4, 12
    n = len(ids) // batch
    stream = ids[:n * batch].view(batch, n).t().contiguous()  # (time, batch)

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(len(vocab), 16)
            self.lstm = nn.LSTM(16, 32, num_layers=2, dropout=0.2)
            self.head = nn.Linear(32, len(vocab))

        def forward(self, x, state):
            out, state = self.lstm(self.embed(x), state)
            return self.head(out), state

    model = CharModel()
    optimizer = optim.RMSprop(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()
    printed = []
    for _ in range(2):
        state = None
        for i in range(0, n - 1, bptt):
            seq = min(bptt, n - 1 - i)
            inputs, targets = stream[i:i + seq], stream[i + 1:i + 1 + seq]
            if state is not None:
                state = tuple(s.detach() for s in state)
            optimizer.zero_grad()
            logits, state = model(inputs, state)
            loss = criterion(logits.view(-1, len(vocab)), targets.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            printed.append(loss.item())
    model.eval()
    with torch.no_grad():  # greedy generation from "t"
        x, state, text = torch.tensor([[vocab.index("t")]]), None, ""
        for _ in range(20):
            logits, state = model(x, state)
            x = logits.argmax(-1)
            text += vocab[int(x)]
    printed.append(sum(ord(c) * (k + 1) for k, c in enumerate(text)))
    return printed


def gru_seq2seq(L):
    """A GRU encoder-decoder that reverses sequences; teacher forcing by a seeded random()."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(4)
    random.seed(4)
    rng = np.random.default_rng(4)
    vocab, hidden, length, sos = 8, 24, 5, 0
    src = torch.tensor(rng.integers(1, vocab, size=(40, length)))
    tgt = src.flip(1)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)

        def forward(self, x):
            return self.gru(self.embed(x))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, token, h):
            out, h = self.gru(F.relu(self.embed(token)), h)
            return F.log_softmax(self.out(out.squeeze(1)), dim=1), h

    enc, dec = Encoder(), Decoder()
    params = list(enc.parameters()) + list(dec.parameters())
    optimizer = optim.Adam(params, lr=0.01)
    criterion = nn.NLLLoss()
    printed = []
    for step in range(12):
        batch = slice(step % 4 * 10, step % 4 * 10 + 10)
        _, h = enc(src[batch])
        token = torch.full((10, 1), sos, dtype=torch.long)
        teacher = random.random() < 0.5
        loss = 0
        for t in range(length):
            logp, h = dec(token, h)
            loss = loss + criterion(logp, tgt[batch, t])
            token = tgt[batch, t:t + 1] if teacher else logp.argmax(1, keepdim=True).detach()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        printed += [loss.item() / length, float(teacher)]
    return printed


def transformer_classifier(L):
    """A TransformerEncoder classifier: padding mask, warmup LambdaLR, label smoothing, AdamW."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(5)
    rng = np.random.default_rng(5)
    vocab, d_model, max_len, n = 12, 16, 10, 48
    lengths = rng.integers(3, max_len + 1, size=n)
    tokens = np.zeros((n, max_len), dtype=np.int64)
    for i, k in enumerate(lengths):
        tokens[i, :k] = rng.integers(1, vocab, size=k)
    labels = ((tokens == 3).sum(1) > (tokens == 7).sum(1)).astype(np.int64)
    tokens, labels = torch.tensor(tokens), torch.tensor(labels)
    padding = tokens == 0

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d_model, padding_idx=0)
            self.pos = nn.Parameter(torch.randn(1, max_len, d_model) * 0.1)
            layer = nn.TransformerEncoderLayer(d_model, nhead=2, dim_feedforward=32,
                                               dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.head = nn.Linear(d_model, 2)

        def forward(self, x, pad):
            h = self.encoder(self.embed(x) + self.pos, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).float()
            return self.head((h * keep).sum(1) / keep.sum(1))

    model = Classifier()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = L.sched.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 4))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    printed = []
    for step in range(12):
        batch = slice(step % 3 * 16, step % 3 * 16 + 16)
        optimizer.zero_grad()
        loss = criterion(model(tokens[batch], padding[batch]), labels[batch])
        loss.backward()
        optimizer.step()
        scheduler.step()
        printed += [loss.item(), scheduler.get_last_lr()[0]]
    model.eval()
    with torch.no_grad():
        printed.append(_accuracy(model(tokens, padding), labels))
    return printed


def vae(L):
    """A small VAE: reparameterisation with randn_like, BCE + KL, Adam."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(6)
    rng = np.random.default_rng(6)
    x = torch.tensor((rng.random((64, 20)) < np.linspace(0.1, 0.9, 20)).astype(np.float32))

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(20, 16)
            self.mu = nn.Linear(16, 4)
            self.logvar = nn.Linear(16, 4)
            self.dec = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 20))

        def forward(self, x):
            h = F.relu(self.enc(x))
            mu, logvar = self.mu(h), self.logvar(h)
            std = torch.exp(0.5 * logvar)
            z = mu + torch.randn_like(std) * std
            return self.dec(z), mu, logvar

    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    printed = []
    for step in range(20):
        batch = x[step % 4 * 16:step % 4 * 16 + 16]
        recon, mu, logvar = model(batch)
        bce = F.binary_cross_entropy_with_logits(recon, batch, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = (bce + kld) / len(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        printed += [loss.item(), kld.item()]
    with torch.no_grad():
        printed.append(torch.sigmoid(model.dec(torch.randn(8, 4))).mean().item())
    return printed


def gan(L):
    """A GAN on a 2-D Gaussian mixture: alternating D/G steps, BCEWithLogits, Adam(0.5, 0.999)."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    real_all = torch.tensor((centers[rng.integers(0, 3, 320)]
                             + 0.2 * rng.normal(size=(320, 2))).astype(np.float32))
    G = nn.Sequential(nn.Linear(4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 2))
    D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt_g = optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(32, 1), torch.zeros(32, 1)
    printed = []
    for step in range(10):
        real = real_all[step * 32:(step + 1) * 32]
        fake = G(torch.randn(32, 4))
        opt_d.zero_grad()
        loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = criterion(D(fake), ones)
        loss_g.backward()
        opt_g.step()
        printed += [loss_d.item(), loss_g.item()]
    with torch.no_grad():
        printed.append(G(torch.randn(100, 4)).abs().mean().item())
    return printed


class _Corridor:
    """A numpy environment: walk left/right on a line, reward at the right end, noisy slips."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = 0
        return self._obs()

    def _obs(self):
        return np.array([self.pos / 4, 1.0, float(self.pos == 4), float(self.pos == -4)],
                        dtype=np.float32)

    def step(self, action):
        move = 1 if action == 1 else -1
        if self.rng.random() < 0.1:
            move = -move
        self.pos += move
        done = abs(self.pos) == 4
        return self._obs(), (1.0 if self.pos == 4 else -0.01), done


def reinforce(L):
    """REINFORCE with Categorical.sample on a numpy environment, normalised returns, Adam."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(8)
    env = _Corridor(8)
    policy = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    printed = []
    for _ in range(12):
        obs, log_probs, rewards, done = env.reset(), [], [], False
        while not done and len(rewards) < 30:
            dist = L.dist.Categorical(logits=policy(torch.from_numpy(obs)))
            action = dist.sample()
            log_probs.append(dist.log_prob(action))
            obs, reward, done = env.step(action.item())
            rewards.append(reward)
        returns, g = [], 0.0
        for r in reversed(rewards):
            g = r + 0.99 * g
            returns.insert(0, g)
        returns = torch.tensor(returns)
        if len(returns) > 1:
            returns = (returns - returns.mean()) / (returns.std() + 1e-8)
        loss = -(torch.stack(log_probs) * returns).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        printed += [len(rewards), sum(rewards), loss.item()]
    return printed


def weighted_sampling_split(L):
    """random_split + Subset + WeightedRandomSampler balancing an imbalanced training set."""
    torch, nn, optim, data = L.torch, L.nn, L.optim, L.data
    torch.manual_seed(9)
    rng = np.random.default_rng(9)
    y = (rng.random(200) < 0.15).astype(np.int64)
    x = (rng.normal(size=(200, 6)) + y[:, None] * 1.2).astype(np.float32)
    full = data.TensorDataset(torch.tensor(x), torch.tensor(y))
    train, val = data.random_split(full, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
    printed = [float(sum(train.indices[:10])), float(sum(val.indices[:10]))]
    train_labels = full.tensors[1][train.indices]
    counts = torch.bincount(train_labels)
    weights = (1.0 / counts.double())[train_labels]
    sampler = data.WeightedRandomSampler(weights, num_samples=len(train), replacement=True)
    loader = data.DataLoader(train, batch_size=20, sampler=sampler)
    model = nn.Linear(6, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1, nesterov=True, momentum=0.9)
    for _ in range(3):
        seen = 0
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += int(yb.sum())
        printed += [loss.item(), seen]
    val_x = torch.stack([val[i][0] for i in range(len(val))])
    val_y = torch.stack([val[i][1] for i in range(len(val))])
    held = data.Subset(full, list(range(5)))
    with torch.no_grad():
        printed += [_accuracy(model(val_x), val_y), model(held[:][0]).sum().item()]
    return printed


def checkpoint_finetune(L):
    """Train, checkpoint model + optimizer with save/load, resume, then fine-tune with Adam."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(10)
    x, y = _blobs(64, 5, 2, seed=10)
    x, y = torch.tensor(x), torch.tensor(y)

    def make():
        return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))

    def train(model, optimizer, steps, printed):
        model.train()
        for step in range(steps):
            batch = slice(step % 4 * 16, step % 4 * 16 + 16)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            printed.append(loss.item())

    printed = []
    model = make()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    train(model, optimizer, 6, printed)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optim": optimizer.state_dict(),
                "rng": torch.get_rng_state()}, buffer)
    train(model, optimizer, 4, printed)  # the run we will reproduce from the checkpoint
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    resumed = make()
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = optim.SGD(resumed.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    resumed_opt.load_state_dict(checkpoint["optim"])
    torch.set_rng_state(checkpoint["rng"])
    train(resumed, resumed_opt, 4, printed)
    finetune = optim.Adam(resumed[-1].parameters(), lr=1e-2)  # only the head
    for p in resumed[0].parameters():
        p.requires_grad_(False)
    train(resumed, finetune, 6, printed)
    resumed.eval()
    with torch.no_grad():
        printed.append(_accuracy(resumed(x), y))
    printed.append(sum(p.norm().item() for p in resumed.parameters()))
    return printed


class _AugmentedDataset:
    """Random augmentation in ``__getitem__``: noise from the library and a random flip."""

    def __init__(self, torch, images, labels):
        self.torch, self.images, self.labels = torch, images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i]
        if self.torch.rand(1).item() < 0.5:
            image = image.flip(-1)
        shift = random.randint(-1, 1)
        image = self.torch.roll(image, shift, dims=0)
        return image + 0.1 * self.torch.randn(image.shape), self.labels[i]


def multiworker_augmentation(L, num_workers=2):
    """A DataLoader with worker processes, each augmenting with its own seeded generators."""
    torch, nn, optim, data = L.torch, L.nn, L.optim, L.data
    torch.manual_seed(11)
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, size=32)
    x = rng.normal(size=(32, 6, 6)).astype(np.float32) + y[:, None, None].astype(np.float32)
    dataset = _AugmentedDataset(torch, torch.tensor(x), torch.tensor(y))
    loader = data.DataLoader(dataset, batch_size=8, shuffle=True, num_workers=num_workers)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    printed = []
    for _ in range(2):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            printed += [loss.item(), xb.sum().item()]
    return printed


def custom_function_accumulation(L):
    """A custom autograd Function, gradient accumulation over micro-batches, eval/no_grad mixes."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(12)

    class ScaledSoftplus(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, beta):
            ctx.save_for_backward(x)
            ctx.beta = beta
            return torch.log1p(torch.exp(beta * x)) / beta

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.sigmoid(ctx.beta * x), None

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 32)
            self.drop = nn.Dropout(0.2)
            self.fc2 = nn.Linear(32, 1)

        def forward(self, x):
            return self.fc2(self.drop(ScaledSoftplus.apply(self.fc1(x), 2.0)))

    x = torch.randn(96, 8, dtype=torch.float64)
    target = (x[:, :3].sum(1, keepdim=True) ** 2) * 0.1
    model = Net().double()
    optimizer = optim.Adam(model.parameters(), lr=5e-3, amsgrad=True)
    accumulate = 3
    printed = []
    for step in range(12):
        model.train()
        optimizer.zero_grad(set_to_none=True)
        for micro in range(accumulate):
            rows = slice((step * accumulate + micro) % 12 * 8, (step * accumulate + micro) % 12 * 8 + 8)
            loss = nn.functional.mse_loss(model(x[rows]), target[rows]) / accumulate
            loss.backward()
        optimizer.step()
        if step % 3 == 2:
            model.eval()
            with torch.no_grad():
                printed.append(nn.functional.mse_loss(model(x), target).item())
            printed.append(model.fc1.weight.grad.norm().item())
    printed.append(sum(p.double().pow(2).sum().item() for p in model.parameters()))
    return printed




def _regression(torch, seed, n=64, dim=6):
    """A float64 regression problem from numpy: x, y = x @ w + noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim))
    y = x @ rng.normal(size=(dim, 1)) + 0.1 * rng.normal(size=(n, 1))
    return torch.tensor(x), torch.tensor(y)


def _schedules(L):
    """(optimizer factory, scheduler factory, steps the scheduler on the loss?) for the zoo."""
    optim, sched = L.optim, L.sched
    return [
        (lambda p: optim.Adagrad(p, lr=0.1, lr_decay=1e-3, weight_decay=1e-4),
         lambda o: sched.CosineAnnealingLR(o, T_max=7, eta_min=1e-3), False),
        (lambda p: optim.Adadelta(p, lr=1.0, rho=0.8),
         lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01), False),
        (lambda p: optim.Adamax(p, lr=0.05),
         lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=0.05), True),
        (lambda p: optim.NAdam(p, lr=0.05, momentum_decay=4e-3),
         lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                  mode="triangular2", cycle_momentum=False), False),
        (lambda p: optim.RAdam(p, lr=0.05, weight_decay=1e-3, decoupled_weight_decay=True),
         lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.2, total_iters=3),
                                          sched.ExponentialLR(o, gamma=0.9)], milestones=[3]),
         False),
        (lambda p: optim.ASGD(p, lr=0.05, t0=5),
         lambda o: sched.ChainedScheduler([sched.MultiStepLR(o, milestones=[4, 8], gamma=0.3),
                                           sched.ExponentialLR(o, gamma=0.95)]), False),
        (lambda p: optim.Rprop(p, lr=0.02),
         lambda o: sched.PolynomialLR(o, total_iters=10, power=2.0), False),
        (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
         lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.05, step_size_up=2,
                                  mode="exp_range", gamma=0.9), False),
        (lambda p: optim.Adam(p, lr=0.05, weight_decay=1e-2, maximize=False, amsgrad=True),
         lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=12, anneal_strategy="linear",
                                    three_phase=True), False),
        (lambda p: optim.AdamW(p, lr=0.05, betas=(0.8, 0.99)),
         lambda o: sched.ConstantLR(o, factor=0.5, total_iters=4), False),
    ]


def optimizer_scheduler_zoo(L):
    """One float64 MLP regression per optimizer/scheduler pair, the way a sweep script runs it."""
    torch, nn = L.torch, L.nn
    x, y = _regression(torch, 13)
    printed = []
    for k, (make_opt, make_sched, on_loss) in enumerate(_schedules(L)):
        torch.manual_seed(13 + k)
        model = nn.Sequential(nn.Linear(6, 16), nn.SiLU(), nn.Linear(16, 1)).double()
        optimizer = make_opt(model.parameters())
        scheduler = make_sched(optimizer)
        for step in range(12):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step(loss.item()) if on_loss else scheduler.step()
            printed += [loss.item(), optimizer.param_groups[0]["lr"]]
    return printed


def lbfgs_fit(L):
    """Full-batch L-BFGS with strong Wolfe line search on a float64 logistic regression."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(14)
    x, y = _regression(torch, 14, n=80, dim=4)
    labels = (y > 0).double()
    model = nn.Linear(4, 1).double()
    printed = []
    for line_search in (None, "strong_wolfe"):
        with torch.no_grad():
            model.weight.zero_()
            model.bias.zero_()
        optimizer = optim.LBFGS(model.parameters(), lr=0.5, max_iter=8, history_size=4,
                                line_search_fn=line_search)

        def closure():
            optimizer.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), labels)
            loss = loss + 1e-2 * model.weight.pow(2).sum()
            loss.backward()
            return loss

        for _ in range(3):
            printed.append(optimizer.step(closure).item())
        printed.append(optimizer.state[model.weight]["n_iter"])
        printed.append(optimizer.state[model.weight]["func_evals"])
    return printed


def regularised_resnet(L):
    """Residual blocks with spectral/weight norm, AlphaDropout, RReLU, init helpers, SWA, EMA."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(15)
    x, y = _blobs(96, 10, 3, seed=15, spread=1.2)
    x, y = torch.tensor(x), torch.tensor(y)

    class Block(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = nn.utils.parametrizations.spectral_norm(nn.Linear(width, width))
            self.act = nn.RReLU()
            self.drop = nn.AlphaDropout(0.1)

        def forward(self, h):
            return h + self.drop(self.act(self.fc(h)))

    model = nn.Sequential(nn.Linear(10, 24), nn.BatchNorm1d(24), Block(24), Block(24),
                          nn.utils.parametrizations.weight_norm(nn.Linear(24, 3)))
    nn.init.orthogonal_(model[0].weight, gain=nn.init.calculate_gain("relu"))
    nn.init.trunc_normal_(model[0].bias, std=0.02)
    swa = optim.swa_utils.AveragedModel(model)
    ema = optim.swa_utils.AveragedModel(
        model, multi_avg_fn=optim.swa_utils.get_ema_multi_avg_fn(0.9))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    swa_sched = optim.swa_utils.SWALR(optimizer, swa_lr=0.02, anneal_epochs=3)
    loader = L.data.DataLoader(L.data.TensorDataset(x, y), batch_size=24, shuffle=True)
    printed = []
    for epoch in range(6):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            ema.update_parameters(model)
            printed.append(loss.item())
        if epoch >= 2:
            swa.update_parameters(model)
            swa_sched.step()
        printed.append(optimizer.param_groups[0]["lr"])
    optim.swa_utils.update_bn(loader, swa)
    for m in (model, swa, ema):
        m.eval()
        with torch.no_grad():
            printed.append(_accuracy(m(x), y))
            printed.append(nn.functional.cross_entropy(m(x), y).item())
    return printed


def seq2seq_transformer(L):
    """nn.Transformer copy task: causal mask, norm_first, gelu, Embedding(max_norm), greedy decode."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(16)
    rng = np.random.default_rng(16)
    vocab, d, length, bos = 10, 16, 6, 1
    src = torch.tensor(rng.integers(2, vocab, size=(24, length)))
    tgt_in = torch.cat([torch.full((24, 1), bos), src[:, :-1]], 1)

    class Copier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d, max_norm=2.0)
            self.core = nn.Transformer(d, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                                       dim_feedforward=32, dropout=0.1, activation="gelu",
                                       batch_first=True, norm_first=True)
            self.out = nn.Linear(d, vocab)

        def forward(self, s, t):
            mask = nn.Transformer.generate_square_subsequent_mask(t.shape[1])
            h = self.core(self.embed(s), self.embed(t), tgt_mask=mask, tgt_is_causal=True)
            return self.out(h)

    model = Copier()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    printed = []
    for step in range(10):
        batch = slice(step % 3 * 8, step % 3 * 8 + 8)
        optimizer.zero_grad()
        logits = model(src[batch], tgt_in[batch])
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), src[batch].reshape(-1))
        loss.backward()
        optimizer.step()
        printed.append(loss.item())
    model.eval()
    with torch.no_grad():
        out = torch.full((4, 1), bos)
        for _ in range(length):
            out = torch.cat([out, model(src[:4], out)[:, -1:].argmax(-1)], 1)
        printed.append(float((out[:, 1:] == src[:4]).float().mean()))
        printed.append(model.embed.weight.norm(dim=1).max().item())
    return printed


def sampling_and_distributions(L):
    """Sampling-heavy training: gumbel_softmax, Normal.rsample, multinomial, Bernoulli, dropout."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(17)
    logits = nn.Parameter(torch.zeros(4, 5))
    loc = nn.Parameter(torch.zeros(3))
    log_scale = nn.Parameter(torch.zeros(3))
    optimizer = optim.Adam([logits, loc, log_scale], lr=0.05)
    target = torch.tensor([0.5, -1.0, 2.0])
    printed = []
    for step in range(8):
        soft = F.gumbel_softmax(logits, tau=0.5, hard=step % 2 == 0)
        normal = L.dist.Normal(loc, log_scale.exp())
        z = normal.rsample((16,))
        mask = torch.bernoulli(torch.full((16, 3), 0.7))
        loss = -(soft[:, 2]).sum() + ((z - target) ** 2 * mask).mean()
        loss = loss + F.dropout(z, p=0.3).abs().mean() * 0.01
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        picks = torch.multinomial(F.softmax(logits.detach(), 1), 3, replacement=False)
        printed += [loss.item(), picks.sum().item(), normal.log_prob(z).sum().item()]
    bern = L.dist.Bernoulli(probs=torch.tensor([0.2, 0.9]))
    mvn = L.dist.MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, 0.3], [0.3, 0.5]]))
    printed += [bern.sample((5,)).sum().item(), mvn.sample((4,)).sum().item(),
                L.dist.OneHotCategorical(logits=logits.detach()).sample().argmax(-1).sum().item(),
                torch.randperm(20)[:5].sum().item(), torch.normal(2.0, 3.0, (5,)).sum().item()]
    return printed




def dcgan(L):
    """The DCGAN recipe: weights_init through ``.data``, ConvTranspose2d generator, BCELoss."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(18)
    nz, ngf, ndf = 8, 8, 8

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            m.weight.data.normal_(1.0, 0.02)
            m.bias.data.fill_(0)

    netG = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh())
    netD = nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    netG.apply(weights_init)
    netD.apply(weights_init)
    rng = np.random.default_rng(18)
    grid = np.linspace(-1, 1, 16, dtype=np.float32)
    real_all = torch.tensor(np.stack([np.tanh(np.add.outer(grid * a, grid * b))[None]
                                      for a, b in rng.normal(size=(48, 2)) * 2]).astype(np.float32))
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(4, nz, 1, 1)
    optD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    printed = []
    for i in range(6):
        real = real_all[i * 8:(i + 1) * 8]
        netD.zero_grad()
        label = torch.full((8,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(8, nz, 1, 1))
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optG.step()
        printed += [(errD_real + errD_fake).item(), errG.item(), output.mean().item()]
    with torch.no_grad():
        printed.append(netG(fixed_noise).abs().mean().item())
    return printed


def unet_segmentation(L):
    """A tiny U-Net: GroupNorm, bilinear upsampling, skip concat, 4-D cross entropy with
    ignore_index plus a soft Dice term, Adam + CosineAnnealingLR."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(19)
    rng = np.random.default_rng(19)
    images = rng.normal(size=(12, 1, 16, 16)).astype(np.float32)
    masks = (images[:, 0] > 0.3).astype(np.int64)
    masks[:, :2] = 255  # unlabelled border rows
    images, masks = torch.tensor(images), torch.tensor(masks)

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(2, cout), nn.GELU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down1, self.down2 = block(1, 8), block(8, 16)
            self.up = block(24, 8)
            self.head = nn.Conv2d(8, 2, 1)

        def forward(self, x):
            d1 = self.down1(x)
            d2 = self.down2(F.max_pool2d(d1, 2))
            u = F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False)
            return self.head(self.up(torch.cat([u, d1], dim=1)))

    model = UNet()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = L.sched.CosineAnnealingLR(optimizer, T_max=8)
    printed = []
    for step in range(8):
        batch = slice(step % 3 * 4, step % 3 * 4 + 4)
        logits = model(images[batch])
        target = masks[batch]
        ce = F.cross_entropy(logits, target, ignore_index=255)
        valid = (target != 255).float()
        prob = logits.softmax(1)[:, 1] * valid
        truth = (target == 1).float() * valid
        dice = 1 - (2 * (prob * truth).sum() + 1) / (prob.sum() + truth.sum() + 1)
        loss = ce + dice
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        printed += [ce.item(), dice.item()]
    with torch.no_grad():
        pred = model(images).argmax(1)
        keep = masks != 255
        printed.append(float((pred[keep] == masks[keep]).float().mean()))
    return printed


def embedding_bag_text(L):
    """The text-classification tutorial: EmbeddingBag with offsets, SGD + StepLR, clipping 0.1."""
    torch, nn, optim = L.torch, L.nn, L.optim
    torch.manual_seed(20)
    rng = np.random.default_rng(20)
    vocab, classes = 30, 3
    docs = [rng.integers(0, vocab, size=rng.integers(3, 9)) for _ in range(60)]
    labels = [int(d.sum() % classes) for d in docs]

    class TextClassificationModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab, 16, sparse=False)
            self.fc = nn.Linear(16, classes)
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for label, text in batch:
            label_list.append(label)
            processed = torch.tensor(text, dtype=torch.int64)
            text_list.append(processed)
            offsets.append(processed.size(0))
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        return torch.tensor(label_list, dtype=torch.int64), torch.cat(text_list), offsets

    loader = L.data.DataLoader(list(zip(labels, docs)), batch_size=8, shuffle=True,
                               collate_fn=collate_batch)
    model = TextClassificationModel()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=5.0)
    scheduler = L.sched.StepLR(optimizer, 1.0, gamma=0.1)
    printed = []
    for _ in range(3):
        model.train()
        correct = total = 0
        for label, text, offsets in loader:
            optimizer.zero_grad()
            predicted = model(text, offsets)
            loss = criterion(predicted, label)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            correct += (predicted.argmax(1) == label).sum().item()
            total += label.size(0)
            printed.append(loss.item())
        scheduler.step()
        printed.append(correct / total)
    return printed


def word_language_model(L):
    """pytorch/examples word_language_model: tied weights, uniform init, manual SGD through
    ``p.data.add_``, clip_grad_norm_, LR annealing on validation loss, eval without dropout."""
    torch, nn = L.torch, L.nn
    torch.manual_seed(21)
    words = (TEXT * 2).split()
    vocab = sorted(set(words))
    ids = torch.tensor([vocab.index(w) for w in words])

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()

    train_data, val_data = batchify(ids[:80], 4), batchify(ids[80:], 2)

    class RNNModel(nn.Module):
        def __init__(self, ntoken, ninp):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, ninp, 2, dropout=0.2)
            self.decoder = nn.Linear(ninp, ntoken)
            self.decoder.weight = self.encoder.weight
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)

        def forward(self, input, hidden):
            output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
            return F.log_softmax(self.decoder(self.drop(output)), dim=-1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(2, bsz, 16), weight.new_zeros(2, bsz, 16))

    F = L.F
    model = RNNModel(len(vocab), 16)
    criterion = nn.NLLLoss()
    lr, bptt, printed, best = 5.0, 7, [], None

    def evaluate(data):
        model.eval()
        total, hidden = 0.0, model.init_hidden(data.size(1))
        with torch.no_grad():
            for i in range(0, data.size(0) - 1, bptt):
                seq = min(bptt, data.size(0) - 1 - i)
                output, hidden = model(data[i:i + seq], hidden)
                total += seq * criterion(output.view(-1, len(vocab)), data[i + 1:i + 1 + seq].reshape(-1)).item()
        return total / (data.size(0) - 1)

    for _ in range(3):
        model.train()
        hidden = model.init_hidden(4)
        for i in range(0, train_data.size(0) - 1, bptt):
            seq = min(bptt, train_data.size(0) - 1 - i)
            hidden = tuple(h.detach() for h in hidden)
            model.zero_grad()
            output, hidden = model(train_data[i:i + seq], hidden)
            loss = criterion(output.view(-1, len(vocab)), train_data[i + 1:i + 1 + seq].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            printed.append(loss.item())
        val_loss = evaluate(val_data)
        if best is None or val_loss < best:
            best = val_loss
        else:
            lr /= 4.0
        printed += [val_loss, math.exp(val_loss), lr]
    return printed




def training_idioms(L):
    """Idioms from real scripts: device selection, cudnn flags, mixup, distillation, a custom
    LRScheduler, forward hooks, tensor grad hooks, frozen BatchNorm, parameters_to_vector."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    cudnn = importlib.import_module(L.name + ".backends.cudnn")
    cudnn.benchmark, cudnn.deterministic = False, True
    device = torch.device("cuda" if torch.cuda.is_available() else
                          "mps" if torch.backends.mps.is_available() else "cpu")
    torch.manual_seed(22)
    np_rng = np.random.default_rng(22)
    x, y = _blobs(64, 8, 4, seed=22)
    x, y = torch.tensor(x, device=device), torch.tensor(y, device=device)

    def mlp(width):  # no bias before BatchNorm (its gradient is rounding noise: see above)
        return nn.Sequential(nn.Linear(8, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                             nn.Linear(width, 4)).to(device)

    teacher, student = mlp(32), mlp(8)
    teacher.eval()  # a frozen teacher: eval-mode BatchNorm, no gradients
    for p in teacher.parameters():
        p.requires_grad = False

    class Noam(L.sched.LRScheduler):
        def __init__(self, optimizer, warmup, d_model):
            self.warmup, self.d_model = warmup, d_model
            super().__init__(optimizer)

        def get_lr(self):
            step = max(self.last_epoch, 1)
            scale = self.d_model ** -0.5 * min(step ** -0.5, step * self.warmup ** -1.5)
            return [base * scale for base in self.base_lrs]

    optimizer = optim.Adam(student.parameters(), lr=2.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = Noam(optimizer, warmup=4, d_model=8)
    features = []
    student[2].register_forward_hook(lambda m, i, o: features.append(o.detach().mean().item()))
    grad_norms = []
    printed = []
    T = 2.0
    for step in range(10):
        batch = slice(step % 4 * 16, step % 4 * 16 + 16)
        lam = float(np_rng.beta(0.4, 0.4))
        perm = torch.randperm(16, device=device)
        xb, yb = x[batch], y[batch]
        mixed = lam * xb + (1 - lam) * xb[perm]
        out = student(mixed)
        out.register_hook(lambda g: grad_norms.append(g.norm().item()))
        hard = lam * F.cross_entropy(out, yb) + (1 - lam) * F.cross_entropy(out, yb[perm])
        with torch.no_grad():
            soft_targets = F.softmax(teacher(mixed) / T, dim=1)
        soft = F.kl_div(F.log_softmax(out / T, dim=1), soft_targets, reduction="batchmean") * T * T
        loss = 0.5 * hard + 0.5 * soft
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        printed += [loss.item(), soft.item(), scheduler.get_last_lr()[0]]
    student.eval()
    with torch.no_grad():
        printed.append(_accuracy(student(x), y))
    printed.append(nn.utils.parameters_to_vector(student.parameters()).norm().item())
    return printed + features[-3:] + grad_norms[-3:]




def timeseries_forecaster(L):
    """Conv1d features + bidirectional packed GRU over variable-length series, clip_grad_value_,
    Huber loss, Adagrad, ReduceLROnPlateau on a validation split."""
    torch, nn, optim = L.torch, L.nn, L.optim
    rnn_utils = importlib.import_module(L.name + ".nn.utils.rnn")
    torch.manual_seed(23)
    rng = np.random.default_rng(23)
    t = np.arange(24)
    series = np.stack([np.sin(t * f + ph) for f, ph in rng.uniform(0.2, 0.8, size=(40, 2))]).astype(np.float32)
    lengths = torch.tensor(rng.integers(8, 24, size=40))
    x = torch.tensor(series[:, :, None])
    target = torch.tensor(series[np.arange(40), lengths.numpy() - 1]).unsqueeze(1)

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 8, 3, padding=1)
            self.gru = nn.GRU(8, 12, batch_first=True, bidirectional=True)
            self.head = nn.Linear(24, 1)

        def forward(self, x, lengths):
            h = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
            packed = rnn_utils.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
            _, hidden = self.gru(packed)
            return self.head(torch.cat([hidden[0], hidden[1]], dim=1))

    model = Forecaster()
    optimizer = optim.Adagrad(model.parameters(), lr=0.05)
    scheduler = L.sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    loss_fn = nn.HuberLoss(delta=0.5)
    printed = []
    for epoch in range(8):
        model.train()
        for batch in (slice(0, 16), slice(16, 32)):
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch], lengths[batch]), target[batch])
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 0.1)
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val = loss_fn(model(x[32:], lengths[32:]), target[32:]).item()
        scheduler.step(val)
        printed += [loss.item(), val, optimizer.param_groups[0]["lr"]]
    return printed


def siamese_triplet(L):
    """A triplet-loss embedding net with hard negatives mined by cdist, cosine similarity metrics."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(24)
    x, y = _blobs(60, 10, 4, seed=24, spread=1.5)
    x, y = torch.tensor(x), torch.tensor(y)
    net = nn.Sequential(nn.Linear(10, 32), nn.PReLU(), nn.Linear(32, 8))
    optimizer = optim.NAdam(net.parameters(), lr=5e-3)
    criterion = nn.TripletMarginLoss(margin=0.5, p=2)
    printed = []
    for step in range(10):
        emb = F.normalize(net(x), dim=1)
        dist = torch.cdist(emb, emb)
        same = y.unsqueeze(0) == y.unsqueeze(1)
        positive = dist.masked_fill(~same, -1.0).argmax(1)
        negative = dist.masked_fill(same, float("inf")).argmin(1)
        loss = criterion(emb, emb[positive], emb[negative])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        sim = F.cosine_similarity(emb[positive], emb).mean()
        printed += [loss.item(), sim.item(), (dist[same].mean() - dist[~same].mean()).item()]
    return printed


def graph_network(L):
    """A two-layer message-passing network: index_add_ aggregation, degree normalisation,
    scatter-style pooling per graph, BCE on graph labels, Adam with per-group weight decay."""
    torch, nn, F, optim = L.torch, L.nn, L.F, L.optim
    torch.manual_seed(25)
    rng = np.random.default_rng(25)
    n_graphs, nodes = 12, 6
    src, dst, graph_of, labels = [], [], [], []
    for g in range(n_graphs):
        ring = g % 2 == 0
        for i in range(nodes):
            graph_of.append(g)
            j = (i + 1) % nodes if ring else int(rng.integers(0, nodes))
            src += [g * nodes + i, g * nodes + j]
            dst += [g * nodes + j, g * nodes + i]
        labels.append(float(ring))
    edge_src, edge_dst = torch.tensor(src), torch.tensor(dst)
    batch, labels = torch.tensor(graph_of), torch.tensor(labels)
    feats = torch.randn(n_graphs * nodes, 4)
    deg = torch.zeros(n_graphs * nodes).index_add_(0, edge_dst, torch.ones(len(dst))).clamp(min=1)

    class GCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.out = nn.Linear(4, 16), nn.Linear(16, 16), nn.Linear(16, 1)

        def propagate(self, h):
            msg = torch.zeros_like(h).index_add_(0, edge_dst, h[edge_src])
            return msg / deg.unsqueeze(1)

        def forward(self, h):
            h = F.relu(self.l1(self.propagate(h)))
            h = F.relu(self.l2(self.propagate(h)))
            pooled = torch.zeros(n_graphs, 16).index_add_(0, batch, h) / nodes
            return self.out(pooled).squeeze(1)

    model = GCN()
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    optimizer = optim.Adam([{"params": decay, "weight_decay": 1e-3}, {"params": no_decay}], lr=1e-2)
    printed = []
    for _ in range(15):
        logits = model(feats)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        printed += [loss.item(), float(((logits > 0).float() == labels).float().mean())]
    return printed


PROGRAMS = [
    blitz_cnn, mlp_batchnorm_dropout, cnn_onecycle_clipping, lstm_char_model, gru_seq2seq,
    transformer_classifier, vae, gan, reinforce, weighted_sampling_split, checkpoint_finetune,
    multiworker_augmentation, custom_function_accumulation,
    optimizer_scheduler_zoo, lbfgs_fit, regularised_resnet, seq2seq_transformer,
    sampling_and_distributions, dcgan, unet_segmentation, embedding_bag_text, word_language_model,
    training_idioms, timeseries_forecaster, siamese_triplet, graph_network,
]
