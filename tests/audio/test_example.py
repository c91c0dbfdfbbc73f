"""The keyword-spotting example runs end to end with tiny settings."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("soundfile")

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "audio" / "train_keywords.py"


def _load():
    spec = importlib.util.spec_from_file_location("train_keywords", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model", ["melcnn", "m5"])
def test_example_smoke(tmp_path, capsys, model):
    acc = _load().main(["--model", model, "--epochs", "1", "--per-class", "6", "--batch-size", "8",
                        "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert 0.0 <= acc <= 1.0
    assert "SPEECHCOMMANDS layout" in out and "train/val/test = 24/6/6" in out and "test accuracy" in out
    assert (tmp_path / "SpeechCommands" / "speech_commands_v0.02" / "chirp_up").is_dir()


def test_synthesized_classes_are_distinct():
    import numpy as np

    mod = _load()
    rng = np.random.default_rng(0)
    for label in mod.LABELS:
        clip = mod.synthesize(label, rng)
        assert clip.shape == (mod.RATE,) and clip.dtype == np.float32 and np.abs(clip).max() <= 1.0
    spec = lambda label: np.abs(np.fft.rfft(mod.synthesize(label, np.random.default_rng(1))))  # noqa: E731
    freqs = np.fft.rfftfreq(mod.RATE, 1 / mod.RATE)
    assert freqs[spec("low_tone").argmax()] < 400 < 1200 < freqs[spec("high_tone").argmax()]
