"""Gradient clipping: clip_grad_norm_, clip_grad_value_, and their parts get_total_norm, clip_grads_with_norm_."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _tensors(items):
    return [items] if isinstance(items, Tensor) else list(items)


def _grads(parameters):
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector.

    Example:
        >>> import ember
        >>> ember.nn.utils.get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
        tensor(5.)
    """
    from ...linalg import vector_norm
    from ...ops.join import stack

    tensors = _tensors(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ..._creation import tensor

        return tensor(0.0)
    device = tensors[0].device
    total = vector_norm(stack([vector_norm(t, norm_type).to(device) for t in tensors]), norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped. "
            "To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``max_norm / total_norm`` when that is below 1.

    Example:
        >>> import ember
        >>> p = ember.nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([3.0, 4.0])
        >>> ember.nn.utils.clip_grads_with_norm_([p], 1.0, ember.tensor(5.0)); p.grad
        tensor([0.6000, 0.8000])
    """
    grads = _grads(parameters)
    if not grads:
        return
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.device, g.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients in place so their joint ``norm_type``-norm is at most ``max_norm``; returns that norm.

    ``norm_type`` may be ``inf``; ``foreach`` is accepted and ignored.

    Example:
        >>> import ember
        >>> p = ember.nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([3.0, 4.0])
        >>> ember.nn.utils.clip_grad_norm_([p], max_norm=1.0), p.grad
        (tensor(5.), tensor([0.6000, 0.8000]))
    """
    parameters = _tensors(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (warns, as torch does).

    Example:
        >>> import ember, warnings
        >>> p = ember.nn.Parameter(ember.zeros(1)); p.grad = ember.tensor([2.0])
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.nn.utils.clip_grad_norm([p], 1.0)
        tensor(2.)
    """
    import warnings

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place to ``[-clip_value, clip_value]``.

    Example:
        >>> import ember
        >>> p = ember.nn.Parameter(ember.zeros(3)); p.grad = ember.tensor([-5.0, 0.5, 5.0])
        >>> ember.nn.utils.clip_grad_value_(p, 1.0); p.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(min=-clip_value, max=clip_value)
