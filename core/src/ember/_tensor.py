"""The Tensor: a backend array, its device, and its place in the autograd graph."""

from __future__ import annotations


import weakref

from . import _dtype
from ._device import device as _device_cls
from .autograd import _state
from .autograd._engine import RemovableHandle, backward as _run_backward
from .autograd.node import _seq, anomaly_trace
from .plugins._host import host as _plugin_host

_pybool = type(True)


# --- devices: resolved once, cached -------------------------------------------
_DEVICES = {}
_CANONICAL = {}


def resolve_device(dev):
    """``(backend, canonical device)`` for a device spec; cached so the op path never resolves."""
    hit = _DEVICES.get(dev)
    if hit is not None:
        return hit
    d = dev if isinstance(dev, _device_cls) else _device_cls(dev) if dev is not None else _device_cls("cpu")
    be = _plugin_host().backend(d.type)
    canon = _device_cls(d.type, be.canonical_index(d.index))
    hit = (be, _CANONICAL.setdefault(canon, canon))  # one device object per device: `is` checks on the op path
    if d.index is None and be.indexed:
        return hit  # 'cuda' means the current device, which set_device can change: not cacheable
    try:
        _DEVICES[dev] = hit
    except TypeError:
        pass
    return hit


def default_device():
    return resolve_device(_default_device[0])


_default_device = ["cpu"]


class Size(tuple):
    """A tensor's shape: a tuple with ``numel()``, like ``torch.Size``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
    """

    def numel(self):
        """The number of elements.

        Example:
            >>> import ember
            >>> ember.zeros(2, 3).numel()
            6
        """
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


def _make(data, be, dev, dtype):
    if not data.shape and be.returns_scalars:
        data = be.xp.asarray(data)  # numpy gives immutable scalars for 0-d results; tensors need arrays
    t = Tensor.__new__(Tensor)
    t._data = data
    t._be = be
    t._device = dev
    t.dtype = dtype
    t.requires_grad = False
    t.grad_fn = None
    t._version = [0, None]
    return t


