"""The host random engine: torch's CPU generator, draw for draw.

torch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits
of the seed; ``random64`` joins two words, the first as the high half. Its samplers:

* uniform floats: ``(word & (2**24 - 1)) * 2**-24`` for float32/float16/bfloat16 (then
  ``x * (to - from) + from`` in double), ``(random64 & (2**53 - 1)) * 2**-53`` for float64; a
  value that rounds to ``to`` in the tensor's type becomes ``from``;
* integers in ``[low, high)``: ``word % range + low`` (``random64`` from a range of ``2**28``);
  ``random_()`` without bounds: ``random64`` for int64/float64, one word otherwise;
* normals: a contiguous tensor of 16 or more fills with uniforms first, then turns each block
  of 16 into normals by Box-Muller over the pairs ``(j, j + 8)``; when the size is not a
  multiple of 16 the last 16 values are drawn again and recomputed (float16/bfloat16 draw
  the uniforms of the whole blocks only, then those 16, and round float32 normals). Smaller
  or non-contiguous tensors draw pairs of double uniforms one value at a time and keep the
  second normal of each pair for the next draw (the generator's one-value cache);
* Bernoulli: a uniform (double for a scalar or float64 probability, float otherwise) ``< p``;
* exponential ``-log1p(-u) / lambda``, Cauchy ``median + sigma * tan(pi * (u - 1/2))``,
  geometric ``ceil(log u / log1p(-p))`` on a double uniform, log-normal ``exp`` of a
  scalar-path normal; permutations: Fisher-Yates with ``word % (n - i)``;
* gamma, Poisson, binomial (``_samplers.py``): one element after another in C order, each
  drawing double uniforms (and scalar-path normals, sharing the one-value cache) until its
  rejection loop accepts: Marsaglia-Tsang gamma, Poisson by multiplied uniforms below rate
  10 and transformed rejection (PTRS) above, binomial by geometric waiting times below
  ``n * min(p, 1 - p) = 10`` and BTRS above, with torch's float/double roundings.

So ``ember.manual_seed(s)`` followed by the same calls gives the same numbers as torch on
the CPU, bit for bit; float32 normals of 16 or more repeat the roundings of torch's x86 vector
kernel (``_box_muller.py``), and the double math goes through the C library (``_libm``) as
torch's scalar code does. Values of a reduced type are rounded as C++ casts a double: to
float first, then to float16/bfloat16.

Example:
    >>> import numpy
    >>> e = HostEngine(None, 0, None)
    >>> [round(float(v), 4) for v in e._unit(3, double=False)]
    [0.4963, 0.7682, 0.0885]
"""

from __future__ import annotations

import functools
import math

import numpy as _np

from .. import _dtype
from . import _samplers
from ._box_muller import box_muller16_float

_HOST = {d: _np.dtype(d.name) for d in _dtype.ALL if d is not _dtype.bfloat16}
_U32 = _np.uint64(32)
_MASK24, _MASK53 = _np.uint64((1 << 24) - 1), _np.uint64((1 << 53) - 1)
_BLOCK = 1 << 20  # values drawn and converted at a time
_REDUCED = (_dtype.float16, _dtype.bfloat16)
_WIDE_RANGE = 1 << 28  # from this range on, torch's bounded integers take two words
_LIBM = {"log": (_np.log, math.log), "log1p": (_np.log1p, math.log1p), "exp": (_np.exp, math.exp),
         "sin": (_np.sin, math.sin), "cos": (_np.cos, math.cos), "tan": (_np.tan, math.tan)}


@functools.cache
def _strided_loops_are_libm():
    """Whether numpy computes float64 ``_LIBM`` functions on a reversed array with the C library.

    numpy's SIMD loops (AVX-512 builds) round some results differently from libm, which torch's
    scalar kernels call; for a negative stride numpy calls libm element by element.
    """
    positive = _np.concatenate([_np.linspace(1e-3, 3.0, 4001), _np.geomspace(1e-300, 700.0, 601)])
    signed = _np.concatenate([positive, -positive[positive < 0.999]])
    for name, (ufunc, scalar) in _LIBM.items():
        x = positive if name == "log" else signed
        for sample in (x, x[:1], x[:3]):
            if not _np.array_equal(ufunc(sample[::-1])[::-1], [scalar(v) for v in sample.tolist()]):
                return False
    return True


