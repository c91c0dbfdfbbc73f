"""TensorBoard event files without TensorFlow: a minimal protobuf encoder/decoder, CRC32C and TFRecord framing.

An event file is a sequence of TFRecords ``[uint64 length][uint32 masked crc32c(length)][data]
[uint32 masked crc32c(data)]`` whose data is a serialized ``tensorflow.Event`` protobuf. Only the
fields TensorBoard needs for scalars, images, histograms, text and hparams are written here.
"""

from __future__ import annotations

import struct
import zlib

# CRC32C and TFRecord framing are ember's (the ones ember.utils.tensorboard writes with)
from ember.utils.tensorboard._record import crc32c  # noqa: F401
from ember.utils.tensorboard._record import masked_crc32c as masked_crc


def read_records(path):
    """The data of every TFRecord in ``path``; raises ValueError on a corrupted or truncated record."""
    with open(path, "rb") as fh:
        blob = fh.read()
    pos = 0
    while pos < len(blob):
        if pos + 12 > len(blob):
            raise ValueError(f"{path}: truncated record header at byte {pos}")
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if crc != masked_crc(header):
            raise ValueError(f"{path}: bad length checksum at byte {pos}")
        data = blob[pos + 12:pos + 12 + length]
        end = pos + 12 + length
        if len(data) != length or end + 4 > len(blob):
            raise ValueError(f"{path}: truncated record at byte {pos}")
        (crc,) = struct.unpack("<I", blob[end:end + 4])
        if crc != masked_crc(data):
            raise ValueError(f"{path}: bad data checksum at byte {pos}")
        yield data
        pos = end + 4


# --- protobuf wire format ---------------------------------------------------------------------------------
def _varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def f_varint(field, value):
    return _key(field, 0) + _varint(int(value))


def f_double(field, value):
    return _key(field, 1) + struct.pack("<d", value)


def f_float(field, value):
    return _key(field, 5) + struct.pack("<f", value)


def f_bytes(field, value):
    value = value.encode() if isinstance(value, str) else bytes(value)
    return _key(field, 2) + _varint(len(value)) + value


def f_packed_doubles(field, values):
    return f_bytes(field, b"".join(struct.pack("<d", v) for v in values))


