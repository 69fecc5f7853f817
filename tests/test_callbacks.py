"""Built-in callbacks: Keras 3 semantics on known sequences, then inside a real fit()."""
import csv
import math
import os

import numpy as np
import pytest

from fastnn.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                              ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)


# ------------------------------------------------------------------ a model stand-in
class _Opt:
    def __init__(self, lr):
        self.learning_rate = lr


class FakeModel:
    """What callbacks may touch on a model, recorded so tests can look."""

    def __init__(self, lr=0.01, metrics_names=()):
        self.stop_training = False
        self.optimizer = _Opt(lr)
        self.weights = [np.zeros(2)]
        self.saved = []
        self.metrics_names = list(metrics_names)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, ws):
        self.weights = [np.array(w) for w in ws]

    def save(self, path):
        self.saved.append(("model", path))
        with open(path, "w") as f:
            f.write("model")

    def save_weights(self, path):
        self.saved.append(("weights", path))
        with open(path, "w") as f:
            f.write("weights")


def drive(cb, values, monitor="loss", model=None, set_weights_per_epoch=False):
    """Run cb through a fit-like loop with logs[monitor] = values[epoch]; return epochs run."""
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin({})
    ran = 0
    for epoch, v in enumerate(values):
        cb.on_epoch_begin(epoch, {})
        if set_weights_per_epoch:
            model.weights = [np.full(2, float(epoch))]
        cb.on_epoch_end(epoch, {monitor: v})
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end({})
    return ran, model


# ------------------------------------------------------------------ EarlyStopping
def test_early_stopping_patience_counts_epochs_without_improvement():
    es = EarlyStopping(monitor="loss", patience=2)
    ran, _ = drive(es, [1.0, 0.9, 0.95, 0.93, 0.8])
    assert ran == 4 and es.stopped_epoch == 3 and es.best == 0.9


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    es = EarlyStopping(monitor="val_accuracy", patience=0)  # auto -> max for accuracy
    ran, _ = drive(es, [0.5, 0.6, 0.55, 0.9], monitor="val_accuracy")
    assert ran == 3 and es.stopped_epoch == 2


def test_early_stopping_min_delta():
    es = EarlyStopping(monitor="loss", min_delta=0.1, patience=1)
    ran, _ = drive(es, [1.0, 0.95, 0.5])
    assert ran == 2  # 0.95 is not better than 1.0 by more than 0.1
    es = EarlyStopping(monitor="loss", min_delta=-0.1, patience=1)  # sign ignored (abs)
    ran, _ = drive(es, [1.0, 0.95, 0.5])
    assert ran == 2


def test_early_stopping_baseline_keeps_counting_until_beaten():
    es = EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    ran, _ = drive(es, [0.9, 0.95, 0.97, 0.1])
    assert ran == 2 and es.stopped_epoch == 1  # 0.9 never beat the baseline
    es = EarlyStopping(monitor="loss", patience=2, baseline=0.95)
    ran, _ = drive(es, [0.9, 0.95, 0.97, 0.99])
    assert ran == 3  # 0.9 beat the baseline and reset the wait: one more epoch than above


def test_early_stopping_restore_best_weights():
    es = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    ran, model = drive(es, [1.0, 0.5, 0.7, 0.8, 0.1], set_weights_per_epoch=True)
    assert ran == 4 and es.best_epoch == 1
    assert np.array_equal(model.weights[0], np.full(2, 1.0))
    # Also when training runs to the end without stopping.
    es = EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)
    ran, model = drive(es, [1.0, 0.5, 0.7], set_weights_per_epoch=True)
    assert ran == 3 and np.array_equal(model.weights[0], np.full(2, 1.0))


