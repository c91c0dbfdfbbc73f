"""Data loading (``ember.utils.data``), mirroring ``torch.utils.data``.

Datasets describe samples, samplers the order to visit them, and
:class:`DataLoader` turns both into batches, optionally in worker processes.

Example:
    >>> import ember
    >>> from ember.utils.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(ember.arange(6.0)), batch_size=4)
    >>> [b[0].tolist() for b in loader]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
"""

from ._collate import collate, default_collate, default_collate_fn_map, default_convert
from ._worker import ExceptionWrapper, WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
    "ExceptionWrapper", "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "collate", "default_collate",
    "default_collate_fn_map", "default_convert", "get_worker_info", "random_split",
]
