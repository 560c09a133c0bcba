"""The first run on a machine: the common kernels compile at import, announced once on
stderr with a progress bar; later runs say nothing and compile nothing."""
import os
import subprocess
import sys
import time

import pytest

from minitorch._backends.cpu import _first_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A training step of the MNIST example and of the README's programs, counting the
# compiles numba's compile event reports (it fires for compiles, never for cache loads).
STEP = """
import sys
from numba.core import event
compiles = []
class Count(event.Listener):
    def on_start(self, ev):
        compiles.append(ev.data["dispatcher"].py_func.__name__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
import minitorch
from minitorch import nn, optim
from minitorch.utils.data import DataLoader, TensorDataset
minitorch.manual_seed(1)
w = minitorch.randn(3, 5, requires_grad=True)
nn.MSELoss()(w @ minitorch.randn(5, 1), minitorch.randn(3, 1)).backward()
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 10),
                      nn.LogSoftmax(dim=1))
adam, sgd = optim.Adam(model.parameters()), optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x, y = minitorch.rand(8, 1, 28, 28), minitorch.randint(0, 10, (8,))
for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True):
    adam.zero_grad()
    (nn.NLLLoss()(model(xb), yb) + nn.CrossEntropyLoss()(model(xb), yb)).backward()
    adam.step()
    sgd.step()
print("compiled:", sorted(c for c in compiles if c != "impl"))
"""


def _run(code, cache, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT, "NUMBA_CACHE_DIR": str(cache), **env})


@pytest.fixture(scope="module")
def first_and_second_run(tmp_path_factory):
    """The step in a process with an empty numba cache, then again."""
    cache = tmp_path_factory.mktemp("numba-cache")
    return _run(STEP, cache), _run(STEP, cache), cache


def test_the_first_run_says_once_what_it_compiles_then_compiles_nothing_more(first_and_second_run):
    first, _, _ = first_and_second_run
    assert first.returncode == 0, first.stderr[-3000:]
    lines = first.stderr.replace("\r", "\n").splitlines()
    notices = [line for line in lines if line.startswith("minitorch:")]
    assert len(notices) == 1
    assert notices[0].startswith("minitorch: compiling its kernels for this machine (first run only, about ")
    assert any(f"{len(_first_run.CORE)}/{len(_first_run.CORE)}" in line for line in lines)  # the progress bar
    assert first.stdout.strip() == "compiled: []"  # the step found every kernel in the cache


def test_a_later_run_prints_nothing_and_compiles_nothing(first_and_second_run):
    _, second, _ = first_and_second_run
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr == ""
    assert second.stdout.strip() == "compiled: []"


def test_a_kernel_outside_the_common_set_is_announced_once_at_its_first_compile(first_and_second_run):
    _, _, cache = first_and_second_run
    code = ("import minitorch\n"  # relu and relu_backward in float64: two compiles, one notice
            "minitorch.ones(3, dtype=minitorch.float64, requires_grad=True).relu().sum().backward()\n")
    lazy = _run(code, cache)
    assert lazy.returncode == 0, lazy.stderr[-3000:]
    assert lazy.stderr.splitlines() == [_first_run.LAZY_NOTICE.format(name="relu")]
    assert _run(code, cache).stderr == ""  # cached now


def test_precompiling_can_be_turned_off(tmp_path):
    code = "import minitorch"
    out = _run(code, tmp_path, MINITORCH_PRECOMPILE="0")
    assert out.returncode == 0, out.stderr[-3000:]
    # only the default generator's seeding compiles at import, announced by the lazy notice
    assert out.stderr.splitlines() == [_first_run.LAZY_NOTICE.format(name="seed_mt")]


class _Kernel:
    """What _index_is_current reads of a numba dispatcher."""

    def __init__(self, index, source):
        self._cache = type("Cache", (), {"_cache_file": type("File", (), {"_index_path": str(index)})()})()
        code = compile("pass", str(source), "exec")
        self.py_func = type("Function", (), {"__code__": code})()


def test_a_missing_or_stale_index_counts_as_cold_and_unknown_internals_as_warm(tmp_path):
    source, index = tmp_path / "kernels.py", tmp_path / "kernels.relu-1.py311.nbi"
    source.write_text("")
    assert not _first_run._index_is_current(_Kernel(index, source))  # no index yet
    index.write_bytes(b"")
    now = time.time()
    os.utime(source, (now - 10, now - 10))
    os.utime(index, (now, now))
    assert _first_run._index_is_current(_Kernel(index, source))
    os.utime(source, (now + 10, now + 10))  # the source changed after the index was written
    assert not _first_run._index_is_current(_Kernel(index, source))
    assert _first_run._index_is_current(object())  # not a numba dispatcher: nothing to say


def test_every_common_kernel_signature_is_one_numba_accepts():
    from numba.core import sigutils
    for kernel, signature in _first_run.CORE:
        args, _ = sigutils.normalize_signature(signature)
        assert len(args) == kernel.py_func.__code__.co_argcount, kernel.py_func.__name__
