"""ember.save / ember.load: round trips of every supported type, sharing, map_location, atomic saves."""

import io
import math
import os
import pathlib
import subprocess
import sys
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.serialization import SerializationError

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
          "complex128"]


def _roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **load_kw)


def _host(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("name", DTYPES)
def test_tensor_dtypes_roundtrip(device, name):
    be = ember.plugins.host().backend(device)
    if be.lookup_native_dtype(getattr(ember, name)) is None:
        pytest.skip(f"the {device} backend has no {name}")
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4)) * 50).astype(name) if name != "bool" else rng.random((3, 4)) > 0.5
    t = ember.tensor(a, device=device)
    out = _roundtrip(t)
    assert out.dtype == t.dtype and out.device == t.device and out.shape == (3, 4)
    np.testing.assert_array_equal(_host(out), a)


def test_containers_and_leaves_roundtrip():
    obj = {
        "none": None, "t": True, "f": False, "i": -(2 ** 70), "x": 0.1, "nan": float("nan"), "inf": -math.inf,
        "c": 1 - 2j, "s": "héllo", "b": b"\x00\xff", "dtype": ember.int16, "device": ember.device("cuda", 1),
        "size": ember.Size([2, 3]), "tuple": (1, (2, [3])), "list": [[], {}], "set": {1, "a"},
        "frozen": frozenset({2.5}), "np": np.arange(6, dtype=np.uint16).reshape(2, 3),
        "npscalars": [np.int32(4), np.float64(0.5), np.bool_(True)], 7: "int key", (1, "a"): "tuple key",
        None: "none key", 2.5: "float key",
    }
    out = _roundtrip(obj)
    assert math.isnan(out.pop("nan")) and math.isnan(obj.pop("nan"))
    np.testing.assert_array_equal(out.pop("np"), obj.pop("np"))
    assert out == obj
    assert out["npscalars"] == [4, 0.5, True] and type(out["npscalars"][0]) is int
    assert type(out["device"]) is ember.device and out["dtype"] is ember.int16 and type(out["size"]) is ember.Size


def test_state_dicts():
    sd = OrderedDict([("layer.weight", ember.randn(3, 2)), ("layer.bias", ember.zeros(3)),
                      ("bn.num_batches_tracked", ember.tensor(5))])
    sd._metadata = OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    out = _roundtrip(sd)
    assert type(out) is OrderedDict and list(out) == list(sd) and out._metadata == sd._metadata
    for k in sd:
        np.testing.assert_array_equal(_host(out[k]), _host(sd[k]))
    optim = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(2)}, 1: {}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                               "amsgrad": False, "foreach": None, "params": [0, 1]}]}
    out = _roundtrip(optim)
    assert list(out["state"]) == [0, 1] and out["state"][0]["step"].item() == 3.0
    assert out["param_groups"] == optim["param_groups"] and out["param_groups"][0]["betas"] == (0.9, 0.999)
    sched = {"base_lrs": [0.1], "last_epoch": 4, "_step_count": 5, "_last_lr": [0.025], "lr_lambdas": [None]}
    assert _roundtrip(sched) == sched


def test_requires_grad_and_parameters():
    x = ember.ones(2, requires_grad=True)
    y = x * 2  # a non-leaf comes back as a leaf that requires grad, like torch
    a, b = _roundtrip([x, y])
    assert a.requires_grad and b.requires_grad and a.is_leaf and b.is_leaf and b.tolist() == [2.0, 2.0]
    Parameter = getattr(ember.nn, "Parameter", None)
    if Parameter is None:
        pytest.skip("ember.nn.Parameter is not available yet")
    p = Parameter(ember.ones(3))
    out = _roundtrip({"p": p})["p"]
    assert isinstance(out, Parameter) and out.requires_grad and out.tolist() == [1.0, 1.0, 1.0]


def test_shared_tensors_and_views():
    base = ember.arange(24.0).reshape(4, 6)
    views = {"base": base, "rows": base[1:3], "cols": base[:, ::2], "t": base.t(), "same": base}
    buf = io.BytesIO()
    ember.save(views, buf)
    stored = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    assert [i.file_size for i in stored.infolist() if i.filename.startswith("data/")] == [24 * 4]  # saved once
    buf.seek(0)
    out = ember.load(buf)
    for k in views:
        np.testing.assert_array_equal(_host(out[k]), _host(views[k]))
    assert out["same"] is out["base"]
    out["base"][2, 0] = -1.0  # views share memory on the CPU
    assert out["rows"][1, 0].item() == -1.0 and out["cols"][2, 0].item() == -1.0 and out["t"][0, 2].item() == -1.0
    slice_only = base[3]  # only the bytes a view reaches are stored
    one = _roundtrip(slice_only)
    assert one.tolist() == [18.0, 19.0, 20.0, 21.0, 22.0, 23.0]
    b2 = io.BytesIO()
    ember.save(slice_only, b2)
    assert sum(i.file_size for i in zipfile.ZipFile(b2).infolist() if i.filename.startswith("data/")) == 24
    expanded = ember.ones(1, 3).expand(4, 3)  # overlapping strides are stored as a plain copy
    assert _roundtrip(expanded).tolist() == [[1.0] * 3] * 4


