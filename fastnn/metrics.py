"""Metrics (keras.metrics): stateful mean-type objects with update_state/result/reset_state.

Most metrics here are running means, so their state is (total, count); `batch_sums`
gives one batch's contribution and `update_sums` adds it. The training loop uses that
pair so a fused engine can hand back sums without per-sample Python. The confusion-matrix
metrics (TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall)
keep Keras' own state instead: count variables per threshold, updated by update_state;
so do AUC and PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity and
SpecificityAtSensitivity, which count with the same helper (_ConfusionMatrixMetric).

Keras' MeanMetricWrapper family (Accuracy, MeanMetricWrapper(fn), the cross-entropies,
KLDivergence, Poisson, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
CosineSimilarity, LogCoshError, Hinge, SquaredHinge, CategoricalHinge) computes per-sample
values in NumPy, in y_pred's float dtype as Keras does (float32 unless float64), and sums
them as (total, count) as above, with Keras' reduction of values and sample weights to one
per sample (reduce_to_samplewise_values). Sum, R2Score, FBetaScore and F1Score keep their
own state. None of these has a C kernel: a model compiled with them trains on the layer
path (the engine refuses a metric class it does not know).

The older metrics (Mean, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
RootMeanSquaredError) reduce values and weights the same way (their count is the number of
samples, the sum of their weights), in float64, and keep total / count in Variables.
"""
import math
import numbers

import numpy as np
from fastnn import _argcheck, _registry
from fastnn.tensor import Scalar as _Scalar


def _values_array(x, name, owner):
    """x as float64 for a metric's arithmetic (TypeError unless real numbers)."""
    return _argcheck.float_array(x, name, owner, dtype=np.float64)


def _weights_for(sample_weight, n, owner):
    """sample_weight as n float64 weights: one per value, or one for all; finite."""
    sw = _values_array(sample_weight, "sample_weight", owner)
    if sw.size == 1:
        sw = np.full(n, sw.reshape(())[()])
    elif sw.size == n and (sw.ndim <= 1 or sw.shape[1:] == (1,) * (sw.ndim - 1)):
        sw = sw.reshape(n)
    else:
        raise ValueError(f"{owner}: sample_weight must hold one weight per sample ({n}) or "
                         f"one for all, got shape {sw.shape}")
    return _argcheck.finite_array(sw, "sample_weight", owner)


