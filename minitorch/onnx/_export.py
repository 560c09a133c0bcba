"""minitorch.onnx.export: run the model once under the tracer, then write the ModelProto."""
from __future__ import annotations

import enum
import inspect
import warnings

import numpy as np

from ..tensor import Tensor
from .errors import OnnxExporterError, UnsupportedOperatorError

_INSTALL = 'minitorch.onnx.export needs the onnx package: pip install "minitorch[onnx]"'
DEFAULT_OPSET = 20
MIN_OPSET = 14
_exporting = [False]


class TrainingMode(enum.IntEnum):
    """The mode the model runs in while it is exported (torch.onnx.TrainingMode)."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """Accepted for compatibility: only ONNX (standard operators) is produced."""
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def is_in_onnx_export() -> bool:
    """True while export is running the model."""
    return _exporting[0]


def _require_onnx():
    try:
        import onnx
    except ImportError as e:
        raise ModuleNotFoundError(_INSTALL, name="onnx") from e
    return onnx


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=True, external_data=True, dynamic_shapes=None,
           custom_translation_table=None, report=False, optimize=True, verify=False, profile=False,
           dump_exported_program=False, artifacts_dir=".", export_params=True,
           keep_initializers_as_inputs=False, dynamic_axes=None, training=TrainingMode.EVAL,
           operator_export_type=OperatorExportTypes.ONNX, do_constant_folding=True, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True):
    """Export model to ONNX by running it once on args (see docs/onnx.md).

    Returns an ONNXProgram with ``dynamo=True`` (the default), else None. ``f``: a path or a
    writable binary file (with ``dynamo=True`` and ``external_data=True`` the weights go to
    ``<f>.data`` beside a path, as PyTorch writes them).
    """
    onnx = _require_onnx()
    from ._graph import Graph
    from ._program import ONNXProgram, write_model
    from ._registry import Registry
    from ._trace import Tracer, _flat

    if custom_translation_table:
        raise NotImplementedError("minitorch.onnx.export: custom_translation_table (ONNX Script functions "
                                  "keyed by torch ops) is not supported")
    if export_modules_as_functions:
        raise NotImplementedError("minitorch.onnx.export: export_modules_as_functions is not supported")
    if operator_export_type not in (None, OperatorExportTypes.ONNX):
        raise NotImplementedError("minitorch.onnx.export produces standard ONNX operators only "
                                  "(operator_export_type=OperatorExportTypes.ONNX)")
    if not dynamo and f is None:
        raise TypeError("export() with dynamo=False needs f, the file to write")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"Unsupported ONNX opset version: {opset} (minitorch.onnx exports opsets "
                         f"{MIN_OPSET} to {newest})")

    args, kwargs = _split_args(args, kwargs)
    names, tensors = _input_tensors(model, args, kwargs, input_names)
    dyn = _dynamic_axes(dynamic_axes, dynamic_shapes, names, output_names)

    g = Graph(opset, fold_params=bool(do_constant_folding) and bool(export_params), export_params=bool(export_params))
    if hasattr(model, "named_parameters"):
        for pname, p in list(model.named_parameters()) + list(model.named_buffers()):
            g.params.setdefault(id(p._data), pname)
            g.keep[id(p._data)] = p._data
        g.module_names = {id(m): n for n, m in model.named_modules() if n}
    else:
        g.module_names = {}
    for name, t in zip(names, tensors):
        _add_input(g, name, t, dyn.get(name, {}))

    from ..autograd.grad_mode import no_grad
    was_training = getattr(model, "training", None)
    if training == TrainingMode.EVAL and was_training:
        model.train(False)
    elif training == TrainingMode.TRAINING and was_training is False:
        model.train(True)
    _exporting[0] = True
    try:
        with no_grad(), Tracer(g, Registry()):
            result = model(*args, **kwargs)
    finally:
        _exporting[0] = False
        if was_training is not None and model.training != was_training:
            model.train(was_training)

    outputs = [t for t in _flat(result) if isinstance(t, Tensor)]
    if not outputs:
        raise OnnxExporterError("the model returned no tensor to export")
    proto = _build_model(onnx, g, outputs, output_names, dyn, keep_initializers_as_inputs)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if report or profile or dump_exported_program:
        warnings.warn("minitorch.onnx.export: report, profile and dump_exported_program are not supported "
                      "and were ignored", stacklevel=2)
    program = ONNXProgram(proto, outputs_like=outputs)
    if verify:
        program.verify(tensors, outputs)
    if f is not None:
        write_model(proto, f, external_data=bool(dynamo and external_data))
    return program if dynamo else None


# ----- inputs --------------------------------------------------------------------------------
def _split_args(args, kwargs):
    if isinstance(args, Tensor):
        args = (args,)
    elif not isinstance(args, tuple):
        args = tuple(args) if isinstance(args, list) else (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict) and not kwargs:
        # (legacy torch.onnx.export) a dict at the end of args holds keyword arguments
        kwargs, args = dict(args[-1]), args[:-1]
    return args, kwargs


def _input_tensors(model, args, kwargs, input_names):
    """The tensors among args and kwargs (nested lists and tuples flattened), in order, and their
    graph names: input_names first, then the forward's parameter names."""
    from ._trace import _flat
    try:
        params = list(inspect.signature(model.forward if hasattr(model, "forward") else model).parameters)
    except (TypeError, ValueError):
        params = []
    default = []
    for i, a in enumerate(args):
        base = params[i] if i < len(params) and not params[i].startswith("*") else f"input_{i}"
        items = [t for t in _flat(a) if isinstance(t, Tensor)]
        default += [base] if isinstance(a, Tensor) else [f"{base}_{k}" for k in range(len(items))]
    for key, a in kwargs.items():
        items = [t for t in _flat(a) if isinstance(t, Tensor)]
        default += [key] if isinstance(a, Tensor) else [f"{key}_{k}" for k in range(len(items))]
    tensors = [t for t in _flat(list(args) + list(kwargs.values())) if isinstance(t, Tensor)]
    names = list(input_names or [])[:len(tensors)]
    for name in default[len(names):]:
        while name in names:
            name += "_"
        names.append(name)
    return names, tensors


