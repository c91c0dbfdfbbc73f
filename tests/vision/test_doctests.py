"""Every example in embervision's docstrings runs, and every public name has one."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import embervision

MODULES = sorted(["embervision"] + [info.name for info in pkgutil.walk_packages(embervision.__path__, "embervision.")])


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        if test.examples and (test.filename is None or inspect.getsourcefile(module) in (test.filename, None)):
            runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


@pytest.mark.parametrize("package", ["datasets", "io", "models", "ops", "transforms", "utils"])
def test_public_names_have_examples(package):
    module = importlib.import_module(f"embervision.{package}")
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    missing = []
    for n in names:
        obj = getattr(module, n)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith("embervision"):
            if ">>>" not in (inspect.getdoc(obj) or ""):
                missing.append(n)
    assert not missing, f"embervision.{package} names without a docstring example: {missing}"
