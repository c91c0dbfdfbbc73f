"""Softmax, log-softmax and the fused cross-entropy primitive.

These are hot: each is one primitive with its own backward, computed stably (the row
maximum is subtracted before exponentiating), so logits of +-1e4 stay finite.
"""

from __future__ import annotations

from .. import _autocast, _dtype
from .._tensor import _make, apply
from ..autograd import _state
from ..autograd.node import Op
from ._registry import export
from ._util import cast, wrap_dim


def _shifted(xp, a, dim):
    """``a - max(a)`` along ``dim`` (an all ``-inf`` slice stays ``-inf`` rather than NaN)."""
    m = xp.max(a, axis=dim, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=a.dtype))
    return a - m


class Softmax(Op):
    save_output = True

    def forward(self, be, a, dim):
        xp = be.xp
        self.dim = dim
        e = xp.exp(_shifted(xp, a, dim))
        return e / xp.sum(e, axis=dim, keepdims=True)

    def backward(self, g):
        y = self.output
        return (y * (g - (g * y).sum(self.dim, keepdim=True)),)


class LogSoftmax(Op):
    save_output = True

    def forward(self, be, a, dim):
        xp = be.xp
        self.dim = dim
        z = _shifted(xp, a, dim)
        return z - xp.log(xp.sum(xp.exp(z), axis=dim, keepdims=True))

    def backward(self, g):
        return (g - self.output.exp() * g.sum(self.dim, keepdim=True),)


def _prepare(input, dim, dtype, op):
    if dtype is not None:
        input = cast(input, _dtype.to_dtype(dtype))
    elif input.dtype.category < 2:
        raise RuntimeError(f'"{op}_lastdim_kernel_impl" not implemented for \'{input.dtype}\'')
    elif _autocast.active:
        (input,) = _autocast.full(op, input)
    return input, wrap_dim(dim, input.ndim, op)


def _along(op_cls, input, dim):
    if input.ndim == 0:
        return apply(op_cls, (input.reshape(1),), 0).reshape(())
    if input.shape[dim] == 0:
        return input.clone()
    return apply(op_cls, (input,), dim)


