"""emberaudio: audio I/O, transforms, data sets and models for Ember.

Mirrors torchaudio: ``import emberaudio as torchaudio`` runs ordinary torchaudio code for what it covers.
Audio files are read and written through soundfile (libsndfile): WAV, FLAC, OGG/Vorbis, ...

Example:
    >>> import os, tempfile, ember, emberaudio
    >>> path = os.path.join(tempfile.mkdtemp(), "x.wav")
    >>> emberaudio.save(path, ember.zeros(1, 160), 16000)
    >>> waveform, sample_rate = emberaudio.load(path)
    >>> waveform.shape, sample_rate
    (ember.Size([1, 160]), 16000)
"""

from . import datasets, functional, models, transforms  # noqa: F401
from ._io import AudioMetaData, get_audio_backend, info, list_audio_backends, load, save  # noqa: F401

__version__ = "0.1.0"
