"""Smoke tests: each example runs end to end with small settings and learns something measurable."""

import importlib.util
import math
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_digits_reaches_95_percent(tmp_path, monkeypatch, capsys):
    module = load("train_digits")
    monkeypatch.setattr(sys, "argv", ["train_digits.py", "--out", str(tmp_path)])
    module.main()
    out = capsys.readouterr().out
    assert "epoch 12/12" in out
    acc = float(out.split("held-out accuracy: ")[1].split("%")[0]) / 100
    assert acc >= 0.95
    assert (tmp_path / "learning_curve.png").stat().st_size > 0
    assert (tmp_path / "digits_mistakes.png").stat().st_size > 0


def test_vae_learns(tmp_path):
    history = load("vae_digits").run(epochs=4, out=str(tmp_path), log=lambda *a: None)
    assert history[-1] < history[0] - 3  # the negative ELBO drops
    assert (tmp_path / "vae_samples.png").exists() and (tmp_path / "vae_reconstructions.png").exists()


def test_gan_trains(tmp_path):
    history, samples = load("gan_digits").run(epochs=2, out=str(tmp_path), log=lambda *a: None)
    assert all(math.isfinite(d) and math.isfinite(g) for d, g in history)
    assert samples.shape == (64, 1, 8, 8) and 0 <= float(samples.min()) and float(samples.max()) <= 1
    assert (tmp_path / "gan_samples.png").exists()


def test_reinforce_improves():
    returns = load("reinforce_cartpole").run(episodes=120, log=lambda *a: None)
    first, last = sum(returns[:20]) / 20, sum(returns[-20:]) / 20
    assert last > 2 * first


@pytest.mark.parametrize("model", ["transformer", "lstm"])
def test_sequence_sort_learns(model):
    acc = load("sequence_sort").run(model, steps=150, log=lambda *a: None)
    assert acc > 0.5  # chance is about 0.1 per position
