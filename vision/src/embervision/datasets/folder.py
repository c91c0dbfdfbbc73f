"""Data sets laid out as one folder per class: :class:`DatasetFolder` and :class:`ImageFolder`."""

from __future__ import annotations

import os

from PIL import Image

from .vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions``.

    Example:
        >>> from embervision.datasets.folder import has_file_allowed_extension
        >>> has_file_allowed_extension("cat.PNG", (".png", ".jpg"))
        True
    """
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename):
    """Whether ``filename`` has one of the :data:`IMG_EXTENSIONS`.

    Example:
        >>> from embervision.datasets.folder import is_image_file
        >>> is_image_file("a.jpeg"), is_image_file("a.txt")
        (True, False)
    """
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """``(classes, class_to_idx)``: the sorted sub-folder names of ``directory`` and their indices.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets.folder import find_classes
        >>> root = Path(tempfile.mkdtemp()); (root / "dog").mkdir(); (root / "cat").mkdir()
        >>> find_classes(root)
        (['cat', 'dog'], {'cat': 0, 'dog': 1})
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """The ``(path, class_index)`` samples under ``directory/<class>/**``, in sorted order.

    Exactly one of ``extensions`` and ``is_valid_file`` selects the files. A class folder with no
    valid file raises FileNotFoundError unless ``allow_empty``.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets.folder import make_dataset
        >>> root = Path(tempfile.mkdtemp()); (root / "a").mkdir(); _ = (root / "a" / "x.png").write_bytes(b"")
        >>> [(Path(p).name, c) for p, c in make_dataset(root, extensions=(".png",))]
        [('x.png', 0)]
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    samples, seen = [], set()
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        for root, _, files in sorted(os.walk(folder, followlinks=True)):
            for fname in sorted(files):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[name]))
                    seen.add(name)
    empty = set(class_to_idx) - seen
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return samples


def pil_loader(path):
    """Open an image file with Pillow as RGB (the file is closed before returning).

    A file that cannot be decoded (unknown format, truncated, corrupt, or
    declaring more pixels than Pillow's decompression-bomb limit) raises
    ``OSError`` naming the file.

    Example:
        >>> import tempfile, os; from PIL import Image
        >>> from embervision.datasets.folder import pil_loader
        >>> p = os.path.join(tempfile.mkdtemp(), "g.png"); Image.new("L", (3, 2)).save(p)
        >>> pil_loader(p).mode, pil_loader(p).size
        ('RGB', (3, 2))
    """
    with open(path, "rb") as f:
        try:
            img = Image.open(f)
            return img.convert("RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            kind = type(exc) if isinstance(exc, OSError) else OSError  # keeps UnidentifiedImageError
            raise kind(f"cannot load image {os.fspath(path)!r}: {exc}") from None


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """Samples stored as ``root/<class>/**/<file>``, loaded by ``loader``.

    Attributes:
        classes: the sorted class folder names.
        class_to_idx: class name -> index.
        samples: ``(path, class_index)`` pairs.
        targets: the class index of each sample.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from embervision.datasets import DatasetFolder
        >>> root = Path(tempfile.mkdtemp())
        >>> for c in ("neg", "pos"): (root / c).mkdir(); _ = (root / c / "s.txt").write_text(c)
        >>> ds = DatasetFolder(root, loader=lambda p: Path(p).read_text(), extensions=(".txt",))
        >>> ds[1], ds.classes
        (('pos', 1), ['neg', 'pos'])
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file, allow_empty)
        self.loader, self.extensions = loader, extensions
        self.classes, self.class_to_idx = classes, class_to_idx
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        """See :func:`make_dataset`; override to collect samples another way."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        """See :func:`find_classes`; override to choose or order the classes another way."""
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images stored as ``root/<class>/**/<image>``; items are ``(PIL.Image RGB, class_index)``.

    ``imgs`` is an alias of ``samples``. Files are selected by :data:`IMG_EXTENSIONS` unless
    ``is_valid_file`` is given.

    Example:
        >>> import tempfile; from pathlib import Path; from PIL import Image
        >>> from embervision.datasets import ImageFolder
        >>> root = Path(tempfile.mkdtemp())
        >>> for c in ("cat", "dog"): (root / c).mkdir(); Image.new("RGB", (4, 4)).save(root / c / "1.png")
        >>> ds = ImageFolder(root)
        >>> len(ds), ds.class_to_idx, ds[0][0].size
        (2, {'cat': 0, 'dog': 1}, (4, 4))
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
