"""TFRecord framing and the event file itself.

Each record is ``uint64 length | masked CRC32C(length) | data | masked CRC32C(data)``, little endian;
CRC32C is the Castagnoli CRC, masked as ``((crc >> 15) | (crc << 17)) + 0xa282ead8`` (mod 2**32).

Example:
    >>> from ember.utils.tensorboard._record import crc32c
    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
"""

import itertools
import os
import socket
import struct
import time

from . import _proto


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()
_MASK_DELTA = 0xA282EAD8


def crc32c(data):
    """The CRC32C (Castagnoli) checksum of ``data``.

    Example:
        >>> crc32c(b"")
        0
    """
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The masked CRC32C that TFRecord stores after the length and after the data.

    Example:
        >>> hex(masked_crc32c(b""))
        '0xa282ead8'
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data):
    """One TFRecord: the framed bytes of ``data``.

    Example:
        >>> len(frame(b"abc"))
        19
    """
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


_uid = itertools.count()


class EventFileWriter:
    """Writes framed ``Event`` records to a new ``events.out.tfevents.*`` file in ``log_dir``.

    Records go straight to the (buffered) file; it is flushed every ``max_queue`` records, after
    ``flush_secs`` seconds, on ``flush()`` and on ``close()``.

    Example:
        >>> import tempfile
        >>> w = EventFileWriter(tempfile.mkdtemp())
        >>> w.add_event(_proto.event(1.0, step=2)); w.close()
    """

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.log_dir = str(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_uid)}"
        self.path = os.path.join(self.log_dir, name + filename_suffix)
        self._file = open(self.path, "wb")
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._pending, self._last_flush = 0, time.time()
        self.add_event(_proto.event(time.time(), file_version="brain.Event:2",
                                    source_writer="ember.utils.tensorboard"))

    def add_event(self, encoded_event):
        """Append one encoded ``Event``.

        Example:
            >>> import tempfile
            >>> w = EventFileWriter(tempfile.mkdtemp())
            >>> w.add_event(_proto.event(1.0, step=1)); w.close()
        """
        if self._file is None:
            raise RuntimeError(f"EventFileWriter: {self.path} is closed")
        self._file.write(frame(encoded_event))
        self._pending += 1
        if self._pending >= self._max_queue or time.time() - self._last_flush > self._flush_secs:
            self.flush()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Append an encoded ``Summary`` as one event at ``global_step`` (torch's ``FileWriter.add_summary``).

        Example:
            >>> import tempfile
            >>> w = EventFileWriter(tempfile.mkdtemp())
            >>> w.add_summary(_proto.summary(_proto.value("x")), global_step=3); w.close()
        """
        wall = time.time() if walltime is None else walltime
        self.add_event(_proto.event(wall, None if global_step is None else int(global_step), summary=summary))

    def flush(self):
        """Write buffered records to disk.

        Example:
            >>> import tempfile
            >>> w = EventFileWriter(tempfile.mkdtemp())
            >>> w.flush(); w.close()
        """
        if self._file is not None:
            self._file.flush()
            self._pending, self._last_flush = 0, time.time()

    def close(self):
        """Flush and close the file (closing twice is allowed).

        Example:
            >>> import tempfile
            >>> w = EventFileWriter(tempfile.mkdtemp()); w.close(); w.close()
        """
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None
