"""The built-in callbacks, with Keras 3 semantics (keras/src/callbacks/*.py).

EarlyStopping, ModelCheckpoint, BackupAndRestore, LearningRateScheduler,
ReduceLROnPlateau, TerminateOnNaN, SwapEMAWeights, CSVLogger and LambdaCallback. They
talk to the model only through what Keras callbacks use: ``model.stop_training``,
``model.get_weights()/set_weights()``, ``model.optimizer.learning_rate`` (and, for
SwapEMAWeights, the optimizer's moving averages of the weights),
``model.save()/save_weights()`` and the ``logs`` dicts that ``fit`` passes to the hooks.

Differences from Keras, on purpose:
- ModelCheckpoint accepts any file name (Keras insists on ``.keras`` / ``.weights.h5``):
  those two endings give Keras' formats, any other fastnn's own, see ``fastnn.saving``.
- ``mode='auto'`` takes the direction from ``loss`` or from the ``_direction`` of the
  model's metric object of that name, as Keras does, and otherwise from the metric's
  name (error/crossentropy names go down, accuracy/AUC/precision/recall names go up);
  it raises ValueError when it cannot tell (Keras raises for every name it does not find
  among the model's metrics).
- BackupAndRestore keeps one file, ``training_state.fastnn`` in ``backup_dir`` (Keras keeps
  ``latest.weights.h5`` and ``training_metadata.json``), which also holds the optimizer's
  learning rate and fastnn's random generator, so that a run resumed from an epoch's
  backup continues exactly as the uninterrupted run would have. At the end of fit it
  removes its own files and ``backup_dir`` only when that leaves it empty (Keras removes
  the whole folder).
- LambdaCallback refuses a keyword that starts with ``on_`` and names no hook (a typo
  such as ``on_epoch_ned``); Keras stores it as an attribute that is never called.
- ReduceLROnPlateau reads Keras 2's ``epsilon`` as ``min_delta`` (with a warning) and
  refuses other unknown keywords; Keras 3 accepts any keyword and ignores it.
"""
import collections
import csv
import math
import os
import sys
import warnings

import numpy as np

from fastnn import _argcheck
from fastnn.callbacks.base import Callback

__all__ = [
    "MonitorCallback", "EarlyStopping", "ModelCheckpoint", "BackupAndRestore", "LearningRateScheduler", "ReduceLROnPlateau",
    "TerminateOnNaN", "CSVLogger", "LambdaCallback",
]

_MODES = ("auto", "min", "max")
# Metric names whose better direction is up (Keras' metric `_direction == "up"`).
_UP_NAMES = ("accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score",
             "r2_score", "cosine_similarity", "iou", "io_u", "correlation")
_DOWN_NAMES = ("loss", "mse", "mae", "mape", "msle", "crossentropy", "error", "hinge",
               "divergence", "kld", "poisson", "logcosh", "huber")


