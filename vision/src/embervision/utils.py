"""Image utilities: ``make_grid``, ``save_image``, drawing boxes, masks, keypoints and labels, ``flow_to_image``."""

from __future__ import annotations

import math
import warnings

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


def _check_rgb(image):
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"The image must be a tensor, got {type(image)}")
    if not (image.dtype is ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if image.shape[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


def _parse_colors(colors, num_objects, floating):
    """One RGB tuple per object (in [0, 1] for float images); torchvision's palette when ``colors`` is None."""
    if colors is None:
        colors = [tuple((i * p) % 255 for p in (2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1)) for i in range(num_objects)]
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of objects, but got "
                             f"{len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    return [tuple(v / 255 for v in c) for c in colors] if floating else colors


def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Blend boolean ``masks`` ((H, W) or (N, H, W)) onto an RGB image (uint8 or float), ``alpha`` their opacity.

    Pixels covered by more than one mask are blended with black, as in torchvision. Default colours come
    from torchvision's palette.

    Example:
        >>> import ember
        >>> from embervision.utils import draw_segmentation_masks
        >>> img = ember.full((3, 2, 2), 100, dtype=ember.uint8)
        >>> m = ember.tensor([[True, False], [False, False]])
        >>> draw_segmentation_masks(img, m, alpha=0.5, colors="red")[:, 0, 0].tolist()
        [177, 50, 50]
    """
    _check_rgb(image)
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype is not ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")
    if masks.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    overlap = masks.sum(dim=0) > 1
    drawn = image.detach().clone()
    for mask, color in zip(masks, _parse_colors(colors, masks.shape[0], image.is_floating_point())):
        paint = ember.tensor(color, dtype=image.dtype, device=image.device).reshape(3, 1, 1)
        drawn = ember.where(mask, paint, drawn)
    drawn = ember.where(overlap, ember.zeros((), dtype=image.dtype, device=image.device), drawn)
    return (image * (1 - alpha) + drawn * alpha).to(image.dtype)


def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius=2, width=3, visibility=None):
    """Draw (N, K, 2) ``keypoints`` (x, y) as discs on an RGB image, joined by lines for ``connectivity`` pairs.

    Invisible keypoints (``visibility`` False) and the connections touching them are skipped. Float images
    are drawn in uint8 and converted back, as torchvision does.

    Example:
        >>> import ember
        >>> from embervision.utils import draw_keypoints
        >>> img = draw_keypoints(ember.zeros(3, 9, 9, dtype=ember.uint8), ember.tensor([[[2, 2], [6, 6]]]),
        ...                      connectivity=[(0, 1)], colors="blue", radius=1, width=1)
        >>> img[:, 2, 1].tolist(), img[:, 4, 4].tolist(), img[:, 0, 8].tolist()
        ([0, 0, 255], [255, 255, 255], [0, 0, 0])
    """
    _check_rgb(image)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        visibility = ember.ones(tuple(keypoints.shape[:-1]), dtype=ember.bool)
    if visibility.ndim == 3:
        visibility = visibility.squeeze(-1)
    if visibility.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={visibility.ndim}")
    if tuple(visibility.shape) != tuple(keypoints.shape[:-1]):
        raise ValueError("keypoints and visibility must have the same dimensionality for num_instances and K. "
                         f"Got visibility.shape={visibility.shape} and keypoints.shape={keypoints.shape}")
    floating = image.is_floating_point()
    pixels = (image * (255 + 1.0 - 1e-3)).to(ember.uint8) if floating else image
    pil = Image.fromarray(np.ascontiguousarray(pixels.detach().cpu().numpy().transpose(1, 2, 0)))
    draw = ImageDraw.Draw(pil)
    for points, seen in zip(keypoints.to(ember.int64).tolist(), visibility.cpu().bool().tolist()):
        for (x, y), visible in zip(points, seen):
            if visible:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors, outline=None, width=0)
        for a, b in connectivity or ():
            if seen[a] and seen[b]:
                draw.line((tuple(points[a]), tuple(points[b])), width=width)
    out = ember.tensor(np.array(pil).transpose(2, 0, 1).copy())
    return out.to(image.dtype) * (1.0 / 255) if floating else out


def _colorwheel():
    """Baker et al.'s 55-colour optical-flow wheel (red, yellow, green, cyan, blue, magenta ramps), float32 (55, 3)."""
    ramps = ((15, 0, 1, True), (6, 1, 0, False), (4, 1, 2, True), (11, 2, 1, False), (13, 2, 0, True), (6, 0, 2, False))
    wheel = []
    for n, full, other, rising in ramps:
        ramp = np.floor(255 * np.arange(n, dtype=np.float32) / np.float32(n))
        block = np.zeros((n, 3), dtype=np.float32)
        block[:, full] = 255
        block[:, other] = ramp if rising else 255 - ramp
        wheel.append(block)
    return np.concatenate(wheel)


def flow_to_image(flow):
    """Colour-code an optical flow ((2, H, W) or (N, 2, H, W), float32): hue = direction, saturation = magnitude.

    The flow is scaled by its largest magnitude; returns uint8 RGB of the same layout.

    Example:
        >>> import ember
        >>> from embervision.utils import flow_to_image
        >>> flow_to_image(ember.tensor([[[1.0, 0.0]], [[0.0, 0.0]]])).tolist()
        [[[255, 255]], [[0, 255]], [[0, 255]]]
    """
    if flow.dtype is not ember.float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    orig = flow.shape
    if flow.ndim == 3:
        flow = flow[None]
    if flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {orig}.")
    flow = flow.detach()
    flow = flow / (flow.pow(2).sum(dim=1).sqrt().max() + ember.finfo(flow.dtype).eps)
    wheel = ember.tensor(_colorwheel(), device=flow.device)
    ncols = wheel.shape[0]
    norm = flow.pow(2).sum(dim=1).sqrt()
    angle = ember.atan2(-flow[:, 1], -flow[:, 0]) / math.pi
    fk = (angle + 1) / 2 * (ncols - 1)
    k0 = fk.floor().long()
    k1 = ember.where(k0 + 1 == ncols, ember.zeros_like(k0), k0 + 1)
    f = fk - k0
    channels = []
    for c in range(3):
        col0 = wheel[:, c][k0] / 255.0
        col1 = wheel[:, c][k1] / 255.0
        col = 1 - norm * (1 - ((1 - f) * col0 + f * col1))
        channels.append((255 * col).floor().to(ember.uint8))
    img = ember.stack(channels, 1)
    return img[0] if len(orig) == 3 else img
