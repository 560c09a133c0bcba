"""The exceptions of minitorch.onnx, named as torch.onnx.errors names them."""
from __future__ import annotations

__all__ = ["OnnxExporterError", "OnnxExporterWarning", "UnsupportedOperatorError"]


class OnnxExporterWarning(UserWarning):
    """Something in the model that the exported graph may not reproduce (a size fixed at its
    example value, a data-dependent branch)."""


class OnnxExporterError(RuntimeError):
    """The model cannot be exported as asked."""


class UnsupportedOperatorError(OnnxExporterError):
    """An operation of the model has no ONNX translation (at this opset)."""

    def __init__(self, name: str, version: int, supported_version: int | None = None, detail: str = "") -> None:
        if supported_version is not None:
            msg = (f"Exporting the operator '{name}' to ONNX opset version {version} is not supported. "
                   f"Support for this operator was added in version {supported_version}, try exporting "
                   "with this version.")
        else:
            msg = f"Exporting the operator '{name}' to ONNX opset version {version} is not supported by minitorch.onnx"
            msg += f": {detail}" if detail else "."
        super().__init__(msg)

    @classmethod
    def because(cls, message: str) -> "UnsupportedOperatorError":
        """The error raised when a graph output depends on an op that could not be translated."""
        err = cls.__new__(cls)
        OnnxExporterError.__init__(err, message)
        return err