class Metric:
    """keras.metrics.Metric: the base class of the metrics. A metric keeps a state (its
    variables) that ``update_state(y_true, y_pred, sample_weight=None)`` accumulates batch
    after batch; ``result()`` computes the value from the state and ``reset_state()`` starts
    over. Calling the metric, ``metric(y_true, y_pred)``, updates the state and returns the
    result. A subclass makes its variables with ``add_variable`` (or ``add_weight``) in
    ``__init__`` and defines ``update_state`` and ``result``.

    Parameters
    ----------
    name : str, optional
        The metric's name, the key of its value in the logs of ``fit`` and
        ``evaluate``. Default: the metric's snake-case name (e.g.
        ``'binary_accuracy'``).
    dtype : str, optional
        The NumPy dtype the metric reports in its config (Keras' compute dtype).
        Default None: float32.
    """
    def __init__(self, name=None, dtype=None):
        owner = type(self).__name__
        self.name = _argcheck.string(name, "name", owner, allow_none=True) or self._default_name
        if dtype is not None:
            try:
                np.dtype(dtype)
            except TypeError:
                raise TypeError(f"{owner}: dtype must be None or a NumPy dtype such as "
                                f"'float32', got {_argcheck.shown(dtype)}") from None
        self.dtype = dtype
        self._variables = []
        if type(self).reset_state is Metric.reset_state:
            self.reset_state()

    _default_name = "metric"

    def __call__(self, *args, **kwargs):
        """metric(y_true, y_pred) (a Mean: metric(values)): update the state with a batch
        and return the result, as Keras' metrics do."""
        self.update_state(*args, **kwargs)
        return self.result()

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, **kwargs):
        """A state variable of the metric (keras.metrics.Metric.add_weight): a Variable
        (with .assign / .assign_add) that reset_state sets back to its initial value.

        Parameters
        ----------
        name : str, optional
            The variable's name.
        shape : tuple of int
            Its shape. Default ``()``, a scalar.
        initializer : str or Initializer
            Its initial value (and the value ``reset_state`` sets). Default
            ``'zeros'``.
        dtype : str, optional
            Its dtype. Default: the metric's, float32.

        Returns
        -------
        Variable
            The new state variable.
        """
        from fastnn import initializers
        from fastnn.tensor import Variable
        init = initializers.get(initializer)
        value = np.asarray(init(tuple(shape), dtype=dtype or "float32"))
        var = Variable(value, trainable=False, name=name, dtype=value.dtype)
        self._variables.append((var, value.copy()))
        return var

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A state variable of the metric: Keras 3's form of ``add_weight``, with the
        shape and the initializer first.

        Parameters
        ----------
        shape : tuple of int
            Its shape; ``()`` for a scalar.
        initializer : str or Initializer
            Its initial value (and the value ``reset_state`` sets), e.g. ``'zeros'``.
        dtype : str, optional
            Its dtype. Default float32.
        aggregation : str
            Accepted for Keras' signature (how distributed replicas combine it); fastnn
            runs on one machine.
        name : str, optional
            The variable's name.

        Returns
        -------
        Variable
            The new state variable.
        """
        return self.add_weight(name=name, shape=shape, initializer=initializer, dtype=dtype)

    @property
    def variables(self):
        return [v for v, _ in getattr(self, "_variables", [])]

    def reset_state(self):
        """Set the state back to its initial values (fit and evaluate call this at the start of
        every epoch)."""
        self.total = 0.0
        self.count = 0.0
        self._reset_variables()

    reset_states = reset_state

    def _reset_variables(self):
        """Every state variable back to its initial value, in place. The initial values
        are the metric's own copies, made when each variable was added, so they are
        written without assign()'s checks (reset_state runs at every fit,
        train_on_batch and evaluate call)."""
        for var, initial in self.__dict__.get("_variables", ()):
            if initial.ndim:
                np.copyto(var.view(np.ndarray), initial)
            else:       # a total or a count: np.ndarray's own fill, no view made
                _fill(var, initial)

    def batch_sums(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(self._values(y_true, y_pred), dtype=np.float64).reshape(-1)
        if sample_weight is None:
            return float(values.sum()), float(values.size)
        sw = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        return float((values * sw).sum()), float(sw.sum())

    def update_sums(self, total, count):
        self.total += total
        self.count += count

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the statistics of one batch into the metric's state.

        Parameters
        ----------
        y_true : array-like
            The labels (or targets) of the batch.
        y_pred : array-like
            The predictions, of the labels' shape (or with a last axis of 1 more or
            less).
        sample_weight : array-like, optional
            A weight per sample (or per value). Default None: all 1.
        """
        owner = f"{type(self).__name__}.update_state"
        y_true = _values_array(y_true, "y_true", owner)
        y_pred = _values_array(y_pred, "y_pred", owner)
        self._check_shapes(y_true, y_pred, owner)
        if sample_weight is not None:
            n = np.asarray(self._values(y_true, y_pred)).size
            sample_weight = _weights_for(sample_weight, n, owner)
        self.update_sums(*self.batch_sums(y_true, y_pred, sample_weight))

    def _check_shapes(self, y_true, y_pred, owner):
        """y_true against y_pred: the same shape once ranks match (Keras' squeeze or
        expand of a last axis of 1)."""
        t, p = _match_rank(y_true, y_pred)
        if t.shape != p.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {y_pred.shape} "
                             f"(or lack its last axis of 1), got {y_true.shape}")

    def result(self):
        """The metric's value from the state accumulated since the last reset.

        Returns
        -------
        float
            The value (a float with ``.numpy()``; an array for metrics with several
            thresholds or classes).
        """
        return _Scalar(self.total / self.count if self.count else 0.0)

    def _values(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            shown = _shown_result(self.result())
        except Exception:            # a metric that cannot give a result yet (repr never fails)
            return f"<{type(self).__name__} name={self.name!r}>"
        return f"<{type(self).__name__} name={self.name!r} result={shown}>"


def _shown_result(r):
    """A metric's result for repr: a number to 4 decimals, an array or a dict of them."""
    if isinstance(r, dict):
        return "{" + ", ".join(f"{k!r}: {_shown_result(v)}" for k, v in r.items()) + "}"
    a = np.asarray(r)
    if a.ndim == 0 and a.dtype.kind in "fiub":
        return f"{float(a):.4f}"
    return np.array2string(a, precision=4) if a.dtype.kind in "fiub" else repr(r)


_EPS = 1e-7      # keras.backend.epsilon()


def _samplewise(values, sample_weight, reduce_fn, owner):
    """Keras' reduce_to_samplewise_values: (values reduced to one per sample and
    weighted, the weights reduced to one per sample, or None)."""
    values = np.asarray(values, np.float64)
    sw = None
    if sample_weight is not None:
        sw = np.asarray(sample_weight, np.float64)
        values, sw = _same_rank(values, sw)
        wn, vn = sw.ndim, values.ndim
        if vn > wn:
            values = reduce_fn(values, axis=tuple(range(wn, vn)))
        try:
            sw = np.broadcast_to(sw, values.shape)
        except ValueError:
            raise ValueError(f"{owner}: sample_weight must broadcast to the per-sample values "
                             f"{values.shape} (one weight per sample, per value, or one for "
                             f"all), got shape {np.shape(sample_weight)}") from None
        values = values * sw
        if wn > 1:
            sw = reduce_fn(sw, axis=tuple(range(1, wn)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sw


def _pair(y_true, y_pred):
    """(y_true, y_pred) as Keras' metric functions take them: y_pred a float array
    (float32 and float64 kept, anything else float32), y_true in y_pred's dtype, their
    ranks matched (Keras' squeeze_or_expand_to_same_rank)."""
    yp = _argcheck.float_array(y_pred, "y_pred")
    yt = _argcheck.real_array(y_true, "y_true")
    with np.errstate(over="ignore", invalid="ignore"):
        yt = yt.astype(yp.dtype)
    return _same_rank(yt, yp)


def _log_value(value):
    """A metric's result as a log value: a float, or a NumPy array (a copy) for a metric
    with one value per class or threshold (F1Score(average=None), ...), which Keras
    logs as an array."""
    if isinstance(value, float):     # most metrics' result (a Scalar): no array made
        return float(value)
    a = np.asarray(value)
    return float(a) if a.ndim == 0 else np.array(a)


def _dtype_name(dtype):
    return np.dtype(dtype if dtype is not None else "float32").name


class _VariableState:
    """total (and count) kept in Variables (float64), as Keras' reduction metrics keep
    theirs, so that metric.variables lists them; read and set as floats."""

    def _state(self, name):
        var = self.__dict__.get("_var_" + name)
        if var is None:
            from fastnn.tensor import Variable
            zero = np.zeros((), np.float64)
            var = Variable(zero.copy(), trainable=False, name=name, dtype=np.float64)
            self.__dict__["_var_" + name] = var
            if "_variables" not in self.__dict__:
                self._variables = []
            self._variables.append((var, zero))
        return var

    # The properties read and write the Variables as plain arrays (np.ndarray's own item
    # and fill: what .view(np.ndarray) gives, without making the view): the engine's
    # loops set total and count of every metric at every call.
    @property
    def total(self):
        return _item(self._state("total"))

    @total.setter
    def total(self, value):
        # in place: the training loops may hand back NaN sums (a diverged batch), which
        # Variable.assign refuses
        _fill(self._state("total"), value)

    @property
    def _dtype(self):
        return _dtype_name(self.dtype)


class _VariableCount(_VariableState):
    @property
    def count(self):
        return _item(self._state("count"))

    @count.setter
    def count(self, value):
        _fill(self._state("count"), value)


_item, _fill = np.ndarray.item, np.ndarray.fill


def _with_mask(sample_weight, y_pred):
    """Keras' MeanMetricWrapper on an output with a mask (an Embedding's mask_zero, a
    Masking layer): the masked entries weigh 0 (apply_mask with reduction "sum")."""
    from fastnn.tensor import get_keras_mask
    mask = get_keras_mask(y_pred)
    if mask is None:
        return sample_weight
    m = mask.astype(np.float64)
    if sample_weight is None:
        return m
    w = np.asarray(sample_weight, np.float64)
    if w.ndim < m.ndim:
        w = w.reshape(w.shape + (1,) * (m.ndim - w.ndim))
    return w * m


class _MeanOfValues(_VariableCount, Metric):
    """The mean over samples of per-sample values computed from (y_true, y_pred), as
    Keras' MeanMetricWrapper: values of more than one axis are averaged to one per
    sample, and the count is the number of samples (the sum of their weights)."""

    def batch_sums(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        values, sw = _samplewise(self._values(y_true, y_pred), sample_weight, np.mean, owner)
        if sw is not None:
            count = float(np.sum(sw))
        else:
            count = float(values.shape[0]) if values.ndim >= 1 else 1.0
        return float(np.sum(values)), count

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        masked = y_pred
        y_true = _argcheck.float_array(y_true, "y_true", owner)
        y_pred = _argcheck.float_array(y_pred, "y_pred", owner)
        self._check_shapes(y_true, y_pred, owner)
        if sample_weight is not None:
            sample_weight = _argcheck.finite_array(
                _values_array(sample_weight, "sample_weight", owner), "sample_weight", owner)
        sample_weight = _with_mask(sample_weight, masked)
        self.update_sums(*self.batch_sums(y_true, y_pred, sample_weight))

    def get_config(self):
        return {"name": self.name, "dtype": _dtype_name(self.dtype)}


class Mean(_VariableCount, Metric):
    """keras.metrics.Mean(name='mean', dtype=None): the weighted mean of the values passed
    to update_state(values, sample_weight=None). As Keras' Mean, values and weights of more
    than one axis are reduced to one per sample (reduce_to_samplewise_values, with a
    mean), and the count is the number of samples (the sum of their weights)."""
    _default_name = "mean"

    def update_state(self, values, sample_weight=None):
        owner = "Mean.update_state"
        v = _values_array(values, "values", owner)
        if sample_weight is not None:
            sample_weight = _argcheck.finite_array(
                _values_array(sample_weight, "sample_weight", owner), "sample_weight", owner)
        if v.size == 0:     # nothing to add (Keras' mean of no values times a scalar
            return          # weight would make the result NaN)
        v, sw = _samplewise(v, sample_weight, np.mean, owner)
        if sw is not None:
            count = float(np.sum(sw))
        else:
            count = float(v.shape[0]) if v.ndim >= 1 else 1.0
        self.update_sums(float(np.sum(v)), count)

    def get_config(self):
        return {"name": self.name, "dtype": _dtype_name(self.dtype)}


class _WrappedMean(_MeanOfValues):
    """A metric Keras builds as a MeanMetricWrapper of its function: per-sample (or
    per-value) values reduced as Keras' reduce_to_samplewise_values does, so that
    sample_weight may hold one weight per sample, per value, or broadcast to them. y_true
    and y_pred are taken as float64 (class indices stay exact)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        masked = y_pred
        y_true = _values_array(y_true, "y_true", owner)
        y_pred = _values_array(y_pred, "y_pred", owner)
        self._check_shapes(y_true, y_pred, owner)
        if sample_weight is not None:
            sample_weight = _argcheck.finite_array(
                _values_array(sample_weight, "sample_weight", owner), "sample_weight", owner)
        sample_weight = _with_mask(sample_weight, masked)
        self.update_sums(*self.batch_sums(y_true, y_pred, sample_weight))


def _squeeze_labels(y_true, y_pred):
    y_true = np.asarray(y_true)
    if y_true.ndim == np.ndim(y_pred) and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return y_true


def _match_rank(y_true, y_pred):
    # Keras' squeeze_or_expand_to_same_rank: (N,) labels against (N, k) outputs broadcast.
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


class BinaryAccuracy(_WrappedMean):
    """keras.metrics.BinaryAccuracy(name='binary_accuracy', dtype=None, threshold=0.5):
    per value, 1.0 where y_true equals (y_pred > threshold), as Keras' binary_accuracy.

    Parameters
    ----------
    threshold : float
        A prediction above it counts as 1, else 0. Default 0.5.
    """
    _default_name = "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        # Keras: a threshold in (0, 1)
        self.threshold = _argcheck.real(threshold, "threshold", "BinaryAccuracy", lo=0, hi=1,
                                        lo_open=True, hi_open=True)
        super().__init__(name, dtype)

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        return (y_true == (y_pred > self.threshold)).astype(np.float64)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


def _check_classes(y_pred, owner):
    """y_pred of an accuracy over classes: a last axis of classes, at least one when there
    are rows to take the argmax of."""
    if y_pred.ndim == 0 or (y_pred.shape[-1] == 0 and math.prod(y_pred.shape[:-1]) > 0):
        raise ValueError(f"{owner}: y_pred must have a last axis of class scores (at least "
                         f"one class), got shape {y_pred.shape}")


def _check_label_values(labels, owner):
    if labels.size and not (np.isfinite(labels).all() and np.abs(labels).max() < 2 ** 62):
        raise ValueError(f"{owner}: y_true must hold class indices (finite integers), "
                         f"got values such as {labels[~np.isfinite(labels) | (np.abs(labels) >= 2 ** 62)][0]}")


def _check_sparse_labels(y_true, y_pred, owner):
    """One class index per row of y_pred: shape y_pred.shape[:-1], or that and an axis of 1."""
    _check_classes(y_pred, owner)
    labels = _squeeze_labels(y_true, y_pred)
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"{owner}: y_true must hold one class index per row of y_pred "
                         f"{y_pred.shape}, shape {y_pred.shape[:-1]} or "
                         f"{y_pred.shape[:-1] + (1,)}, got {y_true.shape}")
    _check_label_values(labels, owner)


def _sparse_categorical_accuracy(y_true, y_pred):
    """Keras' sparse_categorical_accuracy: 1.0 where the argmax of y_pred equals the label;
    a last axis of 1 of y_true (of y_pred's rank) is squeezed, the labels broadcast against
    the argmax, and the matches take y_true's shape back where they can."""
    y_pred = np.asarray(y_pred, np.float64)
    y_true = np.asarray(y_true, np.float64)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
        reshape = True
    matches = (np.argmax(y_pred, axis=-1).astype(np.float64) == y_true).astype(np.float64)
    if reshape and matches.size == math.prod(org_shape):
        matches = matches.reshape(org_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


class SparseCategoricalAccuracy(_WrappedMean):
    """keras.metrics.SparseCategoricalAccuracy(name='sparse_categorical_accuracy', dtype=None):
    how often the argmax of the prediction is the integer label."""
    _default_name = "sparse_categorical_accuracy"

    def _check_shapes(self, y_true, y_pred, owner):
        # Keras broadcasts the labels (a last axis of 1 squeezed) against argmax(y_pred)
        _check_classes(y_pred, owner)
        labels = _squeeze_labels(y_true, y_pred)
        try:
            np.broadcast_shapes(labels.shape, y_pred.shape[:-1])
        except ValueError:
            raise ValueError(f"{owner}: y_true must hold one class index per row of y_pred "
                             f"{y_pred.shape}, shape {y_pred.shape[:-1]} or "
                             f"{y_pred.shape[:-1] + (1,)}, got {y_true.shape}") from None
        _check_label_values(labels, owner)

    def _values(self, y_true, y_pred):
        return _sparse_categorical_accuracy(y_true, y_pred)


class CategoricalAccuracy(_WrappedMean):
    """keras.metrics.CategoricalAccuracy(name='categorical_accuracy', dtype=None): how often
    the argmax of the prediction is the argmax of the one-hot label."""
    _default_name = "categorical_accuracy"

    def _check_shapes(self, y_true, y_pred, owner):
        _check_classes(y_pred, owner)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {y_pred.shape} "
                             f"(one-hot rows), got {y_true.shape}")

    def _values(self, y_true, y_pred):
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


class MeanSquaredError(_WrappedMean):
    """keras.metrics.MeanSquaredError(name='mean_squared_error', dtype=None): the mean of
    ``(y_true - y_pred) ** 2``."""
    _default_name = "mean_squared_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        d = y_pred - y_true
        return (d * d).mean(axis=-1)


class MeanAbsoluteError(_WrappedMean):
    """keras.metrics.MeanAbsoluteError(name='mean_absolute_error', dtype=None): the mean of
    ``abs(y_true - y_pred)``."""
    _default_name = "mean_absolute_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        return np.abs(y_pred - y_true).mean(axis=-1)


class RootMeanSquaredError(_WrappedMean):
    """keras.metrics.RootMeanSquaredError: sqrt of Keras' Mean of the squared errors (not
    the mean of per-batch roots); the squares are reduced to one per sample as Mean does."""
    _default_name = "root_mean_squared_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        return np.square(y_pred - y_true)

    def result(self):
        return _Scalar(math.sqrt(self.total / self.count) if self.count else 0.0)


class TopKCategoricalAccuracy(_WrappedMean):
    """keras.metrics.TopKCategoricalAccuracy: whether the true class (one-hot y_true) is
    among the k highest outputs.

    Parameters
    ----------
    k : int
        How many of the highest outputs are looked at. Default 5.
    """
    _default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None, dtype=None):
        self.k = _argcheck.integer(k, "k", type(self).__name__, lo=1)
        super().__init__(name=name, dtype=dtype)

    def _label(self, y_true, y_pred):
        return np.argmax(np.asarray(y_true), axis=-1)

    def _values(self, y_true, y_pred):
        p = np.asarray(y_pred, np.float64)
        label = self._label(y_true, p)
        true_score = np.take_along_axis(p, label[..., None].astype(np.intp), axis=-1)
        # Keras' in_top_k: ties with the k-th score count as in the top k
        return (np.sum(p > true_score, axis=-1) < self.k).astype(np.float64)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """keras.metrics.SparseTopKCategoricalAccuracy(k=5, name=..., dtype=None,
    from_sorted_ids=False): integer labels; with from_sorted_ids, y_pred holds class ids
    sorted from the highest score down, and a label counts when among the first k.

    Parameters
    ----------
    k : int
        How many of the highest outputs are looked at. Default 5.
    from_sorted_ids : bool
        Whether ``y_pred`` holds class ids sorted from the highest score down, instead
        of scores. Default False.
    """
    _default_name = "sparse_top_k_categorical_accuracy"

    def __init__(self, k=5, name=None, dtype=None, from_sorted_ids=False):
        self.from_sorted_ids = _argcheck.boolean(
            from_sorted_ids, "from_sorted_ids", "SparseTopKCategoricalAccuracy")
        super().__init__(k=k, name=name, dtype=dtype)

    def _label(self, y_true, y_pred):
        return _squeeze_labels(y_true, y_pred).astype(np.int64)

    def _values(self, y_true, y_pred):
        if not self.from_sorted_ids:
            return super()._values(y_true, y_pred)
        ids = np.asarray(y_pred, np.float64)
        label = _squeeze_labels(np.asarray(y_true, np.float64), ids)
        return np.any(ids[..., :self.k] == label[..., None], axis=-1).astype(np.float64)

    def get_config(self):
        return {**super().get_config(), "from_sorted_ids": self.from_sorted_ids}

    def _check_shapes(self, y_true, y_pred, owner):
        # one class index per row, as SparseCategoricalAccuracy (update_state checked the
        # shapes of one-hot labels before)
        _check_sparse_labels(y_true, y_pred, owner)


# ----------------------------------------------------------------- confusion metrics
# Keras' metrics_utils.NEG_INF: the threshold of Precision / Recall with top_k and no
# thresholds (every prediction among the top k counts as positive).
_NEG_INF = -1e10
_CONDITIONS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _parse_thresholds(thresholds, default, owner):
    """Keras' parse_init_thresholds: None -> [default]; a number or a list (tuple, 1-d
    array) of numbers, each in [0, 1] -> a list of floats."""
    if thresholds is None:
        return [default]
    if isinstance(thresholds, np.ndarray) and thresholds.ndim == 0:
        thresholds = thresholds[()]
    if isinstance(thresholds, (list, tuple, np.ndarray)):
        items = list(thresholds)
        if not items:
            raise ValueError(f"{owner}: thresholds must hold at least one threshold in "
                             f"[0, 1], got {_argcheck.shown(thresholds)}")
    else:
        items = [thresholds]
    out, bad = [], []
    for t in items:
        if t is None:
            bad.append(t)
            continue
        t = _argcheck._scalar(t)
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real):
            raise TypeError(f"{owner}: thresholds must be a float or a list of floats in "
                            f"[0, 1], got {type(t).__name__} {_argcheck.shown(t)} in "
                            f"thresholds={_argcheck.shown(thresholds)}")
        try:
            v = float(t)
        except OverflowError:
            v = math.inf
        if not 0.0 <= v <= 1.0:       # NaN too
            bad.append(t)
        else:
            out.append(v)
    if bad:
        # Keras' words, then the argument as given
        raise ValueError(f"{owner}: Threshold values must be in [0, 1]. Received: {bad} "
                         f"(thresholds={_argcheck.shown(thresholds)})")
    return out


def _evenly_distributed(thresholds):
    """Keras' is_evenly_distributed_thresholds: three or more thresholds at i / (n - 1)
    (to float32 closeness); Keras then counts by buckets (see _update_buckets)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=1e-7))


def _same_rank(x1, x2, expand_rank_1=True):
    """Keras' squeeze_or_expand_to_same_rank (losses/loss.py)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


class _ConfusionMatrixMetric(Metric):
    """The common part of TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    Precision and Recall (Keras' metrics_utils.update_confusion_matrix_variables).

    The state is one variable per confusion-matrix cell the metric needs, of shape
    (len(thresholds),), in the metric's dtype (float32 unless `dtype` is given), as in
    Keras. The counts are plain NumPy (a comparison and a weighted sum per threshold):
    no C kernel is needed, and the metric runs on the layer path of fit / evaluate."""
    _cells = ()
    _default_threshold = 0.5

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        super().__init__(name=name, dtype=dtype)
        self._vdtype = np.dtype(dtype if dtype is not None else "float32")
        if self._vdtype.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating dtype such as 'float32', "
                             f"got {_argcheck.shown(dtype)}")
        self.top_k = _argcheck.integer(top_k, "top_k", owner, lo=1, allow_none=True)
        self.class_id = _argcheck.integer(class_id, "class_id", owner, lo=0,
                                          allow_none=True)
        default = self._default_threshold if self.top_k is None else _NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default, owner)
        # what get_config gives back: None, one float, or a list of floats
        if thresholds is None:
            self.init_thresholds = None
        elif isinstance(thresholds, (list, tuple)) or (
                isinstance(thresholds, np.ndarray) and thresholds.ndim > 0):
            self.init_thresholds = list(self.thresholds)
        else:
            self.init_thresholds = self.thresholds[0]
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)
        for cell in self._cells:
            setattr(self, cell, self.add_weight(name=cell, shape=(len(self.thresholds),),
                                                initializer="zeros", dtype=self._vdtype))

    @property
    def _several(self):
        return len(self.thresholds) > 1

    def _prepared(self, y_true, y_pred, sample_weight, owner):
        """(labels as bool, predictions, weights or None), all of one shape, in the
        variable dtype, after Keras' rank matching, top_k and class_id."""
        vd = self._vdtype
        yt = _argcheck.real_array(y_true, "y_true", owner)
        yp = _argcheck.real_array(y_pred, "y_pred", owner)
        yt = np.asarray(yt).view(np.ndarray) if isinstance(yt, np.ndarray) else yt
        yp = np.asarray(yp).view(np.ndarray) if isinstance(yp, np.ndarray) else yp
        with np.errstate(over="ignore", invalid="ignore"):
            yt = yt.astype(vd)
            yp = yp.astype(vd)
        _argcheck.finite_array(yt, "y_true", owner)
        yp, yt = _same_rank(yp, yt)
        if yt.shape != yp.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {yp.shape} "
                             f"(or lack its last axis of 1), got {np.shape(y_true)}")
        sw = None
        if sample_weight is not None:
            sw = _argcheck.real_array(sample_weight, "sample_weight", owner)
            with np.errstate(over="ignore", invalid="ignore"):
                sw = np.asarray(sw).view(np.ndarray).astype(vd)
            _argcheck.finite_array(sw, "sample_weight", owner)
            _, sw = _same_rank(yt, sw[..., None], expand_rank_1=False)
            try:
                sw = np.broadcast_to(sw, yp.shape)
            except ValueError:
                raise ValueError(f"{owner}: sample_weight must broadcast to the shape of "
                                 f"y_true {yt.shape} (one weight per sample, per value, or "
                                 f"one for all), got shape {np.shape(sample_weight)}") from None
        if self.top_k is not None:
            if yp.ndim == 0 or yp.shape[-1] < self.top_k:
                raise ValueError(f"{owner}: top_k must be at most the size of the last axis "
                                 f"of y_pred, got top_k={self.top_k} for y_pred of shape "
                                 f"{yp.shape}")
            # Keras' _filter_top_k: the k highest of each row kept (the lower index first
            # among equals), the others set to NEG_INF
            order = np.argsort(-yp, axis=-1, kind="stable")[..., :self.top_k]
            keep = np.zeros(yp.shape, bool)
            np.put_along_axis(keep, order, True, axis=-1)
            yp = np.where(keep, yp, vd.type(_NEG_INF))
        if self.class_id is not None:
            if yp.ndim < 2:
                raise ValueError("When class_id is provided, y_pred must be a 2D array with "
                                 "shape (num_samples, num_classes), found shape: "
                                 f"{yp.shape} ({owner}, class_id={self.class_id})")
            if self.class_id >= yp.shape[-1]:
                raise ValueError(f"{owner}: class_id must be less than the number of "
                                 f"classes (the last axis of y_pred, {yp.shape[-1]}), got "
                                 f"{self.class_id}")
            yt, yp = yt[..., self.class_id], yp[..., self.class_id]
            if sw is not None:
                sw = sw[..., self.class_id]
        return yt != 0, yp, sw

    def _counts(self, labels, preds, weights):
        """{cell: float64 array (len(thresholds),)} for this batch."""
        labels = labels.reshape(-1)
        preds = preds.reshape(-1)
        w = np.ones(labels.shape, np.float64) if weights is None \
            else weights.reshape(-1).astype(np.float64)
        wt = np.where(labels, w, 0.0)          # weights of the true labels
        wf = w - wt                            # ... of the false ones
        if self._thresholds_distributed_evenly:
            above = self._bucket_sums(preds, wt, wf)
        else:
            ts = np.asarray(self.thresholds, self._vdtype)
            tp = np.empty(len(ts))
            fp = np.empty(len(ts))
            for i, t in enumerate(ts):
                pos = preds > t                # NaN is never above
                tp[i] = wt[pos].sum()
                fp[i] = wf[pos].sum()
            above = tp, fp
        tp, fp = above
        out = {"true_positives": tp, "false_positives": fp}
        if "false_negatives" in self._cells:
            out["false_negatives"] = wt.sum() - tp
        if "true_negatives" in self._cells:
            out["true_negatives"] = wf.sum() - fp
        return out

    def _bucket_sums(self, preds, wt, wf):
        """Keras' _update_confusion_matrix_variables_optimized for evenly spaced
        thresholds: predictions clipped to [0, 1], each in bucket ceil(p * (n - 1)) - 1
        (computed in the variable dtype), counted as above every threshold up to its
        bucket. The same as p > t except for predictions above 1 (not above the
        threshold 1.0 here) and rounding exactly at a threshold."""
        n = len(self.thresholds)
        vd = self._vdtype
        with np.errstate(invalid="ignore"):
            b = np.ceil(np.clip(preds, vd.type(0), vd.type(1)) * vd.type(n - 1)) - vd.type(1)
        if self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0:
            # AUC's thresholds -epsilon .. 1 + epsilon: Keras' relu on the bucket (a
            # prediction of 0 is above -epsilon)
            b = np.maximum(b, vd.type(0))
        b = np.where(np.isnan(b), -1, b).astype(np.int64) + 1    # 0: below every threshold
        sums = []
        for wv in (wt, wf):
            buckets = np.bincount(b, weights=wv, minlength=n + 1)[1:n + 1]
            sums.append(np.cumsum(buckets[::-1])[::-1])
        return sums

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        labels, preds, weights = self._prepared(y_true, y_pred, sample_weight, owner)
        counts = self._counts(labels, preds, weights)
        for cell in self._cells:
            var = getattr(self, cell)
            var.assign(var.view(np.ndarray) + counts[cell].astype(self._vdtype))

    def _out(self, values):
        """One threshold: a float (with .numpy()); several: an array, one per threshold."""
        from fastnn.tensor import as_tensor
        values = np.asarray(values, self._vdtype)
        if self._several:
            return as_tensor(values.copy())
        return _Scalar(float(values[0]))

    def get_config(self):
        return {"name": self.name, "dtype": self._vdtype.name,
                "thresholds": self.init_thresholds}

    def __repr__(self):
        r = self.result()
        shown = f"{r:.4f}" if not self._several else np.array2string(np.asarray(r), precision=4)
        return f"<{type(self).__name__} name={self.name!r} result={shown}>"


