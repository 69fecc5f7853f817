"""Normalization layers: BatchNormalization, Normalization."""
import numpy as np

from fastnn import _argcheck, initializers, regularizers
from fastnn import _kernels
from fastnn.autodiff.tape import record, should_record
from fastnn.layers.layer import Layer, _initializer_config, _without_none
from fastnn.tensor import Tensor, Variable as _Variable

def _check_unit_interval(value, argname, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0 <= value <= 1:
        raise ValueError(f"{owner}: {argname} must be a number in [0, 1], got {value!r}")
    return float(value)


class BatchNormalization(Layer):
    """keras.layers.BatchNormalization over the last axis. Training: each feature is
    normalised with the batch's mean and (biased) variance, and the moving statistics
    move towards them, moving = moving * momentum + batch * (1 - momentum). Inference,
    and training while the layer is frozen (trainable=False, as in Keras): the moving
    statistics. y = gamma * (x - mean) / sqrt(var + epsilon) + beta. Weights: gamma,
    beta (trainable), moving_mean, moving_variance."""

    _INITIALIZERS = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                     "moving_variance_initializer")

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, name=None, **kwargs):
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
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if rank < 2 or self.axis not in (-1, rank - 1) or input_shape[-1] is None:
            raise ValueError(f"{self.name}: BatchNormalization normalises the last axis of inputs "
                             f"(batch, ..., features) with a known feature count; got axis="
                             f"{self.axis} for input shape {input_shape}")
        n = input_shape[-1]
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
        super().build(input_shape)

    def call(self, inputs, training=False):
        """Normalise the last axis: with the batch's statistics in training (moving the
        moving statistics), else with the moving ones; by the C kernels, recorded under
        a GradientTape with the C backward kernel."""
        x = inputs
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        if x2.dtype != self.dtype or not x2.flags.c_contiguous:
            x2 = np.ascontiguousarray(x2, dtype=self.dtype)
        raw = x2.view(np.ndarray)
        y = np.empty_like(raw)
        inv = np.empty(raw.shape[1], dtype=self.dtype)
        batch_stats = training and self.trainable
        if batch_stats:
            xhat = np.empty_like(raw)
            _kernels.bn_train(raw, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.momentum, self.epsilon, xhat, inv, y)
        else:
            xhat = None
            _kernels.bn_infer(raw, self.gamma, self.beta, self.moving_mean,
                              self.moving_variance, self.epsilon, inv, y)
        inputs_ = (x, self.gamma, self.beta)
        if should_record(inputs_):
            gamma, scale, center, dtype = self.gamma, self.scale, self.center, self.dtype
            # frozen (inference mode): the output is an affine map of the input, whose
            # own xhat the gradients of gamma and beta would need; they do not train then
            want = self.trainable and batch_stats

            def vjp(g):
                dy = np.ascontiguousarray(np.reshape(g, raw.shape), dtype=dtype)
                dgamma = np.empty_like(inv) if scale and want else None
                dbeta = np.empty_like(inv) if center and want else None
                dx = np.empty_like(dy)
                _kernels.bn_backward(dy, xhat, inv, gamma, batch_stats, dx, dgamma, dbeta)
                return [dx.reshape(x.shape), dgamma if scale else None,
                        dbeta if center else None]
            return record(inputs_, y.reshape(x.shape), vjp, name=f"{self.name} (BatchNormalization)")
        return y.reshape(x.shape).view(Tensor)

    def _regularized(self):
        return ((self.gamma_regularizer, self.gamma), (self.beta_regularizer, self.beta))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                   center=self.center, scale=self.scale,
                   **{k: _initializer_config(getattr(self, k)) for k in self._INITIALIZERS},
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, cls._INITIALIZERS))


