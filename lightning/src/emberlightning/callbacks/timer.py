"""Timer: measure the time spent in each stage and stop training after a duration."""

from __future__ import annotations

import time

from ..utilities import MisconfigurationException, parse_duration
from .callback import Callback

__all__ = ["Timer"]


class Timer(Callback):
    """Stop ``fit`` once ``duration`` (``"DD:HH:MM:SS"``, a timedelta or a dict) has passed.

    The check runs after every step (``interval="step"``) or epoch (``"epoch"``); elapsed time is
    kept in checkpoints, so a resumed run continues the budget. ``Trainer(max_time=...)`` adds one.

    Example:
        >>> from emberlightning.callbacks import Timer
        >>> t = Timer("00:00:01:00"); t.time_remaining("train")
        60.0
    """

    def __init__(self, duration=None, interval="step", verbose=True):
        if interval not in ("step", "epoch"):
            raise MisconfigurationException(f"Unsupported parameter value `Timer(interval={interval})`. Possible "
                                            "values are: step, epoch.")
        duration = parse_duration(duration)
        self._duration = duration.total_seconds() if duration is not None else None
        self._interval, self._verbose = interval, verbose
        self._start = dict.fromkeys(("train", "validate", "test", "predict"))
        self._end = dict(self._start)
        self._offset = 0.0

    def start_time(self, stage="train"):
        """When ``stage`` started (``time.monotonic()``), or None."""
        return self._start[stage]

    def end_time(self, stage="train"):
        """When ``stage`` ended, or None."""
        return self._end[stage]

    def time_elapsed(self, stage="train"):
        """Seconds spent in ``stage`` (training time includes what a restored checkpoint recorded)."""
        start, end = self._start[stage], self._end[stage]
        offset = self._offset if stage == "train" else 0.0
        if start is None:
            return offset
        return offset + ((end if end is not None else time.monotonic()) - start)

    def time_remaining(self, stage="train"):
        """Seconds left of the duration (None without a duration)."""
        if self._duration is None:
            return None
        return self._duration - self.time_elapsed(stage)

    def _begin(self, stage):
        self._start[stage], self._end[stage] = time.monotonic(), None

    def _finish(self, stage):
        self._end[stage] = time.monotonic()

    def on_train_start(self, trainer, pl_module):
        self._begin("train")

    def on_train_end(self, trainer, pl_module):
        self._finish("train")

    def on_validation_start(self, trainer, pl_module):
        self._begin("validate")

    def on_validation_end(self, trainer, pl_module):
        self._finish("validate")

    def on_test_start(self, trainer, pl_module):
        self._begin("test")

    def on_test_end(self, trainer, pl_module):
        self._finish("test")

    def on_predict_start(self, trainer, pl_module):
        self._begin("predict")

    def on_predict_end(self, trainer, pl_module):
        self._finish("predict")

    def on_fit_start(self, trainer, pl_module):
        if self._duration is not None and self._duration <= 0:
            trainer.should_stop = True

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._interval == "step":
            self._check(trainer)

    def on_train_epoch_end(self, trainer, pl_module):
        if self._interval == "epoch":
            self._check(trainer)

    def _check(self, trainer):
        if self._duration is not None and self.time_elapsed("train") >= self._duration:
            trainer.should_stop = True
            if self._verbose:
                print(f"Time limit reached. Elapsed time is {self.time_elapsed('train'):.1f}s. Signaling Trainer to "
                      "stop.")

    def state_dict(self):
        return {"time_elapsed": {"train": self.time_elapsed("train")}}

    def load_state_dict(self, state_dict):
        self._offset = state_dict["time_elapsed"]["train"]
