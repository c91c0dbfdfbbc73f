"""Event recording for :mod:`ember.profiler`: timed events, their averages, torch's table and Chrome traces.

While a :class:`Recorder` is active its ``run_op`` is installed as ``ember._tensor._profiler``; every
primitive then goes through it, is timed with :func:`time.perf_counter_ns` and, when it records a graph
node, has that node's ``backward`` timed too (as torch's ``autograd::engine::evaluate_function: <Node>``).
Self time is an event's duration less its direct children's, found with a stack of open events.
"""
import json
import os
import threading
import time

from .. import _tensor

_active = None  # the Recorder collecting events now, or None


class FunctionEvent:
    """One timed range: an op, a backward node or a :func:`record_function` block (times in microseconds).

    Example:
        >>> e = FunctionEvent("aten::add", 0, 5000, 1000)
        >>> e.cpu_time_total, e.self_cpu_time_total
        (5.0, 4.0)
    """

    def __init__(self, name, start_ns, end_ns, children_ns=0, input_shapes=(), thread=0, cat="cpu_op"):
        self.name = name
        self.key = "ProfilerStep*" if name.startswith("ProfilerStep#") else name  # torch folds the steps
        self.start_ns, self.end_ns, self.children_ns = start_ns, end_ns, children_ns
        self.input_shapes, self.thread, self.cat = list(input_shapes), thread, cat
        self.count = 1

    @property
    def cpu_time_total(self):
        return (self.end_ns - self.start_ns) / 1000

    @property
    def self_cpu_time_total(self):
        return (self.end_ns - self.start_ns - self.children_ns) / 1000

    def __repr__(self):
        return f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us>"


