"""Weight penalties (keras.regularizers): value added to the reported loss, gradient
added to the weight's gradient."""
import numpy as np
from fastnn import _argcheck, _registry


def _weights(w, owner):
    """The weight array a penalty is computed on (float32/float64 arrays kept, anything
    else as float32, as fastnn.ops converts)."""
    return _argcheck.op_floats(w, "w", owner)


class Regularizer:
    """keras.regularizers.Regularizer: the base class of the weight regularizers. Called on a
    weight, ``regularizer(w)``, it returns the penalty added to the loss; a subclass defines
    ``__call__`` with fastnn's (TensorFlow's) tensor functions, as in Keras, and
    ``get_config``. Its gradient comes from fastnn.autodiff differentiating ``__call__``;
    a subclass may define ``grad(w)``, the gradient in closed form, instead."""
    def __call__(self, w):
        raise NotImplementedError(f"{type(self).__name__}: a Regularizer subclass defines "
                                  f"__call__(w), the penalty of a weight")

    def grad(self, w):
        """The gradient of ``self(w)`` with respect to ``w`` (an array of w's shape and
        dtype), by fastnn.autodiff; zeros where the penalty does not depend on w."""
        from fastnn.autodiff import GradientTape
        from fastnn.autodiff import ops as K
        w = np.asarray(w)
        x = K.convert_to_tensor(np.array(w))
        with GradientTape() as tape:
            tape.watch(x)
            value = self(x)
        _check_penalty(value, self)
        g = tape.gradient(value, x)
        return np.zeros_like(w) if g is None else np.asarray(g, dtype=w.dtype).reshape(w.shape)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """keras.regularizers.L1L2: the penalty ``l1 * sum(abs(w)) + l2 * sum(w ** 2)``.

    Parameters
    ----------
    l1 : float
        The L1 factor, at least 0. Default 0.
    l2 : float
        The L2 factor, at least 0. Default 0.
    """
    def __init__(self, l1=0.0, l2=0.0):
        # Keras' validate_float_arg: a finite number >= 0 (None means 0)
        owner = type(self).__name__
        self.l1 = 0.0 if l1 is None else _argcheck.real(l1, "l1", owner, lo=0)
        self.l2 = 0.0 if l2 is None else _argcheck.real(l2, "l2", owner, lo=0)

    def __call__(self, w):
        w = _weights(w, type(self).__name__)
        out = 0.0
        if self.l1:
            out += self.l1 * float(np.abs(w).sum(dtype=np.float64))
        if self.l2:
            out += self.l2 * float(np.square(w, dtype=np.float64).sum())
        return out

    def grad(self, w):
        w = _weights(w, type(self).__name__)
        g = np.zeros_like(w)
        if self.l1:
            g += self.l1 * np.sign(w)
        if self.l2:
            g += (2 * self.l2) * w
        return g

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def penalty(self, x):
        """The penalty of a tensor as a differentiable value (fastnn.autodiff ops): what
        an activity regularizer adds for a layer's output."""
        from fastnn.autodiff import ops as K
        dt = np.dtype(x.dtype) if np.dtype(x.dtype).kind == "f" else np.dtype("float32")
        if np.dtype(x.dtype) != dt:       # integer or bool values: as float32
            x = K.cast(x, dt.name)
        out = K.zeros((), dtype=dt.name)
        if self.l1:
            out = K.add(out, K.multiply(K.sum(K.abs(x)), np.asarray(self.l1, dt)))
        if self.l2:
            out = K.add(out, K.multiply(K.sum(K.square(x)), np.asarray(self.l2, dt)))
        return out