def test_early_stopping_start_from_epoch():
    es = EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    ran, _ = drive(es, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == 4 and es.stopped_epoch == 3  # epochs 0 and 1 are ignored


def test_early_stopping_missing_monitor_warns_and_unknown_direction_raises():
    es = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss"):
        ran, _ = drive(es, [1.0, 2.0, 3.0], monitor="loss")
    assert ran == 3
    with pytest.raises(ValueError, match="mode='max'"):
        drive(EarlyStopping(monitor="my_score"), [1.0], monitor="my_score")
    with pytest.warns(UserWarning, match="unknown"):
        assert EarlyStopping(mode="sideways").mode == "auto"
    ran, _ = drive(EarlyStopping(monitor="my_score", mode="max", patience=0), [1.0, 0.5],
                   monitor="my_score")
    assert ran == 2


def test_early_stopping_is_reusable():
    es = EarlyStopping(monitor="loss", patience=1)
    assert drive(es, [1.0, 2.0, 3.0])[0] == 2
    assert drive(es, [5.0, 4.0, 3.0, 2.0])[0] == 4  # fresh best for the new run


# ------------------------------------------------------------------ ModelCheckpoint
def test_model_checkpoint_formats_filepath_every_epoch(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "sub" / "m-{epoch:02d}-{loss:.2f}.fastnn"))
    ran, model = drive(cb, [0.5, 0.25, 0.125])
    names = sorted(os.listdir(tmp_path / "sub"))
    assert names == ["m-01-0.50.fastnn", "m-02-0.25.fastnn", "m-03-0.12.fastnn"]
    assert [kind for kind, _ in model.saved] == ["model"] * 3


def test_model_checkpoint_save_best_only_and_weights_only(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "best-{epoch}.w"), monitor="val_loss",
                         save_best_only=True, save_weights_only=True)
    ran, model = drive(cb, [0.5, 0.7, 0.4, 0.4, 0.9], monitor="val_loss")
    assert [os.path.basename(p) for _, p in model.saved] == ["best-1.w", "best-3.w"]
    assert {kind for kind, _ in model.saved} == {"weights"}
    assert cb.best == 0.4
    cb = ModelCheckpoint(str(tmp_path / "acc.w"), monitor="val_accuracy", save_best_only=True,
                         initial_value_threshold=0.6)
    _, model = drive(cb, [0.5, 0.7, 0.65], monitor="val_accuracy")
    assert len(model.saved) == 1  # only 0.7 beat the threshold (auto -> max)


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.f"), save_freq=3)
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(4):  # 8 batches in all -> saves after the 3rd and 6th
            cb.on_train_batch_end(batch, {"loss": 1.0})
        cb.on_epoch_end(epoch, {"loss": 1.0})
    assert [os.path.basename(p) for _, p in model.saved] == ["e1-b3.f", "e2-b2.f"]


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x", save_freq="batch")
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x", save_freq=0)
    with pytest.raises(KeyError, match="val_acc"):
        drive(ModelCheckpoint(str(tmp_path / "{val_acc}.f")), [1.0])
    with pytest.raises(IsADirectoryError):
        drive(ModelCheckpoint(str(tmp_path)), [1.0])


# ------------------------------------------------------------------ LearningRateScheduler
def test_learning_rate_scheduler_keras_doc_example():
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    cb = LearningRateScheduler(scheduler)
    _, model = drive(cb, [1.0] * 15)
    assert round(model.optimizer.learning_rate, 5) == 0.00607


def test_learning_rate_scheduler_logs_and_one_arg_schedule():
    seen = []
    cb = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    for epoch in range(3):
        cb.on_epoch_begin(epoch)
        logs = {"loss": 1.0}
        cb.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_learning_rate_scheduler_rejects_non_float():
    cb = LearningRateScheduler(lambda epoch, lr: "fast")
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be a float"):
        cb.on_epoch_begin(0)
    # Keras refuses an int (its rule: float, np.float32 or np.float64)
    for bad in (1, np.int64(1), True, np.float16(0.5)):
        cb = LearningRateScheduler(lambda epoch, lr, bad=bad: bad)
        cb.set_model(FakeModel())
        with pytest.raises(ValueError, match="should be a float"):
            cb.on_epoch_begin(0)
    for good in (0.5, np.float32(0.5), np.float64(0.5)):
        model = FakeModel()
        cb = LearningRateScheduler(lambda epoch, lr, good=good: good)
        cb.set_model(model)
        cb.on_epoch_begin(0)
        assert model.optimizer.learning_rate == 0.5
    with pytest.raises(TypeError, match="callable"):
        LearningRateScheduler(0.1)


