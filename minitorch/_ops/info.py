"""What a tensor is, beyond shape and dtype: the device and layout predicates PyTorch's
programs test (``x.is_cpu``, ``x.is_mps``, ``x.is_complex()``, ...), ``finfo`` / ``iinfo``,
and the top-level questions ``is_complex``, ``is_signed``, ``is_nonzero``, ``typename``, ....

minitorch tensors are dense ("strided"), real, never quantized, sparse, nested or conjugated,
and live on the CPU or on one CUDA GPU; the predicates answer accordingly.
"""
from __future__ import annotations

import numpy as np

from .. import _layouts, dtypes
from .._declare import FUNCTIONS, function, method, op, tensor_property
from ..tensor import Tensor
from . import _common


# ----- device and layout predicates (properties, as in PyTorch) ------------------------------
@tensor_property
def layout(self) -> _layouts.layout:
    """The tensor's storage layout: ``torch.strided`` (dense, with strides) for every tensor."""
    return _layouts.strided


@tensor_property
def is_cpu(self) -> bool:
    """Is ``True`` if the Tensor is stored on the CPU, ``False`` otherwise."""
    return self._backend.device.type == "cpu"


def _never(name: str, what: str) -> None:
    def predicate(self) -> bool:
        return False
    predicate.__name__ = predicate.__qualname__ = name
    predicate.__doc__ = f"Is ``True`` if the Tensor is {what}; never, in minitorch."
    tensor_property(predicate)


for _name, _what in (("is_mps", "stored on an MPS device"), ("is_xpu", "stored on an XPU device"),
                     ("is_meta", "a meta tensor"), ("is_quantized", "quantized"),
                     ("is_sparse", "a sparse COO tensor"), ("is_sparse_csr", "a sparse CSR tensor"),
                     ("is_nested", "a nested tensor"), ("is_mkldnn", "an MKL-DNN tensor"),
                     ("is_ipu", "stored on an IPU"), ("is_xla", "stored on an XLA device"),
                     ("is_vulkan", "stored on a Vulkan device"), ("is_mtia", "stored on an MTIA device"),
                     ("is_maia", "stored on a MAIA device")):
    _never(_name, _what)


# ----- predicates that are methods and minitorch.* functions ---------------------------------
@op
def is_complex(input: Tensor) -> bool:
    """Whether input's dtype is a complex type (never: minitorch has no complex dtypes)."""
    return False


@op
def is_signed(input: Tensor) -> bool:
    """Whether input's dtype is a signed type (False for bool and uint8)."""
    return input.dtype.is_signed


@op
def is_conj(input: Tensor) -> bool:
    """Whether input is a lazily conjugated view (never: minitorch has no complex dtypes)."""
    return False


@op
def is_neg(input: Tensor) -> bool:
    """Whether input is a lazily negated view (never, in minitorch)."""
    return False


@op
def is_inference(input: Tensor) -> bool:
    """Whether input is an inference tensor (never: minitorch's inference_mode is no_grad and
    makes ordinary tensors)."""
    return False


@op
def is_nonzero(input: Tensor) -> bool:
    """Whether the single value of a one-element tensor is non-zero."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


@op
def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether input and other have the same shape."""
    _common.check_tensor(other, "is_same_size", "other", 2)
    return input.shape == other.shape


@op
def get_device(input: Tensor) -> int:
    """The index of the GPU input is on, or -1 for a CPU tensor."""
    d = input._backend.device
    return -1 if d.type == "cpu" else (d.index or 0)


@method
def is_pinned(self, device=None) -> bool:
    """Whether the tensor is in pinned (page-locked) host memory (never, in minitorch)."""
    return False


@function
def is_storage(obj, /) -> bool:
    """Whether obj is a storage object (never: minitorch tensors have no separate storage)."""
    return False


@function
def typename(obj, /) -> str:
    """The type of obj as a string: a tensor's legacy type name ('torch.FloatTensor'), else
    the class's module and qualified name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


# ----- numerical properties of dtypes --------------------------------------------------------
def _check_dtype_arg(name: str, type_) -> None:
    if not isinstance(type_, dtypes.dtype):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not {type(type_).__name__}")


class finfo:  # noqa: N801 - PyTorch's name
    """The numerical properties of a floating-point dtype (the default dtype when none is
    given): ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``),
    ``resolution`` and ``dtype`` (its name)."""

    __hash__ = None  # PyTorch's finfo objects compare equal by value and are unhashable

    def __init__(self, type=None) -> None:  # noqa: A002 - PyTorch's argument name
        if type is None:
            type = dtypes.get_default_dtype()  # noqa: A001
        _check_dtype_arg("finfo", type)
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = np.finfo(type.np)
        self.bits = type.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:  # noqa: N801 - PyTorch's name
    """The numerical properties of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype``
    (its name)."""

    __hash__ = None

    def __init__(self, type) -> None:  # noqa: A002 - PyTorch's argument name
        _check_dtype_arg("iinfo", type)
        if type is dtypes.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits = type.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __str__ = __repr__


# Classes and constants, not functions: the declarations take functions, so they join
# minitorch's namespace here.
FUNCTIONS.update(finfo=finfo, iinfo=iinfo, memory_format=_layouts.memory_format, layout=_layouts.layout,
                 contiguous_format=_layouts.contiguous_format, preserve_format=_layouts.preserve_format,
                 channels_last=_layouts.channels_last, channels_last_3d=_layouts.channels_last_3d,
                 strided=_layouts.strided)
