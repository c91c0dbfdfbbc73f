"""Top-level torch names that ordinary scripts use, composed from Ember's existing ops.

Exception classes (``OutOfMemoryError``, ``AcceleratorError``), deprecated spellings
(``range``, ``set_default_tensor_type``), numerics (``gradient``, ``svd_lowrank``, ``pca_lowrank``), creation
(``frombuffer``, ``empty_permuted``) and functional/``unsafe_`` aliases of tensor methods. Everything is a
composition, so gradients come from the ops used.

Example:
    >>> import ember
    >>> ember.gradient(ember.tensor([1.0, 4.0, 9.0, 16.0]))
    (tensor([3., 4., 6., 7.]),)
"""

from __future__ import annotations

import builtins
import math
import numbers
import warnings

from . import _dtype
from ._tensor import Tensor
from .ops._registry import export

__all__ = ["OutOfMemoryError", "AcceleratorError"]


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (torch's ``torch.OutOfMemoryError``, a RuntimeError).

    Example:
        >>> import ember
        >>> issubclass(ember.OutOfMemoryError, RuntimeError)
        True
    """


class AcceleratorError(RuntimeError):
    """Raised for errors reported by an accelerator runtime (torch's ``torch.AcceleratorError``).

    Example:
        >>> import ember
        >>> issubclass(ember.AcceleratorError, RuntimeError)
        True
    """


for _cls in (OutOfMemoryError, AcceleratorError):
    _cls.__module__ = "ember"




# --- deprecated spellings ----------------------------------------------------------------------------------
_FLOAT_TYPE_NAMES = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16,
                     "BFloat16Tensor": _dtype.bfloat16}


@export(method=False)
def set_default_tensor_type(t, /):
    """Deprecated: set the default floating dtype (and device, for ``"ember.cuda.FloatTensor"``) from a legacy type.

    ``t`` is a legacy type (``ember.DoubleTensor``) or its name (``"torch.DoubleTensor"``,
    ``"ember.cuda.FloatTensor"``). Only floating types are allowed (TypeError otherwise), as in torch.

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.set_default_tensor_type(ember.DoubleTensor)
        >>> ember.tensor([1.0]).dtype
        ember.float64
        >>> ember.set_default_dtype(ember.float32)
    """
    import ember

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        device_type = "cuda" if module.endswith("cuda") else "cpu"
        if module not in ("torch", "ember", "torch.cuda", "ember.cuda"):
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        if name not in _FLOAT_TYPE_NAMES and not hasattr(ember, name):
            raise AttributeError(f"module 'ember' has no attribute '{name}'")
        if device_type == "cuda" and not ember.cuda.is_available():
            raise TypeError(f"type {t} not available. Ember has no usable 'cuda' backend.")
        dtype = _FLOAT_TYPE_NAMES.get(name)
    else:
        device_type = getattr(t, "device_type", None)
        dtype = _FLOAT_TYPE_NAMES.get(getattr(t, "__name__", None)) if device_type is not None else None
        if device_type is None:
            raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if dtype is None:
        raise TypeError("only floating-point types are supported as the default type")
    ember.set_default_dtype(dtype)
    if device_type == "cuda" or str(ember.get_default_device()).startswith("cuda"):
        ember.set_default_device(device_type)


_RANGE_WARNING = ("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).")


@export(method=False)
def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Deprecated: ``start, start + step, ...`` up to and *including* ``end`` (UserWarning; use ``arange``).

    The result has the default floating dtype unless ``dtype`` is given, whatever the argument types.

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.range(1, 4)
        tensor([1., 2., 3., 4.])
    """
    from ._creation import arange

    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=2)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dtype = dtype or _dtype.get_default_dtype()
    count = int(math.floor((end - start) / step)) + 1
    # positions in float64 as torch's accumulate type, then one cast to the requested dtype
    values = (arange(count, dtype=_dtype.float64, device=device) * step + start).to(dtype)
    if out is not None:
        return out.resize_(values.shape).copy_(values)
    return values.requires_grad_(requires_grad) if requires_grad else values


# --- numerics ------------------------------------------------------------------------------------------------
def _dims_of(input, dim):
    from .ops._util import wrap_dim

    if dim is None:
        return list(builtins.range(input.ndim))
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    dims = [wrap_dim(d, input.ndim) for d in dims]
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


def _spacings_of(input, spacing, dims, dim_given):
    if isinstance(spacing, (numbers.Number, Tensor)) and not (isinstance(spacing, Tensor) and spacing.ndim > 0):
        return [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    spacing = [h.item() if isinstance(h, Tensor) and h.ndim == 0 else h for h in spacing]
    if len(spacing) != len(dims):
        if dim_given:
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               "arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                           f"'self.dim() = {input.ndim}', since dim argument was not given, but got a list of length "
                           f"{len(spacing)}")
    return spacing


def _along(t, d, ndim):
    """A 1-D tensor shaped to broadcast along dim ``d`` of an ``ndim``-D tensor."""
    shape = [1] * ndim
    shape[d] = t.shape[0]
    return t.reshape(shape)


def _gradient_along(f, d, h, edge_order):
    """Second-order central differences along ``d``, with one-sided edges of order ``edge_order``."""
    from .ops.join import cat

    n, nd = f.shape[d], f.ndim

    def at(start, length):
        return f.narrow(d, start % n, length)

    if isinstance(h, Tensor):  # coordinates: non-uniform steps
        x = h if h.dtype.is_floating_point else h.to(_dtype.get_default_dtype())
        dx = x[1:] - x[:-1]
        h1, h2 = _along(dx[:-1], d, nd), _along(dx[1:], d, nd)
        interior = (h1 * h1 * at(2, n - 2) - h2 * h2 * at(0, n - 2) + (h2 * h2 - h1 * h1) * at(1, n - 2)) / (
            h1 * h2 * (h1 + h2))
        a, b, c, z = (dx[i].item() for i in (0, 1, -2, -1))
    else:
        interior = (at(2, n - 2) - at(0, n - 2)) / (2 * h)
        a = b = c = z = h
    if edge_order == 1:
        first = (at(1, 1) - at(0, 1)) / a
        last = (at(-1, 1) - at(-2, 1)) / z
    else:  # three-point one-sided stencils on steps (a, b) at the start and (c, z) at the end
        first = (-(2 * a + b) / (a * (a + b)) * at(0, 1) + (a + b) / (a * b) * at(1, 1)
                 - a / (b * (a + b)) * at(2, 1))
        last = (z / (c * (c + z)) * at(-3, 1) - (c + z) / (c * z) * at(-2, 1)
                + (2 * z + c) / (z * (c + z)) * at(-1, 1))
    return cat([first, interior, last], dim=d)


@export(method=False)
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the gradient of a sampled function along dims by central differences (numpy's ``gradient``).

    ``spacing`` is a scalar step, a list of scalar steps, or a list of 1-D coordinate tensors, one per dim in
    ``dim`` (default: every dim). The interior is second-order accurate; the edges use one-sided differences
    of order ``edge_order`` (1 or 2). Returns a tuple with one tensor per dim.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]])
        >>> ember.gradient(x, spacing=2.0, dim=1)
        (tensor([[0.5000, 0.7500, 1.0000],
                [1.5000, 1.7500, 2.0000]]),)
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims_of(input, dim)
    spacings = _spacings_of(input, spacing, dims, dim is not None)
    if any(input.shape[d] < edge_order + 1 for d in dims):
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        input = input.to(_dtype.get_default_dtype())
    return tuple(_gradient_along(input, d, h, edge_order) for d, h in zip(dims, spacings))


