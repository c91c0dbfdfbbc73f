"""Optimizers and learning-rate schedulers, with torch.optim's API.

Example:
    >>> import ember
    >>> w = ember.tensor([3.0], requires_grad=True)
    >>> opt = ember.optim.SGD([w], lr=0.25)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step(); sched.step()
    >>> w, sched.get_last_lr()
    (tensor([0.9844], requires_grad=True), [0.03125])
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS",
           "ASGD", "Rprop", "Adafactor", "Muon",
           "lr_scheduler", "swa_utils"]


def __getattr__(name):
    # swa_utils builds on ember.nn; import it on first use so ember.optim never depends on nn
    if name == "swa_utils":
        import importlib

        return importlib.import_module("ember.optim.swa_utils")
    raise AttributeError(f"module 'ember.optim' has no attribute '{name}'")
