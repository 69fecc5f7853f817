"""Losses (keras.losses): classes, per-sample functions and string names.

Reduction is Keras' default "sum_over_batch_size": sum(sample_weight * loss) / batch size.
"""
import numpy as np

from fastnn import _argcheck, kernel_ops as ops
from fastnn import _registry
from fastnn.autodiff.tape import should_record
from fastnn.tensor import Scalar as _Scalar, Tensor as _Tensor, as_tensor as _as_tensor


def _pred(y_pred, owner):
    p = _argcheck.real_array(y_pred, "y_pred", owner)
    if p.dtype.kind != "f":
        p = p.astype(np.float32)
    return p


def _true(y_true, dtype, owner):
    t = _argcheck.real_array(y_true, "y_true", owner)
    with np.errstate(over="ignore"):   # as the dtype holds it, as Keras casts it
        return t.astype(dtype, copy=False)


class Loss:
    """Base class. Subclasses name their ops kernel (`_op`) and the per-sample function."""
    _op = None
    _default_name = None

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        owner = type(self).__name__
        if not (reduction is None or isinstance(reduction, str)) or \
                reduction not in ("sum_over_batch_size", "sum", "none", None):
            raise ValueError(f"{owner}: reduction must be 'sum_over_batch_size', "
                             f"'sum' or 'none', got {_argcheck.shown(reduction)}")
        self.name = _argcheck.string(name, "name", owner, allow_none=True) or self._default_name
        self.reduction = reduction
        self.from_logits = False

    # Extra keyword arguments of ops.loss_and_grad (Huber's delta).
    def _op_kwargs(self):
        return {}

    def _per_sample(self, y_true, y_pred):
        raise NotImplementedError

    def _prepare_true(self, y_true, y_pred):
        return _true(y_true, y_pred.dtype, type(self).__name__)

    def __call__(self, y_true, y_pred, sample_weight=None):
        owner = type(self).__name__
        reduced = self.reduction in ("sum_over_batch_size", "sum")
        if self._op is not None and reduced and isinstance(y_pred, _Tensor) \
                and should_record((y_pred,) + ((getattr(y_pred, "_keras_logits", None) or
                                                (None,))[0],)):
            # under a GradientTape: the C kernel's value and gradient, recorded
            return self._recorded(y_true, y_pred, sample_weight)
        logits = getattr(y_pred, "_keras_logits", None)
        if logits is not None and self._uses_logits_of(logits[1]):
            # a softmax / sigmoid output: the cross-entropy on its logits, as Keras does
            per_fn = self.__class__(from_logits=True, reduction=self.reduction, name=self.name)
            return per_fn(y_true, logits[0], sample_weight)
        y_pred = _pred(y_pred, owner)
        y_true = self._prepare_true(y_true, y_pred)
        per = np.asarray(self._per_sample(y_true, y_pred), dtype=np.float64)
        if sample_weight is not None:
            sw = _argcheck.float_array(sample_weight, "sample_weight", owner, dtype=np.float64)
            if sw.size == 1:
                sw = sw.reshape(())
            elif sw.size == per.size and sw.shape in (per.shape, per.shape + (1,)):
                sw = sw.reshape(per.shape)
            else:
                raise ValueError(f"{owner}: sample_weight must have one weight per sample, "
                                 f"shape {per.shape} (or {per.shape + (1,)}), or be a "
                                 f"scalar, got shape {sw.shape}")
            _argcheck.finite_array(sw, "sample_weight", owner)
            per = per * sw
        if self.reduction == "none" or self.reduction is None:
            return _as_tensor(per.astype(y_pred.dtype))
        if self.reduction == "sum":
            return _Scalar(per.sum())
        return _Scalar(per.sum() / max(per.size, 1))

    def _uses_logits_of(self, activation):
        """Whether this loss on probabilities takes the logits of a softmax / sigmoid
        output instead (the matching cross-entropy, not already from_logits)."""
        if self.from_logits or not self._is_crossentropy():
            return False
        return self._op in {"softmax": ("sparse_categorical_crossentropy",
                                        "categorical_crossentropy"),
                            "sigmoid": ("binary_crossentropy",)}.get(activation, ())

    def _recorded(self, y_true, y_pred, sample_weight):
        from fastnn.trainers.compile_utils import loss_value
        owner = type(self).__name__
        sw = None
        if sample_weight is not None:
            sw = _argcheck.float_array(sample_weight, "sample_weight", owner,
                                       dtype=np.float64)
            sw = np.broadcast_to(sw.reshape(-1) if sw.size > 1 else sw.reshape(()),
                                 (np.shape(y_pred)[0],)).astype(y_pred.dtype)
        y = self._prepare_true(y_true, np.asarray(y_pred))
        value = loss_value(self, y, y_pred, sw)
        if self.reduction == "sum":
            value = value * float(np.prod(np.shape(y_pred)[:-1]) or 1)
        return value

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        """(batch-mean loss, d loss / d y_pred) through ops; from_logits overrides the
        loss' own flag (the fused softmax/sigmoid head passes True)."""
        fl = self.from_logits if from_logits is None else from_logits
        kw = {"from_logits": fl} if self._is_crossentropy() else {}
        kw.update(self._op_kwargs())
        return ops.loss_and_grad(self._op, y_true, y_pred, sample_weight=sample_weight, **kw)

    def _is_crossentropy(self):
        return self._op.endswith("crossentropy")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _CrossentropyBase(Loss):
    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = _argcheck.boolean(from_logits, "from_logits", type(self).__name__)

    def get_config(self):
        cfg = super().get_config()
        cfg["from_logits"] = self.from_logits
        return cfg


