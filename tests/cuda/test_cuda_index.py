"""CUDA index ops (advanced indexing, assignment, gather/scatter_add, cat/stack, nonzero)
against the CPU backend: the same minitorch code on CPU and CUDA tensors, values and
gradients."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda

def _long(values):
    return minitorch.tensor(values, dtype=minitorch.int64)


def _mask(values):
    return minitorch.tensor(values, dtype=minitorch.bool)


def _both(fn, *tensors, weight_seed=7):
    """fn on CPU tensors and on their CUDA copies: results match; gradients (backward
    with a random w) w.r.t. every float input that requires grad match too."""
    tensors = [t.detach().clone().requires_grad_(t.requires_grad) for t in tensors]   # fresh leaves
    dev = [cuda(t) for t in tensors]
    got, exp = fn(*dev), fn(*tensors)
    assert_same(got, exp)
    if exp.requires_grad:
        w = rand(*exp.shape, seed=weight_seed).to(exp.dtype)
        exp.backward(w)
        got.backward(cuda(w))
        for d, t in zip(dev, tensors):
            if t.requires_grad:
                assert_same(d.grad, t.grad)
    return got, exp


def _index_args(idx):
    """idx on the CPU and as CUDA tensors (lists and slices as they are)."""
    def conv(i):
        return cuda(i) if isinstance(i, minitorch.Tensor) else i
    return idx, (tuple(conv(i) for i in idx) if isinstance(idx, tuple) else conv(idx))


def _getitem_case(x, idx):
    cpu_idx, dev_idx = _index_args(idx)
    xd = cuda(x)
    got, exp = xd[dev_idx], x[cpu_idx]
    assert_same(got, exp)
    w = rand(*exp.shape, seed=3)
    exp.backward(w)
    got.backward(cuda(w))
    assert_same(xd.grad, x.grad)


@pytest.mark.parametrize("make_idx", [
    lambda: _long([2, 0, 3]),                       # 1-D
    lambda: _long([[0, 1], [3, -1]]),               # 2-D index, negative
    lambda: _long([-4, -1, 1]),
    lambda: [0, 2],                                 # a Python list
    lambda: _long([1, 1, 3, 1]),                    # repeated: the gradient accumulates
    lambda: minitorch.tensor([0, 3], dtype=minitorch.int32),
    lambda: (slice(None), _long([4, 0, 4])),        # x[:, idx]
    lambda: (_long([0, 2]), _long([1, -1])),        # two arrays, adjacent
    lambda: (Ellipsis, _long([[1], [0]])),
    lambda: (slice(1, None), _long([0, 2])),        # slice then index
    lambda: (1, _long([0, 0, 4])),                  # an int applied first (PyTorch's rule)
    lambda: (None, _long([3, 1])),
])
def test_getitem_int_index(make_idx):
    x = rand(4, 5, requires_grad=True)
    _getitem_case(x, make_idx())


def test_getitem_non_adjacent():
    x = rand(3, 4, 5, requires_grad=True)
    _getitem_case(x, (_long([0, 2, 2]), slice(None), _long([4, -1, 0])))
    x = rand(3, 4, 5, requires_grad=True)
    _getitem_case(x, (_long([[0], [2]]), slice(1, 3), _long([1, 2, 3])))   # broadcast index arrays


@pytest.mark.parametrize("make_idx", [
    lambda: _mask([True, False, True, True]),
    lambda: _mask([[True, False, True, False, False], [False] * 5, [True] * 5, [False, True] + [False] * 3]),
    lambda: (slice(None), _mask([False, True, True, False, True])),
    lambda: [True, False, False, True],
    lambda: _mask([False] * 4),                     # selects nothing
])
def test_getitem_mask(make_idx):
    x = rand(4, 5, requires_grad=True)
    _getitem_case(x, make_idx())


def test_getitem_computed_mask_and_python_bool():
    x = rand(4, 5, requires_grad=True)
    xd = cuda(x)
    assert_same(xd[xd > 0], x[x > 0])
    _getitem_case(rand(3, 4, requires_grad=True), True)
    _getitem_case(rand(3, 4, requires_grad=True), (True, slice(None), [0, 1]))
    _getitem_case(rand(3, 4, requires_grad=True), (True, _long([0, 2])))       # a tensor beside a bool
    _getitem_case(rand(3, 4, requires_grad=True), (True, _mask([True, False, True])))


@pytest.mark.parametrize("view", [
    lambda t: t.t(),
    lambda t: t[:, ::2],
    lambda t: t[1:].unsqueeze(1).expand(3, 2, 5),
])
def test_getitem_non_contiguous(view):
    base = rand(4, 5, seed=1)
    for idx in (_long([2, 0, -1, 0]), _mask([True, False, True])):
        x, xd = base.clone().requires_grad_(True), cuda(base).requires_grad_(True)
        v_cpu, v_dev = view(x), view(xd)
        if idx.dim() == 1 and idx.dtype is minitorch.bool and idx.shape[0] != v_cpu.shape[0]:
            continue
        if idx.dtype is minitorch.int64 and v_cpu.shape[0] < 4:
            idx = _long([2, 0, -1, 0]) % v_cpu.shape[0]
        got, exp = v_dev[cuda(idx)], v_cpu[idx]
        assert_same(got, exp)
        w = rand(*exp.shape, seed=3)
        exp.backward(w)
        got.backward(cuda(w))
        assert_same(xd.grad, x.grad)


def test_index_with_index_tensor_views():
    """Index tensors that are themselves non-contiguous views."""
    x = rand(5, 6, requires_grad=True)
    idx = _long([[0, 4, 1], [2, 2, 3]]).t()
    _getitem_case(x, (idx, slice(None)))
    idx2 = _long([[0, 4, 1, 5], [2, 2, 3, 1]])[:, ::2]
    _getitem_case(rand(5, 6, requires_grad=True), (slice(None), idx2))


def test_backward_repeated_indices_accumulate():
    x = rand(3, 4, requires_grad=True)
    xd = cuda(x)
    idx = _long([0, 2, 0, 0, 2])
    w = minitorch.full((5, 4), 2.0)
    x[idx].backward(w)
    xd[cuda(idx)].backward(cuda(w))
    assert_same(xd.grad, x.grad)
    np.testing.assert_allclose(xd.grad.cpu().numpy()[0], np.full(4, 6.0))


@pytest.mark.parametrize("dtype", [minitorch.float64, minitorch.int64, minitorch.int32, minitorch.bool,
                                   minitorch.float16, minitorch.uint8])
def test_getitem_dtypes(dtype):
    x = rand(4, 3, dtype=dtype)
    idx = _long([3, -1, 0])
    assert_same(cuda(x)[cuda(idx)], x[idx])
    assert_same(cuda(x)[cuda(x != 0) if dtype is not minitorch.bool else cuda(x)],
                x[x != 0] if dtype is not minitorch.bool else x[x])


# ----- out of range ------------------------------------------------------------------
@pytest.mark.parametrize("make_idx", [
    lambda: _long([0, 5]),
    lambda: _long([-5, 1]),
    lambda: [1, 4],
    lambda: (slice(None), _long([2, 7])),
    lambda: (_long([0, 1]), slice(None), _long([9])),
])
def test_index_out_of_range(make_idx):
    x = rand(4, 5, 3) if isinstance(make_idx(), tuple) and len(make_idx()) == 3 else rand(4, 5)
    cpu_idx, dev_idx = _index_args(make_idx())
    with pytest.raises(IndexError) as cpu_err:
        x[cpu_idx]
    with pytest.raises(IndexError) as dev_err:
        cuda(x)[dev_idx]
    assert str(dev_err.value) == str(cpu_err.value)
    assert "out of bounds" in str(dev_err.value)


def test_index_out_of_range_long_index():
    """An index array spanning several blocks of the min/max range check."""
    rng = np.random.default_rng(2)
    x = rand(6, 2)
    good = rng.integers(-6, 6, size=150)
    assert_same(cuda(x)[cuda(_long(good.tolist()))], x[_long(good.tolist())])
    for bad_value in (6, -7, 100):
        bad = good.copy()
        bad[97] = bad_value
        with pytest.raises(IndexError) as cpu_err:
            x[_long(bad.tolist())]
        with pytest.raises(IndexError) as dev_err:
            cuda(x)[cuda(_long(bad.tolist()))]
        assert str(dev_err.value) == str(cpu_err.value)


def test_index_errors_match_cpu():
    x = rand(4, 5)
    for idx in (_mask([True, False]), (_long([0, 1]), _long([0, 1, 2])), (0, 1, _long([0]))):
        cpu_idx, dev_idx = _index_args(idx)
        with pytest.raises(IndexError) as cpu_err:
            x[cpu_idx]
        with pytest.raises(IndexError) as dev_err:
            cuda(x)[dev_idx]
        assert str(dev_err.value) == str(cpu_err.value)


# ----- assignment --------------------------------------------------------------------
def _setitem_case(x, idx, value):
    cpu_idx, dev_idx = _index_args(idx)
    xc, xd = x.clone(), cuda(x)
    xc[cpu_idx] = value
    xd[dev_idx] = cuda(value) if isinstance(value, minitorch.Tensor) else value
    assert_same(xd, xc)


@pytest.mark.parametrize("idx, value", [
    (_long([2, 0]), lambda: rand(2, 5, seed=4)),
    (_long([1, 3, 1, 1]), lambda: rand(4, 5, seed=4)),          # repeated: the last write wins
    (_long([1, 3, 1]), lambda: rand(5, seed=4)),                # broadcast value
    ([0, 3], lambda: 2.5),
    (_mask([True, False, False, True]), lambda: 0.0),
    ((slice(None), _long([4, 0, 4])), lambda: rand(4, 3, seed=5)),
    ((_long([0, 2, 0]), slice(None), ), lambda: rand(1, 3, 5, seed=5)),  # leading size-1 dim
    ((_long([0, 1]), _long([4, 4])), lambda: rand(2, seed=6)),
    ((_long([[0], [1]]), _long([4, 4])), lambda: rand(2, 2, seed=6)),    # repeated pairs, last wins
])
def test_setitem(idx, value):
    _setitem_case(rand(4, 5), idx, value())


def test_setitem_mask_and_dtypes():
    x = rand(4, 5)
    _setitem_case(x, x > 0, 0.0)
    xi = rand(4, 5, dtype=minitorch.int64)
    _setitem_case(xi, _long([1, 1, 0]), rand(3, 5, dtype=minitorch.int64, seed=2))
    xb = rand(3, 4, dtype=minitorch.bool)
    _setitem_case(xb, (slice(None), _long([0, 2])), True)
    xh = rand(3, 4, dtype=minitorch.float16)
    _setitem_case(xh, _mask([True, False, True]), rand(4, dtype=minitorch.float16))
    _setitem_case(rand(3, 4, 2), (_long([0, 2]), slice(None), _long([1, 0])), rand(2, 4, seed=9))


def test_setitem_non_contiguous_target():
    base = rand(4, 6)
    xc, xd = base.clone(), cuda(base)
    xc.t()[_long([0, 5])] = rand(2, 4, seed=3)
    xd.t()[cuda(_long([0, 5]))] = cuda(rand(2, 4, seed=3))
    assert_same(xd, xc)
    xc[:, ::2][_mask([True, False, True, True])] = -1.0
    xd[:, ::2][cuda(_mask([True, False, True, True]))] = -1.0
    assert_same(xd, xc)
    xc[_long([1, 2, 3])] = xc[:3]           # the value overlaps the target
    xd[cuda(_long([1, 2, 3]))] = xd[:3]
    assert_same(xd, xc)


def test_setitem_value_shape_mismatch():
    x = rand(4, 5)
    with pytest.raises(RuntimeError) as cpu_err:
        x[_long([0, 1])] = rand(3, 5)
    with pytest.raises(RuntimeError) as dev_err:
        cuda(x)[cuda(_long([0, 1]))] = cuda(rand(3, 5))
    assert str(dev_err.value) == str(cpu_err.value)


def test_setitem_autograd():
    """x[idx] = v on a non-leaf: gradients reach x (outside idx) and v (at idx)."""
    for idx in (_long([2, 0]), _mask([False, True, True, False])):
        x, v = rand(4, 5, requires_grad=True), rand(2, 5, seed=2, requires_grad=True)

        def fn(x, v, idx=idx):
            y = x * 1.0
            y[cuda(idx) if x.device.type == "cuda" else idx] = v
            return y
        _both(fn, x, v)


def test_setitem_autograd_repeated_mask_zero():
    x = rand(4, 5, requires_grad=True)

    def fn(x):
        y = x * 2.0
        y[y > 0] = 0.0
        return y
    _both(fn, x)


# ----- masked_fill, gather, scatter_add, embedding --------------------------------------
def test_masked_fill():
    x = rand(4, 5, requires_grad=True)
    mask = rand(4, 5, seed=1) > 0
    _both(lambda x: x.masked_fill(cuda(mask) if x.device.type == "cuda" else mask, -2.0), x)
    _both(lambda x: minitorch.masked_fill(x.t(), (cuda(mask) if x.device.type == "cuda" else mask).t(), 3.0), x)


def test_gather_public():
    x = rand(3, 4, requires_grad=True)
    idx = _long([[0, 3], [1, 1], [3, 2]])
    _both(lambda x: minitorch.gather(x, 1, cuda(idx) if x.device.type == "cuda" else idx), x)
    _both(lambda x: x.t().gather(0, cuda(idx).t() if x.device.type == "cuda" else idx.t()), x)


def test_embedding_forward():
    w = rand(6, 3)
    idx = _long([[0, 5, 2], [2, 2, 1]])
    assert_same(F.embedding(cuda(idx), cuda(w)), F.embedding(idx, w))


def test_scatter_add_forward():
    base = rand(3, 4)
    idx = _long([[0, 2, 0], [1, 1, 1]])
    src = rand(2, 3, seed=2)
    assert_same(cuda(base).scatter_add(0, cuda(idx), cuda(src)), base.scatter_add(0, idx, src))
    assert_same(minitorch.scatter_add(cuda(base), 1, cuda(idx), cuda(rand(2, 5, seed=3))),
                minitorch.scatter_add(base, 1, idx, rand(2, 5, seed=3)))
    bi = rand(3, 4, dtype=minitorch.int64)
    assert_same(cuda(bi).scatter_add(1, cuda(idx), cuda(rand(2, 3, dtype=minitorch.int64, seed=2))),
                bi.scatter_add(1, idx, rand(2, 3, dtype=minitorch.int64, seed=2)))
    bh = rand(3, 4, dtype=minitorch.float16)
    assert_same(cuda(bh).scatter_add(0, cuda(idx), cuda(src.half())), bh.scatter_add(0, idx, src.half()),
                rtol=1e-3, atol=1e-3)


def test_scatter_add_out_of_range():
    base, src = rand(3, 4), rand(2, 3)
    idx = _long([[0, 3, 0], [1, 1, 1]])
    with pytest.raises(RuntimeError) as cpu_err:
        base.scatter_add(0, idx, src)
    with pytest.raises(RuntimeError) as dev_err:
        cuda(base).scatter_add(0, cuda(idx), cuda(src))
    assert str(dev_err.value) == str(cpu_err.value)


def test_backend_gather_scatter_add():
    """The raw op-table methods (no autograd range check in between)."""
    from minitorch._backends.cpu import CPUBackend
    from minitorch._backends.cuda._table import backend
    be, cpu = backend(0), CPUBackend()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    idx = rng.integers(-3, 3, size=(2, 4, 3))
    dev_a = be.permute(be.from_numpy(a.transpose(2, 0, 1).copy()), (1, 2, 0))   # non-contiguous a
    np.testing.assert_array_equal(be.to_numpy(be.gather(dev_a, 0, be.from_numpy(idx))), cpu.gather(a, 0, idx))
    idx1 = rng.integers(0, 4, size=(2, 3, 2))
    np.testing.assert_array_equal(be.to_numpy(be.gather(be.from_numpy(a), 1, be.from_numpy(idx1))),
                                  cpu.gather(a, 1, idx1))
    out_c = np.zeros((3, 4, 5), np.float64)
    out_d = be.from_numpy(out_c)
    src = rng.standard_normal((2, 4, 3))
    cpu.scatter_add(out_c, 0, idx, src)
    be.scatter_add(out_d, 0, be.from_numpy(idx), be.from_numpy(src))
    np.testing.assert_allclose(be.to_numpy(out_d), out_c)


def test_index_put_add_forms():
    """index_put_add as the autograd layer calls it: one index array (the CPU's 1-D rows
    fast path) or a tuple; repeated indices accumulate; non-atomic dtypes too."""
    from minitorch._backends.cpu import CPUBackend
    from minitorch._backends.cuda._table import backend
    be, cpu = backend(0), CPUBackend()
    rng = np.random.default_rng(1)
    rows = np.array([0, 3, 0, -1, 3])
    for dtype in (np.float32, np.float64, np.int64, np.int32, np.float16, np.int16):
        values = (rng.standard_normal((5, 3)) * 4).astype(dtype)
        oc = np.zeros((4, 3), dtype)
        od = be.from_numpy(oc)
        np.add.at(oc, rows, values)
        be.index_put_add(od, be.from_numpy(rows), be.from_numpy(values))
        np.testing.assert_allclose(be.to_numpy(od), oc, rtol=1e-3)
    oc = np.zeros((4, 3, 2), np.float32)
    od = be.from_numpy(oc)
    index = (np.array([1, 1, 2]), slice(None), np.array([0, 0, 1]))
    values = rng.standard_normal((3, 3)).astype(np.float32)
    cpu.index_put_add(oc, index, values)
    be.index_put_add(od, (be.from_numpy(index[0]), slice(None), index[2]), be.from_numpy(values))
    np.testing.assert_allclose(be.to_numpy(od), oc, rtol=1e-6)
    mask = rng.standard_normal((4, 3)) > 0
    oc = np.zeros((4, 3), np.float32)
    od = be.from_numpy(oc)
    values = rng.standard_normal(int(mask.sum())).astype(np.float32)
    cpu.index_put_add(oc, mask, values)
    be.index_put_add(od, be.from_numpy(mask), be.from_numpy(values))
    np.testing.assert_allclose(be.to_numpy(od), oc, rtol=1e-6)


# ----- cat / stack -----------------------------------------------------------------------
def test_cat():
    a, b = rand(2, 3, requires_grad=True), rand(4, 3, seed=1, requires_grad=True)
    _both(lambda a, b: minitorch.cat([a, b.t().t()], 0), a, b)
    c, d = rand(3, 2, requires_grad=True), rand(3, 4, seed=1, requires_grad=True)
    _both(lambda c, d: minitorch.cat([c, d, c], dim=-1), c, d)
    e = rand(3, 4, seed=2, requires_grad=True)
    _both(lambda e: minitorch.cat([e.t(), e[:, ::2].t()], 0), e)


def test_cat_mixed_dtypes_and_errors():
    a = rand(2, 3)
    b = rand(1, 3, dtype=minitorch.int64, seed=1)
    c = rand(2, 3, dtype=minitorch.float64, seed=2)
    assert_same(minitorch.cat([cuda(a), cuda(b)]), minitorch.cat([a, b]))
    assert_same(minitorch.cat([cuda(b), cuda(c), cuda(a)]), minitorch.cat([b, c, a]))
    for bad in ([a, rand(2, 4)], [a, rand(3)]):
        with pytest.raises(RuntimeError) as cpu_err:
            minitorch.cat(bad)
        with pytest.raises(RuntimeError) as dev_err:
            minitorch.cat([cuda(t) for t in bad])
        assert str(dev_err.value) == str(cpu_err.value)


def test_stack():
    a, b = rand(2, 3, requires_grad=True), rand(2, 3, seed=1, requires_grad=True)
    for dim in (0, 1, 2, -1):
        _both(lambda a, b, dim=dim: minitorch.stack([a, b, a], dim), a, b)
    c = rand(3, 2, seed=2, requires_grad=True)
    _both(lambda a, c: minitorch.stack([a, c.t()], 1), a, c)
    ints = rand(2, 3, dtype=minitorch.int32, seed=3)
    assert_same(minitorch.stack([cuda(ints), cuda(a.detach())]), minitorch.stack([ints, a.detach()]))
    assert_same(minitorch.stack([cuda(ints), cuda(ints)]), minitorch.stack([ints, ints]))


# ----- nonzero -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: rand(4, 5) > 0,
    lambda: (rand(3, 4, 2, seed=1) > 0.2).permute(2, 0, 1),
    lambda: rand(9, dtype=minitorch.int64, seed=2),
    lambda: rand(4, 5, seed=3)[:, ::2],
    lambda: minitorch.zeros(3, 4),
    lambda: minitorch.ones(2, 3, dtype=minitorch.float16),
    lambda: minitorch.zeros(0, 3),
])
def test_nonzero(make):
    x = make()
    xd = cuda(x)
    assert_same(minitorch.nonzero(xd), minitorch.nonzero(x))
    for g, e in zip(minitorch.nonzero(xd, as_tuple=True), minitorch.nonzero(x, as_tuple=True)):
        assert_same(g, e)
    if hasattr(minitorch.Tensor, "nonzero"):
        assert_same(xd.nonzero(), x.nonzero())


def test_nonzero_many_blocks():
    """Long enough that the prefix sum spans several blocks and chunks."""
    rng = np.random.default_rng(5)
    x = minitorch.tensor(rng.standard_normal(300) > 0.5)
    assert_same(minitorch.nonzero(cuda(x)), minitorch.nonzero(x))
    y = minitorch.tensor(rng.standard_normal((50, 3)) > 1.0)
    assert_same(cuda(rand(50, 3))[cuda(y)], rand(50, 3)[y])
