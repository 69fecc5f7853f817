"""Activation layers: Activation, ReLU, LeakyReLU, ELU, Softmax, PReLU (and the
`activation` attribute Dense shares with them)."""
import numbers
import warnings

import numpy as np

from fastnn import _argcheck, activations, constraints, initializers, regularizers
from fastnn import kernel_ops as ops
from fastnn import _kernels
from fastnn.autodiff.tape import record, records_backward, should_record
from fastnn.layers.layer import Layer, _initializer_config, _without_none
from fastnn.tensor import Tensor


def _is_real(v):
    """A real number (not a bool), that an order comparison applies to."""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


# (code, parameter) -> the activation's differentiable formula (nn_ops.formula_of), or None
_FORMULAS = {}
_UNSEEN = object()


def record_activation(z, a, code, param):
    """a = act(z) (activation code and parameter of fastnn._codes), computed already:
    recorded with its C backward kernel (over the last axis) when a tape follows z; its
    formula's where a tape follows the gradient too (a second derivative)."""
    if not should_record((z,)):
        return a
    key = (code, param) if type(param) is float and param == param else None
    formula = _FORMULAS.get(key, _UNSEEN)
    if formula is _UNSEEN:
        from fastnn.autodiff.nn_ops import formula_of
        formula = formula_of(code, param)
        if key is not None:        # (a number: a parameter tuple is looked up each time)
            _FORMULAS[key] = formula

    def vjp(ga):
        if formula is not None and records_backward():
            # a tape follows this gradient (nested tapes: a second derivative): the
            # activation's formula, differentiated under it
            from fastnn.autodiff.nn_ops import _nested_vjp
            return list(_nested_vjp(formula[0], (z,), ga, **formula[1]))
        zz = np.ascontiguousarray(z, dtype=a.dtype).view(np.ndarray)
        aa = np.ascontiguousarray(a).view(np.ndarray)
        ga = np.ascontiguousarray(ga, dtype=a.dtype).view(np.ndarray)
        dz = np.empty_like(ga)
        if dz.size:
            k = dz.shape[-1] if dz.ndim else 1
            _kernels.act_backward(code, param, zz.reshape(-1, k), aa.reshape(-1, k),
                                  ga.reshape(-1, k), dz.reshape(-1, k))
        return [dz]
    return record((z,), a, vjp, name="activation", first_order=formula is None)

def _activation_spec(activation, owner):
    """activation argument -> (name or None, params, function). The name is set for the
    built-in activations that have a C kernel (kernel path); a foreign callable, or a
    built-in activation composed of autodiff ops (mish, celu, ...: no C kernel), gets
    name None and is called as a function (saving still names the built-in ones)."""
    fn = activations.get(activation)
    name = getattr(fn, "_fastnn_name", None)
    if getattr(fn, "_fastnn_kernel", True) is False:
        name = None
    params = dict(getattr(fn, "_fastnn_defaults", {}))
    return name, params, fn


def activated_shape(fn, shape):
    """The shape an activation gives for inputs of `shape`: glu halves the last axis
    (keras.activations.glu splits it in two), the others keep it."""
    shape = tuple(shape)
    if getattr(fn, "_fastnn_name", None) == "glu" and shape and shape[-1] is not None:
        return shape[:-1] + (shape[-1] // 2,)
    return shape


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


def _softmax_axis(axis):
    """Softmax's axis argument as a tuple of ints: an int, or a non-empty list or tuple
    of ints (TypeError / ValueError naming the argument otherwise)."""
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral):
            raise TypeError(f"Softmax: axis must be an int or a list or tuple of ints, got "
                            f"{type(axis).__name__} {_argcheck.shown(axis)}")
    if not axes:
        raise ValueError(f"Softmax: axis must name at least one axis, got "
                         f"{_argcheck.shown(axis)}")
    return tuple(int(a) for a in axes)


