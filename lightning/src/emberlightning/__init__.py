"""emberlightning: a Lightning-style Trainer for Ember (``import emberlightning as L``).

The training loop is one short module (``emberlightning.loop``); the rest mirrors PyTorch
Lightning's public API: ``LightningModule``, ``LightningDataModule``, ``Trainer``, callbacks,
loggers and ``seed_everything``. Submodules load on first use.

Example:
    >>> import emberlightning as L
    >>> L.Trainer, L.LightningModule
    (<class 'emberlightning.trainer.Trainer'>, <class 'emberlightning.module.LightningModule'>)
"""

from __future__ import annotations

import importlib as _importlib

__version__ = "0.1.0"

_LAZY = {
    "LightningModule": "module", "LightningDataModule": "datamodule", "Trainer": "trainer",
    "Callback": "callbacks", "seed_everything": "seed",
}
_SUBMODULES = {"callbacks", "loggers", "loop", "trainer", "module", "datamodule", "seed", "checkpoint", "optim",
               "demos", "states", "strategies", "utilities"}

__all__ = ["LightningModule", "LightningDataModule", "Trainer", "Callback", "seed_everything", "callbacks",
           "loggers", "strategies", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(f"emberlightning.{_LAZY[name]}"), name)
    if name in _SUBMODULES:
        return _importlib.import_module(f"emberlightning.{name}")
    raise AttributeError(f"module 'emberlightning' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
