"""Primitive ops and the public functions built on them, by family.

Importing this package fills the op table in :mod:`ember.ops._registry`.
"""

from . import elementwise, indexing, linalg, reduction, shape  # noqa: F401
