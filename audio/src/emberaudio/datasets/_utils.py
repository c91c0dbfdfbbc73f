"""Shared data-set helpers: fetching archives, loading a file as a waveform, and padding batches."""

from __future__ import annotations

import os

import ember

from .._io import load


def fetch_archive(url, root, sha256=None, md5=None):
    """Download and extract ``url`` into ``root`` with Ember's checked download utility.

    Example:
        >>> from emberaudio.datasets._utils import fetch_archive
        >>> callable(fetch_archive)
        True
    """
    try:
        from ember.utils.download import download_and_extract_archive
    except ImportError as exc:  # pragma: no cover - present in this distribution
        raise NotImplementedError(f"downloading {url} needs ember.utils.download; place the extracted files under "
                                  f"{root} by hand") from exc
    os.makedirs(root, exist_ok=True)
    download_and_extract_archive(url, root, sha256=sha256, md5=md5)


def load_waveform(path, expected_rate=None):
    """``load(path)`` checking the sample rate when ``expected_rate`` is given.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> from emberaudio.datasets._utils import load_waveform
        >>> path = os.path.join(tempfile.mkdtemp(), "a.wav"); emberaudio.save(path, ember.zeros(1, 8), 8000)
        >>> load_waveform(path, 8000)[0].shape
        ember.Size([1, 8])
    """
    waveform, rate = load(path)
    if expected_rate is not None and rate != expected_rate:
        raise ValueError(f"{path}: sample rate should be {expected_rate}, but got {rate}")
    return waveform, rate


def pad_sequence_batch(waveforms, padding_value=0.0):
    """Right-pad ``(channels, time)`` waveforms of different lengths into ``(batch, channels, max_time)``.

    Returns ``(batch, lengths)`` with ``lengths`` an int64 tensor of the original lengths.

    Example:
        >>> import ember
        >>> from emberaudio.datasets import pad_sequence_batch
        >>> batch, lengths = pad_sequence_batch([ember.ones(1, 3), ember.ones(1, 5)])
        >>> batch.shape, lengths
        (ember.Size([2, 1, 5]), tensor([3, 5]))
    """
    import ember.nn.functional as F

    longest = max(w.shape[-1] for w in waveforms)
    padded = [F.pad(w, (0, longest - w.shape[-1]), value=padding_value) for w in waveforms]
    return ember.stack(padded), ember.tensor([w.shape[-1] for w in waveforms], dtype=ember.int64)


def collate_waveforms(batch):
    """A DataLoader ``collate_fn`` for items ``(waveform, *fields)``: pads the waveforms and keeps lengths.

    Returns ``(waveforms, lengths, *fields)``: integer fields become int64 tensors, other fields lists.

    Example:
        >>> import ember
        >>> from emberaudio.datasets import collate_waveforms
        >>> w, lengths, rates, labels = collate_waveforms([(ember.ones(1, 2), 16000, "yes"), (ember.ones(1, 4), 16000, "no")])
        >>> w.shape, lengths.tolist(), rates.tolist(), labels
        (ember.Size([2, 1, 4]), [2, 4], [16000, 16000], ['yes', 'no'])
    """
    waveforms, lengths = pad_sequence_batch([item[0] for item in batch])
    fields = []
    for column in list(zip(*[item[1:] for item in batch])):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in column):
            fields.append(ember.tensor(list(column), dtype=ember.int64))
        else:
            fields.append(list(column))
    return (waveforms, lengths, *fields)
