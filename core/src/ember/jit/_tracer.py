"""Recording one run of a function into a :class:`~ember.jit._graph.Graph`.

While a :class:`Recorder` is installed as ``ember._tensor._tracer``, every primitive
call reports ``(op, inputs, args, outputs)`` and every in-place write reports the new
value of the written tensor. Tensors the recorder has not seen become constants.
Around the run it also (and only then) installs:

* forward pre/post hooks on every submodule, so each node knows its module path;
* guards on ``Tensor.__bool__``/``item``/``tolist``/... that warn (``trace``) or fail
  (``script``) when Python reads a value that depends on the inputs;
* *leaf functions*: public functions computed partly outside primitive ops
  (max pooling finds its winners on raw arrays) are recorded as one call.
"""

from __future__ import annotations

import linecache
import numbers
import os
import sys
import warnings

from .. import _tensor
from .._tensor import Tensor, _make
from ._graph import Graph, Node, Ref, Struct, structs

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class TracerWarning(UserWarning):
    """Warns that a trace may not generalise: Python read a tensor value that depends on the inputs.

    Example:
        >>> import warnings, ember
        >>> with warnings.catch_warnings(record=True) as w:
        ...     warnings.simplefilter("always")
        ...     _ = ember.jit.trace(lambda x: x * float(x.sum()), ember.ones(2))
        >>> w[0].category.__name__
        'TracerWarning'
    """


class ScriptError(RuntimeError):
    """``ember.jit.script`` met Python control flow that depends on tensor values (it can't capture it)."""


# --- the value reads Python can't record --------------------------------------------------------
_READS = {
    "__bool__": "a Python boolean", "item": "a Python number", "tolist": "a Python list",
    "__int__": "a Python integer", "__float__": "a Python float", "__index__": "a Python index",
    "numpy": "a NumPy array", "__array__": "a NumPy array",
}


def _user_frame():
    """The innermost frame outside Ember itself (the user's line that caused the current call)."""
    f = sys._getframe(1)
    while f is not None and (f.f_code.co_filename.startswith(_EMBER_DIR) or f.f_code.co_filename.startswith("<frozen")):
        f = f.f_back
    return f


def _guard(name, what):
    orig = getattr(Tensor, name)

    def guarded(self, *args, **kwargs):
        rec = _tensor._tracer
        if rec is not None and not rec.suppress and not rec.reading and rec.depends_on_input(self):
            rec.value_read(name, what)
            rec.reading += 1
            try:
                return orig(self, *args, **kwargs)
            finally:
                rec.reading -= 1
        return orig(self, *args, **kwargs)

    guarded.__name__ = name
    return orig, guarded


# --- leaf functions ----------------------------------------------------------------------------
_LEAVES = {}


def leaf_functions():
    """``{name: function}``: public functions recorded as one call node (they compute indices on raw arrays).

    Example:
        >>> sorted(leaf_functions())[:3]
        ['adaptive_max_pool', 'argmax', 'argmin']
    """
    if not _LEAVES:
        from ..ops import indexing, pool, reduction, sort

        _LEAVES.update(
            max_pool=pool.max_pool, adaptive_max_pool=pool.adaptive_max_pool, max=reduction.max, min=reduction.min,
            argmax=reduction.argmax, argmin=reduction.argmin, median=reduction.median, mode=reduction.mode,
            sort=sort.sort, argsort=sort.argsort, topk=sort.topk, kthvalue=sort.kthvalue, nonzero=indexing.nonzero)
    return _LEAVES


def _patch_points(functions):
    """Every ``(module, attribute, original)`` in Ember's loaded modules that binds one of ``functions``."""
    wanted = {id(f): f for f in functions}
    points = [(Tensor, attr, val) for attr, val in list(vars(Tensor).items()) if id(val) in wanted and val is wanted[id(val)]]
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "ember" or name.startswith("ember.")) or name.startswith("ember.jit"):
            continue
        for attr, val in list(vars(mod).items()):
            if id(val) in wanted and val is wanted[id(val)]:
                points.append((mod, attr, val))
    return points


def _is_array(x):
    """A backend's array (numpy, CuPy - which has no ``__array_namespace__`` - , array-API namespaces)."""
    kind = type(x)
    return ((hasattr(kind, "__array_namespace__") or hasattr(kind, "__dlpack__")) and hasattr(x, "shape")
            and not isinstance(x, (Tensor, numbers.Number)))


