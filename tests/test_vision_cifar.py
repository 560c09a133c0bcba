"""CIFAR10 / CIFAR100 on small archives built here in CIFAR's exact format (Python 2
pickles of a dict with a uint8 'data' array (N, 3072) and a list of labels, in
cifar-10-batches-py/ inside a .tar.gz), downloaded from file:// URLs: no network.

The pickles are read by a restricted unpickler; a hostile pickle inside a genuine-looking
archive (its MD5s made to match) must be refused without running anything."""
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

import minitorch
from minitorch.utils.data import DataLoader
from minitorch.vision import datasets, transforms
from minitorch.vision.datasets import _safe_pickle


class _Py2Pickler(pickle._Pickler):
    """Writes pickles as CIFAR's Python 2 files are: strings and bytes as py2 str
    (SHORT_BINSTRING / BINSTRING) and numpy's functions under numpy.core."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)


def py2_pickle(value) -> bytes:
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(value)
    return buffer.getvalue()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


CLASSES10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar(folder, n_per_batch=4, n_test=3, cifar100=False, replace=None):
    """Write a CIFAR-format archive under folder; return (archive path, the files' bytes)."""
    rng = np.random.default_rng(0)
    files = {}
    if cifar100:
        names = [("train", 2 * n_per_batch), ("test", n_test)]
    else:
        names = [(f"data_batch_{i}", n_per_batch) for i in range(1, 6)] + [("test_batch", n_test)]
    for name, n in names:
        entry = {"batch_label": f"batch {name}", "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 "filenames": [f"img_{k}.png" for k in range(n)]}
        if cifar100:
            entry["fine_labels"] = rng.integers(0, 100, n).tolist()
            entry["coarse_labels"] = rng.integers(0, 20, n).tolist()
        else:
            entry["labels"] = rng.integers(0, 10, n).tolist()
        files[name] = py2_pickle(entry)
    if cifar100:
        files["meta"] = py2_pickle({"fine_label_names": [f"fine{k}" for k in range(100)],
                                    "coarse_label_names": [f"coarse{k}" for k in range(20)]})
    else:
        files["batches.meta"] = py2_pickle({"label_names": CLASSES10, "num_cases_per_batch": n_per_batch,
                                            "num_vis": 3072})
    files.update(replace or {})
    base = "cifar-100-python" if cifar100 else "cifar-10-batches-py"
    archive = os.path.join(folder, "cifar-100-python.tar.gz" if cifar100 else "cifar-10-python.tar.gz")
    os.makedirs(folder, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in list(files.items()) + [("readme.html", b"<html></html>")]:
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive, files


def dataset_class(archive, files, cifar100=False):
    """CIFAR10/100 with the checksums of the files built here and a file:// URL."""
    base = datasets.CIFAR100 if cifar100 else datasets.CIFAR10
    with open(archive, "rb") as f:
        tgz_md5 = _md5(f.read())
    attrs = {"url": "file://" + os.path.abspath(archive), "tgz_md5": tgz_md5,
             "train_list": [[name, _md5(files[name])] for name, _ in base.train_list],
             "test_list": [[name, _md5(files[name])] for name, _ in base.test_list],
             "meta": dict(base.meta, md5=_md5(files[base.meta["filename"]]))}
    return type(base.__name__, (base,), attrs)


@pytest.fixture
def cifar10(tmp_path):
    archive, files = make_cifar(str(tmp_path / "server"))
    return dataset_class(archive, files), files


def _raw(files, name):
    return pickle.loads(files[name], encoding="latin1")


@pytest.fixture
def no_pillow(monkeypatch):
    from minitorch.vision.datasets import cifar
    monkeypatch.setattr(cifar, "_PILImage", None)


def test_download_extracts_the_archive_and_reads_every_batch(cifar10, tmp_path, no_pillow, capsys):
    CIFAR10, files = cifar10
    root = tmp_path / "data"
    train = CIFAR10(str(root), train=True, download=True)
    assert "Extracting" in capsys.readouterr().out
    raw = [_raw(files, f"data_batch_{i}") for i in range(1, 6)]
    expected = np.concatenate([r["data"] for r in raw]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    assert len(train) == 20 and train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data, expected)
    assert train.targets == sum((r["labels"] for r in raw), [])
    assert train.classes == CLASSES10 and train.class_to_idx["cat"] == 3
    img, target = train[5]
    assert isinstance(img, np.ndarray) and img.shape == (32, 32, 3) and target == train.targets[5]
    # pixel (h, w) of channel c is byte c * 1024 + h * 32 + w of the image's row
    assert img[2, 7, 1] == raw[1]["data"][1][1 * 1024 + 2 * 32 + 7]
    test = CIFAR10(str(root), train=False)
    np.testing.assert_array_equal(test.data.reshape(3, -1),
                                  _raw(files, "test_batch")["data"].reshape(3, 3, 1024).transpose(0, 2, 1)
                                  .reshape(3, -1))
    assert repr(test).splitlines()[:4] == ["Dataset CIFAR10", "    Number of datapoints: 3",
                                           f"    Root location: {root}", "    Split: Test"]
    assert sorted(os.listdir(root)) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]  # no temporaries left
    CIFAR10(str(root), download=True)
    assert "Files already downloaded and verified" in capsys.readouterr().out


def test_cifar100_reads_the_fine_labels(tmp_path):
    archive, files = make_cifar(str(tmp_path / "server"), cifar100=True)
    CIFAR100 = dataset_class(archive, files, cifar100=True)
    train = CIFAR100(str(tmp_path / "data"), download=True)
    assert train.targets == _raw(files, "train")["fine_labels"] and len(train) == 8
    assert len(train.classes) == 100 and train.classes[3] == "fine3"


def test_transforms_and_the_dataloaders_batch_path_give_the_per_sample_result(cifar10, tmp_path):
    CIFAR10, files = cifar10
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    data = CIFAR10(str(tmp_path), download=True, transform=transform, target_transform=None)
    image, _ = data[3]
    assert tuple(image.shape) == (3, 32, 32)
    np.testing.assert_allclose(image.numpy(), (data.data[3].transpose(2, 0, 1) / 255 - 0.5) / 0.5, atol=1e-6)
    images, targets = data._gather_batch([3, 0, 7])
    np.testing.assert_array_equal(images.numpy(), np.stack([data[i][0].numpy() for i in (3, 0, 7)]))
    assert targets.tolist() == [data.targets[i] for i in (3, 0, 7)]
    batches = list(DataLoader(data, batch_size=8))
    assert [tuple(b[0].shape) for b in batches] == [(8, 3, 32, 32), (8, 3, 32, 32), (4, 3, 32, 32)]
    assert sum((b[1].tolist() for b in batches), []) == data.targets
    shifted = CIFAR10(str(tmp_path), transform=transform, target_transform=lambda t: t + 100)
    assert shifted[3][1] == data.targets[3] + 100


def test_missing_data_without_download_says_how_to_get_it(cifar10, tmp_path):
    CIFAR10, _ = cifar10
    with pytest.raises(RuntimeError) as info:
        CIFAR10(str(tmp_path / "empty"))
    message = str(info.value)
    assert message.startswith("Dataset not found or corrupted. You can use download=True to download it")
    assert CIFAR10.filename in message and CIFAR10.tgz_md5 in message and "data_batch_1" in message


def test_an_offline_download_fails_clearly_and_leaves_nothing(cifar10, tmp_path):
    CIFAR10, _ = cifar10
    Offline = type("CIFAR10", (CIFAR10,), {"url": "http://127.0.0.1:9/cifar-10-python.tar.gz"})  # nothing listens
    root = tmp_path / "data"
    with pytest.raises(RuntimeError) as info:
        Offline(str(root), download=True)
    message = str(info.value)
    assert message.startswith("Error downloading http://127.0.0.1:9/cifar-10-python.tar.gz")
    assert "without internet" in message and Offline.tgz_md5 in message
    assert os.listdir(root) == []


def test_an_archive_put_in_root_by_hand_is_checked_and_extracted_offline(cifar10, tmp_path, capsys):
    CIFAR10, _ = cifar10
    Offline = type("CIFAR10", (CIFAR10,), {"url": "http://127.0.0.1:9/cifar-10-python.tar.gz"})
    root = tmp_path / "data"
    root.mkdir()
    with open(CIFAR10.url[len("file://"):], "rb") as src:
        (root / CIFAR10.filename).write_bytes(src.read())
    assert len(Offline(str(root), download=True)) == 20
    assert "Using downloaded and verified file" in capsys.readouterr().out


def test_a_corrupt_download_is_refused_by_its_md5(cifar10, tmp_path):
    CIFAR10, _ = cifar10
    Wrong = type("CIFAR10", (CIFAR10,), {"tgz_md5": "0" * 32})
    with pytest.raises(RuntimeError, match="expected 0{32}"):
        Wrong(str(tmp_path / "data"), download=True)
    assert os.listdir(tmp_path / "data") == []


def test_a_changed_batch_file_fails_the_integrity_check(cifar10, tmp_path):
    CIFAR10, _ = cifar10
    CIFAR10(str(tmp_path), download=True)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_3", "ab") as f:
        f.write(b"\0")
    os.remove(tmp_path / CIFAR10.filename)
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted"):
        CIFAR10(str(tmp_path))


class _Exploit:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_inside_the_archive_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    hostile = pickle.dumps({"data": _Exploit(marker), "labels": [0]}, protocol=2)
    archive, files = make_cifar(str(tmp_path / "server"), replace={"data_batch_2": hostile})
    Hostile = dataset_class(archive, files)  # its checksums match, as if the published ones had been replaced
    with pytest.raises(RuntimeError) as info:
        Hostile(str(tmp_path / "data"), download=True)
    assert "data_batch_2 was refused" in str(info.value)
    assert f"global '{os.system.__module__}.system' is not allowed" in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    {"data": np.array([object()], dtype=object), "labels": []},  # object arrays hold arbitrary objects
    {"data": {1, 2}},                                               # a set: builtins.set is not allowed
])
def test_the_restricted_unpickler_refuses_anything_but_plain_data(tmp_path, payload):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(RuntimeError, match="was refused"):
        _safe_pickle.load(str(path))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_the_restricted_unpickler_reads_numpy_arrays_of_any_protocol(tmp_path, protocol):
    value = {"data": np.arange(24, dtype=np.uint8).reshape(4, 6), "labels": [1, 2, 3, 4], "t": np.eye(3).T,
             "name": "x", "raw": b"\x00\xff"}
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(value, protocol=protocol))
    loaded = _safe_pickle.load(str(path))
    assert loaded.keys() == value.keys() and loaded["labels"] == [1, 2, 3, 4] and loaded["raw"] == b"\x00\xff"
    np.testing.assert_array_equal(loaded["data"], value["data"])
    np.testing.assert_array_equal(loaded["t"], value["t"])


