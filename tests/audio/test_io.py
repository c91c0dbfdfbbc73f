"""emberaudio.load / save / info through soundfile: formats, scaling, raw integers, ranges, errors."""

import io

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

import ember  # noqa: E402
import emberaudio  # noqa: E402

rng = np.random.default_rng(0)
SIGNAL = (rng.uniform(-0.9, 0.9, size=(300, 2))).astype(np.float32)


@pytest.mark.parametrize("subtype,scale,raw_dtype", [
    ("PCM_16", 32768, np.int16), ("PCM_32", 2 ** 31, np.int32), ("PCM_24", 2 ** 31, np.int32), ("PCM_U8", None, np.uint8),
])
def test_load_integer_pcm(tmp_path, subtype, scale, raw_dtype):
    path = tmp_path / "a.wav"
    sf.write(path, SIGNAL, 8000, subtype=subtype)
    raw, _ = sf.read(path, dtype="int32" if subtype != "PCM_16" else "int16", always_2d=True)
    wave, rate = emberaudio.load(path)
    assert rate == 8000 and wave.shape == (2, 300) and wave.dtype is ember.float32
    ints, _ = emberaudio.load(path, normalize=False)
    assert ints.numpy().dtype == raw_dtype
    if scale is None:  # unsigned 8 bit: raw bytes 0..255 centred on 128
        np.testing.assert_array_equal(ints.numpy().astype(np.int32), (raw.T >> 24) + 128)
        np.testing.assert_allclose(wave.numpy(), (ints.numpy().astype(np.float32) - 128) / 128)
    else:
        np.testing.assert_array_equal(ints.numpy(), raw.T)
        np.testing.assert_allclose(wave.numpy(), raw.T / scale, rtol=1e-6)
    np.testing.assert_allclose(wave.numpy(), SIGNAL.T, atol=2 / 256 if scale is None else 1e-4)


@pytest.mark.parametrize("ext,encoding,bits", [("wav", "PCM_F", 32), ("flac", "FLAC", 16), ("ogg", "VORBIS", 0)])
def test_save_roundtrip_and_info(tmp_path, ext, encoding, bits):
    path = tmp_path / f"a.{ext}"
    t = ember.tensor(SIGNAL.T)
    emberaudio.save(path, t, 16000)
    meta = emberaudio.info(path)
    assert (meta.sample_rate, meta.num_channels, meta.encoding, meta.bits_per_sample) == (16000, 2, encoding, bits)
    back, rate = emberaudio.load(path)
    assert rate == 16000 and back.shape[0] == 2
    if ext != "ogg":  # lossless
        assert meta.num_frames == 300
        np.testing.assert_allclose(back.numpy(), SIGNAL.T, atol=1 / 32768 + 1e-7 if ext == "flac" else 0)


def test_save_encodings_and_layout(tmp_path):
    path = tmp_path / "a.wav"
    emberaudio.save(path, ember.tensor(SIGNAL), 8000, channels_first=False, encoding="PCM_S", bits_per_sample=16)
    assert sf.info(path).subtype == "PCM_16"
    np.testing.assert_allclose(emberaudio.load(path, channels_first=False)[0].numpy(), SIGNAL, atol=1 / 32768)
    emberaudio.save(path, ember.tensor([[1, -2, 3]], dtype=ember.int16), 8000)
    assert sf.info(path).subtype == "PCM_16"
    assert emberaudio.load(path, normalize=False)[0].tolist() == [[1, -2, 3]]
    emberaudio.save(path, ember.tensor(SIGNAL.T), 8000, encoding="ULAW")
    assert emberaudio.info(path).encoding == "ULAW"
    with pytest.raises(ValueError, match="unsupported encoding"):
        emberaudio.save(path, ember.tensor(SIGNAL.T), 8000, encoding="PCM_S", bits_per_sample=12)


def test_frame_range_and_file_objects(tmp_path):
    path = tmp_path / "a.flac"
    sf.write(path, SIGNAL, 8000, subtype="PCM_16")
    part, _ = emberaudio.load(path, frame_offset=100, num_frames=50)
    full, _ = emberaudio.load(path)
    np.testing.assert_array_equal(part.numpy(), full.numpy()[:, 100:150])
    with open(path, "rb") as f:
        from_obj, rate = emberaudio.load(f)
    np.testing.assert_array_equal(from_obj.numpy(), full.numpy())
    buf = io.BytesIO()
    emberaudio.save(buf, full, 8000, format="wav")
    buf.seek(0)
    np.testing.assert_array_equal(emberaudio.load(buf)[0].numpy(), full.numpy())


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + b"\0" * 60)
    with pytest.raises(RuntimeError, match="bad.wav"):
        emberaudio.load(bad)
    with pytest.raises(RuntimeError, match="bad.wav"):
        emberaudio.info(bad)
    good = tmp_path / "cut.wav"
    sf.write(good, SIGNAL, 8000, subtype="PCM_16")
    good.write_bytes(good.read_bytes()[:500])
    with pytest.raises(RuntimeError, match="cut.wav.*truncated"):
        emberaudio.load(good)
    with pytest.raises(RuntimeError, match="BytesIO"):
        emberaudio.load(io.BytesIO(b"garbage" * 20))


def test_backends():
    assert emberaudio.list_audio_backends() == ["soundfile"]
