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
from . import (combine, creation_more, cross_cdist, cumulative, fold, legacy_types, pixel, products,  # noqa: F401
               statistics)
from . import activation_shrink, activation_smooth, pointwise_binary, special_math  # noqa: F401
from . import inplace_views, unfold, weight_norm  # noqa: F401
from . import (linalg_extra, linalg_householder, linalg_lowrank, linalg_lu, linalg_matrix_exp,  # noqa: F401
               linalg_toplevel)
from . import embedding_bag, grid_sample, lp_pool, pdist, unpool  # noqa: F401
from . import adaptive_pool3d, pool3d  # noqa: F401  (3-D pooling; conv3d.py is loaded by conv.py)
from . import random_dists  # noqa: F401
from . import loss_ctc, loss_multilabel, special_bessel, special_more  # noqa: F401
