"""Summaries that carry a TensorProto: add_tensor's tensors, the PR-curve plugin's table and the
custom-scalars plugin's layout.

TensorProto (tensorboard/compat/proto/tensor.proto) keeps the dtype (a DataType enum), the
shape (TensorShapeProto{dim: Dim{size}}) and the values in the repeated field of their type,
packed, as torch.utils.tensorboard fills them.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from ._records import (bytes_field, opt_string, packed_doubles, packed_floats, string_field, varint,
                       varint_field)
from ._summaries import _plugin_metadata, _summary

_MINIMUM_COUNT = 1e-7  # keeps precision and recall finite where a threshold has no positives


def _packed_varints(field: int, values) -> bytes:
    # int32 and int64 negatives are both written as 64-bit two's complement, as protobuf does.
    return bytes_field(field, b"".join(varint(int(v)) for v in values))


def _half_as_int(values: np.ndarray) -> list[int]:
    # torch writes each float16 value's float32 bit pattern, as an int32, into half_val.
    return np.asarray(values, dtype=np.float32).view(np.int32).tolist()


# NumPy dtype -> (DataType, TensorProto field, encoder of the flat values), as torch maps them.
_TENSOR_FIELDS = {
    np.dtype(np.float16): (19, lambda v: _packed_varints(13, _half_as_int(v))),
    np.dtype(np.float32): (1, lambda v: packed_floats(5, v)),
    np.dtype(np.float64): (2, lambda v: packed_doubles(6, v)),
    np.dtype(np.int8): (6, lambda v: _packed_varints(7, v)),
    np.dtype(np.int16): (5, lambda v: _packed_varints(7, v)),
    np.dtype(np.int32): (3, lambda v: _packed_varints(7, v)),
    np.dtype(np.int64): (9, lambda v: _packed_varints(10, v)),
    np.dtype(np.uint8): (4, lambda v: _packed_varints(16, v)),
    np.dtype(np.bool_): (10, lambda v: _packed_varints(11, v)),
}


def _tensor_proto(dtype_enum: int, shape, values: bytes) -> bytes:
    dims = b"".join(bytes_field(2, varint_field(1, size) if size else b"") for size in shape)
    return varint_field(1, dtype_enum) + bytes_field(2, dims) + values


def tensor_summary(tag: str, tensor) -> bytes:
    """The whole tensor, its dtype and shape, for the "tensor" plugin."""
    if not isinstance(tensor, Tensor):
        raise AttributeError(f"add_tensor takes a tensor: '{type(tensor).__name__}' object has no "
                             "attribute 'numel'")
    if tensor.numel() * tensor.element_size() >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    array = tensor.detach().cpu().numpy()
    if array.dtype not in _TENSOR_FIELDS:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype_enum, encode = _TENSOR_FIELDS[array.dtype]
    flat = array.reshape(-1)
    proto = _tensor_proto(dtype_enum, array.shape, encode(flat) if flat.size else b"")
    return _summary(tag, tensor=proto, metadata=_plugin_metadata("tensor"))


def compute_curve(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int, weights=None) -> np.ndarray:
    """(6, num_thresholds): true/false positive and negative counts, precision and recall at
    thresholds i / (num_thresholds - 1), from predictions in [0, 1] bucketed by threshold."""
    if weights is None:
        weights = 1.0
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    labels = labels.astype(np.float64)
    limits = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=limits, weights=labels * weights)
    fp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=limits, weights=(1.0 - labels) * weights)
    tp = np.cumsum(tp_buckets[::-1])[::-1]  # counts at or above each threshold
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve_summary(tag: str, table: np.ndarray, num_thresholds: int) -> bytes:
    """The (6, n) table as a float tensor, for the "pr_curves" plugin."""
    table = np.asarray(table)
    content = varint_field(2, num_thresholds) if num_thresholds else b""  # PrCurvePluginData
    proto = _tensor_proto(1, table.shape[:2], packed_floats(5, table.reshape(-1)) if table.size else b"")
    return _summary(tag, tensor=proto, metadata=_plugin_metadata("pr_curves", content))


def custom_scalars(layout: dict) -> bytes:
    """The custom_scalars plugin's Layout, {category: {chart title: ["Multiline", tags] or
    ["Margin", [value, lower, upper]]}}, serialized into a string tensor."""
    categories = b""
    for category, charts in layout.items():
        chart_bytes = b""
        for title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = b"".join(opt_string(k, tag) for k, tag in enumerate(tags, start=1))
                content = bytes_field(3, bytes_field(1, series))  # margin: MarginChartContent{series}
            else:
                content = bytes_field(2, b"".join(string_field(1, tag) for tag in tags))  # multiline
            chart_bytes += bytes_field(2, opt_string(1, title) + content)  # Category.chart
        categories += bytes_field(2, opt_string(1, category) + chart_bytes)  # Layout.category
    proto = varint_field(1, 7) + bytes_field(2, b"") + bytes_field(8, categories)  # DT_STRING, shape []
    return _summary("custom_scalars__config__", tensor=proto, metadata=_plugin_metadata("custom_scalars"))