@export()
def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, computed stably.

    Example:
        >>> import ember
        >>> ember.softmax(ember.tensor([0.0, 0.0, 1e4]), dim=0)
        tensor([0., 0., 1.])
    """
    input, dim = _prepare(input, dim, dtype, "softmax")
    return _along(Softmax, input, dim)


@export()
def log_softmax(input, dim, dtype=None):
    """``x - logsumexp(x)`` along ``dim``, computed stably.

    Example:
        >>> import ember
        >>> ember.log_softmax(ember.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.])
    """
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return _along(LogSoftmax, input, dim)


class CrossEntropy(Op):
    """``nll_loss(log_softmax(x, 1), target)`` with class weights, ignore_index and label smoothing.

    A fused primitive for speed: one pass over the logits and one graph node, where the
    composition would take a dozen. The gradient is exact: per sample ``i`` and class ``c``,
    ``dL/dx_ic = A_i * softmax(x)_ic - Q_ic`` (times the upstream gradient), with ``A`` and ``Q``
    constants fixed in forward by the targets, weights and smoothing.
    """

    save_inputs = True

    def forward(self, be, x, target, weight, ignore_index, reduction, smoothing):
        xp = be.xp
        n_classes = x.shape[1]
        z = _shifted(xp, x, 1)
        e = xp.exp(z)
        s = xp.sum(e, axis=1, keepdims=True)
        logp = z - xp.log(s)
        self.probs = e / s
        valid = target != ignore_index
        safe = xp.where(valid, target, xp.zeros((), dtype=target.dtype))
        hit = _with_classes(xp, safe) == _class_ids(xp, n_classes, x.ndim, safe)  # one-hot targets, kept for backward
        # each row's target entry: a sum of it and zeros is exact (and runs several times faster than take_along_axis)
        picked = xp.sum(xp.where(hit, logp, xp.zeros((), dtype=logp.dtype)), axis=1)
        fvalid = xp.astype(valid, x.dtype)
        if weight is None:
            wt = fvalid
        else:
            wt = xp.reshape(xp.take(weight, xp.reshape(safe, (-1,)), axis=0), safe.shape) * fvalid
        loss = (0.0 - picked) * wt  # not -(picked * wt): a zero loss is +0, as in torch
        class_w = None if weight is None else xp.reshape(weight, (1, n_classes) + (1,) * (x.ndim - 2))
        if smoothing:
            total = logp if class_w is None else logp * class_w
            smooth = -xp.sum(total, axis=1) * fvalid
            loss = (1 - smoothing) * loss + (smoothing / n_classes) * smooth
        self.stash = (target, safe, wt, fvalid, class_w, smoothing, reduction, be, hit)
        if reduction == "none":
            return loss
        total_loss = xp.sum(loss)
        if reduction == "sum":
            return total_loss
        self.denom = xp.sum(wt)
        return total_loss / self.denom

    def backward(self, g):
        (x,) = self.saved()
        target, safe, wt, fvalid, class_w, smoothing, reduction, be, hit = self.stash
        fast = be.kernels.get("CrossEntropy.backward") if be.kernels and not _state.grad_enabled else None
        gx = fast(self, g._data) if fast is not None else None
        if gx is not None:  # the backend's fused gradient (e.g. one CUDA kernel)
            return (self._tensor(gx, x),)
        xp = be.xp
        n_classes = x.shape[1]
        if hit is None:  # a backend's own forward may not keep it
            hit = _with_classes(xp, safe) == _class_ids(xp, n_classes, x.ndim, safe)
        onehot = xp.astype(hit, x._data.dtype)
        a = (1 - smoothing) * wt
        q = _with_classes(xp, a) * onehot
        if smoothing:
            w_sum = n_classes if class_w is None else xp.sum(class_w)
            a = a + (smoothing / n_classes) * w_sum * fvalid
            spread = _with_classes(xp, fvalid) * (smoothing / n_classes)
            q = q + (spread if class_w is None else spread * class_w)
        if reduction == "mean":
            a, q = a / self.denom, q / self.denom
        a = _with_classes(xp, a)
        if _state.grad_enabled:  # differentiable again (create_graph): through softmax(x)
            g = g.reshape(()) if reduction != "none" else g.unsqueeze(1)
            return (g * (self._tensor(a, x) * x.softmax(1) - self._tensor(q, x)),)
        g = xp.reshape(g._data, ()) if reduction != "none" else _with_classes(xp, g._data)
        return (self._tensor(g * (a * self.probs - q), x),)

    @staticmethod
    def _tensor(array, like):
        return _make(array, like._be, like._device, like.dtype)


def _with_classes(xp, a):
    """Per-sample values ``(N, ...)`` with a class axis of length 1 inserted at dim 1 (a reshape: cheaper than expand_dims)."""
    return xp.reshape(a, a.shape[:1] + (1,) + a.shape[1:])


def _class_ids(xp, n_classes, ndim, like):
    return xp.reshape(xp.arange(n_classes, dtype=like.dtype), (1, n_classes) + (1,) * (ndim - 2))


def fused_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross-entropy of logits ``input`` (N, C, ...) against class indices ``target`` (N, ...)."""
    be = input._be
    if target._device != input._device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, {input.device} and {target.device}! (when checking argument for argument target in method cross_entropy)")
    t = target._data
    xp = be.xp
    n_classes = input.shape[1]
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes)) if be.host_checks else None
    if bad is not None and bool(xp.any(bad)):  # a device that would wait for this check skips it, like torch's
        first = be.to_host(t)[be.to_host(bad)].reshape(-1)[0]
        raise IndexError(f"Target {first} is out of bounds.")
    w = None
    if weight is not None:
        w = weight.to(input.device, input.dtype)._data
    return apply(CrossEntropy, (input,), t, w, ignore_index, reduction, float(label_smoothing))
