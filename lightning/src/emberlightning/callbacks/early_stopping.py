"""EarlyStopping: stop training when a monitored metric stops improving (or crosses a threshold)."""

from __future__ import annotations

import math
import warnings

from ..utilities import MisconfigurationException
from .callback import Callback

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` checks.

    Also stops at once when the value is not finite (``check_finite``), reaches ``stopping_threshold``,
    or passes ``divergence_threshold`` in the wrong direction. Checks run at the end of each
    validation (or of each training epoch when validation runs once per epoch).

    Example:
        >>> from emberlightning.callbacks import EarlyStopping
        >>> es = EarlyStopping("val_loss", patience=2)
        >>> [es._evaluate(v)[0] for v in (1.0, 0.9, 0.95, 0.97)]
        [False, False, False, True]
    """

    _monitors_metrics = True

    def __init__(self, monitor, min_delta=0.0, patience=3, verbose=False, mode="min", strict=True,
                 check_finite=True, stopping_threshold=None, divergence_threshold=None,
                 check_on_train_epoch_end=None, log_rank_zero_only=False):
        if mode not in ("min", "max"):
            raise MisconfigurationException(f"`mode` can be 'min' or 'max', got {mode}")
        self.monitor, self.patience, self.verbose, self.mode = monitor, patience, verbose, mode
        self.strict, self.check_finite = strict, check_finite
        self.stopping_threshold, self.divergence_threshold = stopping_threshold, divergence_threshold
        self.min_delta = abs(min_delta) if mode == "max" else -abs(min_delta)
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self.stopping_reason_message = None
        self._check_on_train_epoch_end = check_on_train_epoch_end
        self._log_rank_zero_only = log_rank_zero_only

    @property
    def state_key(self):
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def _improves(self, a, b):
        return a < b if self.mode == "min" else a > b

    def setup(self, trainer, pl_module, stage):
        if self._check_on_train_epoch_end is None:
            self._check_on_train_epoch_end = trainer.val_check_interval == 1.0 and trainer.check_val_every_n_epoch == 1

    def on_train_epoch_end(self, trainer, pl_module):
        if self._check_on_train_epoch_end and not self._should_skip(trainer):
            self._run_check(trainer)

    def on_validation_end(self, trainer, pl_module):
        if not self._check_on_train_epoch_end and not self._should_skip(trainer):
            self._run_check(trainer)

    @staticmethod
    def _should_skip(trainer):
        from ..states import TrainerFn

        return trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking

    def _run_check(self, trainer):
        logs = trainer.callback_metrics
        if self.monitor not in logs:
            message = (f"Early stopping conditioned on metric `{self.monitor}` which is not available. Pass in or "
                       f"modify your `EarlyStopping` callback to use any of the following: "
                       f"`{'`, `'.join(sorted(logs))}`")
            if self.strict:
                raise RuntimeError(message)
            if self.verbose:
                warnings.warn(message, RuntimeWarning, stacklevel=2)
            return
        stop, reason = self._evaluate(float(logs[self.monitor]))
        stop = trainer.strategy.reduce_boolean_decision(stop, all=False)  # one process stopping stops them all
        if stop:
            trainer.should_stop = True
            self.stopped_epoch = trainer.current_epoch
            self.stopping_reason_message = reason
        if reason and self.verbose and (trainer.is_global_zero or not self._log_rank_zero_only):
            print(reason)

    def _evaluate(self, current):
        """``(should_stop, reason)`` after seeing ``current`` (updates ``best_score`` / ``wait_count``)."""
        if self.check_finite and not math.isfinite(current):
            return True, (f"Monitored metric {self.monitor} = {current} is not finite. Previous best value was "
                          f"{self.best_score:.3f}. Signaling Trainer to stop.")
        if self.stopping_threshold is not None and self._improves(current, self.stopping_threshold):
            return True, (f"Stopping threshold reached: {self.monitor} = {current} "
                          f"{'<' if self.mode == 'min' else '>'} {self.stopping_threshold}. Signaling Trainer to stop.")
        if self.divergence_threshold is not None and self._improves(-current, -self.divergence_threshold):
            return True, (f"Divergence threshold reached: {self.monitor} = {current} "
                          f"{'>' if self.mode == 'min' else '<'} {self.divergence_threshold}. Signaling Trainer to "
                          "stop.")
        if self._improves(current - self.min_delta, self.best_score):
            improvement = "" if not math.isfinite(self.best_score) else \
                f" by {abs(self.best_score - current):.3f} >= min_delta = {abs(self.min_delta)}"
            self.best_score, self.wait_count = current, 0
            return False, f"Metric {self.monitor} improved{improvement}. New best score: {current:.3f}"
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (f"Monitored metric {self.monitor} did not improve in the last {self.wait_count} records. "
                          f"Best score: {self.best_score:.3f}. Signaling Trainer to stop.")
        return False, None

    def state_dict(self):
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch, "best_score": self.best_score,
                "patience": self.patience}

    def load_state_dict(self, state_dict):
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]
        self.patience = state_dict["patience"]
