"""Regularization layers: Dropout, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization (keras.layers, Keras 3's arguments).

The noise layers change their inputs only in training (`training=True`, as fit's steps
call them); at inference they return the inputs as they are. Their noise comes from
fastnn's generator (`fastnn.utils.set_random_seed` fixes it) or, given `seed=`, from a
stream of their own started from that seed (a new draw each call, as Keras'
SeedGenerator). They are stateless and built at instantiation, as in Keras, and compute
in their inputs' float dtype.

GaussianNoise, GaussianDropout and AlphaDropout (without noise_shape) draw their noise
from a counter-based stream: the noise of one element is a function of a 64-bit key and
the element's index alone, so it does not depend on the thread count. While a model
trains (fit, train_on_batch) the key is that of the layer's seed and the training step,
the same on the C engine and on the layer-by-layer path, which therefore train the same
weights bit for bit; the seed is the layer's own or, without one, drawn from fastnn's
generator when each fit or train_on_batch starts (kept with the model, whose fastnn
files and pickles carry it).
Called on its own with training=True, such a layer draws a new key from its generator
at every call. Dropout (without noise_shape, after a Dense layer) takes its masks from
the C engine's stream in the same way while a model trains, and from its generator
otherwise. Dropout and those three run on the C engine after a Dense layer that is not
the last; a model with any other noise layer (or one with noise_shape) trains layer by
layer, where the noise and its gradient follow on the tape.

Deliberate differences from Keras: a rate of exactly 1 is refused (ValueError) by
Dropout, GaussianDropout and AlphaDropout, where Keras accepts it and then divides by
zero (or drops everything) in training; AlphaDropout checks noise_shape as Dropout
does."""
import contextlib
import numbers
import threading

import numpy as np

from fastnn import _argcheck, _changes, _kernels, regularizers, utils
from fastnn.autodiff import ops as _dops
from fastnn.autodiff.tape import record, should_record
from fastnn.layers.layer import Layer


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, np.ndarray) else a


