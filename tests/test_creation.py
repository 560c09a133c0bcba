"""Creation functions, dtypes and type promotion.

minitorch's public API is PyTorch's, so every expectation here is what torch 2.13
does for the same call.  Expected dtypes are written out literally (so the tests run
without torch); where torch is importable the same call is also run through torch
and checked against the literal expectation and against minitorch.
"""
import operator

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

DTYPES = ["float32", "float64", "int64", "int32", "bool"]
NP_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "bool": np.bool_,
}
_ABBREV = {
    "f32": "float32",
    "f64": "float64",
    "i64": "int64",
    "i32": "int32",
    "b": "bool",
    "RTE": RuntimeError,
    "NIE": NotImplementedError,
}


def mdt(name):
    return getattr(minitorch, name)


def tdt(name):
    return getattr(torch, name)


def to_np(t):
    """Values of a minitorch/torch tensor as a numpy array (via tolist, independent of .numpy())."""
    out = np.asarray(t.tolist(), dtype=NP_DTYPES[str(t.dtype).replace("torch.", "")])
    return out.reshape(tuple(t.shape))


def assert_same_values(actual, expected, rtol=1e-6, atol=1e-6):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype == np.bool_ or np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------
# dtype objects
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_str_matches_torch(name):
    assert str(mdt(name)) == "torch." + name
    assert repr(mdt(name)) == "torch." + name


def test_dtype_aliases_and_defaults():
    assert minitorch.tensor([1.0]).dtype == minitorch.float32
    assert minitorch.tensor([1]).dtype == minitorch.int64
    assert minitorch.tensor([True]).dtype == minitorch.bool
    assert minitorch.float32 != minitorch.float64
    assert minitorch.float32 == minitorch.float32


# --------------------------------------------------------------------------------------
# type promotion: tensor (op) tensor
# --------------------------------------------------------------------------------------

# rows: dtype of the left operand, columns: dtype of the right operand (torch 2.13).
_TENSOR_TENSOR = {
    "add": """
              f32   f64   i64   i32   b
        f32   f32   f64   f32   f32   f32
        f64   f64   f64   f64   f64   f64
        i64   f32   f64   i64   i64   i64
        i32   f32   f64   i64   i32   i32
        b     f32   f64   i64   i32   b
    """,
    "sub": """
              f32   f64   i64   i32   b
        f32   f32   f64   f32   f32   RTE
        f64   f64   f64   f64   f64   RTE
        i64   f32   f64   i64   i64   RTE
        i32   f32   f64   i64   i32   RTE
        b     RTE   RTE   RTE   RTE   RTE
    """,
    "mul": """
              f32   f64   i64   i32   b
        f32   f32   f64   f32   f32   f32
        f64   f64   f64   f64   f64   f64
        i64   f32   f64   i64   i64   i64
        i32   f32   f64   i64   i32   i32
        b     f32   f64   i64   i32   b
    """,
    "truediv": """
              f32   f64   i64   i32   b
        f32   f32   f64   f32   f32   f32
        f64   f64   f64   f64   f64   f64
        i64   f32   f64   f32   f32   f32
        i32   f32   f64   f32   f32   f32
        b     f32   f64   f32   f32   f32
    """,
    "floordiv": """
              f32   f64   i64   i32   b
        f32   f32   f64   f32   f32   f32
        f64   f64   f64   f64   f64   f64
        i64   f32   f64   i64   i64   i64
        i32   f32   f64   i64   i32   i32
        b     f32   f64   i64   i32   NIE
    """,
}

# rows: dtype of the tensor; columns: the Python scalar and the side it is on (torch 2.13).
_TENSOR_SCALAR = {
    "add": """
              t+2   2+t   t+2.5 2.5+t t+T   T+t
        f32   f32   f32   f32   f32   f32   f32
        f64   f64   f64   f64   f64   f64   f64
        i64   i64   i64   f32   f32   i64   i64
        i32   i32   i32   f32   f32   i32   i32
        b     i64   i64   f32   f32   b     b
    """,
    "sub": """
              t-2   2-t   t-2.5 2.5-t t-T   T-t
        f32   f32   f32   f32   f32   RTE   RTE
        f64   f64   f64   f64   f64   RTE   RTE
        i64   i64   i64   f32   f32   RTE   RTE
        i32   i32   i32   f32   f32   RTE   RTE
        b     RTE   RTE   RTE   RTE   RTE   RTE
    """,
    "mul": """
              t*2   2*t   t*2.5 2.5*t t*T   T*t
        f32   f32   f32   f32   f32   f32   f32
        f64   f64   f64   f64   f64   f64   f64
        i64   i64   i64   f32   f32   i64   i64
        i32   i32   i32   f32   f32   i32   i32
        b     i64   i64   f32   f32   b     b
    """,
    "truediv": """
              t/2   2/t   t/2.5 2.5/t t/T   T/t
        f32   f32   f32   f32   f32   f32   f32
        f64   f64   f64   f64   f64   f64   f64
        i64   f32   f32   f32   f32   f32   f32
        i32   f32   f32   f32   f32   f32   f32
        b     f32   f32   f32   f32   f32   f32
    """,
    "floordiv": """
              t//2  2//t  t//2.5 2.5//t t//T T//t
        f32   f32   f32   f32   f32   f32   f32
        f64   f64   f64   f64   f64   f64   f64
        i64   i64   i64   f32   f32   i64   i64
        i32   i32   i32   f32   f32   i32   i32
        b     i64   i64   f32   f32   NIE   NIE
    """,
}

