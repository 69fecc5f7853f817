"""Callback machinery (keras.callbacks): Callback, CallbackList, History, ProgbarLogger."""
import math
import sys
import time
import numpy as np


class Callback:
    """keras.callbacks.Callback: the base class of the callbacks. Subclass it and define the
    hooks you need; ``fit``, ``evaluate`` and ``predict`` call them, with ``self.model``
    and ``self.params`` set. The hooks, as in Keras 3, each with a ``logs`` dict (the
    current loss and metric values; may be empty):

    - ``on_train_begin(logs)``, ``on_train_end(logs)``;
    - ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)`` (``epoch`` from 0);
    - ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``
      (``batch``: the index within the epoch; a callback with batch hooks makes ``fit``
      run a step per call);
    - ``on_test_begin``/``on_test_end(logs)``,
      ``on_test_batch_begin``/``on_test_batch_end(batch, logs)`` (``evaluate`` and
      validation);
    - ``on_predict_begin``/``on_predict_end(logs)``,
      ``on_predict_batch_begin``/``on_predict_batch_end(batch, logs)``.

    Setting ``self.model.stop_training = True`` ends ``fit`` after the current epoch.
    """

    # a callback that listens to hooks it does not define names them with a method of
    # this name (_overrides); None: the hooks it defines
    _wants_hook = None

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Attach the model the callback acts on (``self.model``); ``fit``, ``evaluate`` and
        ``predict`` call this.

        Parameters
        ----------
        model : Model
            The model.
        """
        self.model = model

    def set_params(self, params):
        """Set the run's parameters (``self.params``: ``verbose``, ``epochs``, ``steps``);
        ``fit`` calls this.

        Parameters
        ----------
        params : dict
            The parameters.
        """
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    # Keras: the train-batch hooks call the Keras 2 names on_batch_begin/on_batch_end,
    # so a callback overriding either name is called.
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass


_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin",
          "on_test_batch_end", "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
          "on_predict_batch_end")


def _overrides(cb, hook):
    # Whether a callback listens to a hook: batch hooks (and their logs) are skipped
    # when nobody listens, so fit pays nothing per batch for the default callbacks.
    wants = getattr(cb, "_wants_hook", None)
    if wants is not None:
        return wants(hook)
    own = getattr(cb, "__dict__", None) or {}   # a hook assigned to the instance counts too
    cls = type(cb)
    if hook in own or getattr(cls, hook, None) is not getattr(Callback, hook):
        return True
    for h in _ALIASES.get(hook, ()):
        if h in own or getattr(cls, h, None) is not getattr(Callback, h):
            return True
    return False


_ALIASES = {"on_train_batch_begin": ("on_batch_begin",), "on_train_batch_end": ("on_batch_end",)}


class CallbackList:
    """Calls every hook on each callback in order.

    Parameters
    ----------
    callbacks : list of Callback, optional
        The callbacks, called in this order.
    add_history : bool
        Whether to add a History callback if none is in the list. Default False.
    add_progbar : bool
        Whether to add a ProgbarLogger if none is in the list. Default False.
    model : Model, optional
        The model the callbacks are attached to (``callback.model``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected fastnn Callback objects, got {cb!r}")
        self.history = None
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history:
            hist = next((c for c in self.callbacks if isinstance(c, History)), None)
            if hist is None:
                hist = History()
                self.callbacks.append(hist)
            self.history = hist
        self.params = params
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def append(self, cb):
        self.callbacks.append(cb)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def wants(self, hook):
        return any(_overrides(cb, hook) for cb in self.callbacks)

    def __iter__(self):
        return iter(self.callbacks)


def _hook_caller(hook):
    """CallbackList's method for `hook`: the hook called on each callback in order, with
    a dict of logs ({} where there are none), as Keras 3's CallbackList calls them. Made
    once per hook for the class (fit makes a CallbackList at every call)."""
    n_before_logs = 0 if hook.endswith(("train_begin", "train_end", "test_begin", "test_end",
                                        "predict_begin", "predict_end")) else 1

    def call(self, *args, logs=None, **kwargs):
        if not self.callbacks:
            return
        # the logs may come positionally, after the epoch or batch number
        if args and logs is None and len(args) > n_before_logs and isinstance(args[-1], dict):
            args, logs = args[:-1], args[-1]
        logs = {} if logs is None else logs
        # As Keras' CallbackList: the batch hooks get logs=, the others the logs
        # positionally (a callback may name that parameter as it likes)
        if batch_hook:
            for cb in self.callbacks:
                getattr(cb, hook)(*args, logs=logs, **kwargs)
        else:
            for cb in self.callbacks:
                getattr(cb, hook)(*args, logs, **kwargs)
    batch_hook = "batch" in hook
    call.__name__ = call.__qualname__ = hook
    call.__doc__ = f"Call {hook} on each callback in order."
    return call


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _hook_caller(_hook))
del _hook


