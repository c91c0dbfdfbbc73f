"""Invertible transforms with log-absolute-determinant Jacobians, for :class:`TransformedDistribution`
and for :func:`~ember.distributions.biject_to` / :func:`~ember.distributions.transform_to`.
"""

from __future__ import annotations

import functools
import math
import numbers

import ember

from .._tensor import Size, Tensor
from ..nn import functional as F
from . import constraints
from .utils import broadcast_all, softplus, sum_rightmost

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
           "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
           "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform", "Transform",
           "identity_transform"]


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return bool((ember.as_tensor(a) == ember.as_tensor(b)).all())
    return a == b


class Transform:
    """An invertible map ``y = t(x)`` with ``t.inv`` and ``log_abs_det_jacobian(x, y)``.

    Subclasses define ``_call``, ``_inverse``, ``log_abs_det_jacobian``, ``domain``, ``codomain``
    and, for monotone maps, ``sign``; ``_args()`` gives the constructor arguments (for ``with_cache``)
    and ``_compared`` the attributes ``==`` compares (None: a transform equals only itself).
    ``cache_size=1`` remembers the last ``(x, y)`` pair so that ``t.inv(t(x))`` returns ``x`` itself.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform
        >>> t = ExpTransform(); t.inv(t(ember.tensor([0.0, 2.0]))), t.inv.inv is t
        (tensor([0., 2.]), True)
    """

    bijective = False
    domain = constraints.real
    codomain = constraints.real
    _compared = None

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached = (None, None)
        self._inv = None

    def __call__(self, x):
        if self._cache_size and x is self._cached[0]:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size and y is self._cached[1]:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    @property
    def inv(self):
        """The inverse transform (``t.inv.inv is t``)."""
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    @property
    def event_dim(self):
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def sign(self):
        """+1 or -1 for increasing or decreasing univariate bijections."""
        raise NotImplementedError

    def _args(self):
        if type(self).__init__ is not Transform.__init__:
            raise NotImplementedError(f"{type(self)}.with_cache is not implemented")
        return ()

    def with_cache(self, cache_size=1):
        """This transform with ``cache_size`` (itself when it already has it).

        Example:
            >>> from ember.distributions.transforms import AffineTransform
            >>> AffineTransform(1.0, 2.0).with_cache()._cache_size
            1
        """
        if self._cache_size == cache_size:
            return self
        return type(self)(*self._args(), cache_size=cache_size)

    def __eq__(self, other):
        if self._compared is None:
            return self is other
        return isinstance(other, type(self)) and all(_same(getattr(self, a), getattr(other, a)) for a in self._compared)

    __hash__ = object.__hash__

    def forward_shape(self, shape):
        """The output shape for an input of ``shape``."""
        return shape

    def inverse_shape(self, shape):
        """The input shape for an output of ``shape``."""
        return shape

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        """``log |det dy/dx|`` summed over the event dims of ``domain``."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """The inverse of a transform (its ``inv`` gives the original back)."""

    _compared = ("_inv",)

    def __init__(self, transform):
        super().__init__(transform._cache_size)
        self._inv = transform

    @property
    def inv(self):
        return self._inv

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    def with_cache(self, cache_size=1):
        return self._inv.with_cache(cache_size).inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)

    def __repr__(self):
        return f"_InverseTransform({self._inv!r})"


def _lift(constraint, event_dim):
    """``constraint`` made to cover ``event_dim`` rightmost dims."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