class _ConditionCount(_ConfusionMatrixMetric):
    """Keras' _ConfusionMatrixConditionCount: one cell of the confusion matrix, summed
    (sample weights summed, when given) in the variable `accumulator`."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def add_weight(self, name=None, **kwargs):
        return super().add_weight(name="accumulator", **kwargs)

    @property
    def _cells(self):
        return (self._condition,)

    @property
    def accumulator(self):
        return getattr(self, self._condition)

    def result(self):
        return self._out(self.accumulator)


class TruePositives(_ConditionCount):
    """keras.metrics.TruePositives(thresholds=None, name=None, dtype=None): the number
    (the sum of sample weights) of predictions above a threshold whose label is true
    (nonzero). thresholds: a float or a list of floats in [0, 1] (default 0.5); with a
    list, result() is an array with one count per threshold.

    Differences from Keras, all on input Keras takes without complaint: NaN, a bool or
    an empty list as a threshold, non-finite labels or sample weights, and y_true and
    y_pred of different shapes (Keras flattens both) are refused with an error; a tuple
    or a 1-d array of thresholds is taken as a list. A NaN prediction counts as below
    every threshold, as in Keras. Compiled into a model with several thresholds, the
    logs hold an array with one value per threshold, as in Keras.

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    """
    _default_name = "true_positives"
    _condition = "true_positives"


class FalsePositives(_ConditionCount):
    """keras.metrics.FalsePositives(thresholds=None, name=None, dtype=None): the number
    (the sum of sample weights) of predictions above a threshold whose label is false
    (zero). Thresholds and differences from Keras: see TruePositives.

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    """
    _default_name = "false_positives"
    _condition = "false_positives"


class TrueNegatives(_ConditionCount):
    """keras.metrics.TrueNegatives(thresholds=None, name=None, dtype=None): the number
    (the sum of sample weights) of predictions at or below a threshold whose label is
    false. Thresholds and differences from Keras: see TruePositives.

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    """
    _default_name = "true_negatives"
    _condition = "true_negatives"


class FalseNegatives(_ConditionCount):
    """keras.metrics.FalseNegatives(thresholds=None, name=None, dtype=None): the number
    (the sum of sample weights) of predictions at or below a threshold whose label is
    true. Thresholds and differences from Keras: see TruePositives.

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    """
    _default_name = "false_negatives"
    _condition = "false_negatives"


class _PrecisionRecall(_ConfusionMatrixMetric):
    _direction = "up"      # better when higher (Keras' attribute, read by callbacks)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        # Keras' divide_no_nan in the variable dtype: 0 where nothing was counted
        tp = self.true_positives.view(np.ndarray)
        den = tp + getattr(self, self._cells[1]).view(np.ndarray)
        safe = np.where(den == 0, np.ones_like(den), den)
        return self._out(np.where(den == 0, np.zeros_like(tp), tp / safe))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """keras.metrics.Precision(thresholds=None, top_k=None, class_id=None, name=None,
    dtype=None): true_positives / (true_positives + false_positives), 0 while that sum is
    0 (Keras' divide_no_nan). A prediction is positive when it is above the threshold
    (default 0.5; with top_k and no thresholds, when it is among the k highest of its
    row); top_k keeps only the k highest predictions of each row as candidates;
    class_id looks at that class (the last axis of y_pred) alone. A list of thresholds
    gives one precision per threshold. Labels are true when nonzero.

    Differences from Keras: see TruePositives; also top_k above the number of classes
    and class_id not below it are refused with an error naming them, and with class_id
    a weight per value (the shape of y_true) weights that class's values (Keras cannot
    broadcast such weights and fails).

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    top_k : int, optional
        Only the k highest predictions of each row count as candidates for a positive.
        Default None.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "precision"
    _cells = ("true_positives", "false_positives")


