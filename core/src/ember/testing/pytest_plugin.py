"""A pytest plugin that checks a backend: ``pytest -p ember.testing.pytest_plugin --ember-device NAME``.

With ``--ember-device NAME`` the run gains one test per op of the conformance suite
(``conformance[NAME-op]``) and the suite's ``device`` fixture (``tests/conftest.py`` reads
``EMBER_TEST_DEVICES``) is narrowed to that device. Use ``-k conformance`` to run only
the conformance tests, e.g. from a plugin's own repository::

    pytest -p ember.testing.pytest_plugin --ember-device mydevice -k conformance
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--ember-device", default=None, metavar="NAME",
                     help="ember device type to check with the conformance suite (and to run the device tests on)")


def pytest_load_initial_conftests(early_config, parser, args):
    device = early_config.known_args_namespace.ember_device
    if device:
        os.environ["EMBER_TEST_DEVICES"] = device


class ConformanceItem(pytest.Item):
    """One op of the conformance suite on the chosen device."""

    def __init__(self, *, op, sample, device, **kwargs):
        super().__init__(**kwargs)
        self.op, self.sample, self.device = op, sample, device

    def runtest(self):
        from . import conformance

        result = conformance.check(self.op, conformance._function(self.op), self.sample, self.device)
        if result.status != "pass":
            raise AssertionError(f"{self.op} on '{self.device}': {result.detail}")

    def reportinfo(self):
        return self.path, None, f"conformance[{self.device}-{self.op}]"


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those select among these items too
def pytest_collection_modifyitems(session, config, items):
    device = config.getoption("ember_device")
    if not device:
        return
    from . import conformance

    added = []
    for op, sample in conformance.samples().items():
        if sample is not None:
            added.append(ConformanceItem.from_parent(session, name=f"conformance[{device}-{op}]", op=op,
                                                     sample=sample, device=device))
    items.extend(added)
