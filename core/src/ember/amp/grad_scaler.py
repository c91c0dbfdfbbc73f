"""``GradScaler``: scale the loss so half-precision gradients don't underflow, skip steps that overflow."""

from __future__ import annotations

import warnings

from .. import _dtype

_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """Dynamic loss scaling for mixed-precision training, as ``torch.amp.GradScaler``.

    ``scale(loss).backward()`` produces gradients multiplied by the scale; ``step(optimizer)``
    unscales them (unless ``unscale_`` already did) and skips the step when any is inf/NaN;
    ``update()`` halves the scale after an overflow and doubles it after ``growth_interval``
    clean steps.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.ones(2))
        >>> opt = ember.optim.SGD([w], lr=0.5)
        >>> scaler = ember.amp.GradScaler("cpu", init_scale=1024.0)
        >>> scaler.scale((w * w).sum()).backward()
        >>> scaler.step(opt); scaler.update()
        >>> w.tolist(), scaler.get_scale()
        ([0.0, 0.0], 1024.0)
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = str(device)
        if enabled and self._device.split(":")[0] == "cuda":
            from .. import cuda

            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                              UserWarning, stacklevel=2)
                enabled = False
        self._enabled = enabled
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._init_scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._scale = None  # a float32 0-d tensor, made lazily on the device of the first scaled output
        self._growth_tracker = None
        self._per_optimizer = {}  # id(optimizer) -> {"stage": ..., "found_inf": {device: tensor}}

    # --- scaling -------------------------------------------------------------------
    def _lazy_init(self, device):
        from .._creation import tensor

        self._scale = tensor(self._init_scale, dtype=_dtype.float32, device=device)
        self._growth_tracker = tensor(self._init_growth_tracker, dtype=_dtype.int32, device=device)

    def scale(self, outputs):
        """Multiply ``outputs`` (a tensor or nested lists/tuples of tensors) by the scale.

        Example:
            >>> import ember
            >>> ember.amp.GradScaler("cpu", init_scale=8.0).scale(ember.tensor(2.0))
            tensor(16.)
        """
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if self._scale is None:
            self._lazy_init(outputs.device)
        return outputs * self._scale.to(outputs.device)

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": {}})

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, noting inf/NaN.

        Example:
            >>> import ember
            >>> w = ember.nn.Parameter(ember.ones(1)); opt = ember.optim.SGD([w], lr=1.0)
            >>> s = ember.amp.GradScaler("cpu", init_scale=4.0)
            >>> s.scale(w.sum() * 3).backward(); s.unscale_(opt); w.grad
            tensor([3.])
        """
        if not self._enabled:
            return
        if self._scale is None:
            raise RuntimeError("Attempted unscale_ but _scale is None.  This may indicate your script did not use "
                               "scaler.scale(loss or outputs) earlier in the iteration.")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        state["found_inf"] = self._unscale_grads(optimizer, self._scale.double().reciprocal().float())
        state["stage"] = _UNSCALED

    def _unscale_grads(self, optimizer, inv_scale):
        from ..autograd.grad_mode import no_grad

        found = {}  # device -> float32 0-d tensor (stays on the device: no sync here)
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g.dtype is _dtype.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    bad = g.isfinite().logical_not().any().float()
                    dev = g.device
                    found[dev] = bad if dev not in found else found[dev] + bad
                    g.mul_(inv_scale.to(dev))
        if not found:
            found[self._scale.device] = self._scale.new_zeros(())
        return found

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if needed) and run ``optimizer.step()``, unless a gradient is inf/NaN; returns its result.

        Example:
            >>> import ember
            >>> w = ember.nn.Parameter(ember.ones(1)); opt = ember.optim.SGD([w], lr=1.0)
            >>> s = ember.amp.GradScaler("cpu")
            >>> s.scale(w.sum() * float("inf")).backward(); s.step(opt); w.tolist()
            [1.0]
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        state["stage"] = _STEPPED
        if sum(v.item() for v in state["found_inf"].values()):
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Adjust the scale for the next iteration (or set it to ``new_scale``).

        Example:
            >>> import ember
            >>> s = ember.amp.GradScaler("cpu", init_scale=4.0)
            >>> _ = s.scale(ember.ones(1)); s.update(2.0); s.get_scale()
            2.0
        """
        if not self._enabled:
            return
        if self._scale is None:
            return
        if new_scale is not None:
            value = new_scale.item() if hasattr(new_scale, "item") else float(new_scale)
            self._scale.fill_(value)
        else:
            founds = [f.to(self._scale.device) for s in self._per_optimizer.values() for f in s["found_inf"].values()]
            if not founds:
                raise AssertionError("No inf checks were recorded prior to update.")
            found = founds[0]
            for f in founds[1:]:
                found = found + f
            self._update_scale(found)
        self._per_optimizer = {}

    def _update_scale(self, found):
        """Back off after an overflow, grow after ``growth_interval`` clean steps (tensor ops: no sync)."""
        from ..ops.elementwise import where

        overflow = found > 0
        tracker = where(overflow, 0, self._growth_tracker + 1).to(_dtype.int32)
        grow = tracker >= self._growth_interval
        factor = where(overflow, self._backoff_factor, where(grow, self._growth_factor, 1.0)).float()
        self._scale.mul_(factor)
        self._growth_tracker.copy_(where(grow, 0, tracker))

    # --- accessors -------------------------------------------------------------------
    def get_scale(self):
        """The current scale as a Python float (1.0 when disabled).

        Example:
            >>> import ember
            >>> ember.amp.GradScaler("cpu").get_scale()
            65536.0
        """
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def is_enabled(self):
        return self._enabled

    def _get_growth_tracker(self):
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker.item())

    def state_dict(self):
        """The scale and growth settings (empty when disabled).

        Example:
            >>> import ember
            >>> ember.amp.GradScaler("cpu").state_dict()["scale"]
            65536.0
        """
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        """Restore from :meth:`state_dict`.

        Example:
            >>> import ember
            >>> s = ember.amp.GradScaler("cpu"); s.load_state_dict({"scale": 8.0, "growth_factor": 2.0,
            ...     "backoff_factor": 0.5, "growth_interval": 10, "_growth_tracker": 3}); s.get_scale()
            8.0
        """
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale.fill_(self._init_scale)
            self._growth_tracker.fill_(self._init_growth_tracker)
