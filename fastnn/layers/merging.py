"""Merging layers (keras.layers): Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and their functional forms add, subtract, ..., concatenate, dot.

Each layer is called on a list of tensors: NumPy arrays (eagerly) or the functional API's
KerasTensors (`Concatenate()([x1, x2])` in a `keras.Model([a, b], ...)`). Keras 3's rules:

- The element-wise layers take inputs of one batch size whose other axes broadcast
  (aligned from the right, a size 1 against any size); an input of lower rank gets axes
  of size 1 inserted after its batch axis. Subtract takes exactly two inputs.
- Concatenate needs equal shapes except on `axis`; Dot takes two inputs and sums over
  one axis of each (never the batch axis), optionally after L2-normalising them
  (`normalize=True`: the cosine similarity).

The math is composed of `fastnn.autodiff.ops` functions, which are recorded on a
GradientTape: merges are differentiable (to any order) in custom training code and in
`fit`. `compute_mask` follows Keras for code that calls it; fastnn's layers do not
propagate masks.
"""
import math

import numpy as np

from fastnn import _argcheck
from fastnn.autodiff import ops as _ops
from fastnn.layers.layer import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


def _is_shape_list(input_shape):
    return isinstance(input_shape, (list, tuple)) and bool(input_shape) and \
        all(isinstance(s, (list, tuple)) for s in input_shape)


def _as_list(value, what):
    """A `mask` or `inputs` argument of compute_mask: a list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"`{what}` should be a list. Received: {what}={value!r:.200}")
    return list(value)


class Merge(Layer):
    """The element-wise merging layers' base (keras.layers.Merge): shape checks, the
    broadcasting of inputs of different ranks, the output shape and the mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def __call__(self, *args, **kwargs):
        if len(args) > 1:
            raise ValueError(f"{self.name}: a merge layer is called on one list of inputs, "
                             f"layer([x1, x2]); got {len(args)} positional arguments")
        return super().__call__(*args, **kwargs)

    # -- shapes --------------------------------------------------------------------
    def _check_list(self, input_shape):
        if not _is_shape_list(input_shape):
            if isinstance(input_shape, (list, tuple)) and not input_shape:
                raise ValueError(f"{self.name}: A merge layer should be called on a list of at "
                                 f"least 1 input. Received 0 inputs.")
            raise ValueError(f"{self.name}: A merge layer should be called on a list of "
                             f"inputs. Received: input_shape={input_shape} (not a list of "
                             f"shapes)")
        for s in input_shape:
            if not s:
                raise ValueError(f"{self.name}: each input must have a batch axis (rank >= "
                                 f"1). Received: input_shape={list(input_shape)}")

    @staticmethod
    def _broadcast_shape(shape1, shape2):
        """The shape of an element-wise result of two shapes without their batch axis,
        aligned from the right (None: unknown)."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes "
                                 f"{tuple(shape1)} and {tuple(shape2)}")
        return tuple(out)

    def _merged_shape(self, input_shape):
        """Check the shapes (a list of them) and return the output's."""
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        batch_sizes = {s[0] for s in shapes} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"{self.name}: Cannot merge tensors with different batch sizes. "
                             f"Received tensors with shapes {shapes}")
        out = shapes[0][1:]
        for s in shapes[1:]:
            try:
                out = self._broadcast_shape(out, s[1:])
            except ValueError as e:
                raise ValueError(f"{self.name}: {e}") from None
        batch = batch_sizes.pop() if batch_sizes else None
        return (batch,) + tuple(out)

    def build(self, input_shape):
        self._merged_shape(input_shape)
        self._reshape_required = len({len(s) for s in input_shape}) != 1
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return self._merged_shape(input_shape)

    # -- calling -------------------------------------------------------------------
    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self.name}: A merge layer should be called on a list of "
                             f"inputs. Received: inputs of shape {np.shape(inputs)} (not a "
                             f"list of tensors)")
        inputs = list(inputs)
        self._merged_shape([tuple(np.shape(x)) for x in inputs])
        ndims = [np.ndim(x) for x in inputs]
        top = max(ndims)
        if min(ndims) != top:
            # insert axes of size 1 after the batch axis until the ranks agree
            inputs = [x if n == top else _ops.expand_dims(x, tuple(range(1, 1 + top - n)))
                      for x, n in zip(inputs, ndims)]
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    # -- masks ---------------------------------------------------------------------
    def compute_mask(self, inputs, mask=None):
        """The output mask: the inputs' masks OR-ed together (None when one is None).
        fastnn's layers do not propagate masks; this is Keras' API for code that asks."""
        if mask is None:
            return None
        mask = _as_list(mask, "mask")
        inputs = _as_list(inputs, "inputs")
        if len(mask) != len(inputs):
            raise ValueError(f"The lists `inputs` and `mask` should have the same length. "
                             f"Received: inputs of length {len(inputs)}, and mask of length "
                             f"{len(mask)}")
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = _ops.logical_or(out, m)
        return out

    def get_config(self):
        return super().get_config()


