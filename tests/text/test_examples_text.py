"""The text examples run end to end on their real offline corpus with small settings and learn something."""

import importlib.util
import os

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "text")


def load(name):
    spec = importlib.util.spec_from_file_location(f"text_example_{name}", os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstring_classifier_beats_chance(tmp_path):
    lines = []
    acc = load("classify_stdlib_docs").run(epochs=2, root=str(tmp_path), log=lines.append)
    assert acc > 0.6  # six classes: chance is 17%
    assert (tmp_path / "AG_NEWS" / "train.csv").stat().st_size > 10000
    assert "standard library" in lines[0]


def test_gpt_language_model_beats_unigram_baseline():
    val, baseline, sample = load("gpt_stdlib_lm").run(steps=80, block=32, batch=16, log=lambda *a: None)
    assert val < 0.95 * baseline
    assert sample.startswith("Return the ") and len(sample) == len("Return the ") + 200
