"""GradientAccumulationScheduler: change ``accumulate_grad_batches`` at given epochs."""

from __future__ import annotations

from ..utilities import MisconfigurationException
from .callback import Callback

__all__ = ["GradientAccumulationScheduler"]


class GradientAccumulationScheduler(Callback):
    """From epoch ``e`` on (a key of ``scheduling``), accumulate ``scheduling[e]`` batches per optimizer step.

    Example:
        >>> from emberlightning.callbacks import GradientAccumulationScheduler
        >>> s = GradientAccumulationScheduler({0: 1, 2: 4})
        >>> [s.get_accumulate_grad_batches(e) for e in range(4)]
        [1, 1, 4, 4]
    """

    def __init__(self, scheduling):
        if not scheduling:
            raise TypeError("Empty dict cannot be interpreted correct")
        if any(not isinstance(k, int) or k < 0 for k in scheduling):
            raise MisconfigurationException(f"Epoch should be an int greater than or equal to 0. Got "
                                            f"{list(scheduling)}.")
        if any(not isinstance(v, int) or v < 1 for v in scheduling.values()):
            raise MisconfigurationException(f"All values should be integers greater than or equal to 1. Got "
                                            f"{list(scheduling.values())}.")
        self.scheduling = dict(sorted(scheduling.items()))
        if 0 not in self.scheduling:
            self.scheduling = {0: 1, **self.scheduling}

    def get_accumulate_grad_batches(self, epoch):
        """The accumulation factor in force at ``epoch``."""
        factor = 1
        for start, value in self.scheduling.items():
            if epoch >= start:
                factor = value
        return factor

    def on_train_start(self, trainer, pl_module):
        if not pl_module.automatic_optimization:
            raise RuntimeError("Automatic gradient accumulation and the `GradientAccumulationScheduler` is not "
                               "supported for manual optimization. Please remove the callback or switch to "
                               "automatic optimization.")
        if trainer.accumulate_grad_batches != 1 and trainer.accumulate_grad_batches != \
                self.get_accumulate_grad_batches(trainer.current_epoch):
            raise ValueError("You set both `Trainer(accumulate_grad_batches=...)` and a `GradientAccumulationScheduler`"
                             "; set `accumulate_grad_batches=1` and schedule with the callback only.")

    def on_train_epoch_start(self, trainer, pl_module):
        trainer.accumulate_grad_batches = self.get_accumulate_grad_batches(trainer.current_epoch)
