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
from .elementwise import _float_pair, _floating, where

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


# =============================================================================================
# The rest of torch.special: Bessel J/Y/K, Airy Ai, erfcx, log_ndtr, the regularized incomplete
# gamma functions, Hurwitz zeta and the classical orthogonal polynomials. Kernels that need a wide
# exponent range or many terms work in float64 and round to the input's dtype at the end.
# =============================================================================================
def _via_float64(kernel):
    """Run ``kernel(xp, *arrays)`` in float64 and return the result in the first array's dtype."""

    def run(xp, *arrays):
        dtype = arrays[0].dtype
        out = kernel(xp, *(xp.astype(a, xp.float64) for a in arrays))
        return out if dtype == xp.float64 else xp.astype(out, dtype)

    run.__name__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    return run


def _bessel_asym_terms(nu, terms):
    """``a_k(nu) = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! 8^k)`` for k = 0..terms-1 (Hankel's expansion)."""
    out, c = [1.0], 1.0
    for k in range(1, terms):
        c *= (4 * nu * nu - (2 * k - 1) ** 2) / (8 * k)
        out.append(c)
    return out


def _series(w, coeffs):
    """``sum_k coeffs[k] * w**k`` by Horner."""
    acc = coeffs[-1]
    for c in coeffs[-2::-1]:
        acc = acc * w + c
    return acc


_HANKEL_TERMS = 32
_HANKEL = {nu: _bessel_asym_terms(nu, _HANKEL_TERMS) for nu in (0, 1, 1 / 3)}


def _hankel_pq(nu, y):
    """Hankel's ``P, Q`` for ``J_nu, Y_nu`` at large ``y`` (error ~ exp(-2y))."""
    a = _HANKEL[nu]
    w = -1 / (y * y)
    return _series(w, a[0::2]), _series(w, a[1::2]) / y


# --- J0, J1, Y0, Y1: power series to 2, Miller's backward recurrence to 25, Hankel beyond --------
_JY_SMALL, _JY_LARGE, _MILLER_START = 2.0, 25.0, 70
_HARMONIC = [math.fsum(1 / j for j in range(1, k + 1)) for k in range(30)]


def _jy_series(xp, x):
    """J0, J1, Y0, Y1 by their power series (``0 < x <= 2``)."""
    q = -x * x / 4
    j0 = j1 = y0s = y1s = 0.0
    for k in range(24, -1, -1):  # Horner in q, the 1/(k!)^2 style weights folded into each step
        fk, fk1 = math.factorial(k), math.factorial(k + 1)
        c0, c1 = 1 / (fk * fk), 1 / (fk * fk1)
        j0 = j0 * q + c0
        j1 = j1 * q + c1
        y0s = y0s * q + c0 * _HARMONIC[k]
        y1s = y1s * q + c1 * (_HARMONIC[k] + _HARMONIC[k + 1] - 2 * _EULER_GAMMA)
    half = x / 2
    j1 = j1 * half
    log_half = xp.log(half)
    y0 = (2 / math.pi) * ((log_half + _EULER_GAMMA) * j0 - y0s)
    y1 = -2 / (math.pi * x) + (2 / math.pi) * log_half * j1 - half * y1s / math.pi
    return j0, j1, y0, y1


def _miller(xp, nu, z, start, sums):
    """Backward recurrence for ``f_k ~ J_{nu+k}(z)`` from ``k = start``; returns ``f_0, f_1`` and
    ``sum_k c_k f_k`` for each coefficient table ``c`` in ``sums`` (lists indexed by k)."""
    inv = 2 / z
    f_next = xp.zeros_like(z)
    f = xp.full_like(z, 1e-30)
    acc = [c[start] * f if c[start] else 0.0 for c in sums]
    for k in range(start, 0, -1):
        f, f_next = (nu + k) * inv * f - f_next, f
        for i, c in enumerate(sums):
            if c[k - 1]:
                acc[i] = acc[i] + c[k - 1] * f
    return f, f_next, acc


