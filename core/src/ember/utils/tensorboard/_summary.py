"""Summary values built from numbers, arrays and strings (host side, numpy).

Example:
    >>> from ember.utils.tensorboard._summary import scalar
    >>> scalar("loss", 1.0)
    b'\\n\\x04loss\\x15\\x00\\x00\\x80?'
"""

import io

import numpy as np

from . import _proto


def to_numpy(x):
    """A numpy array from an ember Tensor (any device), array or number.

    Example:
        >>> import ember
        >>> to_numpy(ember.tensor([1.0, 2.0]))
        array([1., 2.], dtype=float32)
    """
    from ember import Tensor

    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def scalar(tag, value, new_style=False, double_precision=False):
    """An encoded ``Summary.Value`` for one number (``simple_value``, or a scalars-plugin tensor).

    Example:
        >>> scalar("a", 2.0, new_style=True)[:3]
        b'\\n\\x01a'
    """
    array = to_numpy(value)
    if array.size != 1:
        raise ValueError(f"add_scalar: expected a single number, got an array of shape {array.shape}")
    number = float(array.reshape(()))
    if not new_style:
        return _proto.value(tag, simple_value=number)
    tensor = (_proto.tensor(_proto.DT_DOUBLE, double_val=[number]) if double_precision
              else _proto.tensor(_proto.DT_FLOAT, float_val=[number]))
    return _proto.value(tag, tensor=tensor, metadata=_proto.plugin_metadata("scalars"))


def default_bins():
    """TensorBoard's histogram edges: ±1e-12 * 1.1**k up to 1e20, and 0.

    Example:
        >>> len(default_bins())
        1549
    """
    positive = []
    v = 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    return [-v for v in reversed(positive)] + [0] + positive


def histogram(tag, values, bins, max_bins=None):
    """An encoded ``Summary.Value`` with a ``HistogramProto`` of ``values`` (bins as ``np.histogram``).

    Only the bins from one left of the first non-empty bin to the last non-empty one are kept
    (TensorBoard stores right edges only).

    Example:
        >>> len(histogram("h", [1.0, 2.0], bins=4)) > 0
        True
    """
    values = to_numpy(values).astype(np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("add_histogram: the input has no element")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        limits = np.append(limits[:-1:group], limits[-1])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError(f"add_histogram: no value falls inside the bins [{limits[0]}, {limits[-1]}]")
    first, last = int(nonzero[0]), int(nonzero[-1]) + 1
    counts = counts[first - 1:last] if first > 0 else np.concatenate([[0], counts[:last]])
    limits = limits[first:last + 1]
    histo = _proto.histogram(values.min(), values.max(), float(values.size), values.sum(),
                             values.dot(values), limits.tolist(), counts.astype(np.float64).tolist())
    return _proto.value(tag, histo=histo)


def _grid(images, ncols=8):
    """Tile an N3HW batch into one 3HW image, ``ncols`` images a row."""
    n, channels, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((channels, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def to_hwc(array, dataformats):
    """Rearrange an image (or an N-image batch, tiled into a grid) to height x width x channels.

    Grey images become 3 channels, as in TensorBoard.

    Example:
        >>> to_hwc(np.zeros((1, 2, 3)), "CHW").shape
        (2, 3, 3)
    """
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or array.ndim != len(fmt):
        raise ValueError(f"add_image: dataformats {dataformats!r} does not fit an image of shape "
                         f"{array.shape}")
    if len(fmt) == 4:
        batch = array.transpose([fmt.find(c) for c in "NCHW"])
        if batch.shape[1] == 1:
            batch = np.concatenate([batch] * 3, 1)
        if batch.shape[1] != 3:
            raise ValueError(f"add_images: expected 1 or 3 channels, got shape {array.shape}")
        return _grid(batch).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = array.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    return np.stack([array.transpose([fmt.find(c) for c in "HW"])] * 3, 2)


def image(tag, img, dataformats):
    """An encoded ``Summary.Value`` with a PNG image (floats in [0, 1] or uint8 in [0, 255]).

    Example:
        >>> image("i", np.zeros((3, 2, 2)), "CHW")[:3]
        b'\\n\\x01i'
    """
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError("add_image needs Pillow to encode PNG images: pip install pillow") from err
    array = to_hwc(to_numpy(img), dataformats)
    scale = 1 if array.dtype == np.uint8 else 255
    pixels = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = pixels.shape
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return _proto.value(tag, image=_proto.image(height, width, channels, buffer.getvalue()))


def text(tag, string):
    """An encoded ``Summary.Value`` for the text plugin (tag ``<tag>/text_summary``).

    Example:
        >>> text("t", "hi")[:15]
        b'\\n\\x0et/text_summar'
    """
    tensor = _proto.tensor(_proto.DT_STRING, (1,), string_val=[string.encode("utf-8")])
    return _proto.value(tag + "/text_summary", tensor=tensor, metadata=_proto.plugin_metadata("text"))
