"""Train a small residual CNN on the bundled handwritten digits, with augmentation, to >= 95% accuracy.

Uses embervision end to end: the Digits data set, a transform pipeline (random affine jitter,
ToTensor, Normalize), ResNet basic blocks, and make_grid/save_image for a picture of the mistakes.

Run: python examples/vision/train_digits_cnn.py [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, Subset
from embervision import datasets, transforms
from embervision.models.resnet import BasicBlock, conv1x1
from embervision.utils import save_image


class DigitNet(nn.Module):
    """A 3x3 stem, two residual stages (the second strided), global pooling, a linear head."""

    def __init__(self, width=16, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        down = nn.Sequential(conv1x1(width, 2 * width, 2), nn.BatchNorm2d(2 * width))
        self.blocks = nn.Sequential(BasicBlock(width, width), BasicBlock(width, 2 * width, 2, down))
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def evaluate(model, loader):
    model.eval()
    correct, total, wrong = 0, 0, []
    with ember.no_grad():
        for images, labels in loader:
            pred = model(images).argmax(1)
            hit = pred == labels
            correct += int(hit.sum())
            total += labels.shape[0]
            wrong += [images[i] for i in (~hit).nonzero().flatten().tolist()]
    return correct / total, wrong


def run(epochs=8, batch_size=32, limit=None, out="out", log=print):
    """Train and evaluate; returns the held-out accuracy. ``limit`` keeps only that many training images."""
    ember.manual_seed(0)
    norm = transforms.Normalize([0.5], [0.5])
    train_tf = transforms.Compose([transforms.RandomAffine(8, translate=(0.1, 0.1), scale=(0.9, 1.1)),
                                   transforms.ToTensor(), norm])
    train = datasets.Digits(train=True, transform=train_tf)
    test = datasets.Digits(train=False, transform=transforms.Compose([transforms.ToTensor(), norm]))
    if limit:
        train = Subset(train, list(range(limit)))
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test, batch_size=256)
    model = DigitNet()
    optimizer = ember.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * len(train_loader))
    log(f"Digits: {len(train)} training / {len(test)} test images; DigitNet with "
        f"{sum(p.numel() for p in model.parameters()):,} parameters")
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, seen = 0.0, 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        acc, _ = evaluate(model, test_loader)
        log(f"epoch {epoch:2d}/{epochs}  loss {total / seen:.4f}  test acc {acc:.2%}  ({time.perf_counter() - start:.1f}s)")
    acc, wrong = evaluate(model, test_loader)
    log(f"held-out accuracy: {acc:.2%}")
    if wrong:
        os.makedirs(out, exist_ok=True)
        save_image(ember.stack(wrong[:32]), os.path.join(out, "digits_cnn_mistakes.png"), nrow=8, normalize=True)
        log(f"wrote {os.path.join(out, 'digits_cnn_mistakes.png')}")
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    acc = run(epochs=args.epochs, out=args.out)
    if acc < 0.95:
        raise SystemExit(f"accuracy {acc:.2%} is below the 95% target")


if __name__ == "__main__":
    main()
