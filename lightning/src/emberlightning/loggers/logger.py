"""Logger: the base class of experiment loggers, and the versioned-folder logic they share."""

from __future__ import annotations

import os

__all__ = ["Logger", "FolderLogger", "next_version"]


def next_version(root):
    """The next free ``version_N`` number under ``root`` (0 when there is none).

    Example:
        >>> import os, tempfile
        >>> from emberlightning.loggers.logger import next_version
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "version_3"))
        >>> next_version(root)
        4
    """
    if not os.path.isdir(root):
        return 0
    found = [int(d[len("version_"):]) for d in os.listdir(root)
             if d.startswith("version_") and d[len("version_"):].isdigit() and os.path.isdir(os.path.join(root, d))]
    return max(found) + 1 if found else 0


class Logger:
    """Receives metrics (``log_metrics``) and hyperparameters (``log_hyperparams``) from the Trainer.

    Subclasses implement ``name``, ``version``, ``log_metrics`` and ``log_hyperparams``; ``save``,
    ``finalize`` and ``after_save_checkpoint`` are optional.

    Example:
        >>> from emberlightning.loggers import Logger
        >>> class PrintLogger(Logger):
        ...     name, version = "print", 0
        ...     def log_metrics(self, metrics, step=None): print(step, metrics)
        ...     def log_hyperparams(self, params): pass
        >>> PrintLogger().log_metrics({"loss": 0.5}, step=3)
        3 {'loss': 0.5}
    """

    @property
    def name(self):
        """The experiment name."""
        return None

    @property
    def version(self):
        """The experiment version (an int or a string)."""
        return None

    @property
    def root_dir(self):
        """Where this logger's versions live (None for loggers without files)."""
        return None

    @property
    def log_dir(self):
        """The folder of this version (None for loggers without files)."""
        return None

    @property
    def save_dir(self):
        """The folder passed as ``save_dir``."""
        return None

    @property
    def group_separator(self):
        """What separates metric groups in names (``"train/loss"``)."""
        return "/"

    def log_metrics(self, metrics, step=None):
        """Record ``metrics`` (name -> number) at ``step``."""
        raise NotImplementedError

    def log_hyperparams(self, params, *args, **kwargs):
        """Record the run's hyperparameters."""
        raise NotImplementedError

    def log_graph(self, model, input_array=None):
        """Record the model graph (optional)."""

    def save(self):
        """Flush what was logged."""

    def finalize(self, status):
        """Called once the run ends with ``status`` "success" or "failed"."""
        self.save()

    def after_save_checkpoint(self, checkpoint_callback):
        """Called after ModelCheckpoint writes a checkpoint."""


class FolderLogger(Logger):
    """A logger writing into ``<save_dir>/<name>/version_<N>`` (or ``<name>/<version>`` when named).

    Subclasses call ``_init_folder(save_dir, name, version)``; the version number is picked, on first
    use, as one past the highest ``version_N`` already there.

    Example:
        >>> import tempfile
        >>> from emberlightning.loggers.logger import FolderLogger
        >>> class Files(FolderLogger):
        ...     def __init__(self, root):
        ...         self._init_folder(root, "runs", None)
        >>> Files(tempfile.mkdtemp()).log_dir.endswith("runs/version_0")
        True
    """

    def _init_folder(self, save_dir, name, version):
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version

    @property
    def name(self):
        return self._name

    @property
    def version(self):
        if self._version is None:
            self._version = next_version(self.root_dir)
        return self._version

    @property
    def save_dir(self):
        return self._save_dir

    @property
    def root_dir(self):
        return os.path.join(self._save_dir, self._name)

    @property
    def log_dir(self):
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        return os.path.join(self.root_dir, version)
