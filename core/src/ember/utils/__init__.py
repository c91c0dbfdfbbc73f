"""Utilities (``ember.utils``): data loading lives in ``ember.utils.data``.

Like ``torch.utils``, the submodules are reachable as attributes after ``import ember``:

Example:
    >>> import ember
    >>> ember.utils.data.TensorDataset(ember.zeros(2))[1]
    (tensor(0.),)
"""

import importlib as _importlib


def __getattr__(name):
    if name in ("data", "download", "checkpoint", "hooks", "tensorboard"):
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