_SCALARS = [2, 2.5, True]


def _parse(table):
    lines = [line.split() for line in table.strip().splitlines()]
    rows = {}
    for line in lines[1:]:
        rows[_ABBREV[line[0]]] = [_ABBREV[x] for x in line[1:]]
    return rows


ARITH_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
}
CMP_OPS = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}

# Left operands contain zeros/negatives; right operands (divisors) never contain zero.
LEFT_VALUES = {
    "float32": [-3.0, 2.0, 7.0, 0.0],
    "float64": [-3.0, 2.0, 7.0, 0.0],
    "int64": [-3, 2, 7, 0],
    "int32": [-3, 2, 7, 0],
    "bool": [True, False, True, False],
}
RIGHT_VALUES = {
    "float32": [2.0, -3.0, 2.0, 7.0],
    "float64": [2.0, -3.0, 2.0, 7.0],
    "int64": [2, -3, 2, 7],
    "int32": [2, -3, 2, 7],
    "bool": [True, True, True, True],
}


def _reference(fn, left, right, dtype):
    """Elementwise Python result cast to `dtype` (torch computes in the result dtype;
    for these small operands the values coincide)."""
    out = [fn(x, y) for x, y in zip(left, right)]
    return np.asarray(out, dtype=np.float64).astype(NP_DTYPES[dtype])


