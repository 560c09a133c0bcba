"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, arith, batchnorm, compare, conv, device, index, inplace, loss, matmul,  # noqa: F401
               meta, nn, pool, reduce, shape, unary)
