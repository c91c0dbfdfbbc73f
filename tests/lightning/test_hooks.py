"""The exact order in which the Trainer calls hooks (like Lightning's test_hooks), recorded by a callback."""

import functools

import pytest

import emberlightning as L
from emberlightning.demos import BoringModel

MODULE_HOOKS = [
    "prepare_data", "setup", "teardown", "configure_optimizers", "configure_callbacks", "train_dataloader",
    "val_dataloader", "test_dataloader", "predict_dataloader", "on_before_batch_transfer",
    "transfer_batch_to_device", "on_after_batch_transfer", "training_step", "validation_step", "test_step",
    "predict_step", "optimizer_step", "optimizer_zero_grad", "configure_gradient_clipping", "lr_scheduler_step",
    "backward", "on_save_checkpoint", "on_load_checkpoint", "on_validation_model_eval", "on_validation_model_train",
    "on_validation_model_zero_grad", "on_test_model_eval", "on_test_model_train", "on_predict_model_eval",
    *[name for name in dir(L.Callback) if name.startswith("on_") and name not in ("on_exception",)
      and name not in ("on_sanity_check_start", "on_sanity_check_end", "on_save_checkpoint", "on_load_checkpoint")],
]


class HookedCallback(L.Callback):
    def __init__(self, called):
        for name in dir(L.Callback):
            if name.startswith("_") or name == "state_key":
                continue
            original = getattr(self, name)

            def record(*args, _name=name, _fn=original, **kwargs):
                called.append(f"Callback.{_name}")
                return _fn(*args, **kwargs)

            setattr(self, name, record)

    def state_dict(self):
        return {"foo": True}


class HookedModel(BoringModel):
    def __init__(self, called):
        super().__init__()
        for name in MODULE_HOOKS:
            original = getattr(self, name, None)
            if original is None:
                continue

            def record(*args, _name=name, _fn=original, **kwargs):
                called.append(_name)
                return _fn(*args, **kwargs)

            self.__dict__[name] = functools.update_wrapper(record, original)


def train_batch():
    return ["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
            "Callback.on_train_batch_start", "on_train_batch_start",
            "optimizer_step", "training_step", "Callback.on_before_zero_grad", "on_before_zero_grad",
            "optimizer_zero_grad", "Callback.on_before_backward", "on_before_backward", "backward",
            "Callback.on_after_backward", "on_after_backward", "Callback.on_before_optimizer_step",
            "on_before_optimizer_step", "configure_gradient_clipping",
            "Callback.on_train_batch_end", "on_train_batch_end"]


def eval_epoch(stage, batches):
    out = [f"Callback.on_{stage}_epoch_start", f"on_{stage}_epoch_start"]
    for _ in range(batches):
        out += ["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
                f"Callback.on_{stage}_batch_start", f"on_{stage}_batch_start", f"{stage}_step",
                f"Callback.on_{stage}_batch_end", f"on_{stage}_batch_end"]
    return out + [f"Callback.on_{stage}_epoch_end", f"on_{stage}_epoch_end"]


def validation(batches, sanity=False):
    out = ["Callback.on_sanity_check_start"] if sanity else []
    out += ["on_validation_model_zero_grad", "on_validation_model_eval",
                                     "Callback.on_validation_start", "on_validation_start",
                                     *eval_epoch("validation", batches), "Callback.on_validation_end",
                                     "on_validation_end", "on_validation_model_train"]
    return out + (["Callback.on_sanity_check_end"] if sanity else [])


def _trainer(tmp_path, callback, **kwargs):
    settings = dict(default_root_dir=tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=2,
                    enable_progress_bar=False, enable_model_summary=False, callbacks=[callback])
    return L.Trainer(**{**settings, **kwargs})


def test_fit_hook_order(tmp_path):
    called = []
    model, callback = HookedModel(called), HookedCallback(called)
    trainer = _trainer(tmp_path, callback)
    trainer.fit(model)
    batch = train_batch()
    expected = [
        "configure_callbacks", "prepare_data", "Callback.setup", "setup", "configure_optimizers",
        "Callback.on_fit_start", "on_fit_start", "val_dataloader", *validation(2, sanity=True), "train_dataloader",
        "Callback.on_train_start", "on_train_start", "Callback.on_train_epoch_start", "on_train_epoch_start",
        *batch, *batch, *validation(2), "Callback.on_train_epoch_end", "on_train_epoch_end",
        # the default ModelCheckpoint saves here (monitoring callbacks run after the module's hook)
        "Callback.state_dict", "Callback.on_save_checkpoint", "on_save_checkpoint",
        "lr_scheduler_step",  # the epoch-interval StepLR, after the epoch's hooks
        "Callback.on_train_end", "on_train_end", "Callback.on_fit_end", "on_fit_end", "Callback.teardown", "teardown",
    ]
    assert called == expected


