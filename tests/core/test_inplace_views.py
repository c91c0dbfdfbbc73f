"""In-place ops on views of tensors in a graph: the base gets torch's CopySlices history, and every live
view of it reads the new base (values and gradients against closed forms, and against torch when installed)."""

import numpy as np
import pytest

import ember


def _grad(y, x, **kw):
    return ember.autograd.grad(y, x, **kw)[0]


def test_add_into_a_column_of_an_intermediate():
    a = ember.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    x = a * 2
    x[:, 0] += 1
    np.testing.assert_array_equal(x.detach().numpy()[:, 0], np.arange(0, 12, 4) * 2 + 1)
    np.testing.assert_array_equal(_grad((x * x).sum(), a).numpy(), 2 * x.detach().numpy() * 2)


def test_inplace_activation_on_a_view_and_an_older_view_sees_it():
    a = ember.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    x = a * 1
    flat = x.view(-1)  # made before the write: rebased too
    x[0].relu_()
    assert flat.tolist() == [0.0, 2.0, 3.0, -4.0]
    np.testing.assert_array_equal(_grad(flat.sum(), a).numpy(), [[0.0, 1.0], [1.0, 1.0]])


def test_writing_a_grad_requiring_value_into_a_plain_buffer():
    w = ember.tensor([2.0, 3.0], requires_grad=True)
    buf = ember.zeros(4)
    buf[1:3] += w * w
    assert buf.requires_grad and buf.tolist() == [0.0, 4.0, 9.0, 0.0]
    np.testing.assert_array_equal(_grad(buf.sum(), w).numpy(), [4.0, 6.0])


def test_double_backward_through_a_view_write():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = a * a
    x[1:].mul_(a[:2])  # x = [a0^2, a1^2 a0, a2^2 a1]
    g = _grad(x.sum(), a, create_graph=True)
    v = a.detach().numpy()
    np.testing.assert_allclose(g.detach().numpy(), [2 * v[0] + v[1] ** 2, 2 * v[1] * v[0] + v[2] ** 2, 2 * v[2] * v[1]])
    np.testing.assert_allclose(_grad(g.sum(), a).numpy(), [2 + 2 * v[1], 2 * v[1] + 2 * v[0] + 2 * v[2], 2 * v[2] + 2 * v[1]])


def test_a_view_of_a_leaf_is_refused_like_torch():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[1:].add_(1)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    a0 = np.random.RandomState(0).randn(4, 3)

    def run(m):
        a = m.tensor(a0, requires_grad=True)
        x = a * 2
        x[:, 1].mul_(3)
        x[0] += a[1]
        x.t()[:, 3].add_(a[0])  # a strided view through a transpose
        v = x.view(-1)
        v[2:5].sigmoid_()  # last: torch refuses later writes once sigmoid has saved its output
        y = (x * x).sum() + v.sum()
        g, = m.autograd.grad(y, a, create_graph=True)
        gg, = m.autograd.grad(g.sum(), a)
        return x.detach().numpy(), g.detach().numpy(), gg.numpy()

    for got, want in zip(run(ember), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
