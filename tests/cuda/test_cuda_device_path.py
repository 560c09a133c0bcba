"""The CUDA backend's sync-free and fused paths (simulator): the device-reduced NLL and its
device-side assert, addmm's bias epilogue, gradient adoption, fills, and buffer
lifetimes checked by poisoning every block the pool gets back."""
import gc

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch._backends.cuda import _array, _launch
from minitorch._backends.cuda._table import backend
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda

_W = [0.5, 2.0, 1.0, 1.5]


@pytest.fixture
def poisoned_pool():
    """Every block given back to the pool is overwritten with NaN bytes at once: a kernel
    that reads a buffer after its array died sees NaN instead of the old values."""
    def poison(raw):
        raw.copy_to_device(np.full(raw.shape, 0xFF, np.uint8))
    _array.POOL.poison = poison
    yield
    _array.POOL.poison = None


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("weight, ignore", [(None, -100), (_W, -100), (_W, 3), (None, 0)])
def test_device_reduced_nll_matches_the_cpu(reduction, weight, ignore, poisoned_pool):
    logp = F.log_softmax(rand(6, 4, seed=3), 1).detach().requires_grad_(True)
    target = minitorch.tensor([1, 0, 3, 2, 3, 0])
    w = None if weight is None else minitorch.tensor(weight, dtype=minitorch.float64)  # a cast temporary
    out = F.nll_loss(logp, target, weight=w, ignore_index=ignore, reduction=reduction)
    out.backward(minitorch.tensor(1.75))
    lc = cuda(logp)
    outc = F.nll_loss(lc, target.cuda(), weight=None if w is None else w.cuda(), ignore_index=ignore,
                      reduction=reduction)
    outc.backward(minitorch.tensor(1.75).cuda())
    assert outc.grad_fn.name() == "NllLossBackward0"
    assert_same(outc, out)
    assert_same(lc.grad, logp.grad)


def test_device_reduced_nll_of_only_ignored_rows_is_nan():
    logp = F.log_softmax(rand(3, 4, seed=9), 1)
    got = F.nll_loss(cuda(logp), minitorch.tensor([1, 1, 1]).cuda(), ignore_index=1)
    assert np.isnan(got.item())


def test_bad_target_is_a_device_side_assert_raised_at_the_next_sync():
    logp = F.log_softmax(rand(3, 4, seed=9), 1)
    loss = F.nll_loss(cuda(logp), minitorch.tensor([0, 7, 1]).cuda())   # no error yet: no sync
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        loss.item()
    ok = F.nll_loss(cuda(logp), minitorch.tensor([0, 1, 1]).cuda())
    assert np.isfinite(ok.item())                                             # the flag was cleared
    F.nll_loss(cuda(logp), minitorch.tensor([0, -3, 1]).cuda())
    with pytest.raises(IndexError, match="Target -3 is out of bounds"):
        minitorch.cuda.synchronize()


@pytest.mark.parametrize("dtype", [minitorch.float32, minitorch.float64])
def test_linear_through_addmm_matches_matmul_plus_bias(dtype):
    x = rand(5, 7, seed=1, dtype=dtype, requires_grad=True)
    w = rand(3, 7, seed=2, dtype=dtype, requires_grad=True)
    b = rand(3, seed=3, dtype=dtype, requires_grad=True)
    out = F.linear(x, w, b)
    out.sum().backward()
    xc, wc, bc = cuda(x), cuda(w), cuda(b)
    outc = F.linear(xc, wc, bc)
    outc.sum().backward()
    assert_same(outc, out, rtol=1e-6, atol=1e-6)
    for got, expected in ((xc.grad, x.grad), (wc.grad, w.grad), (bc.grad, b.grad)):
        assert_same(got, expected, rtol=1e-5, atol=1e-6)
    # the fused path is exact against the backend's own matmul + in-place add
    be = backend(0)
    ref = be.matmul(xc._data, be.permute(wc._data, (1, 0)))
    be.inplace("add", ref, bc._data)
    fused = be.addmm(bc._data, xc._data, be.permute(wc._data, (1, 0)))
    np.testing.assert_array_equal(be.to_numpy(fused), be.to_numpy(ref))


