"""fit, evaluate, predict: the plain PyTorch training loop, written once.

Every epoch of ``fit`` is exactly the loop you would write by hand::

    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

followed by ``evaluate`` on ``val_loader`` (``model.eval()`` under ``no_grad()``) and
``scheduler.step()``. Around it: sample-weighted means of the loss and metrics (so
``loss_fn`` should return the batch mean, PyTorch's default reduction), callbacks, and
a tqdm bar on stderr.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Iterable, Sequence

from tqdm import tqdm

from .._ops.joins import cat
from ..autograd import no_grad
from ..nn import Module
from ..tensor import Tensor
from .callbacks import Callback
from .metrics import get_metrics


class History:
    """Per-epoch numbers of a fit: ``history.history["loss"]`` as in Keras, or ``history.loss``.

    Keys: ``loss``, one per metric, ``val_`` of those when fit had a val_loader, ``lr``
    (the first param group's learning rate during the epoch) and ``seconds``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getattr__(self, name: str) -> list[float]:
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"'History' object has no attribute {name!r}; it recorded {list(history)}")

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items())
        return f"History(epochs={len(self)}{', ' if last else ''}{last})"


def fit(model: Module, train_loader: Iterable, loss_fn, optimizer, epochs: int = 5,
        val_loader: Iterable | None = None, metrics: Sequence = ("accuracy",),
        callbacks: Sequence[Callback] = (), scheduler=None, device=None,
        progress: bool = True) -> History:
    """Train model on train_loader's (input, target) batches for epochs; return the History.

    A callback that sets ``stop_training = True`` ends training after that epoch.
    ``scheduler.step()`` runs once per epoch, after validation.
    """
    _check_model(model, "fit")
    if epochs < 0:
        raise ValueError(f"epochs must be non-negative, got {epochs}")
    metric_fns = get_metrics(metrics)
    if device is not None:
        model.to(device)
    history = History()
    callbacks = list(callbacks)
    for cb in callbacks:
        cb.set_model(model)
    _call(callbacks, "on_train_begin", {})
    for epoch in range(epochs):
        _call(callbacks, "on_epoch_begin", epoch, {})
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        meter = _Meter(metric_fns)
        with _progress_bar(train_loader, f"Epoch {epoch + 1}/{epochs}", progress) as bar:
            model.train()
            for step, batch in enumerate(train_loader):
                _call(callbacks, "on_batch_begin", step, {})
                x, y = _to(_unpack(batch, "train_loader"), device)
                optimizer.zero_grad()
                output = model(x)
                loss = loss_fn(output, y)
                loss.backward()
                optimizer.step()

                batch_logs = meter.update(output, y, loss)
                bar.update(1)
                bar.set_postfix_str(_postfix(meter.means(), meter.count / (time.perf_counter() - start)),
                                    refresh=False)
                _call(callbacks, "on_batch_end", step, batch_logs)
            if meter.count == 0:
                raise ValueError("train_loader yielded no batches")

            logs = meter.means()
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, metric_fns, device=device)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = lr
            logs["seconds"] = time.perf_counter() - start
            if scheduler is not None:
                scheduler.step()
            history._append(epoch, logs)
            bar.set_postfix_str(_postfix(logs, meter.count / logs["seconds"]))
        _call(callbacks, "on_epoch_end", epoch, logs)
        if any(cb.stop_training for cb in callbacks):
            break
    _call(callbacks, "on_train_end", {})
    return history


def evaluate(model: Module, loader: Iterable, loss_fn=None, metrics: Sequence = ("accuracy",),
             device=None) -> dict[str, float]:
    """Mean loss (when loss_fn is given) and metrics over loader, in eval mode under no_grad()."""
    _check_model(model, "evaluate")
    meter = _Meter(get_metrics(metrics))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                x, y = _to(_unpack(batch, "loader"), device)
                output = model(x)
                meter.update(output, y, None if loss_fn is None else loss_fn(output, y))
    finally:
        model.train(was_training)
    if meter.count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    return meter.means()


def predict(model: Module, data: Tensor | Iterable, batch_size: int = 256, device=None) -> Tensor:
    """model's outputs, concatenated along dim 0, for a tensor (in batches) or a loader's inputs.

    A loader may yield inputs alone or (input, target) pairs; targets are ignored.
    """
    _check_model(model, "predict")
    if isinstance(data, Tensor):
        batches = (data[i:i + batch_size] for i in range(0, data.shape[0], batch_size))
    else:
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in data)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(_to(x, device)) for x in batches]
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: no input batches")
    return cat(outputs)


class _Meter:
    """Sample-weighted running means of the loss and the metrics over one pass."""

    def __init__(self, metric_fns: dict) -> None:
        self.metric_fns = metric_fns
        self.sums: dict[str, float] = {}
        self.count = 0

    def update(self, output: Tensor, target: Tensor, loss: Tensor | None) -> dict[str, float]:
        n = target.shape[0] if target.dim() > 0 else 1
        values = {} if loss is None else {"loss": loss.item()}
        with no_grad():
            for name, fn in self.metric_fns.items():
                values[name] = float(fn(output, target))
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n
        self.count += n
        return values

    def means(self) -> dict[str, float]:
        return {name: total / self.count for name, total in self.sums.items()}


def _check_model(model: Any, caller: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{caller}() expects model to be a minitorch.nn.Module, got {type(model).__name__}")


def _unpack(batch: Any, source: str) -> tuple:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        what = f"a {type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) \
            else f"a {type(batch).__name__}"
        raise TypeError(f"{source} must yield (input, target) pairs, got {what}")
    x, y = batch
    if not isinstance(y, Tensor):
        raise TypeError(f"{source} must yield (input, target) pairs with a Tensor target, "
                        f"got {type(y).__name__}")
    return x, y


def _to(value: Any, device) -> Any:
    if device is None:
        return value
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, (tuple, list)):
        return type(value)(_to(v, device) for v in value)
    return value


def _call(callbacks: list, hook: str, *args) -> None:
    for cb in callbacks:
        getattr(cb, hook)(*args)


def _progress_bar(loader: Iterable, desc: str, enabled: bool) -> tqdm:
    try:
        total = len(loader)
    except TypeError:
        total = None
    return tqdm(total=total, desc=desc, unit="batch", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True)


def _postfix(logs: dict[str, float], samples_per_s: float) -> str:
    shown = "  ".join(f"{k}={v:.4f}" for k, v in logs.items() if k not in ("lr", "seconds"))
    return f"{shown}  {samples_per_s:,.0f} samples/s"
