"""nn.Module: registration, traversal, state dicts, devices and dtypes, hooks, reprs, error paths."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 10)
        self.register_buffer("steps", ember.zeros(()))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc1(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.Linear(10, 3), nn.ReLU())
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


def test_registration_and_naming():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "encoder.fc1.weight", "encoder.fc1.bias", "head.0.weight", "head.0.bias"]
    assert [n for n, _ in net.named_buffers()] == ["encoder.steps", "encoder.cache"]
    assert [n for n, _ in net.named_modules()] == ["", "encoder", "encoder.fc1", "head", "head.0", "head.1"]
    assert [n for n, _ in net.named_children()] == ["encoder", "head"]
    assert [n for n, _ in net.named_parameters(prefix="model", recurse=False)] == ["model.scale"]
    assert sum(p.numel() for p in net.parameters()) == 20 * 10 + 10 + 10 * 3 + 3 + 1
    assert set(net._parameters) == {"scale"} and set(net._modules) == {"encoder", "head"}
    assert net.get_submodule("head.0") is net.head[0]
    assert net.get_parameter("encoder.fc1.bias") is net.encoder.fc1.bias
    assert net.get_buffer("encoder.steps") is net.encoder.steps
    assert {"encoder", "head", "scale", "forward"} <= set(dir(net))


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    net = nn.Sequential(lin, lin)
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(net.modules())) == 2


def test_reassignment_changes_kind_and_errors():
    m = nn.Module()
    m.x = nn.Parameter(ember.ones(1))
    m.x = None
    assert m.x is None and "x" in m._parameters
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter 'x' \(torch.nn.Parameter or None expected\)"):
        m.x = ember.ones(1)
    m.sub = nn.ReLU()
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        m.sub = 3
    m.register_buffer("b", ember.ones(1))
    m.b = ember.zeros(2)
    assert m._buffers["b"].shape == (2,)
    del m.b
    assert "b" not in m._buffers
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        m.missing
    with pytest.raises(KeyError, match="attribute 'sub' already exists"):
        m.register_buffer("sub", None)
    with pytest.raises(KeyError, match='contain "."'):
        m.register_buffer("a.b", None)
    with pytest.raises(TypeError, match=r"cannot assign 'int' object to buffer 'y' \(torch Tensor or None required\)"):
        m.register_buffer("y", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("z", 3)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", _non_leaf_parameter())
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        NoInit()


def _non_leaf_parameter():
    p = nn.Parameter(ember.ones(1))
    p.grad_fn = (p * 2).grad_fn
    return p


class NoInit(nn.Module):
    def __init__(self):
        self.w = nn.Parameter(ember.ones(1))


def test_buffer_marker_registers_buffers():
    m = nn.Module()
    m.a = nn.Buffer(ember.ones(2))
    m.b = nn.Buffer(ember.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["a"] and set(m._buffers) == {"a", "b"}


def test_state_dict_round_trip():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "encoder.steps", "encoder.fc1.weight", "encoder.fc1.bias", "head.0.weight", "head.0.bias"]
    assert not sd["scale"].requires_grad and sd._metadata[""] == {"version": 1}
    assert b.load_state_dict(sd).__repr__() == "<All keys matched successfully>"
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)
    kept = a.state_dict(keep_vars=True)
    assert kept["scale"] is a.scale


def test_load_state_dict_copies_into_existing_parameters():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": ember.ones(2, 2, dtype=ember.float64), "bias": ember.zeros(2)})
    assert m.weight is w and m.weight.dtype == ember.float32 and m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    m.load_state_dict({"weight": ember.full((2, 2), 2.0), "bias": ember.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_load_state_dict_strict_errors_list_every_key():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    bad = {"0.weight": ember.ones(4, 2), "0.bias": ember.ones(3), "1.weight": ember.ones(1, 5), "extra": ember.ones(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(bad)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "1.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for 0.weight: copying a param with shape ember.Size([4, 2]) from checkpoint, the shape in current model is ember.Size([3, 2]).\n"
        "\tsize mismatch for 1.weight: copying a param with shape ember.Size([1, 5]) from checkpoint, the shape in current model is ember.Size([1, 3])."
    )
    result = m.load_state_dict({"0.weight": ember.ones(3, 2), "foo": ember.ones(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias"] and result.unexpected_keys == ["foo"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['0.bias', '1.weight', '1.bias'], unexpected_keys=['foo'])"
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict(3)


def test_extra_state_and_state_dict_hooks():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    a, b = WithExtra(), WithExtra()
    a.value = 7
    b.load_state_dict(a.state_dict())
    assert b.value == 7
    seen = []
    b.register_load_state_dict_post_hook(lambda mod, keys: seen.append(tuple(keys.missing_keys)))
    b.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.__setitem__("tag", 1))
    assert "tag" in b.state_dict()
    b.load_state_dict({}, strict=False)
    assert seen == [("_extra_state",)]


def test_train_eval_and_requires_grad():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_and_casts_keep_parameter_identity():
    net = Net()
    w = net.encoder.fc1.weight
    net.to(ember.float64)
    assert net.encoder.fc1.weight is w and w.dtype == ember.float64 and isinstance(w, nn.Parameter)
    assert net.encoder.steps.dtype == ember.float64
    net.float()
    assert w.dtype == ember.float32
    net.half().double()
    assert w.dtype == ember.float64
    net.to(ember.zeros(1, dtype=ember.float32))
    assert w.dtype == ember.float32
    m = nn.Module()
    m.register_buffer("idx", ember.arange(3))
    m.to(ember.float64)
    assert m.idx.dtype == ember.int64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        m.to(ember.int32)


def test_to_device_moves_parameters_grads_and_buffers(device):
    net = Net()
    net(ember.ones(2, 20)).sum().backward()
    net.to(device)
    for t in [*net.parameters(), *net.buffers(), *(p.grad for p in net.parameters())]:
        assert t.device.type == device
    assert net(ember.ones(2, 20, device=device)).device.type == device


def test_zero_grad():
    m = nn.Linear(2, 1)
    m(ember.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.tolist() == [[0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None


def test_apply_visits_children_first():
    order = []
    net = Net().apply(lambda mod: order.append(type(mod).__name__))
    assert order == ["Linear", "Encoder", "Linear", "ReLU", "Sequential", "Net"] and isinstance(net, Net)


def test_forward_hooks_order_and_replacement():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: calls.append("pre0"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (calls.append("pre_kw"), (args, kwargs))[1], with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: calls.append("post"))
    m.register_forward_hook(lambda mod, args, kwargs, out: out * 0, with_kwargs=True)
    out = m(ember.ones(1, 2))
    assert calls == ["pre0", "pre1", "pre_kw", "post"] and out.tolist() == [[0.0, 0.0]]
    h1.remove()
    calls.clear()
    m(ember.ones(1, 2))
    assert calls == ["pre0", "pre_kw", "post"]


def test_always_call_hook_runs_when_forward_raises():
    m = nn.Linear(2, 2)
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        m(ember.ones(1, 3))
    assert seen == [None]


def test_full_backward_hooks():
    m = nn.Linear(3, 2)
    seen = []

    def hook(mod, grad_input, grad_output):
        seen.append((grad_input[0].shape, grad_output[0].shape))
        return (grad_input[0] * 0,)

    m.register_full_backward_hook(hook)
    x = ember.ones(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert seen == [((4, 3), (4, 2))] and x.grad.abs().sum().item() == 0.0
    np.testing.assert_allclose(m.weight.grad.numpy(), np.full((2, 3), 4.0))


def test_global_forward_hook():
    seen = []
    handle = nn.modules.module.register_module_forward_hook(lambda mod, args, out: seen.append(type(mod).__name__))
    try:
        nn.Sequential(nn.ReLU())(ember.ones(1))
    finally:
        handle.remove()
    assert seen == ["ReLU", "Sequential"]


def test_repr_matches_torch_format():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (encoder): Encoder(\n"
        "    (fc1): Linear(in_features=20, out_features=10, bias=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=10, out_features=3, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")"
    )

    class TwoLines(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = nn.Sequential()

        def extra_repr(self):
            return "x=1\ny=2"

    assert repr(TwoLines()) == "TwoLines(\n  x=1\n  y=2\n  (sub): Sequential()\n)"
    assert repr(nn.Module()) == "Module()"


def test_error_names_module_path():
    net = Net()
    with pytest.raises(RuntimeError, match=r"^Linear 'encoder.fc1' expected input with 20 features \(in_features\), got shape "
                                           r"\(8, 30\): mat1 and mat2 shapes cannot be multiplied \(8x30 and 20x10\)$"):  # torch's words last
        net(ember.ones(8, 30))
    with pytest.raises(RuntimeError, match="Linear 'encoder.fc1' got input of dtype ember.float64"):
        net(ember.ones(8, 20, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"^Linear expected input with 2 features"):
        nn.Linear(2, 2)(ember.ones(3))


def test_error_from_an_op_gets_a_note_naming_the_module():
    class Bad(nn.Module):
        def forward(self, x):
            return x.reshape(7)

    net = nn.Sequential(nn.ReLU(), nn.Sequential(Bad()))
    with pytest.raises(RuntimeError) as info:
        net(ember.ones(2, 3))
    assert info.value.__notes__ == ["(raised in Bad '1.0')"]


def test_wrong_device_hint(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    net = Net()
    with pytest.raises(RuntimeError, match="same device") as info:
        net(ember.ones(2, 20, device=device))
    assert "Linear 'encoder.fc1', whose parameters are on cpu" in info.value.__notes__[0]
    assert "model.to(device)" in info.value.__notes__[0]


def test_deepcopy_and_pickle_keep_parameters():
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert isinstance(clone.scale, nn.Parameter) and clone.scale is not net.scale
        np.testing.assert_array_equal(clone.encoder.fc1.weight.detach().numpy(), net.encoder.fc1.weight.detach().numpy())
        assert clone(ember.ones(1, 20)).shape == (1, 3)


def test_missing_forward():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(1)


def test_parameter_basics():
    t = ember.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is ember.Tensor and type(p.detach()) is ember.Tensor
    with ember.no_grad():
        p.mul_(3)
    assert t.tolist() == [3.0, 6.0]  # shares data with the tensor it was made from
    assert repr(nn.Parameter(ember.tensor([1, 2]), requires_grad=False)) == "Parameter containing:\ntensor([1, 2])"
    assert nn.Parameter().shape == (0,)
    assert isinstance(copy.deepcopy(p), nn.Parameter)


def test_call_fast_path_is_plain_forward():
    m = nn.Identity()
    x = ember.ones(1)
    assert m(x) is x


def test_sequential_from_ordered_dict_names():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.Tanh())]))
    assert [n for n, _ in s.named_children()] == ["fc", "act"] and s.fc is s[0]