def test_manual_optimization_hook_order(tmp_path):
    called = []

    class Manual(HookedModel):
        def __init__(self):
            super().__init__(called)
            self.automatic_optimization = False

        def training_step(self, batch, batch_idx):
            opt = self.optimizers()
            opt.zero_grad()
            loss = self.step(batch)
            self.manual_backward(loss)
            opt.step(lambda: called.append("closure"))
            return {"loss": loss}

    trainer = _trainer(tmp_path, HookedCallback(called), limit_val_batches=0, enable_checkpointing=False)
    model = Manual()
    del model.__dict__["training_step"]
    trainer.fit(model)
    per_batch = ["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
                 "Callback.on_train_batch_start", "on_train_batch_start", "Callback.on_before_backward",
                 "on_before_backward", "backward", "Callback.on_after_backward", "on_after_backward", "closure",
                 "Callback.on_before_optimizer_step", "on_before_optimizer_step", "Callback.on_train_batch_end",
                 "on_train_batch_end"]
    start = called.index("on_train_epoch_start") + 1
    assert called[start:start + 2 * len(per_batch)] == per_batch * 2
    assert trainer.global_step == 2


def test_resume_hook_order(tmp_path):
    trainer = _trainer(tmp_path, HookedCallback([]), limit_val_batches=0)
    trainer.fit(BoringModel())
    ckpt = trainer.checkpoint_callback.best_model_path
    called = []
    model, callback = HookedModel(called), HookedCallback(called)
    trainer = _trainer(tmp_path, callback, limit_val_batches=0, max_epochs=2)
    trainer.fit(model, ckpt_path=ckpt)
    assert called[:10] == ["configure_callbacks", "prepare_data", "Callback.setup", "setup", "on_load_checkpoint",
                           "Callback.on_load_checkpoint", "Callback.load_state_dict", "configure_optimizers",
                           "Callback.on_fit_start", "on_fit_start"]
    assert called.count("training_step") == 2  # only epoch 1 runs
    assert trainer.current_epoch == 2 and trainer.global_step == 4


@pytest.mark.parametrize("stage", ["validate", "test"])
def test_eval_hook_order(tmp_path, stage):
    called = []
    model, callback = HookedModel(called), HookedCallback(called)
    trainer = L.Trainer(default_root_dir=tmp_path, limit_val_batches=2, limit_test_batches=2,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[callback])
    getattr(trainer, stage)(model, verbose=False)
    name = "validation" if stage == "validate" else "test"
    loader = "val_dataloader" if stage == "validate" else "test_dataloader"
    end_mode = ["on_validation_model_train"] if stage == "validate" else ["on_test_model_train"]
    zero = ["on_validation_model_zero_grad"] if stage == "validate" else []
    assert called == ["configure_callbacks", "prepare_data", "Callback.setup", "setup", loader, *zero,
                      f"on_{name}_model_eval", f"Callback.on_{name}_start", f"on_{name}_start", *eval_epoch(name, 2),
                      f"Callback.on_{name}_end", f"on_{name}_end", *end_mode, "Callback.teardown", "teardown"]


def test_predict_hook_order(tmp_path):
    called = []
    model, callback = HookedModel(called), HookedCallback(called)
    trainer = L.Trainer(default_root_dir=tmp_path, limit_predict_batches=2, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[callback])
    out = trainer.predict(model)
    assert len(out) == 2 and tuple(out[0].shape) == (1, 2)
    batch = ["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
             "Callback.on_predict_batch_start", "on_predict_batch_start", "predict_step",
             "Callback.on_predict_batch_end", "on_predict_batch_end"]
    assert called == ["configure_callbacks", "prepare_data", "Callback.setup", "setup", "predict_dataloader",
                      "on_predict_model_eval", "Callback.on_predict_start", "on_predict_start",
                      "Callback.on_predict_epoch_start", "on_predict_epoch_start", *batch, *batch,
                      "Callback.on_predict_epoch_end", "on_predict_epoch_end", "Callback.on_predict_end",
                      "on_predict_end", "Callback.teardown", "teardown"]
