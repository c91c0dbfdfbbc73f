"""The conformance suite: passes on the built-in backends, catches a broken one, runs from the shell and pytest."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from ember.ops._registry import FUNCTIONS
from ember.testing import conformance

BUILTIN = [d for d in ("cpu", "strict") if d in ember.plugins.host().device_types()]


@pytest.mark.parametrize("device", BUILTIN)
def test_builtin_backends_conform(device):
    report = conformance.run(device)
    assert not report.failures, report.table()
    assert report.count("pass") >= 300
    assert report.count("missing") <= 0.05 * len(report.results)  # ops without a sample are listed, not hidden


def test_samples_cover_the_op_table():
    samples = conformance.samples()
    exported = {n for n in FUNCTIONS if not conformance._samples.skipped(n)}
    assert exported <= set(samples)
    assert not {"dropout", "set_num_threads", "manual_seed"} & set(samples)
    assert sum(s is not None for s in samples.values()) >= 0.95 * len(exported)


@pytest.fixture
def broken_device():
    """A numpy backend with two wrong kernels: exp is the identity, matmul adds 1."""

    class Plugin:
        @staticmethod
        @ember.plugins.hookimpl
        def ember_register_backends(registry):
            def load():
                class Broken(ember.backends.NumpyLikeBackend):
                    xp = np
                    kernels = {"Exp": lambda node, be, a: a, "Matmul": lambda node, be, a, b: np.matmul(a, b) + 1}

                return Broken()

            registry.add_backend("broken", load)

    host = ember.plugins.host()
    plugin = Plugin()
    host.register(plugin, "broken-test-plugin")
    yield "broken"
    host.registry.remove_backend("broken")
    host.pm.unregister(name="broken-test-plugin")


def test_a_broken_backend_is_caught(broken_device):
    report = conformance.run(broken_device, ops=["exp", "matmul", "add", "F.softmax"])
    status = {r.op: r.status for r in report.results}
    assert status == {"exp": "fail", "matmul": "fail", "add": "pass", "F.softmax": "pass"}
    detail = {r.op: r.detail for r in report.failures}
    assert "values differ" in detail["exp"]
    table = report.table()
    assert "exp" in table and "2 failed" in table.splitlines()[-1]
    assert conformance.main(["--device", broken_device, "--ops", "exp,add"]) == 1


def test_wrong_gradients_are_caught(broken_device):
    # right values, wrong gradient on the device under test: check() compares the gradients too
    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * (3 if g.device.type == "broken" else 2)

    result = conformance.check("twice", Twice.apply, (("X",), {}), broken_device)
    assert result.status == "fail" and result.detail.startswith("grad[0]: values differ")


def test_main_prints_a_table_and_exits_zero(capsys):
    assert conformance.main(["--device", "cpu", "--ops", "add,exp,F.linear", "-v"]) == 0
    out = capsys.readouterr().out
    assert "F.linear" in out and "values + grads" in out
    assert out.strip().splitlines()[-1] == "conformance on 'cpu': 3 passed, 0 failed, 0 missing of 3 ops"


def test_main_rejects_an_unusable_device(capsys):
    assert conformance.main(["--device", "nope"]) == 2
    assert "cannot use device 'nope': no backend is registered for device type 'nope'" in capsys.readouterr().err


def test_command_line_module(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ember.testing.conformance", "--device", "strict", "--ops", "add,sum"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed, 0 failed" in out.stdout


def test_pytest_plugin(tmp_path):
    (tmp_path / "test_nothing.py").write_text(textwrap.dedent("""
        def test_nothing():
            pass
    """))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "ember.testing.pytest_plugin", "--ember-device",
                          "strict", "-k", "conformance and (matmul or softmax)", "-q", "-p", "no:cacheprovider",
                          str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    passed = int(out.stdout.split(" passed")[0].split()[-1])
    assert passed >= 4 and "deselected" in out.stdout  # matmul, softmax, F.softmax, F.log_softmax, ...
