"""Trainer: Keras-style fit/evaluate/predict on tensors, over minitorch.train.fit.

It only builds the DataLoaders: ``Trainer(model, loss_fn, optimizer).fit(x, y)`` is
``fit(model, DataLoader(TensorDataset(x, y), batch_size, shuffle), ...)``.
"""
from __future__ import annotations

from typing import Sequence

from ..nn import Module
from ..tensor import Tensor
from ..utils.data import DataLoader, TensorDataset
from .callbacks import Callback
from .loop import History, _check_model, evaluate, fit, predict


class Trainer:
    """A model with its loss, optimizer and metrics; fit(x, y) trains it on tensors.

    x: (N, ...) inputs, y: (N, ...) targets; samples are rows.
    """

    def __init__(self, model: Module, loss_fn, optimizer, metrics: Sequence = ("accuracy",),
                 scheduler=None, device=None) -> None:
        _check_model(model, "Trainer")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metrics, self.scheduler, self.device = metrics, scheduler, device

    def fit(self, x: Tensor, y: Tensor, epochs: int = 5, batch_size: int = 32,
            validation_split: float = 0.1, shuffle: bool = True,
            validation_data: tuple[Tensor, Tensor] | None = None,
            callbacks: Sequence[Callback] = (), progress: bool = True) -> History:
        """Train for epochs; as in Keras, validation_split holds out the *last* rows (before shuffling)."""
        _check_pair(x, y, "fit")
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if validation_data is None and validation_split > 0:
            split = int(x.shape[0] * (1 - validation_split))
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        train_loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
        val_loader = None
        if validation_data is not None:
            _check_pair(*validation_data, "fit validation_data")
            val_loader = DataLoader(TensorDataset(*validation_data), batch_size=max(batch_size, 256))
        return fit(self.model, train_loader, self.loss_fn, self.optimizer, epochs=epochs,
                   val_loader=val_loader, metrics=self.metrics, callbacks=callbacks,
                   scheduler=self.scheduler, device=self.device, progress=progress)

    def evaluate(self, x: Tensor, y: Tensor, batch_size: int = 256) -> dict[str, float]:
        """Mean loss and metrics over (x, y), in eval mode under no_grad()."""
        _check_pair(x, y, "evaluate")
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
        return evaluate(self.model, loader, self.loss_fn, self.metrics, device=self.device)

    def predict(self, x: Tensor, batch_size: int = 256) -> Tensor:
        """The model's outputs for x, computed in batches."""
        return predict(self.model, x, batch_size=batch_size, device=self.device)

    def __repr__(self) -> str:
        return (f"Trainer(model={type(self.model).__name__}, loss_fn={self.loss_fn!r}, "
                f"optimizer={type(self.optimizer).__name__}, metrics={self.metrics!r})")


def _check_pair(x, y, caller: str) -> None:
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"Trainer.{caller} expects tensors x and y, got {type(x).__name__} "
                        f"and {type(y).__name__}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Trainer.{caller}: x and y must have the same number of rows, got "
                         f"{x.shape[0]} and {y.shape[0]}")
