"""The plugin system's guarantees: broken plugins never break Ember, one provider per device type,
autoload switches, lazy backends, documented hooks, and ``python -m ember``."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ember
from ember.plugins import PluginHost, hookspecs
from ember.plugins._host import PluginWarning

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

ENTRY_POINTS = {
    "lazy": "emberplug_lazy",
    "import_error": "emberplug_import_error",
    "raising_hook": "emberplug_raising_hook",
    "bad_loader": "emberplug_bad_loader",
    "bad_name": "emberplug_bad_name",
    "unknown_hook": "emberplug_unknown_hook",
    "second_cpu": "emberplug_second_cpu",
    "failing_load": "emberplug_failing_load",
}


def install_entry_points(where, names):
    """A fake installed distribution whose ``ember`` entry points name the test plugins."""
    info = where / "emberplugs-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: emberplugs\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[ember]\n" + "".join(f"{n} = {ENTRY_POINTS[n]}\n" for n in names))
    return where


def run_python(code, site, env=None, args=()):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGINS), environ.get("PYTHONPATH", "")])
    environ.update(env or {})
    cmd = [sys.executable, "-W", "default", *args] + (["-c", code] if code else [])
    return subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=120)


@pytest.fixture
def plugins_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))


# --- in-process: a fresh host per test, the process-wide one is untouched -------------------------
@pytest.mark.parametrize("module, reason", [
    ("emberplug_raising_hook", "ember_register_backends raised ValueError: plugin exploded while registering"),
    ("emberplug_bad_loader", "add_backend: load must be callable"),
    ("emberplug_bad_name", "add_backend: device type must be an identifier string, got 'my-gpu'"),
    ("emberplug_unknown_hook", "registration failed: PluginValidationError: unknown hook 'ember_register_optimizers'"),
])
def test_broken_plugin_is_skipped_with_a_warning(plugins_on_path, module, reason):
    import importlib

    host = PluginHost()
    with pytest.warns(PluginWarning, match=f"ember plugin '{module}' was skipped: .*{reason}".replace("(", r"\(")):
        host.register(importlib.import_module(module))
    assert host.registry.device_types() == []  # partial registrations are undone
    assert module in host.failures and host.pm.get_plugin(module) is None
    lazy = importlib.import_module("emberplug_lazy")
    host.register(lazy)  # the host keeps working for other plugins
    assert host.registry.device_types() == ["lazy"]


def test_import_error_through_entry_point(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.syspath_prepend(str(install_entry_points(tmp_path, ["import_error", "lazy"])))
    host = PluginHost()
    with pytest.warns(PluginWarning, match="ember plugin 'import_error' was skipped: import failed: ModuleNotFoundError"):
        host.ensure_loaded()
    host.load_entry_points()  # again: nothing new, no second warning
    assert {"cpu", "lazy"} <= set(host.registry.device_types())
    assert host.backend("cpu").xp.__name__ == "numpy"


def test_two_plugins_claiming_one_device_type(plugins_on_path):
    import emberplug_second_cpu

    host = PluginHost()
    host.ensure_loaded()
    with pytest.warns(PluginWarning, match="device type 'cpu' is claimed by two plugins: 'cpu' and 'emberplug_second_cpu'"):
        host.register(emberplug_second_cpu)
    assert host.registry.provider("cpu") == "cpu"


def test_registering_the_same_plugin_twice_keeps_the_first(plugins_on_path):
    import emberplug_lazy

    host = PluginHost()
    host.register(emberplug_lazy)
    with pytest.warns(PluginWarning, match="already registered"):
        host.register(emberplug_lazy)
    assert host.registry.device_types() == ["lazy"] and host.pm.get_plugin("emberplug_lazy") is emberplug_lazy


def test_backend_that_cannot_load_names_its_plugin(plugins_on_path):
    import emberplug_failing_load

    host = PluginHost()
    host.register(emberplug_failing_load)
    with pytest.raises(RuntimeError, match="the 'broken' backend of ember plugin 'emberplug_failing_load' failed to load: ImportError: libfoo.so"):
        host.backend("broken")
    with pytest.raises(TypeError, match="returned object, not an ember.backends.Backend"):
        host.backend("notabackend")


def test_backends_load_lazily(plugins_on_path):
    import emberplug_lazy

    emberplug_lazy.LOADS.clear()
    host = PluginHost()
    host.register(emberplug_lazy)
    assert emberplug_lazy.LOADS == [] and "lazy" in host.registry.device_types()
    be = host.backend("lazy")
    assert emberplug_lazy.LOADS == ["loaded"] and be.device_type == "lazy" and be.plugin == "emberplug_lazy"
    assert host.backend("lazy") is be and emberplug_lazy.LOADS == ["loaded"]


def test_unknown_device_type_error():
    with pytest.raises(RuntimeError, match="no backend is registered for device type 'nosuch' \\(registered: .*cpu"):
        ember.ones(1, device="nosuch")


def test_every_hookspec_is_documented():
    specs = [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "ember_spec")]
    assert specs, "no hookspecs found"
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert len(doc.splitlines()) >= 3, f"hookspec {spec.__name__} needs a docstring"
        for arg in inspect.signature(spec).parameters:
            assert arg in doc, f"hookspec {spec.__name__} does not document its argument {arg!r}"


# --- subprocesses: real entry points, environment switches -------------------------------------------
# the device types a subprocess sees, leaving out 'cuda', which an installed ember-cuda adds
TYPES = "sorted(t for t in ember.plugins.host().device_types() if t != 'cuda')"


def test_broken_plugins_never_break_import(tmp_path):
    site = install_entry_points(tmp_path, list(ENTRY_POINTS))
    code = ("import ember; print(sorted(ember.plugins.host().device_types()));"
            "print((ember.ones(2) * 2).tolist(), (ember.ones(2, device='strict') + 1).tolist())")
    res = run_python(code, site)
    assert res.returncode == 0, res.stderr
    types, values = res.stdout.splitlines()
    # an installed ember-cuda adds 'cuda'; everything else is exactly the test plugins and the built-ins
    assert [t for t in eval(types) if t != "cuda"] == ["broken", "cpu", "lazy", "notabackend", "strict"]
    assert values == "[2.0, 2.0] [2.0, 2.0]"
    for name in ("import_error", "raising_hook", "bad_loader", "bad_name", "unknown_hook", "second_cpu"):
        assert f"PluginWarning: ember plugin '{name}' was skipped" in res.stderr
    assert "device type 'cpu' is claimed by two plugins: 'cpu' and 'second_cpu'" in res.stderr


def test_python_m_ember_reports_backends_and_failures(tmp_path):
    site = install_entry_points(tmp_path, ["lazy", "import_error", "failing_load"])
    res = run_python(None, site, env={"EMBERPLUG_LAZY_ANNOUNCE": ""}, args=("-m", "ember"))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"Ember version: {ember.__version__}" in out
    assert f"Python version: {sys.version.split()[0]}" in out and "numpy version: " in out and "Platform: " in out
    assert "  cpu: 1 device (host" in out and "[plugin 'cpu' from ember-cpu " in out
    assert "  lazy: 1 device(s) [plugin 'lazy' from emberplugs 0.0]" in out
    assert "  broken: unavailable (RuntimeError: the 'broken' backend of ember plugin 'failing_load' failed to load" in out
    assert "Failed plugins:\n  import_error: import failed: ModuleNotFoundError" in out


def test_autoload_switch_and_allow_list(tmp_path):
    site = install_entry_points(tmp_path, ["lazy", "import_error"])
    code = f"import ember; print({TYPES})"
    off = {"EMBER_DISABLE_PLUGIN_AUTOLOAD": "1"}
    res = run_python(code + "\ntry:\n    ember.ones(1)\nexcept RuntimeError as e:\n    print(e)", site, off)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["[]", "no backend is registered for device type 'cpu' (registered: none)"]
    res = run_python(code, site, dict(off, EMBER_PLUGINS="cpu, emberplug_lazy"))  # by entry-point or module name
    assert res.returncode == 0 and res.stdout.strip() == "['cpu', 'lazy']", res.stderr
    assert "PluginWarning" not in res.stderr  # the broken plugin was never imported
    res = run_python(code, site, {"EMBER_DISABLE_PLUGIN_AUTOLOAD": "0"})
    assert "['cpu', 'lazy', 'strict']" in res.stdout and "'import_error' was skipped" in res.stderr


def test_backend_libraries_are_imported_at_first_use(tmp_path):
    site = install_entry_points(tmp_path, ["lazy"])
    code = "\n".join([
        "import sys, ember",
        "print('strict imported:', 'array_api_strict' in sys.modules)",
        f"print({TYPES})",
        "print('strict imported:', 'array_api_strict' in sys.modules)",
        "print('making a lazy tensor')",
        "print(ember.ones(2, device='lazy').device)",
        "ember.ones(1, device='strict')",
        "print('strict imported:', 'array_api_strict' in sys.modules)",
    ])
    res = run_python(code, site, {"EMBERPLUG_LAZY_ANNOUNCE": "1"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "strict imported: False", "['cpu', 'lazy', 'strict']", "strict imported: False",
        "making a lazy tensor", "LAZY-BACKEND-LOADED", "lazy", "strict imported: True",
    ]


# --- ember.cuda: a facade over whatever plugin provides 'cuda' ----------------------------------------
def test_cuda_facade_without_a_cuda_backend(tmp_path):
    code = "\n".join([
        "import ember",
        "print(ember.cuda.is_available(), ember.cuda.device_count(), ember.cuda.is_initialized())",
        "ember.cuda.manual_seed(1); ember.cuda.manual_seed_all(1); ember.cuda.empty_cache()",
        "for call in (ember.cuda.current_device, ember.cuda.synchronize, ember.cuda.memory_allocated):",
        "    try:",
        "        call()",
        "    except RuntimeError as e:",
        "        print(e)",
    ])
    res = run_python(code, tmp_path, {"EMBER_DISABLE_PLUGIN_AUTOLOAD": "1", "EMBER_PLUGINS": "cpu"})
    assert res.returncode == 0, res.stderr
    msg = "Ember has no 'cuda' backend: install ember-cuda (pip install 'ember[cuda]')"
    assert res.stdout.splitlines() == ["False 0 False", msg, msg, msg]


def test_cuda_facade_delegates_to_the_backend(tmp_path):
    (tmp_path / "emberplugs-0.0.dist-info").mkdir()
    (tmp_path / "emberplugs-0.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: emberplugs\nVersion: 0.0\n")
    (tmp_path / "emberplugs-0.0.dist-info" / "entry_points.txt").write_text("[ember]\nfakecuda = emberplug_fakecuda\n")
    code = "\n".join([
        "import ember",
        "c = ember.cuda",
        "print(c.is_available(), c.device_count(), c.current_device(), c.get_device_name(), c.get_device_capability(1))",
        "c.set_device('cuda:1'); print(c.current_device(), c.memory_allocated(), c.memory_allocated(0))",
        "with c.device(0):",
        "    print('inside', c.current_device())",
        "print('after', c.current_device())",
        "c.synchronize(); c.synchronize('cuda:0'); print(ember.plugins.host().backend('cuda').synced)",
        "t = ember.ones(2, device='cuda'); print(t.device, t.is_cuda, ember.ones(1).cuda().device)",
        "c.set_device(0); print(ember.ones(1, device='cuda').device, ember.ones(1).cuda(1).device)",
        "c.set_device(1); c.manual_seed(5); a = ember.rand(3, device='cuda:1'); c.manual_seed(5); b = ember.rand(3, device='cuda:1')",
        "print(bool((a == b).all()), c.initial_seed())",
        "try:",
        "    c.set_device(7)",
        "except RuntimeError as e:",
        "    print(e)",
    ])
    env = {"EMBER_DISABLE_PLUGIN_AUTOLOAD": "1", "EMBER_PLUGINS": "cpu,fakecuda"}
    res = run_python(code, tmp_path, env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "True 2 0 Fake GPU 0 (9, 0)",
        "1 2048 1024",
        "inside 0",
        "after 1",
        "[1, 0]",
        "cuda:1 True cuda:1",
        "cuda:0 cuda:1",
        "True 5",
        "invalid device ordinal: cuda:7 (2 device(s) available)",
    ]
    res = run_python("import ember\nprint(ember.cuda.is_available(), ember.cuda.device_count())\n"
                     "try:\n    ember.cuda.current_device()\nexcept RuntimeError as e:\n    print(e)",
                     tmp_path, dict(env, EMBERPLUG_FAKECUDA_DEVICES="0"))
    assert res.stdout.splitlines() == ["False 0", "CuPy found no usable GPU"], res.stderr
