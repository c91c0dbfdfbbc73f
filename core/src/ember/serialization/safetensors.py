"""The safetensors format, read and written with the standard library and numpy.

A file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(``{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
"__metadata__": {str: str}}``), then the tensors' bytes, back to back.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as _np  # host-side byte buffers

from .. import _dtype
from ._files import SerializationError, atomic_writer, describe, open_source
from ._format import host_dtype

__all__ = ["save_safetensors", "load_safetensors"]

MAX_HEADER_BYTES = 100_000_000
CODES = {"F64": _dtype.float64, "F32": _dtype.float32, "F16": _dtype.float16, "BF16": _dtype.bfloat16,
         "I64": _dtype.int64, "I32": _dtype.int32, "I16": _dtype.int16, "I8": _dtype.int8, "U8": _dtype.uint8,
         "BOOL": _dtype.bool, "C64": _dtype.complex64}
_CODE_OF = {d: c for c, d in CODES.items()}


def save_safetensors(tensors, path, metadata=None):
    """Write a ``{name: tensor}`` dict to ``path`` (or a binary file) in the safetensors format.

    ``metadata`` is an optional ``{str: str}`` dict stored under ``__metadata__``.
    Saving to a path is atomic, like :func:`ember.save`.

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.save_safetensors({"w": ember.ones(2)}, buf, metadata={"format": "pt"})
        >>> int.from_bytes(buf.getvalue()[:8], "little") % 8
        0
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"save_safetensors expects a dict of tensors, got {type(tensors).__name__}")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("save_safetensors: metadata must be a dict of str to str")
    arrays = []
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"save_safetensors: invalid tensor name {name!r}")
        if t.dtype not in _CODE_OF:
            raise ValueError(f"save_safetensors: tensor {name!r} has dtype {t.dtype}, which safetensors cannot store")
        arrays.append((name, t.dtype, _np.asarray(t.detach()._host(), dtype=host_dtype(t.dtype.name), order="C")))
    arrays.sort(key=lambda e: (-e[1].itemsize, e[0]))  # big elements first keeps every tensor aligned
    header = {} if metadata is None else {"__metadata__": dict(metadata)}
    offset = 0
    for name, dtype, a in arrays:
        header[name] = {"dtype": _CODE_OF[dtype], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with atomic_writer(path) as out:
        out.write(struct.pack("<Q", len(blob)))
        out.write(blob)
        for _, _, a in arrays:
            out.write(memoryview(a.reshape(-1).view(_np.uint8)))


def load_safetensors(path, device="cpu"):
    """Read a safetensors file into a ``{name: tensor}`` dict (sorted by name) on ``device``.

    The header is validated (dtypes, shapes, offsets tiling the data exactly)
    against the real file size before any tensor memory is allocated;
    problems raise :class:`ember.serialization.SerializationError`.

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.save_safetensors({"b": ember.arange(3), "a": ember.zeros(1)}, buf)
        >>> _ = buf.seek(0); ember.load_safetensors(buf)
        {'a': tensor([0.]), 'b': tensor([0, 1, 2])}
    """
    from .._creation import _from_host
    from .._tensor import resolve_device

    where = describe(path)
    be, dev = resolve_device(device)
    with open_source(path) as (fh, size):
        entries, data_start = _read_header(fh, size, where)
        out = {}
        for name, (dtype, shape, begin, end) in sorted(entries.items()):
            buf = _np.empty(end - begin, dtype=_np.uint8)
            fh.seek(data_start + begin)
            if fh.readinto(memoryview(buf)) != end - begin:
                raise SerializationError(f"{where}: tensor {name!r} is truncated")
            arr = buf.view(host_dtype(dtype.name)).reshape(shape)
            out[name] = _from_host(arr, dtype, be, dev)
    return out


def _read_header(fh, size, where):
    def fail(problem):
        raise SerializationError(f"{where}: not a valid safetensors file: {problem}")

    if size < 8:
        fail(f"{size} bytes is too short for the header length")
    (n,) = struct.unpack("<Q", fh.read(8))
    if n > MAX_HEADER_BYTES or n > size - 8:
        fail(f"header length {n} exceeds the file ({size} bytes) or the {MAX_HEADER_BYTES}-byte limit")
    try:
        header = json.loads(fh.read(n).decode("utf-8"), parse_constant=fail)
    except (ValueError, RecursionError) as exc:
        fail(f"the header is not valid JSON ({exc})")
    if not isinstance(header, dict):
        fail("the header is not a JSON object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        fail("__metadata__ must map strings to strings")
    data_size = size - 8 - n
    entries, spans = {}, []
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            fail(f"entry {name!r} is malformed")
        dtype = CODES.get(e["dtype"]) if isinstance(e["dtype"], str) else None
        shape, offs = e["shape"], e["data_offsets"]
        if dtype is None:
            fail(f"entry {name!r} has unsupported dtype {e['dtype']!r}")
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape):
            fail(f"entry {name!r} has an invalid shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) and not isinstance(o, bool)
                                                                    for o in offs)
                or not 0 <= offs[0] <= offs[1] <= data_size):
            fail(f"entry {name!r} has data_offsets {offs!r} outside the {data_size}-byte data section")
        if offs[1] - offs[0] != math.prod(shape) * dtype.itemsize:
            fail(f"entry {name!r} of shape {shape} and dtype {e['dtype']} needs {math.prod(shape) * dtype.itemsize} "
                 f"bytes but its offsets span {offs[1] - offs[0]}")
        entries[name] = (dtype, tuple(shape), offs[0], offs[1])
        spans.append((offs[0], offs[1]))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            fail(f"the tensors' data does not tile the data section (gap or overlap at byte {pos})")
        pos = end
    if pos != data_size:
        fail(f"the tensors cover {pos} of the {data_size} data bytes")
    return entries, 8 + n
