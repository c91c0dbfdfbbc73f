"""CSVLogger: metrics to ``<save_dir>/<name>/version_<N>/metrics.csv`` and hyperparameters to ``hparams.yaml``."""

from __future__ import annotations

import csv
import os

from . import _yaml
from .logger import FolderLogger

__all__ = ["CSVLogger"]


class CSVLogger(FolderLogger):
    """Log to CSV files in a new ``version_N`` folder per run (``version`` may name it instead).

    ``metrics.csv`` has one row per logging call with columns ``epoch``, ``step`` and every metric
    seen so far (sorted); when new metrics appear the file is rewritten with the wider header.
    Rows are flushed every ``flush_logs_every_n_steps`` calls and when the run ends.

    Example:
        >>> import tempfile
        >>> from emberlightning.loggers import CSVLogger
        >>> logger = CSVLogger(tempfile.mkdtemp(), name="demo")
        >>> logger.log_metrics({"loss": 0.5, "epoch": 0}, step=0); logger.save()
        >>> import pathlib; pathlib.Path(logger.log_dir, "metrics.csv").read_text().splitlines()
        ['epoch,loss,step', '0,0.5,0']
    """

    NAME_HPARAMS_FILE = "hparams.yaml"
    NAME_METRICS_FILE = "metrics.csv"

    def __init__(self, save_dir, name="lightning_logs", version=None, prefix="", flush_logs_every_n_steps=100):
        self._init_folder(save_dir, name, version)
        self._prefix = prefix
        self._flush_every = flush_logs_every_n_steps
        self.hparams = {}
        self.metrics = []  # rows not yet written
        self.metrics_keys = []
        self._written_rows = 0

    @property
    def experiment(self):
        """This logger (the writer itself); creates the version folder."""
        os.makedirs(self.log_dir, exist_ok=True)
        return self

    def log_hyperparams(self, params, *args, **kwargs):
        self.hparams.update(dict(params))
        self.save()

    def log_metrics(self, metrics, step=None):
        row = {(f"{self._prefix}-{k}" if self._prefix else k): (v.item() if hasattr(v, "item") else v)
               for k, v in metrics.items()}
        row["step"] = self._written_rows + len(self.metrics) if step is None else step
        self.metrics.append(row)
        if self._flush_every and (self._written_rows + len(self.metrics)) % self._flush_every == 0:
            self.save()

    def save(self):
        """Write the pending rows (rewriting the file when new columns appeared) and ``hparams.yaml``."""
        directory = self.experiment.log_dir
        if self.hparams:
            with open(os.path.join(directory, self.NAME_HPARAMS_FILE), "w") as fh:
                fh.write(_yaml.dump(self.hparams))
        if not self.metrics:
            return
        path = os.path.join(directory, self.NAME_METRICS_FILE)
        new_keys = sorted({k for row in self.metrics for k in row} - set(self.metrics_keys))
        rows, mode = self.metrics, "a"
        if new_keys:
            old_rows = []
            if self._written_rows and os.path.exists(path):
                with open(path, newline="") as fh:
                    old_rows = list(csv.DictReader(fh))
            self.metrics_keys = sorted(self.metrics_keys + new_keys)
            rows, mode = old_rows + self.metrics, "w"
        with open(path, mode, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.metrics_keys)
            if mode == "w":
                writer.writeheader()
            writer.writerows(rows)
        self._written_rows += len(self.metrics)
        self.metrics = []

    def finalize(self, status):
        if self._written_rows or self.metrics or self.hparams:
            self.save()
