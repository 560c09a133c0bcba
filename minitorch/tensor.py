"""Tensor: an n-dimensional array on a device, with the autograd bookkeeping.

The values live in a raw array of the device's backend (a NumPy array on the CPU).
This file holds what a tensor *is*: shape, dtype, device, conversions, and the state
autograd keeps on it (requires_grad, grad, grad_fn, the version counter). Everything a
tensor *does* is declared where it is implemented and bound here by ``_declare.op``:
the operations by ``minitorch/_ops/`` (``x.exp()``, ``x + y``, ``x.view(...)``), the
autograd API by ``minitorch/autograd/`` (``backward``, ``register_hook``,
``retain_grad``), the legacy constructor by ``_creation.py``.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import _backends as backends, dtypes
from ._printing import tensor_repr
from ._size import Size, wrap_dim
from ._unsupported import tensor_stubs

_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

_cpu = backends.cpu
_new = object.__new__


class Tensor:
    """A multi-dimensional array with PyTorch's interface and autograd."""

    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_vbox", "_base", "_backend",
                 "_accum", "_retains_grad", "_view_version", "__weakref__")
    # NumPy must hand mixed expressions (np.float32(2) * t) back to Tensor's operators.
    __array_ufunc__ = None

    @staticmethod
    def _init_from(t: "Tensor", data, backend) -> None:
        t._data = data
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._vbox = [0]
        t._base = None
        t._backend = backend
        t._accum = None
        t._retains_grad = False
        t._view_version = None

    @staticmethod
    def _make_subclass(cls, data: "Tensor", require_grad: bool = False) -> "Tensor":
        """An instance of the Tensor subclass cls over data's memory, sharing its version
        counter, without history (as torch.Tensor._make_subclass, what nn.Parameter uses)."""
        t = _new(cls)
        Tensor._init_from(t, data._data, data._backend)
        t._vbox = data._vbox
        if require_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = bool(require_grad)
        return t

    @staticmethod
    def _wrap(data, backend=None) -> "Tensor":
        """A new tensor around a raw array (no copy); the fast path of every op.

        Without a backend, the array's type says which: a NumPy array is the CPU's."""
        if backend is None:
            backend = _cpu if data.__class__ is np.ndarray else backends.of(data)
        t = _new(Tensor)
        t._data = data
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._vbox = [0]
        t._base = None
        t._backend = backend
        t._accum = None
        t._retains_grad = False
        # _view_version is left unset here (one store less on every op): it is read only
        # where _base is set, and whatever sets _base sets it too.
        return t

    # ----- description ----------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dim."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.FROM_NP[self._data.dtype]

    @property
    def device(self):
        return self._backend.device

    @property
    def is_cuda(self) -> bool:
        return self._backend.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        """Strides in elements, as PyTorch reports them."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return strides
        return strides[wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the elements are laid out without gaps in row-major order, or in the
        order memory_format names (channels_last: N, H, W, C for a 4-d tensor;
        channels_last_3d: N, D, H, W, C for a 5-d one)."""
        if self._data.size == 0:
            return True
        order = list(range(self._data.ndim))  # dims from the outermost to the innermost
        name = getattr(memory_format, "name", None)
        if name in ("channels_last", "channels_last_3d"):
            if self._data.ndim != (4 if name == "channels_last" else 5):
                return False
            order = [0] + order[2:] + [1]
        shape, strides = self._data.shape, self.stride()
        expected = 1
        for d in reversed(order):
            if shape[d] != 1 and strides[d] != expected:
                return False
            expected *= shape[d]
        return True

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0] if self._backend is _cpu else self._data.data_ptr()

    @property
    def _version(self) -> int:
        return self._vbox[0]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self, *, tensor_contents=None) -> str:
        node = self.grad_fn
        grad_fn = node.name() if node is not None else None
        return tensor_repr(self._backend.to_numpy(self._data), dtype_name=self.dtype.name,
                           device=str(self.device), grad_fn=grad_fn,
                           requires_grad=self._requires_grad and self._grad_fn is None,
                           default_dtype=dtypes.get_default_dtype().name)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    # ----- conversions ----------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._backend.scalar(self._data)

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._backend.to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array sharing memory with this (CPU) tensor."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._backend.device.type != "cpu" and not force:
            raise TypeError(
                f"can't convert {self.device.type}:{self.device.index or 0} device type tensor to "
                "numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._backend.to_numpy(self._data).copy(), self._requires_grad))

    def _owned_copy(self) -> "Tensor":
        """A copy in fresh contiguous memory (for .grad, which is accumulated into in place)."""
        return Tensor._wrap(self._backend.copy(self._data), self._backend)

    def _mark_modified(self) -> None:
        """Count an in-place write that bypassed the ops (e.g. into ``numpy()``'s memory by an
        MPI collective), so autograd still sees the tensor as modified."""
        self._vbox[0] += 1

    def _add_into(self, other: "Tensor") -> None:
        self._backend.inplace("add", self._data, other._data)
        self._vbox[0] += 1

    # ----- autograd -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) recording operations on this leaf tensor."""
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        """The gradient accumulated by backward (None until then; a non-leaf keeps one only
        after retain_grad(), and reading it otherwise warns, as in PyTorch)."""
        g = self._grad
        if g is None and self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value.shape)} vs {list(self.shape)}")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves).

        A view whose memory was modified in place (through its base or another view) since
        its node was made gets a new one, AsStridedBackward0 over the base's current node."""
        if self._base is not None and self._view_version is not None and self._view_version != self._vbox[0]:
            self._refresh_view()  # declared with the in-place ops (minitorch/_ops/inplace.py)
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> "Tensor":
        """The same memory without history (shares the version counter)."""
        t = Tensor._wrap(self._data, self._backend)
        t._vbox = self._vbox
        t._base = self if self._base is None else self._base
        t._view_version = None  # not a differentiable view: its node is never regenerated
        return t

    def detach_(self) -> "Tensor":
        self._grad_fn = None
        self._view_version = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's memory, outside autograd."""
        t = Tensor._wrap(self._data, self._backend)
        t._vbox = self._vbox
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data
        self._backend = value._backend


def _rebuild(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(array)
    t._requires_grad = requires_grad
    return t


# PyTorch's Tensor methods minitorch lacks say so when used (not a __getattr__: a class with
# one pays on every attribute read, found ones included).
for _name, _stub in tensor_stubs().items():
    setattr(Tensor, _name, _stub)
