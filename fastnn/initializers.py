"""Weight initialisers with Keras 3 names, defaults and formulas (keras.initializers)."""
import math

import numpy as np

from fastnn import _argcheck, utils
from fastnn import _registry


def _fans(shape):
    # Keras' compute_fans for dense shapes: kernel (in, out); 1-D -> both = size.
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def _shape(owner, shape):
    """A weight shape: a tuple (or list) of ints >= 0, or one int."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{owner}: shape must be a tuple of ints >= 0, got "
                        f"{type(shape).__name__} {_argcheck.shown(shape)}")
    shape = tuple(_argcheck.integer(d, f"shape[{i}]", owner, lo=0) for i, d in enumerate(shape))
    if math.prod(shape) > 2 ** 48:   # 256 Ti elements: no array of that is ever allocated
        raise ValueError(f"{owner}: shape {shape} has {math.prod(shape)} elements, too many "
                         f"for one array")
    return shape


def _dtype(owner, dtype, kinds="f"):
    """The dtype to fill (None: float32, Keras' floatx), of one of `kinds`."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in kinds:
        want = "a floating-point dtype" if kinds == "f" else "a numeric dtype"
        raise TypeError(f"{owner}: dtype must be {want} such as 'float32', got "
                        f"{_argcheck.shown(dtype)}")
    return dt


def _fits(owner, out, dtype, what):
    """`out` as `dtype`, refused when its values are not finite there (a float64 value
    beyond float32's range)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(out).astype(dtype, copy=False)
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        raise ValueError(f"{owner}: {what} give values that are not finite in {dtype} "
                         f"(its largest is {np.finfo(dtype).max:g})")
    return out


def _axes(owner, name, axes):
    """VarianceScaling's input_axes / output_axes: None, or a list of ints."""
    if axes is None:
        return None
    if not isinstance(axes, (list, tuple)):
        raise TypeError(f"{owner}: {name} must be a list of axes (ints) or None, got "
                        f"{type(axes).__name__} {_argcheck.shown(axes)}")
    return [_argcheck.integer(a, f"{name}[{i}]", owner) for i, a in enumerate(axes)]


def _axes_size(owner, name, axes, shape):
    """The product of shape's sizes along axes (negative axes count from the end)."""
    n = 1
    for a in axes:
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"{owner}: {name} holds axis {a}, out of range for the shape "
                             f"{shape}")
        n *= shape[a]
    return n


class Initializer:
    """keras.initializers.Initializer: the base class of the initializers. Called as
    ``initializer(shape, dtype='float32')``, an initializer returns a new array of that
    shape and dtype; a subclass defines ``__call__`` (and ``get_config`` when it has
    arguments). Layers take initializers, their names (``'glorot_uniform'``) or any callable
    ``(shape, dtype) -> array``."""
    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _args(self, shape, dtype, kinds="f"):
        owner = type(self).__name__
        return _shape(owner, shape), _dtype(owner, dtype, kinds)

    def _rng(self):
        # A seeded initialiser gives the same values every call (as Keras');
        # unseeded ones draw from fastnn's global Generator (set_random_seed).
        seed = getattr(self, "seed", None)
        return np.random.default_rng(seed) if seed is not None else utils.get_rng()


class Zeros(Initializer):
    """keras.initializers.Zeros: all values 0."""
    def __call__(self, shape, dtype="float32"):
        return np.zeros(*self._args(shape, dtype, "biuf"))


class Ones(Initializer):
    """keras.initializers.Ones: all values 1."""
    def __call__(self, shape, dtype="float32"):
        return np.ones(*self._args(shape, dtype, "biuf"))