class Recall(_PrecisionRecall):
    """keras.metrics.Recall(thresholds=None, top_k=None, class_id=None, name=None,
    dtype=None): true_positives / (true_positives + false_negatives), 0 while that sum is
    0 (Keras' divide_no_nan). Arguments and differences from Keras: see Precision.

    Parameters
    ----------
    thresholds : float or list of float, optional
        Threshold(s) in [0, 1]: a prediction above one is positive. Default None: 0.5.
        With a list, ``result()`` gives one value per threshold (compiled into a model,
        the logs hold that array).
    top_k : int, optional
        Only the k highest predictions of each row count as candidates for a positive.
        Default None.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "recall"
    _cells = ("true_positives", "false_negatives")


def _divide_no_nan(a, b):
    """Keras' ops.divide_no_nan: a / b, 0 where b is 0 (in a's dtype)."""
    safe = np.where(b == 0, np.ones_like(b), b)
    return np.where(b == 0, np.zeros_like(a), a / safe)


def _unit_value(value, name, owner):
    """A number in [0, 1] (recall, precision, sensitivity, specificity)."""
    v = _argcheck._scalar(value)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{owner}: Argument `{name}` must be a number in the range [0, 1], "
                        f"got {type(v).__name__} {_argcheck.shown(value)}")
    if not 0.0 <= float(v) <= 1.0:       # NaN too
        raise ValueError(f"{owner}: Argument `{name}` must be in the range [0, 1]. "
                         f"Received: {name}={_argcheck.shown(value)}")
    if isinstance(v, np.generic):           # a NumPy scalar: a Python number (JSON)
        v = v.item()
    return v


class _SensitivitySpecificityBase(_ConfusionMatrixMetric):
    """Keras' SensitivitySpecificityBase: the four confusion-matrix cells at
    num_thresholds thresholds evenly spaced in [0, 1] (0.5 alone when num_thresholds is
    1), and the best value of one rate where the other meets a constraint."""
    _cells = _CONDITIONS
    _direction = "up"
    _arg = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        value = _unit_value(value, self._arg, owner)
        num_thresholds = _argcheck.integer(num_thresholds, "num_thresholds", owner)
        if num_thresholds <= 0:
            raise ValueError(f"{owner}: Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        if num_thresholds == 1:
            thresholds = [0.5]
        else:
            thresholds = [0.0] + [(i + 1) * 1.0 / (num_thresholds - 1)
                                  for i in range(num_thresholds - 2)] + [1.0]
        super().__init__(thresholds=thresholds, class_id=class_id, name=name, dtype=dtype)
        self._thresholds_distributed_evenly = num_thresholds > 1
        self.value = value
        setattr(self, self._arg, value)
        self.num_thresholds = num_thresholds

    @property
    def _several(self):
        return False            # one number whatever the thresholds

    @property
    def _dtype(self):
        return self._vdtype.name

    def _rates(self):
        tp, fp, tn, fn = (getattr(self, c).view(np.ndarray) for c in
                          ("true_positives", "false_positives", "true_negatives",
                           "false_negatives"))
        return {"recall": _divide_no_nan(tp, tp + fn),       # = sensitivity
                "precision": _divide_no_nan(tp, tp + fp),
                "specificity": _divide_no_nan(tn, tn + fp)}

    def _max_under_constraint(self, constrained, dependent):
        # Keras' _find_max_under_constraint with ops.greater_equal: the largest dependent
        # value where constrained >= value, 0 if none
        vd = self._vdtype
        feasible = constrained >= vd.type(self.value)
        return _Scalar(float(np.max(np.where(feasible, dependent, vd.type(0)),
                                    initial=vd.type(0))))

    def result(self):
        r = self._rates()
        return self._max_under_constraint(r[self._constrained], r[self._dependent])

    def get_config(self):
        return {"name": self.name, "dtype": self._vdtype.name, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._arg: self.value}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """keras.metrics.SensitivityAtSpecificity(specificity, num_thresholds=200,
    class_id=None, name=None, dtype=None): the best sensitivity tp / (tp + fn) over the
    thresholds where the specificity tn / (tn + fp) is >= `specificity` (0 if none).
    Counting as Precision's (labels true when nonzero; class_id picks one class).

    Parameters
    ----------
    specificity : float
        The least specificity, in [0, 1].
    num_thresholds : int
        The number of thresholds, spread evenly over [0, 1], the curve is computed at.
        Default 200.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "sensitivity_at_specificity"
    _arg = "specificity"
    _constrained, _dependent = "specificity", "recall"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None,
                 dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """keras.metrics.SpecificityAtSensitivity(sensitivity, num_thresholds=200,
    class_id=None, name=None, dtype=None): the best specificity where the sensitivity is
    >= `sensitivity` (0 if none).

    Parameters
    ----------
    sensitivity : float
        The least sensitivity, in [0, 1].
    num_thresholds : int
        The number of thresholds, spread evenly over [0, 1], the curve is computed at.
        Default 200.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "specificity_at_sensitivity"
    _arg = "sensitivity"
    _constrained, _dependent = "recall", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None,
                 dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """keras.metrics.PrecisionAtRecall(recall, num_thresholds=200, class_id=None,
    name=None, dtype=None): the best precision where the recall is >= `recall`.

    Parameters
    ----------
    recall : float
        The least recall, in [0, 1].
    num_thresholds : int
        The number of thresholds, spread evenly over [0, 1], the curve is computed at.
        Default 200.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "precision_at_recall"
    _arg = "recall"
    _constrained, _dependent = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class RecallAtPrecision(_SensitivitySpecificityBase):
    """keras.metrics.RecallAtPrecision(precision, num_thresholds=200, class_id=None,
    name=None, dtype=None): the best recall where the precision is >= `precision`.

    Parameters
    ----------
    precision : float
        The least precision, in [0, 1].
    num_thresholds : int
        The number of thresholds, spread evenly over [0, 1], the curve is computed at.
        Default 200.
    class_id : int, optional
        Look at this class alone (an index into the last axis of ``y_pred``). Default
        None: all values.
    """
    _default_name = "recall_at_precision"
    _arg = "precision"
    _constrained, _dependent = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None,
                 dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


_AUC_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
               "prgain": "PRGAIN"}
_AUC_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation",
                   "majoring": "majoring", "Majoring": "majoring",
                   "minoring": "minoring", "Minoring": "minoring"}


