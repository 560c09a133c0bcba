"""minitorch.nn.parallel: DistributedDataParallel (one process per replica, on MPI)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
