"""TensorBoardLogger: real TensorBoard event files (scalars, hparams, images, histograms, text), no TensorFlow."""

from __future__ import annotations

import os
import socket
import time

from . import _tfevents, _yaml
from .logger import FolderLogger

__all__ = ["TensorBoardLogger", "SummaryWriter"]


def _numpy(value):
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class SummaryWriter:
    """Writes one ``events.out.tfevents.*`` file in ``log_dir`` (the subset of torch's SummaryWriter API used here).

    Example:
        >>> import tempfile
        >>> from emberlightning.loggers.tensorboard import SummaryWriter
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.add_scalar("loss", 1.5, global_step=0); w.close()
        >>> os.path.basename(w.path).startswith("events.out.tfevents.")
        True
    """

    def __init__(self, log_dir, flush_secs=120, filename_suffix=""):
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.0{filename_suffix}"
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self._flush_secs = flush_secs
        self._last_flush = time.monotonic()
        self._write(_tfevents.event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, data):
        self._file.write(_tfevents.record(data))
        if time.monotonic() - self._last_flush > self._flush_secs:
            self.flush()

    def _add(self, step, *values, walltime=None):
        summary = _tfevents.summary(*values)
        self._write(_tfevents.event(time.time() if walltime is None else walltime, int(step or 0), summary))

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
        """Record one scalar."""
        self._add(global_step, _tfevents.scalar_value(tag, float(scalar_value)), walltime=walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Record several scalars as ``main_tag/tag``."""
        for tag, value in tag_scalar_dict.items():
            self.add_scalar(f"{main_tag}/{tag}", value, global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Record an image (floats in [0, 1] or uint8), laid out as ``dataformats`` ("CHW", "HWC", "HW")."""
        import numpy as np

        img = _numpy(img_tensor)
        if dataformats == "CHW":
            img = img.transpose(1, 2, 0)
        elif dataformats == "HW":
            img = img[:, :, None]
        elif dataformats != "HWC":
            raise ValueError(f"add_image: dataformats must be 'CHW', 'HWC' or 'HW', got {dataformats!r}")
        if img.dtype != np.uint8:
            img = (np.clip(img, 0.0, 1.0) * 255).round().astype(np.uint8)
        height, width, channels = img.shape
        self._add(global_step, _tfevents.image_value(tag, height, width, channels, _tfevents.png(img)),
                  walltime=walltime)

    def add_histogram(self, tag, values, global_step=None, bins=30, walltime=None):
        """Record a histogram of ``values``."""
        self._add(global_step, _tfevents.histogram_value(tag, _numpy(values), bins if isinstance(bins, int) else 30),
                  walltime=walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Record a text entry."""
        self._add(global_step, _tfevents.text_value(tag, text_string), walltime=walltime)

    def add_hparams(self, hparam_dict, metric_dict=None, global_step=None):
        """Record hyperparameters for TensorBoard's HPARAMS tab (and the metrics that go with them)."""
        metric_dict = metric_dict or {}
        self._add(global_step, *_tfevents.hparams_values(hparam_dict, list(metric_dict), time.time()))
        for tag, value in metric_dict.items():
            self.add_scalar(tag, value, global_step)

    def flush(self):
        self._file.flush()
        self._last_flush = time.monotonic()

    def close(self):
        if not self._file.closed:
            self._file.close()


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

    ``experiment`` is a :class:`SummaryWriter` (``add_scalar``, ``add_image``, ``add_histogram``,
    ``add_text``, ``add_hparams``). Hyperparameters also go to ``hparams.yaml``; with
    ``default_hp_metric`` an ``hp_metric`` of -1 is logged with them.

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
            self._experiment = SummaryWriter(self.log_dir, **self._kwargs)
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
        if flat:
            self.experiment.add_hparams(flat, metrics or {})
        elif metrics:
            for tag, value in metrics.items():
                self.experiment.add_scalar(tag, value, 0)

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
