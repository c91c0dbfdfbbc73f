"""``ember.onnx``: export models to ONNX (needs the optional ``onnx`` package: ``pip install ember[onnx]``).

:func:`export` traces the model (or takes a traced :class:`~ember.jit.GraphModule`), folds
constants, and writes an ONNX model whose dynamic axes stay symbolic.

Example:
    >>> import io, ember
    >>> buf = io.BytesIO()
    >>> ember.onnx.export(ember.nn.Linear(3, 2), (ember.randn(1, 3),), buf, input_names=["x"],
    ...                   dynamic_axes={"x": {0: "batch"}})
    >>> buf.getvalue()[:2] != b""
    True
"""

from __future__ import annotations

from ._export import LOWERINGS, Lowering, UnsupportedOperatorError, onnx_dtype

__all__ = ["export", "UnsupportedOperatorError", "is_in_onnx_export"]

_exporting = [False]


def is_in_onnx_export():
    """Whether an export is running.

    Example:
        >>> import ember
        >>> ember.onnx.is_in_onnx_export()
        False
    """
    return _exporting[0]


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ember.onnx.export needs the onnx package: pip install 'ember[onnx]'") from None
    return onnx


def _symbols(dynamic_axes, names, n_leaves):
    """``(symbols, symbol names)`` from torch-style ``dynamic_axes`` on the inputs."""
    places, order = {}, []
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            continue
        i = names.index(name)
        if i >= n_leaves:
            continue
        items = axes.items() if isinstance(axes, dict) else ((a, f"{name}_dynamic_axes_{k + 1}") for k, a in enumerate(axes))
        for axis, sym in items:
            if sym not in places:
                places[sym] = []
                order.append(sym)
            places[sym].append((i, int(axis)))
    return [places[s] for s in order], order


def _graph_module(model, args, input_names, dynamic_axes):
    from ..jit._api import build_module
    from ..jit._module import GraphModule
    from ..jit._tracer import flatten, input_names as default_names

    if isinstance(model, GraphModule):
        return model, None
    leaves = []
    flatten(tuple(args), leaves)
    names = list(input_names or [])
    if len(names) < len(leaves):
        names += default_names(model, len(leaves))[len(names):]
    symbols, sym_names = _symbols(dynamic_axes, names, len(leaves))
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        m = build_module(model, tuple(args), strict=False, symbols=symbols)
    finally:
        if was_training:
            model.train()
    if symbols and not m.graph.symbols:
        raise RuntimeError(f"ember.onnx.export: the dynamic axes can't be kept symbolic: {m.graph.fixed_reason}")
    return m.eval(), sym_names


def export(model, args=(), f=None, export_params=True, verbose=False, training=None, input_names=None,
           output_names=None, operator_export_type=None, opset_version=17, do_constant_folding=True,
           dynamic_axes=None, keep_initializers_as_inputs=None, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True, dynamo=False, **kwargs):
    """Export ``model`` run on ``args`` to an ONNX file (a path or a binary file object).

    The model is traced in eval mode; ``dynamic_axes`` (``{"input": {0: "batch"}}`` or
    ``{"input": [0]}``) names input dimensions that stay symbolic, and output dimensions that follow
    them become symbolic too. ``do_constant_folding`` freezes the weights and folds everything that
    only depends on them (batch norm is folded into the preceding convolution). An op without an
    ONNX translation raises :class:`UnsupportedOperatorError` naming the op and the module path.

    Example:
        >>> import io, ember, ember.nn as nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> buf = io.BytesIO(); ember.onnx.export(net, (ember.randn(1, 4),), buf, input_names=["x"])
        >>> import onnx; [n.op_type for n in onnx.load_from_string(buf.getvalue()).graph.node][:3]
        ['Transpose', 'MatMul', 'Add']
    """
    onnx = _import_onnx()
    from onnx import helper, numpy_helper

    from ..jit._graph import Sym
    from ..jit._passes import PASSES, freeze, run_passes

    if f is None:
        raise ValueError("ember.onnx.export: f (a path or a file object) is required")
    args = args if isinstance(args, tuple) else (args,)
    _exporting[0] = True
    try:
        gm, sym_names = _graph_module(model, args, input_names, dynamic_axes)
    finally:
        _exporting[0] = False
    if do_constant_folding and export_params:
        folds = [p for p in PASSES if p[0] != "fuse_bias_relu"]
        gm = run_passes(freeze(gm.eval()) if list(gm.parameters()) or list(gm.buffers()) else gm, folds)
    g = gm.graph
    names = list(input_names or [])
    names += [v.name for v in g.inputs][len(names):]
    sym_names = list(sym_names or [])
    sym_names += [f"s{k}" for k in range(len(sym_names), len(g.symbols))]
    L = Lowering(g, names, opset_version, helper, numpy_helper)
    graph_inputs, fixed = [], gm._fixed_values()

    def dims(shape):
        out = []
        for d in shape:
            if type(d) is Sym:
                single = len(d.terms) == 1 and d.terms[0][0] == 1 and len(d.terms[0][1]) == 1
                out.append(sym_names[d.terms[0][1][0]] if single else None)
            else:
                out.append(int(d))
        return out

    for v, name in zip(g.inputs, names):
        L.names[v.id] = name
        graph_inputs.append(helper.make_tensor_value_info(name, onnx_dtype(v.dtype), dims(v.shape)))
    for v, t in zip(g.params + g.consts, fixed):
        L.names[v.id] = v.name if v.kind == "param" and v.name else f"const_{v.id}"
        if v.kind == "param" and not export_params:
            graph_inputs.append(helper.make_tensor_value_info(L.names[v.id], onnx_dtype(v.dtype), list(v.shape)))
        else:
            L.inits.append(numpy_helper.from_array(t._be.to_host(t._data), L.names[v.id]))
    for n in g.nodes:
        L.node = n
        key = n.short if n.kind == "op" else n.target
        lower = LOWERINGS.get(key)
        if lower is None:
            L.fail(f"op {key}")
        ins = [L.name(v) for v in n.inputs]
        res = lower(L, n, ins, n.args)
        res = res if isinstance(res, list) else [res]
        for v, name in zip(n.outputs, res):
            L.names[v.id] = name
    L.node = None
    outs = g.output_values()
    out_names = list(output_names or [])
    out_names += [f"output_{i}" for i in range(len(out_names), len(outs))]
    graph_outputs = []
    out_axes = dynamic_axes or {}
    for k, (v, name) in enumerate(zip(outs, out_names)):
        L.nodes.append(helper.make_node("Identity", [L.name(v)], [name]))
        shape = dims(v.shape)
        for axis, label in (out_axes.get(name, {}).items() if isinstance(out_axes.get(name), dict) else
                            ((a, f"{name}_dynamic_axes_{j + 1}") for j, a in enumerate(out_axes.get(name, [])))):
            if 0 <= axis < len(shape):
                shape[axis] = label
        graph_outputs.append(helper.make_tensor_value_info(name, onnx_dtype(v.dtype), shape))
    graph = helper.make_graph(L.nodes, gm.original_name, graph_inputs, graph_outputs, L.inits)
    model_proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset_version)],
                                    producer_name="ember")
    model_proto.ir_version = min(model_proto.ir_version, 10)
    if verbose:
        print(helper.printable_graph(graph))
    onnx.save_model(model_proto, f)
