"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Mapping
from itertools import chain, islice

from ..._tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, n):
    """``idx`` as a position in ``range(n)`` (IndexError like torch's)."""
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range")
    return i % n


class Sequential(Module):
    """Modules applied one after another; built from modules or an ordered dict of named modules.

    Example:
        >>> import ember, ember.nn as nn
        >>> net = nn.Sequential(nn.Linear(2, 1), nn.ReLU())
        >>> net
        Sequential(
          (0): Linear(in_features=2, out_features=1, bias=True)
          (1): ReLU()
        )
        >>> net(ember.ones(3, 2)).shape, len(net), net[-1]
        (ember.Size([3, 1]), 2, ReLU())
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        i = _index(idx, len(self._modules))
        return next(islice(self._modules.values(), i, None))

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(idx, len(self._modules))]
        setattr(self, key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]):
            delattr(self, key)
        self._renumber()

    def _renumber(self):
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(self._modules.values())}

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return self.extend(other)

    def __mul__(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        return Sequential(*(list(self) * other))

    __rmul__ = __mul__

    def __imul__(self, other):
        result = self * other
        self.__dict__["_modules"] = dict(result._modules)
        return self

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, module):
        """Add ``module`` at the end; returns self.

        Example:
            >>> import ember.nn as nn
            >>> len(nn.Sequential().append(nn.ReLU()))
            1
        """
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``; returns self.

        Example:
            >>> import ember.nn as nn
            >>> nn.Sequential(nn.ReLU()).insert(0, nn.Tanh())[0]
            Tanh()
        """
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        modules = list(self._modules.values())
        modules.insert(index, module)
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(modules)}
        return self

    def extend(self, sequential):
        """Append every module of ``sequential``; returns self.

        Example:
            >>> import ember.nn as nn
            >>> len(nn.Sequential(nn.ReLU()).extend([nn.Tanh(), nn.ReLU()]))
            3
        """
        for module in sequential:
            self.append(module)
        return self

    def pop(self, key):
        """Remove and return the module at ``key``.

        Example:
            >>> import ember.nn as nn
            >>> nn.Sequential(nn.ReLU(), nn.Tanh()).pop(0)
            ReLU()
        """
        value = self[key]
        del self[key]
        return value


class ModuleList(Module):
    """A list of modules, registered so their parameters are found.

    Example:
        >>> import ember.nn as nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> layers.append(nn.ReLU())
        ModuleList(
          (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
          (3): ReLU()
        )
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self += modules

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self._modules)))]

    def __setitem__(self, idx, module):
        setattr(self, str(_index(idx, len(self._modules))), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, str(_index(idx, len(self._modules))))
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(self._modules.values())}

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(chain(self, other))

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def __repr__(self):
        # runs of identical consecutive children print once, as ``(0-2): 3 x Linear(...)``
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        lines = []
        start = 0
        for i in range(1, len(reprs) + 1):
            if i == len(reprs) or reprs[i] != reprs[start]:
                body = _addindent(reprs[start], 2)
                lines.append(f"({start}): {body}" if i - start == 1 else f"({start}-{i - 1}): {i - start} x {body}")
                start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index, module):
        """Insert ``module`` before position ``index``.

        Example:
            >>> import ember.nn as nn
            >>> m = nn.ModuleList([nn.ReLU()]); m.insert(0, nn.Tanh()); m[0]
            Tanh()
        """
        modules = list(self._modules.values())
        modules.insert(index, module)
        self.__dict__["_modules"] = {}
        self.extend(modules)

    def append(self, module):
        """Add ``module`` at the end; returns self.

        Example:
            >>> import ember.nn as nn
            >>> len(nn.ModuleList().append(nn.ReLU()))
            1
        """
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of the iterable ``modules``; returns self.

        Example:
            >>> import ember.nn as nn
            >>> len(nn.ModuleList().extend([nn.ReLU(), nn.Tanh()]))
            2
        """
        if isinstance(modules, (Module, Tensor)) or not hasattr(modules, "__iter__"):
            raise TypeError("ModuleList.extend should be called with an iterable, but got " + type(modules).__name__)
        for module in modules:
            self.append(module)
        return self

    def pop(self, key):
        """Remove and return the module at ``key``.

        Example:
            >>> import ember.nn as nn
            >>> nn.ModuleList([nn.ReLU(), nn.Tanh()]).pop(-1)
            Tanh()
        """
        value = self[key]
        del self[key]
        return value


