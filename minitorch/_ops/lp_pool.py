"""F.lp_pool1d / lp_pool2d (power-average pooling) and F.local_response_norm: compositions of
pooling and pointwise ops, as PyTorch composes them (so their gradients and nodes are those of
the parts: PowBackward0, DivBackward0, ...)."""
from __future__ import annotations

from .._declare import functional
from ..tensor import Tensor
from ._common import check_tensor
from .padding import pad
from .pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d


def _lp_finish(out: Tensor, norm_type, window: int) -> Tensor:
    """(window * mean of x ** p) ** (1 / p), negative sums clamped to 0 (so is their gradient)."""
    return (out.sign() * out.abs().relu()).mul(window).pow(1.0 / norm_type)


@functional
def lp_pool1d(input: Tensor, norm_type, kernel_size: int, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x ** norm_type) ** (1 / norm_type) along the last dim;
    input (N, C, L) or (C, L); norm_type inf / -inf: max / -max of |x|."""
    check_tensor(input, "lp_pool1d", attribute_error=True)
    if isinstance(norm_type, (int, float)) and abs(norm_type) == float("inf"):
        if norm_type > 0:
            return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, norm_type, kernel_size)


@functional
def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over each kh x kw window of x ** norm_type) ** (1 / norm_type); input (N, C, H, W) or
    (C, H, W); norm_type inf / -inf: max / -max of |x|."""
    check_tensor(input, "lp_pool2d", attribute_error=True)
    kw, kh = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    if isinstance(norm_type, (int, float)) and abs(norm_type) == float("inf"):
        if norm_type > 0:
            return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, norm_type, kw * kh)


@functional
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of x ** 2 over `size` neighbouring channels) ** beta; input
    (N, C, *) with at least one spatial dim."""
    check_tensor(input, "local_response_norm", attribute_error=True)
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    # the channels become the height of a one-channel image, averaged over size x 1 windows
    # (PyTorch uses avg_pool3d over (size, 1, 1) beyond 3-D: the same sums)
    sizes = input.shape
    div = div.unsqueeze(1) if dim == 3 else div.reshape(sizes[0], 1, sizes[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    if dim > 3:
        div = div.reshape(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