class AUC(_ConfusionMatrixMetric):
    """keras.metrics.AUC(num_thresholds=200, curve='ROC', summation_method='interpolation',
    name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
    label_weights=None, from_logits=False): the area under the ROC curve (recall against
    the false positive rate), the precision-recall curve ('PR') or the PR-gain curve
    ('PRGAIN'), by a Riemann sum over the confusion matrices at num_thresholds thresholds
    (-1e-7, i / (num_thresholds - 1) for 0 < i < num_thresholds - 1, 1 + 1e-7), or at
    `thresholds` (sorted, with -1e-7 and 1 + 1e-7 added). summation_method:
    'interpolation' (the trapezoid; for PR, Davis & Goadrich's interpolation of the
    counts), 'minoring' or 'majoring'. multi_label=True keeps one curve per label (the
    last axis of a rank-2 y_pred) and gives their mean (weighted by label_weights);
    otherwise every value counts as one more sample, weighted by label_weights along the
    last axis. from_logits applies a sigmoid to y_pred first.

    Differences from Keras: `thresholds` must lie in [0, 1] (Keras takes any); the
    arguments are checked with errors naming them (curve, summation_method, label_weights,
    num_thresholds as an int); label_weights must be finite and >= 0, and get_config
    gives them as a list.

    Parameters
    ----------
    num_thresholds : int
        The number of thresholds the curve is discretised at, more than 1. Default 200.
    curve : str
        ``'ROC'`` (the default, the receiver operating characteristic) or ``'PR'``
        (precision against recall).
    summation_method : str
        How the area is summed: ``'interpolation'`` (the default), ``'minoring'`` or
        ``'majoring'``.
    name : str, optional
        The metric's name. Default ``'auc'``.
    dtype : str, optional
        The dtype of the result.
    thresholds : list of float, optional
        The thresholds to use instead of ``num_thresholds`` evenly spaced ones; 0 and 1
        (just beyond) are added.
    multi_label : bool
        Whether each label column is a separate binary problem, with one curve each
        (their AUCs averaged). Default False: all values are pooled.
    num_labels : int, optional
        The number of label columns, with ``multi_label=True``. Default None: taken
        from the first batch.
    label_weights : list of float, optional
        Weights of the label columns in the average of a multi-label AUC. Default None:
        equal.
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities. Default False.
    """
    _default_name = "auc"
    _cells = _CONDITIONS
    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        owner = type(self).__name__
        if not isinstance(curve, str) or curve not in _AUC_CURVES:
            raise ValueError(f'{owner}: Invalid AUC curve value: "{curve}". Expected values '
                             f'are ["PR", "ROC", "PRGAIN"] (argument `curve`)')
        if not isinstance(summation_method, str) or summation_method not in _AUC_SUMMATIONS:
            raise ValueError(f'{owner}: Invalid AUC summation method value: '
                             f'"{summation_method}". Expected values are ["interpolation", '
                             f'"majoring", "minoring"] (argument `summation_method`)')
        self.multi_label = _argcheck.boolean(multi_label, "multi_label", owner)
        self._from_logits = _argcheck.boolean(from_logits, "from_logits", owner)
        self.num_labels = _argcheck.integer(num_labels, "num_labels", owner, lo=1,
                                            allow_none=True)
        if self.num_labels and not self.multi_label:
            raise ValueError(f"{owner}: `num_labels` is needed only when `multi_label` is "
                             f"True. Received: num_labels={num_labels}, multi_label=False")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5, owner))
            self.num_thresholds = len(inner) + 2
            even = _evenly_distributed([0.0] + inner + [1.0])
        else:
            num_thresholds = _argcheck.integer(num_thresholds, "num_thresholds", owner)
            if num_thresholds <= 1:
                raise ValueError(f"{owner}: Argument `num_thresholds` must be an integer "
                                 f"> 1. Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            even = True
        self.curve = _AUC_CURVES[curve]
        self.summation_method = _AUC_SUMMATIONS[summation_method]
        # the base parses thresholds in [0, 1]; the epsilons are set after it
        Metric.__init__(self, name=name, dtype=dtype)
        self._vdtype = np.dtype(dtype if dtype is not None else "float32")
        if self._vdtype.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating dtype such as 'float32', "
                             f"got {_argcheck.shown(dtype)}")
        self.top_k = None
        self.class_id = None
        self.thresholds = [0.0 - 1e-7] + list(inner) + [1.0 + 1e-7]
        self._thresholds_distributed_evenly = even
        if label_weights is not None:
            lw = _argcheck.finite_array(
                _values_array(label_weights, "label_weights", owner), "label_weights", owner)
            if lw.ndim != 1 or (lw < 0).any():
                raise ValueError(f"{owner}: label_weights must be a 1-d list of weights >= 0, "
                                 f"one per label, got {_argcheck.shown(label_weights)}")
            if self.multi_label and self.num_labels and lw.size != self.num_labels:
                raise ValueError(f"{owner}: label_weights must hold num_labels="
                                 f"{self.num_labels} weights, got {lw.size}")
            self.label_weights = lw.astype(self._vdtype)
        else:
            self.label_weights = None
        self._built = False
        if self.multi_label:
            if self.num_labels:
                self._build((None, self.num_labels))
        else:
            self._build(None)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"{type(self).__name__}: `y_pred` must have rank 2 when "
                                 f"`multi_label=True`. Found rank {len(shape)}. Full shape "
                                 f"received for `y_pred`: {tuple(shape)}")
            self._num_labels = shape[1]
            vshape = (self.num_thresholds, self._num_labels)
        else:
            vshape = (self.num_thresholds,)
        for cell in self._cells:
            setattr(self, cell, Metric.add_weight(self, name=cell, shape=vshape,
                                                  initializer="zeros", dtype=self._vdtype))
        self._built = True

    @property
    def _several(self):
        return False

    @property
    def _dtype(self):
        return self._vdtype.name

    def reset_state(self):
        self._reset_variables()

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        if self.multi_label:
            shape = np.shape(y_pred)
            if not self._built:
                self._build(shape)
            elif len(shape) != 2 or shape[1] != self._num_labels:
                raise ValueError(f"{owner}: y_pred must have shape (batch, "
                                 f"{self._num_labels}) as the earlier batches "
                                 f"(multi_label=True), got {tuple(shape)}")
        labels, preds, weights = self._prepared(y_true, y_pred, sample_weight, owner)
        vd = self._vdtype
        if self._from_logits:
            with np.errstate(over="ignore"):
                preds = (vd.type(1) / (vd.type(1) + np.exp(-preds))).astype(vd)
        if self.multi_label:
            if labels.ndim != 2:
                raise ValueError(f"{owner}: y_true must have the shape of y_pred "
                                 f"{preds.shape} (multi_label=True), got {np.shape(y_true)}")
            cols = [self._counts(labels[:, j], preds[:, j],
                                 None if weights is None else weights[:, j])
                    for j in range(preds.shape[1])]
            counts = {c: np.stack([col[c] for col in cols], axis=1) for c in self._cells}
        else:
            if self.label_weights is not None:
                try:
                    lw = np.broadcast_to(self.label_weights, preds.shape)
                except ValueError:
                    raise ValueError(f"{owner}: label_weights ({self.label_weights.size}) "
                                     f"must broadcast along the last axis of y_pred, got "
                                     f"shape {preds.shape}") from None
                weights = lw if weights is None else weights * lw
            counts = self._counts(labels, preds, weights)
        for cell in self._cells:
            var = getattr(self, cell)
            var.assign(var.view(np.ndarray) + counts[cell].astype(vd))

    def _by_label(self, terms):
        vd = self._vdtype
        if self.multi_label:
            by_label = np.sum(terms, axis=0)
            if self.label_weights is None:
                return np.mean(by_label)
            lw = self.label_weights
            return _divide_no_nan(np.sum(by_label * lw), np.sum(lw)).astype(vd)
        return np.sum(terms)

    def interpolate_pr_auc(self):
        """Keras' interpolate_pr_auc (Davis & Goadrich 2006's interpolation, in Keras'
        closed form)."""
        vd = self._vdtype
        n = self.num_thresholds
        tp = self.true_positives.view(np.ndarray)
        fp = self.false_positives.view(np.ndarray)
        fn = self.false_negatives.view(np.ndarray)
        zero = vd.type(0)
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, np.maximum(dp, zero))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = np.where((p[:n - 1] > 0) & (p[1:] > 0),
                                _divide_no_nan(p[:n - 1], np.maximum(p[1:], zero)),
                                np.ones_like(p[1:]))
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = _divide_no_nan(prec_slope * (dtp + intercept * np.log(safe_p_ratio)),
                                 np.maximum(tp[1:] + fn[1:], zero))
        return self._by_label(inc.astype(vd))

    def result(self):
        if not self._built:
            return _Scalar(0.0)
        vd = self._vdtype
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _Scalar(float(self.interpolate_pr_auc()))
        n = self.num_thresholds
        tp = self.true_positives.view(np.ndarray)
        fp = self.false_positives.view(np.ndarray)
        tn = self.true_negatives.view(np.ndarray)
        fn = self.false_negatives.view(np.ndarray)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:       # PRGAIN
            scaling = _divide_no_nan(tp + fn, tn + fp)
            one = vd.type(1)
            recall_gain = one - scaling * _divide_no_nan(fn, tp)
            precision_gain = one - scaling * _divide_no_nan(fp, tp)
            recall_gain = np.where(tp == 0, vd.type(0), recall_gain)
            precision_gain = np.where(tp == 0, one, precision_gain)
            x, y = np.maximum(recall_gain, vd.type(0)), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / vd.type(2)
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:n - 1], y[1:])
        else:
            heights = np.maximum(y[:n - 1], y[1:])
        terms = ((x[:n - 1] - x[1:]) * heights).astype(vd)
        return _Scalar(float(np.asarray(self._by_label(terms), vd)))

    def get_config(self):
        config = {"name": self.name, "dtype": self._vdtype.name,
                  "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else [float(w) for w in self.label_weights],
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = list(self.thresholds[1:-1])
        return config


# ------------------------------------------------------- Keras' MeanMetricWrapper family
def accuracy(y_true, y_pred):
    """keras.metrics.Accuracy's function: 1.0 where y_true == y_pred (after Keras' rank
    matching), else 0.0, per value.

    Parameters
    ----------
    y_true : array-like
        The labels.
    y_pred : array-like
        The predictions.

    Returns
    -------
    array
        1.0 where the values are equal, else 0.0.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


class Accuracy(_MeanOfValues):
    """keras.metrics.Accuracy(name='accuracy', dtype=None): how often predictions equal
    labels exactly (not thresholded: see BinaryAccuracy)."""
    _default_name = "accuracy"
    _direction = "up"

    def _values(self, y_true, y_pred):
        return accuracy(y_true, y_pred)


class Sum(_VariableState, Metric):
    """keras.metrics.Sum(name='sum', dtype=None): the (weighted) sum of the values given
    to update_state(values, sample_weight=None)."""
    _default_name = "sum"

    def update_state(self, values, sample_weight=None):
        owner = "Sum.update_state"
        v = _values_array(values, "values", owner)
        if sample_weight is not None:
            sample_weight = _argcheck.finite_array(
                _values_array(sample_weight, "sample_weight", owner), "sample_weight", owner)
        v, _ = _samplewise(v, sample_weight, np.sum, owner)
        self.total += float(np.sum(v))

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self._reset_variables()

    def result(self):
        return _Scalar(float(self.total))

    def get_config(self):
        return {"name": self.name, "dtype": _dtype_name(self.dtype)}


def _fn_name(fn):
    """A metric function's name for get_config: a function of fastnn.metrics or
    fastnn.losses, saved by name; anything else cannot be saved."""
    from fastnn import losses as losses_mod
    name = getattr(fn, "__name__", None)
    for mod in (globals(), vars(losses_mod)):
        if name and mod.get(name) is fn:
            return name
    return None


def _fn_by_name(name, owner):
    from fastnn import losses as losses_mod
    fn = globals().get(name) if name in _FUNCTIONS else getattr(losses_mod, name, None)
    if not callable(fn) or isinstance(fn, type):
        raise ValueError(f"{owner}: fn must name a metric or loss function of fastnn (such as "
                         f"'mean_squared_error'), got {_argcheck.shown(name)}")
    return fn


class MeanMetricWrapper(_MeanOfValues):
    """``keras.metrics.MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)``: the mean of
    ``fn(y_true, y_pred, **kwargs)``, a function giving per-sample values (more axes are
    averaged to one value per sample).

    Parameters
    ----------
    fn : callable
        A function ``fn(y_true, y_pred, **kwargs)`` that gives a value per sample.
    name : str, optional
        The metric's name.
    dtype : str, optional
        The dtype of the result.
    """
    _default_name = "mean_metric_wrapper"

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, dict):     # a function as serialize_keras_object writes it
            from fastnn.serialization import deserialize_keras_object
            fn = deserialize_keras_object(fn)
        if isinstance(fn, str):
            fn = _fn_by_name(fn, "MeanMetricWrapper")
        if not callable(fn) or isinstance(fn, type):
            raise TypeError(f"MeanMetricWrapper: fn must be a function fn(y_true, y_pred) "
                            f"giving per-sample values, got {type(fn).__name__} "
                            f"{_argcheck.shown(fn)}")
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred):
        out = self._fn(y_true, y_pred, **self._fn_kwargs)
        return np.asarray(out.numpy() if hasattr(out, "numpy") else out, np.float64)

    def get_config(self):
        from fastnn.serialization import GLOBAL_CUSTOM_NAMES, serialize_keras_object
        name = _fn_name(self._fn)
        if name is None and GLOBAL_CUSTOM_NAMES.get(self._fn) is not None:
            name = serialize_keras_object(self._fn)      # found again by its registered name
        if name is None:
            raise ValueError(f"{self.name}: a MeanMetricWrapper of a Python function "
                             f"({getattr(self._fn, '__name__', self._fn)!r}) cannot be saved; "
                             f"fastnn's metric and loss functions are saved by name, and a "
                             f"function of yours once registered with "
                             f"keras.saving.register_keras_serializable()")
        return {**super().get_config(), "fn": name, **self._fn_kwargs}


def _probs(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return y_true, y_pred


def _log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def _bce_values(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        x = y_pred
        v = np.maximum(x, 0) - x * y_true + np.log1p(np.exp(-np.abs(x)))
    else:
        p = np.clip(y_pred, _EPS, 1.0 - _EPS)
        v = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    return v.mean(axis=-1)


def _cce_values(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = _argcheck.float_array(y_pred, "y_pred")
    y_true = np.asarray(y_true).astype(y_pred.dtype)
    if label_smoothing:
        n = y_pred.shape[axis]     # the number of classes: along the class axis
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if from_logits:
        logp = _log_softmax(y_pred, axis)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            p = y_pred / np.sum(y_pred, axis=axis, keepdims=True)
        logp = np.log(np.clip(p, _EPS, 1.0 - _EPS))
    return -np.sum(y_true * logp, axis=axis)


def _scce_labels(y_true, y_pred, axis):
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis=axis)
    return labels


def _scce_values(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_pred = _argcheck.float_array(y_pred, "y_pred")
    labels = _scce_labels(y_true, y_pred, axis)
    y_pred = np.moveaxis(y_pred, axis, -1)
    if from_logits:
        logp = _log_softmax(y_pred, -1)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            p = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
        logp = np.log(np.clip(p, _EPS, 1.0 - _EPS))
    idx = labels.astype(np.int64)
    valid = np.ones(idx.shape, bool) if ignore_class is None else idx != ignore_class
    safe = np.where(valid, idx, 0)
    v = -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    return np.where(valid, v, 0.0), valid


def _kld_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    t = np.clip(y_true, _EPS, 1.0)
    p = np.clip(y_pred, _EPS, 1.0)
    return np.sum(t * np.log(t / p), axis=-1)


def _poisson_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(y_pred - y_true * np.log(y_pred + _EPS), axis=-1)


def _from_logits(value, owner):
    return _argcheck.boolean(value, "from_logits", owner)


def _smoothing(value, owner):
    return _argcheck.real(value, "label_smoothing", owner, lo=0.0, hi=1.0)


def _check_axis(axis, ndim, owner):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{owner}: axis must be an axis of y_pred (of rank {ndim}), "
                         f"got axis={axis}")


class BinaryCrossentropy(_MeanOfValues):
    """keras.metrics.BinaryCrossentropy(name='binary_crossentropy', dtype=None,
    from_logits=False, label_smoothing=0): the mean binary cross-entropy.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities. Default False.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards 0.5 by this amount. Default 0.
    """
    _default_name = "binary_crossentropy"
    _direction = "down"

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0):
        owner = type(self).__name__
        self.from_logits = _from_logits(from_logits, owner)
        self.label_smoothing = _smoothing(label_smoothing, owner)
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred):
        return _bce_values(y_true, y_pred, self.from_logits, self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(_MeanOfValues):
    """keras.metrics.CategoricalCrossentropy(name='categorical_crossentropy', dtype=None,
    from_logits=False, label_smoothing=0, axis=-1): the mean cross-entropy of one-hot
    (or probability) labels.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities. Default False.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards the uniform distribution by this
        amount. Default 0.
    axis : int
        The class axis. Default -1.
    """
    _default_name = "categorical_crossentropy"
    _direction = "down"

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        owner = type(self).__name__
        self.from_logits = _from_logits(from_logits, owner)
        self.label_smoothing = _smoothing(label_smoothing, owner)
        self.axis = _argcheck.integer(axis, "axis", owner)
        super().__init__(name=name, dtype=dtype)

    def _check_shapes(self, y_true, y_pred, owner):
        _check_axis(self.axis, max(y_pred.ndim, 1), owner)
        _check_classes(y_pred, owner)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {y_pred.shape} "
                             f"(one-hot rows), got {y_true.shape}")

    def _values(self, y_true, y_pred):
        return _cce_values(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(_MeanOfValues):
    """keras.metrics.SparseCategoricalCrossentropy(name='sparse_categorical_crossentropy',
    dtype=None, from_logits=False, ignore_class=None, axis=-1): the mean cross-entropy of
    integer labels. A label equal to ignore_class gives 0; as in Keras, it still counts
    as a sample of the mean unless sample weights are given (then its weight is 0).

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities. Default False.
    ignore_class : int, optional
        A label whose samples give 0. Default None.
    axis : int
        The class axis. Default -1.
    """
    _default_name = "sparse_categorical_crossentropy"
    _direction = "down"

    def __init__(self, name=None, dtype=None, from_logits=False, ignore_class=None, axis=-1):
        owner = type(self).__name__
        self.from_logits = _from_logits(from_logits, owner)
        self.ignore_class = _argcheck.integer(ignore_class, "ignore_class", owner,
                                              allow_none=True)
        self.axis = _argcheck.integer(axis, "axis", owner)
        super().__init__(name=name, dtype=dtype)

    def _check_shapes(self, y_true, y_pred, owner):
        _check_axis(self.axis, max(y_pred.ndim, 1), owner)
        _check_classes(np.moveaxis(y_pred, self.axis, -1), owner)
        labels = _scce_labels(y_true, y_pred, self.axis)
        want = np.moveaxis(y_pred, self.axis, -1).shape[:-1]
        if labels.shape != want:
            raise ValueError(f"{owner}: y_true must hold one class index per row of y_pred "
                             f"{y_pred.shape}, shape {want} or {want + (1,)}, got "
                             f"{y_true.shape}")
        k = y_pred.shape[self.axis]
        bad = ~np.isfinite(labels) | (labels != np.round(labels)) | (labels < 0) | (labels >= k)
        if self.ignore_class is not None:
            bad &= labels != self.ignore_class
        if bad.any():
            raise ValueError(f"{owner}: y_true must hold class indices in [0, {k}), got "
                             f"values such as {labels[bad][0]}")

    def _values(self, y_true, y_pred):
        return _scce_values(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)[0]

    def batch_sums(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None or sample_weight is None:
            # Keras: without sample weights, an ignored label counts as a sample of 0
            return super().batch_sums(y_true, y_pred, sample_weight)
        # with sample weights, Keras masks the ignored labels out (their weight is 0)
        values, valid = _scce_values(y_true, y_pred, self.from_logits, self.ignore_class,
                                     self.axis)
        mask = valid.astype(np.float64)
        sw = np.asarray(sample_weight, np.float64)
        mask, sw = _same_rank(mask, sw)
        mask = mask * sw
        owner = f"{type(self).__name__}.update_state"
        v, sw = _samplewise(values, mask, np.mean, owner)
        return float(np.sum(v)), float(np.sum(sw))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


class KLDivergence(_MeanOfValues):
    """keras.metrics.KLDivergence(name='kl_divergence', dtype=None): the mean
    Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)), both clipped to
    [1e-7, 1]."""
    _default_name = "kl_divergence"

    def _values(self, y_true, y_pred):
        return _kld_values(y_true, y_pred)


class Poisson(_MeanOfValues):
    """keras.metrics.Poisson(name='poisson', dtype=None): the mean of
    y_pred - y_true * log(y_pred + 1e-7)."""
    _default_name = "poisson"

    def _values(self, y_true, y_pred):
        return _poisson_values(y_true, y_pred)


def _mape_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), _EPS))
    return 100.0 * np.mean(diff, axis=-1)


def _msle_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    first = np.log(np.maximum(y_pred, _EPS) + 1.0)
    second = np.log(np.maximum(y_true, _EPS) + 1.0)
    return np.mean(np.square(first - second), axis=-1)


def _l2_normalize(x, axis):
    sq = np.sum(np.square(x), axis=axis, keepdims=True)
    return x / np.sqrt(np.maximum(sq, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """keras.metrics' cosine similarity (positive, unlike the loss): the sum along axis
    of the L2-normalized y_true and y_pred.

    Parameters
    ----------
    y_true : array-like
        The labels.
    y_pred : array-like
        The predictions.
    axis : int
        The axis the vectors lie along. Default -1.

    Returns
    -------
    array
        The cosine similarity of each pair of vectors.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def _logcosh_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    # x + softplus(-2x) - log(2), as Keras (stable for large |x|)
    return np.mean(x + np.logaddexp(0.0, -2.0 * x) - math.log(2.0), axis=-1)