class History(Callback):
    """Records the epoch logs: .history maps each name to a per-epoch list, .epoch the epochs."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


def _fmt_value(v):
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def _fmt_step_time(t, unit="step"):
    if t >= 1 or t == 0:
        return f"{t:.0f}s/{unit}"
    if t >= 1e-3:
        return f"{t * 1e3:.0f}ms/{unit}"
    return f"{t * 1e6:.0f}us/{unit}"


def _fmt_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


class Progbar:
    """Keras 3's progress bar (utils/progbar.py): `45/45 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step
    - loss: 0.1234`. verbose=1 redraws with \\r on a terminal (at most every `interval`
    seconds) and writes the line once, at the end, elsewhere; verbose=2 writes one line
    `45/45 - 0s - 2ms/step - loss: ...` at the end. Values are the logs as given (fit
    passes running means, so nothing is averaged again here)."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream if stream is not None else sys.stdout
        self.dynamic = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.perf_counter()
        self._after_first = None
        self._last_update = 0.0
        self._prev_width = 0

    def _step_time(self, current, now):
        if not current:
            return 0.0
        if self._after_first is not None and current > 1:
            t = (now - self._after_first) / (current - 1)
        else:
            t = (now - self._start) / current
        if current == 1 and self._after_first is None:
            self._after_first = now
        return t

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = current >= self.target
        now = time.perf_counter()
        t_step = self._step_time(current, now)
        # an array value (a metric with one value per class) shows its mean, as in Keras
        metrics = "".join(f" - {k}: {_fmt_value(float(np.mean(v)))}"
                          for k, v in (values or {}).items())
        if self.verbose == 1:
            if not finalize and (not self.dynamic or now - self._last_update < self.interval):
                return
            self._last_update = now
            nd = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            done = int(self.width * current / self.target) if self.target > 0 else self.width
            count = f"%{nd}d/%d" % (current, self.target)
            if self.dynamic:
                bar = (f"\x1b[1m{count}\x1b[0m \x1b[32m{'━' * done}\x1b[0m"
                       f"\x1b[37m{'━' * (self.width - done)}\x1b[0m")
                visible = len(count) + 1 + self.width
            else:
                bar = f"{count} {'━' * self.width}"
                visible = len(bar)
            when = f"{now - self._start:.0f}s" if finalize else _fmt_eta(t_step * (self.target - current))
            info = f" {when} {_fmt_step_time(t_step, self.unit_name)}{metrics}"
            visible += len(info)
            line = bar + info
            if self.dynamic:
                pad = " " * max(0, self._prev_width - visible)
                self.stream.write("\r" + line + pad + ("\n" if finalize else ""))
            else:
                self.stream.write(line + "\n")
            self._prev_width = visible
            self.stream.flush()
        elif self.verbose == 2 and finalize:
            nd = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            count = f"%{nd}d/%d" % (current, self.target)
            self.stream.write(f"{count} - {now - self._start:.0f}s - "
                              f"{_fmt_step_time(t_step, self.unit_name)}{metrics}\n")
            self.stream.flush()


class ProgbarLogger(Callback):
    """Prints `Epoch i/N` (when N > 1) and the progress bar of each epoch."""

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.steps = None
        self.progbar = None

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.steps = params.get("steps")

    def _wants_hook(self, hook):
        # Batch logs are only drawn on a terminal (a log file gets one line per epoch).
        if hook in ("on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"):
            return self.verbose == 1 and bool(getattr(sys.stdout, "isatty", lambda: False)())
        return getattr(type(self), hook, None) is not getattr(Callback, hook)

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            sys.stdout.write(f"Epoch {epoch + 1}/{self.epochs}\n")
            sys.stdout.flush()
        self.progbar = Progbar(self.steps, verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        # Only a terminal redraws mid-epoch; elsewhere the line is written at epoch end.
        if self.verbose == 1 and self.progbar is not None and self.progbar.dynamic:
            self.progbar.update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose and self.progbar is not None:
            self.progbar.update(self.steps, logs, finalize=True)
        self.progbar = None

    # evaluate()/predict() with their own bar.
    def on_test_begin(self, logs=None):
        if self.params.get("mode") in ("evaluate", "predict") and self.verbose:
            self.progbar = Progbar(self.steps, verbose=self.verbose)

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "evaluate" and self.verbose == 1 and self.progbar is not None \
                and self.progbar.dynamic:
            self.progbar.update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "evaluate" and self.verbose and self.progbar is not None:
            self.progbar.update(self.steps, logs, finalize=True)
            self.progbar = None

    def on_predict_begin(self, logs=None):
        if self.verbose:
            self.progbar = Progbar(self.steps, verbose=self.verbose)

    def on_predict_batch_end(self, batch, logs=None):
        if self.verbose == 1 and self.progbar is not None and self.progbar.dynamic:
            self.progbar.update(batch + 1, None, finalize=False)

    def on_predict_end(self, logs=None):
        if self.verbose and self.progbar is not None:
            self.progbar.update(self.steps, None, finalize=True)
            self.progbar = None
