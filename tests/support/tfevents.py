"""An independent reader of TensorBoard event files, for tests.

It parses the TFRecord framing (checking both masked CRC32Cs with a bitwise CRC, not the writer's
table) and decodes protocol-buffer fields generically, so tests can assert exact tags, steps, wall
times and values of what ember writes.
"""

import glob
import os
import struct


def crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = crc32c_bitwise(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    with open(path, "rb") as f:
        raw = f.read()
    out, pos = [], 0
    while pos < len(raw):
        header = raw[pos:pos + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", raw[pos + 8:pos + 12])
        data = raw[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", raw[pos + 12 + length:pos + 16 + length])
        assert header_crc == _masked(header) and data_crc == _masked(data)
        out.append(data)
        pos += 16 + length
    assert pos == len(raw)
    return out


def _varint(buf, pos):
    shift = result = 0
    while True:
        byte = buf[pos]
        result |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return result, pos


def fields(buf):
    """{field number: [raw value, ...]}: ints for varints, bytes for fixed-width and delimited."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos:pos + size], pos + size
        else:
            assert wire == 2
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        out.setdefault(number, []).append(value)
    return out


def double(b):
    return struct.unpack("<d", b)[0]


def packed_doubles(b):
    return list(struct.unpack(f"<{len(b) // 8}d", b))


def _int64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def file_events(path):
    """Decoded events of one event file: dicts with wall_time, step, file_version, session_log, values.

    Each value is ``{"tag": str, 2: simple value bytes, 4: image, 5: histogram, 8: tensor, 9: metadata}``
    (the raw fields of ``Summary.Value`` that are present).
    """
    events = []
    for record in records(path):
        f = fields(record)
        values = []
        for raw in fields(f[5][0]).get(1, []) if 5 in f else []:
            v = fields(raw)
            values.append({"tag": v[1][0].decode(), **{k: v[k][0] for k in (2, 4, 5, 8, 9) if k in v}})
        events.append({"wall_time": double(f[1][0]) if 1 in f else 0.0,
                       "step": _int64(f[2][0]) if 2 in f else 0,
                       "file_version": f[3][0].decode() if 3 in f else None,
                       "session_log": fields(f[7][0]) if 7 in f else None,
                       "values": values})
    return events


def events(log_dir):
    """Decoded events of the one event file in ``log_dir``."""
    (path,) = glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))
    return file_events(path)
