"""Neural-network layers, losses and containers (``ember.nn``), mirroring ``torch.nn``.

Example:
    >>> import ember.nn as nn
    >>> nn.Linear(2, 1)
    Linear(in_features=2, out_features=1, bias=True)
"""

from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
import importlib as _importlib  # noqa: E402

# torch.nn.attention (the SDPA backend switches); the star import above bound the name to modules.attention
attention = _importlib.import_module(".attention", __name__)
