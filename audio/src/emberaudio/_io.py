"""Reading and writing audio files through soundfile (libsndfile): WAV, FLAC, OGG/Vorbis and more.

``load`` returns ``(waveform, sample_rate)`` with ``waveform`` a ``(channels, frames)`` tensor, like
torchaudio: float32 in ``[-1, 1]`` by default; with ``normalize=False`` integer PCM comes back as the
raw integers (uint8, int16 or int32 - 24-bit samples are left-aligned in int32, as torchaudio does).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

import ember

__all__ = ["AudioMetaData", "info", "load", "save", "list_audio_backends", "get_audio_backend"]

# soundfile subtype -> (torchaudio encoding, bits per sample)
_SUBTYPES = {
    "PCM_S8": ("PCM_S", 8), "PCM_U8": ("PCM_U", 8), "PCM_16": ("PCM_S", 16), "PCM_24": ("PCM_S", 24),
    "PCM_32": ("PCM_S", 32), "FLOAT": ("PCM_F", 32), "DOUBLE": ("PCM_F", 64), "ULAW": ("ULAW", 8),
    "ALAW": ("ALAW", 8), "VORBIS": ("VORBIS", 0), "OPUS": ("OPUS", 0), "MPEG_LAYER_III": ("MP3", 0),
}
# raw integer dtypes of the PCM subtypes (normalize=False)
_RAW = {"PCM_U8": "uint8", "PCM_S8": "int16", "PCM_16": "int16", "PCM_24": "int32", "PCM_32": "int32"}
# (encoding, bits) -> soundfile subtype for save
_ENCODE = {
    ("PCM_S", 8): "PCM_S8", ("PCM_U", 8): "PCM_U8", ("PCM_S", 16): "PCM_16", ("PCM_S", 24): "PCM_24",
    ("PCM_S", 32): "PCM_32", ("PCM_F", 32): "FLOAT", ("PCM_F", 64): "DOUBLE", ("ULAW", 8): "ULAW", ("ALAW", 8): "ALAW",
}
_DEFAULT_BITS = {"PCM_S": 16, "PCM_U": 8, "PCM_F": 32, "ULAW": 8, "ALAW": 8}
_FOR_DTYPE = {"float32": "FLOAT", "float64": "DOUBLE", "int32": "PCM_32", "int16": "PCM_16", "uint8": "PCM_U8"}
_FORMATS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "vorbis": "OGG", "aiff": "AIFF", "aif": "AIFF", "au": "AU",
            "w64": "W64", "mp3": "MP3", "opus": "OGG"}


def _sf():
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - soundfile is a dependency
        raise ImportError("emberaudio needs the 'soundfile' package for audio I/O: pip install soundfile") from exc
    return soundfile


@dataclass
class AudioMetaData:
    """What :func:`info` reports about an audio file.

    Example:
        >>> from emberaudio import AudioMetaData
        >>> AudioMetaData(16000, 16000, 1, 16, "PCM_S").num_channels
        1
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def _name(source):
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", None) or f"<{type(source).__name__}>"


def _check_wav_data(source, sf_info):
    """Raise if a RIFF/WAVE file declares more sample data than it holds (libsndfile would read less silently)."""
    if sf_info.format != "WAV":
        return
    if isinstance(source, (str, os.PathLike)):
        size = os.path.getsize(source)
        with open(source, "rb") as f:
            head = f.read(1 << 16)
    else:
        pos = source.tell()
        source.seek(0, os.SEEK_END)
        size = source.tell()
        source.seek(0)
        head = source.read(1 << 16)
        source.seek(pos)
    offset = 12
    while offset + 8 <= len(head):
        chunk, length = head[offset:offset + 4], struct.unpack("<I", head[offset + 4:offset + 8])[0]
        if chunk == b"data":
            if length != 0xFFFFFFFF and length > size - offset - 8:
                raise RuntimeError(f"Failed to read audio file {_name(source)}: the file is truncated "
                                   f"(the header declares {length} bytes of samples, {size - offset - 8} are present)")
            return
        offset += 8 + length + (length & 1)


def _open_info(source, format, op):
    sf = _sf()
    try:
        meta = sf.info(source)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise RuntimeError(f"{op}: failed to open audio file {_name(source)}: {exc}") from exc
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    _check_wav_data(source, meta)
    return meta


def info(uri, format=None, buffer_size=4096, backend=None):
    """The sample rate, frame count, channels, bits per sample and encoding of an audio file.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
        >>> emberaudio.save(path, ember.zeros(2, 800), 8000, bits_per_sample=16, encoding="PCM_S")
        >>> emberaudio.info(path)
        AudioMetaData(sample_rate=8000, num_frames=800, num_channels=2, bits_per_sample=16, encoding='PCM_S')
    """
    meta = _open_info(uri, format, "emberaudio.info")
    encoding, bits = _SUBTYPES.get(meta.subtype, ("UNKNOWN", 0))
    if meta.format == "FLAC":
        encoding = "FLAC"
    return AudioMetaData(int(meta.samplerate), int(meta.frames), int(meta.channels), bits, encoding)


