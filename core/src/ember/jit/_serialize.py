"""Saving and loading graph modules: one ``ember.save`` archive holding the graph as JSON plus the tensors.

Nothing in the file is ever executed or unpickled. Ops are named by ``module.ClassName``
and resolved through an explicit table of Ember's op classes (:func:`op_registry`);
leaf functions through :func:`~ember.jit._tracer.leaf_functions`; every argument is a
validated JSON value with a small set of tagged forms (tuples, dtypes, slices, size
expressions, references to earlier values). Anything else is a :class:`GraphFormatError`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math

from .. import _dtype
from .._device import device as _device_cls
from .._tensor import Tensor
from ..serialization._files import SerializationError
from ._graph import Graph, Node, Ref, Struct, Sym, Value, structs
from ._tracer import leaf_functions, op_key

FORMAT = "ember.jit.graph"
VERSION = 1
_MAX_DEPTH = 64


class GraphFormatError(SerializationError):
    """A graph file (or a graph being saved) is malformed, refers to unknown ops, or holds unsupported values.

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.save({"format": "something else"}, buf); _ = buf.seek(0)
        >>> try:
        ...     ember.jit.load(buf)
        ... except ember.jit.GraphFormatError as e:
        ...     print(str(e).split(" (")[0])
        <BytesIO>: not an ember.jit graph file
    """


# --- the op table -------------------------------------------------------------------------------
_OPS = {}
_OP_MODULES = ("ember.nn.functional", "ember.nn", "ember.linalg", "ember.special", "ember.fft", "ember.jit._fused")


def op_registry():
    """``{"module.ClassName": Op subclass}`` for every primitive defined in Ember (ambiguous names left out).

    Example:
        >>> "ember.ops.elementwise.Add" in op_registry()
        True
    """
    if _OPS:
        return _OPS
    from ..autograd.node import Op

    for name in _OP_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    found, dup = {}, set()
    todo = list(Op.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("ember."):
            continue
        key = op_key(cls)
        if key in found and found[key] is not cls:
            dup.add(key)
        found[key] = cls
    for key in dup:
        del found[key]
    _OPS.update(found)
    return _OPS


# --- encoding ----------------------------------------------------------------------------------
def _encode(a, where):
    t = type(a)
    if a is None or t in (bool, int, str):
        return a
    if t is float:
        return a if math.isfinite(a) else {"float": repr(a)}
    if t is tuple:
        return [_encode(x, where) for x in a]
    if t is list:
        return {"list": [_encode(x, where) for x in a]}
    if t is dict:
        if not all(type(k) is str for k in a):
            raise GraphFormatError(f"can't save {where}: a dict argument with non-string keys")
        return {"dict": {k: _encode(x, where) for k, x in a.items()}}
    if t is complex:
        return {"complex": [a.real, a.imag]}
    if isinstance(a, _dtype.dtype):
        return {"dtype": a.name}
    if a is Ellipsis:
        return {"ellipsis": None}
    if t is Ref:
        return {"ref": a.value.id, "tensor": a.tensor}
    if t is Value:
        return {"value": a.id}
    if t is Sym:
        return {"sym": [[c, list(s)] for c, s in a.terms]}
    if t is Struct:
        return {"struct": a.kind, "args": _encode(a.args, where)}
    if isinstance(a, _device_cls):
        return {"device": str(a)}
    if t.__name__.endswith("Backend") and hasattr(a, "xp"):
        return {"backend": getattr(a, "name", None) or _backend_name(a)}
    raise GraphFormatError(f"can't save {where}: argument of type {t.__name__} ({a!r:.60}) has no portable form")


def _backend_name(be):
    from ..plugins._host import host

    h = host()
    for name in h.device_types():
        if h.backend(name) is be:
            return name
    raise GraphFormatError(f"can't save a reference to the unregistered backend {be!r}")


def _value_meta(v):
    return {"id": v.id, "shape": _encode(tuple(v.shape), "a value shape"), "dtype": v.dtype.name}


def graph_to_json(module):
    """The graph of ``module`` as a JSON-compatible dict (tensors are stored beside it)."""
    g = module.graph
    nodes = []
    reg = op_registry()
    leaves = leaf_functions()
    for n in g.nodes:
        where = f"node {n.short}" + (f" in module '{n.scope}'" if n.scope else "")
        if n.kind == "op" and reg.get(n.target) is not n.fn:
            raise GraphFormatError(f"can't save {where}: the op {n.target} is not one of Ember's registered ops "
                                   f"(custom autograd Functions can't be saved)")
        if n.kind == "call" and leaves.get(n.target) is not n.fn:
            raise GraphFormatError(f"can't save {where}: {n.target} is not a known leaf function")
        nodes.append({"kind": n.kind, "target": n.target, "inputs": [v.id for v in n.inputs],
                      "args": _encode(n.args, where), "outputs": [_value_meta(v) for v in n.outputs], "scope": n.scope})
    params = module._places
    return {
        "original_name": module.original_name,
        "inputs": [dict(_value_meta(v), name=v.name) for v in g.inputs],
        "input_spec": _encode(g.input_spec, "the input structure"),
        "input_shapes": _encode(tuple(g.input_shapes), "the input shapes"),
        "symbols": [[list(p) for p in places] for places in g.symbols],
        "params": [dict(_value_meta(v), name=v.name, parameter=is_param) for v, (_, _, is_param) in zip(g.params, params)],
        "consts": [_value_meta(c) for c in g.consts],
        "nodes": nodes,
        "output": _encode(g.output, "the outputs"),
    }


def save(m, f):
    """Write graph module ``m`` (graph, parameters, buffers, constants) to one file, without pickle.

    Example:
        >>> import io, ember
        >>> m = ember.jit.trace(ember.nn.Linear(2, 1), ember.ones(1, 2))
        >>> buf = io.BytesIO(); ember.jit.save(m, buf); buf.getvalue()[:2]
        b'PK'
    """
    from ..serialization import save as _save
    from ._module import GraphModule

    if not isinstance(m, GraphModule):
        raise TypeError(f"ember.jit.save expects a traced or scripted module (GraphModule), got {type(m).__name__}; "
                        f"use ember.jit.trace(model, example_inputs) or ember.jit.script(model) first")
    doc = graph_to_json(m)
    fixed = m._fixed_values()
    n_params = len(m.graph.params)
    payload = {
        "format": FORMAT, "version": VERSION,
        "graph": json.dumps(doc, allow_nan=False, separators=(",", ":")),
        "params": {v.name: t.detach() for v, t in zip(m.graph.params, fixed[:n_params])},
        "requires_grad": {v.name: bool(t.requires_grad) for v, t in zip(m.graph.params, fixed[:n_params])},
        "consts": [t.detach() for t in fixed[n_params:]],
    }
    _save(payload, f)


# --- decoding with validation --------------------------------------------------------------------
class _Decoder:
    def __init__(self, where):
        self.where = where
        self.values = {}

    def fail(self, problem):
        raise GraphFormatError(f"{self.where}: malformed ember.jit graph: {problem}")

    def field(self, obj, key, kind, what):
        if not isinstance(obj, dict) or key not in obj:
            self.fail(f"{what} has no '{key}'")
        v = obj[key]
        if kind is int and (type(v) is not int):
            self.fail(f"{what}: '{key}' must be an integer, got {type(v).__name__}")
        if kind is not int and not isinstance(v, kind):
            self.fail(f"{what}: '{key}' must be {getattr(kind, '__name__', kind)}, got {type(v).__name__}")
        return v

    def dtype(self, name, what):
        if type(name) is not str:
            self.fail(f"{what}: dtype must be a string")
        try:
            return _dtype.to_dtype(name)
        except (TypeError, KeyError, ValueError):
            self.fail(f"{what}: unknown dtype {name!r}")

    def value(self, vid, what):
        if type(vid) is not int or vid not in self.values:
            self.fail(f"{what} refers to value {vid!r}, which is not defined before it")
        return self.values[vid]

    def define(self, meta, kind, g, what, **kw):
        vid = self.field(meta, "id", int, what)
        if vid in self.values:
            self.fail(f"{what}: value id {vid} is defined twice")
        shape = self.arg(self.field(meta, "shape", list, what), what, 0)
        if not all(type(s) in (int, Sym) for s in shape):
            self.fail(f"{what}: shape must hold integers")
        v = Value(vid, kind, shape=shape, dtype=self.dtype(meta.get("dtype"), what), **kw)
        self.values[vid] = v
        return v

    def arg(self, a, what, depth):
        if depth > _MAX_DEPTH:
            self.fail(f"{what}: arguments nested too deeply")
        t = type(a)
        if a is None or t in (bool, int, str, float):
            return a
        if t is list:
            return tuple(self.arg(x, what, depth + 1) for x in a)
        if t is not dict or len(a) not in (1, 2):
            self.fail(f"{what}: unsupported argument {a!r:.80}")
        tag = next(iter(a))
        body = a[tag]
        if len(a) == 2 and set(a) not in ({"ref", "tensor"}, {"struct", "args"}):
            self.fail(f"{what}: unsupported argument {a!r:.80}")
        if tag == "list" and type(body) is list:
            return [self.arg(x, what, depth + 1) for x in body]
        if tag == "dict" and type(body) is dict:
            return {k: self.arg(x, what, depth + 1) for k, x in body.items()}
        if tag == "float" and body in ("inf", "-inf", "nan"):
            return float(body)
        if tag == "complex" and type(body) is list and len(body) == 2 and all(type(x) in (int, float) for x in body):
            return complex(*body)
        if tag == "dtype":
            return self.dtype(body, what)
        if tag == "ellipsis" and body is None:
            return Ellipsis
        if tag == "ref" and type(a.get("tensor")) is bool:
            return Ref(self.value(body, what), a["tensor"])
        if tag == "value":
            return self.value(body, what)
        if tag == "sym" and type(body) is list:
            return self.sym(body, what)
        if tag == "struct" and type(body) is str:
            if body not in structs():
                self.fail(f"{what}: unknown structure {body!r}")
            return Struct(body, self.arg(a.get("args"), what, depth + 1))
        if tag == "device" and type(body) is str:
            return self.device(body, what)
        if tag == "backend" and type(body) is str:
            from .._tensor import resolve_device

            return resolve_device(self.device(body, what).type)[0]
        self.fail(f"{what}: unsupported argument {a!r:.80}")

    def sym(self, terms, what):
        ok = all(type(t) is list and len(t) == 2 and type(t[0]) is int and type(t[1]) is list
                 and all(type(s) is int and 0 <= s < self.n_symbols for s in t[1]) for t in terms)
        if not ok:
            self.fail(f"{what}: malformed size expression {terms!r:.80}")
        return Sym(terms)

    def device(self, text, what):
        from ..plugins._host import host

        try:
            d = _device_cls(text)
        except (RuntimeError, ValueError, TypeError):
            self.fail(f"{what}: invalid device {text!r}")
        if d.type not in host().device_types():
            self.fail(f"{what}: device type {d.type!r} is not installed")
        return d


def _check_arity(dec, op, n_inputs, args, what):
    try:
        params = list(inspect.signature(op.forward).parameters.values())[2:]  # self, be
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return
    given = n_inputs + len(args)
    required = sum(1 for p in params if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD)
    if not required <= given <= len(params):
        dec.fail(f"{what}: {op.__name__} takes {required} to {len(params)} inputs and arguments, got {given}")


def graph_from_json(doc, where):
    """A :class:`Graph` from its JSON form, every field checked; ops resolved through the registry only."""
    dec = _Decoder(where)
    if not isinstance(doc, dict):
        dec.fail("the graph is not a JSON object")
    g = Graph()
    symbols = dec.field(doc, "symbols", list, "the graph")
    dec.n_symbols = len(symbols)
    for k, places in enumerate(symbols):
        if not (type(places) is list and places and all(type(p) is list and len(p) == 2 and all(type(x) is int and x >= 0 for x in p)
                                                          for p in places)):
            dec.fail(f"symbol {k}: malformed places {places!r:.80}")
    g.symbols = [[tuple(p) for p in places] for places in symbols]
    for i, meta in enumerate(dec.field(doc, "inputs", list, "the graph")):
        name = dec.field(meta, "name", str, f"input {i}")
        g.inputs.append(dec.define(meta, "input", g, f"input {name!r}", name=name))
    for i, meta in enumerate(dec.field(doc, "params", list, "the graph")):
        name = dec.field(meta, "name", str, f"parameter {i}")
        if not all(p.isidentifier() or (p.isdigit() and p.isascii()) for p in name.split(".")):
            dec.fail(f"parameter name {name!r:.80} is not a dotted identifier")
        dec.field(meta, "parameter", bool, f"parameter {name!r}")
        g.params.append(dec.define(meta, "param", g, f"parameter {name!r}", name=name))
    for i, meta in enumerate(dec.field(doc, "consts", list, "the graph")):
        g.consts.append(dec.define(meta, "const", g, f"constant {i}"))
    if any(p[0] >= len(g.inputs) for places in g.symbols for p in places):
        dec.fail("a size symbol refers to an input that does not exist")
    g.input_spec = _spec(dec, dec.arg(doc.get("input_spec"), "the input structure", 0))
    g.input_shapes = list(dec.arg(dec.field(doc, "input_shapes", list, "the graph"), "the input shapes", 0))
    if len(g.input_shapes) != len(g.inputs):
        dec.fail("input_shapes does not match the inputs")
    reg, leaves = op_registry(), leaf_functions()
    for i, nd in enumerate(dec.field(doc, "nodes", list, "the graph")):
        what = f"node {i}"
        kind = dec.field(nd, "kind", str, what)
        target = dec.field(nd, "target", str, what)
        scope = dec.field(nd, "scope", str, what)
        what = f"node {i} ({target[:80]}{' in ' + scope[:80] if scope else ''})"
        ins = [dec.value(v, what) for v in dec.field(nd, "inputs", list, what)]
        args = dec.arg(nd.get("args"), what, 0) if "args" in nd else dec.fail(f"{what} has no 'args'")
        if kind == "op":
            fn = reg.get(target)
            if fn is None:
                dec.fail(f"{what}: unknown op {target[:80]!r} (not in Ember's op registry)")
            if type(args) is not tuple:
                dec.fail(f"{what}: op arguments must be a list")
            _check_arity(dec, fn, len(ins), args, what)
        elif kind == "call":
            fn = leaves.get(target)
            if fn is None:
                dec.fail(f"{what}: unknown leaf function {target[:80]!r}")
            if not (type(args) is tuple and len(args) == 2 and type(args[0]) is tuple and type(args[1]) is dict):
                dec.fail(f"{what}: call arguments must be [positional list, keyword dict]")
        elif kind == "full":
            fn = None
            if not (target == "full" and type(args) is tuple and len(args) == 3 and type(args[0]) is tuple
                    and type(args[1]) in (int, float, bool) and isinstance(args[2], _dtype.dtype)):
                dec.fail(f"{what}: full takes (shape, value, dtype)")
        else:
            dec.fail(f"{what}: unknown node kind {kind[:40]!r}")
        outs = [dec.define(m, "node", g, what) for m in dec.field(nd, "outputs", list, what)]
        if not outs:
            dec.fail(f"{what} has no outputs")
        g.add_node(Node(kind, target, fn, ins, args, outs, scope))
    g.output = dec.arg(doc.get("output"), "the outputs", 0)
    return g


def _spec(dec, spec):
    """The input structure: None at tensor leaves, ``("const", value)`` elsewhere (tuples come back as tuples)."""
    if spec is None:
        return None
    if type(spec) is tuple and len(spec) == 2 and spec[0] == "const":
        return spec
    if type(spec) in (tuple, list):
        return type(spec)(_spec(dec, x) for x in spec)
    if type(spec) is dict:
        return {k: _spec(dec, x) for k, x in spec.items()}
    dec.fail("malformed input structure")


def load(f, map_location=None, _extra_files=None):
    """Read a module written by :func:`save`, without its Python class and without running code from the file.

    ``map_location`` places the tensors as in :func:`ember.load`. A truncated or malformed file, an op
    that is not in Ember's registry, or an argument of the wrong kind raises :class:`GraphFormatError`
    (or :class:`~ember.serialization.SerializationError` for a damaged archive).

    Example:
        >>> import io, ember
        >>> buf = io.BytesIO(); ember.jit.trace(ember.nn.Tanh(), ember.ones(2)).save(buf); _ = buf.seek(0)
        >>> ember.jit.load(buf)(ember.zeros(3))
        tensor([0., 0., 0.])
    """
    from ..nn.parameter import Parameter
    from ..serialization import load as _load
    from ..serialization._files import describe
    from ._module import GraphModule

    where = describe(f)
    payload = _load(f, map_location=map_location)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise GraphFormatError(f"{where}: not an ember.jit graph file (no 'format': {FORMAT!r}); "
                               f"files written by ember.save are read with ember.load")
    if payload.get("version") != VERSION:
        raise GraphFormatError(f"{where}: unsupported graph format version {payload.get('version')!r}")
    text = payload.get("graph")
    if type(text) is not str:
        raise GraphFormatError(f"{where}: malformed ember.jit graph: no graph text")
    try:
        doc = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"bad constant {c}")))
    except (ValueError, RecursionError) as exc:
        raise GraphFormatError(f"{where}: malformed ember.jit graph: invalid JSON ({exc})") from None
    g = graph_from_json(doc, where)
    params, consts, grads = payload.get("params"), payload.get("consts"), payload.get("requires_grad")
    if not (isinstance(params, dict) and isinstance(consts, list) and isinstance(grads, dict)):
        raise GraphFormatError(f"{where}: malformed ember.jit graph: missing tensors")
    kinds = {m["name"]: m["parameter"] for m in doc["params"]}
    tensors = {}
    for v in g.params:
        t = params.get(v.name)
        _check_tensor(where, f"parameter {v.name!r}", t, v)
        tensors[v.name] = Parameter(t, requires_grad=bool(grads.get(v.name))) if kinds[v.name] else t
    if len(consts) != len(g.consts):
        raise GraphFormatError(f"{where}: malformed ember.jit graph: {len(g.consts)} constants declared, {len(consts)} stored")
    for i, (c, t) in enumerate(zip(g.consts, consts)):
        _check_tensor(where, f"constant {i}", t, c)
        c.tensor = t
    name = doc.get("original_name")
    return GraphModule(g, tensors, name if type(name) is str else "Module")


def _check_tensor(where, what, t, v):
    if not isinstance(t, Tensor):
        raise GraphFormatError(f"{where}: malformed ember.jit graph: {what} is missing")
    if tuple(t.shape) != tuple(v.shape) or t.dtype is not v.dtype:
        raise GraphFormatError(f"{where}: malformed ember.jit graph: {what} is stored as {t.dtype.name}{tuple(t.shape)}, "
                               f"the graph declares {v.dtype.name}{tuple(v.shape)}")
