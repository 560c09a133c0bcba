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
from . import (combine, creation_more, cross_cdist, cumulative, fold, legacy_types, pixel, products,  # noqa: F401
               statistics)
from . import activation_shrink, activation_smooth, pointwise_binary, special_math  # noqa: F401
from . import inplace_views, unfold  # noqa: F401
