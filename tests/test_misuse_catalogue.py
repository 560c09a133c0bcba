"""Misuse, side by side with PyTorch: every bad call of the catalogue (tests/_misuse_cases.py,
over 600 of them: creation, indexing, shapes, arithmetic, reductions, matmul, in-place ops,
autograd, nn modules, losses, optimizers, data loading, save/load, allocation failures)
raises PyTorch's exception type in minitorch, with PyTorch's message or its key fragment,
and never a NumPy or numba error. Where PyTorch is installed, each row is also checked
against it, so the table cannot drift from what PyTorch does.

Warnings PyTorch gives for misuse are checked the same way (WARN_CASES).
"""
import io
import pickle
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch
from tests._misuse_cases import CASES

# What a raw NumPy or numba error says (such a message reaching the user is a bug).
_RAW = ("numpy._core", "numpy.core", "numba", "ufunc", "operands could not be broadcast", "zero-size array", "array is too big",
        "Unable to allocate", "for axis", "object has no attribute '_", "ndarray' object")


def _namespace(module) -> dict:
    data = module.utils.data

    class _Iterable(data.IterableDataset):
        def __iter__(self):
            return iter([1, 2])

    return {"torch": module, "nn": module.nn, "F": module.nn.functional, "optim": module.optim, "data": data,
            "np": np, "io": io, "pickle": pickle, "_Iterable": _Iterable}


def raised(code: str, module):
    """The exception code raises with torch bound to module (None when it raises nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, _namespace(module))  # noqa: S102 - the catalogue's own rows
        except Exception as error:  # noqa: BLE001 - the type is what the catalogue checks
            return error
    return None


def check_clear(error: BaseException, cid: str) -> None:
    """A message that says something, and nothing of NumPy's or numba's internals."""
    message = str(error)
    assert message.strip() or isinstance(error, (KeyError, EOFError)), f"{cid}: empty message"
    if not isinstance(error, (FileNotFoundError, IsADirectoryError)):
        for raw in _RAW:
            assert raw not in message, f"{cid}: a raw message reached the user: {message!r}"


_IDS = [case[0] for case in CASES]


def _in_a_scratch_directory(cid: str, request) -> None:
    """save/load rows run in a temporary directory (whatever they write lands there)."""
    if cid.startswith(("save", "load")):
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))


def test_the_catalogue_is_large_unique_and_covers_every_area():
    assert len(CASES) >= 150
    assert len(set(_IDS)) == len(_IDS)
    prefixes = {cid.split("_")[0] for cid in _IDS}
    for area in ("create", "index", "view", "add", "sum", "mm", "inplace", "backward", "linear", "conv2d",
                 "bce", "ce", "nll", "sgd", "adam", "dl", "save", "load", "oom"):
        assert area in prefixes, f"no case for {area}"


@pytest.mark.parametrize("cid,code,exc_type,fragment", CASES, ids=_IDS)
def test_minitorch_raises_torchs_exception(cid, code, exc_type, fragment, request):
    _in_a_scratch_directory(cid, request)
    error = raised(code, minitorch)
    assert error is not None, f"{cid}: minitorch raised nothing for {code}"
    assert isinstance(error, exc_type), f"{cid}: expected {exc_type.__name__}, got {type(error).__name__}: {error}"
    if fragment is not None:
        assert fragment in str(error), f"{cid}: {str(error)!r} lacks PyTorch's {fragment!r}"
    check_clear(error, cid)


@requires_torch
@pytest.mark.parametrize("cid,code,exc_type,fragment", CASES, ids=_IDS)
def test_the_row_is_what_torch_does(cid, code, exc_type, fragment, request):
    _in_a_scratch_directory(cid, request)
    error = raised(code, torch)
    assert type(error) is exc_type, f"{cid}: torch raised {error!r}"
    if fragment is not None:
        assert fragment in str(error), f"{cid}: torch's message {str(error)!r} lacks {fragment!r}"


def test_allocation_failures_name_the_bytes_as_torch_does():
    """An allocation no machine can make fails with PyTorch's allocator message and byte count,
    from a creation function and from an op's result alike; nothing is left half-made."""
    for make in (lambda: minitorch.empty(2 ** 58), lambda: minitorch.ones(1).expand(2 ** 58) + 1,
                 lambda: minitorch.ones(1).expand(2 ** 58).double()):
        with pytest.raises(RuntimeError, match=r"DefaultCPUAllocator: can't allocate memory: you tried to "
                                               r"allocate \d+ bytes") as info:
            make()
        assert not isinstance(info.value, MemoryError)
    with pytest.raises(RuntimeError) as info:
        minitorch.ones(1).expand(2 ** 58).double()
    assert f"allocate {2 ** 58 * 8} bytes" in str(info.value)
    with pytest.raises(RuntimeError, match=r"Storage size calculation overflowed with sizes=\[4611686018427387904, "
                                           r"4611686018427387904, 0\]"):
        minitorch.zeros(2 ** 62, 2 ** 62, 0)  # an overflow in a partial product counts, as in PyTorch
    assert minitorch.zeros(2 ** 40, 0).shape == (2 ** 40, 0)  # no overflow, no memory: fine


# ----- warnings ---------------------------------------------------------------------------------
WARN_CASES = [
    ("softmax_implicit_dim", "F.softmax(torch.ones(2, 3))", UserWarning,
     "Implicit dimension choice for softmax has been deprecated"),
    ("log_softmax_implicit_dim", "F.log_softmax(torch.ones(2, 3))", UserWarning,
     "Implicit dimension choice for log_softmax has been deprecated"),
    ("mse_target_size", "F.mse_loss(torch.ones(2, 1), torch.ones(2))", UserWarning,
     "Using a target size (torch.Size([2])) that is different to the input size (torch.Size([2, 1]))"),
    ("l1_target_size", "F.l1_loss(torch.ones(2, 1), torch.ones(2))", UserWarning,
     "Using a target size (torch.Size([2])) that is different to the input size"),
    ("tensor_of_a_tensor", "torch.tensor(torch.ones(2))", UserWarning,
     "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone()"),
    ("new_tensor_of_a_tensor", "torch.ones(2).new_tensor(torch.ones(2))", UserWarning,
     "To copy construct from a tensor"),
    ("grad_of_non_leaf", "x = torch.ones(2, requires_grad=True); (x * 2).grad", UserWarning,
     "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"),
    ("scheduler_before_optimizer", "p = torch.ones(2, requires_grad=True); o = optim.SGD([p], lr=0.1); "
     "s = optim.lr_scheduler.StepLR(o, 1); s.step()", UserWarning,
     "Detected call of `lr_scheduler.step()` before `optimizer.step()`"),
]


def _warned(code: str, module) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(code, _namespace(module))  # noqa: S102
    return caught


@pytest.mark.parametrize("cid,code,category,fragment", WARN_CASES, ids=[c[0] for c in WARN_CASES])
def test_minitorch_warns_as_torch(cid, code, category, fragment):
    caught = _warned(code, minitorch)
    assert any(issubclass(w.category, category) and fragment in str(w.message) for w in caught), \
        f"{cid}: no {category.__name__} with {fragment!r} in {[str(w.message) for w in caught]}"


@requires_torch
@pytest.mark.parametrize("cid,code,category,fragment", WARN_CASES, ids=[c[0] for c in WARN_CASES])
def test_the_warning_is_what_torch_does(cid, code, category, fragment):
    caught = _warned(code, torch)
    assert any(issubclass(w.category, category) and fragment in str(w.message) for w in caught), cid
