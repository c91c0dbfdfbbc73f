"""Image utilities: ``make_grid``, ``save_image`` and ``draw_text_labels``."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

import ember


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch of images (B x C x H x W, or a list of C x H x W) into one C x H' x W' image.

    Example:
        >>> import ember
        >>> from embervision.utils import make_grid
        >>> make_grid(ember.ones(5, 1, 4, 4), nrow=3, padding=1).shape
        ember.Size([3, 11, 16])
    """
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack(list(tensor))
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 4:
        raise ValueError(f"make_grid: expected a 4-D batch of images, got shape {tuple(tensor.shape)}")
    arr = tensor.detach().cpu().numpy().astype(np.float32)
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    if normalize:
        def norm(x):
            lo, hi = value_range if value_range is not None else (x.min(), x.max())
            return np.clip((x - lo) / max(hi - lo, 1e-5), 0, 1)
        arr = np.stack([norm(a) for a in arr]) if scale_each else norm(arr)
    b, c, h, w = arr.shape
    cols = min(nrow, b)
    rows = int(math.ceil(b / cols))
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, np.float32)
    for i in range(b):
        r, k = divmod(i, cols)
        y, x = r * (h + padding) + padding, k * (w + padding) + padding
        grid[:, y:y + h, x:x + w] = arr[i]
    return ember.from_numpy(grid)


def to_pil(tensor):
    """A C x H x W float tensor in [0, 1] as a PIL RGB (or L) image."""
    arr = tensor.detach().cpu().numpy()
    arr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def save_image(tensor, fp, format=None, **grid_kwargs):
    """Save a tensor (or a batch, tiled with :func:`make_grid`) as an image file.

    Example:
        >>> import ember, tempfile, os
        >>> from embervision.utils import save_image
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png"); save_image(ember.rand(4, 3, 8, 8), path)
        >>> os.path.getsize(path) > 0
        True
    """
    grid = make_grid(tensor, **grid_kwargs)
    to_pil(grid).save(fp, format=format)


def draw_text_labels(image, labels, cell, padding=2, nrow=8, scale=4, color=(255, 64, 64)):
    """Upscale a grid image and write one short label under each cell.

    Args:
        image: a PIL image made by :func:`make_grid` / :func:`to_pil`.
        labels: one string per cell, in grid order.
        cell: the (height, width) of one image in the grid before scaling.

    Example:
        >>> import ember
        >>> from embervision.utils import make_grid, to_pil, draw_text_labels
        >>> img = draw_text_labels(to_pil(make_grid(ember.rand(2, 1, 8, 8))), ["a", "b"], (8, 8))
        >>> img.size
        (88, 92)
    """
    h, w = cell
    big = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    rows = int(math.ceil(len(labels) / min(nrow, len(labels))))
    text_h = 12
    out = Image.new("RGB", (big.width, big.height + rows * text_h), (0, 0, 0))
    cols = min(nrow, len(labels))
    draw = ImageDraw.Draw(out)
    for r in range(rows):
        band = big.crop((0, r * (h + padding) * scale, big.width, ((r + 1) * (h + padding) + padding) * scale))
        out.paste(band, (0, r * ((h + padding) * scale + text_h)))
    for i, text in enumerate(labels):
        r, k = divmod(i, cols)
        x = (k * (w + padding) + padding) * scale
        y = r * ((h + padding) * scale + text_h) + ((h + padding) + padding) * scale - 2
        draw.text((x, y), text, fill=color)
    return out
