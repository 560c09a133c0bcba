"""What minitorch does not have yet, said clearly at the line that asks for it.

A PyTorch program that reaches for one of these names gets a ``NotImplementedError`` naming it
and what to do instead, not an ``AttributeError`` from deep inside. The error is also an
``AttributeError``, so ``hasattr(torch, "fft")`` and ``getattr(torch, "compile", None)`` still
answer "no" as a script that probes for optional features expects.

The table below is also docs/porting-from-pytorch.md's "What is not supported yet" section
(tests/test_unsupported.py keeps the two equal and checks that every entry raises).
"""
from __future__ import annotations

# "name" (relative to torch: "fft", "Tensor.stft", "nn.Bilinear") -> what to do instead.
UNSUPPORTED: dict[str, str] = {
    # ---- whole namespaces
    "fft": "use numpy.fft on t.numpy() and wrap the result with minitorch.from_numpy (no autograd)",
    "sparse": "minitorch has dense tensors only: keep the tensor dense",
    "nested": "pad the sequences to one length (nn.utils.rnn.pad_sequence) instead of a nested tensor",
    "masked": "use torch.where or masked_fill with an ordinary tensor",
    "quantization": "train and run in float32; quantization is not available",
    "ao": "train and run in float32; quantization and pruning are not available",
    "fx": "symbolic tracing is not available; minitorch runs the module's Python forward as written",
    "export": "minitorch.onnx.export writes a model for other runtimes",
    "vmap": "write the batched computation directly (a leading batch dimension) or loop in Python",
    "jit": "minitorch runs Python modules directly: drop torch.jit.script/trace; minitorch.onnx.export writes a portable model",
    "profiler": "time steps with time.perf_counter(); benchmarks/ shows how minitorch measures",
    "mps": "minitorch runs on cpu and cuda; torch.backends.mps.is_available() says False",
    "xpu": "minitorch runs on cpu and cuda",
    # ---- torch.func (functional_call is minitorch.func's)
    "func.jacfwd": "use minitorch.func.jacrev(f) (reverse mode, the same Jacobian)",
    "func.hessian": "use minitorch.func.jacrev(minitorch.func.jacrev(f)), or minitorch.autograd.functional.hessian(f, x)",
    "func.jvp": "use minitorch.autograd.functional.jvp(f, x, v)",
    "func.linearize": "call minitorch.autograd.functional.jvp(f, x, v) for each tangent v",
    "func.vmap": "write the batched computation directly (a leading batch dimension) or loop in Python",
    "func.functionalize": "minitorch runs the function as written: drop functionalize",
    "func.stack_module_state": "loop over the models, or minitorch.stack their parameters yourself",
    "func.replace_all_batch_norm_modules_": "only vmap needs it: construct the BatchNorm layers with track_running_stats=False for the same effect",
    "func.debug_unwrap": "minitorch has no functorch wrappers: use the tensor itself",
    # ---- torch.special (the rest of it is minitorch.special)
    "special.gammainc": "use scipy.special.gammainc on t.numpy() (no autograd)",
    "special.gammaincc": "use scipy.special.gammaincc on t.numpy() (no autograd)",
    # ---- dtypes
    "bfloat16": "use float32 (or float16 where NumPy computes)",
    "complex64": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "complex128": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "cfloat": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "cdouble": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "view_as_complex": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "view_as_real": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "polar": "complex tensors are not available: compute abs * cos(angle) and abs * sin(angle) as two tensors",
    # ---- linear algebra and signal functions at the top level
    "stft": "use numpy or scipy.signal on t.numpy() (no autograd)",
    "istft": "use numpy or scipy.signal on t.numpy() (no autograd)",
    "lstsq": "use numpy.linalg.lstsq on t.numpy() (no autograd)",
    "linalg.eig": "complex eigenvalues are not available: use linalg.eigh for a symmetric matrix, or numpy.linalg.eig on t.numpy() (no autograd)",
    "linalg.eigvals": "complex eigenvalues are not available: use linalg.eigvalsh for a symmetric matrix, or numpy.linalg.eigvals on t.numpy() (no autograd)",
    "linalg.ldl_factor": "the LDL factorization is not available: use linalg.cholesky (positive-definite) or linalg.eigh",
    "linalg.ldl_factor_ex": "the LDL factorization is not available: use linalg.cholesky_ex (positive-definite) or linalg.eigh",
    "linalg.ldl_solve": "the LDL factorization is not available: use linalg.solve",
    "lobpcg": "use scipy.sparse.linalg.lobpcg on t.numpy()",
    # ---- Tensor methods
    "Tensor.stft": "use numpy or scipy.signal on t.numpy() (no autograd)",
    "Tensor.to_sparse": "minitorch has dense tensors only: keep the tensor dense",
    "Tensor.to_dense": "minitorch's tensors are dense already: drop the call",
    "Tensor.bfloat16": "use .float() (or .half() where NumPy computes)",
    "Tensor.cfloat": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "Tensor.cdouble": "complex tensors are not available: keep real and imaginary parts as two float tensors",
    "Tensor.storage": "use t.numpy() for the values and t.data_ptr() for the address",
    "Tensor.untyped_storage": "use t.numpy() for the values and t.data_ptr() for the address",
    # ---- nn layers
    "nn.FractionalMaxPool2d": "use MaxPool2d or AdaptiveMaxPool2d",
    "nn.CrossMapLRN2d": "use BatchNorm2d or GroupNorm",
    "nn.SyncBatchNorm": "minitorch's DistributedDataParallel runs on the CPU: use BatchNorm1d/2d",
    "nn.AdaptiveLogSoftmaxWithLoss": "use Linear + CrossEntropyLoss",
    # ---- nn.functional
    # ---- nn.utils and utils
    "nn.utils.fusion": "fusion of conv and batch norm is not available",
    "utils.benchmark": "time with time.perf_counter(); benchmarks/_harness.py shows minitorch's harness",
    "utils.cpp_extension": "C++ extensions are not available: write the kernel with numba",
    "utils.dlpack": "use t.numpy() / minitorch.from_numpy to exchange arrays",
}


class NotSupportedError(NotImplementedError, AttributeError):
    """A PyTorch name minitorch does not implement (yet)."""


def missing(namespace: str, name: str, owner: str) -> AttributeError:
    """The error for ``owner.name`` (namespace: "" for the top level, "Tensor", "nn", ...): a
    NotSupportedError when the name is in the table, else the plain AttributeError Python gives."""
    key = f"{namespace}.{name}" if namespace else name
    advice = UNSUPPORTED.get(key)
    if advice is None:
        return AttributeError(f"{owner} has no attribute '{name}'")
    return NotSupportedError(f"torch.{key} is not supported by minitorch yet: {advice} "
                             "(docs/porting-from-pytorch.md lists what is not supported)")


class _Stub:
    """A class attribute that raises NotSupportedError when read (so hasattr says False)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        raise missing("Tensor", self.name, "'Tensor' object")


def tensor_stubs() -> dict[str, _Stub]:
    """One raising attribute per unsupported Tensor method, for tensor.py to install."""
    return {key.split(".", 1)[1]: _Stub(key.split(".", 1)[1])
            for key in UNSUPPORTED if key.startswith("Tensor.")}