def _check_rate(rate, owner, argname="rate"):
    """A rate in [0, 1): TypeError for a non-number, ValueError out of range (Keras'
    wording: "Invalid value received for argument `rate`")."""
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, numbers.Real):
        raise TypeError(f"{owner}: invalid value received for argument {argname}: {argname} "
                        f"must be a number in [0, 1), got {type(rate).__name__} "
                        f"{_argcheck.shown(rate)}")
    if not 0 <= rate < 1:
        raise ValueError(f"{owner}: invalid value received for argument {argname}: {argname} "
                         f"must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _check_noise_shape(noise_shape, owner):
    """Keras' Dropout._validate_noise_shape: None, or a tuple of ints >= 1 and None (a
    list is taken as a tuple). ValueError for anything else, as Keras."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, (str, bytes)):
        raise ValueError(f"{owner}: invalid value received for argument noise_shape; expected "
                         f"a tuple or list of integers, got noise_shape={noise_shape!r}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(f"{owner}: invalid value received for argument noise_shape; expected "
                         f"an iterable of integers (e.g., a tuple or list), got "
                         f"noise_shape={_argcheck.shown(noise_shape)}") from None
    for i, d in enumerate(noise_shape):
        if d is None:
            continue
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise ValueError(f"{owner}: invalid value received for argument noise_shape; "
                             f"expected all elements to be integers or None, got "
                             f"{_argcheck.shown(d)} (type: {type(d).__name__}) at index {i}")
        if d <= 0:
            raise ValueError(f"{owner}: invalid value received for argument noise_shape; "
                             f"expected all dimensions to be positive integers or None, got "
                             f"{d} at index {i}")
    return tuple(None if d is None else int(d) for d in noise_shape)


_STEP = threading.local()      # .model, .step: the training step of this thread


@contextlib.contextmanager
def training_step(model, step):
    """While a model's training step runs its layers one by one: its noise layers key
    their noise by (their seed, step), as the C engine does at that step (step: the
    optimizer's update count before the step, plus 1)."""
    before = getattr(_STEP, "state", None)
    _STEP.state = (model, int(step))
    try:
        yield
    finally:
        _STEP.state = before


def _stream_layers(model):
    """The layers of a model's chain that draw from a counter-based stream keyed by a
    seed (Dropout with a rate > 0, GaussianNoise, GaussianDropout, AlphaDropout). Kept
    until a counted change to the model's layers (fastnn._changes): every training call
    asks."""
    kept = model.__dict__.get("_stream_layers")
    if kept is not None and kept[0] == _changes.count[0]:
        return list(kept[1])
    chain = (model._flat_chain() if model.built else None) or []
    found = [layer for layer in chain
             if isinstance(layer, (Dropout, GaussianNoise, GaussianDropout, AlphaDropout))
             and getattr(layer, "rate", getattr(layer, "stddev", 0.0)) != 0]
    model.__dict__["_stream_layers"] = (_changes.count[0], tuple(found))   # (not counted)
    return found


def stream_seeds(model, draw=True):
    """{id(layer): seed} for the layers of a model's chain that draw from a counter-based
    stream: the layer's own seed, or else the model's draw for it (model._dropout_draws,
    in chain order, which model files and pickles carry; prepare_streams draws them
    anew when a training call starts). A draw missing is taken from fastnn's generator
    now (draw=True), or given as 0 (draw=False: nothing is drawn)."""
    draws = model.__dict__.setdefault("_dropout_draws", [])
    seeds, k = {}, 0
    for layer in _stream_layers(model):
        own = layer.seed
        if own is None:
            if k == len(draws):
                if not draw:
                    seeds[id(layer)] = 0
                    continue
                draws.append(int(utils.get_rng().integers(0, 2 ** 62)))
            own, k = draws[k], k + 1
        seeds[id(layer)] = own
    return seeds


def fold_dropout_seeds(seeds):
    """The C engine's one dropout seed for a net, folded over its Dropout layers' seeds
    in chain order (the engine keys each layer's masks by it and the layer's index)."""
    net = 0
    for s in seeds:
        net = net * 1000003 + s
    return net % 2 ** 64


def prepare_streams(model):
    """When a training call (fit, train_on_batch) starts: new seeds from fastnn's
    generator for the model's unseeded Dropout and noise layers (stream_seeds), on the C
    engine and on the layer path alike, so both draw the same masks and noise, and a
    model's copy (a pickle, a model file) trains on as the original does from the same
    generator state."""
    layers = _stream_layers(model)
    if layers:
        model.__dict__["_dropout_draws"] = []
        stream_seeds(model)


class _Noise(Layer):
    """What the noise layers share: the seed, the generator, built at instantiation."""

    def __init__(self, seed=None, **kwargs):
        owner = type(self).__name__
        seed = _argcheck.integer(seed, "seed", owner, lo=0, hi=2 ** 63 - 1, allow_none=True)
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def _generator(self):
        return self._rng if self._rng is not None else utils.get_rng()

    def _stream_key(self):
        """The key of this call's noise (csrc/noise.h): (the layer's seed in the model, the
        step) inside a model's training step, else a fresh draw from the generator."""
        state = getattr(_STEP, "state", None)
        if state is not None:
            model, step = state
            seed = stream_seeds(model).get(id(self))
            if seed is not None:
                return _kernels.noise_key(seed, step)
        return _kernels.noise_key(int(self._generator().integers(0, 2 ** 62)), 0)

    def _stream_noise(self, inputs, param):
        """The inputs with this layer's noise from the counter-based stream, by the C
        kernel the engine uses; recorded with the kernel's derivative as the gradient."""
        x = inputs
        dt = _float_dtype(x)
        cdt = dt if dt in (np.float32, np.float64) else np.dtype(np.float32)
        raw = np.ascontiguousarray(_plain(x), dtype=cdt).reshape(-1)
        kind = _kernels.NOISE_CODES[type(self).__name__]
        y = np.empty_like(raw)
        mult = None if type(self) is GaussianNoise else np.empty_like(raw)
        _kernels.noise_forward(kind, param, self._stream_key(), raw, mult, y)
        shape = np.shape(x)
        y = y.reshape(shape).astype(dt, copy=False)
        if not should_record((x,)):
            return y
        if mult is None:
            vjp = lambda g: [np.asarray(g)]
        else:
            mult = mult.reshape(shape).astype(dt, copy=False)
            vjp = lambda g: [np.multiply(g, mult)]
        return record((x,), y, vjp, name=f"{self.name} ({type(self).__name__})")

    def _concrete_noise_shape(self, shape):
        ns = getattr(self, "noise_shape", None)
        if ns is None:
            return tuple(shape)
        if len(ns) != len(shape) or any(d is not None and d != s and d != 1
                                        for d, s in zip(ns, shape)):
            raise ValueError(f"{self.name}: noise_shape={ns} does not broadcast to the inputs' "
                             f"shape {tuple(shape)} (each entry must be None, 1 or the "
                             f"input's size)")
        return tuple(s if d is None else d for d, s in zip(ns, shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    _config_keys = ("seed",)      # the constructor arguments get_config gives back

    def get_config(self):
        cfg = super().get_config()
        cfg.update({k: getattr(self, k) for k in self._config_keys})
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("noise_shape"), list):
            config["noise_shape"] = tuple(config["noise_shape"])
        return super().from_config(config)


# The stream numbers of a second (third, ...) Dropout after one Dense layer, which only
# the layer path runs: past the engine's (the Dense layers' indices and the input's).
_EXTRA_DROPOUTS = 1 << 20


class Dropout(_Noise):
    """keras.layers.Dropout. Inverted dropout: in training, zero each unit with
    probability `rate` and scale the kept ones by 1/(1-rate); identity at inference.
    noise_shape (a tuple, None for the input's size) shares one draw along the axes
    where it is 1. Without noise_shape, after a Dense layer that is not the last, the C
    engine applies it; inside a model's training step the layer-by-layer path draws
    the engine's masks for that step (see the module's notes), else the generator's.

    Parameters
    ----------
    rate : float
        The fraction of units to drop in training, in [0, 1).
    noise_shape : tuple of int, optional
        The shape of the drop mask, broadcast against the input (1 on the axes where
        all units share one draw, e.g. ``(batch, 1, features)`` drops the same features
        at every step). Default None: the input's shape.
    seed : int, optional
        Seed of the random draws, for reproducible noise. Default None: draws from
        fastnn's global generator (``keras.utils.set_random_seed``).
    name : str, optional
        The layer's name.
    """
    _config_keys = ("rate", "seed", "noise_shape")

    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        rate = _check_rate(rate, "Dropout")
        noise_shape = _check_noise_shape(noise_shape, "Dropout")
        super().__init__(seed=seed, name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self._mask = None

    def _mask_for(self, shape, dtype):
        keep = self._generator().random(shape) >= self.rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - self.rate), dtype=dtype)

    def _engine_stream(self):
        """(net seed, Dense index) of the C engine's dropout stream for this layer inside
        a model's training step (the net seed folds the seeds of every Dropout of the
        chain, in order; the index counts the Dense layers before this one, and a
        Dropout before any takes the input's stream number), or None outside one."""
        state = getattr(_STEP, "state", None)
        if state is None or self.noise_shape is not None:
            return None
        model, step = state
        seeds = stream_seeds(model)
        if id(self) not in seeds:
            return None
        from fastnn.layers.core import Dense
        folded, dense, at, since = [], -1, None, 0
        for layer in model._flat_chain() or []:
            if type(layer) is Dense:
                dense, since = dense + 1, 0
            elif type(layer) is Dropout and layer.noise_shape is None and id(layer) in seeds:
                folded.append(seeds[id(layer)])
                if layer is self:
                    at = dense if dense >= 0 else _kernels.INPUT_DROPOUT
                    if since:       # a second Dropout after one Dense layer (the layer
                        # path's alone): a stream of its own, not the first one's mask
                        at = _EXTRA_DROPOUTS + (dense + 1) * _kernels.INPUT_DROPOUT + since
                since += 1
        if at is None:
            return None
        return fold_dropout_seeds(folded), step, at

    def call(self, inputs, training=False):
        """In training, the inputs times a fresh mask (recorded with the mask as its
        gradient): inside a model's training step and without noise_shape, the C
        engine's mask for that step; else one from the generator. At
        inference, the inputs as they are."""
        x = inputs
        if not training or self.rate == 0:
            return x
        stream = self._engine_stream()
        dt = np.dtype(x.dtype)
        if stream is not None and dt in (np.float32, np.float64):
            raw = np.ascontiguousarray(_plain(x)).reshape(-1)
            mask, y = np.empty_like(raw), np.empty_like(raw)
            _kernels.dropout_forward(self.rate, _kernels.dropout_key(*stream), raw, mask, y)
            mask, y = mask.reshape(np.shape(x)), y.reshape(np.shape(x))
        else:
            mask = self._mask_for(self._concrete_noise_shape(x.shape), x.dtype)
            y = np.multiply(_plain(x), mask)
        if not should_record((x,)):
            return y
        return record((x,), y, lambda g: [np.multiply(g, mask)], name=f"{self.name} (Dropout)")


def _float_dtype(x):
    dt = np.dtype(x.dtype)
    return dt if dt.kind == "f" else np.dtype("float32")


class GaussianNoise(_Noise):
    """keras.layers.GaussianNoise: in training, x + noise drawn from N(0, stddev**2)
    (stddev in [0, 1], as Keras checks); identity at inference.

    Parameters
    ----------
    stddev : float
        The standard deviation of the added noise, in [0, 1].
    seed : int, optional
        Seed of the random draws, for reproducible noise. Default None: draws from
        fastnn's global generator (``keras.utils.set_random_seed``).
    """
    _config_keys = ("stddev", "seed")

    def __init__(self, stddev, seed=None, **kwargs):
        owner = "GaussianNoise"
        if isinstance(stddev, (bool, np.bool_)) or not isinstance(stddev, numbers.Real):
            raise TypeError(f"{owner}: invalid value received for argument stddev; expected a "
                            f"float value between 0 and 1, got {type(stddev).__name__} "
                            f"{_argcheck.shown(stddev)}")
        if not 0 <= stddev <= 1:
            raise ValueError(f"{owner}: invalid value received for argument stddev; expected a "
                             f"float value between 0 and 1, got stddev={stddev!r}")
        super().__init__(seed=seed, **kwargs)
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        """In training, the inputs plus noise from the counter-based stream (see the
        module's notes); at inference, the inputs as they are."""
        x = inputs
        if not training or self.stddev == 0:
            return x
        return self._stream_noise(x, self.stddev)


class GaussianDropout(_Noise):
    """keras.layers.GaussianDropout: in training, x times noise drawn from
    N(1, rate / (1 - rate)); identity at inference.

    Parameters
    ----------
    rate : float
        The drop probability of the equivalent dropout, in [0, 1): the noise has
        standard deviation ``sqrt(rate / (1 - rate))``.
    seed : int, optional
        Seed of the random draws, for reproducible noise. Default None: draws from
        fastnn's global generator (``keras.utils.set_random_seed``).
    """
    _config_keys = ("rate", "seed")

    def __init__(self, rate, seed=None, **kwargs):
        rate = _check_rate(rate, "GaussianDropout")
        super().__init__(seed=seed, **kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        """In training, the inputs times noise from the counter-based stream (see the
        module's notes); at inference, the inputs as they are."""
        x = inputs
        if not training or self.rate == 0:
            return x
        return self._stream_noise(x, self.rate)


class AlphaDropout(_Noise):
    """keras.layers.AlphaDropout: dropout that keeps the mean and variance of its inputs
    (for SELU networks). In training each unit is kept with probability 1 - rate (a
    uniform draw >= rate, shared along the axes where noise_shape is 1) or set to
    -alpha*scale of SELU, then the whole is mapped by a*x + b with
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5 and b = -a * alpha_p * rate;
    identity at inference.

    Parameters
    ----------
    rate : float
        The probability of dropping a unit, in [0, 1).
    noise_shape : tuple of int, optional
        The shape of the drop mask, broadcast against the input (1 on the axes where
        all units share one draw). Default None: the input's shape.
    seed : int, optional
        Seed of the random draws, for reproducible noise. Default None: draws from
        fastnn's global generator (``keras.utils.set_random_seed``).
    """
    _config_keys = ("rate", "seed", "noise_shape")

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        rate = _check_rate(rate, "AlphaDropout")
        noise_shape = _check_noise_shape(noise_shape, "AlphaDropout")
        super().__init__(seed=seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def call(self, inputs, training=False):
        """In training, the inputs with alpha dropout (without noise_shape from the
        counter-based stream, see the module's notes; with it from the generator); at
        inference, the inputs as they are."""
        x = inputs
        if not training or self.rate == 0:
            return x
        if self.noise_shape is None:
            return self._stream_noise(x, self.rate)
        dt = _float_dtype(x)
        rate = self.rate
        alpha_p = -self._ALPHA * self._SCALE
        shape = self._concrete_noise_shape(np.shape(x))
        kept = (self._generator().uniform(size=shape) >= rate).astype(dt)
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        # a * (x * kept + alpha_p * (1 - kept)) + b: x times a * kept, plus a constant
        const = (a * alpha_p * (1 - kept) + b).astype(dt)
        return _dops.add(_dops.multiply(x, (a * kept).astype(dt)), const)


class ActivityRegularization(Layer):
    """keras.layers.ActivityRegularization: returns its inputs and adds the penalty
    ``(l1 * sum(|x|) + l2 * sum(x**2)) / batch size`` to its losses (and so to
    model.losses and the loss training minimises), in training and at inference, as
    Keras' activity_regularizer does. The penalty is computed with fastnn.autodiff ops,
    so its gradient reaches the layers before it. Stateless: built at instantiation.

    Parameters
    ----------
    l1 : float
        The L1 factor. Default 0.
    l2 : float
        The L2 factor. Default 0.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        reg = regularizers.L1L2(l1=l1, l2=l2)       # checks: finite numbers >= 0
        super().__init__(**kwargs)
        self.l1, self.l2 = reg.l1, reg.l2
        self._penalty = reg
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        self._add_activity_loss(inputs, self._penalty)
        return inputs

    def get_config(self):
        cfg = super().get_config()
        cfg.update(l1=self.l1, l2=self.l2)
        return cfg