# ------------------------------------------------------------------ ReduceLROnPlateau
def test_reduce_lr_on_plateau_factor_cooldown_min_lr():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=1, min_lr=0.1)
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch in range(6):
        logs = {"loss": 1.0}
        cb.on_epoch_end(epoch, logs)
        lrs.append(model.optimizer.learning_rate)
        assert logs["learning_rate"] == (lrs[-2] if epoch else 1.0)  # the rate used this epoch
    assert lrs == [1.0, 0.5, 0.25, 0.125, 0.1, 0.1]


def test_reduce_lr_on_plateau_waits_patience_and_respects_min_delta():
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=2, min_delta=0.05)
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate([1.0, 0.97, 0.96, 0.5, 0.49]):
        cb.on_epoch_end(epoch, {"val_loss": v})
        if epoch == 1:
            assert model.optimizer.learning_rate == 1.0
    # 0.97 and 0.96 are within min_delta of 1.0 -> reduced after epoch 2; 0.49 then waits 1.
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_reduce_lr_on_plateau_accuracy_is_maximised_and_factor_checked():
    cb = ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1)
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate([0.5, 0.6, 0.7]):
        cb.on_epoch_end(epoch, {"val_acc": v})
    assert model.optimizer.learning_rate == 1.0
    cb.on_epoch_end(3, {"val_acc": 0.6})
    assert model.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_monitor_callbacks_follow_keras_monitor_callback():
    """Keras' MonitorCallback: best starts at None (the first value is an improvement),
    the sign of min_delta is ignored, auto mode finds the direction from the name."""
    # auc goes up (Keras 3.15 for ReduceLROnPlateau too; the old 'acc' rule read it as down)
    cb = ReduceLROnPlateau(monitor="val_auc", factor=0.5, patience=1)
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin()
    assert cb.best is None
    for epoch, v in enumerate([0.5, 0.6, 0.7]):
        cb.on_epoch_end(epoch, {"val_auc": v})
    assert model.optimizer.learning_rate == 1.0 and cb.best == 0.7
    cb.on_epoch_end(3, {"val_auc": 0.65})
    assert model.optimizer.learning_rate == 0.5
    # a negative min_delta is its absolute value
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=-0.5)
    model = FakeModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 1.0})
    cb.on_epoch_end(1, {"loss": 0.6})        # better by 0.4 < 0.5: no improvement
    assert model.optimizer.learning_rate == 0.5
    # EarlyStopping: a NaN first value is the best one (Keras: best is None until then)
    es = EarlyStopping(monitor="loss", patience=1)
    ran, _ = drive(es, [float("nan"), 1.0, 0.5, 0.25])
    assert ran == 2 and es.stopped_epoch == 1 and math.isnan(es.best)


def test_model_checkpoint_verbose_and_directory(tmp_path, capsys):
    path = str(tmp_path / "m-{epoch}.f")
    drive(ModelCheckpoint(path, verbose=1), [1.0])
    out = capsys.readouterr().out
    assert f"Epoch 1: saving model to {tmp_path}/m-1.f" in out
    assert f"Epoch 1: finished saving model to {tmp_path}/m-1.f" in out
    # a folder in the way is an error only when a file would be written (Keras)
    (tmp_path / "d").mkdir()
    cb = ModelCheckpoint(str(tmp_path / "d"), monitor="loss", save_best_only=True,
                         initial_value_threshold=0.5)
    drive(cb, [1.0])
    with pytest.raises(IsADirectoryError, match="non-directory"):
        drive(ModelCheckpoint(str(tmp_path / "d"), monitor="loss"), [1.0])


