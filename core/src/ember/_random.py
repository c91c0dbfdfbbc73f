"""Random number generation: ``Generator``, ``manual_seed`` and the sampling functions.

Each device has a default generator; a ``Generator`` draws through its device
backend's random engine, so the same seed gives the same stream on that device.
"""

from __future__ import annotations

import numpy as _np  # host-side: seeding

from . import _dtype
from ._creation import memory_order
from ._tensor import Tensor, _make, default_device, resolve_device
from .ops._registry import export

_DEFAULT_SEED = 67280421310721


class Generator:
    """A source of random numbers for one device.

    Example:
        >>> import ember
        >>> g = ember.Generator().manual_seed(0)
        >>> a = ember.rand(2, generator=g); g.manual_seed(0)
        <ember.Generator object ...>
        >>> bool((ember.rand(2, generator=g) == a).all())
        True
    """

    def __init__(self, device="cpu"):
        self._be, self.device = resolve_device(device)
        self._seed = _DEFAULT_SEED
        self._engine = self._be.generator_engine(self._seed, self.device.index)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._engine.seed(seed)
        return self

    def seed(self):
        s = int(_np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (round-trips through ``set_state``)."""
        import json

        blob = json.dumps({"seed": self._seed, "state": self._engine.get_state()}, default=int).encode()
        from ._creation import tensor

        return tensor(list(blob), dtype=_dtype.uint8)

    def set_state(self, new_state):
        """Restore a state from :meth:`get_state`; anything else is refused with a RuntimeError, the generator unchanged.

        Example:
            >>> import ember
            >>> g = ember.Generator(); s = g.get_state(); a = ember.rand(1, generator=g)
            >>> bool((ember.rand(1, generator=g.set_state(s)) == a).all())
            True
        """
        import json

        before = self._engine.get_state()
        try:
            data = json.loads(bytes(new_state.tolist()).decode())
            self._engine.set_state(data["state"])
            self._seed = int(data["seed"])
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            self._engine.set_state(before)
            raise RuntimeError("set_state: expected a uint8 tensor returned by Generator.get_state() or "
                               f"ember.get_rng_state() ({type(exc).__name__}: {exc})") from None
        return self

    def __repr__(self):
        return f"<ember.Generator object at {id(self):#x}>"


_defaults = {}
_manual_seed = [None]  # the last seed given to ember.manual_seed / ember.seed


def default_generator(device=None):
    """The default generator of ``device`` (the default device if None)."""
    be, dev = resolve_device(device) if device is not None else default_device()
    g = _defaults.get(dev)
    if g is None:
        g = _defaults[dev] = Generator(dev)
        if _manual_seed[0] is not None:  # a device first used after manual_seed() gets that seed too
            g.manual_seed(_manual_seed[0])
        elif dev.type == "cpu":  # as torch's, the CPU default generator starts from a non-deterministic seed
            g.seed()
    return g


def _gen(generator, device):
    if generator is not None:
        return generator
    return default_generator(device)


@export(method=False)
def manual_seed(seed):
    """Seed every device's default generator; returns the CPU generator.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0); a = ember.rand(1)
        >>> _ = ember.manual_seed(0); bool((ember.rand(1) == a).all())
        True
    """
    seed = int(seed)
    _manual_seed[0] = seed
    default_generator("cpu").manual_seed(seed)
    for g in list(_defaults.values()):
        g.manual_seed(seed)
    return default_generator("cpu")


@export(method=False)
def seed():
    """Seed the default generators from fresh entropy and return the seed.

    Example:
        >>> import ember
        >>> isinstance(ember.seed(), int)
        True
    """
    s = int(_np.random.SeedSequence().entropy) % (1 << 63)
    manual_seed(s)
    return s


@export(method=False)
def initial_seed():
    """The seed of the CPU default generator.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(3); ember.initial_seed()
        3
    """
    return default_generator("cpu").initial_seed()


@export(method=False)
def get_rng_state():
    """The CPU default generator's state (a uint8 tensor).

    Example:
        >>> import ember
        >>> s = ember.get_rng_state(); a = ember.rand(1); ember.set_rng_state(s)
        >>> bool((ember.rand(1) == a).all())
        True
    """
    return default_generator("cpu").get_state()


@export(method=False)
def set_rng_state(new_state):
    """Restore the CPU default generator's state from :func:`get_rng_state`.

    Example:
        >>> import ember
        >>> ember.set_rng_state(ember.get_rng_state())
    """
    default_generator("cpu").set_state(new_state)


def _sizes(size):
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _draw(kind, size, generator, dtype, device, requires_grad, *args):
    g = _gen(generator, device)
    be, dev = (g._be, g.device) if device is None else resolve_device(device)
    if generator is not None and device is not None and dev != g.device:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found '{g.device.type}'")
    arr = getattr(g._engine, kind)(size, dtype, *args) if kind != "integers" else g._engine.integers(*args, size, dtype)
    t = _make(arr, be, dev, dtype)
    if requires_grad:
        t.requires_grad_()
    return t


def _float_dtype(dtype, op):
    d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if d.category < 2:
        raise RuntimeError(f"{op}: expected a floating point dtype, got {d}")
    return d


@export(method=False)
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples on ``[0, 1)``.

    Example:
        >>> import ember
        >>> x = ember.rand(2, 3); x.shape, bool(((x >= 0) & (x < 1)).all())
        (ember.Size([2, 3]), True)
    """
    return _draw("uniform", _sizes(size), generator, _float_dtype(dtype, "rand"), device, requires_grad)


@export(method=False)
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples.

    Example:
        >>> import ember
        >>> ember.randn(4).shape
        ember.Size([4])
    """
    return _draw("normal", _sizes(size), generator, _float_dtype(dtype, "randn"), device, requires_grad)


@export(method=False)
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from ``[low, high)``.

    Example:
        >>> import ember
        >>> x = ember.randint(3, 5, (4,)); x.dtype, bool(((x >= 3) & (x < 5)).all())
        (ember.int64, True)
    """
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    return _draw("integers", tuple(size), generator, d, device, requires_grad, low, high)


@export(method=False)
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1``.

    Example:
        >>> import ember
        >>> sorted(ember.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    d = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    g = _gen(generator, device)
    be, dev = (g._be, g.device) if device is None else resolve_device(device)
    return _make(g._engine.permutation(int(n), d), be, dev, d)


def _like(input, dtype, device, requires_grad, fill):
    """A tensor like ``input`` filled in place by ``fill``, laid out as torch's ``*_like`` (``preserve_format``)
    lays it: in ``input``'s stride order, so that the samples are drawn in that memory order."""
    from ._creation import empty_like

    out = empty_like(input, dtype=dtype, device=device)
    fill(out)
    return out.requires_grad_() if requires_grad else out


@export(method=False)
def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples with ``input``'s shape, dtype and device.

    Example:
        >>> import ember
        >>> ember.rand_like(ember.zeros(2, dtype=ember.float64)).dtype
        ember.float64
    """
    _float_dtype(dtype or input.dtype, "rand_like")
    return _like(input, dtype, device, requires_grad, lambda out: out.uniform_(generator=generator))


@export(method=False)
def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Normal samples with ``input``'s shape, dtype and device.

    Example:
        >>> import ember
        >>> ember.randn_like(ember.zeros(3)).shape
        ember.Size([3])
    """
    _float_dtype(dtype or input.dtype, "randn_like")
    return _like(input, dtype, device, requires_grad, lambda out: out.normal_(generator=generator))


@export(method=False)
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    """Random integers with ``input``'s shape.

    Example:
        >>> import ember
        >>> ember.randint_like(ember.zeros(3), 5).shape
        ember.Size([3])
    """
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _like(input, dtype, device, requires_grad, lambda out: out.random_(low, high))


def _fill(self, op, generator, draw):
    """Fill ``self`` in place with ``draw(engine, shape, order)``: ``order`` is None for a contiguous tensor.

    A host engine walks a strided tensor in memory order, as torch's kernels do: the samples are
    drawn for the dims in ``order``, from the largest stride to the smallest, then put back in place.
    """
    engine = _gen(generator, self.device)._engine
    shape = tuple(self.shape)
    order = memory_order(self) if getattr(engine, "memory_order", False) else None
    if order is None:
        return self._fill_from(draw(engine, shape, None), op)
    samples = draw(engine, tuple(shape[d] for d in order), order)
    if order != sorted(order):
        samples = self._be.xp.permute_dims(samples, tuple(sorted(range(self.ndim), key=order.__getitem__)))
    return self._fill_from(samples, op)


def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """Fill in place with uniform samples from ``[from_, to)``.

    Example:
        >>> import ember
        >>> x = ember.empty(3).uniform_(-1, 1); bool(((x >= -1) & (x < 1)).all())
        True
    """
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    return _fill(self, "uniform_", generator, lambda e, shape, _: e.uniform(shape, self.dtype, from_, to))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill in place with normal samples.

    Example:
        >>> import ember
        >>> ember.empty(3).normal_(0, 0.1).shape
        ember.Size([3])
    """
    def draw(engine, shape, order):
        if order is None:
            return engine.normal(shape, self.dtype, mean, std)
        return engine.normal(shape, self.dtype, mean, std, contiguous=False)  # torch's per-element path

    return _fill(self, "normal_", generator, draw)


_UNBOUNDED = object()  # random_(from_, None): up to the dtype's maximum


def random_(self, from_=None, to=_UNBOUNDED, *, generator=None):
    """Fill in place with integers from ``[from_, to)``; ``random_(to)`` is ``[0, to)``, ``random_(from_, None)``
    runs to the dtype's maximum and ``random_()`` covers ``[0, 2**mantissa]`` for floating types and
    ``[0, max]`` for integer types, like torch.

    Example:
        >>> import ember
        >>> x = ember.zeros(4).random_(0, 3); bool(((x >= 0) & (x < 3)).all())
        True
        >>> _ = ember.manual_seed(0); ember.empty(2, dtype=ember.int64).random_().tolist()
        [900450186894289455, 3969543146641149120]
    """
    dtype = self.dtype
    if from_ is None and to is _UNBOUNDED:
        def draw(engine, shape, _):
            if hasattr(engine, "integers_below"):  # torch's unbounded draw: two words only for 64-bit types
                return engine.integers_below(_full_range(dtype), shape, dtype)
            return engine.integers(0, _full_range(dtype), shape, dtype)

        return _fill(self, "random_", generator, draw)
    if to is _UNBOUNDED:
        from_, to = 0, from_
    elif to is None:
        to = _full_range(dtype)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                               f"casted to dtype, but got from={from_} > to_inc={to - 1}")
    return _fill(self, "random_", generator, lambda e, shape, _: e.integers(from_, to, shape, dtype))


def _full_range(dtype):
    """One past the largest value ``random_()`` draws for ``dtype``."""
    if dtype is _dtype.bool:
        return 2
    if dtype.category >= 2:
        return (1 << {_dtype.float64: 53, _dtype.float16: 11, _dtype.bfloat16: 8}.get(dtype, 24)) + 1
    return int(_np.iinfo(dtype.name).max) + 1


def _probabilities(p, shape, order):
    """A Bernoulli probability for the engine: a float, or a host array broadcast to ``shape`` with its
    dims taken in ``order`` (None: as they are)."""
    if isinstance(p, Tensor):
        p = p.detach()._host()
        if order is not None:
            p = _np.broadcast_to(p, tuple(shape[order.index(d)] for d in range(len(order)))).transpose(order)
        return _np.broadcast_to(p, shape)
    return float(p)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill in place with 0/1 samples that are 1 with probability ``p`` (a float or a tensor).

    Example:
        >>> import ember
        >>> ember.zeros(3).bernoulli_(1.0).tolist()
        [1.0, 1.0, 1.0]
    """
    return _fill(self, "bernoulli_", generator,
                 lambda e, shape, order: e.bernoulli(shape, self.dtype, _probabilities(p, shape, order)))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill in place with exponential samples of rate ``lambd``.

    Example:
        >>> import ember
        >>> bool((ember.zeros(4).exponential_() >= 0).all())
        True
    """
    return _fill(self, "exponential_", generator, lambda e, shape, _: e.exponential(shape, self.dtype, lambd))


for _f in (uniform_, normal_, random_, bernoulli_, exponential_):
    setattr(Tensor, _f.__name__, _f)


@export(method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples with the given mean(s) and standard deviation(s).

    Example:
        >>> import ember
        >>> ember.normal(ember.zeros(3), 1.0).shape, ember.normal(2.0, 3.0, size=(2,)).shape
        (ember.Size([3]), ember.Size([2]))
    """
    from ._creation import empty

    if isinstance(mean, Tensor) or isinstance(std, Tensor):  # torch's order of roundings for each form
        like = mean if isinstance(mean, Tensor) else std
        shape = (mean + std * 0 if isinstance(mean, Tensor) else std * 0 + mean).shape
        out = empty(shape, dtype=like.dtype, device=like.device)
        if not isinstance(std, Tensor):
            return out.normal_(0.0, std, generator=generator) + mean
        return out.normal_(generator=generator) * std + mean
    if size is None:
        raise TypeError("normal(): with float mean and std, size is required")
    out = empty(*_sizes((size,)), dtype=dtype, device=device).normal_(mean, std, generator=generator)
    return out.requires_grad_() if requires_grad else out


@export()
def bernoulli(input, p=None, *, generator=None):
    """0/1 samples, 1 with probability ``input`` (elementwise) or ``p``.

    Example:
        >>> import ember
        >>> ember.bernoulli(ember.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    from ._creation import empty_like

    return empty_like(input).bernoulli_(input.detach() if p is None else p, generator=generator)


@export()
def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Sample category indices from each row of (unnormalised) probabilities ``input``.

    Example:
        >>> import ember
        >>> ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
        [1, 1]
    """
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    probs = input.detach()._host()
    if (probs < 0).any() or not _np.isfinite(probs).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.reshape(-1, probs.shape[-1]).sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement or num_samples == 1:
        # torch's Gumbel trick: argmax / top-k of p / q with q ~ Exp(1)
        from ._creation import empty_like

        keys = input.detach() / empty_like(input).exponential_(1.0, generator=generator)
        if num_samples == 1:
            return keys.argmax(-1, keepdim=True)
        return keys.topk(num_samples).indices
    rows = probs.reshape(-1, probs.shape[-1])
    out = _np.empty((rows.shape[0], num_samples), dtype=_np.int64)
    for i, row in enumerate(rows):  # per row: a normalised running sum, searched for double uniforms
        cdf = _np.cumsum(row, dtype=row.dtype)
        cdf = cdf / cdf[-1]
        out[i] = _np.searchsorted(cdf, rand(num_samples, generator=generator, dtype=_dtype.float64)._host(),
                                  side="left")
    from ._creation import tensor

    return tensor(_np.minimum(out, rows.shape[1] - 1).reshape(probs.shape[:-1] + (num_samples,)),
                  dtype=_dtype.int64, device=input.device)
