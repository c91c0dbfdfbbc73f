"""Small helpers shared by the trainer, callbacks and loggers (exceptions, containers, batch handling)."""

from __future__ import annotations

__all__ = [
    "MisconfigurationException", "PossibleUserWarning", "AttributeDict", "apply_to_collection", "move_data_to_device",
    "extract_batch_size", "human_readable_count", "parse_duration", "rank_zero_only",
]


class MisconfigurationException(Exception):
    """Raised when the Trainer, a LightningModule or a callback is set up in a way that cannot work.

    Example:
        >>> from emberlightning.utilities import MisconfigurationException
        >>> isinstance(MisconfigurationException("no optimizer"), Exception)
        True
    """


class PossibleUserWarning(UserWarning):
    """A warning about a setting that is probably not what the user wants (Lightning's category).

    Example:
        >>> import warnings
        >>> from emberlightning.utilities import PossibleUserWarning
        >>> issubclass(PossibleUserWarning, UserWarning)
        True
    """


class AttributeDict(dict):
    """A dict whose keys are also attributes (``hparams.lr`` is ``hparams["lr"]``).

    Example:
        >>> from emberlightning.utilities import AttributeDict
        >>> d = AttributeDict(lr=0.1); d.depth = 3
        >>> d.lr, d["depth"]
        (0.1, 3)
    """

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(f"'AttributeDict' object has no attribute '{key}'") from exc

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        del self[key]

    def __repr__(self):
        if not self:
            return ""
        width = max(len(str(k)) for k in self)
        return "\n".join(f'"{k}":{" " * (width - len(str(k)) + 1)}{v}' for k, v in sorted(self.items()))


def rank_zero_only(fn, default=None):
    """Decorate ``fn`` to run on global rank 0 only (elsewhere it returns ``default``).

    The rank is ``rank_zero_only.rank``: from the launcher's environment at import, then the Trainer's.

    Example:
        >>> from emberlightning.utilities import rank_zero_only
        >>> @rank_zero_only
        ... def hello():
        ...     return "from rank 0"
        >>> hello() if rank_zero_only.rank == 0 else "from rank 0"
        'from rank 0'
    """
    import functools

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return fn(*args, **kwargs) if rank_zero_only.rank == 0 else default

    return wrapped


def _rank_from_env():
    import os

    for name in ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"):
        if name in os.environ:
            return int(os.environ[name])
    return 0


rank_zero_only.rank = _rank_from_env()


def apply_to_collection(data, fn):
    """Apply ``fn`` to every Tensor inside lists, tuples, namedtuples and dicts, keeping the structure.

    Example:
        >>> import ember
        >>> from emberlightning.utilities import apply_to_collection
        >>> apply_to_collection({"a": [ember.ones(1)], "b": 3}, lambda t: t * 2)
        {'a': [tensor([2.])], 'b': 3}
    """
    from ember import Tensor

    if isinstance(data, Tensor):
        return fn(data)
    if isinstance(data, dict):
        return type(data)((k, apply_to_collection(v, fn)) for k, v in data.items())
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(apply_to_collection(v, fn) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(apply_to_collection(v, fn) for v in data)
    return data


def move_data_to_device(batch, device, dtype=None):
    """Move every tensor of ``batch`` to ``device`` (objects with a ``.to`` method too); cast floats to ``dtype``.

    Example:
        >>> import ember
        >>> from emberlightning.utilities import move_data_to_device
        >>> out = move_data_to_device({"x": [ember.ones(1)]}, "cpu", ember.float64)
        >>> out["x"][0].dtype
        ember.float64
    """
    from ember import Tensor

    def move(t):
        if dtype is not None and t.dtype.is_floating_point and t.dtype != dtype:
            return t.to(device=device, dtype=dtype)
        return t.to(device)

    if not isinstance(batch, (Tensor, dict, list, tuple)) and callable(getattr(batch, "to", None)):
        return batch.to(device)
    return apply_to_collection(batch, move)


def extract_batch_size(batch):
    """The size of the first dimension of the first tensor found in ``batch`` (1 if there is none).

    Example:
        >>> import ember
        >>> from emberlightning.utilities import extract_batch_size
        >>> extract_batch_size((ember.zeros(4, 2), ember.zeros(4)))
        4
    """
    from ember import Tensor

    if isinstance(batch, Tensor):
        return batch.shape[0] if batch.ndim else 1
    if isinstance(batch, dict):
        batch = list(batch.values())
    if isinstance(batch, (list, tuple)):
        for item in batch:
            size = extract_batch_size(item)
            if size is not None:
                return size
        return 1
    return 1


def human_readable_count(number):
    """``1234567`` -> ``'1.2 M'``: a parameter count with a K/M/B/T suffix.

    Example:
        >>> from emberlightning.utilities import human_readable_count
        >>> human_readable_count(66), human_readable_count(1234), human_readable_count(2_500_000)
        ('66', '1.2 K', '2.5 M')
    """
    labels = ["", "K", "M", "B", "T"]
    index = 0
    value = float(number)
    while abs(value) >= 1000 and index < len(labels) - 1:
        value /= 1000
        index += 1
    if index == 0:
        return str(int(number))
    return f"{value:,.1f} {labels[index]}"


def parse_duration(duration):
    """A ``timedelta`` from ``"DD:HH:MM:SS"``, a dict of timedelta arguments, or a timedelta (None stays None).

    Example:
        >>> from emberlightning.utilities import parse_duration
        >>> parse_duration("00:01:30:00").total_seconds(), parse_duration({"minutes": 2}).total_seconds()
        (5400.0, 120.0)
    """
    from datetime import timedelta

    if duration is None or isinstance(duration, timedelta):
        return duration
    if isinstance(duration, dict):
        return timedelta(**duration)
    if isinstance(duration, str):
        parts = duration.strip().split(":")
        if len(parts) != 4 or not all(p.isdigit() for p in parts):
            raise ValueError(f"`duration` must be a string in the form 'DD:HH:MM:SS', got {duration!r}")
        days, hours, minutes, seconds = map(int, parts)
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    raise TypeError(f"`duration` must be a 'DD:HH:MM:SS' string, a dict or a datetime.timedelta, got {duration!r}")