def test_leaf_gradients_are_adopted_not_copied():
    """A leaf's first gradient becomes its .grad without a copy kernel, as torch's
    AccumulateGrad steals it; a gradient that is a view of something else is copied."""
    x = rand(4, 3, seed=5).cuda().requires_grad_(True)
    session, _launch.RECORD = _launch.RECORD, []  # (the CI session may be recording launches too)
    try:
        (x * 2.0).sum().backward()
        names = [k.py_func.__name__ for k, _ in _launch.RECORD]
    finally:
        if session is not None:
            session.extend(_launch.RECORD)
        _launch.RECORD = session
    assert "k_assign_flat" not in names and "k_assign" not in names, names
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.full((4, 3), 2.0, np.float32))
    y = rand(2, 3, seed=6).cuda().requires_grad_(True)
    y.expand(4, 2, 3).sum().backward()              # the gradient is a reduction: adoptable
    z = rand(3, seed=7).cuda().requires_grad_(True)
    z.unsqueeze(0).expand(2, 3).sum().backward()
    np.testing.assert_array_equal(y.grad.cpu().numpy(), np.full((2, 3), 4.0, np.float32))
    np.testing.assert_array_equal(z.grad.cpu().numpy(), np.full(3, 2.0, np.float32))


def test_can_adopt_refuses_shared_or_offset_arrays():
    be = backend(0)
    t = minitorch.ones(6, device="cuda")
    assert be.can_adopt(t)
    view = t._data.view_as((3,), (1,), 0)          # another array holds the block
    assert not be.can_adopt(t)
    del view
    assert be.can_adopt(t)
    assert not be.can_adopt(t[1:])                 # not at its block's start
    assert not be.can_adopt(t.reshape(2, 3).t())   # not contiguous


@pytest.mark.parametrize("dtype, value", [(minitorch.float32, -1.5), (minitorch.float64, 0.0),
                                          (minitorch.float64, 2.5), (minitorch.int64, 7),
                                          (minitorch.bool, True), (minitorch.float16, 3.0)])
def test_fills(dtype, value):
    t = minitorch.full((3, 5), value, dtype=dtype, device="cuda")
    np.testing.assert_array_equal(t.cpu().numpy(), np.full((3, 5), value, dtype.np))
    t[:, 1:3].fill_(0)                              # a strided view: the kernel path
    expected = np.full((3, 5), value, dtype.np)
    expected[:, 1:3] = 0
    np.testing.assert_array_equal(t.cpu().numpy(), expected)


def test_cuda_suite_ops_under_gc_pressure(poisoned_pool):
    """A short training run with gc.collect() before every launch and every freed block
    poisoned: nothing a kernel reads was given back to the pool before it ran."""
    real = _launch.launch_blocks

    def collecting(kernel, blocks, threads, *args):
        gc.collect()
        real(kernel, blocks, threads, *args)
    _launch.launch_blocks = collecting
    try:
        minitorch.manual_seed(0)
        model = minitorch.nn.Sequential(minitorch.nn.Linear(6, 5), minitorch.nn.ReLU(),
                                        minitorch.nn.Linear(5, 3))
        cpu_losses = _losses(model, "cpu")
        minitorch.manual_seed(0)
        model = minitorch.nn.Sequential(minitorch.nn.Linear(6, 5), minitorch.nn.ReLU(),
                                        minitorch.nn.Linear(5, 3))
        gpu_losses = _losses(model.to("cuda"), "cuda")
    finally:
        _launch.launch_blocks = real
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)


def _losses(model, device):
    opt = minitorch.optim.Adam(model.parameters(), lr=1e-2)
    x = rand(4, 6, seed=1).to(device)
    y = minitorch.tensor([0, 1, 2, 1]).to(device)
    w = minitorch.tensor([1.0, 0.5, 2.0], dtype=minitorch.float64).to(device)
    out = []
    for _ in range(3):
        opt.zero_grad()

        class Cycle:
            pass
        c = Cycle()
        c.me, c.t = c, x * 1.0                        # a CUDA tensor dying in a cycle
        del c
        loss = F.cross_entropy(model(x), y, weight=w)
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out


def test_broken_numba_cuda_numpy_set_is_one_clear_error_at_cuda(tmp_path, monkeypatch):
    """numba-cuda 0.30.4 with numpy >= 2.5 fails every kernel compile (np.row_stack is
    gone); .cuda() / to("cuda") must say what to install instead."""
    from minitorch._backends.cuda import _runtime
    (tmp_path / "fake_numba_cuda_arrayobj.py").write_text(
        "raise AttributeError(\"module 'numpy' has no attribute 'row_stack'\")\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_runtime, "_PROBE", "fake_numba_cuda_arrayobj")
    monkeypatch.setattr(_runtime, "simulator", lambda: False)
    monkeypatch.setattr(_runtime, "_state", {})
    for make in (lambda: minitorch.ones(2).cuda(), lambda: minitorch.ones(2).to("cuda"),
                 lambda: minitorch.zeros(3, device="cuda")):
        with pytest.raises(RuntimeError, match=r"row_stack.*pip install 'numpy<2\.5' 'numba-cuda\[cu12\]==0\.30\.4'"):
            make()
    assert not minitorch.cuda.is_available()


def test_working_set_has_no_compiler_problem():
    from minitorch._backends.cuda import _runtime
    assert _runtime._compiler_problem() is None
