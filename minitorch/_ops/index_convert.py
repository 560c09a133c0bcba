"""How an index becomes what the device applies: PyTorch's rules for the items of
``x[index]`` (ints, slices, None, Ellipsis, bools, integer and bool tensors, and the Python
sequences PyTorch accepts: ranges, lists, lists of lists, tuples and NumPy arrays), and the
check of bool masks against the shape they cover."""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from ._common import same_device


_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch "
    "2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result")
_BYTE_INDEX = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."


# Index items that are never sequences (checked first: the ABC test below costs more), and
# the sequence types met most.
_PLAIN_ITEMS = (int, slice, type(None), type(Ellipsis), Tensor, bool, np.integer, np.bool_, float)
_SEQUENCE_TYPES = (list, range, tuple, np.ndarray)


def _is_sequence(x) -> bool:
    """Python's idea of a sequence (list, tuple, range, str, NumPy array, tensor), as PyTorch asks it."""
    return isinstance(x, (Sequence, np.ndarray, Tensor))


def _index_items(index) -> tuple:
    """The index as a tuple of items. A list (or other sequence that is not a tensor or an
    array) shorter than 32 that holds a sequence, tensor, slice, Ellipsis or None is taken as
    a tuple of indices, with PyTorch's deprecation warning (NumPy's old rule); otherwise the
    sequence is one index."""
    cls = index.__class__
    if cls is tuple:
        return index
    if cls is int or cls is slice or index is None or index is Ellipsis or isinstance(index, (Tensor, np.ndarray)) \
            or not _is_sequence(index) or len(index) >= 32:
        return (index,)
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, slice) or _is_sequence(item):
            warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=4)
            return tuple(index)
    return (index,)


def _index_array(item) -> np.ndarray:
    """A sequence used as an index (list, tuple, range, NumPy array) as the int64 or bool array
    PyTorch makes of it: bool when every element is a bool (a uint8 array is a mask too, with
    PyTorch's warning), otherwise int64 (floats truncated, as PyTorch converts them)."""
    if isinstance(item, range):
        return np.arange(item.start, item.stop, item.step, dtype=np.int64)
    if isinstance(item, np.ndarray):
        arr = item
        if arr.dtype == np.uint8:
            warnings.warn(_BYTE_INDEX, UserWarning, stacklevel=4)
            return arr.astype(bool)
    else:
        from .._creation import _infer_array
        arr = _infer_array(list(item))
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind in "USO":
        bad = next((x for x in arr.reshape(-1) if not isinstance(x, (int, float, bool, np.number, np.bool_))),
                   arr.dtype)
        raise TypeError(f"new(): invalid data type '{type(bad).__name__}'")
    if arr.dtype.kind not in "iuf":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr.astype(np.int64)


def convert_index(a: Tensor, index) -> tuple[tuple, tuple | None, str]:
    """Split an index into (basic, advanced, node name).

    basic holds ints, slices, None and Ellipsis and gives a view; advanced (None when
    there are no index tensors) is then applied to that view. Applying the ints first is
    PyTorch's rule (NumPy would broadcast an int with the index tensors instead). Sequences
    (lists, ranges, tuples inside the index, NumPy arrays) are index tensors.
    """
    index = _index_items(index)
    if a._data.ndim == 0:
        for item in index:
            if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            if isinstance(item, slice):
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    basic, advanced = [], []
    has_advanced = False
    name = None
    for item in index:
        if item.__class__ in _SEQUENCE_TYPES or (not isinstance(item, _PLAIN_ITEMS) and _is_sequence(item)):
            arr = _index_array(item)
            if arr.ndim == 0 and arr.dtype.kind != "b":
                item = int(arr)  # a 0-d integer array selects, like an int
            else:
                basic.append(slice(None))
                advanced.append(arr)
                has_advanced = True
                continue
        if isinstance(item, Tensor) and item.dim() == 0 and item.dtype not in (dtypes.bool, dtypes.uint8) \
                and not item.dtype.is_floating_point:
            item = int(item.item())  # a 0-d integer tensor selects, like an int
        if isinstance(item, Tensor):
            same_device(a, item)
            if item.dtype is dtypes.bool or item.dtype is dtypes.uint8:
                if item.dtype is dtypes.uint8:
                    warnings.warn(_BYTE_INDEX, UserWarning, stacklevel=3)
                arr = item._data.astype(bool, copy=False) if item.dim() else bool(item.item())
            elif item.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            else:
                arr = item._data
            basic.append(slice(None) if item.dim() else None)
            advanced.append(arr)
            has_advanced = True
        elif isinstance(item, (bool, np.bool_)):
            return (), tuple(bool(i) if isinstance(i, np.bool_) else i for i in index), "IndexBackward0"
        elif isinstance(item, (int, np.integer)):
            basic.append(int(item))
            name = "SelectBackward0"
        elif isinstance(item, slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not isinstance(part, (int, np.integer)) and not hasattr(part, "__index__"):
                    raise TypeError(
                        f"slice indices must be integers or None or have an __index__ method, got {type(part).__name__}")
            if item.step is not None and item.step == 0:
                raise ValueError("slice step cannot be zero")
            if item.step is not None and item.step < 0:
                raise ValueError("step must be greater than zero")
            if item != slice(None) or name is None:
                name = "SliceBackward0"  # a full slice keeps the name of what came before
            basic.append(item)
            advanced.append(slice(None))
        elif item is None:
            basic.append(None)
            advanced.append(slice(None))
            name = "UnsqueezeBackward0"
        elif item is Ellipsis:
            basic.append(Ellipsis)
            advanced.append(Ellipsis)
        else:
            # (PyTorch reads a str as a sequence of indices, hence its TypeError)
            error = TypeError if isinstance(item, (str, bytes)) else IndexError
            raise error(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                f"valid indices (got {type(item).__name__})")
    if not has_advanced:
        return tuple(basic), None, name or "AliasBackward0"
    return tuple(basic), tuple(advanced), name or "AliasBackward0"


def _is_mask(item) -> bool:
    """Whether an advanced index item is a bool array (of any device: NumPy's or a GPU's)."""
    dtype = getattr(item, "dtype", None)
    return hasattr(item, "ndim") and isinstance(dtype, np.dtype) and dtype.kind == "b"


def _check_masks(shape, advanced: tuple) -> None:
    """PyTorch's IndexError for a bool mask whose shape differs from the dims it covers of the
    (basic-indexed) tensor of the given shape."""
    masks = [i for i, item in enumerate(advanced) if _is_mask(item)]
    if not masks:
        return
    consumed = [0 if item is Ellipsis or isinstance(item, bool) else item.ndim if _is_mask(item) else 1
                for item in advanced]
    dim = 0
    for i, item in enumerate(advanced):
        if item is Ellipsis:
            dim += max(len(shape) - sum(consumed), 0)
            continue
        if i in masks:
            for j, size in enumerate(item.shape):
                if dim + j < len(shape) and size != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(item.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {list(shape)} at index {dim + j}")
        dim += consumed[i]