def _jy_miller_coeffs(n):
    norm = [1.0] + [2.0 if k % 2 == 0 else 0.0 for k in range(1, n + 1)]
    y0 = [0.0] + [(-1) ** (k // 2) / (k // 2) if k % 2 == 0 else 0.0 for k in range(1, n + 1)]
    y1 = [0.0] * 2 + [(-1) ** (k // 2) * k / ((k // 2) * (k // 2 + 1)) if k % 2 else 0.0 for k in range(2, n + 1)]
    return norm, y0, y1


_JY_MILLER = _jy_miller_coeffs(_MILLER_START)


def _jy_mid(xp, x):
    """J0, J1, Y0, Y1 from one Miller recurrence normalised by ``J0 + 2 sum J_2k = 1`` (Neumann series for Y)."""
    f0, f1, (norm, s0, s1) = _miller(xp, 0, x, _MILLER_START, _JY_MILLER)
    j0, j1 = f0 / norm, f1 / norm
    log_term = xp.log(x / 2) + _EULER_GAMMA
    y0 = (2 / math.pi) * (log_term * j0 - 2 * s0 / norm)
    y1 = (2 / math.pi) * (-j0 / x + (log_term - 1) * j1 - s1 / norm)
    return j0, j1, y0, y1


def _jy_large(xp, x):
    """J0, J1, Y0, Y1 by Hankel's asymptotic expansion (``x >= 25``)."""
    c, s = xp.cos(x), xp.sin(x)
    amp = xp.sqrt(1 / (math.pi * x))  # sqrt(2 / (pi x)) / sqrt(2), the sqrt(2) of cos(x - pi/4) folded in
    p0, q0 = _hankel_pq(0, x)
    p1, q1 = _hankel_pq(1, x)
    # cos(x - pi/4) = (c + s)/sqrt2, sin(x - pi/4) = (s - c)/sqrt2; the order-1 phase is a quarter turn later
    j0 = amp * (p0 * (c + s) - q0 * (s - c))
    y0 = amp * (p0 * (s - c) + q0 * (c + s))
    j1 = amp * (p1 * (s - c) + q1 * (c + s))
    y1 = amp * (-p1 * (c + s) + q1 * (s - c))
    return j0, j1, y0, y1


def _jy_kernel(which):
    """Kernel for J0, J1, Y0 or Y1 (``which`` indexes that order)."""

    def kernel(xp, x):
        ax = xp.abs(x)
        small = xp.clip(ax, 1e-300, _JY_SMALL)
        mid = xp.clip(ax, _JY_SMALL, _JY_LARGE)
        large = xp.where(ax >= _JY_LARGE, ax, _JY_LARGE)
        out = xp.where(ax <= _JY_SMALL, _jy_series(xp, small)[which],
                       xp.where(ax < _JY_LARGE, _jy_mid(xp, mid)[which], _jy_large(xp, large)[which]))
        out = xp.where(xp.isnan(x), x, out)
        if which == 0:
            return out
        if which == 1:
            return xp.where(x < 0, -out, out)
        edge = xp.where(x == 0, -math.inf, xp.full_like(x, math.nan))
        return xp.where(x > 0, out, edge)

    kernel.__name__ = ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1")[which] + "_kernel"
    return _via_float64(kernel)


# --- K0, K1 (and K_{1/3} for Airy): series to 2, trapezoidal rule on the cosh integral, asymptotic --
_K_SMALL, _K_LARGE = 2.0, 20.0
_TRAP_STEP, _TRAP_NODES = 0.1, 46
_TRAP_T = [j * _TRAP_STEP for j in range(_TRAP_NODES)]
_TRAP_SINH2 = [2 * math.sinh(t / 2) ** 2 for t in _TRAP_T]  # cosh t - 1 without cancellation


def _k_scaled_trapezoid(xp, nu, z):
    """``exp(z) K_nu(z) = int_0^inf exp(-z (cosh t - 1)) cosh(nu t) dt`` by the trapezoidal rule, which
    converges geometrically for this analytic, doubly exponentially decaying integrand (``z >= 1``)."""
    acc = 0.5 * xp.exp(-z * _TRAP_SINH2[0])
    for t, s in zip(_TRAP_T[1:], _TRAP_SINH2[1:], strict=True):
        acc = acc + math.cosh(nu * t) * xp.exp(-z * s)
    return acc * _TRAP_STEP


def _k_scaled_large(xp, nu, z):
    """``exp(z) K_nu(z)`` by its asymptotic expansion (``z >= 20``)."""
    return xp.sqrt(math.pi / (2 * z)) * _series(1 / z, _HANKEL[nu])


def _k_scaled_series(xp, nu, x):
    """``exp(x) K_nu(x)`` for ``0 < x <= 2`` from the series in I_nu (``nu`` 0 or 1)."""
    q = x * x / 4
    s = 0.0
    for k in range(24, -1, -1):
        fk = math.factorial(k)
        if nu == 0:
            s = s * q + _HARMONIC[k] / (fk * fk)
        else:
            s = s * q + (_HARMONIC[k] + _HARMONIC[k + 1] - 2 * _EULER_GAMMA) / (fk * math.factorial(k + 1))
    log_half = xp.log(x / 2)
    if nu == 0:
        k = -(log_half + _EULER_GAMMA) * bessel_i_kernel(xp, 0, x, False) + s
    else:
        k = 1 / x + log_half * bessel_i_kernel(xp, 1, x, False) - x / 4 * s
    return k * xp.exp(x)


def _k_kernel(nu, scaled):
    """Kernel for K0 or K1, times ``exp(x)`` when ``scaled``."""

    def kernel(xp, x):
        small = xp.clip(x, 1e-300, _K_SMALL)
        mid = xp.clip(x, _K_SMALL, _K_LARGE)
        large = xp.where(x >= _K_LARGE, x, _K_LARGE)
        out = xp.where(x <= _K_SMALL, _k_scaled_series(xp, nu, small),
                       xp.where(x < _K_LARGE, _k_scaled_trapezoid(xp, nu, mid), _k_scaled_large(xp, nu, large)))
        if not scaled:
            out = out * xp.exp(-x)
        out = xp.where(x == 0, math.inf, out)
        return xp.where((x < 0) | xp.isnan(x), math.nan, xp.where(x == math.inf, 0.0, out))

    kernel.__name__ = f"modified_bessel_k{nu}_kernel"
    return _via_float64(kernel)


# --- Airy Ai: Maclaurin series near 0, K_{1/3} for x > 1.5, J_{+-1/3} (Miller / Hankel) below -1.5 --
_AIRY_NEAR = 1.5
_AI0 = 1 / (3 ** (2 / 3) * math.gamma(2 / 3))
_AI1 = 1 / (3 ** (1 / 3) * math.gamma(1 / 3))  # -Ai'(0)


def _airy_maclaurin(xp, x):
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x) with the two power series solutions of ``y'' = x y``."""
    c = x * x * x
    f = g = 0.0
    for k in range(22, -1, -1):
        # f_k = prod_{j<=k} 1 / ((3j-1) 3j), g_k = prod_{j<=k} 1 / (3j (3j+1))
        f = 1.0 + c * f / ((3 * k + 2) * (3 * k + 3))
        g = 1.0 + c * g / ((3 * k + 3) * (3 * k + 4))
    return _AI0 * f - _AI1 * x * g


def _gegenbauer_weights(nu, n):
    """``c_m`` with ``(z/2)^nu = sum_m c_m J_{nu+2m}(z)``, placed at even k = 2m (odd k get 0)."""
    out, ratio = [], math.gamma(nu)
    for k in range(n + 1):
        if k % 2:
            out.append(0.0)
        else:
            m = k // 2
            out.append((nu + k) * ratio)
            ratio *= (nu + m) / (m + 1)
    return out


_AIRY_MILLER = 80
_GEGENBAUER = {nu: _gegenbauer_weights(nu, _AIRY_MILLER) for nu in (1 / 3, 2 / 3)}


def _j_fractional(xp, nu, z):
    """``J_nu(z), J_{nu+1}(z)`` for 0 < nu < 1 by Miller's recurrence with Gegenbauer's normalisation."""
    f0, f1, (norm,) = _miller(xp, nu, z, _AIRY_MILLER, [_GEGENBAUER[nu]])
    scale = (z / 2) ** nu / norm
    return f0 * scale, f1 * scale


def _airy_kernel(xp, x):
    """Airy's Ai on the real line."""
    ax = xp.abs(x)
    z = 2 / 3 * ax * xp.sqrt(ax)
    near = _airy_maclaurin(xp, xp.clip(x, -_AIRY_NEAR, _AIRY_NEAR))
    # x > 0: Ai(x) = sqrt(x/3) / pi * K_{1/3}(z)
    zk = xp.clip(z, 1.0, _K_LARGE)
    zk_large = xp.where(z >= _K_LARGE, z, _K_LARGE)
    ek = xp.where(z < _K_LARGE, _k_scaled_trapezoid(xp, 1 / 3, zk), _k_scaled_large(xp, 1 / 3, zk_large))
    right = xp.sqrt(ax / 3) / math.pi * ek * xp.exp(-z)
    # x < 0: Ai(-t) = sqrt(t)/3 (J_{1/3}(z) + J_{-1/3}(z)), J_{-1/3} = (4/3)/z J_{2/3} - J_{5/3}
    zj = xp.clip(z, 1.0, _JY_LARGE)
    j13, _ = _j_fractional(xp, 1 / 3, zj)
    j23, j53 = _j_fractional(xp, 2 / 3, zj)
    left_mid = xp.sqrt(ax) / 3 * (j13 + (4 / 3) / zj * j23 - j53)
    zl = xp.where(z >= _JY_LARGE, z, _JY_LARGE)
    p, q = _hankel_pq(1 / 3, zl)
    c, s = xp.cos(zl), xp.sin(zl)  # cos(z - pi/4) = (c + s)/sqrt2, sin(z - pi/4) = (s - c)/sqrt2
    left_far = xp.sqrt(ax / (3 * math.pi * zl)) * (p * (c + s) - q * (s - c))
    left = xp.where(z < _JY_LARGE, left_mid, left_far)
    out = xp.where(ax <= _AIRY_NEAR, near, xp.where(x > 0, right, left))
    return xp.where(x == math.inf, 0.0, xp.where((x == -math.inf) | xp.isnan(x), math.nan, out))


# --- erfcx and log_ndtr ---------------------------------------------------------------------
def erfcx_kernel(xp, x):
    """``exp(x^2) erfc(x)``, finite far into both tails where it does not overflow."""
    y = xp.abs(x)
    big = xp.where(y > _ERF_SMALL, y, 1.0)
    mid = _ratio(big, _ERF_C[:8], _ERF_D, _ERF_C[8])
    z = 1 / (big * big)
    far = (_INV_SQRT_PI - z * _ratio(z, _ERF_P[:5], _ERF_Q, _ERF_P[5])) / big
    tail = xp.where(big <= 4, mid, far)  # erfc(y) exp(y^2) for y > 0.46875
    near = xp.exp(x * x) * (1 - _erf_small(x))
    neg = 2 * xp.exp(x * x) - tail  # erfcx(-y) = 2 exp(y^2) - erfcx(y)
    return xp.where(y <= _ERF_SMALL, near, xp.where(x < 0, neg, tail))


# --- regularized incomplete gamma: series below a + 1, Legendre's continued fraction above --------
_IGAMMA_MAX_ITER, _IGAMMA_CHECK = 4000, 16


def _igamma_prefix(xp, a, x):
    """``x^a exp(-x) / Gamma(a)``."""
    return xp.exp(a * xp.log(x) - x - lgamma_kernel(xp, a))


def _igamma_series(xp, a, x):
    """P(a, x) by ``sum_n x^n / (a (a+1) ... (a+n))`` (use for ``x < a + 1``)."""
    term = 1 / a
    total = term
    for n in range(1, _IGAMMA_MAX_ITER):
        term = term * x / (a + n)
        total = total + term
        if n % _IGAMMA_CHECK == 0 and bool(xp.all(term <= 1e-17 * total)):
            break
    return total * _igamma_prefix(xp, a, x)


def _igamma_fraction(xp, a, x):
    """Q(a, x) by the modified Lentz evaluation of Legendre's continued fraction (``x >= a + 1``)."""
    tiny = 1e-300
    b = x + 1 - a
    c = xp.full_like(x, 1 / tiny)
    d = 1 / b
    h = d
    for i in range(1, _IGAMMA_MAX_ITER):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1 / d
        step = d * c
        h = h * step
        if i % _IGAMMA_CHECK == 0 and bool(xp.all(xp.abs(step - 1) <= 2e-15)):
            break
    return h * _igamma_prefix(xp, a, x)


def _igamma_kernel(upper):
    """Kernel for P(a, x) (``upper=False``) or Q(a, x) = 1 - P(a, x)."""

    def kernel(xp, a, x):
        a, x = xp.broadcast_arrays(a, x)
        ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
        sa, sx = xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)
        use_series = sx < sa + 1
        p = _igamma_series(xp, xp.where(use_series, sa, 1.0), xp.where(use_series, sx, 0.5))
        q = _igamma_fraction(xp, xp.where(use_series, 1.0, sa), xp.where(use_series, 2.0, sx))
        out = xp.where(use_series, 1 - p, q) if upper else xp.where(use_series, p, 1 - q)
        lo, hi = (1.0, 0.0) if upper else (0.0, 1.0)
        # the edges: P(a, 0) = 0, P(0, x) = 1, P(inf, x) = 0, P(a, inf) = 1; nan outside the domain
        out = xp.where((x == 0) & (a > 0), lo, out)
        out = xp.where((a == 0) & (x > 0), hi, out)
        out = xp.where(xp.isinf(a) & (a > 0) & xp.isfinite(x) & (x >= 0), lo, out)
        out = xp.where(xp.isinf(x) & (x > 0) & (a >= 0) & xp.isfinite(a), hi, out)
        bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | xp.isnan(a) | xp.isnan(x) | (xp.isinf(a) & xp.isinf(x))
        return xp.where(bad, math.nan, out)

    kernel.__name__ = "igammac_kernel" if upper else "igamma_kernel"
    return _via_float64(kernel)


_IGAMMA = {upper: _igamma_kernel(upper) for upper in (False, True)}


# --- Hurwitz zeta: direct sum to q + N >= 10, then Euler-Maclaurin with 12 Bernoulli terms --------
_B2K_OVER_FACT = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
                  1 / 74724249600, -3617 / 10670622842880000, 43867 / 5109094217170944000,
                  -174611 / 802857662698291200000, 77683 / 14101100039391805440000,
                  -236364091 / 1693824136731743669452800000)  # B_2k / (2k)!


def _zeta_kernel(xp, s, q):
    """Hurwitz zeta ``sum_k (q + k)^-s`` (nan for s < 1, inf at s = 1 and at non-positive integer q)."""
    s, q = xp.broadcast_arrays(s, q)
    finite_q = xp.where(xp.isfinite(q), q, 1.0)
    shift = 10 + max(0, math.ceil(-float(xp.min(finite_q)))) if finite_q.size else 10
    ss = xp.where(s > 1, s, 2.0)
    total = xp.zeros_like(q)
    w = q
    for _ in range(shift):
        total = total + w ** -ss
        w = w + 1
    base = w ** -ss
    total = total + w * base / (ss - 1) + base / 2
    t = ss * base / w
    inv_w2 = 1 / (w * w)
    for j, b in enumerate(_B2K_OVER_FACT, 1):
        total = total + b * t
        t = t * (ss + 2 * j - 1) * (ss + 2 * j) * inv_w2
    pole_q = (q <= 0) & (q == xp.floor(q))
    out = xp.where(pole_q, math.inf, total)
    out = xp.where((q < 0) & ~pole_q & (s != xp.floor(s)), math.nan, out)
    return xp.where(s == 1, math.inf, xp.where((s < 1) | xp.isnan(s), math.nan, out))


_ZETA = _via_float64(_zeta_kernel)


# --- orthogonal polynomials: three-term recurrences up to the largest degree asked for ------------
def _degree(xp, n):
    """``trunc(n)`` as an array and its largest value (a host int); -1 marks nan degrees."""
    k = xp.where(xp.isnan(n), -1.0, xp.trunc(n))
    top = int(xp.max(k)) if k.size else 0
    return k, top


def _three_term(first, step):
    """Kernel for a polynomial family ``p_0 = 1``, ``p_1 = first(x)``, ``p_{k+1} = step(x, k, p_k, p_{k-1})``;
    zero for negative degrees, nan for a nan degree."""

    def kernel(xp, x, n):
        x, n = xp.broadcast_arrays(x, n)
        k, top = _degree(xp, n)
        prev = xp.ones_like(x)
        out = xp.where(k == 0, prev, 0.0)
        if top >= 1:
            cur = first(x)
            out = xp.where(k == 1, cur, out)
            for j in range(1, top):
                prev, cur = cur, step(x, j, cur, prev)
                out = xp.where(k == j + 1, cur, out)
        return xp.where(xp.isnan(n) | xp.isnan(x), math.nan, out)

    return kernel


_POLYNOMIALS = {
    "chebyshev_polynomial_t": _three_term(lambda x: x, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_u": _three_term(lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_v": _three_term(lambda x: 2 * x - 1, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_w": _three_term(lambda x: 2 * x + 1, lambda x, k, p, q: 2 * x * p - q),
    "hermite_polynomial_h": _three_term(lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - 2 * k * q),
    "hermite_polynomial_he": _three_term(lambda x: x, lambda x, k, p, q: x * p - k * q),
    "laguerre_polynomial_l": _three_term(lambda x: 1 - x, lambda x, k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
    "legendre_polynomial_p": _three_term(lambda x: x, lambda x, k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
}


# --- ops ------------------------------------------------------------------------------------------
class SpecialKernel(Op):
    """A special function without a gradient (as in torch): called on detached inputs, never recorded."""

    def forward(self, be, *arrays_and_kernel):
        *arrays, kernel = arrays_and_kernel
        return kernel(be.xp, *arrays)


def _nondiff(kernel, *tensors):
    return apply(SpecialKernel, tuple(t.detach() for t in tensors), kernel)


class Erfcx(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a):
        return erfcx_kernel(be.xp, a)

    def backward(self, g):
        (x,) = self.saved()
        return (g * (2 * x * self.output - 2 * _INV_SQRT_PI),)

    def name(self):
        return "SpecialErfcxBackward0"


def _not_implemented(what):
    raise NotImplementedError(f"the derivative for '{what}' is not implemented.")


class IncompleteGamma(Op):
    """P(a, x) or Q(a, x); differentiable in x only, as in torch."""

    save_inputs = True

    def forward(self, be, a, x, upper):
        self.upper = upper
        return _IGAMMA[upper](be.xp, a, x)

    def backward(self, g):
        from ._util import sum_to

        a, x = self.saved()
        if self.next[0] is not None:
            _not_implemented(f"{'igammac' if self.upper else 'igamma'}: input")
        d = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return None, sum_to(g * (-d if self.upper else d), tuple(x.shape))

    def name(self):
        return "IgammacBackward0" if self.upper else "IgammaBackward0"


class HurwitzZeta(Op):
    """zeta(s, q); differentiable in q only, as in torch."""

    save_inputs = True

    def forward(self, be, s, q):
        return _ZETA(be.xp, s, q)

    def backward(self, g):
        from ._util import sum_to

        s, q = self.saved()
        if self.next[0] is not None:
            _not_implemented("zeta")
        return None, sum_to(g * -s * apply(HurwitzZeta, (s + 1, q)), tuple(q.shape))

    def name(self):
        return "SpecialZetaBackward0"


def _incomplete_gamma(name, upper, summary, result):
    def fn(input, other):
        a, x = _float_pair(name, input, other)
        return apply(IncompleteGamma, (a, x), upper)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        {result}
    """
    return export(name, inplace=True)(fn)


igamma = _incomplete_gamma("igamma", False, "The regularized lower incomplete gamma function ``P(a, x)``.",
                           "tensor([0.6321, 0.2642])")
igammac = _incomplete_gamma("igammac", True, "The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``.",
                            "tensor([0.3679, 0.7358])")

__all__ += ["SpecialKernel", "Erfcx", "IncompleteGamma", "HurwitzZeta", "igamma", "igammac"]