# ------------------------------------------------------------------ TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float32("-inf")])
def test_terminate_on_nan(bad, capsys):
    cb = TerminateOnNaN()
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    cb.on_train_batch_end(1, {"loss": bad})
    assert model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    strict = TerminateOnNaN(raise_error=True)
    strict.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 7"):
        strict.on_train_batch_end(7, {"loss": bad})


# ------------------------------------------------------------------ CSVLogger
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_sorted_keys_and_appends(tmp_path):
    path = str(tmp_path / "log.csv")
    cb = CSVLogger(path)
    cb.set_model(FakeModel())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    cb.on_epoch_end(1, {"loss": 0.25, "accuracy": 0.875})
    cb.on_train_end()
    # Keras 3.15: no val_ key in the first logs -> a val_<key> column for every key, NA
    assert _read_csv(path) == [["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
                               ["0", "0.75", "0.5", "NA", "NA"],
                               ["1", "0.875", "0.25", "NA", "NA"]]
    cb2 = CSVLogger(path, append=True)
    cb2.set_model(FakeModel())
    cb2.on_train_begin()
    cb2.on_epoch_end(2, {"loss": 0.125, "accuracy": 1.0, "val_loss": 0.5, "val_accuracy": 0.25})
    cb2.on_train_end()
    rows = _read_csv(path)
    # no second header; the appended logs have val_ keys, so their columns are the keys
    assert len(rows) == 4 and rows[-1] == ["2", "1.0", "0.125", "0.25", "0.5"]
    cb3 = CSVLogger(path)  # append=False truncates
    cb3.set_model(FakeModel())
    cb3.on_train_begin()
    cb3.on_epoch_end(0, {"loss": 1.0})
    cb3.on_train_end()
    assert _read_csv(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"]]
    cb4 = CSVLogger(path)  # logs with a val_ key: no columns added
    cb4.set_model(FakeModel())
    cb4.on_train_begin()
    cb4.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    cb4.on_epoch_end(1, {"loss": 0.5})
    cb4.on_train_end()
    assert _read_csv(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["1", "0.5", "NA"]]
    cb5 = CSVLogger(path)  # no logs at all: the epoch column only
    cb5.on_train_begin()
    cb5.on_epoch_end(0, {})
    cb5.on_train_end()
    assert _read_csv(path) == [["epoch"], ["0"]]


def test_csv_logger_separator_missing_val_keys_and_arrays(tmp_path):
    path = str(tmp_path / "log.tsv")
    cb = CSVLogger(path, separator="\t")
    # metrics_names plays no part (fastnn's rule before Keras 3.15's): the columns come
    # from the first logs' keys
    cb.set_model(FakeModel(metrics_names=["loss", "val_loss", "val_accuracy"]))
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": np.float32(0.5), "per_class": np.array([1, 2]),
                        "zero_d": np.array(0.25, np.float32)})
    cb.on_epoch_end(1, {"loss": 0.25, "per_class": [3, 4], "zero_d": np.array(0.5),
                        "val_loss": 1.5, "val_per_class": np.array([5, 6])})
    cb.on_train_end()
    assert _read_csv(path, "\t") == [
        ["epoch", "loss", "per_class", "zero_d", "val_loss", "val_per_class", "val_zero_d"],
        ["0", "0.5", '"[1, 2]"', "0.25", "NA", "NA", "NA"],  # Keras quotes arrays itself
        ["1", "0.25", '"[3, 4]"', "0.5", "1.5", '"[5, 6]"', "NA"]]


# ------------------------------------------------------------------ LambdaCallback
def test_lambda_callback_calls_given_functions():
    events = []
    cb = LambdaCallback(on_epoch_begin=lambda e, logs: events.append(("eb", e)),
                        on_epoch_end=lambda e, logs: events.append(("ee", e, logs["loss"])),
                        on_train_begin=lambda logs: events.append("tb"),
                        on_train_end=lambda logs: events.append("te"),
                        on_train_batch_end=lambda b, logs: events.append(("be", b)),
                        on_test_begin=lambda logs: events.append("test"))
    cb.on_train_begin({})
    cb.on_epoch_begin(0, {})
    cb.on_train_batch_begin(0, {})  # not given: the base no-op
    cb.on_train_batch_end(0, {})
    cb.on_epoch_end(0, {"loss": 2.0})
    cb.on_test_begin({})
    cb.on_train_end({})
    assert events == ["tb", ("eb", 0), ("be", 0), ("ee", 0, 2.0), "test", "te"]
    with pytest.raises(ValueError, match="on_epoch_ned"):
        LambdaCallback(on_epoch_ned=print)
    # other keywords become attributes, as in Keras (not called as hooks)
    extra = LambdaCallback(custom_method=print, threshold=3)
    assert extra.custom_method is print and extra.threshold == 3


