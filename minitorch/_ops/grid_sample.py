"""F.affine_grid and F.grid_sample (spatial transformer networks): PyTorch's argument checks and
messages, and their graph nodes AffineGridGeneratorBackward0 and GridSampler{2,3}DBackward0.

affine_grid is a batched product of a fixed base grid of normalised coordinates with theta.
grid_sample reads its input at the grid's points through a plan of taps (the backend's
grid_sample_plan, see _backends/grid_taps_host.py: each output point a weighted sum of a few
input pixels) that the backend applies over the channels;
the gradient w.r.t. input scatters back through the same taps, and the one w.r.t. the grid is
each tap's value times its weight's derivative.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import _enabled
from ..dtypes import float64 as _float64
from ..tensor import Tensor
from ._common import bool_arg, check_tensor
from .conv import _check_tensor, _dims

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                  "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                  "documentation of grid_sample for details.")


# ----- affine_grid --------------------------------------------------------------------------

def _linspace_from_neg_one(steps: int, align_corners: bool, dt) -> np.ndarray:
    """ATen's linspace(-1, 1, steps) in dt (the halves from each end, as its kernel computes
    them), scaled by (steps - 1) / steps without align_corners; [0] for one step."""
    if steps <= 1:
        return np.zeros(1, dt)
    step = dt(2) / dt(steps - 1)
    i = np.arange(steps)
    # each value is one fused multiply-add (start + step * i, or end - step * (steps - 1 - i)),
    # rounded once: exact in the wider type, then rounded to dt
    wide = np.longdouble if dt is np.float64 else np.float64
    k = np.where(i < steps // 2, i, i - (steps - 1)).astype(wide)
    values = (np.where(i < steps // 2, wide(-1), wide(1)) + wide(step) * k).astype(dt)
    if not align_corners:
        values = (values * dt(steps - 1) / dt(steps)).astype(dt)
    return values


def _base_grid(spatial: tuple, align_corners: bool, dt) -> np.ndarray:
    """(1, prod(spatial), d + 1): the normalised (x, y[, z], 1) of every output point."""
    axes = [_linspace_from_neg_one(s, align_corners, dt) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # outermost first: (z,) y, x
    columns = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size, dt)]
    return np.stack(columns, -1)[None].astype(dt)


class AffineGridGeneratorBackward0(Function):
    """grid (N, *spatial, d) = base (points, d + 1) @ theta^T for theta (N, d, d + 1); d/dtheta
    is grad^T @ base."""

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        be = theta._backend
        base = be.from_numpy(_base_grid(spatial, align_corners, theta.dtype.np.type))
        ctx.base = base
        n, d = theta.shape[0], len(spatial)
        theta_t = be.permute(theta._data, (0, 2, 1))
        out = be.matmul(be.expand(base, (n,) + tuple(base.shape[1:])), theta_t)
        return be.reshape(out, (n,) + tuple(spatial) + (d,))

    @staticmethod
    def backward(ctx, grad):
        base = Tensor._wrap(ctx.base, grad._backend)
        rows = grad.reshape(grad.shape[0], -1, grad.shape[-1])
        return rows.transpose(1, 2).matmul(base), None, None


@functional
def affine_grid(theta: Tensor, size: list, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3)
    (or (N, 3, 4)) for an output of size (N, C, H, W) (or (N, C, D, H, W))."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    check_tensor(theta, "affine_grid", "theta", 1, attribute_error=True)  # (PyTorch: theta.is_floating_point())
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {size}.")
    spatial = tuple(int(s) for s in size[2:])
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if int(size[0]) != theta.shape[0]:  # PyTorch's bmm of the base grid with theta^T says so
        d = len(spatial)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{int(size[0])}, "
                           f"{d + 1}] but got: [{theta.shape[0]}, {d + 1}].")
    return AffineGridGeneratorBackward0.apply(theta, spatial, bool(align_corners))


# ----- grid_sample --------------------------------------------------------------------------

class _GridSampler(Function):
    """out (N, C, *out) = input (N, C, *in) read at grid (N, *out, d) through a plan of taps;
    d/dinput scatters grad back through the taps, d/dgrid sums each tap's value times its
    weight's derivative (0 in mode 'nearest')."""

    @staticmethod
    def forward(ctx, input, grid, mode, padding, align_corners):
        be, dt = input._backend, input.dtype
        n, c = input.shape[:2]
        spatial, out_spatial = tuple(input.shape[2:]), tuple(grid.shape[1:-1])
        points = be.reshape(grid._data, (n, int(np.prod(out_spatial)), grid.shape[-1]))
        # the weights' derivatives only when the grid will need its gradient
        index, weight, deriv = be.grid_sample_plan(points, spatial, mode, padding, align_corners,
                                                   grid._requires_grad and _enabled[0])
        weight = be.astype(weight, dt)
        flat = be.reshape(input._data, (n, c, int(np.prod(spatial))))
        ctx.wants = (input._requires_grad, deriv is not None)
        ctx.plan = (index, weight, deriv, flat)
        ctx.shapes = (tuple(input.shape), tuple(grid.shape), out_spatial, dt)
        out = be.grid_sample_gather(flat, index, weight)
        return be.reshape(out, (n, c) + out_spatial)

    @staticmethod
    def backward(ctx, grad):
        index, weight, deriv, flat = ctx.plan
        input_shape, grid_shape, out_spatial, dt = ctx.shapes
        be = grad._backend
        n, c = input_shape[:2]
        g = be.reshape(be.contiguous(grad._data), (n, c, int(np.prod(out_spatial))))
        grad_input = grad_grid = None
        if _enabled[0] and ctx.wants[1]:  # create_graph=True through a grid that needs a gradient
            raise NotImplementedError("grid_sample: the second derivative through the grid is not implemented in "
                                      "minitorch (create_graph=True works when the grid does not require grad)")
        if ctx.wants[0]:
            if _enabled[0]:  # create_graph=True: the input's gradient as an op, differentiable in grad
                grad_input = GridSamplerScatterBackward.apply(grad, ctx.plan, input_shape, out_spatial)
            else:
                raw = be.grid_sample_scatter(g, index, weight, flat.shape[2])
                grad_input = Tensor._wrap(be.reshape(raw, input_shape), be)
        if ctx.wants[1]:
            # d loss / d grid[..., k] = sum over taps of (d loss / d weight) * d weight / d grid[..., k]
            dw = be.reshape(be.grid_sample_weight_grad(g, flat, index), (1,) + tuple(index.shape))
            per_component = be.reduce("sum", be.binary("mul", deriv, dw, _float64), (2,), False, _float64)
            raw = be.reshape(be.contiguous(be.permute(per_component, (1, 2, 0))), grid_shape)
            grad_grid = Tensor._wrap(be.astype(raw, dt), be)
        return grad_input, grad_grid, None, None, None


