"""Lazy layers (LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyLinear): shapes from the first input,
the regular class afterwards, torch's initialisation, state dicts, copies."""

import copy
import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn

# (lazy class, regular class, lazy args, regular args with in_channels / num_features first, input shape)
LAYERS = [
    (nn.LazyConv1d, nn.Conv1d, (4, 3), (5, 4, 3), (2, 5, 9)),
    (nn.LazyConv2d, nn.Conv2d, (6, 3), (4, 6, 3), (2, 4, 7, 7)),
    (nn.LazyConv2d, nn.Conv2d, (6, (3, 1)), (4, 6, (3, 1)), (4, 7, 5)),  # unbatched
    (nn.LazyConv3d, nn.Conv3d, (2, 2), (3, 2, 2), (1, 3, 3, 4, 3)),
    (nn.LazyConvTranspose1d, nn.ConvTranspose1d, (3, 3), (2, 3, 3), (2, 2, 5)),
    (nn.LazyConvTranspose2d, nn.ConvTranspose2d, (4, 3), (6, 4, 3), (1, 6, 4, 4)),
    (nn.LazyConvTranspose3d, nn.ConvTranspose3d, (2, 2), (2, 2, 2), (1, 2, 2, 3, 2)),
    (nn.LazyBatchNorm1d, nn.BatchNorm1d, (), (5,), (4, 5, 3)),
    (nn.LazyBatchNorm2d, nn.BatchNorm2d, (), (3,), (2, 3, 4, 4)),
    (nn.LazyBatchNorm3d, nn.BatchNorm3d, (), (2,), (2, 2, 2, 3, 2)),
    (nn.LazyInstanceNorm1d, nn.InstanceNorm1d, (), (4, 1e-5, 0.1, True, True), (2, 4, 5)),
    (nn.LazyInstanceNorm2d, nn.InstanceNorm2d, (1e-5, 0.1, True, False), (3, 1e-5, 0.1, True), (3, 4, 4)),  # unbatched
    (nn.LazyInstanceNorm3d, nn.InstanceNorm3d, (), (2, 1e-5, 0.1, True, True), (1, 2, 2, 3, 2)),
    (nn.LazyLinear, nn.Linear, (3,), (7, 3), (2, 7)),
]
IDS = [f"{lazy.__name__}-{len(shape)}d" for lazy, _, _, _, shape in LAYERS]


