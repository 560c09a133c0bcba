"""minitorch.backends: PyTorch's ``torch.backends`` namespace.

The switches and questions PyTorch programs ask about the libraries behind the ops:
``cudnn`` (``benchmark``, ``deterministic``, ...), ``cuda`` (``matmul.allow_tf32``), ``mps``,
``cpu``, ``mkldnn`` and ``openmp``. minitorch has none of those libraries: its kernels are its
own (numba on the CPU, numba.cuda on the GPU), so the flags can be set and read back as in
PyTorch but change no computation, and the ``is_available()`` questions answer for
minitorch. (The op tables of the devices are ``minitorch._backends``.)
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
