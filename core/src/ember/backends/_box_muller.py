"""torch's float32 Box-Muller transform (its x86 AVX2 kernel), reproduced bit for bit in numpy.

torch's CPU ``randn``/``normal_`` on a contiguous float32 tensor of 16+ elements turns each block
of 16 uniforms into 16 normals with 8-wide float32 vector code: the Cephes single-precision
``logf`` and ``sincosf`` algorithms, compiled by GCC with multiply-add contraction. Every
float32 rounding of that code is repeated here, including where GCC fused a multiply and the
add that consumes it into one FMA (a single rounding): the Horner steps of the polynomials,
the argument reduction, ``y*z + e*q1`` in the log, ``y*z - z/2`` in the cosine polynomial and
``y*x + x`` in the sine polynomial. ``box_muller16_float`` is the entry point.

Example:
    >>> u = np.arange(16, dtype=np.float32).reshape(1, 16) / np.float32(16)
    >>> box_muller16_float(u, 0.0, 1.0)[0, :4].tolist()
    [0.0, -0.3319249153137207, -0.3654193878173828, -0.24660912156105042]
"""
import numpy as np

_F32, _F64 = np.float32, np.float64

# Cephes logf: log(1 + t) ~ t - t^2/2 + t^3 * P(t) for sqrt(1/2) <= 1 + t < sqrt(2)
_LOG_P = tuple(_F32(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LN2_LOW, _LN2_HIGH = _F32(-2.12194440e-4), _F32(0.693359375)  # ln 2 = high + low
_SQRT_HALF = _F32(0.707106781186547524)

# Cephes sincosf: reduction by pi/4 (pi/4 = -(DP1 + DP2 + DP3)) and polynomials on [-pi/4, pi/4]
_FOUR_OVER_PI = _F32(1.27323954473516)
_MINUS_PI_4 = tuple(_F32(c) for c in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8))
_SIN_P = tuple(_F32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))
_COS_P = tuple(_F32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2))
_TWO_PI = _F32(2.0 * np.pi)  # torch rounds 2*pi (a double) to float once
_ROWS = 4096  # blocks of 16 handled at a time: keeps the temporaries in cache


def _fma(a, b, c):
    """float32 ``a * b + c`` evaluated in double: the product is exact, the sum rounds twice.

    That double rounding differs from a true FMA only when the double sum lands exactly on a
    float32 tie; inside ``cephes_logf`` and ``cephes_sincosf`` that never happens for any of
    their 2**24 possible inputs (``1 - k/2**24`` and ``2pi * k/2**24``), checked exhaustively
    against ``_fma_exact``.

    Example:
        >>> float(_fma(np.float32(3), np.float32(0.1), np.float32(1)))
        1.2999999523162842
    """
    return (np.multiply(a, b, dtype=_F64) + c).astype(_F32)


def _fma_exact(a, b, c):
    """float32 ``a * b + c`` with one rounding (a true FMA) for any float32 arrays.

    The product is exact in double; where the double sum could mislead the final rounding
    (it lies exactly on a float32 tie, or in float32's subnormal range) it is recomputed
    rounded *to odd*: stepped one ulp towards the exact sum when inexact with an even last
    bit. Double has more than 24 + 2 bits, so rounding that to float32 is then correct.

    Example:
        >>> a = np.float32(1 + 2**-12); c = np.float32(-(1 + 2**-11))
        >>> float(_fma_exact(a, a, c))  # 2**-24 exactly; a float32 mul then add gives 0
        5.960464477539063e-08
    """
    product = np.multiply(a, b, dtype=_F64)
    total = np.asarray(product + c)
    bits = total.view(np.int64)
    suspect = ((bits & 0x1FFFFFFF) == 0x10000000) | (np.abs(total) < 2.0**-126)
    if suspect.any():
        p = np.broadcast_to(product, total.shape)[suspect]
        addend = np.broadcast_to(c, total.shape)[suspect].astype(_F64)
        t = p + addend
        addend_part = t - p
        error = (p - (t - addend_part)) + (addend - addend_part)  # exact: t + error == p + addend
        inexact_even = (error != 0) & ((t.view(np.int64) & 1) == 0)
        away = (error > 0) == (t > 0)  # +1 on the bits steps away from zero
        bits[suspect] += np.where(inexact_even, np.where(away, 1, -1), 0)
    return total.astype(_F32)


def _horner(coefficients, x):
    """``((c0 * x + c1) * x + c2) ...`` with each step a fused multiply-add.

    Example:
        >>> _horner((_F32(2), _F32(3)), np.float32([1, 2])).tolist()
        [5.0, 7.0]
    """
    y = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        y = _fma(y, x, c)
    return y


