"""Data parallelism across processes: :class:`DistributedDataParallel`.

Example:
    >>> from ember.nn.parallel import DistributedDataParallel
    >>> DistributedDataParallel.__name__
    'DistributedDataParallel'
"""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
