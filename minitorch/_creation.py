"""Tensor creation: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, linspace, eye, *_like."""
from __future__ import annotations

import math

import numpy as np

from . import _backends as backends, dtypes
from ._declare import method
from ._size import Size, sizes as _sizes
from .device import CPU, factory_device
from .tensor import Tensor


def _backend(device):
    """The op table of a factory function's device (None: the default device)."""
    return backends.get(factory_device(device))


def _finish(data, device, requires_grad: bool) -> Tensor:
    be = _backend(device)
    t = Tensor._wrap(be.from_numpy(data) if isinstance(data, np.ndarray) else data, be)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_dtype(dtype) -> None:
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"dtype must be a minitorch dtype (e.g. minitorch.float32), not {dtype!r}")


def _infer_array(data, exact: bool = False) -> np.ndarray:
    """Nested lists / scalars / tensors as a NumPy array with PyTorch's inferred dtype (exact:
    Python floats stay float64, for a caller that converts them to a dtype of its own once)."""
    if isinstance(data, Tensor):
        return data.detach().numpy().copy()
    if isinstance(data, (np.ndarray, np.generic)):
        dtypes.from_numpy_dtype(data.dtype)
        return np.array(data)
    if data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_items(data)):
        data = _tensors_to_lists(data)
    if isinstance(data, (list, tuple)) and data:
        items = list(_flat_items(data))
        if all(isinstance(x, np.generic) for x in items) and len({x.dtype for x in items}) == 1:
            dtypes.from_numpy_dtype(items[0].dtype)  # NumPy scalars of one dtype keep it, as in PyTorch
            return np.array(data, dtype=items[0].dtype)
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(_ragged_message(data) or str(e)) from None
    kind = arr.dtype.kind
    if kind == "f":
        if exact:
            return arr
        has_np64 = _has_numpy_float64(data)
        return arr.astype(np.float64 if has_np64 else dtypes.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" and arr.size and all(isinstance(x, int) for x in arr.reshape(-1)):
        raise RuntimeError("Overflow when unpacking long")
    bad = next((x for x in _flat_items(data) if not isinstance(x, (bool, int, float, np.number, np.bool_))), None)
    raise TypeError(f"new(): invalid data type '{type(bad).__name__ if bad is not None else arr.dtype}'")


def _flat_items(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _flat_items(x)
    else:
        yield data


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _has_numpy_float64(data) -> bool:
    if isinstance(data, (np.floating, np.ndarray)):
        return data.dtype == np.float64 and not isinstance(data, float)
    return False


def _ragged_message(data) -> str | None:
    def walk(x, dim):
        if not isinstance(x, (list, tuple)):
            return None
        lengths = [len(y) for y in x if isinstance(y, (list, tuple))]
        if lengths and (len(lengths) != len(x) or len(set(lengths)) > 1):
            first = lengths[0]
            got = next(n for n in lengths if n != first) if len(set(lengths)) > 1 else 0
            return f"expected sequence of length {first} at dim {dim + 1} (got {got})"
        for y in x:
            msg = walk(y, dim + 1)
            if msg:
                return msg
        return None
    return walk(data, 0)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of data (nested lists, numbers, NumPy arrays or tensors)."""
    _check_dtype(dtype)
    arr = _infer_array(data, exact=dtype is not None)  # 0.9 as float64 is 0.9, not float32's 0.9
    if dtype is not None:
        arr = arr.astype(dtype.np, copy=False)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, without a copy where it already is one (or a NumPy array of the right dtype)."""
    _check_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and factory_device(device).type == "cpu":
        dtypes.from_numpy_dtype(data.dtype)
        out = from_numpy(data)
        return out if dtype is None else out.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) ")
    return Tensor._wrap(ndarray)


def _make(fill, size, dtype, device, requires_grad, default=None) -> Tensor:
    _check_dtype(dtype)
    shape = _sizes(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    dtype = dtype or default or dtypes.get_default_dtype()
    be = _backend(device)
    data = fill(be, shape, dtype)
    t = Tensor._wrap(data, be)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of zeros of the given size."""
    return _make(lambda be, s, d: be.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size."""
    return _make(lambda be, s, d: be.full(s, 1, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor of the given size."""
    return _make(lambda be, s, d: be.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size filled with fill_value (dtype inferred from the value)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(
            f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    default = dtypes.scalar_dtype(fill_value)
    return _make(lambda be, s, d: be.full(s, fill_value, d), (size,) if not isinstance(size, int) else (size,),
                 dtype, device, requires_grad, default)


def _like(fn, input: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    return fn(input.shape, *args, dtype=dtype or input.dtype, device=device or input.device,
              requires_grad=requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Zeros of input's shape (and dtype/device unless given)."""
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Ones of input's shape (and dtype/device unless given)."""
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor of input's shape (and dtype/device unless given)."""
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """fill_value in input's shape (and dtype/device unless given)."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) in steps; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError(
            "upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(v, (int, np.integer)) for v in values) else dtypes.get_default_dtype()
    _check_dtype(dtype)
    n = max(math.ceil((end - start) / step), 0)
    if dtype.is_floating_point:
        data = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    else:
        data = np.arange(n, dtype=np.int64) * int(step) + int(start) if isinstance(step, int) and isinstance(start, int) \
            else np.floor(start + step * np.arange(n, dtype=np.float64)).astype(np.int64)
        data = data.astype(dtype.np)
    return _finish(data, device, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """steps values evenly spaced from start to end (both included)."""
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or dtypes.get_default_dtype()
    _check_dtype(dtype)
    # PyTorch computes in the output dtype and fills the first half from start, the
    # second half back from end, so both ends are exact.
    calc = dtype.np if dtype.is_floating_point else np.dtype(np.float64)
    first, last = calc.type(start), calc.type(end)
    if steps == 1:
        data = np.array([first])
    else:
        step = (last - first) / calc.type(steps - 1)
        i = np.arange(steps).astype(calc)
        data = np.where(np.arange(steps) < steps // 2, first + step * i,
                        last - step * (calc.type(steps - 1) - i))
    data = data.astype(dtype.np)
    return _finish(data, device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An n x m matrix with ones on the diagonal."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype = dtype or dtypes.get_default_dtype()
    _check_dtype(dtype)
    return _finish(np.eye(n, n if m is None else m, dtype=dtype.np), device, requires_grad)


# ----- the creation methods of a tensor ------------------------------------------------------
@method(name="__init__")
def _legacy_init(self, *args, device=None) -> None:
    """Legacy constructor: ``Tensor([1, 2])`` copies data as float32, ``Tensor(2, 3)`` is uninitialised."""
    device = CPU if device is None else device  # (PyTorch's legacy constructor ignores the default device)
    if not args:
        src = empty(0, device=device)
    elif len(args) == 1 and isinstance(args[0], Tensor) and args[0].dtype == dtypes.get_default_dtype():
        src = args[0]  # an alias, as PyTorch's
    elif len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        src = tensor(args[0], dtype=dtypes.get_default_dtype(), device=device)
    else:
        src = empty(*args, device=device)
    Tensor._init_from(self, src._data, src._backend)


@method
def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of size, with self's dtype and device unless given."""
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method
def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones of size, with self's dtype and device unless given."""
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """fill_value everywhere in size, with self's dtype and device unless given."""
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@method
def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of size, with self's dtype and device unless given."""
    return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method
def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A copy of data, with self's dtype and device unless given."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
