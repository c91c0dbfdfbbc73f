"""Lowering a traced graph to ONNX with the ``onnx`` package's helpers.

Each graph node is translated by one entry of :data:`LOWERINGS` (keyed by the op's
class name, or the leaf function's name). Sizes that the trace made symbolic are
computed in the ONNX graph from the input shapes (``Shape`` -> ``Gather`` -> arithmetic),
so exported models keep their dynamic axes.
"""

from __future__ import annotations

import numpy as np

from ..jit._graph import Ref, Struct, Sym


class UnsupportedOperatorError(RuntimeError):
    """An op of the traced graph has no ONNX translation (the message names the op and the module path)."""


_DTYPES = {"float32": 1, "uint8": 2, "int8": 3, "int16": 5, "int32": 6, "int64": 7, "bool": 9, "float16": 10,
           "float64": 11, "bfloat16": 16, "complex64": 14, "complex128": 15}


def onnx_dtype(dtype):
    return _DTYPES[dtype.name]


class Lowering:
    """The ONNX graph under construction: nodes, initializers and names for graph values."""

    def __init__(self, graph, input_names, opset, helper, numpy_helper):
        self.g, self.opset, self.helper, self.numpy_helper = graph, opset, helper, numpy_helper
        self.nodes, self.inits, self.names = [], [], {}
        self.input_names = input_names
        self._count = 0
        self._sym_cache, self._const_cache = {}, {}
        self.node = None  # the graph node being lowered (for error messages)

    # --- names and constants ---------------------------------------------------------------
    def fresh(self, hint="t"):
        self._count += 1
        return f"{hint}_{self._count}"

    def name(self, v):
        return self.names[v.id]

    def add(self, op, inputs, n_out=1, **attrs):
        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op, list(inputs), outs, **attrs))
        return outs if n_out != 1 else outs[0]

    def const(self, array, hint="c"):
        a = np.asarray(array)
        key = (a.dtype.str, a.shape, a.tobytes())
        hit = self._const_cache.get(key)
        if hit is None:
            hit = self.fresh(hint)
            self.inits.append(self.numpy_helper.from_array(a, hit))
            self._const_cache[key] = hit
        return hit

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64))

    def reduce(self, op, x, axes, keepdims):
        """``op`` (ReduceMean, ReduceMax, ...) over ``axes`` (None: all); ReduceSum and opset 18 take axes as an input."""
        if axes is None:
            return self.add(op, [x], keepdims=int(keepdims))
        if op == "ReduceSum" or self.opset >= 18:
            return self.add(op, [x, self.ints(list(axes))], keepdims=int(keepdims))
        return self.add(op, [x], axes=list(axes), keepdims=int(keepdims))

    # --- symbolic sizes ---------------------------------------------------------------------
    def symbol(self, k):
        """A 1-element int64 tensor holding the size of symbol ``k`` (read from an input's shape)."""
        hit = self._sym_cache.get(k)
        if hit is None:
            i, d = self.g.symbols[k][0]
            shape = self.add("Shape", [self.input_names[i]])
            hit = self._sym_cache[k] = self.add("Gather", [shape, self.ints([d])], axis=0)
        return hit

    def dim(self, x):
        """A 1-element int64 tensor for size ``x`` (an int or a :class:`Sym`)."""
        if type(x) is not Sym:
            return self.ints([x])
        total = None
        for c, syms in x.terms:
            term = None
            for s in syms:
                term = self.symbol(s) if term is None else self.add("Mul", [term, self.symbol(s)])
            if term is None:
                term = self.ints([c])
            elif c != 1:
                term = self.add("Mul", [term, self.ints([c])])
            total = term if total is None else self.add("Add", [total, term])
        return total if total is not None else self.ints([0])

    def shape(self, dims):
        """A 1-D int64 shape tensor; one symbolic dim becomes -1 (inferred) where ``infer`` allows."""
        if all(type(d) is not Sym for d in dims):
            return self.ints(list(dims))
        return self.add("Concat", [self.dim(d) for d in dims], axis=0)

    def fail(self, what):
        n = self.node
        where = f"in module '{n.scope}'" if n is not None and n.scope else "at the top level of forward"
        op = f" ({n.target})" if n is not None and n.target != what.split()[-1] else ""
        raise UnsupportedOperatorError(f"ember.onnx.export: {what}{op} {where} has no ONNX translation; "
                                       f"rewrite that part with supported ops or export the rest of the model")