class MeanAbsolutePercentageError(_MeanOfValues):
    """keras.metrics.MeanAbsolutePercentageError(name='mean_absolute_percentage_error',
    dtype=None): ``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))``."""
    _default_name = "mean_absolute_percentage_error"
    _direction = "down"

    def _values(self, y_true, y_pred):
        return _mape_values(y_true, y_pred)


class MeanSquaredLogarithmicError(_MeanOfValues):
    """keras.metrics.MeanSquaredLogarithmicError(name='mean_squared_logarithmic_error',
    dtype=None): mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2)."""
    _default_name = "mean_squared_logarithmic_error"
    _direction = "down"

    def _values(self, y_true, y_pred):
        return _msle_values(y_true, y_pred)


class CosineSimilarity(_MeanOfValues):
    """keras.metrics.CosineSimilarity(name='cosine_similarity', dtype=None, axis=-1): the
    mean cosine similarity of y_true and y_pred along axis. (Keras' get_config leaves
    axis out; fastnn's keeps it, so a saved metric keeps its axis.)

    Parameters
    ----------
    axis : int
        The axis the vectors lie along. Default -1.
    """
    _default_name = "cosine_similarity"
    _direction = "up"

    def __init__(self, name=None, dtype=None, axis=-1):
        self.axis = _argcheck.integer(axis, "axis", "CosineSimilarity")
        super().__init__(name=name, dtype=dtype)

    def _check_shapes(self, y_true, y_pred, owner):
        super()._check_shapes(y_true, y_pred, owner)
        _check_axis(self.axis, max(y_pred.ndim, 1), owner)

    def _values(self, y_true, y_pred):
        return cosine_similarity(y_true, y_pred, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class LogCoshError(_MeanOfValues):
    """keras.metrics.LogCoshError(name='logcosh', dtype=None): the mean of
    log(cosh(y_pred - y_true))."""
    _default_name = "logcosh"
    _direction = "down"

    def _values(self, y_true, y_pred):
        return _logcosh_values(y_true, y_pred)


def _hinge_labels(y_true):
    """Keras' convert_binary_labels_to_hinge: labels all 0 or 1 become -1 or 1."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _hinge_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def _squared_hinge_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.square(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def _categorical_hinge_values(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


class Hinge(_MeanOfValues):
    """keras.metrics.Hinge(name='hinge', dtype=None): the mean of
    max(1 - y_true * y_pred, 0); labels all 0 or 1 are taken as -1 or 1."""
    _default_name = "hinge"
    _direction = "down"

    def _values(self, y_true, y_pred):
        return _hinge_values(y_true, y_pred)


class SquaredHinge(_MeanOfValues):
    """keras.metrics.SquaredHinge(name='squared_hinge', dtype=None): the mean of
    max(1 - y_true * y_pred, 0) ** 2; labels all 0 or 1 are taken as -1 or 1."""
    _default_name = "squared_hinge"
    _direction = "down"

    def _values(self, y_true, y_pred):
        return _squared_hinge_values(y_true, y_pred)


class CategoricalHinge(_MeanOfValues):
    """keras.metrics.CategoricalHinge(name='categorical_hinge', dtype=None): the mean of
    max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)."""
    _default_name = "categorical_hinge"
    _direction = "down"

    def _check_shapes(self, y_true, y_pred, owner):
        super()._check_shapes(y_true, y_pred, owner)
        _check_classes(y_pred, owner)

    def _values(self, y_true, y_pred):
        return _categorical_hinge_values(y_true, y_pred)


def _check_2d(who, y_true_shape, y_pred_shape, owner):
    """Keras' _build checks of R2Score / FBetaScore (their words)."""
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
        raise ValueError(f"{owner}: {who} expects 2D inputs with shape (batch_size, "
                         f"output_dim). Received input shapes: y_pred.shape="
                         f"{tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
    if y_pred_shape[-1] is None or y_true_shape[-1] is None:
        raise ValueError(f"{owner}: {who} expects 2D inputs with shape (batch_size, "
                         f"output_dim), with output_dim fully defined (not None). Received "
                         f"input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                         f"y_true.shape={tuple(y_true_shape)}.")


class R2Score(Metric):
    """keras.metrics.R2Score(class_aggregation='uniform_average', num_regressors=0,
    name='r2_score', dtype=None): the coefficient of determination over every sample
    seen, per output column, aggregated by class_aggregation ('uniform_average',
    'variance_weighted_average' or None: one score per column); num_regressors > 0
    gives the adjusted R2. Inputs are 2-d (batch, outputs).

    Parameters
    ----------
    class_aggregation : str or None
        How the per-column scores are combined: ``'uniform_average'`` (the default),
        ``'variance_weighted_average'``, or None for one score per column.
    num_regressors : int
        The number of independent variables, for the adjusted R². Default 0: plain R².
    """
    _default_name = "r2_score"
    _direction = "up"
    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None,
                 dtype=None):
        owner = "R2Score"
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(f"{owner}: Invalid value for argument `class_aggregation`. "
                             f"Expected one of {self._AGGREGATIONS}. Received: "
                             f"class_aggregation={_argcheck.shown(class_aggregation)}")
        self.class_aggregation = class_aggregation
        self.num_regressors = _argcheck.integer(num_regressors, "num_regressors", owner)
        if self.num_regressors < 0:
            raise ValueError(f"{owner}: Invalid value for argument `num_regressors`. Expected "
                             f"a value >= 0. Received: num_regressors={num_regressors}")
        super().__init__(name=name, dtype=dtype)
        self._vdtype = np.dtype(dtype if dtype is not None else "float32")
        if self._vdtype.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating dtype such as 'float32', "
                             f"got {_argcheck.shown(dtype)}")
        self.num_samples = self.add_weight(name="num_samples", shape=(), dtype=self._vdtype)
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        _check_2d("R2Score", y_true_shape, y_pred_shape, "R2Score")
        k = y_pred_shape[-1]
        for attr, name in (("squared_sum", "squared_sum"), ("sum", "sum"),
                           ("total_mse", "residual"), ("count", "count")):
            setattr(self, attr, self.add_weight(name=name, shape=(k,), dtype=self._vdtype))
        self._built = True

    @property
    def _dtype(self):
        return self._vdtype.name

    def reset_state(self):
        self._reset_variables()

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = "R2Score.update_state"
        vd = self._vdtype
        yt = _values_array(y_true, "y_true", owner).astype(vd)
        yp = _values_array(y_pred, "y_pred", owner).astype(vd)
        yt, yp = _same_rank(yt, yp)
        _check_2d("R2Score", yt.shape, yp.shape, owner)
        if yt.shape != yp.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {yp.shape}, "
                             f"got {yt.shape}")
        if self._built and self.sum.shape[0] != yp.shape[1]:
            raise ValueError(f"{owner}: y_pred must have the {self.sum.shape[0]} output "
                             f"columns of the earlier batches, got shape {yp.shape}")
        if sample_weight is None:
            sw = np.ones(yt.shape, vd)
        else:
            sw = _argcheck.finite_array(_values_array(sample_weight, "sample_weight", owner),
                                        "sample_weight", owner).astype(vd)
            if sw.ndim == 1:
                sw = sw[:, None]
            try:
                sw = np.broadcast_to(sw, yt.shape)
            except ValueError:
                raise ValueError(f"{owner}: sample_weight must broadcast to the shape of "
                                 f"y_true {yt.shape} (one weight per sample, per value, or "
                                 f"one for all), got shape {np.shape(sample_weight)}") from None
        if not self._built:
            self._build(yt.shape, yp.shape)
        wyt = yt * sw

        def add(var, delta):
            var.assign(var.view(np.ndarray) + np.asarray(delta, vd))
        add(self.sum, wyt.sum(axis=0))
        add(self.squared_sum, (yt * wyt).sum(axis=0))
        add(self.total_mse, (np.square(yt - yp) * sw).sum(axis=0))
        add(self.count, sw.sum(axis=0))
        add(self.num_samples, np.any(sw != 0, axis=-1).sum())

    def result(self):
        from fastnn.tensor import as_tensor
        if not self._built:
            return _Scalar(0.0)
        vd = self._vdtype
        s = self.sum.view(np.ndarray)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = s / self.count.view(np.ndarray)
            total = self.squared_sum.view(np.ndarray) - s * mean
            raw = vd.type(1) - self.total_mse.view(np.ndarray) / total
            raw = np.where(np.isinf(raw), vd.type(0), raw).astype(vd)
            if self.class_aggregation == "uniform_average":
                r2 = np.mean(raw)
            elif self.class_aggregation == "variance_weighted_average":
                r2 = np.sum(total * raw) / np.sum(total)
            else:
                r2 = raw
        if self.num_regressors != 0:
            import warnings
            n = float(self.num_samples.view(np.ndarray))
            p = self.num_regressors
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            else:
                r2 = vd.type(1) - (vd.type(1) - np.asarray(r2, vd)) * vd.type(n - 1) \
                    / vd.type(n - p - 1)
        if self.class_aggregation is None:
            return as_tensor(np.asarray(r2, vd).copy())
        return _Scalar(float(r2))

    def get_config(self):
        return {"name": self.name, "dtype": self._vdtype.name,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}

    def __repr__(self):
        r = self.result()
        shown = np.array2string(np.asarray(r), precision=4) \
            if self.class_aggregation is None else f"{r:.4f}"
        return f"<R2Score name={self.name!r} result={shown}>"


class FBetaScore(Metric):
    """keras.metrics.FBetaScore(average=None, beta=1.0, threshold=None,
    name='fbeta_score', dtype=None): the F-beta score of multi-label (or one-hot)
    predictions, 2-d (batch, classes). threshold: a prediction above it is positive
    (None: the highest of each row, when nonzero). average: None (one score per class),
    'micro' (over every value), 'macro' (the mean of the class scores) or 'weighted'
    (weighted by the class's true labels). As Keras, beta and threshold must be Python
    floats (an int is refused).

    Parameters
    ----------
    average : str, optional
        How the per-class scores are combined: None (the default: one score per class),
        ``'micro'`` (over all values at once), ``'macro'`` (their mean) or
        ``'weighted'`` (their mean weighted by each class's number of true labels).
    beta : float
        The weight of recall against precision; greater than 0. Default 1.
    threshold : float, optional
        A prediction above it is positive. Default None: the highest prediction of each
        row is positive.
    """
    _default_name = "fbeta_score"
    _direction = "up"
    _AVERAGES = (None, "micro", "macro", "weighted")

    def __init__(self, average=None, beta=1.0, threshold=None, name=None, dtype=None):
        owner = type(self).__name__
        if average not in self._AVERAGES:
            raise ValueError(f"{owner}: Invalid `average` argument value. Expected one of: "
                             f"{{None, 'micro', 'macro', 'weighted'}}. Received: "
                             f"average={average!s:.60}")
        if not isinstance(beta, float):
            raise ValueError(f"{owner}: Invalid `beta` argument value. It should be a Python "
                             f"float. Received: beta={beta!r:.60} of type '{type(beta)}'")
        if not beta > 0.0:
            raise ValueError(f"{owner}: Invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{owner}: Invalid `threshold` argument value. It should be "
                                 f"a Python float. Received: threshold={threshold!s:.60} of "
                                 f"type '{type(threshold)}'")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"{owner}: Invalid `threshold` argument value. It should "
                                 f"verify 0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        super().__init__(name=name, dtype=dtype)
        self._vdtype = np.dtype(dtype if dtype is not None else "float32")
        if self._vdtype.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating dtype such as 'float32', "
                             f"got {_argcheck.shown(dtype)}")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        _check_2d(type(self).__name__, y_true_shape, y_pred_shape, type(self).__name__)
        k = y_pred_shape[-1]
        shape = () if self.average == "micro" else (k,)
        self._k = k
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_weight(name=name, shape=shape, dtype=self._vdtype))
        self._built = True

    @property
    def _dtype(self):
        return self._vdtype.name

    def reset_state(self):
        self._reset_variables()

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = f"{type(self).__name__}.update_state"
        vd = self._vdtype
        yt = _values_array(y_true, "y_true", owner).astype(vd)
        yp = _values_array(y_pred, "y_pred", owner).astype(vd)
        _check_2d(type(self).__name__, yt.shape, yp.shape, owner)
        if yt.shape != yp.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {yp.shape}, "
                             f"got {yt.shape}")
        if self._built and self._k != yp.shape[1]:
            raise ValueError(f"{owner}: y_pred must have the {self._k} classes of the "
                             f"earlier batches, got shape {yp.shape}")
        sw = None
        if sample_weight is not None:
            sw = _argcheck.finite_array(_values_array(sample_weight, "sample_weight", owner),
                                        "sample_weight", owner).astype(vd)
            if sw.ndim < yt.ndim:
                sw = sw.reshape(sw.shape + (1,) * (yt.ndim - sw.ndim))
            try:
                np.broadcast_to(sw, yt.shape)
            except ValueError:
                raise ValueError(f"{owner}: sample_weight must broadcast to the shape of "
                                 f"y_true {yt.shape} (one weight per sample, per value, or "
                                 f"one for all), got shape {np.shape(sample_weight)}") from None
        if not self._built:
            self._build(yt.shape, yp.shape)
        if self.threshold is None:
            top = np.max(yp, axis=-1, keepdims=True) if yp.shape[-1] else yp
            pred = (yp >= top) & (np.abs(yp) > 1e-9)
        else:
            pred = yp > vd.type(self.threshold)
        pred = pred.astype(vd)

        def wsum(v):
            if sw is not None:
                v = v * sw
            return np.sum(v, axis=self.axis)

        def add(var, delta):
            var.assign(var.view(np.ndarray) + np.asarray(delta, vd))
        add(self.true_positives, wsum(pred * yt))
        add(self.false_positives, wsum(pred * (1 - yt)))
        add(self.false_negatives, wsum((1 - pred) * yt))
        add(self.intermediate_weights, wsum(yt))

    def result(self):
        from fastnn.tensor import as_tensor
        if not self._built:
            return _Scalar(0.0)
        vd = self._vdtype
        eps = vd.type(_EPS)
        tp = self.true_positives.view(np.ndarray)
        precision = tp / (tp + self.false_positives.view(np.ndarray) + eps)
        recall = tp / (tp + self.false_negatives.view(np.ndarray) + eps)
        b2 = vd.type(self.beta ** 2)
        f = (precision * recall) / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.view(np.ndarray)
            f = np.sum(f * (w / (np.sum(w) + eps)))
        elif self.average is not None:
            f = np.mean(f)
        f = np.asarray(f, vd)
        if f.ndim:
            return as_tensor(f.copy())
        return _Scalar(float(f))

    def get_config(self):
        return {"name": self.name, "dtype": self._vdtype.name, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}

    def __repr__(self):
        r = self.result()
        shown = np.array2string(np.asarray(r), precision=4) if np.ndim(r) else f"{r:.4f}"
        return f"<{type(self).__name__} name={self.name!r} result={shown}>"


