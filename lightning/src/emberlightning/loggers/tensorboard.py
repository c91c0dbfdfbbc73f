"""TensorBoardLogger: real TensorBoard event files (scalars, hparams, images, histograms, text), no TensorFlow.

The writer is ember's own ``ember.utils.tensorboard.SummaryWriter`` (torch's API and file format), as
Lightning's logger uses torch's.
"""

from __future__ import annotations

import os

from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard import _hparams, _proto

from . import _yaml
from .logger import FolderLogger

__all__ = ["TensorBoardLogger"]


def _flatten(params, prefix=""):
    flat = {}
    for key, value in params.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return flat


class TensorBoardLogger(FolderLogger):
    """Log to TensorBoard event files in ``<save_dir>/<name>/version_<N>`` (``sub_dir`` appended if given).

    ``experiment`` is an ``ember.utils.tensorboard.SummaryWriter`` (``add_scalar``, ``add_image``,
    ``add_histogram``, ``add_text``, ...; ``**kwargs`` go to it). Hyperparameters are written to its
    event file for TensorBoard's HPARAMS tab and also to ``hparams.yaml``; with ``default_hp_metric``
    an ``hp_metric`` of -1 is logged with them.

    Example:
        >>> import tempfile
        >>> from emberlightning.loggers import TensorBoardLogger
        >>> logger = TensorBoardLogger(tempfile.mkdtemp()); logger.log_metrics({"loss": 0.25}, step=1)
        >>> logger.finalize("success"); logger.version
        0
    """

    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(self, save_dir, name="lightning_logs", version=None, log_graph=False, default_hp_metric=True,
                 prefix="", sub_dir=None, **kwargs):
        self._init_folder(save_dir, name, version)
        self._sub_dir = None if sub_dir is None else os.fspath(sub_dir)
        self._default_hp_metric = default_hp_metric
        self._prefix = prefix
        self._kwargs = kwargs
        self._experiment = None
        self.hparams = {}

    @property
    def log_dir(self):
        path = super().log_dir
        return os.path.join(path, self._sub_dir) if self._sub_dir else path

    @property
    def experiment(self):
        """The :class:`SummaryWriter` (created on first use)."""
        if self._experiment is None:
            self._experiment = SummaryWriter(log_dir=self.log_dir, **self._kwargs)
        return self._experiment

    def log_metrics(self, metrics, step=None):
        for key, value in metrics.items():
            tag = f"{self._prefix}-{key}" if self._prefix else key
            if isinstance(value, dict):
                self.experiment.add_scalars(tag, value, step)
            else:
                self.experiment.add_scalar(tag, value.item() if hasattr(value, "item") else value, step)

    def log_hyperparams(self, params, metrics=None):
        params = dict(params)
        self.hparams.update(params)
        if metrics is None and self._default_hp_metric:
            metrics = {"hp_metric": -1}
        flat = _flatten(params)
        if flat:  # the three hparams-plugin records in the run's own file, as Lightning writes them
            writer = self.experiment._get_file_writer()
            for value in _hparams.hparams(flat, metrics or {}):
                writer.add_summary(_proto.summary(value))
        if metrics:
            self.log_metrics(metrics, 0)

    def save(self):
        if self._experiment is not None:
            self._experiment.flush()
        if self.hparams:
            os.makedirs(self.log_dir, exist_ok=True)
            with open(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w") as fh:
                fh.write(_yaml.dump(self.hparams))

    def finalize(self, status):
        self.save()
        if self._experiment is not None:
            self._experiment.close()
            self._experiment = None
