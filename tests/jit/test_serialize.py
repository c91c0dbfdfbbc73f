"""ember.jit.save / load: one self-contained file, loadable without the model's class, and safe."""

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import ember
import ember.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 2)

    def forward(self, x):
        x = ember.nn.functional.max_pool2d(ember.relu(self.bn(self.conv(x))), 2)
        return self.fc(ember.flatten(x, 1))


def _saved(model=None, example=None):
    model = (model or Net()).eval()
    traced = ember.jit.trace(model, ember.randn(1, 1, 8, 8) if example is None else example)
    buf = io.BytesIO()
    ember.jit.save(traced, buf)
    return model, traced, buf.getvalue()


def test_round_trip_keeps_outputs_and_state(device):
    model, traced, data = _saved()
    loaded = ember.jit.load(io.BytesIO(data), map_location=device)
    x = ember.randn(6, 1, 8, 8)
    np.testing.assert_allclose(loaded(x.to(device)).detach().cpu().numpy(), model(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert loaded.conv.weight.requires_grad and isinstance(loaded.conv.weight, nn.Parameter)
    assert str(loaded.graph) == str(traced.graph) and loaded.code == traced.code


def test_save_method_and_seed_example(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    scripted_model = ember.jit.script(model)
    scripted_model.save(str(tmp_path / "model.pt"))
    loaded = ember.jit.load(str(tmp_path / "model.pt"))
    x = ember.randn(3, 4)
    np.testing.assert_allclose(loaded(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)
    with zipfile.ZipFile(tmp_path / "model.pt") as zf:  # one archive: JSON manifest and raw tensor data, no pickle
        assert all(not n.endswith(".pkl") for n in zf.namelist())


def test_load_in_a_fresh_process_without_the_model_class(tmp_path):
    _, _, data = _saved()
    path = tmp_path / "net.pt"
    path.write_bytes(data)
    x = ember.randn(5, 1, 8, 8)
    np.save(tmp_path / "x.npy", x.numpy())
    code = textwrap.dedent(f"""
        import sys, numpy as np, ember
        m = ember.jit.load({str(path)!r})
        y = m(ember.tensor(np.load({str(tmp_path / 'x.npy')!r})))
        np.save({str(tmp_path / 'y.npy')!r}, y.detach().numpy())
        assert "test_serialize" not in sys.modules and not any("jit_models" in k for k in sys.modules)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(tmp_path), timeout=120,
                   env=dict(os.environ, PYTHONPATH=""))
    model = ember.jit.load(str(path))
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model(x).detach().numpy(), rtol=1e-6)


def _tamper(data, edit):
    """A copy of the saved file with the graph JSON changed by ``edit(doc)``."""
    payload = ember.load(io.BytesIO(data))
    doc = json.loads(payload["graph"])
    edit(doc)
    payload["graph"] = json.dumps(doc)
    buf = io.BytesIO()
    ember.save(payload, buf)
    return io.BytesIO(buf.getvalue())


def _first(doc, short):
    return next(n for n in doc["nodes"] if n["target"].endswith("." + short) or n["target"] == short)


@pytest.mark.parametrize("edit,message", [
    (lambda d: _first(d, "Conv").update(target="os.system"), "unknown op 'os.system'"),
    (lambda d: _first(d, "Conv").update(target="builtins.eval"), "not in Ember's op registry"),
    (lambda d: _first(d, "max_pool").update(target="__import__"), "unknown leaf function"),
    (lambda d: _first(d, "Conv").update(kind="python"), "unknown node kind"),
    (lambda d: _first(d, "Conv").update(args=[{"pickle": "cos\nsystem"}]), "unsupported argument"),
    (lambda d: _first(d, "Conv").update(args=[], inputs=_first(d, "Conv")["inputs"][:2]),
     "Conv takes 3 to 4 inputs and arguments, got 2"),
    (lambda d: _first(d, "Conv").update(inputs=[9999, 9998]), "refers to value 9999"),
    (lambda d: _first(d, "Conv").update(args=[{"struct": "subprocess.Popen", "args": []}]), "unknown structure"),
    (lambda d: _first(d, "Conv")["outputs"][0].update(dtype="object"), "unknown dtype"),
    (lambda d: _first(d, "Conv")["outputs"][0].update(id="x"), "'id' must be an integer"),
    (lambda d: d["params"][0].update(name="__class__.__init__"), None),
    (lambda d: d["params"][0].update(name="a b"), "not a dotted identifier"),
    (lambda d: d["symbols"].append("all"), "malformed places"),
    (lambda d: d.pop("nodes"), "has no 'nodes'"),
    (lambda d: d["params"][0].update(shape=[1]), "the graph declares"),
])
def test_malformed_graphs_are_rejected(edit, message):
    _, _, data = _saved()
    f = _tamper(data, edit)
    if message is None:  # names are only used as dict keys: loading them is harmless but fails to match the tensors
        with pytest.raises(ember.jit.GraphFormatError):
            ember.jit.load(f)
        return
    with pytest.raises(ember.jit.GraphFormatError, match=message):
        ember.jit.load(f)


def test_truncated_and_foreign_files_are_rejected(tmp_path):
    _, _, data = _saved()
    with pytest.raises(ember.serialization.SerializationError, match="not a valid ember archive|truncated|malformed"):
        ember.jit.load(io.BytesIO(data[: len(data) // 2]))
    buf = io.BytesIO()
    ember.save({"w": ember.ones(2)}, buf)
    with pytest.raises(ember.jit.GraphFormatError, match="not an ember.jit graph file"):
        ember.jit.load(io.BytesIO(buf.getvalue()))
    payload = ember.load(io.BytesIO(data))
    payload["graph"] = "{not json"
    buf = io.BytesIO()
    ember.save(payload, buf)
    with pytest.raises(ember.jit.GraphFormatError, match="invalid JSON"):
        ember.jit.load(io.BytesIO(buf.getvalue()))


class Twice(ember.autograd.node.Op):
    """A primitive defined outside Ember: graphs using it run, but can't be saved."""

    def forward(self, be, a):
        return a * 2


def test_saving_unsupported_things_is_a_clear_error():
    from ember._tensor import apply

    traced = ember.jit.trace(lambda x: apply(Twice, (x,)) + 1, ember.ones(2))
    assert traced(ember.ones(3)).tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(ember.jit.GraphFormatError, match="the op .*Twice is not one of Ember's registered ops"):
        traced.save(io.BytesIO())
    with pytest.raises(TypeError, match="expects a traced or scripted module"):
        ember.jit.save(nn.Linear(1, 1), io.BytesIO())