def _floating(dtype):
    return dtype if dtype in (_dtype.float16, _dtype.float32, _dtype.float64) or dtype.is_complex else _dtype.float32


def _approximate_basis(A, q, niter, M):
    """An orthonormal basis ``Q`` of A's range from ``q`` Gaussian probes and ``niter`` power iterations."""
    from . import linalg
    from ._random import randn

    def product(X, by_adjoint=False):
        left = (A.mH if by_adjoint else A) @ X
        return left if M is None else left - (M.mH if by_adjoint else M) @ X

    Q = linalg.qr(product(randn(A.shape[-1], q, dtype=_floating(A.dtype), device=A.device))).Q
    for _ in builtins.range(niter):
        Q = linalg.qr(product(Q, by_adjoint=True)).Q
        Q = linalg.qr(product(Q)).Q
    return Q


@export(method=False)
def svd_lowrank(A, q=6, niter=2, M=None):
    """Randomized truncated SVD ``(U, S, V)`` of ``A`` (or ``A - M``) of rank ``q`` (Halko et al. 2009, alg. 5.1).

    Draws one ``randn(n, q)`` probe, so results equal torch's after the same ``manual_seed``.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> A = ember.randn(5, 2, dtype=ember.float64) @ ember.randn(2, 4, dtype=ember.float64)
        >>> U, S, V = ember.svd_lowrank(A, q=2)
        >>> ember.allclose(U @ ember.diag(S) @ V.mT, A)
        True
    """
    from . import linalg

    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A, M = A.mH, None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mH
    return (V, S, U) if m < n else (U, S, V)


