"""Special functions under torch's ``torch.special`` names.

Example:
    >>> import ember
    >>> ember.special.expit(ember.tensor([0.0])), ember.special.gammaln(ember.tensor([3.0]))
    (tensor([0.5000]), tensor([0.6931]))
"""

from __future__ import annotations

import math

from .ops import elementwise as _E
from .ops import special as _S
from .ops.elementwise import exp2, expm1, log1p, logit, round, sinc, xlogy  # noqa: F401
from .ops.special import digamma, erf, erfc, erfinv, i0, i0e, i1, i1e, polygamma  # noqa: F401
from .ops.special import lgamma as gammaln  # noqa: F401
from .ops.special import mvlgamma as _mvlgamma

expit = _E.sigmoid
psi = digamma

# defined by other op families; looked up when first used
_ELSEWHERE = ("logsumexp", "softmax", "log_softmax")


def __getattr__(name):
    if name in _ELSEWHERE:
        import ember

        return getattr(ember, name)
    raise AttributeError(f"module 'ember.special' has no attribute '{name}'")


def multigammaln(input, p):
    """The multivariate log-gamma function of dimension ``p`` (``ember.mvlgamma``).

    Example:
        >>> import ember
        >>> ember.special.multigammaln(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    return _mvlgamma(input, p)


def xlog1py(input, other):
    """``input * log1p(other)``, taken as 0 where ``input == 0`` (unless ``other`` is nan).

    Example:
        >>> import ember
        >>> ember.special.xlog1py(ember.tensor([0.0, 2.0]), ember.tensor([-1.0, 1.0]))
        tensor([0.0000, 1.3863])
    """
    x, y = _E._float_pair("xlog1py", input, other)
    return x * _E.where((x == 0) & (y == y), 0.0, y).log1p()


def entr(input):
    """The elementwise entropy term ``-x log x`` (0 at 0, -inf for negative x).

    Example:
        >>> import ember
        >>> ember.special.entr(ember.tensor([0.0, 0.5, -1.0]))
        tensor([0.0000, 0.3466,   -inf])
    """
    x = _E._floating(input)
    positive = x > 0
    inner = -x * _E.where(positive, x, 1.0).log()
    return _E.where(positive, inner, _E.where(x == 0, 0.0, -math.inf))


def ndtr(input):
    """The standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``, accurate in the left tail.

    Example:
        >>> import ember
        >>> ember.special.ndtr(ember.tensor([0.0, 1.0]))
        tensor([0.5000, 0.8413])
    """
    return erfc(_E._floating(input) * -math.sqrt(0.5)) * 0.5


def ndtri(input):
    """The inverse of :func:`ndtr`: the standard normal quantile of ``p``.

    Example:
        >>> import ember
        >>> ember.special.ndtri(ember.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return erfinv(_E._floating(input) * 2 - 1) * math.sqrt(2)


_NEW = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
        "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "airy_ai", "erfcx", "log_ndtr", "gammainc", "gammaincc", "zeta",
        *_S._POLYNOMIALS, *(f"shifted_chebyshev_polynomial_{k}" for k in "tuvw")]

__all__ = [*_NEW, "erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
           "i0", "i0e", "i1", "i1e", "xlogy", "xlog1py", "log1p", "expm1", "exp2", "sinc", "entr", "round",
           "ndtr", "ndtri", *_ELSEWHERE]


