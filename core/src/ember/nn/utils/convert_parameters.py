"""Flattening parameters into one vector and back: parameters_to_vector, vector_to_parameters."""

from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device):
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError(f"Found two parameters on different devices, this is currently not supported. ({device} and {param.device})")
    return device


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-D tensor (differentiable).

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        ember.Size([8])
    """
    from ...ops.join import cat

    device = None
    flat = []
    for p in parameters:
        device = _check_device(p, device)
        flat.append(p.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their ``.data`` is replaced).

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.Linear(2, 1)
        >>> nn.utils.vector_to_parameters(ember.arange(3.0), m.parameters()); m.weight, m.bias
        (Parameter containing:
        tensor([[0., 1.]], requires_grad=True), Parameter containing:
        tensor([2.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    start = 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        p.data = vec[start:start + n].reshape(p.shape).detach()
        start += n
