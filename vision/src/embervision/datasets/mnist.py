"""MNIST and its drop-in relatives (Fashion-MNIST, Kuzushiji-MNIST, EMNIST), read from IDX files."""

from __future__ import annotations

import gzip
import os
import string
import zlib

import numpy as np
from PIL import Image

import ember
from ember.utils.download import download_and_extract_archive, extract_archive

from .vision import VisionDataset

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """An IDX file (plain or gzip-compressed) as a numpy array; malformed files raise ValueError naming the file.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets.mnist import read_idx
        >>> p = Path(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        >>> read_idx(p).tolist()
        [7, 2, 1]
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        packed = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        try:  # a gzip file is decompressed only as far as its header says: a gzip bomb can't fill memory
            src = gzip.GzipFile(fileobj=f) if packed else f
            head = _read_upto(src, 4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or not 1 <= head[3] <= 4:
                raise ValueError(f"{path}: not an IDX file (bad magic number {head.hex() or 'none'})")
            dims = _read_upto(src, 4 * head[3])
            if len(dims) < 4 * head[3]:
                raise ValueError(f"{path}: IDX header truncated")
            shape = tuple(int.from_bytes(dims[i:i + 4], "big") for i in range(0, len(dims), 4))
            dtype = np.dtype(_IDX_TYPES[head[2]])
            expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
            body = b"" if not packed and expected > size else _read_upto(src, expected + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from None
    if len(body) != expected:
        held = f"{size - 4 - len(dims)}" if not packed else ("more" if len(body) > expected else f"{len(body)}")
        raise ValueError(f"{path}: IDX size mismatch: header says shape {shape} ({expected} bytes of data), "
                         f"file holds {held}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_upto(src, n, chunk=1 << 20):
    """Up to ``n`` bytes of ``src``, read in chunks (no ``n``-byte buffer is allocated up front)."""
    parts = []
    while n > 0:
        part = src.read(min(n, chunk))
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _find(folder, name):
    """``folder/name`` or its ``.gz`` form, whichever exists (None if neither)."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 28x28 grayscale images read from ``root/MNIST/raw``.

    The raw folder holds the four IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-...``), plain or ``.gz``. Items are ``(PIL.Image mode "L", int)``.

    Args:
        root: folder holding ``MNIST/raw``.
        train: the training split (True) or the test split (False).
        transform, target_transform: applied to the image and to the label.
        download: fetch the files (checked by md5) when they are missing.

    Example:
        >>> import gzip, tempfile, numpy as np; from pathlib import Path
        >>> from embervision.datasets import MNIST
        >>> raw = Path(tempfile.mkdtemp(), "MNIST", "raw"); raw.mkdir(parents=True)
        >>> _ = (raw / "t10k-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes(784))
        >>> _ = (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 7]))
        >>> img, label = MNIST(raw.parent.parent, train=False)[0]
        >>> img.size, label
        ((28, 28), 7)
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        images, labels = self._files()
        if images is None or labels is None:
            raise RuntimeError(f"Dataset not found in {self.raw_folder}. You can use download=True to download it")
        self.data, self.targets = self._load(images, labels)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _prefix(self):
        return "train" if self.train else "t10k"

    def _files(self):
        p = self._prefix()
        return _find(self.raw_folder, f"{p}-images-idx3-ubyte"), _find(self.raw_folder, f"{p}-labels-idx1-ubyte")

    def _load(self, images_path, labels_path):
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"{images_path}: expected uint8 images of 3 dimensions, got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(f"{labels_path}: expected uint8 labels of 1 dimension, got {labels.dtype} {labels.shape}")
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
        return ember.from_numpy(images), ember.from_numpy(labels.astype(np.int64))

    def _check_exists(self):
        return all(v is not None for v in self._files())

    def download(self):
        """Download the raw files into ``raw_folder`` (skipped when they are already there)."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if _find(self.raw_folder, filename[:-3]):
                continue
            urls = [m + filename for m in self.mirrors]
            download_and_extract_archive(urls[0], self.raw_folder, filename=filename, md5=md5, mirrors=urls[1:])

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        img = Image.fromarray(self.data[index].numpy())
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format as :class:`MNIST`, in ``root/FashionMNIST/raw``).

    Example:
        >>> from embervision.datasets import FashionMNIST
        >>> FashionMNIST.classes[:3]
        ['T-shirt/top', 'Trouser', 'Pullover']
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: cursive Japanese characters (same format as :class:`MNIST`, in ``root/KMNIST/raw``).

    Example:
        >>> from embervision.datasets import KMNIST
        >>> len(KMNIST.classes)
        10
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_MERGED = set("cijklmopsuvwxyz")
_ALL = set(string.digits + string.ascii_letters)


class EMNIST(MNIST):
    """Extended MNIST: digits and letters, one of six ``split`` s, from ``root/EMNIST/raw``.

    Files are ``emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte`` (plain or ``.gz``).
    As in torchvision the images are returned as stored (transposed relative to MNIST).

    Args:
        split: ``"byclass"``, ``"bymerge"``, ``"balanced"``, ``"letters"``, ``"digits"`` or ``"mnist"``.

    Example:
        >>> from embervision.datasets import EMNIST
        >>> EMNIST.classes_split_dict["letters"][:3]
        ['N/A', 'a', 'b']
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are {{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _files(self):
        p = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return _find(self.raw_folder, f"{p}-images-idx3-ubyte"), _find(self.raw_folder, f"{p}-labels-idx1-ubyte")

    def download(self):
        """Download the EMNIST zip (all splits) and unpack its IDX files into ``raw_folder``."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, self.raw_folder, md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)

    def extra_repr(self):
        return f"Split: {self.split} ({'Train' if self.train else 'Test'})"
