"""nn.functional: layers and losses as functions (``import minitorch.nn.functional as F``).

Every name here is an op declared once in ``minitorch/_ops`` with ``functional=True``:
the layers' functions (``linear``, ``conv2d``, ``dropout``, ...), the losses, and the
activations in the signatures nn.functional gives them (``relu(input, inplace=False)``).
"""
from .. import _ops  # noqa: F401 - importing the op families declares them
from .._declare import FUNCTIONAL

globals().update(FUNCTIONAL)
__all__ = sorted(FUNCTIONAL)


def __getattr__(name: str):
    from .._unsupported import missing
    raise missing("nn.functional", name, "module 'minitorch.nn.functional'")