class Recorder:
    """The tracing hook: turns primitive calls into graph nodes. ``mode`` is ``"trace"`` or ``"script"``."""

    def __init__(self, graph, mode="trace", quiet=False):
        self.g, self.mode, self.quiet = graph, mode, quiet
        self.env = {}  # id(tensor) -> (tensor, Value)
        self.arrays = {}  # id(array) -> (array, Value): finds values behind .detach() and raw-array arguments
        self.dependent = set()  # ids of values that depend on a graph input
        self.scope = [""]
        self.suppress = 0
        self.reading = 0
        self.struct_types = {cls: (kind, to_args) for kind, (cls, to_args) in structs().items()}

    # --- values ------------------------------------------------------------------------------
    def bind(self, t, v):
        self.env[id(t)] = (t, v)
        self.arrays[id(t._data)] = (t._data, v)

    def lookup(self, t):
        hit = self.env.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        hit = self.arrays.get(id(t._data))
        if hit is not None and hit[0] is t._data:
            return hit[1]
        return None

    def value(self, t):
        v = self.lookup(t)
        return v if v is not None else self.constant(t)

    def constant(self, t):
        """A snapshot of ``t`` as a graph constant (later in-place writes to ``t`` don't change it)."""
        c = _make(t._be.copy(t._data), t._be, t._device, t.dtype)
        v = self.g.new_value("const", shape=t.shape, dtype=t.dtype, tensor=c)
        self.g.consts.append(v)
        self.bind(t, v)
        return v

    def depends_on_input(self, t):
        v = self.lookup(t)
        return v is not None and v.id in self.dependent

    # --- hooks called by apply() and _assign() -------------------------------------------------
    def record(self, op, inputs, args, outputs):
        if self.suppress:
            return
        ins = [self.value(t) for t in inputs]
        like = inputs[0]
        node = Node("op", op_key(op), op, ins, self.encode(args, like), (), self.scope[-1])
        self._finish(node, outputs)

    def _finish(self, node, outputs):
        outs = [self.g.new_value("node", shape=o.shape, dtype=o.dtype) for o in outputs]
        node.outputs = outs
        self.g.add_node(node)
        reads = list(node.inputs) + [leaf.value for leaf in _refs(node.args)]
        dep = any(v.id in self.dependent for v in reads)
        for t, v in zip(outputs, outs):
            self.bind(t, v)
            if dep:
                self.dependent.add(v.id)

    def assigned(self, t, result):
        if self.suppress:
            return
        old = self.lookup(t)
        if old is not None and old.kind in ("param", "input") and not self.quiet:
            what = "parameter or buffer" if old.kind == "param" else "input"
            self._warn(f"an in-place update of the {what} '{old.name}' is not recorded in the graph: the traced "
                       f"module computes the same outputs but leaves '{old.name}' unchanged")
        self.bind(t, self.value(result))

    def call(self, name, fn, args, kwargs):
        """Run leaf function ``fn`` as one node (its primitives are not recorded)."""
        self.suppress += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.suppress -= 1
        if self.suppress:
            return out
        enc = (self.encode(tuple(args), None), self.encode(dict(kwargs), None))
        ins = [leaf.value for leaf in _refs(enc) if leaf.tensor]
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        self._finish(Node("call", name, fn, ins, enc, (), self.scope[-1]), outs)
        return out

    # --- arguments -------------------------------------------------------------------------
    def encode(self, a, like):
        """Non-tensor arguments as graph arguments: arrays and tensors become :class:`Ref`, known objects
        :class:`Struct`, NumPy integers Python ints; everything else is kept as it is."""
        t = type(a)
        if t is tuple or t is list:
            return t(self.encode(x, like) for x in a)
        if t is dict:
            return {k: self.encode(x, like) for k, x in a.items()}
        if isinstance(a, Tensor):
            return Ref(self.value(a), tensor=True)
        if t in self.struct_types:
            kind, to_args = self.struct_types[t]
            return Struct(kind, self.encode(to_args(a), like))
        if isinstance(a, numbers.Integral) and t is not bool and t is not int:
            return int(a)
        if _is_array(a):
            hit = self.arrays.get(id(a))
            if hit is not None and hit[0] is a:
                return Ref(hit[1])
            if like is None:
                return a
            be = like._be
            return Ref(self.constant(_make(a, be, like._device, be.dtype_of(a))))
        return a

    # --- Python reading tensor values -----------------------------------------------------------
    def value_read(self, name, what):
        frame = _user_frame()
        where, line = ("<unknown>", 0) if frame is None else (frame.f_code.co_filename, frame.f_lineno)
        if self.mode == "script":
            text = linecache.getline(where, line).strip()
            raise ScriptError(
                f"ember.jit.script: {where}:{line}: `{text}` converts a tensor that depends on the inputs to "
                f"{what} (Tensor.{name}), so the control flow depends on tensor values and can't be captured "
                f"symbolically. Use ember.jit.trace(model, example_inputs) instead: it records the path taken "
                f"for the example input (and warns where it may not generalise)."
            )
        if not self.quiet:
            warnings.warn_explicit(
                TracerWarning(f"Converting a tensor to {what} might cause the trace to be incorrect. We can't record "
                              f"the data flow of Python values, so this value will be treated as a constant in the "
                              f"future. This means that the trace might not generalize to other inputs!"),
                TracerWarning, where, line)

    def _warn(self, message):
        frame = _user_frame()
        where, line = ("<unknown>", 0) if frame is None else (frame.f_code.co_filename, frame.f_lineno)
        warnings.warn_explicit(TracerWarning(message), TracerWarning, where, line)


def _refs(a):
    from ._graph import walk

    return [leaf for leaf in walk(a) if type(leaf) is Ref]