def _libm(name, x):
    """The C library's float64 ``name`` (log, log1p, exp, sin, cos, tan) of ``x``, elementwise.

    Example:
        >>> _libm("log1p", _np.array([0.0, 1.0])).tolist()
        [0.0, 0.6931471805599453]
    """
    ufunc, scalar = _LIBM[name]
    x = _np.asarray(x, dtype=_np.float64)
    if _strided_loops_are_libm():
        return ufunc(x.reshape(-1)[::-1])[::-1].reshape(x.shape)
    return _np.frompyfunc(scalar, 1, 1)(x).astype(_np.float64)


def _round_bfloat16(a):
    """float32 values rounded to the nearest bfloat16 (ties to even), kept as float32."""
    bits = a.view(_np.uint32)
    rounded = ((bits + _np.uint32(0x7FFF) + ((bits >> 16) & 1)) & _np.uint32(0xFFFF0000)).view(_np.float32)
    return _np.where(a != a, a, rounded)


def host_values(a, dtype):
    """Floating host values as a tensor of ``dtype`` holds them: a double rounds to float first, then
    to float16/bfloat16 (C++'s ``static_cast``); bfloat16 stays a float32 array of bfloat16 values.

    Example:
        >>> host_values(_np.array([1 + 2.0**-8, 1 + 3 * 2.0**-8]), _dtype.bfloat16).tolist()
        [1.0, 1.015625]
    """
    if dtype.category != 2:
        return a
    if dtype is _dtype.float64:
        return _np.asarray(a, dtype=_np.float64)
    a = _np.asarray(a, dtype=_np.float32)
    if dtype is _dtype.float16:
        return a.astype(_np.float16)
    return _round_bfloat16(a) if dtype is _dtype.bfloat16 else a


def _mersenne(seed):
    """An MT19937 bit generator in the state torch's ``manual_seed(seed)`` leaves (init_genrand)."""
    legacy = _np.random.RandomState(int(seed) & 0xFFFFFFFF).get_state()
    bits = _np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": legacy[1], "pos": legacy[2]}}
    return bits


def fma64(a, b, c):
    """``a * b + c`` on float64 arrays rounded once, as the fused multiply-add torch's compiled kernels use:
    the product split exactly into two doubles (Dekker), the sum by TwoSum, then one final rounding.

    Example:
        >>> float(fma64(_np.float64(0.1), 3.0, -0.30000000000000004))
        -2.7755575615628914e-17
    """
    def halves(x):
        t = 134217729.0 * x  # 2**27 + 1
        high = t - (t - x)
        return high, x - high

    a, b, c = (_np.asarray(v, dtype=_np.float64) for v in (a, b, c))
    product = a * b
    (ah, al), (bh, bl) = halves(a), halves(b)
    product_error = ((ah * bh - product) + ah * bl + al * bh) + al * bl
    total = product + c
    back = total - product
    sum_error = (product - (total - back)) + (c - back)
    return total + (product_error + sum_error)


def _box_muller16(u, mean, std, double):
    """Blocks of 16 uniforms ``(m, 16)`` -> 16 normals each, over the pairs ``(j, j + 8)``."""
    if double:
        u1, u2 = 1 - u[:, :8], u[:, 8:]
        radius, theta = _np.sqrt(-2 * _libm("log", u1)), 2.0 * math.pi * u2
        first, second = radius * _libm("cos", theta), radius * _libm("sin", theta)
        return _np.concatenate([fma64(first, std, mean), fma64(second, std, mean)], axis=1)
    return box_muller16_float(u, mean, std)


