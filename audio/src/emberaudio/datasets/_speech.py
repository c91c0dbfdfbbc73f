"""Speech corpora in their published folder layouts: SPEECHCOMMANDS, YESNO and LIBRISPEECH (like torchaudio's)."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from ._utils import fetch_archive, load_waveform

__all__ = ["SPEECHCOMMANDS", "YESNO", "LIBRISPEECH"]


def _require(path, download, fetch, name):
    if os.path.isdir(path):
        return
    if not download:
        raise RuntimeError(f"{name}: dataset not found at {path}. Please set `download=True` to download it.")
    fetch()
    if not os.path.isdir(path):
        raise RuntimeError(f"{name}: the downloaded archive did not contain {path}")


class SPEECHCOMMANDS(Dataset):
    """Google Speech Commands: one-second keyword clips in ``root/SpeechCommands/<version>/<label>/<speaker>_nohash_<n>.wav``.

    ``subset`` is None (every clip), ``"training"``, ``"validation"`` or ``"testing"``; the latter two
    are the files listed in ``validation_list.txt`` / ``testing_list.txt``, training is the rest.
    Clips in ``_background_noise_`` are never items. Items are
    ``(waveform, sample_rate, label, speaker_id, utterance_number)``.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> root = tempfile.mkdtemp(); d = os.path.join(root, "SpeechCommands", "speech_commands_v0.02", "yes")
        >>> os.makedirs(d); emberaudio.save(os.path.join(d, "ab12_nohash_0.wav"), ember.zeros(1, 16), 16000)
        >>> ds = emberaudio.datasets.SPEECHCOMMANDS(root)
        >>> ds[0][1:]
        (16000, 'yes', 'ab12', 0)
    """

    _CHECKSUMS = {
        "speech_commands_v0.01": "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
        "speech_commands_v0.02": "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
    }

    def __init__(self, root, url="speech_commands_v0.02", folder_in_archive="SpeechCommands", download=False,
                 subset=None):
        if subset not in (None, "training", "validation", "testing"):
            raise ValueError(f"When `subset` is not None, it must be one of ['training', 'validation', 'testing'], got {subset!r}")
        version = os.path.basename(url).split(".tar")[0] if "://" in url else url
        if url in self._CHECKSUMS:
            url = f"http://download.tensorflow.org/data/{url}.tar.gz"
        self._path = os.path.join(os.fspath(root), folder_in_archive, version)
        _require(self._path, download,
                 lambda: fetch_archive(url, self._path, sha256=self._CHECKSUMS.get(version)), "SPEECHCOMMANDS")
        listed = {name: self._list(name) for name in ("validation_list.txt", "testing_list.txt")}
        if subset == "validation":
            files = sorted(listed["validation_list.txt"])
        elif subset == "testing":
            files = sorted(listed["testing_list.txt"])
        else:
            exclude = set() if subset is None else listed["validation_list.txt"] | listed["testing_list.txt"]
            files = sorted(str(p.relative_to(self._path)).replace(os.sep, "/") for p in Path(self._path).glob("*/*.wav")
                           if p.parent.name != "_background_noise_")
            files = [f for f in files if f not in exclude]
        self._walker = [os.path.join(self._path, f) for f in files]

    def _list(self, name):
        path = os.path.join(self._path, name)
        if not os.path.exists(path):
            return set()
        with open(path) as f:
            return {line.strip() for line in f if line.strip()}

    def get_metadata(self, n):
        """``(relative_path, sample_rate, label, speaker_id, utterance_number)`` of item ``n`` without reading audio.

        Example:
            >>> from emberaudio.datasets import SPEECHCOMMANDS
            >>> callable(SPEECHCOMMANDS.get_metadata)
            True
        """
        path = self._walker[n]
        label = os.path.basename(os.path.dirname(path))
        speaker_id, utterance = os.path.splitext(os.path.basename(path))[0].split("_nohash_")
        return os.path.relpath(path, os.path.dirname(self._path)), 16000, label, speaker_id, int(utterance)

    def __getitem__(self, n):
        waveform, rate = load_waveform(self._walker[n])
        return (waveform, rate) + self.get_metadata(n)[2:]

    def __len__(self):
        return len(self._walker)


class YESNO(Dataset):
    """The Yes/No corpus: 8 spoken words per file, named by their labels (``0_1_1_0_1_0_0_1.wav``; 1 is yes).

    Items are ``(waveform, sample_rate, labels)``.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "waves_yesno"))
        >>> emberaudio.save(os.path.join(root, "waves_yesno", "0_1_0_0_1_0_1_1.wav"), ember.zeros(1, 8), 8000)
        >>> emberaudio.datasets.YESNO(root)[0][1:]
        (8000, [0, 1, 0, 0, 1, 0, 1, 1])
    """

    def __init__(self, root, url="http://www.openslr.org/resources/1/waves_yesno.tar.gz", folder_in_archive="waves_yesno",
                 download=False):
        root = os.fspath(root)
        self._path = os.path.join(root, folder_in_archive)
        _require(self._path, download, lambda: fetch_archive(url, root, md5="962ff6e904d2df1126132ecec6978786"), "YESNO")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*.wav"))

    def __getitem__(self, n):
        fileid = self._walker[n]
        waveform, rate = load_waveform(os.path.join(self._path, fileid + ".wav"))
        return waveform, rate, [int(c) for c in fileid.split("_")]

    def __len__(self):
        return len(self._walker)


class LIBRISPEECH(Dataset):
    """LibriSpeech read English: ``root/LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac``.

    Transcripts are the lines ``<speaker>-<chapter>-<utt> TEXT`` of ``<speaker>-<chapter>.trans.txt``.
    Items are ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``.

    Example:
        >>> import os, tempfile, ember, emberaudio
        >>> root = tempfile.mkdtemp(); d = os.path.join(root, "LibriSpeech", "dev-clean", "84", "121")
        >>> os.makedirs(d); emberaudio.save(os.path.join(d, "84-121-0000.flac"), ember.zeros(1, 16), 16000)
        >>> with open(os.path.join(d, "84-121.trans.txt"), "w") as f: _ = f.write("84-121-0000 HELLO WORLD\\n")
        >>> emberaudio.datasets.LIBRISPEECH(root, url="dev-clean")[0][1:]
        (16000, 'HELLO WORLD', 84, 121, 0)
    """

    SUBSETS = {
        "dev-clean": "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
        "dev-other": "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
        "test-clean": "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
        "test-other": "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
        "train-clean-100": "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
        "train-clean-360": "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
        "train-other-500": "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
    }

    def __init__(self, root, url="train-clean-100", folder_in_archive="LibriSpeech", download=False):
        if url not in self.SUBSETS:
            raise ValueError(f"Invalid url '{url}' given; please provide one of {sorted(self.SUBSETS)}.")
        root = os.fspath(root)
        self._path = os.path.join(root, folder_in_archive, url)
        _require(self._path, download, lambda: fetch_archive(f"http://www.openslr.org/resources/12/{url}.tar.gz", root,
                                                             sha256=self.SUBSETS[url]), "LIBRISPEECH")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*/*/*.flac"))

    def get_metadata(self, n):
        """``(relative_path, sample_rate, transcript, speaker_id, chapter_id, utterance_id)`` without reading audio.

        Example:
            >>> from emberaudio.datasets import LIBRISPEECH
            >>> callable(LIBRISPEECH.get_metadata)
            True
        """
        fileid = self._walker[n]
        speaker, chapter, utterance = fileid.split("-")
        folder = os.path.join(self._path, speaker, chapter)
        transcript_file = os.path.join(folder, f"{speaker}-{chapter}.trans.txt")
        with open(transcript_file) as f:
            for line in f:
                key, _, text = line.strip().partition(" ")
                if key == fileid:
                    break
            else:
                raise FileNotFoundError(f"LIBRISPEECH: no transcript for {fileid} in {transcript_file}")
        path = os.path.join(os.path.basename(self._path), speaker, chapter, fileid + ".flac")
        return path, 16000, text, int(speaker), int(chapter), int(utterance)

    def __getitem__(self, n):
        meta = self.get_metadata(n)
        waveform, rate = load_waveform(os.path.join(os.path.dirname(self._path), meta[0]))
        return (waveform, rate) + meta[2:]

    def __len__(self):
        return len(self._walker)
