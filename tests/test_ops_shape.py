"""Views and shape ops against torch: view/reshape/flatten/squeeze/unsqueeze/permute/
transpose/t/T/expand, indexing (ints, stepped slices, None, Ellipsis, bool masks, integer
tensors), __setitem__, cat/stack/split/chunk, is_contiguous/contiguous, and view aliasing."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import (
    ALL_DTYPES,
    numel_of,
    advanced_index,
    basic_index,
    broadcast_to_shape,
    build_index,
    mask_index,
    reshape_targets,
    NUMERIC_DTYPES,
    assert_same,
    differential,
    dims_of,
    hsettings,
    mt,
    nonempty_shapes,
    scalars,
    shapes,
    tensors,
    to_torch,
)

NO_EXPAND = ("contiguous", "strided", "permuted")


# ---------------------------------------------------------------------------
# Size / shape attributes (no torch needed)
# ---------------------------------------------------------------------------
@hsettings(20)
@given(data=st.data())
def test_shape_attributes(data):
    arr, x = data.draw(tensors(), label="x")
    assert isinstance(x.shape, tuple)
    assert type(x.shape).__name__ == "Size"
    assert tuple(x.shape) == arr.shape
    assert x.shape == arr.shape
    assert tuple(x.size()) == arr.shape
    assert type(x.size()).__name__ == "Size"
    for d in range(-arr.ndim, arr.ndim):
        assert x.size(d) == arr.shape[d]
        assert x.shape[d] == arr.shape[d]
    assert x.dim() == arr.ndim == x.ndim
    assert x.numel() == arr.size
    np.testing.assert_array_equal(x.numpy(), arr)


# ---------------------------------------------------------------------------
# view / reshape / view_as / flatten
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("form", ["view", "reshape", "reshape_fn", "view_tuple"])
@hsettings(40)
@given(data=st.data())
def test_view_reshape_contiguous(form, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype, layouts=("contiguous",)), label="x")
    target = data.draw(reshape_targets(arr.shape), label="target")
    t = to_torch(arr)
    if form == "view" and target:  # torch's x.view() with no arguments is a TypeError
        differential(lambda: x.view(*target), lambda: t.view(*target))
    elif form in ("view", "view_tuple"):
        differential(lambda: x.view(target), lambda: t.view(target))
    elif form == "reshape" and target:
        differential(lambda: x.reshape(*target), lambda: t.reshape(*target))
    elif form == "reshape":
        differential(lambda: x.reshape(target), lambda: t.reshape(target))
    else:
        differential(lambda: minitorch.reshape(x, target), lambda: torch.reshape(t, target))


@requires_torch
@hsettings(50)
@given(data=st.data())
def test_view_noncontiguous_follows_torch_stride_rules(data):
    """view() works on a non-contiguous tensor iff torch's would (else RuntimeError)."""
    arr = data.draw(st.builds(np.arange, st.integers(1, 48)).map(lambda a: a.astype(np.float32)), label="arr")
    shape = data.draw(reshape_targets(arr.shape, allow_minus_one=False), label="shape")
    arr = arr.reshape(shape)
    x, t = mt(arr), to_torch(arr)
    # the same chain of stride-changing ops on both
    for _ in range(data.draw(st.integers(1, 2), label="nops")):
        if x.dim() == 0:
            break
        op = data.draw(st.sampled_from(["transpose", "slice", "expand"]), label="op")
        if op == "transpose":
            d0, d1 = data.draw(dims_of(x.dim()), label="d0"), data.draw(dims_of(x.dim()), label="d1")
            x, t = x.transpose(d0, d1), t.transpose(d0, d1)
        elif op == "slice":
            d = data.draw(st.integers(0, x.dim() - 1), label="d")
            step = data.draw(st.integers(1, 3), label="step")
            idx = (slice(None),) * d + (slice(None, None, step),)
            x, t = x[idx], t[idx]
        else:
            x, t = x.unsqueeze(0).expand(2, *x.shape), t.unsqueeze(0).expand(2, *t.shape)
    target = data.draw(reshape_targets(tuple(t.shape)), label="target")
    differential(lambda: x.view(target), lambda: t.view(target))
    differential(lambda: x.reshape(target), lambda: t.reshape(target))


