"""A data set of audio files laid out as one folder per class."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from ._utils import load_waveform

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".w64")


class AudioFolder(Dataset):
    """Audio files in ``root/<class>/**/<file>``; items are ``(waveform, class_index)``.

    ``classes`` are the sorted sub-folder names, ``class_to_idx`` their indices, ``samples`` the
    ``(path, class_index)`` pairs. ``transform`` is applied to the waveform, ``target_transform`` to the
    index. ``sample_rate`` (optional) checks every file's rate.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> root = tempfile.mkdtemp()
        >>> for label in ("noise", "tone"):
        ...     os.makedirs(os.path.join(root, label)); emberaudio.save(os.path.join(root, label, "a.wav"), ember.zeros(1, 4), 8000)
        >>> ds = emberaudio.datasets.AudioFolder(root)
        >>> ds.classes, len(ds), ds[1][1]
        (['noise', 'tone'], 2, 1)
    """

    def __init__(self, root, transform=None, target_transform=None, extensions=AUDIO_EXTENSIONS, sample_rate=None):
        self.root = os.fspath(root)
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"AudioFolder: couldn't find any class folder in {self.root}")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        ext = tuple(e.lower() for e in extensions)
        self.samples = [(str(p), self.class_to_idx[c]) for c in self.classes
                        for p in sorted(Path(self.root, c).rglob("*")) if p.is_file() and p.suffix.lower() in ext]
        if not self.samples:
            raise FileNotFoundError(f"AudioFolder: no audio files with extensions {ext} under {self.root}")
        self.targets = [t for _, t in self.samples]
        self.transform, self.target_transform, self.sample_rate = transform, target_transform, sample_rate

    def __getitem__(self, n):
        path, target = self.samples[n]
        waveform, _ = load_waveform(path, self.sample_rate)
        if self.transform is not None:
            waveform = self.transform(waveform)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return waveform, target

    def __len__(self):
        return len(self.samples)
