"""LearningRateMonitor: log every optimizer's learning rate (and optionally momentum, weight decay)."""

from __future__ import annotations

from ..utilities import MisconfigurationException
from .callback import Callback

__all__ = ["LearningRateMonitor"]


class LearningRateMonitor(Callback):
    """Log ``lr-<Optimizer>`` (``/pg<i>`` per extra parameter group) each step or epoch.

    ``logging_interval`` "step" or "epoch" logs every optimizer then; None follows each scheduler's
    own interval (optimizers without a scheduler are logged every step).

    Example:
        >>> import ember
        >>> from emberlightning.callbacks import LearningRateMonitor
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
        >>> LearningRateMonitor(log_momentum=True)._stats(opt, "lr-SGD")
        {'lr-SGD': 0.5, 'lr-SGD-momentum': 0.9}
    """

    def __init__(self, logging_interval=None, log_momentum=False, log_weight_decay=False):
        if logging_interval not in (None, "step", "epoch"):
            raise MisconfigurationException("logging_interval should be `step` or `epoch` or `None`.")
        self.logging_interval = logging_interval
        self.log_momentum, self.log_weight_decay = log_momentum, log_weight_decay
        self.lrs = {}

    def on_train_start(self, trainer, pl_module):
        if not trainer.loggers:
            raise MisconfigurationException("Cannot use `LearningRateMonitor` callback with `Trainer` that has no "
                                            "logger.")

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.logging_interval != "epoch" and (trainer._batches_that_stepped + 1) % trainer.log_every_n_steps == 0:
            self._log(trainer, "step")

    def on_train_epoch_start(self, trainer, pl_module):
        if self.logging_interval != "step":
            self._log(trainer, "epoch")

    def _names(self, trainer):
        """(optimizer, name, interval) for every optimizer; a scheduler's name/interval when it has one."""
        by_optimizer = {id(c.scheduler.optimizer): c for c in trainer.lr_scheduler_configs}
        seen, out = {}, []
        for opt in trainer.optimizers:
            config = by_optimizer.get(id(opt))
            name = config.name if config is not None and config.name else f"lr-{type(opt).__name__}"
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}-{seen[name] - 1}"
            out.append((opt, name, config.interval if config is not None else "step"))
        return out

    def _log(self, trainer, interval):
        stats = {}
        for opt, name, own_interval in self._names(trainer):
            if self.logging_interval is None and own_interval != interval:
                continue
            stats.update(self._stats(opt, name))
        if not stats:
            return
        for key, value in stats.items():
            self.lrs.setdefault(key, []).append(value)
        for logger in trainer.loggers:
            logger.log_metrics(stats, trainer._batches_that_stepped)

    def _stats(self, optimizer, name):
        stats = {}
        groups = optimizer.param_groups
        for i, group in enumerate(groups):
            key = name if len(groups) == 1 else f"{name}/pg{i + 1}"
            stats[key] = group["lr"]
            if self.log_momentum:
                momentum = group.get("momentum", group.get("betas", (0.0,))[0])
                stats[f"{key}-momentum"] = momentum
            if self.log_weight_decay and "weight_decay" in group:
                stats[f"{key}-weight_decay"] = group["weight_decay"]
        return stats
