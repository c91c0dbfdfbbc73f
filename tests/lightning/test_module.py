"""LightningModule: self.log, hyperparameters, optimizer configurations, manual optimisation, misuse errors."""

import os
import random
import re

import numpy as np
import pytest

import ember
import ember.nn as nn
import emberlightning as L
from ember.utils.data import DataLoader, TensorDataset
from emberlightning.demos import BoringModel
from emberlightning.optim import init_optimizers_and_lr_schedulers
from emberlightning.utilities import MisconfigurationException

QUIET = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)


def _loader(values, batch_size):
    return DataLoader(TensorDataset(ember.tensor(values).unsqueeze(1)), batch_size=batch_size)


class Logs(L.LightningModule):
    """Logs the batch mean under several settings; the data is known, so every reduction has a closed form."""

    def __init__(self):
        super().__init__()
        self.w = nn.Linear(1, 1)

    def training_step(self, batch, batch_idx):
        x = batch[0]
        m = x.mean()
        self.log("mean", m)  # default: on_step only
        self.log("both", m, on_step=True, on_epoch=True, prog_bar=True)
        self.log("total", m, on_step=False, on_epoch=True, reduce_fx="sum")
        self.log("biggest", m, on_epoch=True, on_step=False, reduce_fx="max")
        self.log("hidden", m, logger=False)
        return self.w(x).sum() * 0.0

    def validation_step(self, batch, batch_idx):
        self.log("val_mean", batch[0].mean())  # default: on_epoch, batch-size weighted

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.1)


def test_log_reductions_and_metric_routing():
    data = [1.0, 2.0, 3.0, 4.0, 5.0]  # batches of 2: means 1.5, 3.5, 5
    trainer = L.Trainer(max_epochs=1, num_sanity_val_steps=0, log_every_n_steps=1, **QUIET)
    trainer.fit(Logs(), _loader(data, 2), _loader(data, 2))
    cm = {k: v.item() for k, v in trainer.callback_metrics.items()}
    assert cm["mean"] == 5.0 and cm["both_step"] == 5.0 and cm["hidden"] == 5.0
    assert cm["both"] == pytest.approx(3.0) and cm["both_epoch"] == pytest.approx(3.0)  # (1.5*2 + 3.5*2 + 5*1) / 5
    assert cm["total"] == pytest.approx(10.0) and cm["biggest"] == 5.0
    assert cm["val_mean"] == pytest.approx(3.0)
    assert "hidden" not in trainer.logged_metrics and "both_epoch" in trainer.logged_metrics
    assert set(trainer.progress_bar_metrics) == {"both_step", "both_epoch"}


def test_log_errors():
    class Bad(BoringModel):
        def __init__(self, what):
            super().__init__()
            self.what = what

        def training_step(self, batch, batch_idx):
            if self.what == "vector":
                self.log("v", ember.ones(3))
            elif self.what == "dict":
                self.log("d", {"a": 1})
            elif self.what == "fx":
                self.log("x", 1.0, reduce_fx="median")
            return super().training_step(batch, batch_idx)

        def on_fit_start(self):
            if self.what == "hook":
                self.log("x", 1.0)

    for what, error, match in [("vector", ValueError, "must have a single element"), ("dict", ValueError, "dict"),
                               ("fx", MisconfigurationException, "reduce_fx"),
                               ("hook", MisconfigurationException, "on_fit_start function doesn't support")]:
        with pytest.raises(error, match=match):
            L.Trainer(max_steps=1, limit_val_batches=0, **QUIET).fit(Bad(what))


def test_save_hyperparameters_and_load_from_checkpoint(tmp_path):
    class Net(BoringModel):
        def __init__(self, hidden=4, lr=0.1, skip=None):
            super().__init__()
            self.save_hyperparameters(ignore=["skip"])
            self.layer = nn.Linear(32, 2)
            self.extra = nn.Linear(2, hidden)

    model = Net(hidden=7, skip=object())
    assert dict(model.hparams) == {"hidden": 7, "lr": 0.1} and model.hparams.hidden == 7
    trainer = L.Trainer(default_root_dir=tmp_path, max_steps=2, limit_val_batches=0, logger=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model)
    path = trainer.checkpoint_callback.best_model_path
    loaded = Net.load_from_checkpoint(path)
    assert loaded.hparams.hidden == 7 and loaded.extra.out_features == 7
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[k].numpy(), v.numpy())
    assert Net.load_from_checkpoint(path, lr=0.5).hparams.lr == 0.5
    with pytest.raises(RuntimeError, match="(?s)" + re.escape("does not fit Net") + ".*size mismatch for extra.weight"):
        Net.load_from_checkpoint(path, hidden=3)

    class Other(BoringModel):
        def __init__(self, **kwargs):
            super().__init__()
            self.head = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match='(?s)Missing key.*"head.weight".*Unexpected key.*"extra.weight"'):
        Other.load_from_checkpoint(path)