def _print(msg):
    # Keras' io_utils.print_msg: a plain line on stdout.
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def _check_mode(owner, mode):
    if not isinstance(mode, str):
        raise TypeError(f"{owner}: mode must be one of 'auto', 'min', 'max', got "
                        f"{type(mode).__name__} {_argcheck.shown(mode)}")
    if mode not in _MODES:
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def _infer_direction(owner, monitor, model):
    """'min' or 'max' for ``monitor`` in auto mode, as Keras' MonitorCallback decides it."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    found = []
    for m in getattr(model, "metrics", None) or []:
        inner = getattr(m, "metrics", None)     # the compiled metrics' container, as Keras
        found.extend(inner if isinstance(inner, list) else [m])
    for m in found:
        direction = getattr(m, "_direction", None) or getattr(m, "direction", None)
        if getattr(m, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    lowered = name.lower()
    if lowered.endswith(_UP_NAMES) or lowered in _UP_NAMES:
        return "max"
    if lowered.endswith(_DOWN_NAMES) or any(d in lowered for d in ("crossentropy", "error")):
        return "min"
    raise ValueError(
        f"{owner} callback received monitor={monitor!r}, but fastnn isn't able to "
        "automatically determine whether that metric should be maximized or minimized. "
        "Pass mode='max' in order to monitor based on the highest metric value, or pass "
        "mode='min' in order to use the lowest value.")


def _as_scalar(value):
    """A float for a scalar log value (Python number, NumPy scalar or 0-d array), else None."""
    if isinstance(value, (bool, str)) or value is None:
        return None
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "fiu":
        return None
    return float(arr)


class MonitorCallback(Callback):
    """The base of the callbacks that watch a logged value (Keras'
    ``keras.src.callbacks.MonitorCallback``): EarlyStopping, ModelCheckpoint and
    ReduceLROnPlateau.

    ``_set_monitor_op()`` (called at the first epoch end, once the model's metrics are
    known) sets ``monitor_op`` to ``np.less`` or ``np.greater`` from ``mode``, and makes
    ``min_delta`` negative when lower is better; ``_is_improvement(value, reference)``
    is ``monitor_op(value - min_delta, reference)``, and True when ``reference`` is None
    (nothing seen yet).

    Parameters
    ----------
    monitor : str
        The log entry to watch. Default ``'val_loss'``.
    mode : str
        ``'min'``, ``'max'`` or ``'auto'`` (the default: from the monitored name).
    baseline : float, optional
        The first value of ``best``. Default None.
    min_delta : float
        The least change that counts as an improvement (its sign is ignored). Default 0.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        self.monitor = _argcheck.string(monitor, "monitor", owner)
        self.mode = _check_mode(owner, mode)
        self.best = _argcheck.real(baseline, "baseline", owner, allow_none=True)
        self.min_delta = abs(_argcheck.real(min_delta, "min_delta", owner))
        self.monitor_op = None

    def _set_monitor_op(self):
        mode = self.mode
        if mode == "auto":
            mode = _infer_direction(type(self).__name__, self.monitor, self.model)
        self.monitor_op = np.less if mode == "min" else np.greater
        # Keras: min_delta *= -1 when lower is better (set once)
        self.min_delta = -abs(self.min_delta) if mode == "min" else abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving (Keras 3 semantics).

    At the end of every epoch (from ``start_from_epoch`` on) the monitored value counts as an
    improvement when it beats the best one by more than ``min_delta``; after ``patience``
    epochs without one, ``model.stop_training`` is set. With ``baseline``, the wait counter
    only resets on values that also beat the baseline. ``restore_best_weights`` puts back
    the weights of the best epoch when training ends (even when it did not stop early).

    Parameters
    ----------
    monitor : str
        The log entry to watch, e.g. ``'val_loss'`` (the default) or ``'accuracy'``.
    min_delta : float
        The least change that counts as an improvement. Default 0.
    patience : int
        The number of epochs without an improvement after which training stops. Default
        0.
    verbose : int
        1 prints a message when the callback acts; 0 (the default) is silent.
    mode : str
        ``'min'`` (improving means decreasing), ``'max'`` (increasing) or ``'auto'``
        (the default: from the monitored name).
    baseline : float, optional
        A value the monitored quantity must beat; until it does, the wait counter does
        not reset. Default None.
    restore_best_weights : bool
        Whether to put back the weights of the best epoch when training ends. Default
        False: the last epoch's weights stay.
    start_from_epoch : int
        The number of warm-up epochs before improvements are looked for. Default 0.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = type(self).__name__
        self.patience = _argcheck.integer(patience, "patience", owner, lo=0)
        self.verbose = _argcheck.verbose(verbose, owner)
        self.baseline = _argcheck.real(baseline, "baseline", owner, allow_none=True)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = _argcheck.boolean(restore_best_weights,
                                                      "restore_best_weights", owner)
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = _argcheck.integer(start_from_epoch, "start_from_epoch", owner, lo=0)

    def on_train_begin(self, logs=None):
        # Allow instances to be re-used across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs.keys())}", stacklevel=2)
            return None
        return value


def _save_due(cb, batch):
    """Whether an integer save_freq of batches has passed at this batch's end (Keras'
    count, which a new epoch's batch numbers restarting from 0 does not lose); keeps
    its count on cb (_last_batch_seen, _batches_seen_since_last_saving)."""
    if batch <= cb._last_batch_seen:  # a new epoch started (batches are 0-based)
        add = batch + 1
    else:
        add = batch - cb._last_batch_seen
    cb._batches_seen_since_last_saving += add
    cb._last_batch_seen = batch
    if cb._batches_seen_since_last_saving >= cb.save_freq:
        cb._batches_seen_since_last_saving = 0
        return True
    return False