def test_paths_and_map_location(tmp_path, device):
    t = ember.tensor([1.0, 2.0], device=device)
    for target in (str(tmp_path / "a.ember"), tmp_path / "b.ember"):
        ember.save({"t": t}, target)
        assert ember.load(target)["t"].device == t.device
        assert ember.load(target, map_location="cpu")["t"].device.type == "cpu"
        assert ember.load(target, map_location=ember.device("cpu"))["t"].device.type == "cpu"
        assert ember.load(target, map_location={str(t.device): "cpu"})["t"].device.type == "cpu"
        seen = []
        out = ember.load(target, map_location=lambda tensor, loc: seen.append(loc))
        assert seen == [str(t.device)] and out["t"].device == t.device
        moved = ember.load(target, map_location=lambda tensor, loc: tensor * 10)
        assert moved["t"].tolist() == [10.0, 20.0]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    with pytest.raises(TypeError, match="map_location should be"):
        ember.load(tmp_path / "a.ember", map_location=3)


def test_missing_device_is_reported(tmp_path):
    buf = io.BytesIO()
    ember.save(ember.ones(1), buf)
    data = buf.getvalue().replace(b'"device":"cpu"', b'"device":"nope"')
    path = tmp_path / "x.ember"
    _rewrite(path, data)
    with pytest.raises(SerializationError, match="cannot restore a tensor to device 'nope'.*map_location='cpu'"):
        ember.load(path)
    assert ember.load(path, map_location="cpu").tolist() == [1.0]


def _rewrite(path, data):
    """Write an archive whose manifest was edited (CRCs recomputed)."""
    src = zipfile.ZipFile(io.BytesIO(data)) if data[:2] == b"PK" else None
    with zipfile.ZipFile(path, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info.filename) if info.filename != "manifest.json" else _manifest(data))


def _manifest(data):
    start = data.index(b'{"format"')
    end = data.index(b"PK", start)
    return data[start:end]


def test_unsupported_objects_are_refused():
    with pytest.raises(SerializationError, match=r"cannot save obj\['f'\]: objects of type builtins.function"):
        ember.save({"f": lambda: 0}, io.BytesIO())
    with pytest.raises(SerializationError, match="numpy arrays of dtype object"):
        ember.save(np.array([None]), io.BytesIO())
    cyc = []
    cyc.append(cyc)
    with pytest.raises(SerializationError, match="nesting deeper than"):
        ember.save(cyc, io.BytesIO())


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.ember"
    ember.save({"v": ember.tensor([1.0])}, path)
    real_open = zipfile.ZipFile.open
    calls = []

    def flaky_open(self, name, mode="r", **kw):
        if mode == "w":
            calls.append(name)
            if len(calls) == 2:
                raise OSError("disk full (injected)")
        return real_open(self, name, mode, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "open", flaky_open)
    with pytest.raises(OSError, match="injected"):
        ember.save({"v": ember.tensor([2.0]), "w": ember.ones(3)}, path)
    monkeypatch.undo()
    assert ember.load(path)["v"].tolist() == [1.0]
    assert os.listdir(tmp_path) == ["ckpt.ember"]  # the temporary file was removed


_SAVER = """
import sys, ember
path, i = sys.argv[1], 0
big = ember.ones(1 << 20)
print("ready", flush=True)
while True:
    i += 1
    ember.save({"i": i, "big": big * i}, path)
"""


def test_killed_save_leaves_a_valid_file(tmp_path):
    path = tmp_path / "ckpt.ember"
    ember.save({"i": 0, "big": ember.zeros(1 << 20)}, path)
    rng = np.random.default_rng(0)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE)
        proc.stdout.readline()
        time.sleep(float(rng.uniform(0.01, 0.15)))
        proc.kill()
        proc.wait()
        proc.stdout.close()
        out = ember.load(path)
        assert out["big"].shape == (1 << 20,) and out["big"][-1].item() == out["i"]


def test_pathlike_and_file_objects_at_offset(tmp_path):
    path = pathlib.Path(tmp_path) / "f.ember"
    with open(path, "wb") as fh:
        ember.save([1, 2], fh)
    with open(path, "rb") as fh:
        assert ember.load(fh) == [1, 2]
