"""Regularization layers: Dropout."""
import numpy as np

from fastnn import utils
from fastnn.layers.layer import Layer

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
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._mask = None

    def _mask_for(self, shape, dtype):
        rng = self._rng if self._rng is not None else utils.get_rng()
        keep = rng.random(shape) >= self.rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - self.rate), dtype=dtype)

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        return x * self._mask_for(x.shape, x.dtype)

    def forward(self, x, training=True):
        if not training or self.rate == 0:
            self._mask = None
            return x
        self._mask = self._mask_for(x.shape, x.dtype)
        return x * self._mask

    def backward(self, dy, need_dx=True):
        self.grads = []
        m, self._mask = self._mask, None
        return dy if m is None else dy * m

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rate=self.rate, seed=self.seed)
        return cfg
