"""Callbacks: code that fit runs at fixed points of training.

Hooks run in this order: ``on_train_begin``; per epoch ``on_epoch_begin``, then
``on_batch_begin`` / ``on_batch_end`` around every step, then ``on_epoch_end`` with the
epoch's numbers (the keys of History); finally ``on_train_end``. ``self.model`` is the
model being trained. A callback that sets ``self.stop_training = True`` ends training
after the current epoch.
"""
from __future__ import annotations

import os
from collections import OrderedDict

from ..nn import Module
from ..serialization import save


class Callback:
    """Base class: override the hooks you need; every hook receives a dict of numbers."""

    model: Module | None = None
    stop_training: bool = False

    def set_model(self, model: Module) -> None:
        self.model = model

    def on_train_begin(self, logs: dict) -> None:
        pass

    def on_train_end(self, logs: dict) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        pass

    def on_batch_begin(self, batch: int, logs: dict) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict) -> None:
        pass


class _Monitor:
    """Tracks the best value of one logged number; 'auto' maximises names with 'acc'."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner} mode must be 'auto', 'min' or 'max', got {mode!r}")
        if min_delta < 0:
            raise ValueError(f"{owner} min_delta must be non-negative, got {min_delta}")
        self.owner, self.monitor, self.min_delta = owner, monitor, min_delta
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.best: float | None = None

    def improved(self, logs: dict) -> bool:
        """Whether logs[monitor] beats the best by more than min_delta (it then becomes the best)."""
        if self.monitor not in logs:
            raise KeyError(f"{self.owner} monitors {self.monitor!r}, but the epoch logged only "
                           f"{sorted(logs)}; pass val_loader to fit, or monitor one of those")
        value = logs[self.monitor]
        if self.best is None:
            better = True
        elif self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than min_delta for ``patience`` epochs.

    With restore_best_weights, the model gets the weights of its best epoch back when
    training ends. After fit: ``best``, ``best_epoch`` and ``stopped_epoch`` (None if it
    ran to the end), epochs counted from 0.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping patience must be non-negative, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best_weights = mode, restore_best_weights
        self._tracker = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.on_train_begin({})

    def on_train_begin(self, logs: dict) -> None:
        self._tracker.best = None
        self.stop_training = False
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: OrderedDict | None = None

    @property
    def best(self) -> float | None:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self._tracker.improved(logs):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                self.best_weights = OrderedDict(
                    (k, v.detach().clone()) for k, v in self.model.state_dict().items())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stop_training, self.stopped_epoch = True, epoch

    def on_train_end(self, logs: dict) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save ``model.state_dict()`` with minitorch.save after epochs that improve ``monitor``.

    With save_best_only=False it saves after every epoch. path may hold ``{epoch}``
    (counted from 1) and logged names: ``"ckpt-{epoch:02d}-{val_loss:.3f}.pt"``. Saving
    is atomic (a temporary file renamed over the target). After fit: ``best``,
    ``best_epoch`` (from 0) and ``last_path``, the file written last.
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto") -> None:
        self.path, self.monitor, self.save_best_only, self.mode = path, monitor, save_best_only, mode
        self._tracker = _Monitor("ModelCheckpoint", monitor, mode)
        self.on_train_begin({})

    def on_train_begin(self, logs: dict) -> None:
        self._tracker.best = None
        self.best_epoch: int | None = None
        self.last_path: str | None = None

    @property
    def best(self) -> float | None:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.save_best_only:
            if not self._tracker.improved(logs):
                return
            self.best_epoch = epoch
        path = os.fspath(self.path).format(epoch=epoch + 1, **logs)
        save(self.model.state_dict(), path)
        self.last_path = path
