"""Random numbers drawn on the GPU with cuRAND's Philox generator.

Every draw uses a fresh Philox stream keyed by ``(seed, draw number)``: the whole
state is those two integers, so ``get_state``/``set_state`` round-trip exactly and
the same seed gives the same numbers on every run. Gamma, Poisson and binomial samples are
numpy's, drawn from the engine's host generator and moved to the GPU.
"""

from __future__ import annotations

import cupy
import numpy

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


class CuPyEngine:
    """An ember generator engine for one GPU (see :class:`ember.backends.HostEngine` for the contract)."""

    def __init__(self, backend, seed, index):
        self.backend, self.index = backend, index
        self._philox = cupy.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10  # ImportError when libcurand is missing
        self.seed(seed)

    def seed(self, seed):
        self._seed, self._draws = int(seed), 0
        self._host = numpy.random.Generator(numpy.random.PCG64(self._seed & (2**64 - 1)))

    def get_state(self):
        return {"seed": self._seed, "draws": self._draws, "host": dict(self._host.bit_generator.state)}

    def set_state(self, state):
        self._seed, self._draws = int(state["seed"]), int(state["draws"])
        self._host.bit_generator.state = state["host"]

    def _stream(self):
        key = numpy.random.SeedSequence([self._seed & (2**64 - 1), self._draws]).generate_state(1, numpy.uint64)[0]
        self._draws += 1
        return cupy.random.RandomState(int(key) >> 1, method=self._philox)

    def _floats(self, draw, dtype):
        nd = self.backend.native_dtype(dtype)
        with cupy.cuda.Device(self.index):
            out = draw(self._stream(), nd if nd in _FLOATS else numpy.float32)
            return out if out.dtype == nd else out.astype(nd)

    def uniform(self, shape, dtype, low=0.0, high=1.0):
        out = self._floats(lambda rs, d: rs.uniform(low, high, size=shape, dtype=d), dtype)
        top = out.dtype.type(high)
        return cupy.where(out == top, out.dtype.type(low), out)  # a value rounded up to ``high`` is ``low``, as in torch

    def normal(self, shape, dtype, mean=0.0, std=1.0):
        return self._floats(lambda rs, d: rs.normal(mean, std, size=shape, dtype=d), dtype)

    def integers(self, low, high, shape, dtype):
        with cupy.cuda.Device(self.index):
            out = self._stream().randint(low, high, size=shape, dtype=numpy.int64)
            return out.astype(self.backend.native_dtype(dtype))

    def permutation(self, n, dtype):
        with cupy.cuda.Device(self.index):
            return self._stream().permutation(n).astype(self.backend.native_dtype(dtype))

    def host(self):
        """A numpy Generator for samplers that draw on the host (seeded with this engine)."""
        return self._host

    def bernoulli(self, shape, dtype, p):
        """0/1 with probability ``p``: a float or a host array of ``shape``."""
        with cupy.cuda.Device(self.index):
            probs = p if isinstance(p, float) else cupy.asarray(p)
            u = self._stream().uniform(size=shape, dtype=numpy.float64)
            return (u < probs).astype(self.backend.native_dtype(dtype))

    def exponential(self, shape, dtype, lambd=1.0):
        return self._floats(lambda rs, d: rs.exponential(1.0 / lambd, size=shape, dtype=d), dtype)

    def _to_device(self, x, dtype):
        with cupy.cuda.Device(self.index):
            return cupy.asarray(numpy.asarray(x, dtype=self.backend.native_dtype(dtype)))

    def gamma(self, alpha, dtype):
        """``Gamma(alpha, 1)`` samples for a host array ``alpha``, at least the smallest normal number."""
        tiny = numpy.finfo(self.backend.native_dtype(dtype)).tiny
        return self._to_device(numpy.maximum(self._host.standard_gamma(alpha), tiny), dtype)

    def poisson(self, rates, dtype):
        """Poisson samples for a host array of non-negative ``rates``."""
        if not (numpy.asarray(rates) >= 0).all():  # also catches NaN
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        return self._to_device(self._host.poisson(rates), dtype)

    def binomial(self, count, prob, dtype):
        """Binomial samples for same-shaped host arrays: ``prob`` clamped to ``[0, 1]``, NaN where it is NaN."""
        p = numpy.nan_to_num(numpy.clip(prob, 0.0, 1.0))
        k = self._host.binomial(numpy.floor(count).astype(numpy.int64), p).astype(numpy.float64)
        return self._to_device(numpy.where(numpy.isnan(prob), numpy.nan, k), dtype)