@requires_torch
@hsettings(40)
@given(data=st.data())
def test_reshape_noncontiguous(data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    target = data.draw(reshape_targets(arr.shape), label="target")
    differential(lambda: x.reshape(target), lambda: to_torch(arr).reshape(target))


@requires_torch
@pytest.mark.parametrize("target", [(5,), (2, 4), (-1, -1), (3, -1)])
def test_view_invalid_sizes_raise_like_torch(target):
    arr = np.arange(6, dtype=np.float32)
    differential(lambda: mt(arr).view(*target), lambda: to_torch(arr).view(*target))
    differential(lambda: mt(arr).reshape(*target), lambda: to_torch(arr).reshape(*target))


@requires_torch
@hsettings(20)
@given(data=st.data())
def test_view_as(data):
    arr, x = data.draw(tensors(layouts=("contiguous",)), label="x")
    target = data.draw(reshape_targets(arr.shape, allow_minus_one=False), label="target")
    other = np.zeros(target, dtype=np.float64)
    assert_same(x.view_as(mt(other)), to_torch(arr).view_as(to_torch(other)))


@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(30)
@given(data=st.data())
def test_flatten(form, data):
    arr, x = data.draw(tensors(), label="x")
    nd = arr.ndim
    kwargs = {}
    if data.draw(st.booleans(), label="start"):
        kwargs["start_dim"] = data.draw(dims_of(nd), label="start_dim")
    if data.draw(st.booleans(), label="end"):
        kwargs["end_dim"] = data.draw(dims_of(nd), label="end_dim")
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.flatten(**kwargs), lambda: t.flatten(**kwargs))
    else:
        differential(lambda: minitorch.flatten(x, **kwargs), lambda: torch.flatten(t, **kwargs))


# ---------------------------------------------------------------------------
# squeeze / unsqueeze / permute / transpose / t / T / expand
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(40)
@given(data=st.data())
def test_squeeze(form, data):
    shape = data.draw(shapes(max_side=3), label="shape")
    arr, x = data.draw(tensors(shape), label="x")
    nd = arr.ndim
    mode = data.draw(st.sampled_from(["all", "dim", "tuple"]), label="mode")
    args = ()
    if mode == "dim":
        args = (data.draw(dims_of(nd), label="dim"),)
    elif mode == "tuple":
        n = max(nd, 1)
        args = (tuple(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n), label="dims")),)
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.squeeze(*args), lambda: t.squeeze(*args))
    else:
        differential(lambda: minitorch.squeeze(x, *args), lambda: torch.squeeze(t, *args))


@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(30)
@given(data=st.data())
def test_unsqueeze(form, data):
    arr, x = data.draw(tensors(), label="x")
    dim = data.draw(st.integers(-arr.ndim - 2, arr.ndim + 1), label="dim")  # includes out-of-range
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.unsqueeze(dim), lambda: t.unsqueeze(dim))
    else:
        differential(lambda: minitorch.unsqueeze(x, dim), lambda: torch.unsqueeze(t, dim))


@requires_torch
@pytest.mark.parametrize("form", ["varargs", "tuple", "function"])
@hsettings(30)
@given(data=st.data())
def test_permute(form, data):
    arr, x = data.draw(tensors(), label="x")
    perm = list(data.draw(st.permutations(range(arr.ndim)), label="perm"))
    perm = [p - arr.ndim if data.draw(st.booleans()) else p for p in perm]
    t = to_torch(arr)
    if form == "varargs" and perm:  # torch's x.permute() with no arguments is a TypeError
        differential(lambda: x.permute(*perm), lambda: t.permute(*perm))
    elif form in ("tuple", "varargs"):
        differential(lambda: x.permute(tuple(perm)), lambda: t.permute(tuple(perm)))
    else:
        differential(lambda: minitorch.permute(x, perm), lambda: torch.permute(t, perm))


