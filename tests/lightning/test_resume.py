"""Resuming is exact: N epochs in one go == k epochs (or k steps) + resume, bit for bit, even after SIGKILL."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np

import ember

MODEL_CODE = textwrap.dedent('''
    import ember, ember.nn as nn, emberlightning as L
    from ember.utils.data import DataLoader, TensorDataset

    class Net(L.LightningModule):
        """Dropout (uses the RNG), AdamW, a per-step scheduler, shuffled data: everything resume must restore."""

        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            opt = ember.optim.AdamW(self.parameters(), lr=0.01)
            sched = ember.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.7)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def make():
        L.seed_everything(0)
        g = ember.Generator().manual_seed(123)
        x = ember.randn(44, 3, generator=g)
        y = (x ** 2).sum(1, keepdim=True)
        return Net(), DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)  # 6 batches, the last short

    def trainer(root, **kwargs):
        from emberlightning.callbacks import ModelCheckpoint
        ckpt = ModelCheckpoint(dirpath=os.path.join(root, "ckpt"), save_last=True, every_n_train_steps=1, save_top_k=0)
        return L.Trainer(default_root_dir=root, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[ckpt, *kwargs.pop("callbacks", [])], **kwargs)
''')

SCRIPT = "import os, signal, sys\n" + MODEL_CODE + textwrap.dedent('''
    class KillAt(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.global_step == int(sys.argv[3]):
                os.kill(os.getpid(), signal.SIGKILL)

    mode, root = sys.argv[1], sys.argv[2]
    model, loader = make()
    if mode == "kill":
        trainer(root, max_epochs=3, callbacks=[KillAt()]).fit(model, loader)
    else:
        trainer(root, max_epochs=3).fit(model, loader, ckpt_path="last" if mode == "resume" else None)
        ember.save(model.state_dict(), os.path.join(root, "final.pt"))
''')


def _namespace():
    ns = {"os": os}
    exec(MODEL_CODE, ns)
    return ns


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def _full_run(ns, root):
    model, loader = ns["make"]()
    ns["trainer"](str(root), max_epochs=3).fit(model, loader)
    return _weights(model)


def test_resume_at_epoch_boundary_is_exact(tmp_path):
    ns = _namespace()
    reference = _full_run(ns, tmp_path / "full")
    model, loader = ns["make"]()
    ns["trainer"](str(tmp_path / "split"), max_epochs=1).fit(model, loader)
    model, loader = ns["make"]()
    t = ns["trainer"](str(tmp_path / "split"), max_epochs=3)
    t.fit(model, loader, ckpt_path=str(tmp_path / "split" / "ckpt" / "last.ckpt"))
    assert t.global_step == 18 and t.current_epoch == 3
    _assert_identical(_weights(model), reference)


def test_resume_mid_epoch_is_exact(tmp_path):
    ns = _namespace()
    reference = _full_run(ns, tmp_path / "full")
    model, loader = ns["make"]()
    first = ns["trainer"](str(tmp_path / "split"), max_steps=9)  # stops inside epoch 1
    first.fit(model, loader)
    assert first.global_step == 9
    model, loader = ns["make"]()
    t = ns["trainer"](str(tmp_path / "split"), max_epochs=3)
    t.fit(model, loader, ckpt_path="last")
    assert t.global_step == 18
    _assert_identical(_weights(model), reference)


def test_resume_after_sigkill_is_exact(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(mode, root, *extra):
        return subprocess.run([sys.executable, str(script), mode, str(root), *extra], env=env, capture_output=True,
                              text=True, timeout=120)

    killed = run("kill", tmp_path / "run", "8")  # killed in epoch 1, after step 8 (last.ckpt is from step 7)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    saved = ember.load(tmp_path / "run" / "ckpt" / "last.ckpt")
    assert saved["global_step"] == 7 and saved["loops"]["fit_loop"]["batches_done"] == 1
    resumed = run("resume", tmp_path / "run")
    assert resumed.returncode == 0, resumed.stderr
    full = run("full", tmp_path / "full")
    assert full.returncode == 0, full.stderr
    a, b = ember.load(tmp_path / "run" / "final.pt"), ember.load(tmp_path / "full" / "final.pt")
    _assert_identical({k: v.numpy() for k, v in a.items()}, {k: v.numpy() for k, v in b.items()})