class ModelCheckpoint(MonitorCallback):
    """Save the model (or only its weights) every epoch or every ``save_freq`` batches.

    ``filepath`` may hold ``str.format`` fields filled with ``epoch`` (1-based), ``batch``
    (1-based, with an integer save_freq) and the keys of ``logs``, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.2f}.fastnn"``. With ``save_best_only`` a file is written
    only when ``monitor`` improved (beyond ``initial_value_threshold`` when given). Any file
    name works; whole models go through ``model.save``, weights through
    ``model.save_weights`` (both the fastnn format, see fastnn.saving). Missing parent
    folders are created.

    Parameters
    ----------
    filepath : str or path
        Where to save, possibly with ``str.format`` fields (see above).
    monitor : str
        The log entry to watch, e.g. ``'val_loss'`` (the default) or ``'accuracy'``.
    verbose : int
        1 prints a message when the callback acts; 0 (the default) is silent.
    save_best_only : bool
        Whether to save only when the monitored value improved. Default False.
    save_weights_only : bool
        Whether to save only the weights (``model.save_weights``) instead of the whole
        model. Default False.
    mode : str
        ``'min'`` (improving means decreasing), ``'max'`` (increasing) or ``'auto'``
        (the default: from the monitored name).
    save_freq : str or int
        ``'epoch'`` (the default): at the end of every epoch; an int N: every N
        training batches.
    initial_value_threshold : float, optional
        With ``save_best_only``, the value the first save must beat. Default None.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        owner = type(self).__name__
        try:
            filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(f"ModelCheckpoint: filepath must be a str or a path, got "
                            f"{type(filepath).__name__} {_argcheck.shown(filepath)}") from None
        if not isinstance(filepath, str):
            raise TypeError(f"ModelCheckpoint: filepath must be a str or a path, got bytes "
                            f"{_argcheck.shown(filepath)}")
        if not filepath:
            raise ValueError("ModelCheckpoint: filepath must name a file, got ''")
        super().__init__(monitor, mode, _argcheck.real(
            initial_value_threshold, "initial_value_threshold", owner, allow_none=True))
        self.filepath = filepath
        self.verbose = _argcheck.verbose(verbose, owner)
        self.save_best_only = _argcheck.boolean(save_best_only, "save_best_only", owner)
        self.save_weights_only = _argcheck.boolean(save_weights_only, "save_weights_only", owner)
        if not (isinstance(save_freq, str) and save_freq == "epoch") and (
                isinstance(save_freq, (bool, np.bool_)) or
                not isinstance(save_freq, (int, np.integer)) or save_freq < 1):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive int, got "
                f"{_argcheck.shown(save_freq)}")
        self.save_freq = save_freq if isinstance(save_freq, str) else int(save_freq)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # as Keras: set up once the model's metrics are built, saving best only or not
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        return self.save_freq != "epoch" and _save_due(self, batch)

    def _get_file_path(self, epoch, batch, logs):
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except (KeyError, IndexError) as e:
            raise KeyError(
                f'ModelCheckpoint: failed to format the filepath "{self.filepath}": {e!r} is '
                f"not among epoch, batch and the logs keys {sorted(logs)}") from None

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs or {}
        raw = logs.get(self.monitor)
        if raw is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        current = _as_scalar(raw)
        if current is None:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {raw}. "
                "Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                       f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "ModelCheckpoint: please specify a non-directory filepath; the filepath "
                f"used is an existing directory: {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            if hasattr(self.model, "save_weights"):
                self.model.save_weights(filepath)
            else:  # a model class without the method: the same file, written directly
                from fastnn import saving
                saving.save_weights(self.model, filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


class BackupAndRestore(Callback):
    """Back up the training state in ``backup_dir`` at the end of every epoch (or every
    ``save_freq`` batches), and restore it when ``fit`` starts again, so a run killed or
    interrupted (Ctrl-C, a crash, a preempted machine) continues where its last backup
    left it: run the same script again, with this callback, and ``fit`` resumes from the
    epoch after the backup.

    The backup (``backup_dir/training_state.fastnn``) holds the weights, the optimizer's
    step count, slots and learning rate, and the state of fastnn's random generator (each
    epoch's shuffling and the layers' dropout draw from it). Restored from an epoch's
    backup, the remaining epochs give the same weights, bit for bit, as a run that was
    never interrupted (given the same data and script). A backup made within an epoch
    (integer ``save_freq``) restores the weights and optimizer of that batch, and, as in
    Keras, that epoch then runs again from its first batch.

    ``double_checkpoint=True`` keeps the previous backup too (``.bkp``) and falls back to it
    when the latest cannot be read. ``delete_checkpoint=True`` removes ``backup_dir`` when
    fit completes (not when it is interrupted), and the folder too if nothing else is in it. The model must be built and compiled as
    it was when the backup was made: a backup that does not fit raises ValueError.

    Parameters
    ----------
    backup_dir : str or path
        The folder the backup is kept in; use one folder per training run.
    save_freq : str or int
        ``'epoch'`` (the default): at the end of every epoch; an int N: every N
        training batches.
    double_checkpoint : bool
        Whether to keep the previous backup too, as a fallback. Default False.
    delete_checkpoint : bool
        Whether to remove the backup when ``fit`` completes. Default True.
    """

    FILENAME = "training_state.fastnn"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        owner = "BackupAndRestore"
        if backup_dir is None or (isinstance(backup_dir, str) and not backup_dir):
            raise ValueError(f"{owner}: backup_dir must name a directory, got {backup_dir!r}")
        try:
            backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise TypeError(f"{owner}: backup_dir must be a str or a path, got "
                            f"{type(backup_dir).__name__} {_argcheck.shown(backup_dir)}") from None
        if not isinstance(backup_dir, str):
            raise TypeError(f"{owner}: backup_dir must be a str or a path, got bytes "
                            f"{_argcheck.shown(backup_dir)}")
        if not backup_dir:
            raise ValueError(f"{owner}: backup_dir must name a directory, got ''")
        if not (isinstance(save_freq, str) and save_freq == "epoch") and (
                isinstance(save_freq, (bool, np.bool_)) or
                not isinstance(save_freq, (int, np.integer)) or save_freq < 1):
            raise ValueError(f"{owner}: save_freq must be 'epoch' or a positive int (a number "
                             f"of batches), got {_argcheck.shown(save_freq)}")
        self.backup_dir = backup_dir
        self.save_freq = save_freq if isinstance(save_freq, str) else int(save_freq)
        self.double_checkpoint = _argcheck.boolean(double_checkpoint, "double_checkpoint", owner)
        self.delete_checkpoint = _argcheck.boolean(delete_checkpoint, "delete_checkpoint", owner)
        self._path = os.path.join(backup_dir, self.FILENAME)
        self._prev_path = self._path + ".bkp"
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0

    def on_train_begin(self, logs=None):
        from fastnn import saving
        if not os.path.exists(self._path) and not (self.double_checkpoint
                                                   and os.path.exists(self._prev_path)):
            return
        try:
            epoch, _ = saving.load_training_state(self.model, self._path)
        except (OSError, ValueError):
            # The latest backup is unreadable (or missing): the one before it, if kept.
            if not (self.double_checkpoint and os.path.exists(self._prev_path)):
                raise
            epoch, _ = saving.load_training_state(self.model, self._prev_path)
        self._current_epoch = epoch
        self.model._initial_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch" and _save_due(self, batch):
            self._save(self._current_epoch, batch + 1)

    def _save(self, epoch, batch):
        from fastnn import saving
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._prev_path)
        saving.save_training_state(self.model, self._path, epoch, batch)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        # Only the backups, and the folder if that leaves it empty (Keras removes the
        # whole folder, with whatever else it holds).
        for path in (self._path, self._prev_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch to ``schedule(epoch, lr)``.

    ``epoch`` is 0-based and ``lr`` the optimizer's current rate as a float; a schedule that
    takes only ``epoch`` also works (Keras' old API). The result must be a float (a Python
    float, ``np.float32`` or ``np.float64``; an int is refused, as in Keras). The rate in
    use is logged as ``logs["learning_rate"]`` at the end of the epoch.

    Parameters
    ----------
    schedule : callable
        A function ``schedule(epoch, lr)`` (or ``schedule(epoch)``) that returns the
        learning rate, a float, for the epoch.
    verbose : int
        1 prints a message when the callback acts; 0 (the default) is silent.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got "
                            f"{_argcheck.shown(schedule)}")
        self.schedule = schedule
        self.verbose = _argcheck.verbose(verbose, "LearningRateScheduler")

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError('LearningRateScheduler: the optimizer must have a "learning_rate" attribute.')
        try:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # one-argument schedules, as Keras still supports
            lr = self.schedule(epoch)
        # Keras' rule: a Python float, np.float32 or np.float64 (not an int)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"LearningRateScheduler: the output of the `schedule` function "
                             f"should be a float (float, np.float32 or np.float64), got "
                             f"{type(lr).__name__} {_argcheck.shown(lr)} at epoch {epoch}")
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: schedule returned an invalid learning rate "
                             f"(a finite number >= 0 is expected) at epoch {epoch}: "
                             f"{_argcheck.shown(lr)}")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without an improvement larger than ``min_delta`` the rate
    becomes ``max(lr * factor, min_lr)``, then ``cooldown`` epochs pass before counting
    again. ``mode='auto'`` decides the direction as EarlyStopping does. Logs the rate as
    ``logs["learning_rate"]``.

    Parameters
    ----------
    monitor : str
        The log entry to watch, e.g. ``'val_loss'`` (the default) or ``'accuracy'``.
    factor : float
        The factor the rate is multiplied by, below 1. Default 0.1.
    patience : int
        The number of epochs without an improvement before the rate is reduced. Default
        10.
    verbose : int
        1 prints a message when the callback acts; 0 (the default) is silent.
    mode : str
        ``'min'`` (improving means decreasing), ``'max'`` (increasing) or ``'auto'``
        (the default: from the monitored name).
    min_delta : float
        The least change that counts as an improvement. Default 0.0001.
    cooldown : int
        The number of epochs to wait after a reduction before counting again. Default
        0.
    min_lr : float
        The lowest rate. Default 0.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        owner = type(self).__name__
        if "epsilon" in kwargs:   # Keras 2's name of min_delta
            warnings.warn("ReduceLROnPlateau: `epsilon` is deprecated, use `min_delta` instead.",
                          stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        factor = _argcheck.real(factor, "factor", owner, lo=0)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        super().__init__(monitor, mode, min_delta=min_delta)
        self.factor = factor
        self.min_lr = _argcheck.real(min_lr, "min_lr", owner, lo=0)
        self.patience = _argcheck.integer(patience, "patience", owner, lo=0)
        self.verbose = _argcheck.verbose(verbose, owner)
        self.cooldown = _argcheck.integer(cooldown, "cooldown", owner, lo=0)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Keras: set up at the first epoch end, once the model's metrics are built
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs.keys())}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite.

    By default it sets ``model.stop_training`` (the other callbacks still get
    ``on_train_end``); with ``raise_error=True`` it raises RuntimeError at once.

    Parameters
    ----------
    raise_error : bool
        Whether to raise RuntimeError instead of stopping training. Default False.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = _argcheck.boolean(raise_error, "raise_error", "TerminateOnNaN")

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = _as_scalar(loss)
        if value is not None and not math.isfinite(value):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately.")
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True

    # Keras' older hook name routes here too.
    on_batch_end = on_train_batch_end


class SwapEMAWeights(Callback):
    """Evaluate with the optimizer's moving averages of the weights (keras.callbacks.
    SwapEMAWeights): before evaluation (fit's validation, evaluate, predict) the model's
    trainable weights and their moving averages kept by the optimizer swap places, in
    place, and swap back after it. The model's optimizer must have ``use_ema=True``.

    Parameters
    ----------
    swap_on_epoch : bool, default False
        Also swap at the end of each epoch and back at the start of the next, so that
        callbacks after this one (ModelCheckpoint) see the averaged weights. After the
        last epoch the averages are set to the weights, since fit then gives the
        weights their averages (``finalize_variable_values``).

    Notes
    -----
    Keras' on_predict_end does not swap back (it tests the flag the wrong way round),
    leaving the averages in the model after predict; here predict swaps back as
    evaluate does.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = _argcheck.boolean(swap_on_epoch, "swap_on_epoch",
                                               "SwapEMAWeights")
        self._ema_weights_in_model = False

    def _pairs(self):
        opt = getattr(self.model, "optimizer", None)
        if opt is None or not getattr(opt, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(opt, 'use_ema', None)} "
                             f"({type(opt).__name__})")
        return opt._moving_averages()

    def _swap(self):
        for var, average in self._pairs():
            weights = np.array(var, copy=True)
            var[...] = average
            average[...] = weights

    def on_train_begin(self, logs=None):
        self._pairs()            # refused before any step (Keras: at the first swap)
        self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                # fit's finalize_variable_values sets the weights to the averages next
                for var, average in self._pairs():
                    average[...] = var

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end