@export(method=False)
def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of ``A`` (``m`` samples by ``n`` features): ``svd_lowrank`` of the centred matrix.

    ``V``'s columns are the principal directions; ``S ** 2 / (m - 1)`` the variances. ``q`` defaults to
    ``min(6, m, n)``.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> X = ember.randn(50, 1, dtype=ember.float64) * ember.tensor([[3.0, 4.0]], dtype=ember.float64)
        >>> U, S, V = ember.pca_lowrank(X, q=1)
        >>> round(abs(V[0, 0].item()), 4), round(abs(V[1, 0].item()), 4)
        (0.6, 0.8)
    """
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=-2, keepdim=True)
    return svd_lowrank(A, q, niter=niter)


# --- creation ------------------------------------------------------------------------------------------------
@export(method=False)
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D CPU tensor over the memory of an object with the buffer protocol (shared, not copied).

    ``offset`` skips bytes; ``count`` elements are read (-1: all that remain). A read-only buffer gives a
    UserWarning, as in torch: the tensor still aliases it.

    Example:
        >>> import ember, array
        >>> data = array.array("f", [1.0, 2.0, 3.0])
        >>> t = ember.frombuffer(data, dtype=ember.float32, count=2, offset=4); t
        tensor([2., 3.])
        >>> data[1] = 7.0; t
        tensor([7., 3.])
    """
    import numpy as np

    from ._creation import from_numpy

    size = memoryview(buffer).nbytes
    itemsize = dtype.itemsize
    if size == 0 or count == 0:
        raise ValueError(f"both buffer length ({size}) and count ({count}) must not be 0")
    if not 0 <= offset < size:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length ({size} "
                         "bytes) minus 1")
    if count < 0:
        if (size - offset) % itemsize:
            raise ValueError(f"buffer length ({size - offset} bytes) after offset ({offset} bytes) must be a multiple "
                             f"of element size ({itemsize})")
        count = (size - offset) // itemsize
    elif offset + count * itemsize > size:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({size} bytes)")
    array = np.frombuffer(buffer, dtype=np.dtype(dtype.name), count=count, offset=offset)
    if not array.flags.writeable:
        warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. This "
                      "means you can write to the underlying (supposedly non-writable) buffer using the tensor. You "
                      "may want to copy the buffer to protect its data or make it writable before converting it to a "
                      "tensor.", UserWarning, stacklevel=2)
        array = array.view()
        array.flags.writeable = False
    t = from_numpy(array)
    return t.requires_grad_() if requires_grad else t