class Add(Merge):
    """The element-wise sum of a list of inputs (keras.layers.Add)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.add(out, x)
        return out


class Subtract(Merge):
    """inputs[0] - inputs[1], for exactly two inputs (keras.layers.Subtract)."""

    def _two(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: A `Subtract` layer should be called on exactly 2 "
                             f"inputs. Received: input_shape={list(input_shape)}")

    def build(self, input_shape):
        self._check_list(input_shape)
        self._two(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        self._two(input_shape)
        return super().compute_output_shape(input_shape)

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"{self.name}: A `Subtract` layer should be called on exactly 2 "
                             f"inputs. Received: {len(inputs)} inputs")
        return _ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """The element-wise product of a list of inputs (keras.layers.Multiply)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.multiply(out, x)
        return out


class Average(Merge):
    """The element-wise mean of a list of inputs (keras.layers.Average)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.add(out, x)
        return _ops.divide(out, len(inputs))


class Maximum(Merge):
    """The element-wise maximum of a list of inputs (keras.layers.Maximum). On a tie the
    gradient goes to the first input that holds the maximum."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.maximum(out, x)
        return out


class Minimum(Merge):
    """The element-wise minimum of a list of inputs (keras.layers.Minimum). On a tie the
    gradient goes to the first input that holds the minimum."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.minimum(out, x)
        return out


def _int_arg(value, name, owner):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} "
                        f"{_argcheck.shown(value)}")
    return int(value)


class Concatenate(Merge):
    """Joins a list of inputs along `axis` (keras.layers.Concatenate); their shapes must
    agree on every other axis.

    Parameters
    ----------
    axis : int
        The axis to join along. Default -1, the last.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_arg(axis, "axis", "Concatenate")

    def _checked(self, input_shape):
        """Check a list of shapes; the output shape."""
        if not _is_shape_list(input_shape):
            raise ValueError(f"{self.name}: A `Concatenate` layer should be called on a list "
                             f"of at least 1 input. Received: input_shape={input_shape}")
        shapes = [tuple(s) for s in input_shape]
        err = (f"{self.name}: A `Concatenate` layer requires inputs with matching shapes "
               f"except for the concatenation axis. Received: input_shape={shapes}")
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(err)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"{self.name}: axis must be in [{-rank}, {rank}) for inputs of "
                             f"rank {rank}, got axis={self.axis}")
        axis = self.axis % rank
        for d in range(rank):
            if d == axis:
                continue
            sizes = {s[d] for s in shapes} - {None}
            if len(sizes) > 1:
                raise ValueError(err)
        out = list(shapes[0])
        for s in shapes[1:]:
            if out[axis] is None or s[axis] is None:
                out[axis] = None
                break
            out[axis] += s[axis]
        return tuple(out)

    def build(self, input_shape):
        self._checked(input_shape)
        Layer.build(self, input_shape)

    def compute_output_shape(self, input_shape):
        return self._checked(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self.name}: A `Concatenate` layer should be called on a list "
                             f"of inputs. Received: inputs of shape {np.shape(inputs)}")
        self._checked([tuple(np.shape(x)) for x in inputs])
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        return _ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """The output mask: the inputs' masks (all True for an input without one)
        concatenated, reduced with any() over the last axis. fastnn's layers do not
        propagate masks; this is Keras' API for code that asks."""
        if mask is None:
            return None
        mask = _as_list(mask, "mask")
        inputs = _as_list(inputs, "inputs")
        if len(mask) != len(inputs):
            raise ValueError(f"The lists `inputs` and `mask` should have the same length. "
                             f"Received: inputs of length {len(inputs)}, and mask of length "
                             f"{len(mask)}")
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            shape = tuple(x.shape)
            if m is None:
                if any(d is None for d in shape):
                    raise ValueError(f"{self.name}: compute_mask needs a mask for every "
                                     f"input of unknown shape {shape}, got None")
                masks.append(np.ones(shape, dtype=bool))
                continue
            m = np.asarray(m)
            if m.ndim < len(shape):
                m = np.broadcast_to(np.expand_dims(m, -1), m.shape + tuple(
                    1 if d is None else d for d in shape[m.ndim:]))
            masks.append(m.astype(bool))
        return _ops.any(_ops.concatenate(masks, axis=self.axis), axis=-1, keepdims=False)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class Dot(Merge):
    """The dot product of two inputs over one axis of each, sample by sample
    (keras.layers.Dot): for inputs (batch, 3, 5) and (batch, 10, 3) and axes=(1, 2), an
    output (batch, 5, 10). `axes` is an int (the same axis of both) or a pair; the batch
    axis 0 cannot be summed over. `normalize=True` L2-normalises both inputs along
    their axes first (the output is then the cosine similarity). The output keeps the
    first input's other axes, then the second's; a result of rank 1 becomes (batch, 1).

    Parameters
    ----------
    axes : int or tuple of two ints
        The axis summed over: one for both inputs, or one per input. Not the batch axis
        0.
    normalize : bool
        Whether to L2-normalise both inputs along ``axes`` first, which makes the
        output the cosine similarity. Default False.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (bool, np.bool_)):
            raise TypeError(f"Dot: axes must be an int or a list of two ints, got {axes!r}")
        if isinstance(axes, (int, np.integer)):
            axes = int(axes)
        else:
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot: Invalid type for argument `axes`: it should be a list "
                                f"or an int. Received: axes={_argcheck.shown(axes)}")
            if len(axes) != 2:
                raise ValueError(f"Dot: Invalid format for argument `axes`: it should "
                                 f"contain two elements. Received: axes={axes}")
            if any(isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer))
                   for a in axes):
                raise ValueError(f"Dot: Invalid format for argument `axes`: list elements "
                                 f"should be integers. Received: axes={axes}")
            axes = type(axes)(int(a) for a in axes)
        self.axes = axes
        self.normalize = _argcheck.boolean(normalize, "normalize", "Dot")
        self.supports_masking = True

    def _axes_for(self, rank1, rank2):
        """The two summed axes, non-negative, checked against the ranks."""
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        out = []
        for a, rank, which in zip(pair, (rank1, rank2), ("first", "second")):
            if not -rank <= a < rank:
                raise ValueError(f"{self.name}: axes={self.axes} is out of range for the "
                                 f"{which} input, of rank {rank}")
            out.append(a % rank)
        if 0 in out:
            raise ValueError(f"{self.name}: Cannot perform batch_dot over axis 0 (the batch "
                             f"axis), got axes={self.axes}. If your inputs are not batched, "
                             f"add a batch axis of size 1")
        return out

    def _checked(self, input_shape):
        """Check the two shapes; the output shape."""
        if not _is_shape_list(input_shape) or len(input_shape) != 2:
            raise ValueError(f"{self.name}: A `Dot` layer should be called on a list of 2 "
                             f"inputs. Received: input_shape={input_shape}")
        shape1, shape2 = (tuple(s) for s in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"{self.name}: Cannot do batch_dot on inputs with rank < 2. "
                             f"Received inputs with shapes {shape1} and {shape2}.")
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ValueError(f"{self.name}: Cannot do batch_dot on inputs with different "
                             f"batch sizes. Received inputs with shapes {shape1} and "
                             f"{shape2}.")
        a1, a2 = self._axes_for(len(shape1), len(shape2))
        d1, d2 = shape1[a1], shape2[a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"{self.name}: Incompatible input shapes: axis values {d1} (at "
                             f"axis {a1}) != {d2} (at axis {a2}). Full input shapes: "
                             f"{shape1}, {shape2}")
        out = shape1[:a1] + shape1[a1 + 1:] + shape2[1:a2] + shape2[a2 + 1:]
        return out + (1,) if len(out) == 1 else out

    def build(self, input_shape):
        self._checked(input_shape)
        Layer.build(self, input_shape)

    def compute_output_shape(self, input_shape):
        return self._checked(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self.name}: A `Dot` layer should be called on a list of 2 "
                             f"inputs. Received: inputs of shape {np.shape(inputs)}")
        self._checked([tuple(np.shape(x)) for x in inputs])
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        x, y = inputs
        a1, a2 = self._axes_for(np.ndim(x), np.ndim(y))
        if self.normalize:
            x = _ops.normalize(x, axis=a1, order=2)
            y = _ops.normalize(y, axis=a2, order=2)
        return _batch_dot(x, y, a1, a2)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axes=list(self.axes) if isinstance(self.axes, tuple) else self.axes,
                   normalize=self.normalize)
        return cfg


def _batch_dot(x, y, a1, a2):
    """For each sample b: the tensordot of x[b] and y[b] over x's axis a1 and y's axis a2
    (both > 0); the result has x's other axes, then y's; (batch, 1) when that leaves only
    the batch axis. Composed of recorded ops: moveaxis, reshape, one batched matmul."""
    x = _ops.moveaxis(x, a1, -1)              # (b, *xrest, k)
    y = _ops.moveaxis(y, a2, 1)               # (b, k, *yrest)
    batch, k = x.shape[0], x.shape[-1]
    xrest, yrest = tuple(x.shape[1:-1]), tuple(y.shape[2:])
    m, n = math.prod(xrest), math.prod(yrest)
    if x.ndim != 3 or xrest != (m,):
        x = _ops.reshape(x, (batch, m, k))
    if y.ndim != 3 or yrest != (n,):
        y = _ops.reshape(y, (batch, k, n))
    z = _ops.matmul(x, y)                     # (b, m, n)
    shape = (batch,) + xrest + yrest
    if len(shape) == 1:
        shape = (batch, 1)
    return z if tuple(z.shape) == shape else _ops.reshape(z, shape)


# ------------------------------------------------------------------ functional forms
def add(inputs, **kwargs):
    """keras.layers.add: ``Add(**kwargs)(inputs)``, the Add layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """keras.layers.subtract: ``Subtract(**kwargs)(inputs)``, the Subtract layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        Exactly two tensors of the same shape.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """keras.layers.multiply: ``Multiply(**kwargs)(inputs)``, the Multiply layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """keras.layers.average: ``Average(**kwargs)(inputs)``, the Average layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """keras.layers.maximum: ``Maximum(**kwargs)(inputs)``, the Maximum layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """keras.layers.minimum: ``Minimum(**kwargs)(inputs)``, the Minimum layer applied to
    ``inputs``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """keras.layers.concatenate: ``Concatenate(axis, **kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list
        The tensors to merge (at least two; symbolic tensors or arrays).
    axis : int
        The axis to join along. Default -1.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """keras.layers.dot: ``Dot(axes, **kwargs)(inputs)`` (normalize=True for the cosine
    similarity).

    Parameters
    ----------
    inputs : list
        Two tensors.
    axes : int or tuple of two ints
        The axis summed over, for both inputs or one per input. Default -1.
    """
    return Dot(axes=axes, **kwargs)(inputs)