class ModuleDict(Module):
    """A dict of named modules, registered so their parameters are found (insertion order kept).

    Example:
        >>> import ember.nn as nn
        >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)})
        >>> list(heads.keys()), "cls" in heads, heads["box"].out_features
        (['cls', 'box'], True, 4)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove ``key`` and return its module."""
        value = self[key]
        del self[key]
        return value

    def keys(self):
        """The names."""
        return self._modules.keys()

    def items(self):
        """``(name, module)`` pairs."""
        return self._modules.items()

    def values(self):
        """The modules."""
        return self._modules.values()

    def update(self, modules):
        """Add modules from a mapping or an iterable of ``(name, module)`` pairs.

        Example:
            >>> import ember.nn as nn
            >>> d = nn.ModuleDict(); d.update([("act", nn.ReLU())]); list(d)
            ['act']
        """
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} should be an iterable of length 2; got {pair!r}")
            self[pair[0]] = pair[1]


def _as_parameter(value):
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) else value


def _describe_parameter(p, kind):
    """One repr line of a ParameterList/Dict entry, e.g. ``Parameter containing: [ember.float32 of size 2x3]``."""
    if not isinstance(p, Tensor):
        return f"Object of type: {type(p).__name__}"
    name = "Parameter" if isinstance(p, Parameter) else "Tensor"
    size = "x".join(str(s) for s in p.shape)
    where = f" (GPU {p.get_device()})" if p.is_cuda else ""
    return f"{name} containing: [{kind(p)} of size {size}{where}]"


class ParameterList(Module):
    """A list of parameters (tensors are wrapped as Parameters), registered on the module.

    Example:
        >>> import ember, ember.nn as nn
        >>> pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3, 4))])
        >>> pl
        ParameterList(
            (0): Parameter containing: [ember.float32 of size 2]
            (1): Parameter containing: [ember.float32 of size 3x4]
        )
        >>> [n for n, _ in pl.named_parameters()]
        ['0', '1']
    """

    def __init__(self, values=None):
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self += values

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, str(_index(idx, self._size)))

    def __setitem__(self, idx, param):
        setattr(self, str(_index(idx, self._size)), _as_parameter(param))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(self._size))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value):
        """Add ``value`` (a tensor becomes a Parameter) at the end; returns self.

        Example:
            >>> import ember, ember.nn as nn
            >>> type(nn.ParameterList().append(ember.ones(1))[0]).__name__
            'Parameter'
        """
        self.__dict__["_size"] += 1
        setattr(self, str(self._size - 1), _as_parameter(value))
        return self

    def extend(self, values):
        """Append every value of the iterable ``values``; returns self."""
        if isinstance(values, Tensor) or not hasattr(values, "__iter__"):
            raise TypeError("ParameterList.extend should be called with an iterable, but got " + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        # torch's entry lines carry their own indent, and Module.__repr__ puts a single one inline
        return "\n".join(f"  ({i}): {_describe_parameter(p, lambda t: repr(t.dtype))}" for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters by name (tensors are wrapped as Parameters), registered on the module.

    Example:
        >>> import ember, ember.nn as nn
        >>> pd = nn.ParameterDict({"scale": ember.ones(2)})
        >>> pd
        ParameterDict(  (scale): Parameter containing: [ember.FloatTensor of size 2])
        >>> pd["scale"].requires_grad, list(pd.keys())
        (True, ['scale'])
    """

    def __init__(self, parameters=None):
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def __or__(self, other):
        out = ParameterDict(self.items())
        out.update(other)
        return out

    def keys(self):
        """The names."""
        return self._keys.keys()

    def items(self):
        """``(name, parameter)`` pairs."""
        return ((k, self[k]) for k in self._keys)

    def values(self):
        """The parameters."""
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        """The parameter at ``key``, or ``default``."""
        return self[key] if key in self else default

    def pop(self, key):
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def clear(self):
        """Remove every parameter."""
        for k in list(self._keys):
            del self[k]

    def copy(self):
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(self.items())

    def update(self, values):
        """Add parameters from a mapping or an iterable of ``(name, tensor)`` pairs.

        Example:
            >>> import ember, ember.nn as nn
            >>> pd = nn.ParameterDict(); pd.update([("w", ember.ones(1))]); list(pd)
            ['w']
        """
        items = values.items() if isinstance(values, (Mapping, ParameterDict)) else values
        for j, pair in enumerate(items):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} should be an iterable of length 2; got {pair!r}")
            self[pair[0]] = pair[1]

    def extra_repr(self):
        return "\n".join(f"  ({k}): {_describe_parameter(p, lambda t: t.type())}" for k, p in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")
