"""nn.functional: linear and bilinear maps."""

from __future__ import annotations

from ..._dtype import scalar_name
from ..._tensor import apply
from ...autograd.node import Op
from ... import _autocast

__all__ = ["linear", "bilinear"]


class Linear(Op):
    """``x @ w.T + b`` as one primitive, for speed: the hottest op of most models, one node instead of three."""

    save_inputs = True

    def forward(self, be, x, w, b=None):
        self.torch_name = ("AddmmBackward0" if b is not None else "MmBackward0") if x.ndim == 2 else "ViewBackward0"
        xp = be.xp
        out = be.matmul(x, xp.permute_dims(w, (1, 0)))
        wide = out.dtype != x.dtype  # numpy's bfloat16 matmul gives float32
        if b is not None:  # the product is a fresh array: adding in place saves an allocation
            out += xp.astype(b, out.dtype) if wide else b
        # as torch's addmm, a low-precision result is rounded once, after the bias is added
        return xp.astype(out, x.dtype) if wide else out

    def backward(self, g):
        x, w = self.saved()[:2]
        nx, nw = self.next[:2]
        n_out = w.shape[0]
        gx = g @ w if nx else None
        gw = None
        if nw:
            g2 = g.reshape(-1, n_out)
            gw = g2.t() @ x.reshape(-1, w.shape[1])
        if len(self.next) == 2:
            return gx, gw
        gb = g.reshape(-1, n_out).sum(0) if self.next[2] else None
        return gx, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dimension of ``input``.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.linear(ember.ones(2, 3), ember.ones(4, 3), ember.tensor([0.0, 1.0, 2.0, 3.0]))
        tensor([[3., 4., 5., 6.],
                [3., 4., 5., 6.]])
    """
    if _autocast.active:
        input, weight, bias = _autocast.low(input, weight, bias)
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not weight.dtype):
        other = input.dtype if input.dtype is not weight.dtype else bias.dtype
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {scalar_name(other)} and {scalar_name(weight.dtype)}")
    try:
        return apply(Linear, (input, weight) if bias is None else (input, weight, bias))
    except ValueError:
        if input.ndim == 0 or input.shape[-1] != weight.shape[-1] or weight.ndim != 2:
            rows = input.numel() // input.shape[-1] if input.ndim and input.shape[-1] else input.numel()
            cols = input.shape[-1] if input.ndim else 1
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and {'x'.join(map(str, reversed(weight.shape)))})"
            ) from None
        raise


def bilinear(input1, input2, weight, bias=None):
    """``y_k = input1^T weight_k input2 + bias_k`` over the last dimensions.

    Example:
        >>> import ember, ember.nn.functional as F
        >>> F.bilinear(ember.ones(1, 2), ember.ones(1, 3), ember.ones(4, 2, 3)).tolist()
        [[6.0, 6.0, 6.0, 6.0]]
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} and {tuple(input2.shape[:-1])}")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match the weight of shape {tuple(weight.shape)}"
        )
    # (..., 1, 1, in1) @ (out, in1, in2) -> (..., out, 1, in2), then contract with input2
    left = (input1.unsqueeze(-2).unsqueeze(-3) @ weight).squeeze(-2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias
