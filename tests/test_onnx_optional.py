"""minitorch.onnx without its optional extra: the module imports, export says what to install."""
import io
import subprocess
import sys

import pytest

import minitorch as torch
from minitorch import nn


def test_without_the_onnx_package_export_says_what_to_install(monkeypatch):
    import minitorch.onnx
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert minitorch.onnx.is_in_onnx_export() is False
    with pytest.raises(ModuleNotFoundError, match=r'pip install "minitorch\[onnx\]"'):
        minitorch.onnx.export(nn.Linear(2, 2), (torch.randn(1, 2),), io.BytesIO())


def test_importing_minitorch_onnx_does_not_import_onnx():
    code = "import sys, minitorch.onnx; print('onnx' in sys.modules, 'onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
