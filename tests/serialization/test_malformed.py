"""ember.load on hostile input: truncated, bit-flipped, oversized, crafted and pickle files fail fast and safely."""

import io
import json
import pickle
import time
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import SerializationError


def _archive(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    return buf.getvalue()


def _load(data):
    return ember.load(io.BytesIO(data))


def _craft(manifest, entries=(), extra=()):
    """A stored zip with ``manifest`` (a dict or raw bytes) and data entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", manifest if isinstance(manifest, bytes) else json.dumps(manifest))
        for i, data in enumerate(entries):
            zf.writestr(f"data/{i}", data)
        for name, data in extra:
            zf.writestr(name, data)
    return buf.getvalue()


def _manifest(tensors=(), root=None, storages=()):
    return {"format": "ember.save", "version": 1, "byteorder": "little", "root": root, "tensors": list(tensors),
            "storages": [{"name": f"data/{i}", "nbytes": n} for i, n in enumerate(storages)]}


def _spec(**kw):
    spec = {"storage": 0, "dtype": "float32", "shape": [2], "strides": [4], "offset": 0, "device": "cpu",
            "requires_grad": False, "parameter": False}
    spec.update(kw)
    return spec


SAMPLE = {"w": ember.arange(64.0).reshape(8, 8), "b": ember.ones(8, dtype=ember.int64), "meta": ["x", 1.5, None]}


def _equal_to_sample(out):
    return (set(out) == set(SAMPLE) and out["meta"] == SAMPLE["meta"]
            and all(np.array_equal(out[k].numpy(), SAMPLE[k].numpy()) for k in ("w", "b")))


def test_truncated_files_fail():
    data = _archive(SAMPLE)
    for cut in list(range(0, len(data), max(1, len(data) // 97))) + [len(data) - 1]:
        with pytest.raises(SerializationError):
            _load(data[:cut])


def test_bit_flips_fail_or_change_nothing():
    data = _archive(SAMPLE)
    rng = np.random.default_rng(0)
    start = time.monotonic()
    failures = 0
    for pos in rng.choice(len(data), size=300, replace=False):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        try:
            out = _load(bytes(flipped))
        except SerializationError:
            failures += 1
            continue
        assert _equal_to_sample(out), f"a flip at byte {pos} changed the data silently"
    assert failures > 250 and time.monotonic() - start < 10


def test_garbage_and_empty():
    for data in (b"", b"hello world", b"PK\x03\x04" + b"\x00" * 40, bytes(range(256)) * 4):
        with pytest.raises(SerializationError, match="<BytesIO>"):
            _load(data)


def test_pickles_are_refused(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=2))
    with pytest.raises(SerializationError, match=r"model\.pt.*pickle stream.*never unpickles.*arbitrary code"):
        ember.load(path)
    torch_like = io.BytesIO()
    with zipfile.ZipFile(torch_like, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
        zf.writestr("archive/version", "3\n")
    with pytest.raises(SerializationError, match="PyTorch checkpoint.*data.pkl"):
        _load(torch_like.getvalue())
    with pytest.raises(SerializationError, match="does not take pickle arguments"):
        ember.load(path, pickle_module=pickle)


def test_real_torch_checkpoint_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(SerializationError, match="PyTorch checkpoint"):
        ember.load(path)


@pytest.mark.parametrize("spec, storages, message", [
    (_spec(dtype="object"), [8], "unknown dtype 'object'"),
    (_spec(shape=[-2]), [8], "invalid shape"),
    (_spec(shape=[2.0]), [8], "invalid shape"),
    (_spec(shape=[10 ** 12], strides=[4]), [8], "outside its 8-byte storage"),
    (_spec(shape=[3, 2], strides=[0, 4]), [8], "overlapping strides"),
    (_spec(offset=4), [8], "outside its 8-byte storage"),
    (_spec(offset=-4), [8], "invalid strides"),
    (_spec(storage=3), [8], "storage 3"),
    (_spec(device=5), [8], "invalid device"),
    (dict(_spec(), extra=1), [8], "tensor 0 is malformed"),
    (_spec(dtype="int64", strides=[8], requires_grad=True), [16], "cannot require gradients"),
])
def test_invalid_tensor_specs(spec, storages, message):
    data = _craft(_manifest([spec], {"type": "tensor", "index": 0}, storages), [b"\x00" * n for n in storages])
    with pytest.raises(SerializationError, match=message):
        _load(data)


def test_storage_size_must_match_entry():
    data = _craft(_manifest([_spec()], {"type": "tensor", "index": 0}, [4096]), [b"\x00" * 8])
    with pytest.raises(SerializationError, match="declares 4096 bytes but its entry holds 8"):
        _load(data)


@pytest.mark.parametrize("root, message", [
    ({"type": "tensor", "index": 7}, "tensor 7"),
    ({"type": "pickle", "data": "..."}, "unknown node type 'pickle'"),
    ({"type": "dict", "items": [[[1], 2]]}, "unhashable dict key"),
    ({"type": "dict", "items": [1]}, r"\[key, value\] pairs"),
    ({"type": "float", "value": "1e9999x"}, "invalid float"),
    ({"type": "bytes", "base64": "!!"}, "invalid base64"),
    ({"type": "dtype", "name": "float128"}, "unknown dtype"),
    ({"type": "ndarray", "storage": 0, "dtype": "float32", "shape": [100]}, "needs 400 bytes"),
    ({"type": "tuple", "items": [], "code": "x"}, "fields"),
    ({"type": "set", "items": [[1]]}, "unhashable list"),
])
def test_invalid_nodes(root, message):
    with pytest.raises(SerializationError, match=message):
        _load(_craft(_manifest(root=root, storages=[8]), [b"\x00" * 8]))


def test_deep_nesting_and_bad_json():
    deep = {"type": "tuple", "items": []}
    for _ in range(150):
        deep = {"type": "tuple", "items": [deep]}
    with pytest.raises(SerializationError, match="nesting deeper than 100"):
        _load(_craft(_manifest(root=deep)))
    very_deep = b'{"format": "ember.save", "root": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    with pytest.raises(SerializationError, match="not valid JSON"):
        _load(_craft(very_deep))
    with pytest.raises(SerializationError, match="not valid JSON"):
        _load(_craft(b'{"root": NaN}'))
    with pytest.raises(SerializationError, match="wrong fields"):
        _load(_craft({"format": "ember.save"}))
    with pytest.raises(SerializationError, match="unsupported format"):
        _load(_craft(dict(_manifest(), version=99)))


def test_archive_structure_checks():
    good = _manifest(root=1)
    with pytest.raises(SerializationError, match="unexpected archive entry '../evil'"):
        _load(_craft(good, extra=[("../evil", b"x")]))
    with pytest.raises(SerializationError, match="unexpected archive entry 'data/01'"):
        _load(_craft(good, extra=[("data/01", b"x")]))
    with pytest.raises(SerializationError, match="no manifest.json"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("data/0", b"")
        _load(buf.getvalue())
    compressed = io.BytesIO()
    with zipfile.ZipFile(compressed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(good))
    with pytest.raises(SerializationError, match="compressed or encrypted"):
        _load(compressed.getvalue())
    with pytest.raises(SerializationError, match="do not match the archive's data entries"):
        _load(_craft(good, [b"abc"]))
    assert _load(_craft(good)) == 1


def test_oversized_entry_claims_fail_before_allocating():
    data = bytearray(_craft(_manifest([_spec()], {"type": "tensor", "index": 0}, [8]), [b"\x00" * 8]))
    central = data.rindex(b"PK\x01\x02")  # last central directory record: data/0
    data[central + 24:central + 28] = (1 << 31).to_bytes(4, "little")  # uncompressed size
    data[central + 20:central + 24] = (1 << 31).to_bytes(4, "little")  # compressed size
    start = time.monotonic()
    with pytest.raises(SerializationError, match="more than the"):
        _load(bytes(data))
    assert time.monotonic() - start < 1