# ------------------------------------------------------------------ inside a real fit()
def _model(seed=0, lr=0.01, units=8):
    from fastnn import Sequential
    from fastnn.layers import Dense
    from fastnn.optimizers import SGD
    from fastnn.utils import set_random_seed
    set_random_seed(seed)
    m = Sequential([Dense(units, activation="relu"), Dense(1)])
    m.compile(optimizer=SGD(learning_rate=lr), loss="mse")
    return m


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]))[:, None].astype(np.float32)
    return x, y


def test_fit_early_stopping_stops_and_restores_best():
    x, y = _data()
    m = _model()
    losses = []
    # Training loss goes down, validation on unrelated targets soon stops improving.
    xv, yv = x[:16], -y[:16] * 3
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    snap = LambdaCallback(on_epoch_end=lambda e, logs: losses.append((logs["val_loss"], m.get_weights())))
    h = m.fit(x, y, epochs=50, batch_size=16, verbose=0, validation_data=(xv, yv), callbacks=[snap, es])
    n = len(h.history["loss"])
    assert n < 50 and es.stopped_epoch == n - 1
    best = int(np.argmin([v for v, _ in losses]))
    assert es.best_epoch == best
    for got, want in zip(m.get_weights(), losses[best][1]):
        assert np.array_equal(got, want)


def test_fit_learning_rate_scheduler_and_history():
    x, y = _data()
    m = _model(lr=0.1)
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 0.1 / 2 ** e)])
    assert m.optimizer.learning_rate == pytest.approx(0.025)
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_fit_reduce_lr_on_plateau_in_fit():
    x, y = _data()
    m = _model(lr=0.05)
    # min_delta huge: no epoch counts as an improvement after the first.
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    h = m.fit(x, y, epochs=4, verbose=0, callbacks=[cb])
    assert h.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.025, 0.0125])
    assert m.optimizer.learning_rate == pytest.approx(0.00625)


def test_fit_terminate_on_nan():
    x, y = _data()
    m = _model(lr=1e6)  # diverges to inf/nan within a few batches
    h = m.fit(x, y, epochs=20, batch_size=8, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(h.history["loss"]) < 20 and not np.isfinite(h.history["loss"][-1])


def test_fit_lambda_and_csv_logger(tmp_path):
    x, y = _data()
    m = _model()
    batches = []
    path = tmp_path / "train.csv"
    cb = LambdaCallback(on_train_batch_end=lambda b, logs: batches.append((b, logs["loss"])))
    h = m.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_split=0.25,
              callbacks=[cb, CSVLogger(str(path))])
    assert [b for b, _ in batches] == [0, 1, 2] * 2
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(h.history["loss"])
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(h.history["val_loss"])


def test_fit_csv_logger_with_validation_freq(tmp_path):
    """Keras 3.15: validation only every 2nd epoch still gives val_ columns, NA between."""
    x, y = _data()
    m = _model()
    path = tmp_path / "train.csv"
    h = m.fit(x, y, epochs=4, batch_size=16, verbose=0, validation_split=0.25,
              validation_freq=2, callbacks=[CSVLogger(str(path))])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    assert [r[2] for r in rows[1:]][0::2] == ["NA", "NA"]
    assert [float(r[2]) for r in rows[2::2]] == pytest.approx(h.history["val_loss"])
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(h.history["loss"])


