"""``torch.linalg``: norms, solves, inverses and decompositions of batches of matrices (any
leading dims, float32 and float64), with PyTorch's gradients and result types.

The factorizations run on the device's op table (defaults_linalg.py: LAPACK through
numpy.linalg; on a CUDA tensor the matrices go through the host). A singular or indefinite
matrix raises ``LinAlgError`` (a RuntimeError) with PyTorch's message.
"""
from __future__ import annotations

import functools
import inspect

from . import _ops  # noqa: F401 - the Tensor methods of the top-level forms are bound here
from ._declare import _function_form, _into_out
from ._ops.linalg_api import (LinAlgError, cholesky, cholesky_ex, det, eigh, eigvalsh, inv, inv_ex,  # noqa: F401
                              lstsq, matrix_rank, pinv, qr, slogdet, solve, solve_triangular, svd, svdvals)
from ._ops.linalg_extra import cond, diagonal, matmul, solve_ex, tensorinv, tensorsolve, vander  # noqa: F401
from ._ops.linalg_householder import householder_product  # noqa: F401
from ._ops.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve  # noqa: F401
from ._ops.linalg_matrix_exp import _matrix_exp
from ._ops.linalg_norms import cross, matrix_norm, matrix_power, multi_dot, norm, vecdot, vector_norm  # noqa: F401
from ._ops.linalg_functions import check_matrix
from .tensor import Tensor


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential e^A = sum A^k / k! of A (*, n, n)."""
    return _matrix_exp(check_matrix(A, "linalg.matrix_exp", low=True))


def _tuple_out_form(fn, name: str):
    """fn with out=: a tuple of tensors, one per output, each written as a single out= is."""
    def form(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        written = [_into_out(name, o, lambda r=r: r, (), {}) for o, r in zip(out, result)]
        return type(result)(*written)
    functools.update_wrapper(form, fn)
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    form.__signature__ = sig.replace(parameters=params)
    del form.__wrapped__
    return form


# out=: one tensor for these, a tuple of tensors for the decompositions, as PyTorch's.
for _name in ("inv", "det", "solve", "solve_triangular", "cholesky", "eigvalsh", "svdvals", "pinv", "matrix_power",
              "multi_dot", "cross", "vecdot", "vector_norm", "matrix_norm", "norm", "matmul", "cond", "tensorinv",
              "tensorsolve", "matrix_rank", "lu_solve", "householder_product"):
    globals()[_name] = _function_form(globals()[_name], f"linalg_{_name}", False, True)
for _name in ("inv_ex", "cholesky_ex", "slogdet", "qr", "eigh", "svd", "lu", "lu_factor", "lu_factor_ex", "solve_ex"):
    globals()[_name] = _tuple_out_form(globals()[_name], f"linalg_{_name}")
del _name

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul",
           "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
           "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot",
           "vector_norm"]


def __getattr__(name: str):
    from ._unsupported import missing
    raise missing("linalg", name, "module 'minitorch.linalg'")