class BinaryCrossentropy(_CrossentropyBase):
    _op = "binary_crossentropy"
    _default_name = "binary_crossentropy"

    def _per_sample(self, y_true, y_pred):
        return ops.binary_crossentropy(y_true, y_pred, from_logits=self.from_logits)


class CategoricalCrossentropy(_CrossentropyBase):
    _op = "categorical_crossentropy"
    _default_name = "categorical_crossentropy"

    def _per_sample(self, y_true, y_pred):
        return ops.categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)


class SparseCategoricalCrossentropy(_CrossentropyBase):
    _op = "sparse_categorical_crossentropy"
    _default_name = "sparse_categorical_crossentropy"

    def _prepare_true(self, y_true, y_pred):
        # Labels (N,) or (N, 1), cast to integers as Keras casts them (0.7 is class 0);
        # fastnn.ops refuses what is no class index (NaN, negative, too large).
        y = _argcheck.real_array(y_true, "y_true", type(self).__name__)
        if y.ndim == y_pred.ndim and y.ndim and y.shape[-1] == 1:
            y = y.reshape(y.shape[:-1])
        return np.trunc(y) if y.dtype.kind == "f" else y

    def _per_sample(self, y_true, y_pred):
        return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)


class MeanSquaredError(Loss):
    _op = "mean_squared_error"
    _default_name = "mean_squared_error"

    def _per_sample(self, y_true, y_pred):
        return ops.mean_squared_error(y_true, y_pred)


class MeanAbsoluteError(Loss):
    _op = "mean_absolute_error"
    _default_name = "mean_absolute_error"

    def _per_sample(self, y_true, y_pred):
        return ops.mean_absolute_error(y_true, y_pred)


class Huber(Loss):
    _op = "huber"
    _default_name = "huber_loss"

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.delta = _argcheck.real(delta, "delta", "Huber", lo=0, lo_open=True)

    def _op_kwargs(self):
        return {"delta": self.delta}

    def _per_sample(self, y_true, y_pred):
        return ops.huber(y_true, y_pred, delta=self.delta)

    def get_config(self):
        cfg = super().get_config()
        cfg["delta"] = self.delta
        return cfg


# Per-sample functions, as keras.losses.<name>(y_true, y_pred) -> (N,) array.
def binary_crossentropy(y_true, y_pred, from_logits=False):
    return BinaryCrossentropy(from_logits, reduction="none")(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    return CategoricalCrossentropy(from_logits, reduction="none")(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    return SparseCategoricalCrossentropy(from_logits, reduction="none")(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    return Huber(delta, reduction="none")(y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
bce = binary_crossentropy

ALL_OBJECTS = {c.__name__: c for c in (
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, Huber)}
# String names (Keras' function names and its aliases) -> class.
_BY_NAME = {
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
}
_FUNCS = {binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
          sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
          mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
          huber: Huber}


def known_names():
    return sorted(set(_BY_NAME) | set(ALL_OBJECTS))


def serialize(loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def get(identifier):
    """Name, Loss object, loss function or config dict -> Loss object."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return _registry.from_dict("loss", identifier, ALL_OBJECTS)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or ALL_OBJECTS.get(identifier)
        if cls is None:
            raise ValueError(f"loss: unknown loss {identifier!r}; expected one of {known_names()}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier) and identifier in _FUNCS:
        return _FUNCS[identifier]()
    raise ValueError(f"loss: expected a loss name, a fastnn Loss or a fastnn loss function, got "
                     f"{_argcheck.shown(identifier)}; known names: {known_names()}")