def test_save_hyperparameters_selected_and_dict():
    class A(L.LightningModule):
        def __init__(self, a=1, b=2):
            super().__init__()
            self.save_hyperparameters("a")

    class B(L.LightningModule):
        def __init__(self, config):
            super().__init__()
            self.save_hyperparameters(config)

    assert dict(A(a=5).hparams) == {"a": 5} and dict(B({"x": 1}).hparams) == {"x": 1}


def test_test_with_best_last_and_path(tmp_path):
    class Scored(BoringModel):
        def validation_step(self, batch, batch_idx):
            self.log("score", float(self.current_epoch in (1,)))  # best (max) at epoch 1

        def test_step(self, batch, batch_idx):
            self.log("w", self.layer.weight.sum())

    ckpt = L.callbacks.ModelCheckpoint(monitor="score", mode="max", save_last=True)
    trainer = L.Trainer(default_root_dir=tmp_path, max_epochs=3, limit_train_batches=2, limit_val_batches=1,
                        logger=False, callbacks=[ckpt], enable_progress_bar=False, enable_model_summary=False)
    model = Scored()
    trainer.fit(model)
    best = ember.load(ckpt.best_model_path)["state_dict"]["layer.weight"].sum().item()
    last = model.layer.weight.sum().item()
    assert trainer.test(ckpt_path="best", verbose=False)[0]["w"].item() == pytest.approx(best)
    assert trainer.test(ckpt_path="last", verbose=False)[0]["w"].item() == pytest.approx(last)
    assert trainer.test(model, ckpt_path=ckpt.best_model_path, verbose=False)[0]["w"].item() == pytest.approx(best)
    with pytest.raises(ValueError, match="not configured"):
        L.Trainer(**QUIET).test(model, ckpt_path="best")
    with pytest.raises(FileNotFoundError):
        trainer.test(model, ckpt_path=str(tmp_path / "missing.ckpt"))


def _configs(ret):
    class M(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(1, 1)

        def configure_optimizers(self):
            return ret(self)

    return init_optimizers_and_lr_schedulers(M())


def test_configure_optimizers_forms():
    sgd = lambda m: ember.optim.SGD(m.parameters(), lr=1.0)  # noqa: E731
    step = lambda o: ember.optim.lr_scheduler.StepLR(o, 1)  # noqa: E731
    assert len(_configs(sgd)[0]) == 1
    assert len(_configs(lambda m: [sgd(m), sgd(m)])[0]) == 2
    opts, scheds = _configs(lambda m: ((o := sgd(m)),) and ([o], [step(o)]))
    assert scheds[0].interval == "epoch" and scheds[0].frequency == 1
    opts, scheds = _configs(lambda m: {"optimizer": (o := sgd(m)), "lr_scheduler": {
        "scheduler": step(o), "interval": "step", "frequency": 3, "name": "my"}})
    assert (scheds[0].interval, scheds[0].frequency, scheds[0].name) == ("step", 3, "my")
    with pytest.raises(MisconfigurationException, match="monitor"):
        _configs(lambda m: {"optimizer": (o := sgd(m)),
                            "lr_scheduler": ember.optim.lr_scheduler.ReduceLROnPlateau(o)})
    with pytest.raises(MisconfigurationException, match="Unknown configuration"):
        _configs(lambda m: "adam")
    with pytest.raises(MisconfigurationException, match='"interval"'):
        _configs(lambda m: {"optimizer": (o := sgd(m)), "lr_scheduler": {"scheduler": step(o), "interval": "x"}})


def _lrs(configure, **kwargs):
    lrs = []

    class M(BoringModel):
        def configure_optimizers(self):
            return configure(self)

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", 1.0)

        def on_train_batch_start(self, batch, batch_idx):
            lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])

    L.Trainer(max_epochs=3, limit_train_batches=2, limit_val_batches=1, num_sanity_val_steps=0, **QUIET,
              **kwargs).fit(M())
    return lrs


def test_scheduler_intervals_and_plateau():
    def step_every_3(m):
        o = ember.optim.SGD(m.parameters(), lr=1.0)
        return {"optimizer": o, "lr_scheduler": {"scheduler": ember.optim.lr_scheduler.StepLR(o, 1, gamma=0.5),
                                                 "interval": "step", "frequency": 3}}

    assert _lrs(step_every_3) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert _lrs(lambda m: ([o := ember.optim.SGD(m.parameters(), lr=1.0)],
                           [ember.optim.lr_scheduler.StepLR(o, 1, gamma=0.1)])) == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01])

    def plateau(m):
        o = ember.optim.SGD(m.parameters(), lr=1.0)
        return {"optimizer": o, "lr_scheduler": ember.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0, factor=0.5),
                "monitor": "val_loss"}

    assert _lrs(plateau) == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]  # val_loss never improves after the first epoch


