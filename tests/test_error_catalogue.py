"""The catalogue of errors you may see: one bad call per row, across the public API.

Each row is (case id, area, code, exception type, message regex, torch).  `code` is a
snippet written against ``torch`` - it runs with ``torch`` bound to minitorch, and, when
``torch`` is True and PyTorch is installed, with ``torch`` bound to PyTorch too, which must
raise the same exception type.  The regex must match minitorch's message and names the
offending value, shape, dtype or device.

docs/errors.md is generated from this table (`errors_markdown()`), and docs/api.md from
the docstrings (`scripts/gen_api_reference.py`); tests below keep both up to date.
"""
import importlib.util
import io
import os
import pickle
import re
import sys
import zipfile
from pathlib import Path

import pytest

import minitorch
from tests._compat import requires_torch, torch as real_torch

ROOT = Path(__file__).resolve().parent.parent
ERRORS_MD = ROOT / "docs" / "errors.md"
API_MD = ROOT / "docs" / "api.md"


class _RunsShell:
    """A pickle payload that would run a shell command if a loader trusted it."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


def _zip_checkpoint(data_pkl: bytes) -> io.BytesIO:
    """A PyTorch-layout checkpoint archive around the given data.pkl."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/version", "3\n")
    buffer.seek(0)
    return buffer


# Names the snippets may use besides `torch`.
_NAMESPACE = {"io": io, "pickle": pickle, "_RunsShell": _RunsShell, "_zip_checkpoint": _zip_checkpoint}

