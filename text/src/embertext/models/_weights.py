"""Saving and loading model weights as safetensors files (no pickle, no hub)."""

from __future__ import annotations

import json
import struct

import ember

__all__ = ["save_safetensors_weights", "load_safetensors_weights", "read_safetensors_metadata"]


def save_safetensors_weights(model, path, metadata=None):
    """Write ``model.state_dict()`` to a safetensors file (tied weights stored once under their first name).

    Example:
        >>> import os, tempfile, ember.nn as nn
        >>> from embertext.models import save_safetensors_weights, load_safetensors_weights
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_safetensors_weights(nn.Linear(2, 3), path)
        >>> load_safetensors_weights(nn.Linear(2, 3), path)
        ([], [])
    """
    every = dict(model.named_parameters(remove_duplicate=False))
    first = dict(model.named_parameters())
    tensors = {name: t.detach().contiguous() for name, t in model.state_dict().items()
               if name not in every or name in first}
    ember.save_safetensors(tensors, path, metadata=metadata)


def load_safetensors_weights(model, path, strict=True):
    """Load weights from a safetensors file into ``model``; returns ``(missing_keys, unexpected_keys)``.

    A key missing from the file but tied to a loaded parameter (same tensor) is not reported missing.

    Example:
        >>> import os, tempfile, ember, ember.nn as nn
        >>> from embertext.models import load_safetensors_weights
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> ember.save_safetensors({"weight": ember.ones(1, 1), "bias": ember.zeros(1)}, path)
        >>> m = nn.Linear(1, 1); _ = load_safetensors_weights(m, path); m.weight
        Parameter containing:
        tensor([[1.]], requires_grad=True)
    """
    tensors = ember.load_safetensors(path)
    params = dict(model.named_parameters(remove_duplicate=False))
    own = model.state_dict()
    unexpected = [k for k in tensors if k not in own]
    loaded = {id(params[k]) for k in tensors if k in params}
    missing = [k for k in own if k not in tensors and not (k in params and id(params[k]) in loaded)]
    if strict and (missing or unexpected):
        raise RuntimeError(f"load_safetensors_weights: {path} does not match {type(model).__name__}: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
    with ember.no_grad():
        for name, value in tensors.items():
            if name in own:
                target = own[name]
                if tuple(target.shape) != tuple(value.shape):
                    raise RuntimeError(f"load_safetensors_weights: {name} has shape {tuple(value.shape)} in "
                                       f"{path} but {tuple(target.shape)} in the model")
                target.copy_(value.to(target.dtype))
    return missing, unexpected


def read_safetensors_metadata(path):
    """The ``__metadata__`` dict of a safetensors file (empty when there is none).

    Example:
        >>> import os, tempfile, ember
        >>> from embertext.models import read_safetensors_metadata
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> ember.save_safetensors({"x": ember.zeros(1)}, path, metadata={"a": "b"})
        >>> read_safetensors_metadata(path)
        {'a': 'b'}
    """
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    return dict(header.get("__metadata__", {}))
