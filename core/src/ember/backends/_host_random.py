"""The host random engine: torch's CPU generator, draw for draw.

torch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits
of the seed; ``random64`` joins two words, the first as the high half. Its samplers:

* uniform floats: ``(word & (2**24 - 1)) * 2**-24`` for float32/float16/bfloat16 (then
  ``x * (to - from) + from`` in double), ``(random64 & (2**53 - 1)) * 2**-53`` for float64;
* integers in ``[low, high)``: ``word % range + low`` (``random64`` when the range needs 33+ bits);
* normals: a contiguous tensor of 16 or more fills with uniforms first, then turns each block
  of 16 into normals by Box-Muller over the pairs ``(j, j + 8)``; when the size is not a
  multiple of 16 the last 16 values are drawn again and recomputed. Smaller tensors draw
  pairs of double uniforms one value at a time and keep the second normal of each pair for
  the next draw (the generator's one-value cache);
* Bernoulli: a uniform (double for a scalar or float64 probability, float otherwise) ``< p``;
* exponential: ``-log1p(-u) / lambda`` on a double uniform; permutations: Fisher-Yates
  with ``word % (n - i)``;
* gamma, Poisson, binomial (``_samplers.py``): one element after another in C order, each
  drawing double uniforms (and scalar-path normals, sharing the one-value cache) until its
  rejection loop accepts: Marsaglia-Tsang gamma, Poisson by multiplied uniforms below rate
  10 and transformed rejection (PTRS) above, binomial by geometric waiting times below
  ``n * min(p, 1 - p) = 10`` and BTRS above, with torch's float/double roundings.

So ``ember.manual_seed(s)`` followed by the same calls gives the same numbers as torch on
the CPU, bit for bit; float32 normals of 16 or more repeat the roundings of torch's x86 vector
kernel (``_box_muller.py``).

Example:
    >>> import numpy
    >>> e = HostEngine(None, 0, None)
    >>> [round(float(v), 4) for v in e._unit(3, double=False)]
    [0.4963, 0.7682, 0.0885]
"""

from __future__ import annotations

import math

import numpy as _np

from .. import _dtype
from . import _samplers
from ._box_muller import box_muller16_float

_HOST = {d: _np.dtype(d.name) for d in _dtype.ALL if d is not _dtype.bfloat16}
_U32 = _np.uint64(32)
_MASK24, _MASK53 = _np.uint64((1 << 24) - 1), _np.uint64((1 << 53) - 1)
_BLOCK = 1 << 20  # values drawn and converted at a time


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
        radius, theta = _np.sqrt(-2 * _np.log(u1)), 2.0 * math.pi * u2
        first, second = radius * _np.cos(theta), radius * _np.sin(theta)
        return _np.concatenate([fma64(first, std, mean), fma64(second, std, mean)], axis=1)
    return box_muller16_float(u, mean, std)


class HostEngine:
    """Random numbers drawn on the host by torch's CPU algorithms (see the module doc), then
    moved to the device. The engine contract: ``seed``, ``get_state``/``set_state``,
    ``uniform``, ``normal``, ``integers``, ``permutation``, ``bernoulli``, ``exponential``, ``gamma``,
    ``poisson``, ``binomial``, ``host``.

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

    def _scalar_normal(self, uniform=None):
        """One standard normal by the scalar path, using and refilling the one-value cache
        (its two double uniforms from ``uniform()`` when given)."""
        if self.cached_normal is not None:
            z, self.cached_normal = self.cached_normal, None
            return z
        u1, u2 = self._unit(2, True) if uniform is None else (uniform(), uniform())
        radius, theta = math.sqrt(-2.0 * math.log1p(-u2)), 2.0 * math.pi * u1
        self.cached_normal = radius * math.sin(theta)
        return radius * math.cos(theta)

    def _out(self, a, dtype):
        nd = _HOST.get(dtype)
        a = _np.asarray(a, dtype=nd) if nd is not None else a
        return a if self.backend is None else self.backend.from_host(a, self.index)

    # --- the contract ----------------------------------------------------------------------
    def uniform(self, shape, dtype, low=0.0, high=1.0):
        return self._out(self._on_host(self._uniform, shape, dtype, low, high), dtype)

    def normal(self, shape, dtype, mean=0.0, std=1.0):
        part_std = std / math.sqrt(2) if dtype.category == 3 else std  # complex: each part has half the variance
        return self._out(self._on_host(self._normal, shape, dtype, mean, part_std), dtype)

    def _on_host(self, sampler, shape, dtype, *args):
        """``sampler``'s host samples; a complex dtype draws interleaved (real, imaginary) parts, as torch does."""
        if dtype.category != 3:
            return sampler(shape, dtype, *args)
        real = _dtype.float64 if dtype is _dtype.complex128 else _dtype.float32
        parts = _np.asarray(sampler((*shape, 2), real, *args), dtype=real.name)
        return parts.view(_HOST[dtype]).reshape(shape)

    def _uniform(self, shape, dtype, low, high):
        double = dtype is _dtype.float64
        width = high - low
        if not double:  # torch casts the bounds to the tensor's type first and takes their difference there
            real = _np.float32
            low, width = float(real(low)), float(real(real(high) - real(low)))
        u = self._unit(math.prod(shape), double)
        if (low, width) != (0.0, 1.0):  # x * width + low in double (fused for float64), rounded once to the dtype
            for s in range(0, u.size, _BLOCK):
                x = u[s:s + _BLOCK]
                u[s:s + _BLOCK] = fma64(x, width, low) if double else x.astype(_np.float64) * width + low
        return u.reshape(shape)

    def _normal(self, shape, dtype, mean, std):
        n = math.prod(shape)
        if n < 16:
            z = _np.array([self._scalar_normal() for _ in range(n)], dtype=_np.float64)
            return fma64(z, std, mean).reshape(shape)
        double = dtype is _dtype.float64
        u = self._unit(n, double)
        full = n - n % 16
        out = _np.empty(n, dtype=u.dtype)
        out[:full] = _box_muller16(u[:full].reshape(-1, 16), mean, std, double).reshape(-1)
        if full < n:  # the last 16 are drawn again
            out[n - 16:] = _box_muller16(self._unit(16, double).reshape(1, 16), mean, std, double).reshape(-1)
        return out.reshape(shape)

    def integers(self, low, high, shape, dtype):
        n, span = math.prod(shape), int(high) - int(low)
        words = self._words64(n) if span >= 1 << 32 else self._words(n)
        offsets = words % _np.uint64(span)
        if -(1 << 63) <= int(low) and int(high) <= 1 << 63:
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
        return self._out((-1.0 / lambd * _np.log1p(-u)).reshape(shape), dtype)

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
