"""Activation layers: Activation, ReLU, LeakyReLU, ELU, Softmax (and the `activation`
attribute Dense shares with them)."""
import numpy as np

from fastnn import activations
from fastnn import ops
from fastnn.layers.layer import Layer

def _activation_spec(activation, owner):
    """activation argument -> (name or None, params, function). The name is set for the
    built-in activations (kernel path, saveable); a foreign callable gets name None."""
    fn = activations.get(activation)
    name = getattr(fn, "_fastnn_name", None)
    params = dict(getattr(fn, "_fastnn_defaults", {}))
    return name, params, fn


class _Activates:
    """The `activation` attribute as Keras layers have it: assigning a name or function
    later changes what the layer computes from its next call on (a common way to get
    logits out of a trained classifier: model.layers[-1].activation = None)."""

    @property
    def activation(self):
        return self._activation

    @activation.setter
    def activation(self, value):
        self.activation_name, self.activation_params, self._activation = \
            _activation_spec(value, type(self).__name__)


class Activation(_Activates, Layer):
    """Applies an activation function (by name or function) to its input."""

    def __init__(self, activation, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activation
        self._cache = None

    def call(self, x, training=False):
        if self.activation_name is not None:
            return ops.activation_forward(self.activation_name, x, **self.activation_params)
        return np.asarray(self.activation(x), dtype=x.dtype)

    def forward(self, x, training=True):
        a = self.call(x)
        self._cache = (x, a)
        return a

    def backward(self, dy, need_dx=True, dz_given=False):
        z, a = self._cache
        self._cache = None
        self.grads = []
        if dz_given or self.activation_name == "linear":
            return dy
        if self.activation_name is None:
            raise ValueError(f"{self.name}: cannot train through the custom activation "
                             f"{self.activation!r}; use one of {activations._known()}")
        return ops.activation_grad(self.activation_name, z, a, dy, **self.activation_params)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = self.activation_name or activations.serialize(self.activation)
        return cfg


class ReLU(Activation):
    """keras.layers.ReLU (default form: max(x, 0))."""

    def __init__(self, name=None, **kwargs):
        super().__init__("relu", name=name, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        return cfg


class LeakyReLU(Activation):
    """keras.layers.LeakyReLU: the layer's slope defaults to 0.3 (the function's is 0.2)."""

    def __init__(self, negative_slope=0.3, name=None, alpha=None, **kwargs):
        if alpha is not None:  # Keras 2 spelling
            negative_slope = alpha
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float, np.floating)) \
                or not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be a finite number >= 0, got {negative_slope!r}")
        super().__init__("leaky_relu", name=name, **kwargs)
        self.negative_slope = float(negative_slope)
        self.activation_params = {"negative_slope": self.negative_slope}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(Activation):
    def __init__(self, alpha=1.0, name=None, **kwargs):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not np.isfinite(alpha):
            raise ValueError(f"ELU: alpha must be a finite number, got {alpha!r}")
        super().__init__("elu", name=name, **kwargs)
        self.alpha = float(alpha)
        self.activation_params = {"alpha": self.alpha}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["alpha"] = self.alpha
        return cfg


class Softmax(Activation):
    """keras.layers.Softmax over the last axis."""

    def __init__(self, axis=-1, name=None, **kwargs):
        if axis != -1:
            raise ValueError(f"Softmax: only axis=-1 is supported by fastnn, got {axis!r}")
        super().__init__("softmax", name=name, **kwargs)
        self.axis = -1

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["axis"] = self.axis
        return cfg
