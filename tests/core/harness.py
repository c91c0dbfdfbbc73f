"""The op-table harness: a case states inputs, the Ember call and a numpy reference;
the harness checks values, float64 gradients (finite differences) and double
backward on a device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import ember


@dataclass
class Case:
    """One op case.

    Args:
        name: test id.
        fn: ``fn(*tensors) -> tensor`` using Ember.
        ref: ``ref(*arrays) -> array`` using numpy, or None to skip the value check.
        inputs: numpy arrays (float arrays become differentiable in the grad checks).
        grad: run gradcheck; gradgrad: run gradgradcheck.
        nondiff: indices of inputs never differentiated (e.g. integer indices).
    """

    name: str
    fn: Callable
    ref: Callable | None
    inputs: tuple
    grad: bool = True
    gradgrad: bool = True
    nondiff: tuple = ()
    atol: float = 1e-5
    rtol: float = 1e-5
    devices: tuple | None = None  # restrict to these device types
    check_dtype: bool = True
    kwargs: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


def to_ember(inputs, device, dtype=None, requires_grad=False, nondiff=()):
    out = []
    for i, a in enumerate(inputs):
        if isinstance(a, np.ndarray):
            t = ember.tensor(a, device=device)
            if dtype is not None and a.dtype.kind == "f":
                t = t.to(dtype)
            if requires_grad and a.dtype.kind == "f" and i not in nondiff:
                t.requires_grad_()
            out.append(t)
        else:
            out.append(a)
    return out


def _host(x):
    if isinstance(x, (tuple, list)):
        return [_host(v) for v in x]
    return np.asarray(x.detach().cpu().numpy()) if isinstance(x, ember.Tensor) else np.asarray(x)


def check_values(case, device):
    if case.ref is None:
        return
    got = case.fn(*to_ember(case.inputs, device))
    want = case.ref(*case.inputs)
    got, want = _host(got), want
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want):
            _compare(case, g, np.asarray(w))
    else:
        _compare(case, got, np.asarray(want))


def _compare(case, got, want):
    assert got.shape == want.shape, f"{case.name}: shape {got.shape} != reference {want.shape}"
    if case.check_dtype:
        assert got.dtype == want.dtype, f"{case.name}: dtype {got.dtype} != reference {want.dtype}"
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol, err_msg=case.name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=case.name)


def check_grad(case, device):
    if not case.grad:
        return
    xs = to_ember(case.inputs, device, dtype=ember.float64, requires_grad=True, nondiff=case.nondiff)
    assert ember.autograd.gradcheck(case.fn, tuple(xs), eps=1e-6, atol=1e-5, rtol=1e-4)
    if case.gradgrad:
        assert ember.autograd.gradgradcheck(case.fn, tuple(xs), eps=1e-6, atol=1e-5, rtol=1e-4)


def run(case, device):
    if case.devices is not None and device not in case.devices:
        import pytest

        pytest.skip(f"{case.name} runs on {case.devices} only")
    check_values(case, device)
    check_grad(case, device)
