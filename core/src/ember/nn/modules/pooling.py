"""nn.Module classes: max, average, adaptive and Lp pooling, max unpooling."""

from __future__ import annotations

from ...ops.conv import ntuple
from .. import functional as F
from ..functional._fractional_pool import _expand
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "FractionalMaxPool2d", "FractionalMaxPool3d",
]


class _MaxPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[self._nd - 1]
        return pool(input, self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode,
                    return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling layer (see :func:`ember.nn.functional.max_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.MaxPool1d(2)(ember.tensor([[1.0, 3.0, 2.0, 5.0]]))
        tensor([[3., 5.]])
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling layer.

    Example:
        >>> import ember
        >>> m = ember.nn.MaxPool2d(2)
        >>> m, m(ember.randn(1, 3, 8, 8)).shape
        (MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False), ember.Size([1, 3, 4, 4]))
    """

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling layer.

    Example:
        >>> import ember
        >>> ember.nn.MaxPool3d(2)(ember.randn(1, 1, 4, 4, 4)).shape
        ember.Size([1, 1, 2, 2, 2])
    """

    _nd = 3


class AvgPool1d(Module):
    """1-D average pooling layer.

    Example:
        >>> import ember
        >>> m = ember.nn.AvgPool1d(2)
        >>> m, m(ember.tensor([[1.0, 3.0, 2.0, 4.0]]))
        (AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,)), tensor([[2., 3.]]))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size")
        self.stride = ntuple(stride if stride is not None else kernel_size, 1, "stride")
        self.padding = ntuple(padding, 1, "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AvgPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        pool = F.avg_pool2d if self._nd == 2 else F.avg_pool3d
        return pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                    self.divisor_override)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling layer.

    Example:
        >>> import ember
        >>> ember.nn.AvgPool2d(2)(ember.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling layer.

    Example:
        >>> import ember
        >>> ember.nn.AvgPool3d(2)(ember.ones(1, 1, 2, 2, 2)).flatten().tolist()
        [1.0]
    """

    _nd = 3


class _AdaptivePool(Module):
    _nd = 0
    _max = False

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        if self._max:
            self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        if self._max:
            pool = (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d)[self._nd - 1]
            return pool(input, self.output_size, self.return_indices)
        pool = (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)[self._nd - 1]
        return pool(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling to a fixed length.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveAvgPool1d(1)(ember.tensor([[1.0, 2.0, 6.0]]))
        tensor([[3.]])
    """

    _nd = 1

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed ``(H, W)`` (global average pooling with ``1``).

    Example:
        >>> import ember
        >>> m = ember.nn.AdaptiveAvgPool2d((1, 1))
        >>> m, m(ember.randn(2, 8, 5, 5)).shape
        (AdaptiveAvgPool2d(output_size=(1, 1)), ember.Size([2, 8, 1, 1]))
    """

    _nd = 2

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling to a fixed ``(D, H, W)``.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveAvgPool3d(2)(ember.randn(1, 1, 4, 5, 6)).shape
        ember.Size([1, 1, 2, 2, 2])
    """

    _nd = 3

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling to a fixed length.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveMaxPool1d(1)(ember.tensor([[1.0, 7.0, 6.0]]))
        tensor([[7.]])
    """

    _nd, _max = 1, True


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed ``(H, W)``.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveMaxPool2d(2)(ember.randn(1, 3, 5, 5)).shape
        ember.Size([1, 3, 2, 2])
    """

    _nd, _max = 2, True


class AdaptiveMaxPool3d(_AdaptivePool):
    """Max pooling to a fixed ``(D, H, W)``.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveMaxPool3d(1)(ember.randn(1, 1, 2, 3, 4)).shape
        ember.Size([1, 1, 1, 1, 1])
    """

    _nd, _max = 3, True


class _MaxUnpoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        nd = self._nd
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size")
        self.stride = ntuple(stride if stride is not None else kernel_size, nd, "stride")
        self.padding = ntuple(padding, nd, "padding")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self._nd - 1]
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool1d` given its indices (zeros elsewhere).

    Example:
        >>> import ember
        >>> y, i = ember.nn.MaxPool1d(2, return_indices=True)(ember.tensor([[1.0, 3.0, 4.0, 2.0]]))
        >>> ember.nn.MaxUnpool1d(2)(y, i)
        tensor([[0., 3., 4., 0.]])
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool2d` given its indices.

    Example:
        >>> import ember
        >>> ember.nn.MaxUnpool2d(2)
        MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool3d` given its indices.

    Example:
        >>> import ember
        >>> ember.nn.MaxUnpool3d(2).stride
        (2, 2, 2)
    """

    _nd = 3


class _LPPoolNd(Module):
    _nd = 0

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def extra_repr(self):
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, ceil_mode={self.ceil_mode}"

    def forward(self, input):
        pool = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[self._nd - 1]
        return pool(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 1-D windows.

    Example:
        >>> import ember
        >>> ember.nn.LPPool1d(2, 2)(ember.tensor([[3.0, 4.0]]))
        tensor([[5.]])
    """

    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over 2-D windows.

    Example:
        >>> import ember
        >>> ember.nn.LPPool2d(2, 3)
        LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
    """

    _nd = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-D windows.

    Example:
        >>> import ember
        >>> ember.nn.LPPool3d(1, 2)(ember.ones(1, 1, 2, 2, 2)).flatten().tolist()
        [8.0]
    """

    _nd = 3


class _FractionalMaxPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        nd, name = self._nd, f"FractionalMaxPool{self._nd}d"
        if nd == 3 and ((isinstance(kernel_size, int) and kernel_size <= 0)
                        or (isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size))):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _expand(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _expand(output_size, nd) if output_size is not None else None
        self.output_ratio = _expand(output_ratio, nd) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < self.output_ratio[j] < 1 for j in range(nd)):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        pool = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                    _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling layer (see :func:`ember.nn.functional.fractional_max_pool2d`).

    Exactly one of ``output_size`` and ``output_ratio`` (in (0, 1)) must be given; without
    ``_random_samples`` each call draws new pooling regions.

    Example:
        >>> import ember
        >>> m = ember.nn.FractionalMaxPool2d(3, output_ratio=0.5)
        >>> m, m(ember.randn(2, 4, 10, 12)).shape
        (FractionalMaxPool2d(), ember.Size([2, 4, 5, 6]))
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling layer (see :func:`ember.nn.functional.fractional_max_pool3d`).

    Example:
        >>> import ember
        >>> ember.nn.FractionalMaxPool3d(2, output_size=(2, 3, 4))(ember.randn(1, 5, 6, 7)).shape
        ember.Size([1, 2, 3, 4])
    """

    _nd = 3
