"""Function: an op's forward on raw arrays and its backward on Tensors, side by side.

An instance of a Function subclass is the graph node PyTorch calls ``grad_fn``: the
class is named as PyTorch names its node (``AddBackward0``), ``forward`` computes the
output's raw array through the device's op table, and ``backward`` turns the output's
gradient into one gradient per forward argument, written once, in Tensor operations
(so the backward pass can itself be differentiated with ``create_graph=True``). An op
whose backward has a fused kernel names it in ``fused``; the engine runs that kernel
instead when it builds no graph of the backward (the usual ``loss.backward()``).

``apply`` is the only way into the graph: it runs forward, wraps the result, and links
the node only when grad mode is on and an input requires grad. An op may split its
forward as PyTorch's ``autograd.Function`` allows: ``forward(*args)`` computes the raw
result, ``setup_context(ctx, inputs, output)`` saves what backward needs; then no node is
even made when none is recorded (the hot ops do this: it is most of their cost when no
gradient is needed).
"""
from __future__ import annotations

import weakref

from .._backends._table_errors import TABLE_ERRORS, from_table
from .._declare import method
from ..tensor import Tensor
from .grad_mode import _enabled

_new = object.__new__
_wrap = Tensor._wrap
_NOT_A_TENSOR = (None, None, None)

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


def _legacy_type_name(t) -> str:
    return f"torch.{t.dtype.legacy_name}Tensor"


def _modified(t_desc: str, origin: str, version: int, expected: int) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{t_desc}], which is {origin}, is at version {version}; expected "
        f"version {expected} instead. Hint: the backtrace further above can point to the "
        f"operation that failed to compute its gradient.")