def op_key(op):
    """The registry name of an op class: ``module.ClassName``."""
    return f"{op.__module__}.{op.__name__}"


# --- one recording run ---------------------------------------------------------------------------
def flatten(obj, leaves):
    """The nesting of ``obj`` with tensors replaced by None (the tensors appended to ``leaves``)."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return None
    if type(obj) in (tuple, list):
        return type(obj)(flatten(x, leaves) for x in obj)
    if type(obj) is dict:
        return {k: flatten(x, leaves) for k, x in obj.items()}
    return ("const", obj)


def input_names(fn, n):
    """Names for ``n`` positional inputs: the parameter names of ``forward`` (or of ``fn``) where known."""
    import inspect

    target = getattr(fn, "forward", fn)
    try:
        params = [p.name for p in inspect.signature(target).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) and params[i].isidentifier() else f"input_{i}" for i in range(n)]
    return names


def record(fn, inputs, mode="trace", quiet=False, strict=True):
    """Run ``fn(*inputs)`` once under a :class:`Recorder`; return the graph (outputs, inputs, parameters set)."""
    from ..autograd.grad_mode import no_grad
    from ..nn.modules.module import Module

    g = Graph()
    rec = Recorder(g, mode, quiet)
    leaves = []
    g.input_spec = flatten(tuple(inputs), leaves)
    names = input_names(fn, len(inputs))
    spec_names = []
    for i, x in enumerate(inputs):
        count = len([None for _ in _tensor_leaves(x)])
        spec_names += [names[i]] if count == 1 and isinstance(x, Tensor) else [f"{names[i]}_{k}" for k in range(count)]
    for t, name in zip(leaves, spec_names):
        v = g.new_value("input", name=name, shape=t.shape, dtype=t.dtype)
        g.inputs.append(v)
        rec.bind(t, v)
        rec.dependent.add(v.id)
    g.input_shapes = [tuple(t.shape) for t in leaves]
    handles = []
    if isinstance(fn, Module):
        for key, t in fn.state_dict(keep_vars=True).items():
            if isinstance(t, Tensor) and rec.lookup(t) is None:
                v = g.new_value("param", name=key, shape=t.shape, dtype=t.dtype)
                g.params.append(v)
                rec.bind(t, v)
        for path, sub in fn.named_modules():
            if path:
                handles.append(sub.register_forward_pre_hook(_push(rec, path)))
                handles.append(sub.register_forward_hook(_pop(rec), always_call=True))
    guards = {name: _guard(name, what) for name, what in _READS.items()}
    patches = [(mod, attr, orig) for mod, attr, orig in _patch_points(leaf_functions().values())]
    names_of = {id(f): n for n, f in leaf_functions().items()}
    try:
        for name, (_, guarded) in guards.items():
            setattr(Tensor, name, guarded)
        for mod, attr, orig in patches:
            setattr(mod, attr, _leaf(rec, names_of[id(orig)], orig))
        _tensor._tracer = rec
        with no_grad():
            out = fn(*inputs)
    finally:
        _tensor._tracer = None
        for name, (orig, _) in guards.items():
            setattr(Tensor, name, orig)
        for mod, attr, orig in patches:
            setattr(mod, attr, orig)
        for h in handles:
            h.remove()
    if strict:
        _check_strict_output(out)
    g.output = _output(rec, out)
    return g


def _tensor_leaves(x):
    leaves = []
    flatten(x, leaves)
    return leaves


def _check_strict_output(out, top=True):
    if isinstance(out, (list, dict)):
        kind = "list" if isinstance(out, list) else "dict"
        raise RuntimeError(
            f"Encountering a {kind} at the output of the tracer might cause the trace to be incorrect, this is only "
            f"valid if the container structure does not change based on the module's inputs. Consider using a "
            f"constant container instead (e.g. for `list`, use a `tuple` instead. for `dict`, use a `NamedTuple` "
            f"instead). If you absolutely need this and know the side effects, pass strict=False to trace() to "
            f"allow this behavior.")
    if isinstance(out, tuple):
        for x in out:
            _check_strict_output(x, False)


def _output(rec, out):
    if isinstance(out, Tensor):
        return rec.value(out)
    if type(out) in (tuple, list):
        return type(out)(_output(rec, x) for x in out)
    if type(out) is dict:
        return {k: _output(rec, x) for k, x in out.items()}
    if isinstance(out, tuple):  # a named tuple: kept as a plain tuple
        return tuple(_output(rec, x) for x in out)
    return out


def _push(rec, path):
    def pre(module, args):
        rec.scope.append(path)

    return pre


def _pop(rec):
    def post(module, args, result):
        if len(rec.scope) > 1:
            rec.scope.pop()

    return post


def _leaf(rec, name, fn):
    def leaf(*args, **kwargs):
        if _tensor._tracer is not rec:
            return fn(*args, **kwargs)
        return rec.call(name, fn, args, kwargs)

    leaf.__name__ = getattr(fn, "__name__", name)
    leaf.__doc__ = fn.__doc__
    return leaf


__all__ = ["TracerWarning", "ScriptError", "Recorder", "record", "leaf_functions", "op_key"]
