"""One-pass kernels of the smooth activations: silu, mish, softplus, elu and their backwards
(the composed defaults in defaults_nn.py take four to eight passes and as many temporaries).

Each computes PyTorch's CPU formula in the array's own dtype (a float32 input in float32
arithmetic, as PyTorch's kernels: ``one`` is 1 of that dtype, so that no literal widens the
arithmetic to float64), over flat arrays; coefficients arrive already rounded to that dtype.
Every kernel is O(n).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def silu(x, out):
    """out = x / (1 + exp(-x))."""
    one = np.ones(1, x.dtype)[0]
    for i in range(x.size):
        v = x[i]
        out[i] = v / (one + math.exp(-v))


@njit(cache=True)
def silu_backward(grad, x, out):
    """out = grad * s * (1 + x * (1 - s)), s = sigmoid(x)."""
    one = np.ones(1, x.dtype)[0]
    for i in range(x.size):
        v = x[i]
        s = one / (one + math.exp(-v))
        out[i] = grad[i] * s * (one + v * (one - s))


@njit(cache=True)
def mish(x, out):
    """out = x * tanh(log1p(exp(x)))."""
    for i in range(x.size):
        v = x[i]
        out[i] = v * math.tanh(math.log1p(math.exp(v)))


@njit(cache=True)
def mish_backward(grad, x, out):
    """out = grad * (t + x * s * (1 - t^2)), t = tanh(softplus(x)), s = sigmoid(x)."""
    one = np.ones(1, x.dtype)[0]
    for i in range(x.size):
        v = x[i]
        s = one / (one + math.exp(-v))
        t = math.tanh(math.log1p(math.exp(v)))
        out[i] = grad[i] * (t + v * s * (one - t * t))


@njit(cache=True)
def softplus(x, out, beta, threshold):
    """out = x where beta * x > threshold, else log1p(exp(beta * x)) / beta."""
    for i in range(x.size):
        v = x[i]
        bx = v * beta
        out[i] = v if bx > threshold else math.log1p(math.exp(bx)) / beta


@njit(cache=True)
def softplus_backward(grad, x, out, beta, threshold):
    """out = grad where beta * x > threshold, else grad * z / (z + 1), z = exp(beta * x)."""
    one = np.ones(1, x.dtype)[0]
    for i in range(x.size):
        bx = x[i] * beta
        if bx > threshold:
            out[i] = grad[i]
        else:
            z = math.exp(bx)
            out[i] = grad[i] * z / (z + one)


@njit(cache=True)
def elu(x, out, negcoef, poscoef, negiptcoef):
    """out = expm1(x * negiptcoef) * negcoef where x <= 0, else x * poscoef."""
    for i in range(x.size):
        v = x[i]
        out[i] = math.expm1(v * negiptcoef) * negcoef if v <= 0 else v * poscoef


@njit(cache=True)
def elu_backward(grad, x, out, negcoef, poscoef, negiptcoef, is_result):
    """elu's derivative times grad, from the input (x) or, is_result, from the output (x):
    grad * negiptcoef * negcoef * exp(x * negiptcoef), or grad * negiptcoef * (out + negcoef),
    where x <= 0; grad * poscoef elsewhere."""
    for i in range(x.size):
        v = x[i]
        if not v <= 0:  # (NaN takes the positive branch, as in PyTorch)
            out[i] = grad[i] * poscoef
        elif is_result:
            out[i] = grad[i] * negiptcoef * (v + negcoef)
        else:
            out[i] = grad[i] * negiptcoef * negcoef * math.exp(v * negiptcoef)