def decode(data):
    """A protobuf message as ``{field: [values]}`` (varints as ints, fixed64/32 as raw bytes, others as bytes)."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(field, []).append(value)
    return fields


def _read_varint(data, pos):
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


# --- Event / Summary messages -----------------------------------------------------------------------------
def event(wall_time, step=0, summary=None, file_version=None):
    """A serialized ``Event`` (``summary``: a serialized ``Summary``)."""
    out = f_double(1, wall_time) + f_varint(2, step)
    if file_version is not None:
        out += f_bytes(3, file_version)
    if summary is not None:
        out += f_bytes(5, summary)
    return out


def summary(*values):
    """A serialized ``Summary`` from serialized ``Summary.Value`` s."""
    return b"".join(f_bytes(1, v) for v in values)


def plugin_metadata(plugin_name, content=b""):
    return f_bytes(1, f_bytes(1, plugin_name) + (f_bytes(2, content) if content else b""))


def scalar_value(tag, value):
    return f_bytes(1, tag) + f_float(2, value)


def image_value(tag, height, width, channels, png):
    image = f_varint(1, height) + f_varint(2, width) + f_varint(3, channels) + f_bytes(4, png)
    return f_bytes(1, tag) + f_bytes(4, image)


def histogram_value(tag, values, bins=30):
    import numpy as np

    values = np.asarray(values, dtype=np.float64).ravel()
    counts, edges = np.histogram(values, bins=bins)
    histo = (f_double(1, float(values.min())) + f_double(2, float(values.max())) + f_double(3, float(values.size))
             + f_double(4, float(values.sum())) + f_double(5, float((values * values).sum()))
             + f_packed_doubles(6, edges[1:].tolist()) + f_packed_doubles(7, counts.astype(np.float64).tolist()))
    return f_bytes(1, tag) + f_bytes(5, histo)


def text_value(tag, text):
    tensor = f_varint(1, 7) + f_bytes(2, f_bytes(2, f_varint(1, 1))) + f_bytes(8, text)  # DT_STRING, shape [1]
    return f_bytes(1, tag) + f_bytes(9, plugin_metadata("text")) + f_bytes(8, tensor)


def _pb_value(value):
    """A ``google.protobuf.Value``: number, string or bool."""
    if isinstance(value, bool):
        return f_varint(4, value)
    if isinstance(value, (int, float)):
        return f_double(2, float(value))
    return f_bytes(3, str(value))


def hparams_values(hparams, metric_tags, start_time):
    """The three hparams-plugin ``Summary.Value`` s: experiment, session start, session end."""
    def value(tag, plugin_data):
        return f_bytes(1, tag) + f_bytes(9, plugin_metadata("hparams", plugin_data))

    infos = b""
    for name, v in hparams.items():
        kind = 2 if isinstance(v, bool) else 3 if isinstance(v, (int, float)) else 1  # BOOL, FLOAT64, STRING
        infos += f_bytes(4, f_bytes(1, name) + f_varint(4, kind))
    metrics = b"".join(f_bytes(5, f_bytes(1, f_bytes(2, tag))) for tag in metric_tags)
    experiment = f_varint(1, 0) + f_bytes(2, infos + metrics)
    entries = b"".join(f_bytes(1, f_bytes(1, k) + f_bytes(2, _pb_value(v))) for k, v in hparams.items())
    start = f_varint(1, 0) + f_bytes(3, entries + f_double(5, start_time))
    end = f_varint(1, 0) + f_bytes(4, f_varint(1, 1) + f_double(2, start_time))  # STATUS_SUCCESS
    return (value("_hparams_/experiment", experiment), value("_hparams_/session_start_info", start),
            value("_hparams_/session_end_info", end))


def png(array):
    """PNG bytes of a uint8 ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` array."""
    import numpy as np

    array = np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    height, width, channels = array.shape
    color = {1: 0, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + array[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# --- reading back -----------------------------------------------------------------------------------------
def read_events(path):
    """Every event of an event file as a dict: ``wall_time``, ``step``, and ``file_version`` or ``values``.

    Each value is a dict with ``tag`` and one of ``simple_value``, ``image`` (height, width,
    colorspace, encoded), ``histo`` (min, max, num, sum, sum_squares, bucket_limit, bucket),
    ``tensor`` (raw bytes), plus ``plugin_name`` / ``plugin_content`` when it has metadata.

    Example:
        >>> import os, tempfile
        >>> from emberlightning.loggers.tensorboard import SummaryWriter
        >>> from emberlightning.loggers._tfevents import read_events
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.add_scalar("loss", 0.5, 3); w.close()
        >>> [(e["step"], v["tag"], v["simple_value"]) for e in read_events(w.path) for v in e.get("values", [])]
        [(3, 'loss', 0.5)]
    """
    out = []
    for data in read_records(path):
        fields = decode(data)
        ev = {"wall_time": struct.unpack("<d", fields[1][0])[0], "step": fields.get(2, [0])[0]}
        if 3 in fields:
            ev["file_version"] = fields[3][0].decode()
        if 5 in fields:
            ev["values"] = [_read_value(v) for v in decode(fields[5][0]).get(1, [])]
        out.append(ev)
    return out


def _doubles(raw):
    return list(struct.unpack(f"<{len(raw) // 8}d", raw))


def _read_value(data):
    fields = decode(data)
    value = {"tag": fields[1][0].decode()}
    if 2 in fields:
        value["simple_value"] = struct.unpack("<f", fields[2][0])[0]
    if 4 in fields:
        img = decode(fields[4][0])
        value["image"] = {"height": img[1][0], "width": img[2][0], "colorspace": img[3][0], "encoded": img[4][0]}
    if 5 in fields:
        h = decode(fields[5][0])
        value["histo"] = {name: struct.unpack("<d", h[i][0])[0] for i, name in
                          enumerate(("min", "max", "num", "sum", "sum_squares"), start=1)}
        value["histo"]["bucket_limit"] = _doubles(b"".join(h.get(6, [])))
        value["histo"]["bucket"] = _doubles(b"".join(h.get(7, [])))
    if 8 in fields:
        value["tensor"] = fields[8][0]
    if 9 in fields:
        plugin = decode(decode(fields[9][0])[1][0])
        value["plugin_name"] = plugin[1][0].decode()
        value["plugin_content"] = plugin.get(2, [b""])[0]
    return value
