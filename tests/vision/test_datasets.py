"""embervision.datasets on files written in the real formats by the tests."""

import gzip
import hashlib
import pickle
import struct
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

import ember
from ember.utils.data import DataLoader
from embervision import datasets, transforms


def _idx(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, prefix, n, rng, compress=False, names=("images-idx3", "labels-idx1")):
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    for kind, arr in zip(names, (images, labels)):
        data = _idx(arr)
        name = f"{prefix}-{kind}-ubyte"
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
@pytest.mark.parametrize("compress", [False, True])
def test_mnist_family_reads_idx(tmp_path, cls, compress):
    rng = np.random.default_rng(0)
    raw = tmp_path / cls.__name__ / "raw"
    train_images, train_labels = _write_mnist(raw, "train", 5, rng, compress)
    test_images, test_labels = _write_mnist(raw, "t10k", 3, rng, compress)
    ds = cls(tmp_path, train=True, transform=transforms.ToTensor(), target_transform=lambda y: y + 100)
    assert len(ds) == 5 and ds.data.dtype is ember.uint8 and ds.targets.dtype is ember.int64
    img, label = ds[3]
    np.testing.assert_allclose(img.numpy()[0], train_images[3] / 255, rtol=1e-6)
    assert label == int(train_labels[3]) + 100
    test = cls(tmp_path, train=False)
    pil, label = test[2]
    assert pil.mode == "L" and np.array_equal(np.asarray(pil), test_images[2]) and label == int(test_labels[2])
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[4]] == 4
    assert "Split: Test" in repr(test) and f"Dataset {cls.__name__}" in repr(test)


def test_mnist_missing_and_malformed_files(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.MNIST(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    _write_mnist(raw, "train", 4, np.random.default_rng(1))
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 4, 28, 28) + bytes(100))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: IDX size mismatch"):
        datasets.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x08\x03" + bytes(20))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: not an IDX file"):
        datasets.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(_idx(np.zeros((3, 28, 28), np.uint8)))
    with pytest.raises(ValueError, match="3 images but .* 4 labels"):
        datasets.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(_idx(np.zeros((4, 28), np.uint8)))
    with pytest.raises(ValueError, match="expected uint8 images of 3 dimensions"):
        datasets.MNIST(tmp_path)


def test_idx_other_dtypes(tmp_path):
    from embervision.datasets.mnist import read_idx

    arr = np.arange(-3, 3, dtype=np.int32).reshape(2, 3)
    (tmp_path / "x").write_bytes(_idx(arr))
    out = read_idx(tmp_path / "x")
    assert out.dtype == np.int32 and np.array_equal(out, arr)


def test_emnist_split(tmp_path):
    rng = np.random.default_rng(2)
    raw = tmp_path / "EMNIST" / "raw"
    images, labels = _write_mnist(raw, "emnist-letters-test", 4, rng)
    ds = datasets.EMNIST(tmp_path, split="letters", train=False)
    assert len(ds) == 4 and ds.classes[:3] == ["N/A", "a", "b"] and len(ds.classes) == 27
    assert np.array_equal(np.asarray(ds[1][0]), images[1]) and ds[1][1] == labels[1]
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(tmp_path, split="nope")
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = lambda *a, **k: _Quiet(*a, directory=str(served), **k)  # noqa: E731
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_mnist_download_from_mirror(tmp_path, file_server):
    served, url = file_server
    rng = np.random.default_rng(3)
    resources = []
    for prefix, n in (("train", 4), ("t10k", 2)):
        _write_mnist(served, prefix, n, rng, compress=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        resources.append((name, hashlib.md5((served / name).read_bytes()).hexdigest()))

    class LocalMNIST(datasets.MNIST):
        mirrors = [url + "missing/", url]

    LocalMNIST.resources = resources
    root = tmp_path / "root"
    ds = LocalMNIST(root, train=True, download=True)
    assert len(ds) == 4 and (root / "LocalMNIST" / "raw" / "train-images-idx3-ubyte").exists()
    assert len(LocalMNIST(root, train=False, download=True)) == 2


def _cifar_records(rng, n, label_bytes, classes):
    labels = rng.integers(0, classes, (n, label_bytes), dtype=np.uint8)
    pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    return np.concatenate([labels, pixels], axis=1), labels, pixels


def test_cifar10_binary(tmp_path):
    rng = np.random.default_rng(4)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    all_pixels, all_labels = [], []
    for i in range(1, 6):
        rec, labels, pixels = _cifar_records(rng, 2, 1, 10)
        (folder / f"data_batch_{i}.bin").write_bytes(rec.tobytes())
        all_pixels.append(pixels)
        all_labels.append(labels[:, 0])
    rec, test_labels, test_pixels = _cifar_records(rng, 3, 1, 10)
    (folder / "test_batch.bin").write_bytes(rec.tobytes())
    ds = datasets.CIFAR10(tmp_path, train=True)
    assert len(ds) == 10 and ds.data.shape == (10, 32, 32, 3) and ds.targets == np.concatenate(all_labels).tolist()
    img, label = ds[7]
    want = np.concatenate(all_pixels)[7].reshape(3, 32, 32).transpose(1, 2, 0)
    assert img.mode == "RGB" and np.array_equal(np.asarray(img), want) and label == ds.targets[7]
    test = datasets.CIFAR10(tmp_path, train=False, transform=transforms.ToTensor())
    assert test[0][0].shape == (3, 32, 32) and test.targets == test_labels[:, 0].tolist()
    assert test.class_to_idx["truck"] == 9
    (folder / "batches.meta.txt").write_text("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n")
    assert datasets.CIFAR10(tmp_path, train=False).classes[:2] == ["a", "b"]
    loader = DataLoader(test, batch_size=2)
    images, labels = next(iter(loader))
    assert images.shape == (2, 3, 32, 32) and labels.dtype is ember.int64


def test_cifar_malformed_and_missing(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.CIFAR10(tmp_path)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    (folder / "test_batch.bin").write_bytes(bytes(3073 + 10))
    with pytest.raises(ValueError, match="test_batch.bin: size 3083 bytes is not a whole number of 3073-byte"):
        datasets.CIFAR10(tmp_path, train=False)
    (folder / "test_batch.bin").write_bytes(bytes([12]) + bytes(3072))
    with pytest.raises(ValueError, match="label 12 out of range"):
        datasets.CIFAR10(tmp_path, train=False)


def test_cifar100_binary(tmp_path):
    rng = np.random.default_rng(5)
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    rec, labels, _ = _cifar_records(rng, 4, 2, 20)
    (folder / "train.bin").write_bytes(rec.tobytes())
    ds = datasets.CIFAR100(tmp_path)
    assert ds.targets == labels[:, 1].tolist() and ds.coarse_targets == labels[:, 0].tolist()
    assert len(ds.classes) == 100 and ds.classes[0] == "apple" and ds.classes[-1] == "worm"


def test_cifar10_python_pickles_are_read_safely(tmp_path):
    rng = np.random.default_rng(6)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, 2).tolist()
        batch = {b"batch_label": b"x", b"labels": labels, b"data": data, b"filenames": [b"a.png", b"b.png"]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        batches.append((data, labels))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [f"c{i}".encode() for i in range(10)]}))
    ds = datasets.CIFAR10(tmp_path, train=False)
    data, labels = batches[-1]
    assert ds.targets == labels and np.array_equal(ds.data[1], data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.classes[3] == "c3"

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ValueError, match="test_batch: cannot read this pickle safely .*posix.system|os.system|nt.system"):
        datasets.CIFAR10(tmp_path, train=False)


