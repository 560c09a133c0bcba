"""minitorch.train: a one-call training API over the explicit PyTorch loop.

``fit`` runs the loop you would write yourself (``loop.py``, one screen of code) and
adds the bookkeeping around it: sample-weighted means of the loss and metrics, a
``History`` of per-epoch numbers, callbacks at fixed points and a tqdm bar on stderr::

    from minitorch.train import fit, evaluate, EarlyStopping
    history = fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, epochs=10,
                  val_loader=val_loader, callbacks=[EarlyStopping(patience=2)])
    history.val_accuracy[-1]

``Trainer`` (``trainer.py``) is Keras-style sugar on top: ``fit(x, y)`` with tensors.
Nothing here is needed to train a model; it is the loop, written once.
"""
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .loop import History, evaluate, fit, predict
from .metrics import METRICS, accuracy, mean_absolute_error, mean_squared_error
from .trainer import Trainer

__all__ = ["Callback", "EarlyStopping", "History", "METRICS", "ModelCheckpoint", "Trainer",
           "accuracy", "evaluate", "fit", "mean_absolute_error", "mean_squared_error", "predict"]