class GridSamplerScatterBackward(Function):
    """grid_sample's input gradient as an op (for create_graph=True with a fixed grid): grad
    scattered back through the taps; linear in grad, so its own gradient is the gather."""

    @staticmethod
    def forward(ctx, grad, plan, input_shape, out_spatial):
        index, weight, _, flat = plan
        be = grad._backend
        n, c = input_shape[:2]
        ctx.plan, ctx.out_shape = plan, tuple(grad.shape)
        g = be.reshape(be.contiguous(grad._data), (n, c, int(np.prod(out_spatial))))
        return be.reshape(be.grid_sample_scatter(g, index, weight, flat.shape[2]), input_shape)

    @staticmethod
    def backward(ctx, gg):
        index, weight, _, flat = ctx.plan
        be = gg._backend
        raw = be.grid_sample_gather(be.reshape(be.contiguous(gg._data), tuple(flat.shape)), index, weight)
        return Tensor._wrap(be.reshape(raw, ctx.out_shape), be), None, None, None


class GridSampler2DBackward0(_GridSampler):
    __doc__ = _GridSampler.__doc__


class GridSampler3DBackward0(_GridSampler):
    __doc__ = _GridSampler.__doc__


def _check_grid_sampler(input: Tensor, grid: Tensor, mode: int) -> None:
    """ATen's check_grid_sampler_common and _2d / _3d checks, with its messages."""
    if input._backend is not grid._backend:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    sizes = f"input with sizes {_dims(input.shape)} and grid with sizes {_dims(grid.shape)}"
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, "
                           f"but got grid with sizes {_dims(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but "
                               f"input has sizes {_dims(input.shape)} with dimension {i} being empty")
    want = 4 if input.dim() == 4 else 5
    if input.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of dimensions, "
                           f"but got {sizes}")
    if want == 5 and mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if want == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.legacy_name}'")
    if grid.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.legacy_name} but found {grid.dtype.legacy_name}")


@functional
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """input (N, C, H_in, W_in) sampled at grid (N, H_out, W_out, 2) of normalised (x, y) in
    [-1, 1] -> (N, C, H_out, W_out) (5-D: input (N, C, D, H, W), grid (N, D_o, H_o, W_o, 3)).
    mode 'bilinear' / 'nearest' / 'bicubic' (4-D); padding_mode 'zeros' / 'border' / 'reflection'."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_tensor("grid_sampler", "input", 1, input)
    _check_tensor("grid_sampler", "grid", 2, grid)
    align_corners = bool_arg(align_corners, "grid_sampler", "align_corners", 5)
    mode_id, padding_id = _MODES[mode], _PADDINGS[padding_mode]
    _check_grid_sampler(input, grid, mode_id)
    node = GridSampler2DBackward0 if input.dim() == 4 else GridSampler3DBackward0
    return node.apply(input, grid, mode_id, padding_id, align_corners)
