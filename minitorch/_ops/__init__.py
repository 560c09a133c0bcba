"""The ops, one module per family, each op declared once (see ``minitorch/_declare.py``).

Importing this package declares them all: the Tensor methods and operators are bound,
and ``FUNCTIONS`` / ``FUNCTIONAL`` hold the ``minitorch.*`` and ``nn.functional.*``
functions, which those namespaces export.
"""
from . import (activation, adaptive_pool, arith, attention, batchnorm, clamp, compare, conv,  # noqa: F401
               conv_transpose, device, distance, dropout, gather, index, inplace, instance_norm, joins,
               loss, loss_margin, loss_regression, matmul, meta, minmax, multihead_attention, nn,
               normalization, norms, operators, padding, permute, pointwise, pool, power, reduce, shape,
               sharing, slicing, triangular, unary, upsample, where)
from . import diag, einsum, index_ops, info, python_map, rearrange, scan, scatter, settings, sorting, take  # noqa: F401
