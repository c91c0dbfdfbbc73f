"""Every example in emberlightning's docstrings runs, and every public class and function has one."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import emberlightning

MODULES = sorted(["emberlightning"] + [info.name for info in
                                        pkgutil.walk_packages(emberlightning.__path__, "emberlightning.")])


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files (default_root_dir = cwd) stay out of the checkout
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for test in finder.find(module, name):
        if test.examples and (test.filename is None or test.filename == inspect.getsourcefile(module)):
            runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


@pytest.mark.parametrize("name", [m for m in MODULES if not any(part.startswith("_") for part in m.split("."))])
def test_public_names_have_examples(name):
    module = importlib.import_module(name)
    public = getattr(module, "__all__", None)
    missing = []
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != name or (public is not None
                                                                                 and attr not in public):
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and ">>>" not in (inspect.getdoc(obj) or ""):
            missing.append(attr)
    assert not missing, f"{name}: public names without a docstring example: {missing}"