class ComposeTransform(Transform):
    """``parts`` applied in order (the empty composition is the identity); each part does its own caching.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AffineTransform, ComposeTransform, ExpTransform
        >>> ComposeTransform([AffineTransform(1.0, 2.0), ExpTransform()])(ember.tensor(0.0))
        tensor(2.7183)
    """

    _compared = ("parts",)

    def __init__(self, parts, cache_size=0):
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size)
        self.parts = list(parts)

    def _args(self):
        return (self.parts,)

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[-1].codomain.event_dim
        for p in reversed(self.parts):
            event_dim = max(event_dim + p.domain.event_dim - p.codomain.event_dim, p.domain.event_dim)
        return _lift(self.parts[0].domain, event_dim)

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for p in self.parts:
            event_dim = max(event_dim + p.codomain.event_dim - p.domain.event_dim, p.codomain.event_dim)
        return _lift(self.parts[-1].codomain, event_dim)

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self):
        if self._inv is None:
            self._inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inv._inv = self
        return self._inv

    def __call__(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return ember.zeros_like(x)
        xs = [x]
        for p in self.parts[:-1]:
            xs.append(p(xs[-1]))
        xs.append(y)
        total = None
        event_dim = self.domain.event_dim
        for p, a, b in zip(self.parts, xs[:-1], xs[1:], strict=True):
            term = sum_rightmost(p.log_abs_det_jacobian(a, b), event_dim - p.domain.event_dim)
            total = term if total is None else total + term
            event_dim += p.codomain.event_dim - p.domain.event_dim
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape

    def __repr__(self):
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with its ``reinterpreted_batch_ndims`` rightmost batch dims made event dims
    (the map is unchanged; the log-det-Jacobian is summed over them).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform, IndependentTransform
        >>> IndependentTransform(ExpTransform(), 1).log_abs_det_jacobian(ember.ones(2, 3), None)
        tensor([3., 3.])
    """

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def _args(self):
        return (self.base_transform, self.reinterpreted_batch_ndims)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.dim() < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.dim() < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Reshape the rightmost ``in_shape`` dims to ``out_shape`` (unit Jacobian).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ReshapeTransform
        >>> t = ReshapeTransform((4,), (2, 2)); t(ember.zeros(3, 4)).shape, t.inverse_shape((3, 2, 2))
        (ember.Size([3, 2, 2]), ember.Size([3, 4]))
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape, self.out_shape = Size(tuple(in_shape)), Size(tuple(out_shape))
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size)

    def _args(self):
        return (self.in_shape, self.out_shape)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        return x.reshape(x.shape[:x.dim() - len(self.in_shape)] + self.out_shape)

    def _inverse(self, y):
        return y.reshape(y.shape[:y.dim() - len(self.out_shape)] + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(x.shape[:x.dim() - len(self.in_shape)])

    @staticmethod
    def _swap(shape, old, new):
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            raise ValueError(f"Shape mismatch: expected {Size(tuple(shape[cut:]))} but got {old}")
        return Size(tuple(shape[:cut]) + tuple(new))

    def forward_shape(self, shape):
        return self._swap(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap(shape, self.out_shape, self.in_shape)


class _Increasing(Transform):
    """A parameter-free increasing elementwise bijection: sign +1, equal to any instance of its class."""

    bijective = True
    sign = 1
    _compared = ()


class ExpTransform(_Increasing):
    """``y = exp(x)``.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform
        >>> ExpTransform().log_abs_det_jacobian(ember.tensor(2.0), None)
        tensor(2.)
    """

    codomain = constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """``y = x ** exponent`` on positive numbers (``exponent`` is kept as a tensor).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import PowerTransform
        >>> t = PowerTransform(2.0); t(ember.tensor(3.0)), t.sign
        (tensor(9.), tensor(1.))
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True
    _compared = ("exponent",)

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def _args(self):
        return (self.exponent,)

    @property
    def sign(self):
        return self.exponent.sign()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return ember.broadcast_shapes(shape, self.exponent.shape)

    inverse_shape = forward_shape


def _clipped_sigmoid(x):
    info = ember.finfo(x.dtype)
    return x.sigmoid().clamp(min=info.tiny, max=1 - info.eps)


class SigmoidTransform(_Increasing):
    """``y = 1 / (1 + exp(-x))``, kept inside ``(0, 1)`` at float precision.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import SigmoidTransform
        >>> SigmoidTransform().inv(ember.tensor(0.5))
        tensor(0.)
    """

    codomain = constraints.unit_interval

    def _call(self, x):
        return _clipped_sigmoid(x)

    def _inverse(self, y):
        info = ember.finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class SoftplusTransform(_Increasing):
    """``y = log(1 + exp(x))`` (linear above ``x = 20``, as ``nn.functional.softplus``).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import SoftplusTransform
        >>> t = SoftplusTransform(); t(ember.tensor(0.0)), t.inv(ember.tensor(math.log(2.0)))
        (tensor(0.6931), tensor(0.))
    """

    codomain = constraints.positive

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        return (-y).expm1().neg().log() + y

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class TanhTransform(_Increasing):
    """``y = tanh(x)``.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import TanhTransform
        >>> TanhTransform().log_abs_det_jacobian(ember.tensor(0.0), None)
        tensor(0.)
    """

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """``y = |x|`` (not bijective: the inverse picks the nonnegative preimage).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AbsTransform
        >>> t = AbsTransform(); t(ember.tensor([-2.0, 3.0])), t.inv(ember.tensor(2.0))
        (tensor([2., 3.]), tensor(2.))
    """

    codomain = constraints.positive
    _compared = ()

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """``y = loc + scale * x``; ``event_dim`` rightmost dims form one event (their Jacobians add up).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AffineTransform
        >>> t = AffineTransform(1.0, -2.0); t(ember.tensor(3.0)), t.sign
        (tensor(-5.), -1)
    """

    bijective = True
    _compared = ("loc", "scale")

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    def _args(self):
        return (self.loc, self.scale, self._event_dim)

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return _lift(constraints.real, self._event_dim)

    codomain = domain

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale
        if isinstance(scale, numbers.Real):
            result = ember.full_like(x, math.log(abs(scale)))
        else:
            result = scale.abs().log().expand(ember.broadcast_shapes(scale.shape, x.shape))
        return sum_rightmost(result, self._event_dim)

    def forward_shape(self, shape):
        return ember.broadcast_shapes(shape, getattr(self.loc, "shape", ()), getattr(self.scale, "shape", ()))

    inverse_shape = forward_shape


def _shift_right(x, fill=1.0):
    """``x[..., :-1]`` with ``fill`` put in front (the last entry drops out)."""
    return ember.cat([ember.full_like(x[..., :1], fill), x[..., :-1]], -1)


def _append(x, fill=1.0):
    """``x`` with ``fill`` appended along the last dim."""
    return ember.cat([x, ember.full_like(x[..., :1], fill)], -1)


def _descending(n, like):
    """``[n, n - 1, ..., 1]`` with ``like``'s dtype and device."""
    return ember.arange(n, 0, -1, dtype=like.dtype, device=like.device)


class SoftmaxTransform(Transform):
    """``y = exp(x) / sum(exp(x))`` onto the simplex (not bijective: the inverse is ``log``).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import SoftmaxTransform
        >>> SoftmaxTransform()(ember.tensor([0.0, math.log(3.0)]))
        tensor([0.2500, 0.7500])
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    _compared = ()

    def _call(self, x):
        probs = (x - x.amax(-1, keepdim=True)).exp()
        return probs / probs.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    inverse_shape = forward_shape


class StickBreakingTransform(Transform):
    """Unconstrained ``K``-vectors onto the ``K + 1``-simplex by stick breaking: each entry (shifted by
    ``log`` of the sticks left) takes a sigmoid share of what remains.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import StickBreakingTransform
        >>> t = StickBreakingTransform(); y = t(ember.zeros(2)); y, t.inv(y).abs().max() < 1e-6
        (tensor([0.3333, 0.3333, 0.3333]), tensor(True))
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True
    _compared = ()

    def _call(self, x):
        z = _clipped_sigmoid(x - _descending(x.shape[-1], x).log())
        return _append(z) * _shift_right(_append((1 - z).cumprod(-1)))

    def _inverse(self, y):
        y_crop = y[..., :-1]
        rest = (1 - y_crop.cumsum(-1)).clamp(min=ember.finfo(y.dtype).tiny)
        return y_crop.log() - rest.log() + _descending(y_crop.shape[-1], y).log()

    def log_abs_det_jacobian(self, x, y):
        x = x - _descending(x.shape[-1], x).log()
        return (-x + F.logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] - 1,))


