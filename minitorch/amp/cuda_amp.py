"""``torch.cuda.amp``: the deprecated spelling of ``torch.amp`` for CUDA (FutureWarning).
minitorch.cuda registers this module as ``minitorch.cuda.amp``."""
from ._deprecated import CudaAutocast as autocast
from ._deprecated import CudaGradScaler as GradScaler
from ._deprecated import cuda_custom_bwd as custom_bwd
from ._deprecated import cuda_custom_fwd as custom_fwd

__all__ = ["autocast", "custom_fwd", "custom_bwd", "GradScaler"]
