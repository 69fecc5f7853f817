"""The Trainer: what every model (Sequential, functional, subclassed) inherits for
training and inference, as Keras 3's trainers do: compile, fit, evaluate, predict,
train_on_batch / test_on_batch / predict_on_batch, the metrics and the logs.

Where the model lowers onto the C engine (fastnn.engine decides, in one place), a whole
epoch, or many, is one C call; elsewhere the steps run layer by layer with the same
numbers. Threads: training calls on one model take turns (a per-model lock); inference
calls may run at once, each on its own workspace.
"""
import functools
import math
import threading
import warnings

import numpy as np

from fastnn import engine
from fastnn import losses as losses_mod
from fastnn import metrics as metrics_mod
from fastnn import optimizers as optimizers_mod
from fastnn import _argcheck
from fastnn import _interrupt
from fastnn import _kernels
from fastnn import utils
from fastnn.trainers import compile_utils
from fastnn.callbacks.base import Callback, CallbackList, History
from fastnn.autodiff import GradientTape
from fastnn.layers.layer import Layer

_SPARSE = "sparse_categorical_crossentropy"
_BINARY = "binary_crossentropy"
_CATEGORICAL = "categorical_crossentropy"


def _numeric_array(value, what, argname):
    """value (anything numpy.asarray takes) -> an array of real numbers, or a clear
    error naming the argument."""
    if value is None:
        raise ValueError(f"{what}: {argname} is required, got None")
    if isinstance(value, dict) or (not hasattr(value, "__array__") and not hasattr(value, "__len__")
                                   and hasattr(value, "__iter__")):
        # Keras also takes generators, datasets and dicts of named inputs; fastnn's
        # Sequential takes the arrays themselves.
        raise TypeError(f"{what}: {argname} must be an array of samples (a NumPy array or "
                        f"nested lists of numbers), got {type(value).__name__}; generators, "
                        f"datasets and dicts of inputs are not supported: pass the arrays")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{what}: {argname} must be array-like numbers, got "
                        f"{type(value).__name__} ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: {argname} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _all_finite(arr):
    """True when arr has no NaN/Inf: one threaded C pass for the model dtypes, without the
    full-size boolean temporary np.isfinite would allocate (47 MB for 60,000 x 784 rows)."""
    if arr.dtype.kind in "biu" or arr.size == 0:
        return True
    if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous:
        return _kernels.all_finite(arr.reshape(-1))
    # min and max propagate NaN and Inf, still without a boolean temporary
    return bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))


def _raise_not_finite(given, converted, what, argname):
    """The ValueError for data with NaN/Inf: those given, or finite values too large for
    the model's float type (they would become Inf)."""
    bad = int(np.size(converted) - np.count_nonzero(np.isfinite(converted)))
    given_bad = int(np.size(given) - np.count_nonzero(np.isfinite(given)))
    if given_bad == 0:
        big = float(np.max(np.abs(given)))
        raise ValueError(f"{what}: {argname} has {bad} value(s) too large for the model's "
                         f"{converted.dtype} (largest {np.finfo(converted.dtype).max:.4g}), "
                         f"up to {big:.4g}; scale the data or use a float64 model")
    raise ValueError(f"{what}: {argname} must be finite, got {given_bad} NaN/Inf value(s)")


class _Sums:
    """Running sums of a loop over batches: samples, loss * samples, and each metric's
    (total, count), kept by the loop itself (the metric objects are shared by every
    call on the model; they are set from these when logs are made)."""

    __slots__ = ("loss", "count", "metrics")

    def __init__(self, n_metrics):
        self.loss, self.count = 0.0, 0
        self.metrics = [[0.0, 0.0] for _ in range(n_metrics)]

    def add(self, n, loss_sum, metric_sums):
        self.loss += loss_sum
        self.count += n
        for acc, (t, c) in zip(self.metrics, metric_sums):
            acc[0] += t
            acc[1] += c

    def logs(self, model):
        return model._logs(self.loss, self.count, self.metrics)


