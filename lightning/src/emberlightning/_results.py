"""Where ``self.log`` values go: per-step values and per-epoch reductions, routed to callbacks, bar and loggers."""

from __future__ import annotations

from .utilities import MisconfigurationException, extract_batch_size

# hook -> (on_step, on_epoch) defaults; a hook missing here may not call self.log
_STEP_LEVEL = (True, False)
_EPOCH_LEVEL = (False, True)
LOG_DEFAULTS = {
    **dict.fromkeys(("training_step", "on_train_batch_start", "on_train_batch_end", "on_before_backward",
                     "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad", "optimizer_step",
                     "lr_scheduler_step"), _STEP_LEVEL),
    **dict.fromkeys(("on_train_start", "on_train_epoch_start", "on_train_epoch_end", "validation_step",
                     "test_step", "on_validation_start", "on_validation_epoch_start", "on_validation_batch_start",
                     "on_validation_batch_end", "on_validation_epoch_end", "on_test_start", "on_test_epoch_start",
                     "on_test_batch_start", "on_test_batch_end", "on_test_epoch_end"), _EPOCH_LEVEL),
}
_REDUCTIONS = {"mean": "mean", "avg": "mean", "sum": "sum", "max": "max", "amax": "max", "min": "min", "amin": "min"}


def _reduction(reduce_fx):
    name = reduce_fx if isinstance(reduce_fx, str) else getattr(reduce_fx, "__name__", None)
    if name not in _REDUCTIONS:
        raise MisconfigurationException(f"Only `self.log(..., reduce_fx={{'mean', 'sum', 'max', 'min'}})` (or the "
                                        f"matching ember functions) are supported; got reduce_fx={reduce_fx!r}")
    return _REDUCTIONS[name]


class _Metric:
    """One logged key during one run (a training epoch or an evaluation): its last value and its reduction."""

    __slots__ = ("key", "on_step", "on_epoch", "prog_bar", "logger", "reduce", "value", "total", "weight", "fresh",
                 "sync", "synced")

    def __init__(self, key, on_step, on_epoch, prog_bar, logger, reduce, sync=None):
        self.key, self.on_step, self.on_epoch = key, on_step, on_epoch
        self.prog_bar, self.logger, self.reduce = prog_bar, logger, reduce
        self.sync = sync  # (tensor, reduce_op) -> the tensor reduced across processes, for sync_dist=True
        self.value = self.total = self.synced = None
        self.weight = 0
        self.fresh = False

    def update(self, value, batch_size):
        self.value, self.fresh = value, True
        if self.sync is not None and self.on_step:
            self.value = self.sync(value, self.reduce)
        if not self.on_epoch:
            return
        self.synced = None
        if self.reduce == "mean":
            self.total = value * batch_size if self.total is None else self.total + value * batch_size
            self.weight += batch_size
        elif self.total is None:
            self.total = value
        elif self.reduce == "sum":
            self.total = self.total + value
        else:
            import ember

            self.total = (ember.maximum if self.reduce == "max" else ember.minimum)(self.total, value)

    def epoch_value(self):
        if self.sync is None:
            return self.total / self.weight if self.reduce == "mean" else self.total
        if self.synced is None:  # one reduction across processes per new value (every process asks alike)
            if self.reduce == "mean":
                weight = self.sync(self.total.new_full((), float(self.weight)), "sum")
                self.synced = self.sync(self.total, "sum") / weight
            else:
                self.synced = self.sync(self.total, self.reduce)
        return self.synced

    @property
    def forked(self):
        return self.on_step and self.on_epoch