@requires_torch
def test_permute_invalid_raises_like_torch():
    arr = np.zeros((2, 3, 4), np.float32)
    for perm in [(0, 1), (0, 0, 1), (0, 1, 3)]:
        differential(lambda: mt(arr).permute(*perm), lambda: to_torch(arr).permute(*perm))


@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(30)
@given(data=st.data())
def test_transpose(form, data):
    arr, x = data.draw(tensors(), label="x")
    d0, d1 = data.draw(dims_of(arr.ndim), label="d0"), data.draw(dims_of(arr.ndim), label="d1")
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.transpose(d0, d1), lambda: t.transpose(d0, d1))
    else:
        differential(lambda: minitorch.transpose(x, d0, d1), lambda: torch.transpose(t, d0, d1))


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_t_and_T(data):
    arr, x = data.draw(tensors(shapes(max_dims=3)), label="x")
    t = to_torch(arr)
    differential(lambda: x.t(), lambda: t.t())
    differential(lambda: minitorch.t(x), lambda: torch.t(t))
    if arr.ndim == 2:  # .T on other ranks is deprecated in torch
        assert_same(x.T, t.T)


@requires_torch
@pytest.mark.parametrize("form", ["varargs", "tuple", "expand_as"])
@hsettings(40)
@given(data=st.data())
def test_expand(form, data):
    shape = data.draw(shapes(max_dims=3, max_side=3), label="shape")
    arr, x = data.draw(tensors(shape), label="x")
    lead = data.draw(st.lists(st.integers(0, 3), max_size=2), label="lead")
    sizes = []
    for s in arr.shape:
        choice = data.draw(st.sampled_from(["keep", "minus1", "grow"]), label="choice")
        if choice == "keep":
            sizes.append(s)
        elif choice == "minus1":
            sizes.append(-1)
        else:
            sizes.append(data.draw(st.integers(0, 4), label="size"))  # only valid when s == 1
    sizes = lead + sizes
    t = to_torch(arr)
    if form == "varargs" and sizes:  # torch's x.expand() with no arguments is a TypeError
        differential(lambda: x.expand(*sizes), lambda: t.expand(*sizes))
    elif form in ("tuple", "varargs"):
        differential(lambda: x.expand(tuple(sizes)), lambda: t.expand(tuple(sizes)))
    else:
        try:
            target = tuple(t.expand(tuple(sizes)).shape)
        except RuntimeError:
            return
        other = np.zeros(target, np.float32)
        assert_same(x.expand_as(mt(other)), t.expand_as(to_torch(other)))


# ---------------------------------------------------------------------------
# chains of view ops: values, shape and is_contiguous() like torch
# ---------------------------------------------------------------------------
@requires_torch
@hsettings(60)
@given(data=st.data())
def test_view_op_chains_and_is_contiguous(data):
    shape = data.draw(shapes(max_dims=3, max_side=4), label="shape")
    arr = np.arange(numel_of(shape), dtype=np.float32).reshape(shape)
    x, t = mt(arr), to_torch(arr)
    assert x.is_contiguous() and t.is_contiguous()
    for _ in range(data.draw(st.integers(1, 4), label="nops")):
        nd = t.dim()
        ops = ["unsqueeze", "reshape", "contiguous", "flatten"]
        if nd >= 1:
            ops += ["permute", "transpose", "slice", "select", "squeeze", "expand"]
        if nd <= 2:
            ops += ["t"]
        op = data.draw(st.sampled_from(ops), label="op")
        if op == "permute":
            perm = data.draw(st.permutations(range(nd)), label="perm")
            x, t = x.permute(*perm), t.permute(*perm)
        elif op == "transpose":
            d0, d1 = data.draw(dims_of(nd), label="d0"), data.draw(dims_of(nd), label="d1")
            x, t = x.transpose(d0, d1), t.transpose(d0, d1)
        elif op == "t":
            x, t = x.t(), t.t()
        elif op == "slice":
            d = data.draw(st.integers(0, nd - 1), label="d")
            start = data.draw(st.none() | st.integers(-5, 5), label="start")
            stop = data.draw(st.none() | st.integers(-5, 5), label="stop")
            step = data.draw(st.none() | st.integers(1, 3), label="step")
            idx = (slice(None),) * d + (slice(start, stop, step),)
            x, t = x[idx], t[idx]
        elif op == "select":
            d = data.draw(st.integers(0, nd - 1), label="d")
            if t.shape[d] == 0:
                continue
            i = data.draw(st.integers(-t.shape[d], t.shape[d] - 1), label="i")
            idx = (slice(None),) * d + (i,)
            x, t = x[idx], t[idx]
        elif op == "squeeze":
            d = data.draw(dims_of(nd), label="d")
            x, t = x.squeeze(d), t.squeeze(d)
        elif op == "unsqueeze":
            d = data.draw(st.integers(-nd - 1, nd), label="d")
            x, t = x.unsqueeze(d), t.unsqueeze(d)
        elif op == "expand":
            sizes = [data.draw(st.integers(0, 3), label="s") if s == 1 else s for s in t.shape]
            x, t = x.expand(*sizes), t.expand(*sizes)
        elif op == "reshape":
            target = data.draw(reshape_targets(tuple(t.shape)), label="target")
            x, t = x.reshape(target), t.reshape(target)
        elif op == "flatten":
            x, t = x.flatten(), t.flatten()
        else:
            x, t = x.contiguous(), t.contiguous()
        assert_same(x, t)
        assert x.is_contiguous() == t.is_contiguous(), f"is_contiguous after {op}"
    c = x.contiguous()
    assert c.is_contiguous()
    assert_same(c, t.contiguous())


