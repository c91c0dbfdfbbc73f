"""Special functions written against the array API: erf, erfc, erfinv, lgamma, digamma,
polygamma and the modified Bessel functions I0, I1 (plain and exponentially scaled).

Every kernel here is a plain function of ``(xp, array)`` accurate to about 1e-15
relative in float64 (no scipy); the ops pair each kernel with its derivative.
"""

from __future__ import annotations

import math

from .._tensor import apply
from ..autograd.node import Op
from ._registry import export
from .elementwise import _floating, where

# --- erf and erfc: W. J. Cody's rational approximations (Math. Comp. 23, 1969) --------------
_ERF_SMALL = 0.46875
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
          8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
          2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
          3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
          6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
          2.33520497626869185e-3)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)


def _ratio(z, num, den, lead):
    """``(lead * z**k + num...) / (z**k + den...)`` by Horner, Cody's layout."""
    n = lead * z
    d = z
    for a, b in zip(num[:-1], den[:-1]):
        n = (n + a) * z
        d = (d + b) * z
    return (n + num[-1]) / (d + den[-1])


def _erf_small(x):
    """erf(x) for ``|x| <= 0.46875``."""
    return x * _ratio(x * x, _ERF_A[:4], _ERF_B, _ERF_A[4])


def _exp_neg_square(xp, y):
    """``exp(-y*y)`` without the rounding error of forming ``y*y``."""
    head = xp.trunc(y * 16) / 16
    return xp.exp(-head * head) * xp.exp(-(y - head) * (y + head))


def _erfc_tail(xp, y):
    """erfc(y) for ``y > 0.46875`` (meaningless below)."""
    mid = _ratio(y, _ERF_C[:8], _ERF_D, _ERF_C[8])
    z = 1 / (y * y)
    far = (_INV_SQRT_PI - z * _ratio(z, _ERF_P[:5], _ERF_Q, _ERF_P[5])) / y
    return _exp_neg_square(xp, y) * xp.where(y <= 4, mid, far)


def erf_kernel(xp, x):
    """erf of an array."""
    y = xp.abs(x)
    tail = (0.5 - _erfc_tail(xp, y)) + 0.5
    return xp.where(y <= _ERF_SMALL, _erf_small(x), xp.where(x < 0, -tail, tail))


def erfc_kernel(xp, x):
    """erfc of an array (accurate far into the right tail)."""
    tail = _erfc_tail(xp, xp.abs(x))
    return xp.where(xp.abs(x) <= _ERF_SMALL, 1 - _erf_small(x), xp.where(x < 0, 2 - tail, tail))


def erfinv_kernel(xp, x):
    """erfinv: Winitzki's closed-form guess refined by three Halley steps on erf (erfc in the tails)."""
    ax = xp.abs(x)
    w = xp.log((1 - ax) * (1 + ax))
    t = 2 / (math.pi * 0.147) + w / 2
    y = xp.sqrt(xp.sqrt(t * t - w / 0.147) - t)
    tail = ax > 0.5
    for _ in range(3):
        resid = xp.where(tail, (1 - ax) - erfc_kernel(xp, y), erf_kernel(xp, y) - ax)
        d = resid / (2 * _INV_SQRT_PI * _exp_neg_square(xp, y))
        y = y - d / (1 + y * d)
    y = xp.where(ax == 1, math.inf, xp.where(ax > 1, math.nan, y))
    return xp.where(x < 0, -y, y)


# --- lgamma: a series about 2 on [0.5, 2.5], Lanczos above, reflection below -----------------
def _zeta_minus_one(k, n=100):
    """zeta(k) - 1 for integer k >= 2 by direct sum plus an Euler-Maclaurin tail (host floats)."""
    head = math.fsum(m ** -k for m in range(n - 1, 1, -1))
    rising = [math.prod(range(k, k + j)) for j in (1, 3, 5)]  # k, k(k+1)(k+2), ...
    tail = (n ** (1 - k) / (k - 1) + n ** -k / 2 + rising[0] * n ** (-k - 1) / 12
            - rising[1] * n ** (-k - 3) / 720 + rising[2] * n ** (-k - 5) / 30240)
    return head + tail