@functools.cache
def _tril_positions(n, diag):
    """Flat (row-major) positions in an ``n x n`` matrix of the entries on or below diagonal ``diag``."""
    return tuple(i * n + j for i in range(n) for j in range(max(0, min(n, i + diag + 1))))


def _tril_to_vec(mat, diag):
    """The entries of ``mat`` on or below diagonal ``diag``, row by row."""
    n = mat.shape[-1]
    index = ember.tensor(_tril_positions(n, diag), dtype=ember.int64, device=mat.device)
    return mat.reshape(tuple(mat.shape[:-2]) + (n * n,)).index_select(-1, index)


@functools.cache
def _tril_sources(n, diag):
    """For each flat position of an ``n x n`` matrix: its index in the row-by-row vector of the entries on or
    below diagonal ``diag``, or the vector's length (an appended zero) for the entries above it."""
    sources = [len(_tril_positions(n, diag))] * (n * n)
    for k, pos in enumerate(_tril_positions(n, diag)):
        sources[pos] = k
    return tuple(sources)


def _vec_to_tril(vec, n, diag):
    """An ``n x n`` matrix with ``vec`` filled row by row on or below diagonal ``diag``, zeros elsewhere."""
    index = ember.tensor(_tril_sources(n, diag), dtype=ember.int64, device=vec.device)
    return _append(vec, 0.0).index_select(-1, index).reshape(tuple(vec.shape[:-1]) + (n, n))