class Function:
    """Base of every differentiable operation; its instances are the graph's nodes."""

    # Set on view ops: the output shares the input's memory and version counter.
    is_view = False
    # Set on ops whose backward reads their own output (exp, tanh, sigmoid, ...).
    saves_output = False
    # Set on ops whose output is on another device than their first argument: the op table of
    # that device is the op's last argument.
    moves_device = False
    # The backward as one fused kernel, run by the engine instead of ``backward`` when no
    # graph of the backward pass is built: a ``kernel(...)`` declaration or a function
    # (ctx, grad) -> gradients. None: the engine always runs ``backward``.
    fused = None
    # A staticmethod (ctx, inputs, output) for ops whose forward takes no ctx (see above).
    setup_context = None
    # Which arguments may be tensors that need a gradient: the first n (1 lets apply look at the
    # first argument only: unary ops, reductions, views), all but the last -n when negative
    # (cat's tensors before its dim and dtype); None: any argument.
    tensor_inputs = None

    # One (node, shape, dtype) per forward argument: the node its gradient flows into and the
    # shape and dtype that gradient must have; (None, None, None) for arguments that are not
    # tensors or need no gradient.
    _inputs: tuple = ()
    _saved: tuple | None = ()
    _versions: tuple = ()
    _hooks: list | None = None

    # ----- used inside forward --------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; modifying one in place before backward is an error."""
        self._saved = tensors

    # ----- used inside backward -------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, checked against in-place modification."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        for t, version in zip(saved, self._versions):
            if t is not None and t._vbox[0] != version:
                origin = f"output 0 of {t._grad_fn.name()}" if t._grad_fn is not None else "is a leaf"
                desc = f"{_legacy_type_name(t)} [{', '.join(map(str, t.shape))}]"
                raise _modified(desc, origin, t._vbox[0], version)
        return saved

    @property
    def saved_output(self) -> Tensor:
        """The op's own output, whose grad_fn is this node (as PyTorch's saved outputs): a
        backward formula that reads it is differentiated through it under create_graph."""
        if self._saved is None:
            raise RuntimeError(_FREED)
        data, backend, vbox, version = self._out
        if vbox[0] != version:
            desc = f"{_legacy_type_name(_wrap(data, backend))} [{', '.join(map(str, data.shape))}]"
            raise _modified(desc, f"output 0 of {self.name()}", vbox[0], version)
        out = _wrap(data, backend)
        out._vbox, out._grad_fn, out._requires_grad = vbox, self, True
        return out

    # ----- graph node interface -------------------------------------------------------
    @property
    def next_functions(self) -> tuple:
        """The nodes of the inputs as PyTorch shows them: ((node, 0), ...), (None, 0) for none."""
        return tuple((node, 0) for node, shape, _ in self._inputs if shape is not None)

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

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if (cls.tensor_inputs in (1, 2) and cls.setup_context is not None
                and not cls.moves_device and "apply" not in cls.__dict__):
            cls.apply = cls._apply_leading

    @classmethod
    def _apply_leading(cls, *args):
        """apply for the ops whose tensors needing grad can only be the leading one or two
        arguments (unary ops, reductions, views, binary ops), and which split their context out
        (setup_context): the same steps as apply with fewer questions, on every op's path."""
        a0 = args[0]
        if a0.__class__ is not Tensor and not isinstance(a0, Tensor):
            return Function.apply.__func__(cls, *args)
        try:
            data = cls.forward(*args)
        except TABLE_ERRORS as error:
            better = from_table(error)
            if better is None:
                raise
            raise better from None
        out = _new(Tensor)
        out._data = data
        out._requires_grad = False
        out._grad = None
        out._grad_fn = None
        out._base = None
        out._backend = a0._backend
        out._accum = None
        out._retains_grad = False
        if cls.is_view:
            out._vbox = a0._vbox
            out._base = a0 if a0._base is None else a0._base
            out._view_version = None
        else:
            out._vbox = [0]
        if not _enabled[0]:
            return out
        if not a0._requires_grad:
            if cls.tensor_inputs == 1:
                return out
            b = args[1]
            if b.__class__ is Tensor:
                if not b._requires_grad:
                    return out
            elif not isinstance(b, Tensor) or not b._requires_grad:
                return out
        if data.dtype.kind != "f":
            return out
        ctx = _new(cls)
        cls.setup_context(ctx, args, out)
        ctx._link(args, out)
        return out

    @classmethod
    def apply(cls, *args):
        """Run forward; when grad mode is on and an input requires grad, record the node."""
        setup = cls.setup_context
        try:
            if setup is None:
                ctx = _new(cls)
                data = cls.forward(ctx, *args)
            else:
                data = cls.forward(*args)
        except TABLE_ERRORS as error:  # (an op table's NumPy/numba failure, in PyTorch's words)
            better = from_table(error)
            if better is None:
                raise
            raise better from None
        a0 = args[0]
        tensor0 = a0.__class__ is Tensor or isinstance(a0, Tensor)
        if tensor0 and not cls.moves_device:
            # The output lives where the first tensor argument does (Tensor._wrap, inlined:
            # this is every op's path).
            out = _new(Tensor)
            out._data = data
            out._requires_grad = False
            out._grad = None
            out._grad_fn = None
            out._base = None
            out._backend = a0._backend
            out._accum = None
            out._retains_grad = False
            if cls.is_view:  # shares a0's memory: its version counter and base
                out._vbox = a0._vbox
                out._base = a0 if a0._base is None else a0._base
                out._view_version = None  # set by _link when the view is recorded in the graph
            else:
                out._vbox = [0]
        else:
            # A device move: on the table given as the last argument; no tensor argument:
            # where the raw array's type says.
            out = _wrap(data, args[-1] if cls.moves_device else None)
        if not _enabled[0]:
            return out
        # Is a node needed? Look no further than tensor_inputs arguments.
        if not (tensor0 and a0._requires_grad):
            n = cls.tensor_inputs
            if n == 1:
                return out
            if n == 2:
                b = args[1]
                if not ((b.__class__ is Tensor or isinstance(b, Tensor)) and b._requires_grad):
                    return out
            elif not _any_requires_grad(args if n is None else args[:n]):
                return out
        if data.dtype.kind != "f":  # only floating-point results have gradients
            return out
        if setup is not None:
            ctx = _new(cls)
            setup(ctx, args, out)
        ctx._link(args, out)
        return out

    def _link(self, args: tuple, out: Tensor) -> None:
        """Make self out's grad_fn, with one (node, shape, dtype) per forward argument."""
        inputs = []
        add = inputs.append
        for a in args:
            if a.__class__ is Tensor or isinstance(a, Tensor):
                data = a._data
                if not a._requires_grad:
                    add((None, data.shape, data.dtype))
                elif a._base is None:
                    add((a._grad_fn or a._accum or a._accumulator(), data.shape, data.dtype))
                else:
                    add((a._node(), data.shape, data.dtype))
            else:
                add(_NOT_A_TENSOR)
        self._inputs = inputs
        if self._saved:
            self._versions = tuple(None if t is None else t._vbox[0] for t in self._saved)
        if self.saves_output:
            self._out = (out._data, out._backend, out._vbox, out._vbox[0])
        out._requires_grad = True
        out._grad_fn = self
        if self.is_view:
            a0 = args[0]
            if a0._base is None or a0._view_version is not None:
                # a view in a0's autograd lineage (not of a detached alias, whose memory's
                # base is another graph's tensor): its node is regenerated after in-place changes
                out._view_version = out._vbox[0]


