"""Basic indexing names its node like torch: by the last step torch applies."""

import pytest

import ember

CASES = [
    ("x[0]", "SelectBackward0"), ("x[-1]", "SelectBackward0"), ("x[:, 0]", "SelectBackward0"),
    ("x[1:3, 0]", "SelectBackward0"), ("x[None, 0]", "SelectBackward0"), ("x[0, :]", "SelectBackward0"),
    ("x[1:3]", "SliceBackward0"), ("x[:]", "SliceBackward0"), ("x[0:100]", "SliceBackward0"),
    ("x[0, 1:3]", "SliceBackward0"), ("x[:, -2:]", "SliceBackward0"), ("x[0, ..., 1:2]", "SliceBackward0"),
    ("x[None]", "UnsqueezeBackward0"), ("x[0, None]", "UnsqueezeBackward0"), ("x[:, :, None]", "UnsqueezeBackward0"),
    ("x[...]", "AliasBackward0"), ("x[:3, :4]", "AliasBackward0"), ("x[..., :5]", "AliasBackward0"),
    ("x.narrow(0, 1, 2)", "SliceBackward0"), ("x.select(1, 2)", "SelectBackward0"),
]


@pytest.mark.parametrize("expr,name", CASES)
def test_basic_index_node_name(expr, name):
    x = ember.randn(3, 4, 5, requires_grad=True)
    out = eval(expr)
    assert out.grad_fn.name() == name
    assert repr(out).endswith(f"grad_fn=<{name}>)")
