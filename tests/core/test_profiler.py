"""ember.profiler / ember.autograd.profiler: event counts, self vs total times, schedules, traces, tables."""
import json
import os

import ember
import pytest
from ember import _tensor
from ember.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    tensorboard_trace_handler,
)


def _counts(prof):
    return {a.key: a.count for a in prof.key_averages()}


def test_counts_for_known_program(device):
    a = ember.ones(2, 2, device=device)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        b = a @ a
        c = b @ a
        d = c @ b
        e = d + c
        _ = e + 1
    assert _counts(prof) == {"aten::matmul": 3, "aten::add": 2}
    assert _tensor._profiler is None


def test_totals_cover_self_times_and_children():
    x = ember.randn(8, 8, requires_grad=True)
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                y = (x * 2).sum()
            z = x + 1
        y.backward()
    events = prof.events()
    for e in events:
        assert e.cpu_time_total >= e.self_cpu_time_total >= 0
    by_name = {e.name: e for e in events}
    outer, inner = by_name["outer"], by_name["inner"]
    assert outer.start_ns <= inner.start_ns <= inner.end_ns <= outer.end_ns
    children = [e for e in events if e.start_ns >= outer.start_ns and e.end_ns <= outer.end_ns and e is not outer]
    direct = [inner, by_name["aten::add"]]
    assert all(c in children for c in direct)
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - sum(c.cpu_time_total for c in direct))
    assert inner.cpu_time_total >= by_name["aten::mul"].cpu_time_total + by_name["aten::sum"].cpu_time_total
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["outer"].count == 1 and avg["outer"].cpu_time == avg["outer"].cpu_time_total
    assert z.shape == (8, 8)


def test_backward_nodes_are_recorded_as_torch_names_them():
    x = ember.randn(3, requires_grad=True)
    with profile() as prof:
        (x * x).sum().backward()
    keys = _counts(prof)
    for node in ("MulBackward0", "SumBackward0"):
        assert keys[node] == 1 and keys[f"autograd::engine::evaluate_function: {node}"] == 1
    ev = {e.name: e for e in prof.events()}
    outer, inner = ev["autograd::engine::evaluate_function: MulBackward0"], ev["MulBackward0"]
    assert outer.start_ns <= inner.start_ns and inner.end_ns <= outer.end_ns
    x.grad = None
    with profile():
        y = (x * x).sum()
    y.backward()  # a node timed by a finished profiler still runs, unrecorded
    assert x.grad.tolist() == (2 * x).tolist()


def test_record_function_as_decorator_and_outside_profiling():
    @record_function("helper")
    def helper(t):
        return t * 3

    assert helper(ember.ones(1)).tolist() == [3.0]  # no profiler: a plain call
    with profile() as prof:
        helper(ember.ones(2))
        helper(ember.ones(2))
    assert _counts(prof) == {"helper": 2, "aten::mul": 2}


def test_record_shapes_groups_by_input_shape():
    with profile(record_shapes=True) as prof:
        ember.ones(2, 3) + ember.ones(2, 3)
        ember.ones(4) + ember.ones(4)
        ember.ones(4) + ember.ones(4)
    grouped = {(a.key, str(a.input_shapes)): a.count for a in prof.key_averages(group_by_input_shape=True)}
    assert grouped == {("aten::add", "[[2, 3], [2, 3]]"): 1, ("aten::add", "[[4], [4]]"): 2}


@pytest.mark.parametrize("kwargs, expected", [
    (dict(wait=1, warmup=1, active=2), ["NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE"] * 2),
    (dict(wait=0, warmup=1, active=1, repeat=1, skip_first=2),
     ["NONE", "NONE", "WARMUP", "RECORD_AND_SAVE", "NONE", "NONE", "NONE", "NONE"]),
    (dict(wait=2, warmup=1, active=1, repeat=1, skip_first_wait=1),
     ["WARMUP", "RECORD_AND_SAVE", "NONE", "NONE", "NONE", "NONE", "NONE", "NONE"]),
])
def test_schedule_actions(kwargs, expected):
    s = schedule(**kwargs)
    assert [s(i).name for i in range(8)] == expected


def test_schedule_rejects_bad_arguments_and_warns_without_warmup():
    with pytest.raises(AssertionError, match="active=0"):
        schedule(wait=0, warmup=1, active=0)
    with pytest.warns(UserWarning, match="warmup"):
        schedule(wait=0, warmup=0, active=1)
    with pytest.raises(AssertionError, match="non-negative"):
        schedule(wait=0, warmup=1, active=1)(-1)


def _scheduled_run(prof_mod, make_schedule, ones, n_steps=12):
    """Run n_steps labelled steps under a schedule; return the labels of each trace handed to on_trace_ready."""
    traces = []

    def ready(p):
        traces.append(sorted(a.key for a in p.key_averages() if a.key.startswith(("s", "ProfilerStep"))))

    with prof_mod.profile(schedule=make_schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1),
                          on_trace_ready=ready) as p:
        for i in range(n_steps):
            with prof_mod.record_function(f"s{i:02d}"):
                ones(2) + 1
            p.step()
    return traces


