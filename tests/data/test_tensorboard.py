"""ember.utils.tensorboard.SummaryWriter: real TFEvents files, read back by an independent reader.

The reader (``tests/support/tfevents.py``) parses the TFRecord framing (checking both masked CRC32Cs
with a bitwise CRC, not the writer's table) and decodes the protocol-buffer fields generically, so the
tests assert the exact tags, steps, wall times and values. TensorBoard itself and torch's
SummaryWriter are used as extra oracles when importable.
"""

import glob
import io
import os
import struct

import ember
import numpy as np
import pytest
from ember.utils.tensorboard import SummaryWriter
import tfevents
from tfevents import crc32c_bitwise, double, fields, packed_doubles

# --- tests --------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    (b"123456789", 0xE3069283), (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E)])
def test_crc32c_matches_the_castagnoli_check_values(data, expected):
    from ember.utils.tensorboard._record import crc32c
    assert crc32c(data) == expected == crc32c_bitwise(data)


def test_first_record_is_the_file_version_and_scalars_keep_steps_values_and_wall_times(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".run1") as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step, walltime=100.0 + step)
        w.add_scalar("neg/step", -2.5, -7, walltime=5.5)
        w.add_scalar("no_step", 4.0, walltime=6.0)
        w.add_scalar("zero", 0.0, 8, walltime=7.0)
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert path.endswith(".run1")
    events = tfevents.events(tmp_path)
    assert events[0]["file_version"] == "brain.Event:2" and events[0]["values"] == []
    got = [(e["wall_time"], e["step"], e["values"][0]["tag"], struct.unpack("<f", e["values"][0][2])[0])
           for e in events[1:]]
    assert got == [(100.0, 0, "loss", 1.0), (101.0, 1, "loss", 0.5),
                   (102.0, 2, "loss", np.float32(1 / 3)), (5.5, -7, "neg/step", -2.5),
                   (6.0, 0, "no_step", 4.0), (7.0, 8, "zero", 0.0)]


def test_scalar_tensors_on_every_device(tmp_path, device):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("t", ember.tensor(0.25, device=device), 1, walltime=1.0)
        w.add_scalar("t", ember.tensor([3.0], dtype=ember.float64, device=device), 2, walltime=2.0)
        with pytest.raises(ValueError, match="add_scalar"):
            w.add_scalar("t", ember.zeros(2, device=device), 3)
    values = [struct.unpack("<f", e["values"][0][2])[0] for e in tfevents.events(tmp_path)[1:]]
    assert values == [0.25, 3.0]


@pytest.mark.parametrize("double, dtype, field, fmt", [(False, 1, 5, "<f"), (True, 2, 6, "<d")])
def test_new_style_scalar_is_a_scalars_plugin_tensor(tmp_path, double, dtype, field, fmt):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("s", 1.5, 3, walltime=1.0, new_style=True, double_precision=double)
    value = tfevents.events(tmp_path)[1]["values"][0]
    tensor = fields(value[8])
    assert tensor[1] == [dtype] and struct.unpack(fmt, tensor[field][0])[0] == 1.5
    assert fields(fields(value[9])[1][0])[1] == [b"scalars"]


def test_add_scalars_writes_one_sub_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("loss/all", {"train": 1.0, "val": 2.0}, 4, walltime=9.0)
        w.add_scalars("loss/all", {"train": 0.5}, 5, walltime=10.0)
    train = tfevents.events(tmp_path / "loss_all_train")
    assert [(e["step"], e["values"][0]["tag"], struct.unpack("<f", e["values"][0][2])[0])
            for e in train[1:]] == [(4, "loss/all", 1.0), (5, "loss/all", 0.5)]
    (val,) = tfevents.events(tmp_path / "loss_all_val")[1:]
    assert val["wall_time"] == 9.0 and struct.unpack("<f", val["values"][0][2])[0] == 2.0
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 1


def _histogram(tmp_path, values, **kwargs):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", values, 2, walltime=1.0, **kwargs)
    h = fields(tfevents.events(tmp_path)[1]["values"][0][5])
    scalars = [double(h[k][0]) if k in h else 0.0 for k in (1, 2, 3, 4, 5)]
    return scalars, packed_doubles(h[6][0]), packed_doubles(h[7][0])


def test_histogram_with_numpy_bins_keeps_the_support_and_one_empty_bin_left(tmp_path):
    x = np.array([2.0, 2.5, 3.0, 3.0, 9.0])
    (lo, hi, num, total, squares), limits, counts = _histogram(tmp_path, ember.tensor(x), bins=[0, 1, 2, 3, 5, 10, 20])
    assert (lo, hi, num, total, squares) == (2.0, 9.0, 5.0, x.sum(), x @ x)
    # bins [0,1) [1,2) [2,3) [3,5) [5,10) [10,20]: counts 0 0 2 2 1 0 -> keep from [1,2) to [5,10)
    assert limits == [2.0, 3.0, 5.0, 10.0] and counts == [0.0, 2.0, 2.0, 1.0]


