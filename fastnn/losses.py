"""Losses (keras.losses): classes, per-sample functions and string names.

Reductions (the `reduction` argument, applied when a loss object is called), as Keras 3:
"sum_over_batch_size" (the default) and "mean": sum(sample_weight * loss) / number of
per-sample values; "sum": the weighted sum; "mean_with_sample_weight": the weighted sum
divided by the sum of the sample weights (0 where that sum is 0); "none" or None: the
weighted per-sample values. compile() trains on "sum_over_batch_size".

Two kinds of losses:

- MeanSquaredError, MeanAbsoluteError, Huber, the three cross-entropies, KLDivergence,
  Poisson, LogCosh, the hinges, CosineSimilarity, MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError, the focal cross-entropies, Dice and Tversky compute value
  and gradient in one C pass (`_op`), which the fused engine also runs (label_smoothing
  included);
- the last ten are also written with fastnn.autodiff.ops (Keras' formulas, `call`),
  which serves the options their kernels do not take (an axis other than -1; for Dice
  and Tversky, an axis, and any use but the batch mean in training or under a
  GradientTape) and per-sample values (reduction "none") under a GradientTape.

A SparseCategoricalCrossentropy with ignore_class keeps its C kernel on the layer path
and is refused by the fused engine (the model then trains on the layer path).

Differences from Keras 3, on purpose:

- no `dtype` argument: a loss computes in the dtype of y_pred (float32 or float64;
  integers as float32), where Keras casts both to its floatx or the given dtype;
- BinaryCrossentropy and SparseCategoricalCrossentropy take `axis=-1` only (their
  kernels reduce over the last axis; another axis is a ValueError; CategoricalCrossentropy
  computes another axis with fastnn.autodiff's ops), and SparseCategoricalCrossentropy
  takes (N, classes) predictions;
- `get(name)` returns a Loss object where Keras returns the function for a function
  name; Keras 2's names "huber_loss", "logcosh" and "kullback_leibler_divergence" are
  accepted too;
- sample weights may also be given per sample for per-sample values of shape (N, T)
  (shape (N,), expanded), which Keras refuses unless T == N.
"""
import warnings

import numpy as np

from fastnn import _argcheck, _kernels, backend as _backend, kernel_ops as ops
from fastnn import _registry
from fastnn.autodiff.tape import record, should_record
from fastnn.tensor import (Scalar as _Scalar, Tensor as _Tensor, as_tensor as _as_tensor,
                           get_keras_mask, set_keras_mask)


def _pred(y_pred, owner):
    p = _argcheck.real_array(y_pred, "y_pred", owner)
    if p.dtype.kind != "f":
        p = p.astype(np.float32)
    return p


def _true(y_true, dtype, owner):
    t = _argcheck.real_array(y_true, "y_true", owner)
    with np.errstate(over="ignore"):   # as the dtype holds it, as Keras casts it
        return t.astype(dtype, copy=False)


_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _sample_weights(sample_weight, shape, owner):
    """sample_weight as a float64 array that broadcasts against per-sample values of
    `shape`: a scalar, that shape, that shape with a trailing 1 (squeezed, as Keras'
    squeeze_or_expand_to_same_rank), or its leading dimensions (one weight per sample
    of (N, T) values: expanded with trailing 1s)."""
    sw = _argcheck.float_array(sample_weight, "sample_weight", owner, dtype=np.float64)
    _argcheck.finite_array(sw, "sample_weight", owner)
    shape = tuple(shape)
    if sw.size == 1 and sw.ndim <= max(len(shape), 1):
        return sw.reshape(())
    if sw.shape == shape:
        return sw
    if sw.shape == shape + (1,):
        return sw.reshape(shape)
    if 0 < sw.ndim < len(shape) and sw.shape == shape[:sw.ndim]:
        return sw.reshape(sw.shape + (1,) * (len(shape) - sw.ndim))
    raise ValueError(f"{owner}: sample_weight must have one weight per sample, shape "
                     f"{shape} (or {shape + (1,)}), or be a scalar, got shape {sw.shape}")


