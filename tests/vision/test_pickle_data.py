"""embervision.datasets._pickle_data: plain data out of pickles of every protocol, nothing the file names ever runs."""

import pickle

import numpy as np
import pytest

from embervision.datasets._pickle_data import load_data

PLAIN = {
    b"batch_label": b"training batch 1 of 5", "labels": [0, 9, 3, -1, 2 ** 40, -(2 ** 70)], "ok": (True, False, None),
    "f": [1.5, -0.0, float("inf")], "s": {1, 2}, "fs": frozenset({"a"}), "text": "caf\u00e9 \U0001f600", "nested": [[], {}, ()],
}


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_plain_data_and_arrays_match_pickle(protocol):
    rng = np.random.default_rng(protocol)
    obj = dict(PLAIN, data=rng.integers(0, 256, (4, 3072), dtype=np.uint8),
               f64=rng.standard_normal((2, 3)), big=np.arange(6, dtype=">i4").reshape(2, 3),
               fortran=np.asfortranarray(np.arange(6.0, dtype=np.float32).reshape(2, 3)), scalar=np.float32(2.5),
               empty=np.zeros((0, 3), dtype=np.int16))
    blob = pickle.dumps(obj, protocol=protocol)
    got, want = load_data(blob), pickle.loads(blob)
    assert _same(want, got)
    assert got["fortran"].flags.f_contiguous and got["big"].dtype == want["big"].dtype  # as numpy unpickles them
    got["data"][0, 0] ^= 1  # arrays own writable memory
    assert got["data"][0, 0] != want["data"][0, 0]


def test_shared_references_come_back_shared():
    shared = [1, 2]
    got = load_data(pickle.dumps({"a": shared, "b": shared}, protocol=2))
    assert got == {"a": [1, 2], "b": [1, 2]}


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("obj, words", [
    ({"data": _Evil()}, r"refusing to load global (posix|nt|os)\.system"),
    ({"data": np.array([object()], dtype=object)}, "object dtype|refusing"),
    (pickle.PickleBuffer, "refusing to load global pickle.PickleBuffer"),
])
def test_refuses_anything_but_plain_data(obj, words):
    for protocol in (0, 2, 5):
        with pytest.raises(ValueError, match=words):
            load_data(pickle.dumps(obj, protocol=protocol))


def test_malformed_pickles_raise_clear_errors():
    good = pickle.dumps({"labels": [1, 2, 3]}, protocol=2)
    with pytest.raises(ValueError, match="ends early"):
        load_data(good[:-4])
    with pytest.raises(ValueError, match="refusing pickle opcode"):
        load_data(b"\x80\x02\x81.")  # NEWOBJ
    with pytest.raises(ValueError, match="memo reference 7"):
        load_data(b"\x80\x02h\x07.")
    arr = pickle.dumps(np.arange(4, dtype=np.uint8), protocol=2)
    assert arr.count(b"K\x04\x85") == 1  # the shape (4,) in the array's state
    with pytest.raises(ValueError, match="does not fill shape"):
        load_data(arr.replace(b"K\x04\x85", b"K\x05\x85"))
