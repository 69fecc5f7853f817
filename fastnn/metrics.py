"""Metrics (keras.metrics): stateful mean-type objects with update_state/result/reset_state.

Every metric here is a running mean, so its state is (total, count); `batch_sums`
gives one batch's contribution and `update_sums` adds it. The training loop uses that
pair so a fused engine can hand back sums without per-sample Python.
"""
import math

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
        (with .assign / .assign_add) that reset_state sets back to its initial value."""
        from fastnn import initializers
        from fastnn.tensor import Variable
        init = initializers.get(initializer)
        value = np.asarray(init(tuple(shape), dtype=dtype or "float32"))
        var = Variable(value, trainable=False, name=name, dtype=value.dtype)
        self._variables.append((var, value.copy()))
        return var

    @property
    def variables(self):
        return [v for v, _ in getattr(self, "_variables", [])]

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0
        for var, initial in getattr(self, "_variables", ()):
            var.assign(initial)

    reset_states = reset_state

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
        return _Scalar(self.total / self.count if self.count else 0.0)

    def _values(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} result={self.result():.4f}>"


class Mean(Metric):
    """Weighted mean of the values passed to update_state(values, sample_weight=None)."""
    _default_name = "mean"

    def update_state(self, values, sample_weight=None):
        v = _values_array(values, "values", "Mean.update_state").reshape(-1)
        if sample_weight is None:
            self.update_sums(float(v.sum()), float(v.size))
        else:
            sw = _weights_for(sample_weight, v.size, "Mean.update_state")
            self.update_sums(float((v * sw).sum()), float(sw.sum()))


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


class BinaryAccuracy(Metric):
    _default_name = "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        # Keras: a threshold in (0, 1)
        self.threshold = _argcheck.real(threshold, "threshold", "BinaryAccuracy", lo=0, hi=1,
                                        lo_open=True, hi_open=True)
        super().__init__(name, dtype)

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        hit = (y_true == (y_pred > self.threshold)).astype(np.float64)
        return hit.mean(axis=-1) if hit.ndim > 1 else hit

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


def _check_classes(y_pred, owner):
    """y_pred of an accuracy over classes: a last axis of classes, at least one when there
    are rows to take the argmax of."""
    if y_pred.ndim == 0 or (y_pred.shape[-1] == 0 and math.prod(y_pred.shape[:-1]) > 0):
        raise ValueError(f"{owner}: y_pred must have a last axis of class scores (at least "
                         f"one class), got shape {y_pred.shape}")


class SparseCategoricalAccuracy(Metric):
    _default_name = "sparse_categorical_accuracy"

    def _check_shapes(self, y_true, y_pred, owner):
        _check_classes(y_pred, owner)
        labels = _squeeze_labels(y_true, y_pred)
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(f"{owner}: y_true must hold one class index per row of y_pred "
                             f"{y_pred.shape}, shape {y_pred.shape[:-1]} or "
                             f"{y_pred.shape[:-1] + (1,)}, got {y_true.shape}")
        if labels.size and not (np.isfinite(labels).all() and np.abs(labels).max() < 2 ** 62):
            raise ValueError(f"{owner}: y_true must hold class indices (finite integers), "
                             f"got values such as {labels[~np.isfinite(labels) | (np.abs(labels) >= 2 ** 62)][0]}")

    def _values(self, y_true, y_pred):
        y_true = _squeeze_labels(y_true, y_pred)
        return (np.argmax(y_pred, axis=-1) == y_true.astype(np.int64)).astype(np.float64)


class CategoricalAccuracy(Metric):
    _default_name = "categorical_accuracy"

    def _check_shapes(self, y_true, y_pred, owner):
        _check_classes(y_pred, owner)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{owner}: y_true must have the shape of y_pred {y_pred.shape} "
                             f"(one-hot rows), got {y_true.shape}")

    def _values(self, y_true, y_pred):
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


class MeanSquaredError(Metric):
    _default_name = "mean_squared_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        d = y_pred - y_true
        return (d * d).mean(axis=-1)


class MeanAbsoluteError(Metric):
    _default_name = "mean_absolute_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        return np.abs(y_pred - y_true).mean(axis=-1)


class RootMeanSquaredError(Metric):
    """keras.metrics.RootMeanSquaredError: sqrt of the mean squared error over every
    value seen (not the mean of per-batch roots)."""
    _default_name = "root_mean_squared_error"

    def _values(self, y_true, y_pred):
        y_true, y_pred = _match_rank(y_true, y_pred)
        return np.square(y_true - y_pred).reshape(-1)

    def batch_sums(self, y_true, y_pred, sample_weight=None):
        values = self._values(y_true, y_pred)
        if sample_weight is None:
            return float(values.sum()), float(values.size)
        sw = np.broadcast_to(np.asarray(sample_weight, np.float64).reshape(-1, *(
            [1] * (np.ndim(y_pred) - 1))), np.shape(y_pred)).reshape(-1)
        return float((values * sw).sum()), float(sw.sum())

    def result(self):
        return _Scalar(math.sqrt(self.total / self.count) if self.count else 0.0)


class TopKCategoricalAccuracy(Metric):
    """keras.metrics.TopKCategoricalAccuracy: whether the true class (one-hot y_true) is
    among the k highest outputs."""
    _default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None, dtype=None):
        self.k = _argcheck.integer(k, "k", "TopKCategoricalAccuracy", lo=1)
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
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """keras.metrics.SparseTopKCategoricalAccuracy: integer labels."""
    _default_name = "sparse_top_k_categorical_accuracy"

    def _label(self, y_true, y_pred):
        return _squeeze_labels(y_true, y_pred).astype(np.int64)


ALL_OBJECTS = {c.__name__: c for c in (Mean, BinaryAccuracy, SparseCategoricalAccuracy,
                                       CategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
                                       RootMeanSquaredError, TopKCategoricalAccuracy,
                                       SparseTopKCategoricalAccuracy)}
_BY_NAME = {
    "binary_accuracy": BinaryAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy, "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError, "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
}
# Keras also resolves a metric by its class name ("RootMeanSquaredError")
_BY_NAME.update({name: cls for name, cls in ALL_OBJECTS.items() if name != "Mean"})
_ACCURACY = ("accuracy", "acc")


def known_names():
    return sorted(set(_BY_NAME) | set(_ACCURACY))


def resolve_accuracy(y_true_shape, y_pred_shape):
    """Keras' choice for 'accuracy' (trainers/compile_utils.py): binary when the model
    outputs one unit, sparse when the labels have a lower rank (or one column against
    several outputs), categorical otherwise."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """Name / Metric / class -> Metric object. 'accuracy' needs the shapes to resolve;
    the metric keeps the name it was asked for (as Keras logs it)."""
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
        if cls is None:
            raise ValueError(f"metric: unknown metric {identifier!r}; expected one of {known_names()}")
        return cls(name=identifier)
    raise ValueError(f"metric: expected a metric name or a fastnn Metric, got {identifier!r}; "
                     f"known names: {known_names()}")


def check(identifier):
    """Validate a metric identifier at compile time (before shapes are known)."""
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY:
        return
    get(identifier)


def serialize(metric):
    if isinstance(metric, str):
        return metric
    return {"class_name": type(metric).__name__, "config": metric.get_config()}