_EULER_GAMMA = 0.57721566490153286061
# lgamma(2 + z) = (1 - gamma) z + sum_k (-1)^k (zeta(k) - 1) / k z^k, |z| <= 1/2
_LGAMMA2 = (1 - _EULER_GAMMA,) + tuple((-1) ** k * _zeta_minus_one(k) / k for k in range(2, 30))
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _poly(z, coeffs):
    """``sum(c_k * z**(k+1))`` by Horner (no constant term)."""
    acc = coeffs[-1]
    for c in coeffs[-2::-1]:
        acc = acc * z + c
    return acc * z


def _lgamma_from_half(xp, x):
    """lgamma for ``x >= 0.5``."""
    z1 = x - 1
    near = xp.where(x < 1.5, _poly(z1, _LGAMMA2) - xp.log1p(z1), _poly(x - 2, _LGAMMA2))
    s = _LANCZOS[0]
    for i, c in enumerate(_LANCZOS[1:], 1):
        s = s + c / (z1 + i)
    t = z1 + 7.5
    far = _HALF_LOG_2PI + (z1 + 0.5) * xp.log(t) - t + xp.log(s)
    return xp.where(x <= 2.5, near, far)


def _sinpi_abs(xp, x):
    """``|sin(pi x)|`` with exact argument reduction."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma_kernel(xp, x):
    """log|Gamma(x)|; +inf at the poles and at +-inf."""
    low = x < 0.5
    pos = _lgamma_from_half(xp, xp.where(low, 1 - x, x))
    out = xp.where(low, math.log(math.pi) - xp.log(_sinpi_abs(xp, x)) - pos, pos)
    return xp.where(xp.isinf(x), math.inf, out)


# --- digamma and polygamma: shift up, asymptotic series, reflection for x < 0 ---------------
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330)


def _polygamma_from_zero(xp, n, x):
    """psi^(n)(x) for ``x >= 0``: ``psi^(n)(x) = psi^(n)(x + S) - (-n! / -(x + k)^(n+1) terms)``."""
    shift = 10 + 2 * n
    acc = 0
    for k in range(shift):
        r = 1 / (x + k)
        acc = acc + (r if n == 0 else r ** (n + 1))
    y = x + shift
    w = 1 / (y * y)
    if n == 0:
        coeffs = tuple(-b / (2 * k) for k, b in enumerate(_BERNOULLI, 1))
        return xp.log(y) - 0.5 / y + _poly(w, coeffs) - acc
    coeffs = tuple(b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) for k, b in enumerate(_BERNOULLI, 1))
    series = math.factorial(n - 1) + math.factorial(n) / (2 * y) + _poly(w, coeffs)
    return (-1) ** (n + 1) * (series / y ** n + math.factorial(n) * acc)


def _cot_derivative_poly(n):
    """Coefficients (low to high) of P_n with d^n/du^n cot(u) = P_n(cot(u))."""
    p = [0, 1]
    for _ in range(n):
        dp = [k * c for k, c in enumerate(p)][1:] or [0]
        # -(1 + c^2) * P'(c)
        out = [0] * (len(dp) + 2)
        for k, c in enumerate(dp):
            out[k] -= c
            out[k + 2] -= c
        p = out
    return p


def polygamma_kernel(xp, n, x):
    """psi^(n)(x); reflection ``psi^(n)(x) = (-1)^n psi^(n)(1-x) - pi^(n+1) P_n(cot(pi x))`` for x < 0."""
    neg = x < 0
    val = _polygamma_from_zero(xp, n, xp.where(neg, 1 - x, x))
    r = x - xp.round(x)
    cot = xp.cos(math.pi * r) / xp.sin(math.pi * r)
    poly = 0
    for c in reversed(_cot_derivative_poly(n)):
        poly = poly * cot + c
    out = xp.where(neg, (-1) ** n * val - math.pi ** (n + 1) * poly, val)
    pole = neg & (r == 0)
    return xp.where(pole, math.nan if n == 0 else (-1) ** (n + 1) * math.inf, out)


# --- modified Bessel functions I0 and I1: power series, asymptotic expansion past 20 ----------
_BESSEL_SWITCH = 20.0


def _asymptotic_coeffs(nu, terms=40):
    c, out = 1.0, []
    for k in range(1, terms + 1):
        c *= -(4 * nu * nu - (2 * k - 1) ** 2) / (8 * k)
        out.append(c)
    return tuple(out)


_BESSEL_ASYM = {nu: _asymptotic_coeffs(nu) for nu in (0, 1)}


def bessel_i_kernel(xp, nu, x, scaled):
    """I_nu(x) for nu in (0, 1), times ``exp(-|x|)`` when ``scaled``."""
    ax = xp.abs(x)
    xs = xp.minimum(ax, _BESSEL_SWITCH)
    q = xs * xs / 4
    term = 1.0 if nu == 0 else xs / 2
    s = term
    for k in range(1, 46):
        term = term * q / (k * (k + nu))
        s = s + term
    if scaled:
        s = s * xp.exp(-xs)
    y = xp.maximum(ax, _BESSEL_SWITCH)
    a = (1 + _poly(1 / y, _BESSEL_ASYM[nu])) / xp.sqrt(2 * math.pi * y)
    if not scaled:
        half = xp.exp(y / 2)
        a = half * (half * a)
    out = xp.where(ax <= _BESSEL_SWITCH, s, a)
    return out if nu == 0 else xp.where(x < 0, -out, out)


# --- ops --------------------------------------------------------------------------------------
class Erf(Op):
    save_inputs = True

    def forward(self, be, a):
        return erf_kernel(be.xp, a)

    def backward(self, g):
        (x,) = self.saved()
        return (g * (2 * _INV_SQRT_PI) * (-x * x).exp(),)


class Erfc(Op):
    save_inputs = True

    def forward(self, be, a):
        return erfc_kernel(be.xp, a)

    def backward(self, g):
        (x,) = self.saved()
        return (g * (-2 * _INV_SQRT_PI) * (-x * x).exp(),)


class Erfinv(Op):
    save_output = True

    def forward(self, be, a):
        return erfinv_kernel(be.xp, a)

    def backward(self, g):
        y = self.output
        return (g * (math.sqrt(math.pi) / 2) * (y * y).exp(),)


class Lgamma(Op):
    save_inputs = True

    def forward(self, be, a):
        return lgamma_kernel(be.xp, a)

    def backward(self, g):
        (x,) = self.saved()
        return (g * digamma(x),)


class Polygamma(Op):
    save_inputs = True

    def forward(self, be, a, n):
        self.n = n
        return polygamma_kernel(be.xp, n, a)

    def backward(self, g):
        (x,) = self.saved()
        return (g * polygamma(self.n + 1, x),)

    def name(self):
        return "DigammaBackward0" if self.n == 0 else "PolygammaBackward0"


class BesselI(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, nu, scaled):
        self.nu, self.scaled = nu, scaled
        return bessel_i_kernel(be.xp, nu, a, scaled)

    def backward(self, g):
        (x,) = self.saved()
        y = self.output
        other = apply(BesselI, (x,), 1 - self.nu, self.scaled)
        if self.nu == 0:
            d = other  # I0' = I1
        else:  # I1' = I0 - I1 / x, 1/2 at 0
            nonzero = x != 0
            d = where(nonzero, other - y / where(nonzero, x, 1.0), 0.5)
        if self.scaled:
            d = d - x.sign() * y
        return (g * d,)

    def name(self):
        return f"Special{'I0I1'[self.nu * 2:self.nu * 2 + 2]}{'E' if self.scaled else ''}Backward0"




# --- public functions -------------------------------------------------------------------------
@export(inplace=True)
def erf(input):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``.

    Example:
        >>> import ember
        >>> ember.erf(ember.tensor([0.0, 1.0, -2.0]))
        tensor([ 0.0000,  0.8427, -0.9953])
    """
    return apply(Erf, (_floating(input),))