def load(uri, frame_offset=0, num_frames=-1, normalize=True, channels_first=True, format=None, buffer_size=4096,
         backend=None):
    """Read an audio file: ``(waveform, sample_rate)`` with ``waveform`` shaped ``(channels, frames)``.

    ``frame_offset``/``num_frames`` select a range of frames (``-1``: to the end). ``normalize=True``
    gives float32 in ``[-1, 1]``; ``False`` keeps integer PCM as its raw integers.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
        >>> emberaudio.save(path, ember.tensor([[0.5, -0.25, 0.0]]), 8000, bits_per_sample=16)
        >>> emberaudio.load(path)
        (tensor([[ 0.5000, -0.2500,  0.0000]]), 8000)
        >>> emberaudio.load(path, normalize=False)[0]
        tensor([[16384, -8192,     0]], dtype=ember.int16)
    """
    sf = _sf()
    meta = _open_info(uri, format, "emberaudio.load")
    if frame_offset < 0:
        raise ValueError(f"emberaudio.load: frame_offset must be non-negative, got {frame_offset}")
    dtype = "float32"
    if not normalize and meta.subtype in _RAW:
        dtype = "int16" if _RAW[meta.subtype] == "uint8" else _RAW[meta.subtype]
    stop = None if num_frames < 0 else frame_offset + num_frames
    try:
        data, rate = _read_blocks(sf, uri, frame_offset, stop, dtype, meta.channels)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise RuntimeError(f"emberaudio.load: failed to read audio file {_name(uri)}: {exc}") from exc
    if not normalize and meta.subtype == "PCM_U8":
        data = ((data.astype(np.int32) >> 8) + 128).astype(np.uint8)
    if channels_first:
        data = data.T
    return ember.from_numpy(np.ascontiguousarray(data)), int(rate)


_BLOCK_FRAMES = 1 << 18


def _read_blocks(sf, source, start, stop, dtype, channels):
    """``(frames x channels array, rate)``, read block by block: memory follows the samples actually decoded,
    not the frame count the header declares (a damaged header may claim billions of frames)."""
    with sf.SoundFile(source) as f:
        blocks = [np.zeros((0, channels), dtype)]
        if start < f.frames:
            f.seek(start)
            left = None if stop is None else stop - start
            while left is None or left > 0:
                want = _BLOCK_FRAMES if left is None else min(_BLOCK_FRAMES, left)
                block = f.read(want, dtype=dtype, always_2d=True)
                blocks.append(block)
                left = None if left is None else left - len(block)
                if len(block) < want:
                    break
        return (blocks[-1] if len(blocks) == 2 else np.concatenate(blocks)), f.samplerate


def _subtype(dtype, fmt, encoding, bits_per_sample):
    if fmt == "OGG":
        return "VORBIS"
    if encoding is None and bits_per_sample is None:
        if fmt == "FLAC":
            return "PCM_16"
        return _FOR_DTYPE.get(dtype.name, "FLOAT")
    if encoding is None:
        encoding = "PCM_F" if fmt != "FLAC" and dtype.is_floating_point and bits_per_sample >= 32 else "PCM_S"
        if bits_per_sample == 8 and fmt == "WAV":
            encoding = "PCM_U"
    bits = _DEFAULT_BITS.get(encoding, 16) if bits_per_sample is None else bits_per_sample
    try:
        return _ENCODE[(encoding, bits)]
    except KeyError:
        raise ValueError(f"emberaudio.save: unsupported encoding {encoding!r} with bits_per_sample={bits}") from None


def save(uri, src, sample_rate, channels_first=True, format=None, encoding=None, bits_per_sample=None,
         buffer_size=4096, backend=None, compression=None):
    """Write a ``(channels, frames)`` waveform (``(frames, channels)`` if not ``channels_first``) to a file.

    The format comes from ``format`` or the file extension (wav, flac, ogg, ...). ``encoding`` is one
    of ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"``; by default float tensors are
    written as 32-bit float WAV, 16-bit FLAC or Vorbis, and integer tensors as PCM of their width.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> path = os.path.join(tempfile.mkdtemp(), "tone.flac")
        >>> emberaudio.save(path, ember.sin(ember.arange(800.0)).unsqueeze(0) * 0.5, 8000)
        >>> emberaudio.info(path).encoding
        'FLAC'
    """
    sf = _sf()
    if src.ndim != 2:
        raise ValueError(f"emberaudio.save: expected a 2D tensor (channels, frames), got shape {tuple(src.shape)}")
    fmt = format
    if fmt is None:
        name = _name(uri)
        fmt = os.path.splitext(name)[1][1:] if "." in os.path.basename(name) else "wav"
    fmt = _FORMATS.get(fmt.lower(), fmt.upper())
    subtype = _subtype(src.dtype, fmt, encoding, bits_per_sample)
    data = src.detach().cpu().numpy()
    if channels_first:
        data = data.T
    if data.dtype == np.uint8:
        data = (data.astype(np.int16) - 128) << 8
    elif data.dtype == np.int64:
        data = data.astype(np.int32)
    try:
        sf.write(uri, np.ascontiguousarray(data), int(sample_rate), subtype=subtype, format=fmt)
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        raise RuntimeError(f"emberaudio.save: failed to write {_name(uri)} as {fmt}/{subtype}: {exc}") from exc


def list_audio_backends():
    """The available audio I/O backends (only ``"soundfile"``).

    Example:
        >>> import emberaudio
        >>> emberaudio.list_audio_backends()
        ['soundfile']
    """
    return ["soundfile"]


def get_audio_backend():
    """The audio I/O backend in use (``"soundfile"``).

    Example:
        >>> import emberaudio
        >>> emberaudio.get_audio_backend()
        'soundfile'
    """
    return "soundfile"