def test_manual_optimization_two_optimizers():
    class GANish(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False
            self.a, self.b = nn.Linear(1, 1), nn.Linear(1, 1)

        def training_step(self, batch, batch_idx):
            opt_a, opt_b = self.optimizers()
            for opt, layer in ((opt_a, self.a), (opt_b, self.b)):
                self.toggle_optimizer(opt)
                loss = layer(batch[0]).pow(2).mean()
                opt.zero_grad()
                self.manual_backward(loss)
                opt.step()
                self.untoggle_optimizer(opt)
            sched = self.lr_schedulers()
            sched.step()

        def configure_optimizers(self):
            a = ember.optim.SGD(self.a.parameters(), lr=0.1)
            b = ember.optim.SGD(self.b.parameters(), lr=0.1)
            return [a, b], [ember.optim.lr_scheduler.StepLR(a, 1, gamma=0.5)]

    model = GANish()
    trainer = L.Trainer(max_epochs=1, **QUIET)
    trainer.fit(model, _loader([1.0, 2.0, 3.0], 1))
    assert trainer.global_step == 6  # every optimizer step counts
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)
    with pytest.raises(MisconfigurationException, match="manual optimization"):
        L.Trainer(max_epochs=1, gradient_clip_val=1.0, **QUIET).fit(GANish(), _loader([1.0], 1))


def test_misuse_errors():
    class NoOptim(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(1, 1)

        def training_step(self, batch, batch_idx):
            return self.w(batch[0]).sum()

    with pytest.raises(MisconfigurationException, match=r"No `configure_optimizers\(\)` method defined"):
        L.Trainer(max_steps=1, **QUIET).fit(NoOptim(), _loader([1.0], 1))

    class Returns(BoringModel):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def training_step(self, batch, batch_idx):
            return self.value(self.step(batch))

    cases = [(lambda loss: {"los": loss}, "'loss' key needs to be present"),
             (lambda loss: "loss", "must return a Tensor, a dict, or None"),
             (lambda loss: loss.detach(), "does not require grad"),
             (lambda loss: loss.expand(3), "tensor of shape \\(3,\\)")]
    for value, match in cases:
        with pytest.raises(MisconfigurationException, match=match):
            L.Trainer(max_steps=1, limit_val_batches=0, **QUIET).fit(Returns(value))
    skipped = Returns(lambda loss: None)
    before = skipped.layer.weight.clone()
    L.Trainer(max_steps=2, limit_val_batches=0, **QUIET).fit(skipped)  # None skips the step
    assert bool((skipped.layer.weight == before).all())

    class NoLoader(BoringModel):
        train_dataloader = None

    with pytest.raises(MisconfigurationException, match="train_dataloader"):
        L.Trainer(max_steps=1, **QUIET).fit(NoLoader())
    with pytest.raises(TypeError, match="LightningModule"):
        L.Trainer(**QUIET).fit(nn.Linear(1, 1))


def test_seed_everything(monkeypatch):
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    assert L.seed_everything(7, workers=True) == 7
    a = (random.random(), np.random.rand(), ember.rand(1).item())
    assert os.environ["PL_GLOBAL_SEED"] == "7" and os.environ["PL_SEED_WORKERS"] == "1"
    L.seed_everything(7)
    assert (random.random(), np.random.rand(), ember.rand(1).item()) == a
    assert L.seed_everything() == 7  # from the environment
    with pytest.raises(ValueError, match="not in bounds"):
        L.seed_everything(-1)


def test_seed_workers_gives_each_worker_its_own_stream():
    class Draw(ember.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return ember.tensor([float(np.random.randint(1 << 30))])

    seen = []

    class M(BoringModel):
        def training_step(self, batch, batch_idx):
            seen.append(batch.flatten().tolist())
            return super().training_step(batch.expand(-1, 32), batch_idx)

    def run():
        seen.clear()
        L.seed_everything(3, workers=True)
        loader = DataLoader(Draw(), batch_size=1, num_workers=2)
        L.Trainer(max_epochs=1, limit_val_batches=0, **QUIET).fit(M(), loader)
        assert loader.worker_init_fn is L.seed.pl_worker_init_function
        return list(seen)

    first = run()
    assert first == run() and len({v[0] for v in first}) == 4
