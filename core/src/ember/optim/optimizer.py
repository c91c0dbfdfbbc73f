"""The optimizer base class: parameter groups, per-parameter state, hooks, state dicts.

Every built-in optimizer but LBFGS is an :class:`ElementwiseOptimizer`: its update is
elementwise math on each parameter's backend array (``be.xp``), written in place into
the parameter and the state buffers. Working on the arrays directly (instead of chains of
``Tensor.add_``/``mul_`` calls) keeps a step's Python overhead and temporaries small; the
parameter's version counter is bumped like any in-place op.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

from .. import _dtype
from .._creation import full_like, tensor
from .._tensor import Tensor, _make
from ..autograd import _state
from ..autograd._engine import RemovableHandle

__all__ = ["Optimizer", "ElementwiseOptimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a default every parameter group must set itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``.

    The hook may return ``(new_args, new_kwargs)``. Returns a handle with ``remove()``.

    Example:
        >>> import ember
        >>> seen = []
        >>> h = ember.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: seen.append(type(o).__name__))
        >>> p = ember.zeros(1, requires_grad=True)
        >>> ember.optim.SGD([p], lr=0.1).step(); h.remove(); seen
        ['SGD']
    """
    return RemovableHandle(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``.

    Example:
        >>> import ember
        >>> seen = []
        >>> h = ember.optim.optimizer.register_optimizer_step_post_hook(lambda o, a, k: seen.append(1))
        >>> ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1).step(); h.remove(); seen
        [1]
    """
    return RemovableHandle(_global_post_hooks, hook)


def _hooked(step):
    """Wrap a subclass's ``step`` so the step hooks run around it (once, even through ``super().step()``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_stepping"):
            return step(self, *args, **kwargs)
        self._opt_called = True  # read by LRScheduler to warn when it is stepped first
        for pre in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        self._stepping = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._stepping = False
        for post in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            post(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks, hook)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors (or ``(name, tensor)`` pairs), or of dicts defining
            parameter groups (each with a ``"params"`` entry and optional per-group options).
        defaults: the default value of every option, used where a group doesn't set it.

    Example:
        >>> import ember
        >>> class Halve(ember.optim.Optimizer):
        ...     def __init__(self, params):
        ...         super().__init__(params, {})
        ...     def step(self, closure=None):
        ...         for group in self.param_groups:
        ...             for p in group["params"]:
        ...                 with ember.no_grad():
        ...                     p.mul_(0.5)
        >>> p = ember.tensor([4.0], requires_grad=True)
        >>> Halve([p]).step(); p
        tensor([2.], requires_grad=True)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {params.type()}"
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _init_hooks(self):
        for name in ("step_pre", "step_post", "state_dict_pre", "state_dict_post",
                     "load_state_dict_pre", "load_state_dict_post"):
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", OrderedDict())

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_hooks()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # --- parameter groups -----------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (with its own options) to optimize.

        Example:
            >>> import ember
            >>> a, b = ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)
            >>> opt = ember.optim.SGD([a], lr=0.1)
            >>> opt.add_param_group({"params": [b], "lr": 0.01})
            >>> [g["lr"] for g in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__module__}.{type(p).__name__}")
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    f"all optimizer param groups should be with/without names. cannot add param group {which} to the optimizer"
                )
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- gradients and steps ------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None by default, or to zeros).

        Example:
            >>> import ember
            >>> p = ember.ones(2, requires_grad=True); p.sum().backward()
            >>> opt = ember.optim.SGD([p], lr=0.1)
            >>> opt.zero_grad(set_to_none=False); p.grad
            tensor([0., 0.])
            >>> opt.zero_grad(); p.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss.

        Example:
            >>> import ember
            >>> p = ember.tensor([1.0], requires_grad=True)
            >>> opt = ember.optim.SGD([p], lr=0.5)
            >>> def closure():
            ...     opt.zero_grad(); loss = (p * p).sum(); loss.backward(); return loss
            >>> opt.step(closure)
            tensor(1., grad_fn=<SumBackward0>)
            >>> p
            tensor([0.], requires_grad=True)
        """
        raise NotImplementedError

    # --- hooks ------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new ``(args, kwargs)``.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> calls = []; h = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
            >>> opt.step(); calls
            ['pre']
        """
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> calls = []; h = opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
            >>> opt.step(); h.remove(); opt.step(); calls
            ['post']
        """
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` before ``state_dict()`` builds its result.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_state_dict_pre_hook(lambda o: print("saving"))
            >>> _ = opt.state_dict()
            saving
        """
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` after ``state_dict()``; it may return a replacement.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_state_dict_post_hook(lambda o, sd: {**sd, "note": 1})
            >>> opt.state_dict()["note"]
            1
        """
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` before loading; it may return a replacement.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_load_state_dict_pre_hook(lambda o, sd: print("loading"))
            >>> opt.load_state_dict(opt.state_dict())
            loading
        """
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` after ``load_state_dict``.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_load_state_dict_post_hook(lambda o: print("loaded"))
            >>> opt.load_state_dict(opt.state_dict())
            loaded
        """
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state dicts ------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in the order of the groups; the state values are the optimizer's
        own tensors (not copies), like torch.

        Example:
            >>> import ember
            >>> p = ember.ones(2, requires_grad=True); p.sum().backward()
            >>> opt = ember.optim.SGD([p], lr=0.1, momentum=0.9); opt.step()
            >>> sd = opt.state_dict()
            >>> sd["state"][0]["momentum_buffer"], sd["param_groups"][0]["params"]
            (tensor([1., 1.]), [0])
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        packed_state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load a state produced by :meth:`state_dict` (parameters are matched by position).

        Tensors are moved to each parameter's device (and floating state cast to its dtype).

        Example:
            >>> import copy, ember
            >>> p = ember.ones(2, requires_grad=True); p.sum().backward()
            >>> opt = ember.optim.Adam([p]); opt.step()
            >>> q = ember.ones(2, requires_grad=True)
            >>> opt2 = ember.optim.Adam([q]); opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
            >>> opt2.state[q]["step"]
            tensor(1.)
        """
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v)
            else:
                state[k] = v
        for group, new in zip(groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _cast_state(param, value, key=None):
    """``value`` with its tensors on ``param``'s device (floating ones in its dtype; ``step`` untouched)."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.is_floating_point() and value.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def scalar_dtype():
    """The dtype of step counters: float64 when that is the default dtype, else float32 (like torch).

    Example:
        >>> import ember
        >>> ember.optim.optimizer.scalar_dtype()
        ember.float32
    """
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def check_common(lr, eps=None, weight_decay=None, betas=None):
    """Validate the options most optimizers share, with torch's messages.

    Example:
        >>> import ember
        >>> ember.optim.optimizer.check_common(-1.0)
        Traceback (most recent call last):
        ...
        ValueError: Invalid learning rate: -1.0
    """
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class ElementwiseOptimizer(Optimizer):
    """An optimizer whose update is elementwise array math on each parameter with a gradient.

    Subclasses define ``init_state(p, group)`` (the new per-parameter state dict, or None) and
    ``update(group, items)`` where ``items`` is a list of ``(param, grad_array, state)``
    for the parameters of ``group`` that have a gradient. ``update`` writes into
    ``param._data`` and the state tensors' arrays in place with ``be.xp`` math, then
    calls :func:`touch` on each parameter. Parameters are written with augmented
    assignment on the attribute (``p._data -= step``): in place for arrays, and still
    correct for the immutable 0-d scalars numpy returns from 0-d ops.

    Example:
        >>> import ember
        >>> class SignSGD(ember.optim.optimizer.ElementwiseOptimizer):
        ...     def __init__(self, params, lr=0.1):
        ...         super().__init__(params, {"lr": lr, "differentiable": False})
        ...     def update(self, group, items):
        ...         for p, g, state in items:
        ...             p._data -= group["lr"] * p._be.xp.sign(g)
        ...             ember.optim.optimizer.touch(p)
        >>> p = ember.tensor([1.0, -1.0], requires_grad=True); (p * 3).sum().backward()
        >>> SignSGD([p]).step(); p
        tensor([ 0.9000, -1.1000], requires_grad=True)
    """

    def __init__(self, params, defaults):
        if defaults.get("differentiable"):
            raise NotImplementedError(f"{type(self).__name__}: differentiable=True is not supported by Ember's optimizers")
        super().__init__(params, defaults)

    def init_state(self, p, group):
        """The state dict of parameter ``p`` before its first step, or None to keep no state.

        Example:
            >>> import ember
            >>> p = ember.zeros(2, requires_grad=True)
            >>> opt = ember.optim.Adam([p])
            >>> sorted(opt.init_state(p, opt.param_groups[0]))
            ['exp_avg', 'exp_avg_sq', 'step']
        """
        return None

    def update(self, group, items):
        """Update the ``(param, grad_array, state)`` items of one parameter group in place.

        Example:
            >>> import ember
            >>> p = ember.tensor([1.0], requires_grad=True)
            >>> opt = ember.optim.SGD([p], lr=0.5)
            >>> opt.update(opt.param_groups[0], [(p, ember.tensor([1.0])._data, None)]); p
            tensor([0.5000], requires_grad=True)
        """
        raise NotImplementedError

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss.

        Example:
            >>> import ember
            >>> p = ember.tensor([1.0], requires_grad=True); (2 * p).sum().backward()
            >>> ember.optim.SGD([p], lr=0.25).step(); p
            tensor([0.5000], requires_grad=True)
        """
        loss = None
        if closure is not None:
            prev = _state.grad_enabled
            _state.grad_enabled = True
            try:
                loss = closure()
            finally:
                _state.grad_enabled = prev
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            state = self.state
            for group in self.param_groups:
                items = []
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    st = state.get(p)
                    if st is None:
                        st = self.init_state(p, group)
                        if st is not None:
                            state[p] = st
                    items.append((p, g._data, st))
                if items:
                    self.update(group, items)
        finally:
            _state.grad_enabled = prev
        return loss


def touch(p, op="optimizer.step"):
    """Record an in-place change of ``p``'s array (bumps its version counter like an in-place op).

    Example:
        >>> import ember
        >>> p = ember.zeros(2); before = p._version[0]
        >>> ember.optim.optimizer.touch(p); p._version[0] - before
        1
    """
    ver = p._version
    ver[0] += 1
    ver[1] = op


def advance(state):
    """Add one to ``state["step"]`` in place and return the new count as a float.

    Example:
        >>> import ember
        >>> state = {"step": ember.optim.optimizer.step_counter()}
        >>> ember.optim.optimizer.advance(state), state["step"]
        (1.0, tensor(1.))
    """
    s = state["step"]._data
    s += 1
    return float(s)


def full_state(p, value=0):
    """A tensor shaped like ``p`` (same dtype and device) filled with ``value``, for optimizer state.

    Example:
        >>> import ember
        >>> ember.optim.optimizer.full_state(ember.ones(2, requires_grad=True), 0.5)
        tensor([0.5000, 0.5000])
    """
    return full_like(p, value)


def step_counter(value=0.0):
    """A fresh 0-d counter tensor of :func:`scalar_dtype` like torch's ``state["step"]``.

    Example:
        >>> import ember
        >>> ember.optim.optimizer.step_counter()
        tensor(0.)
    """
    return tensor(value, dtype=scalar_dtype(), device="cpu")  # on the host whatever the default device, as torch's
    # (reading a GPU counter back each step would wait for the GPU)


def reject_complex(opt, p):
    """Raise for complex parameters: their state would need a real view Ember's optimizers lack.

    Example:
        >>> import ember
        >>> ember.optim.optimizer.reject_complex(None, ember.zeros(1))  # real: fine
    """
    if p.is_complex():
        raise NotImplementedError(f"{type(opt).__name__}: complex parameters are not supported")


def directed_grad(p, g, maximize, weight_decay, decoupled_lr=None):
    """The gradient array an update uses: negated when maximizing, plus the L2 term ``weight_decay * p``;
    with ``decoupled_lr`` the decay instead shrinks ``p`` in place by ``1 - lr * weight_decay`` (AdamW's form).

    Example:
        >>> import numpy, ember
        >>> p = ember.tensor([2.0])
        >>> ember.optim.optimizer.directed_grad(p, numpy.array([1.0]), True, 0.5)
        array([0.])
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_lr is not None:
            p._data *= 1 - decoupled_lr * weight_decay
        else:
            g = g + weight_decay * p._data
    return g


def fused(be, name):
    """The backend's one-kernel form of the update ``name`` (``be.kernels["optim.<name>"]``), or None.

    It takes the update's arrays and hyperparameters and returns False where it does not apply
    (the caller then runs its portable update).

    Example:
        >>> import ember
        >>> ember.optim.optimizer.fused(ember.zeros(1)._be, "sgd") is None  # the CPU backend has none
        True
    """
    return be.kernels.get(f"optim.{name}") if be.kernels else None


def pieces(be, *arrays):
    """Matching flat pieces of same-shaped arrays, each small enough to stay in cache.

    An update is a chain of in-place elementwise steps; run piece by piece, the chain reads
    and writes each array about once instead of once per step, with the same values. Whole
    arrays where the backend sets no ``cache_block`` or an array is not contiguous.

    Example:
        >>> import numpy, ember
        >>> a = numpy.zeros(3)
        >>> for (piece,) in pieces(ember.zeros(1)._be, a):
        ...     piece += 1
        >>> a
        array([1., 1., 1.])
    """
    block, size = be.cache_block, arrays[0].size
    if not block or size <= 2 * block or not all(be.is_contiguous(a) for a in arrays):
        yield arrays
        return
    flat = [be.xp.reshape(a, (-1,)) for a in arrays]
    for s in range(0, size, block):
        yield tuple(f[s:s + block] for f in flat)


def lerp_(be, a, end, weight):
    """``a += weight * (end - a)`` on arrays in place, rounded like torch's ``lerp_`` (another form past 0.5).

    Example:
        >>> import numpy, ember
        >>> a = numpy.zeros(2); be = ember.zeros(1)._be
        >>> ember.optim.optimizer.lerp_(be, a, numpy.ones(2), 0.25); a
        array([0.25, 0.25])
    """
    if weight < 0.5:
        step = end - a  # one temporary, scaled in place: the same rounding as ``weight * (end - a)``
        step *= weight
        a += step
    else:
        be.assign(a, end - (end - a) * (1 - weight))


def maximum_(be, a, b):
    """``a = max(a, b)`` elementwise on arrays, in place.

    Example:
        >>> import numpy, ember
        >>> a = numpy.array([1.0, 5.0])
        >>> ember.optim.optimizer.maximum_(ember.zeros(1)._be, a, numpy.array([3.0, 2.0])); a
        array([3., 5.])
    """
    be.assign(a, be.xp.maximum(a, b))


def wrap_like(p, array):
    """``array`` as a tensor on ``p``'s device with ``p``'s dtype (no copy).

    Example:
        >>> import numpy, ember
        >>> ember.optim.optimizer.wrap_like(ember.zeros(1), numpy.ones(2, dtype="float32"))
        tensor([1., 1.])
    """
    return _make(array, p._be, p._device, p.dtype)
