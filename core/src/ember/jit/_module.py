"""The runnable result of tracing: :class:`GraphModule`, an ``nn.Module`` that replays a graph.

Replaying a node is one ``apply(op, inputs, *args)`` call (the same primitives eager mode
runs, so autograd works through a graph module), without the Python of the original
``forward``. Parameters and buffers live in the module under their ``state_dict`` keys;
constants are non-persistent buffers, so ``.to(device)`` moves everything.
"""

from __future__ import annotations

from .._tensor import apply
from ..nn.modules.module import Module
from ..nn.parameter import Parameter
from ._graph import Struct, Sym, build, format_graph, is_static, node_reads, python_code, structs
from ._tracer import flatten


def _prebuild(a):
    """Build every Struct whose arguments hold no markers (done once, not per call)."""
    t = type(a)
    if t in (tuple, list):
        return t(_prebuild(x) for x in a)
    if t is dict:
        return {k: _prebuild(x) for k, x in a.items()}
    if t is Struct:
        inner = _prebuild(a.args)
        if is_static(inner):
            return structs()[a.kind][0](*inner)
        return Struct(a.kind, inner)
    return a


class _Program:
    """A graph compiled to a list of steps over value slots."""

    def __init__(self, graph):
        order = graph.inputs + graph.params + graph.consts
        for i, v in enumerate(order):
            v.slot = i
        n = len(order)
        self.steps = []
        for node in graph.nodes:
            for v in node.outputs:
                v.slot = n
                n += 1
        last = {}  # slot -> index of the last step reading it: intermediates are dropped there (memory is reused)
        for k, node in enumerate(graph.nodes):
            for v in node_reads(node):
                last[v.slot] = k
        keep = {v.slot for v in graph.output_values()}
        dead = [[] for _ in graph.nodes]
        for slot, k in last.items():
            if slot >= len(order) and slot not in keep:
                dead[k].append(slot)
        for k, node in enumerate(graph.nodes):
            args = _prebuild(node.args)
            outs = tuple(v.slot for v in node.outputs)
            ins = tuple(v.slot for v in node.inputs)
            self.steps.append((node.kind, node.fn, ins, args, is_static(args), outs, tuple(dead[k])))
        self.n_slots = n
        self.n_fixed = len(order)
        self.sym_places = [places[0] for places in graph.symbols]
        self.output = graph.output

    def run(self, inputs, fixed_tail):
        vals = [None] * self.n_slots
        vals[:len(inputs)] = inputs
        vals[len(inputs):self.n_fixed] = fixed_tail
        sizes = [inputs[i]._data.shape[d] for i, d in self.sym_places]
        for kind, fn, ins, args, static, outs, dead in self.steps:
            if kind == "op":
                r = apply(fn, [vals[i] for i in ins], *(args if static else build(args, vals, sizes)))
            elif kind == "call":
                pos, kw = args if static else build(args, vals, sizes)
                r = fn(*pos, **kw)
            else:
                from .._creation import full

                shape, value, dtype = build(args, vals, sizes)
                r = full(shape, value, dtype=dtype, device=inputs[0].device if inputs else None)
            if isinstance(r, tuple):
                for slot, t in zip(outs, r):
                    vals[slot] = t
            else:
                vals[outs[0]] = r
            for slot in dead:
                vals[slot] = None
        return _unflatten_output(self.output, vals)


def _unflatten_output(spec, vals):
    from ._graph import Value

    t = type(spec)
    if t is Value:
        return vals[spec.slot]
    if t in (tuple, list):
        return t(_unflatten_output(x, vals) for x in spec)
    if t is dict:
        return {k: _unflatten_output(x, vals) for k, x in spec.items()}
    return spec


