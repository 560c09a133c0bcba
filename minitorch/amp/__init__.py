"""minitorch.amp: PyTorch's automatic-mixed-precision API for scripts that use it.

minitorch trains in float32: ``autocast`` regions run in the tensors' own dtype (a warning
says so when one asks for mixed precision), and ``GradScaler`` scales, unscales, skips
steps with inf/NaN gradients and updates its scale exactly as PyTorch's does.
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
