"""minitorch.onnx.export's interface, as torch.onnx.export's: what it returns and writes, names,
dynamic axes, parameters as initializers or inputs, training mode, and that the tracer's
hooks are gone after an export (also a failed one)."""
import io
import os

import numpy as np
import pytest

import minitorch as torch
import minitorch.onnx
from minitorch import nn


onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from minitorch.autograd.function import Function  # noqa: E402
from minitorch.onnx._trace import _subclasses  # noqa: E402

from ._onnx_check import dim_names, op_types, run_onnx  # noqa: E402


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)).eval()


def test_dynamo_export_returns_a_program_that_runs_and_saves(tmp_path):
    model, x = _mlp(), torch.randn(2, 4)
    program = minitorch.onnx.export(model, (x,))
    assert isinstance(program, minitorch.onnx.ONNXProgram)
    (out,) = program(x)
    np.testing.assert_allclose(out.numpy(), model(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    program.save(tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == ["m.onnx"]
    onnx.checker.check_model(str(tmp_path / "m.onnx"))
    assert "ONNXProgram" in repr(program) and "Gemm" in repr(program)


def test_a_path_gets_the_weights_beside_it_as_torch_writes_them(tmp_path):
    model, x = _mlp(), torch.randn(2, 4)
    path = tmp_path / "model.onnx"
    minitorch.onnx.export(model, (x,), str(path))
    assert sorted(os.listdir(tmp_path)) == ["model.onnx", "model.onnx.data"]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert minitorch.onnx.export(model, (x,), tmp_path / "one.onnx", dynamo=False) is None
    assert "one.onnx.data" not in os.listdir(tmp_path)
    loaded = onnx.load(str(tmp_path / "one.onnx"))
    assert {i.name for i in loaded.graph.initializer} == {"0.weight", "0.bias", "3.weight", "3.bias"}


def test_names_come_from_input_names_output_names_or_the_forward_signature():
    class Two(nn.Module):
        def forward(self, left, right, scale=2.0):
            return left * scale, right + left

    a, b = torch.randn(2, 3), torch.randn(2, 3)
    buf = io.BytesIO()
    minitorch.onnx.export(Two(), (a, b), buf, dynamo=False)
    graph = onnx.load_from_string(buf.getvalue()).graph
    assert [i.name for i in graph.input] == ["left", "right"]
    buf = io.BytesIO()
    minitorch.onnx.export(Two(), (a, b, {"scale": 3.0}), buf, input_names=["a"], output_names=["p", "q"],
                          dynamo=False)
    graph = onnx.load_from_string(buf.getvalue()).graph
    assert [i.name for i in graph.input] == ["a", "right"]
    assert [o.name for o in graph.output] == ["p", "q"]
    p, q = run_onnx(buf.getvalue(), (a, b))
    np.testing.assert_allclose(p, a.numpy() * 3.0, rtol=1e-6)
    np.testing.assert_allclose(q, (b + a).numpy(), rtol=1e-6)


def test_an_input_returned_as_it_is_gets_its_own_output():
    buf = io.BytesIO()
    minitorch.onnx.export(nn.Identity(), (torch.randn(2, 3),), buf, output_names=["same"], dynamo=False)
    graph = onnx.load_from_string(buf.getvalue()).graph
    assert [n.op_type for n in graph.node] == ["Identity"] and graph.output[0].name == "same"


def test_dynamic_axes_list_form_names_the_axes_as_torch_does():
    class Sum(nn.Module):
        def forward(self, x):
            return torch.sum(x, dim=1)
    buf = io.BytesIO()
    minitorch.onnx.export(Sum(), (torch.ones(2, 2),), buf, input_names=["x"], output_names=["sum"],
                          dynamic_axes={"x": {0: "my_custom_axis_name"}, "sum": [0]}, dynamo=False)
    graph = onnx.load_from_string(buf.getvalue()).graph
    assert dim_names(graph.input[0]) == ["my_custom_axis_name", 2]
    assert dim_names(graph.output[0]) == ["sum_dynamic_axes_1"]
    (got,) = run_onnx(buf.getvalue(), (torch.ones(5, 2),))
    np.testing.assert_allclose(got, np.full(5, 2.0))


def test_unknown_dynamic_axes_key_warns():
    with pytest.warns(UserWarning, match="Provided key nope for dynamic axes is not a valid input/output name"):
        minitorch.onnx.export(nn.ReLU(), (torch.randn(2),), dynamic_axes={"nope": [0]})


def test_export_params_false_makes_parameters_graph_inputs():
    model, x = _mlp(), torch.randn(2, 4)
    proto = minitorch.onnx.export(model, (x,), export_params=False).model_proto
    assert len(proto.graph.initializer) == 0
    assert [i.name for i in proto.graph.input] == ["input", "0.weight", "0.bias", "3.weight", "3.bias"]
    kept = minitorch.onnx.export(model, (x,), keep_initializers_as_inputs=True).model_proto
    assert {i.name for i in kept.graph.initializer} <= {i.name for i in kept.graph.input}


def test_exported_in_eval_mode_and_the_training_flag_comes_back():
    model, x = _mlp(), torch.randn(2, 4)
    model.train()
    proto = minitorch.onnx.export(model, (x,)).model_proto
    assert model.training and "Dropout" not in op_types(proto)
    seen = []
    model.register_forward_hook(lambda m, a, o: seen.append(m.training))
    proto = minitorch.onnx.export(model, (x,), training=minitorch.onnx.TrainingMode.PRESERVE).model_proto
    assert seen == [True] and "Dropout" in op_types(proto) and model.training


def test_hooks_are_removed_after_an_export_and_after_a_failed_one():
    import minitorch._ops.compare as compare
    subs = _subclasses(Function)
    before = {cls: vars(cls).get("forward") for cls in subs}
    tensor_attrs = {n: vars(torch.Tensor)[n] for n in ("__invert__", "logical_not", "isnan")}
    compare_fn = compare._compare
    inside = []

    class Boom(nn.Module):
        def forward(self, x):
            inside.append(minitorch.onnx.is_in_onnx_export())
            y = (x + 1) > 0
            raise ValueError("boom")

    minitorch.onnx.export(_mlp(), (torch.randn(2, 4),))
    with pytest.raises(ValueError, match="boom"):
        minitorch.onnx.export(Boom(), (torch.randn(2),))
    assert inside == [True] and minitorch.onnx.is_in_onnx_export() is False
    assert {cls: vars(cls).get("forward") for cls in subs} == before
    assert {n: vars(torch.Tensor)[n] for n in tensor_attrs} == tensor_attrs
    assert compare._compare is compare_fn and nn.LSTM.forward.__name__ == "forward"


def test_verify_runs_onnxruntime_against_the_model():
    model, x = _mlp(), torch.randn(2, 4)
    assert isinstance(minitorch.onnx.export(model, (x,), verify=True), minitorch.onnx.ONNXProgram)


def test_bad_arguments_raise_clear_errors():
    model, x = _mlp(), torch.randn(2, 4)
    with pytest.raises(ValueError, match="Unsupported ONNX opset version: 9"):
        minitorch.onnx.export(model, (x,), opset_version=9)
    with pytest.raises(TypeError, match="needs f"):
        minitorch.onnx.export(model, (x,), dynamo=False)
    with pytest.raises(NotImplementedError, match="export_modules_as_functions"):
        minitorch.onnx.export(model, (x,), export_modules_as_functions=True)
    with pytest.raises(minitorch.onnx.OnnxExporterError, match="no tensor"):
        minitorch.onnx.export(Fn := type("Fn", (nn.Module,), {"forward": lambda self, x: 3})(), (x,))  # noqa: F841


def test_a_single_tensor_args_and_kwargs_are_accepted():
    class Scale(nn.Module):
        def forward(self, x, factor=None):
            return x * factor
    x, f = torch.randn(3), torch.randn(3)
    proto = minitorch.onnx.export(Scale(), x, kwargs={"factor": f}).model_proto
    assert [i.name for i in proto.graph.input] == ["x", "factor"]
    (got,) = run_onnx(proto.SerializeToString(), (x, f))
    np.testing.assert_allclose(got, (x * f).numpy(), rtol=1e-6)


def test_values_read_into_python_warn_that_the_graph_fixes_them():
    class Branchy(nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x * 3

    with pytest.warns(minitorch.onnx.errors.OnnxExporterWarning, match="Python boolean might cause the trace"):
        minitorch.onnx.export(Branchy(), (torch.ones(3),))


def test_dynamic_shapes_keyed_by_input_name():
    torch.manual_seed(0)
    proto = minitorch.onnx.export(nn.LSTM(5, 6), (torch.randn(4, 2, 5),),
                                  dynamic_shapes={"input": {0: "t", 1: "b"}}).model_proto
    assert dim_names(proto.graph.input[0]) == ["t", "b", 5]
    (out, h, c) = run_onnx(proto.SerializeToString(), (torch.randn(7, 3, 5),))
    assert out.shape == (7, 3, 6) and h.shape == c.shape == (1, 3, 6)
