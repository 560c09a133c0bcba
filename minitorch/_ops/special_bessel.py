"""torch.special's Bessel functions: bessel_j0, bessel_j1, bessel_y0, bessel_y1,
modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1 and
spherical_bessel_j0, through the backend's ``special`` extra (bessel_kernels.py: Cephes'
algorithms, as PyTorch's).

PyTorch defines no derivative for these: their result never requires grad (backward through it
raises "element 0 of tensors does not require grad"), so they are computed outside autograd.
Integer and bool inputs are promoted to the default float dtype. Each is a plain function with
``out=`` (``BESSEL``), which minitorch.special exports.
"""
from __future__ import annotations

from .._declare import _function_form
from ..tensor import Tensor
from .special_math import as_float


def _bessel(op: str, input: Tensor) -> Tensor:
    x = as_float(input)
    return Tensor._wrap(x._backend.special(op, x._data), x._backend)


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0, J0(input), elementwise (no gradient)."""
    return _bessel("bessel_j0", input)


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1, J1(input), elementwise (no gradient)."""
    return _bessel("bessel_j1", input)


def bessel_y0(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 0, Y0(input), elementwise: -inf at 0,
    NaN below (no gradient)."""
    return _bessel("bessel_y0", input)


def bessel_y1(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 1, Y1(input), elementwise: -inf at 0,
    NaN below (no gradient)."""
    return _bessel("bessel_y1", input)


def modified_bessel_i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0, I0(input), elementwise
    (the values of minitorch.special.i0, without its gradient)."""
    return _bessel("modified_bessel_i0", input)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1, I1(input), elementwise
    (the values of minitorch.special.i1, without its gradient)."""
    return _bessel("modified_bessel_i1", input)


def modified_bessel_k0(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 0, K0(input), elementwise:
    inf at 0, NaN below (no gradient)."""
    return _bessel("modified_bessel_k0", input)


def modified_bessel_k1(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 1, K1(input), elementwise:
    inf at 0, NaN below (no gradient)."""
    return _bessel("modified_bessel_k1", input)


def spherical_bessel_j0(x: Tensor) -> Tensor:
    """The spherical Bessel function of the first kind of order 0, sin(x) / x (1 at 0),
    elementwise (no gradient). (PyTorch names its argument ``x``.)"""
    return _bessel("spherical_bessel_j0", x)


BESSEL = {}
for _fn in (bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0, modified_bessel_i1,
            modified_bessel_k0, modified_bessel_k1, spherical_bessel_j0):
    BESSEL[_fn.__name__] = _function_form(_fn, "special_" + _fn.__name__, True, True)
