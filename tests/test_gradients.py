"""Gradients.

* Against torch's gradients with the same upstream gradient: every differentiable op,
  through broadcasting (un-broadcast sums), views and indexing, with contiguous and
  non-contiguous leaves.
* Without torch: against an independent central-difference reference computed with NumPy
  forward functions, and ``minitorch.autograd.gradcheck`` in float64 -- including checks that
  gradcheck itself rejects wrong gradients and honours eps/atol/rtol.
"""
import operator

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import (
    FLOAT_DTYPES,
    advanced_index,
    arrays,
    basic_index,
    build_index,
    layout_of,
    mask_index,
    assert_same,
    broadcastable_shapes,
    dim_tuples,
    dims_of,
    grad_leaf,
    hsettings,
    mt,
    nonempty_shapes,
    numel_of,
    shapes,
    tensors,
    to_numpy,
    to_torch,
)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _grad_tol(t_grad):
    g = np.abs(to_numpy(t_grad).astype(np.float64))
    scale = max(1.0, float(g.max())) if g.size else 1.0
    if t_grad.dtype == torch.float64:
        return dict(rtol=1e-9, atol=1e-9 * scale)
    return dict(rtol=2e-5, atol=2e-5 * scale)


def _outputs(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def check_grads(data, m_fn, t_fn, inputs, value_tol=None, upstream_range=1.0):
    """Run ``m_fn``/``t_fn`` on leaves made from ``inputs`` (a list of (array, minitorch tensor)
    pairs; the minitorch leaves keep the drawn, possibly non-contiguous, layout), backpropagate
    the same random upstream gradient(s) and compare outputs and every leaf's .grad."""
    m_leaves = [grad_leaf(m) for _, m in inputs]
    t_leaves = [to_torch(a, requires_grad=True) for a, _ in inputs]
    t_outs = _outputs(t_fn(*t_leaves))
    m_outs = _outputs(m_fn(*m_leaves))
    assert len(m_outs) == len(t_outs)
    ups = []
    for i, (mo, to) in enumerate(zip(m_outs, t_outs)):
        assert_same(mo, to, **(value_tol or dict(rtol=1e-5, atol=1e-6)))
        g = data.draw(
            arrays(str(to.dtype).split(".")[-1], tuple(to.shape), -upstream_range, upstream_range),
            label=f"upstream{i}",
        )
        ups.append(g)
    if len(t_outs) == 1:
        t_outs[0].backward(to_torch(ups[0]))
        m_outs[0].backward(mt(ups[0]))
    else:
        torch.autograd.backward(t_outs, [to_torch(g) for g in ups])
        total = None
        for mo, g in zip(m_outs, ups):
            term = (mo * mt(g)).sum()
            total = term if total is None else total + term
        total.backward()
    for i, (ml, tl) in enumerate(zip(m_leaves, t_leaves)):
        if tl.grad is None:
            assert ml.grad is None or np.all(to_numpy(ml.grad) == 0), f"input {i}: torch has no grad"
            continue
        assert ml.grad is not None, f"input {i}: minitorch produced no gradient"
        assert tuple(ml.grad.shape) == tuple(ml.shape)
        assert_same(ml.grad, tl.grad, **_grad_tol(tl.grad))
    return m_leaves, t_leaves


float_dtypes = st.sampled_from(FLOAT_DTYPES)

# ---------------------------------------------------------------------------
# unary ops
# ---------------------------------------------------------------------------
# name -> (minitorch fn, torch fn, lo, hi, min_abs)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, -10, 10, 0),
    "abs": (lambda x: x.abs(), lambda x: x.abs(), -10, 10, 0.01),
    "exp": (lambda x: minitorch.exp(x), lambda x: torch.exp(x), -5, 5, 0),
    "log": (lambda x: x.log(), lambda x: x.log(), 0.05, 10, 0),
    "sqrt": (lambda x: minitorch.sqrt(x), lambda x: torch.sqrt(x), 0.05, 10, 0),
    "rsqrt": (lambda x: x.rsqrt(), lambda x: x.rsqrt(), 0.05, 10, 0),
    "sin": (lambda x: x.sin(), lambda x: x.sin(), -10, 10, 0),
    "cos": (lambda x: minitorch.cos(x), lambda x: torch.cos(x), -10, 10, 0),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), -5, 5, 0),
    "sigmoid": (lambda x: minitorch.sigmoid(x), lambda x: torch.sigmoid(x), -10, 10, 0),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), -10, 10, 0.01),
    "relu_fn": (lambda x: minitorch.relu(x), lambda x: torch.relu(x), -10, 10, 0.01),
    "pow_2": (lambda x: x ** 2, lambda x: x ** 2, -5, 5, 0),
    "pow_3": (lambda x: x.pow(3), lambda x: x.pow(3), -5, 5, 0),
    "pow_half": (lambda x: x ** 0.5, lambda x: x ** 0.5, 0.05, 10, 0),
    "pow_neg": (lambda x: x ** -1.5, lambda x: x ** -1.5, 0.2, 10, 0),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, -5, 5, 0),
    "scalar_arith": (
        lambda x: ((x + 1) * 3 - 2) / 4 + 1 - x * 0.5,
        lambda x: ((x + 1) * 3 - 2) / 4 + 1 - x * 0.5,
        -10, 10, 0,
    ),
    "rsub_rdiv": (lambda x: 1 - 2 / x, lambda x: 1 - 2 / x, -10, 10, 0.5),
    "mod_scalar": (lambda x: x % 1.75, lambda x: x % 1.75, -10, 10, 0),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(UNARY))
