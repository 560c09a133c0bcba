"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, adaptive_pool, arith, attention, batchnorm, compare, conv, device,  # noqa: F401
               distance, dropout, index, inplace, loss, loss_margin, loss_regression, matmul, meta, nn,
               normalization, pointwise, pool, reduce, shape, triangular, unary)