@export(inplace=True)
def erfc(input):
    """The complementary error function ``1 - erf(x)``, accurate in the right tail.

    Example:
        >>> import ember
        >>> ember.erfc(ember.tensor([0.0, 1.0, 10.0], dtype=ember.float64))
        tensor([1.0000e+00, 1.5730e-01, 2.0885e-45], dtype=ember.float64)
    """
    return apply(Erfc, (_floating(input),))


@export(inplace=True)
def erfinv(input):
    """The inverse of :func:`erf` on ``[-1, 1]`` (``+-inf`` at ``+-1``, nan outside).

    Example:
        >>> import ember
        >>> ember.erfinv(ember.tensor([0.0, 0.5, -1.0]))
        tensor([0.0000, 0.4769,   -inf])
    """
    return apply(Erfinv, (_floating(input),))


@export(inplace=True)
def lgamma(input):
    """``log|Gamma(x)|``.

    Example:
        >>> import ember
        >>> ember.lgamma(ember.tensor([0.5, 1.0, 10.0]))
        tensor([ 0.5724,  0.0000, 12.8018])
    """
    return apply(Lgamma, (_floating(input),))


@export(inplace=True)
def digamma(input):
    """The logarithmic derivative of Gamma, ``psi(x)``; -inf at 0, nan at negative integers.

    Example:
        >>> import ember
        >>> ember.digamma(ember.tensor([1.0, 0.5]))
        tensor([-0.5772, -1.9635])
    """
    return apply(Polygamma, (_floating(input),), 0)