# ---------------------------------------------------------------------------
# views alias their base
# ---------------------------------------------------------------------------
VIEW_FNS = {
    "view": (lambda a: a.view(-1), lambda a: a.view(-1)),
    "reshape": (lambda a: a.reshape(3, 4), lambda a: a.reshape(3, 4)),
    "transpose": (lambda a: a.transpose(0, 1), lambda a: a.transpose(0, 1)),
    "permute": (lambda a: a.permute(1, 0), lambda a: a.permute(1, 0)),
    "t": (lambda a: a.t(), lambda a: a.t()),
    "T": (lambda a: a.T, lambda a: a.T),
    "unsqueeze": (lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1)),
    "squeeze": (lambda a: a[:1].squeeze(0), lambda a: a[:1].squeeze(0)),
    "slice_step": (lambda a: a[::2, 1::3], lambda a: a[::2, 1::3]),
    "select": (lambda a: a[1], lambda a: a[1]),
    "ellipsis_none": (lambda a: a[..., None, 2], lambda a: a[..., None, 2]),
    "flatten": (lambda a: a.flatten(), lambda a: a.flatten()),
    "split": (lambda a: a.split(2, dim=1)[1], lambda a: a.split(2, dim=1)[1]),
    "chunk": (lambda a: a.chunk(2, dim=0)[1], lambda a: a.chunk(2, dim=0)[1]),
    "detach": (lambda a: a.detach(), lambda a: a.detach()),
    "view_as": (lambda a: a.view_as(a), lambda a: a.view_as(a)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(VIEW_FNS))
def test_views_share_storage_with_base(name):
    mfn, tfn = VIEW_FNS[name]
    arr = np.arange(12, dtype=np.float32).reshape(4, 3) if name != "reshape" else np.arange(12, dtype=np.float32).reshape(2, 6)
    if name in ("split",):
        arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    x, t = mt(arr), to_torch(arr)
    xv, tv = mfn(x), tfn(t)
    # write through the view ...
    xv[...] = -1.0
    tv[...] = -1.0
    assert_same(x, t)
    # ... and through the base
    x[0] = 100.0
    t[0] = 100.0
    assert_same(xv, tv)


@requires_torch
def test_clone_and_contiguous_copy_do_not_alias():
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mt(arr)
    c = x.clone()
    c[0, 0] = 50.0
    assert x[0, 0].item() == 0.0
    y = x.t().contiguous()
    y[0, 0] = 50.0
    assert x[0, 0].item() == 0.0
    # contiguous() of a contiguous tensor returns the same storage in torch
    z = x.contiguous()
    z[0, 0] = 7.0
    assert x[0, 0].item() == 7.0


