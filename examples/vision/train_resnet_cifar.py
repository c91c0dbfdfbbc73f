"""Train a small CIFAR-style ResNet on a data set in the CIFAR-10 binary format.

Point ``--data`` at a folder holding ``cifar-10-batches-bin`` (the real CIFAR-10 binary
distribution, or ``--download`` it). When none is there, a small synthetic data set in the same
binary record format is written first: ten classes of coloured bars and discs on noise, so the
whole pipeline (format reader, augmentation, ResNet, evaluation) runs in a few minutes offline.

Run: python examples/vision/train_resnet_cifar.py [--data DIR] [--epochs N] [--download]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader
from embervision import datasets, transforms
from embervision.models.resnet import BasicBlock, conv1x1

COLOURS = [(230, 40, 40), (40, 200, 40), (40, 80, 230), (230, 200, 40), (200, 40, 200)]
CLASSES = [f"{c}-{s}" for s in ("bar", "disc") for c in ("red", "green", "blue", "yellow", "magenta")]


def synthetic_image(rng, label):
    """A 3x32x32 uint8 image of class ``label``: a coloured bar or disc at a random place, on noise."""
    colour, shape = COLOURS[label % 5], label // 5
    img = rng.integers(0, 90, (3, 32, 32)).astype(np.float64)
    yy, xx = np.mgrid[:32, :32]
    cy, cx = rng.integers(9, 23, 2)
    if shape == 0:
        angle = rng.uniform(0, np.pi)
        dist = np.abs((yy - cy) * np.cos(angle) - (xx - cx) * np.sin(angle))
        along = np.abs((yy - cy) * np.sin(angle) + (xx - cx) * np.cos(angle))
        mask = (dist < 2.5) & (along < 9)
    else:
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < rng.uniform(16, 49)
    shade = rng.uniform(0.7, 1.0)
    for ch in range(3):
        img[ch][mask] = colour[ch] * shade
    return np.clip(img, 0, 255).astype(np.uint8)


def write_synthetic_cifar(root, per_batch=200, test_size=400, seed=0):
    """Write ``root/cifar-10-batches-bin`` (5 training batches and a test batch) in CIFAR-10's record format."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder, exist_ok=True)

    def batch(path, n):
        labels = rng.integers(0, 10, n)
        records = [np.concatenate([[lab], synthetic_image(rng, lab).reshape(-1)]).astype(np.uint8) for lab in labels]
        np.stack(records).tofile(path)

    for i in range(1, 6):
        batch(os.path.join(folder, f"data_batch_{i}.bin"), per_batch)
    batch(os.path.join(folder, "test_batch.bin"), test_size)
    with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet: a 3x3 stem and three stages (16, 32, 64 channels) of basic blocks."""

    def __init__(self, blocks_per_stage=1, width=16, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        layers, channels = [], width
        for stage in range(3):
            out = width * 2 ** stage
            for b in range(blocks_per_stage):
                stride = 2 if stage > 0 and b == 0 else 1
                down = None
                if stride != 1 or channels != out:
                    down = nn.Sequential(conv1x1(channels, out, stride), nn.BatchNorm2d(out))
                layers.append(BasicBlock(channels, out, stride, down))
                channels = out
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.fc(self.layers(self.stem(x)).mean(dim=(2, 3)))


def run(data="data", epochs=6, batch_size=64, train_size=None, download=False, log=print):
    """Train on ``data`` (synthesised when absent); returns (train accuracy, test accuracy) of the last epoch."""
    if not os.path.isdir(os.path.join(data, "cifar-10-batches-bin")) and not download:
        log(f"no CIFAR-10 binary data in {data}: writing a synthetic data set in the same format")
        write_synthetic_cifar(data)
    ember.manual_seed(0)
    mean, std = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train = datasets.CIFAR10(data, train=True, transform=train_tf, download=download)
    test = datasets.CIFAR10(data, train=False, transform=test_tf)
    if train_size:
        train = ember.utils.data.Subset(train, list(range(train_size)))
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test, batch_size=256)
    model = CifarResNet()
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=epochs * len(train_loader))
    log(f"{len(train)} training / {len(test)} test images, classes {test.classes[:3]}...; "
        f"CifarResNet with {sum(p.numel() for p in model.parameters()):,} parameters")
    start = time.perf_counter()
    train_acc = test_acc = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        correct = seen = 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            logits = model(images)
            F.cross_entropy(logits, labels).backward()
            optimizer.step()
            scheduler.step()
            correct += int((logits.argmax(1) == labels).sum())
            seen += labels.shape[0]
        train_acc = correct / seen
        model.eval()
        hits = total = 0
        with ember.no_grad():
            for images, labels in test_loader:
                hits += int((model(images).argmax(1) == labels).sum())
                total += labels.shape[0]
        test_acc = hits / total
        log(f"epoch {epoch}/{epochs}  train acc {train_acc:.2%}  test acc {test_acc:.2%}  "
            f"({time.perf_counter() - start:.0f}s)")
    return train_acc, test_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--download", action="store_true", help="download the real CIFAR-10 (binary version)")
    args = parser.parse_args()
    run(args.data, args.epochs, download=args.download)


if __name__ == "__main__":
    main()
