"""Autograd: graph nodes (Function), the backward engine, grad mode, gradcheck."""
from .engine import backward, grad
from .function import UserFunction as Function
from .gradcheck import GradcheckError, gradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "backward", "grad", "gradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]