def _corr_size(n):
    """The side ``D`` of a correlation matrix with ``n = D (D - 1) / 2`` free entries."""
    d = round((0.25 + 2 * n) ** 0.5 + 0.5)
    if d * (d - 1) // 2 != n:
        raise ValueError("Input is not a flattened lower-diagonal number")
    return d


class CorrCholeskyTransform(Transform):
    """Unconstrained vectors of length ``D (D - 1) / 2`` onto Cholesky factors of ``D x D``
    correlation matrices: ``tanh`` of each entry is a signed share of what is left of its row's unit norm.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import CorrCholeskyTransform
        >>> CorrCholeskyTransform()(ember.tensor([0.5]))
        tensor([[1.0000, 0.0000],
                [0.4621, 0.8868]])
    """

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        eps = ember.finfo(x.dtype).eps
        r = _vec_to_tril(x.tanh().clamp(min=-1 + eps, max=1 - eps), _corr_size(x.shape[-1]), -1)
        left = (1 - r * r).sqrt().cumprod(-1)
        eye = ember.eye(r.shape[-1], dtype=r.dtype, device=r.device)
        return (r + eye) * _shift_right(left)

    def _inverse(self, y):
        left = _shift_right(1 - (y * y).cumsum(-1))
        t = _tril_to_vec(y, -1) / _tril_to_vec(left, -1).sqrt()
        return (t.log1p() - t.neg().log1p()) / 2

    def log_abs_det_jacobian(self, x, y):
        left = _tril_to_vec(1 - (y * y).cumsum(-1), -2)
        stick_breaking = 0.5 * left.log().sum(-1)
        tanh = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + tanh

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        d = _corr_size(shape[-1])
        return Size(tuple(shape[:-1]) + (d, d))

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return Size(tuple(shape[:-2]) + (d * (d - 1) // 2,))


def _map_diagonal(x, fn):
    """``x`` below the diagonal, ``fn`` of its diagonal on it, zeros above."""
    return x.tril(-1) + fn(x.diagonal(dim1=-2, dim2=-1)).diag_embed()


class LowerCholeskyTransform(Transform):
    """Unconstrained matrices onto lower-triangular ones with a positive (exponentiated) diagonal.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import LowerCholeskyTransform
        >>> LowerCholeskyTransform()(ember.tensor([[0.0, 5.0], [2.0, 0.0]]))
        tensor([[1., 0.],
                [2., 1.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky
    _compared = ()

    def _call(self, x):
        return _map_diagonal(x, ember.exp)

    def _inverse(self, y):
        return _map_diagonal(y, ember.log)


class PositiveDefiniteTransform(Transform):
    """Unconstrained matrices onto positive-definite ones: ``L @ L.mT`` for ``L`` from
    :class:`LowerCholeskyTransform`; the inverse goes through the Cholesky factor.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import PositiveDefiniteTransform
        >>> PositiveDefiniteTransform()(ember.tensor([[0.0, 5.0], [2.0, 0.0]]))
        tensor([[1., 2.],
                [2., 5.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite
    _compared = ()

    def _call(self, x):
        low = _map_diagonal(x, ember.exp)
        return low @ low.mT

    def _inverse(self, y):
        return _map_diagonal(ember.linalg.cholesky(y), ember.log)


def _check_along(name, t, dim, size, expected):
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for {name} with {t.dim()} dimensions")
    if t.shape[dim] != size:
        raise AssertionError(f"{name}.size({dim}) = {t.shape[dim]} must equal {expected} {size}")


class CatTransform(Transform):
    """``tseq[i]`` applied to the ``i``-th block (of ``lengths[i]`` entries) along ``dim``, as :func:`ember.cat`
    joins them.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import CatTransform, ExpTransform, identity_transform
        >>> CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])(ember.zeros(3))
        tensor([1., 0., 0.])
    """

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms ({len(self.transforms)})")
        self.dim = dim

    def _args(self):
        return (self.transforms, self.dim, self.lengths)

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self):
        return sum(self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _blocks(self, *tensors):
        """Per transform: the transform and its block of each tensor."""
        start = 0
        for t, length in zip(self.transforms, self.lengths, strict=True):
            yield (t, *(v.narrow(self.dim, start, length) for v in tensors))
            start += length

    def _call(self, x):
        _check_along("x", x, self.dim, self.length, "length")
        return ember.cat([t(a) for t, a in self._blocks(x)], self.dim)

    def _inverse(self, y):
        _check_along("y", y, self.dim, self.length, "length")
        return ember.cat([t.inv(b) for t, b in self._blocks(y)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_along("x", x, self.dim, self.length, "length")
        _check_along("y", y, self.dim, self.length, "length")
        terms = [sum_rightmost(t.log_abs_det_jacobian(a, b), self.event_dim - t.event_dim)
                 for t, a, b in self._blocks(x, y)]
        dim = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        return ember.cat(terms, dim) if dim < 0 else sum(terms)


class StackTransform(Transform):
    """``tseq[i]`` applied to the ``i``-th slice along ``dim``, as :func:`ember.stack` joins them.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform, StackTransform, identity_transform
        >>> StackTransform([ExpTransform(), identity_transform], dim=1)(ember.zeros(1, 2))
        tensor([[1., 0.]])
    """

    def __init__(self, tseq, dim=0, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    def _args(self):
        return (self.transforms, self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, name, v):
        _check_along(name, v, self.dim, len(self.transforms), "len(transforms)")
        return [v.select(self.dim, i) for i in range(v.shape[self.dim])]

    def _call(self, x):
        return ember.stack([t(a) for t, a in zip(self.transforms, self._slices("x", x), strict=True)], self.dim)

    def _inverse(self, y):
        return ember.stack([t.inv(b) for t, b in zip(self.transforms, self._slices("y", y), strict=True)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        pairs = zip(self.transforms, self._slices("x", x), self._slices("y", y), strict=True)
        return ember.stack([t.log_abs_det_jacobian(a, b) for t, a, b in pairs], self.dim)


class CumulativeDistributionTransform(Transform):
    """``y = distribution.cdf(x)`` onto the unit interval (its log-det-Jacobian is ``log_prob(x)``).

    Example:
        >>> import ember
        >>> from ember.distributions import Normal
        >>> from ember.distributions.transforms import CumulativeDistributionTransform
        >>> t = CumulativeDistributionTransform(Normal(0.0, 1.0)); t(ember.tensor(0.0)), t.inv(ember.tensor(0.5))
        (tensor(0.5000), tensor(0.))
    """

    bijective = True
    codomain = constraints.unit_interval
    sign = 1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size)
        self.distribution = distribution

    def _args(self):
        return (self.distribution,)

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
