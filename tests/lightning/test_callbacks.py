"""Callbacks: ModelCheckpoint, EarlyStopping, LearningRateMonitor, TQDMProgressBar, ModelSummary, Timer, ..."""

import io
import os
import re

import pytest

import ember
import emberlightning as L
from emberlightning.callbacks import (
    EarlyStopping, GradientAccumulationScheduler, LearningRateMonitor, ModelCheckpoint, ModelSummary, Timer,
    TQDMProgressBar,
)
from emberlightning.demos import BoringModel
from emberlightning.loggers import CSVLogger
from emberlightning.utilities import MisconfigurationException

QUIET = dict(enable_progress_bar=False, enable_model_summary=False)


class Scripted(BoringModel):
    """Logs ``val_loss`` from a script: one value per validation run."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.run = 0

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.values[min(self.run, len(self.values) - 1)])

    def on_validation_epoch_end(self):
        if not self.trainer.sanity_checking:
            self.run += 1


def _fit(tmp_path, model, callbacks, **kwargs):
    settings = dict(default_root_dir=tmp_path, max_epochs=len(model.values), limit_train_batches=2,
                    limit_val_batches=1, num_sanity_val_steps=0, logger=False, callbacks=callbacks, **QUIET)
    trainer = L.Trainer(**{**settings, **kwargs})
    trainer.fit(model)
    return trainer


def test_checkpoint_top_k_by_monitored_metric(tmp_path):
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ck", monitor="val_loss", save_top_k=2, filename="{epoch}-{val_loss:.2f}",
                           save_last=True)
    _fit(tmp_path, Scripted([0.5, 0.3, 0.4, 0.1, 0.9]), [ckpt])
    assert sorted(os.listdir(tmp_path / "ck")) == ["epoch=1-val_loss=0.30.ckpt", "epoch=3-val_loss=0.10.ckpt",
                                                    "last.ckpt"]
    assert ckpt.best_model_path == str(tmp_path / "ck" / "epoch=3-val_loss=0.10.ckpt")
    assert ckpt.best_model_score == pytest.approx(0.1) and ckpt.kth_value == pytest.approx(0.3)
    assert ckpt.last_model_path == str(tmp_path / "ck" / "last.ckpt")
    saved = ember.load(ckpt.last_model_path)
    assert saved["epoch"] == 4 and saved["global_step"] == 10
    assert set(saved) >= {"state_dict", "optimizer_states", "lr_schedulers", "loops", "callbacks", "rng_states"}


def test_checkpoint_mode_max_and_every_n_epochs(tmp_path):
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss", mode="max", every_n_epochs=2, save_top_k=1)
    _fit(tmp_path, Scripted([0.9, 0.2, 0.5, 0.8]), [ckpt])
    # saved at epochs 1 and 3 only; the best of those is epoch 3 (0.8)
    assert os.listdir(tmp_path) == ["epoch=3-step=8.ckpt"]


def test_checkpoint_without_monitor_keeps_latest_and_every_n_train_steps(tmp_path):
    ckpt = ModelCheckpoint(dirpath=tmp_path / "a")
    _fit(tmp_path, Scripted([1, 1, 1]), [ckpt])
    assert os.listdir(tmp_path / "a") == ["epoch=2-step=6.ckpt"]
    ckpt = ModelCheckpoint(dirpath=tmp_path / "b", every_n_train_steps=3, save_top_k=-1)
    _fit(tmp_path, Scripted([1, 1, 1]), [ckpt])
    assert sorted(os.listdir(tmp_path / "b")) == ["epoch=1-step=3.ckpt", "epoch=2-step=6.ckpt"]


def test_checkpoint_monitor_missing_lists_logged_keys(tmp_path):
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val_acc")
    with pytest.raises(MisconfigurationException, match=re.escape("returned metrics: ['val_loss']")):
        _fit(tmp_path, Scripted([1.0]), [ckpt])


def test_checkpoint_version_counter_and_default_dir(tmp_path):
    ckpt = ModelCheckpoint(filename="model", monitor="val_loss", save_top_k=-1)
    trainer = _fit(tmp_path, Scripted([0.3, 0.2]), [ckpt], logger=CSVLogger(tmp_path))
    folder = tmp_path / "lightning_logs" / "version_0" / "checkpoints"
    assert ckpt.dirpath == str(folder)
    assert sorted(os.listdir(folder)) == ["model-v1.ckpt", "model.ckpt"]
    assert trainer.checkpoint_callback is ckpt


def test_checkpoint_state_key_and_state_round_trip(tmp_path):
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss")
    assert ckpt.state_key == ("ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min', 'every_n_train_steps': 0, "
                              "'every_n_epochs': 1, 'train_time_interval': None}")
    _fit(tmp_path, Scripted([0.4, 0.2]), [ckpt])
    other = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss")
    other.load_state_dict(ckpt.state_dict())
    assert other.best_model_path == ckpt.best_model_path and other.best_k_models == ckpt.best_k_models


def test_early_stopping_patience(tmp_path):
    es = EarlyStopping("val_loss", patience=2)
    trainer = _fit(tmp_path, Scripted([1.0, 0.5, 0.6, 0.55, 0.1, 0.1]), [es])
    assert trainer.current_epoch == 4 and es.stopped_epoch == 3 and es.wait_count == 2
    assert es.best_score == 0.5 and "did not improve in the last 2 records" in es.stopping_reason_message


def test_early_stopping_min_delta_and_mode_max(tmp_path):
    es = EarlyStopping("val_loss", mode="max", min_delta=0.1, patience=1)
    trainer = _fit(tmp_path, Scripted([0.1, 0.25, 0.3, 0.9]), [es])
    assert trainer.current_epoch == 3  # 0.3 is not 0.1 better than 0.25


@pytest.mark.parametrize("values, kwargs, stop_epoch, reason", [
    ([1.0, float("nan"), 0.5], {}, 1, "is not finite"),
    ([1.0, 0.05, 0.01], {"stopping_threshold": 0.1}, 1, "Stopping threshold reached"),
    ([1.0, 9.0, 0.5], {"divergence_threshold": 5.0}, 1, "Divergence threshold reached"),
])
def test_early_stopping_thresholds(tmp_path, values, kwargs, stop_epoch, reason):
    es = EarlyStopping("val_loss", patience=10, **kwargs)
    _fit(tmp_path, Scripted(values), [es])
    assert es.stopped_epoch == stop_epoch and reason in es.stopping_reason_message


def test_early_stopping_missing_metric(tmp_path):
    with pytest.raises(RuntimeError, match="`val_acc` which is not available.*`val_loss`"):
        _fit(tmp_path, Scripted([1.0]), [EarlyStopping("val_acc")])
    trainer = _fit(tmp_path, Scripted([1.0, 1.0]), [EarlyStopping("val_acc", strict=False)])
    assert trainer.current_epoch == 2


def test_learning_rate_monitor(tmp_path):
    class Sched(BoringModel):
        def configure_optimizers(self):
            opt = ember.optim.SGD(self.parameters(), lr=1.0, momentum=0.5)
            sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    monitor = LearningRateMonitor(log_momentum=True)
    logger = CSVLogger(tmp_path)
    trainer = L.Trainer(default_root_dir=tmp_path, max_steps=3, limit_val_batches=0, log_every_n_steps=1,
                        logger=logger, callbacks=[monitor], **QUIET)
    trainer.fit(Sched())
    assert monitor.lrs == {"lr-SGD": [1.0, 0.5, 0.25], "lr-SGD-momentum": [0.5, 0.5, 0.5]}
    with pytest.raises(MisconfigurationException, match="no logger"):
        L.Trainer(max_steps=1, logger=False, callbacks=[LearningRateMonitor()], **QUIET).fit(BoringModel())


def test_progress_bar_draws_one_line_per_epoch():
    out = io.StringIO()

    class Logged(BoringModel):
        def training_step(self, batch, batch_idx):
            loss = self.step(batch)
            self.log("loss", loss, prog_bar=True)
            return loss

    bar = TQDMProgressBar(file=out, use_tqdm=False)
    trainer = L.Trainer(max_epochs=2, limit_train_batches=3, limit_val_batches=2, logger=False,
                        enable_checkpointing=False, enable_model_summary=False, callbacks=[bar])
    trainer.fit(Logged())
    text = out.getvalue()
    lines = text.split("\n")
    assert lines[-1] == ""
    epoch_lines = [line for line in lines if "Epoch" in line]
    assert len(epoch_lines) == 2  # each epoch: one line redrawn in place with \r
    final = epoch_lines[1].split("\r")[-1]
    assert final.startswith("Epoch 1: 100%|██████████| 3/3 [") and re.search(r"loss=[0-9.e-]+\]", final)
    assert "Sanity Checking: 100%|██████████| 2/2" in text and "Validation: 100%" in text
    assert epoch_lines[0].count("\rEpoch 0:") == 3 + 1  # drawn after each batch, then with the epoch's metrics
    assert epoch_lines[0].count("\rValidation:") == 2


def test_model_summary(capsys):
    trainer = L.Trainer(max_steps=1, limit_val_batches=0, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, callbacks=[ModelSummary(max_depth=1)])
    trainer.fit(BoringModel())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["|", "Name", "|", "Type", "|", "Params", "|", "Mode"]
    assert lines[2].split() == ["0", "|", "layer", "|", "Linear", "|", "66", "|", "train"]
    assert lines[4:7] == ["66        Trainable params", "0         Non-trainable params", "66        Total params"]


def test_timer_stops_training(tmp_path):
    timer = Timer(duration={"seconds": 0}, interval="step", verbose=False)
    trainer = L.Trainer(max_epochs=5, limit_val_batches=0, logger=False, callbacks=[timer], **QUIET)
    trainer.fit(BoringModel())
    assert trainer.global_step == 0 and timer.time_elapsed("train") >= 0
    trainer = L.Trainer(max_time={"seconds": 0.0}, max_epochs=5, limit_val_batches=0, logger=False, **QUIET)
    trainer.fit(BoringModel())
    assert trainer.global_step <= 1
    timer = Timer("00:00:00:01")
    timer.load_state_dict({"time_elapsed": {"train": 0.25}})
    assert timer.time_elapsed("train") == 0.25 and timer.time_remaining("train") == 0.75


def test_gradient_accumulation_scheduler():
    steps = []

    class Record(L.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            steps.append(trainer.global_step)

    sched = GradientAccumulationScheduler({1: 2, 2: 4})
    L.Trainer(max_epochs=3, limit_train_batches=8, limit_val_batches=0, logger=False, enable_checkpointing=False,
              callbacks=[sched, Record()], **QUIET).fit(BoringModel())
    assert steps == [8, 12, 14]
    with pytest.raises(MisconfigurationException):
        GradientAccumulationScheduler({0: 0})


def test_callback_state_saved_and_restored(tmp_path):
    class Counter(L.Callback):
        def __init__(self):
            self.batches = 0

        def on_train_batch_end(self, *args):
            self.batches += 1

        def state_dict(self):
            return {"batches": self.batches}

        def load_state_dict(self, state_dict):
            self.batches = state_dict["batches"]

    first = Counter()
    trainer = L.Trainer(default_root_dir=tmp_path, max_epochs=1, limit_train_batches=3, limit_val_batches=0,
                        logger=False, callbacks=[first], **QUIET)
    trainer.fit(BoringModel())
    second = Counter()
    trainer = L.Trainer(default_root_dir=tmp_path, max_epochs=2, limit_train_batches=3, limit_val_batches=0,
                        logger=False, callbacks=[second], **QUIET)
    trainer.fit(BoringModel(), ckpt_path=str(tmp_path / "checkpoints" / "epoch=0-step=3.ckpt"))
    assert second.batches == 6
