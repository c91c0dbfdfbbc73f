"""nn.Module classes: Unfold (im2col) and Fold (col2im)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Fold", "Unfold"]


class Unfold(Module):
    """Extract sliding blocks as columns: ``(N, C, H, W) -> (N, C * kh * kw, L)``.

    Example:
        >>> import ember
        >>> m = ember.nn.Unfold(2, padding=1)
        >>> m, m(ember.ones(1, 3, 4, 4)).shape
        (Unfold(kernel_size=2, dilation=1, padding=1, stride=1), ember.Size([1, 12, 25]))
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """Sum columns ``(N, C * kh * kw, L)`` back into an ``(N, C, *output_size)`` tensor.

    Example:
        >>> import ember
        >>> ember.nn.Fold((3, 3), 2)(ember.ones(1, 4, 4)).sum().item()
        16.0
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
