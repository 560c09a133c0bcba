"""The CPU op table: NumPy arrays, NumPy ufuncs and BLAS for plain math, numba kernels for fused passes.

Every method takes and returns raw ``np.ndarray`` values; dtypes are minitorch dtypes.
The autograd layer has already checked shapes and dtypes, so nothing here can meet
an input it cannot type; what can still fail is memory, and every method reports that as
PyTorch does (``_table_errors.torch_errors``).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...device import CPU
from .._table_errors import torch_errors
from ..base import Backend
from . import _first_run, _pool, kernels

_first_run.prepare()  # before the first kernel call (random_ops seeds the default generator)

from .blas import matmul as _blas_matmul  # noqa: E402
from .conv_ops import ConvOps  # noqa: E402
from .elementwise_ops import ElementwiseOps, _arr, c_cast  # noqa: E402
from .nn_ops import NnOps  # noqa: E402
from .optim_ops import OptimOps  # noqa: E402
from .random_ops import RandomOps  # noqa: E402
from .reduce_ops import ReduceOps  # noqa: E402

# NumPy reports inf/nan results with RuntimeWarnings; PyTorch returns them silently.
# The filter is scoped to warnings raised from minitorch's own frames, so the user's
# NumPy settings stay untouched, and it costs nothing on the hot path.
warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                        module=r"minitorch\.")


def _element_offsets(shape, strides, start: int, size: int) -> np.ndarray:
    """The memory offset (in elements) of every element of an array layout, as int64 of shape."""
    out = np.full(shape, start // size, np.int64)
    for k, (n, stride) in enumerate(zip(shape, strides)):
        out += (np.arange(n, dtype=np.int64) * (stride // size)).reshape((n,) + (1,) * (len(shape) - k - 1))
    return out


def layout_positions(base_shape, base_strides, base_contiguous: bool, view_shape, view_strides,
                     start: int, size: int):
    """For each element of a view layout (strides and start in units of size, relative to the
    base's first element), its flat row-major index in the base layout, as int64 of
    view_shape; None when some element is not an element of the base. Shared with the
    CUDA table, whose views are the same (shape, strides, offset) metadata."""
    base_size = int(np.prod(base_shape, dtype=np.int64))
    view_size = int(np.prod(view_shape, dtype=np.int64))
    view_off = _element_offsets(view_shape, view_strides, start, size)
    if base_contiguous:
        positions = view_off
    else:  # map memory offsets back to row-major positions
        base_off = _element_offsets(base_shape, base_strides, 0, size).reshape(-1)
        order = np.argsort(base_off, kind="stable")
        found = np.searchsorted(base_off[order], view_off).clip(0, max(base_size - 1, 0))
        if base_size == 0 or not np.array_equal(base_off[order][found], view_off):
            return None if view_size else view_off
        positions = order[found]
    if view_size and (positions.min() < 0 or positions.max() >= base_size):
        return None
    return positions


@torch_errors
class CPUBackend(ElementwiseOps, ReduceOps, NnOps, ConvOps, OptimOps, RandomOps, Backend):
    """The op table of the "cpu" device: the whole interface of _backends/base.py, nearly every
    extra with a kernel of its own."""

    device = CPU
    name = "cpu"

    # ----- memory ---------------------------------------------------------------------
    def empty(self, shape, dtype):
        return np.empty(shape, dtype.np)

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype.np)

    def full(self, shape, value, dtype):
        try:
            return np.full(shape, value, dtype.np)
        except OverflowError:
            return np.full(shape, c_cast(value, dtype.np), dtype.np)

    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def astype(self, a, dtype):
        return a.astype(dtype.np)

    def copy(self, a):
        out = _pool.empty(a.shape, a.dtype)
        np.copyto(out, a)
        return out

    def can_adopt(self, tensor) -> bool:
        """Whether tensor's memory may become another tensor's without a copy: a writable
        C-contiguous array that no other array, view or tensor holds (autograd adopts a
        leaf's first gradient this way, as PyTorch's AccumulateGrad steals it)."""
        flags = tensor._data.flags  # (a flags object holds a reference to its array)
        ok = flags.c_contiguous and flags.writeable
        del flags
        return ok and _pool.unshared(tensor)

    def contiguous(self, a):
        return np.ascontiguousarray(a)

    def copy_into(self, dst, src) -> None:
        np.copyto(dst, src, casting="unsafe")

    def fill(self, dst, value) -> None:
        try:
            dst.fill(value)
        except OverflowError:
            dst.fill(c_cast(value, dst.dtype))

    # ----- views (share memory) -------------------------------------------------------
    def view(self, a, shape):
        """A view with a new shape, or None when the layout needs a copy."""
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError:
            return None

    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def permute(self, a, dims):
        return a.transpose(dims)

    def expand(self, a, shape):
        # broadcast_to's result is read-only; expanding to the same shape stays writable.
        return a.view() if tuple(shape) == a.shape else np.broadcast_to(a, shape)

    def getitem(self, a, index):
        """a[index]; basic indices give a view (a 0-d one too, thanks to the trailing Ellipsis)."""
        if not any(i is Ellipsis or isinstance(i, (np.ndarray, bool)) for i in index):
            index = index + (Ellipsis,)
        return _arr(a[index])

    def setitem(self, a, index, value) -> None:
        a[index] = value

    def diagonal(self, a, offset: int, dim1: int, dim2: int):
        """A writable view of a's diagonal over dim1, dim2 (shifted by offset), last (NumPy's
        own np.diagonal is read-only)."""
        n1, n2 = a.shape[dim1], a.shape[dim2]
        s1, s2 = a.strides[dim1], a.strides[dim2]
        length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
        shape = tuple(a.shape[d] for d in rest) + (length,)
        strides = tuple(a.strides[d] for d in rest) + (s1 + s2,)
        if length == 0 or a.size == 0:
            return np.empty(shape, a.dtype)
        start = [slice(None)] * a.ndim
        start[dim1], start[dim2] = slice(max(-offset, 0), None), slice(max(offset, 0), None)
        first = a[tuple(start)]
        return np.lib.stride_tricks.as_strided(first, shape, strides, writeable=a.flags.writeable)

    def view_positions(self, base, view):
        """For each element of view (an array sharing base's memory), its flat row-major index
        in base, as an int64 array of view's shape; None when view is not a view into base."""
        size = base.itemsize
        start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        if (view.dtype != base.dtype or start % size or any(s % size for s in view.strides + base.strides)
                or (view.size and not np.may_share_memory(base, view))):
            return None
        return layout_positions(base.shape, base.strides, base.flags.c_contiguous,
                                view.shape, view.strides, start, size)

    def writable_alias(self, root, view):
        """A writable array with view's layout over the same memory, for a view that NumPy made
        read-only only because it was taken from an expanded (broadcast) array; root is the
        writable array view lies in. None when there is no such array."""
        if not root.flags.writeable:
            return None
        positions = self.view_positions(root, view)
        if positions is None:
            return None
        if view.size == 0:
            return np.empty(view.shape, view.dtype)
        first = root[np.unravel_index(int(positions.reshape(-1)[0]), root.shape) + (Ellipsis,)]
        return np.lib.stride_tricks.as_strided(first, view.shape, view.strides)

    # ----- copies that rearrange -------------------------------------------------------
    def flip(self, a, dims):
        return np.ascontiguousarray(np.flip(a, dims))

    def tile(self, a, reps):
        return np.tile(a, reps)


    # ----- matrix products ------------------------------------------------------------
    def matmul(self, a, b):
        """NumPy's matmul with its batch broadcasting, or MKL's GEMM when chosen (blas.py);
        the product of two matrices goes into a pooled buffer (large results are the
        training step's biggest temporaries)."""
        return _blas_matmul(a, b)

    # ----- indexing -------------------------------------------------------------------
    def index_put_add(self, out, index, values) -> None:
        """out[index] += values with repeated indices accumulated (scatter-add)."""
        if (isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype == np.int64
                and out.ndim == 2 and values.ndim == 2 and out.flags.c_contiguous):
            kernels.index_add_rows(out, np.where(index < 0, index + out.shape[0], index),
                                   np.ascontiguousarray(values, out.dtype))
        else:
            np.add.at(out, index, values)

    def gather(self, a, dim: int, index):
        """out[..., i, ...] = a[..., index[..., i, ...], ...] along dim (take_along_axis).

        As in PyTorch, index may be smaller than a in the other dims.
        """
        window = tuple(slice(0, s) if i != dim else slice(None) for i, s in enumerate(index.shape))
        return np.take_along_axis(a[window], index, axis=dim)

    def scatter_add(self, out, dim: int, index, src) -> None:
        """out[..., index[..., i, ...], ...] += src[..., i, ...] along dim, repeats accumulating."""
        coords = list(np.indices(index.shape, sparse=True))
        coords[dim] = index
        np.add.at(out, tuple(coords), src[tuple(slice(0, s) for s in index.shape)])

    def concatenate(self, arrays, dim: int, dtype):
        if all(a.dtype is dtype.np for a in arrays):
            return np.concatenate(arrays, axis=dim)
        return np.concatenate(arrays, axis=dim, dtype=dtype.np, casting="unsafe")

    def stack(self, arrays, dim: int, dtype):
        return np.stack(arrays, axis=dim, dtype=dtype.np, casting="unsafe")

    def nonzero(self, a):
        return np.nonzero(a)

    def scalar(self, a):
        """The single value of a one-element array as a Python number."""
        return a.reshape(-1)[0].item()