class Constant(Initializer):
    """keras.initializers.Constant: all values equal to ``value``, or ``value``'s array
    broadcast to the shape.

    Parameters
    ----------
    value : float or array
        The value, or an array of finite real numbers that broadcasts to the shapes
        asked for. Default 0.
    """
    def __init__(self, value=0.0):
        if isinstance(value, (np.ndarray, list, tuple)):
            arr = _argcheck.real_array(value, "value", "Constant").astype(np.float64)
            if not np.isfinite(arr).all():
                raise ValueError(f"Constant: value must hold finite numbers, got "
                                 f"{_argcheck.shown(value)}")
            self.value = arr
        else:
            self.value = _argcheck.real(value, "value", "Constant")

    def __call__(self, shape, dtype="float32"):
        # any numeric or bool dtype, as Keras casts the value to it: integers truncated
        # toward zero, bool True where the value is not 0
        shape, dtype = self._args(shape, dtype, "biuf")
        try:
            out = np.broadcast_to(self.value, shape)
        except ValueError:
            raise ValueError(f"Constant: value of shape {np.shape(self.value)} does not "
                             f"broadcast to the shape {shape}") from None
        if dtype.kind == "b":
            return np.array(out != 0)
        if dtype.kind in "iu":
            whole = np.trunc(np.asarray(out, np.float64))
            info = np.iinfo(dtype)
            if whole.size and (whole.min() < info.min or whole.max() > info.max):
                raise ValueError(f"Constant: value={_argcheck.shown(self.value)} does not fit "
                                 f"in {dtype} (from {info.min} to {info.max})")
            return whole.astype(dtype)
        return _fits("Constant", np.array(out), dtype, f"value={_argcheck.shown(self.value)} would")

    def get_config(self):
        return {"value": self.value.tolist() if isinstance(self.value, np.ndarray) else self.value}


def _normal_args(owner, mean, stddev, seed):
    return (_argcheck.real(mean, "mean", owner), _argcheck.real(stddev, "stddev", owner, lo=0),
            _argcheck.seed(seed, "seed", owner))


