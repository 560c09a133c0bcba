"""Tensor creation: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, linspace, eye, *_like."""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _backends as backends, dtypes
from ._backends._table_errors import call_translating, storage_overflow
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
    return require_grad(t) if requires_grad else t


def require_grad(t: Tensor) -> Tensor:
    """t.requires_grad_() for a new tensor, with the message PyTorch's factories give an integer one."""
    if not t.is_floating_point():
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return t.requires_grad_(True)


def _check_dtype(dtype, fn: str = "tensor") -> None:
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")


def check_shape(shape: tuple, itemsize: int, fn: str | None = None) -> None:
    """PyTorch's RuntimeErrors for a shape no tensor can have: a negative size, or more bytes
    than an int64 counts (checked before anything is allocated)."""
    for s in shape:
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    error = storage_overflow(shape, itemsize)
    if error is not None:
        raise error


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
    if isinstance(data, range):
        data = list(data)
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
        raise ValueError("Overflow when unpacking long long")
    bad = next((x for x in _flat_items(data) if not isinstance(x, (bool, int, float, np.number, np.bool_))), None)
    if bad is not None and not isinstance(bad, (str, bytes, complex)):
        raise RuntimeError(f"Could not infer dtype of {type(bad).__name__}")
    raise TypeError(f"new(): invalid data type '{type(bad).__name__ if bad is not None else arr.dtype}'")


def _flat_items(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _flat_items(x)
    else:
        yield data


def _tensors_to_lists(data):
    """Tensors inside a list become their single values, as PyTorch reads them (a tensor of
    several elements there is an error: torch.stack builds a tensor from tensors)."""
    if isinstance(data, Tensor):
        if data.numel() != 1:
            if data.dtype.is_floating_point:
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return data.item()
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
    _check_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        _warn_copy_construct("torch.tensor")
    return _tensor(data, dtype, device, requires_grad)


def _warn_copy_construct(call: str) -> None:
    warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                  "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                  f"{call}(sourceTensor).", UserWarning, stacklevel=3)


def _tensor(data, dtype, device, requires_grad: bool) -> Tensor:
    arr = _infer_array(data, exact=dtype is not None)  # 0.9 as float64 is 0.9, not float32's 0.9
    if dtype is not None:
        arr = arr.astype(dtype.np, copy=False)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, without a copy where it already is one (or a NumPy array of the right dtype)."""
    _check_dtype(dtype, "as_tensor")
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


def _make(fill, size, dtype, device, requires_grad, default=None, fn: str = "empty") -> Tensor:
    _check_dtype(dtype, fn)
    shape = _sizes(size, fn)
    dtype = dtype or default or dtypes.get_default_dtype()
    check_shape(shape, dtype.itemsize, fn)
    be = _backend(device)
    data = fill(be, shape, dtype)
    t = Tensor._wrap(data, be)
    return require_grad(t) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of zeros of the given size."""
    return _make(lambda be, s, d: be.zeros(s, d), size, dtype, device, requires_grad, fn="zeros")


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size."""
    return _make(lambda be, s, d: be.full(s, 1, d), size, dtype, device, requires_grad, fn="ones")


def empty(*size, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor of the given size."""
    return _make(lambda be, s, d: be.empty(s, d), size, dtype, device, requires_grad, fn="empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size filled with fill_value (dtype inferred from the value)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(
            f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    default = dtypes.scalar_dtype(fill_value)
    dtypes.check_fits(fill_value, dtype or default)
    return _make(lambda be, s, d: be.full(s, fill_value, d), (size,), dtype, device, requires_grad, default,
                 fn="full")


def _like(fn, input: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn.__name__}_like(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
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
    if not isinstance(input, Tensor):
        raise TypeError(f"full_like(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def _number(value, fn: str, arg: str, position: int):
    """A Python number from a number or a one-element tensor; PyTorch's TypeError otherwise."""
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    if not isinstance(value, (int, float, np.number, np.bool_)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Number, not {type(value).__name__}")
    return value


def _int(value, fn: str, arg: str, position: int) -> int:
    """An int argument (a bool or a float is not one); PyTorch's TypeError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) in steps; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, _number(start, "arange", "end", 1)
    values = [_number(v, "arange", name, i + 1) for i, (name, v) in enumerate(
        (("start", start), ("end", end), ("step", step)))]
    start, end, step = values
    _check_dtype(dtype, "arange")
    for v in values:
        if isinstance(v, int) and not -(1 << 63) <= v < (1 << 64):
            raise dtypes.IntegerOverflowError("int too big to convert")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if step == 0 or math.isnan(step):
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(v, (int, np.integer)) for v in values) else dtypes.get_default_dtype()
    if dtype is dtypes.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    count = (end - start) / step
    if count >= 2.0 ** 63:
        raise RuntimeError("invalid size, possible overflow?")
    n = max(math.ceil(count), 0)
    check_shape((n,), dtype.itemsize)
    return _finish(call_translating(_arange_values, start, step, n, dtype), device, requires_grad)


def _arange_values(start, step, n: int, dtype) -> np.ndarray:
    if dtype.is_floating_point:
        return (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    data = np.arange(n, dtype=np.int64) * int(step) + int(start) if isinstance(step, int) and isinstance(start, int) \
        else np.floor(start + step * np.arange(n, dtype=np.float64)).astype(np.int64)
    return data.astype(dtype.np)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """steps values evenly spaced from start to end (both included)."""
    start = _number(start, "linspace", "start", 1)
    end = _number(end, "linspace", "end", 2)
    steps = _int(steps, "linspace", "steps", 3)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    _check_dtype(dtype, "linspace")
    dtype = dtype or dtypes.get_default_dtype()
    check_shape((steps,), dtype.itemsize)
    return _finish(call_translating(_linspace_values, start, end, steps, dtype), device, requires_grad)


def _linspace_values(start, end, steps: int, dtype) -> np.ndarray:
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
    return data.astype(dtype.np)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An n x m matrix with ones on the diagonal."""
    n = _int(n, "eye", "n", 1)
    m = n if m is None else _int(m, "eye", "m", 2)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    _check_dtype(dtype, "eye")
    dtype = dtype or dtypes.get_default_dtype()
    check_shape((n, m), dtype.itemsize)
    return _finish(call_translating(np.eye, n, m, dtype=dtype.np), device, requires_grad)


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
        src = _tensor(args[0], dtypes.get_default_dtype(), device, False)
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
    if isinstance(data, Tensor):
        _warn_copy_construct("tensor.new_tensor")
    _check_dtype(dtype, "new_tensor")
    return _tensor(data, dtype or self.dtype, device or self.device, requires_grad)