class GraphModule(Module):
    """A traced or scripted program that runs like the module it came from.

    ``graph`` prints the graph, ``code`` shows it as Python (for reading: it is never executed),
    ``save(path)`` writes one self-contained file that :func:`ember.jit.load` reads back without
    the model's class. Parameters and buffers keep their ``state_dict`` keys, so ``state_dict()``,
    ``load_state_dict()``, ``parameters()``, ``to()``, ``train()`` and ``eval()`` work as usual
    (the traced graph itself is fixed: ``train()`` does not switch dropout or batch norm back on).

    Example:
        >>> import ember
        >>> m = ember.jit.trace(ember.nn.Linear(3, 2), ember.ones(1, 3))
        >>> m(ember.ones(4, 3)).shape, list(m.state_dict())
        (ember.Size([4, 2]), ['weight', 'bias'])
    """

    def __init__(self, graph, tensors=None, original_name="Module"):
        super().__init__()
        self.__dict__["_graph"] = graph
        self.__dict__["original_name"] = original_name
        tensors = tensors or {}
        places = []
        for v in graph.params:
            t = tensors[v.name]
            owner, attr = self._owner(v.name)
            if isinstance(t, Parameter):
                owner.register_parameter(attr, t)
            else:
                owner.register_buffer(attr, t)
            places.append((owner, attr, isinstance(t, Parameter)))
        consts = Module()
        for i, c in enumerate(graph.consts):
            consts.register_buffer(f"c{i}", c.tensor, persistent=False)
        self.add_module("_consts", consts)
        self.__dict__["_places"] = places
        self.__dict__["_program"] = _Program(graph)
        self.__dict__["_checked_shapes"] = set()

    def _owner(self, key):
        *path, attr = key.split(".")
        owner = self
        for p in path:
            child = owner._modules.get(p)
            if child is None:
                child = Module()
                owner.add_module(p, child)
            owner = child
        return owner, attr

    @property
    def graph(self):
        return self._graph

    @property
    def inlined_graph(self):
        return self._graph

    @property
    def code(self):
        return python_code(self._graph)

    def _fixed_values(self):
        out = [owner._parameters[a] if is_param else owner._buffers[a] for owner, a, is_param in self._places]
        out.extend(self._consts._buffers.values())
        return out

    def forward(self, *args):
        leaves = []
        spec = flatten(tuple(args), leaves)
        g = self._graph
        if spec != g.input_spec:
            raise RuntimeError(f"{self.original_name} (traced): expected inputs shaped like {_spec_str(g.input_spec)}, "
                               f"got {_spec_str(spec)}")
        shapes = tuple(t._data.shape for t in leaves)
        if shapes not in self._checked_shapes:
            _check_shapes(self.original_name, g, leaves)
            if len(self._checked_shapes) < 64:
                self._checked_shapes.add(shapes)
        return self._program.run(leaves, self._fixed_values())

    def save(self, f):
        """Write graph, weights and constants to one file (see :func:`ember.jit.save`).

        Example:
            >>> import io, ember
            >>> buf = io.BytesIO(); ember.jit.trace(ember.nn.ReLU(), ember.ones(2)).save(buf)
        """
        from ._serialize import save

        save(self, f)

    def extra_repr(self):
        return f"original_name={self.original_name}"

    def _get_name(self):
        return "GraphModule"


ScriptModule = GraphModule


def _spec_str(spec):
    if spec is None:
        return "Tensor"
    if type(spec) in (tuple, list):
        inner = ", ".join(_spec_str(x) for x in spec)
        return f"({inner})" if type(spec) is tuple else f"[{inner}]"
    if type(spec) is dict:
        return "{" + ", ".join(f"{k!r}: {_spec_str(x)}" for k, x in spec.items()) + "}"
    return repr(spec[1])


def _check_shapes(name, g, leaves):
    for v, want, t in zip(g.inputs, g.input_shapes, leaves):
        got = tuple(t.shape)
        ok = len(got) == len(want) and all(type(w) is Sym or w == s for w, s in zip(want, got))
        if not ok:
            shown = "(" + ", ".join(str(w) for w in want) + ")"
            dynamic = "only the sizes shown as s<k> may change" if g.symbols else \
                "this graph has fixed shapes (its sizes could not be made symbolic)"
            raise RuntimeError(f"{name} (traced): input '{v.name}' has shape {got}, but the graph was traced for "
                               f"{shown}; {dynamic}")


__all__ = ["GraphModule", "ScriptModule", "format_graph"]
