"""ModelSummary: the table of a model's layers and parameter counts, printed when fit starts."""

from __future__ import annotations

from ..utilities import human_readable_count
from .callback import Callback

__all__ = ["ModelSummary", "summarize"]


def summarize(model, max_depth=1):
    """The summary table of ``model`` down to ``max_depth`` levels of sub-modules (-1: all), as text.

    Example:
        >>> import ember.nn as nn
        >>> from emberlightning.callbacks.model_summary import summarize
        >>> print(summarize(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))))
          | Name | Type   | Params | Mode
        ---------------------------------------
        0 | 0    | Linear | 40     | train
        1 | 1    | ReLU   | 0      | train
        2 | 2    | Linear | 18     | train
        ---------------------------------------
        58        Trainable params
        0         Non-trainable params
        58        Total params
        0.000     Total estimated model params size (MB)
        3         Modules in train mode
        0         Modules in eval mode
    """
    rows = []
    for name, module in model.named_modules():
        depth = name.count(".") + 1
        if not name or (max_depth != -1 and depth > max_depth):
            continue
        count = sum(p.numel() for p in module.parameters())
        rows.append((name, type(module).__name__, human_readable_count(count), "train" if module.training else "eval"))
    header = ("Name", "Type", "Params", "Mode")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    index_width = len(str(max(len(rows) - 1, 0)))

    def line(index, cells):
        return f"{index:<{index_width}} | " + " | ".join(f"{c:<{w}}" for c, w in zip(cells, widths))

    table = [line("", header)]
    rule = "-" * (len(table[0]) + 5)
    table.append(rule)
    table += [line(str(i), r) for i, r in enumerate(rows)]
    table.append(rule)
    params = list(model.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    total = sum(p.numel() for p in params)
    size_mb = sum(p.numel() * p.element_size() for p in params) / 1e6
    modules = [m for n, m in model.named_modules() if n]
    train_modes = sum(m.training for m in modules)
    table += [f"{human_readable_count(trainable):<10}Trainable params",
              f"{human_readable_count(total - trainable):<10}Non-trainable params",
              f"{human_readable_count(total):<10}Total params",
              f"{size_mb:<10.3f}Total estimated model params size (MB)",
              f"{train_modes:<10}Modules in train mode",
              f"{len(modules) - train_modes:<10}Modules in eval mode"]
    return "\n".join(row.rstrip() for row in table)


class ModelSummary(Callback):
    """Print :func:`summarize` of the LightningModule when ``fit`` starts.

    Example:
        >>> from emberlightning.callbacks import ModelSummary
        >>> ModelSummary(max_depth=2)._max_depth
        2
    """

    def __init__(self, max_depth=1, **summarize_kwargs):
        self._max_depth = max_depth

    def on_fit_start(self, trainer, pl_module):
        if self._max_depth != 0 and trainer.is_global_zero:
            print(summarize(pl_module, self._max_depth))
