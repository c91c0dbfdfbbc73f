"""``ember.fft``: discrete Fourier transforms with gradients, like ``torch.fft``.

Forward passes use the array API FFT extension of the device's namespace (``numpy.fft``,
``cupy.fft``, ``array_api_strict.fft``). Three primitives do the work - complex-to-complex,
real-to-complex and complex-to-real - and each one's backward is another transform (the
adjoint), written in Ember ops so double backward works. Everything else is composed.

``norm`` is ``"backward"`` (default: no scaling forward, ``1/n`` on the inverse), ``"ortho"``
(``1/sqrt(n)`` both ways) or ``"forward"`` (``1/n`` forward, none on the inverse).

Example:
    >>> import ember
    >>> ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j])
"""

from __future__ import annotations

from . import _dtype
from ._tensor import apply
from .autograd.node import Op
from .ops._util import cast, wrap_dim, wrap_dims

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
    "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX_OF = {"float16": _dtype.complex64, "float32": _dtype.complex64, "float64": _dtype.complex128}


# --- primitives ---------------------------------------------------------------------------------
class ToComplex(Op):
    """A real tensor as complex (zero imaginary part); the gradient is the real part."""

    def forward(self, be, a, dtype):
        return be.xp.astype(a, be.native_dtype(dtype))

    def backward(self, g):
        from .ops.elementwise import real

        return (real(g),)


class FFTC2C(Op):
    """``fftn`` (or ``ifftn`` when ``inverse``) over ``dims``; the adjoint is the other one with the dual norm."""

    def forward(self, be, a, dims, norm, inverse):
        self.dims, self.norm, self.inverse = dims, norm, inverse
        fft = be.xp.fft
        if len(dims) == 1:
            return (fft.ifft if inverse else fft.fft)(a, axis=dims[0], norm=norm)
        return (fft.ifftn if inverse else fft.fftn)(a, axes=dims, norm=norm)

    def backward(self, g):
        return (apply(FFTC2C, (g,), self.dims, _DUAL[self.norm], not self.inverse),)

    def name(self):
        return "FftC2CBackward0"


def _mirror_weights(n, mirrored, like, dim):
    """``(m, 1, ...)`` weights over the ``m = n // 2 + 1`` one-sided bins: 1 for the DC bin (and the Nyquist
    bin when ``n`` is even, which have no mirror image), ``mirrored`` for the others."""
    from ._creation import tensor

    m = n // 2 + 1
    weight = [1.0] + [mirrored] * (m - 1)
    if n % 2 == 0:
        weight[-1] = 1.0
    return tensor(weight, dtype=like.dtype, device=like.device).reshape((m,) + (1,) * (like.ndim - 1 - dim))


class FFTR2C(Op):
    """One-sided ``rfft`` along ``dim``.

    The adjoint is ``Re(ifft(zero-filled g))``, computed as an ``irfft`` of ``g`` with the mirrored bins
    halved (``irfft`` counts them twice) - half the work of a full complex transform.
    """

    def forward(self, be, a, dim, norm):
        self.dim, self.norm, self.n = dim, norm, a.shape[dim]
        return be.xp.fft.rfft(a, axis=dim, norm=norm)

    def backward(self, g):
        g = g * _mirror_weights(self.n, 0.5, g, self.dim)
        return (apply(FFTC2R, (g,), self.dim, self.n, _DUAL[self.norm]),)

    def name(self):
        return "FftR2CBackward0"


class FFTC2R(Op):
    """``irfft`` along ``dim`` to ``n`` points; the adjoint is ``rfft`` with mirrored bins counted twice."""

    def forward(self, be, a, dim, n, norm):
        self.dim, self.n, self.norm = dim, n, norm
        return be.xp.fft.irfft(a, n=n, axis=dim, norm=norm)

    def backward(self, g):
        return (apply(FFTR2C, (g,), self.dim, _DUAL[self.norm]) * _mirror_weights(self.n, 2.0, g, self.dim),)

    def name(self):
        return "FftC2RBackward0"


# --- argument handling ---------------------------------------------------------------------------
def _norm(norm, op):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'{op}: Invalid normalization mode: "{norm}" (expected "backward", "ortho" or "forward")')
    return norm


def _real_float(x, op):
    if x.is_complex():
        raise RuntimeError(f"{op} expects a real input tensor, but got {x.dtype}")
    return cast(x, _dtype.get_default_dtype()) if x.dtype.category < 2 else x


def _complex(x):
    """``x`` as a complex tensor (integers go through the default float type first)."""
    if x.is_complex():
        return x
    x = _real_float(x, "fft")
    return apply(ToComplex, (x,), _COMPLEX_OF[x.dtype.name])


def _resize(x, dims, sizes):
    """``x`` cut or zero-padded at the end of each of ``dims`` to ``sizes``."""
    from .ops.join import cat
    from ._creation import zeros

    for d, n in zip(dims, sizes):
        have = x.shape[d]
        if n < have:
            x = x.narrow(d, 0, n)
        elif n > have:
            shape = list(x.shape)
            shape[d] = n - have
            x = cat([x, zeros(shape, dtype=x.dtype, device=x.device)], d)
    return x