def test_histogram_tensorflow_bins_and_max_bins(tmp_path, device):
    x = np.linspace(-3, 3, 101)
    _, limits, counts = _histogram(tmp_path / "a", ember.tensor(x, device=device))
    edges = np.array(limits)
    assert sum(counts) == 101 and counts[0] == 0 and edges[0] <= -3 and edges[-1] >= 3
    assert np.all(np.isclose(np.abs(edges[edges != 0]) / 1e-12, 1.1 ** np.round(np.log(np.abs(edges[edges != 0]) / 1e-12) / np.log(1.1))))
    _, limits, counts = _histogram(tmp_path / "b", x, bins=10, max_bins=3)
    ref_counts, ref_edges = np.histogram(x, bins=10)
    grouped = np.add.reduceat(np.pad(ref_counts, (0, 2)), [0, 3, 6, 9])
    assert counts == [0.0, *grouped] and limits == [*ref_edges[[0, 3, 6, 9]], ref_edges[-1]]
    with pytest.raises(ValueError, match="no element"):
        _histogram(tmp_path / "c", np.zeros(0))


def _png(value):
    from PIL import Image
    img = fields(value[4])
    pixels = np.asarray(Image.open(io.BytesIO(img[4][0])))
    return img[1][0], img[2][0], img[3][0], pixels


@pytest.mark.parametrize("fmt, shape", [("CHW", (3, 4, 5)), ("HWC", (4, 5, 3)), ("HW", (4, 5)),
                                        ("CHW", (1, 4, 5))])
def test_add_image_stores_a_png_of_the_scaled_pixels(tmp_path, device, fmt, shape):
    pytest.importorskip("PIL")
    img = np.random.rand(*shape).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("img", ember.tensor(img, device=device), 1, walltime=1.0, dataformats=fmt)
    height, width, channels, pixels = _png(tfevents.events(tmp_path)[1]["values"][0])
    hwc = {"CHW": lambda a: a.transpose(1, 2, 0), "HWC": lambda a: a, "HW": lambda a: a[..., None]}[fmt](img)
    expected = np.broadcast_to((hwc * 255).astype(np.uint8), (4, 5, 3))
    assert (height, width, channels) == (4, 5, 3)
    np.testing.assert_array_equal(pixels, expected)


def test_add_images_tiles_a_batch_and_uint8_is_not_rescaled(tmp_path):
    pytest.importorskip("PIL")
    batch = np.random.randint(0, 256, size=(10, 3, 2, 3)).astype(np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_images("batch", ember.tensor(batch), 0, walltime=1.0)
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("bad", ember.zeros(2, 2), dataformats="CHW")
    height, width, channels, pixels = _png(tfevents.events(tmp_path)[1]["values"][0])
    assert (height, width, channels) == (4, 24, 3)           # 2 rows of 8 images of 2x3
    np.testing.assert_array_equal(pixels[2:4, 3:6], batch[9].transpose(1, 2, 0))
    np.testing.assert_array_equal(pixels[2:4, 6:], 0)


def test_add_text_uses_the_text_plugin(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo **md**", 4, walltime=2.0)
    event = tfevents.events(tmp_path)[1]
    value = event["values"][0]
    tensor = fields(value[8])
    assert event["step"] == 4 and value["tag"] == "notes/text_summary"
    assert tensor[1] == [7] and tensor[8] == ["héllo **md**".encode()]
    assert fields(fields(tensor[2][0])[2][0]) == {1: [1]}
    assert fields(fields(value[9])[1][0]) == {1: [b"text"]}


def _plugin_content(value):
    plugin = fields(fields(value[9])[1][0])
    return plugin[1][0].decode(), fields(plugin[2][0])


def test_add_hparams_writes_the_three_plugin_records_and_the_metrics(tmp_path, device):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.0, "bs": 32, "opt": "sgd", "skip": None,
                       "t": ember.tensor([0.5, 1.0], device=device)}, {"hp/acc": 0.9},
                      hparam_domain_discrete={"opt": ["sgd", "adam"]}, run_name="run0", global_step=3)
        with pytest.raises(TypeError, match="hparam_domain_discrete"):
            w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": ["x"]})
        with pytest.raises(ValueError, match="'bad'"):
            w.add_hparams({"bad": [1]}, {})
    events = tfevents.events(tmp_path / "run0")
    assert [e["step"] for e in events[1:]] == [3, 3, 3, 3]
    (exp, start, end), scalar = [e["values"][0] for e in events[1:4]], events[4]["values"][0]
    assert [v["tag"] for v in (exp, start, end)] == ["_hparams_/experiment", "_hparams_/session_start_info",
                                                     "_hparams_/session_end_info"]
    name, plugin = _plugin_content(exp)
    experiment = fields(plugin[2][0])
    infos = [fields(i) for i in experiment[4]]
    assert name == "hparams" and [(i[1][0], i[4][0]) for i in infos] == [
        (b"lr", 3), (b"bs", 3), (b"opt", 1), (b"t", 3)]
    assert [fields(v) for v in fields(infos[2][5][0])[1]] == [{3: [b"sgd"]}, {3: [b"adam"]}]
    assert [fields(fields(m)[1][0]) for m in experiment[5]] == [{2: [b"hp/acc"]}]
    entries = {fields(e)[1][0]: fields(fields(e)[2][0]) for e in fields(_plugin_content(start)[1][3][0])[1]}
    assert entries == {b"lr": {2: [struct.pack("<d", 0.0)]}, b"bs": {2: [struct.pack("<d", 32.0)]},
                       b"opt": {3: [b"sgd"]}, b"t": {2: [struct.pack("<d", 0.5)]}}
    assert fields(_plugin_content(end)[1][4][0]) == {1: [1]}
    assert scalar["tag"] == "hp/acc" and struct.unpack("<f", scalar[2])[0] == np.float32(0.9)