class F1Score(FBetaScore):
    """keras.metrics.F1Score(average=None, threshold=None, name='f1_score', dtype=None):
    FBetaScore with beta=1.0.

    Parameters
    ----------
    average : str, optional
        None (one score per class), ``'micro'``, ``'macro'`` or ``'weighted'``; see
        ``FBetaScore``.
    threshold : float, optional
        A prediction above it is positive. Default None: the highest prediction of each
        row.
    """
    _default_name = "f1_score"

    def __init__(self, average=None, threshold=None, name=None, dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# ------------------------------------------------------------------ IoU (iou_metrics.py)

def _class_id(value, name, owner):
    return _argcheck.integer(value, name, owner)


_MAX_IOU_CLASSES = 2 ** 14


class _IoUBase(Metric):
    """The confusion matrix of class ids, as Keras' _IoUBase: total_cm[i, j] sums the
    weights of the values whose true class is i and predicted class j. Labels (and
    predictions) are class ids, or scores whose argmax along `axis` is taken
    (sparse_y_true / sparse_y_pred False); inputs of any rank are flattened; values
    outside [0, num_classes), and those whose true class is `ignore_class`, are left
    out. The matrix is kept in the metric's dtype (int32 by default, as Keras: float
    labels and weights are then truncated to integers)."""
    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        # at most 2**14 classes: the confusion matrix (num_classes^2 counts) stays <= 2 GiB
        self.num_classes = _argcheck.integer(num_classes, "num_classes", owner, lo=1,
                                             hi=_MAX_IOU_CLASSES)
        self.ignore_class = None if ignore_class is None else \
            _class_id(ignore_class, "ignore_class", owner)
        self.sparse_y_true = _argcheck.boolean(sparse_y_true, "sparse_y_true", owner)
        self.sparse_y_pred = _argcheck.boolean(sparse_y_pred, "sparse_y_pred", owner)
        self.axis = _argcheck.integer(axis, "axis", owner)
        try:
            cm_dtype = np.dtype("int32" if dtype is None or dtype == "int" else dtype)
        except TypeError:
            cm_dtype = None
        if cm_dtype is None or cm_dtype.kind not in "iuf":
            raise ValueError(f"{owner}: dtype must be None (int32), an integer or a floating "
                             f"dtype such as 'float32', got {_argcheck.shown(dtype)}")
        super().__init__(name=name, dtype=cm_dtype.name)
        self._cm_dtype = cm_dtype
        self.total_cm = self.add_weight(name="total_confusion_matrix",
                                        shape=(self.num_classes, self.num_classes),
                                        dtype=cm_dtype)

    @property
    def _dtype(self):
        return self._cm_dtype.name

    def reset_state(self):
        self._reset_variables()

    def _ids(self, y, sparse, name, owner):
        """y as float64 class ids (argmax along axis unless sparse), flattened."""
        y = _argcheck.real_array(y, name, owner)
        if not sparse:
            if y.ndim == 0:
                raise ValueError(f"{owner}: {name} must hold scores along axis {self.axis} "
                                 f"(sparse_{name}=False), got a scalar")
            _check_axis(self.axis, y.ndim, owner)
            y = np.argmax(y, axis=self.axis)
        y = np.asarray(y, np.float64).reshape(-1)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{owner}: {name} must hold finite class ids, got "
                             f"{_argcheck.shown(y[~np.isfinite(y)][0])}")
        return np.trunc(y)      # as the cast to the integer dtype

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch to the confusion matrix.

        Parameters
        ----------
        y_true, y_pred : array-like
            Class ids (or scores, see sparse_y_true / sparse_y_pred), of any shape; the
            same number of values once flattened.
        sample_weight : array-like, optional
            One weight for all values, or one per value (flattened; default 1).
        """
        owner = f"{type(self).__name__}.update_state"
        self._add(self._ids(y_true, self.sparse_y_true, "y_true", owner),
                  self._ids(y_pred, self.sparse_y_pred, "y_pred", owner), sample_weight, owner)

    def _add(self, yt, yp, sample_weight, owner):
        if yt.size != yp.size:
            raise ValueError(f"{owner}: y_true and y_pred must hold as many values, got "
                             f"{yt.size} and {yp.size} (flattened)")
        dt = self._cm_dtype
        if sample_weight is None:
            sw = np.ones(yt.size, np.float64)
        else:
            given = sample_weight
            sw = _argcheck.finite_array(_values_array(sample_weight, "sample_weight", owner),
                                        "sample_weight", owner).reshape(-1)
            if sw.size == 1:
                sw = np.full(yt.size, sw[0])
            elif sw.size != yt.size:
                raise ValueError(f"{owner}: sample_weight must hold one weight for all values "
                                 f"or one per value ({yt.size}), got shape "
                                 f"{np.shape(given)}")
            if dt.kind != "f":
                if getattr(given, "dtype", None) is not None and \
                        np.asarray(given).dtype.kind == "f":
                    import warnings
                    warnings.warn(f"{owner}: sample_weight is float, but the metric's dtype "
                                  f"is {dt.name}: the weights are truncated to integers by "
                                  f"casting; use integer weights or dtype='float32'",
                                  stacklevel=3)
                sw = np.trunc(sw)
        n = self.num_classes
        keep = (yt >= 0) & (yt < n) & (yp >= 0) & (yp < n)
        if self.ignore_class is not None:
            keep &= yt != self.ignore_class
        idx = yt[keep].astype(np.int64) * n + yp[keep].astype(np.int64)
        counts = np.bincount(idx, weights=sw[keep], minlength=n * n).reshape(n, n)
        total = self.total_cm.view(np.ndarray)
        with np.errstate(over="ignore"):
            total[...] = total + counts.astype(dt)

    def result(self):
        """The IoU of the target classes (see the class), a float32 scalar."""
        dt = self._cm_dtype
        cm = self.total_cm.view(np.ndarray)
        with np.errstate(over="ignore"):
            rows = cm.sum(axis=0).astype(dt)
            cols = cm.sum(axis=1).astype(dt)
            tp = np.diagonal(cm).astype(dt)
            denominator = rows + cols - tp
        ids = self.target_class_ids
        tp = tp[ids].astype(np.float32)
        denominator = denominator[ids].astype(np.float32)
        valid = denominator > np.float32(1e-9)
        eps = np.float32(_EPS)
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(valid, tp / (denominator + eps), np.float32(0))
        value = np.sum(iou, dtype=np.float32) / (np.float32(np.sum(valid)) + eps)
        return _Scalar(float(np.float32(value)))


def _target_ids(ids, num_classes, owner):
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"{owner}: target_class_ids must be a list or tuple of class ids, "
                        f"got {_argcheck.shown(ids)}")
    ids = [_class_id(i, "target_class_ids", owner) for i in ids]
    if not ids:
        raise ValueError(f"{owner}: target_class_ids must name at least one class, got []")
    bad = [i for i in ids if not 0 <= i < num_classes]
    if bad:
        raise ValueError(f"{owner}: target_class_ids: class id {bad[0]} is out of range, "
                         f"which is [0, {num_classes}) (num_classes={num_classes})")
    return ids


class IoU(_IoUBase):
    """keras.metrics.IoU(num_classes, target_class_ids, name='io_u', dtype=None,
    ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1): the
    intersection over union of the classes `target_class_ids`, averaged over those of
    them that occur,

        iou_c = cm[c, c] / (sum_j cm[c, j] + sum_i cm[i, c] - cm[c, c]),

    from the confusion matrix of every batch seen (see `_IoUBase`); a class that is
    neither true nor predicted anywhere counts 0 and is left out of the mean.

    Parameters
    ----------
    num_classes : int
        The number of classes, 1 to 2**14 (the confusion matrix is num_classes x
        num_classes).
    target_class_ids : list or tuple of int
        The classes whose IoU is averaged, each in [0, num_classes).
    name : str, optional
    dtype : str or numpy dtype, optional
        The confusion matrix' dtype: int32 (default; weights are truncated to
        integers) or a floating dtype for fractional weights.
    ignore_class : int, optional
        A class id whose values are left out (a "void" class such as -1 or 255).
    sparse_y_true, sparse_y_pred : bool, default True
        False: the labels (predictions) are scores, their argmax along `axis` the class.
    axis : int, default -1
        The class axis of scores.
    """
    _default_name = "io_u"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = _target_ids(target_class_ids, self.num_classes,
                                            type(self).__name__)

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype, "num_classes": self.num_classes,
                "target_class_ids": list(self.target_class_ids),
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """keras.metrics.BinaryIoU(target_class_ids=(0, 1), threshold=0.5,
    name='binary_io_u', dtype=None): IoU of two classes where a prediction >= threshold
    (compared in float32) is class 1 and any other class 0; labels are 0 or 1.

    Parameters
    ----------
    target_class_ids : list or tuple of int, default (0, 1)
        [0], [1] or [0, 1]: the classes whose IoU is averaged.
    threshold : float, default 0.5
    name : str, optional
    dtype : str or numpy dtype, optional
        As for IoU.
    """
    _default_name = "binary_io_u"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = _argcheck.real(threshold, "threshold", "BinaryIoU")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: y_pred thresholded to 0 / 1, then as IoU.update_state."""
        owner = "BinaryIoU.update_state"
        yp = _argcheck.float_array(y_pred, "y_pred", owner, dtype=np.float32)
        if np.isnan(yp).any():
            raise ValueError(f"{owner}: y_pred must not hold NaN")
        yp = (yp >= np.float32(self.threshold)).astype(np.float64).reshape(-1)
        self._add(self._ids(y_true, True, "y_true", owner), yp, sample_weight, owner)

    def get_config(self):
        return {"target_class_ids": list(self.target_class_ids), "threshold": self.threshold,
                "name": self.name, "dtype": self._dtype}


