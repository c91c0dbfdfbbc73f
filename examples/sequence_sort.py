"""Sequence models on a real sequence task: learn to sort sequences of digits.

An LSTM encoder-decoder is too much for a demo; instead a Transformer encoder and an LSTM each read
a sequence of 8 digits (0-9) and predict, at every position, the digit that belongs there once the
sequence is sorted. Both reach high per-position accuracy in a couple of minutes on a CPU.

Run: python examples/sequence_sort.py [--steps N] [--model transformer|lstm]
"""

from __future__ import annotations

import argparse

import ember
import ember.nn as nn
import ember.nn.functional as F

LENGTH, VOCAB = 8, 10


def batch(n, generator=None):
    x = ember.randint(0, VOCAB, (n, LENGTH), generator=generator)
    return x, x.sort(dim=1).values


class TransformerSorter(nn.Module):
    def __init__(self, d=64):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d)
        self.pos = nn.Parameter(ember.randn(LENGTH, d) * 0.1)
        layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=128, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(d, VOCAB)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x) + self.pos))


class LSTMSorter(nn.Module):
    def __init__(self, d=64):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d)
        self.rnn = nn.LSTM(d, d, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * d, VOCAB)

    def forward(self, x):
        return self.head(self.rnn(self.embed(x))[0])


def run(model_name="transformer", steps=600, log=print):
    ember.manual_seed(0)
    model = TransformerSorter() if model_name == "transformer" else LSTMSorter()
    opt = ember.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(1, steps + 1):
        x, y = batch(64)
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            log(f"step {step:4d}  loss {loss.item():.4f}")
    model.eval()
    with ember.no_grad():
        x, y = batch(512, ember.Generator().manual_seed(123))
        acc = (model(x).argmax(-1) == y).float().mean().item()
    log(f"{model_name}: held-out per-position accuracy {acc:.2%}")
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--model", choices=["transformer", "lstm"], default="transformer")
    args = parser.parse_args()
    run(args.model, args.steps)


if __name__ == "__main__":
    main()