def test_purge_step_writes_a_restart_marker(tmp_path):
    with SummaryWriter(tmp_path, purge_step=42) as w:
        w.add_scalar("x", 1.0, 42)
    first, restart, start, scalar = tfevents.events(tmp_path)
    assert restart["step"] == 42 and restart["file_version"] == "brain.Event:2"
    assert start["step"] == 42 and start["session_log"] == {1: [1]}
    assert scalar["step"] == 42


def test_default_log_dir_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        log_dir = w.get_logdir()
    assert log_dir.startswith("runs" + os.sep) and log_dir.endswith("_lr0.1")
    assert len(glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))) == 1


def test_flush_close_and_writing_after_close(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=1000)
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert len(tfevents.events(tmp_path)) == 2                        # visible on disk before close()
    w.close()
    w.close()
    assert w.file_writer is None
    w.add_scalar("a", 2.0, 1)                                 # like torch: a new event file
    w.close()
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 2
    with pytest.raises(NotImplementedError, match="add_graph"):
        w.add_graph(ember.nn.Linear(2, 2), ember.zeros(1, 2))


def test_tensorboard_reads_the_files(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.5, 3)
        w.add_histogram("h", np.arange(10.0), 3)
        w.add_text("t", "hi", 3)
    acc = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0, "histograms": 0})
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(3, 0.5)]
    histo = acc.Histograms("h")[0].histogram_value
    assert (histo.num, histo.sum, histo.min, histo.max) == (10, 45, 0, 9)
    assert acc.Tensors("t/text_summary")[0].tensor_proto.string_val == [b"hi"]


def test_same_records_as_torch(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    pytest.importorskip("PIL")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    x = np.linspace(-3, 3, 101)
    img = np.random.rand(2, 3, 4, 5).astype(np.float32)
    for name, writer, tensor in [("e", SummaryWriter, ember.tensor), ("t", TorchWriter, torch.tensor)]:
        with writer(tmp_path / name) as w:
            w.add_scalar("loss", 0.25, -1, walltime=1.0)
            w.add_scalars("m", {"a": 1.0}, 7, walltime=1.0)
            w.add_histogram("h", tensor(x), 2, walltime=1.0)
            w.add_images("imgs", tensor(img), 1, walltime=1.0)
            w.add_text("t", "héllo", 4, walltime=1.0)
            w.add_scalar("zero", 0.0, 1, walltime=1.0)
            w.add_hparams({"lr": 0.1}, {"hp/loss": 0.0}, {"lr": [0.1, 1.0]}, run_name="hp", global_step=2)
    hp_ours, hp_theirs = (tfevents.records(glob.glob(str(tmp_path / d / "hp" / "events.*"))[0]) for d in "et")
    assert [r[9:] for r in hp_ours[1:]] == [r[9:] for r in hp_theirs[1:]]  # all but the wall time
    for sub in ("", "m_a"):
        ours = tfevents.records(glob.glob(str(tmp_path / "e" / sub / "events.*"))[0])
        theirs = tfevents.records(glob.glob(str(tmp_path / "t" / sub / "events.*"))[0])
        assert ours[1:] == theirs[1:]                           # the first record names the writer
