"""Trainer flags: stopping, data limits, validation cadence, accumulation, clipping, precision, devices."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import emberlightning as L
from ember.utils.data import DataLoader, TensorDataset
from emberlightning.demos import BoringModel
from emberlightning.utilities import MisconfigurationException, PossibleUserWarning

QUIET = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)


class Counting(BoringModel):
    """BoringModel that counts the batches each stage sees (and logs a validation metric)."""

    def __init__(self):
        super().__init__()
        self.seen = {"train": 0, "val": 0, "test": 0, "val_runs": 0}

    def training_step(self, batch, batch_idx):
        self.seen["train"] += 1
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch, batch_idx):
        self.seen["val"] += 1
        self.log("val_loss", self.step(batch))

    def on_validation_epoch_end(self):
        self.seen["val_runs"] += 1

    def test_step(self, batch, batch_idx):
        self.seen["test"] += 1


def test_fit_learns_a_linear_map(device):
    x = ember.linspace(-1, 1, 32).unsqueeze(1)

    class Regressor(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(1, 1)

        def training_step(self, batch, batch_idx):
            assert batch[0].device == self.device
            inputs, target = batch
            loss = nn.functional.mse_loss(self.layer(inputs), target)
            self.log("loss", loss)
            return loss

        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=0.2)

    model = Regressor()
    trainer = L.Trainer(accelerator=device, max_epochs=30, **QUIET)
    trainer.fit(model, DataLoader(TensorDataset(x, 3 * x - 1), batch_size=8))
    assert trainer.global_step == 120 and trainer.current_epoch == 30
    assert model.layer.weight.device.type == ember.device(device).type
    np.testing.assert_allclose(model.layer.weight.detach().cpu().numpy(), [[3.0]], atol=1e-3)
    np.testing.assert_allclose(model.layer.bias.detach().cpu().numpy(), [-1.0], atol=1e-3)
    assert trainer.state.finished and trainer.callback_metrics["loss"].item() < 1e-5


def test_max_steps_and_max_epochs(tmp_path):
    model = Counting()
    trainer = L.Trainer(max_steps=5, limit_val_batches=0, **QUIET)
    trainer.fit(model)
    assert trainer.global_step == 5 and model.seen["train"] == 5
    model = Counting()
    L.Trainer(max_epochs=2, limit_train_batches=3, limit_val_batches=0, **QUIET).fit(model)
    assert model.seen["train"] == 6


def test_min_epochs_overrides_should_stop():
    class StopAlways(L.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            trainer.should_stop = True

    trainer = L.Trainer(min_epochs=3, max_epochs=10, limit_train_batches=2, limit_val_batches=0,
                        callbacks=[StopAlways()], **QUIET)
    trainer.fit(Counting())
    assert trainer.current_epoch == 3


@pytest.mark.parametrize("limit, expected", [(3, 3), (0.25, 16), (1.0, 64), (0, 0)])
def test_limit_batches(limit, expected):
    model = Counting()
    trainer = L.Trainer(max_epochs=1, limit_train_batches=limit, limit_val_batches=limit, limit_test_batches=limit,
                        num_sanity_val_steps=0, **QUIET)
    trainer.fit(model)
    assert model.seen["train"] == expected and trainer.num_training_batches == expected
    assert model.seen["val"] == (expected if expected else 0)
    trainer.test(model, verbose=False)
    assert model.seen["test"] == expected


def test_limit_batches_too_small_fraction():
    with pytest.raises(MisconfigurationException, match="limit_train_batches"):
        L.Trainer(limit_train_batches=0.001, max_epochs=1, **QUIET).fit(Counting())


@pytest.mark.parametrize("n", [True, 3])
def test_fast_dev_run(tmp_path, n):
    model = Counting()
    trainer = L.Trainer(default_root_dir=tmp_path, fast_dev_run=n, enable_progress_bar=False,
                        enable_model_summary=False)
    trainer.fit(model)
    steps = 1 if n is True else n
    assert trainer.global_step == steps and model.seen["train"] == steps and model.seen["val"] == steps
    assert trainer.loggers == [] and not (tmp_path / "checkpoints").exists()
    assert not (tmp_path / "lightning_logs").exists()
    assert trainer.checkpoint_callback.best_model_path == ""


def test_overfit_batches_repeats_the_same_batches():
    x = ember.arange(40.0).unsqueeze(1)
    seen = []

    class Recorder(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(1, 1)

        def training_step(self, batch, batch_idx):
            seen.append(batch[0].flatten().tolist())
            return self.w(batch[0]).sum()

        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=0.0)

    trainer = L.Trainer(overfit_batches=2, max_epochs=3, **QUIET)
    with pytest.warns(PossibleUserWarning, match="shuffling"):
        trainer.fit(Recorder(), DataLoader(TensorDataset(x), batch_size=4, shuffle=True))
    assert seen == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]] * 3


@pytest.mark.parametrize("interval, every, runs", [(1.0, 1, 2), (0.25, 1, 8), (16, 1, 8), (1.0, 2, 1)])
def test_validation_cadence(interval, every, runs):
    model = Counting()
    trainer = L.Trainer(max_epochs=2, val_check_interval=interval, check_val_every_n_epoch=every, limit_val_batches=2,
                        num_sanity_val_steps=0, **QUIET)
    trainer.fit(model)
    assert model.seen["val_runs"] == runs and model.seen["val"] == 2 * runs


def test_val_check_interval_across_epochs():
    model = Counting()
    trainer = L.Trainer(max_epochs=2, limit_train_batches=10, val_check_interval=15, check_val_every_n_epoch=None,
                        limit_val_batches=1, num_sanity_val_steps=0, **QUIET)
    trainer.fit(model)
    assert model.seen["val_runs"] == 1


@pytest.mark.parametrize("steps, expected", [(2, 2), (-1, 64), (0, 0)])
def test_num_sanity_val_steps(steps, expected):
    calls = []

    class Sanity(L.Callback):
        def on_validation_batch_end(self, trainer, *args):
            if trainer.sanity_checking:
                calls.append(1)

    L.Trainer(max_steps=1, num_sanity_val_steps=steps, limit_val_batches=1.0, callbacks=[Sanity()], **QUIET).fit(
        Counting())
    assert len(calls) == expected


def _grads_after(trainer_kwargs, batch_size, batches):
    """Parameters after one optimizer step of plain SGD(lr=1) on fixed data."""
    ember.manual_seed(0)
    x = ember.randn(8, 3)
    y = ember.randn(8, 1)

    class Lin(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(3, 1)
            with ember.no_grad():
                self.layer.weight.copy_(ember.tensor([[1.0, -2.0, 0.5]]))
                self.layer.bias.fill_(0.1)

        def training_step(self, batch, batch_idx):
            return nn.functional.mse_loss(self.layer(batch[0]), batch[1])

        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=1.0)

    model = Lin()
    L.Trainer(max_steps=1, limit_train_batches=batches, **trainer_kwargs, **QUIET).fit(
        model, DataLoader(TensorDataset(x, y), batch_size=batch_size))
    return model.layer.weight.detach().numpy(), (x.numpy(), y.numpy())


def test_accumulate_grad_batches_matches_a_big_batch():
    big, _ = _grads_after({}, 8, 1)
    accumulated, _ = _grads_after({"accumulate_grad_batches": 2}, 4, 2)
    np.testing.assert_allclose(accumulated, big, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_gradient_clipping(algorithm):
    clipped, (x, y) = _grads_after({"gradient_clip_val": 0.05, "gradient_clip_algorithm": algorithm}, 8, 1)
    w0, b0 = np.array([1.0, -2.0, 0.5]), 0.1
    residual = x @ w0 + b0 - y[:, 0]
    grad_w = 2 * residual @ x / len(x)
    grad_b = 2 * residual.mean()
    if algorithm == "norm":
        total = math.sqrt((grad_w ** 2).sum() + grad_b ** 2)
        grad_w = grad_w * 0.05 / (total + 1e-6)
    else:
        grad_w = np.clip(grad_w, -0.05, 0.05)
    np.testing.assert_allclose(clipped[0], w0 - grad_w, rtol=1e-5)


def test_precision_64_true():
    dtypes = []

    class Double(BoringModel):
        def training_step(self, batch, batch_idx):
            dtypes.append((batch.dtype, self.layer.weight.dtype))
            return super().training_step(batch, batch_idx)

    trainer = L.Trainer(precision="64-true", max_steps=2, limit_val_batches=0, **QUIET)
    trainer.fit(Double())
    assert dtypes == [(ember.float64, ember.float64)] * 2 and trainer.precision == "64-true"


def test_precision_32_default_and_invalid():
    assert L.Trainer(**QUIET).precision == "32-true"
    assert L.Trainer(precision=32, **QUIET).precision == "32-true"
    with pytest.raises(MisconfigurationException, match="Allowed precision"):
        L.Trainer(precision="8-true", **QUIET)


@pytest.mark.skipif(hasattr(ember, "autocast"), reason="ember.autocast exists")
@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed"])
def test_mixed_precision_needs_autocast(precision):
    with pytest.raises(MisconfigurationException, match="ember.autocast"):
        L.Trainer(precision=precision, **QUIET)


@pytest.mark.skipif(not hasattr(ember, "autocast"), reason="needs ember.autocast")
@pytest.mark.parametrize("precision, dtype, scaled", [("16-mixed", "float16", True), ("bf16-mixed", "bfloat16", False)])
def test_mixed_precision(tmp_path, precision, dtype, scaled):
    seen = []

    class Mixed(BoringModel):
        def training_step(self, batch, batch_idx):
            out = self(batch)
            seen.append((out.dtype, self.layer.weight.dtype))
            return self.loss(out.float())

    trainer = L.Trainer(default_root_dir=tmp_path, precision=precision, max_steps=3, limit_val_batches=0,
                        logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Mixed())
    assert seen == [(getattr(ember, dtype), ember.float32)] * 3
    state = ember.load(trainer.checkpoint_callback.best_model_path)["precision"]
    assert state["precision"] == precision and (state["scaler"] is not None) == scaled
    if scaled:
        resumed = L.Trainer(default_root_dir=tmp_path, precision=precision, max_steps=3, limit_val_batches=0,
                            logger=False, enable_progress_bar=False, enable_model_summary=False)
        resumed.fit(Mixed(), ckpt_path=trainer.checkpoint_callback.best_model_path)
        assert resumed._scaler.state_dict() == trainer._scaler.state_dict()


def test_devices_and_strategies():
    with pytest.raises(MisconfigurationException, match="ddp"):
        L.Trainer(strategy="ddp_spawn", **QUIET)
    with pytest.raises(MisconfigurationException, match="several devices"):
        L.Trainer(strategy="single_device", devices=2, **QUIET)
    with pytest.raises(MisconfigurationException, match="invalid accelerator"):
        L.Trainer(accelerator="tpu", **QUIET)
    trainer = L.Trainer(accelerator="cpu", devices=1, deterministic=True, benchmark=False, **QUIET)
    assert trainer.strategy.root_device == ember.device("cpu")


def test_detect_anomaly_raises_on_nan_backward():
    class NaNModel(BoringModel):
        def training_step(self, batch, batch_idx):
            return (self(batch) * 0).sqrt().sum() * float("nan")

    with pytest.raises(RuntimeError), pytest.warns(UserWarning, match="Anomaly Detection"):
        L.Trainer(detect_anomaly=True, max_steps=1, limit_val_batches=0, **QUIET).fit(NaNModel())


def test_datamodule_and_predict():
    from emberlightning.demos import BoringDataModule

    trainer = L.Trainer(max_steps=3, **QUIET)
    model, dm = Counting(), BoringDataModule()
    trainer.fit(model, datamodule=dm)
    assert trainer.datamodule is dm and model.seen["train"] == 3
    preds = trainer.predict(model, datamodule=dm)
    assert len(preds) == 64 and tuple(preds[0].shape) == (1, 2)
    out = trainer.validate(model, datamodule=dm, verbose=False)
    assert list(out[0]) == ["val_loss"]


def test_validate_returns_metrics_per_dataloader():
    class Two(BoringModel):
        def validation_step(self, batch, batch_idx, dataloader_idx=0):
            self.log("v", float(dataloader_idx + 1))

    loaders = [DataLoader(ember.utils.data.TensorDataset(ember.zeros(4, 32))) for _ in range(2)]
    loaders = [DataLoader(ember.zeros(4, 32)), DataLoader(ember.zeros(6, 32))]
    out = L.Trainer(**QUIET).validate(Two(), loaders, verbose=False)
    assert [{k: v.item() for k, v in d.items()} for d in out] == [{"v/dataloader_idx_0": 1.0},
                                                                   {"v/dataloader_idx_1": 2.0}]


def test_estimated_stepping_batches_and_properties(tmp_path):
    trainer = L.Trainer(default_root_dir=tmp_path, max_epochs=3, limit_train_batches=10, accumulate_grad_batches=3,
                        limit_val_batches=0, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(BoringModel())
    assert trainer.estimated_stepping_batches == 12 and trainer.global_step == 12
    assert trainer.log_dir == str(tmp_path / "lightning_logs" / "version_0")
    assert trainer.is_global_zero and trainer.world_size == 1 and not trainer.interrupted


def test_reload_dataloaders_every_n_epochs():
    requests = []

    class Reloading(BoringModel):
        def train_dataloader(self):
            requests.append(self.current_epoch)
            return super().train_dataloader()

    L.Trainer(max_epochs=5, limit_train_batches=1, limit_val_batches=0, reload_dataloaders_every_n_epochs=2,
              **QUIET).fit(Reloading())
    assert requests == [0, 2, 4]
