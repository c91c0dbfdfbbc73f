"""Loggers: CSVLogger files and versions; TensorBoard event files read back by our reader (and TensorBoard's)."""

import csv
import io
import pathlib
import struct

import numpy as np
import PIL.Image
import pytest

import ember
import emberlightning as L
from emberlightning.demos import BoringModel
from emberlightning.loggers import CSVLogger, TensorBoardLogger
from emberlightning.loggers._yaml import dump
import tfevents


class Logging(BoringModel):
    def __init__(self, lr=0.1, name="boring"):
        super().__init__()
        self.save_hyperparameters()

    def training_step(self, batch, batch_idx):
        loss = self.step(batch)
        self.log("train_loss", loss, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.step(batch))


def _fit(logger, tmp_path, **kwargs):
    trainer = L.Trainer(default_root_dir=tmp_path, logger=logger, max_epochs=2, limit_train_batches=4,
                        limit_val_batches=2, log_every_n_steps=2, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, **kwargs)
    trainer.fit(Logging())
    return trainer


def test_csv_logger_files_and_versions(tmp_path):
    trainer = _fit(True, tmp_path)
    folder = tmp_path / "lightning_logs" / "version_0"
    with open(folder / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["epoch", "step", "train_loss_epoch", "train_loss_step", "val_loss"]
    steps = [(r["step"], r["epoch"], [k for k, v in r.items() if v and k not in ("step", "epoch")]) for r in rows]
    assert steps == [("1", "0", ["train_loss_step"]), ("3", "0", ["train_loss_step"]), ("3", "0", ["val_loss"]),
                     ("3", "0", ["train_loss_epoch"]), ("5", "1", ["train_loss_step"]),
                     ("7", "1", ["train_loss_step"]), ("7", "1", ["val_loss"]), ("7", "1", ["train_loss_epoch"])]
    assert float(rows[-1]["train_loss_epoch"]) == pytest.approx(trainer.callback_metrics["train_loss_epoch"].item())
    assert (folder / "hparams.yaml").read_text() == "lr: 0.1\nname: boring\n"
    _fit(CSVLogger(tmp_path), tmp_path)
    assert sorted(p.name for p in (tmp_path / "lightning_logs").iterdir()) == ["version_0", "version_1"]
    assert CSVLogger(tmp_path, name="exp", version="v7").log_dir == str(tmp_path / "exp" / "v7")


def test_csv_logger_flushes_in_chunks(tmp_path):
    logger = CSVLogger(tmp_path, flush_logs_every_n_steps=2)
    logger.log_metrics({"a": 1.0}, 0)
    assert not (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").exists()
    logger.log_metrics({"b": 2.0}, 1)
    text = (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").read_text()
    assert text.splitlines() == ["a,b,step", "1.0,,0", ",2.0,1"]


def test_yaml_writer():
    text = dump({"a": 1, "b": "x: y", "c": [1, "two"], "d": {"e": None, "f": True}, "g": "3.5", "h": float("inf")})
    assert text == 'a: 1\nb: "x: y"\nc:\n- 1\n- two\nd:\n  e: null\n  f: true\ng: "3.5"\nh: .inf\n'


def _events(logger):
    """Every event of the logger's event files, each value as ``tag`` plus decoded ``simple_value``,
    ``image``, ``histo``, ``tensor``, ``plugin_name``/``plugin_content`` (the independent test reader)."""
    files = sorted(p for p in pathlib.Path(logger.log_dir).iterdir() if p.name.startswith("events"))
    out = []
    for f in files:
        for e in tfevents.file_events(f):
            e["values"] = [_value(v) for v in e["values"]]
            out.append(e)
    return out


def _value(raw):
    value = {"tag": raw["tag"]}
    if 2 in raw:
        value["simple_value"] = struct.unpack("<f", raw[2])[0]
    if 4 in raw:
        img = tfevents.fields(raw[4])
        value["image"] = {"height": img[1][0], "width": img[2][0], "colorspace": img[3][0], "encoded": img[4][0]}
    if 5 in raw:
        h = tfevents.fields(raw[5])
        value["histo"] = {name: tfevents.double(h[i][0]) if i in h else 0.0 for i, name in
                          enumerate(("min", "max", "num", "sum", "sum_squares"), start=1)}
        value["histo"]["bucket_limit"] = tfevents.packed_doubles(h[6][0])
        value["histo"]["bucket"] = tfevents.packed_doubles(h[7][0])
    if 8 in raw:
        value["tensor"] = raw[8]
    if 9 in raw:
        plugin = tfevents.fields(tfevents.fields(raw[9])[1][0])
        value["plugin_name"] = plugin[1][0].decode()
        value["plugin_content"] = plugin.get(2, [b""])[0]
    return value


def test_tensorboard_logger_scalars_and_hparams(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    trainer = _fit(logger, tmp_path)
    events = _events(logger)
    assert events[0]["file_version"] == "brain.Event:2"
    scalars = [(e["step"], v["tag"], v["simple_value"]) for e in events for v in e.get("values", [])
               if "simple_value" in v]
    assert (0, "hp_metric", -1.0) in scalars
    val = [(s, v) for s, t, v in scalars if t == "val_loss"]
    assert [s for s, _ in val] == [3, 7] and val[-1][1] == pytest.approx(trainer.logged_metrics["val_loss"].item())
    assert [s for s, t, _ in scalars if t == "train_loss_step"] == [1, 3, 5, 7]
    hparams = [v for e in events for v in e.get("values", []) if v.get("plugin_name") == "hparams"]
    assert [v["tag"] for v in hparams] == ["_hparams_/experiment", "_hparams_/session_start_info",
                                           "_hparams_/session_end_info"]
    start = tfevents.fields(tfevents.fields(hparams[1]["plugin_content"])[3][0])
    entries = {}
    for entry in start[1]:
        fields = tfevents.fields(entry)
        value = tfevents.fields(fields[2][0])
        entries[fields[1][0].decode()] = struct.unpack("<d", value[2][0])[0] if 2 in value else value[3][0].decode()
    assert entries == {"lr": 0.1, "name": "boring"}
    assert (tmp_path / "lightning_logs" / "version_0" / "hparams.yaml").read_text() == "lr: 0.1\nname: boring\n"


def test_tensorboard_images_histograms_text(tmp_path):
    logger = TensorBoardLogger(tmp_path, name="media", default_hp_metric=False)
    img = ember.linspace(0, 1, 12).reshape(1, 3, 4)
    logger.experiment.add_image("img", img, global_step=2)
    values = ember.randn(1000)
    logger.experiment.add_histogram("weights", values, global_step=3, bins=10)
    logger.experiment.add_text("note", "hello", global_step=4)
    logger.finalize("success")
    by_tag = {v["tag"]: (e["step"], v) for e in _events(logger) for v in e.get("values", [])}
    step, image = by_tag["img"]
    # a one-channel image is written as RGB, as torch's SummaryWriter does
    assert step == 2 and (image["image"]["height"], image["image"]["width"], image["image"]["colorspace"]) == (3, 4, 3)
    pixels = np.asarray(PIL.Image.open(io.BytesIO(image["image"]["encoded"])))
    gray = (img.numpy() * np.float32(255)).astype(np.uint8).reshape(3, 4)  # scaled and truncated, as torch does
    np.testing.assert_array_equal(pixels, np.stack([gray] * 3, axis=-1))
    step, hist = by_tag["weights"]
    h = hist["histo"]
    v = values.numpy().astype(np.float64)
    assert step == 3 and h["num"] == 1000 and sum(h["bucket"]) == 1000 and len(h["bucket"]) <= 11
    assert (h["min"], h["max"]) == (v.min(), v.max()) and np.all(np.diff(h["bucket_limit"]) > 0)
    np.testing.assert_allclose(h["sum"], v.sum(), rtol=1e-6)
    note = by_tag["note/text_summary"][1]  # torch's text tag
    assert note["plugin_name"] == "text" and b"hello" in note["tensor"]


def test_tensorboard_event_accumulator_reads_our_files(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    logger = TensorBoardLogger(tmp_path)
    logger.log_hyperparams({"lr": 0.5})
    logger.log_metrics({"loss": 0.25}, step=7)
    logger.experiment.add_image("img", ember.ones(1, 2, 2), 1)
    logger.finalize("success")
    acc = accumulator.EventAccumulator(logger.log_dir)
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(7, 0.25)]
    content = acc.PluginTagToContent("hparams")
    assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}
    plugin_data = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
    start = plugin_data.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["lr"].number_value == 0.5
    experiment = plugin_data.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert [h.name for h in experiment.hparam_infos] == ["lr"]
    assert [m.name.tag for m in experiment.metric_infos] == ["hp_metric"]
    assert acc.Images("img")[0].width == 2