def _any_requires_grad(args: tuple) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


class kernel:
    """A fused backward declared by name: ``fused = kernel("tanh_backward", "output")`` makes
    the engine compute the first input's gradient as ``backend.tanh_backward(grad, output)``.

    Each operand names a value of the node: "output" (its saved output), "saved" (its first
    saved tensor) or an attribute set by forward (a raw value, or a tensor, passed raw)."""

    __slots__ = ("name", "operands")

    def __init__(self, name: str, *operands: str) -> None:
        self.name, self.operands = name, operands

    def __call__(self, ctx, grad):
        values = []
        for name in self.operands:
            if name == "output":
                value = ctx.saved_output
            elif name == "saved":
                value = ctx.saved_tensors[0]
            else:
                value = getattr(ctx, name)
            values.append(value._data if isinstance(value, Tensor) else value)
        be = grad._backend
        result = _wrap(getattr(be, self.name)(grad._data, *values), be)
        return (result,) + (None,) * (len(ctx._inputs) - 1)


class UserFunction(Function):
    """PyTorch's ``torch.autograd.Function`` for user-defined ops.

    Subclass it with static ``forward(ctx, *args)`` returning a Tensor (it runs without
    recording a graph) and ``backward(ctx, grad_output)`` returning one gradient per
    forward argument; call ``MyOp.apply(*args)``.
    """

    @classmethod
    def apply(cls, *args):
        ctx = _new(cls)
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
        result = _wrap(out._data, out._backend)
        if prev and any(isinstance(a, Tensor) and a._requires_grad for a in args) \
                and out._data.dtype.kind == "f":
            ctx._link(args, result)
        return result


class AccumulateGrad:
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("_variable", "_hooks", "__weakref__")
    next_functions = ()
    _inputs = ()
    fused = None

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


# ----- the autograd API of a tensor ---------------------------------------------------------
@method
def _node(self):
    """The node gradients flow into from an op on self: its grad_fn (regenerated first when a
    stale view's), or for a leaf its AccumulateGrad, made once so every use shares it."""
    if self._base is not None:
        return self.grad_fn or self._accumulator()
    return self._grad_fn or self._accum or self._accumulator()


@method
def _accumulator(self) -> AccumulateGrad:
    """The leaf's graph node (made once, so every use of the leaf shares it)."""
    acc = self._accum
    if acc is None:
        acc = self._accum = AccumulateGrad(self)
    return acc


@method
def retain_grad(self) -> None:
    """Keep .grad for this non-leaf tensor after backward."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self._retains_grad:
        return
    self._grad_fn._retained = weakref.ref(self)
    self._retains_grad = True


@method
def register_hook(self, hook):
    """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces grad.

    Returns a handle whose ``remove()`` unregisters the hook.
    """
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = self.grad_fn if self.grad_fn is not None else self._accumulator()
    if node._hooks is None:
        node._hooks = []
    node._hooks.append(hook)
    return _HookHandle(node._hooks, hook)


class _HookHandle:
    """What register_hook returns: ``remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