@hsettings(20)
@given(data=st.data())
def test_unary_grad(name, data):
    mfn, tfn, lo, hi, min_abs = UNARY[name]
    dtype = data.draw(float_dtypes, label="dtype")
    x = data.draw(tensors(dtype=dtype, lo=lo, hi=hi, min_abs=min_abs), label="x")
    check_grads(data, mfn, tfn, [x], value_tol=dict(rtol=1e-5, atol=1e-5))


@requires_torch
@pytest.mark.parametrize("form", ["both", "min", "max", "function"])
@hsettings(20)
@given(data=st.data())
def test_clamp_grad(form, data):
    dtype = data.draw(float_dtypes, label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    lo, hi = -1.234, 2.345  # values never land on a bound (tie rules are not compared)
    fns = {
        "both": (lambda x: x.clamp(lo, hi), lambda x: x.clamp(lo, hi)),
        "min": (lambda x: x.clamp(min=lo), lambda x: x.clamp(min=lo)),
        "max": (lambda x: x.clamp(max=hi), lambda x: x.clamp(max=hi)),
        "function": (lambda x: minitorch.clamp(x, min=lo, max=hi), lambda x: torch.clamp(x, min=lo, max=hi)),
    }
    check_grads(data, *fns[form], [(arr, x)])


# ---------------------------------------------------------------------------
# binary ops with broadcasting
# ---------------------------------------------------------------------------
BINARY = {
    "add": (operator.add, -10, 10, 0),
    "sub": (operator.sub, -10, 10, 0),
    "mul": (operator.mul, -10, 10, 0),
    "div": (operator.truediv, -10, 10, 0.5),
    "pow": (operator.pow, -2, 2, 0),  # base drawn positive below
    "mod": (operator.mod, -10, 10, 0.5),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(BINARY))
@hsettings(30)
@given(data=st.data())
def test_binary_grad_broadcast(name, data):
    op, lo, hi, min_abs = BINARY[name]
    dtype = data.draw(float_dtypes, label="dtype")
    sa, sb = data.draw(broadcastable_shapes(2), label="shapes")
    if name == "pow":
        a = data.draw(tensors(sa, dtype, 0.25, 4), label="a")
    else:
        a = data.draw(tensors(sa, dtype, -10, 10), label="a")
    b = data.draw(tensors(sb, dtype, lo, hi, min_abs), label="b")
    if name == "mod":
        # stay away from the jumps of floor(a / b)
        q = np.broadcast_arrays(a[0], b[0])
        frac = (q[0] / q[1]) % 1.0 if q[0].size else np.zeros(0)
        assume(np.all((frac > 1e-3) & (frac < 1 - 1e-3)))
    check_grads(data, op, op, [a, b], value_tol=dict(rtol=1e-5, atol=1e-5))


@requires_torch
@pytest.mark.parametrize("name", ["maximum", "minimum"])
@hsettings(30)
@given(data=st.data())
def test_maximum_minimum_grad(name, data):
    dtype = data.draw(float_dtypes, label="dtype")
    sa, sb = data.draw(broadcastable_shapes(2), label="shapes")
    a = data.draw(tensors(sa, dtype), label="a")
    b = data.draw(tensors(sb, dtype), label="b")
    pa, pb = np.broadcast_arrays(a[0], b[0])
    assume(not np.any(pa == pb))  # torch splits ties; draw distinct values
    check_grads(data, getattr(minitorch, name), getattr(torch, name), [a, b])


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_where_grad(data):
    dtype = data.draw(float_dtypes, label="dtype")
    sc, sa, sb = data.draw(broadcastable_shapes(3), label="shapes")
    c_arr = data.draw(arrays("bool", sc), label="cond")
    a = data.draw(tensors(sa, dtype), label="a")
    b = data.draw(tensors(sb, dtype), label="b")
    check_grads(
        data,
        lambda a, b: minitorch.where(mt(c_arr), a, b),
        lambda a, b: torch.where(to_torch(c_arr), a, b),
        [a, b],
    )


@requires_torch
def test_floordiv_backward_raises_like_torch():
    """torch has no derivative for floor_divide: backward raises RuntimeError."""
    arr = np.array([3.5, -2.25], np.float32)

    x = grad_leaf(mt(arr))
    t = to_torch(arr, requires_grad=True)
    with pytest.raises(RuntimeError):
        (t // 1.5).sum().backward()
    with pytest.raises(RuntimeError):
        (x // 1.5).sum().backward()


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------
@st.composite
def red_kwargs(draw, ndim, allow_tuple=True, allow_none=True):
    modes = (["none"] if allow_none else []) + ["int"] + (["tuple"] if allow_tuple else [])
    mode = draw(st.sampled_from(modes))
    if mode == "none":
        return {}
    dim = draw(dims_of(ndim)) if mode == "int" else draw(dim_tuples(ndim))
    return {"dim": dim, "keepdim": draw(st.booleans())}


@requires_torch
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "logsumexp"])
@hsettings(30)
@given(data=st.data())
def test_reduction_grad(name, data):
    dtype = data.draw(float_dtypes, label="dtype")
    x = data.draw(tensors(nonempty_shapes(max_side=4), dtype, -5, 5), label="x")
    kwargs = data.draw(red_kwargs(x[0].ndim, allow_none=name != "logsumexp"), label="kwargs")
    if name in ("var", "std"):
        kwargs["unbiased"] = data.draw(st.booleans(), label="unbiased")
        # n == 1 with correction gives nan; std at zero variance has an infinite derivative
        arr = x[0]
        dims = kwargs.get("dim", tuple(range(arr.ndim)))
        dims = tuple(d % max(arr.ndim, 1) for d in ((dims,) if isinstance(dims, int) else dims))
        n = numel_of([arr.shape[d] for d in dims]) if arr.ndim else 1
        assume(n >= 2)
        assume(np.all(np.asarray(arr.std(axis=dims)) > 1e-2))
    form = data.draw(st.sampled_from(["method", "function"]), label="form")
    if form == "method":
        mfn, tfn = (lambda x: getattr(x, name)(**kwargs)), (lambda x: getattr(x, name)(**kwargs))
    else:
        mfn = lambda x: getattr(minitorch, name)(x, **kwargs)  # noqa: E731
        tfn = lambda x: getattr(torch, name)(x, **kwargs)  # noqa: E731
    check_grads(data, mfn, tfn, [x], value_tol=dict(rtol=1e-4, atol=1e-4))


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_prod_grad(data):
    """Includes zeros (torch's prod backward handles one or several zeros exactly)."""
    dtype = data.draw(float_dtypes, label="dtype")
    x = data.draw(tensors(shapes(max_dims=3, max_side=4), dtype, -2, 2), label="x")
    if data.draw(st.booleans(), label="with_zeros") and x[0].size:
        arr = x[0].copy()
        flat = arr.reshape(-1)
        for i in data.draw(st.lists(st.integers(0, flat.size - 1), max_size=3), label="zeros"):
            flat[i] = 0
        x = (arr, data.draw(layout_of(arr), label="x_with_zeros"))
    kwargs = data.draw(red_kwargs(x[0].ndim, allow_tuple=False), label="kwargs")
    check_grads(data, lambda x: x.prod(**kwargs), lambda x: x.prod(**kwargs), [x], value_tol=dict(rtol=1e-5, atol=1e-5))


@requires_torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("with_dim", [False, True])
@hsettings(30)
@given(data=st.data())
def test_max_min_grad(name, with_dim, data):
    """Distinct values only: torch's tie rules differ between max() and max(dim)."""
    dtype = data.draw(float_dtypes, label="dtype")
    shape = data.draw(nonempty_shapes(max_dims=3, max_side=4), label="shape")
    x = data.draw(tensors(shape, dtype, -100, 100, unique=True), label="x")
    if with_dim:
        dim = data.draw(dims_of(len(shape)), label="dim")
        keepdim = data.draw(st.booleans(), label="keepdim")
        check_grads(
            data,
            lambda x: getattr(x, name)(dim, keepdim=keepdim).values,
            lambda x: getattr(x, name)(dim, keepdim=keepdim).values,
            [x],
        )
    else:
        check_grads(data, lambda x: getattr(minitorch, name)(x), lambda x: getattr(torch, name)(x), [x])


# ---------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------
@st.composite
def mm_shapes(draw):
    kind = draw(st.sampled_from(["1d@1d", "1d@2d", "2d@1d", "2d@2d", "batched", "1d@batched", "batched@1d"]))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    ba, bb = draw(broadcastable_shapes(2, max_dims=2, min_side=1, max_side=3))
    return {
        "1d@1d": ((k,), (k,)),
        "1d@2d": ((k,), (k, m)),
        "2d@1d": ((n, k), (k,)),
        "2d@2d": ((n, k), (k, m)),
        "batched": (ba + (n, k), bb + (k, m)),
        "1d@batched": ((k,), bb + (k, m)),
        "batched@1d": (ba + (n, k), (k,)),
    }[kind]


@requires_torch
@pytest.mark.parametrize("form", ["operator", "matmul", "mm", "bmm"])
@hsettings(30)
@given(data=st.data())
def test_matmul_grad(form, data):
    dtype = data.draw(float_dtypes, label="dtype")
    if form == "mm":
        n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
        sa, sb = (n, k), (k, m)
    elif form == "bmm":
        bsz, n, k, m = (data.draw(st.integers(1, 3)) for _ in range(4))
        sa, sb = (bsz, n, k), (bsz, k, m)
    else:
        sa, sb = data.draw(mm_shapes(), label="shapes")
    a = data.draw(tensors(sa, dtype, -2, 2), label="a")
    b = data.draw(tensors(sb, dtype, -2, 2), label="b")
    fns = {
        "operator": (lambda a, b: a @ b, lambda a, b: a @ b),
        "matmul": (lambda a, b: minitorch.matmul(a, b), lambda a, b: torch.matmul(a, b)),
        "mm": (lambda a, b: a.mm(b), lambda a, b: a.mm(b)),
        "bmm": (lambda a, b: minitorch.bmm(a, b), lambda a, b: torch.bmm(a, b)),
    }
    check_grads(data, *fns[form], [a, b], value_tol=dict(rtol=1e-5, atol=1e-5))


# ---------------------------------------------------------------------------
# views, indexing, setitem, cat/stack/split/chunk
# ---------------------------------------------------------------------------
VIEW_OPS = {
    "view": lambda x: x.view(-1),
    "reshape": lambda x: x.reshape(tuple(x.shape)[::-1]),
    "flatten": lambda x: x.flatten(),
    "unsqueeze_squeeze": lambda x: x.unsqueeze(0).unsqueeze(-1).squeeze(),
    "permute": lambda x: x.permute(tuple(reversed(range(x.dim())))),
    "transpose": lambda x: x.transpose(0, -1),
    "t": lambda x: x.t() if x.dim() <= 2 else x.transpose(1, 2),
    "T": lambda x: x.T if x.dim() == 2 else x,
    "expand": lambda x: x.unsqueeze(0).expand(3, *x.shape),
    "expand_as": lambda x: x.unsqueeze(0).expand_as(x.unsqueeze(0).expand(2, *x.shape)),
    "step_slice": lambda x: x[::2] if x.dim() else x[None],
    "select": lambda x: x[-1] if x.dim() and x.shape[0] else x,
    "ellipsis_none": lambda x: x[..., None, ::2] if x.dim() else x[None],
    "clone": lambda x: x.clone(),
    "contiguous": lambda x: (x * 1).transpose(0, -1).contiguous() if x.dim() else x.contiguous(),
    "view_as": lambda x: x.view_as(x),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(VIEW_OPS))
@hsettings(20)
@given(data=st.data())
def test_view_grad(name, data):
    dtype = data.draw(float_dtypes, label="dtype")
    x = data.draw(tensors(shapes(max_dims=3, max_side=4), dtype, layouts=("contiguous",)), label="x")
    fn = VIEW_OPS[name]
    check_grads(data, lambda x: fn(x) * 2, lambda x: fn(x) * 2, [x])


@requires_torch
@pytest.mark.parametrize("kind", ["basic", "advanced", "mask"])
@hsettings(30)
@given(data=st.data())
def test_getitem_grad(kind, data):
    """Gradients through indexing, incl. repeated integer indices (gradients accumulate)."""
    dtype = data.draw(float_dtypes, label="dtype")
    arr, x = data.draw(tensors(shapes(min_dims=1, max_dims=3, max_side=4), dtype), label="x")
    strat = {"basic": basic_index, "advanced": advanced_index, "mask": mask_index}[kind]
    items = data.draw(strat(arr.shape), label="index")
    try:
        to_torch(arr)[build_index(items, "torch")]
    except IndexError:
        assume(False)
    check_grads(
        data,
        lambda x: x[build_index(items, "minitorch")] * 3,
        lambda x: x[build_index(items, "torch")] * 3,
        [(arr, x)],
    )


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_grad_flows_to_base_through_strided_views(data):
    """A leaf sliced/permuted/expanded inside the graph: its grad is zero in the gaps."""
    dtype = data.draw(float_dtypes, label="dtype")
    shape = data.draw(nonempty_shapes(min_dims=1, max_dims=3, max_side=5), label="shape")
    arr = data.draw(arrays(dtype, shape), label="arr")
    nd = len(shape)
    steps = [data.draw(st.integers(1, 3), label="step") for _ in range(nd)]
    idx = tuple(slice(None, None, s) for s in steps)
    perm = list(data.draw(st.permutations(range(nd)), label="perm"))

    def f(x):
        v = x[idx].permute(*perm)
        return v.unsqueeze(0).expand(2, *v.shape) * v

    check_grads(data, f, f, [(arr, mt(arr))])


@requires_torch
@hsettings(30)
@given(data=st.data())
def test_setitem_grad(data):
    """y = x.clone(); y[idx] = v  -- x gets zero grad at idx, v gets the (summed) upstream grad."""
    dtype = data.draw(float_dtypes, label="dtype")
    shape = data.draw(nonempty_shapes(min_dims=1, max_dims=3, max_side=4), label="shape")
    x = data.draw(tensors(shape, dtype), label="x")
    d = data.draw(st.integers(0, len(shape) - 1), label="dim")
    start = data.draw(st.integers(0, shape[d] - 1), label="start")
    step = data.draw(st.integers(1, 2), label="step")
    idx = (slice(None),) * d + (slice(start, None, step),)
    target = np.zeros(shape)[idx].shape
    vshape = target[data.draw(st.integers(0, len(target)), label="vdims") :]
    v = data.draw(tensors(vshape, dtype), label="v")

    def f(x, v):
        y = x.clone()
        y[idx] = v * 2
        return y * y

    check_grads(data, f, f, [x, v])


@requires_torch
@pytest.mark.parametrize("name", ["cat", "stack"])
@hsettings(30)
@given(data=st.data())
def test_cat_stack_grad(name, data):
    dtype = data.draw(float_dtypes, label="dtype")
    base = data.draw(shapes(min_dims=1, max_dims=3, max_side=3), label="base")
    n = data.draw(st.integers(1, 3), label="n")
    if name == "cat":
        dim = data.draw(dims_of(len(base)), label="dim")
        ins = []
        for i in range(n):
            s = list(base)
            s[dim] = data.draw(st.integers(0, 3), label=f"len{i}")
            ins.append(data.draw(tensors(tuple(s), dtype), label=f"t{i}"))
        check_grads(data, lambda *xs: minitorch.cat(xs, dim=dim) * 2, lambda *xs: torch.cat(xs, dim=dim) * 2, ins)
    else:
        dim = data.draw(st.integers(-len(base) - 1, len(base)), label="dim")
        ins = [data.draw(tensors(base, dtype), label=f"t{i}") for i in range(n)]
        check_grads(data, lambda *xs: minitorch.stack(xs, dim) * 2, lambda *xs: torch.stack(xs, dim) * 2, ins)


@requires_torch
@pytest.mark.parametrize("name", ["split", "chunk", "split_sections"])
@hsettings(25)
@given(data=st.data())
def test_split_chunk_grad(name, data):
    """All pieces used, or only some (the unused pieces get zero grad)."""
    dtype = data.draw(float_dtypes, label="dtype")
    shape = data.draw(nonempty_shapes(min_dims=1, max_dims=3, max_side=5), label="shape")
    x = data.draw(tensors(shape, dtype), label="x")
    dim = data.draw(dims_of(len(shape)), label="dim")
    k = data.draw(st.integers(1, 3), label="k")
    length = shape[dim]
    if name == "split_sections":
        cut = data.draw(st.integers(0, length), label="cut")
        arg = [cut, length - cut]
    else:
        arg = k
    keep = data.draw(st.sampled_from(["all", "first", "last"]), label="keep")

    def f(x):
        parts = getattr(x, "chunk" if name == "chunk" else "split")(arg, dim)
        parts = list(parts)
        if keep == "first":
            parts = parts[:1]
        elif keep == "last":
            parts = parts[-1:]
        return tuple(p * 2 for p in parts)

    check_grads(data, f, f, [x])


# ---------------------------------------------------------------------------
# autograd mechanics vs torch
# ---------------------------------------------------------------------------
@requires_torch
@hsettings(20)
@given(data=st.data())
def test_composite_expression_grad(data):
    """A small network-like expression mixing many ops, broadcasting and reuse of inputs."""
    dtype = data.draw(float_dtypes, label="dtype")
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    w = data.draw(tensors((k, m), dtype, -1, 1), label="w")
    b = data.draw(tensors((m,), dtype, -1, 1), label="b")
    x = data.draw(tensors((n, k), dtype, -1, 1), label="x")

    def f(lib):
        def g(w, b, x):
            h = (x @ w + b).tanh()
            h = lib.where(h > 0, h, h * 0.1) + x.sum(dim=1, keepdim=True).sigmoid()
            logits = h * h.exp() - h.mean(dim=0)
            return (logits - logits.logsumexp(dim=1, keepdim=True)).sum() + (w ** 2).sum() * 0.01

        return g

    check_grads(data, f(minitorch), f(torch), [w, b, x], value_tol=dict(rtol=1e-4, atol=1e-5))


def test_grad_accumulates_over_backward_calls():
    x = minitorch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -1.0, 9.0])


