"""Shared by the ONNX export tests: export a model, run the file in onnxruntime, and compare
with what minitorch itself computes for the same inputs."""
import io

import numpy as np

import minitorch
import minitorch.onnx
from minitorch.onnx._trace import _flat


def tensors(obj) -> list:
    return [t for t in _flat(obj) if isinstance(t, minitorch.Tensor)]


def run_onnx(data: bytes, inputs) -> list:
    import onnxruntime
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), tensors(inputs))}
    return session.run(None, feeds)


def roundtrip(model, args, others=(), rtol=1e-4, atol=1e-5, **kwargs):
    """Export model on args, then check onnxruntime against minitorch on args and on each
    tuple of other inputs (other sizes, for dynamic axes). Returns the onnx.ModelProto."""
    import onnx
    if isinstance(model, minitorch.nn.Module):
        model.eval()
    args = args if isinstance(args, tuple) else (args,)
    buf = io.BytesIO()
    minitorch.onnx.export(model, args, buf, dynamo=False, **kwargs)
    data = buf.getvalue()
    for inputs in (args,) + tuple(others):
        with minitorch.no_grad():
            want = tensors(model(*inputs))
        got = run_onnx(data, inputs)
        assert len(got) == len(want)
        for w, h in zip(want, got):
            w = w.numpy()
            assert h.shape == w.shape, (h.shape, w.shape)
            assert h.dtype == w.dtype, (h.dtype, w.dtype)
            np.testing.assert_allclose(h, w, rtol=rtol, atol=atol)
    return onnx.load_from_string(data)


def op_types(proto) -> set:
    return {n.op_type for n in proto.graph.node}


def dim_names(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]
