"""Function: an operation with a forward on raw arrays and a backward on Tensors.

An instance of a Function subclass is the graph node PyTorch calls ``grad_fn``: the
class is named as PyTorch names its node (``AddBackward0``), ``forward`` computes the
output's raw array through the device's op table, and ``backward`` turns the output's
gradient into one gradient per forward argument using Tensor operations (so the
backward pass itself can be differentiated with ``create_graph=True``).
"""
from __future__ import annotations

import weakref

from .grad_mode import _enabled

Tensor = None  # set by minitorch.tensor (the Tensor class imports this module)

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


def _legacy_type_name(t) -> str:
    return f"torch.{t.dtype.legacy_name}Tensor"


class Function:
    """Base of every differentiable operation; its instances are the graph's nodes."""

    # Set on view ops: the output shares the input's memory and version counter.
    is_view = False
    # Set on ops whose backward reads their own output (exp, tanh, sigmoid, ...).
    saves_output = False
    # Set on ops whose output is on another device than their first argument.
    moves_device = False

    _edges: tuple = ()
    _saved: tuple | None = ()
    _shapes: tuple = ()
    _hooks: list | None = None
    _shapes: tuple

    # ----- used inside forward --------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; modifying one in place before backward is an error."""
        self._saved = tensors
        self._versions = tuple(None if t is None else t._vbox[0] for t in tensors)

    # ----- used inside backward -------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, checked against in-place modification."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        for i, (t, version) in enumerate(zip(saved, self._versions)):
            if t is not None and t._vbox[0] != version:
                raise RuntimeError(self._modified_message(t, version, i))
        return saved

    @property
    def saved_output(self):
        """The op's own output as a Tensor without history (for backward formulas)."""
        if self._saved is None:
            raise RuntimeError(_FREED)
        data, vbox, version = self._out
        if vbox[0] != version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{_legacy_type_name(Tensor._wrap(data))} "
                f"[{', '.join(map(str, data.shape))}]], which is output 0 of {self.name()}, is at "
                f"version {vbox[0]}; expected version {version} instead. Hint: the backtrace "
                f"further above can point to the operation that failed to compute its gradient.")
        return Tensor._wrap(data)

    def _modified_message(self, t, version, i) -> str:
        origin = f"output 0 of {t._grad_fn.name()}" if t._grad_fn is not None else "is a leaf"
        shape = ", ".join(map(str, t.shape))
        return (f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{_legacy_type_name(t)} [{shape}]], which is {origin}, is at "
                f"version {t._vbox[0]}; expected version {version} instead. Hint: the backtrace "
                f"further above can point to the operation that failed to compute its gradient.")

    # ----- graph node interface -------------------------------------------------------
    @property
    def next_functions(self) -> tuple:
        """The nodes of the inputs as PyTorch shows them: ((node, 0), ...), (None, 0) for none."""
        return tuple((e, 0) for e, shape in zip(self._edges, self._shapes) if shape is not None)

    def name(self) -> str:
        """The node's name as PyTorch prints it (``AddBackward0``)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _free(self) -> None:
        if getattr(self, "_saved", None) is not None or self.saves_output:
            self._saved = None
            self._out = None

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        """Run forward; when grad mode is on and an input requires grad, record the node."""
        ctx = object.__new__(cls)
        return cls._record(ctx, args, cls.forward(ctx, *args))

    @classmethod
    def _record(cls, ctx, args, data):
        """Wrap forward's raw result; link the node into the graph when gradients are needed."""
        a0 = args[0]
        # The output lives where the first tensor argument does; otherwise (device moves,
        # ops whose first argument is not a tensor) the raw array's type says where.
        out = Tensor._wrap(data, a0._backend if a0.__class__ is Tensor and not cls.moves_device else None)
        if cls.is_view:
            out._vbox = a0._vbox
            out._base = a0 if a0._base is None else a0._base
            out._view_version = None  # set below when the view is recorded in the graph
        if not _enabled[0]:
            return out
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                break
        else:
            return out
        if data.dtype.kind != "f":
            return out
        # One edge per forward argument: the input's node, or None. shapes[i] and
        # kinds[i] (the input's shape and NumPy dtype, which its gradient must have) are
        # None exactly for the arguments that are not tensors (next_functions skips those).
        edges = []
        shapes = []
        kinds = []
        for a in args:
            if isinstance(a, Tensor):
                shapes.append(a._data.shape)
                kinds.append(a._data.dtype)
                if a._requires_grad:
                    if a._base is not None and a._view_version is not None and a._view_version != a._vbox[0]:
                        refresh_view(a)
                    node = a._grad_fn
                    edges.append(node if node is not None else (a._accum or a._accumulator()))
                else:
                    edges.append(None)
            else:
                shapes.append(None)
                kinds.append(None)
                edges.append(None)
        ctx._edges = edges
        ctx._shapes = shapes
        ctx._dtypes = kinds
        if cls.saves_output:
            ctx._out = (data, out._vbox, out._vbox[0])
        out._requires_grad = True
        out._grad_fn = ctx
        if cls.is_view and (a0._base is None or a0._view_version is not None):
            # a view in a0's autograd lineage (not of a detached alias, whose memory's base
            # is another graph's tensor): its node is regenerated after in-place changes
            out._view_version = out._vbox[0]
        return out


def refresh_view(a) -> None:
    """a is a view whose memory was modified in place since its node was made (through its base
    or another view of it): as PyTorch does, its node becomes AsStridedBackward0 over the base's
    current node."""
    from .ops.inplace import refresh_view as refresh
    refresh(a)


def _view_node(a):
    """The node of a (which has a base), regenerated first when stale."""
    if a._view_version is not None and a._view_version != a._vbox[0]:
        refresh_view(a)
    return a._grad_fn


def record_pair(ctx, a, b, data):
    """_record for a forward(a, b) of two floating tensors of one dtype on one device, with
    grad mode on: the graph node of + - * without the general loops (the per-op overhead
    of a small training step is mostly this bookkeeping)."""
    out = Tensor._wrap(data, a._backend)
    if not (a._requires_grad or b._requires_grad):
        return out
    # (a view's node is read through _view_node, which regenerates it when stale)
    ctx._edges = [((a._grad_fn if a._base is None else _view_node(a)) or a._accum or a._accumulator())
                  if a._requires_grad else None,
                  ((b._grad_fn if b._base is None else _view_node(b)) or b._accum or b._accumulator())
                  if b._requires_grad else None]
    ctx._shapes = [a._data.shape, b._data.shape]
    ctx._dtypes = [a._data.dtype, b._data.dtype]
    out._requires_grad = True
    out._grad_fn = ctx
    return out


class UserFunction(Function):
    """PyTorch's ``torch.autograd.Function`` for user-defined ops.

    Subclass it with static ``forward(ctx, *args)`` returning a Tensor (it runs without
    recording a graph) and ``backward(ctx, grad_output)`` returning one gradient per
    forward argument; call ``MyOp.apply(*args)``.
    """

    @classmethod
    def apply(cls, *args):
        ctx = object.__new__(cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        prev = _enabled[0]
        _enabled[0] = False
        try:
            out = cls.forward(ctx, *args)
        finally:
            _enabled[0] = prev
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a single Tensor, got {type(out).__name__}")
        return cls._record(ctx, args, out._data)


class AccumulateGrad:
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("_variable", "_hooks", "__weakref__")
    next_functions = ()
    _edges = ()

    def __init__(self, leaf) -> None:
        self._variable = weakref.ref(leaf)
        self._hooks = None

    @property
    def variable(self):
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"

    def _free(self) -> None:
        pass
