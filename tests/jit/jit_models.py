"""Small models shared by the jit and onnx tests (one of each op family the deployment paths handle)."""

import ember
import ember.nn as nn
import ember.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 16), nn.Linear(16, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))).softmax(-1)


class LeNetLike(nn.Module):
    """Conv, BatchNorm, ReLU, MaxPool, Flatten and Linear; the flatten reads the batch size."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.conv2, self.bn2 = nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc1, self.fc2 = nn.Linear(8 * 2 * 2, 16), nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(x + self.b2(self.c2(y)))


class ResNetLike(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(Block(width), Block(width))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, 5)

    def forward(self, x):
        return self.fc(ember.flatten(self.pool(self.blocks(self.stem(x))), 1))


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.lstm, self.fc = nn.Embedding(20, 6), nn.LSTM(6, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.emb(tokens))
        return self.fc(h[-1])


def transformer_encoder():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, 2)


def randomize_batchnorm(model):
    """Non-trivial running statistics and affine parameters, so folding them is really tested."""
    with ember.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model


def cases(device="cpu"):
    """``(name, model in eval mode, example input with batch 1, input with batch 5)``."""
    out = [
        ("mlp", MLP(), ember.randn(1, 6), ember.randn(5, 6)),
        ("lenet", LeNetLike(), ember.randn(1, 1, 8, 8), ember.randn(5, 1, 8, 8)),
        ("resnet", ResNetLike(), ember.randn(1, 3, 8, 8), ember.randn(5, 3, 8, 8)),
        ("lstm", LSTMClassifier(), ember.randint(0, 20, (1, 7)), ember.randint(0, 20, (5, 7))),
        ("transformer", transformer_encoder(), ember.randn(1, 4, 8), ember.randn(5, 4, 8)),
    ]
    return [(n, randomize_batchnorm(m).to(device).eval(), x.to(device), xb.to(device)) for n, m, x, xb in out]
