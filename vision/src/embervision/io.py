"""Reading and writing image files as uint8 C x H x W tensors (decoding and encoding by Pillow)."""

from __future__ import annotations

import io as _io
import os
from enum import Enum

import numpy as np
from PIL import Image, UnidentifiedImageError

import ember


class ImageReadMode(Enum):
    """The channels to decode into: as stored, grey, grey + alpha, RGB or RGB + alpha.

    Example:
        >>> from embervision.io import ImageReadMode
        >>> ImageReadMode.RGB.value
        3
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path):
    """The bytes of a file as a 1-D uint8 tensor.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.io import read_file
        >>> p = Path(tempfile.mkdtemp(), "b.bin"); _ = p.write_bytes(b"ab")
        >>> read_file(p).tolist()
        [97, 98]
    """
    with open(path, "rb") as f:
        data = f.read()
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename, data):
    """Write a 1-D uint8 tensor's bytes to ``filename``.

    Example:
        >>> import ember, tempfile; from pathlib import Path
        >>> from embervision.io import write_file
        >>> p = Path(tempfile.mkdtemp(), "b.bin"); write_file(p, ember.tensor([104, 105], dtype=ember.uint8))
        >>> p.read_bytes()
        b'hi'
    """
    _check_bytes(data, "write_file")
    with open(filename, "wb") as f:
        f.write(data.detach().cpu().numpy().tobytes())


def _check_bytes(data, op):
    if not isinstance(data, ember.Tensor) or data.dtype is not ember.uint8 or data.ndim != 1:
        raise TypeError(f"{op}: expected a 1-D uint8 tensor of encoded bytes, got "
                        f"{getattr(data, 'dtype', type(data).__name__)} of shape {tuple(getattr(data, 'shape', ()))}")


def _to_tensor(img, mode, where):
    mode = ImageReadMode(mode) if not isinstance(mode, ImageReadMode) else mode
    if mode is not ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODES[mode])
    elif img.mode in ("P", "PA"):
        img = img.convert("RGBA" if img.mode == "PA" or "transparency" in img.info else "RGB")
    elif img.mode == "1":
        img = img.convert("L")
    elif img.mode.startswith(("I", "F")):
        raise RuntimeError(f"decode_image: {where} has {img.mode} pixels; only 8-bit images are supported")
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGB")
    arr = np.asarray(img)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode a PNG/JPEG/BMP/GIF/WebP... image (a 1-D uint8 tensor of bytes, or a path) to uint8 C x H x W.

    Malformed data raises RuntimeError naming the source.

    Example:
        >>> import io, ember
        >>> from PIL import Image
        >>> from embervision.io import decode_image
        >>> buf = io.BytesIO(); Image.new("RGB", (3, 2), (1, 2, 3)).save(buf, "PNG")
        >>> decode_image(ember.tensor(list(buf.getvalue()), dtype=ember.uint8)).shape
        ember.Size([3, 2, 3])
    """
    if isinstance(input, (str, os.PathLike)):
        where, data = repr(os.fspath(input)), read_file(input)
    else:
        where, data = "<tensor>", input
    _check_bytes(data, "decode_image")
    try:
        with Image.open(_io.BytesIO(data.detach().cpu().numpy().tobytes())) as img:
            img.load()
            if apply_exif_orientation:
                from PIL import ImageOps

                img = ImageOps.exif_transpose(img)
            return _to_tensor(img, mode, where)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise RuntimeError(f"decode_image: cannot decode {where}: {exc}") from None


decode_png = decode_jpeg = decode_image


def _open(input, op):
    """The Pillow image in a 1-D uint8 tensor of encoded bytes (RuntimeError naming ``op`` if it is malformed)."""
    if not isinstance(input, ember.Tensor) or input.dtype is not ember.uint8:
        raise RuntimeError(f"Input tensor must have uint8 data type, got {getattr(input, 'dtype', type(input).__name__)}")
    _check_bytes(input, op)
    try:
        img = Image.open(_io.BytesIO(input.detach().cpu().numpy().tobytes()))
        img.load()
        return img
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise RuntimeError(f"{op}: cannot decode the input: {exc}") from None


def decode_gif(input):
    """Decode GIF bytes to uint8 RGB: (3, H, W) for one frame, (N, 3, H, W) for an animation.

    Each frame is the full picture as shown (earlier frames composited under it), as torchvision decodes.

    Example:
        >>> import io, ember
        >>> from PIL import Image
        >>> from embervision.io import decode_gif
        >>> frames = [Image.new("RGB", (4, 2), c) for c in ((255, 0, 0), (0, 0, 255))]
        >>> buf = io.BytesIO(); frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
        >>> out = decode_gif(ember.tensor(list(buf.getvalue()), dtype=ember.uint8))
        >>> out.shape, out[1, :, 0, 0].tolist()
        (ember.Size([2, 3, 2, 4]), [0, 0, 255])
    """
    from PIL import ImageSequence

    img = _open(input, "decode_gif")
    frames = [np.asarray(frame.convert("RGB")).transpose(2, 0, 1) for frame in ImageSequence.Iterator(img)]
    out = np.stack(frames) if len(frames) > 1 else frames[0]
    return ember.from_numpy(np.ascontiguousarray(out))