class Results:
    """The metrics logged during one kind of run; the trainer holds one for training and one for evaluation."""

    def __init__(self, trainer, training):
        self.trainer = trainer
        self.training = training
        self.metrics = {}
        self.batch = None
        self.batch_size = None
        self.dataloader_suffix = ""
        self.epoch_ended = False

    def reset(self):
        self.metrics = {}
        self.epoch_ended = False

    def log(self, fx, name, value, prog_bar=False, logger=None, on_step=None, on_epoch=None, reduce_fx="mean",
            enable_graph=False, add_dataloader_idx=True, batch_size=None, sync_dist=False, sync_dist_group=None):
        import ember

        defaults = LOG_DEFAULTS.get(fx)
        if defaults is None:
            raise MisconfigurationException(f"{fx} function doesn't support logging using `self.log()`")
        on_step = defaults[0] if on_step is None else on_step
        on_epoch = defaults[1] if on_epoch is None else on_epoch
        if not (on_step or on_epoch):
            raise MisconfigurationException(f"`self.log({name!r}, ..., on_step=False, on_epoch=False)` logs nothing")
        if isinstance(value, ember.Tensor):
            if value.numel() != 1:
                raise ValueError(f"`self.log({name}, {value})` was called, but the tensor must have a single element."
                                 f" You can try doing `self.log({name}, {value}.mean())`")
            value = value.reshape(()) if enable_graph else value.detach().reshape(())
            if not value.dtype.is_floating_point:
                value = value.to(ember.get_default_dtype())
        elif isinstance(value, (int, float)):
            value = ember.tensor(float(value), device=self.trainer.strategy.root_device)
        else:
            raise ValueError(f"`self.log({name}, {value!r})` was called, but `{type(value).__name__}` values cannot "
                             "be logged: log a number or a one-element tensor (use log_dict for dicts)")
        key = name + self.dataloader_suffix if add_dataloader_idx else name
        metric = self.metrics.get(key)
        if metric is None:
            sync = None
            if sync_dist and self.trainer.world_size > 1:
                strategy = self.trainer.strategy

                def sync(tensor, op):
                    return strategy.reduce(tensor, group=sync_dist_group, reduce_op=op)
            metric = self.metrics[key] = _Metric(key, on_step, on_epoch, prog_bar, True if logger is None else logger,
                                                 _reduction(reduce_fx), sync)
        elif (metric.on_step, metric.on_epoch) != (on_step, on_epoch):
            raise MisconfigurationException(f"You called `self.log({name!r}, ...)` twice in `{fx}` with different "
                                            "arguments. This is not allowed")
        if batch_size is None and metric.reduce == "mean" and on_epoch:
            batch_size = self.batch_size
            if batch_size is None:
                batch_size = self.batch_size = extract_batch_size(self.batch)
        metric.update(value, batch_size or 1)
        if self.epoch_ended and on_epoch:  # logged in an epoch-end hook: visible to the callbacks that follow
            self._publish_epoch(metric)

    def new_batch(self, batch):
        self.batch, self.batch_size = batch, None

    def step_end(self, log_to_loggers, step):
        """Publish this step's on_step values (training): callback metrics, progress bar, loggers."""
        trainer = self.trainer
        to_log = {}
        for m in self.metrics.values():
            if not (m.on_step and m.fresh):
                continue
            m.fresh = False
            key = m.key + "_step" if m.forked else m.key
            trainer._callback_metrics[key] = m.value
            if m.forked:
                trainer._callback_metrics[m.key] = m.value
            if m.prog_bar:
                trainer._progress_bar_metrics[key] = m.value
            if m.logger:
                to_log[key] = m.value
        if to_log and log_to_loggers:
            trainer._log_metrics(to_log, step)

    def _publish_epoch(self, m):
        trainer = self.trainer
        value = m.epoch_value()
        trainer._callback_metrics[m.key] = value
        if m.forked:
            trainer._callback_metrics[m.key + "_epoch"] = value
        if m.prog_bar:
            trainer._progress_bar_metrics[m.key + "_epoch" if m.forked else m.key] = value
        return value

    def epoch_end_reached(self):
        """Make the epoch reductions visible to the epoch-end hooks."""
        self.epoch_ended = True
        for m in self.metrics.values():
            if m.on_epoch:
                self._publish_epoch(m)

    def epoch_end(self, step, log_to_loggers=True):
        """Send the epoch reductions to the loggers; returns them (tensors) by key."""
        out = {}
        for m in self.metrics.values():
            if m.on_epoch:
                out[m.key + "_epoch" if m.forked else m.key] = (m, self._publish_epoch(m))
        to_log = {k: v for k, (m, v) in out.items() if m.logger}
        if to_log and log_to_loggers:
            self.trainer._log_metrics(to_log, step)
        return {k: v for k, (m, v) in out.items()}