# --- Bessel, Airy and friends: no gradient, as in torch -------------------------------------------
def _unary(name, kernel, summary, example, result):
    def fn(input):
        return _S._nondiff(kernel, _E._floating(input))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Example:
        >>> import ember
        >>> ember.special.{name}(ember.tensor({example}))
        {result}
    """
    return fn


bessel_j0 = _unary("bessel_j0", _S._jy_kernel(0), "The Bessel function of the first kind of order 0.",
                   "[0.0, 1.0, 10.0]", "tensor([ 1.0000,  0.7652, -0.2459])")
bessel_j1 = _unary("bessel_j1", _S._jy_kernel(1), "The Bessel function of the first kind of order 1.",
                   "[0.0, 1.0, -1.0]", "tensor([ 0.0000,  0.4401, -0.4401])")
bessel_y0 = _unary("bessel_y0", _S._jy_kernel(2), "The Bessel function of the second kind of order 0 (nan for x < 0).",
                   "[0.0, 1.0, 10.0]", "tensor([  -inf, 0.0883, 0.0557])")
bessel_y1 = _unary("bessel_y1", _S._jy_kernel(3), "The Bessel function of the second kind of order 1 (nan for x < 0).",
                   "[0.0, 1.0, 10.0]", "tensor([   -inf, -0.7812,  0.2490])")
modified_bessel_i0 = _unary("modified_bessel_i0", _S._via_float64(lambda xp, x: _S.bessel_i_kernel(xp, 0, x, False)),
                            "The modified Bessel function of the first kind of order 0 (no gradient, unlike ``i0``).",
                            "[0.0, 1.0]", "tensor([1.0000, 1.2661])")
modified_bessel_i1 = _unary("modified_bessel_i1", _S._via_float64(lambda xp, x: _S.bessel_i_kernel(xp, 1, x, False)),
                            "The modified Bessel function of the first kind of order 1 (no gradient, unlike ``i1``).",
                            "[0.0, -1.0]", "tensor([ 0.0000, -0.5652])")
modified_bessel_k0 = _unary("modified_bessel_k0", _S._k_kernel(0, False),
                            "The modified Bessel function of the second kind of order 0 (nan for x < 0).",
                            "[0.0, 1.0, 10.0]", "tensor([       inf, 4.2102e-01, 1.7780e-05])")
modified_bessel_k1 = _unary("modified_bessel_k1", _S._k_kernel(1, False),
                            "The modified Bessel function of the second kind of order 1 (nan for x < 0).",
                            "[0.0, 1.0, 10.0]", "tensor([       inf, 6.0191e-01, 1.8649e-05])")
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0", _S._k_kernel(0, True), "``exp(x) K0(x)``.",
                                   "[1.0, 100.0]", "tensor([1.1445, 0.1252])")
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1", _S._k_kernel(1, True), "``exp(x) K1(x)``.",
                                   "[1.0, 100.0]", "tensor([1.6362, 0.1258])")
airy_ai = _unary("airy_ai", _S._via_float64(_S._airy_kernel), "The Airy function Ai, the decaying solution of ``y'' = x y``.",
                 "[0.0, 1.0, -2.0]", "tensor([0.3550, 0.1353, 0.2274])")


def spherical_bessel_j0(input):
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` (1 at 0).

    Example:
        >>> import ember
        >>> ember.special.spherical_bessel_j0(ember.tensor([0.0, 3.1415927]))
        tensor([ 1.0000e+00, -2.7828e-08])
    """
    x = _E._floating(input).detach()
    zero = x == 0
    safe = _E.where(zero, 1.0, x)
    return _E.where(zero, 1.0, _E.where(x.isinf(), 0.0, safe.sin() / safe))


# --- erfcx and log_ndtr (differentiable, as in torch) ----------------------------------------------
def erfcx(input):
    """The scaled complementary error function ``exp(x^2) erfc(x)``, free of overflow for large x.

    Example:
        >>> import ember
        >>> ember.special.erfcx(ember.tensor([0.0, 1.0, 1e10]))
        tensor([1.0000e+00, 4.2758e-01, 5.6419e-11])
    """
    return _S.apply(_S.Erfcx, (_E._floating(input),))


_LOG_NDTR_SPLIT = -1.0


def log_ndtr(input):
    """The log of the standard normal CDF, accurate far into the left tail (via :func:`erfcx`).

    Example:
        >>> import ember
        >>> ember.special.log_ndtr(ember.tensor([-40.0, 0.0, 3.0]))
        tensor([-8.0461e+02, -6.9315e-01, -1.3508e-03])
    """
    x = _E._floating(input)
    left = x < _LOG_NDTR_SPLIT
    xl = _E.where(left, x, _LOG_NDTR_SPLIT)  # each branch sees only the inputs it is accurate for
    xr = _E.where(left, _LOG_NDTR_SPLIT, x.clamp(max=40.0))  # log_ndtr(40) rounds to 0
    far = (erfcx(xl * -math.sqrt(0.5)) * 0.5).log() - xl * xl * 0.5
    near = (erfc(xr * math.sqrt(0.5)) * -0.5).log1p()
    return _E.where(left, far, near)


