"""The registry of process-group backends: ``Backend.register_backend``, plugins' hook, names, routing, availability.

Real jobs with a registered backend are in ``test_distributed.py`` (``workers/custom_backend.py``).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ember.distributed as dist
from ember.distributed import _backends
from ember.plugins import PluginHost, PluginWarning

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def make(store, rank, world_size, timeout):
    raise AssertionError("no transport is made in these tests")


@pytest.fixture
def registry(monkeypatch):
    """The process-wide registry, restored after the test."""
    _backends.registered()
    monkeypatch.setattr(_backends, "_PLUGINS", dict(_backends._PLUGINS))
    monkeypatch.setattr(_backends, "_DEFAULT_DEVICE_MAP", dict(_backends._DEFAULT_DEVICE_MAP))
    names = set(vars(dist.Backend))
    yield
    for name in set(vars(dist.Backend)) - names:
        delattr(dist.Backend, name)


def test_core_distributed_holds_no_gpu_library():
    root = Path(dist.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text().lower()
        assert "cupy" not in text and "ember_cuda" not in text, path


def test_core_registers_mpi_and_gloo_for_cpu():
    assert dist.Backend.backend_list[:2] == ["mpi", "gloo"]
    assert dist.Backend.backend_capability["mpi"] == dist.Backend.backend_capability["gloo"] == ["cpu"]
    assert dist.Backend.default_device_backend_map["cpu"] == "mpi"
    assert _backends.routes("gloo") == {"cpu": "gloo", None: "mpi"}
    assert dist.is_backend_available("gloo") == dist.is_backend_available("mpi") == dist.is_mpi_available()
    assert dist.is_nccl_available() == dist.is_backend_available("nccl")


@pytest.mark.parametrize("name", ["ucc", "cpu:ucc", "cpu", ":mpi", "cpu:mpi,cpu:gloo", "cpu:mpi,"])
def test_unknown_backend_names_list_the_registered_ones(name):
    known = ", ".join(f"'{n}'" for n in dist.Backend.backend_list)
    with pytest.raises(ValueError, match=f"Invalid backend: '{name}' \\(registered backends: {known};"):
        dist.Backend(name)
    with pytest.raises(ValueError, match=f"Invalid backend: '{name}'"):
        dist.init_process_group(name)
    assert not dist.is_backend_available(name) and not dist.is_initialized()


def test_register_backend_like_torch(registry):
    assert dist.Backend.register_backend("Toy", make, devices="cpu") is None
    assert dist.Backend.TOY == dist.Backend("TOY") == "toy" and "toy" in dist.Backend.backend_list
    assert dist.Backend.backend_capability["toy"] == ["cpu"]
    assert dist.Backend.default_device_backend_map["cpu"] == "mpi"  # the first claim on a device type stays
    assert dist.is_backend_available("toy") and dist.is_backend_available("cpu:toy")
    assert _backends.routes("toy") == {"cpu": "toy", None: "mpi"}
    assert _backends.routes("cpu:toy,toaster:gloo") == {"cpu": "toy", "toaster": "gloo", None: "mpi"}
    entry = _backends._PLUGINS["toy"]
    assert (entry.creator_fn, entry.extended_api, entry.owner) == (make, False, "a register_backend call")


def test_a_backend_for_every_device_type_and_a_new_device_type(registry):
    dist.Backend.register_backend("anything", make)
    assert _backends.routes("anything") == {None: "anything"}
    assert dist.Backend.backend_capability["anything"] is None
    dist.Backend.register_backend("toasting", make, devices=["toaster"], available=lambda: True)
    assert dist.Backend.default_device_backend_map["toaster"] == "toasting"
    assert _backends.default_backend().endswith(",toaster:toasting")


def test_an_unavailable_backend_is_refused_before_mpi_starts(registry):
    def never():
        return False

    dist.Backend.register_backend("absent", make, devices=["toaster"], available=never)
    assert not dist.is_backend_available("absent") and not dist.is_backend_available("cpu:mpi,toaster:absent")
    assert "toaster" not in _backends.default_backend()  # defaults skip what cannot run
    with pytest.raises(RuntimeError, match=r"init_process_group: backend 'absent' \(registered by a register_backend "
                                           r"call\) is not available here: .*never\(\) is False"):
        dist.init_process_group("cpu:gloo,toaster:absent")
    assert not dist.is_initialized()


def test_registration_errors(registry):
    with pytest.raises(RuntimeError, match="register_backend: backend 'mpi' is already registered by ember"):
        dist.Backend.register_backend("MPI", make)
    with pytest.raises(ValueError, match="must be an identifier string, got 'my-backend'"):
        dist.Backend.register_backend("my-backend", make)
    with pytest.raises(TypeError, match="func must be callable"):
        dist.Backend.register_backend("toy", None)
    dist.Backend.register_backend("toy", make, devices=["cpu"])
    dist.Backend.register_backend("toy", make, extended_api=True, devices=["cpu"])  # the same owner replaces it
    assert _backends._PLUGINS["toy"].extended_api is True


# --- plugins -------------------------------------------------------------------------------------------
class Recorder:
    """A registry view that records what plugins register."""

    seen = []

    def __init__(self, plugin):
        self.plugin = plugin

    def register_backend(self, name, func, extended_api=False, devices=None, *, available=None):
        self.seen.append((self.plugin, name, devices))


def test_plugin_hook_runs_when_subscribed_and_for_later_plugins(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    import emberplug_distributed as plug

    Recorder.seen = []
    host = PluginHost()
    host.subscribe(_backends.HOOK, Recorder)  # the installed plugins (ember-cuda's 'nccl') register now
    first = list(Recorder.seen)
    host.register(plug, "distplug")
    assert Recorder.seen == first + [("distplug", "plugged", ["cpu"])]
    with pytest.warns(PluginWarning, match="'raising': ember_register_distributed_backends raised ValueError: "
                                           "plugin exploded"):
        host.register(plug.RaisingPlugin, "raising")
    assert "raising" not in host.failures and host.pm.get_plugin("raising") is not None


def test_installed_plugin_registers_its_backend_on_first_distributed_use(tmp_path):
    info = tmp_path / "distplug-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: distplug\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[ember]\ndistplug = emberplug_distributed\n")
    code = ("import ember, emberplug_distributed as plug; ember.zeros(1) + 1; import ember.distributed as dist; "
            "print(plug.HOOK_RAN); print(dist.Backend('PLUGGED'), dist.Backend.backend_capability['plugged'], "
            "dist.is_backend_available('plugged'), plug.HOOK_RAN)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(PLUGINS), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "plugged ['cpu'] True [True]"]


def test_register_backend_signature_matches_torch():
    torch = pytest.importorskip("torch")
    import inspect

    theirs = inspect.signature(torch.distributed.Backend.register_backend).parameters
    ours = inspect.signature(dist.Backend.register_backend).parameters
    assert [(p.name, p.default) for p in theirs.values()] == [(p.name, p.default) for p in ours.values()][:len(theirs)]
    assert list(ours)[len(theirs):] == ["available"] and ours["available"].kind is inspect.Parameter.KEYWORD_ONLY
