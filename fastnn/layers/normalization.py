"""Normalization layers: BatchNormalization, Normalization, LayerNormalization,
UnitNormalization, RMSNormalization."""
import numbers
import warnings

import numpy as np

from fastnn import _argcheck, _changes, initializers, regularizers
from fastnn import _kernels
from fastnn.autodiff import ops as _dops
from fastnn.autodiff.tape import record, should_record
from fastnn.layers.layer import Layer, _float_input, _initializer_config, _without_none
from fastnn.tensor import Tensor, Variable as _Variable

def _check_unit_interval(value, argname, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0 <= value <= 1:
        raise ValueError(f"{owner}: {argname} must be a number in [0, 1], got {value!r}")
    return float(value)


class BatchNormalization(Layer):
    """keras.layers.BatchNormalization: each index of the feature `axis` is normalised
    over all the other axes. Training: with the batch's mean and (biased) variance, and
    the moving statistics move towards them, moving = moving * momentum + batch * (1 -
    momentum). Inference, and training while the layer is frozen (trainable=False, as
    in Keras): the moving statistics. y = gamma * (x - mean) / sqrt(var + epsilon) +
    beta. Weights: gamma, beta (trainable), moving_mean, moving_variance. With a mask
    (from Masking or Embedding(mask_zero=True), or call's `mask`: one boolean per input
    position, the input's shape without its last axis), training computes the batch
    statistics over the unmasked positions only, as Keras does; every position is
    normalised.

    With ``renorm=True`` (batch renormalization), training normalises with the batch's
    statistics corrected towards moving ones: y = ((x - mean) / stddev * r + d) * gamma
    + beta, with r = stddev / renorm_stddev and d = (mean - renorm_mean) /
    renorm_stddev (clipped by ``renorm_clipping``; no gradient flows through r and d).
    The layer then also keeps moving_stddev, renorm_mean and renorm_stddev; the moving
    variance follows from the moving standard deviation. Inference is unchanged.

    Parameters
    ----------
    axis : int
        The feature axis, normalised per index (for example 1 for channels-first
        images). Default -1, the last.
    momentum : float
        The weight of the old value in the moving mean and variance. Default 0.99.
    epsilon : float
        A small number added to the variance before the square root. Default 0.001.
    center : bool
        Whether to add the learned offset ``beta``. Default True.
    scale : bool
        Whether to multiply by the learned ``gamma``. Default True.
    beta_initializer : str or initializer
        Initializer of ``beta``. Default ``'zeros'``.
    gamma_initializer : str or initializer
        Initializer of ``gamma``. Default ``'ones'``.
    moving_mean_initializer : str or initializer
        Initializer of the moving mean. Default ``'zeros'``.
    moving_variance_initializer : str or initializer
        Initializer of the moving variance. Default ``'ones'``.
    beta_regularizer : str or regularizer, optional
        A regularizer for ``beta`` (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default None.
    gamma_regularizer : str or regularizer, optional
        A regularizer for ``gamma`` (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default None.
    beta_constraint : None
        Not supported by fastnn: only None is accepted.
    gamma_constraint : None
        Not supported by fastnn: only None is accepted.
    renorm : bool
        Whether to use batch renormalization in training. Default False.
    renorm_clipping : dict, optional
        Bounds for the corrections, with keys among ``'rmax'``, ``'rmin'`` and
        ``'dmax'``: r is kept in [rmin, rmax] and d in [-dmax, dmax]. Default None (no
        clipping).
    renorm_momentum : float
        The weight of the old value in renorm_mean and renorm_stddev. Default 0.99.
    synchronized : bool
        Keras' cross-device synchronisation of the batch statistics; fastnn runs on one
        device, so only False is accepted.
    name : str, optional
        The layer's name.
    """

    supports_masking = True     # the inputs' mask passes on (Keras)

    _INITIALIZERS = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                     "moving_variance_initializer")

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, name=None, **kwargs):
        owner = "BatchNormalization"
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{owner}: axis must be an int, got {axis!r}")
        self.momentum = _check_unit_interval(momentum, "momentum", owner)
        epsilon = _argcheck.real(epsilon, "epsilon", owner, lo=0.0, lo_open=True)
        for argname, value in (("beta_constraint", beta_constraint),
                               ("gamma_constraint", gamma_constraint),
                               ("synchronized", synchronized or None)):
            if value is not None:
                raise ValueError(f"{owner}: {argname} is not supported by fastnn, got {value!r}")
        renorm = _argcheck.boolean(renorm, "renorm", owner)
        renorm_momentum = _check_unit_interval(renorm_momentum, "renorm_momentum", owner)
        if renorm:
            renorm_clipping = _renorm_clipping(renorm_clipping, owner)
        super().__init__(name=name, **kwargs)
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = _argcheck.boolean(center, "center", owner)
        self.scale = _argcheck.boolean(scale, "scale", owner)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self.moving_stddev = self.renorm_mean = self.renorm_stddev = None

    def _feature_axis(self, shape):
        """`axis` as a non-negative index into inputs of `shape` (ValueError when the
        inputs have no such axis)."""
        rank = len(shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"{self.name}: axis {self.axis} is out of bounds for input shape "
                             f"{tuple(shape)} (rank {rank}); received axis={self.axis}")
        return self.axis % rank

    def compute_output_shape(self, input_shape):
        self._feature_axis(tuple(input_shape))
        return tuple(input_shape)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: BatchNormalization takes inputs with a batch axis "
                             f"and at least one more, got input shape {input_shape}")
        ax = self._feature_axis(input_shape)
        n = input_shape[ax]
        if n is None:
            raise ValueError(f"{self.name}: the normalised axis {self.axis} of the inputs must "
                             f"have a known size, got input shape {input_shape}")
        self._weights = []
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=(n,),
                                         initializer=self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=(n,), initializer=self.beta_initializer)
        self.moving_mean = self.add_weight(name="moving_mean", shape=(n,),
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(n,),
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        if self.renorm:
            # the standard deviations start at the square root of the variance
            # initializer's values, as in Keras
            def stddev_init(shape, dtype=None):
                values = initializers.get(self.moving_variance_initializer)(shape, dtype=dtype)
                return np.sqrt(np.asarray(values))
            self.moving_stddev = self.add_weight(name="moving_stddev", shape=(n,),
                                                 initializer=stddev_init, trainable=False)
            self.renorm_mean = self.add_weight(name="renorm_mean", shape=(n,),
                                               initializer=self.moving_mean_initializer,
                                               trainable=False)
            self.renorm_stddev = self.add_weight(name="renorm_stddev", shape=(n,),
                                                 initializer=stddev_init, trainable=False)
        super().build(input_shape)

    def _checked_axis(self, x):
        """The feature axis of the call's inputs, whose size must be the weights'."""
        shape = np.shape(x)
        if len(shape) < 2:
            raise ValueError(f"{self.name}: BatchNormalization takes inputs with a batch axis "
                             f"and at least one more, got input shape {tuple(shape)}")
        ax = self._feature_axis(shape)
        n = self.moving_mean.shape[0]
        if shape[ax] != n:
            raise ValueError(f"{self.name}: the inputs' axis {self.axis} must have size {n} (the "
                             f"layer was built for it), got input shape {tuple(shape)}")
        return ax

    def call(self, inputs, training=False, mask=None):
        """Normalise each index of the feature axis: with the batch's statistics in
        training (moving the moving statistics), else with the moving ones; by the C
        kernels (on the inputs with the feature axis moved last, when it is not),
        recorded under a GradientTape with the C backward kernel. With a mask or
        renorm in training, computed with fastnn.autodiff's ops."""
        ax = self._checked_axis(inputs)
        if mask is not None:
            mask = self._check_mask(inputs, mask)
        batch_stats = bool(training) and self.trainable
        if batch_stats and (mask is not None or self.renorm):
            return self._ops_train(inputs, mask, ax)
        x = inputs
        last = ax == x.ndim - 1
        xt = x if last else np.moveaxis(x.view(np.ndarray), ax, -1)
        x2 = xt.reshape(-1, xt.shape[-1]) if xt.ndim != 2 else xt
        if x2.dtype != self.dtype or not x2.flags.c_contiguous:
            x2 = np.ascontiguousarray(x2, dtype=self.dtype)
        raw = x2.view(np.ndarray)
        y = np.empty_like(raw)
        inv = np.empty(raw.shape[1], dtype=self.dtype)
        if batch_stats:
            xhat = np.empty_like(raw)
            _kernels.bn_train(raw, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.momentum, self.epsilon, xhat, inv, y)
        else:
            xhat = None
            _kernels.bn_infer(raw, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.epsilon, inv, y)
        tshape = xt.shape
        y = y.reshape(tshape) if last else np.moveaxis(y.reshape(tshape), -1, ax)
        inputs_ = (x, self.gamma, self.beta)
        if should_record(inputs_):
            gamma, scale, center, dtype = self.gamma, self.scale, self.center, self.dtype
            # inference mode (the moving statistics): y = gamma (x - moving_mean) inv +
            # beta, whose gamma and beta gradients are formed here (a trainable layer
            # called with training=False, as Keras' fine-tuning recipe calls the base
            # model, trains them); the kernel gives dx
            mmean = None if batch_stats else np.array(self.moving_mean, dtype=dtype)

            def vjp(g):
                g = np.asarray(g) if last else np.moveaxis(np.asarray(g), ax, -1)
                dy = np.ascontiguousarray(np.reshape(g, raw.shape), dtype=dtype)
                dgamma = np.empty_like(inv) if scale and batch_stats else None
                dbeta = np.empty_like(inv) if center and batch_stats else None
                dx = np.empty_like(dy).reshape(raw.shape)
                _kernels.bn_backward(dy, xhat, inv, gamma, batch_stats, dx, dgamma, dbeta)
                if not batch_stats:
                    dgamma = (dy * ((raw - mmean) * inv)).sum(axis=0, dtype=dtype) \
                        if scale else None
                    dbeta = dy.sum(axis=0, dtype=dtype) if center else None
                dx = dx.reshape(tshape) if last else np.moveaxis(dx.reshape(tshape), -1, ax)
                return [dx, dgamma if scale else None, dbeta if center else None]
            return record(inputs_, y, vjp, name=f"{self.name} (BatchNormalization)",
                          first_order=True)
        return y.view(Tensor)

    def _check_mask(self, inputs, mask):
        """The mask as a boolean array of the inputs' shape without the last axis (a
        mask that broadcasts to it, as (batch, steps, 1) for (batch, steps, h, features)
        inputs, is broadcast, as in Keras)."""
        m = np.asarray(mask.view(np.ndarray) if isinstance(mask, np.ndarray) else mask)
        shape = tuple(np.shape(inputs))
        if m.ndim != len(shape) - 1:
            raise ValueError(f"{self.name}: The mask provided should be one dimension less "
                             f"than the inputs. Received: mask.shape={m.shape}, "
                             f"inputs.shape={shape}")
        if m.shape != shape[:-1]:
            # Keras broadcasts the mask (with a last axis added) to the inputs' shape
            try:
                m = np.broadcast_to(m, shape[:-1])
            except ValueError:
                raise ValueError(f"{self.name}: the mask must broadcast to the inputs' shape "
                                 f"without their last axis, {shape[:-1]}, got "
                                 f"mask.shape={m.shape}") from None
        if m.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: mask must be booleans or numbers, got dtype "
                            f"{m.dtype}")
        return m.astype(bool)

    def _ops_train(self, inputs, mask, ax):
        """Training with a mask or with renorm, recorded on the tape through
        fastnn.autodiff's ops. With a mask, Keras' masked moments: the sums over the
        unmasked positions divided by their count plus backend.epsilon(). With renorm,
        the corrections r and d (constants for the gradient) fold into the scale and
        offset. The output is x * inv + (beta - mean * inv), inv = gamma / sqrt(var +
        epsilon), on every position (Keras' batch_normalization)."""
        from fastnn import backend as _backend
        dtype = np.dtype(self.dtype)
        x = _dops.cast(inputs, dtype) if np.dtype(inputs.dtype) != dtype else inputs
        ndim = np.ndim(x)
        axes = tuple(i for i in range(ndim) if i != ax)
        bshape = tuple(-1 if i == ax else 1 for i in range(ndim))
        if mask is None:
            mean = _dops.mean(x, axis=axes, keepdims=True)
            var = _dops.mean(_dops.square(_dops.subtract(x, mean)), axis=axes, keepdims=True)
        else:
            keep = np.broadcast_to(mask[..., None], np.shape(x))
            count = keep.sum(axis=axes, dtype=dtype, keepdims=True) \
                + dtype.type(_backend.epsilon())
            mean = _dops.divide(_dops.sum(_dops.where(keep, x, dtype.type(0)), axis=axes,
                                          keepdims=True), count)
            diff = _dops.where(keep, _dops.subtract(x, mean), dtype.type(0))
            var = _dops.divide(_dops.sum(_dops.square(diff), axis=axes, keepdims=True), count)
        mean_v = np.asarray(mean).reshape(-1)
        var_v = np.asarray(var).reshape(-1)
        gamma = _dops.reshape(self.gamma, bshape) if self.scale else None
        beta = _dops.reshape(self.beta, bshape) if self.center else None
        m = self.momentum
        if self.renorm:
            gamma, beta = self._renorm_transform(mean_v, var_v, gamma, beta, bshape, dtype)
        else:
            self.moving_mean[...] = self.moving_mean * m + mean_v * (1.0 - m)
            self.moving_variance[...] = self.moving_variance * m + var_v * (1.0 - m)
        inv = _dops.divide(dtype.type(1), _dops.sqrt(_dops.add(var, dtype.type(self.epsilon))))
        if gamma is not None:
            inv = _dops.multiply(inv, gamma)
        res = _dops.multiply(_dops.negative(mean), inv)
        if beta is not None:
            res = _dops.add(res, beta)
        return _dops.add(_dops.multiply(x, inv), res)

    def _renorm_transform(self, mean, var, gamma, beta, bshape, dtype):
        """Batch renormalization's scale and offset, gamma * r and gamma * d + beta (r
        and d without gradient), and the update of the renorm and moving statistics
        from the batch's `mean` and `var` (arrays, one value per feature)."""
        eps = self.epsilon
        stddev = np.sqrt(var + eps)
        floor = np.sqrt(np.asarray(eps, dtype=dtype))
        renorm_stddev = np.maximum(np.asarray(self.renorm_stddev), floor)
        r = stddev / renorm_stddev
        d = (mean - np.asarray(self.renorm_mean)) / renorm_stddev
        clip = self.renorm_clipping or {}
        if clip.get("rmin") is not None:
            r = np.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = np.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = np.clip(d, -clip["dmax"], clip["dmax"])
        r = r.astype(dtype).reshape(bshape)
        d = d.astype(dtype).reshape(bshape)
        if gamma is not None:
            new_gamma, new_beta = _dops.multiply(gamma, r), _dops.multiply(gamma, d)
        else:
            new_gamma, new_beta = r, d
        if beta is not None:
            new_beta = _dops.add(new_beta, beta)
        rm, m = self.renorm_momentum, self.momentum
        self.renorm_mean[...] = self.renorm_mean * rm + mean * (1.0 - rm)
        self.renorm_stddev[...] = self.renorm_stddev * rm + stddev * (1.0 - rm)
        self.moving_mean[...] = self.moving_mean * m + mean * (1.0 - m)
        moving_stddev = self.moving_stddev * m + stddev * (1.0 - m)
        self.moving_stddev[...] = moving_stddev
        # the variance from the standard deviation, never below zero
        self.moving_variance[...] = np.maximum(moving_stddev * moving_stddev - eps, 0.0)
        return new_gamma, new_beta

    def _regularized(self):
        return ((self.gamma_regularizer, self.gamma), (self.beta_regularizer, self.beta))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                   center=self.center, scale=self.scale,
                   **{k: _initializer_config(getattr(self, k)) for k in self._INITIALIZERS},
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
                   renorm=self.renorm, renorm_clipping=self.renorm_clipping,
                   renorm_momentum=self.renorm_momentum)
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, cls._INITIALIZERS))