# (id, area, code, exception, message regex, torch raises the same type)
CASES = [
    # ---- tensor ops
    ("mm_shapes", "tensor", "torch.mm(torch.zeros(64, 784), torch.zeros(512, 10))", RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(64x784 and 512x10\)", True),
    ("matmul_batched_shapes", "tensor", "torch.zeros(2, 3, 11) @ torch.zeros(2, 13, 6)", RuntimeError,
     r"11.*13|13.*11", True),
    ("add_not_broadcastable", "tensor", "torch.zeros(2, 13) + torch.zeros(17)", RuntimeError,
     r"size of tensor a \(13\) must match the size of tensor b \(17\)", True),
    ("expand_incompatible", "tensor", "torch.zeros(2, 13).expand(4, 17)", RuntimeError, r"13.*17|17.*13", True),
    ("view_bad_numel", "tensor", "torch.zeros(3, 5).view(7)", RuntimeError, r"\[7\].*15", True),
    ("view_non_contiguous", "tensor", "torch.zeros(3, 4).t().view(12)", RuntimeError, r"stride", True),
    ("reshape_bad_numel", "tensor", "torch.zeros(3, 5).reshape(4, 4)", RuntimeError, r"\[4, 4\].*15", True),
    ("sum_dim_out_of_range", "tensor", "torch.zeros(2, 3).sum(dim=5)", IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)", True),
    ("index_out_of_range", "tensor", "torch.zeros(7)[11]", IndexError, r"index 11 is out of bounds.*size 7", True),
    ("cat_mismatched_shapes", "tensor", "torch.cat([torch.zeros(2, 13), torch.zeros(2, 17)], dim=0)", RuntimeError,
     r"Expected size 13 but got size 17", True),
    ("item_multi_element", "tensor", "torch.zeros(3, 5).item()", RuntimeError, r"15 elements", True),
    ("int_inplace_add_float", "tensor", "torch.tensor([1, 2]).add_(1.5)", RuntimeError,
     r"result type Float can't be cast to the desired output type Long", True),
    ("mean_of_int", "tensor", "torch.tensor([1, 2]).mean()", RuntimeError, r"Long", True),
    ("mm_dtype_mismatch", "tensor", "torch.mm(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.float64))",
     RuntimeError, r"(?i)float.*double|double.*float", True),
    ("requires_grad_int", "tensor", "torch.tensor([1, 2], requires_grad=True)", RuntimeError,
     r"floating point", True),
    ("backward_non_scalar", "autograd", "(torch.ones(3, requires_grad=True) * 2).backward()", RuntimeError,
     r"grad can be implicitly created only for scalar outputs", True),
    ("backward_without_grad", "autograd", "torch.ones(3).sum().backward()", RuntimeError,
     r"does not require grad", True),
    ("inplace_on_leaf", "autograd", "torch.ones(3, requires_grad=True).mul_(2)", RuntimeError,
     r"a leaf Variable that requires grad is being used in an in-place operation", True),
    ("zeros_negative_dim", "tensor", "torch.zeros(2, -3)", RuntimeError, r"zeros: Dimension size must be non-negative",
     True),
    ("empty_too_large", "tensor", "torch.empty(2 ** 58)", RuntimeError,
     r"DefaultCPUAllocator: can't allocate memory: you tried to allocate 1152921504606846976 bytes", True),
    ("linear_bias_size", "tensor", "torch.nn.functional.linear(torch.randn(2, 3), torch.randn(4, 3), torch.randn(5))",
     RuntimeError, r"The expanded size of the tensor \(4\) must match the existing size \(5\)", True),
    ("tensor_of_str", "tensor", "torch.tensor('abc')", TypeError, r"str", True),
    ("bad_device_string", "devices", "torch.zeros(2, device='foo')", RuntimeError, r"foo", True),
    # ---- devices (PyTorch's CPU build raises AssertionError("Torch not compiled with CUDA enabled"))
    ("cuda_tensor", "devices", "torch.ones(2, device='cuda')", RuntimeError, r"CUDA is not available: .*no NVIDIA GPU", False),
    ("tensor_cuda", "devices", "torch.ones(2).cuda()", RuntimeError, r"CUDA is not available: .*no NVIDIA GPU", False),
    ("tensor_to_cuda", "devices", "torch.ones(2).to('cuda')", RuntimeError, r"CUDA is not available: .*no NVIDIA GPU", False),
    ("module_cuda", "devices", "torch.nn.Linear(2, 2).cuda()", RuntimeError, r"CUDA is not available: .*no NVIDIA GPU", False),
    ("device_unknown_type", "devices", "torch.device('tpu')", RuntimeError, r"device string: tpu", True),
    ("device_negative_index", "devices", "torch.device('cpu', -1)", RuntimeError,
     r"Device index must not be negative", True),
    ("to_dtype_name_as_device", "devices", "torch.ones(2).to('float32')", RuntimeError,
     r"Invalid device string: 'float32'", True),
    # ---- modules
    ("linear_negative_features", "nn", "torch.nn.Linear(-1, 4)", RuntimeError,
     r"Trying to create tensor with negative dimension -1: \[4, -1\]", True),
    ("embedding_float_indices", "nn", "torch.nn.Embedding(3, 2)(torch.tensor([1.0]))", RuntimeError,
     r"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
     r"torch\.FloatTensor instead", True),
    ("linear_in_features", "nn", "torch.nn.Linear(3, 4)(torch.ones(2, 5))", RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 3x4\)", True),
    ("conv2d_channels", "nn", "torch.nn.Conv2d(3, 4, 3)(torch.ones(1, 2, 8, 8))", RuntimeError,
     r"expected input\[1, 2, 8, 8\] to have 3 channels, but got 2 channels", True),
    ("conv2d_input_rank", "nn", "torch.nn.Conv2d(3, 4, 3)(torch.ones(2, 8))", RuntimeError,
     r"got input of size: \[2, 8\]", True),
    ("conv2d_kernel_too_big", "nn", "torch.nn.Conv2d(3, 4, 5)(torch.ones(1, 3, 2, 2))", RuntimeError,
     r"\(2 x 2\).*Kernel size: \(5 x 5\)", True),
    ("conv2d_groups", "nn", "torch.nn.Conv2d(3, 4, 3, groups=2)", ValueError,
     r"in_channels must be divisible by groups", True),
    ("load_state_dict_missing", "nn",
     "m = torch.nn.Linear(2, 3); sd = m.state_dict(); del sd['bias']; m.load_state_dict(sd)", RuntimeError,
     r'Missing key\(s\) in state_dict: "bias"', True),
    ("load_state_dict_unexpected", "nn",
     "m = torch.nn.Linear(2, 3); sd = m.state_dict(); sd['extra'] = torch.ones(1); m.load_state_dict(sd)",
     RuntimeError, r'Unexpected key\(s\) in state_dict: "extra"', True),
    ("load_state_dict_size_mismatch", "nn", "torch.nn.Linear(2, 3).load_state_dict(torch.nn.Linear(2, 4).state_dict())",
     RuntimeError, r"size mismatch for weight: copying a param with shape torch.Size\(\[4, 2\]\)", True),
    ("batchnorm_channels", "nn", "torch.nn.BatchNorm2d(3)(torch.ones(2, 4, 2, 2))", RuntimeError,
     r"running_mean should contain 4 elements not 3", True),
    ("embedding_index", "nn", "torch.nn.Embedding(3, 2)(torch.tensor([5]))", IndexError, r"index out of range", True),
    ("dropout_p", "nn", "torch.nn.Dropout(p=1.5)", ValueError, r"between 0 and 1, but got 1.5", True),
    ("sequential_index", "nn", "torch.nn.Sequential(torch.nn.ReLU())[3]", IndexError, r"index 3 is out of range", True),
    ("module_attribute_typo", "nn", "torch.nn.Linear(2, 2).weightt", AttributeError,
     r"'Linear' object has no attribute 'weightt'", True),
    ("register_parameter_plain_tensor", "nn", "torch.nn.Module().register_parameter('w', torch.ones(2))", TypeError,
     r"cannot assign 'torch.FloatTensor' object to parameter 'w'", True),
    ("max_pool_output_empty", "nn", "torch.nn.functional.max_pool2d(torch.ones(1, 1, 2, 2), 3)", RuntimeError,
     r"Given input size: \(1x2x2\)\. Calculated output size: \(1x0x0\)", True),
    ("one_hot_class_too_big", "nn", "torch.nn.functional.one_hot(torch.tensor([3]), 2)", RuntimeError,
     r"Class values must be smaller than num_classes", True),
    ("init_fan_of_vector", "nn", "torch.nn.init.kaiming_uniform_(torch.ones(2))", ValueError,
     r"fewer than 2 dimensions", True),
    ("init_unknown_nonlinearity", "nn", "torch.nn.init.calculate_gain('bogus')", ValueError,
     r"Unsupported nonlinearity bogus", True),
    # ---- losses
    ("cross_entropy_float_target", "losses",
     "torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0.0, 1.0]))", RuntimeError,
     r"expected target dtype to be Long or Byte, but got Float", True),
    ("cross_entropy_class_out_of_range", "losses",
     "torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0, 7]))", IndexError,
     r"Target 7 is out of bounds", True),
    ("nll_loss_negative_class", "losses", "torch.nn.functional.nll_loss(torch.ones(2, 3), torch.tensor([0, -5]))",
     IndexError, r"Target -5 is out of bounds", True),
    ("cross_entropy_batch_size", "losses",
     "torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0, 1, 2]))", ValueError,
     r"input batch_size \(2\) to match target batch_size \(3\)", True),
    ("bce_input_out_of_range", "losses",
     "torch.nn.functional.binary_cross_entropy(torch.ones(2) * 2, torch.ones(2))", RuntimeError,
     r"all elements of input should be between 0 and 1", True),
    ("bce_target_out_of_range", "losses",
     "torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, 0.5, 0.5]), torch.tensor([0., 1., 2.]))",
     RuntimeError, r"all elements of target should be between 0 and 1", True),
    ("bce_target_size", "losses",
     "torch.nn.functional.binary_cross_entropy(torch.ones(2) * 0.5, torch.ones(3))", ValueError,
     r"target size \(torch.Size\(\[3\]\)\).*input size \(torch.Size\(\[2\]\)\)", True),
    ("loss_bad_reduction", "losses",
     "torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0, 1]), reduction='avg')", ValueError,
     r"avg is not a valid value for reduction", True),
    # ---- optimizers
    ("optimizer_empty_params", "optim", "torch.optim.SGD([], lr=0.1)", ValueError,
     r"optimizer got an empty parameter list", True),
    ("optimizer_non_leaf", "optim", "torch.optim.SGD([torch.ones(2, requires_grad=True) * 2], lr=0.1)", ValueError,
     r"can't optimize a non-leaf Tensor", True),
    ("optimizer_negative_lr", "optim", "torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=-0.1)", ValueError,
     r"Invalid learning rate: -0.1", True),
    ("optimizer_tensor_not_iterable", "optim", "torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1)",
     TypeError, r"should be an iterable of Tensors or dicts, but got torch.FloatTensor", True),
    ("adam_bad_beta", "optim", "torch.optim.Adam([torch.ones(2, requires_grad=True)], betas=(1.5, 0.9))",
     ValueError, r"Invalid beta parameter at index 0: 1.5", True),
    ("sgd_nesterov_without_momentum", "optim", "torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.1, "
     "nesterov=True)", ValueError, r"Nesterov momentum requires a momentum and zero dampening", True),
    ("scheduler_not_an_optimizer", "optim", "torch.optim.lr_scheduler.StepLR('sgd', 1)", TypeError,
     r"str is not an Optimizer", True),
    ("lambdalr_wrong_count", "optim", "torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD("
     "[torch.ones(1, requires_grad=True)], lr=0.1), [lambda e: 1, lambda e: 1])", ValueError,
     r"Expected 1 lr_lambdas, but got 2", True),
    # ---- data
    ("dataloader_batch_size_zero", "data", "torch.utils.data.DataLoader([1, 2, 3], batch_size=0)", ValueError,
     r"batch_size should be a positive integer value, but got batch_size=0", True),
    ("dataloader_sampler_and_shuffle", "data",
     "torch.utils.data.DataLoader([1, 2, 3], sampler=[0, 1], shuffle=True)", ValueError,
     r"sampler option is mutually exclusive with shuffle", True),
    ("dataloader_negative_workers", "data", "torch.utils.data.DataLoader([1, 2, 3], num_workers=-1)", ValueError,
     r"num_workers option should be non-negative", True),
    ("random_split_bad_lengths", "data", "torch.utils.data.random_split(range(10), [3, 4])", ValueError,
     r"Sum of input lengths does not equal the length of the input dataset", True),
    ("random_sampler_zero_samples", "data", "torch.utils.data.RandomSampler([1, 2], num_samples=0)", ValueError,
     r"num_samples=0", True),
    # ---- datasets (torchvision is not a dependency: minitorch only)
    ("mnist_missing_root", "datasets", "torch.vision.datasets.MNIST('/nonexistent/mnist-root', download=False)",
     RuntimeError, r"Dataset not found\. You can use download=True", False),
    # ---- save / load
    ("save_unpicklable_object", "serialization", "torch.save(lambda x: x, io.BytesIO())", pickle.PicklingError,
     r"Can't pickle <function <lambda>", True),
    ("save_missing_directory", "serialization", "torch.save(torch.ones(2), '/nonexistent/dir/ckpt.pt')",
     RuntimeError, r"Parent directory /nonexistent/dir does not exist\.", True),
    ("load_corrupt_file", "serialization", "torch.load(io.BytesIO(b'definitely not a checkpoint'))",
     pickle.UnpicklingError, r"not a minitorch or PyTorch checkpoint.*b'definitely not a", True),
    ("load_empty_file", "serialization", "torch.load(io.BytesIO(b''))", EOFError, r"is empty", True),
    ("load_malicious_pickle", "serialization",
     "torch.load(_zip_checkpoint(pickle.dumps({'w': _RunsShell()}, protocol=2)))", pickle.UnpicklingError,
     r"GLOBAL (posix|nt|os)\.system was not an allowed global", True),
    ("load_missing_file", "serialization", "torch.load('/nonexistent/ckpt.pt')", FileNotFoundError,
     r"/nonexistent/ckpt\.pt", True),
    # ---- distributed
    ("all_reduce_before_init", "distributed", "torch.distributed.all_reduce(torch.ones(2))", ValueError,
     r"Default process group has not been initialized", True),
    ("get_rank_before_init", "distributed", "torch.distributed.get_rank()", ValueError,
     r"Default process group has not been initialized", True),
    ("init_unknown_backend", "distributed", "torch.distributed.init_process_group(backend='bogus')", RuntimeError,
     r"backend='bogus'", False),
]

_IDS = [case[0] for case in CASES]


def run_snippet(code: str, module) -> None:
    """Run one catalogue snippet with `torch` bound to `module`."""
    exec(code, {**_NAMESPACE, "torch": module})  # noqa: S102 - the snippets are this file's own table


def _raised(code: str, module):
    try:
        run_snippet(code, module)
    except Exception as exc:  # noqa: BLE001 - the type is what the catalogue checks
        return exc
    return None


def test_catalogue_is_large_and_ids_unique():
    assert len(CASES) >= 50
    assert len(set(_IDS)) == len(_IDS)


@pytest.mark.parametrize("cid,area,code,exc_type,pattern,same_in_torch", CASES, ids=_IDS)
def test_error(cid, area, code, exc_type, pattern, same_in_torch, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)  # the malicious pickle would `touch pwned` here
    if area == "devices":
        request.getfixturevalue("no_cuda")  # the catalogue shows what a machine without a GPU says
    err = _raised(code, minitorch)
    assert err is not None, f"{cid}: minitorch raised nothing for {code}"
    assert isinstance(err, exc_type), f"{cid}: expected {exc_type.__name__}, got {type(err).__name__}: {err}"
    assert re.search(pattern, str(err)), f"{cid}: message {str(err)!r} does not match {pattern!r}"
    assert "numba" not in str(err).lower()
    assert not (tmp_path / "pwned").exists()


@requires_torch
@pytest.mark.parametrize("cid,area,code,exc_type,pattern,same_in_torch",
                         [c for c in CASES if c[5]], ids=[c[0] for c in CASES if c[5]])
def test_torch_raises_the_same_type(cid, area, code, exc_type, pattern, same_in_torch, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _raised(code, real_torch)
    assert err is not None and type(err) is exc_type, f"{cid}: torch raised {err!r}"


# ---------------------------------------------------------------------------
# docs/errors.md
# ---------------------------------------------------------------------------
_AREA_TITLES = {"tensor": "Tensors", "autograd": "Autograd", "devices": "Devices", "nn": "Modules and nn.functional",
                "losses": "Losses", "optim": "Optimizers and schedulers", "data": "Data loading",
                "datasets": "Datasets", "serialization": "Saving and loading", "distributed": "Distributed"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_POLICY = """\
# Errors you may see

Generated from `tests/test_error_catalogue.py` (the test fails when this page is stale;
regenerate with `python -m tests.test_error_catalogue`).

## The policy

A script ported from PyTorch must fail the way it fails in PyTorch: the same exception
type, with PyTorch's message (or its key words) naming the offending value, shape, dtype
or device, raised at the call that caused it. Never a NumPy, numba or zlib exception from
deep inside, and never a silent wrong result.

- **Validation at the API boundary.** Each op checks its arguments where it is declared
  (`minitorch/_ops/`, `_creation.py`, `random.py`, `nn/`): argument types (`TypeError`,
  worded as PyTorch's argument parser: `zeros(): argument 'dtype' must be torch.dtype, not
  str`), shapes and dtypes (`RuntimeError`), values (`ValueError`, or `RuntimeError` where
  PyTorch uses it: `all elements of target should be between 0 and 1`), indices and dims
  (`IndexError`), dtypes a kernel has no version for (`NotImplementedError: "..." not
  implemented for 'Long'`). Sizes are checked before anything is allocated: a negative size
  (`zeros: Dimension size must be non-negative.`), a byte count no int64 holds (`Storage size
  calculation overflowed with sizes=[...]`).
- **The op table reports what only it can meet** (`minitorch/_backends/_table_errors.py`,
  the `@torch_errors` decorator on the CPU table): an allocation the machine can't make, by
  any op, is PyTorch's `RuntimeError: DefaultCPUAllocator: can't allocate memory: you tried
  to allocate N bytes`; a numba kernel with no version for a dtype (float16 on the CPU) is
  `NotImplementedError: "softmax" not implemented for 'Half'`. No check in each op: the
  table's methods carry a wrapper, except the ones every op's forward calls (`HOT`: a
  wrapper cost 0.3 µs of an `a + b`), whose errors `Function.apply` and the backward engine
  translate on the way out (a `try` costs nothing until something is raised).
- **Python numbers as PyTorch converts them.** An int operand of an integer tensor wraps,
  C-style, in arithmetic and comparisons (`uint8_tensor - 1`, `uint8_tensor == 263`), and is
  checked where PyTorch checks it (`fill_`, `full`, `masked_fill`, `clamp`, integer `pow`:
  `value cannot be converted to type uint8_t without overflow`); an int no 64-bit integer
  holds is PyTorch's `OverflowError: int too big to convert`.
- **Two kinds where PyTorch's kind is an accident.** Where PyTorch raises an exception that
  its implementation happens to produce (`AttributeError` from a Python-level loss given a
  list, `pickle.UnpicklingError` for a file that is no checkpoint, `EOFError` for an empty
  one, `OverflowError` for a huge int), minitorch's exception is of both kinds
  (`NotATensorError(TypeError, AttributeError)`, `NotACheckpointError(RuntimeError,
  UnpicklingError)`, `EmptyCheckpointError(RuntimeError, EOFError)`,
  `UnsupportedObjectError(TypeError, PicklingError)`, `IntegerOverflowError(OverflowError,
  RuntimeError)`), so that a ported `except` clause still catches it and the message can
  say what is wrong.
- **Warnings as PyTorch's:** an implicit softmax dim, a loss target of another size,
  `torch.tensor(a_tensor)`, a scheduler stepped before its optimizer.

## How it is tested

- `tests/test_misuse_catalogue.py` runs over 600 bad calls (`tests/_misuse_cases.py`:
  creation, indexing, shapes, arithmetic, reductions, matmul, in-place ops, autograd, nn
  modules, losses, optimizers, data loading, save/load, allocation failures of ops) against
  minitorch and, where installed, PyTorch 2.13: the same exception type, PyTorch's message
  fragment in minitorch's, no raw NumPy or numba text.
- `tests/test_bad_input_sweep.py` feeds bad values (wrong types, negative, huge and
  overflowing sizes, NaN and inf, wrong dtypes, empty, 0-d and non-contiguous tensors) to
  every function of `minitorch` and `nn.functional` and every Tensor method (hypothesis,
  derandomised); only `TypeError`, `ValueError`, `RuntimeError`, `IndexError` and
  `NotImplementedError` may come out, raised by minitorch (not from inside NumPy or
  numba), and no call may hang.
- The table below (this file's own catalogue) is the short list, with the patterns of
  minitorch's messages.

## Known differences

None left in the catalogues: a hook's result is checked as PyTorch checks it, reading
`.grad` of a non-leaf warns, and `out=` refuses a dtype the result can't be cast to.
float16 runs only where NumPy computes (the numba kernels have
no half version: a clear `NotImplementedError`).

## The catalogue

Each row is a bad call, the exception minitorch raises, and a pattern of its message.
Calls are written with `import minitorch as torch`; 'yes' in the last column means
PyTorch raises the same exception type for the same call (the test checks it when
PyTorch is installed).
"""


def errors_markdown() -> str:
    """docs/errors.md: the policy, then the catalogue generated from CASES."""
    lines = _POLICY.splitlines() + [""]
    for area, title in _AREA_TITLES.items():
        rows = [c for c in CASES if c[1] == area]
        if not rows:
            continue
        lines += [f"### {title}", "", "| case | call | exception | message matches | same in PyTorch |",
                  "|---|---|---|---|---|"]
        for cid, _, code, exc_type, pattern, same in rows:
            lines.append(f"| {cid} | `{_cell(code)}` | {exc_type.__name__} | `{_cell(pattern)}` | "
                         f"{'yes' if same else 'no'} |")
        lines.append("")
    return "\n".join(lines)


def test_every_area_has_a_title():
    assert {c[1] for c in CASES} <= set(_AREA_TITLES)


def test_errors_md_matches_the_catalogue():
    assert ERRORS_MD.read_text() == errors_markdown(), "docs/errors.md is stale: python -m tests.test_error_catalogue"


# ---------------------------------------------------------------------------
# docs/api.md
# ---------------------------------------------------------------------------
def _api_generator():
    spec = importlib.util.spec_from_file_location("gen_api_reference", ROOT / "scripts" / "gen_api_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_md_is_up_to_date():
    assert API_MD.read_text() == _api_generator().api_markdown(), \
        "docs/api.md is stale: python scripts/gen_api_reference.py"


def test_every_public_name_has_a_docstring():
    missing = _api_generator().names_without_docstring()
    assert not missing, f"{len(missing)} public names lack a docstring: {missing}"


if __name__ == "__main__":
    ERRORS_MD.write_text(errors_markdown())
    print(f"wrote {ERRORS_MD.relative_to(ROOT)}", file=sys.stderr)
