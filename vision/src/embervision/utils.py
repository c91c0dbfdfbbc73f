"""Image utilities: ``make_grid``, ``save_image``, ``draw_bounding_boxes`` and ``draw_text_labels``."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch of images (B x C x H x W, or a list of C x H x W) into one C x H' x W' image.

    Single-channel images become 3-channel; ``normalize`` maps ``value_range`` (default: the data's
    min and max, per image with ``scale_each``) onto [0, 1]. The grid stays on the input's device.

    Example:
        >>> import ember
        >>> from embervision.utils import make_grid
        >>> make_grid(ember.ones(5, 1, 4, 4), nrow=3, padding=1).shape
        ember.Size([3, 11, 16])
    """
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack(list(tensor))
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        tensor = (ember.cat([tensor] * 3, 0) if tensor.shape[0] == 1 else tensor).unsqueeze(0)
    if tensor.ndim != 4:
        raise ValueError(f"make_grid: expected a 4-D batch of images, got shape {tuple(tensor.shape)}")
    if tensor.shape[1] == 1:
        tensor = ember.cat([tensor] * 3, 1)
    tensor = tensor.detach()
    if normalize:
        tensor = tensor.clone()

        def norm(x):
            lo, hi = value_range if value_range is not None else (float(x.min()), float(x.max()))
            return x.clamp(min=lo, max=hi).sub(lo).div(max(hi - lo, 1e-5))

        tensor = ember.stack([norm(t) for t in tensor]) if scale_each else norm(tensor)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    b, c, h, w = tensor.shape
    cols = min(nrow, b)
    rows = int(math.ceil(b / cols))
    grid = ember.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value,
                      dtype=tensor.dtype, device=tensor.device)
    for i in range(b):
        r, k = divmod(i, cols)
        y, x = r * (h + padding) + padding, k * (w + padding) + padding
        grid[:, y:y + h, x:x + w] = tensor[i]
    return grid


def to_pil(tensor):
    """A C x H x W float tensor in [0, 1] as a PIL RGB (or L) image.

    Example:
        >>> import ember
        >>> from embervision.utils import to_pil
        >>> to_pil(ember.ones(1, 2, 3)).getpixel((0, 0))
        255
    """
    arr = tensor.detach().cpu().numpy()
    arr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, tiled with :func:`make_grid` using ``kwargs``) as an image file.

    Example:
        >>> import ember, tempfile, os
        >>> from embervision.utils import save_image
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png"); save_image(ember.rand(4, 3, 8, 8), path)
        >>> os.path.getsize(path) > 0
        True
    """
    to_pil(make_grid(tensor, **kwargs)).save(fp, format=format)


def _color(c):
    return ImageColor.getrgb(c) if isinstance(c, str) else tuple(int(v) for v in c)


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None, font_size=None,
                        label_colors=None):
    """Draw xyxy ``boxes`` (and optional ``labels``) on a uint8 C x H x W image; returns a new uint8 tensor.

    Args:
        colors: one colour (name, "#rrggbb" or RGB tuple) or one per box; default a fixed palette.
        fill: fill the boxes with their colour at 30% opacity.
        width: line width in pixels.
        font, font_size: a TrueType font file and size for the labels (Pillow's default font otherwise).
        label_colors: colour(s) of the label text (default: the box colours).

    Example:
        >>> import ember
        >>> from embervision.utils import draw_bounding_boxes
        >>> img = draw_bounding_boxes(ember.zeros(3, 10, 10, dtype=ember.uint8), ember.tensor([[1, 1, 8, 8]]), colors="red")
        >>> img[:, 1, 1].tolist(), img[:, 4, 4].tolist()
        ([255, 0, 0], [0, 0, 0])
    """
    if not isinstance(image, ember.Tensor) or image.dtype is not ember.uint8 or image.ndim != 3:
        raise TypeError(f"draw_bounding_boxes: expected a uint8 tensor of shape (C, H, W), got "
                        f"{getattr(image, 'dtype', type(image).__name__)} {tuple(getattr(image, 'shape', ()))}")
    if image.shape[0] not in (1, 3):
        raise ValueError(f"Only grayscale and RGB images are supported, got {image.shape[0]} channels")
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {tuple(boxes.shape)}")
    b = boxes.detach().cpu().numpy()
    if b.size and ((b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use embervision.ops.box_convert to convert them")
    n = len(b)
    if labels is not None and len(labels) != n:
        raise ValueError(f"Number of boxes ({n}) and labels ({len(labels)}) mismatch. Please specify labels for each box.")
    palette = ["red", "lime", "blue", "yellow", "magenta", "cyan", "orange", "purple"]
    if colors is None:
        colors = [palette[i % len(palette)] for i in range(n)]
    elif isinstance(colors, (str, tuple)):
        colors = [colors] * n
    if len(colors) < n:
        raise ValueError(f"Number of colors ({len(colors)}) is less than number of boxes ({n}).")
    colors = [_color(c) for c in colors]
    text_colors = colors if label_colors is None else (
        [_color(label_colors)] * n if isinstance(label_colors, (str, tuple)) else [_color(c) for c in label_colors])
    arr = image.detach().cpu().numpy().transpose(1, 2, 0)
    pil = Image.fromarray(np.ascontiguousarray(np.repeat(arr, 3, axis=2) if arr.shape[2] == 1 else arr))
    draw = ImageDraw.Draw(pil, "RGBA" if fill else None)
    txt_font = ImageFont.truetype(font, font_size or 10) if font is not None else ImageFont.load_default()
    for i, box in enumerate(b.tolist()):
        if fill:
            draw.rectangle(box, width=width, outline=colors[i], fill=colors[i] + (100,))
        else:
            draw.rectangle(box, width=width, outline=colors[i])
        if labels is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), labels[i], fill=text_colors[i], font=txt_font)
    out = np.asarray(pil.convert("RGB")).transpose(2, 0, 1)
    out = out[:1] if image.shape[0] == 1 else out
    return ember.tensor(np.ascontiguousarray(out), device=image.device)


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
        (88, 60)
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