class FunctionEventAvg:
    """The events sharing a key (and, when grouped, input shapes): counts, totals and averages in microseconds.

    Example:
        >>> avg = FunctionEventAvg("aten::mul")
        >>> avg.add(FunctionEvent("aten::mul", 0, 4000)); avg.add(FunctionEvent("aten::mul", 0, 2000))
        >>> avg.count, avg.cpu_time_total, avg.cpu_time
        (2, 6.0, 3.0)
    """

    def __init__(self, key, input_shapes=None):
        self.key, self.input_shapes = key, input_shapes
        self.count, self.cpu_time_total, self.self_cpu_time_total = 0, 0.0, 0.0
        self.device_time_total = self.self_device_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0

    def add(self, event):
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        if self.input_shapes is None:
            self.input_shapes = event.input_shapes

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self):
        return self.self_cpu_time_total / max(self.count, 1)

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_format_time(self.self_cpu_time_total)} "
                f"cpu_time={_format_time(self.cpu_time)} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events with torch's ``key_averages``, ``table``, ``total_average`` and ``export_chrome_trace``.

    Example:
        >>> ev = EventList([FunctionEvent("aten::add", 0, 3000), FunctionEvent("aten::add", 0, 1000)])
        >>> [(a.key, a.count) for a in ev.key_averages()]
        [('aten::add', 2)]
    """

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """Average the events by key (and input shapes when ``group_by_input_shape``), in first-seen order.

        Example:
            >>> EventList([FunctionEvent("f", 0, 2000)]).key_averages()[0].cpu_time_total
            2.0
        """
        groups = {}
        for e in self:
            k = (e.key, str(e.input_shapes)) if group_by_input_shape else e.key
            if k not in groups:
                groups[k] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape else None)
            groups[k].add(e)
        out = EventList(groups.values())
        out._grouped_by_shape = group_by_input_shape
        return out

    def total_average(self):
        """All events folded into one average with key ``Total``.

        Example:
            >>> EventList([FunctionEvent("f", 0, 2000), FunctionEvent("g", 0, 1000)]).total_average().count
            2
        """
        total = FunctionEventAvg("Total")
        for e in self:
            total.count += e.count
            total.cpu_time_total += e.cpu_time_total
            total.self_cpu_time_total += e.self_cpu_time_total
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        """torch's text table: one row per entry, sorted descending by the attribute ``sort_by``.

        Example:
            >>> t = EventList([FunctionEvent("aten::add", 0, 3000)]).key_averages().table()
            >>> "Self CPU %" in t and "# of Calls" in t
            True
        """
        return _table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header)

    def export_chrome_trace(self, path):
        """Write the events to ``path`` as Chrome trace JSON (``chrome://tracing``, Perfetto).

        Example:
            >>> import tempfile, pathlib, json
            >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.json"
            >>> EventList([FunctionEvent("f", 0, 2000)]).export_chrome_trace(str(p))
            >>> json.loads(p.read_text())["traceEvents"][0]["name"]
            'f'
        """
        events = [{"ph": "X", "cat": e.cat, "name": e.name, "pid": os.getpid(), "tid": e.thread,
                   "ts": e.start_ns / 1000, "dur": (e.end_ns - e.start_ns) / 1000,
                   "args": {"Input Dims": e.input_shapes} if e.input_shapes else {}} for e in self]
        with open(path, "w") as f:
            json.dump({"schemaVersion": 1, "traceEvents": events, "displayTimeUnit": "ms",
                       "traceName": os.path.basename(str(path))}, f)


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _table(rows, sort_by, row_limit, name_width_cap, shapes_width_cap, header):
    if len(rows) and isinstance(rows[0], FunctionEvent):
        rows = rows.key_averages()
    shapes = getattr(rows, "_grouped_by_shape", False)
    self_total = sum(r.self_cpu_time_total for r in rows)
    name_w = min(max([len(r.key) for r in rows] + [4]) + 4, name_width_cap)
    shapes_w = min(max([len(str(r.input_shapes)) for r in rows] + [12]) + 4, shapes_width_cap)
    titles = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    widths = [name_w] + [12] * 6
    if shapes:
        titles.append("Input Shapes")
        widths.append(shapes_w)
    line = "".join("-" * w + "  " for w in widths)

    def fmt_row(cells):
        return "".join(f"{c:>{w}}  " for c, w in zip(cells, widths, strict=True))

    ordered = sorted(rows, key=lambda r: getattr(r, sort_by), reverse=True) if sort_by else list(rows)
    if row_limit is not None and row_limit > 0:
        ordered = ordered[:row_limit]

    def pct(v):
        return f"{100 * v / self_total:.2f}%" if self_total else "0.00%"

    out = [line] if header is None else [header, line]
    out += [fmt_row(titles), line]
    for r in ordered:
        name = r.key if len(r.key) <= name_w - 4 else r.key[:name_w - 7] + "..."
        cells = [name, pct(r.self_cpu_time_total), _format_time(r.self_cpu_time_total), pct(r.cpu_time_total),
                 _format_time(r.cpu_time_total), _format_time(r.cpu_time), str(r.count)]
        if shapes:
            cells.append(str(r.input_shapes)[:shapes_w - 4])
        out.append(fmt_row(cells))
    out += [line, f"Self CPU time total: {_format_time(self_total)}", ""]
    return "\n".join(out)


class Recorder:
    """Collects :class:`FunctionEvent`s while installed; ``begin``/``end`` keep a stack for self times.

    Example:
        >>> import ember
        >>> rec = Recorder(); rec.start()
        >>> _ = ember.ones(2) + 1
        >>> rec.stop(); [e.name for e in rec.events]
        ['aten::add']
    """

    def __init__(self, record_shapes=False):
        self.record_shapes = record_shapes
        self.events = EventList()
        self.stack = []
        self.hook = self.run_op

    def start(self):
        global _active
        _active = self
        _tensor._profiler = self.hook

    def stop(self):
        global _active
        if _active is self:
            _active = None
            _tensor._profiler = None

    def begin(self, name, shapes=(), cat="cpu_op"):
        """Open a range; returns the token :meth:`end` takes."""
        frame = [name, shapes, cat, 0, time.perf_counter_ns()]
        self.stack.append(frame)
        return frame

    def end(self, frame):
        """Close the range opened by :meth:`begin` (and any left open inside it)."""
        now = time.perf_counter_ns()
        while self.stack:
            top = self.stack.pop()
            name, shapes, cat, children, start = top
            self.events.append(FunctionEvent(name, start, now, children, shapes, threading.get_ident(), cat))
            if self.stack:
                self.stack[-1][3] += now - start
            if top is frame:
                break

    def run_op(self, op, inputs, args):
        """Time one primitive (the hook ``ember._tensor.apply`` calls while profiling)."""
        shapes = [list(t.shape) for t in inputs] if self.record_shapes else ()
        frame = self.begin(f"aten::{op.__name__.lower()}", shapes)
        _tensor._profiler = None
        try:
            out = _tensor.apply(op, inputs, *args)
        finally:
            _tensor._profiler = self.hook
            self.end(frame)
        first = out[0] if type(out) is tuple else out
        fn = first.grad_fn
        if fn is not None and "backward" not in fn.__dict__:
            fn.backward = _TimedBackward(fn)
        return out


class _TimedBackward:
    """A graph node's ``backward`` that, while a profiler is active, is timed as torch's two nested rows."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *grads):
        fn = self.fn
        rec = _active
        if rec is None:
            return type(fn).backward(fn, *grads)
        name = fn.name()
        outer = rec.begin(f"autograd::engine::evaluate_function: {name}")
        rec.begin(name)
        try:
            return type(fn).backward(fn, *grads)
        finally:
            rec.end(outer)