def _dims_sizes(x, s, dim, op):
    """Normalised ``(dims, sizes)`` for the n-dimensional transforms (``s`` and ``dim`` as in torch)."""
    if dim is None:
        dims = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else tuple(range(x.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(wrap_dim(d, x.ndim, op) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dims must be unique, got {dims}")
    if s is None:
        return dims, None
    s = tuple(s)
    if len(s) != len(dims):
        raise RuntimeError(f"{op}: When given, dim and shape arguments must have the same length (got s={s}, dim={dims})")
    sizes = tuple(x.shape[d] if n == -1 else n for d, n in zip(dims, s))
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"{op}: Invalid number of data points ({n}) specified")
    return dims, sizes


def _one(x, n, dim, op):
    d = wrap_dim(dim, x.ndim, op)
    if n is not None and n < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({n}) specified")
    return d, n


# --- complex-to-complex ------------------------------------------------------------------------
def _c2c(x, dims, sizes, norm, inverse, op):
    norm = _norm(norm, op)
    x = _complex(x)
    if sizes is not None:
        x = _resize(x, dims, sizes)
    if not dims:
        return x
    return apply(FFTC2C, (x,), dims, norm, inverse)


def fft(input, n=None, dim=-1, norm=None):
    """The one-dimensional discrete Fourier transform along ``dim`` (cut or zero-padded to ``n``).

    Example:
        >>> import ember
        >>> ember.fft.fft(ember.tensor([1.0, 0.0, 0.0, 0.0]))
        tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    d, n = _one(input, n, dim, "fft_fft")
    return _c2c(input, (d,), None if n is None else (n,), norm, False, "fft_fft")


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`fft`.

    Example:
        >>> import ember
        >>> ember.real(ember.fft.ifft(ember.fft.fft(ember.tensor([1.0, 2.0]))))
        tensor([1., 2.])
    """
    d, n = _one(input, n, dim, "fft_ifft")
    return _c2c(input, (d,), None if n is None else (n,), norm, True, "fft_ifft")


def fftn(input, s=None, dim=None, norm=None):
    """The n-dimensional discrete Fourier transform over ``dim`` (all dims by default).

    Example:
        >>> import ember
        >>> ember.fft.fftn(ember.ones(2, 2))
        tensor([[4.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]])
    """
    dims, sizes = _dims_sizes(input, s, dim, "fft_fftn")
    return _c2c(input, dims, sizes, norm, False, "fft_fftn")


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`fftn`.

    Example:
        >>> import ember
        >>> ember.real(ember.fft.ifftn(ember.fft.fftn(ember.eye(2))))
        tensor([[1., 0.],
                [0., 1.]])
    """
    dims, sizes = _dims_sizes(input, s, dim, "fft_ifftn")
    return _c2c(input, dims, sizes, norm, True, "fft_ifftn")


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """The two-dimensional discrete Fourier transform (:func:`fftn` over the last two dims).

    Example:
        >>> import ember
        >>> ember.fft.fft2(ember.ones(2, 2))[0, 0]
        tensor(4.+0.j)
    """
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """The inverse of :func:`fft2`.

    Example:
        >>> import ember
        >>> ember.real(ember.fft.ifft2(ember.fft.fft2(ember.ones(2, 2))))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return ifftn(input, s, dim, norm)


# --- real-to-complex and back ------------------------------------------------------------------
def rfft(input, n=None, dim=-1, norm=None):
    """The one-sided Fourier transform of a real signal: the ``n // 2 + 1`` non-negative frequencies.

    Example:
        >>> import ember
        >>> ember.fft.rfft(ember.tensor([1.0, 1.0, 1.0, 1.0]))
        tensor([4.+0.j, 0.+0.j, 0.+0.j])
    """
    return rfftn(input, None if n is None else (n,), (dim,), norm)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`rfft`: ``n`` real points (default ``2 * (m - 1)`` from ``m`` bins).

    Example:
        >>> import ember
        >>> ember.fft.irfft(ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0])), n=3)
        tensor([1., 2., 3.])
    """
    return irfftn(input, None if n is None else (n,), (dim,), norm)


def rfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional transform of a real signal, one-sided along the last of ``dim``.

    Example:
        >>> import ember
        >>> ember.fft.rfftn(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    op = "fft_rfftn"
    norm = _norm(norm, op)
    x = _real_float(input, op)
    dims, sizes = _dims_sizes(x, s, dim, op)
    if sizes is not None:
        x = _resize(x, dims, sizes)
    if not dims:
        return _complex(x)
    out = apply(FFTR2C, (x,), dims[-1], norm)
    return apply(FFTC2C, (out,), dims[:-1], norm, False) if len(dims) > 1 else out


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`rfftn`: real output, ``s[-1]`` points along the last of ``dim``.

    Example:
        >>> import ember
        >>> ember.fft.irfftn(ember.fft.rfftn(ember.eye(2)))
        tensor([[1., 0.],
                [0., 1.]])
    """
    op = "fft_irfftn"
    norm = _norm(norm, op)
    x = _complex(input)
    dims, sizes = _dims_sizes(x, s, dim, op)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    last = sizes[-1] if sizes is not None else 2 * (x.shape[dims[-1]] - 1)
    if last < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({last}) specified")
    if sizes is not None:
        x = _resize(x, dims, sizes[:-1] + (last // 2 + 1,))
    else:
        x = _resize(x, dims[-1:], (last // 2 + 1,))
    if len(dims) > 1:
        x = apply(FFTC2C, (x,), dims[:-1], norm, True)
    return apply(FFTC2R, (x,), dims[-1], last, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`rfftn` over the last two dims.

    Example:
        >>> import ember
        >>> ember.fft.rfft2(ember.ones(2, 4))[0, 0]
        tensor(8.+0.j)
    """
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`irfftn` over the last two dims.

    Example:
        >>> import ember
        >>> ember.fft.irfft2(ember.fft.rfft2(ember.ones(2, 4)))
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
    return irfftn(input, s, dim, norm)


def hfft(input, n=None, dim=-1, norm=None):
    """The transform of a Hermitian-symmetric signal given by its one-sided half: a real spectrum.

    Example:
        >>> import ember
        >>> ember.fft.hfft(ember.tensor([1.0, 0.0, 0.0]))
        tensor([1., 1., 1., 1.])
    """
    from .ops.elementwise import conj

    return irfft(conj(_complex(input)), n, dim, _DUAL[_norm(norm, "fft_hfft")])


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`hfft`: the one-sided half of the inverse transform of a real signal.

    Example:
        >>> import ember
        >>> ember.fft.ihfft(ember.tensor([1.0, 1.0, 1.0, 1.0]))
        tensor([1.-0.j, 0.-0.j, 0.-0.j])
    """
    from .ops.elementwise import conj

    return conj(rfft(input, n, dim, _DUAL[_norm(norm, "fft_ihfft")]))


def hfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional :func:`hfft`: a Hermitian signal given by its one-sided half along the last of ``dim``
    transformed to a real spectrum (``s[-1]`` points along that dim, default ``2 * (m - 1)``).

    Example:
        >>> import ember
        >>> ember.fft.hfftn(ember.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
    from .ops.elementwise import conj

    return irfftn(conj(_complex(input)), s, dim, _DUAL[_norm(norm, "fft_hfftn")])


def ihfftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`hfftn`: the one-sided half (along the last of ``dim``) of the inverse transform
    of a real signal.

    Example:
        >>> import ember
        >>> ember.fft.ihfftn(ember.ones(2, 4))
        tensor([[1.-0.j, 0.-0.j, 0.-0.j],
                [0.-0.j, 0.-0.j, 0.-0.j]])
    """
    from .ops.elementwise import conj

    return conj(rfftn(input, s, dim, _DUAL[_norm(norm, "fft_ihfftn")]))


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`hfftn` over the last two dims.

    Example:
        >>> import ember
        >>> ember.fft.hfft2(ember.fft.ihfft2(ember.eye(2)))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`ihfftn` over the last two dims.

    Example:
        >>> import ember
        >>> ember.fft.ihfft2(ember.ones(2, 2))
        tensor([[1.-0.j, 0.-0.j],
                [0.-0.j, 0.-0.j]])
    """
    return ihfftn(input, s, dim, norm)


# --- frequencies and shifts --------------------------------------------------------------------
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point transform with sample spacing ``d``.

    Example:
        >>> import ember
        >>> ember.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    from ._creation import arange
    from .ops.join import cat

    k = arange(n, dtype=dtype or _dtype.get_default_dtype(), device=device)
    half = (n + 1) // 2
    k = cat([k[:half], k[half:] - n])
    return (k * (1.0 / (n * d))).requires_grad_(requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The non-negative sample frequencies of an ``n``-point :func:`rfft`.

    Example:
        >>> import ember
        >>> ember.fft.rfftfreq(4)
        tensor([0.0000, 0.2500, 0.5000])
    """
    from ._creation import arange

    k = arange(n // 2 + 1, dtype=dtype or _dtype.get_default_dtype(), device=device)
    return (k * (1.0 / (n * d))).requires_grad_(requires_grad)


def _shift(input, dim, sign):
    from .ops.join import roll

    dims = wrap_dims(dim, input.ndim, "fftshift")
    if not dims:
        return input
    return roll(input, tuple(sign * (input.shape[d] // 2) for d in dims), dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the middle (rolls each of ``dim`` by half its length).

    Example:
        >>> import ember
        >>> ember.fft.fftshift(ember.fft.fftfreq(4))
        tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`.

    Example:
        >>> import ember
        >>> ember.fft.ifftshift(ember.fft.fftshift(ember.arange(5)))
        tensor([0, 1, 2, 3, 4])
    """
    return _shift(input, dim, -1)
