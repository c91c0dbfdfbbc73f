"""nn.Module classes: convolutions and transposed convolutions, and their lazy forms."""

from __future__ import annotations

import math

from ... import _creation
from ...ops.conv import ntuple, transposed_size
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """Shared state of convolution layers: hyper-parameters, ``weight``, optional ``bias``, torch's init."""

    _nd = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.groups, self.padding_mode = in_channels, out_channels, groups, padding_mode
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size")
        self.stride = ntuple(stride, nd, "stride")
        self.dilation = ntuple(dilation, nd, "dilation")
        self.output_padding = ntuple(output_padding, nd, "output_padding")
        self.transposed = self._transposed
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
            pads = [0, 0] * nd
            if padding == "same":
                for j, (d, k) in enumerate(zip(self.dilation, self.kernel_size)):
                    total = d * (k - 1)
                    i = nd - 1 - j
                    pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
            self._reversed_padding_repeated_twice = pads
        else:
            self.padding = ntuple(padding, nd, "padding")
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding) for _ in range(2)]
        self.weight = Parameter(_creation.empty(self._weight_shape(), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self):
        channels = ((self.in_channels, self.out_channels // self.groups) if self._transposed
                    else (self.out_channels, self.in_channels // self.groups))
        return channels + self.kernel_size

    def reset_parameters(self):
        """torch's default: ``kaiming_uniform_(a=sqrt(5))`` weight, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype)

    def forward(self, input):
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution layer over ``(N, C_in, L)`` input.

    Example:
        >>> import ember
        >>> m = ember.nn.Conv1d(2, 4, 3, padding=1)
        >>> m(ember.randn(5, 2, 10)).shape
        ember.Size([5, 4, 10])
    """

    _nd = 1


class Conv2d(_Conv):
    """2-D convolution layer over ``(N, C_in, H, W)`` input; ``padding_mode`` zeros/reflect/replicate/circular.

    Example:
        >>> import ember
        >>> m = ember.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        >>> m, m(ember.randn(2, 3, 16, 16)).shape
        (Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)), ember.Size([2, 8, 8, 8]))
    """

    _nd = 2


class Conv3d(_Conv):
    """3-D convolution layer over ``(N, C_in, D, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.nn.Conv3d(1, 2, 2)(ember.randn(1, 1, 3, 3, 3)).shape
        ember.Size([1, 2, 2, 2, 2])
    """

    _nd = 3


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype, output_padding)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        nd = self._nd
        size = tuple(output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must have {nd} or {nd + 2} "
                             f"elements (got {len(tuple(output_size))})")
        lo = transposed_size(tuple(input.shape[-nd:]), self.kernel_size, self.stride, self.padding, (0,) * nd,
                             self.dilation)
        for s, m, st in zip(size, lo, self.stride):
            if not m <= s < m + st:
                raise ValueError(f"requested an output size of {list(size)}, but valid sizes range from {list(lo)} to "
                                 f"{[m + st - 1 for m, st in zip(lo, self.stride)]} (for an input of "
                                 f"{list(input.shape[-nd:])})")
        return tuple(s - m for s, m in zip(size, lo))

    def forward(self, input, output_size=None):
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._nd - 1]
        return conv(input, self.weight, self.bias, self.stride, self.padding, self._output_padding(input, output_size),
                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer (weight ``(C_in, C_out / groups, k)``).

    Example:
        >>> import ember
        >>> ember.nn.ConvTranspose1d(2, 3, 3, stride=2)(ember.randn(1, 2, 4)).shape
        ember.Size([1, 3, 9])
    """

    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution layer; ``forward(input, output_size=None)`` picks the output padding.

    Example:
        >>> import ember
        >>> m = ember.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
        >>> m(ember.randn(1, 4, 5, 5), output_size=(10, 10)).shape
        ember.Size([1, 2, 10, 10])
    """

    _nd = 2


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution layer.

    Example:
        >>> import ember
        >>> ember.nn.ConvTranspose3d(1, 1, 2)(ember.randn(1, 1, 2, 2, 2)).shape
        ember.Size([1, 1, 3, 3, 3])
    """

    _nd = 3


# --- lazy forms: in_channels comes from the first input ----------------------------------------------
class _LazyConvMixin(LazyModuleMixin):
    _features_attr = "in_channels"

    def _features_of(self, input):
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {self._get_name()}, "
                               f"but got input of size: {input.shape}")
        channels = input.shape[1] if input.ndim == nd + 2 else input.shape[0]
        if channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        return channels

    def _lazy_shapes(self):
        return {"weight": self._weight_shape(), "bias": (self.out_channels,)}

    def _become_lazy(self, out_channels, bias, device, dtype):
        """Swap in an uninitialised weight (and bias) after the regular ``__init__`` ran with zero channels."""
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._become_lazy(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._become_lazy(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv1d(4, 3)
        >>> m(ember.randn(2, 5, 10)).shape, m
        (ember.Size([2, 4, 8]), Conv1d(5, 4, kernel_size=(3,), stride=(1,)))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv2d(8, 3, padding=1)
        >>> m
        LazyConv2d(0, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> m(ember.randn(2, 3, 6, 6)).shape, type(m).__name__, m.weight.shape
        (ember.Size([2, 8, 6, 6]), 'Conv2d', ember.Size([8, 3, 3, 3]))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv3d(2, 2, bias=False)
        >>> m(ember.randn(1, 3, 3, 3, 3)).shape, m.weight.shape, m.bias
        (ember.Size([1, 2, 2, 2, 2]), ember.Size([2, 3, 2, 2, 2]), None)
    """

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose1d(3, 3, stride=2)
        >>> m(ember.randn(1, 2, 4)).shape, m.weight.shape
        (ember.Size([1, 3, 9]), ember.Size([2, 3, 3]))
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose2d(2, 3, stride=2, padding=1)
        >>> m(ember.randn(1, 4, 5, 5), output_size=(10, 10)).shape, type(m).__name__
        (ember.Size([1, 2, 10, 10]), 'ConvTranspose2d')
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A :class:`ConvTranspose3d` whose ``in_channels`` is taken from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose3d(1, 2, groups=1)
        >>> m(ember.randn(1, 2, 2, 2, 2)).shape, m.in_channels
        (ember.Size([1, 1, 3, 3, 3]), 2)
    """

    cls_to_become = ConvTranspose3d