def _renorm_clipping(clipping, owner):
    """BatchNormalization's renorm_clipping checked: a dict with keys among rmax, rmin
    and dmax (numbers), rmax >= rmin, dmax >= 0; None is an empty dict."""
    if clipping is None:
        return {}
    if not isinstance(clipping, dict):
        raise TypeError(f"{owner}: renorm_clipping must be a dict with keys among 'rmax', "
                        f"'rmin' and 'dmax', got {clipping!r}")
    allowed = ["rmax", "rmin", "dmax"]
    unknown = set(clipping) - set(allowed)
    if unknown:
        raise ValueError(f"{owner}: Received invalid keys for `renorm_clipping` argument: "
                         f"{clipping}. Supported values: {allowed}.")
    for key, value in clipping.items():
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, (int, float, np.floating, np.integer))):
            raise TypeError(f"{owner}: renorm_clipping[{key!r}] must be a number or None, got "
                            f"{value!r}")
    rmax, rmin, dmax = (clipping.get(k) for k in allowed)
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(f"{owner}: rmax should be greater than rmin in the renorm_clipping "
                         f"argument, got rmax={rmax}, rmin={rmin}")
    if dmax is not None and dmax < 0:
        raise ValueError(f"{owner}: dmax should be non-negative in the renorm_clipping "
                         f"argument, got dmax={dmax}")
    return dict(clipping)


