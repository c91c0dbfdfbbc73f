"""Train a LeNet on the real handwritten digits that ship with embervision.

Prints one progress line per epoch, the held-out accuracy, and writes
``out/digits_mistakes.png`` (test digits the model got wrong, each labelled with
its prediction and truth) and ``out/learning_curve.png``.

Run: python examples/train_digits.py [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

from PIL import Image, ImageDraw

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader
from embervision import datasets, models, transforms
from embervision.utils import draw_text_labels, make_grid, to_pil


def evaluate(model, loader):
    model.eval()
    correct, total, wrong = 0, 0, []
    with ember.no_grad():
        for images, labels in loader:
            pred = model(images).argmax(dim=1)
            hit = pred == labels
            correct += int(hit.sum())
            total += labels.shape[0]
            for i in (~hit).nonzero().flatten().tolist():
                wrong.append((images[i], int(pred[i]), int(labels[i])))
    return correct / total, wrong


def plot_curves(history, path, size=(480, 300)):
    """Loss and accuracy per epoch as a small line chart (drawn with Pillow)."""
    w, h = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 40, w - 10, 20, h - 30
    d.rectangle((left, top, right, bottom), outline="black")
    n = len(history)
    max_loss = max(r["loss"] for r in history) or 1.0

    def xy(i, v):
        x = left + (right - left) * (i / max(n - 1, 1))
        return x, bottom - (bottom - top) * v

    for key, color, scale in (("loss", "red", max_loss), ("train_acc", "blue", 1.0), ("test_acc", "green", 1.0)):
        pts = [xy(i, r[key] / scale) for i, r in enumerate(history)]
        if len(pts) > 1:
            d.line(pts, fill=color, width=2)
    d.text((left, 4), f"loss (red, max {max_loss:.2f})  train acc (blue)  test acc (green)", fill="black")
    d.text((left, bottom + 8), f"epoch 1 .. {n}", fill="black")
    img.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    ember.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    train = datasets.Digits(train=True, transform=tf)
    test = datasets.Digits(train=False, transform=tf)
    train_loader = DataLoader(train, batch_size=32, shuffle=True)
    test_loader = DataLoader(test, batch_size=256)
    model = models.lenet5(image_size=8, num_classes=10)
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    print(f"Digits: {len(train)} training and {len(test)} test images; model {type(model).__name__} "
          f"with {sum(p.numel() for p in model.parameters()):,} parameters")

    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, correct, seen = 0.0, 0, 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * labels.shape[0]
            correct += int((logits.argmax(1) == labels).sum())
            seen += labels.shape[0]
        test_acc, wrong = evaluate(model, test_loader)
        history.append({"loss": total_loss / seen, "train_acc": correct / seen, "test_acc": test_acc})
        print(f"epoch {epoch:2d}/{args.epochs}  loss {total_loss / seen:.4f}  train acc {correct / seen:.2%}  "
              f"test acc {test_acc:.2%}  ({time.perf_counter() - start:.1f}s)", flush=True)

    test_acc, wrong = evaluate(model, test_loader)
    print(f"held-out accuracy: {test_acc:.2%} ({len(test) - len(wrong)}/{len(test)})")
    plot_curves(history, os.path.join(args.out, "learning_curve.png"))
    if wrong:
        shown = wrong[:32]
        grid = make_grid(ember.stack([img for img, _, _ in shown]), nrow=8, normalize=True)
        labels = [f"p{p} t{t}" for _, p, t in shown]
        draw_text_labels(to_pil(grid), labels, (8, 8), nrow=8, scale=6).save(os.path.join(args.out, "digits_mistakes.png"))
    print(f"wrote {args.out}/learning_curve.png and {args.out}/digits_mistakes.png")
    if test_acc < 0.95:
        raise SystemExit(f"accuracy {test_acc:.2%} is below the 95% target")


if __name__ == "__main__":
    main()