@pytest.mark.parametrize("member", ["../escaped", "/tmp/absolute-escape", "link"])
def test_an_archive_reaching_outside_root_is_refused(tmp_path, member):
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        if member == "link":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        else:
            info.size = 3
        tar.addfile(info, io.BytesIO(b"bad") if member != "link" else None)
    root = tmp_path / "root"
    root.mkdir()
    from minitorch.vision.datasets import _download
    with pytest.raises(RuntimeError, match="refusing to extract it"):
        _download.extract_tar(str(archive), str(root))
    assert os.listdir(root) == [] and not (tmp_path / "escaped").exists()


def test_the_published_checksums_are_torchvisions():
    assert datasets.CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"
    assert datasets.CIFAR10.train_list[0] == ["data_batch_1", "c99cafc152244af753f735de768cd75f"]
    assert datasets.CIFAR10.test_list == [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    assert datasets.CIFAR100.tgz_md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert datasets.CIFAR100.meta["md5"] == "7973b15100ade9c7d40fb424638fde48"
    assert datasets.CIFAR10.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def test_images_are_pil_images_where_pillow_is_installed(cifar10, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    CIFAR10, _ = cifar10
    data = CIFAR10(str(tmp_path), download=True)
    img, _ = data[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), data.data[1])
    assert minitorch.equal(transforms.ToTensor()(img), transforms.ToTensor()(data.data[1]))