# ---------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("kind", ["basic", "advanced", "mask"])
@hsettings(50)
@given(data=st.data())
def test_getitem(kind, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    strat = {"basic": basic_index, "advanced": advanced_index, "mask": mask_index}[kind]
    items = data.draw(strat(arr.shape), label="index")
    as_tuple = data.draw(st.booleans(), label="as_tuple")
    t = to_torch(arr)
    differential(lambda: x[build_index(items, "minitorch", as_tuple)], lambda: t[build_index(items, "torch", as_tuple)])


@requires_torch
def test_getitem_full_shape_mask_and_int_index_tensor():
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, t = mt(arr), to_torch(arr)
    assert_same(x[x > 10], t[t > 10])
    assert_same(x[:, x[0, :, 0] > 3], t[:, t[0, :, 0] > 3])
    i = np.array([[0, 2], [1, -1]])
    assert_same(x[:, mt(i)], t[:, to_torch(i)])
    assert_same(x[mt(np.array([1, 0])), :, mt(np.array([3, 0]))], t[to_torch(np.array([1, 0])), :, to_torch(np.array([3, 0]))])
    assert_same(x[..., mt(np.array(2))], t[..., to_torch(np.array(2))])


@requires_torch
@pytest.mark.parametrize(
    "index",
    [
        (2,),
        (-3,),
        (0, 5),
        (0, 0, 0),
        ("tensor", [0, 2]),
        ("tensor", [-3]),
    ],
)
def test_getitem_out_of_range_raises_like_torch(index):
    arr = np.arange(8, dtype=np.float32).reshape(2, 4)
    if index[0] == "tensor":
        idx_arr = np.array(index[1])
        differential(lambda: mt(arr)[mt(idx_arr)], lambda: to_torch(arr)[to_torch(idx_arr)])
    else:
        differential(lambda: mt(arr)[index], lambda: to_torch(arr)[index])


@requires_torch
def test_getitem_negative_step_raises_like_torch():
    arr = np.arange(4, dtype=np.float32)
    differential(lambda: mt(arr)[::-1], lambda: to_torch(arr)[::-1])


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_basic_getitem_is_a_view(data):
    arr, x = data.draw(tensors(dtype="float32", layouts=NO_EXPAND), label="x")
    items = data.draw(basic_index(arr.shape), label="index")
    t = to_torch(arr)
    try:
        tv = t[build_index(items, "torch")]
    except IndexError:  # an Ellipsis moved an int onto an empty dim; test_getitem covers errors
        assume(False)
    xv = x[build_index(items, "minitorch")]
    xv[...] = 99.0
    tv[...] = 99.0
    assert_same(x, t)


# ---------------------------------------------------------------------------
# __setitem__
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("kind", ["basic", "advanced", "mask"])
@pytest.mark.parametrize("value_kind", ["scalar", "tensor"])
@hsettings(40)
@given(data=st.data())
def test_setitem(kind, value_kind, data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype, layouts=NO_EXPAND), label="x")
    if kind == "basic":
        items = data.draw(basic_index(arr.shape), label="index")
    elif kind == "mask":
        items = data.draw(mask_index(arr.shape), label="index")
    else:
        # a single index tensor without duplicate positions (duplicate writes are unordered in torch)
        nonzero = [d for d, s in enumerate(arr.shape) if s > 0]
        assume(nonzero)
        d = data.draw(st.sampled_from(nonzero), label="dim")
        s = arr.shape[d]
        pos = data.draw(st.lists(st.integers(0, s - 1), unique=True, max_size=s), label="pos")
        vals = [p - s if data.draw(st.booleans()) else p for p in pos]
        items = [("slice", None, None, None)] * d + [("tensor", np.array(vals, dtype=np.int64))]
    t = to_torch(arr).clone()
    tidx, midx = build_index(items, "torch"), build_index(items, "minitorch")
    try:
        target_shape = tuple(t[tidx].shape)
    except IndexError:  # see test_basic_getitem_is_a_view
        assume(False)
    if value_kind == "scalar":
        kind_s = data.draw(st.sampled_from(["int", "float"] if dtype.startswith("float") else ["int"]), label="skind")
        mval = tval = data.draw(scalars(kind_s, -50, 50), label="value")
    else:
        vshape = data.draw(broadcast_to_shape(target_shape), label="vshape")
        varr, mval = data.draw(tensors(vshape, dtype, -50, 50, layouts=NO_EXPAND), label="value")
        tval = to_torch(varr)
    t[tidx] = tval
    x[midx] = mval
    assert_same(x, t)


