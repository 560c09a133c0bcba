"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and shares memory with ``data``.

    Assigning a Parameter to a Module attribute registers it, so it shows up in
    ``parameters()`` and ``state_dict()``; assigning a plain Tensor does not.
    ``Parameter()`` is an empty float32 tensor. Operations on a Parameter return
    plain Tensors.
    """

    # No __slots__ here: like torch's Parameters, instances accept extra attributes.

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            from .._ops._common import NotATensorError  # PyTorch's AttributeError, from calling data.detach()
            raise NotATensorError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        # Like data.detach(): the same memory, the same version counter, no history.
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        # Everything happened in __new__; Tensor.__init__ (the legacy constructor) must not run.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        state = getattr(self, "__dict__", None)
        return (_rebuild_parameter, (type(self), self.data, self.requires_grad, state or None))


def _rebuild_parameter(cls, data: Tensor, requires_grad: bool, state: dict | None) -> Parameter:
    """Unpickle a Parameter (the target of ``Parameter.__reduce_ex__``)."""
    p = cls(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
             "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
             "`forward` to initialize the parameters before accessing their attributes.")


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (the lazy modules' weights): it holds no data
    until ``materialize(shape)`` gives it an uninitialised tensor of that shape and turns it
    into a plain Parameter (``cls_to_become``)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from .._creation import empty
        return super().__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the parameter storage of ``shape`` (on its own device and dtype unless given)."""
        from .._creation import empty
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.data = empty(shape, device=device if device is not None else self.device,
                          dtype=dtype if dtype is not None else self.dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_NO_SHAPE)

    def size(self, dim=None):
        raise RuntimeError(_NO_SHAPE)

    def detach(self) -> "UninitializedParameter":
        return UninitializedParameter(False, self.device, self.dtype)

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> "UninitializedParameter":
        if id(self) not in memo:
            memo[id(self)] = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self.requires_grad, self.device, self.dtype))


def is_lazy(param) -> bool:
    """Whether param is an uninitialized (lazy) parameter."""
    return isinstance(param, UninitializedParameter)
