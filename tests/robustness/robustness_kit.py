"""Shared machinery of the robustness suite: run size, bounded calls, input mutators and the outcome ledger.

The suite has two sizes, picked by ``EMBER_ROBUSTNESS``: ``ci`` (default, a few
hundred inputs per loader) and ``long`` (10,000 per loader, ``python3 dev.py
robustness``). ``EMBER_ROBUSTNESS_EXAMPLES`` overrides the number of inputs per
loader. Every test records what it tried in :data:`LEDGER`; with
``EMBER_ROBUSTNESS_SUMMARY=path`` the suite writes the ledger there as JSON
(``report.py`` turns it into the table of ``docs/reliability.md``).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import gc
import json
import os
import resource
import signal
import time
import tracemalloc
import warnings

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = os.environ.get("EMBER_ROBUSTNESS", "ci") == "long"
EXAMPLES = int(os.environ.get("EMBER_ROBUSTNESS_EXAMPLES", 10_000 if LONG else 200))
TIME_LIMIT_S = 2.0
MEMORY_LIMIT_BYTES = 200 << 20
HANG_GUARD_S = 20  # a call still running after this long is interrupted and reported as a hang

LEDGER = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))


def record(section, name, outcome, n=1):
    """Count ``n`` trials of ``name`` (a loader, a fault, a check) in ``section`` ending in ``outcome``."""
    LEDGER[section][name][outcome] += n


def write_ledger(path):
    """Write the ledger as JSON: ``{section: {name: {outcome: count}}}``."""
    data = {s: {n: dict(c) for n, c in names.items()} for s, names in LEDGER.items()}
    data["_meta"] = {"scale": "long" if LONG else "ci", "examples_per_loader": EXAMPLES}
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def fuzz_settings(examples=None):
    """Hypothesis settings for a fuzz test: the run's size, no deadline (time is checked by :func:`bounded`)."""
    return settings(max_examples=examples or EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


class Hang(BaseException):
    """Raised inside a call that ran past :data:`HANG_GUARD_S` (a BaseException so loaders can't swallow it)."""


def _on_alarm(signum, frame):
    raise Hang()


def rss_bytes():
    """The resident memory of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def bounded(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)``; return ``(result or None, exception or None, seconds, peak bytes)``.

    ``peak bytes`` is the larger of the peak Python/numpy allocation traced
    during the call and the growth of the process' peak resident memory (which
    also sees C allocations, e.g. an image decoder's). Warnings raised inside
    (e.g. Pillow's "Corrupt EXIF data") are swallowed: a warning is not a failure.
    """
    old = signal.signal(signal.SIGALRM, _on_alarm)
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rss_before = peak_rss_bytes()
    signal.setitimer(signal.ITIMER_REAL, HANG_GUARD_S)
    start = time.perf_counter()
    result = error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as exc:
        error = exc
    finally:
        elapsed = time.perf_counter() - start
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        peak = tracemalloc.get_traced_memory()[1] - before
        if not tracing:
            tracemalloc.stop()
    return result, error, elapsed, max(peak, peak_rss_bytes() - rss_before)


def check_loader_call(loader, fn, path, allowed, *, name_in_message=True):
    """Call ``fn(path)`` on one fuzzed input and check the promises; record the outcome under ``loader``.

    The call must return or raise one of ``allowed`` (whose message names the
    file), within :data:`TIME_LIMIT_S` (a call over it is timed a second time,
    so a busy machine's hiccup is not a failure) and :data:`MEMORY_LIMIT_BYTES`.
    Returns the result (None when it raised).
    """
    result, error, elapsed, peak = bounded(fn, path)
    if elapsed > TIME_LIMIT_S:  # once more: a slow input is slow every time, a scheduling hiccup is not
        result, error, elapsed, peak = bounded(fn, path)
    outcome = "accepted" if error is None else f"rejected ({type(error).__name__})"
    problems = []
    if error is not None and not isinstance(error, allowed):
        problems.append(f"raised an undocumented {type(error).__name__}: {error}")
    if error is not None and name_in_message and os.path.basename(os.fspath(path)) not in str(error):
        problems.append(f"{type(error).__name__} message does not name the file: {error}")
    if elapsed > TIME_LIMIT_S:
        problems.append(f"took {elapsed:.2f} s (limit {TIME_LIMIT_S} s)")
    if peak > MEMORY_LIMIT_BYTES:
        problems.append(f"used {peak / 2**20:.0f} MB (limit {MEMORY_LIMIT_BYTES / 2**20:.0f} MB)")
    record("loaders", loader, "FAILED" if problems else outcome)
    assert not problems, f"{loader}: " + "; ".join(problems)
    del result
    return error


# ---- byte-level mutations -----------------------------------------------------------------------------

HUGE_INTS = (0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**40, 2**62, 2**63 - 1, 2**64 - 1)


_POS = st.integers(0, 2**20)  # positions are taken modulo the length of the data when applied
BYTE_MUTATIONS = st.lists(st.one_of(
    st.tuples(st.just("truncate"), _POS),
    st.tuples(st.just("flip"), _POS, st.integers(1, 255)),
    st.tuples(st.just("int"), _POS, st.sampled_from((2, 4, 8)), st.sampled_from(HUGE_INTS),
              st.sampled_from(("little", "big"))),
    st.tuples(st.just("insert"), _POS, st.binary(min_size=1, max_size=32)),
    st.tuples(st.just("delete"), _POS, st.integers(1, 64)),
    st.tuples(st.just("repeat"), _POS, st.integers(1, 256), st.integers(2, 64)),
), min_size=1, max_size=4)
"""Lists of edits for :func:`apply_byte_mutations` (one strategy object: building strategies is slow)."""


def apply_byte_mutations(data, edits):
    """``data`` with ``edits`` applied in order (truncate, flip, write an int, insert, delete, repeat a span)."""
    b = bytearray(data)
    for kind, at, *rest in edits:
        at %= len(b) + 1
        if kind == "truncate":
            del b[at:]
        elif kind == "flip" and at < len(b):
            b[at] ^= rest[0]
        elif kind == "int":
            width, value, order = rest
            b[at:at + width] = (value % (1 << 8 * width)).to_bytes(width, order)
        elif kind == "insert":
            b[at:at] = rest[0]
        elif kind == "delete":
            del b[at:at + rest[0]]
        elif kind == "repeat":
            length, times = rest
            b[at:at] = bytes(b[at:at + length]) * times
    return bytes(b)


# ---- JSON-level mutations -----------------------------------------------------------------------------

class Deep:
    """A JSON value nested ``depth`` levels deep, written without recursion (``json.dumps`` would overflow)."""

    def __init__(self, depth, container):
        self.depth, self.container = depth, container

    def text(self):
        if self.container == "list":
            return "[" * self.depth + "]" * self.depth
        return '{"a":' * self.depth + "0" + "}" * self.depth


REPLACEMENTS = st.one_of(
    st.sampled_from(HUGE_INTS + (-1, -(2**63), 10**30, 1.5, -0.0, True, False, None, "", "F32", "float64", "int64",
                                 "bfloat16", "cuda:7", "../../etc/passwd", "data/0", [], {}, [2**40, 2**40],
                                 [2**62, 2**62, 2**62], [-1], [0, 2**63], [[1]], {"type": "tensor"},
                                 {"type": "tensor", "index": 0}, {"type": "ndarray"}, "x" * 10_000)),
    st.builds(Deep, st.sampled_from((200, 5_000, 100_000)), st.sampled_from(("list", "dict"))),
    st.text(max_size=8), st.integers(), st.lists(st.integers(-2, 2**40), max_size=6),
)


JSON_MUTATIONS = st.lists(st.tuples(st.integers(0, 2**16), REPLACEMENTS), min_size=1, max_size=3)
"""Lists of ``(path choice, replacement)`` edits for :func:`apply_json_mutations`."""


def _slots(node, out):
    """Every (container, key) position in a JSON tree, in a stable order."""
    if isinstance(node, dict):
        for k in list(node):
            out.append((node, k))
            _slots(node[k], out)
    elif isinstance(node, list):
        for i in range(len(node)):
            out.append((node, i))
            _slots(node[i], out)
    return out


def apply_json_mutations(doc, edits):
    """JSON text of ``doc`` (a parsed JSON tree, modified in place) after replacing chosen values."""
    for choice, value in edits:
        slots = _slots(doc, [])
        if not slots:
            doc = copy.deepcopy(value) if not isinstance(value, Deep) else doc
            continue
        container, key = slots[choice % len(slots)]
        container[key] = copy.deepcopy(value)  # the strategy's values are shared between examples
    marks = {}

    def encode(o):
        if isinstance(o, Deep):
            marks[f"@@deep{len(marks)}@@"] = o.text()
            return list(marks)[-1]
        raise TypeError(type(o).__name__)

    text = json.dumps(doc, default=encode)
    for mark, deep in marks.items():
        text = text.replace(json.dumps(mark), deep)
    return text


# ---- processes ----------------------------------------------------------------------------------------

def children():
    """The live (non-zombie) child processes of this process, recursively.

    multiprocessing's own long-lived helpers (the resource tracker and forkserver that
    a 'spawn' or 'forkserver' DataLoader starts once per session) are not orphans.
    """
    import psutil

    procs = []
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(p.cmdline())
            if "resource_tracker" in cmd or "forkserver" in cmd:
                continue
            procs.append(p)
    return procs


def wait_no_children(timeout=10.0):
    """The child processes still alive after waiting up to ``timeout`` seconds for them to go."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        left = children()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)