# --- the translations ---------------------------------------------------------------------------
def _unary(onnx_op):
    def lower(L, n, ins, args):
        return L.add(onnx_op, ins)

    return lower


def _binary(onnx_op):
    def lower(L, n, ins, args):
        return L.add(onnx_op, ins)

    return lower


def _linear(L, n, ins, args):
    wt = L.add("Transpose", [ins[1]], perm=[1, 0])
    y = L.add("MatMul", [ins[0], wt])
    return L.add("Add", [y, ins[2]]) if len(ins) > 2 else y


def _linear_relu(L, n, ins, args):
    return L.add("Relu", [_linear(L, n, ins, args)])


def _geometry(L, geo):
    if type(geo) is Struct:
        n, groups, cg, og, in_sp, kernel, stride, dilation, lo, hi = geo.args
    else:
        from ..jit._graph import _geometry_args

        n, groups, cg, og, in_sp, kernel, stride, dilation, lo, hi = _geometry_args(geo)
    return dict(kernel_shape=list(kernel), strides=list(stride), dilations=list(dilation),
                pads=list(lo) + [max(h, 0) for h in hi], group=groups)


def _conv(L, n, ins, args):
    return L.add("Conv", ins, **_geometry(L, args[0]))  # (x, w) or (x, w, b): ONNX's bias is 1-D too


def _conv_bias(L, n, ins, args):
    geo, relu = args
    b = L.add("Reshape", [ins[2], L.ints([-1])])
    y = L.add("Conv", [ins[0], ins[1], b], **_geometry(L, geo))
    return L.add("Relu", [y]) if relu else y


def _reshape(L, n, ins, args):
    (shape,) = args
    syms = [i for i, d in enumerate(shape) if type(d) is Sym]
    if len(syms) == 1 and all(type(d) is int and d > 0 for d in shape if type(d) is not Sym):
        return L.add("Reshape", [ins[0], L.ints([-1 if type(d) is Sym else d for d in shape])])
    return L.add("Reshape", [ins[0], L.shape(shape)])


def _permute(L, n, ins, args):
    return L.add("Transpose", ins, perm=list(args[0]))


def _expand(L, n, ins, args):
    return L.add("Expand", [ins[0], L.shape(args[0])])


def _cast(L, n, ins, args):
    return L.add("Cast", ins, to=onnx_dtype(args[0]))


def _softmax(op):
    def lower(L, n, ins, args):
        return L.add(op, ins, axis=args[0] if args else -1)

    return lower


def _sum(L, n, ins, args):
    dims, keepdim = args
    return L.reduce("ReduceSum", ins[0], dims, bool(keepdim))


def _extreme(L, n, ins, args):
    largest, dims, keepdim = args
    return L.reduce("ReduceMax" if largest else "ReduceMin", ins[0], dims, bool(keepdim))


def _concat(L, n, ins, args):
    dim, new_axis = args[-2], args[-1]
    if new_axis:
        ins = [L.add("Unsqueeze", [x, L.ints([dim])]) for x in ins]
    return L.add("Concat", ins, axis=dim)


def _split(L, n, ins, args):
    dim, bounds, squeeze = args
    if squeeze:
        return [L.add("Gather", [ins[0], L.const(np.asarray(i, dtype=np.int64))], axis=dim) for i in range(len(n.outputs))]
    axes = L.ints([dim])
    return [L.add("Slice", [ins[0], L.dim(s), L.dim(e), axes]) for s, e in bounds]


