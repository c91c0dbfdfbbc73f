"""The text examples run end to end on their real offline corpus with small settings and learn something."""

import importlib.util
import os
import re
import subprocess
import sys

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
    # a subprocess with one BLAS thread: small matrices on a busy machine run far slower multi-threaded
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "gpt_stdlib_lm.py"), "--steps", "80", "--block", "32",
                          "--batch", "16"], env=env, capture_output=True, text=True, check=True, timeout=300).stdout
    numbers = re.search(r"validation loss ([0-9.]+) nats/token vs unigram baseline ([0-9.]+)", out)
    val, baseline = float(numbers.group(1)), float(numbers.group(2))
    assert val < 0.95 * baseline
    assert "sample:\nReturn the " in out
