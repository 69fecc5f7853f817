"""tf.random's global seed (`import fastnn as tf; tf.random.set_seed(1234)`)."""
from fastnn import utils as _utils


def set_seed(seed):
    """Seed fastnn's generator (initial weights, shuffles, dropout), as tf.random.set_seed
    seeds TensorFlow's; Python's `random` and NumPy's global state are left alone
    (fastnn.utils.set_random_seed seeds those too, as keras.utils.set_random_seed)."""
    _utils.seed_generator(seed, "set_seed")