def _holding_train_lock(method):
    """Training methods run one at a time on a model (see Sequential's thread notes)."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._train_lock:
            return method(self, *args, **kwargs)
    return locked


def _check_int(value, name, lo, owner, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{owner}: {name} must be an int >= {lo}, got {value!r}")
    return int(value)


def _batch_size_of(x):
    """The number of samples in a batch (its first input's first axis)."""
    for leaf in compile_utils.flat_outputs(x):
        shape = np.shape(leaf)
        if shape:
            return int(shape[0])
    return 1


def _names_of(y_pred):
    """Output names for a model's outputs seen at its first call: a dict's keys, else
    output_1, output_2, ... (Keras' names)."""
    if isinstance(y_pred, dict):
        return sorted(y_pred)
    n = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    return ["output"] if n == 1 else [f"output_{i + 1}" for i in range(n)]


def _by_output(y, names, what):
    """Targets given for several outputs (a list in output order, or a dict by output
    name) as a list in output order (None for an output without targets)."""
    if isinstance(y, dict):
        unknown = sorted(set(y) - set(names))
        if unknown:
            raise ValueError(f"{what} names outputs {unknown}; the model's outputs are {names}")
        return [y.get(name) for name in names]
    if isinstance(y, (list, tuple)):
        if len(y) != len(names):
            raise ValueError(f"{what} must hold one array per output ({len(names)}: {names}), "
                             f"got {len(y)}")
        return list(y)
    raise ValueError(f"{what} must be a list or a dict of arrays, one per output {names}, "
                     f"got {type(y).__name__}")


class Trainer:
    """compile / fit / evaluate / predict and the rest of Keras' training API, for any
    model. A model provides its layers in order (_chain) where it is a chain; the
    trainer provides the loops."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._metric_ids = []
        self._metrics = None
        self._out_losses = None       # one (loss, weight) per output, once known
        self._out_names = None
        self._metric_ids = []
        self._on_batch_sums = None    # the running sums of train/test_on_batch since a reset
        self.stop_training = False
        self.history = None
        self._engine = engine.EngineState()
        # Threads: training calls (fit, train_on_batch, model(x, training=True)) run one
        # at a time; the short updates of shared state (metrics, running sums) are locked.
        self._train_lock = threading.RLock()
        self._state_lock = threading.RLock()

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Set optimizer (default RMSprop, as Keras), loss and metrics. A loss is a name,
        a Loss, or a function fn(y_true, y_pred); for several outputs, one loss for all,
        a list, or a dict by output name, weighted by loss_weights. Metrics are names,
        Metric objects or functions (a list for every output, or a list of lists or a
        dict per output). Everything is resolved here where it can be, so a bad name
        fails at compile time, listing the known ones."""
        opt = optimizers_mod.get(optimizer)
        if loss is None:
            raise ValueError(f"compile: loss is required (one of {losses_mod.known_names()}, a "
                             f"Loss object or a function of (y_true, y_pred)), got None")
        structured = isinstance(loss, (list, tuple, dict))
        for item in (loss.values() if isinstance(loss, dict) else loss) if structured else [loss]:
            if item is not None:
                compile_utils.get_loss(item)
        if metrics is None:
            metric_ids = []
        elif isinstance(metrics, (list, tuple, dict)):
            metric_ids = metrics
        elif isinstance(metrics, (str, metrics_mod.Metric)) or callable(metrics):
            metric_ids = [metrics]
        else:
            raise TypeError(f"compile: metrics must be a list of metric names, objects or "
                            f"functions, got {metrics!r}")
        for m in compile_utils.flat_outputs(metric_ids):
            if isinstance(m, (list, tuple)):
                for mm in m:
                    compile_utils.check_metric(mm)
            elif m is not None:
                compile_utils.check_metric(m)
        if weighted_metrics:
            raise ValueError(f"compile: weighted_metrics is not supported by fastnn, got "
                             f"{weighted_metrics!r}")
        self.optimizer = opt
        self._loss_identifier = loss
        self._loss_weights = loss_weights
        self.loss = None if structured else compile_utils.get_loss(loss)
        self._out_losses = None
        self._metric_ids = metric_ids
        self._metrics = None
        self._on_batch_sums = None
        self.compiled = True
        names = compile_utils.output_names(self)
        if names is not None:
            self._resolve_losses(names)

    def _resolve_losses(self, names):
        """One (loss or None, weight) per output, from compile's arguments."""
        losses = compile_utils.per_output(self._loss_identifier, names, "loss")
        weights = [1.0] * len(names) if self._loss_weights is None else \
            compile_utils.per_output(self._loss_weights, names, "loss_weights")
        out = []
        for loss, w in zip(losses, weights):
            w = 1.0 if w is None else _argcheck.real(w, "loss_weights", "compile")
            out.append((None if loss is None else compile_utils.get_loss(loss), w))
        if all(loss is None for loss, _ in out):
            raise ValueError("compile: every output's loss is None; give at least one")
        self._out_losses = out
        self._out_names = list(names)
        if len(out) == 1:
            self.loss = out[0][0]
        return out

    def get_compile_config(self):
        """What saving needs to recompile: optimizer, loss and metrics, serialised."""
        if not self.compiled:
            return None
        if self.loss is None or not isinstance(self._metric_ids, list):
            raise ValueError(f"{self.name}: only a model compiled with one loss and a list "
                             f"of metrics can be saved with its compile settings")
        return {
            "optimizer": optimizers_mod.serialize(self.optimizer),
            "loss": losses_mod.serialize(self.loss),
            "metrics": [metrics_mod.serialize(m) for m in self._metric_ids],
        }

    compile_config = property(get_compile_config)

    def compile_from_config(self, config):
        self.compile(optimizer=optimizers_mod.get(config["optimizer"]),
                     loss=losses_mod.get(config["loss"]),
                     metrics=[m if isinstance(m, str) else metrics_mod.get(m)
                              for m in config.get("metrics") or []])

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._metrics is not None:
            names += [m.name for m in self._metrics]
        else:
            names += [m if isinstance(m, str) else getattr(m, "name", str(m)) for m in self._metric_ids]
        return names

    # ------------------------------------------------------------------ validation
    def _require_compiled(self, what):
        self._require_layers(what)
        if not self.compiled:
            raise ValueError(f"{what}: the model must be compiled first; call "
                             f"model.compile(optimizer=..., loss=...) before {what}()")

    def _require_layers(self, what):
        if not self._chain_or_layers():
            raise ValueError(f"{what}: the model has no layers; add some with model.add(...) first")

    def _convert_x(self, x, what, argname="x"):
        """x -> C-contiguous array of the model dtype (a new array when a cast is needed,
        never a mutated caller array), checked against the built input shape."""
        arr = _numeric_array(x, what, argname)
        if arr.ndim == 0:
            raise ValueError(f"{what}: {argname} must be an array of samples, got a scalar")
        given = arr.shape
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)  # Keras 2 expanded 1-D inputs to one feature
        if arr.shape[0] == 0 or arr.size == 0:
            raise ValueError(f"{what}: {argname} must not be empty, got shape {arr.shape}")
        if self.built:
            exp = self._expected_input_shape()
            if arr.ndim != len(exp) or any(e is not None and e != s for e, s in zip(exp[1:], arr.shape[1:])):
                raise ValueError(f"{what}: {argname} expected shape {('N',) + tuple(exp[1:])} "
                                 f"(the model's input), got {given}")
        given_arr = arr
        arr = np.ascontiguousarray(arr, dtype=self.dtype)
        if not _all_finite(arr):
            _raise_not_finite(given_arr, arr, what, argname)
        return arr

    def _convert_y(self, y, n, out_shape, what, argname="y"):
        """y -> array checked against the loss and the output shape: sparse labels
        integer in [0, units) as (N,); binary labels in [0, 1]; others shaped like the
        output. Converted to the model dtype."""
        arr = _numeric_array(y, what, argname)
        if arr.ndim == 0 or arr.shape[0] == 0:
            raise ValueError(f"{what}: {argname} must not be empty, got shape {arr.shape}")
        if arr.shape[0] != n:
            raise ValueError(f"{what}: x and {argname} must have the same number of samples, got "
                             f"x with {n} and {argname} with {arr.shape[0]}")
        if not _all_finite(arr):
            _raise_not_finite(arr, arr, what, argname)
        if arr.dtype.kind == "f" and np.dtype(self.dtype).itemsize < arr.dtype.itemsize \
                and not _all_finite(arr.astype(self.dtype)):
            _raise_not_finite(arr, arr.astype(self.dtype), what, argname)
        units = out_shape[-1]
        op = getattr(self.loss, "_op", None)
        if op == _SPARSE and len(out_shape) > 2:
            raise ValueError(f"{what}: {type(self.loss).__name__} needs a model output of shape "
                             f"(N, classes), got {tuple(out_shape)}; add a Flatten or use one-hot "
                             f"labels with CategoricalCrossentropy")
        if op == _SPARSE:
            if not (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)):
                raise ValueError(f"{what}: {argname} for {type(self.loss).__name__} must be integer "
                                 f"class labels of shape ({n},) or ({n}, 1), got {arr.shape}")
            lab = arr.reshape(-1)
            if arr.dtype.kind == "f" and np.any(lab != np.floor(lab)):
                raise ValueError(f"{what}: {argname} for {type(self.loss).__name__} must hold integer "
                                 f"class labels, got non-integer values such as "
                                 f"{float(lab[lab != np.floor(lab)][0])!r}")
            lo, hi = lab.min(), lab.max()
            if lo < 0 or hi >= units:
                raise ValueError(f"{what}: {argname} labels must be in [0, {units}) for a model with "
                                 f"{units} output units, got values in [{lo}, {hi}]")
            return np.ascontiguousarray(lab, dtype=self.dtype)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.shape[1:] != tuple(out_shape[1:]):
            hint = ""
            if op == _CATEGORICAL and arr.shape[1:] == (1,):
                hint = " (integer labels need SparseCategoricalCrossentropy)"
            raise ValueError(f"{what}: {argname} expected shape {('N',) + tuple(out_shape[1:])} "
                             f"(the model's output) for {type(self.loss).__name__}, got "
                             f"{arr.shape}{hint}")
        if op == _BINARY:
            lo, hi = arr.min(), arr.max()
            if lo < 0 or hi > 1:
                raise ValueError(f"{what}: {argname} for {type(self.loss).__name__} must be 0/1 labels "
                                 f"(or probabilities in [0, 1]), got values in [{lo}, {hi}]")
        return np.ascontiguousarray(arr, dtype=self.dtype)

    def _convert_sw(self, sample_weight, n, what, argname="sample_weight"):
        if sample_weight is None:
            return None
        sw = np.asarray(sample_weight)
        if sw.dtype.kind not in "biuf":
            raise TypeError(f"{what}: {argname} must hold real numbers, got dtype {sw.dtype}")
        if sw.shape not in ((n,), (n, 1)):
            raise ValueError(f"{what}: {argname} must have shape ({n},), got {sw.shape}")
        sw = np.ascontiguousarray(sw.reshape(-1), dtype=self.dtype)
        if not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError(f"{what}: {argname} must be finite and >= 0")
        return sw

    def _with_class_weights(self, class_weight, y, sw, what):
        """Sample weights times the class weights of y's labels (either may be None)."""
        if class_weight is None:
            return sw
        cw = self._class_weights(class_weight, y, what)
        return cw if sw is None else (sw * cw).astype(self.dtype)

    def _class_weights(self, class_weight, y, what):
        """class_weight {class: weight} -> per-sample weights (Keras: labels are the
        sparse label, the argmax of one-hot rows, or the rounded binary label)."""
        if not isinstance(class_weight, dict):
            raise TypeError(f"{what}: class_weight must be a dict {{class index: weight}}, got "
                            f"{type(class_weight).__name__}")
        if getattr(self.loss, "_op", None) == _SPARSE:
            cls = y.astype(np.int64)
        elif y.ndim == 2 and y.shape[1] > 1:
            cls = np.argmax(y, axis=1)
        else:
            cls = np.round(y.reshape(-1)).astype(np.int64)
        for k, v in class_weight.items():
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
                raise TypeError(f"{what}: class_weight keys must be class indices (ints), got "
                                f"{k!r}")
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or v < 0:
                raise ValueError(f"{what}: class_weight[{k!r}] must be a finite number >= 0, "
                                 f"got {v!r}")
        present = np.unique(cls)
        missing = [int(c) for c in present if int(c) not in class_weight]
        if missing:
            raise ValueError(f"{what}: class_weight must give a weight for every class in y; "
                             f"missing {missing}, got keys {sorted(class_weight)}")
        table = np.zeros(int(present.max()) + 1, dtype=np.float64)
        for c in present:
            table[int(c)] = float(class_weight[int(c)])
        return table[cls].astype(self.dtype)

    # ------------------------------------------------------------------ the step
    def _trains_on_logits(self):
        """True when the last layer's activation is softmax (sigmoid) and the loss the
        matching cross-entropy on probabilities: train on the logits instead, as Keras
        does, so the loss is log-sum-exp stable and its gradient is p - y."""
        if not self._chain() or not compile_utils.is_builtin(self.loss) or self.loss.from_logits:
            return False
        last = self._chain()[-1]
        act = getattr(last, "activation_name", None)
        op = self.loss._op
        return (act == "softmax" and op in (_SPARSE, _CATEGORICAL)) or (act == "sigmoid" and op == _BINARY)

    def _forward(self, x, training):
        """The model's outputs for a batch (recorded under a tape): a chain layer by
        layer, any other model through its call()."""
        chain = self._chain()
        if chain is None:
            return Layer.__call__(self, x, training=training)
        out = x
        for layer in chain:
            out = layer.call(out, training=training)
        return out

    def _data_loss(self, y, y_pred, sw):
        """The compiled loss of a batch (Keras' sum_over_batch_size; for several outputs
        the loss_weights-weighted sum), as a scalar that a GradientTape follows."""
        return self._data_losses(y, y_pred, sw)[0]

    def _data_losses(self, y, y_pred, sw):
        """(the compiled loss, each output's loss or None)."""
        if self._out_losses is None and (isinstance(y_pred, (list, tuple, dict))
                                         or self.loss is None):
            self._resolve_losses(_names_of(y_pred))
        if self._out_losses is None or len(self._out_losses) == 1:
            loss = self.loss if self._out_losses is None else self._out_losses[0][0]
            p = y_pred[0] if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1 else y_pred
            value = compile_utils.loss_value(loss, y, p, sw)
            return value, [value]
        ys = _by_output(y, self._out_names, "y")
        ps = compile_utils.flat_outputs(y_pred)
        total, each = None, []
        for (loss, weight), yi, pi in zip(self._out_losses, ys, ps):
            if loss is None or yi is None:
                each.append(None)
                continue
            value = compile_utils.loss_value(loss, yi, pi, sw)
            each.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, each

    def _total_loss(self, y, y_pred, sw):
        """(the data loss plus every regularization and add_loss term (model.losses),
        each output's loss)."""
        total, each = self._data_losses(y, y_pred, sw)
        for term in self.losses:
            total = total + term
        return total, each

    def _train_step(self, xb, yb, swb):
        """One optimizer step on a batch by the layers and a GradientTape (the path of
        models that do not lower onto the engine). Returns (n, loss * n, [(total,
        count) per metric])."""
        variables = self.trainable_weights if self.trainable else []
        with GradientTape(watch_accessed_variables=False) as tape:
            for v in variables:
                tape.watch(v)
            out = self._forward(xb, training=True)
            total, each = self._total_loss(yb, out, swb)
        if variables:
            grads = tape.gradient(total, variables)
            self._apply(grads, variables)
        return self._step_sums(xb, yb, out, total, each)

    def _step_sums(self, x, y, y_pred, total, each):
        """A batch's (samples, loss * samples, (total, count) per metric)."""
        n = _batch_size_of(x)
        if self._metrics is None:
            self._ensure_metrics_for(y, y_pred)
        if len(self._metrics) == 0:
            return n, float(total) * n, []
        single = self._out_losses is None or len(self._out_losses) == 1
        ys = [y] if single else _by_output(y, self._out_names, "y")
        ps = [y_pred[0] if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1 else y_pred] \
            if single else compile_utils.flat_outputs(y_pred)
        sums = []
        for m in self._metrics:
            if hasattr(m, "_fastnn_loss_of"):
                v = each[m._fastnn_loss_of]
                sums.append((0.0, 0.0) if v is None else (float(v) * n, float(n)))
            else:
                i = getattr(m, "_fastnn_output", 0)
                sums.append(m.batch_sums(ys[i], ps[i]))
        return n, float(total) * n, sums

    def _apply(self, grads, variables):
        """The optimizer's step on the variables with a gradient (as Keras, the others
        are left as they are, with a warning naming them)."""
        missing = [i for i, g in enumerate(grads) if g is None]
        if missing:
            names = self._weight_labels()
            ids = {id(w): n for w, n in zip(self.weights, names)}
            warnings.warn(f"{self.name}: gradients do not exist for variables "
                          f"{[ids.get(id(variables[i]), '?') for i in missing]} when "
                          f"minimizing the loss; they are not updated", stacklevel=3)
            keep = [i for i in range(len(grads)) if grads[i] is not None]
            grads = [grads[i] for i in keep]
            variables = [variables[i] for i in keep]
        if variables:
            self.optimizer.apply([np.asarray(g) for g in grads], variables)

    def _test_step(self, xb, yb, swb):
        out = self._forward(xb, training=False)
        total, each = self._total_loss(yb, out, swb)
        return self._step_sums(xb, yb, out, total, each)

    def _ensure_metrics(self, y, out_shape):
        """The compiled metric objects of a one-output model, for labels like y and
        outputs of out_shape ('accuracy' is resolved from them)."""
        with self._state_lock:
            if self._metrics is None:
                op = getattr(self.loss, "_op", None)
                yshape = y.shape if op != _SPARSE else (y.shape[0],)
                ids = self._metric_ids
                if isinstance(ids, dict):
                    ids = list(ids.values())[0] if len(ids) == 1 else ids
                    ids = ids if isinstance(ids, (list, tuple)) else [ids]
                elif len(ids) == 1 and isinstance(ids[0], (list, tuple)):
                    ids = ids[0]
                self._metrics = [compile_utils.get_metric(m, yshape, tuple(out_shape))
                                 for m in ids]

    def _ensure_metrics_for(self, y, y_pred):
        """The compiled metric objects for targets y and outputs y_pred (structures for
        several outputs: each output's metrics named after it, and its loss tracked as
        '<output>_loss', as Keras 3 logs them)."""
        with self._state_lock:
            if self._metrics is not None:
                return
            if self._out_losses is None or len(self._out_losses) == 1:
                p = y_pred[0] if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1 \
                    else y_pred
                self._ensure_metrics(np.asarray(y), np.shape(p))
                return
            names = self._out_names
            ys = _by_output(y, names, "y")
            ps = compile_utils.flat_outputs(y_pred)
            per = compile_utils.per_output(self._metric_ids, names, "metrics") \
                if self._metric_ids else [[] for _ in names]
            metrics = []
            for i, name in enumerate(names):
                if self._out_losses[i][0] is not None:
                    tracker = metrics_mod.Mean(name=f"{name}_loss")
                    tracker._fastnn_loss_of = i
                    metrics.append(tracker)
            for i, (name, ids) in enumerate(zip(names, per)):
                if ids is None or ys[i] is None:
                    continue
                ids = ids if isinstance(ids, (list, tuple)) else [ids]
                op = getattr(self._out_losses[i][0], "_op", None)
                yshape = np.shape(ys[i]) if op != _SPARSE else (np.shape(ys[i])[0],)
                for ident in ids:
                    m = compile_utils.get_metric(ident, yshape, np.shape(ps[i]))
                    m.name = f"{name}_{m.name}"
                    m._fastnn_output = i
                    metrics.append(m)
            self._metrics = metrics

    def _logs(self, loss_total, count, msums=None, prefix=""):
        """The logs of these sums. With msums, one (total, count) per metric, the metrics
        are first set to them (as after Keras' loops); under the model's lock, so that
        concurrent calls each report their own."""
        logs = {f"{prefix}loss": loss_total / count if count else 0.0}
        with self._state_lock:
            if msums is not None:
                for m, (t, c) in zip(self._metrics, msums):
                    m.total, m.count = t, c
            for m in self._metrics:
                logs[prefix + m.name] = float(m.result())
        return dict(sorted(logs.items()))  # Keras 3 logs come out in sorted key order

    def _fit_epoch(self, x, y, sw, batch_size, shuffle, callbacks, want_batch_logs):
        """One epoch of batches over (x, y, sw); returns the epoch's training logs."""
        n = x.shape[0]
        plan = self._engine.fit_plan
        if plan is not None:
            return plan.fit_epoch(x, y, sw, batch_size, shuffle, callbacks, self._engine.user_batch_hooks)
        # Batches are gathered from a permutation, never by copying the whole data set.
        perm = utils.epoch_orders(1, n)[0] if shuffle else None
        sums = _Sums(len(self._metrics))
        steps = math.ceil(n / batch_size)
        want_begin = callbacks.wants("on_train_batch_begin")
        for b in range(steps):
            if want_begin:
                callbacks.on_train_batch_begin(b)
            s = slice(b * batch_size, min(n, (b + 1) * batch_size))
            if perm is not None:
                s = perm[s]
            # a Ctrl-C lands after the step and its sums, never between them
            with _interrupt.Section():
                sums.add(*self._train_step(x[s], y[s], None if sw is None else sw[s]))
            if want_batch_logs:
                callbacks.on_train_batch_end(b, sums.logs(self))
            if self.stop_training:
                break
        return sums.logs(self)

    def _evaluate_arrays(self, x, y, sw, batch_size, callbacks=None):
        hooks = callbacks is not None and (callbacks.wants("on_test_batch_begin")
                                           or callbacks.wants("on_test_batch_end"))
        plan = None if hooks else engine.plan_for(self, x)
        if plan is not None:
            return plan.evaluate(x, y, sw, batch_size)
        n = x.shape[0]
        sums = _Sums(len(self._metrics))
        steps = math.ceil(n / batch_size)
        want_begin = callbacks is not None and callbacks.wants("on_test_batch_begin")
        want_end = callbacks is not None and callbacks.wants("on_test_batch_end")
        for b in range(steps):
            s = slice(b * batch_size, min(n, (b + 1) * batch_size))
            if want_begin:
                callbacks.on_test_batch_begin(b)
            sums.add(*self._test_step(x[s], y[s], None if sw is None else sw[s]))
            if want_end:
                callbacks.on_test_batch_end(b, sums.logs(self))
        return sums.logs(self)

    # ------------------------------------------------------------------ fit
    @staticmethod
    def _verbose(verbose, what):
        if verbose == "auto":
            return 1
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise ValueError(f"{what}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        return int(verbose)

    def _prepare_xy(self, x, y, sample_weight, what, xname="x", yname="y", swname="sample_weight"):
        xa = self._convert_x(x, what, xname)
        in_shape = self._expected_input_shape() if self.built else (None,) + xa.shape[1:]
        out_shape = self._output_shape_for(in_shape)
        ya = self._convert_y(y, xa.shape[0], out_shape, what, yname)
        swa = self._convert_sw(sample_weight, xa.shape[0], what, swname)
        return xa, ya, swa, out_shape

    @_holding_train_lock
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for `epochs` epochs (counting from initial_epoch); returns a History."""
        what = "fit"
        self._require_compiled(what)
        batch_size = _check_int(32 if batch_size is None else batch_size, "batch_size", 1, what)
        epochs = _check_int(epochs, "epochs", 0, what)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", 0, what)
        verbose = self._verbose(verbose, what)
        if steps_per_epoch is not None:
            raise ValueError(f"{what}: steps_per_epoch is not supported for array inputs, got "
                             f"{steps_per_epoch!r}")
        vbs = _check_int(validation_batch_size, "validation_batch_size", 1, what, allow_none=True)
        vfreq = _check_int(validation_freq, "validation_freq", 1, what)
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"{what}: validation_split must be a float in [0, 1), got {validation_split!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"{what}: shuffle must be True or False, got {shuffle!r}")
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"{what}: callbacks must be fastnn Callback objects, got {cb!r}")

        xa, ya, swa, out_shape = self._prepare_xy(x, y, sample_weight, what)
        swa = self._with_class_weights(class_weight, ya, swa, what)

        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError(f"{what}: validation_data must be a tuple (x_val, y_val) or "
                                 f"(x_val, y_val, sample_weight_val), got {type(validation_data).__name__}")
            vx = self._convert_x(validation_data[0], what, "validation_data[0]")
            if vx.shape[1:] != xa.shape[1:]:
                raise ValueError(f"{what}: validation_data[0] expected shape {('N',) + xa.shape[1:]}, "
                                 f"got {vx.shape}")
            vy = self._convert_y(validation_data[1], vx.shape[0], out_shape, what, "validation_data[1]")
            vsw = self._convert_sw(validation_data[2] if len(validation_data) == 3 else None,
                                   vx.shape[0], what, "validation_data[2]")
            val = (vx, vy, vsw)
        elif validation_split:
            # Keras: the last samples, taken before shuffling.
            n = xa.shape[0]
            split_at = int(math.ceil(n * (1.0 - validation_split)))
            if split_at == 0 or split_at == n:
                raise ValueError(f"{what}: validation_split={validation_split} leaves "
                                 f"{split_at} training and {n - split_at} validation samples out of "
                                 f"{n}; both must be >= 1")
            val = (xa[split_at:], ya[split_at:], None if swa is None else swa[split_at:])
            xa, ya = xa[:split_at], ya[:split_at]
            swa = None if swa is None else swa[:split_at]

        # All checks passed: from here on the model may change.
        if not self.built:
            self.build((None,) + xa.shape[1:])
        self._ensure_metrics(ya, out_shape)
        self._on_batch_sums = None
        steps = math.ceil(xa.shape[0] / batch_size)
        cbl = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=steps, batch_size=batch_size,
                           samples=xa.shape[0], mode="fit")
        history = cbl.history
        history.history = {}
        self.history = history
        want_batch_logs = cbl.wants("on_train_batch_end")
        # Dense stacks train in the C engine, many steps per call (csrc/train.c).
        self._engine.fit_plan = engine.plan_for(self, xa, training=True)
        self._engine.user_batch_hooks = engine.user_batch_hooks(cbl)
        self.stop_training = False
        cbl.on_train_begin()
        logs = {}

        def validates(epoch):   # Keras' validation_freq, counted from initial_epoch
            return (epoch + 1 - initial_epoch) % vfreq == 0

        if self._engine.fit_plan is not None and all(type(cb) is History for cb in cbl) and \
                (val is None or engine.plan_for(self, val[0]) is self._engine.fit_plan):
            # Nothing to run between epochs but History's record (and the validation, in
            # the same C call): many epochs per C call.
            logs = self._engine.fit_plan.fit_epochs(
                xa, ya, swa, batch_size, bool(shuffle), range(initial_epoch, epochs), cbl,
                val=val, val_batch_size=vbs or batch_size, val_epoch=validates)
            cbl.on_train_end(logs)
            return history
        for epoch in range(initial_epoch, epochs):
            cbl.on_epoch_begin(epoch)
            logs = self._fit_epoch(xa, ya, swa, batch_size, bool(shuffle), cbl, want_batch_logs)
            if val is not None and validates(epoch):
                # Validation calls the callbacks' test hooks, as Keras' fit does.
                cbl.on_test_begin()
                vlogs = self._evaluate_arrays(val[0], val[1], val[2], vbs or batch_size, cbl)
                cbl.on_test_end(vlogs)
                logs = engine.with_val_logs(logs, vlogs)
            cbl.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbl.on_train_end(logs)
        return history

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (and metrics) on (x, y): a float, a list [loss, *metrics], or a dict."""
        what = "evaluate"
        self._require_compiled(what)
        batch_size = _check_int(32 if batch_size is None else batch_size, "batch_size", 1, what)
        verbose = self._verbose(verbose, what)
        xa, ya, swa, out_shape = self._prepare_xy(x, y, sample_weight, what)
        if not self.built:
            self.build((None,) + xa.shape[1:])  # Keras builds from the first data, here too
        self._ensure_metrics(ya, out_shape)
        self._on_batch_sums = None
        steps_n = math.ceil(xa.shape[0] / batch_size)
        cbl = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=steps_n, mode="evaluate")
        cbl.on_test_begin()
        logs = self._evaluate_arrays(xa, ya, swa, batch_size, cbl)
        cbl.on_test_end(logs)
        return self._results(logs, return_dict)

    def _results(self, logs, return_dict):
        """Keras' return value: the logs dict, or loss then metrics in compile order (a
        float when there are no metrics)."""
        if return_dict:
            return logs
        ordered = [logs["loss"]] + [logs[m.name] for m in self._metrics]
        return ordered[0] if len(ordered) == 1 else ordered

    # ------------------------------------------------------------------ one batch
    def reset_metrics(self):
        """Start the running loss and metrics of train_on_batch / test_on_batch afresh
        (fit and evaluate start theirs afresh too)."""
        self._on_batch_sums = None

    def _on_batch(self, what, training, x, y, sample_weight, class_weight, return_dict):
        self._require_compiled(what)
        xa, ya, swa, out_shape = self._prepare_xy(x, y, sample_weight, what)
        swa = self._with_class_weights(class_weight, ya, swa, what)
        if not self.built:
            self.build((None,) + xa.shape[1:])
        self._ensure_metrics(ya, out_shape)
        # One C call on a Dense stack, the layer path otherwise (the same numbers).
        plan = engine.plan_for(self, xa, training=training)
        if plan is not None:
            step = plan.train_batch if training else plan.test_batch
        elif training:
            def step(xb, yb, swb):
                with _interrupt.Section():    # a Ctrl-C never splits a step
                    return self._train_step(xb, yb, swb)
        else:
            step = self._test_step
        batch_sums = step(xa, ya, swa)
        with self._state_lock:     # the running sums, one batch at a time
            if self._on_batch_sums is None:
                self._on_batch_sums = _Sums(len(self._metrics))
            sums = self._on_batch_sums
            sums.add(*batch_sums)
            return self._results(sums.logs(self), return_dict)

    @_holding_train_lock
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on the batch (x, y). Returns, as Keras 3 does, the mean loss
        (and metrics) over every batch since the last fit, evaluate or reset_metrics()."""
        return self._on_batch("train_on_batch", True, x, y, sample_weight, class_weight,
                              return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of the batch (x, y) in inference mode, accumulated as
        train_on_batch's are."""
        return self._on_batch("test_on_batch", False, x, y, sample_weight, None, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for x, batch by batch, as one NumPy array of the model dtype."""
        what = "predict"
        batch_size = _check_int(32 if batch_size is None else batch_size, "batch_size", 1, what)
        verbose = self._verbose(verbose, what)
        self._require_layers(what)
        if not self.built:
            raise ValueError(f"{what}: the model was never built, so it has no weights; give it an "
                             f"Input(shape) or train it with fit() first")
        xa = self._convert_x(x, what)
        n = xa.shape[0]
        steps_n = math.ceil(n / batch_size)
        cbl = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=steps_n, mode="predict")
        cbl.on_predict_begin()
        plan = None
        if not (cbl.wants("on_predict_batch_begin") and callbacks):
            plan = engine.plan_for(self, xa)
        if plan is not None:
            # One C call over every batch; the progress bar is told once at the end.
            out = plan.predict(xa, batch_size)
            cbl.on_predict_batch_end(steps_n - 1, {"outputs": out})
            cbl.on_predict_end()
            return out
        out = None
        for b in range(steps_n):
            s = slice(b * batch_size, min(n, (b + 1) * batch_size))
            cbl.on_predict_batch_begin(b)
            ob = self._call_arrays(xa[s], training=False)
            if out is None:
                out = np.empty((n,) + ob.shape[1:], dtype=ob.dtype)
            out[s] = ob
            cbl.on_predict_batch_end(b, {"outputs": ob})
        cbl.on_predict_end()
        return out

    def _call_arrays(self, x, training=False):
        plan = None if training else engine.plan_for(self, x)
        if plan is not None:
            return plan.predict(x, min(x.shape[0], 1024))
        return self._forward(x, training)

    def _outputs(self, x, training, what):
        self._require_layers(what)
        xa = self._convert_x(x, what)
        if not training:
            if not self.built:
                with self._train_lock:
                    if not self.built:
                        self.build((None,) + xa.shape[1:])
            return self._call_arrays(xa)
        with self._train_lock:    # moves BatchNormalization's statistics, draws dropout
            if not self.built:
                self.build((None,) + xa.shape[1:])
            return self._call_arrays(xa, training=True)

    def predict_on_batch(self, x):
        """The outputs for one batch as a NumPy array, as Keras gives them."""
        return self._outputs(x, False, "predict_on_batch")
