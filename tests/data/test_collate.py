"""default_collate / default_convert on every structure torch handles."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import ember
from ember.utils.data import collate, default_collate, default_convert

Point = namedtuple("Point", "x y")


def _np(t):
    return t.cpu().numpy()


def test_tensors_are_stacked(device):
    batch = [ember.tensor(np.full((2, 3), i, dtype=np.float32), device=device) for i in range(4)]
    out = default_collate(batch)
    assert out.shape == (4, 2, 3) and out.device.type == device and out.dtype == ember.float32
    np.testing.assert_array_equal(_np(out), np.stack([np.full((2, 3), i, np.float32) for i in range(4)]))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.zeros(2, device=device), ember.zeros(3, device=device)])


def test_numbers_arrays_and_strings():
    f = default_collate([0.5, 1.5])
    assert f.dtype == ember.float64 and f.tolist() == [0.5, 1.5]
    i = default_collate([1, 2, 3])
    assert i.dtype == ember.int64 and i.tolist() == [1, 2, 3]
    b = default_collate([True, False])
    assert b.dtype == ember.bool and b.tolist() == [True, False]
    a = default_collate([np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)])
    assert a.dtype == ember.int32 and a.tolist() == [[0, 1, 2], [3, 4, 5]]
    s = default_collate([np.float32(1.5), np.float32(2.5)])
    assert s.dtype == ember.float32 and s.tolist() == [1.5, 2.5]
    assert default_collate(["a", "b"]) == ["a", "b"] and default_collate([b"x", b"y"]) == [b"x", b"y"]
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_containers_recurse():
    batch = [{"x": ember.tensor([1.0, 2.0]), "meta": {"id": i, "name": f"s{i}"}, "pair": (i, 2.0 * i)}
             for i in range(3)]
    out = default_collate(batch)
    assert set(out) == {"x", "meta", "pair"}
    np.testing.assert_array_equal(_np(out["x"]), [[1, 2]] * 3)
    assert out["meta"]["id"].tolist() == [0, 1, 2] and out["meta"]["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], list)  # tuples become lists, like torch
    assert out["pair"][0].tolist() == [0, 1, 2] and out["pair"][1].tolist() == [0.0, 2.0, 4.0]
    od = default_collate([OrderedDict(b=1, a=2), OrderedDict(b=3, a=4)])
    assert type(od) is OrderedDict and list(od) == ["b", "a"] and od["a"].tolist() == [2, 4]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.tolist() == [2.0, 4.0]
    lst = default_collate([[1, "a"], [2, "b"]])
    assert isinstance(lst, list) and lst[0].tolist() == [1, 2] and lst[1] == ["a", "b"]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_custom_collate_map():
    out = collate([1, 2, 3], collate_fn_map={int: lambda b, **kw: sum(b)})
    assert out == 6


def test_default_convert():
    out = default_convert({"a": np.arange(3), "s": "txt", "t": (np.float64(2.0), [np.ones(2, dtype=np.float32)])})
    assert out["a"].dtype == ember.int64 and out["a"].tolist() == [0, 1, 2] and out["s"] == "txt"
    assert isinstance(out["t"], list) and out["t"][0].item() == 2.0 and out["t"][1][0].dtype == ember.float32
    x = ember.ones(2)
    assert default_convert(x) is x
    strs = np.array(["a", "b"])
    assert default_convert(strs) is strs
    p = default_convert(Point(np.int64(1), "b"))
    assert isinstance(p, Point) and p.x.item() == 1 and p.y == "b"


def test_matches_torch_structure():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as tc

    batch = [{"a": (1, 2.5), "b": [np.int16(3)]}, {"a": (4, 5.5), "b": [np.int16(6)]}]
    want, got = tc(batch), default_collate(batch)
    assert type(want["a"]) is type(got["a"]) and want["a"][0].tolist() == got["a"][0].tolist()
    assert str(want["b"][0].dtype).split(".")[-1] == got["b"][0].dtype.name
