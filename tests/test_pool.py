"""The CPU backend's buffer pool: large arrays are reused only when nothing references them."""
import gc

import numpy as np
import pytest

import minitorch
from minitorch._backends.cpu import _pool

F32 = np.dtype(np.float32)
BIG = (256, 512)  # 512 KiB: above the threshold


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    monkeypatch.setattr(_pool, "_buckets", {})
    monkeypatch.setattr(_pool, "_cached", [0])


def test_small_arrays_are_not_pooled():
    a = _pool.empty((4, 4), F32)
    assert a.shape == (4, 4) and a.dtype == F32 and _pool.cached_bytes() == 0


def test_a_free_buffer_is_reused_and_a_live_one_is_not():
    a = _pool.empty(BIG, F32)
    a[...] = 1
    b = _pool.empty(BIG, F32)
    assert not np.shares_memory(a, b)
    address = a.__array_interface__["data"][0]
    del a
    c = _pool.empty((512, 256), F32)  # same byte size, other shape: the freed buffer
    assert c.__array_interface__["data"][0] == address and c.shape == (512, 256)
    assert _pool.cached_bytes() == 2 * 512 * 1024


def test_views_and_numpy_exports_keep_a_buffer_busy():
    a = _pool.empty(BIG, F32)
    view = a[::2, 1:]
    exported = minitorch.from_numpy(a).numpy()
    del a
    gc.collect()
    b = _pool.empty(BIG, F32)
    assert not np.shares_memory(b, view) and not np.shares_memory(b, exported)
    del view
    c = _pool.empty(BIG, F32)
    assert not np.shares_memory(c, exported)  # still exported
    del exported
    d = _pool.empty(BIG, F32)
    assert len(_pool._buckets[512 * 1024]) == 3 and d.base is not None


def test_capacity_drops_free_buffers_first(monkeypatch):
    monkeypatch.setattr(_pool, "CAPACITY", 4 * 512 * 1024)
    keep = [_pool.empty(BIG, F32) for _ in range(2)]
    free = _pool.empty(BIG, F32)
    del free
    other = _pool.empty((128, 1024, 2), F32)  # 1 MiB: only fits once the free buffer is dropped
    assert _pool.cached_bytes() == 2 * 512 * 1024 + 1024 * 1024
    over = _pool.empty((1024, 1024), F32)  # does not fit at all: a plain, unpooled array
    assert over.base is None and _pool.cached_bytes() <= _pool.CAPACITY
    _pool.empty_cache()
    assert _pool.cached_bytes() == 2 * 512 * 1024 + 1024 * 1024  # in-use buffers stay
    del keep, other


def test_training_results_are_unchanged_by_the_pool(monkeypatch):
    def run():
        minitorch.manual_seed(0)
        model = minitorch.nn.Sequential(minitorch.nn.Linear(300, 512), minitorch.nn.ReLU(),
                                        minitorch.nn.Linear(512, 10))
        opt = minitorch.optim.Adam(model.parameters())
        x = minitorch.randn(256, 300)
        y = minitorch.randint(0, 10, (256,))
        for _ in range(3):
            opt.zero_grad()
            minitorch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return [p.detach().numpy().copy() for p in model.parameters()]
    pooled = run()
    monkeypatch.setattr(_pool, "THRESHOLD", 1 << 62)
    plain = run()
    for a, b in zip(pooled, plain):
        np.testing.assert_array_equal(a, b)
