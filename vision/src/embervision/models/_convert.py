"""Loading torchvision weights: a state dict saved as safetensors (or an ``ember.save`` file).

Export from PyTorch once, with the ``safetensors`` package::

    from safetensors.torch import save_file
    save_file(torchvision.models.resnet18(weights="DEFAULT").state_dict(), "resnet18.safetensors")

Module names match torchvision's, so the keys map one to one.
"""

from __future__ import annotations

import os

import ember

_WRAPPERS = ("state_dict", "model", "model_state_dict")


def _read(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] == b"PK\x03\x04":
        state = ember.load(path, map_location="cpu")
    else:
        state = ember.load_safetensors(path)
    while isinstance(state, dict) and len(state) == 1 and next(iter(state)) in _WRAPPERS:
        state = next(iter(state.values()))
    if not isinstance(state, dict) or not all(isinstance(v, ember.Tensor) for v in state.values()):
        raise ValueError(f"{os.fspath(path)}: expected a state dict of tensors")
    prefix = "module."
    if state and all(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def load_torchvision_weights(model, path, strict=True):
    """Load a torchvision state dict (safetensors file, or an ember.save file) into ``model``.

    Keys wrapped in ``state_dict``/``model`` entries or prefixed with ``module.`` (DataParallel)
    are unwrapped. Every key and shape is checked first; a mismatch raises ValueError listing the
    missing, unexpected and mis-shaped entries. Tensors are cast to the parameters' dtypes.

    Returns:
        ``model``, for chaining.

    Example:
        >>> import os, tempfile, ember
        >>> from embervision.models import lenet5, load_torchvision_weights
        >>> src, dst = lenet5(image_size=8), lenet5(image_size=8)
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> ember.save_safetensors(src.state_dict(), path)
        >>> x = ember.rand(1, 1, 8, 8)
        >>> bool((load_torchvision_weights(dst, path)(x) == src(x)).all())
        True
    """
    state = _read(path)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                    for k in set(own) & set(state) if tuple(state[k].shape) != tuple(own[k].shape))
    if shapes or (strict and (missing or unexpected)):
        lines = [f"{os.fspath(path)} does not match {type(model).__name__}:"]
        for title, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
            if items and (strict or title == "shape mismatches"):
                shown = ", ".join(items[:10]) + (f", ... ({len(items)} in all)" if len(items) > 10 else "")
                lines.append(f"  {title}: {shown}")
        raise ValueError("\n".join(lines))
    converted = {k: v.to(own[k].dtype) for k, v in state.items() if k in own}
    model.load_state_dict(converted, strict=strict)
    return model