def _as_rows(y_true, y_pred):
    """(targets, predictions) as the C loss kernels take them: predictions of more than 2
    dimensions (N, ..., k) as rows (-1, k), the targets likewise (class indices as one
    column of them); of 1 or 2 dimensions as they are."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim <= 2:
        return y_true, y_pred
    y_true = np.asarray(y_true)
    y_rows = y_true.reshape(-1, y_true.shape[-1]) if y_true.ndim == y_pred.ndim \
        else y_true.reshape(-1)
    return y_rows, y_pred.reshape(-1, y_pred.shape[-1])


def _reduce_values(values, sw, mask, reduction):
    """Keras' reduce_weighted_values, differentiable (fastnn.autodiff.ops): values times
    the sample weights (sw, from _sample_weights, or None) and the mask (bool array of
    the values' shape, or None: entries to leave out, as Keras' masked losses), then
    reduced. Under "sum_over_batch_size" / "mean" a mask reweights the kept entries by
    total / kept, so that the mean is over the kept entries."""
    from fastnn.autodiff import ops as K
    values = K.convert_to_tensor(values)
    if mask is not None:
        m = np.asarray(mask, dtype=np.float64)
        if reduction in ("mean", "sum_over_batch_size"):
            kept = m.sum()
            m = m * (m.size / kept if kept else 0.0)
        sw = m if sw is None else sw * m
    if sw is not None:
        values = K.multiply(values, np.asarray(sw, dtype=values.dtype))
    if reduction in ("none", None) or values.ndim == 0 or values.shape == (0,):
        return values
    total = K.sum(values)
    if reduction == "sum":
        return total
    divisor = np.sum(sw) if reduction == "mean_with_sample_weight" and sw is not None \
        else values.size
    return K.divide_no_nan(total, np.asarray(divisor, dtype=values.dtype))


def _both_masks(own, out_mask, shape, owner):
    """The entries to keep: the loss's own mask (ignore_class) and the mask the model's
    output carries, both or either (None: keep all)."""
    if out_mask is None:
        return own
    if out_mask.shape != tuple(shape):
        raise ValueError(f"{owner}: the mask of y_pred has shape {out_mask.shape}, and the "
                         f"loss values have shape {tuple(shape)}; they must be equal")
    return out_mask if own is None else np.asarray(own, bool) & out_mask


def _kernel_rows(y_true, y_pred, owner, one_row=False):
    """(y_true, y_pred) as C-contiguous n x k arrays of one float dtype for a loss kernel
    over the last axis (no class indices), and y_pred's shape: y_pred of 1 or 2
    dimensions, y_true of its shape ((n,) and (n, 1) taken as each other)."""
    yp = ops._as_array(y_pred, "y_pred")
    yt = ops._as_array(y_true, "y_true")
    dtype = ops._float_dtype((yp, y_pred), (yt, y_true))
    yp = ops._prepare(dtype, yp)
    shape = yp.shape
    if yp.ndim not in (1, 2):
        raise ValueError(f"{owner}: y_pred must have 1 or 2 dimensions (samples, values), "
                         f"got shape {shape}")
    if yp.ndim == 1:      # one vector: one sample for a loss that reduces over a row
        yp = yp.reshape(1, -1) if one_row else yp.reshape(-1, 1)
    n, k = yp.shape
    if n == 0 or k == 0:
        raise ValueError(f"{owner}: y_pred must not be empty, got shape {shape}")
    if yt.shape != shape and not (yt.size == n * k and
                                  {yt.shape, shape} <= {(n * k,), (n * k, 1)}):
        raise ValueError(f"{owner}: y_true must have the shape of y_pred {shape}, got "
                         f"{yt.shape}")
    return ops._prepare(dtype, yt).reshape(n, k), yp, shape


def _kernel_loss(loss, y_true, y_pred, from_logits, sample_weight=None, grad=False):
    """Run `loss`'s C kernel (fastnn._codes.LOSSES[loss._kernel_name(from_logits)] with
    the parameters loss._kernel_params()): the per-sample values (n,) when grad is
    False, else (sum_i w_i l_i / n, d / d y_pred in y_pred's shape), Keras'
    "sum_over_batch_size" value and its gradient."""
    from fastnn._codes import LOSSES
    owner = type(loss).__name__
    name = loss._kernel_name(from_logits)
    if loss._op in ops._LOSS_NAMES:        # the cross-entropies: class indices and all
        code, _, yt, yp, shape, dtype = ops._loss_args(loss._op, y_true, y_pred,
                                                       from_logits, 1.0)
    else:
        yt, yp, shape = _kernel_rows(y_true, y_pred, owner,
                                     one_row=getattr(loss, "_rowwise", False))
        code, dtype = LOSSES[name], yp.dtype
    params = loss._kernel_params()
    n = yp.shape[0]
    ca = loss._kernel_class_alpha(yp.shape[1])
    if not grad:
        out = np.empty(n, dtype=dtype)
        _kernels.loss(code, 0.0, yt, yp, None, 1.0, None, out, params=params,
                      class_alpha=ca)
        return out
    sw = None
    if sample_weight is not None:
        sw = ops._as_array(sample_weight, "sample_weight")
        if sw.shape not in ((n,), (n, 1)):
            raise ValueError(f"{owner}: sample_weight must have shape ({n},) or ({n}, 1), "
                             f"got {sw.shape}")
        sw = ops._prepare(dtype, sw).reshape(n)
        if not np.all(np.isfinite(sw)):
            raise ValueError(f"{owner}: sample_weight must be finite")
    g = np.empty_like(yp)
    total = _kernels.loss(code, 0.0, yt, yp, sw, 1.0 / n, g, None, params=params,
                          class_alpha=ca)
    return total / n, g.reshape(shape)


class Loss:
    """keras.losses.Loss: the base class of the losses. Calling a loss object,
    ``loss(y_true, y_pred, sample_weight=None)``, computes the per-sample values
    (``call``), weights them and reduces them as ``reduction`` says. A subclass defines
    ``call(y_true, y_pred)`` with ``fastnn.ops``; it is then differentiable and can be
    given to ``compile``.

    Parameters
    ----------
    name : str, optional
        The loss's name, shown in logs and written in configs. Default: the snake-case
        name of the class.
    reduction : str or None
        How calling the loss reduces the weighted per-sample values:
        ``'sum_over_batch_size'`` (the default) or ``'mean'`` divide their sum by the
        number of values; ``'sum'`` gives the sum; ``'mean_with_sample_weight'``
        divides the weighted sum by the sum of the sample weights; ``'none'`` or None
        gives the weighted per-sample values.
    dtype : str, numpy dtype or DTypePolicy, optional
        The dtype the loss computes in: ``'float32'`` or ``'float64'`` (a policy gives
        its compute dtype). The targets and predictions are converted to it, the
        per-sample values come out in it, and in training the gradient is converted
        back to the predictions' dtype; a reduced value is a 0-d array of that dtype.
        Default None: the dtype of the predictions (Keras: ``keras.backend.floatx()``).
    """
    _op = None
    _default_name = None
    _dtype = None

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        owner = type(self).__name__
        if not (reduction is None or isinstance(reduction, str)) or \
                reduction not in _REDUCTIONS:
            raise ValueError(f"{owner}: reduction must be 'sum_over_batch_size', 'sum', "
                             f"'mean', 'mean_with_sample_weight', 'none' or None, got "
                             f"{_argcheck.shown(reduction)}")
        self.name = _argcheck.string(name, "name", owner, allow_none=True) or self._default_name
        self.reduction = reduction
        self.from_logits = False
        self._dtype = _loss_dtype(dtype, owner)

    @property
    def dtype(self):
        """The dtype the loss computes in (``'float32'`` or ``'float64'``), or None:
        the dtype of the predictions."""
        return self._dtype

    def _in_dtype(self, a):
        """`a` (targets or predictions, a NumPy array) in the loss' dtype, if it has one."""
        if self._dtype is None or a.dtype.kind != "f" or a.dtype == self._dtype:
            return a
        with np.errstate(over="ignore"):      # as the dtype holds it, as Keras casts it
            return a.astype(self._dtype)

    def _mask(self, y_true):
        """The per-sample entries to leave out (SparseCategoricalCrossentropy's
        ignore_class), or None."""
        return None

    # Extra keyword arguments of ops.loss_and_grad (Huber's delta).
    def _op_kwargs(self):
        return {}

    def _per_sample(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__}: a Loss subclass defines "
                                  f"call(y_true, y_pred)")

    def call(self, y_true, y_pred):
        """The per-sample loss values (Keras' Loss.call): what a subclass of Loss
        defines, with keras.ops (fastnn.ops), for the base class' __call__ to reduce
        over the batch with the sample weights and the reduction.

        Parameters
        ----------
        y_true : array-like
            The targets.
        y_pred : array-like
            The predictions.

        Returns
        -------
        Tensor
            The loss of each sample.
        """
        raise NotImplementedError(f"{type(self).__name__}: a Loss subclass defines "
                                  f"call(y_true, y_pred)")

    def _prepare_true(self, y_true, y_pred):
        return _true(y_true, y_pred.dtype, type(self).__name__)

    def __call__(self, y_true, y_pred, sample_weight=None):
        reduced = self.reduction not in ("none", None)
        if self._on_tape(y_true, y_pred, reduced):
            return _TapeLoss.__call__(self, y_true, y_pred, sample_weight)
        owner = type(self).__name__
        if self._op is not None and reduced and isinstance(y_pred, _Tensor) \
                and should_record((y_pred,) + ((getattr(y_pred, "_keras_logits", None) or
                                                (None,))[0],)):
            # under a GradientTape: the C kernel's value and gradient, recorded
            return self._recorded(y_true, y_pred, sample_weight)
        out_mask = get_keras_mask(y_pred)     # an output's mask (Embedding's mask_zero)
        logits = getattr(y_pred, "_keras_logits", None)
        if logits is not None and self._uses_logits_of(logits[1]):
            # a softmax / sigmoid output: the cross-entropy on its logits, as Keras does
            per_fn = self.from_config({**self.get_config(), "from_logits": True})
            # (the logits as a tensor of their own, which a GradientTape follows to them,
            # to carry the output's mask)
            z = record((logits[0],), np.asarray(logits[0]).view(np.ndarray), lambda g: [g],
                       name="logits")
            if out_mask is not None:
                set_keras_mask(z, out_mask)
            return per_fn(y_true, z, sample_weight)
        given = y_pred
        y_pred = self._in_dtype(_pred(y_pred, owner))
        y_true = self._prepare_true(y_true, y_pred)
        per = np.asarray(self._rows_per_sample(y_true, y_pred), dtype=np.float64)
        # per-sample values a GradientTape follows (a loss function inside a custom loss)
        followed = not reduced and self._op is not None and isinstance(given, _Tensor) \
            and should_record((given,))
        if followed:
            per = self._followed(per, y_true, y_pred, given)
        sw = None if sample_weight is None else _sample_weights(sample_weight, per.shape, owner)
        out = _reduce_values(per, sw, _both_masks(self._mask(y_true), out_mask, per.shape,
                                                  owner), self.reduction)
        if followed:
            from fastnn.autodiff import ops as K
            return K.cast(out, y_pred.dtype)
        if not reduced:
            return _as_tensor(np.asarray(out).astype(y_pred.dtype))
        if self._dtype is not None:       # a given dtype: the value in it, as Keras gives
            return _as_tensor(np.asarray(out, dtype=self._dtype))
        return _Scalar(float(out))

    def _on_tape(self, y_true, y_pred, reduced):
        """Whether a call of this loss runs its `call` with fastnn.autodiff.ops (the
        tape) rather than its C kernel: a user's subclass that defines call(), a loss
        whose options its kernel does not take, shapes the kernel does not take (one
        vector, or targets that broadcast against the predictions), per-sample values a
        GradientTape follows, and a loss of one value for the whole batch (Dice,
        Tversky) anywhere but as the batch mean under a GradientTape."""
        if type(self).call is Loss.call:
            return False
        if type(self)._per_sample is Loss._per_sample or self._op is None:
            return True
        sp, st = np.shape(y_pred), np.shape(y_true)
        if len(sp) < 2 or not (st == sp or (st == sp[:-1] and sp[-1] == 1)):
            return True
        recording = isinstance(y_pred, _Tensor) and should_record((y_pred,))
        if getattr(self, "_whole_batch", False):
            return not (reduced and recording)
        return not reduced and recording

    def _rows_per_sample(self, y_true, y_pred):
        """_per_sample on (N, ..., k) outputs: the C kernels take rows, so the leading
        axes are flattened and restored (values of shape (N, ...), as Keras')."""
        y_pred_a = np.asarray(y_pred)
        if self._op is None or y_pred_a.ndim <= 2:
            return self._per_sample(y_true, y_pred)
        per = self._per_sample(*_as_rows(y_true, y_pred_a))
        return np.asarray(per).reshape(y_pred_a.shape[:-1])

    def _uses_logits_of(self, activation):
        """Whether this loss on probabilities takes the logits of a softmax / sigmoid
        output instead (the matching cross-entropy, not already from_logits)."""
        if self.from_logits or not self._is_crossentropy():
            return False
        return self._op in {"softmax": ("sparse_categorical_crossentropy",
                                        "categorical_crossentropy"),
                            "sigmoid": ("binary_crossentropy",)}.get(activation, ())

    def _followed(self, per, y_true, y_pred, given):
        """The per-sample values `per` of this C-kernel loss on (y_true, y_pred), both
        prepared, as a tensor a GradientTape follows from `given` (the predictions as the
        caller gave them): the gradient of sum_i g_i per_i is the kernel's gradient of the
        loss with the output gradients g as sample weights, times the number of values
        the kernel's mean divides by (the kept ones, with ignore_class)."""
        shape = np.shape(y_pred)
        mask = self._mask(y_true)
        count = per.size if mask is None else int(np.count_nonzero(mask))

        def vjp(g):
            w = np.asarray(g, dtype=np.float64).reshape(-1)
            _, grad = self.loss_and_grad(*_as_rows(y_true, y_pred), sample_weight=w)
            grad = np.asarray(grad, dtype=np.float64) * count
            return [grad.reshape(shape).astype(np.asarray(given).dtype, copy=False)]
        return record((given,), per, vjp, name=type(self).__name__, first_order=True)

    def _recorded(self, y_true, y_pred, sample_weight):
        from fastnn.trainers.compile_utils import loss_value
        owner = type(self).__name__
        sw = given = None
        if sample_weight is not None:
            given = _argcheck.float_array(sample_weight, "sample_weight", owner,
                                          dtype=np.float64)
            sw = np.broadcast_to(given.reshape(-1) if given.size > 1 else given.reshape(()),
                                 (np.shape(y_pred)[0],)).astype(y_pred.dtype)
            if given.size == 1:
                given = given.reshape(())   # a scalar: Keras divides by it, not n times it
        y = self._prepare_true(y_true, np.asarray(y_pred))
        return loss_value(self, y, y_pred, sw, given)   # reduced as self.reduction says

    def _reduce_mean(self, value, y, pred_shape, sw):
        """value, Keras' "sum_over_batch_size" of a C-kernel loss (a scalar a tape may
        follow), turned into this loss' reduction: times the number of values for
        "sum"; for "mean_with_sample_weight", times that number over the sum of the
        sample weights sw (one per sample, a scalar, or None) of the kept values (0 when
        that sum is 0)."""
        if self.reduction in ("sum_over_batch_size", "mean"):
            return value
        mask = self._mask(y)
        count = float(np.prod(pred_shape[:-1]) or 1) if mask is None \
            else float(np.count_nonzero(mask))
        if self.reduction == "sum":
            return value * count
        # mean_with_sample_weight: the weighted sum over the sum of the weights
        if sw is None and mask is None:
            return value
        w = 1.0 if sw is None else np.asarray(sw, np.float64)
        w = w.reshape(-1) if np.ndim(w) else w
        divisor = float(np.sum(w * (1.0 if mask is None else mask.reshape(-1))))
        return value * (count / divisor) if divisor else value * 0.0

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        """(batch-mean loss, d loss / d y_pred) through ops; from_logits overrides the
        loss' own flag (the fused softmax/sigmoid head passes True)."""
        fl = self.from_logits if from_logits is None else from_logits
        kw = {"from_logits": fl} if self._is_crossentropy() else {}
        kw.update(self._op_kwargs())
        if self._dtype is not None:
            # computed in the loss' dtype; the gradient in the predictions' dtype
            given = np.asarray(y_pred).dtype
            y_t, y_p = np.asarray(y_true), np.asarray(y_pred)
            value, grad = ops.loss_and_grad(self._op, self._in_dtype(y_t) if y_t.dtype ==
                                            given else y_t, self._in_dtype(y_p),
                                            sample_weight=sample_weight, **kw)
            return value, np.asarray(grad).astype(given, copy=False)
        return ops.loss_and_grad(self._op, y_true, y_pred, sample_weight=sample_weight, **kw)

    def _is_crossentropy(self):
        return self._op.endswith("crossentropy")

    def get_config(self):
        cfg = {"name": self.name, "reduction": self.reduction}
        if self._dtype is not None:        # Keras' configs leave it out; read back as given
            cfg["dtype"] = self._dtype
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _loss_dtype(dtype, owner):
    """A loss' dtype argument as 'float32' / 'float64', or None."""
    if dtype is None:
        return None
    from fastnn import mixed_precision
    name = None
    if isinstance(dtype, mixed_precision.DTypePolicy):
        name = dtype.compute_dtype
    elif isinstance(dtype, dict):
        name = dtype.get("config", {}).get("name") if isinstance(dtype.get("config"), dict) \
            else None
    elif isinstance(dtype, str):
        name = dtype
    elif isinstance(dtype, (type, np.dtype)):
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    if name not in ("float32", "float64"):
        raise ValueError(f"{owner}: dtype must be 'float32' or 'float64' (fastnn computes "
                         f"losses in these; NumPy has no bfloat16 and fastnn has no float16 "
                         f"kernels), a float dtype or a DTypePolicy of them, got "
                         f"{_argcheck.shown(dtype)}")
    return name


