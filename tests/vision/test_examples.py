"""Smoke tests: the embervision examples run end to end with small settings and learn something."""

import importlib.util
import os

import numpy as np
from PIL import Image

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "vision")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_cnn_reaches_95_percent(tmp_path):
    lines = []
    acc = load("train_digits_cnn").run(epochs=6, out=str(tmp_path), log=lines.append)
    assert acc >= 0.95 and lines[-2].startswith("held-out accuracy")
    with Image.open(tmp_path / "digits_cnn_mistakes.png") as img:
        assert img.size[0] > 0


def test_resnet_cifar_writes_binary_data_and_learns(tmp_path):
    module = load("train_resnet_cifar")
    module.write_synthetic_cifar(str(tmp_path), per_batch=64, test_size=160)
    folder = tmp_path / "cifar-10-batches-bin"
    assert all((folder / f"data_batch_{i}.bin").stat().st_size == 64 * 3073 for i in range(1, 6))
    lines = []
    train_acc, test_acc = module.run(data=str(tmp_path), epochs=2, log=lines.append)
    assert lines[0].startswith("320 training / 160 test images, classes ['red-bar'")
    assert test_acc > 0.2  # ten classes: chance is 0.1


def test_detect_shapes_finds_objects(tmp_path):
    module = load("detect_shapes")
    rng = np.random.default_rng(0)
    img, boxes, labels = module.make_scene(rng)
    assert img.shape == (3, 48, 48) and boxes.shape == (len(labels), 4) and 1 <= len(labels) <= 3
    heat, reg, mask = module.targets(boxes, labels)
    assert heat.sum() == mask.sum() == len(labels)
    lines = []
    m_ap = module.run(epochs=4, train=192, test=40, batch_size=16, width=16, out=str(tmp_path), log=lines.append)
    assert m_ap > 0.1 and "mAP@0.5" in lines[-2]
    with Image.open(tmp_path / "detections.png") as img:
        assert img.size == (4 * 192 + 10, 2 * 192 + 6)