export("psi", method=False)(digamma)


def _check_order(n):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


@export(method=False)
def polygamma(n, input):
    """The ``n``-th derivative of :func:`digamma`.

    Example:
        >>> import ember
        >>> ember.polygamma(1, ember.tensor([1.0, 2.0]))
        tensor([1.6449, 0.6449])
    """
    _check_order(n)
    return apply(Polygamma, (_floating(input),), n)


def _polygamma_method(self, n):
    """``ember.polygamma(n, self)``.

    Example:
        >>> import ember
        >>> ember.tensor([1.0]).polygamma(2)
        tensor([-2.4041])
    """
    return polygamma(n, self)


export("polygamma", function=False, inplace="polygamma_")(_polygamma_method)


@export(inplace=True)
def mvlgamma(input, p):
    """The multivariate log-gamma ``sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)`` of dimension ``p``.

    Example:
        >>> import ember
        >>> ember.mvlgamma(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _floating(input)
    out = lgamma(x)
    for i in range(1, p):
        out = out + lgamma(x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def _bessel(name, nu, scaled, example, result):
    what = f"I{nu}" + (" times ``exp(-|x|)``" if scaled else "")

    def fn(input):
        return apply(BesselI, (_floating(input),), nu, scaled)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""The modified Bessel function of the first kind {what}.

    Example:
        >>> import ember
        >>> ember.special.{name}(ember.tensor({example}))
        {result}
    """
    return fn


i0 = export("i0", inplace=True)(_bessel("i0", 0, False, "[0.0, 1.0]", "tensor([1.0000, 1.2661])"))
i0e = _bessel("i0e", 0, True, "[0.0, 1.0]", "tensor([1.0000, 0.4658])")
i1 = _bessel("i1", 1, False, "[0.0, -1.0]", "tensor([ 0.0000, -0.5652])")
i1e = _bessel("i1e", 1, True, "[0.0, 1.0]", "tensor([0.0000, 0.2079])")

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "i0e", "i1", "i1e"]
