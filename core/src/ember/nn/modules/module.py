"""nn.Module: the base class of every layer (registration, traversal, state dicts, devices, hooks)."""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

from ... import _dtype
from ..._tensor import Tensor, apply
from ...autograd import _state
from ...autograd._engine import RemovableHandle
from ...autograd.grad_mode import no_grad
from ...autograd.node import Op
from ..parameter import Buffer, Parameter

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook"]

_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = {}
_global_forward_hooks_always_called = {}


class _IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


class _Handle(RemovableHandle):
    """A hook handle that also forgets the hook's flags (``with_kwargs``, ``always_call``) on removal."""

    def __init__(self, hooks, hook, *flags, prepend=False):
        super().__init__(hooks, hook)
        self.flags = flags
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self):
        super().remove()
        for d in self.flags:
            d.pop(self.id, None)


def register_module_forward_pre_hook(hook):
    """Run ``hook(module, args)`` before the forward of every module (before the module's own hooks).

    Example:
        >>> import ember
        >>> seen = []
        >>> h = ember.nn.modules.module.register_module_forward_pre_hook(lambda m, a: seen.append(type(m).__name__))
        >>> _ = ember.nn.Identity()(ember.zeros(1)); h.remove(); seen
        ['Identity']
    """
    return _Handle(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Run ``hook(module, args, output)`` after the forward of every module (before the module's own hooks).

    Example:
        >>> import ember
        >>> h = ember.nn.modules.module.register_module_forward_hook(lambda m, a, out: out * 2)
        >>> ember.nn.Identity()(ember.ones(1)); h.remove()
        tensor([2.])
    """
    handle = _Handle(_global_forward_hooks, hook, _global_forward_hooks_with_kwargs, _global_forward_hooks_always_called)
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class of all layers: assign Parameters, buffers and sub-modules as attributes; define ``forward``.

    Example:
        >>> import ember
        >>> import ember.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(3, 2)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> net = Net()
        >>> [name for name, _ in net.named_parameters()], net(ember.ones(4, 3)).shape
        (['fc.weight', 'fc.bias'], ember.Size([4, 2]))
        >>> net
        Net(
          (fc): Linear(in_features=3, out_features=2, bias=True)
        )
    """

    _version = 1
    training: bool
    forward = _forward_unimplemented

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes no arguments (got {len(args)} positional and {sorted(kwargs)} keyword)")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        for name in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks",
                     "_state_dict_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            d[name] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}

    # --- calling ----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_hooks or _global_forward_pre_hooks):
            return self._call_hooked(args, kwargs)
        try:
            return self.forward(*args, **kwargs)
        except Exception as exc:
            _locate_failure(self, exc)
            raise

    _call_impl = __call__

    def _call_hooked(self, args, kwargs):
        for hid, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw = _BackwardHooks(self) if (self._backward_hooks or self._backward_pre_hooks) and _state.grad_enabled else None
        if bw is not None:
            args = bw.wrap_inputs(args)
        called = set()
        hooks = (*_global_forward_hooks.items(), *self._forward_hooks.items())
        try:
            result = self.forward(*args, **kwargs)
            for hid, hook in hooks:
                called.add(hid)
                if hid in self._forward_hooks_with_kwargs or hid in _global_forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
        except Exception as exc:
            for hid, hook in hooks:
                if hid not in called and (hid in self._forward_hooks_always_called or hid in _global_forward_hooks_always_called):
                    try:
                        if hid in self._forward_hooks_with_kwargs or hid in _global_forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception as hook_exc:
                        warnings.warn(f"forward hook with always_call=True raised an exception that was silenced as another error was raised in forward: {hook_exc}")
            _locate_failure(self, exc)
            raise
        if bw is not None:
            result = bw.wrap_outputs(result)
        return result

    def _error(self, message, kind=RuntimeError):
        """An exception whose message names this module and, once known, its path in the model.

        Raise it from ``forward``: ``Module.__call__`` fills in the path (e.g. ``Linear 'encoder.fc1'``)
        on its way out, at no cost unless something fails.
        """
        exc = kind(f"{self._get_name()} {message}")
        exc._ember_message = message
        exc._ember_module = self
        return exc

    # --- registration -------------------------------------------------------------------
    def register_buffer(self, name, tensor, persistent=True):
        """Register ``tensor`` as a buffer (state that is not learnable; saved unless not ``persistent``).

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.register_buffer("steps", ember.zeros(()))
            >>> m.state_dict()
            OrderedDict([('steps', tensor(0.))])
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' (torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``.

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.register_parameter("w", ember.nn.Parameter(ember.ones(2)))
            >>> [n for n, _ in m.named_parameters()]
            ['w']
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' (torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                    f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
                )
        self._parameters[name] = param

    def add_module(self, name, module):
        """Register ``module`` (a Module or None) as a child called ``name``.

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.add_module("act", ember.nn.ReLU()); m
            Module(
              (act): ReLU()
            )
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            members = d.get(store)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' (torch.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' (torch.nn.Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and (name in d["_buffers"] or isinstance(value, Buffer)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' (torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.__dict__.pop("_buffer_persistent")
                self._forget(name, keep="_buffers")
                self.register_buffer(name, value, persistent)
            else:
                d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Drop ``name`` from every store but ``keep`` (an attribute changes kind when reassigned)."""
        d = self.__dict__
        d.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                d[store].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers_set"].discard(name)

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            try:
                object.__delattr__(self, name)
            except AttributeError:
                raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def __dir__(self):
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules, *self._buffers]
        return sorted(k for k in set(keys) if not k[0].isdigit())

    # --- lookup by path -----------------------------------------------------------------
    def get_submodule(self, target):
        """The sub-module at dotted path ``target`` ("" is self).

        Example:
            >>> import ember.nn as nn
            >>> nn.Sequential(nn.Sequential(nn.ReLU())).get_submodule("0.0")
            ReLU()
        """
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target, module):
        """Replace the sub-module at dotted path ``target`` with ``module``.

        Example:
            >>> import ember.nn as nn
            >>> s = nn.Sequential(nn.ReLU()); s.set_submodule("0", nn.Tanh()); s
            Sequential(
              (0): Tanh()
            )
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The Parameter at dotted path ``target``.

        Example:
            >>> import ember.nn as nn
            >>> nn.Sequential(nn.Linear(2, 3)).get_parameter("0.bias").shape
            ember.Size([3])
        """
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at dotted path ``target``.

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.register_buffer("b", ember.ones(1)); m.get_buffer("b")
            tensor([1.])
        """
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # --- traversal ------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(path, module)`` for self and every sub-module, each once by default.

        Example:
            >>> import ember.nn as nn
            >>> [n for n, _ in nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU())).named_modules()]
            ['', '0', '1', '1.0']
        """
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        """Yield self and every sub-module.

        Example:
            >>> import ember.nn as nn
            >>> len(list(nn.Sequential(nn.ReLU(), nn.ReLU()).modules()))
            3
        """
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children.

        Example:
            >>> import ember.nn as nn
            >>> [n for n, _ in nn.Sequential(nn.ReLU(), nn.Tanh()).named_children()]
            ['0', '1']
        """
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct children.

        Example:
            >>> import ember.nn as nn
            >>> list(nn.Sequential(nn.ReLU()).children())
            [ReLU()]
        """
        for _, module in self.named_children():
            yield module

    def _named_members(self, store, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[store].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(path, parameter)`` pairs; shared parameters once unless ``remove_duplicate=False``.

        Example:
            >>> import ember.nn as nn
            >>> [n for n, _ in nn.Linear(2, 2).named_parameters(prefix="fc")]
            ['fc.weight', 'fc.bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield the parameters (of sub-modules too unless ``recurse=False``).

        Example:
            >>> import ember.nn as nn
            >>> sum(p.numel() for p in nn.Linear(3, 2).parameters())
            8
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(path, buffer)`` pairs.

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.register_buffer("b", ember.ones(1))
            >>> [n for n, _ in m.named_buffers()]
            ['b']
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield the buffers.

        Example:
            >>> import ember
            >>> m = ember.nn.Module(); m.register_buffer("b", ember.ones(1)); list(m.buffers())
            [tensor([1.])]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- state dicts -----------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer by path (detached unless ``keep_vars``).

        Example:
            >>> import ember.nn as nn
            >>> list(nn.Sequential(nn.Linear(2, 1)).state_dict())
            ['0.weight', '0.bias']
        """
        if args:
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][len(args):])[:3]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        """Load this module's own entries (not its children's) from ``state_dict``; override to migrate old keys."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local = {k: v for k, v in itertools.chain(self._parameters.items(), self._buffers.items())
                 if v is not None and k not in self._non_persistent_buffers_set}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object from checkpoint but received {type(value)}')
                continue
            if value.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with no_grad():
                    if not assign:
                        param.copy_(value)
                    elif isinstance(param, Parameter):
                        self._parameters[name] = Parameter(value, requires_grad=param.requires_grad)
                    else:
                        self._buffers[name] = value
            except Exception as ex:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are {param.shape} and whose '
                    f"dimensions in the checkpoint are {value.shape}, an exception occurred : {ex.args}."
                )
        extra_key = prefix + "_extra_state"
        has_extra = type(self).set_extra_state is not Module.set_extra_state
        if has_extra and extra_key in state_dict:
            self.set_extra_state(state_dict[extra_key])
        elif has_extra and strict:
            missing_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and not (has_extra and key == extra_key):
                    head, dot, _ = key[len(prefix):].partition(".")
                    if (head not in self._modules) if dot else (head not in local):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict``; returns ``(missing_keys, unexpected_keys)``.

        With ``strict`` (the default) missing or unexpected keys raise; shape mismatches always raise,
        listing every mismatched key with both shapes.

        Example:
            >>> import ember.nn as nn
            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> bool((a.weight == b.weight).all())
            True
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)

        def load(module, entries, prefix):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(entries, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in entries.items() if k.startswith(child_prefix)}, child_prefix)
            keys = _IncompatibleKeys(missing, unexpected)
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, keys)

        load(self, dict(state_dict), "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(), "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def get_extra_state(self):
        """Extra (non-tensor) state to save in the state dict; override together with :meth:`set_extra_state`."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` saved."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # --- modes, devices, dtypes -------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (on self and every sub-module); returns self.

        Example:
            >>> import ember.nn as nn
            >>> nn.Sequential(nn.Dropout()).train(False)[0].training
            False
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """``self.train(False)``.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).eval().training
            False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter; returns self.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).requires_grad_(False).weight.requires_grad
            False
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter (to None by default, else to zeros).

        Example:
            >>> import ember, ember.nn as nn
            >>> m = nn.Linear(1, 1); m(ember.ones(1, 1)).sum().backward(); m.zero_grad(); m.weight.grad is None
            True
        """
        for p in self.parameters():
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

    def apply(self, fn):
        """Call ``fn`` on every sub-module (children first) and on self; returns self.

        Example:
            >>> import ember.nn as nn
            >>> names = []
            >>> _ = nn.Sequential(nn.ReLU()).apply(lambda m: names.append(m._get_name())); names
            ['ReLU', 'Sequential']
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Replace every parameter's data, gradient and buffer by ``fn`` of it (parameters keep their identity)."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    param.data = new
                grad = param.grad
                if grad is not None:
                    new_grad = fn(grad)
                    if new_grad is not grad:
                        param._grad = new_grad
            for name, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[name] = fn(buf)
        return self

    def to(self, *args, **kwargs):
        """Move parameters and buffers to a device and/or cast floating-point ones to a dtype; in place.

        Example:
            >>> import ember
            >>> ember.nn.Linear(2, 2).to(ember.float64).weight.dtype
            ember.float64
        """
        from ..._tensor_methods import _parse_to

        device, dtype, non_blocking, _ = _parse_to(args, dict(kwargs))
        if dtype is not None:
            dtype = _dtype.to_dtype(dtype)
            if dtype.category < 2:
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")

        def convert(t):
            if dtype is not None and t.dtype.category >= 2:
                want = dtype.to_complex() if t.dtype.category == 3 and dtype.category == 2 else dtype
                return t.to(device, want, non_blocking)
            return t.to(device, non_blocking) if device is not None else t

        return self._apply(convert)

    def cpu(self):
        """Move every parameter and buffer to the CPU.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).cpu().weight.device.type
            'cpu'
        """
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        """Move every parameter and buffer to a CUDA device.

        Example:
            >>> import ember.nn as nn
            >>> callable(nn.Linear(1, 1).cuda)
            True
        """
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type):
        """Cast every parameter and buffer to ``dst_type``.

        Example:
            >>> import ember
            >>> ember.nn.Linear(1, 1).type(ember.float64).bias.dtype
            ember.float64
        """
        return self._apply(lambda t: t.type(dst_type))

    def _float_cast(self, dtype):
        return self._apply(lambda t: t.to(dtype) if t.dtype.category == 2 else t)

    def float(self):
        """Cast floating-point parameters and buffers to float32.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).double().float().weight.dtype
            ember.float32
        """
        return self._float_cast(_dtype.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).double().weight.dtype
            ember.float64
        """
        return self._float_cast(_dtype.float64)

    def half(self):
        """Cast floating-point parameters and buffers to float16.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(1, 1).half().weight.dtype
            ember.float16
        """
        return self._float_cast(_dtype.float16)

    def bfloat16(self):
        """Cast floating-point parameters and buffers to bfloat16 (where the backend has it).

        Example:
            >>> import ember.nn as nn
            >>> callable(nn.Linear(1, 1).bfloat16)
            True
        """
        return self._float_cast(_dtype.bfloat16)

    def to_empty(self, *, device=None, recurse=True):
        """Replace parameters and buffers by uninitialised tensors of the same shape on ``device``.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(2, 2).to_empty(device="cpu").weight.shape
            ember.Size([2, 2])
        """
        from ..._creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse)

    def share_memory(self):
        """No-op kept for API compatibility (tensors are shared by DataLoader workers as copies)."""
        return self

    # --- hooks --------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before forward; it may replace the inputs.

        Example:
            >>> import ember
            >>> m = ember.nn.Identity()
            >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
            >>> m(ember.zeros(1))
            tensor([1.])
        """
        handle = _Handle(self._forward_pre_hooks, hook, self._forward_pre_hooks_with_kwargs, prepend=prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after forward; a non-None result replaces the output.

        Example:
            >>> import ember
            >>> m = ember.nn.Identity()
            >>> h = m.register_forward_hook(lambda mod, args, out: out * 3)
            >>> m(ember.ones(1))
            tensor([3.])
        """
        handle = _Handle(self._forward_hooks, hook, self._forward_hooks_with_kwargs, self._forward_hooks_always_called,
                         prepend=prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when gradients w.r.t. the module's inputs are computed.

        A non-None result replaces ``grad_input``.

        Example:
            >>> import ember
            >>> m, seen = ember.nn.Linear(2, 1), []
            >>> h = m.register_full_backward_hook(lambda mod, gin, gout: seen.append(gout[0].shape))
            >>> m(ember.ones(3, 2, requires_grad=True)).sum().backward(); seen
            [ember.Size([3, 1])]
        """
        return _Handle(self._backward_hooks, hook, prepend=prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` before the module's input gradients are computed; may replace them.

        Example:
            >>> import ember
            >>> m = ember.nn.Identity(); x = ember.ones(2, requires_grad=True)
            >>> h = m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 2,))
            >>> m(x).sum().backward(); x.grad
            tensor([2., 2.])
        """
        return _Handle(self._backward_pre_hooks, hook, prepend=prepend)

    def register_state_dict_pre_hook(self, hook):
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` collects this module's entries."""
        return _Handle(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``; may return a replacement."""
        return _Handle(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            module, fn = self, hook

            def hook(*args):
                return fn(module, *args)

        return _Handle(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors)`` before loading."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loaded this module and its children."""
        return _Handle(self._load_state_dict_post_hooks, hook)

    # --- printing ------------------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The module's own settings for its repr (override in layers); empty by default.

        Example:
            >>> import ember.nn as nn
            >>> nn.Linear(2, 3).extra_repr()
            'in_features=2, out_features=3, bias=True'
        """
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(module), 2)}" for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


# --- naming the failing module ----------------------------------------------------------------
def _locate_failure(module, exc):
    """On an exception leaving ``module.forward``: name the innermost failing module by its path.

    Each enclosing ``Module.__call__`` calls this on the way out, so the path grows to the one
    seen from the outermost module. Only the error path pays for it.
    """
    where = exc.__dict__.get("_ember_module")
    if where is None:
        where = exc._ember_module = module
        path = ""
    elif where is module:
        path = ""
    else:
        path = next((name for name, m in module.named_modules() if m is where), None)
        if path is None:
            return
    label = where._get_name() + (f" '{path}'" if path else "")
    own = exc.__dict__.get("_ember_message")
    if own is not None:
        exc.args = (f"{label} {own}",)
        return
    note = f"(raised in {label}{_device_hint(where, exc)})"
    notes = exc.__dict__.setdefault("__notes__", [])
    at = exc.__dict__.get("_ember_note")
    if at is None or at >= len(notes):
        exc._ember_note = len(notes)
        notes.append(note)
    else:
        notes[at] = note


def _device_hint(module, exc):
    if not isinstance(exc, RuntimeError) or "same device" not in str(exc):
        return ""
    devices = sorted({str(t.device) for t in itertools.chain(module.parameters(), module.buffers())})
    if not devices:
        return ""
    return f", whose parameters are on {', '.join(devices)}: move the model to the inputs' device with model.to(device)"


# --- full backward hooks ----------------------------------------------------------------------------
class _HookIdentity(Op):
    """Identity on a module's input or output tensors; its backward hands the gradients to a callback."""

    def forward(self, be, *arrays_and_callback):
        *arrays, self.callback = arrays_and_callback
        return tuple(arrays) if len(arrays) > 1 else arrays[0]

    def backward(self, *grads):
        return self.callback(grads)


def _through_identity(tensors, callback):
    out = apply(_HookIdentity, tuple(tensors), callback)
    return out if isinstance(out, tuple) else (out,)


class _BackwardHooks:
    """One call's backward hooks: captures ``grad_output`` at the outputs and reports at the inputs."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.wrapped_inputs = False

    def wrap_inputs(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        live = [i for i in positions if args[i].requires_grad]
        if not live:
            return args
        self.wrapped_inputs = True
        self.slots = [positions.index(i) for i in live]
        new = list(args)
        for i, t in zip(live, _through_identity([args[i] for i in live], self._at_inputs)):
            new[i] = t
        return tuple(new)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        live = [i for i, t in enumerate(outs) if isinstance(t, Tensor) and t.requires_grad]
        if not live:
            return result
        self.out_slots = (len(outs), live)
        new = list(outs)
        for i, t in zip(live, _through_identity([outs[i] for i in live], self._at_outputs)):
            new[i] = t
        return new[0] if single else tuple(new)

    def _at_outputs(self, grads):
        n, live = self.out_slots
        full = [None] * n
        for i, g in zip(live, grads):
            full[i] = g
        grad_output = tuple(full)
        for hook in list(self.module._backward_pre_hooks.values()):
            res = hook(self.module, grad_output)
            if res is not None:
                grad_output = tuple(res)
        self.grad_output = grad_output
        if not self.wrapped_inputs:
            self._report((None,) * max(self.n_inputs, 1))
        return tuple(grad_output[i] for i in live)

    def _at_inputs(self, grads):
        full = [None] * self.n_inputs
        for slot, g in zip(self.slots, grads):
            full[slot] = g
        grad_input = self._report(tuple(full))
        return tuple(grad_input[slot] for slot in self.slots)

    def _report(self, grad_input):
        for hook in list(self.module._backward_hooks.values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                grad_input = tuple(res)
        return grad_input
