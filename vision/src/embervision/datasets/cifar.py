"""CIFAR-10 and CIFAR-100: 32x32 colour images from the binary record format (or, safely, the pickle one).

The binary distribution (``cifar-10-batches-bin/data_batch_{1..5}.bin``, ``test_batch.bin``;
``cifar-100-binary/train.bin``, ``test.bin``) is a flat run of records: the label byte(s), then
1,024 red, 1,024 green and 1,024 blue bytes. The python distribution (``cifar-10-batches-py``) is
pickled; it is read by :func:`~embervision.datasets._pickle_data.load_data`, which walks the pickle's
opcodes itself and builds only plain data and numpy arrays: nothing the file names is imported or
called, so a tampered file cannot run code.
"""

from __future__ import annotations

import os
import struct

import numpy as np
from PIL import Image

from ember.utils.download import download_and_extract_archive

from ._pickle_data import load_data
from .vision import VisionDataset

_PIXELS = 3 * 32 * 32


def restricted_load(path):
    """The plain data pickled in ``path`` (dicts, lists, numbers, strings, bytes, numpy arrays), read without running it.

    Example:
        >>> import pickle, tempfile; from pathlib import Path
        >>> from embervision.datasets.cifar import restricted_load
        >>> p = Path(tempfile.mkdtemp(), "batch"); _ = p.write_bytes(pickle.dumps({"labels": [1, 2]}))
        >>> restricted_load(p)
        {'labels': [1, 2]}
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        return load_data(data, encoding="latin1")
    except (ValueError, TypeError, SyntaxError, struct.error, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"{os.fspath(path)}: cannot read this pickle safely ({exc})") from None


def read_cifar_binary(path, label_bytes):
    """``(images N x 32 x 32 x 3 uint8, labels N x label_bytes uint8)`` from a binary CIFAR file.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets.cifar import read_cifar_binary
        >>> p = Path(tempfile.mkdtemp(), "b.bin"); _ = p.write_bytes(bytes([3]) + bytes(3072))
        >>> images, labels = read_cifar_binary(p, 1)
        >>> images.shape, labels.tolist()
        ((1, 32, 32, 3), [[3]])
    """
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + _PIXELS
    if raw.size == 0 or raw.size % record:
        raise ValueError(f"{os.fspath(path)}: size {raw.size} bytes is not a whole number of "
                         f"{record}-byte CIFAR records")
    raw = raw.reshape(-1, record)
    images = raw[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), raw[:, :label_bytes]


def _pickled_batch(path, label_keys):
    entry = restricted_load(path)
    if not isinstance(entry, dict):
        raise ValueError(f"{os.fspath(path)}: expected a dict, got {type(entry).__name__}")
    entry = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
    data = entry.get("data")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS:
        raise ValueError(f"{os.fspath(path)}: 'data' must be a uint8 array of shape (N, {_PIXELS})")
    columns = []
    for key in label_keys:
        labels = entry.get(key)
        if labels is None or len(labels) != len(data):
            raise ValueError(f"{os.fspath(path)}: '{key}' missing or of the wrong length")
        columns.append(np.asarray(labels, dtype=np.int64))
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.stack(columns, axis=1)


class CIFAR10(VisionDataset):
    """CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 train, 10,000 test).

    Reads ``root/cifar-10-batches-bin`` (the binary distribution; ``download=True`` fetches it) or else
    ``root/cifar-10-batches-py`` (pickles, read safely). Items are ``(PIL.Image RGB, int)``;
    ``data`` is an ``N x 32 x 32 x 3`` uint8 numpy array and ``targets`` a list of ints.

    Args:
        root: folder holding the extracted distribution.
        train: the training batches (True) or the test batch (False).
        transform, target_transform: applied to the image and to the label.
        download: fetch and extract the binary distribution (md5-checked) when missing.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets import CIFAR10
        >>> root = Path(tempfile.mkdtemp()); (root / "cifar-10-batches-bin").mkdir()
        >>> _ = (root / "cifar-10-batches-bin" / "test_batch.bin").write_bytes(bytes([9]) + bytes(3072))
        >>> img, label = CIFAR10(root, train=False)[0]
        >>> img.size, label, CIFAR10.classes[label]
        ((32, 32), 9, 'truck')
    """

    base_folder = "cifar-10-batches-bin"
    python_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    python_train_list = [f"data_batch_{i}" for i in range(1, 6)]
    python_test_list = ["test_batch"]
    label_keys = ("labels",)  # one byte each in a binary record, in this order; targets are the last
    meta = {"text": "batches.meta.txt", "python": "batches.meta", "key": "label_names"}
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        binary = os.path.join(self.root, self.base_folder)
        python = os.path.join(self.root, self.python_folder)
        names = self.train_list if train else self.test_list
        py_names = self.python_train_list if train else self.python_test_list
        if all(os.path.isfile(os.path.join(binary, n)) for n in names):
            parts = [read_cifar_binary(os.path.join(binary, n), len(self.label_keys)) for n in names]
            self._load_text_meta(binary)
        elif all(os.path.isfile(os.path.join(python, n)) for n in py_names):
            parts = [_pickled_batch(os.path.join(python, n), self.label_keys) for n in py_names]
            self._load_pickled_meta(python)
        else:
            raise RuntimeError(f"Dataset not found or corrupted in {binary} (or {python}). "
                               "You can use download=True to download it")
        self.data = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
        self._labels = np.concatenate([p[1] for p in parts]).astype(np.int64)
        labels = self._labels[:, -1]
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise ValueError(f"{self.root}: label {int(labels.max())} out of range for {len(self.classes)} classes")
        self.targets = labels.tolist()
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _load_text_meta(self, folder):
        path = os.path.join(folder, self.meta["text"])
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                names = [line.strip() for line in f if line.strip()]
            if names:
                self.classes = names

    def _load_pickled_meta(self, folder):
        path = os.path.join(folder, self.meta["python"])
        if os.path.isfile(path):
            entry = restricted_load(path)
            names = entry.get(self.meta["key"], entry.get(self.meta["key"].encode())) if isinstance(entry, dict) else None
            if names:
                self.classes = [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    def download(self):
        """Download and extract the binary distribution into ``root`` (skipped when present)."""
        folder = os.path.join(self.root, self.base_folder)
        if all(os.path.isfile(os.path.join(folder, n)) for n in self.train_list + self.test_list):
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like :class:`CIFAR10` with 100 fine classes (``targets``) grouped in 20 coarse ones.

    Reads ``root/cifar-100-binary/{train,test}.bin`` (records: coarse label, fine label, pixels) or
    ``root/cifar-100-python/{train,test}``. ``coarse_targets`` holds the 20-way labels.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets import CIFAR100
        >>> root = Path(tempfile.mkdtemp()); (root / "cifar-100-binary").mkdir()
        >>> _ = (root / "cifar-100-binary" / "test.bin").write_bytes(bytes([4, 55]) + bytes(3072))
        >>> ds = CIFAR100(root, train=False)
        >>> ds.targets, ds.coarse_targets, len(ds.classes)
        ([55], [4], 100)
    """

    base_folder = "cifar-100-binary"
    python_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
    filename = "cifar-100-binary.tar.gz"
    tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    python_train_list = ["train"]
    python_test_list = ["test"]
    label_keys = ("coarse_labels", "fine_labels")
    meta = {"text": "fine_label_names.txt", "python": "meta", "key": "fine_label_names"}
    classes = (
        "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can "
        "castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin "
        "elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster "
        "man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck "
        "pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk "
        "skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger "
        "tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm"
    ).split()

    @property
    def coarse_targets(self):
        return self._labels[:, 0].tolist()
