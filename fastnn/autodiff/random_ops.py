"""keras.random's functions, drawn from fastnn's generator (`fastnn.utils`).

`seed=None` draws from fastnn's one generator (`fastnn.utils.set_random_seed(s)` or
`tf.random.set_seed(s)` fixes the sequence); an int seed gives the same values on every
call, as Keras' integer seeds do; a `SeedGenerator` gives a new draw each call from its
own stream."""
import numbers
import random as python_random

import numpy as np

from fastnn import utils as _utils
from fastnn.autodiff import primitives as P
from fastnn.autodiff.core_ops import FLOATX, convert_to_tensor, standardize_dtype
from fastnn.autodiff.tape import _raw, _wrap

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint",
           "shuffle", "dropout"]


class SeedGenerator:
    """A random stream of its own (Keras' keras.random.SeedGenerator): each draw given it
    as `seed` continues the stream. Its state is a NumPy Generator (fastnn's numbers are
    not Keras'); `get_config()` gives the seed and the name it was made with.

    Parameters
    ----------
    seed : int, optional
        The seed, at least 0. Default None: a seed drawn from Python's ``random``
        module, as Keras draws it (``keras.utils.set_random_seed`` seeds that too).
    name : str, optional
        The name. Default None: ``"seed_generator"`` with a number when taken.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"SeedGenerator: Unrecognized keyword arguments: {kwargs}")
        if seed is not None and (isinstance(seed, (bool, np.bool_)) or
                                 not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"SeedGenerator: Argument `seed` must be an integer (>= 0) or "
                             f"None. Received: seed={seed!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"SeedGenerator: name must be a str or None, got "
                            f"{type(name).__name__} {name!r:.100}")
        if name is None:
            from fastnn.layers.layer import _auto_name
            name = _auto_name("seed_generator")
        self.name = name
        self._initial_seed = None if seed is None else int(seed)
        if seed is None:        # Keras' make_default_seed: Python's random module
            seed = python_random.randint(1, int(1e9))
        self._rng = np.random.default_rng(int(seed))

    def generator(self):
        return self._rng

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _rng(seed, owner):
    if seed is None:
        return _utils.get_rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{owner}: seed must be an int >= 0, a SeedGenerator or None, got "
                         f"{seed!r}")
    return np.random.default_rng(int(seed))


def _shape(shape, owner):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: shape must be a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{owner}: shape must hold sizes >= 0, got {shape}")
    return shape


def _float_dtype(dtype, owner):
    d = standardize_dtype(dtype, "dtype", owner) or FLOATX
    if d.kind != "f":
        if owner == "uniform":      # Keras' check (a ValueError) for uniform
            raise ValueError(f"`keras.random.uniform` requires a floating point `dtype`. "
                             f"Received: dtype={dtype}")
        raise TypeError(f"{owner}: dtype must be a float dtype, got {d}")
    return d


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    d = _float_dtype(dtype, "normal")
    r = _rng(seed, "normal").standard_normal(_shape(shape, "normal"))
    return _wrap((r * float(stddev) + float(mean)).astype(d))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    d = _float_dtype(dtype, "uniform")
    lo, hi = float(minval), float(maxval)
    if not lo < hi:
        raise ValueError(f"uniform: minval must be < maxval, got {minval} and {maxval}")
    r = _rng(seed, "uniform").uniform(lo, hi, _shape(shape, "uniform"))
    return _wrap(r.astype(d))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until within two standard deviations of the mean."""
    d = _float_dtype(dtype, "truncated_normal")
    rng = _rng(seed, "truncated_normal")
    shp = _shape(shape, "truncated_normal")
    r = rng.standard_normal(shp)
    bad = np.abs(r) > 2
    while bad.any():
        r[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(r) > 2
    return _wrap((r * float(stddev) + float(mean)).astype(d))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    d = standardize_dtype("int32" if dtype is None else dtype, "dtype", "randint")
    if d is None or d.kind not in "iu":
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: "
                         f"dtype={dtype}")
    return _wrap(_rng(seed, "randint").integers(int(minval), int(maxval),
                                                _shape(shape, "randint")).astype(d))


def shuffle(x, axis=0, seed=None):
    """x with its slices along `axis` in a random order (differentiable: a gather)."""
    x = convert_to_tensor(x)
    n = x.shape[axis]
    perm = _rng(seed, "shuffle").permutation(n)
    return P.take(x, perm, axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """inputs with a fraction `rate` of entries zeroed and the rest scaled by
    1 / (1 - rate) (differentiable)."""
    x = convert_to_tensor(inputs)
    rate = float(rate)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    shp = x.shape if noise_shape is None else tuple(
        x.shape[i] if s is None else int(s) for i, s in enumerate(noise_shape))
    keep = _rng(seed, "dropout").uniform(size=shp) >= rate
    scale = np.where(keep, 1.0 / (1.0 - rate), 0.0).astype(_raw(x).dtype)
    return P.multiply(x, scale)
