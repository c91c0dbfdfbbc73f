"""What ``configure_optimizers`` may return, and the optimizer wrapper handed to LightningModules."""

from __future__ import annotations

from dataclasses import dataclass

from .utilities import MisconfigurationException

__all__ = ["LRSchedulerConfig", "LightningOptimizer", "init_optimizers_and_lr_schedulers"]

_SCHEDULER_KEYS = {"scheduler", "name", "interval", "frequency", "monitor", "strict", "reduce_on_plateau", "opt_idx"}


@dataclass
class LRSchedulerConfig:
    """How the Trainer steps one LR scheduler: every ``frequency`` ``interval`` s ("epoch" or "step").

    Example:
        >>> import ember
        >>> from emberlightning.optim import LRSchedulerConfig
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> LRSchedulerConfig(ember.optim.lr_scheduler.StepLR(opt, 2), interval="step").frequency
        1
    """

    scheduler: object
    name: str | None = None
    interval: str = "epoch"
    frequency: int = 1
    reduce_on_plateau: bool = False
    monitor: str | None = None
    strict: bool = True


def _is_optimizer(obj):
    from ember.optim import Optimizer

    return isinstance(obj, Optimizer)


def _is_plateau(scheduler):
    from ember.optim.lr_scheduler import ReduceLROnPlateau

    return isinstance(scheduler, ReduceLROnPlateau)


def _scheduler_config(item, monitor=None):
    if isinstance(item, dict):
        if "scheduler" not in item:
            raise MisconfigurationException(
                'The lr scheduler dict must have the key "scheduler" with its item being an lr scheduler')
        extra = set(item) - _SCHEDULER_KEYS
        if extra:
            raise MisconfigurationException(f"Found unsupported keys in the lr scheduler dict: {sorted(extra)}. "
                                            f"Allowed keys: {sorted(_SCHEDULER_KEYS)}")
        if item.get("interval", "epoch") not in ("epoch", "step"):
            raise MisconfigurationException('The "interval" key in lr scheduler dict must be "step" or "epoch"'
                                            f' but is "{item["interval"]}"')
        config = {k: v for k, v in item.items() if k != "opt_idx"}
        config.setdefault("reduce_on_plateau", _is_plateau(item["scheduler"]))
        config.setdefault("monitor", monitor)
    else:
        config = {"scheduler": item, "reduce_on_plateau": _is_plateau(item), "monitor": monitor}
    if config["reduce_on_plateau"] and config.get("monitor") is None:
        raise MisconfigurationException(
            "`configure_optimizers` must include a monitor when a `ReduceLROnPlateau` scheduler is used. For example:"
            ' {"optimizer": optimizer, "lr_scheduler": scheduler, "monitor": "metric_to_track"}')
    return LRSchedulerConfig(**config)


def init_optimizers_and_lr_schedulers(model):
    """Call ``model.configure_optimizers()`` and normalise its answer to ``(optimizers, [LRSchedulerConfig])``.

    Example:
        >>> import ember, ember.nn as nn, emberlightning as L
        >>> from emberlightning.optim import init_optimizers_and_lr_schedulers
        >>> class M(L.LightningModule):
        ...     def __init__(self): super().__init__(); self.w = nn.Linear(1, 1)
        ...     def configure_optimizers(self):
        ...         opt = ember.optim.SGD(self.parameters(), lr=1.0)
        ...         return {"optimizer": opt, "lr_scheduler": {"scheduler": ember.optim.lr_scheduler.StepLR(opt, 1),
        ...                                                     "interval": "step"}}
        >>> opts, configs = init_optimizers_and_lr_schedulers(M())
        >>> len(opts), configs[0].interval
        (1, 'step')
    """
    conf = model.configure_optimizers()
    if conf is None:
        return [], []
    optimizers, schedulers, monitor = [], [], None
    if _is_optimizer(conf):
        optimizers = [conf]
    elif isinstance(conf, dict):
        conf = [conf]
    elif (isinstance(conf, (list, tuple)) and len(conf) == 2 and isinstance(conf[0], (list, tuple))
          and all(_is_optimizer(o) for o in conf[0])):
        optimizers = list(conf[0])
        scheds = conf[1] if isinstance(conf[1], (list, tuple)) else [conf[1]]
        schedulers = [_scheduler_config(s) for s in scheds]
    if isinstance(conf, (list, tuple)) and not optimizers:
        if all(isinstance(d, dict) for d in conf):
            for d in conf:
                if "optimizer" not in d:
                    raise MisconfigurationException(
                        'A dict returned by `configure_optimizers` must have the key "optimizer"; got keys '
                        f"{sorted(d)}")
                extra = set(d) - {"optimizer", "lr_scheduler", "monitor"}
                if extra:
                    raise MisconfigurationException(f"Found unsupported keys in the optimizer configuration: "
                                                    f"{sorted(extra)}")
                optimizers.append(d["optimizer"])
                monitor = d.get("monitor")
                if d.get("lr_scheduler") is not None:
                    schedulers.append(_scheduler_config(d["lr_scheduler"], monitor))
        elif all(_is_optimizer(o) for o in conf):
            optimizers = list(conf)
    if not optimizers or not all(_is_optimizer(o) for o in optimizers):
        raise MisconfigurationException(
            "Unknown configuration for model optimizers. Output from `model.configure_optimizers()` should be one of:\n"
            " * `Optimizer`\n * [`Optimizer`]\n * ([`Optimizer`], [`LRScheduler`])\n"
            ' * {"optimizer": `Optimizer`, (optional) "lr_scheduler": `LRScheduler`}\n'
            f"but got {type(conf).__name__}: {conf!r}")
    return optimizers, schedulers


class LightningOptimizer:
    """Wraps an optimizer so ``step()`` runs the Trainer's hooks (and counts steps) around the real step.

    Everything else (``zero_grad``, ``param_groups``, ``state_dict``...) is the wrapped optimizer's.

    Example:
        >>> import ember
        >>> from emberlightning.optim import LightningOptimizer
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> LightningOptimizer(opt, None).param_groups[0]["lr"]
        0.1
    """

    def __init__(self, optimizer, trainer):
        self._optimizer = optimizer
        self._trainer = trainer

    @property
    def optimizer(self):
        """The wrapped optimizer."""
        return self._optimizer

    def step(self, closure=None, **kwargs):
        """Run ``closure`` (if any), the before-step hooks, then the wrapped optimizer's step."""
        from . import loop

        return loop.optimizer_step(self._trainer, self._optimizer, closure, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__dict__["_optimizer"], name)

    def __repr__(self):
        return f"LightningOptimizer({self._optimizer!r})"