class Tensor:
    """A multi-dimensional array with autograd, on any registered device.

    Build tensors with :func:`ember.tensor`, :func:`ember.zeros` and friends.

    Example:
        >>> import ember
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = ("_data", "_be", "_device", "dtype", "requires_grad", "grad_fn", "_version",
                 "_base", "_out_idx", "_hooks", "_grad", "_post_hooks", "__weakref__", "__dict__")
    __array_priority__ = 1000

    def __init__(self, *args, **kwargs):
        raise TypeError("use ember.tensor(...), ember.empty(...) and friends to create tensors")

    # --- plain properties ---------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or its length along ``dim``.

        Example:
            >>> import ember
            >>> ember.zeros(2, 3).size(-1)
            3
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        """The number of dimensions.

        Example:
            >>> import ember
            >>> ember.zeros(2, 3).dim()
            2
        """
        return self._data.ndim

    ndimension = dim

    def numel(self):
        """The number of elements.

        Example:
            >>> import ember
            >>> ember.zeros(2, 3).numel()
            6
        """
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        t = self.detach()
        t._version = [0, None]  # as torch: changes made through .data are not tracked by autograd
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data, self._be, self._device, self.dtype = value._data, value._be, value._device, value.dtype

    @property
    def grad(self):
        return getattr(self, "_grad", None)

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {tuple(value.shape)} vs {tuple(self.shape)}")
            if value._device != self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: {value._device} vs {self._device}")
        self._grad = value

    @property
    def is_sparse(self):
        return False

    @property
    def layout(self):
        from ._runtime import strided

        return strided

    @property
    def itemsize(self):
        return self.dtype.itemsize

    def element_size(self):
        """Bytes per element.

        Example:
            >>> import ember
            >>> ember.zeros(1, dtype=ember.float64).element_size()
            8
        """
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    def is_floating_point(self):
        """Whether the dtype is a floating point type.

        Example:
            >>> import ember
            >>> ember.zeros(1).is_floating_point(), ember.arange(2).is_floating_point()
            (True, False)
        """
        return self.dtype.category == 2

    def is_complex(self):
        """Whether the dtype is complex.

        Example:
            >>> import ember
            >>> ember.zeros(1).is_complex()
            False
        """
        return self.dtype.category == 3

    def is_contiguous(self, memory_format=None):
        """Whether the elements are laid out contiguously in row-major order.

        Example:
            >>> import ember
            >>> x = ember.zeros(2, 3); x.is_contiguous(), x.t().is_contiguous()
            (True, False)
        """
        return self._be.is_contiguous(self._data)

    def pin_memory(self, device=None):
        """A copy in page-locked host memory for faster transfers (CPU tensors are returned as they are).

        Example:
            >>> import ember
            >>> ember.ones(2).pin_memory().is_pinned()
            False
        """
        return self

    def is_pinned(self, device=None):
        """Whether the tensor lives in page-locked host memory (never, for numpy-backed tensors).

        Example:
            >>> import ember
            >>> ember.ones(2).is_pinned()
            False
        """
        return False

    def get_device(self):
        """The device index, or -1 for a device without index (the CPU).

        Example:
            >>> import ember
            >>> ember.zeros(1).get_device()
            -1
        """
        return -1 if self._device.index is None else self._device.index

    # --- autograd -----------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (leaf tensors only) and return self.

        Example:
            >>> import ember
            >>> ember.zeros(2).requires_grad_().requires_grad
            True
        """
        if requires_grad and self.dtype.category < 2:
            raise RuntimeError(f"only Tensors of floating point and complex dtype can require gradients (got {self.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

        Example:
            >>> import ember
            >>> x = ember.tensor(3.0, requires_grad=True)
            >>> (x ** 2).backward(); x.grad
            tensor(6.)
        """
        _run_backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a replacement.

        Example:
            >>> import ember
            >>> x = ember.ones(2, requires_grad=True)
            >>> h = x.register_hook(lambda g: g * 10)
            >>> x.sum().backward(); x.grad
            tensor([10., 10.])
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self.__dict__.setdefault("_leaf_hooks", {})
        else:
            hooks = self.grad_fn.__dict__.setdefault("_out_hooks", {}).setdefault(self._idx(), {})
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated.

        Example:
            >>> import ember
            >>> seen = []
            >>> x = ember.ones(2, requires_grad=True)
            >>> h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.sum().item()))
            >>> x.sum().backward(); seen
            [2.0]
        """
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        return RemovableHandle(self.__dict__.setdefault("_post_hooks", {}), hook)

    def retain_grad(self):
        """Keep the gradient of a non-leaf tensor in ``.grad`` after backward.

        Example:
            >>> import ember
            >>> x = ember.ones(2, requires_grad=True); y = x * 3; y.retain_grad()
            >>> y.sum().backward(); y.grad
            tensor([1., 1.])
        """
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.__dict__.get("_retains"):
            return
        import weakref

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                t._grad = grad.detach() if t.grad is None else t.grad + grad.detach()

        keep.retains_grad = True  # the engine runs it after the tensor's other hooks, as torch does
        self.register_hook(keep)
        self.__dict__["_retains"] = True

    @property
    def retains_grad(self):
        return bool(self.__dict__.get("_retains"))

    def _idx(self):
        return getattr(self, "_out_idx", 0)

    def detach(self):
        """A tensor sharing this one's data, cut from the graph.

        Example:
            >>> import ember
            >>> ember.ones(1, requires_grad=True).detach().requires_grad
            False
        """
        t = _make(self._data, self._be, self._device, self.dtype)
        t._version = self._version
        return t

    def detach_(self):
        """Cut this tensor from the graph in place and return it.

        Example:
            >>> import ember
            >>> y = ember.ones(1, requires_grad=True) * 2; y.detach_().requires_grad
            False
        """
        self.grad_fn = None
        self.requires_grad = False
        return self

    # --- conversion -----------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number.

        Example:
            >>> import ember
            >>> ember.tensor([2.5]).item()
            2.5
        """
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        """The tensor as (nested) Python lists of numbers.

        Example:
            >>> import ember
            >>> ember.arange(3).tolist()
            [0, 1, 2]
        """
        return self._host().tolist()

    def _host(self):
        return self._be.to_host(self._data)

    def numpy(self, *, force=False):
        """A numpy array sharing memory with a CPU tensor.

        Example:
            >>> import ember
            >>> ember.ones(2).numpy()
            array([1., 1.], dtype=float32)
        """
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu" and not force:
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._host()

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = self._host()
        return a if dtype is None else a.astype(dtype)

    def __dlpack__(self, *args, **kwargs):
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __array_namespace__(self, api_version=None):
        import ember

        return ember

    def to_device(self, device, /, *, stream=None):
        """The array API spelling of ``self.to(device)``.

        Example:
            >>> import ember
            >>> ember.zeros(1).to_device("cpu").device
            device(type='cpu')
        """
        return self.to(device)

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype.category > 1 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        from ._repr import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __reduce_ex__(self, proto):
        # DataLoader workers and multiprocessing send tensors as host arrays
        return (_rebuild, (self._host().copy(), self.dtype.name, str(self._device), self.requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment")
        t = _make(self._be.copy(self._data), self._be, self._device, self.dtype)
        t.requires_grad = self.requires_grad
        if self.grad is not None:
            t._grad = self.grad.__deepcopy__(memo)
        if type(self) is not Tensor:
            t = type(self)._wrap_like(t, self)
        memo[id(self)] = t
        return t


def _rebuild(array, dtype_name, dev, requires_grad):
    from ._creation import tensor

    return tensor(array, dtype=_dtype.to_dtype(dtype_name), device=dev, requires_grad=requires_grad)


def _wrap_dim(dim, ndim, op="op"):
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, getattr(t, "_out_idx", 0))
    if t.requires_grad:
        return (t, 0)
    return None


def check_same_device(op_name, tensors):
    devs = []
    for t in tensors:
        if t._device not in devs:
            devs.append(t._device)
    raise RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{devs[0]} and {devs[1]}! (when checking arguments for {op_name})"
    )


_tracer = None
"""While ``ember.jit`` traces, an object whose ``record(op, inputs, args, outputs)`` sees every primitive call
and whose ``assigned(tensor, value)`` sees every in-place write; None otherwise (one global read per op)."""
_profiler = None  # ember.profiler's op hook while a profiler records (see ember.profiler._events)


def apply(op, inputs, *args):
    """Run primitive ``op`` on tensors ``inputs`` (plus non-tensor ``args``) and record it."""
    if _profiler is not None:
        return _profiler(op, inputs, args)
    a = inputs[0]
    be = a._be
    dev = a._device
    for t in inputs:
        if t._device is not dev and t._device != dev:
            check_same_device(op.__name__.lower(), inputs)
    node = op()
    forward = (be.kernels.get(op.__name__) or op.forward) if be.kernels else op.forward
    n = len(inputs)
    try:
        if n == 2:  # the common cases without building an argument list
            out = forward(node, be, a._data, inputs[1]._data, *args)
        elif n == 1:
            out = forward(node, be, a._data, *args)
        else:
            out = forward(node, be, *[t._data for t in inputs], *args)
    except ValueError as exc:  # the namespace's broadcasting error becomes torch's
        mismatch = _broadcast_mismatch(inputs) if "broadcast" in str(exc) else None
        if mismatch is None:
            raise
        raise RuntimeError(mismatch) from exc
    if op.transfer:
        be, dev = node.dest
    record = False
    if _state.grad_enabled:
        for t in inputs:
            if t.requires_grad:
                record = True
                break
    if type(out) is tuple:
        results = _finish_multi(node, op, inputs, out, be, dev, record)
        if _tracer is not None:
            _tracer.record(op, inputs, args, results)
        return results
    res = _make(out, be, dev, be.dtype_of(out))
    if op.view:
        res._version = a._version
        base = getattr(a, "_base", None)
        base = res._base = a if base is None else base
        if record and base.grad_fn is not None:  # an in-place write through another view rebases this one
            _views_of(base).add(res)
    if record and res.dtype.category >= 2:
        _record(node, op, inputs)
        res.requires_grad = True
        res.grad_fn = node
        res._out_idx = 0
        if op.save_output:
            node._out = (out, be, dev, res.dtype, res._version, res._version[0])
        if _state.saved_hooks is not None:
            node._pack_saved(res)
    if _tracer is not None:
        _tracer.record(op, inputs, args, (res,))
    return res


def _broadcast_mismatch(inputs):
    """torch's message for the first two inputs whose shapes do not broadcast, or None when they all do.

    Example:
        >>> import ember
        >>> _broadcast_mismatch((ember.ones(2, 3), ember.ones(4, 3)))
        'The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0'
    """
    shapes = [tuple(t.shape) for t in inputs]
    for i, sa in enumerate(shapes):
        for sb in shapes[i + 1:]:
            ndim = max(len(sa), len(sb))
            for d in range(ndim - 1, -1, -1):  # torch scans from the last dimension
                x = sa[d - ndim + len(sa)] if d - ndim + len(sa) >= 0 else 1
                y = sb[d - ndim + len(sb)] if d - ndim + len(sb) >= 0 else 1
                if x != y and x != 1 and y != 1:
                    return (f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                            f"dimension {d}")
    return None


def _record(node, op, inputs):
    node.next = tuple([_edge(t) for t in inputs])
    node.seq = next(_seq)
    node.released = False
    if op.save_inputs:
        node.inputs = inputs
        node._versions = tuple([t._version[0] for t in inputs])
    if _state.anomaly:
        node.trace = anomaly_trace()


def _views_of(base):
    """The live views of a non-leaf ``base`` recorded in a graph (a weak set kept on the base)."""
    views = base.__dict__.get("_views")
    if views is None:
        views = base.__dict__["_views"] = weakref.WeakSet()
    return views


def _finish_multi(node, op, inputs, outs, be, dev, record):
    results = tuple(_make(o, be, dev, be.dtype_of(o)) for o in outs)
    if op.view:
        a = inputs[0]
        base = getattr(a, "_base", None)
        base = a if base is None else base
        for r in results:
            r._version = a._version
            r._base = base
            if record and base.grad_fn is not None:
                _views_of(base).add(r)
    if record:
        _record(node, op, inputs)
        node.n_outputs = len(results)
        for i, r in enumerate(results):
            if i not in op.nondiff_outputs and r.dtype.category >= 2:
                r.requires_grad = True
                r.grad_fn = node
                r._out_idx = i
        if _state.saved_hooks is not None:
            node._pack_saved(None)
    return results
