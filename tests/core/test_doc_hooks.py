"""Documentation guarantees: every public op and Tensor method has a docstring with an example, and
every example in ``ember``'s docstrings runs (so ``python -m pytest tests`` covers the doctests)."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import ember
from ember.ops._registry import FUNCTIONS


def _public_modules():
    names = ["ember"]
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        names.append(info.name)
    return sorted(names)


MODULES = _public_modules()


def _undocumented(items):
    missing = []
    for name, obj in items:
        doc = inspect.getdoc(obj) or ""
        if ">>>" not in doc:
            missing.append(name)
    return missing


def test_every_public_function_has_an_example():
    missing = _undocumented(sorted(FUNCTIONS.items()))
    assert not missing, f"ember functions without a docstring example: {missing}"


def _tensor_methods():
    for name, attr in sorted(vars(ember.Tensor).items()):
        if name.startswith("_") or not callable(attr) or isinstance(attr, (staticmethod, classmethod, type)):
            continue
        doc = inspect.getdoc(attr) or ""
        if doc.startswith("In-place version of"):  # generated from a documented out-of-place op
            continue
        yield name, attr


def test_every_tensor_method_has_an_example():
    missing = _undocumented(_tensor_methods())
    assert not missing, f"Tensor methods without a docstring example: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional dependency is missing here
        pytest.skip(f"{name} cannot be imported here: {exc}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for test in finder.find(module, name):  # globals: a copy of the module's, as pytest --doctest-modules
        if test.examples and _defined_in(test, module):
            result = runner.run(test, out=failures.append)
            assert result.attempted
    assert not failures, "".join(failures)


def _defined_in(test, module):
    """Only the module's own docstrings (not those of names it imports from elsewhere)."""
    return test.filename is None or inspect.getsourcefile(module) in (test.filename, None)
