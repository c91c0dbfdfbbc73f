"""Hostile files: a code-running pickle, zip and gzip bombs, archives with ``../`` paths, terabyte-sized claims.

Each is rejected with the loader's documented error, nothing is executed and
nothing is written outside the target folder.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import tarfile
import zipfile

import pytest

import ember
import ember.jit  # imported up front: the bounded calls time loading, not importing
from ember.serialization import SerializationError
from robustness_kit import bounded, record


class _RunsCode:
    """Unpickling this creates ``marker`` (standing in for any code a pickle could run)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _evil_pickle(marker):
    return pickle.dumps({"state_dict": _RunsCode(marker)}, protocol=2)


def _expect_rejected(name, fn, error, match=None):
    """Call ``fn`` (bounded); it must raise ``error`` matching ``match``, within 2 s and 200 MB."""
    _, exc, seconds, peak = bounded(fn)
    ok = isinstance(exc, error) and (match is None or match in str(exc)) and seconds < 2 and peak < 200 << 20
    record("hostile files", name, "rejected" if ok else "FAILED")
    assert isinstance(exc, error), f"{name}: expected {error.__name__}, got {exc!r}"
    if match is not None:
        assert match in str(exc), str(exc)
    assert seconds < 2 and peak < 200 << 20, (seconds, peak)
    return exc


def test_malicious_pickle_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    raw = tmp_path / "legacy.pt"
    raw.write_bytes(_evil_pickle(str(marker)))
    _expect_rejected("pickle stream -> ember.load", lambda: ember.load(str(raw)), SerializationError, "legacy.pt")

    zipped = tmp_path / "torch_style.pt"  # a PyTorch zip checkpoint: archive/data.pkl holds the pickle
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("archive/data.pkl", _evil_pickle(str(marker)))
        zf.writestr("archive/version", "3\n")
    _expect_rejected("torch zip checkpoint -> ember.load", lambda: ember.load(str(zipped)), SerializationError,
                     "torch_style.pt")
    _expect_rejected("pickle -> ember.jit.load", lambda: ember.jit.load(str(raw)), SerializationError)
    _expect_rejected("pickle -> ember.load_safetensors", lambda: ember.load_safetensors(str(raw)),
                     SerializationError, "legacy.pt")
    assert not marker.exists()


def test_malicious_pickle_in_cifar_batch(tmp_path):
    pytest.importorskip("embervision")
    from embervision.datasets.cifar import restricted_load

    marker = tmp_path / "pwned"
    batch = tmp_path / "data_batch_1"
    batch.write_bytes(_evil_pickle(str(marker)))
    _expect_rejected("pickle -> CIFAR python batch", lambda: restricted_load(batch), ValueError, "data_batch_1")
    assert not marker.exists()


def _archive_with(manifest_entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, method in manifest_entries:
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def _manifest(nbytes):
    return json.dumps({"format": "ember.save", "version": 1, "byteorder": "little", "root": {"type": "tensor",
                       "index": 0}, "storages": [{"name": "data/0", "nbytes": nbytes}],
                       "tensors": [{"storage": 0, "dtype": "uint8", "shape": [nbytes], "strides": [1], "offset": 0,
                                    "device": "cpu", "requires_grad": False, "parameter": False}]})


def test_zip_bomb_is_rejected_by_ember_load(tmp_path):
    size = 1 << 28  # 256 MiB of zeros deflates to about 256 KB
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.json", _manifest(size), compress_type=zipfile.ZIP_STORED)
        with zf.open("data/0", "w", force_zip64=True) as w:
            chunk = bytes(1 << 24)
            for _ in range(size // len(chunk)):
                w.write(chunk)
    assert bomb.stat().st_size < 2 << 20
    _expect_rejected("zip bomb -> ember.load", lambda: ember.load(str(bomb)), SerializationError, "compressed")


def test_lying_sizes_are_rejected_before_allocating(tmp_path):
    cases = {
        "stored entry claiming 1 TB": _archive_with([("manifest.json", _manifest(2**40), zipfile.ZIP_STORED),
                                                    ("data/0", b"\0" * 16, zipfile.ZIP_STORED)]),
        "manifest naming an absent entry": _archive_with([("manifest.json", _manifest(16), zipfile.ZIP_STORED)]),
        "path traversal entry": _archive_with([("manifest.json", _manifest(16), zipfile.ZIP_STORED),
                                               ("../../data/0", b"\0" * 16, zipfile.ZIP_STORED)]),
    }
    for name, data in cases.items():
        path = tmp_path / "lying.pt"
        path.write_bytes(data)
        _expect_rejected(f"{name} -> ember.load", lambda: ember.load(str(path)), SerializationError, "lying.pt")
    header = json.dumps({"w": {"dtype": "F32", "shape": [2**20, 2**20, 2**20], "data_offsets": [0, 2**62]}}).encode()
    st = tmp_path / "huge.safetensors"
    st.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64)
    _expect_rejected("terabyte shape -> load_safetensors", lambda: ember.load_safetensors(str(st)),
                     SerializationError, "huge.safetensors")


def test_gzip_bomb_idx_is_bounded(tmp_path):
    pytest.importorskip("embervision")
    from embervision.datasets.mnist import read_idx

    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.GzipFile(path, "wb", compresslevel=1) as f:  # says 2 x 2 x 2 images, then 512 MiB of zeros
        f.write(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]))
        chunk = bytes(1 << 24)
        for _ in range(32):
            f.write(chunk)
    _expect_rejected("gzip bomb -> IDX", lambda: read_idx(path), ValueError, "size mismatch")