def test_fit_model_checkpoint_best_model_loads(tmp_path):
    from fastnn.models import load_model
    x, y = _data()
    m = _model()
    vals = []
    path = tmp_path / "best.fastnn"
    cb = ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    keep = LambdaCallback(on_epoch_end=lambda e, logs: vals.append((logs["val_loss"], m.get_weights())))
    m.fit(x, y, epochs=6, batch_size=16, verbose=0, validation_data=(x[:16], y[:16]), callbacks=[keep, cb])
    best_w = min(vals, key=lambda t: t[0])[1]
    loaded = load_model(path)
    for got, want in zip(loaded.get_weights(), best_w):
        assert np.array_equal(got, want)
    wpath = tmp_path / "w-{epoch}.bin"
    m.fit(x, y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(wpath), save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["best.fastnn", "w-1.bin", "w-2.bin"]


# ------------------------------------------------------------------ hooks on an instance
@pytest.mark.parametrize("fused", [True, False])
def test_hooks_assigned_to_an_instance_are_called(monkeypatch, fused):
    """A plain Callback whose batch and epoch hooks are set on the instance (not defined
    in a subclass) sees every batch and epoch, on the fused engine and the layer path."""
    import fastnn
    from fastnn import engine, layers as L
    from fastnn.callbacks import Callback
    monkeypatch.setattr(engine, "ENABLED", fused)
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    m = fastnn.Sequential([L.Input((3,)), L.Dense(1, activation="sigmoid")])
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    seen = []
    cb = Callback()
    cb.on_train_batch_end = lambda batch, logs=None: seen.append(("batch", batch, sorted(logs)))
    cb.on_epoch_end = lambda epoch, logs=None: seen.append(("epoch", epoch))
    m.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[cb])
    assert seen == [("batch", 0, ["loss"]), ("batch", 1, ["loss"]), ("batch", 2, ["loss"]),
                    ("epoch", 0),
                    ("batch", 0, ["loss"]), ("batch", 1, ["loss"]), ("batch", 2, ["loss"]),
                    ("epoch", 1)]


@pytest.mark.parametrize("data", ["arrays", "generator"])
def test_a_callback_stops_evaluate_and_predict_early(data):
    """model.stop_evaluating / stop_predicting set by a batch callback end the loop after
    that batch (Keras 3): evaluate gives the batches so far, predict their outputs."""
    import fastnn
    from fastnn import layers as L
    fastnn.utils.set_random_seed(0)
    m = fastnn.Sequential([L.Input((3,)), L.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 3)).astype(np.float32), rng.random((20, 2)).astype(np.float32)

    class Stop(fastnn.callbacks.Callback):
        def __init__(self, flag):
            super().__init__()
            self.flag, self.seen = flag, 0

        def on_test_batch_end(self, batch, logs=None):
            self._end()

        def on_predict_batch_end(self, batch, logs=None):
            self._end()

        def _end(self):
            self.seen += 1
            if self.seen == 3:
                setattr(self.model, self.flag, True)

    def feed(with_y):
        for i in range(0, 20, 2):
            yield (x[i:i + 2], y[i:i + 2]) if with_y else (x[i:i + 2],)

    stop = Stop("stop_evaluating")
    if data == "arrays":
        got = m.evaluate(x, y, batch_size=2, callbacks=[stop], verbose=0)
    else:
        got = m.evaluate(feed(True), callbacks=[stop], verbose=0)
    assert stop.seen == 3
    np.testing.assert_allclose(got, m.evaluate(x[:6], y[:6], batch_size=2, verbose=0),
                               rtol=1e-6)
    stop = Stop("stop_predicting")
    if data == "arrays":
        out = m.predict(x, batch_size=2, callbacks=[stop], verbose=0)
    else:
        out = m.predict(feed(False), callbacks=[stop], verbose=0)
    assert stop.seen == 3 and out.shape == (6, 2)
    np.testing.assert_allclose(out, m.predict(x[:6], verbose=0), rtol=1e-6)
    assert m.stop_predicting            # as the callback left it; the next call resets it
    assert m.predict(x, batch_size=2, verbose=0).shape == (20, 2)
