"""Every example in embertext's docstrings runs, and every public class and function has one."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import embertext

MODULES = sorted(["embertext"] + [info.name for info in pkgutil.walk_packages(embertext.__path__, "embertext.")])


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        if test.examples and (test.filename is None or test.filename == inspect.getsourcefile(module)):
            runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


@pytest.mark.parametrize("name", [m for m in MODULES if not any(p.startswith("_") for p in m.split("."))])
def test_public_names_have_examples(name):
    module = importlib.import_module(name)
    public = getattr(module, "__all__", None)
    missing = [attr for attr, obj in vars(module).items()
               if not attr.startswith("_") and getattr(obj, "__module__", None) == name
               and (public is None or attr in public)
               and (inspect.isclass(obj) or inspect.isfunction(obj)) and ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"{name}: public names without a docstring example: {missing}"