def _slice(L, n, ins, args):
    """Basic indexing: ints, slices, None and one Ellipsis."""
    (index,) = args
    x = ins[0]
    ndim = len(n.inputs[0].shape)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    out_dim, dim = 0, 0
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    for item in index:
        if item is Ellipsis:
            skip = ndim - consumed
            dim += skip
            out_dim += skip
        elif item is None:
            unsqueeze.append(out_dim)
            out_dim += 1
        elif isinstance(item, slice) or type(item) is Struct:
            s = item if isinstance(item, slice) else slice(*item.args)
            if s != slice(None):
                step = 1 if s.step is None else s.step
                starts.append(s.start if s.start is not None else (0 if step > 0 else -1))
                ends.append(s.stop if s.stop is not None else (2 ** 62 if step > 0 else -(2 ** 62)))
                axes.append(dim)
                steps.append(step)
            dim += 1
            out_dim += 1
        elif type(item) in (int, Sym):
            starts.append(item)
            ends.append(item + 1 if type(item) is int and item != -1 else 2 ** 62 if item == -1 else None)
            if ends[-1] is None:
                L.fail("indexing with a symbolic integer")
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
            dim += 1
        else:
            L.fail(f"indexing with {type(item).__name__}")
    if axes:
        x = L.add("Slice", [x, L.shape(starts), L.shape(ends), L.ints(axes), L.ints(steps)])
    if squeeze:
        x = L.add("Squeeze", [x, L.ints(squeeze)])
    if unsqueeze:
        x = L.add("Unsqueeze", [x, L.ints(unsqueeze)])
    return x if axes or squeeze or unsqueeze else L.add("Identity", [x])


def _norm_affine(L, n, ins, args):
    """``(x - mean) / sqrt(var + eps) * w + b`` and the mean and (biased) variance."""
    x, w, b = ins
    dims, eps = args
    mean = L.reduce("ReduceMean", x, dims, True)
    xc = L.add("Sub", [x, mean])
    var = L.reduce("ReduceMean", L.add("Mul", [xc, xc]), dims, True)
    dt = n.outputs[0].dtype.name
    denom = L.add("Sqrt", [L.add("Add", [var, L.const(np.asarray(eps, dtype=dt))])])
    y = L.add("Add", [L.add("Mul", [L.add("Div", [xc, denom]), w]), b])
    return [y, mean, var]


def _axis_gather(L, n, ins, args):
    axis, index = args[0], args[1]
    if type(index) is not Ref:
        L.fail("a gather with computed indices")
    return L.add("Gather", [ins[0], L.name(index.value)], axis=axis)


def _embedding(L, n, ins, args):
    indices = args[0]
    if type(indices) is not Ref:
        L.fail("an embedding lookup with computed indices")
    return L.add("Gather", [ins[0], L.name(indices.value)], axis=0)


def _constant_pad(L, n, ins, args):
    """``F.pad(mode="constant")``: ONNX Pad with the (lo, hi) widths of the trailing dims (negative crops)."""
    widths, value = args
    lead = len(n.inputs[0].shape) - len(widths)
    pads = [0] * lead + [a for a, _ in widths] + [0] * lead + [b for _, b in widths]
    return L.add("Pad", [ins[0], L.ints(pads), _scalar(L, n.outputs[0].dtype.name, value)], mode="constant")


def _roll(L, n, ins, args):
    """``roll`` along given dims: per dim the last ``shift`` entries moved to the front (two Slices and a Concat)."""
    shifts, dims = args
    if dims is None:
        L.fail("a roll of the flattened tensor")
    shape, x = n.inputs[0].shape, ins[0]
    for shift, dim in zip((shifts,) if type(shifts) is int else shifts, (dims,) if type(dims) is int else dims):
        size = shape[dim]
        if type(size) is not int:
            L.fail("a roll along a symbolic dim")
        cut = size - shift % size
        if cut == size:
            continue
        tail = L.add("Slice", [x, L.ints([cut]), L.ints([size]), L.ints([dim])])
        head = L.add("Slice", [x, L.ints([0]), L.ints([cut]), L.ints([dim])])
        x = L.add("Concat", [tail, head], axis=dim)
    return x if x is not ins[0] else L.add("Identity", [x])