def _run_or_exc(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - we compare exception types
        return e


def _check_promotion(expected, m_call, t_call, left, right, py_fn):
    m_res = _run_or_exc(m_call)
    if torch is not None:
        t_res = _run_or_exc(t_call)
        # the literal table must describe torch; a mismatch here is a bug in this test file
        if isinstance(expected, str):
            assert not isinstance(t_res, Exception), t_res
            assert str(t_res.dtype) == "torch." + expected
        else:
            assert type(t_res) is expected, t_res
    if isinstance(expected, str):
        assert not isinstance(m_res, Exception), f"minitorch raised {m_res!r}"
        assert str(m_res.dtype) == "torch." + expected
        assert m_res.dtype == mdt(expected)
        assert tuple(m_res.shape) == (len(left),)
        assert_same_values(to_np(m_res), _reference(py_fn, left, right, expected))
        if torch is not None:
            assert_same_values(to_np(m_res), to_np(t_res))
    else:
        assert isinstance(m_res, expected), f"expected {expected.__name__}, got {m_res!r}"


_TT_CASES = [
    (op, a, b, exp)
    for op, table in _TENSOR_TENSOR.items()
    for a, row in _parse(table).items()
    for b, exp in zip(DTYPES, row)
]


@pytest.mark.parametrize("op,a,b,expected", _TT_CASES)
def test_promotion_tensor_tensor(op, a, b, expected):
    fn = ARITH_OPS[op]
    left, right = LEFT_VALUES[a], RIGHT_VALUES[b]
    _check_promotion(
        expected,
        lambda: fn(minitorch.tensor(left, dtype=mdt(a)), minitorch.tensor(right, dtype=mdt(b))),
        lambda: fn(torch.tensor(left, dtype=tdt(a)), torch.tensor(right, dtype=tdt(b))),
        left,
        right,
        fn,
    )


_TS_CASES = [
    (op, a, scalar, side, row[2 * i + (side == "left")])
    for op, table in _TENSOR_SCALAR.items()
    for a, row in _parse(table).items()
    for i, scalar in enumerate(_SCALARS)
    for side in ("right", "left")
]


@pytest.mark.parametrize(
    "op,a,scalar,side,expected",
    _TS_CASES,
    ids=[f"{op}-{a}-{type(s).__name__}{s}-scalar_{side}" for op, a, s, side, _ in _TS_CASES],
)
def test_promotion_tensor_scalar(op, a, scalar, side, expected):
    fn = ARITH_OPS[op]
    vals = RIGHT_VALUES[a]  # nonzero, so the scalar can be divided by the tensor
    svals = [scalar] * len(vals)
    if side == "right":  # tensor op scalar
        left, right = vals, svals
        m_call = lambda: fn(minitorch.tensor(vals, dtype=mdt(a)), scalar)  # noqa: E731
        t_call = lambda: fn(torch.tensor(vals, dtype=tdt(a)), scalar)  # noqa: E731
    else:  # scalar op tensor
        left, right = svals, vals
        m_call = lambda: fn(scalar, minitorch.tensor(vals, dtype=mdt(a)))  # noqa: E731
        t_call = lambda: fn(scalar, torch.tensor(vals, dtype=tdt(a)))  # noqa: E731
    _check_promotion(expected, m_call, t_call, left, right, fn)


@pytest.mark.parametrize("op", sorted(CMP_OPS))
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_comparison_tensor_tensor_is_bool(op, a, b):
    fn = CMP_OPS[op]
    left, right = LEFT_VALUES[a], RIGHT_VALUES[b]
    _check_promotion(
        "bool",
        lambda: fn(minitorch.tensor(left, dtype=mdt(a)), minitorch.tensor(right, dtype=mdt(b))),
        lambda: fn(torch.tensor(left, dtype=tdt(a)), torch.tensor(right, dtype=tdt(b))),
        left,
        right,
        fn,
    )


@pytest.mark.parametrize("op", sorted(CMP_OPS))
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
def test_comparison_tensor_scalar_is_bool(op, a, scalar):
    fn = CMP_OPS[op]
    vals = LEFT_VALUES[a]
    svals = [scalar] * len(vals)
    _check_promotion(
        "bool",
        lambda: fn(minitorch.tensor(vals, dtype=mdt(a)), scalar),
        lambda: fn(torch.tensor(vals, dtype=tdt(a)), scalar),
        vals,
        svals,
        fn,
    )
    # reflected: scalar on the left
    _check_promotion(
        "bool",
        lambda: fn(scalar, minitorch.tensor(vals, dtype=mdt(a))),
        lambda: fn(scalar, torch.tensor(vals, dtype=tdt(a))),
        svals,
        vals,
        fn,
    )


def test_promotion_zero_dim_tensor_acts_like_scalar_within_category():
    # A 0-dim tensor does not promote a dimensioned tensor of the same category...
    r = minitorch.zeros(2) + minitorch.tensor(1.0, dtype=minitorch.float64)
    assert r.dtype == minitorch.float32
    r = minitorch.zeros(2, dtype=minitorch.int32) + minitorch.tensor(1)
    assert r.dtype == minitorch.int32
    # ...but does when it is of a higher category.
    r = minitorch.zeros(2, dtype=minitorch.int32) + minitorch.tensor(1.5, dtype=minitorch.float64)
    assert r.dtype == minitorch.float64
    r = minitorch.tensor([True]) + minitorch.tensor(3)
    assert r.dtype == minitorch.int64
    # two 0-dim tensors promote normally
    r = minitorch.tensor(1.0) + minitorch.tensor(1.0, dtype=minitorch.float64)
    assert r.dtype == minitorch.float64
    assert r.shape == ()


@requires_torch
def test_promotion_zero_dim_matches_torch():
    for a, b in [("float32", "float64"), ("int32", "int64"), ("int32", "float64"), ("bool", "int64"),
                 ("int64", "float32"), ("float64", "float32")]:
        for shapes in [((2,), ()), ((), (2,)), ((), ())]:
            def make(mod, dt, shape, v):
                return mod.full(shape, v, dtype=getattr(mod, dt))
            m = make(minitorch, a, shapes[0], 1) + make(minitorch, b, shapes[1], 1)
            t = make(torch, a, shapes[0], 1) + make(torch, b, shapes[1], 1)
            assert str(m.dtype) == str(t.dtype), (a, b, shapes)
            assert tuple(m.shape) == tuple(t.shape)


_PROMOTE_TYPES = [
    ("float32", "float64", "float64"),
    ("int32", "float32", "float32"),
    ("int64", "float32", "float32"),
    ("int32", "int64", "int64"),
    ("bool", "int32", "int32"),
    ("bool", "bool", "bool"),
    ("bool", "float64", "float64"),
    ("int64", "int64", "int64"),
]


@pytest.mark.parametrize("a,b,expected", _PROMOTE_TYPES)
def test_promote_types(a, b, expected):
    assert minitorch.promote_types(mdt(a), mdt(b)) == mdt(expected)
    assert minitorch.promote_types(mdt(b), mdt(a)) == mdt(expected)
    if torch is not None:
        assert str(torch.promote_types(tdt(a), tdt(b))) == "torch." + expected


def test_result_type():
    m = minitorch
    assert m.result_type(m.zeros(2, dtype=m.int32), 1.0) == m.float32
    assert m.result_type(m.zeros(2, dtype=m.int32), 1) == m.int32
    assert m.result_type(m.zeros(2, dtype=m.int32), m.zeros(2, dtype=m.int64)) == m.int64
    assert m.result_type(m.zeros(2, dtype=m.int32), m.tensor(1)) == m.int32
    assert m.result_type(m.zeros(2, dtype=m.bool), True) == m.bool
    assert m.result_type(m.zeros(2, dtype=m.bool), 1) == m.int64
    assert m.result_type(m.zeros(2, dtype=m.float64), 1.0) == m.float64
    assert m.result_type(2, 3.0) == m.float32
    assert m.result_type(2, 3) == m.int64


@requires_torch
def test_result_type_matches_torch():
    cases = [
        lambda M: M.result_type(M.zeros(2, dtype=M.int32), 1.0),
        lambda M: M.result_type(M.zeros(2, dtype=M.int32), 1),
        lambda M: M.result_type(M.zeros(2, dtype=M.bool), 1),
        lambda M: M.result_type(M.zeros(2, dtype=M.int32), M.tensor(1.0, dtype=M.float64)),
        lambda M: M.result_type(M.zeros(2), M.zeros(2, dtype=M.float64)),
        lambda M: M.result_type(2, 3.0),
        lambda M: M.result_type(True, 3),
    ]
    for case in cases:
        assert str(case(minitorch)) == str(case(torch))


# --------------------------------------------------------------------------------------
# tensor(), as_tensor(), from_numpy()
# --------------------------------------------------------------------------------------

_TENSOR_DATA = [
    ([1, 2, 3], "int64", (3,)),
    ([1.0, 2.0], "float32", (2,)),
    ([1, 2.5], "float32", (2,)),
    ([True, False], "bool", (2,)),
    ([True, 1], "int64", (2,)),
    ([True, 1.5], "float32", (2,)),
    ([[1, 2, 3], [4, 5, 6]], "int64", (2, 3)),
    ([[[1.0], [2.0]], [[3.0], [4.0]]], "float32", (2, 2, 1)),
    ([], "float32", (0,)),
    ([[]], "float32", (1, 0)),
    (3, "int64", ()),
    (3.5, "float32", ()),
    (True, "bool", ()),
    (-0.0, "float32", ()),
]


@pytest.mark.parametrize("data,dtype,shape", _TENSOR_DATA, ids=[repr(d) for d, _, _ in _TENSOR_DATA])
def test_tensor_from_python_data(data, dtype, shape):
    t = minitorch.tensor(data)
    assert str(t.dtype) == "torch." + dtype
    assert t.shape == shape
    assert isinstance(t.shape, minitorch.Size)
    assert t.tolist() == data
    if torch is not None:
        ref = torch.tensor(data)
        assert str(ref.dtype) == str(t.dtype)
        assert tuple(ref.shape) == tuple(t.shape)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_explicit_dtype(dtype):
    t = minitorch.tensor([[0, 1], [2, 3]], dtype=mdt(dtype))
    assert t.dtype == mdt(dtype)
    expected = np.array([[0, 1], [2, 3]]).astype(NP_DTYPES[dtype])
    assert_same_values(to_np(t), expected)


def test_tensor_float_to_int_dtype_truncates_like_torch():
    t = minitorch.tensor([1.7, -1.7, 2.5], dtype=minitorch.int64)
    assert t.tolist() == [1, -1, 2]
    if torch is not None:
        assert t.tolist() == torch.tensor([1.7, -1.7, 2.5], dtype=torch.int64).tolist()


@pytest.mark.parametrize("np_dtype,name", [
    (np.float64, "float64"),
    (np.float32, "float32"),
    (np.int64, "int64"),
    (np.int32, "int32"),
    (np.bool_, "bool"),
])
def test_tensor_from_numpy_array_keeps_dtype_and_copies(np_dtype, name):
    arr = np.array([[1, 0, 3], [4, 5, 0]]).astype(np_dtype)
    t = minitorch.tensor(arr)
    assert t.dtype == mdt(name)
    assert t.shape == (2, 3)
    assert_same_values(to_np(t), arr)
    # tensor() always copies
    arr[0, 0] = 0
    assert t.tolist()[0][0] == np_dtype(1)
    if torch is not None:
        assert str(torch.tensor(arr).dtype) == str(t.dtype)


def test_tensor_from_numpy_scalars():
    assert minitorch.tensor(np.float64(2.0)).dtype == minitorch.float64
    assert minitorch.tensor(np.float32(2.0)).dtype == minitorch.float32
    assert minitorch.tensor(np.int64(3)).dtype == minitorch.int64
    assert minitorch.tensor(np.int32(3)).dtype == minitorch.int32
    assert minitorch.tensor(np.bool_(True)).dtype == minitorch.bool
    assert minitorch.tensor(np.float64(2.0)).shape == ()


def test_tensor_from_noncontiguous_numpy():
    arr = np.arange(12, dtype=np.float32).reshape(3, 4).T
    t = minitorch.tensor(arr)
    assert t.shape == (4, 3)
    assert_same_values(to_np(t), arr)
    arr2 = np.arange(10, dtype=np.int64)[1::3]
    assert minitorch.tensor(arr2).tolist() == arr2.tolist()


def test_tensor_with_requires_grad_and_device():
    t = minitorch.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None
    for dev in ("cpu", minitorch.device("cpu")):
        t = minitorch.tensor([1.0], device=dev)
        assert t.device == minitorch.device("cpu")
        assert str(t.device) == "cpu"


def test_from_numpy_shares_memory_both_ways():
    arr = np.zeros(4, dtype=np.float32)
    t = minitorch.from_numpy(arr)
    assert t.dtype == minitorch.float32 and t.shape == (4,)
    arr[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0, 0.0]
    t.add_(1.0)
    np.testing.assert_array_equal(arr, [1.0, 6.0, 1.0, 1.0])
    t[3] = 9.0
    assert arr[3] == 9.0


@pytest.mark.parametrize("np_dtype,name", [
    (np.float64, "float64"),
    (np.float32, "float32"),
    (np.int64, "int64"),
    (np.int32, "int32"),
    (np.bool_, "bool"),
])
def test_from_numpy_keeps_dtype(np_dtype, name):
    arr = np.ones((2, 3), dtype=np_dtype)
    t = minitorch.from_numpy(arr)
    assert t.dtype == mdt(name)
    assert t.shape == (2, 3)


def test_from_numpy_noncontiguous_view_shares_memory():
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    view = base.T
    t = minitorch.from_numpy(view)
    assert t.shape == (4, 3)
    assert t.stride() == (1, 4)
    assert_same_values(to_np(t), view)
    base[0, 1] = -1.0
    assert t.tolist()[1][0] == -1.0


def test_as_tensor_shares_numpy_memory_when_dtype_matches():
    arr = np.zeros(3, dtype=np.float64)
    t = minitorch.as_tensor(arr)
    assert t.dtype == minitorch.float64
    arr[0] = 7.0
    assert t.tolist()[0] == 7.0
    # a dtype conversion must copy
    t2 = minitorch.as_tensor(arr, dtype=minitorch.float32)
    arr[1] = 3.0
    assert t2.tolist() == [7.0, 0.0, 0.0]
    # as_tensor of a tensor returns the same tensor when nothing changes
    x = minitorch.ones(2)
    assert minitorch.as_tensor(x) is x
    assert minitorch.as_tensor([1, 2]).dtype == minitorch.int64


def test_numpy_shares_memory():
    t = minitorch.zeros(3)
    a = t.numpy()
    assert a.dtype == np.float32 and a.shape == (3,)
    a[0] = 4.0
    assert t.tolist()[0] == 4.0
    t.mul_(2.0)
    assert a[0] == 8.0
    # numpy() of a detached requires-grad tensor shares memory with the original
    x = minitorch.ones(2, requires_grad=True)
    xa = x.detach().numpy()
    xa[0] = 3.0
    assert x.tolist() == [3.0, 1.0]


# --------------------------------------------------------------------------------------
# zeros / ones / full / empty
# --------------------------------------------------------------------------------------

_SIZE_FORMS = [
    ((2, 3), (2, 3)),
    (((2, 3),), (2, 3)),
    (([2, 3],), (2, 3)),
    ((4,), (4,)),
    (((),), ()),
    ((2, 0), (2, 0)),
    ((0,), (0,)),
    ((1, 1, 1), (1, 1, 1)),
]


@pytest.mark.parametrize("fname,value", [("zeros", 0), ("ones", 1), ("empty", None)])
@pytest.mark.parametrize("args,shape", _SIZE_FORMS)
def test_fill_creation_shapes(fname, value, args, shape):
    t = getattr(minitorch, fname)(*args)
    assert t.shape == shape
    assert isinstance(t.shape, minitorch.Size)
    assert t.dtype == minitorch.float32
    assert not t.requires_grad
    assert t.numel() == int(np.prod(shape))
    if value is not None:
        assert_same_values(to_np(t), np.full(shape, value, dtype=np.float32))


def test_size_object_accepted():
    s = minitorch.zeros(2, 5).shape
    assert minitorch.ones(s).shape == (2, 5)
    assert minitorch.zeros(minitorch.Size([3])).shape == (3,)


@pytest.mark.parametrize("fname", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_creation_dtype(fname, dtype):
    t = getattr(minitorch, fname)(2, 3, dtype=mdt(dtype))
    assert t.dtype == mdt(dtype)
    assert t.shape == (2, 3)
    if fname != "empty":
        expected = np.full((2, 3), 0 if fname == "zeros" else 1).astype(NP_DTYPES[dtype])
        assert_same_values(to_np(t), expected)


def test_creation_requires_grad_and_device():
    for fname in ("zeros", "ones", "empty", "randn", "rand"):
        t = getattr(minitorch, fname)(2, 2, requires_grad=True, device="cpu")
        assert t.requires_grad and t.is_leaf and t.grad_fn is None, fname
        assert t.device == minitorch.device("cpu")
    t = minitorch.full((2,), 1.5, requires_grad=True, device=minitorch.device("cpu"))
    assert t.requires_grad


@pytest.mark.parametrize("fill,dtype", [(1, "int64"), (1.5, "float32"), (True, "bool"), (-2, "int64")])
def test_full_infers_dtype(fill, dtype):
    t = minitorch.full((2, 3), fill)
    assert t.dtype == mdt(dtype)
    assert t.tolist() == [[fill] * 3] * 2
    if torch is not None:
        assert str(torch.full((2, 3), fill).dtype) == str(t.dtype)


def test_full_explicit_dtype():
    t = minitorch.full((2,), 7, dtype=minitorch.float64)
    assert t.dtype == minitorch.float64 and t.tolist() == [7.0, 7.0]
    t = minitorch.full([3], 2.9, dtype=minitorch.int32)
    assert t.dtype == minitorch.int32 and t.tolist() == [2, 2, 2]
    t = minitorch.full((), 4.0)
    assert t.shape == () and t.item() == 4.0


# --------------------------------------------------------------------------------------
# arange / linspace / eye
# --------------------------------------------------------------------------------------

_ARANGE = [
    ((5,), {}, "int64", [0, 1, 2, 3, 4]),
    ((5.0,), {}, "float32", [0.0, 1.0, 2.0, 3.0, 4.0]),
    ((0.5,), {}, "float32", [0.0]),
    ((1, 4), {}, "int64", [1, 2, 3]),
    ((2, 2), {}, "int64", []),
    ((0, 10, 3), {}, "int64", [0, 3, 6, 9]),
    ((10, 0, -3), {}, "int64", [10, 7, 4, 1]),
    ((0, -5, -1), {}, "int64", [0, -1, -2, -3, -4]),
    ((1, 2.5, 0.5), {}, "float32", [1.0, 1.5, 2.0]),
    ((-1.0, 1.0, 0.25), {}, "float32", [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75]),
    ((0, 1, 0.3), {}, "float32", [0.0, 0.3, 0.6, 0.9]),
    ((0, 1, 0.1), {}, "float32", [0.1 * i for i in range(10)]),
    ((1.0, 0.0, -0.25), {}, "float32", [1.0, 0.75, 0.5, 0.25]),
    ((-5, 5, 2.5), {}, "float32", [-5.0, -2.5, 0.0, 2.5]),
    ((0, 5), {"dtype": "float64"}, "float64", [0.0, 1.0, 2.0, 3.0, 4.0]),
    ((3,), {"dtype": "int32"}, "int32", [0, 1, 2]),
    ((0, 5.0), {"dtype": "int64"}, "int64", [0, 1, 2, 3, 4]),
    ((0, 3), {"dtype": "float32"}, "float32", [0.0, 1.0, 2.0]),
]


@pytest.mark.parametrize("args,kwargs,dtype,expected", _ARANGE, ids=[f"{a}{k}" for a, k, _, _ in _ARANGE])
def test_arange(args, kwargs, dtype, expected):
    kw = {k: mdt(v) for k, v in kwargs.items()}
    t = minitorch.arange(*args, **kw)
    assert t.dtype == mdt(dtype)
    assert t.shape == (len(expected),)
    assert_same_values(to_np(t), np.asarray(expected, dtype=NP_DTYPES[dtype]))
    if torch is not None:
        ref = torch.arange(*args, **{k: tdt(v) for k, v in kwargs.items()})
        assert str(ref.dtype) == str(t.dtype)
        assert_same_values(to_np(t), to_np(ref))


def test_arange_keyword_arguments():
    t = minitorch.arange(start=2, end=8, step=2)
    assert t.tolist() == [2, 4, 6]
    t = minitorch.arange(4, requires_grad=False, dtype=minitorch.float32)
    assert t.dtype == minitorch.float32


_LINSPACE = [
    ((0, 1, 5), {}, [0.0, 0.25, 0.5, 0.75, 1.0], "float32"),
    ((1, 0, 3), {}, [1.0, 0.5, 0.0], "float32"),
    ((0, 1, 1), {}, [0.0], "float32"),
    ((0, 1, 0), {}, [], "float32"),
    ((-2, 2, 4), {}, [-2.0, -2.0 / 3, 2.0 / 3, 2.0], "float32"),
    ((0, 10, 5), {}, [0.0, 2.5, 5.0, 7.5, 10.0], "float32"),
    ((-1.0, 1.0, 5), {}, [-1.0, -0.5, 0.0, 0.5, 1.0], "float32"),
    ((3, 3, 4), {}, [3.0, 3.0, 3.0, 3.0], "float32"),
    ((0, 1, 3), {"dtype": "float64"}, [0.0, 0.5, 1.0], "float64"),
    ((0, 10, 5), {"dtype": "int64"}, [0, 2, 5, 7, 10], "int64"),
]


@pytest.mark.parametrize("args,kwargs,expected,dtype", _LINSPACE, ids=[f"{a}{k}" for a, k, _, _ in _LINSPACE])
def test_linspace(args, kwargs, expected, dtype):
    kw = {k: mdt(v) for k, v in kwargs.items()}
    t = minitorch.linspace(*args, **kw)
    assert t.dtype == mdt(dtype)
    assert t.shape == (len(expected),)
    assert_same_values(to_np(t), np.asarray(expected, dtype=NP_DTYPES[dtype]))
    if len(expected) > 1:
        # endpoints are exact
        assert t.tolist()[0] == expected[0] and t.tolist()[-1] == expected[-1]
    if torch is not None:
        ref = torch.linspace(*args, **{k: tdt(v) for k, v in kwargs.items()})
        assert str(ref.dtype) == str(t.dtype)
        assert_same_values(to_np(t), to_np(ref))


def test_linspace_steps_keyword():
    assert minitorch.linspace(0, 1, steps=3).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("args,kwargs", [
    ((3,), {}),
    ((2, 3), {}),
    ((3, 2), {}),
    ((1,), {}),
    ((0,), {}),
    ((3,), {"dtype": "int64"}),
    ((2, 4), {"dtype": "bool"}),
    ((3,), {"dtype": "float64"}),
])
def test_eye(args, kwargs):
    kw = {k: mdt(v) for k, v in kwargs.items()}
    t = minitorch.eye(*args, **kw)
    dtype = kwargs.get("dtype", "float32")
    assert t.dtype == mdt(dtype)
    n = args[0]
    m = args[1] if len(args) > 1 else n
    assert t.shape == (n, m)
    assert_same_values(to_np(t), np.eye(n, m).astype(NP_DTYPES[dtype]))
    if torch is not None:
        ref = torch.eye(*args, **{k: tdt(v) for k, v in kwargs.items()})
        assert str(ref.dtype) == str(t.dtype) and tuple(ref.shape) == tuple(t.shape)


# --------------------------------------------------------------------------------------
# *_like
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_like_functions_keep_shape_and_dtype(dtype):
    src = minitorch.zeros(2, 3, dtype=mdt(dtype))
    for fname, value in [("zeros_like", 0), ("ones_like", 1), ("empty_like", None)]:
        t = getattr(minitorch, fname)(src)
        assert t.shape == (2, 3) and t.dtype == mdt(dtype), fname
        if value is not None:
            assert_same_values(to_np(t), np.full((2, 3), value).astype(NP_DTYPES[dtype]))
    t = minitorch.full_like(src, 1)
    assert t.dtype == mdt(dtype)
    assert_same_values(to_np(t), np.ones((2, 3)).astype(NP_DTYPES[dtype]))


def test_like_functions_dtype_override_and_value_cast():
    src = minitorch.zeros(4, dtype=minitorch.int64)
    assert minitorch.zeros_like(src, dtype=minitorch.float64).dtype == minitorch.float64
    assert minitorch.ones_like(src, dtype=minitorch.bool).tolist() == [True] * 4
    # full_like keeps the source dtype and casts the fill value into it (like torch)
    assert minitorch.full_like(src, 2.7).tolist() == [2, 2, 2, 2]
    assert minitorch.full_like(src, 2.7).dtype == minitorch.int64
    assert minitorch.full_like(src, 2.5, dtype=minitorch.float32).tolist() == [2.5] * 4


def test_random_like_functions():
    src = minitorch.zeros(3, 4, dtype=minitorch.float64)
    for fname in ("rand_like", "randn_like"):
        t = getattr(minitorch, fname)(src)
        assert t.shape == (3, 4) and t.dtype == minitorch.float64, fname
    t = minitorch.rand_like(minitorch.zeros(5))
    assert t.dtype == minitorch.float32
    vals = to_np(t)
    assert ((vals >= 0) & (vals < 1)).all()


def test_like_functions_do_not_inherit_requires_grad():
    src = minitorch.ones(2, 2, requires_grad=True)
    for fname in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        t = getattr(minitorch, fname)(src)
        assert not t.requires_grad, fname
        assert t.grad_fn is None
    t = minitorch.zeros_like(src, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_like_functions_on_noncontiguous_input():
    src = minitorch.zeros(3, 5).t()
    t = minitorch.ones_like(src)
    assert t.shape == (5, 3)
    assert_same_values(to_np(t), np.ones((5, 3), dtype=np.float32))


# --------------------------------------------------------------------------------------
# random
# --------------------------------------------------------------------------------------


def test_randn_rand_shapes_and_dtypes():
    for fn in (minitorch.randn, minitorch.rand):
        assert fn(2, 3).shape == (2, 3)
        assert fn((2, 3)).shape == (2, 3)
        assert fn([4]).shape == (4,)
        assert fn(()).shape == ()
        assert fn(0).shape == (0,)
        assert fn(2, 3).dtype == minitorch.float32
        assert fn(2, dtype=minitorch.float64).dtype == minitorch.float64
        assert not fn(2).requires_grad


def test_rand_range_and_moments():
    minitorch.manual_seed(0)
    u = to_np(minitorch.rand(20000))
    assert ((u >= 0.0) & (u < 1.0)).all()
    assert abs(u.mean() - 0.5) < 0.02
    assert abs(u.var() - 1.0 / 12) < 0.01
    assert len(np.unique(u)) > 19000


def test_randn_moments():
    minitorch.manual_seed(0)
    z = to_np(minitorch.randn(20000, dtype=minitorch.float64))
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 0.05
    assert abs(z.std() - 1.0) < 0.05
    assert (z < 0).mean() == pytest.approx(0.5, abs=0.03)
    assert np.abs(z).max() > 2.5  # tails exist: not a uniform in disguise


def test_randint():
    minitorch.manual_seed(0)
    t = minitorch.randint(10, (2000,))
    assert t.dtype == minitorch.int64 and t.shape == (2000,)
    v = to_np(t)
    assert v.min() >= 0 and v.max() <= 9
    assert set(v.tolist()) == set(range(10))

    t = minitorch.randint(-3, 4, (50, 40))
    assert t.shape == (50, 40) and t.dtype == minitorch.int64
    v = to_np(t)
    assert v.min() >= -3 and v.max() <= 3
    assert set(v.ravel().tolist()) == set(range(-3, 4))

    t = minitorch.randint(0, 5, (7,), dtype=minitorch.int32)
    assert t.dtype == minitorch.int32
    t = minitorch.randint(low=2, high=3, size=(4,))
    assert t.tolist() == [2, 2, 2, 2]
    t = minitorch.randint(3, 4, (2, 3), dtype=minitorch.float32)
    assert t.dtype == minitorch.float32 and t.tolist() == [[3.0] * 3] * 2


@pytest.mark.parametrize("n", [0, 1, 2, 10, 257])
def test_randperm_is_permutation(n):
    minitorch.manual_seed(n)
    p = minitorch.randperm(n)
    assert p.dtype == minitorch.int64 and p.shape == (n,)
    assert sorted(p.tolist()) == list(range(n))


def test_randperm_shuffles_and_dtype():
    minitorch.manual_seed(3)
    p = minitorch.randperm(100).tolist()
    assert p != list(range(100))
    assert minitorch.randperm(5, dtype=minitorch.int32).dtype == minitorch.int32


@pytest.mark.parametrize("call", [
    lambda: minitorch.randn(3, 4),
    lambda: minitorch.rand(5),
    lambda: minitorch.randint(0, 1000, (6,)),
    lambda: minitorch.randperm(20),
    lambda: minitorch.randn(4, dtype=minitorch.float64),
    lambda: minitorch.randn_like(minitorch.zeros(2, 2)),
    lambda: minitorch.rand_like(minitorch.zeros(3)),
], ids=["randn", "rand", "randint", "randperm", "randn64", "randn_like", "rand_like"])
def test_manual_seed_reproducibility(call):
    minitorch.manual_seed(1234)
    a = call().tolist()
    b = call().tolist()
    minitorch.manual_seed(1234)
    c = call().tolist()
    d = call().tolist()
    assert a == c and b == d
    assert a != b  # the generator advances
    minitorch.manual_seed(4321)
    assert call().tolist() != a


def test_manual_seed_reproduces_a_mixed_sequence():
    def draw():
        return [
            minitorch.randn(2, 2).tolist(),
            minitorch.rand(3).tolist(),
            minitorch.randint(0, 100, (4,)).tolist(),
            minitorch.randperm(6).tolist(),
        ]

    minitorch.manual_seed(7)
    first = draw()
    minitorch.manual_seed(7)
    assert draw() == first


# --------------------------------------------------------------------------------------
# attributes and conversions
# --------------------------------------------------------------------------------------


def test_size_type_and_repr():
    s = minitorch.zeros(2, 3).shape
    assert isinstance(s, tuple) and isinstance(s, minitorch.Size)
    assert s == (2, 3) and s == minitorch.Size([2, 3])
    assert repr(s) == "torch.Size([2, 3])"
    assert str(s) == "torch.Size([2, 3])"
    assert repr(minitorch.tensor(1.0).shape) == "torch.Size([])"
    assert repr(minitorch.zeros(4).shape) == "torch.Size([4])"
    assert s[0] == 2 and s[-1] == 3 and len(s) == 2
    assert minitorch.zeros(2, 3).size() == s
    assert isinstance(minitorch.zeros(2, 3).size(), minitorch.Size)


def test_basic_attributes():
    t = minitorch.zeros(2, 3, 4)
    assert t.size(0) == 2 and t.size(-1) == 4 and t.size(dim=1) == 3
    assert t.dim() == 3 and t.ndim == 3
    assert t.numel() == 24
    assert t.dtype == minitorch.float32
    assert t.device == minitorch.device("cpu")
    s = minitorch.tensor(5.0)
    assert s.dim() == 0 and s.ndim == 0 and s.numel() == 1 and s.shape == ()


def test_stride_and_contiguity():
    t = minitorch.zeros(4, 3)
    assert t.stride() == (3, 1)
    assert t.stride(0) == 3
    assert t.is_contiguous()
    tt = t.t()
    assert tt.stride() == (1, 3)
    assert not tt.is_contiguous()
    c = tt.contiguous()
    assert c.is_contiguous() and c.stride() == (4, 1)
    assert t.contiguous() is t
    assert minitorch.zeros(2, 3, 4).stride() == (12, 4, 1)


def test_item():
    assert minitorch.tensor(2.5).item() == 2.5
    assert type(minitorch.tensor(2.5).item()) is float
    assert type(minitorch.tensor([3]).item()) is int
    assert type(minitorch.tensor([[True]]).item()) is bool
    assert minitorch.tensor(7, dtype=minitorch.int32).item() == 7
    assert type(minitorch.tensor(7, dtype=minitorch.int32).item()) is int


def test_tolist():
    assert minitorch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert minitorch.tensor(2.5).tolist() == 2.5
    assert type(minitorch.tensor([1.0]).tolist()[0]) is float
    assert type(minitorch.tensor([1]).tolist()[0]) is int
    assert type(minitorch.tensor([True]).tolist()[0]) is bool
    assert minitorch.zeros(2, 0).tolist() == [[], []]
    t = minitorch.arange(6).view(2, 3).t()
    assert t.tolist() == [[0, 3], [1, 4], [2, 5]]


@pytest.mark.parametrize("method,dtype", [
    ("float", "float32"),
    ("double", "float64"),
    ("long", "int64"),
    ("int", "int32"),
    ("bool", "bool"),
])
def test_conversion_methods(method, dtype):
    src = minitorch.tensor([1.5, -2.7, 0.0])
    t = getattr(src, method)()
    assert t.dtype == mdt(dtype)
    expected = np.array([1.5, -2.7, 0.0]).astype(NP_DTYPES[dtype])
    assert_same_values(to_np(t), expected)
    assert src.tolist() == pytest.approx([1.5, -2.7, 0.0])  # source untouched
    if torch is not None:
        ref = getattr(torch.tensor([1.5, -2.7, 0.0]), method)()
        assert_same_values(to_np(t), to_np(ref))


def test_to_dtype():
    t = minitorch.tensor([1.7, -1.2])
    assert t.to(minitorch.int64).tolist() == [1, -1]
    assert t.to(dtype=minitorch.float64).dtype == minitorch.float64
    assert t.to(minitorch.float32) is t  # no-op conversions return self, like torch
    assert t.float() is t
    b = minitorch.tensor([0, 3, -1]).to(minitorch.bool)
    assert b.tolist() == [False, True, True]
    assert minitorch.tensor([True, False]).to(minitorch.float32).tolist() == [1.0, 0.0]


def test_clone_is_independent_copy():
    t = minitorch.tensor([1.0, 2.0])
    c = t.clone()
    c.add_(1)
    assert t.tolist() == [1.0, 2.0] and c.tolist() == [2.0, 3.0]
    nc = minitorch.arange(6.0).view(2, 3).t()
    assert nc.clone().tolist() == nc.tolist()
    assert nc.clone().dtype == minitorch.float32


def test_detach_shares_storage():
    x = minitorch.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0
    assert x.tolist() == [5.0, 1.0, 1.0]


def test_repr_matches_torch_format():
    assert repr(minitorch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minitorch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(minitorch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(minitorch.tensor([1.0, 2.0], dtype=minitorch.float64)) == "tensor([1., 2.], dtype=torch.float64)"
    assert repr(minitorch.tensor([1, 2], dtype=minitorch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(minitorch.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(minitorch.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"


@requires_torch
@pytest.mark.parametrize("data,dtype", [
    ([1.5, 2.25, -3.0], "float32"),
    ([[1.0, 2.0], [3.0, 4.0]], "float32"),
    ([0.1, 100.0], "float32"),
    ([1.0, 2.0], "float64"),
    ([[1, -2], [3, 40]], "int64"),
    (3.0, "float32"),
    (7, "int64"),
    ([], "float32"),
    ([True, False], "bool"),
])
def test_repr_and_str_same_as_torch(data, dtype):
    m = minitorch.tensor(data, dtype=mdt(dtype))
    t = torch.tensor(data, dtype=tdt(dtype))
    assert repr(m) == repr(t)
    assert str(m) == str(t)
