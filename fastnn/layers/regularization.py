"""Regularization layers: Dropout."""
import numpy as np

from fastnn import _argcheck, utils
from fastnn.autodiff.tape import record, should_record
from fastnn.layers.layer import Layer


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, np.ndarray) else a

class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and scale the
    kept ones by 1/(1-rate); identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ValueError(f"Dropout: noise_shape is not supported by fastnn, got {noise_shape!r}")
        super().__init__(name=name, **kwargs)
        self.rate = float(rate)
        self.seed = _argcheck.integer(seed, "seed", "Dropout", lo=0, hi=2 ** 63 - 1,
                                      allow_none=True)
        seed = self.seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._mask = None

    def _mask_for(self, shape, dtype):
        rng = self._rng if self._rng is not None else utils.get_rng()
        keep = rng.random(shape) >= self.rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - self.rate), dtype=dtype)

    def call(self, inputs, training=False):
        """In training, the inputs times a fresh mask (recorded with the mask as its
        gradient); at inference, the inputs as they are."""
        x = inputs
        if not training or self.rate == 0:
            return x
        mask = self._mask_for(x.shape, x.dtype)
        y = np.multiply(_plain(x), mask)
        if not should_record((x,)):
            return y
        return record((x,), y, lambda g: [np.multiply(g, mask)], name=f"{self.name} (Dropout)")

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rate=self.rate, seed=self.seed)
        return cfg
