"""The ONNX graph being built while the model runs: values, nodes, initializers, and the
symbolic sizes of the dynamic axes.

Every value the trace sees is keyed by the identity of its raw array (``id(tensor._data)``):
an op's output tensor wraps the very array its Function's forward returned, ``detach()``
and ``.data`` share it, and each view is a new array made by a traced view op. Values keep
their array alive so that an id is never reused during one export.

Sizes. Without dynamic axes every size is a number and a reshape's target is a constant.
With them, each dim of each value carries a monomial ``(coef, symbols)``: ``(8, ())`` is the
fixed size 8, ``(4, ("batch",))`` is four times the batch axis; ``"?<n>"`` symbols stand for
sizes that are dynamic but not a product of named axes (a concat of dynamic lengths). The
ops that take sizes as numbers (reshape, expand, slicing, constants shaped like an input)
turn those numbers back into runtime sizes where they match a dynamic size (see
``_shape.resolve_sizes``).
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedOperatorError

INT64_MAX = 2 ** 63 - 1


class Value:
    """One value of the graph: a node output, a graph input, a parameter or a constant."""

    __slots__ = ("g", "_name", "_ready", "shape", "dtype", "dims", "kind", "array", "error")

    def __init__(self, g, kind: str, shape, dtype, dims=None, name: str | None = None,
                 array=None, error: str | None = None) -> None:
        self.g, self.kind, self._name = g, kind, name
        self.shape, self.dtype = tuple(int(s) for s in shape), np.dtype(dtype)
        self.dims = tuple(dims) if dims is not None else static_dims(self.shape)
        self.array, self.error = array, error
        self._ready = kind not in ("const", "param")

    @property
    def is_const(self) -> bool:
        """Known before the model runs: a literal, a folded result, or a folded parameter."""
        return self.kind == "const" or (self.kind == "param" and self.g.fold_params)

    @property
    def dynamic(self) -> bool:
        return any(d[1] for d in self.dims)

    @property
    def name(self) -> str:
        """The graph name, made on first use (constants and parameters become initializers only
        when a node reads them)."""
        if self.error is not None:
            raise UnsupportedOperatorError.because(self.error)
        if not self._ready:
            self.g.materialize(self)
            self._ready = True
        return self._name


def static_dims(shape) -> tuple:
    return tuple((int(s), ()) for s in shape)


def mono_mul(a: tuple, b: tuple) -> tuple:
    return (a[0] * b[0], tuple(sorted(a[1] + b[1])))


def mono_div(a: tuple, b: tuple):
    """a / b as a monomial, or None when b does not divide a."""
    syms = list(a[1])
    for s in b[1]:
        if s not in syms:
            return None
        syms.remove(s)
    if b[0] == 0 or a[0] % b[0]:
        return None
    return (a[0] // b[0], tuple(syms))


def product(dims) -> tuple:
    out = (1, ())
    for d in dims:
        out = mono_mul(out, d)
    return out


class Graph:
    """Nodes, initializers and inputs of the ONNX graph, with the values keyed by raw array."""

    def __init__(self, opset: int, fold_params: bool, export_params: bool) -> None:
        import onnx  # noqa: F401 - the caller has checked that it is installed
        self.opset = opset
        self.fold_params = fold_params
        self.export_params = export_params
        self.nodes: list = []
        self.initializers: dict = {}   # name -> numpy array
        self.inputs: list = []         # Values
        self.param_inputs: list = []   # Values of parameters made graph inputs (export_params=False)
        self.values: dict = {}         # id(raw) -> Value
        self.keep: dict = {}           # id(raw) -> raw: every array seen, kept alive (ids stay unique)
        self.params: dict = {}         # id(raw) -> state_dict name
        self.used: set = set()         # names that exist in the graph
        self.symbols: dict = {}        # symbol -> (example size, input name or None, axis)
        self.module_names: dict = {}   # id(module) -> its name in the model (for new initializers)
        self._scalars: dict = {}
        self._sym_runtime: dict = {}
        self._counter = 0

    # ----- names ------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        name = hint
        while name in self.used:
            self._counter += 1
            name = f"{hint}_{self._counter}"
        self.used.add(name)
        return name

    # ----- values -----------------------------------------------------------------------
    def bind(self, raw, value: Value) -> Value:
        self.values[id(raw)] = value
        self.keep[id(raw)] = raw
        return value

    def value(self, t) -> Value:
        """The Value of a tensor (or raw array) the model used; unknown arrays are constants."""
        raw = t._data if hasattr(t, "_data") else t
        v = self.values.get(id(raw))
        if v is not None:
            return v
        if id(raw) in self.params:
            v = Value(self, "param", raw.shape, raw.dtype, name=self.params[id(raw)], array=_to_numpy(t))
        else:
            array = np.array(_to_numpy(t), copy=True)
            v = Value(self, "const", raw.shape, raw.dtype, dims=self._literal_dims(array), array=array)
        return self.bind(raw, v)

    def _literal_dims(self, array: np.ndarray):
        """A constant made in forward with a size of a dynamic axis (zeros(x.size(0), h),
        arange(x.size(1))) is made in the graph at the runtime size, when it is filled with one
        value or counts up; others keep their example size."""
        named = {size: s for s, (size, source, _) in self.symbols.items() if source is not None and size > 1}
        if not named or array.ndim == 0 or not any(n in named for n in array.shape):
            return None
        flat = array.reshape(-1)
        uniform = bool((flat == flat[0]).all())
        counting = array.ndim == 1 and array.size > 1 and array.dtype.kind in "iuf" and bool(
            (np.diff(flat) == flat[1] - flat[0]).all()) and flat[1] != flat[0]
        if not (uniform or counting):
            return None
        return tuple((1, (named[n],)) if n in named else (int(n), ()) for n in array.shape)

    def materialize(self, v: Value) -> None:
        """Give a constant or parameter its initializer (or, for a parameter that is not
        exported, its graph input); a constant with dynamic sizes is computed in the graph."""
        if v.kind == "param":
            self.used.add(v._name)
            if self.export_params:
                self.initializers[v._name] = v.array
            else:
                self.param_inputs.append(v)
            return
        if v.dynamic:
            v._name = self._dynamic_literal(v)
            return
        v._name = self.const(v.array)

    def _dynamic_literal(self, v: Value) -> str:
        import onnx.numpy_helper
        flat = v.array.reshape(-1)
        if bool((flat == flat[0]).all()):
            shape = self.shape_vector([self.runtime_dim(d) if d[1] else d[0] for d in v.dims])
            return self.op("ConstantOfShape", shape, hint="full",
                           value=onnx.numpy_helper.from_array(flat[:1].copy()))
        start, step = flat[0], flat[1] - flat[0]
        count = self.op("Squeeze", self.runtime_dim(v.dims[0]), self.ints([0]))
        limit = self.op("Add", self.op("Mul", self.cast(count, np.int64, v.dtype), self.scalar(step, v.dtype)),
                        self.scalar(start, v.dtype))
        return self.op("Range", self.scalar(start, v.dtype), limit, self.scalar(step, v.dtype), hint="arange")

    def const(self, array, hint: str = "val") -> str:
        """A constant as an initializer; small scalars and shape vectors are shared."""
        array = np.asarray(array)
        key = None
        if array.size <= 8:
            key = (array.dtype.str, array.shape, array.tobytes())
            if key in self._scalars:
                return self._scalars[key]
        name = self.fresh(hint)
        self.initializers[name] = array
        if key is not None:
            self._scalars[key] = name
        return name

    def scalar(self, value, dtype) -> str:
        return self.const(np.array(value, dtype=dtype))

    def ints(self, values) -> str:
        return self.const(np.array(list(values), dtype=np.int64))

    # ----- nodes ------------------------------------------------------------------------
    def op(self, op_type: str, *inputs, outputs: int = 1, hint: str | None = None, **attrs):
        """Add a node; returns its output name (or names, when outputs > 1)."""
        import onnx.helper
        names = [self.fresh(hint or op_type.lower()) for _ in range(outputs)]
        ins = [i if isinstance(i, str) else (i.name if i is not None else "") for i in inputs]
        self.nodes.append(onnx.helper.make_node(op_type, ins, names, name=f"node_{names[0]}",
                                                **{k: v for k, v in attrs.items() if v is not None}))
        return names[0] if outputs == 1 else names

    def cast(self, name: str, have, want) -> str:
        """name converted to dtype want (no node when it already is)."""
        import onnx.helper
        if np.dtype(have) == np.dtype(want):
            return name
        return self.op("Cast", name, to=onnx.helper.np_dtype_to_tensor_dtype(np.dtype(want)))

    def operand(self, x, dtype) -> str:
        """A tensor or Python number as a graph value of dtype."""
        if hasattr(x, "_data"):
            v = self.value(x)
            if v.is_const and not v.dynamic and v.dtype != np.dtype(dtype):
                return self.const(v.array.astype(dtype))
            return self.cast(v.name, v.dtype, dtype)
        return self.scalar(x, dtype)

    # ----- reductions and other opset-dependent forms ------------------------------------------
    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """Reduce* over axes (None: all); axes are an input from opset 18 (13 for ReduceSum)."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def squeeze(self, x: str, axes) -> str:
        return self.op("Squeeze", x, self.ints(axes))

    def unsqueeze(self, x: str, axes) -> str:
        return self.op("Unsqueeze", x, self.ints(axes))

    # ----- dynamic sizes ----------------------------------------------------------------
    def add_symbol(self, symbol: str, size: int, input_name: str, axis: int) -> None:
        if symbol not in self.symbols:
            self.symbols[symbol] = (int(size), input_name, axis)

    def example(self, dim: tuple) -> int:
        size = dim[0]
        for s in dim[1]:
            size *= self.symbols[s][0]
        return size

    def opaque(self, size: int) -> tuple:
        """A dynamic size that is no product of named axes."""
        name = f"?{len(self.symbols)}"
        self.symbols[name] = (int(size), None, None)
        return (1, (name,))

    def symbol_size(self, symbol: str) -> str:
        """The runtime size of a named axis, as a 1-element int64 vector."""
        if symbol not in self._sym_runtime:
            _, input_name, axis = self.symbols[symbol]
            shape = self.op("Shape", input_name, hint="shape")
            self._sym_runtime[symbol] = self.op("Gather", shape, self.ints([axis]), axis=0, hint="size")
        return self._sym_runtime[symbol]

    def runtime_dim(self, dim: tuple) -> str:
        """A monomial of named axes as a 1-element int64 vector computed in the graph."""
        out = None
        for s in dim[1]:
            size = self.symbol_size(s)
            out = size if out is None else self.op("Mul", out, size)
        if dim[0] != 1 or out is None:
            coef = self.ints([dim[0]])
            out = coef if out is None else self.op("Mul", out, coef)
        return out

    def dim_of(self, x: str, axis: int) -> str:
        """Size of axis of the value named x, as a 1-element int64 vector."""
        return self.op("Gather", self.op("Shape", x, hint="shape"), self.ints([axis]), axis=0, hint="size")

    def shape_vector(self, parts) -> str:
        """Concatenate shape parts: ints (fixed) or names of 1-element int64 vectors."""
        if all(isinstance(p, int) for p in parts):
            return self.ints(parts)
        pieces, run = [], []
        for p in parts:
            if isinstance(p, int):
                run.append(p)
                continue
            if run:
                pieces.append(self.ints(run))
                run = []
            pieces.append(p)
        if run:
            pieces.append(self.ints(run))
        return pieces[0] if len(pieces) == 1 else self.op("Concat", *pieces, axis=0, hint="shape")


def _to_numpy(t) -> np.ndarray:
    if hasattr(t, "_backend"):
        return t._backend.to_numpy(t._data)
    return np.asarray(t)
