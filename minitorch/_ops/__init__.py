"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, adaptive_pool, arith, batchnorm, compare, conv, device, dropout,  # noqa: F401
               index, inplace, loss, matmul, meta, nn, pool, reduce, shape, unary)