class Normalization(Layer):
    """keras.layers.Normalization: y = (x - mean) / max(sqrt(variance), 1e-7), with a
    mean and variance per index of the kept `axis` (-1: per feature; None: one scalar
    pair), learned by adapt(data) or given as mean= and variance=; invert=True maps
    normalised values back. Adapted, its weights are mean, variance and Keras' count
    (non-trainable; count stays 0, as Keras 3 keeps it only for old files), over the
    kept axes (attributes ``adapt_mean`` and ``adapt_variance``); ``layer.mean`` and
    ``layer.variance`` are the statistics broadcast to the inputs' rank (size 1 on the
    batch axis and the normalised axes), as in Keras. A 1-D `data`
    or input is one feature per row, as fastnn's fit takes it. First in a model, per
    feature or by one scalar pair, the C engine applies it to each batch it gathers; so
    it does to one on each of several inputs before the Concatenate that joins them all
    (each input through at most one, all with the same ``invert``); elsewhere the model
    runs on the layer-by-layer path.

    Parameters
    ----------
    axis : int, tuple of int or None
        The axis (or axes) that keep a mean and variance per index. Default -1: one
        pair per feature. None: one scalar pair for all values.
    mean : float or array, optional
        The mean to subtract; given together with ``variance``, instead of calling
        ``adapt``.
    variance : float or array, optional
        The variance to divide by (through its square root); given together with
        ``mean``.
    invert : bool
        If True, the layer maps normalised values back: ``x * sqrt(variance) + mean``.
        Default False.
    name : str, optional
        The layer's name.
    """

    supports_masking = True     # the inputs' mask passes on (Keras)

    # Keras' backend.epsilon(), the floor of the standard deviation (and fnn_input_scale's)
    _EPSILON = 1e-7

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, name=None, **kwargs):
        owner = "Normalization"
        if axis is None:
            axes = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axes = (int(axis),)
        elif isinstance(axis, (tuple, list)) and all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            axes = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"{owner}: axis must be an int, a tuple of ints or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"{owner}: mean and variance must be given together (Keras: both "
                             f"`mean` and `variance` must be set), got mean={mean!r} and "
                             f"variance={variance!r}")
        if mean is not None:
            m, v = np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
            if m.shape != v.shape:
                raise ValueError(f"{owner}: mean and variance must have the same shape, got "
                                 f"{m.shape} and {v.shape}")
            if m.ndim > len(axes):
                raise ValueError(f"{owner}: mean must have at most as many dimensions as axis "
                                 f"has entries ({len(axes)}), got shape {m.shape}")
            if not (np.all(np.isfinite(m)) and np.all(np.isfinite(v)) and np.all(v >= 0)):
                raise ValueError(f"{owner}: mean must be finite and variance finite and >= 0")
        super().__init__(name=name, **kwargs)
        self.axis = axes
        self.invert = _argcheck.boolean(invert, "invert", owner)
        self.input_mean, self.input_variance = mean, variance
        self.count = None
        self._kept_mean = self._kept_variance = None    # over the kept axes
        self._stats_shape = None

    # Keras' mean / variance: the statistics with the inputs' rank, ready to broadcast
    # (views of the weights, so they follow adapt(), set_weights and loading)
    @property
    def mean(self):
        """The mean broadcast to the inputs' rank (1 on the batch and normalised axes);
        None before the layer is built."""
        return self._broadcast(self._kept_mean)

    @property
    def variance(self):
        """The variance broadcast to the inputs' rank (1 on the batch and normalised
        axes); None before the layer is built."""
        return self._broadcast(self._kept_variance)

    def _broadcast(self, kept):
        if kept is None:
            return None
        return np.ndarray.view(kept, np.ndarray).reshape((1,) + self._stats_shape).view(Tensor)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 1:
            input_shape = input_shape + (1,)      # 1-D: one feature per row
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs of "
                             f"shape {input_shape} (All `axis` values must be in the range "
                             f"[-ndim, ndim), ndim={ndim})")
        keep = sorted(a % ndim for a in self.axis)
        if 0 in keep:
            raise ValueError(f"{self.name}: axis {self.axis} keeps the batch axis; normalise "
                             f"over the samples with axis=-1 (per feature) or None")
        if any(input_shape[a] is None for a in keep):
            raise ValueError(f"{self.name}: the kept axes {tuple(keep)} need a known size (All "
                             f"`axis` values to be kept must have a known shape), got input "
                             f"shape {input_shape}")
        self._keep = tuple(keep)
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._stats_shape = tuple(input_shape[d] if d in keep else 1 for d in range(1, ndim))
        stats = tuple(input_shape[d] for d in keep)
        self._weights = []
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stats, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats,
                                                  initializer="ones", trainable=False)
            self._kept_mean, self._kept_variance = self.adapt_mean, self.adapt_variance
            self.count = np.zeros((), np.int64).view(_Variable)
            self.count.trainable = False
            self.count.name, self.count.path = "count", f"{self.name}/count"
            self._weights.append(("count", self.count, False))
            _changes.note()
        else:   # given: constants broadcast to the kept axes, not weights (as Keras)
            def kept(value):
                a = np.asarray(value, dtype=np.float64)
                full = [1] * len(keep)
                if a.ndim:
                    full[len(keep) - a.ndim:] = a.shape
                try:
                    return np.ascontiguousarray(np.broadcast_to(a.reshape(full), stats),
                                                dtype=self.dtype)
                except ValueError:
                    raise ValueError(f"{self.name}: mean of shape {a.shape} does not broadcast "
                                     f"to the kept axes' shape {stats}") from None
            self._kept_mean = kept(self.input_mean)
            self._kept_variance = kept(self.input_variance)
        super().build(input_shape)

    def adapt(self, data):
        """Set mean and variance to those of `data` (an array of samples, or an iterable
        of such batches), per index of the kept axes; builds the layer if needed."""
        owner = f"{self.name}.adapt"
        if self.input_mean is not None:
            raise ValueError(f"{owner}: the layer was given mean and variance; adapt() would "
                             f"ignore them")
        if isinstance(data, np.ndarray) or hasattr(data, "__array__"):
            x = np.asarray(data)
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            # Keras: an iterable is batches, each an array ((x, y) tuples give x), whose
            # kept axes agree; the other axes may differ from batch to batch
            return self._adapt_batches(data, owner)
        else:
            raise TypeError(f"{owner}: data must be an array of samples or an iterable of "
                            f"batches, got {type(data).__name__}")
        x = self._checked_data(x, owner)
        self._build_for_data(x, owner)
        x = x.astype(np.float64, copy=False)
        self.adapt_mean[...] = x.mean(axis=self._reduce).reshape(self.adapt_mean.shape)
        self.adapt_variance[...] = x.var(axis=self._reduce).reshape(self.adapt_variance.shape)

    def _checked_data(self, x, owner):
        if x.dtype.kind not in "biuf" or x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{owner}: data must be a non-empty array of real numbers, got "
                             f"dtype {x.dtype} and shape {x.shape}")
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{owner}: data must be finite")
        return x

    def _build_for_data(self, x, owner):
        if not self.built:
            self.build((None,) + x.shape[1:])
        elif x.ndim != len(self.input_shape) or any(x.shape[d] != self.input_shape[d]
                                                     for d in self._keep):
            raise ValueError(f"{owner}: the layer was built for inputs of shape "
                             f"{self.input_shape}, got data of shape {x.shape} (an "
                             f"incompatible shape)")

    def _adapt_batches(self, data, owner):
        """adapt() on an iterable of batches: each batch's values per index of the kept
        axes, pooled (the moments of all of them, as Keras' running update)."""
        rows, first = [], None
        for b in data:
            b = b[0] if isinstance(b, tuple) else b
            if not hasattr(b, "shape"):
                raise TypeError(f"{owner}: an iterable data must yield batches that are arrays, "
                                f"got {type(b).__name__} (without a `.shape` attribute); pass "
                                f"one array of samples as np.array(data)")
            x = self._checked_data(np.asarray(b), owner)
            if first is None:
                first = x.shape
                self._build_for_data(x, owner)
            elif x.ndim != len(first) or any(x.shape[d] != first[d] for d in self._keep):
                raise ValueError(f"{owner}: adapt() yielded a batch with incompatible shape: "
                                 f"expected {(None,) + first[1:]}, got {x.shape}")
            keep = self._keep
            moved = np.moveaxis(x, keep, tuple(range(x.ndim - len(keep), x.ndim)))
            rows.append(moved.reshape((-1,) + tuple(x.shape[d] for d in keep))
                        .astype(np.float64, copy=False))
        if first is None:
            raise ValueError(f"{owner}: adapt() received an empty iterable (no batches); pass "
                             f"a non-empty iterable of arrays, e.g. layer.adapt([x])")
        x = np.concatenate(rows, axis=0)
        self.adapt_mean[...] = x.mean(axis=0).reshape(self.adapt_mean.shape)
        self.adapt_variance[...] = x.var(axis=0).reshape(self.adapt_variance.shape)

    def _scale(self):
        return np.maximum(np.sqrt(self._kept_variance), self._EPSILON).reshape(self._stats_shape)

    def call(self, inputs, training=False):
        x = inputs
        shape = x.shape
        raw = np.asarray(x.view(np.ndarray) if isinstance(x, np.ndarray) else x,
                         dtype=self.dtype)
        if raw.ndim == 1:
            raw = raw.reshape(-1, 1)
        mean = self._kept_mean.reshape(self._stats_shape)
        scale = self._scale()
        y = mean + raw * scale if self.invert else (raw - mean) / scale
        y = y.astype(self.dtype, copy=False).reshape(shape)
        if not should_record((x,)):
            return y.view(Tensor)
        invert, dtype, name = self.invert, self.dtype, f"{self.name} (Normalization)"

        def vjp(g):
            g = np.reshape(g, raw.shape)
            return [np.reshape((g * scale if invert else g / scale).astype(dtype, copy=False),
                               shape)]
        return record((x,), y, vjp, name=name, first_order=True)

    def get_config(self):
        cfg = super().get_config()
        tolist = lambda v: None if v is None else np.asarray(v).tolist()
        cfg.update(axis=list(self.axis), invert=self.invert, mean=tolist(self.input_mean),
                   variance=tolist(self.input_variance))
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)


