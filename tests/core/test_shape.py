"""Views and reshaping: narrow/select/split/chunk/unbind/diagonal/unfold and friends, storage sharing, round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from harness import Case, run

rng = np.random.default_rng(2)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))


def _windows(a, dim, size, step):
    a = np.moveaxis(a, dim, -1)
    n = (a.shape[-1] - size) // step + 1
    w = np.stack([a[..., i * step:i * step + size] for i in range(n)], axis=-2)
    return np.moveaxis(w, -2, dim)


CASES = [
    Case("narrow", lambda a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], (A,)),
    Case("narrow_negative_start", lambda a: ember.narrow(a, 0, -2, 2), lambda a: a[-2:], (A,)),
    Case("select", lambda a: a.select(1, -1), lambda a: a[:, -1], (A,)),
    Case("split_size", lambda b: b.split(2, dim=2), lambda b: (b[..., :2], b[..., 2:]), (B,)),
    Case("split_uneven", lambda a: ember.split(a, 3, 1), lambda a: (a[:, :3], a[:, 3:]), (A,)),
    Case("split_sections", lambda a: a.split([1, 0, 2], 0), lambda a: (a[:1], a[1:1], a[1:]), (A,)),
    Case("split_one_piece_used", lambda a: a.split([1, 2])[1] * 2, lambda a: a[1:] * 2, (A,)),
    Case("chunk", lambda a: a.chunk(3, 1), lambda a: (a[:, :2], a[:, 2:]), (A,)),
    Case("tensor_split_sections", lambda a: a.tensor_split(3, dim=1), lambda a: tuple(np.array_split(a, 3, axis=1)), (A,)),
    Case("tensor_split_indices_overlap", lambda a: a.tensor_split([1, 3, 2], dim=1),
         lambda a: (a[:, :1], a[:, 1:3], a[:, 3:2], a[:, 2:]), (A,)),
    Case("hsplit", lambda a: ember.hsplit(a, 2), lambda a: tuple(np.hsplit(a, 2)), (A,)),
    Case("vsplit", lambda a: ember.vsplit(a, [1]), lambda a: tuple(np.vsplit(a, [1])), (A,)),
    Case("dsplit", lambda b: ember.dsplit(b, 2), lambda b: tuple(np.dsplit(b, 2)), (B,)),
    Case("unbind", lambda b: b.unbind(1), lambda b: tuple(b[:, i] for i in range(3)), (B,)),
    Case("diagonal", lambda a: a.diagonal(), lambda a: np.diagonal(a).copy(), (A,)),
    Case("diagonal_offset", lambda a: ember.diagonal(a, 2), lambda a: np.diagonal(a, 2).copy(), (A,)),
    Case("diagonal_neg_offset_dims", lambda b: b.diagonal(-1, 2, 0), lambda b: np.diagonal(b, -1, 2, 0).copy(), (B,)),
    Case("diagonal_scatter", lambda a, s: ember.diagonal_scatter(a, s, 1),
         lambda a, s: a + np.diag(s - np.diagonal(a, 1), 1)[:3, :], (A, rng.standard_normal(3))),
    Case("unfold", lambda a: a.unfold(1, 2, 1), lambda a: _windows(a, 1, 2, 1), (A,)),
    Case("unfold_step", lambda b: b.unfold(2, 2, 2), lambda b: _windows(b, 2, 2, 2), (B,)),
    Case("unfold_dim0", lambda b: b.unfold(0, 1, 1), lambda b: _windows(b, 0, 1, 1), (B,)),
    Case("ravel", lambda b: b.transpose(0, 2).ravel(), lambda b: b.transpose(2, 1, 0).ravel(), (B,)),
    Case("narrow_copy", lambda a: a.narrow_copy(0, 1, 2), lambda a: a[1:3], (A,)),
    Case("movedim", lambda b: b.movedim((0, 1), (2, 0)), lambda b: np.moveaxis(b, (0, 1), (2, 0)), (B,)),
    Case("broadcast_tensors", lambda a, v: ember.broadcast_tensors(a, v), lambda a, v: tuple(np.broadcast_arrays(a, v)),
         (A[:, :1], rng.standard_normal(4))),
    Case("atleast_3d", lambda a: ember.atleast_3d(a), lambda a: a[:, :, None], (A,)),
    Case("atleast_2d_many", lambda v, s: ember.atleast_2d(v, s), lambda v, s: (v[None], s.reshape(1, 1)),
         (rng.standard_normal(3), np.array(1.5))),
    Case("meshgrid_ij", lambda x, y: ember.meshgrid(x, y, indexing="ij"), lambda x, y: tuple(np.meshgrid(x, y, indexing="ij")),
         (rng.standard_normal(2), rng.standard_normal(3))),
    Case("meshgrid_xy", lambda x, y, z: ember.meshgrid([x, y, z], indexing="xy"),
         lambda x, y, z: tuple(np.meshgrid(x, y, z, indexing="xy")), (rng.standard_normal(2), rng.standard_normal(3), rng.standard_normal(2))),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


VIEWS = {
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1),
    "split": lambda x: x.split(1)[1],
    "chunk": lambda x: x.chunk(2, 1)[1],
    "unbind": lambda x: x.unbind(1)[2],
    "diagonal": lambda x: x.diagonal(1),
    "transpose": lambda x: x.transpose(0, 1),
    "view": lambda x: x.view(12),
    "getitem": lambda x: x[1:, ::2],
    "movedim": lambda x: x.movedim(0, 1),
    "expand": lambda x: x[:1].expand(2, 4),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_storage_and_version(name, device):
    x = ember.zeros(3, 4, device=device)
    v = VIEWS[name](x)
    assert v._version is x._version
    if name == "expand":
        return  # broadcast views are read-only
    if name == "diagonal" and device != "cpu":
        return  # a copy off numpy-like backends; the version counter is still shared
    with ember.no_grad():
        v.add_(1) if hasattr(v, "add_") else v.__iadd__(1)
    assert x.sum().item() == v.numel()
    assert x._version[0] > 0


def test_unfold_is_a_view_on_cpu():
    x = ember.arange(6.0)
    w = x.unfold(0, 2, 2)
    x[0] = 100.0
    assert w[0, 0].item() == 100.0


@pytest.mark.parametrize("fn, err, match", [
    (lambda x: x.narrow(1, 3, 2), RuntimeError, r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)\."),
    (lambda x: x.narrow(1, 5, 0), IndexError, r"start out of range \(expected to be in range of \[-4, 4\], but got 5\)"),
    (lambda x: x.select(0, 5), IndexError, r"select\(\): index 5 out of range for tensor of size \[3, 4\] at dimension 0"),
    (lambda x: x.split(0), RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
    (lambda x: x.split([1, 1]), RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 3"),
    (lambda x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda x: x.tensor_split(0), RuntimeError, "number of sections must be larger than 0, got 0"),
    (lambda x: ember.hsplit(x, 3), RuntimeError, "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is not divisible by the split_size 3!"),
    (lambda x: ember.dsplit(x, 2), RuntimeError, "torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with 2 dimensions!"),
    (lambda x: x.diagonal(0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical 1, 1"),
    (lambda x: x.unfold(0, 4, 1), RuntimeError, "maximum size for tensor at dimension 0 is 3 but size is 4"),
    (lambda x: x.unfold(0, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    (lambda x: ember.broadcast_tensors(x, ember.zeros(3)), RuntimeError, r"The size of tensor a \(4\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
    (lambda x: ember.meshgrid(x, indexing="ij"), RuntimeError, "Expected 0D or 1D tensor"),
])
def test_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn(ember.zeros(3, 4))


def test_meshgrid_without_indexing_warns_like_torch():
    with pytest.warns(UserWarning, match="indexing argument"):
        ember.meshgrid(ember.arange(2), ember.arange(3))


def test_broadcast_shapes():
    assert ember.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert ember.broadcast_shapes() == ()
    with pytest.raises(RuntimeError, match="Shape mismatch"):
        ember.broadcast_shapes((2,), (3,))


def test_chunk_and_split_edge_counts():
    assert [p.numel() for p in ember.zeros(5).chunk(4)] == [2, 2, 1]
    assert len(ember.zeros(0).chunk(3)) == 3
    assert [p.numel() for p in ember.zeros(0).split(0)] == [0]


def test_split_gradient_only_through_used_pieces(device):
    x = ember.arange(6.0, device=device).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0, 0.0, 0.0]


def test_against_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(24.0).reshape(2, 3, 4)
    for fn in (lambda m, x: m.diagonal(x, 1, 2, 0), lambda m, x: x.unfold(2, 3, 1), lambda m, x: m.tensor_split(x, [1, 2], 2)[1]):
        got, want = fn(ember, ember.tensor(a)), fn(torch, torch.tensor(a))
        np.testing.assert_array_equal(got.numpy(), want.numpy())


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(shapes, st.randoms(use_true_random=False))
def test_reshape_permute_round_trip(shape, r):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = ember.tensor(a)
    perm = list(range(len(shape)))
    r.shuffle(perm)
    inv = list(np.argsort(perm))
    np.testing.assert_array_equal(x.permute(perm).numpy(), a.transpose(perm))
    np.testing.assert_array_equal(x.permute(perm).permute(inv).numpy(), a)
    np.testing.assert_array_equal(x.reshape(-1).reshape(shape).numpy(), a)
    np.testing.assert_array_equal(x.flatten().unflatten(0, shape).numpy(), a)


@settings(max_examples=40, deadline=None)
@given(shapes, st.data())
def test_split_cat_stack_unbind_round_trip(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = ember.tensor(a)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = data.draw(st.integers(1, shape[dim]))
    pieces = x.split(size, dim)
    for p, q in zip(pieces, np.array_split(a, range(size, shape[dim], size), axis=dim)):
        np.testing.assert_array_equal(p.numpy(), q)
    np.testing.assert_array_equal(ember.cat(pieces, dim).numpy(), a)
    np.testing.assert_array_equal(ember.stack(x.unbind(dim), dim).numpy(), a)
    sections = data.draw(st.integers(1, 5))
    np.testing.assert_array_equal(ember.cat(x.tensor_split(sections, dim), dim).numpy(), a)
    np.testing.assert_array_equal(ember.cat(x.chunk(sections, dim), dim).numpy(), a)


def test_view_needs_compatible_strides(device):
    x = ember.arange(12.0, device=device).reshape(3, 4)
    assert x[:, :2].view(3, 2, 1).tolist() == [[[0.0], [1.0]], [[4.0], [5.0]], [[8.0], [9.0]]]
    assert x.t().view(4, 3).shape == (4, 3)
    assert x.t().reshape(-1).tolist() == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0]
    if not x.t().is_contiguous():  # backends that expose strides refuse views that would need a copy, like torch
        with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
            x.t().view(-1)
        with pytest.raises(RuntimeError, match="Use .reshape"):
            x[:, :2].view(6)
    v = x[::2].view(2, 2, 2)  # rows 0 and 2 split in halves: still a view of x
    v.mul_(0)
    assert x[0].tolist() == [0.0, 0.0, 0.0, 0.0] and x[1].tolist() == [4.0, 5.0, 6.0, 7.0]


def test_shape_functions_take_torchs_keywords(device):
    x = ember.arange(6.0, device=device)
    assert x.reshape(shape=(2, 3)).shape == (2, 3) and ember.reshape(x, shape=(3, 2)).shape == (3, 2)
    assert x.view(size=(3, 2)).shape == (3, 2)
    m = x.reshape(2, 3)
    assert m.permute(dims=(1, 0)).tolist() == m.t().tolist() == ember.permute(m, dims=[1, 0]).tolist()
    assert ember.flip(m, dims=[1]).tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]] == m.flip(dims=(1,)).tolist()
    assert m[:1].expand(size=(2, 3)).tolist() == [[0.0, 1.0, 2.0]] * 2
    assert ember.tensor([1, 2], device=device).repeat(repeats=(2,)).tolist() == [1, 2, 1, 2]
