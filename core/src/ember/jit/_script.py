"""``ember.jit.script``: symbolic tracing with placeholder inputs (torch.fx style), not a Python compiler.

The module runs on *proxy* inputs - random tensors whose shapes are inferred from the
first layer that reads the input (``Linear``, ``Embedding``, recurrent layers, attention,
or ``example_inputs`` when given). Python control flow that does not read tensor values
(loops over layers, ``if self.flag``) is unrolled into the graph; control flow that reads
a value depending on the inputs raises :class:`~ember.jit.ScriptError` naming the line,
where TorchScript would compile it: use :func:`ember.jit.trace` with a real example there.
"""

from __future__ import annotations

from ._api import _as_tuple, build_module, compare_with_eager

_PROXY_BATCH = 2  # not 1: batch-1 shortcuts (squeeze, batch statistics) would be baked in


def _proxy_inputs(module):
    """Placeholder inputs for ``module``, from the first submodule whose input size is known."""
    from .. import _creation, _dtype, _random
    from ..nn.modules import linear, rnn, sparse

    for name, sub in module.named_modules():
        w = next(iter(sub.parameters(recurse=False)), None)
        dtype = w.dtype if w is not None else None
        if isinstance(sub, linear.Linear):
            return (_random.randn(_PROXY_BATCH, sub.in_features, dtype=dtype),)
        if isinstance(sub, sparse.Embedding):
            return (_creation.zeros(_PROXY_BATCH, 3, dtype=_dtype.int64),)
        if isinstance(sub, rnn.RNNBase):
            return (_random.randn(_PROXY_BATCH, 3, sub.input_size, dtype=dtype),)
        embed = getattr(sub, "embed_dim", None)
        if isinstance(embed, int) and w is not None:
            return (_random.randn(_PROXY_BATCH, 3, embed, dtype=dtype),)
        if w is not None:
            raise RuntimeError(
                f"ember.jit.script: can't infer the input shape of {type(module).__name__}: its first layer "
                f"{name or 'self'} ({type(sub).__name__}) doesn't fix the input size (spatial sizes are unknown). "
                f"Pass example_inputs=[(x,)] to ember.jit.script, or use ember.jit.trace(model, x).")
    raise RuntimeError(f"ember.jit.script: {type(module).__name__} has no layer that fixes its input shape; pass "
                       f"example_inputs=[(x,)] or use ember.jit.trace(model, x)")


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Capture a module as a :class:`~ember.jit.GraphModule` by symbolic tracing on placeholder inputs.

    Unlike TorchScript this does not compile Python: loops and branches that don't read tensor values
    are unrolled, and a branch on a tensor value raises :class:`~ember.jit.ScriptError` naming the line.
    The input shape comes from the first layer (``Linear``, ``Embedding``, RNNs, attention) or from
    ``example_inputs`` (a list of argument tuples, as in torch). The batch size stays symbolic.

    Example:
        >>> import ember
        >>> model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
        >>> scripted = ember.jit.script(model)
        >>> scripted(ember.randn(5, 4)).shape
        ember.Size([5, 2])
    """
    from ..nn.modules.module import Module

    if example_inputs:
        inputs = _as_tuple(example_inputs[0])
    elif isinstance(obj, Module):
        inputs = _proxy_inputs(obj)
    else:
        raise RuntimeError(f"ember.jit.script: scripting the function {getattr(obj, '__name__', obj)!r} needs "
                           f"example_inputs=[(x,)] (ember has no Python compiler); or use ember.jit.trace(fn, x)")
    module = build_module(obj, inputs, mode="script")
    compare_with_eager(module, obj, inputs)
    return module
