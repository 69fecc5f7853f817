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

from fastnn import backend
from fastnn import engine
from fastnn import losses as losses_mod
from fastnn import metrics as metrics_mod
from fastnn import optimizers as optimizers_mod
from fastnn import _argcheck
from fastnn import _changes, _interrupt, _threads
from fastnn import _kernels
from fastnn import ops
from fastnn import utils
from fastnn.trainers import compile_utils
from fastnn.callbacks.base import Callback, CallbackList, History
from fastnn.autodiff import GradientTape
from fastnn.autodiff.tape import hooks_held, is_recording
from fastnn.layers import regularization
from fastnn.layers import symbolic as _symbolic
from fastnn.layers.input_spec import assert_input_compatibility
from fastnn.layers.layer import (Layer, _as_output, _call_signature, _call_takes_mask,
                                 get_keras_mask, set_keras_mask)

_SPARSE = "sparse_categorical_crossentropy"
_FEW_LABELS = 64      # up to this many labels, their range is found without NumPy
_BINARY = "binary_crossentropy"
_CATEGORICAL = "categorical_crossentropy"


def _numeric_array(value, what, argname):
    """value (anything numpy.asarray takes) -> an array of real numbers, or a clear
    error naming the argument."""
    if type(value) is np.ndarray:      # the common case: no conversion to try
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{what}: {argname} must hold real numbers, got dtype "
                            f"{value.dtype}")
        return value
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
    except Exception:
        raise TypeError(f"{what}: {argname} must be an array of real numbers with rows of "
                        f"equal length, got a ragged {type(value).__name__}") from None
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
        while len(self.metrics) < len(metric_sums):      # metrics made at the first step
            self.metrics.append([0.0, 0.0])
        for acc, tc in zip(self.metrics, metric_sums):
            if tc is not None:      # None: a metric that keeps its own state
                acc[0] += tc[0]
                acc[1] += tc[1]

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
    if type(value) is int and value >= lo:     # the common case, first (fit's fixed cost)
        return value
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{owner}: {name} must be an int >= {lo}, got {value!r}")
    return int(value)


def _stateful(metric):
    """A Metric subclass that keeps its own state (update_state / result of its own)
    rather than fastnn's (total, count) sums."""
    return type(metric)._values is metrics_mod.Metric._values \
        and type(metric).update_state is not metrics_mod.Metric.update_state \
        and not hasattr(metric, "_fastnn_loss_of")


_log_value = metrics_mod._log_value


def _probabilities(p):
    """A softmax or sigmoid output as a metric takes it: its values without the logits
    it carries for the losses (`_keras_logits`), as the built-in metrics and the C
    engine, which hands metrics the probabilities alone, take it; its mask kept."""
    if getattr(p, "_keras_logits", None) is None:
        return p
    q = p.view(type(p))
    mask = get_keras_mask(p)
    if mask is not None:
        set_keras_mask(q, mask)
    return q


def _float_logs(logs):
    """A step's returned logs as floats by name (nested dicts flattened, as Keras
    flattens a CompileMetrics result); array values stay arrays."""
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, dict):
            out.update(_float_logs(v))
        else:
            out[k] = _log_value(v)
    return out


def _to_numpy(out):
    """A model's outputs as plain NumPy arrays (structures kept)."""
    if isinstance(out, list):
        return [_to_numpy(o) for o in out]
    if isinstance(out, tuple):
        return _symbolic.same_tuple(out, [_to_numpy(o) for o in out])
    if isinstance(out, dict):
        return {k: _to_numpy(v) for k, v in out.items()}
    return np.asarray(out).view(np.ndarray) if isinstance(out, np.ndarray) else np.asarray(out)


def _concat_batches(outs):
    """predict's per-batch outputs joined along the batch axis (structures kept)."""
    first = outs[0]
    if isinstance(first, list):
        return [_concat_batches([o[i] for o in outs]) for i in range(len(first))]
    if isinstance(first, tuple):
        return _symbolic.same_tuple(first, [_concat_batches([o[i] for o in outs])
                                            for i in range(len(first))])
    if isinstance(first, dict):
        return {k: _concat_batches([o[k] for o in outs]) for k in first}
    return np.concatenate(outs, axis=0)


# More epochs than any training runs (and than a Python range's length can hold).
_MAX_EPOCHS = 2 ** 40


def _callback_list(callbacks, what):
    """fit's callbacks argument: None or a list (tuple) of Callback objects."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{what}: callbacks must be a list of Callback objects, got "
                        f"{type(callbacks).__name__}")
    return list(callbacks)


class _JoinedTargets(np.ndarray):
    """The targets of a model of several outputs side by side, a row per sample: each
    output's columns in output order (sparse labels as one column), in the model's float
    dtype. The array path's y for such a model (Trainer._convert_targets), which the
    engine reads as it is (csrc/train.h: fnn_net.outputs) and the layer path takes apart
    by output (Trainer._targets_by_output); rows taken from it stay joined."""


class _JoinedWeights(np.ndarray):
    """The sample weights of a model of several outputs whose targets are joined
    (_JoinedTargets): a row per sample, each output's weight in output order, in the
    model's float dtype (one array given for all outputs repeated in each column; an
    output given none weighs its samples 1). The engine reads it as it is (csrc/train.h:
    fnn_sw_cols) and the layer path takes its columns (Trainer._per_output_weights); rows
    taken from it stay joined."""


def _rows(arr, s):
    """arr[s], or None for no array (the targets of a model compiled without a loss)."""
    return None if arr is None else arr[s]


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


def _metric_ids(metrics, argname):
    """compile's metrics or weighted_metrics as a list or dict, each entry checked (a
    bad name fails at compile time, listing the known ones)."""
    if metrics is None:
        ids = []
    elif isinstance(metrics, (list, tuple, dict)):
        ids = metrics
    elif isinstance(metrics, (str, metrics_mod.Metric)) or callable(metrics):
        ids = [metrics]
    else:
        raise TypeError(f"compile: {argname} must be a list of metric names, objects or "
                        f"functions, got {metrics!r}")
    for m in compile_utils.flat_outputs(ids):
        if isinstance(m, (list, tuple)):
            for mm in m:
                compile_utils.check_metric(mm)
        elif m is not None:
            compile_utils.check_metric(m)
    return ids


def _set_base(metric):
    """Record what a metric holds after its reset_state() (zeros for fastnn's own; a
    subclass may keep its state across epochs, as Keras allows): the loop's sums add
    to it."""
    if not _stateful(metric) and hasattr(metric, "total"):
        base = (float(metric.total), float(metric.count))
        metric._fastnn_base = None if base == (0.0, 0.0) else base


def _only_output(y_pred):
    """A one-output model's output given as [y] or {"name": y}: y."""
    if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1:
        return y_pred[0]
    if isinstance(y_pred, dict) and len(y_pred) == 1:
        return next(iter(y_pred.values()))
    return y_pred


def _one_output_ids(ids):
    """A one-output model's metrics argument as a flat list: a dict or list holding the
    one output's list is that list."""
    if isinstance(ids, dict):
        ids = list(ids.values())[0] if len(ids) == 1 else ids
        return ids if isinstance(ids, (list, tuple)) else [ids]
    if len(ids) == 1 and isinstance(ids[0], (list, tuple)):
        return ids[0]
    return ids


def _weighted(metric, metrics, prefix):
    """A metric of compile's weighted_metrics: it takes the sample weights; named as Keras
    3 names it (CompileMetrics.result): '<prefix><name>', or '<prefix>weighted_<name>'
    when an unweighted metric has that name already."""
    name = f"{prefix}{metric.name}"
    metric._fastnn_order_name = metric.name     # what Keras orders the results by
    if any(m.name == name for m in metrics):
        name = f"{prefix}weighted_{metric.name}"
    metric.name = name
    metric._fastnn_weighted = True
    return metric


def _is_serialized(value):
    """A serialised object: {"class_name": ..., "config": {...}} (not a dict by output)."""
    return isinstance(value, dict) and set(value) == {"class_name", "config"} \
        and isinstance(value["config"], dict)


