"""Hand-written protocol-buffer encoding of the TensorBoard ``Event`` messages.

Only what ``SummaryWriter`` writes is covered. Fields are emitted in field-number order and proto3
defaults (0, empty) are left out, as the reference protobuf library does, so the bytes match.
Field numbers follow ``tensorboard/compat/proto/{event,summary,tensor,tensor_shape}.proto``.

Example:
    >>> from ember.utils.tensorboard._proto import event
    >>> event(wall_time=0.0, step=3)
    b'\\x10\\x03'
"""

import struct

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7
SESSION_START = 1


def varint(n):
    """Base-128 varint of an int (negative numbers as 64-bit two's complement).

    Example:
        >>> varint(300)
        b'\\xac\\x02'
    """
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(number, wire):
    return varint(number << 3 | wire)


def message_field(number, data):
    """A length-delimited field written even when empty (a set sub-message or repeated element).

    Example:
        >>> message_field(5, b"")
        b'*\\x00'
    """
    return _key(number, _BYTES) + varint(len(data)) + data


def int_field(number, n):
    """An int32/int64/enum field (omitted when 0).

    Example:
        >>> int_field(2, 5)
        b'\\x10\\x05'
    """
    return _key(number, _VARINT) + varint(int(n)) if n else b""


def double_field(number, x):
    """A ``double`` field (omitted when 0.0).

    Example:
        >>> double_field(1, 1.0)
        b'\\t\\x00\\x00\\x00\\x00\\x00\\x00\\xf0?'
    """
    return _key(number, _FIXED64) + struct.pack("<d", x) if x else b""


def bytes_field(number, data):
    """A length-delimited field: bytes, str (UTF-8) or an encoded sub-message (omitted when empty).

    Example:
        >>> bytes_field(1, "ab")
        b'\\n\\x02ab'
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    return message_field(number, data) if data else b""


def packed_field(number, fmt, values):
    """A packed repeated fixed-width field (``fmt`` is ``"d"`` or ``"f"``).

    Example:
        >>> packed_field(6, "d", [1.0])
        b'2\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\xf0?'
    """
    values = list(values)
    return bytes_field(number, struct.pack(f"<{len(values)}{fmt}", *values))


def struct_value(x):
    """An encoded ``google.protobuf.Value`` holding a number, string or bool (a oneof: always written).

    Example:
        >>> struct_value(True)
        b' \\x01'
    """
    if isinstance(x, bool):
        return _key(4, _VARINT) + varint(int(x))
    if isinstance(x, str):
        return message_field(3, x.encode("utf-8"))
    return _key(2, _FIXED64) + struct.pack("<d", x)


def map_entry(number, key, encoded_value):
    """One entry of a ``map<string, Message>`` field (key and value are always written).

    Example:
        >>> map_entry(1, "k", b"")
        b'\\n\\x05\\n\\x01k\\x12\\x00'
    """
    return message_field(number, bytes_field(1, key) + message_field(2, encoded_value))


def event(wall_time, step=None, file_version=None, summary=None, session_log=None,
          source_writer=None):
    """An encoded ``Event`` (``summary`` / ``session_log`` are encoded sub-messages).

    ``source_writer`` names the program that wrote the file (``SourceMetadata.writer``).

    Example:
        >>> event(0.0, file_version="brain.Event:2")
        b'\\x1a\\rbrain.Event:2'
    """
    return (double_field(1, wall_time) + int_field(2, step or 0) + bytes_field(3, file_version or b"")
            + bytes_field(5, summary or b"") + bytes_field(7, session_log or b"")
            + bytes_field(10, bytes_field(1, source_writer or b"")))


def session_log(status):
    """An encoded ``SessionLog`` with the given status (``SESSION_START`` = 1).

    Example:
        >>> session_log(SESSION_START)
        b'\\x08\\x01'
    """
    return int_field(1, status)


def summary(*values):
    """An encoded ``Summary`` holding the encoded ``Summary.Value`` messages given.

    Example:
        >>> summary(value("a", simple_value=1.0))
        b'\\n\\x08\\n\\x01a\\x15\\x00\\x00\\x80?'
    """
    return b"".join(message_field(1, v) for v in values)


def value(tag, simple_value=None, image=b"", histo=b"", tensor=b"", metadata=b""):
    """An encoded ``Summary.Value`` (``simple_value`` is in a oneof: written even when 0.0).

    Example:
        >>> value("x", simple_value=0.0)
        b'\\n\\x01x\\x15\\x00\\x00\\x00\\x00'
    """
    simple = b"" if simple_value is None else _key(2, _FIXED32) + struct.pack("<f", simple_value)
    return (bytes_field(1, tag) + simple + bytes_field(4, image)
            + bytes_field(5, histo) + bytes_field(8, tensor) + bytes_field(9, metadata))


def plugin_metadata(plugin_name, content=b""):
    """An encoded ``SummaryMetadata`` naming the plugin that reads the value.

    Example:
        >>> plugin_metadata("text")
        b'\\n\\x06\\n\\x04text'
    """
    return bytes_field(1, bytes_field(1, plugin_name) + bytes_field(2, content))


def tensor(dtype, shape=(), float_val=(), double_val=(), string_val=()):
    """An encoded ``TensorProto`` with float, double or string values.

    Example:
        >>> tensor(DT_STRING, (1,), string_val=[b"hi"])
        b'\\x08\\x07\\x12\\x04\\x12\\x02\\x08\\x01B\\x02hi'
    """
    dims = b"".join(message_field(2, int_field(1, size)) for size in shape)
    return (int_field(1, dtype) + bytes_field(2, dims) + packed_field(5, "f", float_val)
            + packed_field(6, "d", double_val) + b"".join(message_field(8, s) for s in string_val))


def histogram(lo, hi, num, total, sum_squares, bucket_limit, bucket):
    """An encoded ``HistogramProto``.

    Example:
        >>> histogram(0.0, 1.0, 1.0, 1.0, 1.0, [1.0], [1.0])[:9]
        b'\\x11\\x00\\x00\\x00\\x00\\x00\\x00\\xf0?'
    """
    return (double_field(1, lo) + double_field(2, hi) + double_field(3, num) + double_field(4, total)
            + double_field(5, sum_squares) + packed_field(6, "d", bucket_limit)
            + packed_field(7, "d", bucket))


def image(height, width, colorspace, png):
    """An encoded ``Summary.Image`` holding PNG bytes.

    Example:
        >>> image(2, 3, 3, b"")
        b'\\x08\\x02\\x10\\x03\\x18\\x03'
    """
    return int_field(1, height) + int_field(2, width) + int_field(3, colorspace) + bytes_field(4, png)