class CSVLogger(Callback):
    """Stream each epoch's ``logs`` to a CSV file: an ``epoch`` column, then the keys sorted.

    ``append=True`` continues an existing file (writing the header only when it is empty).
    The columns are fixed by the first epoch's logs; when those have no ``val_`` key, a
    ``val_<key>`` column is added for every key (as Keras 3.15 does, so that epochs
    validated later with ``validation_freq > 1`` fit), and a value missing from an
    epoch's logs is written as ``NA``. 1-D values are written as ``"[a, b]"``. The file
    is flushed after every row.

    Parameters
    ----------
    filename : str or path
        The CSV file to write.
    separator : str
        The column separator. Default ``','``.
    append : bool
        Whether to continue an existing file instead of overwriting it. Default False.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(f"CSVLogger: separator must be a one-character str, got "
                            f"{type(separator).__name__} {_argcheck.shown(separator)}")
        self.sep = separator
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise TypeError(f"CSVLogger: filename must be a str or a path, got "
                            f"{type(filename).__name__} {_argcheck.shown(filename)}") from None
        if not self.filename:
            raise ValueError("CSVLogger: filename must name a file, got ''")
        self.append = _argcheck.boolean(append, "append", "CSVLogger")
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(v):
            # Keras': a 0-d array is written as it is (str()), other iterables as "[a, b]"
            if isinstance(v, str):
                return v
            if isinstance(v, collections.abc.Iterable) and not (
                    isinstance(v, np.ndarray) and v.ndim == 0):
                return f'"[{", ".join(map(str, v))}]"'
            return v

        if self.keys is None:
            self.keys = sorted(logs.keys())
            # Keras 3.15: without any val_ key in the first epoch's logs, a val_<key>
            # column is added for every key, so that epochs validated later (validation_freq
            # > 1) fit the header; absent values are written as NA.
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback built from plain functions, e.g. ``LambdaCallback(on_epoch_end=f)``.

    ``on_epoch_begin/on_epoch_end(epoch, logs)``, ``on_train_begin/on_train_end(logs)``,
    ``on_train_batch_begin/on_train_batch_end(batch, logs)``; any other hook of Callback may
    be passed by name as a keyword (Keras 2's ``on_batch_begin/on_batch_end`` mean the
    train-batch hooks). Other keywords become attributes of the callback, as in Keras.

    Parameters
    ----------
    on_epoch_begin : callable, optional
        Called as ``f(epoch, logs)`` at the start of every epoch.
    on_epoch_end : callable, optional
        Called as ``f(epoch, logs)`` at the end of every epoch.
    on_train_begin : callable, optional
        Called as ``f(logs)`` when training starts.
    on_train_end : callable, optional
        Called as ``f(logs)`` when training ends.
    on_train_batch_begin : callable, optional
        Called as ``f(batch, logs)`` before every training batch.
    on_train_batch_end : callable, optional
        Called as ``f(batch, logs)`` after every training batch.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        # As Keras, other keywords become attributes of the callback (the hooks among them
        # are called); a name that starts with on_ but is no hook is refused (a typo)
        for name in kwargs:
            if name.startswith("on_") and not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; hooks are the on_* "
                                 "methods of Callback")
        given = dict({k: v for k, v in kwargs.items() if k.startswith("on_")},
                     on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in given.items():
            _argcheck.callable_or_none(fn, name, "LambdaCallback")
        # fit() skips the per-batch hooks of callbacks whose class does not override them,
        # so those two are class methods below that call the given functions.
        self._batch_fns = {
            "begin": on_train_batch_begin or kwargs.pop("on_batch_begin", None),
            "end": on_train_batch_end or kwargs.pop("on_batch_end", None),
        }
        kwargs.pop("on_batch_begin", None)
        kwargs.pop("on_batch_end", None)
        self.__dict__.update(kwargs)
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)

    def on_train_batch_begin(self, batch, logs=None):
        fn = self._batch_fns["begin"]
        if fn is not None:
            fn(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        fn = self._batch_fns["end"]
        if fn is not None:
            fn(batch, logs)
