"""``DataParallel``: the single-process data-parallel wrapper.

Ember runs the wrapped module on one device: as is when no CUDA device is available,
else on ``device_ids[0]`` (inputs are moved there, outputs to ``output_device``). With
several ``device_ids`` the whole batch still runs on the first one: Ember does not
replicate the module across GPUs inside one process (use ``DistributedDataParallel``,
one process per GPU, for multi-GPU training).
"""

from __future__ import annotations

from ..._tensor import Tensor
from .module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wrap ``module`` for data parallelism; its state dict keys gain the prefix ``module.`` as in torch.

    Example:
        >>> import ember, ember.nn as nn
        >>> dp = nn.DataParallel(nn.Linear(2, 1))
        >>> dp(ember.ones(4, 2)).shape, list(dp.state_dict())
        (ember.Size([4, 1]), ['module.weight', 'module.bias'])
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ... import cuda

        self.module = module
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.dim = dim
        self.device_ids = [_index(d) for d in device_ids]
        self.output_device = _index(device_ids[0] if output_device is None else output_device)
        from ..._device import device

        self.src_device_obj = device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        src = self.src_device_obj
        for t in (*self.module.parameters(), *self.module.buffers()):
            if t.device != src:
                raise RuntimeError(f"module must have its parameters and buffers on device {src} (device_ids[0]) but "
                                   f"found one of them on device: {t.device}")
        out = self.module(*_moved(inputs, src), **_moved(kwargs, src))
        return out if self.output_device == self.device_ids[0] else _moved(out, f"cuda:{self.output_device}")


def _index(dev):
    """The CUDA index of an int, ``'cuda:i'`` string or device."""
    if isinstance(dev, int):
        return dev
    from ..._device import device

    return device(dev).index or 0


def _moved(tree, dev):
    """``tree`` (tensors in tuples, lists, dicts) with every tensor moved to ``dev``."""
    from ...func._pytree import flatten, unflatten

    leaves, spec = flatten(tree)
    return unflatten([t.to(dev) if isinstance(t, Tensor) else t for t in leaves], spec)
