"""Primitive ops and the public functions built on them, by family.

Importing this package fills the op table in :mod:`ember.ops._registry`.
"""

from . import (  # noqa: F401
    bitwise, conv, elementwise, indexing, join, linalg, misc, pool, reduction, shape, softmax, sort, special, spectral,
)
from . import linalg_extra  # noqa: F401
from . import complex_views, numeric_extra, strided  # noqa: F401