EXPECTED_TRACES = [["ProfilerStep*", "s03", "s04"], ["ProfilerStep*", "s07", "s08"]]


def test_profile_records_the_scheduled_steps():
    assert _scheduled_run(ember.profiler, schedule, ember.ones) == EXPECTED_TRACES
    with profile(schedule=schedule(wait=1, warmup=1, active=2)) as prof:
        for _ in range(4):
            prof.step()
    assert [e.name for e in prof.events()] == ["ProfilerStep#2", "ProfilerStep#3"]


@pytest.mark.filterwarnings("ignore:Warning. Profiler clears events")
def test_scheduled_steps_match_torch():
    torch = pytest.importorskip("torch")
    assert _scheduled_run(torch.profiler, torch.profiler.schedule, torch.ones) == EXPECTED_TRACES


def test_stop_mid_recording_hands_over_the_trace():
    seen = []
    with profile(schedule=schedule(wait=0, warmup=1, active=3), on_trace_ready=seen.append) as prof:
        for _ in range(2):
            ember.ones(1) + 1
            prof.step()
        ember.ones(1) * 2
    assert seen == [prof] and _counts(prof) == {"ProfilerStep*": 2, "aten::add": 1, "aten::mul": 1}


def test_linear_forward_backward_keys_match_torch():
    torch = pytest.importorskip("torch")

    def keys(lib, prof_mod):
        lin, x = lib.nn.Linear(3, 2), lib.randn(4, 3)
        with prof_mod.profile() as prof:
            lin(x).sum().backward()
        return {a.key for a in prof.key_averages()}

    shared = {"aten::linear", "aten::sum", "AddmmBackward0", "SumBackward0",
              "autograd::engine::evaluate_function: AddmmBackward0",
              "autograd::engine::evaluate_function: SumBackward0"}
    assert shared <= keys(ember, ember.profiler)
    assert shared <= keys(torch, torch.profiler)


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    with profile(record_shapes=True, on_trace_ready=tensorboard_trace_handler(str(tmp_path / "tb"))) as prof:
        with record_function("block"):
            ember.ones(2) + ember.ones(2)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert {e["name"] for e in events} == {"block", "aten::add"}
    for e in events:
        assert e["ph"] == "X" and e["dur"] >= 0 and isinstance(e["ts"], float) and {"pid", "tid", "cat"} <= set(e)
    assert {e["name"]: e["cat"] for e in events} == {"block": "user_annotation", "aten::add": "cpu_op"}
    assert [e["args"] for e in events if e["name"] == "aten::add"] == [{"Input Dims": [[2], [2]]}]
    (written,) = os.listdir(tmp_path / "tb")
    assert written.endswith(".pt.trace.json")
    assert json.loads((tmp_path / "tb" / written).read_text())["traceEvents"]


def test_table_layout():
    with profile(record_shapes=True) as prof:
        for _ in range(3):
            ember.ones(2) * 2
        ember.ones(2) + 1
    table = prof.key_averages().table(sort_by="count", row_limit=1)
    lines = table.splitlines()
    assert lines[0] == lines[2] == lines[-2] and set(lines[0]) == {"-", " "}
    assert [c.strip() for c in lines[1].split("  ") if c.strip()] == [
        "Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    assert len(lines) == 6 and lines[3].split()[0] == "aten::mul" and lines[3].split()[-1] == "3"
    assert lines[-1].startswith("Self CPU time total: ")
    shaped = prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in shaped.splitlines()[1] and "[[2], []]" in shaped


def test_table_time_formats():
    from ember.profiler._events import EventList, FunctionEvent
    t = EventList([FunctionEvent("slow", 0, 2_500_000_000), FunctionEvent("fast", 0, 1500)]).table()
    assert "2.500s" in t and "1.500us" in t and "Self CPU time total: 2.500s" in t


def test_profiling_stops_on_error():
    with pytest.raises(ValueError):
        with profile():
            raise ValueError("boom")
    assert _tensor._profiler is None


def test_legacy_autograd_profiler():
    x = ember.ones(2, requires_grad=True)
    with ember.autograd.profiler.profile(use_cuda=False, record_shapes=True) as prof:
        with ember.autograd.profiler.record_function("legacy"):
            (x * 2).sum().backward()
    keys = {e.key for e in prof.function_events}
    assert {"legacy", "aten::mul", "aten::sum", "MulBackward0"} <= keys
    assert "Self CPU %" in prof.table()
    with ember.autograd.profiler.profile(enabled=False) as off:
        x * 2
    assert len(off.key_averages()) == 0
    with ember.autograd.profiler.emit_nvtx():
        assert _tensor._profiler is None
    assert ProfilerAction.RECORD.value == 2