# --- incomplete gamma and Hurwitz zeta ---------------------------------------------------------------
def gammainc(input, other):
    """The regularized lower incomplete gamma function ``P(a, x)`` (``ember.igamma``); differentiable in x.

    Example:
        >>> import ember
        >>> ember.special.gammainc(ember.tensor([1.0, 3.0]), ember.tensor([1.0, 2.0]))
        tensor([0.6321, 0.3233])
    """
    return _S.igamma(input, other)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)`` (``ember.igammac``).

    Example:
        >>> import ember
        >>> ember.special.gammaincc(ember.tensor([1.0, 3.0]), ember.tensor([1.0, 2.0]))
        tensor([0.3679, 0.6767])
    """
    return _S.igammac(input, other)


def zeta(input, other):
    """The Hurwitz zeta function ``sum_k (other + k)^-input``; differentiable in ``other``.

    Example:
        >>> import ember
        >>> ember.special.zeta(ember.tensor([2.0, 3.0]), ember.tensor([1.0, 2.0]))
        tensor([1.6449, 0.2021])
    """
    s, q = _E._float_pair("zeta", input, other)
    return _S.apply(_S.HurwitzZeta, (s, q))


# --- orthogonal polynomials: no gradient, as in torch ------------------------------------------------
_POLY_DOCS = {
    "chebyshev_polynomial_t": ("The Chebyshev polynomial of the first kind ``T_n(x)``.", "tensor([-1., 26.])"),
    "chebyshev_polynomial_u": ("The Chebyshev polynomial of the second kind ``U_n(x)``.", "tensor([-1., 56.])"),
    "chebyshev_polynomial_v": ("The Chebyshev polynomial of the third kind ``V_n(x)``.", "tensor([-1., 41.])"),
    "chebyshev_polynomial_w": ("The Chebyshev polynomial of the fourth kind ``W_n(x)``.", "tensor([-1., 71.])"),
    "hermite_polynomial_h": ("The physicists' Hermite polynomial ``H_n(x)``.", "tensor([-5., 40.])"),
    "hermite_polynomial_he": ("The probabilists' Hermite polynomial ``He_n(x)``.", "tensor([-1.3750,  2.0000])"),
    "laguerre_polynomial_l": ("The Laguerre polynomial ``L_n(x)``.", "tensor([-0.1458, -0.3333])"),
    "legendre_polynomial_p": ("The Legendre polynomial ``P_n(x)``.", "tensor([-0.4375, 17.0000])"),
}


def _polynomial(name, kernel, summary, result, shifted=False):
    def fn(input, n):
        x, k = _E._float_pair(name, input, n)
        return _S._nondiff(kernel, x * 2 - 1 if shifted else x, k)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    The degree ``n`` is truncated to an integer; negative degrees give 0.

    Example:
        >>> import ember
        >>> ember.special.{name}(ember.tensor([{'0.75, 1.5' if shifted else '0.5, 2.0'}]), 3)
        {result}
    """
    return fn


for _name, (_doc, _result) in _POLY_DOCS.items():
    globals()[_name] = _polynomial(_name, _S._POLYNOMIALS[_name], _doc, _result)
for _k in "tuvw":
    _base = f"chebyshev_polynomial_{_k}"
    _name = f"shifted_{_base}"
    _doc = _POLY_DOCS[_base][0].replace("The Chebyshev", "The shifted Chebyshev").replace("(x)``", "(2x - 1)``")
    globals()[_name] = _polynomial(_name, _S._POLYNOMIALS[_base], _doc, _POLY_DOCS[_base][1], shifted=True)
del _name, _doc, _result, _k, _base