class MeanIoU(IoU):
    """keras.metrics.MeanIoU(num_classes, name='mean_io_u', dtype=None,
    ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1): the IoU
    averaged over every class that occurs (IoU with target_class_ids = all classes).
    The arguments are IoU's."""
    _default_name = "mean_io_u"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        n = _argcheck.integer(num_classes, "num_classes", type(self).__name__, lo=1,
                              hi=_MAX_IOU_CLASSES)
        super().__init__(n, list(range(n)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self._dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """keras.metrics.OneHotIoU(num_classes, target_class_ids, name='one_hot_io_u',
    dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1): IoU with one-hot
    labels (their argmax along `axis` is the class) and, by default, scores as
    predictions. The arguments are IoU's."""
    _default_name = "one_hot_io_u"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes,
                "target_class_ids": list(self.target_class_ids), "name": self.name,
                "dtype": self._dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """keras.metrics.OneHotMeanIoU(num_classes, name='one_hot_mean_io_u', dtype=None,
    ignore_class=None, sparse_y_pred=False, axis=-1): MeanIoU with one-hot labels and,
    by default, scores as predictions. The arguments are IoU's."""
    _default_name = "one_hot_mean_io_u"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self._dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


# ------------------------------------------------------------------ correlation_metrics.py

def _correlation_pair(y_true, y_pred, axis, owner):
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{owner}: y_true must have the shape of y_pred {y_pred.shape}, got "
                         f"{y_true.shape}")
    for a in (axis if isinstance(axis, tuple) else (axis,)):
        _check_axis(a, max(y_pred.ndim, 1), owner)
    return y_true, y_pred


def pearson_correlation(y_true, y_pred, axis=-1):
    """keras.metrics.pearson_correlation: the Pearson correlation coefficient of y_true
    and y_pred along `axis`, mean((t - mean t) / std t * (p - mean p) / std p) (std the
    population one), in y_pred's float dtype.

    Parameters
    ----------
    y_true, y_pred : array-like
        Of the same shape (after Keras' matching of a last axis of 1).
    axis : int or tuple of int, default -1

    Returns
    -------
    numpy.ndarray
        One coefficient per position of the other axes (NaN where a side is constant).
    """
    axis = _correlation_axis(axis, "pearson_correlation")
    y_true, y_pred = _correlation_pair(y_true, y_pred, axis, "pearson_correlation")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = y_true - np.mean(y_true, axis=axis, keepdims=True)
        p = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
        t = t / np.std(t, axis=axis, keepdims=True)
        p = p / np.std(p, axis=axis, keepdims=True)
        return np.mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """keras.metrics.concordance_correlation: Lin's concordance correlation coefficient
    of y_true and y_pred along `axis`, as Keras computes it:
    mean(2 (t - mean p)(p - mean p) / (var t + var p + (mean t - mean p)^2 + 1e-7)), in
    y_pred's float dtype.

    Parameters
    ----------
    y_true, y_pred : array-like
        Of the same shape (after Keras' matching of a last axis of 1).
    axis : int or tuple of int, default -1

    Returns
    -------
    numpy.ndarray
        One coefficient per position of the other axes.
    """
    axis = _correlation_axis(axis, "concordance_correlation")
    y_true, y_pred = _correlation_pair(y_true, y_pred, axis, "concordance_correlation")
    mt = np.mean(y_true, axis=axis, keepdims=True)
    mp = np.mean(y_pred, axis=axis, keepdims=True)
    vt = np.var(y_true - mt, axis=axis, keepdims=True)
    vp = np.var(y_pred - mp, axis=axis, keepdims=True)
    covar = (y_true - mp) * (y_pred - mp)
    norm = vt + vp + np.square(mt - mp)
    eps = y_pred.dtype.type(_EPS)
    return np.mean(y_pred.dtype.type(2) * covar / (norm + eps), axis=axis)


def _correlation_axis(axis, owner):
    if isinstance(axis, (tuple, list)):
        if not axis:
            raise ValueError(f"{owner}: axis must be an int or a non-empty tuple of ints, "
                             f"got {axis!r}")
        return tuple(_argcheck.integer(a, "axis", owner) for a in axis)
    return _argcheck.integer(axis, "axis", owner)


class _Correlation(_MeanOfValues):
    _direction = "up"

    def __init__(self, name=None, dtype=None, axis=-1):
        self.axis = _correlation_axis(axis, type(self).__name__)
        super().__init__(name=name, dtype=dtype)

    def _check_shapes(self, y_true, y_pred, owner):
        super()._check_shapes(y_true, y_pred, owner)
        for a in (self.axis if isinstance(self.axis, tuple) else (self.axis,)):
            _check_axis(a, max(y_pred.ndim, 1), owner)

    def get_config(self):
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {"name": self.name, "dtype": _dtype_name(self.dtype), "axis": axis}


class PearsonCorrelation(_Correlation):
    """keras.metrics.PearsonCorrelation(name='pearson_correlation', dtype=None, axis=-1):
    the mean over samples of pearson_correlation(y_true, y_pred, axis) (weighted by the
    sample weights). 1: a perfect positive linear relation, -1 a negative one.

    Parameters
    ----------
    name : str, optional
    dtype : str or numpy dtype, optional
    axis : int or tuple of int, default -1
        The axis along which each coefficient is computed.
    """
    _default_name = "pearson_correlation"

    def _values(self, y_true, y_pred):
        return pearson_correlation(y_true, y_pred, self.axis)


class ConcordanceCorrelation(_Correlation):
    """keras.metrics.ConcordanceCorrelation(name='concordance_correlation', dtype=None,
    axis=-1): the mean over samples of concordance_correlation(y_true, y_pred, axis)
    (weighted by the sample weights): agreement of predictions and labels, 1 when they
    are equal.

    Parameters
    ----------
    name : str, optional
    dtype : str or numpy dtype, optional
    axis : int or tuple of int, default -1
        The axis along which each coefficient is computed.
    """
    _default_name = "concordance_correlation"

    def _values(self, y_true, y_pred):
        return concordance_correlation(y_true, y_pred, self.axis)

# keras.metrics' functions: per-sample values of a batch (the losses' functions are
# fastnn.losses' own, as keras.metrics re-exports keras.losses')
from fastnn.losses import (  # noqa: E402
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """keras.metrics.binary_accuracy: 1.0 where (y_pred > threshold) equals y_true, per
    value (after Keras' rank matching).

    Parameters
    ----------
    y_true : array-like
        The labels.
    y_pred : array-like
        The predictions.
    threshold : float
        A prediction above it counts as 1. Default 0.5.

    Returns
    -------
    array
        1.0 where the thresholded prediction equals the label, else 0.0.
    """
    y_true, y_pred = _match_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold)).astype(np.float64)


def categorical_accuracy(y_true, y_pred):
    """keras.metrics.categorical_accuracy: 1.0 where the argmax of y_pred is the argmax
    of the one-hot y_true, per sample.

    Parameters
    ----------
    y_true : array-like
        One-hot labels.
    y_pred : array-like
        The predictions.

    Returns
    -------
    array
        One value per sample, 1.0 or 0.0.
    """
    return CategoricalAccuracy()._values(np.asarray(y_true, np.float64),
                                         np.asarray(y_pred, np.float64))


def sparse_categorical_accuracy(y_true, y_pred):
    """keras.metrics.sparse_categorical_accuracy: 1.0 where the argmax of y_pred is the
    integer label, per sample.

    Parameters
    ----------
    y_true : array-like
        Integer labels.
    y_pred : array-like
        The predictions.

    Returns
    -------
    array
        One value per sample, 1.0 or 0.0.
    """
    return _sparse_categorical_accuracy(y_true, y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """keras.metrics.top_k_categorical_accuracy: 1.0 where the true class (one-hot
    y_true) is among the k highest outputs, per sample.

    Parameters
    ----------
    y_true : array-like
        One-hot labels.
    y_pred : array-like
        The predictions.
    k : int
        How many of the highest outputs are looked at. Default 5.

    Returns
    -------
    array
        One value per sample, 1.0 or 0.0.
    """
    return TopKCategoricalAccuracy(k=k)._values(y_true, y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """keras.metrics.sparse_top_k_categorical_accuracy: as top_k_categorical_accuracy,
    with integer labels (from_sorted_ids: y_pred holds class ids, highest score first).

    Parameters
    ----------
    y_true : array-like
        Integer labels.
    y_pred : array-like
        The predictions.
    k : int
        How many of the highest outputs are looked at. Default 5.
    from_sorted_ids : bool
        Whether ``y_pred`` holds class ids sorted from the highest score down. Default
        False.

    Returns
    -------
    array
        One value per sample, 1.0 or 0.0.
    """
    return SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=from_sorted_ids)._values(
        y_true, y_pred)


_FUNCTIONS = ("accuracy", "binary_accuracy", "categorical_accuracy",
              "sparse_categorical_accuracy", "top_k_categorical_accuracy",
              "sparse_top_k_categorical_accuracy", "cosine_similarity", "pearson_correlation",
              "concordance_correlation")

ALL_OBJECTS = {c.__name__: c for c in (Mean, BinaryAccuracy, SparseCategoricalAccuracy,
                                       CategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
                                       RootMeanSquaredError, TopKCategoricalAccuracy,
                                       SparseTopKCategoricalAccuracy, TruePositives,
                                       FalsePositives, TrueNegatives, FalseNegatives,
                                       Precision, Recall, Accuracy, Sum, MeanMetricWrapper,
                                       BinaryCrossentropy, CategoricalCrossentropy,
                                       SparseCategoricalCrossentropy, KLDivergence, Poisson,
                                       MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
                                       CosineSimilarity, LogCoshError, R2Score, Hinge,
                                       SquaredHinge, CategoricalHinge, FBetaScore, F1Score,
                                       AUC, PrecisionAtRecall, RecallAtPrecision,
                                       SensitivityAtSpecificity, SpecificityAtSensitivity,
                                       IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
                                       PearsonCorrelation, ConcordanceCorrelation)}
_BY_NAME = {
    "binary_accuracy": BinaryAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy, "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError, "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
    "precision": Precision, "recall": Recall,
    # Keras' ALL_OBJECTS_DICT: each class by to_snake_case(class name), and the short names
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy, "MSE": MeanSquaredError, "MAE": MeanAbsoluteError,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "poisson": Poisson,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "cosine_similarity": CosineSimilarity, "log_cosh_error": LogCoshError,
    "r2_score": R2Score, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge, "f_beta_score": FBetaScore, "f1_score": F1Score,
    "auc": AUC, "binary_io_u": BinaryIoU, "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation,
}
# Keras' names of the metrics that need an argument (recall=..., ...): known, but they
# cannot be made from the name alone
_NEEDS_ARGUMENT = {"precision_at_recall": ("PrecisionAtRecall", "recall"),
                   "recall_at_precision": ("RecallAtPrecision", "precision"),
                   "sensitivity_at_specificity": ("SensitivityAtSpecificity", "specificity"),
                   "specificity_at_sensitivity": ("SpecificityAtSensitivity", "sensitivity"),
                   "io_u": ("IoU", "num_classes"), "mean_io_u": ("MeanIoU", "num_classes"),
                   "one_hot_io_u": ("OneHotIoU", "num_classes"),
                   "one_hot_mean_io_u": ("OneHotMeanIoU", "num_classes")}
_NEEDS_ARGUMENT.update({cls: (cls, arg) for cls, arg in _NEEDS_ARGUMENT.values()})
# Keras also resolves a metric by its class name ("RootMeanSquaredError"); Mean, Sum and
# MeanMetricWrapper take other arguments than (y_true, y_pred) and are not compiled by name
_BY_NAME.update({name: cls for name, cls in ALL_OBJECTS.items()
                 if name not in ("Mean", "Sum", "MeanMetricWrapper")
                 and name not in _NEEDS_ARGUMENT})
_ACCURACY = ("accuracy", "acc")


def known_names():
    """The metric names ``get`` accepts, sorted.

    Returns
    -------
    list of str
        The names.
    """
    return sorted(set(_BY_NAME) | set(_ACCURACY))


def resolve_accuracy(y_true_shape, y_pred_shape):
    """Keras' choice for 'accuracy' (trainers/compile_utils.py): binary when the model
    outputs one unit, sparse when the labels have a lower rank (or one column against
    several outputs), categorical otherwise.

    Parameters
    ----------
    y_true_shape : tuple
        The labels' shape.
    y_pred_shape : tuple
        The predictions' shape.

    Returns
    -------
    type
        BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy.
    """
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """Name / Metric / class -> Metric object. 'accuracy' needs the shapes to resolve;
    the metric keeps the name it was asked for (as Keras logs it).

    Parameters
    ----------
    identifier : str, Metric or type
        A metric name (``'accuracy'``, ``'mae'``, a class name), a Metric object
        (returned as it is), a Metric class, or a config dict.
    y_true_shape : tuple, optional
        The labels' shape, which ``'accuracy'`` needs to choose its kind (binary,
        categorical or sparse).
    y_pred_shape : tuple, optional
        The predictions' shape, likewise.

    Returns
    -------
    Metric
        The metric object.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return _registry.from_dict("metric", identifier, ALL_OBJECTS)
    if isinstance(identifier, str):
        if identifier.lower() in _ACCURACY:
            if y_pred_shape is None:
                raise ValueError("metric: 'accuracy' can only be resolved once the label and output "
                                 "shapes are known")
            return resolve_accuracy(y_true_shape, y_pred_shape)(name=identifier)
        cls = _BY_NAME.get(identifier)
        if cls is None and identifier in _NEEDS_ARGUMENT:
            cname, arg = _NEEDS_ARGUMENT[identifier]
            raise TypeError(f"metric: {identifier!r} ({cname}) needs the argument `{arg}`; "
                            f"pass metrics.{cname}({arg}=...) instead of its name")
        if cls is None:
            raise ValueError(f"metric: unknown metric {identifier!r}; expected one of {known_names()}")
        return cls(name=identifier)
    raise ValueError(f"metric: expected a metric name or a fastnn Metric, got {identifier!r}; "
                     f"known names: {known_names()}")


def check(identifier):
    """Validate a metric identifier at compile time (before shapes are known).

    Parameters
    ----------
    identifier : str, Metric, type or callable
        What ``compile(metrics=...)`` was given; an unknown one raises ValueError.
    """
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY:
        return
    metric = get(identifier)
    if isinstance(metric, (Mean, Sum)):
        raise ValueError(f"compile: the metric {metric.name!r} is a {type(metric).__name__}, "
                         f"updated with update_state(values); compile takes metrics of "
                         f"(y_true, y_pred), such as MeanMetricWrapper(fn)")


def serialize(metric):
    """A metric's configuration as Keras writes it (a name stays a name).

    Parameters
    ----------
    metric : Metric or str
        The metric.

    Returns
    -------
    dict or str
        ``{'class_name': ..., 'config': metric.get_config()}``, or the name.
    """
    if isinstance(metric, str):
        return metric
    return {"class_name": type(metric).__name__, "config": metric.get_config()}