def cephes_logf(x):
    """Natural log of positive normal float32 values, rounded as torch's AVX2 ``log256_ps``.

    ``x = m * 2**e`` with ``m`` in [sqrt(1/2), sqrt(2)); ``log x = log(m) + e*ln2`` with ``ln2``
    split in two so that ``e * high`` is exact.

    Example:
        >>> cephes_logf(np.float32([1, 2, 0.25])).tolist()
        [0.0, 0.6931471824645996, -1.3862943649291992]
    """
    bits = x.view(np.int32)
    exponent = ((bits >> 23) - 126).astype(_F32)  # x = m * 2**exponent, m in [0.5, 1)
    m = ((bits & 0x007FFFFF) | 0x3F000000).view(_F32)
    small = m < _SQRT_HALF  # then use 2m in [1, sqrt 2) and exponent - 1
    exponent -= small.astype(_F32)
    t = (m - _F32(1)) + np.where(small, m, _F32(0))  # exact: 2m - 1 or m - 1
    z = t * t
    y = _horner(_LOG_P, t) * t
    y = _fma(y, z, exponent * _LN2_LOW)
    # the code fuses these two as well, but z/2 and exponent * high are exact products
    y -= z * _F32(0.5)
    return (t + y) + exponent * _LN2_HIGH


def cephes_sincosf(x):
    """``(sin x, cos x)`` of non-negative float32 values, rounded as torch's AVX2 ``sincos256_ps``.

    The octant ``j = (int(x * 4/pi) + 1) & ~1`` picks the reduced argument ``x - j*pi/4``
    (pi/4 in three parts, each step fused), the polynomial (sine or cosine) and the signs.

    Example:
        >>> s, c = cephes_sincosf(np.float32([0, 1, 3]))
        >>> s.tolist(), c.tolist()
        ([0.0, 0.8414709568023682, 0.14112000167369843], [1.0, 0.5403022766113281, -0.9899924993515015])
    """
    octant = (x * _FOUR_OVER_PI).astype(np.int32)  # truncation, x >= 0
    octant = (octant + 1) & ~1
    multiple = octant.astype(_F32)
    for part in _MINUS_PI_4:
        x = _fma(multiple, part, x)
    z = x * x
    cos_poly = _fma(_horner(_COS_P, z) * z, z, -(z * _F32(0.5))) + _F32(1)
    sin_poly = _fma(_horner(_SIN_P, z) * z, x, x)
    sine_here = (octant & 2) == 0
    # "+ 0" as the vector code's masked select-and-add does: -0 becomes +0
    sin = np.where(sine_here, sin_poly, cos_poly) + _F32(0)
    cos = np.where(sine_here, cos_poly, sin_poly) + _F32(0)
    np.negative(sin, out=sin, where=(octant & 4) != 0)
    np.negative(cos, out=cos, where=((octant - 2) & 4) == 0)
    return sin, cos


def box_muller16_float(u, mean, std):
    """torch's float32 normals from blocks of 16 uniforms: float32 ``(m, 16)`` -> ``(m, 16)``.

    For ``j < 8``: ``u1 = 1 - u[:, j]``, ``u2 = u[:, j + 8]``, ``radius = sqrt(-2 log u1)``,
    ``theta = 2pi * u2``; ``out[:, j] = fma(radius * cos(theta), std, mean)`` and
    ``out[:, j + 8]`` the same with ``sin``. Bit-identical to torch's x86 CPU ``normal_``
    (AVX2/AVX512 builds) for uniforms drawn as ``k * 2**-24``; ``mean``/``std`` are rounded
    to float32 first, as torch does. Works through ``_ROWS`` blocks at a time (cache-sized).

    Example:
        >>> import numpy as np
        >>> words = np.random.RandomState(0).randint(0, 2**32, size=16, dtype=np.uint64)
        >>> u = ((words & 0xFFFFFF).astype(np.float32) * np.float32(2**-24)).reshape(1, 16)
        >>> box_muller16_float(u, 0.0, 1.0)[0, :3].tolist()  # torch.manual_seed(0); torch.randn(16)
        [-1.1258398294448853, -1.152360200881958, -0.2505785822868347]
    """
    u = np.asarray(u, dtype=_F32)
    std, mean = _F32(std), _F32(mean)
    out = np.empty(u.shape, _F32)
    for start in range(0, len(u), _ROWS):
        _fill_normals(u[start:start + _ROWS], mean, std, out[start:start + _ROWS])
    return out



def _fill_normals(u, mean, std, out):
    """``box_muller16_float`` on one chunk of rows, written into ``out``.

    Example:
        >>> out = np.empty((1, 16), np.float32)
        >>> _fill_normals(np.zeros((1, 16), np.float32), _F32(0), _F32(1), out)
        >>> out.tolist() == [[0.0] * 16]  # u1 = 1: radius 0
        True
    """
    radius = np.sqrt(_F32(-2) * cephes_logf(_F32(1) - u[:, :8]))
    sin, cos = cephes_sincosf(u[:, 8:] * _TWO_PI)
    np.multiply(radius, cos, out=out[:, :8])
    np.multiply(radius, sin, out=out[:, 8:])
    if std == 1 or mean == 0:  # an exact product or a zero addend: plain float math is the FMA
        out *= std
        out += mean
    else:
        out[...] = _fma_exact(out, std, mean)