class Activation(_Activates, Layer):
    """Applies an activation function (by name or function) to its input.

    Parameters
    ----------
    activation : str or callable
        The activation function: a name such as ``'relu'`` or ``'softmax'``, a function
        from ``fastnn.activations``, or any callable on arrays.
    name : str, optional
        The layer's name.
    """

    supports_masking = True     # the inputs' mask passes on (Keras)

    def __init__(self, activation, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activation
        self.built = True       # stateless: built when created, as Keras' _build_at_init

    def compute_output_shape(self, input_shape):
        return activated_shape(self.activation, input_shape)

    def call(self, inputs, training=False):
        """The activation of the inputs: a built-in one by its C kernel (recorded with
        its C backward kernel under a GradientTape), a function as it is. A softmax or
        sigmoid output carries its input as logits (`_keras_logits`)."""
        name = self.activation_name
        if name is None:
            return self.activation(inputs)
        return self._kernel_call(inputs, name, self.activation_params)

    def _kernel_call(self, x, name, params):
        """The built-in activation `name` with `params` by its C kernel (over the last
        axis for softmax), recorded with its C backward kernel under a GradientTape."""
        a = ops.activation_forward(name, x, **params)
        if should_record((x,)):
            _, code, param, _ = ops._resolve_activation(name, dict(params))
            a = record_activation(x, a, code, param)
        else:
            a = a.view(Tensor)
        if name in ("softmax", "sigmoid"):
            a._keras_logits = (x, name)
        return a

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = self.activation_name or activations.serialize(self.activation)
        return cfg


class ReLU(Activation):
    """keras.layers.ReLU: ``keras.activations.relu`` with the layer's options (default
    form: max(x, 0)).

    Parameters
    ----------
    max_value : float, optional
        The largest output, at least 0. Default None: no limit.
    negative_slope : float
        The slope below the threshold, at least 0. Default 0.
    threshold : float
        Values at or below it give 0 (or follow ``negative_slope``); at least 0.
        Default 0.
    name : str, optional
        The layer's name.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None,
                 **kwargs):
        # Keras' checks and wording (a negative value); then finite, within float32
        if max_value is not None and _argcheck.real(max_value, "max_value", "ReLU") < 0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. "
                             f"Received: max_value={max_value}")
        for arg, v in (("negative_slope", negative_slope), ("threshold", threshold)):
            if v is None or _argcheck.real(v, arg, "ReLU") < 0:
                raise ValueError(f"{arg} of a ReLU layer cannot be None or a negative "
                                 f"value. Received: {arg}={v}")
        max_value = _argcheck.real(max_value, "max_value", "ReLU", hi=3.4e38, allow_none=True)
        negative_slope = _argcheck.real(negative_slope, "negative_slope", "ReLU", hi=3.4e38)
        threshold = _argcheck.real(threshold, "threshold", "ReLU", hi=3.4e38)
        super().__init__("relu", name=name, **kwargs)
        self.max_value, self.negative_slope, self.threshold = \
            max_value, negative_slope, threshold
        if max_value is not None or negative_slope or threshold:
            self.activation_params = {"negative_slope": negative_slope,
                                      "max_value": max_value, "threshold": threshold}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg.update(max_value=self.max_value, negative_slope=self.negative_slope,
                   threshold=self.threshold)
        return cfg


class LeakyReLU(Activation):
    """keras.layers.LeakyReLU: the layer's slope defaults to 0.3 (the function's is 0.2).

    Parameters
    ----------
    negative_slope : float
        The slope for negative inputs, ``x * negative_slope`` where ``x < 0``; at least
        0. Default 0.3.
    name : str, optional
        The layer's name.
    alpha : float, optional
        Keras 2 spelling of ``negative_slope``, deprecated (a warning, as Keras 3); it
        takes precedence when given.
    """

    def __init__(self, negative_slope=0.3, name=None, alpha=None, **kwargs):
        if alpha is not None:  # Keras 2 spelling
            negative_slope = alpha
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          stacklevel=2)
        # Keras' check and wording; then a finite real number within float32
        if negative_slope is None or (_is_real(negative_slope) and negative_slope < 0):
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None "
                             f"or negative value. Expected a float. Received: "
                             f"negative_slope={negative_slope}")
        negative_slope = _argcheck.real(negative_slope, "negative_slope", "LeakyReLU", lo=0.0,
                                        hi=3.4e38)
        super().__init__("leaky_relu", name=name, **kwargs)
        self.negative_slope = float(negative_slope)
        self.activation_params = {"negative_slope": self.negative_slope}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(Activation):
    """keras.layers.ELU: the exponential linear unit, ``x`` where ``x > 0`` and ``alpha *
    (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    alpha : float
        The scale of the negative part (the value the output tends to for large
        negative inputs is ``-alpha``). Default 1.0.
    name : str, optional
        The layer's name.
    """
    def __init__(self, alpha=1.0, name=None, **kwargs):
        alpha = _argcheck.real(alpha, "alpha", "ELU", lo=-3.4e38, hi=3.4e38)
        super().__init__("elu", name=name, **kwargs)
        self.alpha = float(alpha)
        self.activation_params = {"alpha": self.alpha}

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["alpha"] = self.alpha
        return cfg


class Softmax(Activation):
    """keras.layers.Softmax over `axis` (the last by default). Called with a `mask`
    (True or > 0.5: keep), the masked entries get the logit -1e9 before the softmax and
    0 after it (a row masked whole gives zeros), as in Keras; the mask must broadcast
    against the inputs from their last axis, each of its axes 1 or the inputs' size.

    Parameters
    ----------
    axis : int or tuple of int
        The axis the softmax normalises over, or several axes normalised together
        (``exp(x - logsumexp(x, axis))``, as Keras). Default -1, the last. Over the
        last axis alone the C kernels run it (and the C engine, after a Dense layer);
        over other axes fastnn's differentiable ops, on the layer path.
    name : str, optional
        The layer's name.
    """

    def __init__(self, axis=-1, name=None, **kwargs):
        _softmax_axis(axis)
        super().__init__("softmax", name=name, **kwargs)
        self.axis = axis        # as given, as Keras (get_config writes it back)
        if _softmax_axis(axis) != (-1,):
            # the engine and the trainer's logits shortcut take the last axis only:
            # they read the axis here and leave any other to the layer path
            self.activation_params = {"axis": axis}

    def _over_last(self, ndim):
        """Whether the layer's axis is the inputs' last one alone (the C kernel's)."""
        axes = _softmax_axis(self.axis)
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"{self.name}: axis {a} is out of bounds for inputs of rank "
                                 f"{ndim} (Softmax axis={_argcheck.shown(self.axis)})")
        canon = [a % ndim for a in axes]
        if len(set(canon)) != len(canon):
            raise ValueError(f"{self.name}: repeated axis in axis={_argcheck.shown(self.axis)}")
        return canon == [ndim - 1]

    def _softmax(self, x):
        if self._over_last(np.ndim(x)):
            return self._kernel_call(x, "softmax", {"axis": -1})
        from fastnn.autodiff import ops as _dops
        axes = _softmax_axis(self.axis)
        # Keras: one axis -> activations.softmax over it; several -> exp(x - logsumexp)
        return _dops.softmax(x, axis=axes[0] if len(axes) == 1 else axes)

    def call(self, inputs, training=False, mask=None):
        """The softmax of the inputs over the layer's axis; with `mask`, of the unmasked
        entries only (Keras' Softmax.call)."""
        if mask is None:
            return self._softmax(inputs)
        from fastnn.autodiff import ops as _dops
        keep = self._check_mask(inputs, mask)
        x = inputs if isinstance(inputs, np.ndarray) else np.asarray(inputs)
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        dtype = np.dtype(x.dtype)
        big = dtype.type(-3e4 if dtype == np.float16 else -1e9)
        a = self._softmax(_dops.where(keep, x, big))
        out = _dops.where(keep, a, dtype.type(0))
        return out

    def _check_mask(self, inputs, mask):
        m = np.asarray(mask.view(np.ndarray) if isinstance(mask, np.ndarray) else mask)
        shape = tuple(np.shape(inputs))
        if m.ndim > len(shape):
            raise ValueError(f"{self.name}: The `mask` must be broadcastable to `inputs` and "
                             f"must not have more dimensions. Received: inputs.shape={shape}, "
                             f"mask.shape={m.shape}")
        for md, xd in zip(m.shape[::-1], shape[::-1]):
            if md != 1 and md != xd:
                raise ValueError(f"{self.name}: The `mask` must be broadcastable to `inputs`. "
                                 f"Each mask dimension must be 1 or match the corresponding "
                                 f"input dimension. Received: inputs.shape={shape}, "
                                 f"mask.shape={m.shape}")
        if m.dtype.kind == "b":
            return m
        if m.dtype.kind not in "iuf":
            raise TypeError(f"{self.name}: mask must be booleans or numbers, got dtype "
                            f"{m.dtype}")
        return m > 0.5

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activation")
        cfg["axis"] = self.axis
        return cfg


def _shared_axes_arg(shared_axes):
    """PReLU's shared_axes as Keras keeps it: None, or a list of ints (an int is a list of
    one). Each axis counts from the batch axis, 0, and must be at least 1: Keras writes
    the weight's size-1 entry at index axis - 1, so 0 and negative axes would share
    another axis than the one named."""
    if shared_axes is None:
        return None
    axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral):
            raise TypeError(f"PReLU: shared_axes must be an int or a list or tuple of ints, "
                            f"got {type(shared_axes).__name__} {_argcheck.shown(shared_axes)}")
        if a < 1:
            raise ValueError(f"PReLU: shared_axes counts axes from the batch axis (0): each "
                             f"must be at least 1, got {_argcheck.shown(shared_axes)}; for "
                             f"the last axis of inputs of rank r, write r - 1")
    return [int(a) for a in axes]


