"""Device objects: ``ember.device('cpu')``, ``ember.device('cuda:1')``."""

from __future__ import annotations


class device:
    """Where a tensor lives: a device type (a registered backend) and an index.

    Example:
        >>> import ember
        >>> d = ember.device("cuda:1")
        >>> d.type, d.index, str(d)
        ('cuda', 1, 'cuda:1')
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): cannot give an index with a device object")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and index is None:
            raise ValueError("device(): a bare integer device needs a default device type; use 'cuda:N'")
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {type.__class__.__name__}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"device(): type (string) must not include an index because index was passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if not type or not type.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type}'")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative (got {index})")
        self.type = type
        self.index = index

    def __eq__(self, other):
        # as torch: a device never equals a string (compare ``str(d)`` or ``d.type`` instead)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))
