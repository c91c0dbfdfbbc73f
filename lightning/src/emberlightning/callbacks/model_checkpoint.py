"""ModelCheckpoint: save checkpoints periodically, keep the best ``save_top_k`` by a monitored metric."""

from __future__ import annotations

import math
import os
import re
import time

from ..utilities import MisconfigurationException
from .callback import Callback

__all__ = ["ModelCheckpoint"]

_GROUP = re.compile(r"\{\s*([^{}:]+?)\s*(?::([^{}]*))?\}")


class ModelCheckpoint(Callback):
    """Save checkpoints every ``every_n_epochs`` epochs / ``every_n_train_steps`` steps / ``train_time_interval``.

    With ``monitor`` it keeps the ``save_top_k`` best (``mode`` "min" or "max"); without, the latest.
    ``filename`` is a template such as ``"{epoch}-{val_loss:.2f}"`` (written ``epoch=3-val_loss=0.12``
    with ``auto_insert_metric_name``); ``save_last`` also writes ``last.ckpt``. The default folder
    is ``<logger.log_dir>/checkpoints`` (``<default_root_dir>/checkpoints`` without a logger).

    Example:
        >>> from emberlightning.callbacks import ModelCheckpoint
        >>> ModelCheckpoint(filename="{epoch}-{val_loss:.2f}").format_checkpoint_name({"epoch": 3, "val_loss": 0.123})
        'epoch=3-val_loss=0.12.ckpt'
    """

    CHECKPOINT_JOIN_CHAR = "-"
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"
    STARTING_VERSION = 1
    _monitors_metrics = True

    def __init__(self, dirpath=None, filename=None, monitor=None, verbose=False, save_last=None, save_top_k=1,
                 save_weights_only=False, mode="min", auto_insert_metric_name=True, every_n_train_steps=None,
                 train_time_interval=None, every_n_epochs=None, save_on_train_epoch_end=None,
                 enable_version_counter=True):
        if mode not in ("min", "max"):
            raise MisconfigurationException(f"`mode` can be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise MisconfigurationException(f"Invalid value for save_top_k={save_top_k}. Must be >= -1")
        if monitor is None and save_top_k not in (-1, 0, 1):
            raise MisconfigurationException(f"ModelCheckpoint(save_top_k={save_top_k}, monitor=None) is not a valid "
                                            "configuration. No quantity for top_k to track.")
        every_n_train_steps = every_n_train_steps or 0
        if every_n_epochs is None:
            every_n_epochs = 0 if every_n_train_steps or train_time_interval else 1
        if every_n_train_steps < 0 or every_n_epochs < 0:
            raise MisconfigurationException("`every_n_train_steps` and `every_n_epochs` must be >= 0")
        if sum(bool(x) for x in (every_n_train_steps, every_n_epochs, train_time_interval)) > 1:
            raise MisconfigurationException(f"Combination of parameters every_n_train_steps={every_n_train_steps}, "
                                            f"every_n_epochs={every_n_epochs} and train_time_interval="
                                            f"{train_time_interval} should be mutually exclusive.")
        self.dirpath = os.path.realpath(os.path.expanduser(os.fspath(dirpath))) if dirpath else None
        self.filename, self.monitor, self.verbose = filename, monitor, verbose
        self.save_last, self.save_top_k, self.save_weights_only = save_last, save_top_k, save_weights_only
        self.mode, self.auto_insert_metric_name = mode, auto_insert_metric_name
        self._every_n_train_steps, self._every_n_epochs = every_n_train_steps, every_n_epochs
        self._train_time_interval = train_time_interval
        self._save_on_train_epoch_end = save_on_train_epoch_end
        self._enable_version_counter = enable_version_counter
        self.best_k_models = {}
        self.kth_best_model_path = ""
        self.best_model_score = None
        self.best_model_path = ""
        self.last_model_path = ""
        self.current_score = None
        self.kth_value = math.inf if mode == "min" else -math.inf
        self._last_global_step_saved = 0
        self._last_time_checked = None

    @property
    def state_key(self):
        return self._generate_state_key(monitor=self.monitor, mode=self.mode,
                                        every_n_train_steps=self._every_n_train_steps,
                                        every_n_epochs=self._every_n_epochs,
                                        train_time_interval=self._train_time_interval)

    # --- hooks ---------------------------------------------------------------------------------
    def setup(self, trainer, pl_module, stage):
        if self.dirpath is None:
            logger = trainer.logger
            root = logger.log_dir if logger is not None and getattr(logger, "log_dir", None) else \
                trainer.default_root_dir
            self.dirpath = trainer.strategy.broadcast(os.path.join(root, "checkpoints"))  # rank 0's folder
        if self._save_on_train_epoch_end is None:
            self._save_on_train_epoch_end = trainer.val_check_interval == 1.0 and trainer.check_val_every_n_epoch == 1

    def on_train_start(self, trainer, pl_module):
        self._last_time_checked = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._should_skip(trainer):
            return
        if self._every_n_train_steps:
            if trainer.global_step % self._every_n_train_steps:
                return
        elif self._train_time_interval is not None:
            now = time.monotonic()
            if now - self._last_time_checked < self._train_time_interval.total_seconds():
                return
            self._last_time_checked = now
        else:
            return
        self._save(trainer)

    def on_train_epoch_end(self, trainer, pl_module):
        if not self._should_skip(trainer) and self._save_on_train_epoch_end and self._epoch_due(trainer):
            self._save(trainer)

    def on_validation_end(self, trainer, pl_module):
        if not self._should_skip(trainer) and not self._save_on_train_epoch_end and self._epoch_due(trainer):
            self._save(trainer)

    def _epoch_due(self, trainer):
        return self._every_n_epochs >= 1 and (trainer.current_epoch + 1) % self._every_n_epochs == 0

    def _should_skip(self, trainer):
        from ..states import TrainerFn

        return (bool(trainer.fast_dev_run) or trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking
                or self._last_global_step_saved == trainer.global_step)

    # --- saving --------------------------------------------------------------------------------
    def _save(self, trainer):
        candidates = self._monitor_candidates(trainer)
        self._last_global_step_saved = trainer.global_step
        if self.monitor is None:
            if self.save_top_k:
                self._save_latest(trainer, candidates)
        elif self.save_top_k:
            self._save_topk(trainer, candidates)
        if self.save_last:
            self._save_last(trainer, candidates)

    def _monitor_candidates(self, trainer):
        import ember

        candidates = dict(trainer.callback_metrics)
        candidates["epoch"] = ember.tensor(trainer.current_epoch)
        candidates["step"] = ember.tensor(trainer.global_step)
        return candidates

    def _save_latest(self, trainer, candidates):
        previous = self.best_model_path
        path = self._unique_path(trainer, self.format_checkpoint_name(candidates),
                                 previous if self.save_top_k != -1 else None)
        self.best_model_path = path
        self._write(trainer, path)
        if previous and previous != path and self.save_top_k != -1:
            self._remove(trainer, previous)

    def _save_topk(self, trainer, candidates):
        if self.monitor not in candidates:
            keys = sorted(k for k in candidates if k not in ("epoch", "step"))
            raise MisconfigurationException(
                f"`ModelCheckpoint(monitor={self.monitor!r})` could not find the monitored key in the returned "
                f"metrics: {keys}. HINT: Did you call `log({self.monitor!r}, value)` in the `LightningModule`?")
        current = float(candidates[self.monitor])
        self.current_score = current
        if math.isnan(current):
            current = math.inf if self.mode == "min" else -math.inf
        if not self._better_than_kth(current):
            return
        full = len(self.best_k_models) == self.save_top_k and self.save_top_k > 0
        path = self._unique_path(trainer, self.format_checkpoint_name(candidates),
                                 self.kth_best_model_path if full else None)
        if full:
            drop = self.kth_best_model_path
            self.best_k_models.pop(drop, None)
            if drop != path:
                self._remove(trainer, drop)
        self.best_k_models[path] = current
        worst = max if self.mode == "min" else min
        self.kth_best_model_path = worst(self.best_k_models, key=self.best_k_models.get)
        self.kth_value = self.best_k_models[self.kth_best_model_path]
        best = min if self.mode == "min" else max
        self.best_model_path = best(self.best_k_models, key=self.best_k_models.get)
        self.best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            print(f"Epoch {trainer.current_epoch}, global step {trainer.global_step}: {self.monitor!r} reached "
                  f"{current:.5f} (best {self.best_model_score:.5f}), saving model to {path!r} as top "
                  f"{self.save_top_k}")
        self._write(trainer, path)

    def _better_than_kth(self, current):
        if self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k:
            return True
        return current < self.kth_value if self.mode == "min" else current > self.kth_value

    def _save_last(self, trainer, candidates):
        previous = self.last_model_path
        path = self._unique_path(trainer, self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST), previous)
        self.last_model_path = path
        self._write(trainer, path)
        if previous and previous != path and previous not in self.best_k_models and previous != self.best_model_path:
            self._remove(trainer, previous)

    def _write(self, trainer, path):
        trainer.save_checkpoint(path, self.save_weights_only)
        for logger in trainer.loggers:
            logger.after_save_checkpoint(self)

    @staticmethod
    def _remove(trainer, path):
        if path and trainer.is_global_zero and os.path.exists(path):
            os.remove(path)

    def _unique_path(self, trainer, name, replacing):
        """``dirpath/name``, or ``name-vN`` when that file exists and is not the one being replaced (rank 0 decides)."""
        path = os.path.join(self.dirpath, name)
        if not self._enable_version_counter:
            return path
        return trainer.strategy.broadcast(self._free_path(path, name, replacing))

    def _free_path(self, path, name, replacing):
        version = self.STARTING_VERSION
        stem = name[:-len(self.FILE_EXTENSION)]
        while os.path.exists(path) and path != replacing:
            path = os.path.join(self.dirpath, f"{stem}{self.CHECKPOINT_JOIN_CHAR}v{version}{self.FILE_EXTENSION}")
            version += 1
        return path

    def format_checkpoint_name(self, metrics, filename=None, ver=None):
        """The file name for ``metrics`` from the ``filename`` template (default ``"{epoch}-{step}"``).

        Example:
            >>> from emberlightning.callbacks import ModelCheckpoint
            >>> ModelCheckpoint().format_checkpoint_name({"epoch": 2, "step": 40})
            'epoch=2-step=40.ckpt'
            >>> ModelCheckpoint(filename="best", auto_insert_metric_name=False).format_checkpoint_name({}, ver=2)
            'best-v2.ckpt'
        """
        template = filename or self.filename or "{epoch}" + self.CHECKPOINT_JOIN_CHAR + "{step}"

        def fill(match):
            name, spec = match.group(1), match.group(2) or ""
            value = metrics.get(name, 0)
            value = value.item() if hasattr(value, "item") else value
            text = format(value, spec)
            return f"{name}{self.CHECKPOINT_EQUALS_CHAR}{text}" if self.auto_insert_metric_name else text

        name = _GROUP.sub(fill, template)
        if ver is not None:
            name = f"{name}{self.CHECKPOINT_JOIN_CHAR}v{ver}"
        return name + self.FILE_EXTENSION

    def _find_last_checkpoint(self, trainer):
        """The newest ``last*.ckpt`` in ``dirpath`` (for ``fit(ckpt_path="last")`` in a new process)."""
        if self.dirpath is None or not os.path.isdir(self.dirpath):
            return ""
        found = [os.path.join(self.dirpath, f) for f in os.listdir(self.dirpath)
                 if f.startswith(self.CHECKPOINT_NAME_LAST) and f.endswith(self.FILE_EXTENSION)]
        return max(found, key=os.path.getmtime) if found else ""

    def to_yaml(self, filepath=None):
        """Write ``best_k_models`` (path: score) to ``best_k_models.yaml`` in ``dirpath``."""
        filepath = filepath or os.path.join(self.dirpath, "best_k_models.yaml")
        with open(filepath, "w") as fh:
            for path, score in self.best_k_models.items():
                fh.write(f"{path}: {score}\n")

    # --- state ---------------------------------------------------------------------------------
    def state_dict(self):
        return {"monitor": self.monitor, "best_model_score": self.best_model_score,
                "best_model_path": self.best_model_path, "current_score": self.current_score,
                "dirpath": self.dirpath, "best_k_models": dict(self.best_k_models),
                "kth_best_model_path": self.kth_best_model_path, "kth_value": self.kth_value,
                "last_model_path": self.last_model_path}

    def load_state_dict(self, state_dict):
        if state_dict.get("dirpath") == self.dirpath:
            self.best_model_score = state_dict["best_model_score"]
            self.best_model_path = state_dict["best_model_path"]
            self.current_score = state_dict["current_score"]
            self.best_k_models = dict(state_dict["best_k_models"])
            self.kth_best_model_path = state_dict["kth_best_model_path"]
            self.kth_value = state_dict["kth_value"]
            self.last_model_path = state_dict["last_model_path"]
        else:
            self.best_model_path = state_dict["best_model_path"]