class RandomNormal(Initializer):
    """keras.initializers.RandomNormal: values drawn from a normal distribution.

    Parameters
    ----------
    mean : float
        The mean. Default 0.
    stddev : float
        The standard deviation. Default 0.05.
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = _normal_args("RandomNormal", mean, stddev, seed)

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype)
        out = self._rng().normal(self.mean, self.stddev, size=shape)
        return _fits("RandomNormal", out, dtype,
                     f"mean={self.mean!r} and stddev={self.stddev!r}")

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """keras.initializers.RandomUniform: values drawn uniformly from ``[minval, maxval)``.

    Parameters
    ----------
    minval : float
        The lower bound. Default -0.05.
    maxval : float
        The upper bound. Default 0.05.
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        owner = "RandomUniform"
        self.minval = _argcheck.real(minval, "minval", owner)
        self.maxval = _argcheck.real(maxval, "maxval", owner)
        if not 0 <= self.maxval - self.minval < math.inf:
            raise ValueError(f"RandomUniform: maxval - minval must be a finite number >= 0, "
                             f"got minval={_argcheck.shown(minval)}, "
                             f"maxval={_argcheck.shown(maxval)}")
        self.seed = _argcheck.seed(seed, "seed", owner)

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype)
        out = self._rng().uniform(self.minval, self.maxval, size=shape)
        return _fits("RandomUniform", out, dtype,
                     f"minval={self.minval!r} and maxval={self.maxval!r}")

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng, mean, stddev, shape):
    # Normal values redrawn until within two standard deviations (Keras/TF semantics).
    out = rng.standard_normal(size=shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(out) > 2
    return mean + stddev * out


class TruncatedNormal(Initializer):
    """keras.initializers.TruncatedNormal: values drawn from a normal distribution, redrawn
    when more than two standard deviations from the mean.

    Parameters
    ----------
    mean : float
        The mean. Default 0.
    stddev : float
        The standard deviation before truncation. Default 0.05.
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = _normal_args("TruncatedNormal", mean, stddev, seed)

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            out = _truncated_normal(self._rng(), self.mean, self.stddev, shape)
        return _fits("TruncatedNormal", out, dtype,
                     f"mean={self.mean!r} and stddev={self.stddev!r}")

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """keras.initializers.VarianceScaling: values whose scale adapts to the weight's shape.
    With ``n`` the number of inputs (``fan_in``), outputs (``fan_out``) or their mean
    (``fan_avg``), values are drawn with variance ``scale / n``: from a truncated or
    untruncated normal distribution, or uniformly from ``[-limit, limit]`` with ``limit =
    sqrt(3 * scale / n)``.

    Parameters
    ----------
    scale : float
        The scaling factor, greater than 0. Default 1.
    mode : str
        ``'fan_in'`` (the default), ``'fan_out'`` or ``'fan_avg'``.
    distribution : str
        ``'truncated_normal'`` (the default; ``'normal'`` is the same, any case),
        ``'untruncated_normal'`` or ``'uniform'``.
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    input_axes, output_axes : list of int, optional
        The axes of the shape that count as inputs and as outputs: fan_in and fan_out
        are the products of their sizes (a kernel of shape ``(512, 8, 64)`` with
        ``input_axes=[0]``, ``output_axes=[1, 2]``: 512 and 512). Both or neither;
        default None: the last axis is the outputs, the one before it the inputs, and
        any axes before those multiply both (Keras' rule for kernels).
    """
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        owner = type(self).__name__
        self.scale = _argcheck.real(scale, "scale", owner, lo=0, lo_open=True)
        self.mode = _argcheck.string(mode, "mode", owner, choices=("fan_in", "fan_out", "fan_avg"))
        if isinstance(distribution, str):
            distribution = distribution.lower()
            if distribution == "normal":
                distribution = "truncated_normal"
        self.distribution = _argcheck.string(
            distribution, "distribution", owner,
            choices=("truncated_normal", "untruncated_normal", "uniform"))
        self.seed = _argcheck.seed(seed, "seed", owner)
        self.input_axes = _axes(owner, "input_axes", input_axes)
        self.output_axes = _axes(owner, "output_axes", output_axes)

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype)
        if self.input_axes is not None and self.output_axes is not None:
            fan_in = _axes_size(type(self).__name__, "input_axes", self.input_axes, shape)
            fan_out = _axes_size(type(self).__name__, "output_axes", self.output_axes, shape)
        else:
            fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        var = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            out = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(var), size=shape)
        else:
            # 0.8796... = stddev of a standard normal truncated at +-2 (Keras' constant).
            out = _truncated_normal(rng, 0.0, math.sqrt(var) / 0.87962566103423978, shape)
        return _fits(type(self).__name__, out, dtype, f"scale={self.scale!r}")

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(VarianceScaling):
    """keras.initializers.GlorotUniform (Xavier uniform), the default kernel initializer:
    uniform on ``[-limit, limit]`` with ``limit = sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """keras.initializers.GlorotNormal (Xavier normal): a truncated normal distribution with
    ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """keras.initializers.HeNormal: a truncated normal distribution with ``stddev = sqrt(2 /
    fan_in)``, suited to ReLU layers.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """keras.initializers.HeUniform: uniform on ``[-limit, limit]`` with ``limit = sqrt(6 /
    fan_in)``.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    """keras.initializers.LecunNormal: a truncated normal distribution with ``stddev = sqrt(1 /
    fan_in)``, suited to SELU networks.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunUniform(VarianceScaling):
    """keras.initializers.LecunUniform: uniform on ``[-limit, limit]`` with ``limit = sqrt(3 /
    fan_in)``.

    Parameters
    ----------
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class Identity(Initializer):
    """keras.initializers.Identity: ``gain`` times the identity matrix, for 2-D shapes
    (a rectangular one gets ``gain`` on its main diagonal and zeros elsewhere).

    Parameters
    ----------
    gain : float
        The factor on the identity. Default 1.
    """
    def __init__(self, gain=1.0):
        self.gain = _argcheck.real(gain, "gain", "Identity")

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype, "biuf")
        if len(shape) != 2:
            raise ValueError(f"Identity: shape must be 2-D (a matrix), got {shape} of rank "
                             f"{len(shape)}")
        return _fits("Identity", self.gain * np.eye(*shape), dtype, f"gain={self.gain!r} would")

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(Initializer):
    """keras.initializers.Orthogonal: an orthogonal matrix times ``gain``, from the QR
    decomposition of a matrix of standard-normal values, each column's sign made that of
    R's diagonal (so the distribution is uniform). A shape with more than two axes is taken
    as a matrix of ``prod(shape[:-1])`` rows and ``shape[-1]`` columns; with fewer rows
    than columns the rows are the orthonormal ones.

    Parameters
    ----------
    gain : float
        The factor on the matrix. Default 1.
    seed : int, optional
        A seed: a seeded initializer gives the same values at every call. Default None:
        draws from fastnn's global generator (``keras.utils.set_random_seed``).
    """
    def __init__(self, gain=1.0, seed=None):
        self.gain = _argcheck.real(gain, "gain", "Orthogonal")
        self.seed = _argcheck.seed(seed, "seed", "Orthogonal")

    def __call__(self, shape, dtype="float32"):
        shape, dtype = self._args(shape, dtype)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: shape must have at least 2 axes, got {shape} of "
                             f"rank {len(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _fits("Orthogonal", self.gain * q.reshape(shape), dtype,
                     f"gain={self.gain!r} would")

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


ALL_OBJECTS = {c.__name__: c for c in (
    Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
    LecunUniform, Orthogonal)}
# Keras' snake_case string names.
ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "identity": Identity,
    "orthogonal": Orthogonal,
    # Keras' short names, and the class names it keeps for compatibility
    "uniform": RandomUniform, "normal": RandomNormal, "zero": Zeros, "one": Ones,
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
}
# The class names a config may hold: fastnn's, and those Keras keeps for compatibility.
_DESERIALIZABLE = {**ALL_OBJECTS, "IdentityInitializer": Identity,
                   "OrthogonalInitializer": Orthogonal}


def serialize(initializer):
    """An initializer's configuration as Keras writes it: ``{'class_name': ..., 'config':
    initializer.get_config()}``.

    Parameters
    ----------
    initializer : Initializer
        The initializer to describe.

    Returns
    -------
    dict
        The class name and config.
    """
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _array_initializer(values):
    """keras.initializers.get of an array: an initializer giving a copy of it, for its own
    shape only."""
    values = _argcheck.real_array(values, "identifier", "initializer")

    def initialize(shape, dtype="float32"):
        shape, dt = Initializer()._args(shape, dtype, "biuf")
        if shape != values.shape:
            raise ValueError(f"initializer: Expected `shape` to be {values.shape} for an "
                             f"array as initializer, got shape={shape}")
        return _fits("initializer", np.array(values), dt, "the array's values")
    return initialize


def get(identifier):
    """The initializer an argument names.

    Parameters
    ----------
    identifier : str, Initializer, class, dict, array, callable or None
        A name (``'glorot_uniform'``, ``'he_normal'``, a class name), an Initializer or
        callable (returned as it is), an initializer class (a new instance), a config
        dict, an array (an initializer giving its values, for its shape), or None
        (returned as it is: the layer's default then applies).

    Returns
    -------
    Initializer, callable or None
        The initializer.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and callable(identifier):
        return identifier()                 # a class: a new instance, as Keras
    if isinstance(identifier, (np.ndarray, np.generic)):
        return _array_initializer(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALIASES.get(identifier) or ALL_OBJECTS.get(identifier)
        if cls is None:
            raise ValueError(f"initializer: unknown initializer {identifier!r}; expected one of "
                             f"{sorted(ALIASES)}")
        return cls()
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer: expected a name, an Initializer or a callable, got {identifier!r}")


def deserialize(config, custom_objects=None):
    """Make an initializer from the dict ``serialize`` gives.

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.
    custom_objects : dict, optional
        Initializer classes of your own, by name.

    Returns
    -------
    Initializer
        A new initializer.
    """
    return _registry.from_dict("initializer", config, _DESERIALIZABLE, custom_objects)


# Keras' snake_case names (keras.initializers.he_normal(seed=1)) and compatibility names.
constant, zeros, ones, identity, orthogonal = Constant, Zeros, Ones, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
