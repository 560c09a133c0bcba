"""``torch.cpu.amp``: the deprecated spelling of ``torch.amp`` for the CPU (FutureWarning)."""
from ..amp._deprecated import CpuAutocast as autocast
from ..amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler"]
