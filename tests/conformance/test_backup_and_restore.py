"""Keras 3's `keras/src/callbacks/backup_and_restore_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`). Imports are
adapted (`keras.src.callbacks` -> `fastnn.callbacks`, `keras.src.layers` ->
`fastnn.layers`); `testing.TestCase` assertions become plain pytest ones; Keras'
`get_temp_dir()` is pytest's `tmp_path`.

Deliberate differences, documented in `fastnn.callbacks.BackupAndRestore`:
- fastnn keeps one backup file, `training_state.fastnn` (and `.bkp` with
  `double_checkpoint`), where Keras keeps `latest.weights.h5` and
  `training_metadata.json` (and their `.bkp` copies); the corruption test damages that
  file. The file also holds the optimizer's learning rate and fastnn's random generator,
  which makes resuming exact (tests/test_backup_restore.py checks the bits).
- The error messages differ: fastnn's name the argument and the value given
  (`backup_dir`, `save_freq`); the tests match those names.
"""
import os

import numpy as np
import pytest

from fastnn import callbacks, layers
from fastnn.models import Sequential

SOURCE = "keras/src/callbacks/backup_and_restore_test.py"


class InterruptingCallback(callbacks.Callback):
    """A callback to intentionally interrupt training."""

    def __init__(self, steps_int, epoch_int):
        super().__init__()
        self.batch_count = 0
        self.epoch_count = 0
        self.steps_int = steps_int
        self.epoch_int = epoch_int

    def on_epoch_end(self, epoch, log=None):
        self.epoch_count += 1
        if self.epoch_int is not None and self.epoch_count == self.epoch_int:
            raise RuntimeError("EpochInterruption")

    def on_batch_end(self, batch, logs=None):
        self.batch_count += 1
        if self.steps_int is not None and self.batch_count == self.steps_int:
            raise RuntimeError("StepsInterruption")


class CanaryLayer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.counter = self.add_weight(shape=(), initializer="zeros", dtype="float32",
                                       trainable=False)

    def call(self, x):
        self.counter.assign_add(1)
        return x


def make_model():
    model = Sequential([layers.Input((3,)), CanaryLayer(), layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd", metrics=["mse"])
    return model


# Keras: backup_and_restore_test.py::test_save_freq_unknown_error
def test_save_freq_unknown_error():
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(backup_dir="backup_dir", save_freq="batch")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(backup_dir="backup_dir", save_freq=0.15)


# Keras: backup_and_restore_test.py::test_best_case_step
def test_best_case_step(tmp_path):
    backup_dir = os.path.join(tmp_path, "subdir")
    assert not os.path.exists(backup_dir)
    model = make_model()
    cbk = callbacks.BackupAndRestore(backup_dir, save_freq=1)
    x_train = np.random.random((10, 3))
    y_train = np.random.random((10, 1))
    with pytest.raises(RuntimeError):    # Keras: try/except around the rest
        model.fit(x_train, y_train, batch_size=4,
                  callbacks=[cbk, InterruptingCallback(steps_int=2, epoch_int=None)],
                  epochs=2, verbose=0)
    assert os.path.exists(backup_dir)
    assert cbk._current_epoch == 0
    assert cbk._last_batch_seen == 1
    assert int(model.layers[0].counter.value) == 2

    hist = model.fit(x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5)
    assert cbk._current_epoch == 5
    assert hist.epoch[-1] == 4
    assert int(model.layers[0].counter.value) == 17


# Keras: backup_and_restore_test.py::test_best_case_epoch
def test_best_case_epoch(tmp_path):
    backup_dir = os.path.join(tmp_path, "subdir")
    assert not os.path.exists(backup_dir)
    model = make_model()
    assert int(model.layers[0].counter.value) == 0
    cbk = callbacks.BackupAndRestore(backup_dir=backup_dir, save_freq="epoch")
    x_train = np.random.random((10, 3))
    y_train = np.random.random((10, 1))
    with pytest.raises(RuntimeError):
        model.fit(x_train, y_train, batch_size=4,
                  callbacks=[cbk, InterruptingCallback(steps_int=None, epoch_int=2)],
                  epochs=6, verbose=0)
    assert cbk._current_epoch == 2
    assert os.path.exists(backup_dir)
    assert int(model.layers[0].counter.value) == 6

    hist = model.fit(x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5)
    assert cbk._current_epoch == 5
    assert hist.epoch[-1] == 4
    assert int(model.layers[0].counter.value) == 5 * 3


# Keras: backup_and_restore_test.py::test_backup_corrupted
def test_backup_corrupted(tmp_path):
    backup_dir = os.path.join(tmp_path, "subdir")
    assert not os.path.exists(backup_dir)
    model = make_model()
    assert int(model.layers[0].counter.value) == 0
    cbk = callbacks.BackupAndRestore(backup_dir=backup_dir, save_freq="epoch",
                                     double_checkpoint=True)
    x_train = np.random.random((10, 3))
    y_train = np.random.random((10, 1))
    with pytest.raises(RuntimeError):
        model.fit(x_train, y_train, batch_size=4,
                  callbacks=[cbk, InterruptingCallback(steps_int=None, epoch_int=2)],
                  epochs=6, verbose=0)
    assert cbk._current_epoch == 2
    assert os.path.exists(backup_dir)
    assert os.path.exists(cbk._path)            # Keras: _weights_path, _training_metadata_path
    assert os.path.exists(cbk._prev_path)       # Keras: _prev_weights_path, _prev_..._path
    assert int(model.layers[0].counter.value) == 6

    # Corruption weights
    with open(cbk._path, "w") as f:
        f.write("0")

    hist = model.fit(x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5)
    assert cbk._current_epoch == 5
    assert hist.epoch[-1] == 4
    assert int(model.layers[0].counter.value) == 5 * 3


# Keras: backup_and_restore_test.py::test_model_deleted_case_epoch
def test_model_deleted_case_epoch(tmp_path):
    backup_dir = os.path.join(tmp_path, "subdir")
    assert not os.path.exists(backup_dir)
    model = make_model()
    cbk = callbacks.BackupAndRestore(backup_dir, save_freq="epoch")
    x_train = np.random.random((10, 3))
    y_train = np.random.random((10, 1))
    model.fit(x_train, y_train, batch_size=4, callbacks=[cbk], epochs=2, verbose=0)
    assert not os.path.exists(backup_dir)


# Keras: backup_and_restore_test.py::test_backup_dir_empty_error
def test_backup_dir_empty_error():
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore(backup_dir="", save_freq="epoch")


# Keras: backup_and_restore_test.py::test_backup_dir_none_error
def test_backup_dir_none_error():
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore(backup_dir=None, save_freq="epoch")
