"""A debug check for the classic autograd leak: graphs kept alive across training steps."""

from __future__ import annotations

import gc
import warnings

from .node import Op


class GraphGrowthWarning(UserWarning):
    """The number of live autograd nodes kept growing from one training step to the next."""


class GraphGrowthCheck:
    """Call :meth:`step` once per training step; warns when live autograd nodes grow ``patience`` times in a row.

    The leak it catches is ``total_loss += loss`` (instead of ``loss.item()``): every
    step's graph stays reachable from ``total_loss``. Counting walks the garbage
    collector's objects, so use it in debugging runs, not in production loops.

    Example:
        >>> import warnings, ember
        >>> check, total, w = ember.autograd.GraphGrowthCheck(patience=3), 0, ember.ones(2, requires_grad=True)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     for _ in range(6):
        ...         total = total + (w * 2).sum()   # the leak: should be (w * 2).sum().item()
        ...         check.step()
        >>> any(issubclass(c.category, ember.autograd.GraphGrowthWarning) for c in caught)
        True
    """

    def __init__(self, patience=5):
        self.patience, self.counts, self.warned = patience, [], False

    @staticmethod
    def live_nodes():
        """The number of autograd nodes alive right now."""
        return sum(1 for o in gc.get_objects() if issubclass(type(o), Op))  # type(): no __class__ lookups on foreign proxies

    def step(self):
        self.counts.append(self.live_nodes())
        recent = self.counts[-self.patience - 1:]
        if (not self.warned and len(recent) > self.patience
                and all(b > a for a, b in zip(recent, recent[1:]))):
            self.warned = True
            warnings.warn(f"live autograd nodes grew for {self.patience} steps in a row ({recent}); is a tensor "
                          "that requires grad being accumulated across steps (use loss.item() or .detach())?",
                          GraphGrowthWarning, stacklevel=2)
