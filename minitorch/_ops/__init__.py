"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, adaptive_pool, arith, attention, batchnorm, compare, conv, conv_transpose,  # noqa: F401
               device, distance, dropout, index, inplace, instance_norm, loss, loss_margin, loss_regression,
               matmul, meta, nn, normalization, padding, pointwise, pool, reduce, shape, sharing, triangular, unary,
               upsample)
from . import diag, einsum, index_ops, info, python_map, rearrange, scan, scatter, settings, sorting, take  # noqa: F401
from . import inplace_views, legacy_types, pixel_shuffle, unfold  # noqa: F401
