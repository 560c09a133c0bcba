"""minitorch.train: fit/evaluate/predict, History, callbacks and Trainer, on tiny synthetic data."""
import os

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.train import (Callback, EarlyStopping, History, ModelCheckpoint, Trainer, evaluate, fit,
                             predict)
from minitorch.utils.data import DataLoader, TensorDataset


def blobs(n=256, seed=0):
    """Two Gaussian blobs at (-2, -2) and (2, 2): linearly separable, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) * 0.7 + np.where(y[:, None] == 1, 2.0, -2.0)
    return minitorch.tensor(x.astype(np.float32)), minitorch.tensor(y)


def mlp(seed=0):
    minitorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def loaders(batch_size=32):
    x, y = blobs(256, seed=0)
    xv, yv = blobs(100, seed=1)
    return (DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True),
            DataLoader(TensorDataset(xv, yv), batch_size=batch_size))


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(minitorch.equal(a[k], b[k]) for k in a)


class Scripted(Callback):
    """Overwrites logs['val_loss'] with a scripted value per epoch and snapshots the weights.

    Placed before EarlyStopping / ModelCheckpoint (callbacks run in list order and share logs).
    """

    def __init__(self, values, key="val_loss"):
        self.values, self.key, self.snapshots = values, key, []

    def on_epoch_end(self, epoch, logs):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(weights(self.model))


# ----- fit ----------------------------------------------------------------------------

def test_fit_learns_separable_blobs_to_95_percent():
    train, val = loaders()
    model = mlp()
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=5, val_loader=val, progress=False)
    assert history.accuracy[-1] >= 0.95
    assert history.val_accuracy[-1] >= 0.95
    assert history.loss[-1] < history.loss[0]


def test_history_has_one_value_per_epoch_for_every_key():
    train, val = loaders()
    model = mlp()
    opt = minitorch.optim.SGD(model.parameters(), lr=0.1)
    sched = minitorch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, train, nn.CrossEntropyLoss(), opt, epochs=3, val_loader=val,
                  scheduler=sched, progress=False)
    assert isinstance(history, History) and len(history) == 3
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.history["loss"] is history.loss is history["loss"]
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])  # the rate used during each epoch
    assert all(s > 0 for s in history.seconds)
    assert all(0 <= a <= 1 for a in history.accuracy + history.val_accuracy)
    assert repr(history).startswith("History(epochs=3, loss=")


def test_history_without_val_loader_or_metrics_has_loss_lr_seconds():
    train, _ = loaders()
    model = mlp()
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=2, metrics=(), progress=False)
    assert list(history.history) == ["loss", "lr", "seconds"]
    with pytest.raises(AttributeError, match="'val_loss'.*recorded \\['loss', 'lr', 'seconds'\\]"):
        history.val_loss


def test_fit_with_zero_epochs_returns_empty_history():
    train, _ = loaders()
    model = mlp()
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=0, progress=False)
    assert len(history) == 0 and history.history == {}


def test_fit_runs_the_same_steps_as_the_explicit_loop():
    x, y = blobs(64)
    ref, mine = mlp(), mlp()
    loss_fn = nn.CrossEntropyLoss()
    ref_opt = minitorch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    ref.train()
    for _ in range(2):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16):
            ref_opt.zero_grad()
            loss = loss_fn(ref(xb), yb)
            loss.backward()
            ref_opt.step()
    fit(mine, DataLoader(TensorDataset(x, y), batch_size=16), loss_fn,
        minitorch.optim.SGD(mine.parameters(), lr=0.1, momentum=0.9), epochs=2, progress=False)
    assert same_weights(weights(ref), weights(mine))


def test_fit_on_cpu_device_and_callable_and_named_metrics():
    train, val = loaders()
    model = mlp()

    def error_rate(output, target):
        return 1.0 - (output.argmax(dim=1) == target).float().mean().item()

    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=2, val_loader=val, metrics=["acc", error_rate], device="cpu", progress=False)
    assert history.acc[-1] + history.error_rate[-1] == pytest.approx(1.0)
    assert history.val_acc[-1] + history.val_error_rate[-1] == pytest.approx(1.0)


def test_regression_metrics_mae_and_mse_match_numpy():
    rng = np.random.default_rng(0)
    out, target = rng.normal(size=(50, 3)).astype(np.float32), rng.normal(size=(50, 3)).astype(np.float32)
    model = nn.Identity()
    loader = DataLoader(TensorDataset(minitorch.tensor(out), minitorch.tensor(target)), batch_size=50)
    result = evaluate(model, loader, None, metrics=("mae", "mse"))
    assert result == pytest.approx({"mae": np.abs(out - target).mean(), "mse": ((out - target) ** 2).mean()},
                                   rel=1e-5)


# ----- evaluate and predict -------------------------------------------------------------

def test_evaluate_equals_a_hand_written_loop_with_a_short_last_batch():
    x, y = blobs(100, seed=3)  # batches of 32, 32, 32, 4: means must weight by batch size
    model = mlp()
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    total_loss, correct = 0.0, 0
    model.eval()
    with minitorch.no_grad():
        for xb, yb in loader:
            out = model(xb)
            total_loss += loss_fn(out, yb).item() * len(yb)
            correct += (out.argmax(dim=1) == yb).sum().item()
    model.train()
    result = evaluate(model, loader, loss_fn)
    assert list(result) == ["loss", "accuracy"]
    assert result["loss"] == pytest.approx(total_loss / 100, rel=1e-6)
    assert result["accuracy"] == pytest.approx(correct / 100, rel=1e-12)


def test_evaluate_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    seen = []

    def probe(output, target):
        seen.append((output.requires_grad, model.training))
        return 0.0

    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    x, y = blobs(8)
    evaluate(model, DataLoader(TensorDataset(x, y), batch_size=4), nn.CrossEntropyLoss(), [probe])
    assert seen == [(False, False), (False, False)]
    assert model.training
    model.eval()
    evaluate(model, DataLoader(TensorDataset(x, y), batch_size=4), None, [probe])
    assert not model.training


def test_predict_on_a_tensor_and_on_a_loader_equals_the_model_in_eval_mode():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5))
    x, y = blobs(70)
    model.eval()
    with minitorch.no_grad():
        expected = model(x)
    model.train()
    by_tensor = predict(model, x, batch_size=32)
    by_loader = predict(model, DataLoader(TensorDataset(x, y), batch_size=32))
    inputs_only = predict(model, [x[:40], x[40:]])
    for got in (by_tensor, by_loader, inputs_only):
        assert got.shape == (70, 3) and not got.requires_grad
        assert minitorch.allclose(got, expected)
    assert model.training


# ----- callbacks ------------------------------------------------------------------------

class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs):
        self.calls.append("train_begin")

    def on_train_end(self, logs):
        self.calls.append("train_end")

    def on_epoch_begin(self, epoch, logs):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_batch_begin(self, batch, logs):
        self.calls.append(f"batch_begin {batch}")

    def on_batch_end(self, batch, logs):
        self.calls.append(f"batch_end {batch} {sorted(logs)}")


def test_callbacks_are_called_in_order_with_the_model_and_logs():
    x, y = blobs(8)
    model = mlp()
    rec = Recorder()
    fit(model, DataLoader(TensorDataset(x, y), batch_size=4), nn.CrossEntropyLoss(),
        minitorch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
        val_loader=DataLoader(TensorDataset(x, y), batch_size=8), callbacks=[rec], progress=False)
    keys = "['accuracy', 'loss', 'lr', 'seconds', 'val_accuracy', 'val_loss']"
    per_epoch = lambda e: [f"epoch_begin {e}",  # noqa: E731
                           "batch_begin 0", "batch_end 0 ['accuracy', 'loss']",
                           "batch_begin 1", "batch_end 1 ['accuracy', 'loss']",
                           f"epoch_end {e} {keys}"]
    assert rec.calls == ["train_begin"] + per_epoch(0) + per_epoch(1) + ["train_end"]
    assert rec.model is model


def test_a_callback_setting_stop_training_ends_fit_after_that_epoch():
    class StopAfterFirst(Callback):
        def on_epoch_end(self, epoch, logs):
            self.stop_training = True

    train, _ = loaders()
    model = mlp()
    rec = Recorder()
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=5, callbacks=[StopAfterFirst(), rec], progress=False)
    assert len(history) == 1
    assert rec.calls[-1] == "train_end"


def test_early_stopping_stops_after_patience_epochs_and_restores_the_best_weights():
    train, val = loaders()
    model = mlp()
    script = Scripted([1.0, 0.5, 0.6, 0.7, 0.4, 0.3])
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=6, val_loader=val, callbacks=[script, stop], progress=False)
    assert len(history) == 4  # epoch 1 is best; epochs 2 and 3 do not improve
    assert (stop.best, stop.best_epoch, stop.stopped_epoch, stop.wait) == (0.5, 1, 3, 2)
    assert same_weights(weights(model), script.snapshots[1])
    assert not same_weights(weights(model), script.snapshots[3])


def test_early_stopping_without_restore_keeps_the_last_weights():
    train, val = loaders()
    model = mlp()
    script = Scripted([1.0, 2.0, 3.0])
    stop = EarlyStopping(patience=1)
    fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
        epochs=3, val_loader=val, callbacks=[script, stop], progress=False)
    assert stop.stopped_epoch == 1
    assert same_weights(weights(model), script.snapshots[1])


@pytest.mark.parametrize("monitor, mode, min_delta, values, stopped", [
    ("val_loss", "auto", 0.2, [1.0, 0.95, 0.9, 0.85], 2),  # improvements under min_delta do not count
    ("val_accuracy", "auto", 0.0, [0.5, 0.9, 0.8, 0.7], 3),  # 'acc' in the name: higher is better
    ("val_loss", "max", 0.0, [0.5, 0.9, 0.8, 0.7], 3),
])
def test_early_stopping_min_delta_and_mode(monitor, mode, min_delta, values, stopped):
    train, val = loaders()
    model = mlp()
    stop = EarlyStopping(monitor=monitor, mode=mode, patience=2, min_delta=min_delta)
    fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1), epochs=4,
        val_loader=val, callbacks=[Scripted(values, key=monitor), stop], progress=False)
    assert stop.stopped_epoch == stopped


def test_early_stopping_on_val_loss_without_val_loader_says_what_to_do():
    train, _ = loaders()
    model = mlp()
    with pytest.raises(KeyError, match="monitors 'val_loss'.*pass val_loader to fit"):
        fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
            epochs=2, callbacks=[EarlyStopping()], progress=False)


def test_callback_arguments_are_validated():
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max', got 'best'"):
        EarlyStopping(mode="best")
    with pytest.raises(ValueError, match="patience must be non-negative, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="min_delta must be non-negative"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="ModelCheckpoint mode"):
        ModelCheckpoint("x.pt", mode="lowest")


def test_model_checkpoint_saves_the_best_epoch_and_load_restores_it(tmp_path):
    train, val = loaders()
    model = mlp()
    script = Scripted([1.0, 0.5, 0.7])
    path = tmp_path / "best.pt"
    ckpt = ModelCheckpoint(path)
    fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
        epochs=3, val_loader=val, callbacks=[script, ckpt], progress=False)
    assert (ckpt.best, ckpt.best_epoch, ckpt.last_path) == (0.5, 1, str(path))
    assert os.listdir(tmp_path) == ["best.pt"]  # atomic save leaves no temporary file
    state = minitorch.load(path)
    assert same_weights(state, script.snapshots[1])
    fresh = mlp(seed=1)
    fresh.load_state_dict(state)
    assert same_weights(weights(fresh), script.snapshots[1])


def test_model_checkpoint_every_epoch_formats_the_path(tmp_path):
    train, _ = loaders()
    model = mlp()
    ckpt = ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}-{loss:.1f}.pt", save_best_only=False)
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=2, callbacks=[ckpt], progress=False)
    expected = [f"ckpt-{e + 1:02d}-{history.loss[e]:.1f}.pt" for e in range(2)]
    assert sorted(os.listdir(tmp_path)) == expected
    assert same_weights(minitorch.load(tmp_path / expected[1]), weights(model))


# ----- progress bar -------------------------------------------------------------------

def test_progress_false_prints_nothing(capsys):
    train, val = loaders()
    model = mlp()
    fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
        epochs=2, val_loader=val, progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_goes_to_stderr_with_loss_and_samples_per_second(capsys):
    train, val = loaders()
    model = mlp()
    fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
        epochs=2, val_loader=val)
    out, err = capsys.readouterr()
    assert out == ""
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "loss=" in err and "val_accuracy=" in err and "samples/s" in err


# ----- bad input ----------------------------------------------------------------------

def test_fit_rejects_a_model_that_is_not_a_module():
    train, _ = loaders()
    with pytest.raises(TypeError, match="fit\\(\\) expects model to be a minitorch.nn.Module, got function"):
        fit(lambda x: x, train, nn.CrossEntropyLoss(), None, progress=False)
    with pytest.raises(TypeError, match="evaluate\\(\\) expects model"):
        evaluate("model", train, None)


@pytest.mark.parametrize("batches, message", [
    ([minitorch.ones(2, 2)], "train_loader must yield \\(input, target\\) pairs, got a Tensor"),
    ([(minitorch.ones(2, 2), minitorch.ones(2), minitorch.ones(2))],
     "pairs, got a tuple of length 3"),
    ([(minitorch.ones(2, 2), [0, 1])], "with a Tensor target, got list"),
])
def test_fit_rejects_a_loader_that_does_not_yield_pairs(batches, message):
    model = mlp()
    with pytest.raises(TypeError, match=message):
        fit(model, batches, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
            progress=False)


def test_unknown_metric_names_the_known_ones():
    train, _ = loaders()
    model = mlp()
    with pytest.raises(ValueError, match="unknown metric 'f1'; use one of \\['acc', 'accuracy', 'mae', "
                                         "'mse'\\] or a callable"):
        fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
            metrics=["accuracy", "f1"], progress=False)
    with pytest.raises(TypeError, match="a metric must be a name or a callable"):
        evaluate(model, train, None, metrics=[3])


def test_accuracy_explains_bad_shapes_and_float_targets():
    x = minitorch.ones(4, 2)
    loader = [(x, minitorch.ones(4, 2))]
    with pytest.raises(ValueError, match="accuracy expects output \\(N, C\\) and target \\(N,\\), got "
                                         "output \\(4, 2\\) and target \\(4, 2\\)"):
        evaluate(nn.Identity(), loader, None)
    with pytest.raises(ValueError, match="integer class targets, got dtype torch.float32"):
        evaluate(nn.Identity(), [(x, minitorch.ones(4))], None)


def test_empty_loaders_are_errors():
    model = mlp()
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, [], nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match="the loader yielded no batches"):
        evaluate(model, [], None)
    with pytest.raises(ValueError, match="epochs must be non-negative, got -1"):
        fit(model, [], None, None, epochs=-1)


# ----- Trainer ------------------------------------------------------------------------

def test_trainer_fits_tensors_like_keras():
    x, y = blobs(300)
    model = mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), minitorch.optim.Adam(model.parameters(), lr=0.05))
    history = trainer.fit(x, y, epochs=4, batch_size=32, validation_split=0.2, progress=False)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert history.val_accuracy[-1] >= 0.95
    # validation_split holds out the last 20% of rows, as Keras does
    held_out = DataLoader(TensorDataset(x[240:], y[240:]), batch_size=256)
    assert evaluate(model, held_out, nn.CrossEntropyLoss()) == pytest.approx(
        {"loss": history.val_loss[-1], "accuracy": history.val_accuracy[-1]})
    assert trainer.evaluate(x, y) == pytest.approx(
        evaluate(model, DataLoader(TensorDataset(x, y), batch_size=64), nn.CrossEntropyLoss()))
    assert minitorch.equal(trainer.predict(x).argmax(dim=1), predict(model, x).argmax(dim=1))


def test_trainer_validation_options_and_errors():
    x, y = blobs(64)
    model = mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1))
    assert "val_loss" not in trainer.fit(x, y, epochs=1, validation_split=0, progress=False).history
    history = trainer.fit(x, y, epochs=1, validation_data=blobs(20, seed=5), progress=False)
    assert "val_accuracy" in history.history
    with pytest.raises(ValueError, match="validation_split must be in \\[0, 1\\), got 1.5"):
        trainer.fit(x, y, validation_split=1.5)
    with pytest.raises(ValueError, match="same number of rows, got 64 and 63"):
        trainer.fit(x, y[:63])
    with pytest.raises(TypeError, match="expects tensors x and y, got ndarray and Tensor"):
        trainer.fit(np.zeros((64, 2)), y)
    with pytest.raises(TypeError, match="Trainer\\(\\) expects model"):
        Trainer(None, nn.CrossEntropyLoss(), None)


def test_metrics_as_a_dict_choose_their_names():
    from minitorch.train import accuracy
    train, val = loaders()
    model = mlp()
    history = fit(model, train, nn.CrossEntropyLoss(), minitorch.optim.SGD(model.parameters(), lr=0.1),
                  epochs=1, val_loader=val, metrics={"top1": accuracy}, progress=False)
    assert list(history.history) == ["loss", "top1", "val_loss", "val_top1", "lr", "seconds"]
    with pytest.raises(TypeError, match="metric 'top1' must be a callable"):
        evaluate(model, val, None, metrics={"top1": "accuracy"})
