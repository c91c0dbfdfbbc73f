"""Robustness suite setup: makes ``robustness_kit`` importable and writes the outcome ledger at the end."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

if not sys.platform.startswith("linux"):  # the suite uses SIGALRM, SIGKILL, /proc and forked workers
    collect_ignore_glob = ["test_*.py"]

import robustness_kit  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _ledger():
    """Write the ledger to ``$EMBER_ROBUSTNESS_SUMMARY`` (when set) once the robustness tests finish."""
    yield
    path = os.environ.get("EMBER_ROBUSTNESS_SUMMARY")
    if path:
        robustness_kit.write_ledger(path)
