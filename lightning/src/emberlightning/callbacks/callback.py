"""Callback: the base class of everything that hooks into the Trainer (every hook is a no-op here)."""

from __future__ import annotations

__all__ = ["Callback"]


class Callback:
    """Override any hook below; the Trainer calls it with ``(trainer, pl_module, ...)`` at that point.

    A callback's ``state_dict()`` is saved in checkpoints under its ``state_key`` and handed back to
    ``load_state_dict`` on resume.

    Example:
        >>> import emberlightning as L
        >>> class PrintEpochs(L.Callback):
        ...     def on_train_epoch_end(self, trainer, pl_module):
        ...         print("epoch", trainer.current_epoch)
        >>> PrintEpochs().state_key
        'PrintEpochs'
    """

    @property
    def state_key(self):
        """The key of this callback's state in a checkpoint (the class name, plus settings when ambiguous)."""
        return type(self).__qualname__

    def _generate_state_key(self, **kwargs):
        return f"{type(self).__qualname__}{kwargs!r}"

    def state_dict(self):
        """The callback's state to save in checkpoints."""
        return {}

    def load_state_dict(self, state_dict):
        """Restore the state from :meth:`state_dict`."""

    def setup(self, trainer, pl_module, stage):
        """Called when fit, validate, test or predict begins."""

    def teardown(self, trainer, pl_module, stage):
        """Called when fit, validate, test or predict ends."""

    def on_fit_start(self, trainer, pl_module):
        """Called when fit begins."""

    def on_fit_end(self, trainer, pl_module):
        """Called when fit ends."""

    def on_sanity_check_start(self, trainer, pl_module):
        """Called when the validation sanity check starts."""

    def on_sanity_check_end(self, trainer, pl_module):
        """Called when the validation sanity check ends."""

    def on_train_start(self, trainer, pl_module):
        """Called when training begins."""

    def on_train_end(self, trainer, pl_module):
        """Called when training ends."""

    def on_validation_start(self, trainer, pl_module):
        """Called when a validation run begins."""

    def on_validation_end(self, trainer, pl_module):
        """Called when a validation run ends."""

    def on_test_start(self, trainer, pl_module):
        """Called when testing begins."""

    def on_test_end(self, trainer, pl_module):
        """Called when testing ends."""

    def on_predict_start(self, trainer, pl_module):
        """Called when prediction begins."""

    def on_predict_end(self, trainer, pl_module):
        """Called when prediction ends."""

    def on_train_epoch_start(self, trainer, pl_module):
        """Called when a training epoch begins."""

    def on_train_epoch_end(self, trainer, pl_module):
        """Called when a training epoch ends (after its validation)."""

    def on_validation_epoch_start(self, trainer, pl_module):
        """Called when a validation epoch begins."""

    def on_validation_epoch_end(self, trainer, pl_module):
        """Called when a validation epoch ends."""

    def on_test_epoch_start(self, trainer, pl_module):
        """Called when the test epoch begins."""

    def on_test_epoch_end(self, trainer, pl_module):
        """Called when the test epoch ends."""

    def on_predict_epoch_start(self, trainer, pl_module):
        """Called when the prediction epoch begins."""

    def on_predict_epoch_end(self, trainer, pl_module):
        """Called when the prediction epoch ends."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        """Called before a training batch."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        """Called after a training batch."""

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        """Called before a validation batch."""

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a validation batch."""

    def on_test_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        """Called before a test batch."""

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a test batch."""

    def on_predict_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        """Called after a prediction batch."""

    def on_exception(self, trainer, pl_module, exception):
        """Called when fit, validate, test or predict is interrupted by an exception."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint):
        """Called when a checkpoint is written (may add to ``checkpoint``)."""

    def on_load_checkpoint(self, trainer, pl_module, checkpoint):
        """Called when a checkpoint is restored."""

    def on_before_backward(self, trainer, pl_module, loss):
        """Called before ``loss.backward()``."""

    def on_after_backward(self, trainer, pl_module):
        """Called after backward, before the optimizer step."""

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        """Called before the optimizer step (before gradient clipping)."""

    def on_before_zero_grad(self, trainer, pl_module, optimizer):
        """Called before gradients are reset."""
