"""Stochastic weight averaging and exponential moving averages of models, and the SWA lr schedule."""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

from .. import _dtype
from .._creation import tensor
from ..autograd.grad_mode import no_grad
from ..nn import Module
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import lerp_, touch

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _lerp_all(averaged, current, weight):
    """``a += weight * (c - a)`` in place for each pair (floating tensors), like torch's ``_foreach_lerp_``."""
    for a, c in zip(averaged, current):
        if a.is_floating_point():
            lerp_(a._be, a._data, c._data, weight)
            touch(a, "lerp_")
        else:
            a.copy_(a * (1 - weight) + c * weight)


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place exponential-moving-average update over lists of tensors (``AveragedModel(multi_avg_fn=...)``).

    Example:
        >>> import ember
        >>> avg, cur = [ember.tensor([0.0])], [ember.tensor([1.0])]
        >>> ember.optim.swa_utils.get_ema_multi_avg_fn(0.75)(avg, cur, 1); avg
        [tensor([0.2500])]
    """
    _check_decay(decay)

    def ema_update(ema_params, current_params, num_averaged):
        _lerp_all(ema_params, current_params, 1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running-mean update over lists of tensors (the default of :class:`AveragedModel`).

    Example:
        >>> import ember
        >>> avg, cur = [ember.tensor([1.0])], [ember.tensor([4.0])]
        >>> ember.optim.swa_utils.get_swa_multi_avg_fn()(avg, cur, 2); avg
        [tensor([2.])]
    """

    def swa_update(averaged_params, current_params, num_averaged):
        _lerp_all(averaged_params, current_params, 1 / (float(num_averaged) + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``avg_fn(ema, current, n) = decay * ema + (1 - decay) * current``.

    Example:
        >>> import ember
        >>> ember.optim.swa_utils.get_ema_avg_fn(0.5)(ember.tensor([0.0]), ember.tensor([1.0]), 3)
        tensor([0.5000])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """``avg_fn(avg, current, n) = avg + (current - avg) / (n + 1)``: the running mean.

    Example:
        >>> import ember
        >>> ember.optim.swa_utils.get_swa_avg_fn()(ember.tensor([1.0]), ember.tensor([4.0]), 2)
        tensor([2.])
    """

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the running average (or EMA) of ``model``'s.

    Args:
        model: the model to average.
        device: where to keep the averaged copy (default: where ``model`` is).
        avg_fn: ``avg_fn(averaged, current, n_averaged) -> new averaged`` per parameter.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n_averaged)`` updating in place.
        use_buffers: average the buffers too (otherwise they are copied).

    Example:
        >>> import ember
        >>> model = ember.nn.Linear(1, 1, bias=False)
        >>> swa = ember.optim.swa_utils.AveragedModel(model)
        >>> for w in (1.0, 2.0, 6.0):
        ...     with ember.no_grad():
        ...         _ = model.weight.fill_(w)
        ...     swa.update_parameters(model)
        >>> swa.module.weight.item(), swa.n_averaged.item()
        (3.0, 3)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy of the model.

        Example:
            >>> import ember
            >>> model = ember.nn.Linear(2, 1)
            >>> ember.optim.swa_utils.AveragedModel(model)(ember.ones(3, 2)).shape
            ember.Size([3, 1])
        """
        return self.module(*args, **kwargs)

    @no_grad()
    def update_parameters(self, model):
        """Fold ``model``'s current parameters into the average (the first call copies them).

        Example:
            >>> import ember
            >>> model = ember.nn.Linear(2, 1)
            >>> ema = ember.optim.swa_utils.AveragedModel(model, multi_avg_fn=ember.optim.swa_utils.get_ema_multi_avg_fn(0.9))
            >>> ema.update_parameters(model); int(ema.n_averaged)
            1
        """
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        mine = [p.detach() for p in mine]
        theirs = [p.detach().to(a.device) for a, p in zip(mine, theirs)]
        n = int(self.n_averaged)
        if n == 0:
            for a, p in zip(mine, theirs):
                a.copy_(p)
        elif self.avg_fn is not None:
            for a, p in zip(mine, theirs):
                a.copy_(self.avg_fn(a, p, self.n_averaged.to(a.device)))
        else:
            (self.multi_avg_fn or get_swa_multi_avg_fn())(mine, theirs, self.n_averaged)
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg.detach().copy_(b_model.detach().to(b_avg.device))
        self.n_averaged += 1


def _is_batchnorm(module):
    return hasattr(module, "running_mean") and hasattr(module, "reset_running_stats") and hasattr(module, "momentum")


@no_grad()
def update_bn(loader, model, device=None):
    """Recompute the running statistics of ``model``'s batch-norm layers with one pass over ``loader``.

    Example:
        >>> import ember
        >>> model = ember.nn.Linear(2, 2)
        >>> ember.optim.swa_utils.update_bn([ember.ones(4, 2)], model)  # no batch norm: nothing to do
    """
    momenta = {}
    for module in model.modules():
        if _is_batchnorm(module):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the whole pass
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


def _cosine_anneal(t):
    return (1 - math.cos(math.pi * t)) / 2


def _linear_anneal(t):
    return t


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` epochs, then hold it.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
        >>> lrs = [s.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); s.step(); lrs.append(round(s.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _set_anneal_func(self, strategy):
        self._anneal_strategy = strategy
        self.anneal_func = _cosine_anneal if strategy == "cos" else _linear_anneal

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        lrs = []
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            # recover the lr the annealing started from, then move to this epoch's blend
            start = swa if prev_alpha == 1 else (group["lr"] - prev_alpha * swa) / (1 - prev_alpha)
            lrs.append(swa * alpha + start * (1 - alpha))
        return lrs

    def state_dict(self):
        """The scheduler's state (without the optimizer and the annealing function)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