def _decode_still(input, mode, op, codec):
    from PIL import features

    if codec is not None and not features.check(codec):
        raise RuntimeError(f"{op}: this Pillow ({Image.__version__}) was built without {codec.upper()} support; "
                           f"install a Pillow wheel with lib{codec} to decode {codec.upper()} images")
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    return _to_tensor(_open(input, op), mode, "<tensor>")


def decode_webp(input, mode=ImageReadMode.UNCHANGED):
    """Decode WebP bytes to a uint8 RGB or RGBA (C, H, W) tensor (``mode`` converts, as in :func:`decode_image`).

    Example:
        >>> import io, ember
        >>> from PIL import Image
        >>> from embervision.io import decode_webp
        >>> buf = io.BytesIO(); Image.new("RGBA", (3, 2), (0, 255, 0, 128)).save(buf, "WEBP", lossless=True)
        >>> decode_webp(ember.tensor(list(buf.getvalue()), dtype=ember.uint8))[:, 0, 0].tolist()
        [0, 255, 0, 128]
    """
    return _decode_still(input, mode, "decode_webp", "webp")


def decode_avif(input, mode=ImageReadMode.UNCHANGED):
    """Decode AVIF bytes to a uint8 (C, H, W) tensor with Pillow; a clear RuntimeError when Pillow lacks libavif.

    Example:
        >>> import ember
        >>> from embervision.io import decode_avif
        >>> try:
        ...     decode_avif(ember.tensor([1, 2, 3], dtype=ember.uint8))
        ... except RuntimeError as e:
        ...     print("decode_avif:" in str(e))
        True
    """
    return _decode_still(input, mode, "decode_avif", "avif")


def decode_heic(input, mode=ImageReadMode.UNCHANGED):
    """Decode HEIC bytes to a uint8 (C, H, W) tensor through the ``pillow-heif`` plugin (RuntimeError without it).

    Example:
        >>> import ember
        >>> from embervision.io import decode_heic
        >>> try:
        ...     decode_heic(ember.tensor([1, 2, 3], dtype=ember.uint8))
        ... except RuntimeError as e:
        ...     print("decode_heic:" in str(e))
        True
    """
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        raise RuntimeError("decode_heic: HEIC decoding needs the pillow-heif package (pip install pillow-heif), "
                           "which registers an HEIC decoder with Pillow") from None
    register_heif_opener()
    return _decode_still(input, mode, "decode_heic", None)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a uint8 C x H x W tensor.

    Example:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> from embervision.io import read_image, ImageReadMode
        >>> p = os.path.join(tempfile.mkdtemp(), "a.png"); Image.new("RGB", (4, 2), (9, 9, 9)).save(p)
        >>> read_image(p, ImageReadMode.GRAY).shape
        ember.Size([1, 2, 4])
    """
    return decode_image(os.fspath(path), mode, apply_exif_orientation)


def _to_pil(input, op):
    if not isinstance(input, ember.Tensor) or input.dtype is not ember.uint8 or input.ndim != 3 \
            or input.shape[0] not in (1, 3, 4):
        raise ValueError(f"{op}: expected a uint8 tensor of shape (C, H, W) with C in 1, 3, 4, got "
                         f"{getattr(input, 'dtype', type(input).__name__)} {tuple(getattr(input, 'shape', ()))}")
    arr = input.detach().cpu().numpy().transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr))


def _encode(img, fmt, **options):
    buf = _io.BytesIO()
    img.save(buf, fmt, **options)
    return ember.from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    """Encode a uint8 C x H x W tensor as PNG bytes (a 1-D uint8 tensor).

    Example:
        >>> import ember
        >>> from embervision.io import encode_png, decode_image
        >>> x = ember.randint(0, 256, (3, 4, 5), dtype=ember.uint8)
        >>> bool((decode_image(encode_png(x)) == x).all())
        True
    """
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_to_pil(input, "encode_png"), "PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """Encode a uint8 C x H x W tensor (1 or 3 channels) as JPEG bytes.

    Example:
        >>> import ember
        >>> from embervision.io import encode_jpeg
        >>> bytes(encode_jpeg(ember.zeros(3, 8, 8, dtype=ember.uint8))[:2].tolist())
        b'\\xff\\xd8'
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    if isinstance(input, ember.Tensor) and input.ndim == 3 and input.shape[0] == 4:
        raise ValueError("encode_jpeg: JPEG cannot store an alpha channel (got 4 channels)")
    return _encode(_to_pil(input, "encode_jpeg"), "JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    """Write a uint8 C x H x W tensor to a PNG file.

    Example:
        >>> import ember, os, tempfile
        >>> from embervision.io import write_png, read_image
        >>> p = os.path.join(tempfile.mkdtemp(), "x.png"); write_png(ember.full((1, 2, 2), 7, dtype=ember.uint8), p)
        >>> read_image(p).tolist()
        [[[7, 7], [7, 7]]]
    """
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    """Write a uint8 C x H x W tensor to a JPEG file.

    Example:
        >>> import ember, os, tempfile
        >>> from embervision.io import write_jpeg, read_image
        >>> p = os.path.join(tempfile.mkdtemp(), "x.jpg"); write_jpeg(ember.full((3, 8, 8), 128, dtype=ember.uint8), p)
        >>> read_image(p).shape
        ember.Size([3, 8, 8])
    """
    write_file(filename, encode_jpeg(input, quality))
