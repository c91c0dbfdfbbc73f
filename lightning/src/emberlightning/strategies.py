"""Strategies: where the model runs, and how the processes of a run cooperate.

``SingleDeviceStrategy`` trains in one process on one device. ``DDPStrategy`` (``strategy="ddp"``)
trains one replica per process of an MPI job (``ember.distributed``): it joins the job, or relaunches
the script under ``python -m ember.distributed.run`` when started outside one; it wraps the model in
``DistributedDataParallel`` for training, and gives the Trainer the collectives it needs (reduce,
broadcast, barrier) for logging with ``sync_dist=True`` and rank-zero checkpointing.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys

from .utilities import MisconfigurationException, rank_zero_only

__all__ = ["Strategy", "SingleDeviceStrategy", "DDPStrategy"]

_LAUNCHED = "EMBERLIGHTNING_LAUNCHED"  # set in the processes a Trainer launched: never launch again


class Strategy:
    """The single-process behaviour every strategy starts from: rank 0 of a world of one, no communication.

    Example:
        >>> from emberlightning.strategies import Strategy
        >>> s = Strategy("cpu"); s.is_global_zero, s.world_size, s.broadcast("x"), s.reduce_boolean_decision(True)
        (True, 1, 'x', True)
    """

    global_rank = local_rank = node_rank = 0
    num_nodes = 1

    def __init__(self, device):
        import ember

        self.root_device = ember.device(device)
        self.model = None  # the module the training step runs through (a DDP wrapper, when distributed)
        self._lightning_optimizers = []

    @property
    def world_size(self):
        """The number of processes of the run."""
        return 1

    @property
    def num_processes(self):
        """The processes on this node."""
        return 1

    @property
    def is_global_zero(self):
        """Whether this is the process that writes checkpoints and logs (global rank 0)."""
        return self.global_rank == 0

    @property
    def distributed_sampler_kwargs(self):
        """``num_replicas``/``rank`` for a ``DistributedSampler``; None when the data is not sharded."""
        return None

    def setup_environment(self):
        """Join (or start) the processes of the run before anything else happens."""

    def setup_model(self, model):
        """Prepare ``model`` for training (DDP wraps it here)."""

    def training_step(self, trainer, *args):
        """Run the LightningModule's ``training_step`` (through the wrapper, when there is one)."""
        return trainer._call_step("training_step", *args)

    def post_backward(self, trainer):
        """After each backward of the training step (DDP with manual optimisation averages gradients here)."""

    def block_backward_sync(self):
        """A context in which backward does not synchronise gradients (gradient accumulation)."""
        return contextlib.nullcontext()

    def reduce(self, tensor, group=None, reduce_op="mean"):
        """``tensor`` reduced across processes with ``reduce_op`` ("mean", "sum", "max", "min")."""
        return tensor

    def reduce_boolean_decision(self, decision, all=True):
        """One decision for every process: all of them agree (``all``) or any of them says so."""
        return decision

    def all_gather(self, tensor, group=None, sync_grads=False):
        """``tensor`` of every process, stacked along a new first dimension (no new dimension in one process)."""
        return tensor

    def barrier(self, name=None):
        """Wait until every process gets here."""

    def broadcast(self, obj, src=0):
        """Process ``src``'s ``obj`` (any picklable object), on every process."""
        return obj

    def teardown(self):
        """Undo :meth:`setup_model` (the LightningModule itself stays as trained)."""
        self.model = None


class SingleDeviceStrategy(Strategy):
    """Training on one device: where the model and batches live (``root_device``).

    Example:
        >>> from emberlightning.strategies import SingleDeviceStrategy
        >>> SingleDeviceStrategy("cpu").root_device
        device(type='cpu')
    """

    def __repr__(self):
        return f"SingleDeviceStrategy(root_device={self.root_device})"


@functools.cache
def _step_module():
    """The Module DDP wraps: its forward is the LightningModule's training step (as Lightning's wrapper)."""
    from ember import nn

    class _TrainingStep(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, *args):
            return self.module.trainer._call_step("training_step", *args)

    return _TrainingStep


_REDUCE_OPS = {"mean": "AVG", "avg": "AVG", "sum": "SUM", "max": "MAX", "min": "MIN"}