def _axis_arg(axis, owner, message):
    """An axis argument: an int, or a list of ints (from a list or tuple)."""
    if isinstance(axis, (list, tuple)):
        if all(isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_))
               for a in axis):
            return [int(a) for a in axis]
    elif isinstance(axis, numbers.Integral) and not isinstance(axis, (bool, np.bool_)):
        return int(axis)
    raise TypeError(f"{owner}: {message}, got {type(axis).__name__} {axis!r}")


def _canonical_axes(axis, input_shape, owner):
    """Keras' canonicalize_axes: the axes as indices in [0, rank) (ValueError for one out
    of bounds)."""
    ndim = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{owner}: axis {a} is out of bounds for an input of rank {ndim} "
                             f"(shape {tuple(input_shape)}); axis={axis}")
    return [a % ndim for a in axes]


class LayerNormalization(Layer):
    """keras.layers.LayerNormalization: each sample normalised over `axis` (default the
    last), y = (x - mean) / sqrt(var + epsilon) * gamma + beta, with the mean and
    (biased) variance of that sample; the same in training and at inference. gamma
    (`scale`) and beta (`center`) span the normalised axes. rms_scaling=True (deprecated
    in Keras 3, which warns; so does fastnn) gives y = x / sqrt(var + epsilon) * gamma,
    without beta. Weight constraints are not supported (ValueError). Over the last
    axis alone, in float32 or float64, computed by C kernels (the C engine's, so a model
    trains the same on either path; recorded on the tape with the C backward kernel);
    over other axes, with fastnn.autodiff ops. After a Dense layer that is not the last,
    normalising its outputs (before or after its activation), the C engine runs it.

    Parameters
    ----------
    axis : int or list of int
        The axis or axes each sample is normalised over. Default -1, the last.
    epsilon : float
        A small number added to the variance before the square root. Default 0.001.
    center : bool
        Whether to add the learned offset ``beta``. Default True.
    scale : bool
        Whether to multiply by the learned ``gamma``. Default True.
    beta_initializer : str or initializer
        Initializer of ``beta``. Default ``'zeros'``.
    gamma_initializer : str or initializer
        Initializer of ``gamma``. Default ``'ones'``.
    beta_regularizer : str or regularizer, optional
        A regularizer for ``beta`` (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default None.
    gamma_regularizer : str or regularizer, optional
        A regularizer for ``gamma`` (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default None.
    beta_constraint : None
        Not supported by fastnn: only None is accepted.
    gamma_constraint : None
        Not supported by fastnn: only None is accepted.
    """

    _INITIALIZERS = ("beta_initializer", "gamma_initializer")

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        owner = "LayerNormalization"
        rms_scaling = kwargs.pop("rms_scaling", False)
        axis = _axis_arg(axis, owner, "expected an int or a list/tuple of ints for the "
                                      "argument 'axis'")
        epsilon = _argcheck.real(epsilon, "epsilon", owner, lo=0.0)
        for argname, value in (("beta_constraint", beta_constraint),
                               ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise ValueError(f"{owner}: {argname} is not supported by fastnn (weight "
                                 f"constraints), got {value!r}")
        center = _argcheck.boolean(center, "center", owner)
        scale = _argcheck.boolean(scale, "scale", owner)
        rms_scaling = _argcheck.boolean(rms_scaling, "rms_scaling", owner)
        beta_initializer = initializers.get(beta_initializer)
        gamma_initializer = initializers.get(gamma_initializer)
        beta_regularizer = regularizers.get(beta_regularizer)
        gamma_regularizer = regularizers.get(gamma_regularizer)
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                          "incorrectly scales the input by the variance, not the root mean "
                          "square. To correctly use RMS Normalization, please use "
                          "`keras.layers.RMSNormalization` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale, self.rms_scaling = center, scale, rms_scaling
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint = self.gamma_constraint = None
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = _canonical_axes(self.axis, input_shape, self.name)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{self.name}: duplicate axes are not allowed; got "
                             f"axis={self.axis} for inputs of rank {len(input_shape)}")
        axes = sorted(axes)
        shape = tuple(input_shape[d] for d in axes)
        if None in shape:
            raise ValueError(f"{self.name}: the normalised axes {axes} need known sizes, got "
                             f"input shape {input_shape}")
        self.axis = axes
        self._weights, self._weight_regularizers = [], []
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        _canonical_axes(self.axis, input_shape, self.name)
        return tuple(input_shape)

    def call(self, inputs):
        """Normalise each sample over `axis`: by the C kernels over the last axis alone
        (float32, float64), else by fastnn.autodiff ops; differentiable on the tape."""
        x = inputs
        if np.dtype(x.dtype) != np.dtype(self.dtype):
            x = _dops.cast(x, self.dtype)
        ndim = x.ndim
        axes = tuple(_canonical_axes(self.axis, x.shape, self.name))
        if axes == (ndim - 1,) and np.dtype(x.dtype) in (np.float32, np.float64) \
                and x.shape[-1] > 0:
            return self._call_kernel(x)
        bshape = [1] * ndim
        for d in axes:
            bshape[d] = x.shape[d]
        bshape = tuple(bshape)
        eps = np.asarray(self.epsilon, self.dtype)
        var = _dops.var(x, axis=axes, keepdims=True)
        inv = _dops.reciprocal(_dops.sqrt(_dops.add(var, eps)))
        gamma = None if self.gamma is None else _dops.reshape(self.gamma, bshape)
        if self.rms_scaling:
            out = _dops.multiply(x, inv)
            return out if gamma is None else _dops.multiply(out, gamma)
        mean = _dops.mean(x, axis=axes, keepdims=True)
        if gamma is not None:
            inv = _dops.multiply(inv, gamma)
        res = _dops.negative(_dops.multiply(mean, inv))
        if self.beta is not None:
            res = _dops.add(res, _dops.reshape(self.beta, bshape))
        return _dops.add(_dops.multiply(x, inv), res)

    def _call_kernel(self, x):
        """The last axis by csrc/layernorm.h's kernels (those of the C engine)."""
        k = x.shape[-1]
        raw = np.ascontiguousarray(x.view(np.ndarray) if isinstance(x, np.ndarray) else x)
        raw = raw.reshape(-1, k)
        dtype = raw.dtype
        gamma, beta, rms = self.gamma, self.beta, self.rms_scaling
        g = None if gamma is None else np.ascontiguousarray(gamma, dtype=dtype).reshape(k)
        b = None if beta is None or rms else np.ascontiguousarray(beta, dtype=dtype).reshape(k)
        y = np.empty_like(raw)
        inputs_ = (x, gamma, beta)
        if not should_record(inputs_):
            _kernels.ln_forward(raw, g, b, self.epsilon, rms, None, None, y)
            return y.reshape(x.shape).view(Tensor)
        xhat = np.empty_like(raw)
        stat = np.empty(2 * raw.shape[0], dtype)
        _kernels.ln_forward(raw, g, b, self.epsilon, rms, xhat, stat, y)

        def vjp(grad):
            dy = np.ascontiguousarray(np.reshape(grad, raw.shape), dtype=dtype)
            dx = np.empty_like(dy)
            dgamma = None if gamma is None else np.zeros(k, dtype)   # zeros: no rows
            dbeta = None if beta is None else np.zeros(k, dtype)
            if raw.shape[0]:
                _kernels.ln_backward(dy, xhat, stat, g, rms, dx, dgamma, dbeta)
            return [dx.reshape(x.shape),
                    None if dgamma is None else dgamma.reshape(gamma.shape),
                    None if dbeta is None else dbeta.reshape(beta.shape)]
        return record(inputs_, y.reshape(x.shape), vjp,
                      name=f"{self.name} (LayerNormalization)", first_order=True)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                   rms_scaling=self.rms_scaling,
                   **{k: _initializer_config(getattr(self, k)) for k in self._INITIALIZERS},
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
                   beta_constraint=None, gamma_constraint=None)
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, cls._INITIALIZERS))


