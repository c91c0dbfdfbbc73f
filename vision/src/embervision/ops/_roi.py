"""What the RoI operators share: box formats, host-side index arithmetic and the pixel-table gather.

The RoI operators compute their sampling positions on the host in the input's float dtype (the
arithmetic torchvision's kernels do, in the same order) and gather pixels with one ``index_select``
from a table whose rows are pixels and whose columns are channels. The gather, the weighted sums and
the maxima are Ember ops, so gradients (and double backward) come from autograd.
"""

from __future__ import annotations

import numpy as np

import ember


def pair(v):
    """``(v, v)`` for an int, else ``v`` as a tuple (``torch.nn.modules.utils._pair``).

    Example:
        >>> pair(3), pair([2, 4])
        ((3, 3), (2, 4))
    """
    return (v, v) if isinstance(v, int) else tuple(v)


def check_roi_boxes_shape(boxes):
    """Raise like torchvision unless ``boxes`` is a Tensor[K, 5] or a list of Tensor[L, 4].

    Example:
        >>> import ember
        >>> check_roi_boxes_shape([ember.zeros(2, 4)])
    """
    if isinstance(boxes, (list, tuple)):
        for b in boxes:
            if b.ndim != 2 or b.shape[1] != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]")
    elif isinstance(boxes, ember.Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes):
    """A list of per-image Tensor[L, 4] boxes as one Tensor[K, 5] of ``(image index, x1, y1, x2, y2)`` rows.

    Example:
        >>> import ember
        >>> convert_boxes_to_roi_format([ember.ones(1, 4), ember.zeros(1, 4)]).tolist()
        [[0.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0]]
    """
    boxes = list(boxes)
    ids = [ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    cat = (lambda ts: ts[0]) if len(boxes) == 1 else (lambda ts: ember.cat(ts, 0))
    return ember.cat([cat(ids), cat(boxes)], 1)


def as_rois(boxes, input, op):
    """``(rois on the host as numpy in the input's float dtype, image index per roi)`` after torchvision's checks."""
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if input.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
    if rois.dtype is not input.dtype:
        raise RuntimeError(f"{op}: expected rois ({rois.dtype}) to have the input's dtype ({input.dtype})")
    if rois.device != input.device:
        raise RuntimeError(f"{op}: expected rois on the input's device {input.device}, got {rois.device}")
    host = rois.detach().cpu().numpy()
    return host, host[:, 0].astype(np.int64)


def host_dtype(input):
    """The numpy dtype the positions are computed in: the input's (float32 below 32 bits, as the kernels)."""
    return np.float64 if input.dtype is ember.float64 else np.float32


def pixel_table(input, ps, out_size):
    """``(table, groups, cols)``: ``input`` as a (N * groups * H * W, cols) table of pixel rows.

    Position-sensitive ops (``ps``) read bin ``(ph, pw)`` of output channel ``c`` from input channel
    ``(c * PH + ph) * PW + pw``: those channels form ``groups = PH * PW`` sub-images.
    """
    n, c, h, w = input.shape
    if not ps:
        return input.permute(0, 2, 3, 1).reshape(n * h * w, c), 1, c
    ph, pw = out_size
    if c % (ph * pw):
        raise RuntimeError(f"input channels ({c}) must be a multiple of output_size[0] * output_size[1] "
                           f"({ph} * {pw})")
    cout = c // (ph * pw)
    table = input.reshape(n, cout, ph * pw, h, w).permute(0, 2, 3, 4, 1).reshape(n * ph * pw * h * w, cout)
    return table, ph * pw, cout


def gather(table, rows, device):
    """Rows ``rows`` (an int numpy array of any shape) of ``table``: shape ``rows.shape + (cols,)``."""
    idx = ember.tensor(np.ascontiguousarray(rows.reshape(-1)), device=device)
    return table.index_select(0, idx).reshape(*rows.shape, table.shape[1])


def bin_group(ps, out_size):
    """The sub-image index of each output bin as a (PH, PW) array (zeros unless position-sensitive)."""
    ph, pw = out_size
    return np.arange(ph * pw).reshape(ph, pw) if ps else np.zeros((ph, pw), dtype=np.int64)


def c_round(v):
    """Round half away from zero, as C's ``round`` (numpy rounds half to even).

    Example:
        >>> c_round(np.array([0.5, 1.5, -0.5, 2.4])).tolist()
        [1.0, 2.0, -1.0, 2.0]
    """
    t = np.trunc(v)
    return np.where(np.abs(v - t) == 0.5, t + np.sign(v), np.round(v))

