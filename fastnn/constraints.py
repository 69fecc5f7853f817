"""Weight constraints (keras.constraints): a projection applied to a weight after each
optimizer update (as Keras' optimizer does: `variable.assign(variable.constraint(variable))`).

Keras' formulas (keras/src/constraints/constraints.py), computed with NumPy in the
weight's dtype; epsilon is keras.config.epsilon() (1e-7)."""
import inspect
import numbers

import numpy as np

from fastnn import _argcheck, _registry

_EPSILON = 1e-7


def _weights(w, owner):
    return _argcheck.op_floats(w, "w", owner)


def _axis(axis, owner):
    """An int, or a list/tuple of ints (as Keras takes for a Conv kernel)."""
    if isinstance(axis, (list, tuple)):
        if not axis:
            raise ValueError(f"{owner}: axis must be an int or a non-empty list of ints, "
                             f"got {axis!r}")
        return [_axis(a, owner) for a in axis]
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{owner}: axis must be an int or a list of ints, got "
                        f"{type(axis).__name__} {_argcheck.shown(axis)}")
    return int(axis)


def _norms(w, axis, owner):
    ax = tuple(axis) if isinstance(axis, list) else axis
    for a in (ax if isinstance(ax, tuple) else (ax,)):
        if not -w.ndim <= a < max(w.ndim, 1):
            raise ValueError(f"{owner}: axis {a} is out of range for a weight of shape "
                             f"{w.shape}")
    return np.sqrt(np.sum(np.square(w), axis=ax, keepdims=True))


class Constraint:
    """The base class: the identity projection.

    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each weight vector (the norm over `axis`) to a norm of at most max_value:
    w * clip(norms, 0, max_value) / (epsilon + norms).

    Parameters
    ----------
    max_value : float
        The largest norm. Default 2.
    axis : int or list of int
        The axis (or axes) the norm of each weight vector is taken over. Default 0: for
        a Dense kernel ``(in, units)``, one vector per unit.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _argcheck.real(max_value, "max_value", "MaxNorm", lo=0.0)
        if isinstance(max_value, numbers.Integral) and not isinstance(max_value, bool):
            self.max_value = max_value      # kept as given (Keras' config keeps an int)
        self.axis = _axis(axis, "MaxNorm")

    def __call__(self, w):
        w = _weights(w, "MaxNorm")
        norms = _norms(w, self.axis, "MaxNorm")
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (np.asarray(_EPSILON, w.dtype) + norms))).astype(w.dtype)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0)."""

    def __call__(self, w):
        w = _weights(w, "NonNeg")
        return np.maximum(w, np.asarray(0, w.dtype))


class UnitNorm(Constraint):
    """w / (epsilon + norms): each weight vector (the norm over `axis`) to norm 1.

    Parameters
    ----------
    axis : int or list of int
        The axis (or axes) the norm of each weight vector is taken over. Default 0: for
        a Dense kernel ``(in, units)``, one vector per unit.
    """

    def __init__(self, axis=0):
        self.axis = _axis(axis, "UnitNorm")

    def __call__(self, w):
        w = _weights(w, "UnitNorm")
        norms = _norms(w, self.axis, "UnitNorm")
        return (w / (np.asarray(_EPSILON, w.dtype) + norms)).astype(w.dtype)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """w * desired / (epsilon + norms), desired = rate * clip(norms, min_value,
    max_value) + (1 - rate) * norms.

    Parameters
    ----------
    min_value : float
        The smallest norm. Default 0.
    max_value : float
        The largest norm. Default 1.
    rate : float
        How far each step moves the norm into the range: 1 (the default) all the way,
        less for a gradual constraint.
    axis : int or list of int
        The axis (or axes) the norm of each weight vector is taken over. Default 0: for
        a Dense kernel ``(in, units)``, one vector per unit.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        owner = "MinMaxNorm"
        self.min_value = _argcheck.real(min_value, "min_value", owner, lo=0.0)
        self.max_value = _argcheck.real(max_value, "max_value", owner, lo=0.0)
        if self.max_value < self.min_value:
            raise ValueError(f"{owner}: max_value ({self.max_value}) must be >= min_value "
                             f"({self.min_value})")
        self.rate = _argcheck.real(rate, "rate", owner, lo=0.0)
        self.axis = _axis(axis, owner)

    def __call__(self, w):
        w = _weights(w, "MinMaxNorm")
        norms = _norms(w, self.axis, "MinMaxNorm")
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) \
            + (1 - self.rate) * norms
        return (w * (desired / (np.asarray(_EPSILON, w.dtype) + norms))).astype(w.dtype)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

ALL_OBJECTS = {"Constraint": Constraint, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm,
               "NonNeg": NonNeg, "UnitNorm": UnitNorm}
ALIASES = {"constraint": Constraint, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
           "non_neg": NonNeg, "unit_norm": UnitNorm}


def serialize(constraint):
    """Constraint -> {"class_name", "config"} (None stays None).

    Parameters
    ----------
    constraint : Constraint or None
        The constraint.

    Returns
    -------
    dict or None
        The class name and config.
    """
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(f"constraint: cannot serialise {constraint!r}: only "
                         f"keras.constraints.Constraint objects can be saved")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config, custom_objects=None):
    """Make a constraint from the dict ``serialize`` gives.

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.
    custom_objects : dict, optional
        Constraint classes of your own, by name.

    Returns
    -------
    Constraint
        A new constraint.
    """
    return _registry.from_dict("constraint", config, ALL_OBJECTS, custom_objects)


def get(identifier):
    """None, a name ("max_norm", "MaxNorm", ...), a config dict, a Constraint or a
    callable -> the constraint (None stays None). Unknown names raise ValueError.

    Parameters
    ----------
    identifier : str, Constraint, dict, callable or None
        What to resolve.

    Returns
    -------
    Constraint, callable or None
        The constraint.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALIASES.get(identifier) or ALL_OBJECTS.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret constraint identifier: {identifier!r}; "
                             f"expected one of {sorted(ALIASES)}")
        return cls()
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