class PReLU(Layer):
    """keras.layers.PReLU: the parametric rectified linear unit, ``x`` where ``x >= 0`` and
    ``alpha * x`` where ``x < 0``, with ``alpha`` a learned weight. Computed as Keras does,
    ``relu(x) - alpha * relu(-x)``, so the values and gradients are Keras' (at ``x = 0``
    the gradient with respect to ``x`` is 0). ``alpha`` has the shape of one sample (the
    input's shape without the batch axis), with size 1 along ``shared_axes``. Models that
    hold it train on the layer-by-layer path.

    Parameters
    ----------
    alpha_initializer : str or initializer
        Initializer of ``alpha``. Default ``'Zeros'``: the layer starts as a ReLU.
    alpha_regularizer : str or regularizer, optional
        A regularizer for ``alpha`` (a name such as ``'l2'`` or a Regularizer object),
        whose penalty is added to the layer's losses. Default None.
    alpha_constraint : str or constraint, optional
        A constraint applied to ``alpha`` after each optimizer update (a name such as
        ``'non_neg'`` or a Constraint object). Default None.
    shared_axes : int or list of int, optional
        The axes along which one ``alpha`` is shared, counted from the batch axis (0):
        for images of shape ``(batch, height, width, channels)``, ``shared_axes=[1, 2]``
        gives one ``alpha`` per channel. Each must be at least 1 and less than the
        inputs' rank. Default None: one ``alpha`` per input entry.
    name : str, optional
        The layer's name.
    """

    supports_masking = True     # the inputs' mask passes on (Keras)

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        shared_axes = _shared_axes_arg(shared_axes)
        got = {}
        for arg, module, value in (("alpha_initializer", initializers, alpha_initializer),
                                   ("alpha_regularizer", regularizers, alpha_regularizer),
                                   ("alpha_constraint", constraints, alpha_constraint)):
            try:
                got[arg] = module.get(value)
            except (ValueError, TypeError) as e:
                raise type(e)(f"PReLU: {arg}: {e}") from None
        super().__init__(**kwargs)
        self.alpha_initializer = got["alpha_initializer"]
        self.alpha_regularizer = got["alpha_regularizer"]
        self.alpha_constraint = got["alpha_constraint"]
        self.shared_axes = shared_axes
        self.alpha = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        shared = set(self.shared_axes or ())
        for a in sorted(shared):
            if a >= rank:
                raise ValueError(f"{self.name}: shared_axes={self.shared_axes} names axis {a}, "
                                 f"but the inputs have rank {rank} (shape {input_shape}): "
                                 f"the axes go from 1 to {rank - 1}")
        param_shape = tuple(1 if d in shared else input_shape[d] for d in range(1, rank))
        if None in param_shape:
            d = 1 + param_shape.index(None)
            raise ValueError(f"{self.name}: axis {d} of the inputs has no known size (input "
                             f"shape {input_shape}); alpha needs one, or name the axis in "
                             f"shared_axes")
        self._weights, self._weight_regularizers = [], []
        self.alpha = self.add_weight(name="alpha", shape=param_shape,
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        super().build(input_shape)

    def _check_input(self, shape):
        """Keras' input spec of a built PReLU, checked at every call: the rank, and the
        sizes alpha was made for along the axes not shared (Keras fixes these only when
        shared_axes is set; fastnn always does, so an input of size 1 where alpha has
        more entries is refused instead of broadcast to a wider output)."""
        if self.alpha is None:
            return
        shape = tuple(shape)
        want = (None,) + tuple(None if d in (self.shared_axes or ()) else n
                               for d, n in enumerate(self.alpha.shape, start=1))
        if len(shape) != len(want) or any(w is not None and s is not None and s != w
                                          for s, w in zip(shape, want)):
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f'layer: expected shape {want} (the shape it was built for; '
                             f'None: any size), but received input with shape {shape}')

    def call(self, inputs):
        """relu(x) - alpha * relu(-x), with fastnn.autodiff ops (differentiable on the
        tape with respect to the inputs and alpha)."""
        from fastnn.autodiff import ops as _dops
        self._check_input(np.shape(inputs))
        x = inputs
        if np.dtype(x.dtype) != np.dtype(self.dtype):
            x = _dops.cast(x, self.dtype)
        pos = _dops.relu(x)
        neg = _dops.multiply(_dops.negative(self.alpha), _dops.relu(_dops.negative(x)))
        return _dops.add(pos, neg)

    def compute_output_shape(self, input_shape):
        self._check_input(input_shape)
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(alpha_initializer=_initializer_config(self.alpha_initializer),
                   alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                   alpha_constraint=constraints.serialize(self.alpha_constraint),
                   shared_axes=None if self.shared_axes is None else list(self.shared_axes))
        return cfg

    @classmethod
    def from_config(cls, config):
        return super().from_config(_without_none(config, ("alpha_initializer",)))