class DDPStrategy(Strategy):
    """Distributed data parallel over MPI: one process per device, gradients averaged every step.

    The Trainer fills in the devices (``Trainer(strategy="ddp", devices=N, num_nodes=M)``). At the
    start of a run the process joins the MPI job (``init_process_group``); a script started without
    ``mpiexec`` relaunches itself with ``python -m ember.distributed.run --nproc-per-node N`` and exits
    with the job's status. ``process_group_backend`` defaults to ``"nccl"`` on CUDA and ``"mpi"``
    elsewhere; other keyword arguments go to ``DistributedDataParallel``.

    Example:
        >>> import emberlightning as L
        >>> from emberlightning.strategies import DDPStrategy
        >>> trainer = L.Trainer(strategy=DDPStrategy(bucket_cap_mb=5), accelerator="cpu", devices=2, logger=False)
        >>> trainer.strategy, trainer.world_size, trainer.strategy.distributed_sampler_kwargs
        (DDPStrategy(root_device=cpu, world_size=2), 2, {'num_replicas': 2, 'rank': 0})
    """

    def __init__(self, process_group_backend=None, timeout=None, start_method="popen", **kwargs):
        self.root_device = None
        self.model = None
        self._lightning_optimizers = []
        self.parallel_devices = []
        self._process_group_backend = process_group_backend
        self._timeout = timeout
        self._ddp_kwargs = kwargs

    def _configure(self, kind, indices, num_nodes):
        """Set the devices of this node and this process's place from the launcher's environment."""
        import ember
        from ember.distributed._group import env_rank_info

        self.parallel_devices, self.num_nodes = list(indices), num_nodes
        rank, _, local, _ = env_rank_info()
        self.global_rank, self.local_rank = rank, local
        self.node_rank = rank // len(self.parallel_devices)
        index = self.parallel_devices[local % len(self.parallel_devices)]
        self.root_device = ember.empty(0, device=f"{kind}:{index}").device

    def __repr__(self):
        return f"DDPStrategy(root_device={self.root_device}, world_size={self.world_size})"

    @property
    def world_size(self):
        return len(self.parallel_devices) * self.num_nodes

    @property
    def num_processes(self):
        return len(self.parallel_devices)

    @property
    def distributed_sampler_kwargs(self):
        return {"num_replicas": self.world_size, "rank": self.global_rank}

    @property
    def process_group_backend(self):
        """The backend of the process group: as given, else ``"nccl"`` on CUDA and ``"mpi"`` otherwise."""
        if self._process_group_backend is not None:
            return self._process_group_backend
        return "nccl" if self.root_device.type == "cuda" else "mpi"

    # --- processes -------------------------------------------------------------------------
    def setup_environment(self):
        import ember.distributed as dist
        from ember.distributed._group import env_rank_info

        if not dist.is_initialized():
            size = env_rank_info()[1]
            if size == 1 and self.world_size > 1 and not os.environ.get(_LAUNCHED):
                _relaunch(self.num_processes, self.num_nodes)
            dist.init_process_group(self.process_group_backend,
                                    **({"timeout": self._timeout} if self._timeout is not None else {}))
        size = dist.get_world_size()
        if size != self.world_size:
            raise MisconfigurationException(
                f"`Trainer(strategy='ddp', devices={self.num_processes}, num_nodes={self.num_nodes})` needs "
                f"{self.world_size} processes but the MPI job has {size}: launch with `python -m "
                f"ember.distributed.run --nproc-per-node {self.num_processes} script.py` or `mpiexec -n "
                f"{self.world_size} python script.py`")
        self.global_rank = rank_zero_only.rank = dist.get_rank()

    def setup_model(self, model):
        from ember.nn.parallel import DistributedDataParallel

        self.model = DistributedDataParallel(_step_module()(model), **self._ddp_kwargs)

    def training_step(self, trainer, *args):
        if self.model is None or not trainer.lightning_module.automatic_optimization:
            return trainer._call_step("training_step", *args)  # manual: post_backward averages the gradients
        return self.model(*args)

    def post_backward(self, trainer):
        import ember.distributed as dist

        if self.model is None or trainer.lightning_module.automatic_optimization or self.world_size == 1:
            return
        for p in trainer.lightning_module.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad, op=dist.ReduceOp.AVG)

    def block_backward_sync(self):
        return self.model.no_sync() if self.model is not None else contextlib.nullcontext()

    def teardown(self):
        if self.model is not None:
            for handle in self.model._grad_hooks:  # the trained module goes on without gradient averaging
                handle.remove()
        self.model = None

    # --- collectives -----------------------------------------------------------------------
    def reduce(self, tensor, group=None, reduce_op="mean"):
        import ember
        import ember.distributed as dist

        if not isinstance(tensor, ember.Tensor):
            return tensor
        if isinstance(reduce_op, str):
            name = _REDUCE_OPS.get(reduce_op.lower())
            if name is None:
                raise ValueError(f"DDPStrategy.reduce: reduce_op must be one of {sorted(_REDUCE_OPS)}, got "
                                 f"{reduce_op!r}")
            reduce_op = getattr(dist.ReduceOp, name)
        out = tensor.detach().clone()
        dist.all_reduce(out, op=reduce_op, group=group)
        return out

    def reduce_boolean_decision(self, decision, all=True):
        import ember
        import ember.distributed as dist

        votes = ember.tensor(int(bool(decision)), device=self.root_device)
        dist.all_reduce(votes, op=dist.ReduceOp.SUM)
        count = int(votes.item())
        return count == self.world_size if all else count > 0

    def all_gather(self, tensor, group=None, sync_grads=False):
        import ember
        import ember.distributed as dist

        parts = [ember.empty_like(tensor) for _ in range(dist.get_world_size(group))]
        dist.all_gather(parts, tensor.detach().contiguous(), group=group)
        return ember.stack(parts)

    def barrier(self, name=None):
        import ember.distributed as dist

        if dist.is_initialized():
            dist.barrier()

    def broadcast(self, obj, src=0):
        import ember.distributed as dist

        if not dist.is_initialized():
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=src)
        return box[0]


def _relaunch(nproc_per_node, num_nodes):
    """Run this script again as an MPI job of ``nproc_per_node`` processes, then exit with its status."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    script = getattr(main, "__file__", None)
    if num_nodes != 1 or (spec is None and not (script and os.path.isfile(script))):
        raise MisconfigurationException(
            f"`Trainer(strategy='ddp')` needs {nproc_per_node * num_nodes} processes but runs in a single one that "
            "cannot relaunch itself (interactive, or several nodes): start the job with `python -m "
            f"ember.distributed.run --nproc-per-node {nproc_per_node} script.py` (or `mpiexec`)")
    target = ["-m", spec.name] if spec is not None and spec.name and spec.name != "__main__" else [script]
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(nproc_per_node), *target,
           *sys.argv[1:]]
    sys.stdout.flush()
    code = subprocess.run(cmd, env={**os.environ, _LAUNCHED: "1"}).returncode
    raise SystemExit(code)


STRATEGIES = {"ddp": {}, "ddp_find_unused_parameters_true": {"find_unused_parameters": True},
              "ddp_find_unused_parameters_false": {"find_unused_parameters": False}}
