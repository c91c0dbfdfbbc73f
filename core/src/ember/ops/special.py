"""Special functions (erf, erfinv, lgamma, digamma) written against the array API."""

__all__ = []