class HostEngine:
    """Random numbers drawn on the host by torch's CPU algorithms (see the module doc), then
    moved to the device. The engine contract: ``seed``, ``get_state``/``set_state``,
    ``uniform``, ``normal``, ``integers``, ``permutation``, ``bernoulli``, ``exponential``, ``gamma``,
    ``poisson``, ``binomial``, ``host``; optional (callers fall back without them): ``integers_below``,
    ``cauchy``, ``geometric``, ``log_normal`` and ``memory_order`` (``normal`` takes ``contiguous``).

    Example:
        >>> e = HostEngine(None, 0, None)
        >>> e.permutation(5, None).tolist()
        [4, 0, 1, 3, 2]
    """

    def __init__(self, backend, seed, index):
        self.backend, self.index = backend, index
        self.seed(seed)

    def seed(self, seed):
        self.bits = _mersenne(seed)
        self.cached_normal = None  # the second normal of the last scalar pair

    def get_state(self):
        state = self.bits.state["state"]
        return {"key": [int(k) for k in state["key"]], "pos": int(state["pos"]), "normal": self.cached_normal}

    def set_state(self, state):
        key = _np.asarray(state["key"], dtype=_np.uint32)
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": int(state["pos"])}}
        self.cached_normal = state.get("normal")

    # --- raw draws -------------------------------------------------------------------------
    def _words(self, n):
        """``n`` 32-bit outputs (``random()``), as uint64."""
        return self.bits.random_raw(n)

    def _words64(self, n):
        """``n`` 64-bit outputs (``random64()``): two words each, the first as the high half."""
        w = self._words(2 * n)
        return (w[0::2] << _U32) | w[1::2]

    def _unit(self, n, double):
        """``n`` uniforms on ``[0, 1)``: 53-bit doubles or 24-bit floats (as float64 / float32).

        Drawn in blocks, so the integer temporaries stay small however many values are asked for.
        """
        out = _np.empty(n, dtype=_np.float64 if double else _np.float32)
        step = _BLOCK // 2 if double else _BLOCK
        for s in range(0, n, step):
            e = min(n, s + step)
            w = self._words(2 * (e - s) if double else e - s).astype(_np.uint32)  # narrow ints convert fast
            if double:  # the low 53 bits of (high << 32 | low), exactly: (high mod 2**21) * 2**32 + low
                high = (w[0::2] & 0x1FFFFF).view(_np.int32).astype(_np.float64)
                out[s:e] = high * 2.0 ** 32 + w[1::2]
                out[s:e] *= 2.0 ** -53
            else:
                w &= 0xFFFFFF
                out[s:e] = w.view(_np.int32)
                out[s:e] *= _np.float32(2.0 ** -24)
        return out

    def _scalar_normal(self, uniform):
        """One standard normal by the scalar path from double uniforms ``uniform()``, using and
        refilling the one-value cache (the gamma sampler's normals)."""
        if self.cached_normal is not None:
            z, self.cached_normal = self.cached_normal, None
            return z
        u1, u2 = uniform(), uniform()
        radius, theta = math.sqrt(-2.0 * math.log1p(-u2)), 2.0 * math.pi * u1
        self.cached_normal = radius * math.sin(theta)
        return radius * math.cos(theta)

    def _scalar_normals(self, n):
        """``n`` standard normals by the scalar path, as ``n`` calls of ``_scalar_normal`` make them:
        the cached value first, then ``cos``, ``sin`` of each pair, an odd last ``sin`` cached."""
        out = _np.empty(n)
        start = 0
        if n and self.cached_normal is not None:
            out[0], self.cached_normal, start = self.cached_normal, None, 1
        pairs = (n - start + 1) // 2
        if pairs:
            u = self._unit(2 * pairs, True)
            radius, theta = _np.sqrt(-2.0 * _libm("log1p", -u[1::2])), 2.0 * math.pi * u[0::2]
            z = _np.empty(2 * pairs)
            z[0::2], z[1::2] = radius * _libm("cos", theta), radius * _libm("sin", theta)
            out[start:] = z[:n - start]
            if (n - start) % 2:
                self.cached_normal = float(z[-1])
        return out

    def _out(self, a, dtype):
        nd = _HOST.get(dtype)
        if dtype is not None and dtype.category == 2:
            a = host_values(a, dtype)
        elif nd is not None:
            a = _np.asarray(a, dtype=nd)
        if self.backend is None:
            return a
        if dtype is _dtype.bfloat16:
            try:
                a = a.astype(self.backend.native_dtype(dtype))  # exact: the values are bfloat16's already
            except TypeError:
                pass  # a backend without bfloat16 keeps float32 arrays
        return self.backend.from_host(a, self.index)

    # --- the contract ----------------------------------------------------------------------
    memory_order = True  # callers fill a strided tensor in memory order and say when it is not contiguous

    def uniform(self, shape, dtype, low=0.0, high=1.0):
        return self._out(self._on_host(self._uniform, shape, dtype, low, high), dtype)

    def normal(self, shape, dtype, mean=0.0, std=1.0, contiguous=True):
        part_std = std / math.sqrt(2) if dtype.category == 3 else std  # complex: each part has half the variance
        return self._out(self._on_host(self._normal, shape, dtype, mean, part_std, contiguous), dtype)

    def _on_host(self, sampler, shape, dtype, *args):
        """``sampler``'s host samples; a complex dtype draws interleaved (real, imaginary) parts, as torch does."""
        if dtype.category != 3:
            return sampler(shape, dtype, *args)
        real = _dtype.float64 if dtype is _dtype.complex128 else _dtype.float32
        parts = _np.asarray(sampler((*shape, 2), real, *args), dtype=real.name)
        return parts.view(_HOST[dtype]).reshape(shape)

    def _uniform(self, shape, dtype, low, high):
        """``x * (high - low) + low`` in double, with the bounds and their difference in float for any
        type but float64; a value that rounds to ``high`` in ``dtype`` becomes ``low``, as in torch."""
        double = dtype is _dtype.float64
        bounds = host_values(_np.array([low, high]), dtype)
        if not double:
            real = _np.float32
            low, high = float(real(low)), float(real(high))
        width = high - low if double else float(_np.float32(high) - _np.float32(low))
        u = self._unit(math.prod(shape), double)
        if (low, width) != (0.0, 1.0):  # x * width + low in double (fused for float64), rounded once to float
            for s in range(0, u.size, _BLOCK):
                x = u[s:s + _BLOCK]
                u[s:s + _BLOCK] = fma64(x, width, low) if double else x.astype(_np.float64) * width + low
        u = host_values(u, dtype)
        u[u == bounds[1]] = bounds[0]
        return u.reshape(shape)

    def _normal(self, shape, dtype, mean, std, contiguous=True):
        n = math.prod(shape)
        if n < 16 or not contiguous:
            return fma64(self._scalar_normals(n), std, mean).reshape(shape)
        double = dtype is _dtype.float64
        full = n - n % 16
        u = self._unit(full if dtype in _REDUCED else n, double)  # float16/bfloat16: the whole blocks only
        out = _np.empty(n, dtype=u.dtype)
        out[:full] = _box_muller16(u[:full].reshape(-1, 16), mean, std, double).reshape(-1)
        if full < n:  # the last 16 are drawn again
            out[n - 16:] = _box_muller16(self._unit(16, double).reshape(1, 16), mean, std, double).reshape(-1)
        return out.reshape(shape)

    def integers(self, low, high, shape, dtype):
        span = int(high) - int(low)
        return self._integers(low, span, shape, dtype, span >= _WIDE_RANGE)

    def integers_below(self, high, shape, dtype):
        """``random_()`` without bounds: ``[0, high)`` from one word each, two for int64 and float64.

        Example:
            >>> import ember
            >>> HostEngine(None, 0, None).integers_below(2 ** 31, (2,), ember.int32).tolist()
            [209652396, 398764591]
        """
        return self._integers(0, int(high), shape, dtype, dtype in (_dtype.int64, _dtype.float64))

    def _integers(self, low, span, shape, dtype, wide):
        n = math.prod(shape)
        offsets = self._words64(n) if wide else self._words(n)
        if span == 1 << 64:  # random_(-2**63, None): the 64-bit words as they are
            return self._out(offsets.view(_np.int64).reshape(shape), dtype)
        offsets %= _np.uint64(span)
        if -(1 << 63) <= int(low) and int(low) + span <= 1 << 63:
            values = offsets.astype(_np.int64) + _np.int64(low)
        else:
            values = _np.array([int(v) + int(low) for v in offsets.tolist()], dtype=object)
        return self._out(values.reshape(shape), dtype)

    def permutation(self, n, dtype):
        order = list(range(n))
        for i, w in enumerate(self._words(max(n - 1, 0)).tolist()):
            z = i + w % (n - i)
            order[i], order[z] = order[z], order[i]
        return self._out(_np.asarray(order, dtype=_np.int64), dtype)

    def bernoulli(self, shape, dtype, p):
        """0/1 with probability ``p``: a float, or a host array of ``shape`` (float64 draws double uniforms)."""
        n = math.prod(shape)
        double = not isinstance(p, _np.ndarray) or p.dtype == _np.float64
        u = self._unit(n, double).reshape(shape)
        return self._out(u < (p if double else _np.asarray(p, dtype=_np.float32)), dtype)

    def exponential(self, shape, dtype, lambd=1.0):
        u = self._unit(math.prod(shape), True)
        return self._out((-1.0 / lambd * _libm("log1p", -u)).reshape(shape), dtype)

    def cauchy(self, shape, dtype, median=0.0, sigma=1.0):
        """Cauchy samples ``median + sigma * tan(pi * (u - 1/2))`` of double uniforms.

        Example:
            >>> import ember
            >>> HostEngine(None, 0, None).cauchy((2,), ember.float64).round(4).tolist()  # torch.manual_seed(0); cauchy_()
            [10.5977, 0.7648]
        """
        u = self._unit(math.prod(shape), True)
        return self._out((median + sigma * _libm("tan", math.pi * (u - 0.5))).reshape(shape), dtype)

    def geometric(self, shape, dtype, p):
        """Trials up to the first success, ``ceil(log u / log1p(-p))`` of double uniforms.

        Example:
            >>> import ember
            >>> HostEngine(None, 0, None).geometric((3,), ember.float32, 0.5).tolist()
            [1.0, 1.0, 2.0]
        """
        u = self._unit(math.prod(shape), True)
        return self._out(_np.ceil(_libm("log", u) / math.log1p(-p)).reshape(shape), dtype)

    def log_normal(self, shape, dtype, mean=1.0, std=2.0):
        """``exp`` of scalar-path normals of ``mean`` and ``std``, one per element.

        Example:
            >>> import ember
            >>> HostEngine(None, 0, None).log_normal((2,), ember.float64, 0.0, 1.0).round(4).tolist()
            [4.6692, 0.7457]
        """
        z = fma64(self._scalar_normals(math.prod(shape)), std, mean)
        return self._out(_libm("exp", z).reshape(shape), dtype)

    def gamma(self, alpha, dtype):
        """``Gamma(alpha, 1)`` samples (``torch._standard_gamma``) for a host array ``alpha`` of ``dtype``'s type.

        Example:
            >>> import ember, numpy
            >>> e = HostEngine(None, 0, None)
            >>> e.gamma(numpy.array([0.5, 2.0, 9.0]), ember.float64).round(4).tolist()  # as torch draws them
            [0.0008, 0.6315, 9.1474]
        """
        return self._out(self._per_element(_samplers.gamma, dtype, alpha), dtype)

    def poisson(self, rates, dtype):
        """Poisson samples (``torch.poisson``) for a host array of non-negative ``rates``.

        Example:
            >>> import ember, numpy
            >>> HostEngine(None, 0, None).poisson(numpy.array([0.0, 3.0, 40.0]), ember.float64).tolist()
            [0.0, 6.0, 37.0]
        """
        return self._out(self._per_element(_samplers.poisson, dtype, rates), dtype)

    def binomial(self, count, prob, dtype):
        """Binomial samples (``torch.binomial``) for same-shaped host arrays ``count`` and ``prob``.

        Example:
            >>> import ember, numpy
            >>> e = HostEngine(None, 0, None)
            >>> e.binomial(numpy.array([10.0, 100.0, 5.0]), numpy.array([0.3, 0.6, 1.0]), ember.float64).tolist()
            [6.0, 62.0, 5.0]
        """
        return self._out(self._per_element(_samplers.binomial, dtype, count, prob), dtype)

    def _per_element(self, sampler, dtype, *params):
        """``sampler(uniform, normal, number, *values)`` for each element of ``params`` in C order, as
        ``dtype``'s host array. Uniforms are read ahead in blocks; the generator is then left just past
        the ones used."""
        double = dtype is _dtype.float64
        number = float if double else _np.float32  # the kernel's scalar_t
        columns = [_np.asarray(p, dtype=_np.float64 if double else _np.float32).reshape(-1).tolist() for p in params]
        shape = _np.shape(params[0])
        start, block, used = self.bits.state, [], [0, 0]  # used: uniforms before this block, position in it

        def uniform():
            if used[1] == len(block):
                used[0] += len(block)
                block[:] = self._unit(max(64, 2 * len(block)), True).tolist()
                used[1] = 0
            used[1] += 1
            return block[used[1] - 1]

        def normal():
            return self._scalar_normal(uniform)

        try:
            values = [sampler(uniform, normal, number, *map(number, args)) for args in zip(*columns, strict=True)]
        finally:  # also when a sampler raises part way, as torch's kernel does
            self.bits.state = start
            self.bits.random_raw(2 * (used[0] + used[1]))
        return _np.asarray(values, dtype=_np.float64 if double else _np.float32).reshape(shape)

    def host(self):
        """A numpy Generator drawing from this engine's stream (for samplers torch has no twin of)."""
        return _np.random.Generator(self.bits)
