"""emberaudio.datasets: real files written in each published layout, subsets, items, batching, download."""

import os
import tarfile

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from ember.utils.data import DataLoader  # noqa: E402
from emberaudio import datasets  # noqa: E402


def _wav(path, n, rate=16000, value=0.25):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, np.full(n, value, dtype=np.float32), rate, subtype="PCM_16")


@pytest.fixture
def commands(tmp_path):
    base = tmp_path / "SpeechCommands" / "speech_commands_v0.02"
    files = {"yes": ["aa11_nohash_0", "aa11_nohash_1", "bb22_nohash_0"], "no": ["cc33_nohash_0", "dd44_nohash_2"]}
    for label, names in files.items():
        for i, name in enumerate(names):
            _wav(str(base / label / f"{name}.wav"), 100 + 10 * i)
    _wav(str(base / "_background_noise_" / "white_noise.wav"), 500)
    (base / "validation_list.txt").write_text("yes/bb22_nohash_0.wav\n")
    (base / "testing_list.txt").write_text("no/dd44_nohash_2.wav\n")
    return tmp_path


def test_speechcommands_subsets(commands):
    full = datasets.SPEECHCOMMANDS(commands)
    assert len(full) == 5
    train = datasets.SPEECHCOMMANDS(commands, subset="training")
    val = datasets.SPEECHCOMMANDS(commands, subset="validation")
    test = datasets.SPEECHCOMMANDS(commands, subset="testing")
    assert (len(train), len(val), len(test)) == (3, 1, 1)
    waveform, rate, label, speaker, utterance = val[0]
    assert (rate, label, speaker, utterance) == (16000, "yes", "bb22", 0)
    assert waveform.shape == (1, 120) and abs(float(waveform.mean()) - 0.25) < 1e-4
    assert test[0][2:] == ("no", "dd44", 2)
    assert {item[2] for item in train} == {"yes", "no"}
    assert train.get_metadata(0)[0].replace(os.sep, "/").startswith("speech_commands_v0.02/")
    with pytest.raises(ValueError, match="subset"):
        datasets.SPEECHCOMMANDS(commands, subset="train")


def test_missing_dataset_says_download(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.SPEECHCOMMANDS(tmp_path)
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.YESNO(tmp_path)
    with pytest.raises(ValueError, match="Invalid url"):
        datasets.LIBRISPEECH(tmp_path, url="train-clean-7")


def test_speechcommands_download_from_archive(tmp_path):
    src = tmp_path / "src"
    _wav(str(src / "go" / "ee55_nohash_0.wav"), 50)
    archive = tmp_path / "mini_commands.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "go", arcname="go")
    ds = datasets.SPEECHCOMMANDS(tmp_path / "root", url=archive.as_uri(), download=True)
    assert len(ds) == 1 and ds[0][2] == "go"


def test_yesno(tmp_path):
    for name in ("0_0_1_1_0_1_0_1", "1_1_1_1_0_0_0_0"):
        _wav(str(tmp_path / "waves_yesno" / f"{name}.wav"), 80, rate=8000)
    ds = datasets.YESNO(tmp_path)
    assert len(ds) == 2
    waveform, rate, labels = ds[1]
    assert rate == 8000 and labels == [1, 1, 1, 1, 0, 0, 0, 0] and waveform.shape == (1, 80)


def test_librispeech(tmp_path):
    chapter = tmp_path / "LibriSpeech" / "dev-clean" / "1272" / "128104"
    for utt in range(2):
        chapter.mkdir(parents=True, exist_ok=True)
        sf.write(chapter / f"1272-128104-{utt:04d}.flac", np.zeros(160 + utt, dtype=np.float32), 16000)
    (chapter / "1272-128104.trans.txt").write_text("1272-128104-0000 MISTER QUILTER\n1272-128104-0001 NOR IS IT\n")
    ds = datasets.LIBRISPEECH(tmp_path, url="dev-clean")
    waveform, rate, text, speaker, chap, utt = ds[1]
    assert (rate, text, speaker, chap, utt) == (16000, "NOR IS IT", 1272, 128104, 1) and waveform.shape == (1, 161)


def test_audio_folder_and_collate(tmp_path):
    for label, lengths in {"chirp": [30, 50], "noise": [40]}.items():
        for i, n in enumerate(lengths):
            _wav(str(tmp_path / label / f"{i}.wav"), n, rate=8000)
    (tmp_path / "noise" / "notes.txt").write_text("not audio")
    ds = datasets.AudioFolder(tmp_path, transform=lambda w: w * 2, sample_rate=8000)
    assert ds.classes == ["chirp", "noise"] and ds.targets == [0, 0, 1]
    w, target = ds[2]
    assert target == 1 and w.shape == (1, 40) and abs(float(w.mean()) - 0.5) < 1e-3
    loader = DataLoader(ds, batch_size=3, collate_fn=datasets.collate_waveforms)
    waves, lengths, targets = next(iter(loader))
    assert waves.shape == (3, 1, 50) and lengths.tolist() == [30, 50, 40] and targets.tolist() == [0, 0, 1]
    assert float(waves[0, 0, 30:].abs().sum()) == 0.0
    with pytest.raises(ValueError, match="sample rate should be 16000"):
        datasets.AudioFolder(tmp_path, sample_rate=16000)[0]