def test_input_used_several_times():
    x = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * x + x.t() * x - x.sum(dim=0)
    y.sum().backward()
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    # d/dx of sum(x*x) + sum(x.T*x) - sum over columns (each element counted 2 times)
    expected = 2 * a + 2 * a.T - 2
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_requires_grad_propagation_and_detach():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    c = minitorch.tensor([3.0, 4.0])
    assert x.requires_grad and not c.requires_grad
    assert x.grad_fn is None and x.grad is None
    y = x * c
    assert y.requires_grad and y.grad_fn is not None
    assert not (c * 2).requires_grad
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    z = (y + d * x).sum()  # gradient does not flow through d
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 3.0, 4.0 + 8.0])
    assert c.grad is None


def test_backward_of_non_scalar_without_gradient_raises():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (x * 2).backward()


def test_backward_with_explicit_gradient():
    x = minitorch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x.exp()
    y.backward(minitorch.tensor([[1.0, 0.0, 2.0]]))
    np.testing.assert_allclose(x.grad.numpy(), [[np.exp(1.0), 0.0, 2 * np.exp(3.0)]], rtol=1e-6)


def test_no_grad_through_integer_ops():
    x = minitorch.tensor([1.5, -2.5], requires_grad=True)
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad


GRAD_FN_CASES = {
    "add": lambda lib, x, y: x + y,
    "add_scalar": lambda lib, x, y: x + 1,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "neg": lambda lib, x, y: -x,
    "pow_scalar": lambda lib, x, y: x ** 2,
    "pow_tensor": lambda lib, x, y: x ** y,
    "rpow": lambda lib, x, y: 2 ** x,
    "remainder": lambda lib, x, y: x % y,
    "exp": lambda lib, x, y: x.exp(),
    "log": lambda lib, x, y: x.log(),
    "sqrt": lambda lib, x, y: x.sqrt(),
    "rsqrt": lambda lib, x, y: x.rsqrt(),
    "sin": lambda lib, x, y: x.sin(),
    "cos": lambda lib, x, y: x.cos(),
    "tanh": lambda lib, x, y: x.tanh(),
    "sigmoid": lambda lib, x, y: x.sigmoid(),
    "relu": lambda lib, x, y: x.relu(),
    "abs": lambda lib, x, y: x.abs(),
    "clamp": lambda lib, x, y: x.clamp(0, 1),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(x > 1, x, y),
    "sum": lambda lib, x, y: x.sum(),
    "sum_dim": lambda lib, x, y: x.sum(0),
    "mean": lambda lib, x, y: x.mean(),
    "mean_dim": lambda lib, x, y: x.mean(1),
    "prod": lambda lib, x, y: x.prod(),
    "var": lambda lib, x, y: x.var(),
    "std": lambda lib, x, y: x.std(),
    "max": lambda lib, x, y: x.max(),
    "max_dim": lambda lib, x, y: x.max(1).values,
    "logsumexp": lambda lib, x, y: x.logsumexp(1),
    "mm": lambda lib, x, y: x @ y.t(),
    "bmm": lambda lib, x, y: lib.bmm(x[None], y.t()[None]),
    "view": lambda lib, x, y: x.view(-1),
    "permute": lambda lib, x, y: x.permute(1, 0),
    "transpose": lambda lib, x, y: x.transpose(0, 1),
    "t": lambda lib, x, y: x.t(),
    "expand": lambda lib, x, y: x[None].expand(3, 2, 3),
    "unsqueeze": lambda lib, x, y: x.unsqueeze(0),
    "squeeze_dim": lambda lib, x, y: x[None].squeeze(0),
    "select": lambda lib, x, y: x[0],
    "slice": lambda lib, x, y: x[::2],
    "index": lambda lib, x, y: x[lib.tensor([1, 0])],
    "cat": lambda lib, x, y: lib.cat([x, y]),
    "stack": lambda lib, x, y: lib.stack([x, y]),
    "split": lambda lib, x, y: x.split(1)[0],
    "chunk": lambda lib, x, y: x.chunk(2)[0],
    "clone": lambda lib, x, y: x.clone(),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(GRAD_FN_CASES))
