"""Suite-wide fixtures: every test that takes ``device`` runs on every installed backend."""

import os

import numpy as np
import pytest

import ember


UNUSABLE = {}  # device type -> why its backend cannot run here (e.g. CuPy without a GPU)


def _usable_devices():
    devices = []
    host = ember.plugins.host()
    for name in host.device_types():
        try:
            be = host.backend(name)
            if be.device_count() > 0:
                devices.append(name)
        except Exception as exc:  # a backend whose library is missing (e.g. no GPU) is skipped, not an error
            UNUSABLE[name] = f"{type(exc).__name__}: {exc}"
    only = os.environ.get("EMBER_TEST_DEVICES")
    if only:
        devices = [d for d in devices if d in only.split(",")]
    return devices


DEVICES = _usable_devices()


def pytest_report_header(config):
    lines = [f"ember devices: {', '.join(DEVICES)}"]
    lines += [f"ember device '{name}' skipped: {why}" for name, why in UNUSABLE.items()]
    return lines


@pytest.fixture(params=DEVICES)
def device(request):
    """The name of an installed device type (cpu, strict, cuda when present)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)
    np.random.seed(0)
    yield
