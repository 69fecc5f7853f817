"""tf.random's global seed (`import fastnn as tf; tf.random.set_seed(1234)`)."""
from fastnn import utils as _utils


def set_seed(seed):
    """Seed fastnn's generator (initial weights, shuffles, dropout), as tf.random.set_seed
    seeds TensorFlow's; Python's `random` and NumPy's global state are left alone
    (fastnn.utils.set_random_seed seeds those too, as keras.utils.set_random_seed).

    Parameters
    ----------
    seed : int
        The seed.
    """
    _utils.seed_generator(seed, "set_seed")


# keras.random / tf.random samplers (fastnn.autodiff.random_ops, seeded from fastnn's
# generator unless a seed is given), with TensorFlow's argument names where they differ
from fastnn.autodiff.random_ops import (SeedGenerator, dropout, normal,  # noqa: E402,F401
                                        randint, shuffle, truncated_normal)
from fastnn.autodiff.random_ops import uniform as _uniform  # noqa: E402


def uniform(shape, minval=0.0, maxval=None, dtype=None, seed=None, name=None):
    """Values drawn uniformly from [minval, maxval) (maxval 1 when not given, as
    tf.random.uniform and keras.random.uniform).

    Parameters
    ----------
    shape : tuple of int
        The shape of the result.
    minval : float
        The lower bound. Default 0.
    maxval : float, optional
        The upper bound (excluded). Default None: 1.
    dtype : str, optional
        The dtype. Default float32.
    seed : int, optional
        A seed for this draw. Default None: fastnn's global generator.
    name : str, optional
        Accepted for TensorFlow compatibility.

    Returns
    -------
    Tensor
        The values.
    """
    return _uniform(shape, minval, 1.0 if maxval is None else maxval, dtype, seed)
