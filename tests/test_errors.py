"""Bad input: each case must raise PyTorch's exception type with a message that names the
offending shapes / dtypes / values, and never leak a numba error.

A case is (id, call, exception type, fragments).  `call(M)` runs the bad call with the
module M (minitorch, or torch for the differential check).  Each fragment is a string
that must occur in the message, or a tuple of alternatives of which one must occur
(case-insensitively for tuples, so "Float"/"float32" spellings both count).
"""
import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

try:
    from numba.core.errors import NumbaError
except ImportError:  # pragma: no cover
    NumbaError = ()

FLOAT = ("float", "float32")
DOUBLE = ("double", "float64")
LONG = ("long", "int64")
BOOL = ("bool",)
DIM_OOR = "Dimension out of range"


def _backward_twice(M):
    x = M.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _grad_unused(M):
    x = M.ones(3, requires_grad=True)
    y = M.ones(3, requires_grad=True)
    M.autograd.grad((x * 2).sum(), [x, y])


def _saved_modified(M):
    x = M.ones(3, requires_grad=True)
    a = x * 2
    b = a * a
    a.add_(1)
    b.sum().backward()


def _setitem_leaf(M):
    x = M.ones(3, requires_grad=True)
    x[0] = 2.0


def _if_tensor(M):
    if M.zeros(3, 5):
        pass


