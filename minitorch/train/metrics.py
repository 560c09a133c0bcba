"""Metrics for fit and evaluate: functions ``(output, target) -> float``, the batch mean.

fit and evaluate weight each batch's value by its number of samples, so the epoch's
number is the mean over all samples. Pass a name from ``METRICS`` or any callable.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Union

from ..tensor import Tensor

Metric = Callable[[Tensor, Tensor], float]


def accuracy(output: Tensor, target: Tensor) -> float:
    """Fraction of rows whose largest output is the target class. output: (N, C), target: (N,) integers."""
    if output.dim() != 2 or target.dim() != 1 or output.shape[0] != target.shape[0]:
        raise ValueError(f"accuracy expects output (N, C) and target (N,), got output "
                         f"{tuple(output.shape)} and target {tuple(target.shape)}")
    if target.dtype.is_floating_point:
        raise ValueError(f"accuracy expects integer class targets, got dtype {target.dtype}")
    return (output.argmax(dim=1) == target).sum().item() / target.shape[0]


def mean_absolute_error(output: Tensor, target: Tensor) -> float:
    """Mean of |output - target| over every element (shapes broadcast as in PyTorch)."""
    return (output - target).abs().mean().item()


def mean_squared_error(output: Tensor, target: Tensor) -> float:
    """Mean of (output - target)**2 over every element."""
    return ((output - target) ** 2).mean().item()


METRICS: dict[str, Metric] = {"accuracy": accuracy, "acc": accuracy,
                              "mae": mean_absolute_error, "mse": mean_squared_error}


def get_metrics(metrics: Union[str, Metric, Iterable[Union[str, Metric]], Mapping, None]
                ) -> dict[str, Metric]:
    """Resolve names and callables to {name: function}; a callable is named by its __name__.

    A dict {name: callable} is taken as it is, to choose the names yourself.
    """
    if metrics is None:
        return {}
    if isinstance(metrics, Mapping):
        for name, m in metrics.items():
            if not callable(m):
                raise TypeError(f"metric {name!r} must be a callable (output, target) -> float, "
                                f"got {type(m).__name__}")
        return dict(metrics)
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    resolved: dict[str, Metric] = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}; use one of {sorted(METRICS)} "
                                 f"or a callable (output, target) -> float")
            resolved[m] = METRICS[m]
        elif callable(m):
            resolved[getattr(m, "__name__", type(m).__name__)] = m
        else:
            raise TypeError(f"a metric must be a name or a callable (output, target) -> float, "
                            f"got {type(m).__name__}")
    return resolved
