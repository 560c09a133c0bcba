"""MaxPool1d/2d/3d, AvgPool1d/2d/3d and the adaptive poolings (AdaptiveAvgPool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d)."""
from __future__ import annotations

from .. import functional as F
from .conv import _single
from .module import Module


class MaxPool1d(Module):
    """Max over (dilated) kernel_size windows of the last dim. input: (N, C, L) or (C, L) ->
    (N, C, L_out), L_out = (L + 2 padding - dilation (kernel - 1) - 1) / stride + 1, rounded down
    (up with ceil_mode). stride defaults to kernel_size; return_indices also returns the argmax
    positions."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """Mean over kernel_size windows of the last dim. input: (N, C, L) or (C, L) -> (N, C, L_out);
    each window is divided by its size with (count_include_pad) or without the zero padding.
    stride defaults to kernel_size. The sizes are kept as 1-tuples, as PyTorch keeps them."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPoolNd(Module):
    """Shared by MaxPool2d/3d: the arguments, kept as given, and the repr."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over (dilated) kernel_size windows. input: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out),
    H_out = (H + 2 padding - dilation (kernel - 1) - 1) / stride + 1, rounded down (up with ceil_mode).
    stride defaults to kernel_size; return_indices also returns the argmax positions."""

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _AvgPoolNd(Module):
    """Shared by AvgPool2d/3d: the arguments, kept as given, and the repr."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over kernel_size windows. input: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out);
    each window is divided by divisor_override, else by its size with (count_include_pad) or
    without the zero padding. stride defaults to kernel_size."""

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class MaxPool3d(_MaxPoolNd):
    """Max over (dilated) kernel_size windows. input: (N, C, D, H, W) or (C, D, H, W) ->
    (N, C, D_out, H_out, W_out), D_out = (D + 2 padding - dilation (kernel - 1) - 1) / stride + 1,
    rounded down (up with ceil_mode). stride defaults to kernel_size; return_indices also returns
    the argmax positions (flat in each D x H x W volume)."""

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool3d(_AvgPoolNd):
    """Mean over kernel_size windows. input: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out,
    H_out, W_out); each window is divided by divisor_override, else by its size with
    (count_include_pad) or without the zero padding. stride defaults to kernel_size."""

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean over adaptive windows: input (N, C, L) or (C, L) -> (N, C, output_size), window i
    covering [floor(i L / out), ceil((i + 1) L / out))."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean over adaptive windows: input (N, C, H, W) or (C, H, W) -> (N, C, oh, ow) for
    output_size (oh, ow) or an int (None keeps the input's size)."""

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows: input (N, C, L) or (C, L) -> (N, C, output_size), plus the
    argmax positions with return_indices."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows: input (N, C, H, W) or (C, H, W) -> (N, C, oh, ow), plus the
    argmax positions (h * W + w in each plane) with return_indices."""

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean over adaptive windows: input (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow)
    for output_size (od, oh, ow) or an int (None keeps the input's size)."""

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows: input (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow),
    plus the argmax positions (d * H * W + h * W + w in each volume) with return_indices."""

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)
