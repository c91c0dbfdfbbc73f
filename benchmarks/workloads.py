"""Benchmark workloads written once against the torch API and run on ember and torch alike.

Each entry: (key, description, unit, make(m) -> zero-argument step function, calls per timing, target).
"""

from __future__ import annotations


def op_add(m):
    a, b = m.rand(16), m.rand(16)
    return lambda: a + b


def op_mul(m):
    a, b = m.rand(16), m.rand(16)
    return lambda: a * b


def op_chain_backward(m, n=10):
    """n small muls/adds with grad, then backward: reported per op."""
    x = m.rand(16, requires_grad=True)
    w = m.rand(16)

    def step():
        y = x
        for _ in range(n // 2):
            y = y * w + w
        y.sum().backward()
        x.grad = None

    return step


def _train_step(m, model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def mlp(m):
    nn = m.nn
    m.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(m, model, nn.CrossEntropyLoss(), opt, m.randn(128, 784), m.randint(0, 10, (128,)))


def lenet(m):
    nn = m.nn
    m.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    opt = m.optim.Adam(model.parameters(), lr=1e-3)
    return _train_step(m, model, nn.CrossEntropyLoss(), opt, m.randn(64, 1, 28, 28), m.randint(0, 10, (64,)))


def lstm(m):
    nn = m.nn
    m.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(64, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    model = Net()
    opt = m.optim.SGD(model.parameters(), lr=0.01)
    return _train_step(m, model, nn.CrossEntropyLoss(), opt, m.randn(32, 32, 64), m.randint(0, 10, (32,)))


def transformer(m):
    nn = m.nn
    m.manual_seed(0)
    layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=256, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False) if m.__name__ == "torch" else nn.TransformerEncoder(layer, 2)
    opt = m.optim.Adam(model.parameters(), lr=1e-3)
    x = m.randn(16, 64, 128)
    return _train_step(m, model, lambda out, y: (out - y).pow(2).mean(), opt, x, m.randn(16, 64, 128))


def resnet_blocks(m):
    nn = m.nn
    m.manual_seed(0)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            y = self.b1(self.c1(x)).relu()
            return (self.b2(self.c2(y)) + x).relu()

    model = nn.Sequential(Block(64), Block(64))
    opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(m, model, lambda out, y: (out - y).pow(2).mean(), opt, m.randn(32, 64, 32, 32), m.randn(32, 64, 32, 32))


def gpt(m):
    """A 2-layer GPT (embertext.models.GPT's architecture: pre-norm blocks, tanh GELU, tied head) AdamW step."""
    nn, F = m.nn, m.nn.functional
    m.manual_seed(0)
    vocab, block, width, heads = 256, 64, 128, 4

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.c_attn, self.attn_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = (z.reshape(b, t, heads, c // heads).transpose(1, 2) for z in self.c_attn(self.ln_1(x)).split(c, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
            x = x + self.attn_proj(y)
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(block, width)
            self.h = nn.ModuleList([Block(), Block()])
            self.ln_f = nn.LayerNorm(width)
            for table in (self.wte, self.wpe):  # GPT-2 init; N(0, 1) would drive the tied head into denormals
                nn.init.normal_(table.weight, std=0.02)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(m.arange(idx.shape[1]))
            for layer in self.h:
                x = layer(x)
            return self.ln_f(x) @ self.wte.weight.t()

    model = GPT()
    opt = m.optim.AdamW(model.parameters(), lr=1e-3)
    x = m.randint(0, vocab, (32, block))
    return _train_step(m, model, lambda out, y: F.cross_entropy(out.reshape(-1, vocab), y.reshape(-1)), opt, x,
                       m.randint(0, vocab, (32, block)))


def _resnet18_torch_api(m, num_classes):
    """torchvision's resnet18, written against the torch API (for torch when torchvision is not installed)."""
    nn = m.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            return (self.bn2(self.conv2(self.bn1(self.conv1(x)).relu())) + identity).relu()

    widths = [64, 128, 256, 512]
    stages = [nn.Sequential(Block(64 if i == 0 else widths[i - 1], w, 1 if i == 0 else 2), Block(w, w, 1))
              for i, w in enumerate(widths)]
    return nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                         *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


def resnet18_cifar(m):
    """embervision's resnet18 (10 classes) forward + backward on 32x3x32x32, beside torchvision's."""
    m.manual_seed(0)
    if m.__name__ == "torch":
        try:
            import torchvision

            model = torchvision.models.resnet18(num_classes=10)
        except (ImportError, RuntimeError):  # not installed, or its compiled ops do not match this torch
            model = _resnet18_torch_api(m, 10)
    else:
        import embervision

        model = embervision.models.resnet18(num_classes=10)
    x, y = m.randn(32, 3, 32, 32), m.randint(0, 10, (32,))
    loss_fn = m.nn.CrossEntropyLoss()

    def step():
        model.zero_grad()
        loss_fn(model(x), y).backward()

    return step


_IMAGE_FOLDER = []


def _image_folder(n_per_class=32, classes=4, size=(96, 80)):
    """A temporary ImageFolder tree of random JPEGs, made once per process."""
    if not _IMAGE_FOLDER:
        import os
        import tempfile

        import numpy as np
        from PIL import Image

        root = tempfile.mkdtemp(prefix="ember-bench-images-")
        rng = np.random.default_rng(0)
        for c in range(classes):
            os.makedirs(os.path.join(root, f"class{c}"))
            for i in range(n_per_class):
                pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
                Image.fromarray(pixels).save(os.path.join(root, f"class{c}", f"{i}.jpg"), quality=90)
        _IMAGE_FOLDER.append(root)
    return _IMAGE_FOLDER[0]


def data_pipeline(m):
    """One epoch of ImageFolder (128 JPEGs) + RandomResizedCrop + flip + ToTensor + Normalize, 4 workers."""
    if m.__name__ == "torch":
        import torchvision as vision  # the torch side needs torchvision
        from torch.utils.data import DataLoader
    else:
        import embervision as vision
        from ember.utils.data import DataLoader
    T = vision.transforms
    tf = T.Compose([T.RandomResizedCrop(64), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    loader = DataLoader(vision.datasets.ImageFolder(_image_folder(), transform=tf), batch_size=32, shuffle=True,
                        num_workers=4, persistent_workers=True)

    def epoch():
        for _ in loader:
            pass

    return epoch


def mel_spectrogram(m):
    """Log-mel features of 32 one-second clips at 16 kHz (STFT 400/160, Hann, 64 mels), forward + backward."""
    m.manual_seed(0)
    x = m.randn(32, 16000, requires_grad=True)
    window = m.hann_window(400)
    fb = m.rand(201, 64)

    def step():
        spec = m.stft(x, 400, 160, window=window, return_complex=True).abs() ** 2
        (spec.transpose(-1, -2) @ fb).clamp(min=1e-10).log().sum().backward()
        x.grad = None

    return step


# (key, label, unit, workload, calls per timed round, target): a round of a few milliseconds or more,
# so that one round is not one timer-and-scheduler-sized sample (the MLP runs 3 steps of ~4 ms, the LSTM 3 of ~7 ms)
WORKLOADS = [
    ("add", "add, 16 elements, no grad", "us", op_add, 2000, "<= 4 us"),
    ("mul", "mul, 16 elements, no grad", "us", op_mul, 2000, "<= 4 us"),
    ("chain", "10 ops with grad + backward", "us", op_chain_backward, 200, "<= 80 us"),
    ("mlp", "MLP 784-512-512-10 SGD step", "ms", mlp, 3, "<= 1.1x"),
    ("lenet", "LeNet-like CNN Adam step", "ms", lenet, 2, "<= 1.3x"),
    ("lstm", "LSTM 64->128, seq 32 step", "ms", lstm, 3, "<= 1.5x"),
    ("transformer", "2-layer Transformer encoder step", "ms", transformer, 1, "<= 1.3x"),
    ("resnet", "2 ResNet basic blocks step", "ms", resnet_blocks, 1, "<= 2x"),
    ("gpt", "2-layer GPT (d=128, T=64) AdamW step", "ms", gpt, 1, "<= 2x"),
    ("resnet18", "resnet18 (10 classes) fwd+bwd, 32x3x32x32", "ms", resnet18_cifar, 1, "<= 2x"),
    ("pipeline", "ImageFolder+RRC+flip+ToTensor+Norm, 4 workers, 128 imgs", "ms", data_pipeline, 1, "<= 2x"),
    ("melspec", "log-mel (STFT 400/160, 64 mels) fwd+bwd, 32 x 1 s at 16 kHz", "ms", mel_spectrogram, 1, "<= 2x"),
]
