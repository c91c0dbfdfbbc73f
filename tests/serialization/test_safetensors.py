"""save_safetensors / load_safetensors: the real format, validated, and compatible with the reference package."""

import io
import json
import struct

import numpy as np
import pytest

import ember
from ember.serialization import SerializationError

CODES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32", "int16": "I16",
         "int8": "I8", "uint8": "U8", "bool": "BOOL"}


def _tensors(device="cpu"):
    rng = np.random.default_rng(0)
    out = {}
    for name in CODES:
        be = ember.plugins.host().backend(device)
        if be.lookup_native_dtype(getattr(ember, name)) is None:
            continue
        a = rng.random((2, 3)) > 0.5 if name == "bool" else (rng.standard_normal((2, 3)) * 20).astype(name)
        out[f"t_{name}"] = ember.tensor(a, device=device)
    out["scalar"] = ember.tensor(3.5, device=device)
    out["empty"] = ember.zeros(0, 4, device=device)
    return out


def _parse(data):
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), 8 + n


def test_roundtrip_and_layout(device, tmp_path):
    tensors = _tensors(device)
    path = tmp_path / "m.safetensors"
    ember.save_safetensors(tensors, path, metadata={"format": "pt", "note": "x"})
    data = path.read_bytes()
    header, start = _parse(data)
    assert start % 8 == 0 and header["__metadata__"] == {"format": "pt", "note": "x"}
    for name, t in tensors.items():
        e = header[name]
        assert e["dtype"] == CODES[t.dtype.name] and e["shape"] == list(t.shape)
        b, end = e["data_offsets"]
        raw = np.frombuffer(data[start + b:start + end], dtype=np.dtype(t.dtype.name).newbyteorder("<"))
        np.testing.assert_array_equal(raw.reshape(tuple(t.shape)), t.cpu().numpy())
    out = ember.load_safetensors(path, device=device)
    assert list(out) == sorted(tensors)
    for name, t in tensors.items():
        assert out[name].dtype == t.dtype and out[name].device == t.device
        np.testing.assert_array_equal(out[name].cpu().numpy(), t.cpu().numpy())


def test_views_are_saved_as_their_values():
    base = ember.arange(12.0).reshape(3, 4)
    buf = io.BytesIO()
    ember.save_safetensors({"t": base.t(), "row": base[1]}, buf)
    buf.seek(0)
    out = ember.load_safetensors(buf)
    assert out["t"].tolist() == base.t().tolist() and out["row"].tolist() == [4.0, 5.0, 6.0, 7.0]


def test_save_errors():
    with pytest.raises(TypeError, match="dict of tensors"):
        ember.save_safetensors([ember.ones(1)], io.BytesIO())
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        ember.save_safetensors({"a": ember.ones(1)}, io.BytesIO(), metadata={"a": 1})
    with pytest.raises(ValueError, match="complex128"):
        ember.save_safetensors({"a": ember.ones(1, dtype=ember.complex128)}, io.BytesIO())
    with pytest.raises(ValueError, match="invalid tensor name"):
        ember.save_safetensors({"__metadata__": ember.ones(1)}, io.BytesIO())


def _file(header, payload=b"", pad=True):
    blob = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(blob)) + blob + payload)


@pytest.mark.parametrize("header, payload, message", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\x00" * 4, "outside the 4-byte data section"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\x00" * 8, "needs 12 bytes"),
    ({"a": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, b"\x00" * 8, "unsupported dtype 'X9'"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\x00" * 8, "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\x00" * 8, "gap or overlap"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 8, "cover 4 of the 8"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 8, "gap or overlap"),
    ({"a": {"dtype": "F32", "shape": [1]}}, b"", "malformed"),
    ({"__metadata__": {"k": 1}}, b"", "__metadata__ must map strings to strings"),
    ([1, 2], b"", "not a JSON object"),
])
def test_malformed_headers(header, payload, message):
    with pytest.raises(SerializationError, match=message):
        ember.load_safetensors(_file(header, payload))


def test_bad_lengths_and_json():
    with pytest.raises(SerializationError, match="too short"):
        ember.load_safetensors(io.BytesIO(b"\x01\x00"))
    with pytest.raises(SerializationError, match="exceeds the file"):
        ember.load_safetensors(io.BytesIO(struct.pack("<Q", 1 << 40) + b"{}"))
    with pytest.raises(SerializationError, match="not valid JSON"):
        ember.load_safetensors(io.BytesIO(struct.pack("<Q", 4) + b"{{{{"))
    good = io.BytesIO()
    ember.save_safetensors({"a": ember.ones(4)}, good)
    for cut in range(0, len(good.getvalue()) - 1, 3):
        with pytest.raises(SerializationError):
            ember.load_safetensors(io.BytesIO(good.getvalue()[:cut]))


def test_compatible_with_reference_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "i": np.array([1, -2], dtype=np.int64),
              "m": np.array([True, False]), "h": np.ones(3, dtype=np.float16), "u": np.arange(5, dtype=np.uint8)}
    ref_path = tmp_path / "ref.safetensors"
    st.save_file(arrays, str(ref_path), metadata={"k": "v"})
    out = ember.load_safetensors(ref_path)
    for k, a in arrays.items():
        assert out[k].dtype.name == a.dtype.name
        np.testing.assert_array_equal(out[k].numpy(), a)
    ours = tmp_path / "ours.safetensors"
    ember.save_safetensors({k: ember.tensor(a) for k, a in arrays.items()}, ours, metadata={"k": "v"})
    back = st.load_file(str(ours))
    assert set(back) == set(arrays)
    for k, a in arrays.items():
        np.testing.assert_array_equal(back[k], a)
    from safetensors import safe_open

    with safe_open(str(ours), framework="numpy") as f:
        assert f.metadata() == {"k": "v"}
