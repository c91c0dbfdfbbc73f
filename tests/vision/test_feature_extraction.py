"""embervision.models.feature_extraction: module outputs by qualified name, through forward hooks."""

import functools

import ember
import ember.nn as nn
import numpy as np
import pytest
from embervision.models import resnet18
from embervision.models.feature_extraction import create_feature_extractor, get_graph_node_names


class _Boom(nn.Module):
    def forward(self, x):
        raise AssertionError("the forward should have stopped before this module")


def _resnet():
    ember.manual_seed(0)
    return resnet18(num_classes=4).eval()


@functools.cache
def _shared_resnet():
    """One model for the tests that neither change nor move it."""
    return _resnet()


def _stem(model, x):
    return model.maxpool(model.relu(model.bn1(model.conv1(x))))


def test_get_graph_node_names_lists_every_submodule():
    model = _shared_resnet()
    train_nodes, eval_nodes = get_graph_node_names(model)
    assert train_nodes == eval_nodes == [name for name, _ in model.named_modules()][1:]
    assert train_nodes[:5] == ["conv1", "bn1", "relu", "maxpool", "layer1"]
    assert {"layer1.0.relu", "layer4.1.bn2", "layer2.0.downsample.0", "fc"} <= set(train_nodes)


def test_module_outputs_by_name_in_execution_order(device):
    model = _resnet().to(device)
    extractor = create_feature_extractor(model, {"layer2": "c3", "layer1": "c2", "layer1.0.relu": "first_relu"})
    x = ember.rand(2, 3, 32, 32, device=device)
    with ember.no_grad():
        out = extractor(x)
        stem = _stem(model, x)
        block = model.layer1[0]
        first_relu = block.relu(block.bn1(block.conv1(stem)))
        c2 = model.layer1(stem)
        c3 = model.layer2(c2)
    assert list(out) == ["first_relu", "c2", "c3"]  # as the forward produces them
    for key, want in [("first_relu", first_relu), ("c2", c2), ("c3", c3)]:
        np.testing.assert_allclose(out[key].cpu().numpy(), want.cpu().numpy(), rtol=1e-6, atol=1e-6)


def test_repeated_calls_are_numbered_like_torchvision():
    model = _resnet()
    extractor = create_feature_extractor(model, ["layer1.0.relu", "layer1.0.relu_1", "layer1.1"])
    x = ember.rand(1, 3, 32, 32)
    with ember.no_grad():
        out = extractor(x)
        stem = _stem(model, x)
        block = model.layer1[0]
    assert ember.equal(out["layer1.0.relu"], block.relu(block.bn1(block.conv1(stem))))
    assert ember.equal(out["layer1.0.relu_1"], block(stem))  # the block's output is its second ReLU
    assert ember.equal(out["layer1.1"], model.layer1(stem))


def test_forward_stops_after_the_last_node_and_leaves_no_hooks():
    model = _resnet()
    model.layer3 = _Boom()
    extractor = create_feature_extractor(model, ["layer2"])
    assert extractor(ember.rand(1, 3, 32, 32))["layer2"].shape == (1, 128, 4, 4)
    assert all(not m._forward_hooks for m in model.modules())
    with pytest.raises(AssertionError, match="should have stopped"):
        model(ember.rand(1, 3, 32, 32))  # the model itself still runs its whole forward


def test_shares_the_modules_and_state_dict_keys():
    model = _resnet()
    extractor = create_feature_extractor(model, ["layer4"])
    assert list(extractor.state_dict()) == list(model.state_dict())
    assert extractor.layer1 is model.layer1 and extractor.fc.weight is model.fc.weight
    out = extractor(ember.rand(1, 3, 32, 32))["layer4"]
    out.sum().backward()
    assert model.conv1.weight.grad is not None and model.fc.weight.grad is None


def test_train_and_eval_nodes():
    model = _resnet()
    extractor = create_feature_extractor(model, train_return_nodes=["layer1"], eval_return_nodes={"layer2": "x"})
    assert not extractor.training  # follows the model's mode
    assert list(extractor(ember.rand(1, 3, 32, 32))) == ["x"]
    extractor.train()
    assert model.layer1.training
    assert list(extractor(ember.rand(2, 3, 32, 32))) == ["layer1"]


def test_own_parameters_of_the_root_are_kept():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(ember.tensor([2.0]))
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x * self.scale)

    model = Scaled()
    extractor = create_feature_extractor(model, ["lin"])
    assert list(extractor.state_dict()) == ["scale", "lin.weight", "lin.bias"]
    x = ember.rand(3, 2)
    assert ember.equal(extractor(x)["lin"], model(x))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together"),
    ({"train_return_nodes": ["fc"]}, "If any of `train_return_nodes` and `eval_return_nodes` are specified"),
    ({"return_nodes": ["fc"], "train_return_nodes": ["fc"], "eval_return_nodes": ["fc"]},
     "If `train_return_nodes` and `eval_return_nodes` are specified, then both"),
    ({"return_nodes": ["layer9"]}, "node: 'layer9' is not present in model. Hint: use `get_graph_node_names`"),
    ({"return_nodes": ["conv1_x"]}, "node: 'conv1_x' is not present in model"),
    ({"return_nodes": [""]}, "node: '' is not present in model"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("`", ".")):
        create_feature_extractor(_shared_resnet(), **kwargs)


def test_a_call_that_never_happens():
    extractor = create_feature_extractor(_shared_resnet(), ["layer1.0.relu", "layer1.0.relu_2"])
    with pytest.raises(RuntimeError, match=r"never produced the nodes \['layer1.0.relu_2'\]"):
        extractor(ember.rand(1, 3, 32, 32))


@pytest.mark.torch
def test_same_features_and_node_names_as_torchvision():
    torch = pytest.importorskip("torch")
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: (lambda f: f)  # a CUDA torchvision beside a CPU torch
    try:
        import torchvision
        from torchvision.models import feature_extraction as tv_fe
    except Exception as exc:
        pytest.skip(f"torchvision is not usable here: {type(exc).__name__}: {exc}")
    finally:
        torch.library.register_fake = register_fake
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # its thread pool only adds waiting on a busy 2-core machine
    try:
        _compare_with_torchvision(torch, torchvision, tv_fe)
    finally:
        torch.set_num_threads(threads)


def _compare_with_torchvision(torch, torchvision, tv_fe):
    torch.manual_seed(0)
    theirs = torchvision.models.resnet18(num_classes=4).eval()
    ours = _resnet()
    nodes = {"layer1.0.relu": "a", "layer2.1.relu_1": "b", "layer3": "c", "layer4.0.downsample": "d"}
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = tv_fe.create_feature_extractor(theirs, nodes)(torch.from_numpy(x))
    got = create_feature_extractor(ours, nodes)(ember.tensor(x))
    assert list(got) == list(want)
    for key in want:
        np.testing.assert_allclose(got[key].detach().numpy(), want[key].numpy(), rtol=1e-5, atol=1e-5)
    # every leaf module here is a node there
    tv_train, tv_eval = tv_fe.get_graph_node_names(theirs)
    leaves = {name for name, m in ours.named_modules() if name and not list(m.children())}
    assert leaves <= set(tv_train) and leaves <= set(tv_eval)