def host(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("lazy_cls,cls,lazy_args,args,shape", LAYERS, ids=IDS)
def test_first_call_makes_the_regular_module(device, lazy_cls, cls, lazy_args, args, shape):
    x = ember.randn(*shape, device=device)
    ember.manual_seed(7)
    eager = cls(*args, device=device)
    m = lazy_cls(*lazy_args, device=device)
    assert m.has_uninitialized_params() and repr(m.weight) == "<UninitializedParameter>"
    assert type(m) is lazy_cls and isinstance(m, cls)
    ember.manual_seed(7)
    out = m(x)
    assert type(m) is cls and not hasattr(m, "has_uninitialized_params")
    assert repr(m) == repr(eager) and not m._forward_pre_hooks
    assert [(n, p.shape, p.device) for n, p in m.named_parameters()] == [(n, p.shape, p.device) for n, p in eager.named_parameters()]
    assert [(n, b.shape) for n, b in m.named_buffers()] == [(n, b.shape) for n, b in eager.named_buffers()]
    for (n, p), (_, q) in zip(m.named_parameters(), eager.named_parameters()):  # the regular reset_parameters
        np.testing.assert_array_equal(host(p), host(q), err_msg=n)
    eager.train()
    np.testing.assert_array_equal(host(out), host(eager(x)))


@pytest.mark.parametrize("lazy_cls,cls,lazy_args,args,shape", LAYERS, ids=IDS)
def test_state_dict_loads_into_a_lazy_module(lazy_cls, cls, lazy_args, args, shape):
    eager = cls(*args)
    m = lazy_cls(*lazy_args)
    m.load_state_dict(eager.state_dict())
    assert type(m) is lazy_cls and not m.has_uninitialized_params()
    x = ember.randn(*shape)
    np.testing.assert_array_equal(host(m(x)), host(eager(x)))
    assert type(m) is cls and repr(m) == repr(eager)
    for (n, p), (_, q) in zip(m.state_dict().items(), eager.state_dict().items()):
        np.testing.assert_array_equal(host(p), host(q), err_msg=n)


def test_uninitialized_state_dict_round_trip_and_copies():
    m = nn.LazyBatchNorm2d()
    sd = m.state_dict()
    assert [repr(v) for v in sd.values()] == ["<UninitializedParameter>", "<UninitializedParameter>",
                                              "<UninitializedBuffer>", "<UninitializedBuffer>", "tensor(0)"]
    other = nn.LazyBatchNorm2d()
    other.load_state_dict(sd)
    assert other.has_uninitialized_params()
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(clone) is nn.LazyBatchNorm2d and clone.has_uninitialized_params()
        clone(ember.randn(2, 3, 2, 2))
        assert type(clone) is nn.BatchNorm2d and clone.running_mean.shape == (3,)
    assert m.has_uninitialized_params()


def test_casts_before_the_first_call_keep_tensors_uninitialized():
    m = nn.LazyBatchNorm1d().double()
    assert m.has_uninitialized_params() and m.running_var.dtype is ember.float64 and m.weight.dtype is ember.float64
    m(ember.randn(4, 2, dtype=ember.float64))
    assert m.running_var.dtype is ember.float64 and m.weight.shape == (2,)
    conv = nn.LazyConv1d(2, 1, bias=False, dtype=ember.float64)
    conv(ember.ones(1, 3, 4, dtype=ember.float64))
    assert conv.weight.dtype is ember.float64 and conv.bias is None and conv.weight.shape == (2, 3, 1)


def test_lazy_reprs_and_settings():
    assert repr(nn.LazyConv2d(8, 3, stride=2, bias=False)) == "LazyConv2d(0, 8, kernel_size=(3, 3), stride=(2, 2), bias=False)"
    assert repr(nn.LazyLinear(3)) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(nn.LazyBatchNorm1d(affine=False)) == (
        "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)")
    plain = nn.LazyInstanceNorm2d(affine=False, track_running_stats=False)  # nothing to shape, only the count
    assert not plain.has_uninitialized_params()
    plain(ember.randn(2, 5, 3, 3))
    assert type(plain) is nn.InstanceNorm2d and plain.num_features == 5
    bn = nn.LazyBatchNorm1d(momentum=None, track_running_stats=False)
    bn(ember.randn(3, 4))
    assert bn.running_mean is None and bn.momentum is None and bn.weight.shape == (4,)
    t = nn.LazyConvTranspose2d(2, 3, stride=2, padding=1, groups=2)
    assert t(ember.randn(1, 4, 5, 5), output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert t.weight.shape == (4, 1, 3, 3) and t.in_channels == 4 and t.groups == 2


def test_lazy_errors():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
        nn.LazyConv2d(8, 3)(ember.ones(3, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(8, 3, groups=2)(ember.ones(1, 3, 5, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.LazyBatchNorm2d()(ember.ones(2, 3))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for LazyConvTranspose1d'):
        nn.LazyConvTranspose1d(2, 3, padding_mode="reflect")
    m = nn.LazyConv1d(2, 3)
    with pytest.raises(RuntimeError):
        m(ember.ones(2))
    assert m.has_uninitialized_params() and type(m) is nn.LazyConv1d  # a failed first call leaves it lazy


@pytest.mark.torch
def test_lazy_shapes_match_torch():
    torch = pytest.importorskip("torch")
    for lazy_cls, _, lazy_args, _, shape in LAYERS:
        if getattr(lazy_cls, "_unbatched", False) and len(shape) == lazy_cls._dims[0]:
            continue  # torch takes an unbatched instance norm's channels from dim 1 and then fails
        ours, theirs = lazy_cls(*lazy_args), getattr(torch.nn, lazy_cls.__name__)(*lazy_args)
        assert repr(ours) == repr(theirs)
        ours(ember.ones(*shape))
        theirs(torch.ones(*shape))
        assert repr(ours) == repr(theirs)
        assert [(n, tuple(p.shape)) for n, p in ours.state_dict().items()] == [
            (n, tuple(p.shape)) for n, p in theirs.state_dict().items()]
