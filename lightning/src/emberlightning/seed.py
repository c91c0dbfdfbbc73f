"""Seeding every random number generator a training run touches: Python, numpy, Ember and DataLoader workers."""

from __future__ import annotations

import logging
import os
import random

import numpy as np

__all__ = ["seed_everything", "reset_seed", "pl_worker_init_function"]

log = logging.getLogger(__name__)
MAX_SEED = 2**32 - 1


def seed_everything(seed=None, workers=False, verbose=True):
    """Seed Python's ``random``, numpy's global RNG and every Ember default generator; returns the seed.

    ``seed=None`` reads ``PL_GLOBAL_SEED`` from the environment (0 when unset). The seed is stored
    in ``PL_GLOBAL_SEED`` and ``workers`` in ``PL_SEED_WORKERS``: with ``workers=True`` the Trainer
    gives every DataLoader worker :func:`pl_worker_init_function`, which seeds each worker from
    (base seed, worker id, rank) so that workers never share a random stream.

    Example:
        >>> import ember, emberlightning as L
        >>> L.seed_everything(42); a = ember.rand(2)
        42
        >>> L.seed_everything(42); bool((ember.rand(2) == a).all())
        42
        True
    """
    import ember

    if seed is None:
        env = os.environ.get("PL_GLOBAL_SEED")
        try:
            seed = int(env) if env is not None else 0
        except ValueError:
            raise ValueError(f"Invalid seed found in environment variable PL_GLOBAL_SEED: {env!r}") from None
    if not isinstance(seed, int):
        seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{seed} is not in bounds, numpy accepts from 0 to {MAX_SEED}")
    if verbose:
        log.info("Seed set to %d", seed)
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    os.environ["PL_SEED_WORKERS"] = str(int(workers))
    random.seed(seed)
    np.random.seed(seed)
    ember.manual_seed(seed)
    return seed


def reset_seed():
    """Seed everything again from ``PL_GLOBAL_SEED`` / ``PL_SEED_WORKERS`` (no-op when never seeded).

    Example:
        >>> import emberlightning as L
        >>> from emberlightning.seed import reset_seed
        >>> _ = L.seed_everything(3); reset_seed()
    """
    seed = os.environ.get("PL_GLOBAL_SEED")
    if seed is not None:
        seed_everything(int(seed), workers=os.environ.get("PL_SEED_WORKERS") == "1", verbose=False)


def pl_worker_init_function(worker_id, rank=None):
    """Seed a DataLoader worker's ``random``, numpy and Ember from (its base seed, worker id, rank).

    The Trainer installs it as ``worker_init_fn`` when ``seed_everything(..., workers=True)`` was called
    and the loader has none of its own.

    Example:
        >>> import ember
        >>> from emberlightning.seed import pl_worker_init_function
        >>> _ = ember.manual_seed(7); pl_worker_init_function(0); a = ember.rand(1)
        >>> _ = ember.manual_seed(7); pl_worker_init_function(0); bool((ember.rand(1) == a).all())
        True
    """
    import ember

    rank = int(os.environ.get("LOCAL_RANK", 0)) if rank is None else rank
    base = ember.initial_seed()  # DataLoader seeded this worker with base_seed + worker_id
    ss = np.random.SeedSequence([base % (1 << 63), worker_id, rank])
    ember_seed, np_seed, py_seed = ss.generate_state(3, dtype=np.uint64).tolist()
    ember.manual_seed(ember_seed % (1 << 63))
    np.random.seed(np_seed % (1 << 32))
    random.seed(py_seed)
