"""``ember.jit.trace``: record a module or function on example inputs as a :class:`GraphModule`."""

from __future__ import annotations

import warnings

from ._dynamic import STRUCTURE_CHANGES, default_symbols, make_symbolic, scaled_inputs
from ._module import GraphModule
from ._tracer import TracerWarning, flatten, record


def _as_tuple(example_inputs):
    if isinstance(example_inputs, tuple):
        return example_inputs
    return (example_inputs,)


def build_module(fn, inputs, *, mode="trace", strict=True, symbols=None):
    """Record ``fn`` on ``inputs`` and return a :class:`GraphModule` (sizes made symbolic where they fit).

    ``symbols``: per size symbol the ``(input leaf index, dim)`` places it is read from; None picks the batch
    dimension (dim 0 of every input) when the inputs share it.
    """
    g = record(fn, inputs, mode, strict=strict)
    leaves = []
    flatten(tuple(inputs), leaves)
    symbols = default_symbols(leaves) if symbols is None else [list(p) for p in symbols]
    if not symbols:
        return _module(fn, g)
    sym = _symbolic(fn, inputs, leaves, symbols, mode, strict, g)
    module = _module(fn, sym)
    if sym is not g and not _reproduces(module, fn, inputs):  # the example sizes really take another path
        g.symbols, g.fixed_reason = [], STRUCTURE_CHANGES
        module = _module(fn, g)
    return module


def _module(fn, g):
    from ..nn.modules.module import Module
    from ._passes import eliminate_dead_code

    eliminate_dead_code(g)
    tensors = {}
    if isinstance(fn, Module):
        sd = fn.state_dict(keep_vars=True)
        tensors = {v.name: sd[v.name] for v in g.params}
    name = type(fn).__name__ if isinstance(fn, Module) else getattr(fn, "__name__", "function")
    return GraphModule(g, tensors, name).train(fn.training if isinstance(fn, Module) else False)


def _reproduces(module, fn, inputs):
    """Whether ``module`` gives ``fn``'s outputs on ``inputs``: the same shapes and dtypes, and values equal
    up to rounding (a GPU's matrix products may sum in another order at other sizes)."""
    import numpy as np

    from ..autograd.grad_mode import no_grad

    want, got = [], []
    try:
        with no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flatten(fn(*inputs), want)
            flatten(module(*inputs), got)
    except Exception:
        return False
    def same(w, o):
        a, b = w._be.to_host(w._data), o._be.to_host(o._data)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
        return bool(np.array_equal(a, b))

    return len(want) == len(got) and all(same(w, o) for w, o in zip(want, got))


def _symbolic(fn, inputs, leaves, symbols, mode, strict, g):
    """``g`` with symbolic sizes (fitted on traces at 1x, 2x and 3x the sizes), or ``g`` with fixed sizes and a
    ``fixed_reason``. Where the example sizes take a shortcut that larger sizes don't (``expand`` to a batch of 1
    records nothing), the fit is redone on traces at 2x, 4x and 6x and the 2x trace becomes the graph (the caller
    checks that it reproduces the example)."""
    base = [leaves[places[0][0]].shape[places[0][1]] for places in symbols]
    n = len(symbols)
    reason = None
    for scale in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                graphs = [g if scale == 1 and m == 0 else
                          record(fn, scaled_inputs(inputs, leaves, symbols, [scale * (2 if m >> k & 1 else 1) for k in range(n)]),
                                 mode, quiet=True, strict=strict) for m in range(1 << n)]
                check = record(fn, scaled_inputs(inputs, leaves, symbols, [3 * scale] * n), mode, quiet=True, strict=strict)
                reason = make_symbolic(graphs, check, [scale * b for b in base])
            except Exception as exc:  # the function rejects other sizes: the graph keeps fixed sizes
                reason = f"the function fails at other sizes ({type(exc).__name__}: {exc})"
        if reason is None:
            graphs[0].symbols, graphs[0].fixed_reason = symbols, None
            return graphs[0]
        if reason != STRUCTURE_CHANGES:
            break
    g.symbols, g.fixed_reason = [], reason
    return g


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Run ``func`` on ``example_inputs`` and record the primitive ops it runs as a :class:`GraphModule`.

    Parameters and buffers become named graph inputs (their ``state_dict`` keys), tensors created in
    ``forward`` become constants, and the batch size is kept symbolic where the ops allow, so a model
    traced with batch 1 runs on batch 32. Python control flow is recorded as the path the example took:
    reading a tensor value that depends on the inputs (``if x.sum() > 0``, ``.item()``, ``.tolist()``,
    ``int(x)``) warns with :class:`TracerWarning`. ``check_trace`` compares the graph with eager mode
    on the example (and on ``check_inputs``) and warns on a mismatch. ``strict=False`` allows list and
    dict outputs.

    Example:
        >>> import ember
        >>> net = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU())
        >>> traced = ember.jit.trace(net, ember.randn(1, 4))
        >>> traced(ember.randn(32, 4)).shape
        ember.Size([32, 3])
    """
    if example_kwarg_inputs is not None:
        raise NotImplementedError("ember.jit.trace: example_kwarg_inputs is not supported; pass positional example_inputs")
    if example_inputs is None:
        raise ValueError("ember.jit.trace: example_inputs is required")
    inputs = _as_tuple(example_inputs)
    module = build_module(func, inputs, strict=strict)
    if check_trace:
        for check in [inputs] + [_as_tuple(c) for c in (check_inputs or [])]:
            compare_with_eager(module, func, check, check_tolerance)
    return module


def compare_with_eager(module, func, inputs, tolerance=1e-5):
    """Warn (:class:`TracerWarning`) where the graph's outputs differ from ``func``'s on ``inputs``."""
    import numpy as np

    from ..autograd.grad_mode import no_grad

    with no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = [], []
        flatten(func(*inputs), want)
        flatten(module(*inputs), got)
    if len(want) != len(got):
        warnings.warn(TracerWarning(f"The traced function returns {len(got)} tensors, the Python function {len(want)}"),
                      stacklevel=3)
        return
    for i, (w, g) in enumerate(zip(want, got)):
        a, b = w._be.to_host(w._data), g._be.to_host(g._data)
        if a.shape != b.shape or not np.allclose(a, b, rtol=tolerance, atol=tolerance, equal_nan=True):
            detail = f"shapes {a.shape} and {b.shape}" if a.shape != b.shape else \
                f"largest difference {np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))}"
            warnings.warn(TracerWarning(
                f"Output nr {i + 1}. of the traced function does not match the corresponding output of the Python "
                f"function. Detailed error:\nTensor-likes are not close! ({detail}, tolerance {tolerance})"),
                stacklevel=3)


def is_tracing():
    """Whether a trace is being recorded right now.

    Example:
        >>> import ember
        >>> ember.jit.is_tracing()
        False
    """
    from .. import _tensor

    return _tensor._tracer is not None


__all__ = ["trace", "build_module", "compare_with_eager", "is_tracing"]