class UnitNormalization(Layer):
    """keras.layers.UnitNormalization: each sample scaled to an L2 norm of 1 over `axis`
    (an int or a list of ints; default the last axis): x / sqrt(max(sum(x**2),
    1e-24)), as Keras' ops.normalize(x, axis, order=2, epsilon=1e-12). Stateless: built
    at instantiation. Float inputs keep their dtype unless the layer was given one.

    Parameters
    ----------
    axis : int or list of int
        The axis or axes the L2 norm is taken over. Default -1, the last.
    """

    _EPSILON = 1e-12

    def __init__(self, axis=-1, **kwargs):
        axis = _axis_arg(axis, "UnitNormalization", "invalid value for axis argument: "
                                                    "expected an int or a list/tuple of ints")
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        _canonical_axes(self.axis, input_shape, self.name)
        return tuple(input_shape)

    def call(self, inputs):
        x = _float_input(self, inputs)
        axes = tuple(_canonical_axes(self.axis, x.shape, self.name))
        ss = _dops.sum(_dops.square(x), axis=axes, keepdims=True)
        floor = np.asarray(self._EPSILON * self._EPSILON, np.dtype(x.dtype))
        return _dops.multiply(x, _dops.reciprocal(_dops.sqrt(_dops.maximum(ss, floor))))

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class RMSNormalization(Layer):
    """keras.layers.RMSNormalization: each sample divided by its root mean square over
    `axis` (Zhang & Sennrich, 2019), then scaled by a learned ``scale``, as Keras'
    ``ops.rms_normalization``: ``y = x * rsqrt(mean(square(x), axis) + epsilon) *
    scale``. Nothing is subtracted (unlike LayerNormalization) and there is no offset.
    ``scale`` spans the normalised axes and starts at ones. The same in training and at
    inference; models that hold it train on the layer-by-layer path.

    Parameters
    ----------
    axis : int or list of int
        The axis or axes each sample is normalised over. Default -1, the last.
    epsilon : float, optional
        Added to the mean square before the square root, at least 0. Default 1e-6;
        None takes ``fastnn.backend.epsilon()`` (1e-7) when the layer is called, as Keras.
    name : str, optional
        The layer's name.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        owner = "RMSNormalization"
        axis = _axis_arg(axis, owner, "expected an int or a list/tuple of ints for the "
                                      "argument 'axis'")
        if isinstance(axis, list) and not axis:
            raise ValueError(f"{owner}: axis must name at least one axis, got {axis!r}")
        epsilon = _argcheck.real(epsilon, "epsilon", owner, lo=0.0, allow_none=True)
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon
        self.scale = None

    def _axes(self, shape):
        """The normalised axes as sorted indices into inputs of `shape` (ValueError for
        an axis out of bounds or named twice)."""
        axes = sorted(_canonical_axes(self.axis, shape, self.name))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{self.name}: duplicate axes are not allowed; got "
                             f"axis={self.axis} for inputs of rank {len(shape)}")
        return axes

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._axes(input_shape)
        shape = tuple(input_shape[d] for d in axes)
        if None in shape:
            raise ValueError(f"{self.name}: the normalised axes {axes} need known sizes, got "
                             f"input shape {input_shape}")
        # Keras: the axes as a sorted list from here on (in get_config too)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        self._weights, self._weight_regularizers = [], []
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        _canonical_axes(self.axis, input_shape, self.name)
        return tuple(input_shape)

    def call(self, inputs):
        """x * rsqrt(mean(square(x), axis) + epsilon) * scale, with fastnn.autodiff ops
        (differentiable on the tape with respect to the inputs and scale); the scale
        along the normalised axes."""
        x = inputs
        if np.dtype(x.dtype) != np.dtype(self.dtype):
            x = _dops.cast(x, self.dtype)
        axes = self._axes(x.shape)
        sizes = tuple(x.shape[d] for d in axes)
        if sizes != tuple(self.scale.shape):
            raise ValueError(f"{self.name}: the layer was built for sizes "
                             f"{tuple(self.scale.shape)} along axis {self.axis}, got inputs "
                             f"of shape {tuple(x.shape)}")
        return _dops.rms_normalization(x, scale=self.scale, axis=tuple(axes),
                                       epsilon=self.epsilon)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, epsilon=self.epsilon)
        return cfg
