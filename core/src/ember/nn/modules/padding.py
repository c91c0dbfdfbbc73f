"""nn.Module classes: zero, constant, reflection, replication and circular padding."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


class _PadNd(Module):
    """Pads the last ``_nd`` dims; ``padding`` is an int (all sides) or a ``2 * _nd`` tuple in ``F.pad`` order."""

    _nd = 0
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (int(padding),) * (2 * self._nd) if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2 * self._nd:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {2 * self._nd} ints, got "
                             f"{self.padding}")
        if self._mode == "constant":
            self.value = value

    def extra_repr(self):
        return f"{self.padding}"

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


def _pad_class(name, base, nd, mode, doc):
    return type(name, (base,), {"_nd": nd, "_mode": mode, "__doc__": doc, "__module__": __name__})


ZeroPad1d = _pad_class("ZeroPad1d", _ZeroPadNd, 1, "constant", """Pad the last dim with zeros.

    Example:
        >>> import ember
        >>> ember.nn.ZeroPad1d((1, 2))(ember.ones(1, 2))
        tensor([[0., 1., 1., 0., 0.]])
    """)
ZeroPad2d = _pad_class("ZeroPad2d", _ZeroPadNd, 2, "constant", """Pad the last 2 dims with zeros.

    Example:
        >>> import ember
        >>> ember.nn.ZeroPad2d(1)(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 4, 4])
    """)
ZeroPad3d = _pad_class("ZeroPad3d", _ZeroPadNd, 3, "constant", """Pad the last 3 dims with zeros.

    Example:
        >>> import ember
        >>> ember.nn.ZeroPad3d(1)
        ZeroPad3d((1, 1, 1, 1, 1, 1))
    """)
ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd, 1, "constant", """Pad the last dim with ``value``.

    Example:
        >>> import ember
        >>> ember.nn.ConstantPad1d(1, 9.0)(ember.zeros(1, 1))
        tensor([[9., 0., 9.]])
    """)
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd, 2, "constant", """Pad the last 2 dims with ``value``.

    Example:
        >>> import ember
        >>> ember.nn.ConstantPad2d((1, 2, 3, 4), 2.5)
        ConstantPad2d(padding=(1, 2, 3, 4), value=2.5)
    """)
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd, 3, "constant", """Pad the last 3 dims with ``value``.

    Example:
        >>> import ember
        >>> ember.nn.ConstantPad3d(1, 1.0)(ember.zeros(1, 1, 1, 1)).sum().item()
        26.0
    """)
ReflectionPad1d = _pad_class("ReflectionPad1d", _PadNd, 1, "reflect", """Pad the last dim by reflecting at the edges.

    Example:
        >>> import ember
        >>> ember.nn.ReflectionPad1d(2)(ember.tensor([[1.0, 2.0, 3.0]]))
        tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """)
ReflectionPad2d = _pad_class("ReflectionPad2d", _PadNd, 2, "reflect", """Pad the last 2 dims by reflection.

    Example:
        >>> import ember
        >>> ember.nn.ReflectionPad2d(1)(ember.ones(1, 2, 2)).shape
        ember.Size([1, 4, 4])
    """)
ReflectionPad3d = _pad_class("ReflectionPad3d", _PadNd, 3, "reflect", """Pad the last 3 dims by reflection.

    Example:
        >>> import ember
        >>> ember.nn.ReflectionPad3d(1)(ember.ones(1, 1, 2, 2, 2)).shape
        ember.Size([1, 1, 4, 4, 4])
    """)
ReplicationPad1d = _pad_class("ReplicationPad1d", _PadNd, 1, "replicate", """Pad the last dim by repeating the edge values.

    Example:
        >>> import ember
        >>> ember.nn.ReplicationPad1d((1, 2))(ember.tensor([[1.0, 2.0]]))
        tensor([[1., 1., 2., 2., 2.]])
    """)
ReplicationPad2d = _pad_class("ReplicationPad2d", _PadNd, 2, "replicate", """Pad the last 2 dims by edge replication.

    Example:
        >>> import ember
        >>> ember.nn.ReplicationPad2d(1)(ember.ones(1, 2, 2)).sum().item()
        16.0
    """)
ReplicationPad3d = _pad_class("ReplicationPad3d", _PadNd, 3, "replicate", """Pad the last 3 dims by edge replication.

    Example:
        >>> import ember
        >>> ember.nn.ReplicationPad3d((1, 2, 3, 4, 5, 6))
        ReplicationPad3d((1, 2, 3, 4, 5, 6))
    """)
CircularPad1d = _pad_class("CircularPad1d", _PadNd, 1, "circular", """Pad the last dim by wrapping around.

    Example:
        >>> import ember
        >>> ember.nn.CircularPad1d(1)(ember.tensor([[1.0, 2.0, 3.0]]))
        tensor([[3., 1., 2., 3., 1.]])
    """)
CircularPad2d = _pad_class("CircularPad2d", _PadNd, 2, "circular", """Pad the last 2 dims by wrapping around.

    Example:
        >>> import ember
        >>> ember.nn.CircularPad2d(1)(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 4, 4])
    """)
CircularPad3d = _pad_class("CircularPad3d", _PadNd, 3, "circular", """Pad the last 3 dims by wrapping around.

    Example:
        >>> import ember
        >>> ember.nn.CircularPad3d(1)(ember.ones(1, 1, 2, 2, 2)).shape
        ember.Size([1, 1, 4, 4, 4])
    """)
