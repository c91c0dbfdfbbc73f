"""Trainer: holds the settings and the state of a run; the loops themselves are in ``loop.py``.

``fit``/``validate``/``test``/``predict`` all go through :meth:`Trainer._run`: attach the model,
set up callbacks/data/optimizers (and restore a checkpoint), run the loop, tear down.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings

from . import _data, loop
from ._results import Results
from .strategies import STRATEGIES, DDPStrategy, SingleDeviceStrategy, Strategy
from .states import RunningStage, TrainerFn, TrainerState, TrainerStatus
from .utilities import MisconfigurationException, PossibleUserWarning, parse_duration

__all__ = ["Trainer", "TrainerFn", "TrainerStatus", "RunningStage", "TrainerState"]


# precision flag -> (parameter/input dtype name or None, autocast dtype name or None)
_PRECISION = {"32-true": (None, None), "64-true": ("float64", None), "16-true": ("float16", None),
              "bf16-true": ("bfloat16", None), "16-mixed": (None, "float16"), "bf16-mixed": (None, "bfloat16")}
_PRECISION_ALIASES = {32: "32-true", "32": "32-true", 64: "64-true", "64": "64-true", 16: "16-mixed",
                      "16": "16-mixed", "bf16": "bf16-mixed", "transformer-engine": None}


def _resolve_kind(accelerator):
    """``(device type, device count)`` for the ``accelerator`` flag."""
    import ember

    host = ember.plugins.host()
    types = list(host.device_types())
    if accelerator in ("auto", None):
        kind = "cuda" if "cuda" in types and ember.cuda.is_available() else "cpu"
    elif accelerator == "gpu":
        kind = "cuda"
    elif isinstance(accelerator, str) and accelerator in types:
        kind = accelerator
    else:
        raise MisconfigurationException(f"You selected an invalid accelerator name: `accelerator={accelerator!r}`. "
                                        f"Available names are: auto, gpu, {', '.join(types)}.")
    try:
        count = host.backend(kind).device_count()
    except Exception as exc:
        raise MisconfigurationException(f"`accelerator={accelerator!r}` is not usable here: {exc}") from None
    if count == 0:
        raise MisconfigurationException(f"`Trainer(accelerator={accelerator!r})` was requested but no {kind} device "
                                        "is available.")
    return kind, count


def _device_indices(devices, kind, count):
    """The device index of each process ``devices`` asks for ("auto": one; -1: all; N; "0,1"; [0, 1]).

    Processes share a device type that has fewer devices than processes (cpu) but not CUDA's.
    """
    if devices in ("auto", None):
        return [0]
    if isinstance(devices, str):
        devices = devices.strip()
        devices = [int(d) for d in devices.split(",") if d.strip()] if "," in devices else int(devices)
    if isinstance(devices, int) and not isinstance(devices, bool):
        if devices == -1:
            devices = count
        if devices < 1:
            raise MisconfigurationException(f"`Trainer(devices={devices!r})`: ask for at least one device")
        if devices > count and kind == "cuda":
            raise MisconfigurationException(f"`devices={devices!r}`: there are only {count} {kind} device(s)")
        return [i if i < count else 0 for i in range(devices)]
    indices = [int(i) for i in devices]
    for i in indices:
        if i >= count:
            raise MisconfigurationException(f"`devices={devices!r}`: there are only {count} {kind} device(s)")
    return indices


def _resolve_strategy(strategy, accelerator, devices, num_nodes):
    """The strategy object for the ``strategy``/``accelerator``/``devices``/``num_nodes`` flags."""
    kind, count = _resolve_kind(accelerator)
    indices = _device_indices(devices, kind, count)
    if isinstance(strategy, Strategy) and not isinstance(strategy, DDPStrategy):
        return strategy
    if strategy in ("auto", None) and (len(indices) > 1 or num_nodes > 1):
        strategy = "ddp"  # as Lightning: several devices train with DDP
    if isinstance(strategy, str) and strategy in STRATEGIES:
        strategy = DDPStrategy(**STRATEGIES[strategy])
    if isinstance(strategy, DDPStrategy):
        strategy._configure(kind, indices, num_nodes)
        return strategy
    if strategy not in ("auto", "single_device", None):
        raise MisconfigurationException(f"`Trainer(strategy={strategy!r})`: emberlightning supports 'auto', "
                                        f"'single_device' and {', '.join(repr(k) for k in STRATEGIES)} (spawned "
                                        "processes are not supported: the job runs under MPI)")
    if len(indices) > 1 or num_nodes != 1:
        raise MisconfigurationException(f"`Trainer(strategy={strategy!r}, devices={devices!r}, num_nodes="
                                        f"{num_nodes})` asks for several devices: use strategy='ddp'")
    import ember

    return SingleDeviceStrategy(ember.empty(0, device=f"{kind}:{indices[0]}").device)  # the canonical spelling


class Trainer:
    """Runs the training, validation, test and prediction loops of a LightningModule.

    The flags mirror PyTorch Lightning's: stopping (``max_epochs``, ``min_epochs``, ``max_steps``,
    ``max_time``), hardware (``accelerator``: "cpu", "cuda"/"gpu", "auto" or any registered Ember
    device type; one device), ``precision`` ("32-true", "64-true", "16-mixed", "bf16-mixed"), how
    much data (``limit_*_batches`` as a count or fraction, ``fast_dev_run``, ``overfit_batches``),
    when to validate (``val_check_interval``, ``check_val_every_n_epoch``, ``num_sanity_val_steps``),
    optimisation (``accumulate_grad_batches``, ``gradient_clip_val``/``_algorithm``), and the
    default callbacks and logger.

    Example:
        >>> import ember, ember.nn as nn, emberlightning as L
        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> class Regressor(L.LightningModule):
        ...     def __init__(self):
        ...         super().__init__(); self.layer = nn.Linear(1, 1)
        ...     def training_step(self, batch, batch_idx):
        ...         x, y = batch
        ...         loss = nn.functional.mse_loss(self.layer(x), y); self.log("loss", loss); return loss
        ...     def configure_optimizers(self):
        ...         return ember.optim.SGD(self.parameters(), lr=0.1)
        >>> x = ember.linspace(-1, 1, 32).unsqueeze(1)
        >>> trainer = L.Trainer(max_epochs=20, logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(Regressor(), DataLoader(TensorDataset(x, 3 * x), batch_size=8))
        >>> trainer.global_step, trainer.callback_metrics["loss"].item() < 0.01
        (80, True)
    """

    def __init__(self, *, accelerator="auto", strategy="auto", devices="auto", num_nodes=1, precision=None,
                 logger=None, callbacks=None, fast_dev_run=False, max_epochs=None, min_epochs=None, max_steps=-1,
                 min_steps=None, max_time=None, limit_train_batches=None, limit_val_batches=None,
                 limit_test_batches=None, limit_predict_batches=None, overfit_batches=0.0, val_check_interval=None,
                 check_val_every_n_epoch=1, num_sanity_val_steps=None, log_every_n_steps=None,
                 enable_checkpointing=None, enable_progress_bar=None, enable_model_summary=None,
                 accumulate_grad_batches=1, gradient_clip_val=None, gradient_clip_algorithm=None, deterministic=None,
                 benchmark=None, inference_mode=True, use_distributed_sampler=True, profiler=None,
                 detect_anomaly=False, barebones=False, plugins=None, sync_batchnorm=False,
                 reload_dataloaders_every_n_epochs=0, default_root_dir=None):
        self.strategy = _resolve_strategy(strategy, accelerator, devices, num_nodes)
        self.precision = self._check_precision(precision)
        self.default_root_dir = os.fspath(default_root_dir) if default_root_dir is not None else os.getcwd()
        self.state = TrainerState()

        # stopping conditions
        if fast_dev_run is True:
            fast_dev_run = 1
        if isinstance(fast_dev_run, int) and fast_dev_run < 0:
            raise MisconfigurationException(f"fast_dev_run={fast_dev_run!r} is not a valid configuration. "
                                            "It should be >= 0.")
        self.fast_dev_run = fast_dev_run
        if max_epochs is None:
            max_epochs = 1000 if max_steps == -1 and max_time is None else -1
        if max_steps is None or max_steps < -1:
            raise MisconfigurationException(f"`max_steps` must be a non-negative integer or -1 (infinite steps). "
                                            f"You passed in {max_steps}.")
        self.max_epochs, self.min_epochs = max_epochs, min_epochs
        self.max_steps, self.min_steps = max_steps, min_steps

        # how much data, when to validate
        limits = {"train": limit_train_batches, "val": limit_val_batches, "test": limit_test_batches,
                  "predict": limit_predict_batches}
        limits = {k: 1.0 if v is None else self._check_limit(v, f"limit_{k}_batches") for k, v in limits.items()}
        self.overfit_batches = self._check_limit(overfit_batches, "overfit_batches")
        if self.overfit_batches:
            limits["train"] = limits["val"] = self.overfit_batches
        self.val_check_interval = 1.0 if val_check_interval is None else val_check_interval
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.num_sanity_val_steps = 2 if num_sanity_val_steps is None else num_sanity_val_steps
        if isinstance(self.val_check_interval, float) and not 0.0 < self.val_check_interval <= 1.0:
            raise ValueError(f"`val_check_interval` should be in (0.0, 1.0] when it is a float, got "
                             f"{self.val_check_interval}")
        if fast_dev_run:
            limits = dict.fromkeys(limits, fast_dev_run)
            self.max_steps, self.max_epochs = fast_dev_run, 1
            self.num_sanity_val_steps, self.val_check_interval, self.check_val_every_n_epoch = 0, 1.0, 1
        self.limit_train_batches, self.limit_val_batches = limits["train"], limits["val"]
        self.limit_test_batches, self.limit_predict_batches = limits["test"], limits["predict"]
        self.log_every_n_steps = 50 if log_every_n_steps is None else log_every_n_steps

        # optimisation
        if not isinstance(accumulate_grad_batches, int) or accumulate_grad_batches < 1:
            raise MisconfigurationException(f"Gradient accumulation supports only int and dict types >= 1, got "
                                            f"accumulate_grad_batches={accumulate_grad_batches!r}")
        self.accumulate_grad_batches = accumulate_grad_batches
        if gradient_clip_algorithm not in (None, "norm", "value"):
            raise MisconfigurationException(f"`gradient_clip_algorithm` {gradient_clip_algorithm!r} is invalid. "
                                            "Allowed algorithms: ['value', 'norm'].")
        self.gradient_clip_val, self.gradient_clip_algorithm = gradient_clip_val, gradient_clip_algorithm
        self.deterministic, self.benchmark = deterministic, benchmark  # accepted: Ember's CPU kernels are deterministic
        self.detect_anomaly = detect_anomaly
        self._use_distributed_sampler = use_distributed_sampler
        self._inference_mode = inference_mode
        self.reload_dataloaders_every_n_epochs = reload_dataloaders_every_n_epochs

        self.loggers = self._init_loggers(logger)
        self.callbacks = self._init_callbacks(callbacks, enable_checkpointing, enable_progress_bar,
                                              enable_model_summary, max_time)

        # run state
        self.lightning_module = None
        self.datamodule = None
        self.optimizers, self.lr_scheduler_configs = [], []
        self.should_stop = False
        self.ckpt_path = None
        self._current_epoch = 0
        self._global_step = 0
        self._batches_that_stepped = 0
        self._batches_done = 0  # training batches finished in the current epoch
        self._in_epoch_end = False
        self._data_seed = None
        self._resume = None
        self._scaler = None
        self._current_fx = None
        self._callback_hooks = {}
        self._callback_metrics, self._logged_metrics, self._progress_bar_metrics = {}, {}, {}
        self._train_results, self._eval_results = Results(self, True), Results(self, False)
        self._results = self._train_results
        self._val_has_run = False
        self.train_dataloader = None
        self.val_dataloaders = self.test_dataloaders = self.predict_dataloaders = None
        self.num_training_batches = 0
        self.num_val_batches, self.num_test_batches, self.num_predict_batches = [], [], []
        self.num_sanity_val_batches = []
        self._given_loaders = {}

    # --- construction helpers ---------------------------------------------------------------
    @staticmethod
    def _check_precision(precision):
        if precision is None:
            return "32-true"
        flag = _PRECISION_ALIASES.get(precision, precision)
        if flag not in _PRECISION:
            raise MisconfigurationException(f"Precision {precision!r} is invalid. Allowed precision values: "
                                            f"{sorted(_PRECISION)}")
        if _PRECISION[flag][1] is not None:
            import ember

            if not hasattr(ember, "autocast"):
                raise MisconfigurationException(
                    f"`Trainer(precision={precision!r})` needs automatic mixed precision (`ember.autocast`), which "
                    "this version of Ember does not have; use precision='32-true' or '64-true'")
        return flag

    @staticmethod
    def _check_limit(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MisconfigurationException(f"`{name}` must be an int or a float, got {value!r}")
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise MisconfigurationException(f"`{name}` must be a float in the range [0.0, 1.0] or an int, got {value}")
        if value < 0:
            raise MisconfigurationException(f"`{name}` must be non-negative, got {value}")
        return value

    def _init_loggers(self, logger):
        if self.fast_dev_run or logger is False:
            return []
        if logger is None or logger is True:
            from .loggers import CSVLogger

            return [CSVLogger(save_dir=self.default_root_dir)]
        return list(logger) if isinstance(logger, (list, tuple)) else [logger]

    def _init_callbacks(self, callbacks, enable_checkpointing, enable_progress_bar, enable_model_summary, max_time):
        from .callbacks import ModelCheckpoint, ModelSummary, ProgressBar, Timer, TQDMProgressBar

        callbacks = [callbacks] if callbacks is not None and not isinstance(callbacks, (list, tuple)) \
            else list(callbacks or [])
        for kind, enabled, name, default in ((ModelCheckpoint, enable_checkpointing, "enable_checkpointing",
                                              ModelCheckpoint), (ProgressBar, enable_progress_bar,
                                                                  "enable_progress_bar", TQDMProgressBar),
                                             (ModelSummary, enable_model_summary, "enable_model_summary",
                                              ModelSummary)):
            present = any(isinstance(cb, kind) for cb in callbacks)
            if enabled is False and present:
                raise MisconfigurationException(f"Trainer was configured with `{name}=False` but found "
                                                f"`{kind.__name__}` in callbacks list.")
            if enabled is not False and not present:
                callbacks.append(default())
        if max_time is not None:
            callbacks.append(Timer(duration=parse_duration(max_time), interval="step"))
        return self._reorder_callbacks(callbacks)

    @staticmethod
    def _reorder_callbacks(callbacks):
        from .callbacks import ModelCheckpoint

        return [c for c in callbacks if not isinstance(c, ModelCheckpoint)] + \
            [c for c in callbacks if isinstance(c, ModelCheckpoint)]

    # --- public state ------------------------------------------------------------------------
    @property
    def current_epoch(self):
        """The epoch being trained (the number of finished epochs)."""
        return self._current_epoch

    @property
    def global_step(self):
        """The number of optimizer steps taken."""
        return self._global_step

    @property
    def model(self):
        """The LightningModule being run."""
        return self.lightning_module

    @property
    def logger(self):
        """The first logger (None without loggers)."""
        return self.loggers[0] if self.loggers else None

    @logger.setter
    def logger(self, logger):
        self.loggers = [] if logger is None else [logger]

    @property
    def log_dir(self):
        """The first logger's folder, else ``default_root_dir``."""
        logger = self.logger
        directory = getattr(logger, "log_dir", None) or getattr(logger, "save_dir", None) if logger else None
        return directory or self.default_root_dir

    @property
    def callback_metrics(self):
        """Every metric logged so far (latest step values and epoch reductions), as tensors."""
        return self._callback_metrics

    @property
    def logged_metrics(self):
        """The metrics sent to the loggers."""
        return self._logged_metrics

    @property
    def progress_bar_metrics(self):
        """The metrics logged with ``prog_bar=True``, as Python numbers."""
        return {k: v.item() if hasattr(v, "item") else v for k, v in self._progress_bar_metrics.items()}

    def _callbacks_of(self, kind_name):
        from . import callbacks as cbs

        kind = getattr(cbs, kind_name)
        return [c for c in self.callbacks if isinstance(c, kind)]

    @property
    def checkpoint_callbacks(self):
        """All ModelCheckpoint callbacks."""
        return self._callbacks_of("ModelCheckpoint")

    @property
    def checkpoint_callback(self):
        """The first ModelCheckpoint callback (None without one)."""
        found = self.checkpoint_callbacks
        return found[0] if found else None

    @property
    def early_stopping_callbacks(self):
        """All EarlyStopping callbacks."""
        return self._callbacks_of("EarlyStopping")

    @property
    def early_stopping_callback(self):
        """The first EarlyStopping callback (None without one)."""
        found = self.early_stopping_callbacks
        return found[0] if found else None

    @property
    def progress_bar_callback(self):
        """The progress bar callback (None when disabled)."""
        found = self._callbacks_of("ProgressBar")
        return found[0] if found else None

    @property
    def training(self):
        return self.state.stage == RunningStage.TRAINING

    @property
    def sanity_checking(self):
        return self.state.stage == RunningStage.SANITY_CHECKING

    @property
    def validating(self):
        return self.state.stage == RunningStage.VALIDATING

    @property
    def testing(self):
        return self.state.stage == RunningStage.TESTING

    @property
    def predicting(self):
        return self.state.stage == RunningStage.PREDICTING

    @property
    def interrupted(self):
        return self.state.status == TrainerStatus.INTERRUPTED

    received_sigterm = False

    @property
    def is_global_zero(self):
        """Whether this process is global rank 0 (the one that writes checkpoints and logs)."""
        return self.strategy.is_global_zero

    @property
    def global_rank(self):
        """This process's rank among all processes of the run."""
        return self.strategy.global_rank

    @property
    def local_rank(self):
        """This process's rank on its node."""
        return self.strategy.local_rank

    @property
    def node_rank(self):
        """The rank of this process's node."""
        return self.strategy.node_rank

    @property
    def world_size(self):
        """The number of processes of the run."""
        return self.strategy.world_size

    @property
    def num_nodes(self):
        """The number of nodes."""
        return self.strategy.num_nodes

    @property
    def num_devices(self):
        """The devices (processes) per node."""
        return self.strategy.num_processes

    @property
    def device_ids(self):
        return list(getattr(self.strategy, "parallel_devices", None) or [self.strategy.root_device.index or 0])

    @property
    def estimated_stepping_batches(self):
        """How many optimizer steps ``fit`` will take (``inf`` when unbounded)."""
        per_epoch = math.ceil(self.num_training_batches / self.accumulate_grad_batches)
        total = per_epoch * self.max_epochs if self.max_epochs != -1 else math.inf
        return min(total, self.max_steps) if self.max_steps != -1 else total

    # --- the entry points --------------------------------------------------------------------
    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None, ckpt_path=None):
        """Train ``model`` (and validate it as configured); ``ckpt_path`` resumes a run ("last", or a path)."""
        from .datamodule import LightningDataModule

        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        if datamodule is not None and (train_dataloaders is not None or val_dataloaders is not None):
            raise MisconfigurationException("You cannot pass `train_dataloader` or `val_dataloaders` to "
                                            "`trainer.fit(datamodule=...)`")
        self._given_loaders = {"train": train_dataloaders, "val": val_dataloaders}
        self._run(model, datamodule, TrainerFn.FITTING, ckpt_path, loop.run_fit)

    def validate(self, model=None, dataloaders=None, ckpt_path=None, verbose=True, datamodule=None):
        """Run one validation epoch; returns one dict of epoch metrics per dataloader."""
        return self._evaluate(TrainerFn.VALIDATING, "val", model, dataloaders, ckpt_path, verbose, datamodule)

    def test(self, model=None, dataloaders=None, ckpt_path=None, verbose=True, datamodule=None):
        """Run the test epoch (``ckpt_path``: "best", "last" or a path); returns one metrics dict per loader."""
        return self._evaluate(TrainerFn.TESTING, "test", model, dataloaders, ckpt_path, verbose, datamodule)

    def predict(self, model=None, dataloaders=None, datamodule=None, return_predictions=None, ckpt_path=None):
        """``predict_step`` over the predict dataloader(s); returns the outputs (a list per dataloader)."""
        model, datamodule = self._reuse(model, dataloaders, datamodule)
        self._given_loaders = {"predict": dataloaders}
        keep = True if return_predictions is None else return_predictions
        return self._run(model, datamodule, TrainerFn.PREDICTING, ckpt_path,
                         lambda trainer: loop.run_predict(trainer, keep))

    def _evaluate(self, fn, kind, model, dataloaders, ckpt_path, verbose, datamodule):
        model, datamodule = self._reuse(model, dataloaders, datamodule)
        self._given_loaders = {kind: dataloaders}
        stage = "validation" if kind == "val" else "test"
        return self._run(model, datamodule, fn, ckpt_path,
                         lambda trainer: loop.run_evaluation_stage(trainer, stage, verbose))

    def _reuse(self, model, dataloaders, datamodule):
        from .datamodule import LightningDataModule

        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        if model is None:
            model = self.lightning_module
            if model is None:
                raise MisconfigurationException("`model` must be provided to `trainer.validate/test/predict()` when "
                                                "it hasn't been passed in a previous run")
            datamodule = datamodule if datamodule is not None or dataloaders is not None else self.datamodule
        return model, datamodule

    def _run(self, model, datamodule, fn, ckpt_path, run_loop):
        from .module import LightningModule

        if not isinstance(model, LightningModule):
            raise TypeError(f"`Trainer.{fn.value}()` requires a `LightningModule`, got: {type(model).__qualname__}")
        self.strategy.setup_environment()  # join the job (or relaunch this script as one) before anything else
        self.state.fn, self.state.status = fn, TrainerStatus.RUNNING
        self.should_stop = False
        self.lightning_module, self.datamodule = model, datamodule
        model.trainer = self
        if datamodule is not None:
            datamodule.trainer = self
        anomaly = contextlib.nullcontext()
        if self.detect_anomaly:
            import ember

            anomaly = ember.autograd.detect_anomaly()
        try:
            with anomaly:
                self._setup(fn, ckpt_path)
                result = run_loop(self)
            self._teardown(fn.value, "success")
            self.state.status = TrainerStatus.FINISHED
            self.state.stage = None
            return result
        except BaseException as exc:
            self.state.status = TrainerStatus.INTERRUPTED
            for cb in self.callbacks:
                cb.on_exception(self, model, exc)
            for owner in (model, datamodule):
                handler = getattr(owner, "on_exception", None)
                if handler is not None:
                    handler(exc)
            self._teardown(fn.value, "failed")
            raise

    def _setup(self, fn, ckpt_path):
        from . import checkpoint as ckpt_io

        model, dm = self.lightning_module, self.datamodule
        stage = fn.value
        self._merge_model_callbacks(model)
        if dm is not None:
            dm.prepare_data()
        self._call_module("prepare_data")
        if dm is not None:
            dm.setup(stage=stage)
        for cb in self.callbacks:
            cb.setup(self, model, stage)
        self._call_module("setup", stage)
        self._callback_hooks = _index_callback_hooks(self.callbacks)
        self._move_model(model)
        path = self._resolve_ckpt_path(fn, ckpt_path)
        self.ckpt_path = path
        ckpt = ckpt_io.read_checkpoint(path, self.strategy.root_device) if path else None
        if fn == TrainerFn.FITTING:
            if ckpt is not None:
                ckpt_io.restore_model_and_callbacks(self, ckpt, path)
            self.strategy.setup_model(model)  # DDP: wrapped, with rank 0's weights on every rank
            self._setup_optimizers(model)
            self._setup_precision()
            self._resume = None
            self._current_epoch = self._global_step = self._batches_that_stepped = self._batches_done = 0
            self._in_epoch_end = False
            self._data_seed = int(os.environ.get("PL_GLOBAL_SEED", 0)) if "PL_GLOBAL_SEED" in os.environ \
                else self.strategy.broadcast(_draw_seed())
            self._callback_metrics, self._logged_metrics, self._progress_bar_metrics = {}, {}, {}
            self._val_has_run = False
            if ckpt is not None:
                ckpt_io.restore_training_state(self, ckpt, path)
            self._log_hyperparams(model)
        elif ckpt is not None:
            model.on_load_checkpoint(ckpt)
            ckpt_io.load_state_dict_checked(model, ckpt["state_dict"], self._strict_loading(), path)
        if self._data_seed is None:
            self._data_seed = self.strategy.broadcast(_draw_seed())

    def _teardown(self, stage, status):
        self._results = self._train_results
        self.strategy.teardown()
        for lg in self.loggers if self.is_global_zero else ():
            lg.finalize(status)
        if self.datamodule is not None:
            self.datamodule.teardown(stage=stage)
        for cb in self.callbacks:
            cb.teardown(self, self.lightning_module, stage)
        self._call_module("teardown", stage)

    def _merge_model_callbacks(self, model):
        extra = model.configure_callbacks()
        if not extra:
            return
        extra = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        kinds = {type(c) for c in extra}
        self.callbacks = self._reorder_callbacks([c for c in self.callbacks if type(c) not in kinds] + extra)

    def _move_model(self, model):
        import ember

        model.to(self.strategy.root_device)
        dtype = _PRECISION[self.precision][0]
        if dtype is not None:
            model.to(getattr(ember, dtype))

    def _strict_loading(self):
        return getattr(self.lightning_module, "strict_loading", True)

    def _resolve_ckpt_path(self, fn, ckpt_path):
        if ckpt_path is None:
            return None
        ckpt_path = os.fspath(ckpt_path)
        if ckpt_path not in ("best", "last"):
            if not os.path.exists(ckpt_path):
                raise FileNotFoundError(f"Checkpoint file not found: {ckpt_path}")
            return ckpt_path
        cb = self.checkpoint_callback
        if ckpt_path == "best":
            if fn == TrainerFn.FITTING:
                raise ValueError('`.fit(ckpt_path="best")` is not supported: resume from "last" or a path')
            if cb is None:
                raise ValueError(f'`.{fn.value}(ckpt_path="best")` is set but `ModelCheckpoint` is not configured.')
            if not cb.best_model_path:
                raise ValueError(f'`.{fn.value}(ckpt_path="best")` is set but `ModelCheckpoint` has not saved a '
                                 'checkpoint yet (or does not save the best model).')
            return cb.best_model_path
        path = cb.last_model_path if cb is not None else ""
        if not path and cb is not None:
            path = cb._find_last_checkpoint(self)
        if not path:
            if fn == TrainerFn.FITTING:
                return None  # nothing to resume: start from scratch
            raise ValueError(f'`.{fn.value}(ckpt_path="last")` is set, but there is no last checkpoint available.')
        return path

    def _setup_optimizers(self, model):
        from .optim import LightningOptimizer, init_optimizers_and_lr_schedulers

        self.optimizers, self.lr_scheduler_configs = init_optimizers_and_lr_schedulers(model)
        self.strategy._lightning_optimizers = [LightningOptimizer(o, self) for o in self.optimizers]
        if model.automatic_optimization:
            if len(self.optimizers) > 1:
                raise RuntimeError("Training with multiple optimizers is only supported with manual optimization. "
                                   "Set `self.automatic_optimization = False`, then access your optimizers in "
                                   "`training_step` with `opt1, opt2, ... = self.optimizers()`.")
        else:
            if self.gradient_clip_val:
                raise MisconfigurationException(
                    "Automatic gradient clipping is not supported for manual optimization. Remove "
                    f"`Trainer(gradient_clip_val={self.gradient_clip_val})` or switch to automatic optimization.")
            if self.accumulate_grad_batches != 1:
                raise MisconfigurationException(
                    "Automatic gradient accumulation is not supported for manual optimization. Remove "
                    f"`Trainer(accumulate_grad_batches={self.accumulate_grad_batches})` or switch to automatic "
                    "optimization.")

    def _setup_precision(self):
        self._scaler = None
        if self.precision == "16-mixed":
            import ember

            self._scaler = ember.amp.GradScaler(str(self.strategy.root_device.type))

    def autocast(self):
        """The autocast context of mixed precision (a no-op context otherwise)."""
        dtype = _PRECISION[self.precision][1]
        if dtype is None:
            return contextlib.nullcontext()
        import ember

        return ember.autocast(self.strategy.root_device.type, dtype=getattr(ember, dtype))

    def _precision_state(self):
        return {"precision": self.precision, "scaler": self._scaler.state_dict() if self._scaler else None}

    def _restore_precision_state(self, state):
        if state and state.get("scaler") and self._scaler is not None:
            self._scaler.load_state_dict(state["scaler"])

    def _log_hyperparams(self, model):
        if not self.loggers or not self.is_global_zero:
            return
        params = dict(model.hparams_initial) if model._log_hyperparams else {}
        dm = self.datamodule
        if dm is not None and getattr(dm, "_log_hyperparams", False):
            params.update(dm.hparams_initial)
        for lg in self.loggers:
            if params:
                lg.log_hyperparams(params)
            lg.save()

    # --- data ----------------------------------------------------------------------------------
    def _loaders(self, kind, hook):
        loaders = _data.as_list(_data.source(self, hook, self._given_loaders.get(kind)))
        if kind in ("val", "test"):
            loaders = [self._shard(dl, shuffle=False) for dl in loaders]
        return loaders

    def _shard(self, loader, shuffle):
        """``loader`` reading this process's share of its data (``use_distributed_sampler``, when distributed)."""
        kwargs = self.strategy.distributed_sampler_kwargs
        if kwargs is None or not self._use_distributed_sampler:
            return loader
        seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
        return _data.distributed_copy(loader, shuffle=shuffle, seed=seed, **kwargs)

    def _has_step(self, name):
        from .module import LightningModule

        return getattr(type(self.lightning_module), name) is not getattr(LightningModule, name)

    def _setup_val_data(self):
        model_validates = self._has_step("validation_step")
        loaders = self._loaders("val", "val_dataloader") if model_validates and self.limit_val_batches else []
        self.val_dataloaders = loaders[0] if len(loaders) == 1 else (loaders or None)
        self._val_loaders = loaders
        self.num_val_batches = [_data.num_batches(dl, self.limit_val_batches, "limit_val_batches") for dl in loaders]
        sanity = self.num_sanity_val_steps
        self.num_sanity_val_batches = [n if sanity == -1 else min(n, sanity) for n in self.num_val_batches]
        for dl in loaders:
            _data.install_worker_init(dl)

    @property
    def _val_enabled(self):
        return sum(self.num_val_batches) > 0

    def _setup_train_data(self):
        loader = self._given_loaders.get("train")
        loader = _data.source(self, "train_dataloader", loader)
        if loader is None:
            raise MisconfigurationException("No `train_dataloader()` method defined and no `train_dataloaders` passed "
                                            "to `trainer.fit()`: Lightning `Trainer` expects as minimum a "
                                            "`training_step()`, `train_dataloader()` and `configure_optimizers()`.")
        if self.overfit_batches and _data.is_shuffled(loader):
            warnings.warn("You requested to overfit but enabled train dataloader shuffling. We are turning off the "
                          "train dataloader shuffling for you.", PossibleUserWarning, stacklevel=2)
            loader = _data.sequential_copy(loader)
        loader = self._shard(loader, shuffle=_data.is_shuffled(loader))
        _data.install_worker_init(loader)
        self.train_dataloader = loader
        self.num_training_batches = _data.num_batches(loader, self.limit_train_batches, "limit_train_batches")
        interval = self.val_check_interval
        if isinstance(interval, int) and not isinstance(interval, bool):
            if self.check_val_every_n_epoch is not None and interval > self.num_training_batches:
                raise ValueError(f"`val_check_interval` ({interval}) must be less than or equal to the number of the "
                                 f"training batches ({self.num_training_batches}). If you want to disable validation "
                                 "set `limit_val_batches` to 0.0 instead. If you want to validate based on the total "
                                 "training batches, set `check_val_every_n_epoch=None`.")
            self.val_check_batch = interval
        elif self.num_training_batches == math.inf:
            if interval != 1.0:
                raise MisconfigurationException("When using an IterableDataset without length, `val_check_interval` "
                                                "must be 1.0 or an int")
            self.val_check_batch = math.inf
        else:
            self.val_check_batch = max(1, int(self.num_training_batches * interval))

    def _to_device(self, batch, dataloader_idx):
        import ember

        model = self.lightning_module
        batch = model.on_before_batch_transfer(batch, dataloader_idx)
        batch = model.transfer_batch_to_device(batch, self.strategy.root_device, dataloader_idx)
        dtype = _PRECISION[self.precision][0]
        if dtype is not None:
            from .utilities import move_data_to_device

            batch = move_data_to_device(batch, self.strategy.root_device, getattr(ember, dtype))
        return model.on_after_batch_transfer(batch, dataloader_idx)

    # --- hooks ---------------------------------------------------------------------------------
    def _call(self, hook, *args):
        """Run ``hook`` on every callback that overrides it, then on the LightningModule."""
        model = self.lightning_module
        prev, self._current_fx = self._current_fx, hook
        try:
            for _, fn in self._callback_hooks.get(hook, ()):
                fn(self, model, *args)
            return getattr(model, hook)(*args)
        finally:
            self._current_fx = prev

    def _call_callbacks(self, hook, *args, monitoring=None):
        model = self.lightning_module
        prev, self._current_fx = self._current_fx, hook
        try:
            for cb, fn in self._callback_hooks.get(hook, ()):
                if monitoring is None or getattr(cb, "_monitors_metrics", False) == monitoring:
                    fn(self, model, *args)
        finally:
            self._current_fx = prev

    def _call_step(self, name, *args):
        """Run a ``*_step`` of the LightningModule (under autocast with mixed precision)."""
        if _PRECISION[self.precision][1] is None:
            return self._call_module(name, *args)
        with self.autocast():
            return self._call_module(name, *args)

    def _call_module(self, hook, *args, **kwargs):
        """Run a LightningModule hook (with ``self.log`` attributed to it)."""
        prev, self._current_fx = self._current_fx, hook
        try:
            return getattr(self.lightning_module, hook)(*args, **kwargs)
        finally:
            self._current_fx = prev

    # --- logging -------------------------------------------------------------------------------
    def _log_metrics(self, metrics, step):
        self._logged_metrics.update(metrics)
        if not self.loggers or not self.is_global_zero:
            return
        scalars = {k: v.item() if hasattr(v, "item") else v for k, v in metrics.items()}
        scalars.setdefault("epoch", self.current_epoch)
        for lg in self.loggers:
            lg.log_metrics(scalars, step)

    def _reset_metrics(self):
        self._callback_metrics, self._logged_metrics, self._progress_bar_metrics = {}, {}, {}

    # --- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, filepath, weights_only=False, storage_options=None):
        """Write a checkpoint of the attached model and run state to ``filepath`` (from global rank 0 only).

        Every process must call it (the checkpoint hooks run everywhere); the others wait until it is written.
        """
        import ember

        from .checkpoint import dump_checkpoint

        if self.lightning_module is None:
            raise AttributeError("Saving a checkpoint is only possible if a model is attached to the Trainer. Did you "
                                 "call `Trainer.save_checkpoint()` before calling `Trainer.{fit,validate,test,"
                                 "predict}`?")
        filepath = os.fspath(filepath)
        checkpoint = dump_checkpoint(self, weights_only)
        if self.is_global_zero:
            directory = os.path.dirname(filepath)
            if directory:
                os.makedirs(directory, exist_ok=True)
            ember.save(checkpoint, filepath)
        self.strategy.barrier("Trainer.save_checkpoint")

    def _loop_state(self):
        return {"epoch": self._current_epoch, "global_step": self._global_step,
                "batches_that_stepped": self._batches_that_stepped, "batches_done": self._batches_done,
                "in_epoch_end": self._in_epoch_end, "data_seed": self._data_seed}

    def _restore_loop_state(self, state, rng_states):
        self._current_epoch = state["epoch"]
        self._global_step = state["global_step"]
        self._batches_that_stepped = state["batches_that_stepped"]
        self._batches_done = state["batches_done"]
        self._data_seed = state["data_seed"]
        self._resume = {"in_epoch_end": state["in_epoch_end"], "rng_states": rng_states}


def _draw_seed():
    from ember.utils.data.sampler import draw_seed

    return draw_seed() % (1 << 31)


def _index_callback_hooks(callbacks):
    """hook name -> ``(callback, bound method)`` of the callbacks that override it (unused hooks cost nothing)."""
    from .callbacks import Callback

    table = {}
    for name in dir(Callback):
        if name.startswith("_") or name in ("state_key", "state_dict", "load_state_dict"):
            continue
        base = getattr(Callback, name)
        fns = [(cb, getattr(cb, name)) for cb in callbacks
               if name in vars(cb) or getattr(type(cb), name, base) is not base]
        if fns:
            table[name] = fns
    return table