def _dynamic_axes(dynamic_axes, dynamic_shapes, input_names, output_names) -> dict:
    """{graph name: {axis: symbol}} from dynamic_axes (or dynamic_shapes keyed by input)."""
    spec = {}
    if dynamic_axes:
        known = set(input_names) | set(output_names or [])
        for key, axes in dynamic_axes.items():
            if key not in known:
                warnings.warn(f"Provided key {key} for dynamic axes is not a valid input/output name",
                              stacklevel=3)
            if isinstance(axes, dict):
                spec[key] = {int(a): str(n) for a, n in axes.items()}
            else:
                spec[key] = {int(a): f"{key}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    if dynamic_shapes:
        items = dynamic_shapes.items() if isinstance(dynamic_shapes, dict) else zip(input_names, dynamic_shapes)
        for key, axes in items:
            if axes is None:
                continue
            if isinstance(axes, dict):
                spec[key] = {int(a): (n if isinstance(n, str) else getattr(n, "__name__", f"{key}_dim_{a}"))
                             for a, n in axes.items() if n is not None}
            else:
                spec[key] = {int(a): f"{key}_dim_{a}" for a in axes}
    return spec


def _add_input(g, name: str, t: Tensor, axes: dict) -> None:
    from ._graph import Value
    raw = t._data
    dims = []
    for k, size in enumerate(raw.shape):
        if k in axes:
            g.add_symbol(axes[k], size, name, k)
            dims.append((1, (axes[k],)))
        else:
            dims.append((int(size), ()))
    g.used.add(name)
    v = Value(g, "input", raw.shape, raw.dtype, dims=dims, name=name)
    g.inputs.append(v)
    g.bind(raw, v)


# ----- the model -------------------------------------------------------------------------------
def _build_model(onnx, g, outputs, output_names, dyn, keep_initializers_as_inputs):
    from onnx import helper, numpy_helper
    out_names, out_values = [], []
    taken = {v.name for v in g.inputs}
    rename = {}
    for k, t in enumerate(outputs):
        v = g.value(t)
        if v.error is not None:
            raise UnsupportedOperatorError.because(v.error)
        want = output_names[k] if output_names and k < len(output_names) else None
        name = v.name
        produced = v.kind == "node" and name not in taken and name not in rename
        if produced and (want is None or want not in g.used):
            if want is not None:
                rename[name] = want
                name = want
        else:
            name = g.op("Identity", name, hint=want or "output")
            if want is not None and name != want:
                rename[name] = want
                name = want
        taken.add(name)
        out_names.append(name)
        out_values.append(v)
    nodes = [_renamed(helper, n, rename) for n in g.nodes] if rename else list(g.nodes)
    nodes = _live(nodes, out_names)
    needed = {i for n in nodes for i in n.input} | set(out_names)
    inits = [numpy_helper.from_array(np.asarray(a, order="C"), name) for name, a in g.initializers.items()
             if name in needed]
    graph_inputs = [_value_info(helper, v.name, v, dyn.get(v.name, {})) for v in g.inputs]
    graph_inputs += [_value_info(helper, v._name, v, {}) for v in g.param_inputs if v._name in needed]
    if keep_initializers_as_inputs:
        graph_inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    graph_outputs = [_value_info(helper, name, v, dyn.get(name, {})) for name, v in zip(out_names, out_values)]
    graph = helper.make_graph(nodes, "main_graph", graph_inputs, graph_outputs, initializer=inits)
    opset = [helper.make_opsetid("", g.opset)]
    from .. import __version__
    model = helper.make_model(graph, opset_imports=opset, producer_name="minitorch",
                              producer_version=__version__, ir_version=helper.find_min_ir_version_for(opset))
    if model.ByteSize() < 2 ** 31 - 2 ** 20:
        onnx.checker.check_model(model)
    return model


def _renamed(helper, node, rename):
    if not any(n in rename for n in list(node.input) + list(node.output)):
        return node
    new = helper.make_node(node.op_type, [rename.get(n, n) for n in node.input],
                           [rename.get(n, n) for n in node.output], name=node.name)
    new.attribute.extend(node.attribute)
    return new


def _live(nodes, outputs):
    """The nodes the outputs depend on (the trace also converts ops whose results go unused)."""
    needed, keep = set(outputs), []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    return list(reversed(keep))


def _value_info(helper, name, v, axes: dict):
    shape = []
    for k, (size, d) in enumerate(zip(v.shape, v.dims)):
        if k in axes:
            shape.append(axes[k])
        elif d[1]:
            shape.append(d[1][0] if d == (1, d[1]) and len(d[1]) == 1 and not d[1][0].startswith("?")
                         else f"{name}_dim_{k}")
        else:
            shape.append(int(size))
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(v.dtype), shape)

