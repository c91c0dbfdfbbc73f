"""Smoke test: examples/deploy/deploy.py trains, deploys and agrees across runtimes."""

import importlib.util
import math
import os

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "deploy", "deploy.py")


def test_deploy_example_runs(tmp_path):
    pytest.importorskip("embervision")
    spec = importlib.util.spec_from_file_location("deploy_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = []
    results, accuracy = module.run(epochs=1, out=str(tmp_path), log=lines.append)
    assert accuracy > 0.8
    assert {"ember eager", "traced graph", "optimised graph", "fresh process (loaded)"} <= set(results)
    for name, (diff, t1, tn) in results.items():
        assert diff < 1e-4, name
        assert math.isnan(t1) or t1 > 0
    assert any(line.startswith("runtime") for line in lines)
    assert (tmp_path / "digits_cnn.pt").stat().st_size > 0
