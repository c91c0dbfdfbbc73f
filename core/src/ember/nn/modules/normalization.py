"""nn.Module classes: batch, instance, layer, group, RMS and local response normalisation."""

from __future__ import annotations

from ... import _creation, _dtype
from ...autograd.grad_mode import no_grad
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm",
]


class _NormBase(Module):
    """Shared state of batch and instance norm: affine parameters and running statistics buffers."""

    _dims = ()  # accepted input ndims
    _dims_msg = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", _creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", _creation.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Zero the running mean and batch count, reset the running variance to one."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running statistics, then ``weight = 1`` and ``bias = 0``."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"expected {self._dims_msg} input (got {input.ndim}D input)")

    def _factor(self):
        """The running-average factor of this step: ``momentum``, or ``1 / batches`` when it is None."""
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                return 1.0 / float(self.num_batches_tracked.item())
        return 0.0 if self.momentum is None else self.momentum


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = self._factor()
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input; running stats for eval mode.

    Example:
        >>> import ember
        >>> bn = ember.nn.BatchNorm1d(2)
        >>> y = bn(ember.tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0.2000, 0.4000]), tensor(1))
    """

    _dims, _dims_msg = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.nn.BatchNorm2d(3)
        BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    _dims, _dims_msg = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.nn.BatchNorm3d(2)(ember.randn(2, 2, 2, 2, 2)).shape
        ember.Size([2, 2, 2, 2, 2])
    """

    _dims, _dims_msg = (5,), "5D"


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over ``(N, C, *)`` input whose statistics would be shared across processes.

    In a single process (no ``ember.distributed`` group of more than one rank) it is exactly
    :class:`BatchNorm1d`/``2d``/``3d``; cross-process statistics are not implemented, so training
    with a world size above one raises instead of silently using per-process statistics.

    Example:
        >>> import ember, ember.nn as nn
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)))
        >>> type(model[1]).__name__, model(ember.ones(2, 1, 3, 3)).shape
        ('SyncBatchNorm', ember.Size([2, 2, 3, 3]))
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input):
        if self.training and _world_size(self.process_group) > 1:
            raise NotImplementedError("SyncBatchNorm: synchronising batch statistics across processes is not "
                                      "implemented in Ember; use BatchNorm (per-process statistics) instead")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm layer in ``module`` (recursively) by a SyncBatchNorm with the same state."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            converted.load_state_dict(module.state_dict())
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module


def _world_size(group):
    import sys

    dist = sys.modules.get("ember.distributed")
    if dist is None or not dist.is_initialized():
        return 1
    return dist.get_world_size(group)


class _InstanceNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.ndim == self._dims[0]
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim=1 to match num_features ({self.num_features}), but "
                                 f"got: {x.shape[1]}.")
            import warnings

            warnings.warn("input's size at dim=1 does not match num_features. You can silence this warning by not "
                          "passing in num_features, which is not used because affine=False", stacklevel=2)
        use_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_stats,
                            0.1 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of ``(N, C, L)`` or ``(C, L)`` input (no affine, no running stats by default).

    Example:
        >>> import ember
        >>> ember.nn.InstanceNorm1d(1)(ember.tensor([[[1.0, 3.0]]]))
        tensor([[[-1.0000,  1.0000]]])
    """

    _dims, _dims_msg = (2, 3), "2D or 3D"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.nn.InstanceNorm2d(3)
        InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """

    _dims, _dims_msg = (3, 4), "3D or 4D"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.nn.InstanceNorm3d(2)(ember.randn(2, 2, 2, 2, 2)).shape
        ember.Size([2, 2, 2, 2, 2])
    """

    _dims, _dims_msg = (4, 5), "4D or 5D"


def _shape(normalized_shape):
    return (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)


def _affine_parameters(module, shape, affine, bias, device, dtype):
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None when not affine / no bias."""
    module.register_parameter("weight", Parameter(_creation.ones(shape, device=device, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(_creation.zeros(shape, device=device, dtype=dtype))
                              if affine and bias else None)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims, with elementwise ``weight`` and ``bias``.

    Example:
        >>> import ember
        >>> m = ember.nn.LayerNorm(2)
        >>> m, m(ember.tensor([[1.0, 3.0]])).tolist()
        (LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=True), [[-0.9999949932098389, 0.9999949932098389]])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape, self.eps, self.elementwise_affine = _shape(normalized_shape), eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self):
        """``weight = 1``, ``bias = 0``."""
        _reset_affine(self)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(Module):
    """Normalise each sample over ``num_groups`` groups of channels, with per-channel ``weight`` and ``bias``.

    Example:
        >>> import ember
        >>> ember.nn.GroupNorm(2, 4)(ember.randn(3, 4, 5)).shape
        ember.Size([3, 4, 5])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, num_channels, affine, bias, device, dtype)

    def reset_parameters(self):
        """``weight = 1``, ``bias = 0``."""
        _reset_affine(self)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing dims (``eps`` None: the dtype's machine epsilon).

    Example:
        >>> import ember
        >>> ember.nn.RMSNorm(2)
        RMSNorm((2,), eps=None, elementwise_affine=True)
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape, self.eps, self.elementwise_affine = _shape(normalized_shape), eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.ones(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        """``weight = 1``."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)


class LocalResponseNorm(Module):
    """Normalise each value by its neighbourhood over ``size`` adjacent channels.

    Example:
        >>> import ember
        >>> ember.nn.LocalResponseNorm(2)
        LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)