def test_grad_fn_names_match_torch(name):
    fn = GRAD_FN_CASES[name]
    a = np.array([[1.5, 2.0, 0.5], [3.0, 0.25, 1.25]], np.float32)
    b = np.array([[0.5, 1.0, 2.0], [1.5, 0.75, 0.5]], np.float32)
    mx, my = mt(a), mt(b)
    mx.requires_grad = True
    my.requires_grad = True
    tx, ty = to_torch(a, True), to_torch(b, True)
    got, want = fn(minitorch, mx, my), fn(torch, tx, ty)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__


# ---------------------------------------------------------------------------
# without torch: NumPy central differences and gradcheck
# ---------------------------------------------------------------------------
def numeric_grads(np_fn, arrs, upstream, eps=1e-6):
    """Central differences of sum(np_fn(*arrs) * upstream) in float64, NumPy forward only."""
    grads = []
    for i, a in enumerate(arrs):
        g = np.zeros_like(a, dtype=np.float64)
        for idx in np.ndindex(a.shape):
            plus = [np.array(x, dtype=np.float64, copy=True) for x in arrs]
            minus = [np.array(x, dtype=np.float64, copy=True) for x in arrs]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            fp = np.asarray(np_fn(*plus), dtype=np.float64)
            fm = np.asarray(np_fn(*minus), dtype=np.float64)
            g[idx] = np.sum((fp - fm) * upstream) / (2 * eps)
        grads.append(g)
    return grads


