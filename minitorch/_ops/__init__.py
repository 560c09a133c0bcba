"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, adaptive_pool, arith, attention, batchnorm, compare, conv, device,  # noqa: F401
               dropout, index, inplace, loss, matmul, meta, nn, normalization, pool, reduce, shape,
               sharing, triangular, unary)