def _last_axis(axis, owner):
    """The cross-entropy kernels reduce over the last axis: axis must be -1."""
    axis = _argcheck.integer(axis, "axis", owner)
    if axis != -1:
        raise ValueError(f"{owner}: axis must be -1 (fastnn's cross-entropy kernels reduce "
                         f"over the last axis), got {axis}")
    return axis


def _smoothing(value, owner):
    return _argcheck.real(value, "label_smoothing", owner, lo=0.0, hi=1.0)


class _CrossentropyBase(Loss):
    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = _argcheck.boolean(from_logits, "from_logits", type(self).__name__)

    def get_config(self):
        cfg = super().get_config()
        cfg["from_logits"] = self.from_logits
        return cfg


class _SmoothedCrossentropy(_CrossentropyBase):
    """BinaryCrossentropy and CategoricalCrossentropy: label_smoothing is applied to
    y_true inside the C kernel (on every path: loss objects, fit, a GradientTape, the
    fused engine)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(from_logits=from_logits, name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        self.label_smoothing = _smoothing(label_smoothing, owner)
        self.axis = self._axis_arg(axis, owner)

    @staticmethod
    def _axis_arg(axis, owner):
        return _last_axis(axis, owner)

    def _kernel_name(self, from_logits):
        return self._op + ("_logits" if from_logits else "")

    def _kernel_params(self):
        return (0.0, 0.0, self.label_smoothing, 0.0)

    def _kernel_class_alpha(self, k):
        return None

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        fl = self.from_logits if from_logits is None else from_logits
        return _kernel_loss(self, y_true, y_pred, fl, sample_weight, grad=True)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(label_smoothing=self.label_smoothing, axis=self.axis)
        return cfg


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Keras' BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
    reduction="sum_over_batch_size", name="binary_crossentropy"): mean over the last
    axis of -(y log p + (1 - y) log(1 - p)), p clipped to [1e-7, 1 - 1e-7]; with
    label_smoothing, y * (1 - label_smoothing) + 0.5 * label_smoothing. axis must be -1.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards 0.5 by this amount. Default 0: no
        smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _op = "binary_crossentropy"
    _default_name = "binary_crossentropy"

    def _per_sample(self, y_true, y_pred):
        if self.label_smoothing:
            return _kernel_loss(self, y_true, y_pred, self.from_logits)
        return ops.binary_crossentropy(y_true, y_pred, from_logits=self.from_logits)


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Keras' CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
    reduction="sum_over_batch_size", name="categorical_crossentropy"): -sum(y * log(p))
    over the class axis, p the predictions divided by their sum and clipped to [1e-7, 1
    - 1e-7] (from logits: log_softmax); with label_smoothing, y * (1 - label_smoothing)
    + label_smoothing / num_classes. The last axis (axis=-1) runs a C kernel (also in
    the fused engine); another class axis, such as 1 for (batch, classes, steps)
    predictions, is computed with fastnn.autodiff's ops (differentiable; a model
    compiled with such a loss trains on the layer path).

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards the uniform distribution over the
        classes by this amount. Default 0: no smoothing.
    axis : int
        The class axis the loss is computed along. Default -1, the last.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _default_name = "categorical_crossentropy"

    @property
    def _op(self):
        # the C kernel reduces over the last axis; another axis is computed on the tape
        return "categorical_crossentropy" if self.axis == -1 else None

    @staticmethod
    def _axis_arg(axis, owner):
        return _argcheck.integer(axis, "axis", owner)

    def _is_crossentropy(self):
        return True

    def _on_tape(self, y_true, y_pred, reduced):
        if self.axis != -1:
            return True
        if type(self).call is CategoricalCrossentropy.call:
            return False        # the C kernel (call serves another axis)
        return super()._on_tape(y_true, y_pred, reduced)

    def _per_sample(self, y_true, y_pred):
        if self.label_smoothing:
            return _kernel_loss(self, y_true, y_pred, self.from_logits)
        return ops.categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)

    def call(self, y_true, y_pred):
        """The loss of each sample, -sum(y * log(p)) over the class axis, with
        fastnn.autodiff's ops (differentiable).

        Parameters
        ----------
        y_true : array-like
            The targets (one-hot or probabilities).
        y_pred : array-like
            The predictions, of the shape of ``y_true``.

        Returns
        -------
        Tensor
            The loss of each sample: y_pred's shape without the class axis.
        """
        from fastnn.autodiff import ops as K
        owner = type(self).__name__
        p = K.convert_to_tensor(y_pred)
        if p.dtype.kind != "f":
            p = K.cast(p, "float32")
        t = _true(np.asarray(y_true).view(np.ndarray) if isinstance(y_true, np.ndarray)
                  else y_true, p.dtype, owner)
        if t.shape != p.shape:
            raise ValueError(f"{owner}: y_true and y_pred must have the same shape, got "
                             f"y_true.shape={t.shape}, y_pred.shape={p.shape}")
        if not -p.ndim <= self.axis < max(p.ndim, 1):
            raise ValueError(f"{owner}: axis {self.axis} is out of bounds for y_pred of shape "
                             f"{p.shape}")
        if self.label_smoothing:
            n = p.shape[self.axis]
            t = t * (1.0 - self.label_smoothing) + self.label_smoothing / n
        if self.from_logits:
            logp = K.log_softmax(p, axis=self.axis)
        else:
            eps = _eps()
            q = K.divide(p, K.sum(p, axis=self.axis, keepdims=True))
            logp = K.log(K.clip(q, eps, 1.0 - eps))
        return K.negative(K.sum(K.multiply(t.astype(p.dtype), logp), axis=self.axis))

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        """(batch-mean loss, d loss / d y_pred); over another axis than the last by a
        GradientTape over `call`."""
        if self.axis == -1:
            return super().loss_and_grad(y_true, y_pred, sample_weight, from_logits)
        from fastnn.autodiff import GradientTape, ops as K
        loss = self
        if from_logits is not None and bool(from_logits) != self.from_logits:
            loss = type(self).from_config({**self.get_config(), "from_logits": bool(from_logits)})
        p = K.convert_to_tensor(np.array(y_pred))
        with GradientTape() as tape:
            tape.watch(p)
            values = loss.call(y_true, p)
            sw = None if sample_weight is None else \
                _sample_weights(sample_weight, np.shape(values), type(self).__name__)
            value = _reduce_values(values, sw, None, "sum_over_batch_size")
        return float(value), np.asarray(tape.gradient(value, p))


class SparseCategoricalCrossentropy(_CrossentropyBase):
    """Keras' SparseCategoricalCrossentropy(from_logits=False, ignore_class=None,
    reduction="sum_over_batch_size", axis=-1, name="sparse_categorical_crossentropy").
    With ignore_class, samples of that label count 0 and are left out of the mean (Keras'
    mask): on every path but the fused engine, which refuses it. axis must be -1.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    ignore_class : int, optional
        A label whose samples are left out of the loss (e.g. padding). Default None.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _op = "sparse_categorical_crossentropy"
    _default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name=None, dtype=None):
        super().__init__(from_logits=from_logits, name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        self.ignore_class = _argcheck.integer(ignore_class, "ignore_class", owner,
                                              allow_none=True)
        self.axis = _last_axis(axis, owner)

    def _prepare_true(self, y_true, y_pred):
        # Labels (N,) or (N, 1), cast to integers as Keras casts them (0.7 is class 0);
        # fastnn.ops refuses what is no class index (NaN, negative, too large).
        y = _argcheck.real_array(y_true, "y_true", type(self).__name__)
        if y.ndim == y_pred.ndim and y.ndim and y.shape[-1] == 1:
            y = y.reshape(y.shape[:-1])
        return np.trunc(y) if y.dtype.kind == "f" else y

    def _mask(self, y_true):
        if self.ignore_class is None:
            return None
        y = np.asarray(y_true)
        y = y.reshape(-1) if y.ndim == 2 and y.shape[-1] == 1 else y
        return y != self.ignore_class

    def _kept(self, y_true):
        """(labels with the ignored ones as class 0, mask) for the kernels."""
        mask = self._mask(y_true)
        y = np.asarray(y_true)
        return np.where(mask.reshape(y.shape), y, 0), mask

    def _per_sample(self, y_true, y_pred):
        mask = None
        if self.ignore_class is not None:
            y_true, mask = self._kept(y_true)
        per = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        return per if mask is None else np.where(mask, per, 0)

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        if self.ignore_class is None:
            return super().loss_and_grad(y_true, y_pred, sample_weight, from_logits)
        y, mask = self._kept(y_true)
        n = mask.size
        w = mask.astype(np.float64)
        if sample_weight is not None:
            w = w * np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        value, grad = super().loss_and_grad(y, y_pred, w, from_logits)
        kept = int(np.count_nonzero(mask))
        scale = n / kept if kept else 0.0      # the mean over the kept samples, as Keras
        return value * scale, grad * np.asarray(scale, dtype=grad.dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(ignore_class=self.ignore_class, axis=self.axis)
        return cfg


class MeanSquaredError(Loss):
    """Keras' MeanSquaredError: the mean over the last axis of ``(y_true - y_pred) ** 2``.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _op = "mean_squared_error"
    _default_name = "mean_squared_error"

    def _per_sample(self, y_true, y_pred):
        return ops.mean_squared_error(y_true, y_pred)


class MeanAbsoluteError(Loss):
    """Keras' MeanAbsoluteError: the mean over the last axis of ``abs(y_true - y_pred)``.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _op = "mean_absolute_error"
    _default_name = "mean_absolute_error"

    def _per_sample(self, y_true, y_pred):
        return ops.mean_absolute_error(y_true, y_pred)


class Huber(Loss):
    """Keras' Huber loss: the mean over the last axis of ``0.5 * e ** 2`` where ``abs(e) <=
    delta`` and ``delta * (abs(e) - 0.5 * delta)`` elsewhere, with ``e = y_true - y_pred``:
    quadratic for small errors, linear for large ones.

    Parameters
    ----------
    delta : float
        Where the loss turns from quadratic to linear; greater than 0. Default 1.0.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _op = "huber"
    _default_name = "huber_loss"

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = _argcheck.real(delta, "delta", "Huber", lo=0, lo_open=True)

    def _op_kwargs(self):
        return {"delta": self.delta}

    def _per_sample(self, y_true, y_pred):
        return ops.huber(y_true, y_pred, delta=self.delta)

    def get_config(self):
        cfg = super().get_config()
        cfg["delta"] = self.delta
        return cfg


# ------------------------------------------------------------------ losses on the tape
def _same_rank(y_true, y_pred):
    """Keras' squeeze_or_expand_to_same_rank(y_true, y_pred): a trailing axis of size 1
    that one of them has more is squeezed (or the rank-1 one expanded)."""
    from fastnn.autodiff import ops as K
    rt, rp = y_true.ndim, y_pred.ndim
    if rt == rp + 1 and y_true.shape[-1] == 1:
        if rp == 1:
            y_pred = K.expand_dims(y_pred, -1)
        else:
            y_true = y_true.reshape(y_true.shape[:-1])
    elif rp == rt + 1 and y_pred.shape[-1] == 1:
        if rt == 1:
            y_true = y_true.reshape(y_true.shape + (1,))
        else:
            y_pred = K.squeeze(y_pred, -1)
    return y_true, y_pred


class _TapeLoss(Loss):
    """A loss written with fastnn.autodiff.ops (Keras' LossFunctionWrapper): `call`
    gives the per-sample values as a Tensor that a GradientTape differentiates; the
    reduction and the sample weights are the base class' (`_reduce_values`). No C
    kernel (`_op` is None): a model compiled with one trains on the layer path."""
    _fn_args = ()      # the constructor arguments passed on to `call` and get_config

    def __call__(self, y_true, y_pred, sample_weight=None):
        from fastnn.autodiff import ops as K
        owner = type(self).__name__
        _argcheck.real_array(np.asarray(y_pred).view(np.ndarray)
                             if isinstance(y_pred, np.ndarray) else y_pred, "y_pred", owner)
        p = K.convert_to_tensor(y_pred)
        if p.dtype.kind != "f":
            p = K.cast(p, "float32")
        if self._dtype is not None and p.dtype != self._dtype:
            p = K.cast(p, self._dtype)
        _argcheck.finite_array(np.asarray(p).view(np.ndarray), "y_pred", owner)
        t = _true(np.asarray(y_true).view(np.ndarray) if isinstance(y_true, np.ndarray)
                  else y_true, p.dtype, owner)
        _argcheck.finite_array(t, "y_true", owner)
        t, p = _same_rank(t, p)
        values = self.call(t, p)
        sw = None if sample_weight is None else \
            _sample_weights(sample_weight, np.shape(values), owner)
        mask = _both_masks(None, get_keras_mask(y_pred), np.shape(values), owner)
        return _reduce_values(values, sw, mask, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        cfg = super().get_config()
        cfg.update({a: getattr(self, a) for a in self._fn_args})
        return cfg


class _KernelLoss(_TapeLoss):
    """A loss computed by a C kernel (value and gradient in one pass, the kernel the
    fused engine runs too) whose formula is also written in `call` with
    fastnn.autodiff.ops: the tape takes the options the kernel does not (another axis;
    `_op` is then None) and per-sample values under a GradientTape.
    A subclass sets `_name` (its kernel, fastnn._codes.LOSSES; "_logits" appended on
    logits) and may define `_kernel_ok` and `_kernel_params`."""
    __call__ = Loss.__call__     # Loss' dispatch: the C kernel, or the tape
    _name = None
    _rowwise = False   # True: the loss of a row is not the mean of its elements' losses

    @property
    def _op(self):
        # a subclass of the user's that writes its own call() is differentiated on the tape
        if type(self).call.__module__ != __name__ or not self._kernel_ok():
            return None
        return self._name

    def _kernel_ok(self):
        return True

    def _kernel_name(self, from_logits):
        return self._name + ("_logits" if from_logits else "")

    def _kernel_params(self):
        return (0.0, 0.0, 0.0, 0.0)

    def _kernel_class_alpha(self, k):
        """The focal loss' alpha of each of the k classes (float64), or None."""
        return None

    def _is_crossentropy(self):
        return False          # no logits of a softmax / sigmoid output taken instead

    def _per_sample(self, y_true, y_pred):
        owner = type(self).__name__
        _argcheck.finite_array(np.asarray(y_pred), "y_pred", owner)
        _argcheck.finite_array(np.asarray(y_true), "y_true", owner)
        return _kernel_loss(self, y_true, y_pred, self.from_logits)

    def loss_and_grad(self, y_true, y_pred, sample_weight=None, from_logits=None):
        """(batch-mean loss, d loss / d y_pred) by the C kernel (Keras'
        "sum_over_batch_size" with the sample weights); from_logits overrides the loss'
        own flag."""
        fl = self.from_logits if from_logits is None else from_logits
        return _kernel_loss(self, y_true, y_pred, fl, sample_weight, grad=True)


def _eps():
    return _backend.epsilon()


def _hinge_labels(y):
    """Keras' convert_binary_labels_to_hinge: labels all in {0, 1} become -1 / 1."""
    return 2.0 * y - 1.0 if np.all((y == 0) | (y == 1)) else y


def _axis_arg(axis, owner, allow_none=False):
    """An int axis (or None, or a tuple of ints, where the loss reduces over several)."""
    if axis is None and allow_none:
        return None
    if allow_none and isinstance(axis, (list, tuple)):
        return tuple(_argcheck.integer(a, "axis", owner) for a in axis)
    return _argcheck.integer(axis, "axis", owner)


class KLDivergence(_KernelLoss):
    """Keras' KLDivergence(reduction="sum_over_batch_size", name="kl_divergence"):
    sum over the last axis of y * log(y / p), y and p clipped to [epsilon, 1].

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "kl_divergence"
    _name = "kl_divergence"
    _rowwise = True

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        t = np.clip(y_true, _eps(), 1).astype(y_true.dtype)
        p = K.clip(y_pred, _eps(), 1)
        return K.sum(K.multiply(t, K.log(K.divide(t, p))), axis=-1)


class Poisson(_KernelLoss):
    """Keras' Poisson(reduction="sum_over_batch_size", name="poisson"): mean over the
    last axis of p - y * log(p + epsilon).

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "poisson"
    _name = "poisson"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        return K.mean(K.subtract(y_pred, K.multiply(y_true, K.log(K.add(y_pred, _eps())))),
                      axis=-1)


class LogCosh(_KernelLoss):
    """Keras' LogCosh(reduction="sum_over_batch_size", name="log_cosh"): mean over the
    last axis of log(cosh(p - y)), computed as x + softplus(-2x) - log(2).

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "log_cosh"
    _name = "log_cosh"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        x = K.subtract(y_pred, y_true)
        v = K.subtract(K.add(x, K.softplus(K.multiply(x, -2.0))),
                       np.asarray(np.log(2.0), dtype=x.dtype))
        return K.mean(v, axis=-1)


class Hinge(_KernelLoss):
    """Keras' Hinge(reduction="sum_over_batch_size", name="hinge"): mean over the last
    axis of max(1 - y * p, 0); labels all in {0, 1} are taken as -1 / 1.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "hinge"
    _name = "hinge"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        y = _hinge_labels(y_true).astype(y_pred.dtype)
        return K.mean(K.maximum(K.subtract(1.0, K.multiply(y, y_pred)), 0.0), axis=-1)


class SquaredHinge(_KernelLoss):
    """Keras' SquaredHinge(reduction="sum_over_batch_size", name="squared_hinge"): mean
    over the last axis of max(1 - y * p, 0) ** 2; labels in {0, 1} taken as -1 / 1.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "squared_hinge"
    _name = "squared_hinge"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        y = _hinge_labels(y_true).astype(y_pred.dtype)
        return K.mean(K.square(K.maximum(K.subtract(1.0, K.multiply(y, y_pred)), 0.0)),
                      axis=-1)


class CategoricalHinge(_KernelLoss):
    """Keras' CategoricalHinge(reduction="sum_over_batch_size", name="categorical_hinge"):
    max(neg - pos + 1, 0) with pos = sum(y * p) and neg = max((1 - y) * p) over the last
    axis.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "categorical_hinge"
    _name = "categorical_hinge"
    _rowwise = True

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        pos = K.sum(K.multiply(y_true, y_pred), axis=-1)
        neg = K.max(K.multiply(1.0 - y_true, y_pred), axis=-1)
        return K.maximum(K.add(K.subtract(neg, pos), 1.0), 0.0)


class CosineSimilarity(_KernelLoss):
    """Keras' CosineSimilarity(axis=-1, reduction="sum_over_batch_size",
    name="cosine_similarity"): -sum(l2_normalize(y) * l2_normalize(p)) along axis (0
    where either vector is 0).

    Parameters
    ----------
    axis : int
        The axis the vectors lie along. Default -1.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _default_name = "cosine_similarity"
    _name = "cosine_similarity"
    _rowwise = True
    _fn_args = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = _axis_arg(axis, type(self).__name__)

    def _kernel_ok(self):
        return self.axis == -1      # the kernel reduces over the last axis

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        t = K.normalize(y_true, axis=self.axis)
        p = K.normalize(y_pred, axis=self.axis)
        return K.negative(K.sum(K.multiply(t, p), axis=self.axis))


class MeanAbsolutePercentageError(_KernelLoss):
    """Keras' MeanAbsolutePercentageError(reduction="sum_over_batch_size",
    name="mean_absolute_percentage_error"): 100 * mean over the last axis of
    ``|(y - p) / max(|y|, epsilon)|``.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "mean_absolute_percentage_error"
    _name = "mean_absolute_percentage_error"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        den = np.maximum(np.abs(y_true), _eps()).astype(y_pred.dtype)
        return K.multiply(K.mean(K.abs(K.divide(K.subtract(y_true, y_pred), den)), axis=-1),
                          100.0)


class MeanSquaredLogarithmicError(_KernelLoss):
    """Keras' MeanSquaredLogarithmicError(reduction="sum_over_batch_size",
    name="mean_squared_logarithmic_error"): mean over the last axis of
    (log(max(p, epsilon) + 1) - log(max(y, epsilon) + 1)) ** 2.

    Parameters
    ----------
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    """
    _default_name = "mean_squared_logarithmic_error"
    _name = "mean_squared_logarithmic_error"

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        first = K.log(K.add(K.maximum(y_pred, _eps()), 1.0))
        second = np.log(np.maximum(y_true, _eps()) + 1.0).astype(y_pred.dtype)
        return K.mean(K.square(K.subtract(first, second)), axis=-1)


class BinaryFocalCrossentropy(_KernelLoss):
    """Keras' BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25,
    gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
    reduction="sum_over_batch_size", name="binary_focal_crossentropy"): mean along axis
    of (1 - p_t) ** gamma * bce, p_t = y p + (1 - y)(1 - p), times alpha for class 1
    and 1 - alpha for class 0 with apply_class_balancing; labels smoothed towards 0.5.
    alpha in [0, 1], gamma >= 0, label_smoothing in [0, 1].

    Parameters
    ----------
    apply_class_balancing : bool
        Whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``. Default
        False.
    alpha : float
        The weight of class 1 when ``apply_class_balancing`` is True (class 0 gets ``1
        - alpha``). Default 0.25.
    gamma : float
        The focusing exponent: how much well-classified examples are down-weighted, by
        ``(1 - p_t) ** gamma``. Default 2.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards 0.5 by this amount. Default 0: no
        smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _default_name = "binary_focal_crossentropy"
    _name = "binary_focal_crossentropy"
    _fn_args = ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing",
                "axis")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size", name=None,
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        self.apply_class_balancing = _argcheck.boolean(apply_class_balancing,
                                                       "apply_class_balancing", owner)
        self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0.0, hi=1.0)
        self.gamma = _argcheck.real(gamma, "gamma", owner, lo=0.0)
        self.from_logits = _argcheck.boolean(from_logits, "from_logits", owner)
        self.label_smoothing = _smoothing(label_smoothing, owner)
        self.axis = _axis_arg(axis, owner)

    def _kernel_ok(self):
        return self.axis == -1      # the kernel reduces over the last axis

    def _kernel_params(self):
        return (self.alpha, self.gamma, self.label_smoothing,
                1.0 if self.apply_class_balancing else 0.0)

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        y = y_true
        if self.label_smoothing:
            y = (y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing)
        y = np.asarray(y, dtype=y_pred.dtype)
        p = K.sigmoid(y_pred) if self.from_logits else y_pred
        bce = K.binary_crossentropy(y, p, from_logits=False)
        p_t = K.add(K.multiply(y, p), K.multiply(1.0 - y, K.subtract(1.0, p)))
        focal = K.multiply(K.power(K.subtract(1.0, p_t), self.gamma), bce)
        if self.apply_class_balancing:
            focal = K.multiply(y * self.alpha + (1.0 - y) * (1.0 - self.alpha), focal)
        return K.mean(focal, axis=self.axis)


class CategoricalFocalCrossentropy(_KernelLoss):
    """Keras' CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
    name="categorical_focal_crossentropy"): sum along axis of alpha * (1 - q) ** gamma *
    (-y log q), q = p / sum(p) clipped to [epsilon, 1 - epsilon] (p = softmax(logits)
    with from_logits); labels smoothed as CategoricalCrossentropy's. alpha is a number
    >= 0 or one per class (a list), gamma >= 0, label_smoothing in [0, 1].

    Parameters
    ----------
    alpha : float
        A weighting factor applied to every class. Default 0.25.
    gamma : float
        The focusing exponent: how much well-classified examples are down-weighted, by
        ``(1 - p_t) ** gamma``. Default 2.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards the uniform distribution over the
        classes by this amount. Default 0: no smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    """
    _default_name = "categorical_focal_crossentropy"
    _name = "categorical_focal_crossentropy"
    _rowwise = True
    _fn_args = ("alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None,
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        if isinstance(alpha, (list, tuple, np.ndarray)):
            items = alpha.ravel().tolist() if isinstance(alpha, np.ndarray) else list(alpha)
            self.alpha = [_argcheck.real(a, "alpha", owner, lo=0.0) for a in items]
            if not self.alpha:
                raise ValueError(f"{owner}: alpha must be a number >= 0 or a list of one per "
                                 f"class, got an empty {type(alpha).__name__}")
        else:
            self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0.0)
        self.gamma = _argcheck.real(gamma, "gamma", owner, lo=0.0)
        self.from_logits = _argcheck.boolean(from_logits, "from_logits", owner)
        self.label_smoothing = _smoothing(label_smoothing, owner)
        self.axis = _axis_arg(axis, owner)

    def _kernel_ok(self):
        return self.axis == -1      # the kernel reduces over the last axis

    def _kernel_params(self):
        alpha = 0.0 if isinstance(self.alpha, list) else self.alpha
        return (alpha, self.gamma, self.label_smoothing, 0.0)

    def _kernel_class_alpha(self, k):
        if not isinstance(self.alpha, list):
            return None
        if len(self.alpha) != k:
            raise ValueError(f"{type(self).__name__}: alpha must hold one weight per class "
                             f"({k} for predictions of {k} classes), got {len(self.alpha)}")
        return np.asarray(self.alpha, dtype=np.float64)

    def _per_sample(self, y_true, y_pred):
        self._warn_one_class(y_pred)
        return super()._per_sample(y_true, y_pred)

    def _warn_one_class(self, y_pred):
        if np.ndim(y_pred) and np.shape(y_pred)[self.axis] == 1:
            warnings.warn(f"In loss categorical_focal_crossentropy, expected y_pred.shape to be "
                          f"(batch_size, num_classes) with num_classes > 1. Received: "
                          f"y_pred.shape={np.shape(y_pred)}. Consider using "
                          f"'binary_crossentropy' if you only have 2 classes.",
                          SyntaxWarning, stacklevel=4)

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        axis = self.axis
        if y_pred.ndim and y_pred.shape[axis] == 1:
            warnings.warn(f"In loss categorical_focal_crossentropy, expected y_pred.shape to be "
                          f"(batch_size, num_classes) with num_classes > 1. Received: "
                          f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' "
                          f"if you only have 2 classes.", SyntaxWarning, stacklevel=3)
        y = y_true
        if self.label_smoothing:
            k = y_pred.shape[axis]
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / k
        y = np.asarray(y, dtype=y_pred.dtype)
        p = K.softmax(y_pred, axis=axis) if self.from_logits else y_pred
        q = K.divide(p, K.sum(p, axis=axis, keepdims=True))
        q = K.clip(q, _eps(), 1.0 - _eps())
        cce = K.multiply(-y, K.log(q))
        alpha = np.asarray(self.alpha, dtype=y_pred.dtype)
        focal = K.multiply(K.multiply(K.power(K.subtract(1.0, q), self.gamma), alpha), cce)
        return K.sum(focal, axis=axis)


class Dice(_KernelLoss):
    """Keras' Dice(reduction="sum_over_batch_size", name="dice", axis=None):
    1 - 2 sum(y p) / (sum(y) + sum(p) + epsilon), the sums over axis (None: all, one
    value for the batch).

    Parameters
    ----------
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    axis : int, tuple of int or None
        The axes the sums run over. Default None: all of them, one value for the whole
        batch.
    """
    _default_name = "dice"
    _name = "dice"
    _rowwise = True
    _whole_batch = True
    _fn_args = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name=None, axis=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = _axis_arg(axis, type(self).__name__, allow_none=True)

    def _kernel_ok(self):
        # the kernel: one value for the whole batch (axis None), as its batch mean
        return self.axis is None and self.reduction in ("sum_over_batch_size", "mean")

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        inter = K.sum(K.multiply(y_true, y_pred), axis=self.axis)
        den = K.add(K.add(K.sum(y_pred, axis=self.axis), np.sum(y_true, axis=self.axis)), _eps())
        return K.subtract(1.0, K.divide(K.multiply(inter, 2.0), den))


class Tversky(_KernelLoss):
    """Keras' Tversky(alpha=0.5, beta=0.5, reduction="sum_over_batch_size",
    name="tversky", axis=None): 1 - TP / (TP + alpha FP + beta FN + epsilon) with
    TP = sum(y p), FP = sum((1 - y) p), FN = sum(y (1 - p)) over axis. alpha, beta >= 0.

    Parameters
    ----------
    alpha : float
        The weight of false positives, at least 0. Default 0.5.
    beta : float
        The weight of false negatives, at least 0. Default 0.5.
    reduction : str or None
        How the per-sample losses are reduced when the loss object is called (see
        ``Loss``). Default ``'sum_over_batch_size'``.
    name : str, optional
        The loss's name (in logs and configs). Default: the snake-case name of the
        class.
    axis : int, tuple of int or None
        The axes the sums run over. Default None: all of them, one value for the whole
        batch.
    """
    _default_name = "tversky"
    _name = "tversky"
    _rowwise = True
    _whole_batch = True
    _fn_args = ("alpha", "beta", "axis")

    def _kernel_ok(self):
        # the kernel: one value for the whole batch (axis None), as its batch mean
        return self.axis is None and self.reduction in ("sum_over_batch_size", "mean")

    def _kernel_params(self):
        return (self.alpha, self.beta, 0.0, 0.0)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name=None,
                 axis=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0.0)
        self.beta = _argcheck.real(beta, "beta", owner, lo=0.0)
        self.axis = _axis_arg(axis, owner, allow_none=True)

    def call(self, y_true, y_pred):
        from fastnn.autodiff import ops as K
        ax = self.axis
        tp = K.sum(K.multiply(y_pred, y_true), axis=ax)
        fp = K.sum(K.multiply(1.0 - y_true, y_pred), axis=ax)
        fn = K.sum(K.multiply(y_true, K.subtract(1.0, y_pred)), axis=ax)
        den = K.add(K.add(K.add(tp, K.multiply(fp, self.alpha)), K.multiply(fn, self.beta)),
                    _eps())
        return K.subtract(1.0, K.divide(tp, den))


# Per-sample functions, as keras.losses.<name>(y_true, y_pred) -> (N,) array.
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Keras' binary cross-entropy of each sample (see ``BinaryCrossentropy``): the mean over
    ``axis``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards 0.5 by this amount. Default 0: no
        smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return BinaryCrossentropy(from_logits, label_smoothing, axis, reduction="none")(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Keras' categorical cross-entropy of each sample, on one-hot (or probability) targets
    (see ``CategoricalCrossentropy``).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards the uniform distribution over the
        classes by this amount. Default 0: no smoothing.
    axis : int
        The class axis the loss is computed along. Default -1, the last.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without the class axis.
    """
    return CategoricalCrossentropy(from_logits, label_smoothing, axis,
                                   reduction="none")(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Keras' sparse categorical cross-entropy of each sample, on integer class labels (see
    ``SparseCategoricalCrossentropy``).

    Parameters
    ----------
    y_true : array-like
        The integer class labels, shape ``(N,)`` (or ``(N, 1)``).
    y_pred : array-like
        The predicted scores, shape ``(N, classes)``.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    ignore_class : int, optional
        A label whose samples get a loss of 0. Default None.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).

    Returns
    -------
    array
        The loss of each sample, shape ``(N,)``.
    """
    return SparseCategoricalCrossentropy(from_logits, ignore_class, reduction="none",
                                         axis=axis)(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """The mean squared error of each sample: the mean over the last axis of ``(y_true -
    y_pred) ** 2``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """The mean absolute error of each sample: the mean over the last axis of ``abs(y_true -
    y_pred)``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """The Huber loss of each sample (see ``Huber``).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    delta : float
        Where the loss turns from quadratic to linear. Default 1.0.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return Huber(delta, reduction="none")(y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """The Kullback-Leibler divergence of each sample: the sum over the last axis of ``y_true *
    log(y_true / y_pred)``, both clipped to [epsilon, 1].

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return KLDivergence(reduction="none")(y_true, y_pred)


def poisson(y_true, y_pred):
    """The Poisson loss of each sample: the mean over the last axis of ``y_pred - y_true *
    log(y_pred + epsilon)``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return Poisson(reduction="none")(y_true, y_pred)


def log_cosh(y_true, y_pred):
    """The log-cosh loss of each sample: the mean over the last axis of ``log(cosh(y_pred -
    y_true))``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return LogCosh(reduction="none")(y_true, y_pred)


def hinge(y_true, y_pred):
    """The hinge loss of each sample: the mean over the last axis of ``max(1 - y_true * y_pred,
    0)``; labels in {0, 1} are taken as -1 and 1.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return Hinge(reduction="none")(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """The squared hinge loss of each sample: the mean over the last axis of ``max(1 - y_true *
    y_pred, 0) ** 2``; labels in {0, 1} are taken as -1 and 1.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return SquaredHinge(reduction="none")(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """The categorical hinge loss of each sample: ``max(neg - pos + 1, 0)`` with ``pos =
    sum(y_true * y_pred)`` and ``neg = max((1 - y_true) * y_pred)`` over the last axis.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return CategoricalHinge(reduction="none")(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The negative cosine similarity of each sample: ``-sum(l2_normalize(y_true) *
    l2_normalize(y_pred))`` along ``axis``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    axis : int
        The axis the vectors lie along. Default -1.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return CosineSimilarity(axis, reduction="none")(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """The mean absolute percentage error of each sample: ``100 * mean(abs((y_true - y_pred) /
    max(abs(y_true), epsilon)))`` over the last axis.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return MeanAbsolutePercentageError(reduction="none")(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """The mean squared logarithmic error of each sample: the mean over the last axis of
    ``(log(y_pred + 1) - log(y_true + 1)) ** 2`` (both at least epsilon).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return MeanSquaredLogarithmicError(reduction="none")(y_true, y_pred)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Keras' binary focal cross-entropy of each sample (see ``BinaryFocalCrossentropy``).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    apply_class_balancing : bool
        Whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``. Default
        False.
    alpha : float
        The weight of class 1 when ``apply_class_balancing`` is True (class 0 gets ``1
        - alpha``). Default 0.25.
    gamma : float
        The focusing exponent: how much well-classified examples are down-weighted, by
        ``(1 - p_t) ** gamma``. Default 2.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards 0.5 by this amount. Default 0: no
        smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
                                   label_smoothing, axis, reduction="none")(y_true, y_pred)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Keras' categorical focal cross-entropy of each sample (see
    ``CategoricalFocalCrossentropy``).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    alpha : float
        A weighting factor applied to every class. Default 0.25.
    gamma : float
        The focusing exponent: how much well-classified examples are down-weighted, by
        ``(1 - p_t) ** gamma``. Default 2.
    from_logits : bool
        Whether ``y_pred`` holds logits (unbounded scores) rather than probabilities.
        Default False. Logits are more accurate: the loss then uses a numerically
        stable formula.
    label_smoothing : float
        In [0, 1]: the labels are smoothed towards the uniform distribution over the
        classes by this amount. Default 0: no smoothing.
    axis : int
        The axis the loss is computed along. Default -1, the last (the C-kernel
        cross-entropies accept only -1).

    Returns
    -------
    array
        The loss of each sample: the shape of ``y_true`` without its last axis (the
        reduced axis).
    """
    return CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis,
                                        reduction="none")(y_true, y_pred)


def dice(y_true, y_pred, axis=None):
    """The Dice loss, ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)``
    with the sums over ``axis``.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    axis : int, tuple of int or None
        The axes the sums run over. Default None: all of them, one value for the whole
        batch.

    Returns
    -------
    array
        One value per sample, or one for the batch when ``axis`` is None.
    """
    return Dice(reduction="none", axis=axis)(y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """The Tversky loss, ``1 - TP / (TP + alpha * FP + beta * FN + epsilon)`` with the sums
    over ``axis`` (see ``Tversky``).

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions, of the same shape as ``y_true``.
    alpha : float
        The weight of false positives. Default 0.5.
    beta : float
        The weight of false negatives. Default 0.5.
    axis : int, tuple of int or None
        The axes the sums run over. Default None: all of them, one value for the whole
        batch.

    Returns
    -------
    array
        One value per sample, or one for the batch when ``axis`` is None.
    """
    return Tversky(alpha, beta, reduction="none", axis=axis)(y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
bce = BCE = binary_crossentropy
kld = KLD = kl_divergence
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh                     # Keras 2's name (keras._legacy in Keras 3)
kullback_leibler_divergence = kl_divergence   # likewise

_CLASSES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            MeanSquaredError, MeanAbsoluteError, Huber, KLDivergence, Poisson, LogCosh,
            Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryFocalCrossentropy,
            CategoricalFocalCrossentropy, Dice, Tversky)
ALL_OBJECTS = {c.__name__: c for c in _CLASSES}
_FUNCS = {binary_crossentropy: BinaryCrossentropy,
          categorical_crossentropy: CategoricalCrossentropy,
          sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
          mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
          huber: Huber, kl_divergence: KLDivergence, poisson: Poisson, log_cosh: LogCosh,
          hinge: Hinge, squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
          cosine_similarity: CosineSimilarity,
          mean_absolute_percentage_error: MeanAbsolutePercentageError,
          mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
          binary_focal_crossentropy: BinaryFocalCrossentropy,
          categorical_focal_crossentropy: CategoricalFocalCrossentropy, dice: Dice,
          tversky: Tversky}
# String names -> class: Keras 3's table (keras/src/losses/__init__.py: class names,
# function names, and bce/BCE, kld/KLD, mae/MAE, mse/MSE, mape/MAPE, msle/MSLE), plus
# Keras 2's "huber_loss", "logcosh" and "kullback_leibler_divergence".
_BY_NAME = {fn.__name__: cls for fn, cls in _FUNCS.items()}
_BY_NAME.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "kld": KLDivergence, "KLD": KLDivergence,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "huber_loss": Huber, "logcosh": LogCosh, "kullback_leibler_divergence": KLDivergence,
})


def known_names():
    """The loss names ``get`` accepts (class names and function names), sorted.

    Returns
    -------
    list of str
        The names.
    """
    return sorted(set(_BY_NAME) | set(ALL_OBJECTS))


def serialize(loss):
    """A loss object's configuration as Keras writes it: ``{'class_name': ..., 'config':
    loss.get_config()}``.

    Parameters
    ----------
    loss : Loss
        The loss to describe.

    Returns
    -------
    dict
        The class name and the loss's config.
    """
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def get(identifier):
    """Name, Loss object, loss function or config dict -> Loss object.

    Parameters
    ----------
    identifier : str, Loss, callable or dict
        A loss name (``'mse'``, ``'binary_crossentropy'``, a class name), a Loss object
        (returned as it is), a Loss class, one of this module's loss functions, or a
        config dict from ``serialize``.

    Returns
    -------
    Loss
        The loss object.
    """
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
