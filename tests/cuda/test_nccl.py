"""The 'nccl' process-group backend the CUDA plugin registers: registration and availability everywhere; jobs on GPUs."""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import ember
import ember.distributed as dist
from ember.distributed import _backends

ember_cuda = pytest.importorskip("ember_cuda", reason="ember-cuda is not installed")
from ember_cuda import _nccl  # noqa: E402


def test_plugin_registers_nccl_for_cuda_tensors():
    entry = _backends.registered()["nccl"]
    assert (entry.creator_fn, entry.available, entry.extended_api) == (_nccl.NCCLTransport, _nccl.is_available, False)
    assert entry.owner == "ember plugin 'cuda'"
    assert dist.Backend.backend_capability["nccl"] == ["cuda"]
    assert dist.Backend.default_device_backend_map["cuda"] == "nccl"
    assert _backends.routes("nccl") == {"cuda": "nccl", None: "mpi"}
    assert dist.Backend("cpu:gloo,cuda:nccl") == "cpu:gloo,cuda:nccl"


def _hide_cupy(monkeypatch):
    """``import cupy`` (and any of its modules, already imported or not) raises ImportError."""
    for name in [n for n in sys.modules if n == "cupy" or n.startswith("cupy.")] + ["cupy"]:
        monkeypatch.setitem(sys.modules, name, None)


def test_hook_registers_nccl_even_without_cupy(monkeypatch):
    _hide_cupy(monkeypatch)
    seen = []

    class Registry:
        def register_backend(self, name, func, extended_api=False, devices=None, *, available=None):
            seen.append((name, func, extended_api, devices, available))

    ember_cuda.ember_register_distributed_backends(registry=Registry())
    assert seen == [("nccl", _nccl.NCCLTransport, False, ["cuda"], _nccl.is_available)]
    assert _nccl.is_available() is False


def _fake_cupy(monkeypatch, nccl):
    """CuPy with ``cupy.cuda.nccl`` = ``nccl`` (None: the bindings do not import)."""
    cupy, cuda = types.ModuleType("cupy"), types.ModuleType("cupy.cuda")
    cupy.cuda = cuda
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupy.cuda", cuda)
    if nccl is None:
        monkeypatch.delitem(sys.modules, "cupy.cuda.nccl", raising=False)
    else:
        cuda.nccl = nccl
        monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", nccl)


@pytest.mark.parametrize("nccl, expected", [
    (None, False),                                       # CuPy without its NCCL bindings
    (types.SimpleNamespace(available=False), False),     # the bindings, but no libnccl
    (types.SimpleNamespace(available=True), True),
])
def test_is_nccl_available_follows_cupys_nccl(monkeypatch, nccl, expected):
    _fake_cupy(monkeypatch, nccl)
    assert dist.is_nccl_available() is expected is dist.is_backend_available("cpu:mpi,cuda:nccl")
    assert _backends.default_backend() == ("cpu:mpi,cuda:nccl" if expected else "mpi")


def test_without_nccl_the_backend_fails_clearly(monkeypatch):
    _hide_cupy(monkeypatch)
    with pytest.raises(RuntimeError, match="init_process_group: backend 'nccl' \\(registered by ember plugin 'cuda'\\) "
                                           "is not available here: ember_cuda._nccl.is_available\\(\\) is False"):
        dist.init_process_group("nccl")
    with pytest.raises(RuntimeError, match="the 'nccl' backend needs CuPy with its NCCL library"):
        _nccl.NCCLTransport(None, 0, 1, None)
    assert not dist.is_initialized()


@pytest.mark.skipif(not (ember.cuda.is_available() and dist.is_nccl_available()), reason="needs a GPU and NCCL")
def test_gpu_nccl_job_runs_every_collective():
    from ember.distributed import run as launcher

    worker = Path(__file__).parent / "workers" / "nccl_job.py"
    n = ember.cuda.device_count()
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "PYTHONWARNINGS": "error"}
    if n >= 2 and launcher.find_mpiexec() is not None:
        cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(n), str(worker)]
    else:
        n, cmd = 1, [sys.executable, str(worker)]  # a single process: MPI starts as a singleton
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for r in range(n):
        assert f"rank {r}: nccl ok" in out, out