class Normalization(Layer):
    """keras.layers.Normalization: y = (x - mean) / max(sqrt(variance), 1e-7), with a
    mean and variance per index of the kept `axis` (-1: per feature; None: one scalar
    pair), learned by adapt(data) or given as mean= and variance=; invert=True maps
    normalised values back. Adapted, its weights are mean, variance and Keras' count
    (non-trainable; count stays 0, as Keras 3 keeps it only for old files). A 1-D `data`
    or input is one feature per row, as fastnn's fit takes it. First in a model, per
    feature or by one scalar pair, the C engine applies it to each batch it gathers
    (fastnn.engine._input_norm); elsewhere the model runs on the layer-by-layer path."""

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
            raise ValueError(f"{owner}: mean and variance must be given together, got "
                             f"mean={mean!r} and variance={variance!r}")
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
        self.mean = self.variance = self.count = None
        self._stats_shape = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 1:
            input_shape = input_shape + (1,)      # 1-D: one feature per row
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs of "
                             f"shape {input_shape}")
        keep = sorted(a % ndim for a in self.axis)
        if 0 in keep:
            raise ValueError(f"{self.name}: axis {self.axis} keeps the batch axis; normalise "
                             f"over the samples with axis=-1 (per feature) or None")
        if any(input_shape[a] is None for a in keep):
            raise ValueError(f"{self.name}: the kept axes {tuple(keep)} need a known size, got "
                             f"input shape {input_shape}")
        self._keep = tuple(keep)
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._stats_shape = tuple(input_shape[d] if d in keep else 1 for d in range(1, ndim))
        stats = tuple(input_shape[d] for d in keep)
        self._weights = []
        if self.input_mean is None:
            self.mean = self.add_weight(name="mean", shape=stats, initializer="zeros",
                                        trainable=False)
            self.variance = self.add_weight(name="variance", shape=stats, initializer="ones",
                                            trainable=False)
            self.count = np.zeros((), np.int64).view(_Variable)
            self._weights.append(("count", self.count, False))
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
            self.mean, self.variance = kept(self.input_mean), kept(self.input_variance)
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
            # Keras: an iterable is batches, each an array ((x, y) tuples give x)
            batches = [b[0] if isinstance(b, tuple) else b for b in data]
            bad = [type(b).__name__ for b in batches if not hasattr(b, "shape")]
            if not batches or bad:
                raise TypeError(f"{owner}: an iterable data must yield batches that are arrays, "
                                f"got {bad[0] if bad else 'no batch'}; pass one array of samples "
                                f"as np.array(data)")
            x = np.concatenate([np.asarray(b) for b in batches], axis=0)
        else:
            raise TypeError(f"{owner}: data must be an array of samples or an iterable of "
                            f"batches, got {type(data).__name__}")
        if x.dtype.kind not in "biuf" or x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{owner}: data must be a non-empty array of real numbers, got "
                             f"dtype {x.dtype} and shape {x.shape}")
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{owner}: data must be finite")
        if not self.built:
            self.build((None,) + x.shape[1:])
        elif x.ndim != len(self.input_shape) or any(x.shape[d] != self.input_shape[d]
                                                     for d in self._keep):
            raise ValueError(f"{owner}: the layer was built for inputs of shape "
                             f"{self.input_shape}, got data of shape {x.shape}")
        x = x.astype(np.float64, copy=False)
        self.mean[...] = x.mean(axis=self._reduce).reshape(self.mean.shape)
        self.variance[...] = x.var(axis=self._reduce).reshape(self.variance.shape)

    def _scale(self):
        return np.maximum(np.sqrt(self.variance), self._EPSILON).reshape(self._stats_shape)

    def call(self, inputs, training=False):
        x = inputs
        shape = x.shape
        raw = np.asarray(x.view(np.ndarray) if isinstance(x, np.ndarray) else x,
                         dtype=self.dtype)
        if raw.ndim == 1:
            raw = raw.reshape(-1, 1)
        mean = self.mean.reshape(self._stats_shape)
        scale = self._scale()
        y = mean + raw * scale if self.invert else (raw - mean) / scale
        y = y.astype(self.dtype, copy=False).reshape(shape)
        if not should_record((x,)):
            return y.view(Tensor)
        invert, dtype = self.invert, self.dtype
        return record((x,), y, lambda g: [np.reshape(
            (np.reshape(g, raw.shape) * scale if invert else np.reshape(g, raw.shape) / scale)
            .astype(dtype, copy=False), shape)], name=f"{self.name} (Normalization)")

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