def _scalar(L, dt, v):
    return L.const(np.asarray(v, dtype=dt))


def _lstm_scan(L, n, ins, args):
    """One LSTM direction over equal-length sequences, unrolled (gates i, f, g, o as in torch)."""
    steps, _ = args
    x, w_ih, w_hh, b_ih, b_hh, h, c = ins[:7]
    w_hr = ins[7] if len(ins) > 7 else None
    sizes = {bs for _, bs in steps}
    if len(sizes) != 1:
        L.fail("an LSTM over a packed sequence of varying lengths")
    t_steps = len(steps)
    reverse = t_steps > 1 and steps[0][0] != 0
    gates = n.inputs[1].shape[0]
    xg = L.add("Add", [L.add("MatMul", [x, L.add("Transpose", [w_ih], perm=[1, 0])]), L.add("Add", [b_ih, b_hh])])
    x3 = L.add("Reshape", [xg, L.ints([t_steps, -1, gates])])
    w_t = L.add("Transpose", [w_hh], perm=[1, 0])
    wr_t = None if w_hr is None else L.add("Transpose", [w_hr], perm=[1, 0])
    outs = []
    order = range(t_steps - 1, -1, -1) if reverse else range(t_steps)
    for k in order:
        xk = L.add("Gather", [x3, L.const(np.asarray(k, dtype=np.int64))], axis=0)
        pre = L.add("Add", [xk, L.add("MatMul", [h, w_t])])
        i, f, g, o = L.add("Split", [pre], n_out=4, axis=1, **({"num_outputs": 4} if L.opset >= 18 else {}))
        i, f, o = (L.add("Sigmoid", [z]) for z in (i, f, o))
        c = L.add("Add", [L.add("Mul", [f, c]), L.add("Mul", [i, L.add("Tanh", [g])])])
        h = L.add("Mul", [o, L.add("Tanh", [c])])
        if wr_t is not None:
            h = L.add("MatMul", [h, wr_t])
        outs.append(h)
    if reverse:
        outs.reverse()
    seq = outs[0] if len(outs) == 1 else L.add("Concat", outs, axis=0)
    return [seq, h, c]


def _max_pool(L, n, ins, args):
    pos, kw = args
    params = dict(zip(("nd", "input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"), pos))
    params.update(kw)
    nd = params["nd"]
    if params.get("return_indices"):
        L.fail("max pooling with return_indices")
    if len(n.inputs[0].shape) != nd + 2:
        L.fail("unbatched max pooling")
    from ..ops.conv import ntuple

    k = ntuple(params["kernel_size"], nd, "kernel_size")
    stride = params.get("stride")
    s = k if stride is None or stride == () or stride == [] else ntuple(stride, nd, "stride")
    p = ntuple(params.get("padding", 0), nd, "padding")
    d = ntuple(params.get("dilation", 1), nd, "dilation")
    return L.add("MaxPool", [ins[0]], kernel_shape=list(k), strides=list(s), pads=list(p) * 2, dilations=list(d),
                 ceil_mode=int(bool(params.get("ceil_mode", False))))


def _arg_extreme(largest):
    def lower(L, n, ins, args):
        pos, kw = args
        params = dict(zip(("input", "dim", "keepdim"), pos))
        params.update(kw)
        dim = params.get("dim")
        op = "ArgMax" if largest else "ArgMin"
        if dim is None:
            flat = L.add("Reshape", [ins[0], L.ints([-1])])
            return L.add(op, [flat], axis=0, keepdims=0)
        return L.add(op, ins[:1], axis=dim, keepdims=int(bool(params.get("keepdim", False))))

    return lower


