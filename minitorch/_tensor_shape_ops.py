"""The shape, indexing, conversion and in-place methods of a Tensor.

Thin fronts for ``minitorch/autograd/ops`` (shape.py, index.py, inplace.py), as in
``_tensor_ops.py``.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from ._tensor_ops import _sizes


class TensorShapeOps:
    """Mixin of Tensor: views and reshapes, indexing, copies and conversions, in-place ops."""

    __slots__ = ()

    # ----- shape ----------------------------------------------------------------------
    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
            raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
        return _shape.view(self, _sizes(shape))

    def view_as(self, other):
        return _shape.view(self, other.shape)

    def reshape(self, *shape):
        return _shape.reshape(self, _sizes(shape))

    def reshape_as(self, other):
        return _shape.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        n = self.dim()
        if n == 0:
            return _shape.reshape(self, (1,))
        s = _common.wrap_dim(start_dim, n)
        e = _common.wrap_dim(end_dim, n)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return self
        shape = tuple(self.shape)
        folded = 1
        for size in shape[s:e + 1]:
            folded *= size
        return _shape.reshape(self, shape[:s] + (folded,) + shape[e + 1:])

    def unflatten(self, dim: int, sizes):
        d = _common.wrap_dim(dim, self.dim())
        shape = tuple(self.shape)
        return _shape.view(self, shape[:d] + tuple(sizes) + shape[d + 1:])

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim: int):
        return _shape.unsqueeze(self, dim)

    def permute(self, *dims):
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        return _shape.permute(self, _sizes(dims) if dims and not isinstance(dims[0], int) else tuple(dims))

    def movedim(self, source, destination):
        """Move dims from source positions to destination positions (a view)."""
        n = self.dim()
        src = [_common.wrap_dim(d, n) for d in ((source,) if isinstance(source, int) else source)]
        dst = [_common.wrap_dim(d, n) for d in ((destination,) if isinstance(destination, int) else destination)]
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                               f"should contain the same number of dims as destination ({list(dst)} dims)")
        order = [d for d in range(n) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def transpose(self, dim0: int, dim1: int):
        return _shape.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self):
        return _shape.TBackward0.apply(self)

    @property
    def T(self):
        return _shape.PermuteBackward0.apply(self, tuple(reversed(range(self.dim()))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        if not sizes:
            raise TypeError('expand() missing 1 required positional arguments: "size"')
        return _shape.expand(self, _sizes(sizes))

    def expand_as(self, other):
        return _shape.expand(self, other.shape)

    def repeat(self, *sizes):
        """Tile the tensor sizes[i] times along each dim."""
        return _shape.repeat(self, _sizes(sizes))

    def split(self, split_size, dim: int = 0):
        return _index.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return _index.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0):
        return _index.unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int):
        return _index.narrow(self, dim, int(start), int(length))

    def select(self, dim: int, index: int):
        d = _common.wrap_dim(dim, self.dim())
        return self[(slice(None),) * d + (index,)]

    def flip(self, *dims):
        """Reverse the order of elements along dims (a copy, as in PyTorch)."""
        return _shape.flip(self, _sizes(dims))

    def gather(self, dim: int, index):
        return _index.gather(self, dim, index)

    def scatter_add(self, dim: int, index, src):
        return _index.scatter_add(self, dim, index, src)

    def __getitem__(self, index):
        return _index.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _index.setitem(self, index, value)

    # ----- copies and conversions -----------------------------------------------------
    def clone(self, *, memory_format=None):
        return _shape.CloneBackward0.apply(self)

    def contiguous(self, memory_format=None):
        return self if self.is_contiguous() else _shape.CloneBackward0.apply(self)

    def to(self, *args, **kwargs):
        """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``."""
        from .device import as_device
        from .tensor import Tensor
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if a is None:
                continue
            if isinstance(a, dtypes.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, int)) or type(a).__name__ == "device":
                device = a
            elif isinstance(a, bool):
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
        out = self
        if device is not None:
            from . import backends
            from .autograd.ops.device import to_backend
            out = to_backend(out, backends.get(as_device(device)))
            copy = copy and out is self
        if dtype is not None:
            out = _shape.to_dtype(out, dtype, copy)
        elif copy:
            out = out.clone()
        return out

    def type(self, dtype=None):
        """The legacy type name ('torch.FloatTensor'), or a conversion to dtype (or such a name)."""
        if dtype is None:
            from .autograd.function import _legacy_type_name
            return _legacy_type_name(self)
        if isinstance(dtype, str):
            names = {"torch.FloatTensor": dtypes.float32, "torch.DoubleTensor": dtypes.float64,
                     "torch.LongTensor": dtypes.int64, "torch.IntTensor": dtypes.int32,
                     "torch.BoolTensor": dtypes.bool, "torch.HalfTensor": dtypes.float16,
                     "torch.ShortTensor": dtypes.int16, "torch.CharTensor": dtypes.int8,
                     "torch.ByteTensor": dtypes.uint8}
            if dtype not in names:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = names[dtype]
        return self.to(dtype)

    def float(self):
        return _shape.to_dtype(self, dtypes.float32)

    def double(self):
        return _shape.to_dtype(self, dtypes.float64)

    def half(self):
        return _shape.to_dtype(self, dtypes.float16)

    def long(self):
        return _shape.to_dtype(self, dtypes.int64)

    def int(self):
        return _shape.to_dtype(self, dtypes.int32)

    def bool(self):
        return _shape.to_dtype(self, dtypes.bool)

    def cpu(self):
        """This tensor on the CPU (itself when it is there already)."""
        if self._backend.name == "cpu":
            return self
        from . import backends
        from .autograd.ops.device import to_backend
        return to_backend(self, backends.cpu)

    def cuda(self, device=None):
        """A copy on the GPU (itself when it is there already); a RuntimeError saying why
        when no GPU can be used."""
        return self.to("cuda" if device is None else device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # ----- in-place -------------------------------------------------------------------
    def add_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return _inplace.inplace_binary(self, "add", _arith.add, other)

    def sub_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return _inplace.inplace_binary(self, "sub", _arith.sub, other)

    def mul_(self, other):
        return _inplace.inplace_binary(self, "mul", _arith.mul, other)

    def div_(self, other):
        return _inplace.inplace_binary(self, "div", _arith.div, other)

    def pow_(self, exponent):
        return _inplace.inplace_binary(self, "pow", _arith.pow, exponent)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def __ipow__(self, other):
        return self.pow_(other)

    def clamp_(self, min=None, max=None):  # noqa: A002
        return _inplace.inplace_apply(self, lambda t: t.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return _inplace.inplace_apply(self, lambda t: t.masked_fill(mask, value))

    def neg_(self):
        return _inplace.inplace_apply(self, lambda t: -t)

    def abs_(self):
        return _inplace.inplace_apply(self, lambda t: t.abs())

    def exp_(self):
        return _inplace.inplace_apply(self, lambda t: t.exp())

    def log_(self):
        return _inplace.inplace_apply(self, lambda t: t.log())

    def sqrt_(self):
        return _inplace.inplace_apply(self, lambda t: t.sqrt())

    def relu_(self):
        return _inplace.inplace_apply(self, lambda t: t.relu())

    def sigmoid_(self):
        return _inplace.inplace_apply(self, lambda t: t.sigmoid())

    def tanh_(self):
        return _inplace.inplace_apply(self, lambda t: t.tanh())

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        """Set every element to value."""
        from .tensor import Tensor
        if isinstance(value, Tensor):
            if value.dim() != 0:
                raise RuntimeError(
                    f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
            value = value.item()
        _common.check_number(value, "value")
        return _inplace.fill(self, value)

    def copy_(self, src, non_blocking: bool = False):
        """Copy src's values (broadcast, converted to this dtype) into this tensor."""
        from .tensor import Tensor
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        try:
            _common.broadcast_shapes(self.shape, src.shape)
            if _common.broadcast_shapes(self.shape, src.shape) != tuple(self.shape):
                raise ValueError
        except (RuntimeError, ValueError):
            raise RuntimeError(
                f"The size of tensor a ({self.shape[-1] if self.dim() else 1}) must match the size "
                f"of tensor b ({src.shape[-1] if src.dim() else 1}) at non-singleton dimension "
                f"{max(self.dim() - 1, 0)}") from None
        if src._backend is not self._backend:  # copy_ crosses devices, as in PyTorch
            from .autograd.ops.device import to_backend
            src = to_backend(src, self._backend)
        return _inplace.copy(self, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        from . import random
        if random._cuda_backend(self.device, generator) is not None:
            from .backends.cuda import _random as cuda_random
            return self._fill_random(cuda_random.uniform(self.shape, self.dtype.np, a, b))
        return self._fill_random(random._uniform(self.shape, a, b, self.dtype, generator))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        from . import random
        if random._cuda_backend(self.device, generator) is not None:
            from .backends.cuda import _random as cuda_random
            return self._fill_random(cuda_random.normal(self.shape, self.dtype.np, mean, std))
        return self._fill_random(random._normal(self.shape, mean, std, self.dtype, generator))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0/1 draws: 1 with probability p (a float, or a tensor broadcast to self)."""
        from . import random
        from .tensor import Tensor
        probs = np.broadcast_to(p.numpy(), self.shape) if isinstance(p, Tensor) else np.full(self.shape, float(p))
        random._check_probability(probs)
        return self._fill_random(random._bernoulli(probs, generator).astype(self.dtype.np))

    def _fill_random(self, values: np.ndarray):
        if _inplace.check_inplace(self):
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._backend.copy_into(self._data, values if values.__class__ is not np.ndarray
                                else self._backend.from_numpy(values))
        self._vbox[0] += 1
        return self


def _bind_ops() -> None:
    """Import the op modules; they import Tensor, so tensor.py calls this once Tensor exists."""
    global _arith, _common, _index, _inplace, _shape
    from .autograd.ops import _common, arith as _arith, index as _index, inplace as _inplace
    from .autograd.ops import shape as _shape