def _map_leaves(fn, value):
    """fn applied to every entry of a compile argument (None kept), in its structure: a
    single entry, a list (of lists) or a dict by output name."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_map_leaves(fn, v) for v in value]
    if isinstance(value, dict) and not _is_serialized(value):
        return {k: _map_leaves(fn, v) for k, v in value.items()}
    return fn(value)


class NoOptimizerError(AttributeError, ValueError):
    """fit / train_on_batch of a model compiled with optimizer=None: an AttributeError,
    as Keras' (whose fit calls the missing optimizer's apply), and a ValueError, as
    fastnn's other refusals of a model's setup."""


class Trainer:
    """compile / fit / evaluate / predict and the rest of Keras' training API, for any
    model. A model provides its layers in order (_chain) where it is a chain; the
    trainer provides the loops."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._metric_ids = []
        self._weighted_metric_ids = []
        self._steps_per_execution = 1
        self._metrics = None
        self._out_losses = None       # one (loss, weight) per output, once known
        self._loss_identifier = None
        self._loss_tree = False       # a loss over structures of outputs (Keras' walk)
        self._loss_entries = None
        self._loss_weights = None
        self._out_names = None
        self._metric_ids = []
        self._on_batch_sums = None    # the running sums of train/test_on_batch since a reset
        self.stop_training = False
        # a callback's request to end evaluate() / predict() after the current batch
        self.stop_evaluating = False
        self.stop_predicting = False
        self.history = None
        self._engine = engine.EngineState()
        self._loss_tracker = metrics_mod.Mean(name="loss")
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
        fails at compile time, listing the known ones.

        Parameters
        ----------
        optimizer : str, Optimizer or None
            The optimizer, by name (``'adam'``) or as an object. Default
            ``'rmsprop'``. None compiles the model without one, for evaluate and
            predict (fit and train_on_batch then refuse to run, as Keras' fail).
        loss : str, Loss, callable, list or dict
            The loss to minimise: a name, a ``fastnn.losses`` object, or a function
            ``fn(y_true, y_pred)`` giving per-sample values; for several outputs
            one loss for all, a list (one per output) or a dict by output name.
        metrics : list or dict, optional
            Metrics to report: names (``'accuracy'``), Metric objects or functions;
            a list for every output, or a list of lists or a dict by output name.
        loss_weights : list or dict, optional
            Factors of the outputs' losses in the total loss, for several outputs.
        weighted_metrics : list or dict, optional
            Metrics computed with the sample weights (``sample_weight`` or
            ``class_weight`` of ``fit``).
        run_eagerly : bool
            Accepted for Keras compatibility; fastnn always runs eagerly.
        steps_per_execution : int
            The number of batches run per call of the batch callbacks. Default 1.
        jit_compile : bool or 'auto'
            Accepted for Keras compatibility and ignored (fastnn's kernels are
            compiled ahead of time).
        auto_scale_loss : bool
            Accepted for Keras compatibility and ignored (fastnn has no mixed
            precision).
        """
        opt = optimizers_mod.get(optimizer)
        structured = isinstance(loss, (list, tuple, dict))
        # losses over structures of outputs (several for one output, a loss given a
        # sub-structure, outputs nested deeper): kept as given, for Keras' walk
        loss_tree = compile_utils.needs_loss_tree(loss, getattr(self, "_outputs_struct", None))
        if structured and not loss_tree:  # an output's loss as a list of one, as Keras reads it
            def one(item):
                return item[0] if isinstance(item, (list, tuple)) and len(item) == 1 else item
            loss = {k: one(v) for k, v in loss.items()} if isinstance(loss, dict) \
                else [one(v) for v in loss]
        from fastnn.trainers.data_adapters import tree
        for item in tree.flatten(loss) if structured else [loss]:
            if item is not None:
                compile_utils.get_loss(item)
        metric_ids = _metric_ids(metrics, "metrics")
        weighted_ids = _metric_ids(weighted_metrics, "weighted_metrics")
        if loss_weights is not None:
            _map_leaves(lambda w: _argcheck.real(w, "loss_weights", "compile"),
                        loss_weights)
        self._weighted_metric_ids = weighted_ids
        self._steps_per_execution = _check_int(steps_per_execution, "steps_per_execution", 1,
                                               "compile")
        self.optimizer = opt
        self._loss_identifier = loss
        self._loss_weights = loss_weights
        self.loss = None if structured or loss is None else compile_utils.get_loss(loss)
        self._out_losses = None
        self._metric_ids = metric_ids
        self._metrics = None
        self._on_batch_sums = None
        self.compiled = True
        # losses over structures of outputs (several for one output, a loss given a
        # sub-structure, outputs nested deeper): Keras' walk, at the first loss
        self._loss_tree = loss_tree
        self._loss_entries = None
        if self._loss_tree:
            self.loss = None
            flat = self._output_layer_names()
            if flat is not None and len(flat) > 1:
                self._out_losses = [(None, 1.0)] * len(flat)
                self._out_names = flat
            return
        names = compile_utils.output_names(self)
        if names is not None and loss is None and len(names) > 1:
            self._no_losses(names)
        if names is not None and loss is not None:
            if self._overrides("compute_loss") or self._overrides("train_step"):
                # a compute_loss / train_step of the model's own may hand the compiled
                # loss another structure of outputs than the model's (Keras builds its
                # compiled loss at the first call): resolved then, unless it fits now
                try:
                    self._resolve_losses(names)
                except ValueError:
                    self._out_losses = None
            elif not self._unknown_loss_keys(names):
                self._resolve_losses(names)
            # (a dict of losses naming no output: fit raises, as Keras', at the first
            # loss it computes)

    def _targets_by_output(self, y):
        """The targets of each output, in output order (None for an output without):
        the leaves of y for a loss over structures of outputs, else by output name."""
        if type(y) is _JoinedTargets:
            return self._split_targets(y)
        if getattr(self, "_loss_tree", False):
            flat = compile_utils.flat_outputs(y)
            if len(flat) == len(self._out_names):
                return flat
        elif self._out_losses is not None and not isinstance(y, dict):
            # as many targets as outputs with a loss (one array for the one output with
            # a loss, say): each to those outputs in order, as Keras spreads them
            given = list(y) if isinstance(y, (list, tuple)) else [y]
            with_loss = [i for i, (fn, _) in enumerate(self._out_losses) if fn is not None]
            if len(given) != len(self._out_losses) and len(given) == len(with_loss):
                out = [None] * len(self._out_losses)
                for i, v in zip(with_loss, given):
                    out[i] = v
                return out
        return _by_output(y, self._out_names, "y")

    def _target_widths(self):
        """The columns of each output's targets in a _JoinedTargets: 1 for sparse labels,
        the output's width for the others."""
        return [1 if getattr(loss, "_op", None) == _SPARSE else int(t.shape[-1])
                for (loss, _), t in zip(self._out_losses, self._graph_model().outputs)]

    def _split_targets(self, y):
        """A _JoinedTargets taken apart: each output's targets as _convert_y gives one
        output's (sparse labels one axis)."""
        out, a = [], 0
        whole = np.asarray(y)
        for (loss, _), c in zip(self._out_losses, self._target_widths()):
            part = np.ascontiguousarray(whole[:, a:a + c])
            out.append(part.reshape(-1) if getattr(loss, "_op", None) == _SPARSE else part)
            a += c
        return out

    def _joins_targets(self, y, sample_weight=None):
        """Whether y, the targets of a model of several outputs, go to the array path as
        one _JoinedTargets (_convert_targets): NumPy arrays, one per output (a list, tuple
        or dict by output name), for a model whose graph the engine walks
        (_chain_outputs: each output a Dense layer's, 2-D), each output with a built-in
        loss of its own (not a loss over structures), and one sample weight array (or
        none) for them all, or one (or none) per output."""
        if not isinstance(y, (list, tuple, dict)) or not self._out_losses \
                or not self._chain_outputs() or getattr(self, "_loss_tree", False):
            return False
        if isinstance(sample_weight, (list, tuple, dict)):      # one array per output
            try:
                sws = _by_output(sample_weight, self._out_names, "sample_weight")
            except ValueError:
                return False      # (the adapter path raises Keras' error for them)
            if not all(w is None or type(w) is np.ndarray for w in sws):
                return False
        losses, outputs = self._out_losses, self._graph_model().outputs
        if not losses or len(losses) != len(outputs) or \
                any(getattr(loss, "_op", None) is None for loss, _ in losses) or \
                any(len(t.shape) != 2 or t.shape[1] is None for t in outputs):
            return False
        try:
            ys = self._targets_by_output(y)
        except (ValueError, KeyError, TypeError):
            return False          # (the adapter path raises Keras' error for them)
        return len(ys) == len(losses) and all(type(v) is np.ndarray for v in ys)

    def _convert_targets(self, y, n, what, argname="y"):
        """The targets of a model of several outputs (see _joins_targets) as one
        _JoinedTargets, each output's checked as _convert_y checks one output's (against
        its loss and its output's shape)."""
        cols = []
        for i, ((loss, _), yi, t) in enumerate(zip(self._out_losses,
                                                   self._targets_by_output(y),
                                                   self._graph_model().outputs)):
            arr = self._convert_y_checked(yi, n, (None,) + tuple(t.shape[1:]), what,
                                          f"{argname}[{self._out_names[i]!r}]", loss=loss)
            cols.append(arr.reshape(n, -1))
        return np.ascontiguousarray(np.concatenate(cols, axis=1)).view(_JoinedTargets)

    def _output_layer_names(self):
        """The names of the layers giving the model's outputs, in the order of the
        flattened outputs (Keras' output_names), or None before they are known."""
        outs = getattr(self, "_outputs_struct", None)
        if outs is None:
            return None
        return [t._keras_history[0].name for t in compile_utils.flat_outputs(outs)]

    def _tree_losses(self, y, y_pred, sw):
        """(the total, each entry's loss) of a loss over structures of outputs (the
        entries walked at the first call, as Keras builds its compiled loss)."""
        from fastnn.trainers.data_adapters import tree
        if self._loss_entries is None:
            flat = self._output_layer_names()
            n = len(compile_utils.flat_outputs(y_pred))
            if flat is None or len(flat) != n:
                flat = None
            self._loss_entries = compile_utils.loss_entries(
                self._loss_identifier, self._loss_weights, y, y_pred, flat, self.name)
            if n > 1 and self._out_losses is None:
                self._out_losses = [(None, 1.0)] * n
                self._out_names = flat or _names_of(y_pred)
        if isinstance(y_pred, (list, tuple)) and isinstance(y, dict) and \
                self._out_names and set(y) == set(self._out_names):
            y = [y[name] for name in self._out_names]     # targets by output name
        if not compile_utils.same_containers(y, y_pred) and tree._same(y, y_pred):
            # the same nesting in other containers (a tuple for a named tuple, a list
            # for a tuple): the targets in the outputs' containers, as Keras packs them
            y = tree.pack_sequence_as(y_pred, tree.flatten(y))
        total, each = None, []
        nested_sw = tree.is_nested(sw)
        for e in self._loss_entries:
            yt = compile_utils.at_path(y, e.path)
            yp = compile_utils.at_path(y_pred, e.path)
            swe = compile_utils.at_path(sw, e.path) if nested_sw else sw
            value = compile_utils.loss_value(e.loss, yt, yp, swe)
            each.append(value)
            term = value if e.weight is None else value * float(e.weight)
            total = term if total is None else total + term
        return total, each

    def _no_losses(self, names):
        """The outputs of a model compiled without a loss (its add_loss() terms are the
        loss): each output's entry None, so that each output's targets and metrics
        are told apart where there are several."""
        self._out_losses = [(None, 1.0)] * len(names)
        self._out_names = list(names)

    def _single_loss_weight(self):
        """compile's loss_weights for a one-output model (a number, or a one-entry list
        or dict), 1.0 when not given."""
        w = self._loss_weights
        if isinstance(w, dict):
            w = next(iter(w.values())) if len(w) == 1 else None
        elif isinstance(w, (list, tuple)):
            w = w[0] if len(w) == 1 else None
        return 1.0 if w is None else _argcheck.real(w, "loss_weights", "compile")

    def _resolve_graph_losses(self):
        """A subclassed model traced into a graph of several outputs (Model._graph_model),
        compiled with a loss per output: each output's loss resolved from the graph's
        outputs before the first batch, as the first call's outputs would resolve them
        (so that its arrays take the array path). Left to the first call where a dict of
        losses names no output (Keras raises there)."""
        graph = self._graph_model()
        if graph is None or graph is self or len(graph.outputs) < 2 \
                or self._loss_identifier is None or getattr(self, "_loss_tree", False) \
                or self._overrides("compute_loss") or self._overrides("train_step"):
            return
        names = self._names_for(graph._outputs_struct)
        if not self._unknown_loss_keys(names):
            self._resolve_losses(names, graph._outputs_struct)

    def _unknown_loss_keys(self, names):
        """The keys of a dict of losses that name no output (in the dict's order)."""
        loss = self._loss_identifier
        return [k for k in loss if k not in names] if isinstance(loss, dict) else []

    def _raise_unknown_loss_keys(self, names, y_pred):
        """Keras' errors, when the outputs are first computed, for a dict of losses
        naming no output: a KeyError for outputs that are a dict, a ValueError else."""
        unknown = self._unknown_loss_keys(names)
        if not unknown:
            return
        if isinstance(y_pred, dict):
            raise KeyError(f"{self.name}: the path {(unknown[0],)} in the `loss` argument, "
                           f"can't be found in either the model's output (`y_pred`) or in "
                           f"the labels (`y_true`): the outputs are {names}")
        raise ValueError(f"{self.name}: Expected keys {names} in the dict of losses (the "
                         f"model's output names), found loss.keys()="
                         f"{list(self._loss_identifier)}")

    def _resolve_losses(self, names, y_pred=None):
        """One (loss or None, weight) per output, from compile's arguments; y_pred: the
        outputs, when computed (a dict of losses naming no output fails then)."""
        if y_pred is not None:
            self._raise_unknown_loss_keys(names, y_pred)
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
        """What saving needs to recompile: the optimizer, the loss (one, or a list or
        dict of them by output), loss_weights and the metrics, serialised in the
        structure compile() was given. TypeError where one of them is a Python function
        or a class of the user's (it cannot be stored by name)."""
        if not self.compiled:
            return None

        def loss(item):
            obj = compile_utils.get_loss(item)
            if isinstance(obj, compile_utils.CrossentropyByShapes):
                return obj.identifier          # resolved from the shapes again
            return losses_mod.serialize(obj)
        return {
            "optimizer": None if self.optimizer is None
            else optimizers_mod.serialize(self.optimizer),
            "loss": _map_leaves(loss, self._loss_identifier),
            "loss_weights": _map_leaves(float, self._loss_weights),
            "metrics": _map_leaves(metrics_mod.serialize, self._metric_ids),
            "weighted_metrics": _map_leaves(metrics_mod.serialize, self._weighted_metric_ids),
        }

    compile_config = property(get_compile_config)

    def compile_from_config(self, config):
        """compile() again from get_compile_config()'s output."""
        def metric(item):
            return item if isinstance(item, str) else metrics_mod.get(item)
        self.compile(optimizer=optimizers_mod.get(config["optimizer"]),
                     loss=_map_leaves(compile_utils.get_loss, config["loss"]),
                     loss_weights=config.get("loss_weights"),
                     metrics=_map_leaves(metric, config.get("metrics") or []),
                     weighted_metrics=_map_leaves(metric, config.get("weighted_metrics") or []))

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
        if what in ("fit", "train_on_batch") and self.optimizer is None \
                and not self._overrides("train_step"):
            # Keras compiles without an optimizer (for evaluate and predict); its fit
            # then fails on the missing optimizer's apply (AttributeError)
            raise NoOptimizerError(
                f"{what}: {self.name} was compiled with optimizer=None, so it cannot "
                f"train; expected an optimizer, e.g. model.compile(optimizer='adam', "
                f"...), got None (evaluate and predict need none)")
        # compile() without a loss: the model trains on its add_loss() terms; a step
        # that finds none raises then (_total_loss), as Keras' compute_loss does

    def _require_layers(self, what):
        if not self._chain_or_layers():
            raise ValueError(f"{what}: the model has no layers; add some with model.add(...) first")

    def _string_input(self):
        """Whether the model's input is a keras.Input(dtype="string")."""
        first = getattr(self, "_input_layer", None)      # a Sequential's Input
        if first is not None:
            return getattr(first, "_int_dtype", None) == "string"
        try:
            inputs = getattr(self, "inputs", None) or ()
        except (AttributeError, ValueError, TypeError):
            return False
        return any(getattr(t, "dtype", None) == "string" for t in inputs)

    def _convert_x(self, x, what, argname="x", allow_empty=False):
        """x -> C-contiguous array of the model dtype (a new array when a cast is needed,
        never a mutated caller array), checked against the built input shape. A model
        whose input is Input(dtype="string") takes an array of str, bytes or objects
        (its StringLookup checks the elements)."""
        if self._string_input():
            return self._convert_strings(x, what, argname)
        if type(x) is not np.ndarray and isinstance(x, (list, tuple, dict)) \
                and self._n_inputs() > 1 and self._joins(x):
            # several inputs the engine takes side by side (a functional model's, or a
            # subclassed model's traced into a graph): joined as that graph joins them
            return self._graph_model()._convert_joined(x, what, argname, allow_empty)
        arr = _numeric_array(x, what, argname)
        if arr.ndim == 0:
            raise ValueError(f"{what}: {argname} must be an array of samples, got a scalar")
        given = arr.shape
        exp = self._expected_input_shape() if self.built else None
        if arr.ndim == 1 and not (exp is not None and len(exp) == 1):
            # Keras 2 expanded 1-D inputs to one feature; a model built for one number
            # per sample (Input(shape=())) takes them as they are
            arr = arr.reshape(-1, 1)
        if (arr.shape[0] == 0 and not allow_empty) or (arr.size == 0 and arr.shape[0]):
            raise ValueError(f"{what}: {argname} must not be empty, got shape {arr.shape}")
        if self.built:
            if arr.shape[1:] != exp[1:] and (  # equal: the common case, nothing to compare
                    arr.ndim != len(exp)
                    or any(e is not None and e != s for e, s in zip(exp[1:], arr.shape[1:]))):
                raise ValueError(f"{what}: {argname} expected shape {('N',) + tuple(exp[1:])} "
                                 f"(the model's input), got {given}")
        given_arr = arr
        arr = np.ascontiguousarray(arr, dtype=self.dtype)
        if not _all_finite(arr):
            _raise_not_finite(given_arr, arr, what, argname)
        return arr

    def _convert_strings(self, x, what, argname):
        try:
            arr = np.asarray(x)
        except Exception:
            arr = np.asarray(None)
        if arr.dtype.kind not in "USO" or arr.ndim == 0:
            raise TypeError(f"{what}: {argname} must be an array of strings (the model's input "
                            f"is Input(dtype='string')), got {type(x).__name__} of dtype "
                            f"{arr.dtype}")
        exp = self._expected_input_shape()
        if arr.ndim == 1 and len(exp) == 2 and exp[1] == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != len(exp) or any(e is not None and e != g
                                       for e, g in zip(exp[1:], arr.shape[1:])):
            raise ValueError(f"{what}: {argname} expected shape {('N',) + tuple(exp[1:])} "
                             f"(the model's input), got {arr.shape}")
        return arr

    def _convert_y(self, y, n, out_shape, what, argname="y"):
        """y -> array checked against the loss and the output shape: sparse labels
        integer in [0, units) as (N,); binary labels in [0, 1]; others shaped like the
        output. Converted to the model dtype. loss="crossentropy" takes the loss these
        labels call for, kept only when they pass."""
        if y is None and self._loss_identifier is None:
            # compiled without a loss (the add_loss() terms alone): no targets needed,
            # unless metrics compare the outputs with them
            if self._metric_ids or self._weighted_metric_ids:
                raise ValueError(f"{what}: {argname} is required for the compiled metrics "
                                 f"(the model was compiled without a loss, so only they "
                                 f"read it), got None")
            return None
        pending = self.loss if isinstance(self.loss, compile_utils.CrossentropyByShapes) \
            else None
        out_losses = self._out_losses
        try:
            return self._convert_y_checked(y, n, out_shape, what, argname)
        except BaseException:
            if pending is not None:         # refused labels leave the loss unresolved
                self.loss, self._out_losses = pending, out_losses
            raise

    def _convert_y_checked(self, y, n, out_shape, what, argname, loss=None):
        """_convert_y's checks, against the model's loss or the given one (one of several
        outputs': never one resolved from the shapes)."""
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
        if loss is None and isinstance(self.loss, compile_utils.CrossentropyByShapes):
            # "crossentropy": the loss the labels and outputs call for, from now on
            self.loss = self.loss.resolve(arr.shape, out_shape)
            if self._out_losses is not None and len(self._out_losses) == 1:
                self._out_losses = [(self.loss, self._out_losses[0][1])]
        loss = self.loss if loss is None else loss
        op = getattr(loss, "_op", None)
        if op is None:
            # a loss of the user's own: the targets as given (floats in the model's
            # dtype), its function decides what it reads
            return arr.astype(self.dtype) if arr.dtype.kind == "f" else arr
        if op == _SPARSE and len(out_shape) > 2:
            raise ValueError(f"{what}: {type(loss).__name__} needs a model output of shape "
                             f"(N, classes), got {tuple(out_shape)}; add a Flatten or use one-hot "
                             f"labels with CategoricalCrossentropy")
        if op == _SPARSE:
            if not (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)):
                raise ValueError(f"{what}: {argname} for {type(loss).__name__} must be integer "
                                 f"class labels of shape ({n},) or ({n}, 1), got {arr.shape}")
            lab = arr.reshape(-1)
            ignore = getattr(loss, "ignore_class", None)
            if lab.size > _FEW_LABELS:
                if arr.dtype.kind == "f" and np.any(lab != np.floor(lab)):
                    self._raise_not_labels(lab[lab != np.floor(lab)][0], what, argname, loss)
                kept = lab if ignore is None else lab[lab != ignore]   # ignore_class: any label
                lo, hi = (kept.min(), kept.max()) if kept.size else (0, 0)
            else:       # a few labels (one batch): passes in Python beat NumPy's reductions
                few = lab.tolist()    # (integer values here: printed as NumPy prints them)
                if arr.dtype.kind == "f":
                    for v in few:
                        if not v.is_integer():
                            self._raise_not_labels(v, what, argname, loss)
                if ignore is not None:
                    few = [v for v in few if v != ignore]
                lo, hi = (min(few), max(few)) if few else (0, 0)
            if lo < 0 or hi >= units:
                also = "" if ignore is None else f" (or ignore_class={ignore})"
                raise ValueError(f"{what}: {argname} labels must be in [0, {units}){also} for a "
                                 f"model with {units} output units, got values in [{lo}, {hi}]")
            return np.ascontiguousarray(lab, dtype=self.dtype)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if len(arr.shape) != len(out_shape) or any(
                d is not None and d != a for a, d in zip(arr.shape[1:], out_shape[1:])):
            hint = ""
            if op == _CATEGORICAL and arr.shape[1:] == (1,):
                hint = " (integer labels need SparseCategoricalCrossentropy)"
            raise ValueError(f"{what}: {argname} expected shape {('N',) + tuple(out_shape[1:])} "
                             f"(the model's output) for {type(loss).__name__}, got "
                             f"{arr.shape}{hint}")
        if op == _BINARY:
            if arr.size > _FEW_LABELS:
                lo, hi = arr.min(), arr.max()
            else:       # one batch's labels: one pass in Python beats two reductions
                few = arr.ravel().tolist()
                lo, hi = min(few), max(few)
            if lo < 0 or hi > 1:
                raise ValueError(f"{what}: {argname} for {type(loss).__name__} must be 0/1 labels "
                                 f"(or probabilities in [0, 1]), got values in [{lo}, {hi}]")
        return np.ascontiguousarray(arr, dtype=self.dtype)

    def _raise_not_labels(self, value, what, argname, loss):
        raise ValueError(f"{what}: {argname} for {type(loss).__name__} must hold integer "
                         f"class labels, got non-integer values such as {float(value)!r}")

    def _convert_joined_sw(self, sample_weight, n, what, argname="sample_weight"):
        """The sample weights of a model of several outputs whose targets are joined:
        None, or a _JoinedWeights, each output's column checked as _checked_sw checks one
        array (one array for all outputs repeated; an output without one weighs 1)."""
        if sample_weight is None:
            return None
        k = len(self._out_losses)
        if isinstance(sample_weight, (list, tuple, dict)):
            given = _by_output(sample_weight, self._out_names, argname)
            cols = [np.ones(n, self.dtype) if w is None else
                    self._checked_sw(w, n, what, f"{argname}[{self._out_names[i]!r}]")
                    for i, w in enumerate(given)]
            joined = np.stack(cols, axis=1)
        else:
            one = self._checked_sw(sample_weight, n, what, argname)
            joined = np.repeat(one[:, None], k, axis=1)
        return np.ascontiguousarray(joined, dtype=self.dtype).view(_JoinedWeights)

    def _convert_sw(self, sample_weight, n, what, argname="sample_weight"):
        """The array path's sample weights: one checked array, or for a model of several
        outputs (its targets joined) a _JoinedWeights."""
        if self._n_outputs() > 1:
            return self._convert_joined_sw(sample_weight, n, what, argname)
        return self._checked_sw(sample_weight, n, what, argname)

    def _checked_sw(self, sample_weight, n, what, argname):
        """One array of sample weights (or None), checked: a weight per sample, finite and
        >= 0, in the model's float dtype."""
        if sample_weight is None:
            return None
        sw = _numeric_array(sample_weight, what, argname)
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
        if y is None:
            raise ValueError(f"{what}: class_weight weights the samples by the classes of "
                             f"their targets, and y was not given (None)")
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
            _argcheck.real(v, f"class_weight[{k!r}]", what, lo=0.0,
                           hi=float(np.finfo(self.dtype).max))
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
        does, so the loss is log-sum-exp stable and its gradient is p - y. Read on the
        chain the engine runs (nested models and residual connections expanded): the
        layer path's softmax output carries its logits to the loss whatever holds the
        layer, so both paths must agree on it."""
        if not compile_utils.is_builtin(self.loss) or self.loss.from_logits:
            return False
        chain = self._flat_chain()
        if not chain:
            return False
        last = chain[-1]
        act = getattr(last, "activation_name", None)
        if (getattr(last, "activation_params", None) or {}).get("axis", -1) != -1:
            return False        # a Softmax over another axis than the last
        op = self.loss._op
        return (act == "softmax" and op in (_SPARSE, _CATEGORICAL)) or (act == "sigmoid" and op == _BINARY)

    def _forward(self, x, training):
        """The model's outputs for a batch (recorded under a tape): a chain layer by
        layer, any other model through its call()."""
        chain = self._chain()
        if chain is None:
            return Layer.__call__(self, self._split_joined(x), training=training)
        self._clear_losses()        # add_loss terms are the current call's
        out = x
        for layer in chain:
            spec = layer.__dict__.get("input_spec")
            if spec is not None:            # one set by the user: checked as Layer.__call__
                assert_input_compatibility(spec, out, layer.name)
            mask = get_keras_mask(out)      # Keras' masking, as Layer.__call__ does it
            kw = {} if mask is None or not _call_takes_mask(type(layer)) else {"mask": mask}
            if _call_signature(type(layer))[:2] == (False, False):
                new = layer.call(out, **kw)
            else:
                new = layer.call(out, training=training, **kw)
            if layer.activity_regularizer is not None:
                layer._add_activity_loss(new)
            if mask is not None or layer.supports_masking:
                new = _as_output(new) if isinstance(new, np.ndarray) else new
                layer._mask_outputs(out, new, mask)
            out = new
        return out

    def _data_loss(self, y, y_pred, sw):
        """The compiled loss of a batch (Keras' sum_over_batch_size; for several outputs
        the loss_weights-weighted sum), as a scalar that a GradientTape follows."""
        return self._data_losses(y, y_pred, sw)[0]

    def _data_losses(self, y, y_pred, sw):
        """(the compiled loss, each output's loss or None)."""
        if self._loss_identifier is None:
            # compiled without a loss: no data loss (the add_loss() terms alone)
            n = len(compile_utils.flat_outputs(y_pred))
            if self._out_losses is None and n > 1:
                self._no_losses(self._names_for(y_pred))
            return None, [None] * n
        if getattr(self, "_loss_tree", False):
            return self._tree_losses(y, y_pred, sw)
        if self._out_losses is None and (isinstance(y_pred, (list, tuple, dict))
                                         or self.loss is None):
            self._resolve_losses(self._names_for(y_pred), y_pred)
        if self._out_losses is None or len(self._out_losses) == 1:
            loss = self.loss if self._out_losses is None else self._out_losses[0][0]
            p = _only_output(y_pred)
            value = compile_utils.loss_value(loss, y, p, sw)
            weight = self._single_loss_weight()
            return (value if weight == 1.0 else value * weight), [value]
        ys = self._targets_by_output(y)
        ps = compile_utils.flat_outputs(y_pred)
        sws = self._per_output_weights(sw, len(ys))
        total, each = None, []
        for (loss, weight), yi, pi, swi in zip(self._out_losses, ys, ps, sws):
            if loss is None or yi is None:
                each.append(None)
                continue
            value = compile_utils.loss_value(loss, yi, pi, swi)
            each.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, each

    def _names_for(self, y_pred):
        """The output names of outputs y_pred at the first loss computed: the model's
        when it has as many outputs, None for each when it has another number of them
        (a compute_loss of the model's own that reshapes them: as Keras, each output's
        loss is then logged by the loss's name, its metrics without a prefix), else
        _names_of(y_pred)."""
        names = compile_utils.output_names(self)
        n = len(compile_utils.flat_outputs(y_pred))
        if names is not None and len(names) != n and not isinstance(y_pred, dict):
            return [None] * n
        return names if names is not None and len(names) == n else _names_of(y_pred)

    def _per_output_weights(self, sw, n):
        """Sample weights for each of n outputs: one array for all (Keras repeats it),
        or a list or dict by output name of arrays (None where an output has none)."""
        if isinstance(sw, (list, tuple, dict)):
            return _by_output(sw, self._out_names, "sample_weight")
        if type(sw) is _JoinedWeights:      # a column per output
            whole = sw.view(np.ndarray)
            return [np.ascontiguousarray(whole[:, k]) for k in range(whole.shape[1])]
        return [sw] * n

    def _total_loss(self, y, y_pred, sw):
        """(the data loss plus every regularization and add_loss term (model.losses),
        each output's loss)."""
        total, each = self._data_losses(y, y_pred, sw)
        for term in self.losses:
            # each term summed to a scalar, as Keras' trainer aggregates them
            if np.ndim(term):
                term = ops.sum(term)
            total = term if total is None else total + term
        if total is None:
            raise ValueError(
                f"{self.name}: No loss to compute. Provide a `loss` argument in "
                f"`compile()` (the model was compiled without one, and its layers added "
                f"no add_loss() terms in this call)")
        return total, each

    def _train_step(self, xb, yb, swb):
        """One optimizer step on a batch by the layers and a GradientTape (the path of
        models that do not lower onto the engine). Returns (n, loss * n, [(total,
        count) per metric])."""
        variables = self.trainable_weights if self.trainable else []
        with GradientTape(watch_accessed_variables=False) as tape:
            for v in variables:
                tape.watch(v)
            # the noise layers key their noise by the step, as the C engine does
            with regularization.training_step(self, getattr(self.optimizer, "_iterations", 0) + 1):
                out = self._forward(xb, training=True)
            total, each = self._total_loss(yb, out, swb)
            # as Keras' train_step: the gradients of the loss times the optimizer's loss
            # scale (loss_scale_factor, LossScaleOptimizer), which its step divides out
            scale_loss = getattr(self.optimizer, "scale_loss", None)
            scaled = scale_loss(total) if variables and scale_loss is not None else total
        if variables:
            grads = tape.gradient(scaled, variables)
            self._apply(grads, variables)
        return self._step_sums(xb, yb, out, total, each, swb)

    def _step_sums(self, x, y, y_pred, total, each, sw=None, only=None):
        """A batch's (samples, loss * samples, (total, count) per metric); the weighted
        metrics (compile's weighted_metrics) take the sample weights sw. only: these of
        the compiled metrics alone (the engine sums the others), their sums in order."""
        n = _batch_size_of(x)
        if self._metrics is None:
            self._ensure_metrics_for(y, y_pred)
        if len(self._metrics) == 0:
            return n, float(total) * n, []
        single = self._out_losses is None or len(self._out_losses) == 1
        ys = [y] if single else self._targets_by_output(y)
        ps = [_only_output(y_pred)] \
            if single else compile_utils.flat_outputs(y_pred)
        sums = []
        sws = None
        for m in self._metrics if only is None else only:
            i = getattr(m, "_fastnn_output", 0)
            w = None
            if getattr(m, "_fastnn_weighted", False) and sw is not None:
                if sws is None:      # one array for every output, or one per output
                    sws = self._per_output_weights(sw, len(ps)) if not single \
                        else [_only_output(sw)]
                w = sws[i]
                w = None if w is None else np.asarray(w, np.float64).reshape(-1)
            if _stateful(m):         # a Metric subclass with its own update_state
                p = _probabilities(ps[i])
                with self._state_lock:
                    if w is None:
                        m.update_state(ys[i], p)
                    else:
                        m.update_state(ys[i], p, sample_weight=w)
                sums.append(None)
            elif hasattr(m, "_fastnn_loss_of"):
                v = each[m._fastnn_loss_of]
                sums.append((0.0, 0.0) if v is None else (float(v) * n, float(n)))
            else:      # a built-in metric: on the plain arrays (no autodiff dispatch)
                p = ps[i]
                if isinstance(m, metrics_mod._MeanOfValues):
                    w = metrics_mod._with_mask(w, p)     # Keras' MeanMetricWrapper masks
                sums.append(m.batch_sums(ys[i], p.view(np.ndarray)
                                         if isinstance(p, np.ndarray) else p, w))
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
        return self._step_sums(xb, yb, out, total, each, swb)

    def _reset_stateful_metrics(self):
        """The compiled metrics at the start of a loop: each one's reset_state() (Keras'
        reset_metrics), and for those whose sums the loop keeps, what reset_state() left
        as the base the loop's sums add to (zero, unless a subclass keeps its state)."""
        with self._state_lock:
            for m in self._metrics or ():
                m.reset_state()
                _set_base(m)

    def _ensure_metrics(self, y, out_shape):
        """The compiled metric objects of a one-output model, for labels like y and
        outputs of out_shape ('accuracy' is resolved from them); of a model of several
        outputs for its _JoinedTargets y (and its outputs' shapes)."""
        if type(y) is _JoinedTargets:
            self._ensure_metrics_for(y, [np.empty((0,) + tuple(t.shape[1:]), self.dtype)
                                         for t in self._graph_model().outputs])
            return
        with self._state_lock:
            if self._metrics is None:
                op = getattr(self.loss, "_op", None)
                yshape = None if y is None else y.shape if op != _SPARSE else (y.shape[0],)
                shape = tuple(out_shape)
                metrics = [compile_utils.get_metric(m, yshape, shape)
                           for m in _one_output_ids(self._metric_ids)]
                for ident in _one_output_ids(self._weighted_metric_ids):
                    metrics.append(_weighted(compile_utils.get_metric(ident, yshape, shape),
                                             metrics, ""))
                self._metrics = metrics

    def _ensure_metrics_for(self, y, y_pred):
        """The compiled metric objects for targets y and outputs y_pred (structures for
        several outputs: each output's metrics named after it, and, where more than one
        output has a loss, each loss tracked as '<output>_loss', as Keras 3 logs them)."""
        with self._state_lock:
            if self._metrics is not None:
                return
            if y is None and self._loss_identifier is None:
                # no loss and no targets: only the add_loss() terms are logged
                if self._metric_ids or self._weighted_metric_ids:
                    raise ValueError(f"{self.name}: y is required for the compiled metrics "
                                     f"(the model was compiled without a loss, so only "
                                     f"they read it), got None")
                self._metrics = []
                return
            if self._out_losses is None or len(self._out_losses) == 1:
                p = _only_output(y_pred)
                self._ensure_metrics(np.asarray(y), np.shape(p))
                return
            names = self._out_names
            ys = self._targets_by_output(y)
            ps = compile_utils.flat_outputs(y_pred)
            per = compile_utils.per_output(self._metric_ids, names, "metrics",
                                           owner=self.name) \
                if self._metric_ids else [[] for _ in names]
            metrics = []
            entries = self._loss_entries if getattr(self, "_loss_tree", False) else None
            if entries is not None:
                # a loss over structures: each of its losses logged as '<name>_loss'
                # when there are several (Keras' names: the output, or the path)
                for j, e in enumerate(entries if len(entries) > 1 else ()):
                    tracker = metrics_mod.Mean(name=f"{e.name}_loss")
                    tracker._fastnn_loss_of = j
                    metrics.append(tracker)
            # each output's loss is logged when several outputs have one (Keras 3: with
            # a loss for one output only, its loss is the total, logged as 'loss' alone)
            with_loss = sum(fn is not None for fn, _ in self._out_losses)
            for i, name in enumerate(names):
                if self._out_losses[i][0] is not None and with_loss > 1:
                    label = self._out_losses[i][0].name if name is None else name
                    tracker = metrics_mod.Mean(name=f"{label}_loss")
                    tracker._fastnn_loss_of = i
                    metrics.append(tracker)
            wper = compile_utils.per_output(self._weighted_metric_ids, names,
                                            "weighted_metrics", owner=self.name) \
                if self._weighted_metric_ids else [[] for _ in names]
            for weighted, per_output in ((False, per), (True, wper)):
                for i, (name, ids) in enumerate(zip(names, per_output)):
                    if ids is None or ys[i] is None:
                        continue
                    op = getattr(self._out_losses[i][0], "_op", None)
                    yshape = np.shape(ys[i]) if op != _SPARSE else (np.shape(ys[i])[0],)
                    for ident in ids if isinstance(ids, (list, tuple)) else [ids]:
                        m = compile_utils.get_metric(ident, yshape, np.shape(ps[i]))
                        prefix = "" if name is None else f"{name}_"
                        if weighted:
                            m = _weighted(m, metrics, prefix)
                        else:
                            m.name = f"{prefix}{m.name}"
                        m._fastnn_output = i
                        metrics.append(m)
            self._metrics = metrics

    def _logs(self, loss_total, count, msums=None, prefix=""):
        """The logs of these sums. With msums, one (total, count) per metric, the metrics
        are first set to them (as after Keras' loops); under the model's lock, so that
        concurrent calls each report their own."""
        logs = {f"{prefix}loss": loss_total / count if count else 0.0}
        with self._state_lock:
            self._loss_tracker.total, self._loss_tracker.count = loss_total, float(count)
            if msums is not None:
                for m, (t, c) in zip(self._metrics, msums):
                    if not _stateful(m):
                        b = getattr(m, "_fastnn_base", None)
                        m.total, m.count = (t, c) if b is None else (b[0] + t, b[1] + c)
            for m in self._metrics:
                logs[prefix + m.name] = _log_value(m.result())
            for m in self._tracked_metrics():      # the model's own, as Keras logs them
                logs.setdefault(prefix + m.name, _log_value(m.result()))
        return dict(sorted(logs.items()))  # Keras 3 logs come out in sorted key order

    def _tracked_metrics(self):
        """Metric objects the model holds as attributes (self.custom = Mean(...)), which
        Keras tracks into model.metrics: logged, and reset with the compiled ones."""
        # Every call that logs reads this. The attributes that may hold metrics are
        # listed again only after an attribute was set on a layer or model (a counted
        # change, fastnn._changes); the lists among them are walked at every call, as
        # items may have been added since.
        d = self.__dict__
        cached = d.get("_metric_holders")
        if cached is not None and cached[0] == _changes.count[0]:
            held = cached[1]
        else:
            held = [v for name, v in d.items()
                    if name[:1] != "_" and isinstance(v, (metrics_mod.Metric, list, tuple))]
            d["_metric_holders"] = (_changes.count[0], held)   # (not a counted change)
        if not held:
            return []
        compiled = {id(m) for m in self._metrics or ()}
        compiled.add(id(self.__dict__.get("_loss_tracker")))
        out, seen = [], set()

        def take(v):
            if isinstance(v, metrics_mod.Metric):
                if id(v) not in compiled and id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
            elif isinstance(v, (list, tuple)):
                for item in v:
                    take(item)
        for v in held:
            take(v)
        return out

    def _fit_epoch(self, x, y, sw, batch_size, shuffle, callbacks, want_batch_logs):
        """One epoch of batches over (x, y, sw); returns the epoch's training logs."""
        n = x.shape[0]
        plan = self._engine.fit_plan
        start, perm, sums = 0, None, _Sums(len(self._metrics or []))
        if plan is not None:
            try:
                return plan.fit_epoch(x, y, sw, batch_size, shuffle, callbacks,
                                      self._engine.user_batch_hooks)
            except engine.PlanChanged as change:
                # a batch callback froze a layer (or the like): from the next step on,
                # as on the layer path; later epochs get a plan for the model as it is
                start, perm = change.done, change.perm if shuffle else None
                sums.add(*change.sums)
                self._engine.fit_plan = engine.plan_for(self, x, training=True)
        else:
            # Batches are gathered from a permutation, never by copying the whole data set.
            perm = utils.epoch_orders(1, n)[0] if shuffle else None
            sums = _Sums(len(self._metrics))
            self._reset_stateful_metrics()
        steps = math.ceil(n / batch_size)
        spe = self._steps_per_execution
        want_begin = callbacks.wants("on_train_batch_begin")
        hooked = engine.user_batch_hooks(callbacks)
        # A loss written in Python on a model that otherwise lowers: the network's
        # steps in C, the loss on the tape (engine.custom_plan_for)
        cplan = engine.custom_plan_for(self, x) if batch_size <= n else None
        rows = perm if perm is not None else np.arange(n, dtype=np.int64)
        ws = cplan.take_workspace(batch_size) if cplan is not None else None
        x2 = cplan.x2d(x) if cplan is not None else None
        try:
            with hooks_held():
                for b in range(start, steps):
                    if want_begin and b % spe == 0:     # one call per execution (Keras 3)
                        callbacks.on_train_batch_begin(b)
                    s = slice(b * batch_size, min(n, (b + 1) * batch_size))
                    if perm is not None:
                        s = perm[s]
                    if cplan is not None:
                        sums.add(*cplan.custom_step(ws, batch_size, x2, rows, b, y[s],
                                                    None if sw is None else sw[s]))
                    else:
                        # a Ctrl-C lands after the step and its sums, never between them
                        with _interrupt.Section():
                            sums.add(*self._train_step(x[s], _rows(y, s),
                                                       None if sw is None else sw[s]))
                    if (b + 1) % spe and b < steps - 1:
                        continue                   # within an execution
                    if want_batch_logs:
                        callbacks.on_train_batch_end(b - b % spe + spe - 1, sums.logs(self))
                    if self.stop_training:
                        break
                    if cplan is not None and hooked and cplan.key != engine.FusedPlan._key(self):
                        # a callback changed the model: a plan for it as it is now
                        cplan.give_workspace(batch_size, ws)
                        ws, cplan = None, engine.custom_plan_for(self, x)
                        if cplan is not None:
                            ws, x2 = cplan.take_workspace(batch_size), cplan.x2d(x)
        finally:
            if cplan is not None and ws is not None:
                cplan.give_workspace(batch_size, ws)
        return sums.logs(self)

    def _evaluate_arrays(self, x, y, sw, batch_size, callbacks=None):
        hooks = callbacks is not None and (callbacks.wants("on_test_batch_begin")
                                           or callbacks.wants("on_test_batch_end"))
        plan = None if hooks else engine.plan_for(self, x)
        if plan is not None:
            return plan.evaluate(x, y, sw, batch_size)
        n = x.shape[0]
        sums = _Sums(len(self._metrics))
        self._reset_stateful_metrics()
        steps = math.ceil(n / batch_size)
        want_begin = callbacks is not None and callbacks.wants("on_test_batch_begin")
        want_end = callbacks is not None and callbacks.wants("on_test_batch_end")
        spe = self._steps_per_execution
        self.stop_evaluating = False
        for b in range(steps):
            s = slice(b * batch_size, min(n, (b + 1) * batch_size))
            if want_begin and b % spe == 0:       # one call per execution (Keras 3)
                callbacks.on_test_batch_begin(b)
            sums.add(*self._test_step(x[s], _rows(y, s), _rows(sw, s)))
            if want_end and (b + 1 == steps or (b + 1) % spe == 0):
                callbacks.on_test_batch_end(b - b % spe + spe - 1, sums.logs(self))
                if self.stop_evaluating:
                    break
        return sums.logs(self)

    # ------------------------------------------------------------------ fit
    @staticmethod
    def _verbose(verbose, what):
        if isinstance(verbose, str) and verbose == "auto":
            return 1
        if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)) \
                or verbose not in (0, 1, 2):
            raise ValueError(f"{what}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        return int(verbose)

    def _prepare_xy(self, x, y, sample_weight, what, xname="x", yname="y", swname="sample_weight"):
        xa = self._convert_x(x, what, xname)
        if self._n_outputs() > 1:       # targets side by side (_joins_targets)
            return xa, self._convert_targets(y, xa.shape[0], what, yname), \
                self._convert_sw(sample_weight, xa.shape[0], what, swname), None
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
        """Train for `epochs` epochs (counting from initial_epoch); returns a History.
        x and y: arrays (checked, and on the C engine where the model lowers), lists or
        dicts of arrays for several inputs or outputs, a generator or iterator, a
        keras.utils.PyDataset or a fastnn.data.Dataset (tf.data.Dataset) of batches.

        Parameters
        ----------
        x : array, list, dict, Dataset, PyDataset or generator
            The inputs: a NumPy array (or anything array-like), a list or dict of
            arrays for a model with several inputs, a ``fastnn.data.Dataset``
            (``tf.data.Dataset``), a ``keras.utils.PyDataset`` or a generator
            yielding batches (``(x, y)`` or ``(x, y, sample_weight)``; then ``y``
            is not given).
        y : array, list or dict, optional
            The targets, like ``x`` (one per output); not given when ``x`` yields
            them.
        batch_size : int, optional
            The number of samples per batch. Default 32. Not given when ``x`` is a
            dataset or generator, which makes its own batches.
        epochs : int
            The epoch to stop at (the last epoch's number, counting from
            ``initial_epoch``). Default 1.
        verbose : int or 'auto'
            0: silent; 1: a progress bar; 2: one line per epoch. Default
            ``'auto'``: 1.
        callbacks : list of Callback, optional
            Callbacks called during the run (``fastnn.callbacks``).
        validation_split : float
            In [0, 1): the fraction of the array data held out (the last samples,
            before shuffling) to validate on at the end of each epoch. Default 0.
        validation_data : tuple or Dataset, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``, or a dataset,
            to validate on at the end of each epoch.
        shuffle : bool
            Whether to shuffle the samples before each epoch (arrays only). Default
            True.
        class_weight : dict, optional
            ``{class index: weight}``: each sample's loss is scaled by the weight
            of its class.
        sample_weight : array, optional
            A weight per sample (shape ``(samples,)``), or per value for outputs
            with more axes, scaling each sample's loss.
        initial_epoch : int
            The epoch to start from (to resume a run). Default 0.
        steps_per_epoch : int, optional
            The number of batches per epoch when ``x`` is a dataset or generator.
            Default None: until it is exhausted.
        validation_steps : int, optional
            The number of validation batches when ``validation_data`` is a dataset.
            Default None: all of it.
        validation_batch_size : int, optional
            The batch size for validation. Default: ``batch_size``.
        validation_freq : int
            Validate every this many epochs. Default 1.

        Returns
        -------
        History
            Its ``history`` attribute maps each logged name (``'loss'``, metrics,
            ``'val_loss'``, ...) to a list with one value per epoch.
        """
        _threads.follow_env()
        cap = backend.max_epochs()       # keras.config.set_max_epochs
        if cap and not isinstance(epochs, bool) and isinstance(epochs, (int, np.integer)) \
                and cap < epochs:
            warnings.warn(f"Limiting epochs to {cap}", stacklevel=2)
            epochs = cap
        if self._needs_adapter(x, y, steps_per_epoch, "train") or (
                self._n_outputs() > 1 and (class_weight is not None
                                           or not self._joins_targets(y, sample_weight))):
            return self._fit_adapted(
                x, y, batch_size, epochs, verbose, callbacks, validation_split,
                validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                steps_per_epoch, validation_steps, validation_batch_size, validation_freq)
        what = "fit"
        self._require_compiled(what)
        batch_size = _check_int(32 if batch_size is None else batch_size, "batch_size", 1, what)
        epochs = _check_int(epochs, "epochs", 0, what)
        if epochs > _MAX_EPOCHS:
            raise ValueError(f"{what}: epochs must be at most {_MAX_EPOCHS}, got {epochs}")
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
        callbacks = _callback_list(callbacks, what)
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
            vy = self._convert_targets(validation_data[1], vx.shape[0], what,
                                       "validation_data[1]") if self._n_outputs() > 1 else \
                self._convert_y(validation_data[1], vx.shape[0], out_shape, what,
                                "validation_data[1]")
            vsw = self._convert_sw(validation_data[2] if len(validation_data) == 3 else None,
                                   vx.shape[0], what, "validation_data[2]")
            val = (vx, vy, vsw)
        elif validation_split:
            # Keras: the last samples, taken before shuffling (floor(n * (1 - split))
            # rows train, as its train_validation_split keeps them).
            n = xa.shape[0]
            split_at = int(math.floor(n * (1.0 - validation_split)))
            if split_at == 0 or split_at == n:
                raise ValueError(f"{what}: validation_split={validation_split} leaves "
                                 f"{split_at} training and {n - split_at} validation samples out of "
                                 f"{n}; both must be >= 1")
            val = (xa[split_at:], _rows(ya, slice(split_at, None)),
                   None if swa is None else swa[split_at:])
            xa, ya = xa[:split_at], _rows(ya, slice(split_at))
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
        # Dense stacks train in the C engine, many steps per call (csrc/train.c).
        regularization.prepare_streams(self)       # the noise layers' seeds, either path
        self._engine.fit_plan = engine.plan_for(self, xa, training=True)
        self.stop_training = False
        initial_epoch = self._begin_training(cbl, initial_epoch)
        logs = {}

        def validates(epoch):   # Keras' validation_freq, counted from initial_epoch
            return (epoch + 1 - initial_epoch) % vfreq == 0

        if self._engine.fit_plan is not None and all(type(cb) is History for cb in cbl) and \
                not self._engine.fit_plan.py_metrics and \
                (val is None or engine.plan_for(self, val[0]) is self._engine.fit_plan):
            # Nothing to run between epochs but History's record (and the validation, in
            # the same C call): many epochs per C call. (Not with metrics computed in
            # Python from the engine's outputs: those go epoch by epoch.)
            logs = self._engine.fit_plan.fit_epochs(
                xa, ya, swa, batch_size, bool(shuffle), range(initial_epoch, epochs), cbl,
                val=val, val_batch_size=vbs or batch_size, val_epoch=validates)
            self._finalize_optimizer(epochs)
            cbl.on_train_end(logs)
            return history
        # epoch by epoch: what the callbacks listen to decides the steps' grouping
        want_batch_logs = cbl.wants("on_train_batch_end")
        self._engine.user_batch_hooks = engine.user_batch_hooks(cbl)
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
        self._finalize_optimizer(epochs)
        cbl.on_train_end(logs)
        return history

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (and metrics) on (x, y): a float, a list ``[loss, *metrics]``, or a dict.

        Parameters
        ----------
        x : array, list, dict, Dataset, PyDataset or generator
            The inputs: a NumPy array (or anything array-like), a list or dict of
            arrays for a model with several inputs, a ``fastnn.data.Dataset``
            (``tf.data.Dataset``), a ``keras.utils.PyDataset`` or a generator
            yielding batches (``(x, y)`` or ``(x, y, sample_weight)``; then ``y``
            is not given).
        y : array, list or dict, optional
            The targets, like ``x`` (one per output); not given when ``x`` yields
            them.
        batch_size : int, optional
            The number of samples per batch. Default 32. Not given when ``x`` is a
            dataset or generator, which makes its own batches.
        verbose : int or 'auto'
            0: silent; 1: a progress bar; 2: one line per epoch. Default
            ``'auto'``: 1.
        sample_weight : array, optional
            A weight per sample (shape ``(samples,)``), or per value for outputs
            with more axes, scaling each sample's loss.
        steps : int, optional
            The number of batches to evaluate when ``x`` is a dataset or generator.
            Default None: until it is exhausted.
        callbacks : list of Callback, optional
            Callbacks called during the run (``fastnn.callbacks``).
        return_dict : bool
            Whether to return a dict ``{name: value}`` instead of a list. Default
            False.

        Returns
        -------
        float, list or dict
            The loss alone when nothing else is compiled, else ``[loss,
            *metrics]``, or a dict with ``return_dict=True``.
        """
        _threads.follow_env()
        _argcheck.boolean(return_dict, "return_dict", "evaluate")
        if self._needs_adapter(x, y, steps, "test") or (
                self._n_outputs() > 1 and not self._joins_targets(y, sample_weight)):
            return self._evaluate_adapted(x, y, batch_size, verbose, sample_weight, steps,
                                          callbacks, return_dict)
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
        cbl = CallbackList(_callback_list(callbacks, "callbacks"), add_progbar=verbose != 0,
                           model=self, verbose=verbose,
                           epochs=1, steps=steps_n, mode="evaluate")
        cbl.on_test_begin()
        logs = self._evaluate_arrays(xa, ya, swa, batch_size, cbl)
        cbl.on_test_end(logs)
        return self._results(logs, return_dict)

    def _results(self, logs, return_dict):
        """Keras' return value: the logs dict, or loss then metrics in compile order (a
        float when there are no metrics). return_dict was checked by the caller
        (evaluate, *_on_batch)."""
        if return_dict:
            return logs
        return self._flatten_logs_in_order(logs)

    def _flatten_logs_in_order(self, logs):
        """evaluate's and *_on_batch's list, in Keras 3's order (Trainer.
        _flatten_metrics_in_order): the values of model.metrics by name first, the
        compiled metrics in compile order for a one-output model, and for several
        outputs each output's loss in output order; then every other log in sorted key
        order (a several-output model's metrics, '<output>_<metric>'). One value alone
        is returned as a float."""
        names = []
        own = type(self).metrics is not Trainer.metrics
        if own:
            names = [m.name for m in self.metrics]
        else:
            names = ["loss"]
            several = self._out_losses is not None and len(self._out_losses) > 1
            for m in self._metrics or ():
                if not several or hasattr(m, "_fastnn_loss_of"):
                    # a weighted metric renamed 'weighted_<name>' is ordered by its own
                    # name, which its unweighted twin holds: it goes with the rest
                    names.append(getattr(m, "_fastnn_order_name", m.name))
        names = list(dict.fromkeys(names))      # each log once
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------ one batch
    def reset_metrics(self):
        """Start the loss tracker, the compiled metrics and the running sums of
        train_on_batch / test_on_batch afresh (fit and evaluate do at every epoch)."""
        with self._state_lock:
            self._on_batch_sums = None
            self._loss_tracker.reset_state()
            for m in self._metrics or ():
                m.reset_state()
                _set_base(m)
            for m in self._tracked_metrics():
                m.reset_state()
            if type(self).metrics is not Trainer.metrics:
                for m in self.metrics:       # a model's own metrics
                    m.reset_state()

    def _on_batch(self, what, training, x, y, sample_weight, class_weight, return_dict):
        _argcheck.boolean(return_dict, "return_dict", what)
        self._require_compiled(what)
        if self._needs_adapter(x, y, None, "train" if training else "test", loop=False) or (
                self._n_outputs() > 1 and (class_weight is not None
                                           or not self._joins_targets(y, sample_weight))):
            return self._on_batch_adapted(what, training, x, y, sample_weight, class_weight,
                                          return_dict)
        xa, ya, swa, out_shape = self._prepare_xy(x, y, sample_weight, what)
        swa = self._with_class_weights(class_weight, ya, swa, what)
        if not self.built:
            self.build((None,) + xa.shape[1:])
        self._ensure_metrics(ya, out_shape)
        # One C call on a Dense stack, the layer path otherwise (the same numbers).
        if training:
            regularization.prepare_streams(self)   # the noise layers' seeds, either path
        plan = engine.plan_for(self, xa, training=training)
        if plan is not None:
            step = plan.train_batch if training else plan.test_batch
        elif training:
            def step(xb, yb, swb):
                with _interrupt.Section():    # a Ctrl-C never splits a step
                    return self._train_step(xb, yb, swb)
        else:
            step = self._test_step
        self._reset_stateful_metrics()     # Keras 3 resets the metrics at every call
        batch_sums = step(xa, ya, swa)
        sums = _Sums(len(self._metrics))   # this batch's own: each call (thread) its own
        sums.add(*batch_sums)
        with self._state_lock:
            return self._results(sums.logs(self), return_dict)

    def _on_batch_adapted(self, what, training, x, y, sample_weight, class_weight,
                          return_dict):
        """*_on_batch for several inputs or outputs (lists or dicts of arrays) or a model
        with a step of its own: the arrays as one batch through the data adapter, then
        the step fit and evaluate run."""
        from fastnn.trainers import data_adapters as da
        if da.is_generator(x) or isinstance(x, da.PyDataset) or da.is_fastnn_dataset(x) \
                or da.is_tf_dataset(x):
            raise TypeError(f"{what}: x must be arrays (a list or dict of arrays for several "
                            f"inputs), got {type(x).__name__}; use fit/evaluate for "
                            f"generators and datasets")
        flat = [v for v in compile_utils.flat_outputs(x) if v is not None]
        n = np.shape(flat[0])[0] if flat and np.ndim(flat[0]) else None
        if not n:
            raise ValueError(f"{what}: x must hold at least one sample, got "
                             f"{type(x).__name__} {_argcheck.shown(x)}")
        # all the rows as one batch: one step (never cut by set_max_steps_per_epoch)
        iterator = self._adapter_for(x, y, sample_weight, int(n), 1, False, class_weight)
        mode = "train" if training else "test"
        logs = {}
        self.reset_metrics()               # Keras 3 resets the metrics at every call
        sums = _Sums(0)
        with hooks_held():
            for _, data, (xb, yb, swb) in self._batches(iterator):
                logs = self._run_step(mode, data, xb, yb, swb, sums)
        if return_dict:
            return dict(logs)
        return self._flatten_logs_in_order(logs)

    @_holding_train_lock
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on the batch (x, y). Returns, as Keras 3 does, the batch's
        loss (and metrics), computed on the outputs before the step; the metrics are reset
        first, at every call.

        Parameters
        ----------
        x : array, list or dict
            One batch of inputs.
        y : array, list or dict, optional
            Its targets.
        sample_weight : array, optional
            A weight per sample (shape ``(samples,)``), or per value for outputs
            with more axes, scaling each sample's loss.
        class_weight : dict, optional
            ``{class index: weight}`` (see ``fit``).
        return_dict : bool
            Whether to return a dict ``{name: value}`` instead of a list. Default
            False.

        Returns
        -------
        float, list or dict
            The batch's loss (and metrics), as ``evaluate`` gives them.
        """
        return self._on_batch("train_on_batch", True, x, y, sample_weight, class_weight,
                              return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of the batch (x, y) in inference mode (the metrics reset
        first, as Keras 3 does).

        Parameters
        ----------
        x : array, list or dict
            One batch of inputs.
        y : array, list or dict, optional
            Its targets.
        sample_weight : array, optional
            A weight per sample (shape ``(samples,)``), or per value for outputs
            with more axes, scaling each sample's loss.
        return_dict : bool
            Whether to return a dict ``{name: value}`` instead of a list. Default
            False.

        Returns
        -------
        float, list or dict
            The batch's loss (and metrics).
        """
        return self._on_batch("test_on_batch", False, x, y, sample_weight, None, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for x, batch by batch, as one NumPy array of the model dtype (a
        list or dict of them for several outputs).

        Parameters
        ----------
        x : array, list, dict, Dataset, PyDataset or generator
            The inputs (see ``fit``).
        batch_size : int, optional
            The number of samples per batch. Default 32. Not given when ``x`` is a
            dataset or generator, which makes its own batches.
        verbose : int or 'auto'
            0: silent; 1: a progress bar; 2: one line per epoch. Default
            ``'auto'``: 1.
        steps : int, optional
            The number of batches to predict when ``x`` is a dataset or generator.
            Default None: until it is exhausted.
        callbacks : list of Callback, optional
            Callbacks called during the run (``fastnn.callbacks``).

        Returns
        -------
        numpy.ndarray, list or dict
            The outputs, a list or dict of arrays for a model with several outputs.
        """
        _threads.follow_env()
        if self._needs_adapter(x, None, steps, "predict"):
            return self._predict_adapted(x, batch_size, verbose, steps, callbacks)
        what = "predict"
        batch_size = _check_int(32 if batch_size is None else batch_size, "batch_size", 1, what)
        verbose = self._verbose(verbose, what)
        self._require_layers(what)
        xa = self._convert_x(x, what)
        if not self.built:       # built from the data, as Keras builds it (new weights)
            with self._train_lock:
                if not self.built:
                    self.build((None,) + xa.shape[1:])
        n = xa.shape[0]
        steps_n = math.ceil(n / batch_size)
        callbacks = _callback_list(callbacks, "callbacks")
        plan = None
        quiet = not callbacks and verbose == 0
        if quiet:
            # nobody to tell (no callbacks, no progress bar): one C call where the model
            # lowers, without the callback list around it
            plan = engine.plan_for(self, xa)
            if plan is not None:
                return plan.predict(xa, batch_size)
        cbl = CallbackList(callbacks, add_progbar=verbose != 0,
                           model=self, verbose=verbose,
                           epochs=1, steps=steps_n, mode="predict")
        cbl.on_predict_begin()
        if not quiet and not engine.user_batch_hooks(cbl, "predict"):   # else a call per batch
            plan = engine.plan_for(self, xa)
        if plan is not None:
            # One C call over every batch; the progress bar is told once at the end.
            out = plan.predict(xa, batch_size)
            cbl.on_predict_batch_end(steps_n - 1, {"outputs": out})
            cbl.on_predict_end()
            return out
        out = None
        parts = []     # the batches' outputs when they are a structure (a subclassed
        spe = self._steps_per_execution      # model's call returning a tuple or dict)
        self.stop_predicting = False
        for b in range(steps_n):
            s = slice(b * batch_size, min(n, (b + 1) * batch_size))
            if b % spe == 0:                      # one call per execution (Keras 3)
                cbl.on_predict_batch_begin(b)
                first = b * batch_size
            ob = self._call_arrays(xa[s], training=False)
            if isinstance(ob, np.ndarray) and not parts:
                if out is None:
                    out = np.empty((n,) + ob.shape[1:], dtype=ob.dtype)
                out[s] = ob
            else:
                parts.append(ob)
            if b + 1 == steps_n or (b + 1) % spe == 0:
                done = out[first:s.stop] if not parts else \
                    _concat_batches(parts[(first // batch_size):])
                cbl.on_predict_batch_end(b - b % spe + spe - 1, {"outputs": done})
                if self.stop_predicting:      # the outputs so far, as Keras returns them
                    out = None if parts else out[:s.stop]
                    break
        cbl.on_predict_end()
        return _concat_batches(parts) if parts else out

    def _call_arrays(self, x, training=False):
        # under a recording GradientTape the layers compute, so that the tape follows
        # the weights (the engine's inference is not recorded)
        plan = None if training or is_recording() else engine.plan_for(self, x)
        if plan is not None:
            return plan.predict(x, min(x.shape[0], 1024))
        return self._forward(x, training)

    def _outputs(self, x, training, what):
        self._require_layers(what)
        # no rows: the outputs' shapes, with no rows, as Keras' model(x) and
        # predict_on_batch give them (the layers compute them; the engine needs rows)
        xa = self._convert_x(x, what, allow_empty=True)
        if xa.shape[0] == 0:
            with self._train_lock:
                if not self.built:
                    self.build((None,) + xa.shape[1:])
                return self._forward(xa, training)
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
        """The outputs for one batch as a NumPy array, as Keras gives them.

        Parameters
        ----------
        x : array, list or dict
            One batch of inputs.

        Returns
        -------
        numpy.ndarray, list or dict
            The outputs.
        """
        if self._needs_adapter(x, None, None, "predict", loop=False):
            # a structure of several inputs or outputs, or a predict_step of the model's
            # own: Keras' predict_step on the one batch
            return self.predict_step((x,))
        return self._outputs(x, False, "predict_on_batch")

    # ------------------------------------------------------------------ any input
    def _n_outputs(self):
        return len(self._out_losses) if self._out_losses else 1

    def _overrides(self, name):
        """Whether the model's class defines its own train_step / test_step /
        predict_step / compute_loss (then fit runs it, batch by batch)."""
        return getattr(type(self), name) is not getattr(Trainer, name)

    def _needs_adapter(self, x, y, steps, mode, loop=True):
        """Whether fit / evaluate / predict take the data through the data adapters
        (structures of several inputs or outputs, generators, datasets, a number of
        steps, a step of the model's own, a cap set by set_max_steps_per_epoch) rather
        than the checked array path. loop=False: a *_on_batch call, which no cap cuts."""
        step = {"train": "train_step", "test": "test_step", "predict": "predict_step"}[mode]
        if not self.built:
            self._build_for_arrays(x)
        if loop and backend.max_steps_per_epoch():
            return True       # keras.config.set_max_steps_per_epoch: the EpochIterator caps
        if steps is not None or self._overrides(step) \
                or (mode != "predict" and self._overrides("compute_loss")):
            return True
        if self._out_losses is None and mode != "predict":
            self._resolve_graph_losses()
        if self._n_outputs() > 1:
            # several outputs: the array path where the engine walks the graph and takes
            # the targets side by side (_joins_targets)
            if not self._chain_outputs() or (mode != "predict" and not self._joins_targets(y)):
                return True
            if self._n_inputs() > 1:
                return not self._joins(x)
            return not isinstance(x, np.ndarray) or self._string_input()
        if self._n_inputs() > 1:     # the array path where the engine joins the inputs
            return not (self._joins(x) and (y is None or isinstance(y, np.ndarray)))
        if self._string_input():
            return True       # Input(dtype="string"): text arrays, not numbers
        if isinstance(x, np.ndarray) and (y is None or isinstance(y, np.ndarray)):
            return False      # arrays, the common case: answered without the adapters
        from fastnn.trainers import data_adapters as da
        for value, n in ((x, self._n_inputs()), (y, self._n_outputs())):
            if value is None:
                continue
            if isinstance(value, dict) or da.is_generator(value) \
                    or isinstance(value, da.PyDataset) or da.is_fastnn_dataset(value) \
                    or da.is_tf_dataset(value):
                return True
            if isinstance(value, (list, tuple)) and not self._takes_array() and value and (
                    n > 1 or all(isinstance(v, (np.ndarray, dict)) for v in value)):
                return True     # a structure of arrays, not one array as nested lists
        return False

    def _adapter_for(self, x, y, sample_weight, batch_size, steps, shuffle, class_weight):
        from fastnn.trainers.data_adapters.epoch_iterator import EpochIterator
        return EpochIterator(x, y, sample_weight, batch_size=batch_size,
                             steps_per_epoch=steps, shuffle=shuffle, class_weight=class_weight,
                             float_dtype=self.dtype,
                             steps_per_execution=self._steps_per_execution)

    def _executions(self, iterator):
        """(begin step, end step, [(data, (x, y, sample_weight)) ...]) for each execution
        of one epoch: compile's steps_per_execution batches, whose callbacks Keras 3
        calls once, with batch indices begin and begin + steps_per_execution - 1."""
        from fastnn.trainers.data_adapters import unpack_x_y_sample_weight
        for begin, end, batches in iterator:
            yield begin, end, [(data, unpack_x_y_sample_weight(data)) for data in batches]

    def _batches(self, iterator):
        """(step, (x, y, sample_weight)) for each batch of one epoch."""
        from fastnn.trainers.data_adapters import unpack_x_y_sample_weight
        for step, _, batches in iterator:
            for data in batches:
                yield step, data, unpack_x_y_sample_weight(data)

    def _run_step(self, mode, data, x, y, sw, sums):
        """One batch of fit (mode 'train') or evaluate ('test'): the model's own
        train_step / test_step when it has one (its returned logs), else the built-in
        step, whose sums join `sums` (the logs made from them)."""
        if self._overrides(f"{mode}_step") or self._overrides("compute_loss"):
            out = getattr(self, f"{mode}_step")(data)
            return _float_logs(out)
        x = self._one_input(x)
        if not self.built:
            self._build_from(x)
        chain = self._flat_chain()
        if chain is None and engine.ENABLED:
            self._engine.why = engine.NOT_A_CHAIN     # (the layer path: say why)
        elif chain is not None and (not isinstance(x, (list, tuple, dict))
                                               or self._joins(x)) \
                and (self._n_outputs() == 1 or self._joins_targets(y, sw)):
            # one C call per batch where the model lowers
            xa, ya, swa, out_shape = self._prepare_xy(x, y, sw, "fit" if mode == "train"
                                                      else "evaluate")
            self._ensure_metrics(ya, out_shape)
            if mode == "train":
                regularization.prepare_streams(self)   # the noise layers' seeds
            plan = engine.plan_for(self, xa, training=mode == "train")
            if plan is not None:
                step = plan.train_batch if mode == "train" else plan.test_batch
                sums.add(*step(xa, ya, swa))
                return sums.logs(self)
            x, y, sw = xa, ya, swa
        if mode == "train":
            with _interrupt.Section():    # a Ctrl-C never splits a step
                sums.add(*self._train_step(x, y, sw))
        else:
            sums.add(*self._test_step(x, y, sw))
        return sums.logs(self)

    def _one_input(self, x):
        """A batch's inputs for a model that takes one array: a dict or list holding one
        array gives it; more is refused by name."""
        if not self._takes_array() or not isinstance(x, (dict, list, tuple)):
            return x
        values = list(x.values()) if isinstance(x, dict) else list(x)
        if isinstance(x, dict) or (values and all(isinstance(v, np.ndarray) for v in values)):
            if len(values) != 1:
                given = sorted(x) if isinstance(x, dict) else f"{len(values)} arrays"
                raise ValueError(f"{self.name}: the model takes one array of inputs, got "
                                 f"{type(x).__name__} {given}")
            return values[0]
        return x

    def _build_for_arrays(self, x):
        """Build the model for its input arrays before their path is chosen (see
        Model._build_for_arrays); nothing for most models."""

    def _build_from(self, x):
        """Build a model that has no weights yet from its first batch."""
        shapes = [np.shape(v) for v in compile_utils.flat_outputs(x)]
        if len(shapes) == 1:
            self.build((None,) + tuple(shapes[0][1:]))
        else:
            Layer.__call__(self, x, training=False)
            self.built = True

    def _finalize_optimizer(self, epochs):
        """Keras' end of fit: the optimizer's finalize_variable_values on the trainable
        weights (with use_ema=True they take their moving averages), when fit had epochs
        to run and the optimizer took a step."""
        opt = self.optimizer
        if epochs > 0 and opt is not None and opt.built and getattr(opt, "use_ema", False):
            opt.finalize_variable_values([w for w in self.trainable_weights if opt.knows([w])])

    def _begin_training(self, cbl, initial_epoch):
        """on_train_begin, then the epoch fit starts from: `initial_epoch`, or the one a
        callback restored (BackupAndRestore sets model._initial_epoch, as in Keras)."""
        self._initial_epoch = None
        cbl.on_train_begin()
        restored, self._initial_epoch = self._initial_epoch, None
        return initial_epoch if restored is None else restored

    def _fit_adapted(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                     validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                     steps_per_epoch, validation_steps, validation_batch_size,
                     validation_freq):
        from fastnn.trainers import data_adapters as da
        what = "fit"
        self._require_compiled(what)
        epochs = _check_int(epochs, "epochs", 0, what)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", 0, what)
        verbose = self._verbose(verbose, what)
        vfreq = _check_int(validation_freq, "validation_freq", 1, what)
        callbacks = _callback_list(callbacks, what)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"{what}: callbacks must be fastnn Callback objects, got {cb!r}")
        if validation_split and validation_data is None:
            if da.is_generator(x) or isinstance(x, da.PyDataset) or da.is_fastnn_dataset(x):
                raise ValueError(f"{what}: validation_split is only supported for arrays, "
                                 f"got x as {type(x).__name__}; pass validation_data")
            (x, y, sample_weight), validation_data = da.train_validation_split(
                (x, y, sample_weight), validation_split=validation_split)
        iterator = self._adapter_for(x, y, sample_weight, batch_size, steps_per_epoch,
                                     shuffle, class_weight)
        val_iter = None
        if validation_data is not None:
            vx, vy, vsw = da.unpack_x_y_sample_weight(validation_data) \
                if isinstance(validation_data, (list, tuple)) else (validation_data, None, None)
            val_iter = self._adapter_for(vx, vy, vsw, validation_batch_size or batch_size,
                                         validation_steps, False, None)
        self._on_batch_sums = None
        cbl = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=iterator.num_batches,
                           batch_size=batch_size, mode="fit")
        history = cbl.history
        history.history = {}
        self.history = history
        self.stop_training = False
        initial_epoch = self._begin_training(cbl, initial_epoch)
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbl.on_epoch_begin(epoch)
            sums = _Sums(0)
            with hooks_held():     # one tape a step: the autodiff hooks stay on meanwhile
                for begin, end, batches in self._executions(iterator):
                    cbl.on_train_batch_begin(begin)
                    for data, (xb, yb, swb) in batches:
                        logs = self._run_step("train", data, xb, yb, swb, sums)
                    cbl.on_train_batch_end(end, logs)
                    if self.stop_training:
                        break
            logs = dict(logs)
            if val_iter is not None and (epoch + 1 - initial_epoch) % vfreq == 0:
                cbl.on_test_begin()
                vlogs = self._evaluate_iter(val_iter, cbl)
                cbl.on_test_end(vlogs)
                logs = engine.with_val_logs(logs, vlogs)
            cbl.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self._finalize_optimizer(epochs)
        cbl.on_train_end(logs)
        return history

    def _evaluate_iter(self, iterator, cbl):
        # each evaluation from the data's start (Keras' evaluate resets its iterator:
        # a validation of validation_steps batches reads the same batches every epoch)
        iterator.reset()
        self.reset_metrics()
        sums = _Sums(0)
        logs = {}
        self.stop_evaluating = False
        for begin, end, batches in self._executions(iterator):
            cbl.on_test_batch_begin(begin)
            for data, (xb, yb, swb) in batches:
                logs = self._run_step("test", data, xb, yb, swb, sums)
            cbl.on_test_batch_end(end, logs)
            if self.stop_evaluating:
                break
        return dict(logs)

    def _evaluate_adapted(self, x, y, batch_size, verbose, sample_weight, steps, callbacks,
                          return_dict):
        what = "evaluate"
        self._require_compiled(what)
        verbose = self._verbose(verbose, what)
        iterator = self._adapter_for(x, y, sample_weight, batch_size, steps, False, None)
        self._on_batch_sums = None
        cbl = CallbackList(_callback_list(callbacks, "callbacks"), add_progbar=verbose != 0,
                           model=self, verbose=verbose,
                           epochs=1, steps=iterator.num_batches, mode="evaluate")
        cbl.on_test_begin()
        logs = self._evaluate_iter(iterator, cbl)
        cbl.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_logs_in_order(logs)

    def _predict_adapted(self, x, batch_size, verbose, steps, callbacks):
        from fastnn.trainers import data_adapters as da
        verbose = self._verbose(verbose, "predict")
        iterator = self._adapter_for(x, None, None, batch_size, steps, False, None)
        cbl = CallbackList(_callback_list(callbacks, "callbacks"), add_progbar=verbose != 0,
                           model=self, verbose=verbose,
                           epochs=1, steps=iterator.num_batches, mode="predict")
        cbl.on_predict_begin()
        outs = []
        self.stop_predicting = False
        for begin, end, batches in iterator:
            cbl.on_predict_batch_begin(begin)
            for data in batches:
                xb, _, _ = da.unpack_x_y_sample_weight(data)
                xb = self._one_input(xb)
                if not self.built:
                    self._build_from(xb)
                out = self.predict_step((xb,)) if not self._overrides("predict_step") \
                    else self.predict_step(data)
                outs.append(out)
            cbl.on_predict_batch_end(end, {"outputs": out})
            if self.stop_predicting:
                break
        cbl.on_predict_end()
        if not outs:
            raise ValueError("predict: the input gave no batches")
        return _concat_batches(outs)

    # ------------------------------------------------------------------ Keras' step API
    def train_step(self, data):
        """One training step on a batch, data = (x, y) or (x, y, sample_weight) (Keras
        3's hook: override it to customise fit; the default runs the model under a
        GradientTape, compute_loss, and the optimizer). Returns the metrics' results."""
        from fastnn.trainers.data_adapters import unpack_x_y_sample_weight
        x, y, sw = unpack_x_y_sample_weight(data)
        if self._overrides("compute_loss"):
            variables = self.trainable_weights
            with GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self._call_compute_loss(x, y, y_pred, sw, True)
                scale_loss = getattr(self.optimizer, "scale_loss", None)
                scaled = loss if scale_loss is None else scale_loss(loss)
            self._apply(tape.gradient(scaled, variables), variables)
            return self._running_add(_batch_size_of(x), float(loss), x, y, y_pred)
        return self._running_step(self._train_step, x, y, sw)

    def test_step(self, data):
        """One evaluation step on a batch (Keras 3's hook); returns the metrics' results."""
        from fastnn.trainers.data_adapters import unpack_x_y_sample_weight
        x, y, sw = unpack_x_y_sample_weight(data)
        if self._overrides("compute_loss"):
            y_pred = self(x, training=False)
            loss = self._call_compute_loss(x, y, y_pred, sw, False)
            return self._running_add(_batch_size_of(x), float(loss), x, y, y_pred)
        return self._running_step(self._test_step, x, y, sw)

    def _call_compute_loss(self, x, y, y_pred, sw, training):
        """The model's compute_loss, given `training` only where its signature takes it
        (Keras 3 still calls overrides written before the argument existed)."""
        import inspect
        try:
            params = inspect.signature(self.compute_loss).parameters
            takes = "training" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            takes = True
        kw = {"training": training} if takes else {}
        return self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, **kw)

    def predict_step(self, data):
        """The model's outputs for a batch (Keras 3's hook)."""
        from fastnn.trainers.data_adapters import unpack_x_y_sample_weight
        x, _, _ = unpack_x_y_sample_weight(data)
        out = self(x, training=False)
        return _to_numpy(out)

    def _running_step(self, step, x, y, sw):
        if not self.built:
            self._build_from(x)
        sums = step(x, y, sw)
        with self._state_lock:
            if self._on_batch_sums is None:
                self._on_batch_sums = _Sums(len(self._metrics))
            self._on_batch_sums.add(*sums)
            return self._on_batch_sums.logs(self)

    def _running_add(self, n, loss, x, y, y_pred):
        each, seen = self.__dict__.pop("_last_losses", (None, None))
        k = len(self._out_losses) if self._out_losses else self._n_outputs()
        if each is None or len(each) != k:
            each = [loss] * k
        elif len(compile_utils.flat_outputs(seen)) != len(compile_utils.flat_outputs(y_pred)):
            y_pred = seen      # compute_loss restructured the outputs: its structure
        if self._metrics is None:
            self._ensure_metrics_for(y, y_pred)
        _, _, msums = self._step_sums(x, y, y_pred, loss, each)
        with self._state_lock:
            if self._on_batch_sums is None:
                self._on_batch_sums = _Sums(len(self._metrics))
            self._on_batch_sums.add(n, loss * n, msums)
            return self._on_batch_sums.logs(self)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The loss Keras 3's train_step minimises: the compiled loss of (y, y_pred)
        plus every regularization and add_loss term (model.losses), as a scalar a
        GradientTape follows."""
        total, each = self._total_loss(y, y_pred, sample_weight)
        # the per-output losses the step logs, and the outputs they were computed on
        self.__dict__["_last_losses"] = (each, y_pred)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; returns get_metrics_result()."""
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    @property
    def compiled_loss(self):
        """compiled_loss(y_true, y_pred, sample_weight=None, regularization_losses=None):
        the compiled loss (Keras 2's name, for custom train_step code)."""
        return compile_utils.CompiledLoss(self)

    @property
    def compiled_metrics(self):
        """The compiled metrics as one object with update_state(y_true, y_pred),
        result() and reset_state() (Keras 2's name, for custom train_step code)."""
        return compile_utils.CompiledMetrics(self)

    @property
    def metrics(self):
        """The loss tracker (a Mean named 'loss') and the compiled metrics (as one
        object, 'compile_metrics'), as Keras 3 lists them; a model may define its own."""
        own = self._tracked_metrics()
        return ([self._loss_tracker, self.compiled_metrics] if self.compiled else []) + own

    @property
    def metrics_variables(self):
        """The state variables of every metric in model.metrics (the loss tracker's,
        the compiled metrics', the model's own), in that order."""
        return [v for m in self.metrics for v in m.variables]

    def get_metrics_result(self):
        """{name: result} of model.metrics, compile_metrics flattened to each metric."""
        out = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update({k: _log_value(v) for k, v in r.items()})
            else:
                out[m.name] = _log_value(r)
        return out