class L1(L1L2):
    """keras.regularizers.L1: the penalty ``l1 * sum(abs(w))``.

    Parameters
    ----------
    l1 : float
        The factor, at least 0. Default 0.01.
    """
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """keras.regularizers.L2: the penalty ``l2 * sum(w ** 2)``.

    Parameters
    ----------
    l2 : float
        The factor, at least 0. Default 0.01.
    """
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def _check_penalty(value, reg):
    """A penalty must be one finite-or-not real number (a 0-d or size-1 array)."""
    v = np.asarray(value)
    if v.dtype.kind not in "fiu" or v.size != 1:
        raise TypeError(f"regularizer {getattr(reg, 'name', type(reg).__name__)}: the penalty "
                        f"must be a single number, got {type(value).__name__} of shape "
                        f"{v.shape} and dtype {v.dtype}")


class _FunctionRegularizer(Regularizer):
    """A Python function ``fn(w) -> penalty`` used as a regularizer (Keras takes any
    callable): its gradient comes from fastnn.autodiff."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, w):
        return self.fn(w)


class OrthogonalRegularizer(Regularizer):
    """keras.regularizers.OrthogonalRegularizer: a penalty on a 2-D kernel's rows (or
    columns) for not being orthogonal to one another. With the rows (columns) scaled to
    unit length, it is ``factor * 0.5 * sum(|u_i . u_j|)`` over the pairs ``i != j``,
    divided by the number of pairs ``n (n - 1) / 2``.

    Parameters
    ----------
    factor : float
        The factor, at least 0. Default 0.01.
    mode : str
        ``'rows'`` (the default) or ``'columns'``: which vectors should be orthogonal.
    """
    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _argcheck.real(factor, "factor", "OrthogonalRegularizer", lo=0)
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of '
                             f'{{"rows", "columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, w):
        from fastnn.autodiff import ops as K
        x = K.convert_to_tensor(w)
        if len(x.shape) != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. "
                             f"Received: inputs.shape={tuple(x.shape)}")
        if np.dtype(x.dtype).kind != "f":
            x = K.cast(x, "float32")
        if self.mode == "rows":
            x = K.normalize(x, axis=1)
            product = K.matmul(x, K.transpose(x))
            size = x.shape[0]
        else:
            x = K.normalize(x, axis=0)
            product = K.matmul(K.transpose(x), x)
            size = x.shape[1]
        off = K.multiply(product, 1.0 - K.eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        return K.divide(K.multiply(K.sum(K.absolute(off)), self.factor * 0.5), pairs)

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
ALL_OBJECTS = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}
ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2,
           "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(reg):
    """A regularizer's configuration as Keras writes it (None stays None).

    Parameters
    ----------
    reg : Regularizer or None
        The regularizer.

    Returns
    -------
    dict or None
        ``{'class_name': ..., 'config': ...}``.
    """
    if isinstance(reg, _FunctionRegularizer):
        return reg.fn         # a function has no config: configs and files cannot hold it
    return None if reg is None else {"class_name": type(reg).__name__, "config": reg.get_config()}


def deserialize(config, custom_objects=None):
    """Make a regularizer from the dict ``serialize`` gives.

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.
    custom_objects : dict, optional
        Regularizer classes of your own, by name.

    Returns
    -------
    Regularizer
        A new regularizer.
    """
    return _registry.from_dict("regularizer", config, ALL_OBJECTS, custom_objects)


def get(identifier):
    """The regularizer an argument names.

    Parameters
    ----------
    identifier : str, Regularizer, dict or None
        A name (``'l1'``, ``'l2'``, ``'l1_l2'``, ``'orthogonal_regularizer'`` or a class
        name, made with its default factors), a Regularizer (returned as it is), a config
        dict, or None.

    Returns
    -------
    Regularizer or None
        The regularizer.
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALIASES.get(identifier) or ALL_OBJECTS.get(identifier)
        if cls is None:
            raise ValueError(f"regularizer: unknown regularizer {identifier!r}; expected one of "
                             f"{sorted(ALIASES)}")
        return cls()
    if callable(identifier):     # a function of the weight, as Keras takes
        return _FunctionRegularizer(identifier)
    raise TypeError(f"regularizer: expected a name, a Regularizer, a function or None, got "
                    f"{identifier!r}")