@requires_torch
def test_setitem_casts_value_to_tensor_dtype():
    arr = np.zeros((2, 3), dtype=np.int64)
    x, t = mt(arr), to_torch(arr)
    x[0] = 2.7
    t[0] = 2.7
    x[1, 1:] = mt(np.array([1.5, -1.5], np.float32))
    t[1, 1:] = to_torch(np.array([1.5, -1.5], np.float32))
    assert_same(x, t)
    f = np.zeros(3, dtype=np.float32)
    y, u = mt(f), to_torch(f)
    y[mt(np.array([True, False, True]))] = 3
    u[to_torch(np.array([True, False, True]))] = 3
    assert_same(y, u)


@requires_torch
def test_setitem_shape_mismatch_raises_like_torch():
    arr = np.zeros((2, 3), dtype=np.float32)
    v = np.ones((2,), dtype=np.float32)

    def m():
        x = mt(arr)
        x[0] = mt(v)

    def t():
        y = to_torch(arr)
        y[0] = to_torch(v)

    differential(m, t)


# ---------------------------------------------------------------------------
# cat / stack / split / chunk
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("form", ["list_kw", "tuple_pos", "default_dim"])
@hsettings(40)
@given(data=st.data())
def test_cat(form, data):
    base = data.draw(shapes(min_dims=1, max_dims=3, max_side=4), label="base")
    dim = data.draw(dims_of(len(base)), label="dim") if form != "default_dim" else 0
    n = data.draw(st.integers(1, 4), label="n")
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arrs, ms = [], []
    for i in range(n):
        shape = list(base)
        shape[dim] = data.draw(st.integers(0, 3), label=f"len{i}")
        d_i = data.draw(st.sampled_from([dtype, dtype, *NUMERIC_DTYPES]), label=f"dtype{i}")
        a, m = data.draw(tensors(tuple(shape), d_i), label=f"t{i}")
        arrs.append(a)
        ms.append(m)
    ts = [to_torch(a) for a in arrs]
    if form == "list_kw":
        differential(lambda: minitorch.cat(ms, dim=dim), lambda: torch.cat(ts, dim=dim))
    elif form == "tuple_pos":
        differential(lambda: minitorch.cat(tuple(ms), dim), lambda: torch.cat(tuple(ts), dim))
    else:
        differential(lambda: minitorch.cat(ms), lambda: torch.cat(ts))


@requires_torch
def test_cat_mismatched_shapes_raise_like_torch():
    a, b = np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)
    differential(lambda: minitorch.cat([mt(a), mt(b)], dim=0), lambda: torch.cat([to_torch(a), to_torch(b)], dim=0))
    differential(lambda: minitorch.cat([mt(a), mt(b)], dim=1), lambda: torch.cat([to_torch(a), to_torch(b)], dim=1))
    s = np.array(1.0, np.float32)
    differential(lambda: minitorch.cat([mt(s), mt(s)]), lambda: torch.cat([to_torch(s), to_torch(s)]))


@requires_torch
@hsettings(40)
@given(data=st.data())
def test_stack(data):
    shape = data.draw(shapes(max_dims=3, max_side=4), label="shape")
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)), label="dim")
    n = data.draw(st.integers(1, 4), label="n")
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    pairs = [data.draw(tensors(shape, dtype), label=f"t{i}") for i in range(n)]
    ms, ts = [m for _, m in pairs], [to_torch(a) for a, _ in pairs]
    differential(lambda: minitorch.stack(ms, dim=dim), lambda: torch.stack(ts, dim=dim))
    differential(lambda: minitorch.stack(tuple(ms), dim), lambda: torch.stack(tuple(ts), dim))
    differential(lambda: minitorch.stack(ms), lambda: torch.stack(ts))


