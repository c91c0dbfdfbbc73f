"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: torch's list/dict behaviour and reprs."""

from collections import OrderedDict

import pytest

import ember
import ember.nn as nn


def test_sequential_indexing_slicing_and_editing():
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert isinstance(s[1:], nn.Sequential) and repr(s[1:]) == "Sequential(\n  (1): Tanh()\n  (2): Sigmoid()\n)"
    assert repr(s[-1]) == "Sigmoid()" and len(s) == 3
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    del s[0]
    assert [n for n, _ in s.named_children()] == ["0", "1"] and repr(s[0]) == "Tanh()"
    s.insert(0, nn.ELU())
    assert repr(s) == "Sequential(\n  (0): ELU(alpha=1.0)\n  (1): Tanh()\n  (2): Sigmoid()\n)"
    assert repr(s.pop(1)) == "Tanh()" and len(s) == 2
    s.append(nn.ReLU()).extend([nn.ReLU()])
    assert len(s) == 4
    s[0] = nn.Identity()
    assert isinstance(s[0], nn.Identity)
    assert len(s + nn.Sequential(nn.ReLU())) == 5 and len(nn.Sequential(nn.ReLU(), nn.Tanh()) * 2) == 4
    assert [type(m).__name__ for m in s] == ["Identity", "Sigmoid", "ReLU", "ReLU"]


def test_sequential_forward_chains():
    s = nn.Sequential(OrderedDict([("scale", nn.Linear(1, 1, bias=False)), ("act", nn.ReLU())]))
    with ember.no_grad():
        s.scale.weight.fill_(2.0)
    assert s(ember.tensor([[-1.0], [3.0]])).tolist() == [[0.0], [6.0]]
    assert repr(nn.Sequential()) == "Sequential()"


def test_module_list():
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU()])
    assert repr(ml) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n  (3): ReLU()\n)"
    assert repr(ml[1:]) == "ModuleList(\n  (0): ReLU()\n  (1): Tanh()\n  (2): ReLU()\n)"
    with pytest.raises(IndexError, match="index 9 is out of range"):
        ml[9]
    ml.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Sigmoid", "ReLU", "Tanh", "ReLU"]
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    assert repr(ml.pop(-1)) == "ReLU()" and len(ml) == 3
    ml += [nn.Linear(2, 2)]
    assert len(list(ml.parameters())) == 2
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])) == \
        "ModuleList(\n  (0-1): 2 x Linear(in_features=1, out_features=1, bias=True)\n)"
    with pytest.raises(TypeError, match="should be called with an iterable"):
        nn.ModuleList().extend(nn.ReLU())


def test_module_dict():
    d = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(2, 2)})
    assert list(d) == ["a", "b"] and "b" in d and len(d) == 2
    assert repr(d) == "ModuleDict(\n  (a): ReLU()\n  (b): Linear(in_features=2, out_features=2, bias=True)\n)"
    d["c"] = nn.Tanh()
    assert list(d.keys()) == ["a", "b", "c"] and [n for n, _ in d.named_parameters()] == ["b.weight", "b.bias"]
    assert repr(d.pop("a")) == "ReLU()" and list(d) == ["b", "c"]
    d.update([("e", nn.ReLU())])
    assert list(d) == ["b", "c", "e"]
    d.clear()
    assert len(d) == 0


def test_parameter_list():
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3, 4, dtype=ember.float64), 5])
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [ember.float32 of size 2]\n"
                        "    (1): Parameter containing: [ember.float64 of size 3x4]\n"
                        "    (2): Object of type: int\n"
                        ")")
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad and pl[2] == 5
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and len(pl) == 3
    pl.append(ember.ones(1))
    assert len(list(pl.parameters())) == 3 and len(pl[1:]) == 3
    pl[0] = ember.zeros(5)
    assert pl[0].shape == (5,) and isinstance(pl[0], nn.Parameter)


def test_parameter_dict():
    pd = nn.ParameterDict({"a": nn.Parameter(ember.ones(2)), "b": ember.zeros(1)})
    assert repr(pd) == ("ParameterDict(\n"
                        "    (a): Parameter containing: [ember.FloatTensor of size 2]\n"
                        "    (b): Parameter containing: [ember.FloatTensor of size 1]\n"
                        ")")
    assert pd["b"].requires_grad and list(pd) == ["a", "b"] and "a" in pd
    pd["c"] = ember.ones(3)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.pop("a").shape == (2,) and list(pd.keys()) == ["b", "c"]
    assert pd.get("zzz") is None and len(pd.copy()) == 2


def test_containers_in_state_dict():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(1, 1)])
            self.heads = nn.ModuleDict({"x": nn.Linear(1, 1, bias=False)})
            self.extra = nn.ParameterList([ember.ones(1)])

    assert list(Net().state_dict()) == ["layers.0.weight", "layers.0.bias", "heads.x.weight", "extra.0"]