def _np_logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


# name -> (arity, shapes, (lo, hi), minitorch fn, numpy fn)
REFERENCE_CASES = {
    "add_broadcast": (2, [(2, 3), (3,)], (-2, 2), lambda a, b: a + b, lambda a, b: a + b),
    "sub_broadcast": (2, [(2, 1), (1, 3)], (-2, 2), lambda a, b: a - b, lambda a, b: a - b),
    "mul_broadcast": (2, [(2, 3, 1), (4,)], (-2, 2), lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, [(2, 3), (2, 3)], (0.5, 2), lambda a, b: a / b, lambda a, b: a / b),
    "pow": (2, [(3,), (2, 3)], (0.5, 2), lambda a, b: a ** b, lambda a, b: a ** b),
    "exp": (1, [(2, 3)], (-2, 2), lambda a: a.exp(), np.exp),
    "log": (1, [(2, 3)], (0.5, 3), lambda a: minitorch.log(a), np.log),
    "sqrt": (1, [(4,)], (0.5, 3), lambda a: a.sqrt(), np.sqrt),
    "rsqrt": (1, [(4,)], (0.5, 3), lambda a: a.rsqrt(), lambda a: 1 / np.sqrt(a)),
    "sin_cos": (1, [(2, 2)], (-3, 3), lambda a: a.sin() * a.cos(), lambda a: np.sin(a) * np.cos(a)),
    "tanh": (1, [(5,)], (-2, 2), lambda a: a.tanh(), np.tanh),
    "sigmoid": (1, [(5,)], (-3, 3), lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    "abs_relu": (1, [(6,)], (0.1, 2), lambda a: (a - 1.05).abs() + (a - 1.05).relu(),
                 lambda a: np.abs(a - 1.05) + np.maximum(a - 1.05, 0)),
    "sum_dim": (1, [(2, 3, 2)], (-2, 2), lambda a: a.sum(dim=(0, 2)), lambda a: a.sum(axis=(0, 2))),
    "mean_keepdim": (1, [(2, 3)], (-2, 2), lambda a: a.mean(1, keepdim=True), lambda a: a.mean(axis=1, keepdims=True)),
    "prod": (1, [(2, 3)], (0.5, 2), lambda a: a.prod(1), lambda a: a.prod(axis=1)),
    "var": (1, [(3, 4)], (-2, 2), lambda a: a.var(1), lambda a: a.var(axis=1, ddof=1)),
    "std": (1, [(3, 4)], (-2, 2), lambda a: a.std(0, unbiased=False), lambda a: a.std(axis=0)),
    "logsumexp": (1, [(3, 4)], (-2, 2), lambda a: a.logsumexp(1), lambda a: _np_logsumexp(a, 1)),
    "matmul_batched": (2, [(2, 1, 2, 3), (3, 3, 2)], (-1, 1), lambda a, b: a @ b, lambda a, b: a @ b),
    "matmul_vec": (2, [(3,), (2, 3, 2)], (-1, 1), lambda a, b: a @ b, lambda a, b: a @ b),
    "view_permute_expand": (
        1, [(2, 3)], (-2, 2),
        lambda a: a.t().unsqueeze(0).expand(2, 3, 2).reshape(-1) * minitorch.arange(12).double(),
        lambda a: np.broadcast_to(a.T[None], (2, 3, 2)).reshape(-1) * np.arange(12),
    ),
    "index": (
        1, [(4, 3)], (-2, 2),
        lambda a: a[minitorch.tensor([0, 2, 0])][:, 1:] * a[1:, None, 0],
        lambda a: a[np.array([0, 2, 0])][:, 1:] * a[1:, None, 0],
    ),
    "cat_split": (
        2, [(2, 3), (1, 3)], (-2, 2),
        lambda a, b: minitorch.cat([a, b]).split(2)[0] * minitorch.stack([b, b]).sum(0),
        lambda a, b: np.concatenate([a, b])[:2] * np.stack([b, b]).sum(0),
    ),
    "where_max_min": (
        2, [(3,), (3,)], (-2, 2),
        lambda a, b: minitorch.where(a > 0, minitorch.maximum(a, b), minitorch.minimum(a, b)),
        lambda a, b: np.where(a > 0, np.maximum(a, b), np.minimum(a, b)),
    ),
}


def _ref_inputs(name, seed):
    arity, shps, (lo, hi), _, _ = REFERENCE_CASES[name]
    rng = np.random.default_rng(seed)
    arrs = [rng.uniform(lo, hi, size=s) for s in shps]
    if name == "where_max_min":  # keep a != b (ties are not differentiable)
        arrs[1] = arrs[0] + rng.choice([-1, 1], size=shps[1]) * rng.uniform(0.2, 1, size=shps[1])
    return arrs


@pytest.mark.parametrize("name", sorted(REFERENCE_CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_numpy_central_differences(name, seed):
    _, _, _, mfn, npfn = REFERENCE_CASES[name]
    arrs = _ref_inputs(name, seed)
    leaves = [minitorch.tensor(a, dtype=minitorch.float64, requires_grad=True) for a in arrs]
    out = mfn(*leaves)
    expected_out = np.asarray(npfn(*arrs))
    np.testing.assert_allclose(out.detach().numpy(), expected_out, rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(100 + seed).uniform(-1, 1, size=expected_out.shape)
    out.backward(minitorch.tensor(upstream, dtype=minitorch.float64))
    for leaf, ref in zip(leaves, numeric_grads(npfn, arrs, upstream)):
        assert leaf.grad is not None
        assert str(leaf.grad.dtype) == "torch.float64"
        np.testing.assert_allclose(leaf.grad.numpy(), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFERENCE_CASES))
def test_gradcheck_passes_on_correct_gradients(name):
    _, _, _, mfn, _ = REFERENCE_CASES[name]
    arrs = _ref_inputs(name, 2)
    inputs = tuple(minitorch.tensor(a, dtype=minitorch.float64, requires_grad=True) for a in arrs)
    assert minitorch.autograd.gradcheck(mfn, inputs) is True
    assert minitorch.autograd.gradcheck(mfn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3) is True


def test_gradcheck_accepts_single_tensor_and_tuple_outputs():
    x = minitorch.tensor([0.5, 1.5, -0.7], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda x: x.exp(), x) is True
    assert minitorch.autograd.gradcheck(lambda x: (x.sin(), (x * x).sum()), (x,)) is True


def test_gradcheck_ignores_inputs_without_requires_grad():
    x = minitorch.tensor([0.5, 1.5], dtype=minitorch.float64, requires_grad=True)
    c = minitorch.tensor([2.0, -1.0], dtype=minitorch.float64)
    assert minitorch.autograd.gradcheck(lambda x, c: x * c + c.exp(), (x, c)) is True


def test_gradcheck_detects_wrong_gradient():
    """x.detach() * x has analytical gradient x but numerical gradient 2x."""
    x = minitorch.tensor([0.5, 1.5, -2.0], dtype=minitorch.float64, requires_grad=True)
    with pytest.raises(RuntimeError):
        minitorch.autograd.gradcheck(lambda x: x.detach() * x, (x,))
    assert minitorch.autograd.gradcheck(lambda x: x.detach() * x, (x,), raise_exception=False) is False


def test_gradcheck_detects_wrong_gradient_in_second_input():
    x = minitorch.tensor([0.5, 1.5], dtype=minitorch.float64, requires_grad=True)
    y = minitorch.tensor([1.0, -2.0], dtype=minitorch.float64, requires_grad=True)
    with pytest.raises(RuntimeError):
        minitorch.autograd.gradcheck(lambda x, y: x * y + y.detach() * y, (x, y))


def test_gradcheck_tolerances_are_honoured():
    """f(x) = x + 1e-4 * x.detach()**2: analytical grad 1, numerical 1 + 2e-4*x.
    |a - n| = 2e-4*|x| <= atol + rtol*|n| passes with the defaults and fails when tightened."""
    x = minitorch.tensor([1.0, 0.5], dtype=minitorch.float64, requires_grad=True)

    def f(x):
        return x + 1e-4 * x.detach() ** 2

    # numerical reference of our own, to be sure of the premise
    num = numeric_grads(lambda a: a + 1e-4 * a ** 2, [np.array([1.0, 0.5])], np.eye(2)[0])[0]
    assert abs(num[0] - (1 + 2e-4)) < 1e-8
    assert minitorch.autograd.gradcheck(f, (x,)) is True
    assert minitorch.autograd.gradcheck(f, (x,), atol=1e-5, rtol=1e-3) is True
    assert minitorch.autograd.gradcheck(f, (x,), atol=1e-7, rtol=1e-6, raise_exception=False) is False
    assert minitorch.autograd.gradcheck(f, (x,), atol=1e-3, rtol=0.0) is True
    with pytest.raises(RuntimeError):
        minitorch.autograd.gradcheck(f, (x,), atol=1e-6, rtol=1e-6)


def test_gradcheck_uses_eps():
    """A kink at 0: with x = 1e-3, a step eps=1e-2 crosses the kink and the numerical
    derivative of relu is wrong; the default eps=1e-6 gets it right."""
    x = minitorch.tensor([1e-3], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda x: x.relu(), (x,)) is True
    assert minitorch.autograd.gradcheck(lambda x: x.relu(), (x,), eps=1e-2, raise_exception=False) is False
