"""LightningModule: an ``nn.Module`` that also says how it trains (steps, optimizers, hooks, logging)."""

from __future__ import annotations

import copy
import inspect

import ember
import ember.nn as nn

from .utilities import AttributeDict, MisconfigurationException, move_data_to_device

__all__ = ["LightningModule", "HyperparametersMixin"]

_IGNORED_INIT_ARGS = ("self", "__class__", "frame", "frame_info")


def _init_args(frame):
    """The arguments of every ``__init__`` frame from ``frame`` outwards (the subclass chain), merged."""
    collected = {}
    while frame is not None and frame.f_code.co_name == "__init__":
        info = inspect.getargvalues(frame)
        self_obj = info.locals.get("self")
        if self_obj is None:
            break
        local = {name: info.locals[name] for name in info.args if name not in _IGNORED_INIT_ARGS}
        if info.varargs and info.locals.get(info.varargs):
            local[info.varargs] = info.locals[info.varargs]
        if info.keywords:
            local.update(info.locals.get(info.keywords, {}))
        collected = {**local, **collected}
        frame = frame.f_back
        if frame is not None and frame.f_locals.get("self") is not self_obj:
            break
    return collected


class HyperparametersMixin:
    """``save_hyperparameters()`` and ``hparams``, shared by LightningModule and LightningDataModule.

    Example:
        >>> from emberlightning.module import HyperparametersMixin
        >>> class Config(HyperparametersMixin):
        ...     def __init__(self, lr=0.1, depth=2):
        ...         super().__init__(); self.save_hyperparameters()
        >>> dict(Config(lr=0.5).hparams)
        {'lr': 0.5, 'depth': 2}
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._log_hyperparams = False

    def save_hyperparameters(self, *args, ignore=None, frame=None, logger=True):
        """Store the ``__init__`` arguments in ``self.hparams`` (and in checkpoints, and in the logger).

        ``args`` may name the arguments to keep, or be one dict of hyperparameters; ``ignore`` names
        arguments to leave out (e.g. modules passed in).
        """
        self._log_hyperparams = logger
        if len(args) == 1 and isinstance(args[0], dict):
            params = dict(args[0])
        else:
            frame = frame if frame is not None else inspect.currentframe().f_back
            init = _init_args(frame)
            if args:
                missing = [a for a in args if a not in init]
                if missing:
                    raise ValueError(f"save_hyperparameters: {missing} are not arguments of __init__ "
                                     f"(arguments: {sorted(init)})")
                params = {a: init[a] for a in args}
            else:
                params = init
        ignore = [ignore] if isinstance(ignore, str) else list(ignore or ())
        params = {k: v for k, v in params.items() if k not in ignore}
        self._set_hparams(params)
        self._hparams_initial = copy.deepcopy(self._hparams)

    def _set_hparams(self, params):
        self.__dict__["_hparams"] = AttributeDict(params)

    @property
    def hparams(self):
        """The saved hyperparameters (an :class:`~emberlightning.utilities.AttributeDict`)."""
        if "_hparams" not in self.__dict__:
            self._set_hparams({})
        return self.__dict__["_hparams"]

    @property
    def hparams_initial(self):
        """A copy of the hyperparameters as they were saved (later edits to ``hparams`` don't show)."""
        return copy.deepcopy(self.__dict__.get("_hparams_initial", AttributeDict()))


class LightningModule(HyperparametersMixin, nn.Module):
    """An ``nn.Module`` with ``training_step``, ``configure_optimizers`` and hooks the Trainer calls.

    Override ``training_step`` (and optionally ``validation_step``, ``test_step``, ``predict_step``)
    and ``configure_optimizers``; every hook below is a no-op by default.

    Example:
        >>> import ember, ember.nn as nn, emberlightning as L
        >>> class Regressor(L.LightningModule):
        ...     def __init__(self):
        ...         super().__init__(); self.layer = nn.Linear(2, 1)
        ...     def training_step(self, batch, batch_idx):
        ...         x, y = batch
        ...         return nn.functional.mse_loss(self.layer(x), y)
        ...     def configure_optimizers(self):
        ...         return ember.optim.SGD(self.parameters(), lr=0.1)
        >>> Regressor().automatic_optimization
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._trainer = None
        self.automatic_optimization = True
        self._example_input_array = None

    # --- where it runs --------------------------------------------------------------------------
    @property
    def trainer(self):
        """The Trainer this module is attached to (raises when there is none)."""
        if self._trainer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a `Trainer`.")
        return self._trainer

    @trainer.setter
    def trainer(self, trainer):
        self._trainer = trainer

    @property
    def device(self):
        """The device of the module's parameters (the Trainer's device once attached)."""
        if self._trainer is not None:
            return self._trainer.strategy.root_device
        for p in self.parameters():
            return p.device
        return ember.device("cpu")

    @property
    def dtype(self):
        """The dtype of the module's floating parameters (``ember.float32`` when it has none)."""
        for p in self.parameters():
            if p.dtype.is_floating_point:
                return p.dtype
        return ember.get_default_dtype()

    @property
    def global_rank(self):
        """This process's rank among all processes of the run (0 without a Trainer)."""
        return self._trainer.global_rank if self._trainer is not None else 0

    @property
    def local_rank(self):
        """This process's rank on its node (0 without a Trainer)."""
        return self._trainer.local_rank if self._trainer is not None else 0

    @property
    def current_epoch(self):
        """The Trainer's current epoch (0 without a Trainer)."""
        return self._trainer.current_epoch if self._trainer is not None else 0

    @property
    def global_step(self):
        """The number of optimizer steps taken so far (0 without a Trainer)."""
        return self._trainer.global_step if self._trainer is not None else 0

    @property
    def logger(self):
        """The Trainer's first logger (None without one)."""
        return self._trainer.logger if self._trainer is not None else None

    @property
    def loggers(self):
        """All of the Trainer's loggers."""
        return self._trainer.loggers if self._trainer is not None else []

    @property
    def example_input_array(self):
        """An example input; ModelSummary uses it to show input and output sizes."""
        return self._example_input_array

    @example_input_array.setter
    def example_input_array(self, value):
        self._example_input_array = value

    # --- logging --------------------------------------------------------------------------------
    def log(self, name, value, prog_bar=False, logger=None, on_step=None, on_epoch=None, reduce_fx="mean",
            enable_graph=False, sync_dist=False, sync_dist_group=None, add_dataloader_idx=True, batch_size=None,
            metric_attribute=None, rank_zero_only=False):
        """Record a scalar metric: for the logger, the progress bar and callbacks (``trainer.callback_metrics``).

        ``on_step``/``on_epoch`` default to step-level in training steps and epoch-level elsewhere;
        epoch values are reduced with ``reduce_fx`` ("mean" weighted by batch size, "sum", "max", "min").
        With ``sync_dist=True`` in a distributed run the value is reduced across processes with
        ``reduce_fx`` (step values when logged, epoch values when computed; every process must log it).
        """
        if self._trainer is None:
            return
        self._trainer._results.log(self._trainer._current_fx, name, value, prog_bar=prog_bar, logger=logger,
                                   on_step=on_step, on_epoch=on_epoch, reduce_fx=reduce_fx,
                                   enable_graph=enable_graph, add_dataloader_idx=add_dataloader_idx,
                                   batch_size=batch_size, sync_dist=sync_dist, sync_dist_group=sync_dist_group)

    def log_dict(self, dictionary, prog_bar=False, logger=None, on_step=None, on_epoch=None, reduce_fx="mean",
                 enable_graph=False, sync_dist=False, sync_dist_group=None, add_dataloader_idx=True, batch_size=None,
                 rank_zero_only=False):
        """:meth:`log` every item of ``dictionary`` with the same options."""
        for name, value in dictionary.items():
            self.log(name, value, prog_bar=prog_bar, logger=logger, on_step=on_step, on_epoch=on_epoch,
                     reduce_fx=reduce_fx, enable_graph=enable_graph, sync_dist=sync_dist,
                     sync_dist_group=sync_dist_group, add_dataloader_idx=add_dataloader_idx, batch_size=batch_size)

    def all_gather(self, data, group=None, sync_grads=False):
        """Every process's ``data`` (tensors inside any collection), stacked along a new first dimension.

        In a single process the data comes back as it is (as in Lightning).

        Example:
            >>> import ember, emberlightning as L
            >>> L.LightningModule().all_gather({"x": ember.ones(2)})
            {'x': tensor([1., 1.])}
        """
        from .utilities import apply_to_collection

        if self._trainer is None:
            return data
        strategy = self._trainer.strategy
        return apply_to_collection(data, lambda t: strategy.all_gather(t, group=group, sync_grads=sync_grads))

    def print(self, *args, **kwargs):
        """``print`` (from the main process only)."""
        if self._trainer is None or self._trainer.is_global_zero:
            print(*args, **kwargs)

    # --- steps (override) -----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """Same as ``nn.Module.forward``."""
        return super().forward(*args, **kwargs)

    def training_step(self, *args, **kwargs):
        """One training batch: return the loss (a Tensor), a dict with ``"loss"``, or None to skip the batch."""
        raise MisconfigurationException("`training_step` must be implemented to be used with the Lightning Trainer")

    def validation_step(self, *args, **kwargs):
        """One validation batch (log metrics with ``self.log``)."""

    def test_step(self, *args, **kwargs):
        """One test batch (log metrics with ``self.log``)."""

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        """One prediction batch; the default calls ``self(batch)``."""
        return self(batch)

    def configure_optimizers(self):
        """Return an optimizer, a list of them, ``(optimizers, schedulers)`` or a dict with ``"optimizer"``."""
        raise MisconfigurationException(
            "No `configure_optimizers()` method defined. Lightning `Trainer` expects as minimum a `training_step()`, "
            "`train_dataloader()` and `configure_optimizers()` to be defined.")

    def configure_callbacks(self):
        """Callbacks this module adds to the Trainer's (replacing those of the same type)."""
        return []

    # --- optimisation ---------------------------------------------------------------------------
    def optimizers(self, use_pl_optimizer=True):
        """The optimizer(s) from ``configure_optimizers``: one, or a list when there are several."""
        opts = self.trainer.strategy._lightning_optimizers if use_pl_optimizer else self.trainer.optimizers
        return opts[0] if len(opts) == 1 else list(opts)

    def lr_schedulers(self):
        """The LR scheduler(s) from ``configure_optimizers``: None, one, or a list."""
        scheds = [config.scheduler for config in self.trainer.lr_scheduler_configs]
        if not scheds:
            return None
        return scheds[0] if len(scheds) == 1 else scheds

    def manual_backward(self, loss, *args, **kwargs):
        """``loss.backward()`` with the Trainer's hooks (and loss scaling): use it in manual optimisation."""
        from . import loop

        loop.run_backward(self.trainer, loss, *args, **kwargs)

    def backward(self, loss, *args, **kwargs):
        """How the loss is backpropagated (override for special cases)."""
        loss.backward(*args, **kwargs)

    def toggle_optimizer(self, optimizer):
        """Make only ``optimizer``'s parameters require gradients (for alternating optimizers)."""
        mine = {id(p) for g in optimizer.param_groups for p in g["params"]}
        self._toggled = {id(p): p.requires_grad for p in self.parameters()}
        for p in self.parameters():
            if id(p) not in mine:
                p.requires_grad_(False)

    def untoggle_optimizer(self, optimizer):
        """Undo :meth:`toggle_optimizer`."""
        state = self.__dict__.pop("_toggled", {})
        for p in self.parameters():
            if id(p) in state:
                p.requires_grad_(state[id(p)])

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
        """Step ``optimizer``; the closure runs the training step, backward and the before-step hooks."""
        optimizer.step(closure=optimizer_closure)

    def optimizer_zero_grad(self, epoch, batch_idx, optimizer):
        """Reset gradients before backward (``optimizer.zero_grad()``)."""
        optimizer.zero_grad()

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        """Clip gradients before the step; the default applies the Trainer's ``gradient_clip_*`` settings."""
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def clip_gradients(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        """Clip the gradients of ``optimizer``'s parameters by norm (default) or by value."""
        if not gradient_clip_val:
            return
        params = [p for g in optimizer.param_groups for p in g["params"]]
        if gradient_clip_algorithm in (None, "norm"):
            nn.utils.clip_grad_norm_(params, gradient_clip_val)
        elif gradient_clip_algorithm == "value":
            nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            raise MisconfigurationException(
                f"`gradient_clip_algorithm` {gradient_clip_algorithm!r} is invalid. "
                "Allowed algorithms: ['value', 'norm'].")

    def lr_scheduler_step(self, scheduler, metric):
        """Step one LR scheduler (``metric`` is the monitored value for ReduceLROnPlateau, else None)."""
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)

    # --- data hooks -----------------------------------------------------------------------------
    def prepare_data(self):
        """Download or prepare data (called once, before ``setup``)."""

    def setup(self, stage):
        """Build what depends on the stage ("fit", "validate", "test", "predict")."""

    def teardown(self, stage):
        """Clean up at the end of a stage."""

    def on_before_batch_transfer(self, batch, dataloader_idx):
        """Change a batch before it moves to the device."""
        return batch

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        """Move a batch to the device (tensors in nested lists, tuples and dicts)."""
        return move_data_to_device(batch, device)

    def on_after_batch_transfer(self, batch, dataloader_idx):
        """Change a batch after it moved to the device."""
        return batch

    # --- checkpoints ----------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint):
        """Add to the checkpoint dict before it is written."""

    def on_load_checkpoint(self, checkpoint):
        """Read from the checkpoint dict before the state is restored."""

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, map_location=None, hparams_file=None, strict=None, **kwargs):
        """A new instance built from the checkpoint's hyperparameters (updated by ``kwargs``) with its weights.

        Example:
            >>> import os, tempfile, ember, ember.nn as nn, emberlightning as L
            >>> class Net(L.LightningModule):
            ...     def __init__(self, width=3):
            ...         super().__init__(); self.save_hyperparameters(); self.layer = nn.Linear(width, 1)
            >>> path = os.path.join(tempfile.mkdtemp(), "net.ckpt")
            >>> ember.save({"state_dict": Net(width=4).state_dict(), "hyper_parameters": {"width": 4}}, path)
            >>> Net.load_from_checkpoint(path).layer.in_features
            4
        """
        from .checkpoint import load_model_from_checkpoint

        return load_model_from_checkpoint(cls, checkpoint_path, map_location, strict, kwargs)

    # --- hooks (no-ops) ---------------------------------------------------------------------------
    def on_fit_start(self):
        """Called when fit begins."""

    def on_fit_end(self):
        """Called when fit ends."""

    def on_train_start(self):
        """Called when training begins (after the sanity check)."""

    def on_train_end(self):
        """Called when training ends."""

    def on_validation_start(self):
        """Called when a validation run begins."""

    def on_validation_end(self):
        """Called when a validation run ends."""

    def on_test_start(self):
        """Called when testing begins."""

    def on_test_end(self):
        """Called when testing ends."""

    def on_predict_start(self):
        """Called when prediction begins."""

    def on_predict_end(self):
        """Called when prediction ends."""

    def on_train_epoch_start(self):
        """Called at the start of every training epoch."""

    def on_train_epoch_end(self):
        """Called at the end of every training epoch (after validation)."""

    def on_validation_epoch_start(self):
        """Called at the start of a validation epoch."""

    def on_validation_epoch_end(self):
        """Called at the end of a validation epoch."""

    def on_test_epoch_start(self):
        """Called at the start of the test epoch."""

    def on_test_epoch_end(self):
        """Called at the end of the test epoch."""

    def on_predict_epoch_start(self):
        """Called at the start of the prediction epoch."""

    def on_predict_epoch_end(self):
        """Called at the end of the prediction epoch."""

    def on_train_batch_start(self, batch, batch_idx):
        """Called before a training batch; returning -1 ends the epoch early."""

    def on_train_batch_end(self, outputs, batch, batch_idx):
        """Called after a training batch."""

    def on_validation_batch_start(self, batch, batch_idx, dataloader_idx=0):
        """Called before a validation batch."""

    def on_validation_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a validation batch."""

    def on_test_batch_start(self, batch, batch_idx, dataloader_idx=0):
        """Called before a test batch."""

    def on_test_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a test batch."""

    def on_predict_batch_start(self, batch, batch_idx, dataloader_idx=0):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a prediction batch."""

    def on_validation_model_eval(self):
        """Put the model in eval mode for validation."""
        self.eval()

    def on_validation_model_train(self):
        """Put the model back in train mode after validation."""
        self.train()

    def on_validation_model_zero_grad(self):
        """Drop gradients before validation."""
        self.zero_grad(set_to_none=True)

    def on_test_model_eval(self):
        """Put the model in eval mode for testing."""
        self.eval()

    def on_test_model_train(self):
        """Put the model back in train mode after testing."""
        self.train()

    def on_predict_model_eval(self):
        """Put the model in eval mode for prediction."""
        self.eval()

    def on_before_backward(self, loss):
        """Called before ``loss.backward()``."""

    def on_after_backward(self):
        """Called after backward, before the optimizer step (gradients are available)."""

    def on_before_optimizer_step(self, optimizer):
        """Called before the optimizer step (before gradient clipping)."""

    def on_before_zero_grad(self, optimizer):
        """Called before gradients are reset."""
