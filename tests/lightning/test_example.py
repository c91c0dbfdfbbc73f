"""The Lightning digits example runs end to end with small settings (fit, checkpoints, CSV log, test on best)."""

import importlib.util
import pathlib

import pytest

pytest.importorskip("embervision")
EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "lightning" / "digits.py"


def test_digits_example_smoke(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("lightning_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--epochs", "2", "--limit-batches", "3", "--out", str(tmp_path)])
    assert set(results[0]) == {"test_acc", "test_loss"} and 0.0 <= results[0]["test_acc"].item() <= 1.0
    folder = tmp_path / "lightning_logs" / "version_0"
    assert (folder / "metrics.csv").exists() and (folder / "hparams.yaml").read_text() == "lr: 0.002\nwidth: 16\n"
    assert [p.name.startswith("digits-epoch=") for p in (folder / "checkpoints").iterdir()] == [True]
    assert "best checkpoint:" in capsys.readouterr().out
