"""ONNXProgram (what export returns with dynamo=True) and writing a model to a file."""
from __future__ import annotations

import os
import tempfile

import numpy as np

from .errors import OnnxExporterError


class ONNXProgram:
    """An exported model: ``model_proto`` (an onnx.ModelProto), ``save(path)``, and calling it
    runs the graph in onnxruntime on minitorch tensors."""

    def __init__(self, model_proto, outputs_like=None) -> None:
        self.model_proto = model_proto
        self.exported_program = None
        self._session = None

    def __repr__(self) -> str:
        import onnx
        return f"ONNXProgram(\n    model=\n{onnx.printer.to_text(self.model_proto.graph)}\n)"

    def save(self, destination, *, include_initializers: bool = True, keep_initializers_as_inputs: bool = False,
             external_data: bool | None = None) -> None:
        """Write the model to destination (a path or a binary file); external_data=True puts the
        weights in ``<destination>.data`` (None: only for models over 2 GB)."""
        import onnx
        proto = onnx.ModelProto()
        proto.CopyFrom(self.model_proto)
        graph = proto.graph
        if keep_initializers_as_inputs:
            names = {i.name for i in graph.input}
            graph.input.extend(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                               for t in graph.initializer if t.name not in names)
        if not include_initializers:
            del graph.initializer[:]
        if external_data is None:
            external_data = proto.ByteSize() > 2 ** 31 - 2 ** 20
        write_model(proto, destination, external_data=external_data)

    def initialize_inference_session(self, initializer=None) -> None:
        """Make the onnxruntime session used by ``__call__``."""
        session_for = initializer or _session
        self._session = session_for(self.model_proto)

    def release(self) -> None:
        self._session = None

    def __call__(self, *args, **kwargs) -> tuple:
        """Run the graph on tensors (in the order of the graph's inputs); a tuple of tensors."""
        from .. import _creation
        from ._trace import _flat
        if self._session is None:
            self.initialize_inference_session()
        tensors = [t for t in _flat(list(args) + list(kwargs.values())) if hasattr(t, "_data")]
        feeds = {i.name: t._backend.to_numpy(t._data) for i, t in zip(self._session.get_inputs(), tensors)}
        return tuple(_creation.from_numpy(np.ascontiguousarray(o)) for o in self._session.run(None, feeds))

    def verify(self, inputs, outputs, rtol: float = 1e-4, atol: float = 1e-5) -> None:
        """Raise OnnxExporterError unless onnxruntime reproduces the model's outputs."""
        got = self(*inputs)
        for k, (want, have) in enumerate(zip(outputs, got)):
            w = want._backend.to_numpy(want._data)
            h = have.numpy()
            if w.shape != h.shape or not np.allclose(h, w, rtol=rtol, atol=atol, equal_nan=True):
                diff = np.max(np.abs(h.astype(np.float64) - w)) if w.shape == h.shape else "shape"
                raise OnnxExporterError(f"verify: output {k} of the exported graph differs from the model's "
                                        f"(max abs difference {diff}, shapes {list(h.shape)} and {list(w.shape)})")


def _session(model_proto):
    try:
        import onnxruntime
    except ImportError as e:
        raise ModuleNotFoundError('running an exported model needs onnxruntime: pip install "minitorch[onnx]"',
                                  name="onnxruntime") from e
    return onnxruntime.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"])


def write_model(proto, f, *, external_data: bool) -> None:
    """Write proto to f: a path (atomically: temporary names, then renames) or a binary file.
    With external_data and a path, the initializers' bytes go to ``<f>.data`` beside it."""
    import onnx
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not external_data:
        _atomic_write(folder, path, proto.SerializeToString())
        return
    location = os.path.basename(path) + ".data"
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    blob, offset = [], 0
    for tensor in model.graph.initializer:
        data = tensor.raw_data or onnx.numpy_helper.to_array(tensor).tobytes()
        pad = (-offset) % 64
        blob.append(b"\0" * pad)
        offset += pad
        tensor.raw_data = data
        onnx.external_data_helper.set_external_data(tensor, location, offset=offset, length=len(data))
        tensor.ClearField("raw_data")
        blob.append(data)
        offset += len(data)
    _atomic_write(folder, os.path.join(folder, location), b"".join(blob))
    _atomic_write(folder, path, model.SerializeToString())


def _atomic_write(folder: str, path: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".onnx")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