@export(method=False)
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of shape ``size`` whose dims lie in memory in the order ``physical_layout``.

    ``physical_layout[0]`` is the outermost (largest-stride) dim, so ``(0, 2, 3, 1)`` gives channels-last NCHW.

    Example:
        >>> import ember
        >>> x = ember.empty_permuted((2, 3, 4), (0, 2, 1))
        >>> x.shape, x.stride()
        (ember.Size([2, 3, 4]), (12, 1, 3))
    """
    from ._creation import empty

    size, physical_layout = tuple(size), tuple(physical_layout)
    if len(size) != len(physical_layout):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(physical_layout)}")
    if sorted(physical_layout) != list(builtins.range(len(size))):
        raise RuntimeError("Duplicate dim not allowed")
    physical = empty([size[d] for d in physical_layout], dtype=dtype, device=device)
    t = physical.permute([physical_layout.index(d) for d in builtins.range(len(size))])
    return t.requires_grad_() if requires_grad else t


# --- functional forms and aliases of tensor methods ------------------------------------------------------------
@export()
def is_distributed(input):
    """False: Ember tensors are never distributed across processes.

    Example:
        >>> import ember
        >>> ember.is_distributed(ember.zeros(1))
        False
    """
    return False


@export()
def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero(input)`` padded with ``fill_value`` rows (or truncated) to exactly ``size`` rows.

    Example:
        >>> import ember
        >>> ember.nonzero_static(ember.tensor([0, 3, 0, 5]), size=3)
        tensor([[ 1],
                [ 3],
                [-1]])
    """
    from ._creation import full
    from .ops.join import cat

    if not isinstance(size, numbers.Integral):
        raise TypeError(f"nonzero_static(): argument 'size' must be int, not {type(size).__name__}")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = input.nonzero()
    if found.shape[0] >= size:
        return found[:size]
    padding = full((size - found.shape[0], input.ndim), fill_value, dtype=found.dtype, device=found.device)
    return cat([found, padding])


@export("index_put_", method=False)
def index_put_(input, indices, values, accumulate=False):
    """Functional spelling of :meth:`Tensor.index_put_`: write (or add) ``values`` at ``indices`` in place.

    Example:
        >>> import ember
        >>> x = ember.zeros(3)
        >>> ember.index_put_(x, (ember.tensor([0, 2]),), ember.tensor([1.0, 2.0]))
        tensor([1., 0., 2.])
    """
    return input.index_put_(indices, values, accumulate)


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


@export(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce slices of ``source`` into ``input`` at the positions ``index`` along ``dim``.

    ``reduce`` is ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``; ``include_self`` says whether ``input``'s own
    values take part. Composed from ``scatter_reduce`` with ``index`` expanded over the other dims.

    Example:
        >>> import ember
        >>> x = ember.full((3,), 2.0)
        >>> ember.index_reduce(x, 0, ember.tensor([0, 0, 2]), ember.tensor([1.0, 3.0, 5.0]), "amax")
        tensor([3., 2., 5.])
    """
    from .ops._util import wrap_dim

    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got a {index.ndim}-D tensor")
    dim = wrap_dim(dim, input.ndim)
    if source.ndim and source.shape[dim] != index.numel():
        raise IndexError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                         f"source.size(dim) ({source.shape[dim]})")
    expanded = _along(index.reshape(-1), dim, source.ndim).expand(source.shape) if source.ndim else index.reshape(())
    return input.scatter_reduce(dim, expanded, source, reduce, include_self=include_self)


@export()
def unsafe_chunk(input, chunks, dim=0):
    """:func:`chunk` (Ember's chunks are ordinary views; torch's "unsafe" only skips autograd's view checks).

    Example:
        >>> import ember
        >>> ember.unsafe_chunk(ember.arange(5), 2)
        (tensor([0, 1, 2]), tensor([3, 4]))
    """
    return input.chunk(chunks, dim)


@export()
def unsafe_split(input, split_size, dim=0):
    """:func:`split` into pieces of ``split_size`` (an int, as in torch).

    Example:
        >>> import ember
        >>> ember.unsafe_split(ember.arange(5), 2)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    """
    if not isinstance(split_size, numbers.Integral):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    return input.split(split_size, dim)


@export()
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """:func:`split_with_sizes`: pieces of the given sizes.

    Example:
        >>> import ember
        >>> ember.unsafe_split_with_sizes(ember.arange(5), [1, 4])
        (tensor([0]), tensor([1, 2, 3, 4]))
    """
    return input.split_with_sizes(split_sizes, dim)
