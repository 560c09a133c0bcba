"""minitorch.onnx: export a model to ONNX, as torch.onnx.export does.

``export(model, args, "model.onnx")`` runs the model once on the example args and records
every op it runs as ONNX nodes (a tracer, like torch's legacy TorchScript exporter; the
signature is torch 2.13's, ``dynamo=`` included). The file is a standard ModelProto written
through the ``onnx`` package, an optional extra: ``pip install "minitorch[onnx]"`` (onnx, and
onnxruntime to run or check the result). Without it this module still imports, and
``export`` says what to install.

Why trace at the op layer: every differentiable op of minitorch goes through one
``Function.apply``, so recording there sees everything a custom forward does (arithmetic,
views, indexing, cat, reductions) with the exact arguments the op got, and one converter
per Function class is enough. The hooks are put in place only while ``export`` runs and
removed in a ``finally`` (see ``_trace.py``): outside an export no op checks anything.
nn.RNN/LSTM/GRU are the exception, recorded at the module level, because ONNX has these
layers as single nodes whose sequence length and batch stay dynamic.

The graph is the one the example inputs took: Python control flow and sizes read with
``.item()`` are fixed at their example values, as with torch's tracer. See docs/onnx.md.
"""
from . import errors
from ._export import OperatorExportTypes, TrainingMode, export, is_in_onnx_export
from ._program import ONNXProgram
from .errors import OnnxExporterError

__all__ = ["errors", "export", "is_in_onnx_export", "OnnxExporterError", "ONNXProgram", "TrainingMode",
           "OperatorExportTypes"]
