"""The backend conformance suite: every exported op with a sample, on a device, against the CPU.

For each op in :data:`ember.ops._registry.FUNCTIONS` with a sample call (hand-written or
found by probing, see ``_samples``), the op runs on the CPU and on the device under test;
values must agree within tolerance (same dtype and shape), and so must the gradients of
the float inputs (backward of a fixed weighted sum of the float outputs). An op is
``pass``, ``fail`` (with the reason) or ``missing`` (no sample the CPU accepts, or the
backend raises ``NotImplementedError`` for it).

Run it from the shell; the exit code is 1 when an op fails::

    python -m ember.testing.conformance --device strict

Example:
    >>> from ember.testing import conformance
    >>> report = conformance.run("strict", ops=["add", "matmul"])
    >>> [(r.op, r.status) for r in report.results]
    [('add', 'pass'), ('matmul', 'pass')]
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

import ember
from ember.ops._registry import FUNCTIONS

from . import _samples


@dataclass
class Result:
    """The outcome for one op: status is 'pass', 'fail' or 'missing'."""

    op: str
    status: str
    detail: str = ""


@dataclass
class Report:
    """All results of one run, with counts and a printable table."""

    device: str
    results: list = field(default_factory=list)

    def count(self, status):
        return sum(r.status == status for r in self.results)

    @property
    def failures(self):
        return [r for r in self.results if r.status == "fail"]

    def table(self, verbose=False):
        """The results as text: failing ops always, passing and missing ones with ``verbose``."""
        width = max([len(r.op) for r in self.results] + [2])
        lines = [f"{'op'.ljust(width)}  status   detail", f"{'-' * width}  -------  ------"]
        for r in self.results:
            if verbose or r.status == "fail":
                lines.append(f"{r.op.ljust(width)}  {r.status.ljust(7)}  {r.detail}")
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self):
        return (f"conformance on '{self.device}': {self.count('pass')} passed, {self.count('fail')} failed, "
                f"{self.count('missing')} missing of {len(self.results)} ops")


def _build(sample, device, requires_grad=False):
    args, kwargs = sample

    def make(tok):
        if isinstance(tok, str) and tok in _samples.ARRAYS:
            a = _samples.ARRAYS[tok]
            t = ember.tensor(a, device=device)
            return t.requires_grad_() if requires_grad and a.dtype.kind == "f" else t
        if isinstance(tok, list):
            return [make(t) for t in tok]
        return tok

    kw = {k: (device if v is _samples.DEVICE else make(v)) for k, v in kwargs.items()}
    return [make(a) for a in args], kw


def _leaves(args):
    for a in args:
        if isinstance(a, list):
            yield from _leaves(a)
        elif isinstance(a, ember.Tensor) and a.requires_grad:
            yield a


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _host(x):
    if isinstance(x, ember.Tensor):
        return x.detach().cpu()._host()
    return x


def _compare(want, got, rtol, atol, what):
    """None when ``got`` matches ``want``, else the reason."""
    want, got = _flat(want), _flat(got)
    if len(want) != len(got):
        return f"{what}: {len(got)} outputs, expected {len(want)}"
    for i, (w, g) in enumerate(zip(want, got)):
        if isinstance(w, ember.Tensor) != isinstance(g, ember.Tensor):
            return f"{what}[{i}]: got {type(g).__name__}, expected {type(w).__name__}"
        if isinstance(w, ember.Tensor):
            if w.dtype is not g.dtype:
                return f"{what}[{i}]: dtype {g.dtype}, expected {w.dtype}"
            if w.shape != g.shape:
                return f"{what}[{i}]: shape {tuple(g.shape)}, expected {tuple(w.shape)}"
        hw, hg = np.asarray(_host(w)), np.asarray(_host(g))
        if hw.dtype.kind in "fc":
            ok = np.allclose(hg, hw, rtol=rtol, atol=atol, equal_nan=True)
        else:
            ok = hw.shape == hg.shape and bool(np.all(hw == hg))
        if not ok:
            return f"{what}[{i}]: values differ (max abs err {_max_err(hw, hg)})"
    return None


def _max_err(a, b):
    try:
        return f"{float(np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64)))):.3g}"
    except Exception:
        return "?"


def _grads(fn, sample, device):
    """The gradients of the float inputs of ``fn(sample)`` on ``device`` (None: no float output)."""
    args, kwargs = _build(sample, device, requires_grad=True)
    leaves = list(_leaves(args)) + list(_leaves(list(kwargs.values())))
    if not leaves:
        return None
    outs = [o for o in _flat(fn(*args, **kwargs)) if isinstance(o, ember.Tensor) and o.requires_grad]
    if not outs:
        return None
    total = None
    for k, o in enumerate(outs):
        w = ember.tensor(np.cos(np.arange(o.numel(), dtype=np.float64) + k).reshape(tuple(o.shape)),
                         dtype=o.dtype, device=device)
        term = (o * w).sum()
        total = term if total is None else total + term
    return ember.autograd.grad(total, leaves, allow_unused=True)


def check(name, fn, sample, device, rtol=1e-4, atol=1e-5, grads=True):
    """Run one sample on the CPU and on ``device``; a :class:`Result` (warnings of the ops are not errors here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _check(name, fn, sample, device, rtol, atol, grads)


def _check(name, fn, sample, device, rtol, atol, grads):
    want = fn(*_build(sample, "cpu")[0], **_build(sample, "cpu")[1])
    try:
        args, kwargs = _build(sample, device)
        got = fn(*args, **kwargs)
    except NotImplementedError as exc:  # the backend says it cannot do this op (e.g. no strided memory)
        return Result(name, "missing", f"not implemented by the backend: {exc}")
    except Exception as exc:
        return Result(name, "fail", f"raised {type(exc).__name__}: {exc}")
    bad = _compare(want, got, rtol, atol, "output")
    if bad:
        return Result(name, "fail", bad)
    if grads:
        try:
            gw = _grads(fn, sample, "cpu")
        except Exception:
            gw = None  # not differentiable on the reference either
        if gw is not None:
            try:
                gg = _grads(fn, sample, device)
            except Exception as exc:
                return Result(name, "fail", f"backward raised {type(exc).__name__}: {exc}")
            missing = [i for i, (a, b) in enumerate(zip(gw, gg)) if (a is None) != (b is None)]
            if gg is None or missing:
                return Result(name, "fail", f"gradient missing for inputs {missing}")
            pairs = [(a, b) for a, b in zip(gw, gg) if a is not None]
            bad = _compare([a for a, _ in pairs], [b for _, b in pairs], rtol * 10, atol * 10, "grad")
            if bad:
                return Result(name, "fail", bad)
            return Result(name, "pass", "values + grads")
    return Result(name, "pass", "values")


def _function(name):
    """The op called ``name``: ``ember.<name>``, or ``ember.nn.functional.<rest>`` for ``F.<rest>``."""
    if name.startswith("F."):
        import ember.nn.functional as F

        return getattr(F, name[2:])
    return FUNCTIONS[name]


def samples(ops=None):
    """``op name -> sample`` for ``ops`` (default: every exported op and ``F.*`` op); None where none fits."""
    names = ops or sorted(FUNCTIONS) + [f"F.{n}" for n in sorted(_samples.FUNCTIONAL)]
    out = {}
    for name in names:
        if _samples.skipped(name):
            continue
        fn = _function(name)
        sample = _samples.FUNCTIONAL.get(name[2:]) if name.startswith("F.") else _samples.hand(name)
        if sample is None:
            sample = _samples.probe(name, fn, lambda s: _build(s, "cpu"))
        out[name] = sample
    return out


def _then(fn, after, *args, **kwargs):
    return after(fn(*args, **kwargs))


def run(device, ops=None, grads=True):
    """Check ``ops`` (default: all exported ops with a sample) on ``device``; a :class:`Report`."""
    report = Report(device)
    for name, sample in samples(ops).items():
        if sample is None:
            report.results.append(Result(name, "missing", "no sample accepted by the CPU"))
            continue
        fn = _function(name)
        canonical = _samples.CANONICAL.get(name)
        if canonical is not None:
            fn = functools.partial(_then, fn, canonical)
        try:
            report.results.append(check(name, fn, sample, device, grads=grads))
        except Exception as exc:  # the CPU reference itself failed: the sample is wrong, not the device
            report.results.append(Result(name, "missing", f"sample fails on the CPU: {type(exc).__name__}: {exc}"))
    return report


def main(argv=None):
    """Command line: ``python -m ember.testing.conformance --device NAME [--ops a,b] [--verbose]``.

    Returns the exit code: 0 all ops pass, 1 some op fails, 2 the device cannot be used.
    """
    parser = argparse.ArgumentParser(prog="python -m ember.testing.conformance", description=__doc__.split("\n")[0])
    parser.add_argument("--device", required=True, help="device type to check, e.g. cuda, strict")
    parser.add_argument("--ops", default=None, help="comma-separated op names (default: all)")
    parser.add_argument("--no-grads", action="store_true", help="check values only")
    parser.add_argument("--verbose", "-v", action="store_true", help="list passing and missing ops too")
    ns = parser.parse_args(argv)
    try:
        ember.tensor([0.0], device=ns.device)
    except RuntimeError as exc:
        print(f"conformance: cannot use device '{ns.device}': {exc}", file=sys.stderr)
        return 2
    report = run(ns.device, ns.ops.split(",") if ns.ops else None, grads=not ns.no_grads)
    print(report.table(verbose=ns.verbose))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