def test_bpe_doubling_merges_are_rejected(tmp_path):
    pytest.importorskip("embertext")
    from embertext.tokenizers import BPETokenizer

    path = tmp_path / "bomb_bpe.json"  # merge k joins merge k-1 with itself: token k spells 2**(k+1) bytes
    merges = [[104, 104]] + [[255 + k, 255 + k] for k in range(1, 48)]
    path.write_text(json.dumps({"format": "embertext.bpe", "special_tokens": [], "pad_token": None,
                                "merges": merges}))
    _expect_rejected("doubling merges -> BPETokenizer.load", lambda: BPETokenizer.load(path), ValueError,
                     "bomb_bpe.json")


def test_image_decompression_bomb(tmp_path):
    pytest.importorskip("embervision")
    from PIL import Image

    from embervision.datasets.folder import pil_loader
    from embervision.io import read_image

    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR width/height: 10 gigapixels
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    _expect_rejected("decompression bomb -> pil_loader", lambda: pil_loader(path), OSError, "bomb.png")
    _expect_rejected("decompression bomb -> read_image", lambda: read_image(path), RuntimeError, "bomb.png")


def _tar_with(path, members):
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def test_archives_cannot_write_outside_the_target(tmp_path):
    from ember.utils.download import DownloadError, extract_archive

    target = tmp_path / "target"
    target.mkdir()

    def member(name, data=b"x", kind=tarfile.REGTYPE, link=""):
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
        return info, data if kind == tarfile.REGTYPE else None

    hostile = {
        "dotdot.tar": [member("../escaped.txt")],
        "absolute.tar": [member(str(tmp_path / "escaped.txt"))],
        "symlink.tar": [member("link", kind=tarfile.SYMTYPE, link=str(tmp_path)), member("link/escaped.txt")],
        "relative_symlink.tar": [member("a/link", kind=tarfile.SYMTYPE, link="../../"),
                                 member("a/link/escaped.txt")],
        "device.tar": [member("dev", kind=tarfile.CHRTYPE)],
    }
    for name, members in hostile.items():
        _tar_with(tmp_path / name, members)
    with zipfile.ZipFile(tmp_path / "dotdot.zip", "w") as zf:
        zf.writestr("../escaped.txt", "x")
        zf.writestr("ok/../../escaped.txt", "x")
    big = tarfile.TarInfo("huge.bin")
    big.size = 1 << 60  # declares an exabyte
    with open(tmp_path / "huge.tar", "wb") as f:
        f.write(big.tobuf())
    for name in [*hostile, "dotdot.zip", "huge.tar"]:
        _expect_rejected(f"{name} -> extract_archive", lambda: extract_archive(tmp_path / name, target),
                         DownloadError, name)
    assert not (tmp_path / "escaped.txt").exists()
    assert list(target.iterdir()) == []
