"""keras.layers.InputSpec: what a layer (or model) expects of the inputs of its calls
(rank, dtype, sizes of given axes, shape), and the check of a call's inputs against it."""
import numbers

import numpy as np

from fastnn.layers.symbolic import tree_flatten


def _rank_arg(value, argname):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise TypeError(f"InputSpec: {argname} must be an int >= 0 or None, got {value!r}")
    return int(value)


def _dtype_name(dtype):
    if dtype is None:
        return None
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"InputSpec: dtype must be a dtype name such as 'float32', got "
                        f"{dtype!r}") from None


class InputSpec:
    """What a layer expects of each input of its calls (keras.layers.InputSpec). A layer
    or model whose ``input_spec`` is set checks the first argument of each call against
    it (one spec, or a list with one per input); a mismatch is a ValueError naming the
    layer, the input and what was expected.

    Parameters
    ----------
    dtype : str, optional
        The inputs' dtype.
    shape : tuple, optional
        The whole shape, the batch axis included; None for a size that may vary. Sets
        ``ndim`` to its length.
    ndim : int, optional
        The inputs' rank.
    max_ndim : int, optional
        The largest rank taken.
    min_ndim : int, optional
        The smallest rank taken.
    axes : dict, optional
        Sizes of given axes, ``{axis: size}``.
    allow_last_axis_squeeze : bool
        Whether inputs one rank higher with a last axis of size 1, or one rank lower
        where the spec's last axis is 1, are taken. Default False.
    name : str, optional
        The key of this input when the inputs are given as a dict.
    optional : bool
        Whether None is taken for this input. Default False.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = _dtype_name(dtype)
        if shape is not None:
            if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
                raise TypeError(f"InputSpec: shape must be a tuple of sizes (ints or None), "
                                f"got {shape!r}")
            shape = tuple(shape)
            for d in shape:
                if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral)
                                      or d < 0):
                    raise TypeError(f"InputSpec: shape must hold ints >= 0 or None, got "
                                    f"{shape!r}")
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = _rank_arg(ndim, "ndim")
        self.max_ndim = _rank_arg(max_ndim, "max_ndim")
        self.min_ndim = _rank_arg(min_ndim, "min_ndim")
        self.name = name
        self.optional = bool(optional)
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        axes = axes or {}
        if not isinstance(axes, dict):
            raise TypeError(f"InputSpec: axes must be a dict {{axis: size}} with integer keys, "
                            f"got {axes!r}")
        try:
            self.axes = {int(k): v for k, v in axes.items()}
        except (TypeError, ValueError):
            raise TypeError(f"InputSpec: axes must be a dict {{axis: size}} with integer keys, "
                            f"got {axes!r}") from None
        top = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and top is not None and max(self.axes) > top - 1:
            raise ValueError(f"InputSpec: axis {max(self.axes)} of axes is greater than the "
                             f"largest axis of inputs of rank {top}, {top - 1}")

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                         ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                         ("min_ndim", self.min_ndim), ("axes", self.axes))
                 if v]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        """The spec's arguments as a dict (``InputSpec.from_config`` makes it again)."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        """An InputSpec from ``get_config``'s dict."""
        return cls(**config)


def _shape_of(x):
    return tuple(None if d is None else int(d) for d in x.shape)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Check a call's `inputs` against `input_spec` (an InputSpec, a list or structure of
    them, or None: nothing to check); a ValueError names the layer, the input and what
    it expected."""
    if not input_spec:
        return
    specs = tree_flatten(input_spec)
    if isinstance(inputs, dict):
        names = [getattr(s, "name", None) for s in specs]
        if all(names):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"{layer_name}: missing data for input(s) {missing}: the "
                                 f"inputs were given as a dict with keys {list(inputs)}, the "
                                 f"expected keys are {names}")
            inputs = [inputs[n] for n in names]
    flat = tree_flatten(inputs)
    if len(flat) != len(specs):
        names = [getattr(s, "name", None) for s in specs]
        if all(names):
            raise ValueError(f"{layer_name}: expects {len(specs)} named input(s) with keys "
                             f"{names}, got {len(flat)} input tensors; pass the inputs as a "
                             f"dict, {{" + ", ".join(f"{n!r}: ..." for n in names) + "}")
        raise ValueError(f"{layer_name}: expects {len(specs)} input(s), got {len(flat)} input "
                         f"tensors")
    for i, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        where = f"{layer_name}: input {i} (name {spec.name!r}) is incompatible with the layer"
        if not hasattr(x, "shape"):
            raise ValueError(f"{layer_name}: input {i} must be an array or tensor, got "
                             f"{type(x).__name__} {x!r:.60}")
        shape = _shape_of(x)
        ndim = len(shape)
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}; the "
                             f"shape received is {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}; "
                             f"the shape received is {shape}")
        if spec.dtype is not None:
            got = np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype).name
            if got != spec.dtype:
                raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={got}")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if not -ndim <= axis < ndim:
                raise ValueError(f"{where}: expected an axis {axis} of size {size}, but the "
                                 f"input has shape {shape}")
            if shape[axis] not in (size, None):
                raise ValueError(f"{where}: expected axis {axis} of the input shape to have "
                                 f"value {size}, but received input with shape {shape}")
        if spec.shape is not None:
            want, have = spec.shape, shape
            if spec.allow_last_axis_squeeze:
                have = have[:-1] if have and have[-1] == 1 else have
                want = want[:-1] if want and want[-1] == 1 else want
            if any(w is not None and h is not None and w != h for w, h in zip(want, have)):
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")
