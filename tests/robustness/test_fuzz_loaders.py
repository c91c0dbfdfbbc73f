"""Every loader of files made elsewhere, fed mutated versions of valid files.

Each loader starts from one or more valid files (seeds) and gets byte-level
mutations (truncation, bit flips, huge integers written over headers,
insertions, deletions, repeated spans) and, for JSON-based formats, structural
mutations of the JSON (inflated shapes and offsets, wrong types and dtypes,
nesting 100,000 levels deep, path-like names). Each input must load or raise
the loader's documented exception naming the file, within 2 s and 200 MB
(``robustness_kit.check_loader_call``).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ember
from ember.serialization import SerializationError
from robustness_kit import (BYTE_MUTATIONS, JSON_MUTATIONS, apply_byte_mutations, apply_json_mutations,
                            check_loader_call, fuzz_settings)


# ---- JSON views: how to get at, and rebuild, the JSON inside a file ---------------------------------------

def _zip_entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, payload in entries:
            zf.writestr(name, payload)
    return buf.getvalue()


def manifest_view(data):
    """(parsed manifest, rebuild(text) -> archive bytes) of an ``ember.save`` archive."""
    entries = _zip_entries(data)
    doc = json.loads(dict(entries)["manifest.json"])
    return doc, lambda text: _zip_of([(n, text.encode() if n == "manifest.json" else p) for n, p in entries])


def jit_graph_view(data):
    """(parsed graph JSON, rebuild) of an ``ember.jit.save`` file."""
    payload = ember.load(io.BytesIO(data))

    def rebuild(text):
        buf = io.BytesIO()
        ember.save({**payload, "graph": text}, buf)
        return buf.getvalue()

    return json.loads(payload["graph"]), rebuild


def safetensors_view(data):
    (n,) = struct.unpack("<Q", data[:8])
    body = data[8 + n:]
    return json.loads(data[8:8 + n]), lambda text: struct.pack("<Q", len(text.encode())) + text.encode() + body


def whole_json_view(data):
    return json.loads(data), lambda text: text.encode()


# ---- seeds ----------------------------------------------------------------------------------------------

def _save(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    return buf.getvalue()


def seed_ember_load():
    w = ember.randn(3, 4)
    return [_save({"w": w, "row": w[1], "b": ember.arange(5), "meta": [1, (2.5, "x"), {"k": None}],
                   "p": ember.nn.Parameter(ember.ones(2)), "a": np.arange(3, dtype=np.uint16)})]


def seed_safetensors():
    buf = io.BytesIO()
    ember.save_safetensors({"w": ember.randn(3, 4), "b": ember.arange(5), "m": ember.ones(2, dtype=ember.bool)},
                           buf, metadata={"format": "pt"})
    return [buf.getvalue()]


def seed_jit():
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(), ember.nn.Linear(3, 2))
    buf = io.BytesIO()
    ember.jit.trace(model, ember.randn(2, 4)).save(buf)
    return [buf.getvalue()]


def seed_idx():
    images = bytes([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 4]) + bytes(range(80))
    floats = bytes([0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + np.arange(6, dtype=">f4").tobytes()
    return [images, gzip.compress(images), floats]


def seed_cifar():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, 2 * 3073, dtype=np.uint8).tobytes()]


def seed_images():
    from PIL import Image

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8))
    seeds = []
    for fmt in ("PNG", "JPEG", "BMP", "GIF", "TIFF"):
        buf = io.BytesIO()
        img.save(buf, fmt)
        seeds.append(buf.getvalue())
    return seeds


def seed_audio():
    import emberaudio

    wave = ember.linspace(-0.5, 0.5, 64).reshape(2, 32)
    seeds = []
    for fmt, kwargs in (("wav", {"bits_per_sample": 16}), ("flac", {})):
        path = os.path.join(_scratch(), f"seed.{fmt}")
        emberaudio.save(path, wave, 8000, **kwargs)
        with open(path, "rb") as f:
            seeds.append(f.read())
    return seeds


def seed_vocab():
    from embertext.vocab import Vocab

    path = os.path.join(_scratch(), "vocab.json")
    Vocab(["<unk>", "a", "b", "c"], default_index=0).save(path)
    with open(path, "rb") as f:
        return [f.read()]


def seed_tokenizer():
    from embertext.tokenizers import BPETokenizer

    path = os.path.join(_scratch(), "bpe.json")
    BPETokenizer([(104, 105), (256, 33)], ["<pad>", "<eos>"], pad_token="<pad>").save(path)
    with open(path, "rb") as f:
        return [f.read()]


def seed_lightning():
    import emberlightning as L
    from emberlightning.demos import BoringModel

    trainer = L.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=_scratch())
    trainer.fit(BoringModel())
    path = os.path.join(_scratch(), "seed.ckpt")
    trainer.save_checkpoint(path)
    with open(path, "rb") as f:
        return [f.read()]


_SCRATCH = []


def _scratch():
    if not _SCRATCH:
        import tempfile

        _SCRATCH.append(tempfile.mkdtemp(prefix="ember-fuzz-seeds-"))
    return _SCRATCH[0]


# ---- loader calls ---------------------------------------------------------------------------------------

def call_image_folder(path):
    from embervision.datasets.folder import pil_loader

    return pil_loader(path)


def call_decode_image(path):
    from embervision.io import read_image

    return read_image(path)


def call_idx(path):
    from embervision.datasets.mnist import read_idx

    return read_idx(path)


def call_cifar(path):
    from embervision.datasets.cifar import read_cifar_binary

    return read_cifar_binary(path, 1)


def call_audio(path):
    import emberaudio

    return emberaudio.load(path)


def call_vocab(path):
    from embertext.vocab import load_vocab

    v = load_vocab(path)
    return v(v.get_itos())


def call_tokenizer(path):
    from embertext.tokenizers import BPETokenizer

    tok = BPETokenizer.load(path)
    return tok.decode(tok.encode("hi! hi"))


def call_lightning(path):
    from emberlightning.demos import BoringModel

    return BoringModel.load_from_checkpoint(path)


@dataclass
class Loader:
    name: str
    seeds: object  # () -> list of valid file contents
    call: object  # path -> anything
    allowed: tuple  # documented exception types
    views: tuple = ()  # JSON views of the file for structural mutations
    suffix: str = ".bin"
    needs: tuple = ()  # modules that must be importable
    _cache: list = field(default_factory=list)

    def seed_files(self):
        if not self._cache:
            self._cache.extend(self.seeds())
        return self._cache


LOADERS = [
    Loader("ember.load", seed_ember_load, ember.load, (SerializationError,), (manifest_view,), ".pt"),
    Loader("ember.load_safetensors", seed_safetensors, ember.load_safetensors, (SerializationError,),
           (safetensors_view,), ".safetensors"),
    Loader("ember.jit.load", seed_jit, ember.jit.load, (SerializationError,), (manifest_view, jit_graph_view), ".pt"),
    Loader("IDX (read_idx)", seed_idx, call_idx, (ValueError,), (), "-idx3-ubyte", ("embervision",)),
    Loader("CIFAR binary", seed_cifar, call_cifar, (ValueError,), (), ".bin", ("embervision",)),
    Loader("ImageFolder (pil_loader)", seed_images, call_image_folder, (OSError, ValueError), (), ".img",
           ("embervision", "PIL")),
    Loader("embervision.io.read_image", seed_images, call_decode_image, (RuntimeError,), (), ".img",
           ("embervision", "PIL")),
    Loader("emberaudio.load", seed_audio, call_audio, (RuntimeError,), (), ".audio", ("emberaudio", "soundfile")),
    Loader("embertext vocab", seed_vocab, call_vocab, (ValueError,), (whole_json_view,), ".json", ("embertext",)),
    Loader("embertext BPE tokenizer", seed_tokenizer, call_tokenizer, (ValueError,), (whole_json_view,), ".json",
           ("embertext",)),
    Loader("emberlightning checkpoint", seed_lightning, call_lightning, (RuntimeError, ValueError),
           (manifest_view,), ".ckpt", ("emberlightning",)),
]


@pytest.fixture(params=LOADERS, ids=lambda spec: spec.name)
def loader(request):
    for module in request.param.needs:
        pytest.importorskip(module)
    return request.param


def test_seeds_load(loader, tmp_path):
    """The unmutated seeds load (so the fuzzing below starts from files the loader accepts)."""
    for i, data in enumerate(loader.seed_files()):
        path = tmp_path / f"seed{i}{loader.suffix}"
        path.write_bytes(data)
        loader.call(str(path))


class Blob(bytes):
    """File contents with a short repr (hypothesis warns, an error here, when a repr passes 100 kB)."""

    def __repr__(self):
        head = bytes(self[:256])
        return f"Blob({head!r}{' ...' if len(self) > 256 else ''}, {len(self)} bytes)"


@st.composite
def mutated_input(draw, spec):
    seeds = spec.seed_files()
    data = seeds[draw(st.integers(0, len(seeds) - 1))]
    if spec.views and draw(st.booleans()):
        view = spec.views[draw(st.integers(0, len(spec.views) - 1))]
        doc, rebuild = view(data)
        data = rebuild(apply_json_mutations(doc, draw(JSON_MUTATIONS)))
        if draw(st.booleans()):
            return Blob(data)
    return Blob(apply_byte_mutations(data, draw(BYTE_MUTATIONS)))


def test_fuzz_loader(loader, tmp_path):
    """Mutated inputs: load, or the documented error naming the file, within 2 s and 200 MB each."""
    path = str(tmp_path / f"fuzzed{loader.suffix}")
    with open(path, "wb") as f:  # one unmeasured call first: lazy imports are not part of loading a file
        f.write(loader.seed_files()[0])
    loader.call(path)

    @fuzz_settings()
    @given(mutated_input(loader))
    def one(data):
        with open(path, "wb") as f:
            f.write(data)
        check_loader_call(loader.name, loader.call, path, loader.allowed)

    one()