def _max_min(largest):
    def lower(L, n, ins, args):
        pos, kw = args
        params = dict(zip(("input", "dim", "keepdim"), pos))
        params.update(kw)
        dim = params.get("dim")
        if dim is None or isinstance(dim, Ref):
            L.fail("max/min without an integer dim")
        keep = int(bool(params.get("keepdim", False)))
        values = L.reduce("ReduceMax" if largest else "ReduceMin", ins[0], [dim], keep)
        return [values, L.add("ArgMax" if largest else "ArgMin", ins[:1], axis=dim, keepdims=keep)]

    return lower


def _full(L, n, ins, args):
    shape, value, dtype = args
    fill = L.helper.make_tensor("value", onnx_dtype(dtype), [1], [value])
    return L.add("ConstantOfShape", [L.shape(shape)], value=fill)


def _activation(build):
    """Lower a pointwise activation through ``build(L, x, c, *params)``; ``c(v)`` makes a constant of x's dtype."""

    def lower(L, n, ins, args):
        dt = n.outputs[0].dtype.name
        return build(L, ins[0], lambda v: _scalar(L, dt, v), *args)

    return lower


def _gelu(L, x, c):
    return L.add("Mul", [L.add("Mul", [x, c(0.5)]), L.add("Add", [c(1.0), L.add("Erf", [L.add("Mul", [x, c(0.5 ** 0.5)])])])])


def _gelu_tanh(L, x, c):
    cube = L.add("Mul", [L.add("Mul", [x, x]), x])
    inner = L.add("Mul", [c((2 / np.pi) ** 0.5), L.add("Add", [x, L.add("Mul", [c(0.044715), cube])])])
    return L.add("Mul", [L.add("Mul", [x, c(0.5)]), L.add("Add", [c(1.0), L.add("Tanh", [inner])])])


ACTIVATIONS = {
    "Gelu": _gelu,
    "GeluTanh": _gelu_tanh,
    "Silu": lambda L, x, c: L.add("Mul", [x, L.add("Sigmoid", [x])]),
    "LeakyRelu": lambda L, x, c, slope: L.add("LeakyRelu", [x], alpha=float(slope)),
    "Hardtanh": lambda L, x, c, lo, hi: L.add("Clip", [x, c(lo), c(hi)]),
    "Hardsigmoid": lambda L, x, c: L.add("HardSigmoid", [x], alpha=1 / 6, beta=0.5),
    "Hardswish": lambda L, x, c: L.add("HardSwish", [x]),
}

LOWERINGS = {
    "Add": _binary("Add"), "Sub": _binary("Sub"), "Mul": _binary("Mul"), "Div": _binary("Div"),
    "Pow": _binary("Pow"), "Matmul": _binary("MatMul"), "Neg": _unary("Neg"), "Sqrt": _unary("Sqrt"),
    "Exp": _unary("Exp"), "Log": _unary("Log"), "Tanh": _unary("Tanh"), "Sigmoid": _unary("Sigmoid"),
    "Relu": _unary("Relu"), "Abs": _unary("Abs"), "Erf": _unary("Erf"), "Clone": _unary("Identity"),
    "Transfer": _unary("Identity"), "Square": lambda L, n, ins, args: L.add("Mul", [ins[0], ins[0]]),
    "Rsqrt": lambda L, n, ins, args: L.add("Reciprocal", [L.add("Sqrt", ins)]),
    "Linear": _linear, "LinearRelu": _linear_relu, "Conv": _conv, "ConvBias": _conv_bias,
    "Reshape": _reshape, "Permute": _permute, "Expand": _expand, "Cast": _cast,
    "Softmax": _softmax("Softmax"), "SafeSoftmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    "Sum": _sum, "Extreme": _extreme, "Concat": _concat, "Split": _split, "Slice": _slice,
    "NormAffine": _norm_affine, "Embedding": _embedding, "AxisGather": _axis_gather, "_LSTMScan": _lstm_scan,
    "max_pool": _max_pool, "argmax": _arg_extreme(True), "argmin": _arg_extreme(False),
    "max": _max_min(True), "min": _max_min(False), "full": _full, "ConstantPad": _constant_pad,
    "Roll": _roll,
    **{name: _activation(build) for name, build in ACTIVATIONS.items()},
}