@requires_torch
def test_stack_mismatched_shapes_raise_like_torch():
    a, b = np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32)
    differential(lambda: minitorch.stack([mt(a), mt(b)]), lambda: torch.stack([to_torch(a), to_torch(b)]))


@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(40)
@given(data=st.data())
def test_split(form, data):
    arr, x = data.draw(tensors(nonempty_shapes(min_dims=1, max_dims=3)), label="x")
    dim = data.draw(dims_of(arr.ndim), label="dim")
    length = arr.shape[dim]
    if data.draw(st.booleans(), label="sections"):
        k = data.draw(st.integers(1, 3), label="k")
        cuts = sorted(data.draw(st.lists(st.integers(0, length), min_size=k - 1, max_size=k - 1), label="cuts"))
        bounds = [0] + cuts + [length]
        size = [b - a for a, b in zip(bounds, bounds[1:])]
    else:
        size = data.draw(st.integers(1, 6), label="size")
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.split(size, dim), lambda: t.split(size, dim))
        differential(lambda: x.split(size, dim=dim), lambda: t.split(size, dim=dim))
    else:
        differential(lambda: minitorch.split(x, size, dim), lambda: torch.split(t, size, dim))
        differential(lambda: minitorch.split(x, size), lambda: torch.split(t, size))


@requires_torch
def test_split_sections_must_sum_to_length():
    arr = np.zeros((5, 2), np.float32)
    differential(lambda: mt(arr).split([2, 2], 0), lambda: to_torch(arr).split([2, 2], 0))
    differential(lambda: mt(arr).split([2, 4], 0), lambda: to_torch(arr).split([2, 4], 0))


@requires_torch
@pytest.mark.parametrize("form", ["method", "function"])
@hsettings(40)
@given(data=st.data())
def test_chunk(form, data):
    arr, x = data.draw(tensors(shapes(min_dims=1, max_dims=3, max_side=7)), label="x")
    dim = data.draw(dims_of(arr.ndim), label="dim")
    chunks = data.draw(st.integers(1, 8), label="chunks")
    t = to_torch(arr)
    if form == "method":
        differential(lambda: x.chunk(chunks, dim), lambda: t.chunk(chunks, dim))
        differential(lambda: x.chunk(chunks, dim=dim), lambda: t.chunk(chunks, dim=dim))
    else:
        differential(lambda: minitorch.chunk(x, chunks, dim), lambda: torch.chunk(t, chunks, dim))
        differential(lambda: minitorch.chunk(x, chunks), lambda: torch.chunk(t, chunks))


def test_split_and_cat_roundtrip_without_torch():
    """Runs without torch: cat(split(x)) == x, stack/unbind-style indexing, chunk sizes."""
    arr = np.arange(30, dtype=np.float32).reshape(5, 6)
    x = mt(arr)
    parts = x.split(2, dim=1)
    assert isinstance(parts, tuple)
    assert [tuple(p.shape) for p in parts] == [(5, 2)] * 3
    np.testing.assert_array_equal(minitorch.cat(parts, dim=1).numpy(), arr)
    parts = x.split([1, 4], dim=0)
    assert [tuple(p.shape) for p in parts] == [(1, 6), (4, 6)]
    np.testing.assert_array_equal(minitorch.cat(list(parts)).numpy(), arr)
    chunks = x.chunk(4, dim=1)
    assert [tuple(c.shape) for c in chunks] == [(5, 2), (5, 2), (5, 2)]
    s = minitorch.stack([x, x * 2], dim=1)
    assert tuple(s.shape) == (5, 2, 6)
    np.testing.assert_array_equal(s[:, 1].numpy(), arr * 2)
    np.testing.assert_array_equal(x.t()[::2, 1:].numpy(), arr.T[::2, 1:])
    np.testing.assert_array_equal(x[None, ..., 1].numpy(), arr[None, ..., 1])
    y = x.clone()
    y[1:3, ::2] = 0.0
    ref = arr.copy()
    ref[1:3, ::2] = 0.0
    np.testing.assert_array_equal(y.numpy(), ref)
