"""Saving and loading tensors and state dicts without pickle (``ember.save`` / ``ember.load``).

``ember.save`` writes a zip archive holding a JSON manifest and raw
little-endian tensor bytes; ``ember.load`` validates every part of it before
allocating anything and never executes code from the file. The format is
described in ``docs/serialization.md``. ``save_safetensors`` /
``load_safetensors`` read and write the safetensors format.

Example:
    >>> import io, ember
    >>> buf = io.BytesIO()
    >>> ember.save({"w": ember.ones(2), "step": 3}, buf); _ = buf.seek(0)
    >>> ember.load(buf)
    {'w': tensor([1., 1.]), 'step': 3}
"""

from __future__ import annotations

import json
import zipfile

from ._files import SerializationError, atomic_writer, describe, open_source
from ._format import MANIFEST, STORAGE_NAME, Decoder, Encoder
from .safetensors import load_safetensors, save_safetensors

__all__ = ["SerializationError", "save", "load", "save_safetensors", "load_safetensors"]

MAX_MANIFEST_BYTES = 256 << 20
MAX_ENTRIES = 1 << 20
_PICKLE_REFUSAL = ("ember.load never unpickles, because loading a pickle can run arbitrary code; re-save the "
                   "tensors from PyTorch as safetensors (safetensors.torch.save_file) and read them with "
                   "ember.load_safetensors")


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` (tensors, state dicts, nested containers, numbers, strings) to a path or binary file.

    Saving to a path is atomic: the data goes to a temporary file in the same
    folder which replaces ``f`` only once complete, so an interrupted save
    leaves the previous file intact. Tensors that are views of one another are
    stored once. Unsupported objects (arbitrary classes, functions) raise
    :class:`SerializationError`: nothing is ever pickled. ``pickle_module`` and
    ``pickle_protocol`` are accepted for compatibility and ignored.

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.save([ember.arange(3), (1.5, "a")], buf)
        >>> buf.getvalue()[:2]
        b'PK'
    """
    enc = Encoder()
    manifest = json.dumps(enc.manifest(obj), allow_nan=False, separators=(",", ":")).encode()
    large = sum(s.nbytes for s in enc.storages) + len(manifest) >= 1 << 31
    with atomic_writer(f) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_entry(MANIFEST), manifest)
        for i, data in enumerate(enc.storages):
            with zf.open(_entry(f"data/{i}"), "w", force_zip64=large) as w:
                w.write(memoryview(data))


def _entry(name):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    return info


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved with :func:`save` from a path or binary file; never executes code.

    ``map_location`` moves tensors: None keeps the device they were saved
    from, a device or string sends every tensor there, a dict maps saved
    location strings to new ones (``{"cuda:1": "cpu"}``), and a callable
    ``fn(tensor, location)`` receives each tensor loaded on the CPU with its
    saved location and returns the tensor to use (or None for the default).
    Tensors saved as views of one another come back as views of one buffer
    when loaded to the CPU (elsewhere they become independent copies).
    ``nn.Parameter`` s come back as Parameters (``requires_grad`` preserved);
    ``requires_grad`` of other tensors is kept too. ``weights_only`` and
    ``mmap`` are accepted for compatibility: loading is always restricted to
    data. Pickle streams and PyTorch checkpoints are refused with
    :class:`SerializationError`, as is any malformed, truncated or corrupted file.

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.save({"x": ember.tensor([1, 2])}, buf); _ = buf.seek(0)
        >>> ember.load(buf, map_location="cpu")["x"]
        tensor([1, 2])
    """
    if pickle_module is not None or pickle_load_args:
        raise SerializationError(f"ember.load does not take pickle arguments: {_PICKLE_REFUSAL}")
    where = describe(f)
    place = _placer(map_location, where)
    with open_source(f) as (fh, size):
        start = fh.tell()
        _check_magic(fh.read(8), where)
        fh.seek(start)
        try:
            with zipfile.ZipFile(fh) as zf:
                return _read_archive(zf, where, size, place)
        except SerializationError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError, IndexError,
                NotImplementedError, UnicodeDecodeError, RecursionError, OverflowError, TypeError) as exc:
            raise SerializationError(f"{where}: not a valid ember archive ({type(exc).__name__}: {exc})") from None


def _check_magic(head, where):
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise SerializationError(f"{where} is a pickle stream (a legacy PyTorch checkpoint?): {_PICKLE_REFUSAL}")
    if head[:4] != b"PK\x03\x04":
        hint = ""
        if len(head) == 8 and head[:1] != b"P":
            hint = " (if it is a safetensors file, read it with ember.load_safetensors)"
        raise SerializationError(f"{where} is not an ember archive: it does not start with a zip header{hint}")


def _read_archive(zf, where, size, place):
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise SerializationError(f"{where}: too many archive entries ({len(infos)})")
    names = [i.filename for i in infos]
    if any(n.endswith("data.pkl") for n in names):
        raise SerializationError(
            f"{where} is a PyTorch checkpoint (its zip holds a pickle, data.pkl): {_PICKLE_REFUSAL}")
    sizes = {}
    for info in infos:
        name = info.filename
        if name != MANIFEST and not STORAGE_NAME.fullmatch(name):
            raise SerializationError(f"{where}: unexpected archive entry {name!r}")
        if name in sizes:
            raise SerializationError(f"{where}: duplicate archive entry {name!r}")
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise SerializationError(f"{where}: entry {name!r} is compressed or encrypted; ember archives are stored")
        if info.file_size != info.compress_size or info.header_offset + info.file_size > size:
            raise SerializationError(f"{where}: entry {name!r} claims {info.file_size} bytes, more than the "
                                     f"{size}-byte file holds (truncated?)")
        sizes[name] = info.file_size
    manifest_size = sizes.pop(MANIFEST, None)
    if manifest_size is None:
        raise SerializationError(f"{where}: the archive has no {MANIFEST}")
    if manifest_size > MAX_MANIFEST_BYTES:
        raise SerializationError(f"{where}: the manifest is {manifest_size} bytes (limit {MAX_MANIFEST_BYTES})")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise SerializationError(f"{where}: the manifest is not valid JSON ({exc})") from None

    def read_storage(i):
        import numpy as np

        info = zf.getinfo(f"data/{i}")
        buf = np.empty(info.file_size, dtype=np.uint8)
        with zf.open(info) as src:
            got = src.readinto(memoryview(buf))
            if got != info.file_size or src.read(1):
                raise SerializationError(f"{where}: entry data/{i} is truncated")
        return buf

    return Decoder(where, manifest, sizes, read_storage, place).decode()


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _placer(map_location, where):
    """``fn(cpu_tensor, saved_location) -> tensor`` implementing ``map_location``."""
    from .._device import device as device_cls

    def to(t, location):
        if location == "cpu":
            return t
        try:
            return t.to(location)
        except (RuntimeError, TypeError, ValueError, ImportError) as exc:
            raise SerializationError(
                f"{where}: cannot restore a tensor to device {location!r} ({exc}); "
                "pass map_location='cpu' (or another available device) to ember.load") from None

    if map_location is None:
        return to
    if isinstance(map_location, (str, device_cls)):
        target = str(map_location)
        return lambda t, location: to(t, target)
    if isinstance(map_location, dict):
        table = {str(k): str(v) for k, v in map_location.items()}
        return lambda t, location: to(t, table.get(location, location))
    if callable(map_location):
        def call(t, location):
            out = map_location(t, location)
            return to(t, location) if out is None else out

        return call
    raise TypeError(f"map_location should be None, a string, a device, a dict or a callable, "
                    f"but got {type(map_location).__name__}")

