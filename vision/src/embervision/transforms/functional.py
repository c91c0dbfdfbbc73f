"""The functional form of the transforms (``embervision.transforms.functional``)."""

from __future__ import annotations

import numpy as np

import ember


def to_tensor(pic):
    """A PIL image or HxWxC numpy array as a CxHxW float32 tensor in [0, 1].

    Example:
        >>> import numpy as np
        >>> from embervision.transforms.functional import to_tensor
        >>> to_tensor(np.full((2, 2, 1), 255, dtype=np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    arr = np.asarray(pic)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise TypeError(f"to_tensor: expected a PIL image or an HxW(xC) array, got shape {arr.shape}")
    t = ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if arr.dtype == np.uint8:
        return t.to(ember.float32) / 255
    return t.to(ember.get_default_dtype()) if arr.dtype.kind != "f" else t


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a (..., C, H, W) tensor.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import normalize
        >>> normalize(ember.ones(1, 1, 1), [0.5], [0.5]).tolist()
        [[[1.0]]]
    """
    if not tensor.is_floating_point():
        raise TypeError(f"normalize: input tensor should be a float tensor, got {tensor.dtype}")
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    out = (tensor - mean) / std
    return tensor.copy_(out) if inplace else out