CASES = [
    # ---- matmul shapes
    ("mm_shapes", lambda M: M.mm(M.zeros(64, 784), M.zeros(512, 10)), RuntimeError,
     ["mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)"]),
    ("matmul_2d_shapes", lambda M: M.matmul(M.zeros(64, 784), M.zeros(512, 10)), RuntimeError,
     ["mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)"]),
    ("matmul_operator_shapes", lambda M: M.zeros(64, 784) @ M.zeros(512, 10), RuntimeError,
     ["mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)"]),
    ("matmul_batched_shapes", lambda M: M.zeros(2, 3, 11) @ M.zeros(2, 13, 6), RuntimeError, ["11", "13"]),
    ("matmul_matrix_vector_shapes", lambda M: M.zeros(3, 11) @ M.zeros(13), RuntimeError, ["11", "13"]),
    ("matmul_vector_vector_shapes", lambda M: M.zeros(11) @ M.zeros(13), RuntimeError, ["11", "13"]),
    ("mm_1d_input", lambda M: M.mm(M.zeros(3), M.zeros(3)), RuntimeError, []),
    ("mm_dtype_mismatch", lambda M: M.mm(M.zeros(2, 2), M.zeros(2, 2, dtype=M.float64)), RuntimeError, [DOUBLE]),
    ("matmul_float_int", lambda M: M.zeros(2, 2) @ M.zeros(2, 2, dtype=M.int64), RuntimeError, [LONG]),
    # ---- broadcasting / expand
    ("add_not_broadcastable", lambda M: M.zeros(2, 13) + M.zeros(17), RuntimeError, ["13", "17"]),
    ("mul_not_broadcastable", lambda M: M.zeros(13, 2) * M.zeros(17, 2), RuntimeError, ["13", "17"]),
    ("sub_not_broadcastable", lambda M: M.zeros(13) - M.zeros(17), RuntimeError, ["13", "17"]),
    ("compare_not_broadcastable", lambda M: M.zeros(13) < M.zeros(17), RuntimeError, ["13", "17"]),
    ("expand_incompatible", lambda M: M.zeros(2, 13).expand(4, 17), RuntimeError, ["13", "17"]),
    ("expand_fewer_dims", lambda M: M.zeros(2, 13).expand(17), RuntimeError, []),
    ("inplace_result_shape", lambda M: M.zeros(13).add_(M.zeros(2, 13)), RuntimeError, ["13"]),
    ("copy_shape", lambda M: M.zeros(13).copy_(M.zeros(17)), RuntimeError, ["13", "17"]),
    ("setitem_shape", lambda M: M.zeros(2, 13).__setitem__(0, M.ones(17)), RuntimeError, ["13", "17"]),
    # ---- view / reshape
    ("view_bad_numel", lambda M: M.zeros(3, 5).view(7), RuntimeError, ["7", "15"]),
    ("view_non_contiguous", lambda M: M.zeros(3, 4).t().view(12), RuntimeError, [("stride", "contiguous")]),
    ("view_two_minus_one", lambda M: M.zeros(6).view(-1, -1), RuntimeError, []),
    ("reshape_two_minus_one", lambda M: M.zeros(6).reshape(-1, -1), RuntimeError, []),
    ("reshape_inferred_not_divisible", lambda M: M.zeros(15).reshape(-1, 7), RuntimeError, ["15", "7"]),
    ("reshape_bad_numel", lambda M: M.zeros(3, 5).reshape(4, 4), RuntimeError, ["15", "4"]),
    ("reshape_negative_dim", lambda M: M.zeros(6).reshape(-2, 3), RuntimeError, ["-2"]),
    # ---- autograd
    ("backward_non_scalar", lambda M: (M.ones(3, requires_grad=True) * 2).backward(), RuntimeError,
     ["grad can be implicitly created only for scalar outputs"]),
    ("backward_without_grad", lambda M: M.ones(3).sum().backward(), RuntimeError,
     [("require grad", "requires grad", "requires_grad")]),
    ("backward_gradient_shape", lambda M: (M.ones(13, requires_grad=True) * 2).backward(M.ones(11)), RuntimeError,
     ["11", "13"]),
    ("backward_twice", _backward_twice, RuntimeError, ["Trying to backward through the graph a second time"]),
    ("grad_unused_input", _grad_unused, RuntimeError, [("allow_unused", "not have been used", "unused")]),
    ("saved_tensor_modified", _saved_modified, RuntimeError,
     ["one of the variables needed for gradient computation has been modified by an inplace operation"]),
    ("inplace_on_leaf", lambda M: M.ones(3, requires_grad=True).mul_(2), RuntimeError,
     ["a leaf Variable that requires grad is being used in an in-place operation"]),
    ("setitem_on_leaf", _setitem_leaf, RuntimeError, [("leaf",)]),
    ("requires_grad_flag_on_non_leaf", lambda M: (M.ones(3, requires_grad=True) * 2).requires_grad_(False),
     RuntimeError, [("leaf",)]),
    ("requires_grad_int_tensor", lambda M: M.tensor([1, 2], requires_grad=True), RuntimeError,
     [("floating point", "float")]),
    ("requires_grad_int_zeros", lambda M: M.zeros(2, dtype=M.int64, requires_grad=True), RuntimeError,
     [("floating point", "float")]),
    ("requires_grad_bool_tensor", lambda M: M.tensor([True], requires_grad=True), RuntimeError,
     [("floating point", "float")]),
    ("requires_grad_method_int", lambda M: M.tensor([1, 2]).requires_grad_(), RuntimeError,
     [("floating point", "float")]),
    ("numpy_of_requires_grad", lambda M: M.ones(2, requires_grad=True).numpy(), RuntimeError,
     [("requires grad", "requires_grad", "detach")]),
    # ---- scalars / conversion
    ("item_multi_element", lambda M: M.zeros(3, 5).item(), RuntimeError, ["15"]),
    ("item_empty", lambda M: M.zeros(0).item(), RuntimeError, ["0"]),
    ("float_multi_element", lambda M: float(M.zeros(3, 5)), ValueError, []),
    ("int_multi_element", lambda M: int(M.zeros(3, 5)), ValueError, []),
    ("bool_multi_element", _if_tensor, RuntimeError, [("ambiguous",)]),
    # ---- indexing
    ("index_out_of_range", lambda M: M.zeros(7)[11], IndexError, ["11", "7"]),
    ("index_negative_out_of_range", lambda M: M.zeros(7)[-12], IndexError, ["-12", "7"]),
    ("index_out_of_range_dim1", lambda M: M.zeros(3, 7)[1, 9], IndexError, ["9", "7"]),
    ("setitem_out_of_range", lambda M: M.zeros(7).__setitem__(11, 1.0), IndexError, ["11", "7"]),
    ("index_too_many", lambda M: M.zeros(3)[0, 0], IndexError, []),
    ("index_float", lambda M: M.zeros(3)[1.5], IndexError, [("float",)]),
    # ---- dims
    ("sum_dim_out_of_range", lambda M: M.zeros(2, 3).sum(dim=5), IndexError, [DIM_OOR, "5"]),
    ("mean_dim_out_of_range", lambda M: M.zeros(2, 3).mean(dim=-3), IndexError, [DIM_OOR, "-3"]),
    ("size_dim_out_of_range", lambda M: M.zeros(2, 3).size(5), IndexError, [DIM_OOR, "5"]),
    ("transpose_dim_out_of_range", lambda M: M.zeros(2, 3).transpose(0, 5), IndexError, [DIM_OOR, "5"]),
    ("squeeze_dim_out_of_range", lambda M: M.zeros(2, 3).squeeze(5), IndexError, [DIM_OOR, "5"]),
    ("unsqueeze_dim_out_of_range", lambda M: M.zeros(2, 3).unsqueeze(4), IndexError, [DIM_OOR, "4"]),
    ("permute_dim_out_of_range", lambda M: M.zeros(2, 3).permute(0, 5), IndexError, [DIM_OOR, "5"]),
    ("permute_duplicate_dims", lambda M: M.zeros(2, 3).permute(1, 1), RuntimeError, []),
    ("permute_wrong_length", lambda M: M.zeros(2, 3).permute(0), RuntimeError, []),
    ("cat_dim_out_of_range", lambda M: M.cat([M.zeros(2, 3), M.zeros(2, 3)], dim=4), IndexError, [DIM_OOR, "4"]),
    # ---- cat
    ("cat_mismatched_shapes", lambda M: M.cat([M.zeros(2, 13), M.zeros(2, 17)], dim=0), RuntimeError, ["13", "17"]),
    ("cat_mismatched_ndim", lambda M: M.cat([M.zeros(2, 3), M.zeros(3)]), RuntimeError, []),
    ("cat_empty_list", lambda M: M.cat([]), ValueError, []),
    # ---- dtypes
    ("int_add_float_inplace", lambda M: M.tensor([1, 2]).add_(1.5), RuntimeError, [FLOAT, LONG]),
    ("int_mul_float_tensor_inplace", lambda M: M.tensor([1, 2]).mul_(M.tensor([1.5, 2.0])), RuntimeError,
     [FLOAT, LONG]),
    ("int_div_inplace", lambda M: M.tensor([1, 2]).div_(2), RuntimeError, [FLOAT, LONG]),
    ("bool_add_int_inplace", lambda M: M.tensor([True]).add_(1), RuntimeError, [LONG, BOOL]),
    ("int32_sub_float64_inplace", lambda M: M.tensor([1], dtype=M.int32).sub_(M.tensor([1.0], dtype=M.float64)),
     RuntimeError, [DOUBLE, ("int", "int32")]),
    ("bool_sub", lambda M: M.tensor([True]) - M.tensor([False]), RuntimeError, [BOOL]),
    ("bool_neg", lambda M: -M.tensor([True]), RuntimeError, [BOOL]),
    ("mean_of_int", lambda M: M.tensor([1, 2]).mean(), RuntimeError, [LONG]),
    ("int_pow_negative_int", lambda M: M.tensor([2]) ** -1, RuntimeError, [("negative",)]),
    ("int_floordiv_zero", lambda M: M.tensor([1]) // M.tensor([0]), RuntimeError, [("zero",)]),
    ("int_floordiv_zero_scalar", lambda M: M.tensor([1, 2]) // 0, RuntimeError, [("zero",)]),
    ("dtype_is_a_string", lambda M: M.tensor([1.0], dtype="float32"), TypeError, []),
    # ---- Python objects that are not numbers
    ("tensor_list_with_str", lambda M: M.tensor([1, "a"]), TypeError, [("str",)]),
    ("tensor_of_str", lambda M: M.tensor("abc"), TypeError, [("str",)]),
    ("tensor_of_none", lambda M: M.tensor(None), RuntimeError, [("none",)]),
    ("tensor_ragged", lambda M: M.tensor([[1, 2], [3]]), ValueError, []),
    ("tensor_object_ndarray", lambda M: M.tensor(np.array([1, None], dtype=object)), TypeError, [("object",)]),
    ("from_numpy_str_array", lambda M: M.from_numpy(np.array(["a", "b"])), TypeError, [("str", "<U1")]),
    ("add_str", lambda M: M.zeros(2) + "x", TypeError, []),
    ("radd_str", lambda M: "x" + M.zeros(2), TypeError, []),
    ("add_none", lambda M: M.zeros(2) + None, TypeError, []),
    ("radd_none", lambda M: None + M.zeros(2), TypeError, []),
    ("mul_str", lambda M: M.zeros(2) * "x", TypeError, []),
    ("sub_object", lambda M: M.zeros(2) - object(), TypeError, []),
    ("add_list", lambda M: M.zeros(2) + [1, 2], TypeError, []),
    ("compare_str", lambda M: M.zeros(2) < "a", TypeError, []),
    ("matmul_str", lambda M: M.zeros(2, 2) @ "a", TypeError, []),
    ("full_str_value", lambda M: M.full((2,), "a"), TypeError, [("str",)]),
    ("setitem_str_value", lambda M: M.zeros(3).__setitem__(0, "a"), TypeError, [("str",)]),
    ("add_inplace_str", lambda M: M.zeros(2).add_("x"), TypeError, []),
    ("fill_str", lambda M: M.zeros(2).fill_("x"), TypeError, []),
    ("size_float", lambda M: M.ones((2.5, 3)), TypeError, [("float",)]),
    ("size_str", lambda M: M.ones("a"), TypeError, [("str",)]),
    # ---- creation values
    ("zeros_negative_dim", lambda M: M.zeros(-1), RuntimeError, [("negative",)]),
    ("randn_negative_dim", lambda M: M.randn(-2), RuntimeError, [("negative", "-2")]),
    ("arange_zero_step", lambda M: M.arange(0, 10, 0), RuntimeError, [("step",)]),
    ("arange_wrong_sign", lambda M: M.arange(0, -10, 1), RuntimeError, [("step", "sign")]),
    ("linspace_negative_steps", lambda M: M.linspace(0, 1, -1), RuntimeError, [("steps", "-1")]),
    ("eye_negative", lambda M: M.eye(-1), RuntimeError, ["-1"]),
    ("randint_empty_range", lambda M: M.randint(5, 5, (3,)), RuntimeError, ["5"]),
    ("bad_device", lambda M: M.zeros(2, device="foo"), RuntimeError, ["foo"]),
    # ---- in-place misc
    ("fill_with_1d_tensor", lambda M: M.zeros(3).fill_(M.zeros(2)), RuntimeError, []),
    ("clamp_without_bounds", lambda M: M.zeros(3).clamp_(), RuntimeError, [("min", "max")]),
]

_IDS = [c[0] for c in CASES]
assert len(set(_IDS)) == len(_IDS)


def _raised(call, M):
    try:
        call(M)
    except Exception as e:  # noqa: BLE001
        return e
    return None


def _check_fragments(msg, fragments):
    for frag in fragments:
        if isinstance(frag, tuple):
            assert any(f.lower() in msg.lower() for f in frag), f"message {msg!r} mentions none of {frag}"
        else:
            assert frag in msg, f"message {msg!r} lacks {frag!r}"


@pytest.mark.parametrize("name,call,exc_type,fragments", CASES, ids=_IDS)
def test_error(name, call, exc_type, fragments):
    err = _raised(call, minitorch)
    assert err is not None, f"{name}: minitorch raised nothing"
    assert isinstance(err, exc_type), f"{name}: expected {exc_type.__name__}, got {type(err).__name__}: {err}"
    assert not isinstance(err, NumbaError), f"{name}: numba error leaked: {err!r}"
    msg = str(err)
    assert "numba" not in msg.lower(), f"{name}: message mentions numba: {msg!r}"
    assert msg.strip(), f"{name}: empty message"
    _check_fragments(msg, fragments)


@requires_torch
@pytest.mark.parametrize("name,call,exc_type,fragments", CASES, ids=_IDS)
def test_error_same_type_as_torch(name, call, exc_type, fragments):
    t_err = _raised(call, torch)
    # the expectations above describe torch (a failure here is a bug in this file)
    assert t_err is not None and type(t_err) is exc_type, (name, t_err)
    _check_fragments(str(t_err), fragments)
    m_err = _raised(call, minitorch)
    assert m_err is not None and isinstance(m_err, type(t_err)), (name, m_err, t_err)


def test_mm_error_message_is_exact():
    with pytest.raises(RuntimeError) as info:
        minitorch.mm(minitorch.zeros(64, 784), minitorch.zeros(512, 10))
    assert str(info.value) == "mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)"
    with pytest.raises(RuntimeError) as info:
        minitorch.ones(2, 3) @ minitorch.ones(4, 5)
    assert str(info.value) == "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"


def test_error_leaves_operands_untouched():
    a = minitorch.tensor([1, 2])
    with pytest.raises(RuntimeError):
        a.add_(1.5)
    assert a.tolist() == [1, 2] and a.dtype == minitorch.int64
    b = minitorch.zeros(13)
    with pytest.raises(RuntimeError):
        b.add_(minitorch.ones(2, 13))
    assert b.tolist() == [0.0] * 13
    c = minitorch.zeros(7)
    with pytest.raises(IndexError):
        c[11] = 1.0
    assert c.tolist() == [0.0] * 7


def test_errors_do_not_break_later_calls():
    with pytest.raises(RuntimeError):
        minitorch.zeros(2, 13) + minitorch.zeros(17)
    with pytest.raises(RuntimeError):
        minitorch.mm(minitorch.zeros(2, 3), minitorch.zeros(4, 5))
    assert minitorch.is_grad_enabled()
    assert (minitorch.ones(2, 3) + minitorch.ones(3)).tolist() == [[2.0] * 3] * 2
    assert (minitorch.ones(2, 3) @ minitorch.ones(3, 1)).tolist() == [[3.0], [3.0]]


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2, dtype=lib.int32).mean(),
    lambda lib: lib.zeros(2, dtype=lib.uint8).mean(),
    lambda lib: lib.zeros(2, dtype=lib.int64).norm(),
    lambda lib: lib.where(lib.zeros(2, dtype=lib.int64), lib.ones(2), lib.ones(2)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.zeros(2, 3, dtype=lib.int64)),
])
def test_messages_name_dtypes_as_torch_does(call):
    """PyTorch names dtypes in messages as 'Long', 'Int', 'Byte' ...; so does minitorch."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)) as got:
        call(minitorch)
    assert str(got.value) == str(expected.value)