def _image_tree(root, spec):
    for cls, names in spec.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            Image.new("RGB", (4 + i, 3), (i * 40, 0, 0)).save(root / cls / name)


def test_image_folder(tmp_path):
    _image_tree(tmp_path, {"dog": ["b.png", "a.jpg"], "cat": ["x.PNG"], "bird": []})
    (tmp_path / "dog" / "notes.txt").write_text("skip me")
    (tmp_path / "dog" / "sub").mkdir()
    Image.new("L", (2, 2)).save(tmp_path / "dog" / "sub" / "c.bmp")
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes bird"):
        datasets.ImageFolder(tmp_path)
    ds = datasets.ImageFolder(tmp_path, allow_empty=True, transform=transforms.PILToTensor())
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    names = [p.split("/")[-1] for p, _ in ds.samples]
    assert names == ["x.PNG", "a.jpg", "b.png", "c.bmp"] and ds.targets == [1, 2, 2, 2] and ds.imgs is ds.samples
    img, target = ds[3]
    assert img.shape == (3, 2, 2) and target == 2
    only_png = datasets.ImageFolder(tmp_path, allow_empty=True, is_valid_file=lambda p: p.endswith(".png"))
    assert [t for _, t in only_png.samples] == [2]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(tmp_path, loader=open, extensions=(".png",), is_valid_file=lambda p: True)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "cat")


def test_image_folder_corrupt_file_names_the_file(tmp_path):
    _image_tree(tmp_path, {"a": ["ok.png"]})
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    ds = datasets.ImageFolder(tmp_path)
    with pytest.raises(Exception, match="broken.png"):
        ds[0]


def test_dataset_folder_custom_loader(tmp_path):
    for cls in ("neg", "pos"):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / "s.npy").write_bytes(b"")
    ds = datasets.DatasetFolder(tmp_path, loader=lambda p: p[-9:], extensions=".npy")
    assert [ds[i] for i in range(2)] == [("neg/s.npy", 0), ("pos/s.npy", 1)]


def test_fake_data_is_deterministic_and_independent_of_global_seed():
    ds = datasets.FakeData(size=5, image_size=(1, 6, 4), num_classes=3, transform=transforms.PILToTensor())
    ember.manual_seed(0)
    a = ds[3]
    ember.manual_seed(123)
    b = ds[3]
    assert a[0].shape == (1, 6, 4) and np.array_equal(a[0].numpy(), b[0].numpy()) and a[1] == b[1]
    assert not np.array_equal(ds[2][0].numpy(), a[0].numpy())
    assert not np.array_equal(datasets.FakeData(5, (1, 6, 4), random_offset=1, transform=transforms.PILToTensor())[3][0].numpy(),
                              a[0].numpy())
    with pytest.raises(IndexError):
        ds[5]
    assert {ds[i][1] for i in range(5)} <= {0, 1, 2}


def test_digits_still_loads():
    ds = datasets.Digits(train=False, transform=transforms.ToTensor())
    x, y = ds[0]
    assert x.shape == (1, 8, 8) and 0 <= y <= 9 and len(ds) == 359
