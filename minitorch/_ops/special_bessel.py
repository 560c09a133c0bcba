"""torch.special's Bessel functions: bessel_j0, bessel_j1, bessel_y0, bessel_y1,
modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
spherical_bessel_j0 and the Airy function airy_ai, through the backend's ``special`` extra (bessel_kernels.py: Cephes'
algorithms, as PyTorch's).

PyTorch defines no derivative for these: their result never requires grad (backward through it
raises "element 0 of tensors does not require grad"), so they are computed outside autograd.
Integer and bool inputs are promoted to the default float dtype. Each is a plain function with
``out=`` (``BESSEL``), which minitorch.special exports; so is zeta, the Hurwitz zeta function
of two arguments (Cephes' algorithm, as PyTorch's), whose backward raises PyTorch's
NotImplementedError.
"""
from __future__ import annotations

from .._declare import _function_form
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, broadcast_shapes
from .pointwise_binary import _operands
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


def airy_ai(x: Tensor) -> Tensor:
    """The Airy function Ai(x) elementwise: NaN at +-inf, as PyTorch's (no gradient).
    (PyTorch names its argument ``x``.)"""
    return _bessel("airy_ai", x)


BESSEL = {}
for _fn in (bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0, modified_bessel_i1,
            modified_bessel_k0, modified_bessel_k1, spherical_bessel_j0, airy_ai):
    BESSEL[_fn.__name__] = _function_form(_fn, "special_" + _fn.__name__, True, True)


# ----- zeta --------------------------------------------------------------------------------------
class SpecialZetaBackward0(Function):
    """The Hurwitz zeta function of two tensors of one shape (the backend's ``special`` extra);
    PyTorch defines no derivative for it, so backward raises its NotImplementedError."""

    tensor_inputs = 2

    @staticmethod
    def forward(x, q):
        return x._backend.special("zeta", x._data, q._data)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")


class SpecialZetaBackward1(SpecialZetaBackward0):
    """zeta(number, tensor)."""


class SpecialZetaBackward2(SpecialZetaBackward0):
    """zeta(tensor, number)."""


_ZETA_SIGNATURES = ("\n * (Tensor input, Tensor other, *, Tensor out = None)"
                    "\n * (Number self, Tensor other, *, Tensor out = None)"
                    "\n * (Tensor input, Number other, *, Tensor out = None)\n")


def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function sum over k >= 0 of (other + k)^-input elementwise, broadcast
    (the Riemann zeta at other = 1); either argument may be a number. inf at input = 1 and at
    other = 0, -1, ..., NaN for input < 1 (no gradient, as PyTorch's)."""
    kinds = [isinstance(a, (Tensor, *NUMBER)) for a in (input, other)]
    if not all(kinds) or not (isinstance(input, Tensor) or isinstance(other, Tensor)):
        got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in (input, other))
        raise TypeError(f"special_zeta() received an invalid combination of arguments - got ({got}), but "
                        "expected one of:" + _ZETA_SIGNATURES)
    if not isinstance(input, Tensor):
        q, x = _operands("special_zeta", other, input)
        x = Tensor._wrap(q._backend.full((), float(x), q.dtype), q._backend)
        node = SpecialZetaBackward1
    else:
        x, q = _operands("special_zeta", input, other)
        node = SpecialZetaBackward0 if isinstance(q, Tensor) else SpecialZetaBackward2
        if not isinstance(q, Tensor):
            q = Tensor._wrap(x._backend.full((), float(q), x.dtype), x._backend)
    shape = broadcast_shapes(x.shape, q.shape)
    return node.apply(x.expand(shape), q.expand(shape))


BESSEL["zeta"] = _function_form(zeta, "special_zeta", False, True)
