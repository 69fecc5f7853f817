"""TensorFlow's names for the fastnn.autodiff ops: `tf.reduce_mean`, `tf.concat`,
`tf.math.*`, `tf.nn.*`, `tf.random.*`, with TensorFlow's argument names and defaults
where they differ from keras.ops (tf.argmax's axis 0 and int64 result, tf.split's
sizes, tf.gather's axis 0, tf.matmul's transpose flags, ...).

`ALIASES` maps each top-level TensorFlow name to its function; `math`, `nn` and `random`
are namespaces (`tf_aliases.math.reduce_sum`)."""
import types

import numpy as np

from fastnn.tensor import Variable
from fastnn.autodiff import ops as K
from fastnn.autodiff import primitives as P
from fastnn.autodiff.core_ops import convert_to_tensor, standardize_dtype
from fastnn.autodiff.tape import GradientTape, _raw, _wrap
from fastnn.autodiff.core_ops import custom_gradient, function, stop_gradient


def _reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        """TensorFlow's ``reduce_*`` functions: the ``fastnn.ops`` reduction of the same name
        without the prefix (``tf.reduce_sum`` is ``fastnn.ops.sum``, ``tf.reduce_logsumexp``
        is ``fastnn.ops.logsumexp``) over ``axis``.

        Parameters
        ----------
        input_tensor
            The input tensor.
        axis
            The axis (or axes, a list) to reduce over. Default None: all of them.
        keepdims
            Whether to keep the reduced axes, with size 1. Default False.
        name
            Accepted for TensorFlow compatibility and ignored.

        Returns
        -------
        Tensor
            The reduced tensor.
        """
        return fn(input_tensor, axis=_axis(axis), keepdims=bool(keepdims))
    reduce.__name__ = f"reduce_{fn.__name__}"
    return reduce


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    if axis is not None and not isinstance(axis, (int, np.integer, tuple)):
        a = np.asarray(_raw(axis))
        return tuple(int(v) for v in a.reshape(-1)) if a.ndim else int(a)
    return axis


reduce_sum = _reduce(K.sum)
reduce_mean = _reduce(K.mean)
reduce_max = _reduce(K.max)
reduce_min = _reduce(K.min)
reduce_prod = _reduce(K.prod)
reduce_any = _reduce(K.any)
reduce_all = _reduce(K.all)
reduce_logsumexp = _reduce(K.logsumexp)
reduce_std = _reduce(K.std)
reduce_variance = _reduce(K.var)


def add_n(inputs, name=None):
    """The element-wise sum of a list of same-shape tensors.

    Parameters
    ----------
    inputs
        The tensors to sum, all of one shape.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: inputs must hold at least one tensor, got none")
    out = convert_to_tensor(inputs[0])
    for x in inputs[1:]:
        out = K.add(out, x)
    return out


def concat(values, axis, name=None):
    """tf.concat: ``values`` joined along ``axis``.

    Parameters
    ----------
    values
        The tensors to join.
    axis
        The axis to join along.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.concatenate(values, axis=axis)


def range(start, limit=None, delta=1, dtype=None, name=None):  # noqa: A001
    """tf.range: the numbers from ``start`` up to ``limit`` (excluded) in steps of ``delta``.

    Parameters
    ----------
    start
        The first value (or, alone, the limit).
    limit
        The bound, excluded.
    delta
        The step. Default 1.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.arange(start, limit, delta, dtype=dtype)


def constant(value, dtype=None, shape=None, name=None):
    """A new tensor holding value (copied), broadcast to `shape` when given.

    Parameters
    ----------
    value
        The value: a number, a (nested) list or an array.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    shape
        A shape to broadcast the value to. Default None: its own.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    t = K.array(value, dtype=dtype)
    if shape is not None:
        shape = tuple(shape)
        t = _wrap(np.array(np.broadcast_to(_raw(t), shape)) if t.size != int(np.prod(shape))
                  else np.reshape(_raw(t), shape))
    return t


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           name=None):
    """tf.linalg.matmul: the matrix product of ``a`` and ``b``.

    Parameters
    ----------
    a
        The first matrix (or the input tensor).
    b
        The second matrix.
    transpose_a
        Whether to transpose ``a`` first. Default False.
    transpose_b
        Whether to transpose ``b`` first. Default False.
    adjoint_a
        As ``transpose_a`` (fastnn has no complex tensors).
    adjoint_b
        As ``transpose_b`` (fastnn has no complex tensors).
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if transpose_a or adjoint_a:
        a = K.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = K.swapaxes(b, -1, -2)
    return K.matmul(a, b)


def transpose(a, perm=None, conjugate=False, name=None):
    """tf.transpose: ``a`` with its axes permuted.

    Parameters
    ----------
    a
        The first matrix (or the input tensor).
    perm
        The new order of the axes. Default None: reversed.
    conjugate
        Complex conjugation; fastnn has no complex tensors, so it changes nothing.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.transpose(a, perm)


def reshape(tensor, shape, name=None):
    """tf.reshape: ``tensor`` with a new shape.

    Parameters
    ----------
    tensor
        The input tensor.
    shape
        The new shape; one entry may be -1.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.reshape(tensor, tuple(int(s) for s in np.asarray(_raw(shape)).reshape(-1)))


def squeeze(input, axis=None, name=None):  # noqa: A002
    """tf.squeeze: ``input`` without its axes of size 1 (or the given ones).

    Parameters
    ----------
    input
        The input tensor.
    axis
        The axis (or axes) to remove. Default None: all of size 1.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.squeeze(input, _axis(axis))


def expand_dims(input, axis, name=None):  # noqa: A002
    """tf.expand_dims: ``input`` with a new axis of size 1 at ``axis``.

    Parameters
    ----------
    input
        The input tensor.
    axis
        Where the new axis goes.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.expand_dims(input, axis)


def stack(values, axis=0, name=None):
    """tf.stack: ``values`` stacked along a new axis.

    Parameters
    ----------
    values
        The tensors to stack, all of one shape.
    axis
        The position of the new axis. Default 0.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.stack(values, axis=axis)


def unstack(value, num=None, axis=0, name=None):
    """tf.unstack: ``value`` split into its slices along ``axis``.

    Parameters
    ----------
    value
        The input tensor.
    num
        The number of slices. Default None: the size of ``axis``.
    axis
        The axis to split along. Default 0.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    value = convert_to_tensor(value)
    parts = K.split(value, value.shape[axis], axis=axis)
    return [K.squeeze(p, axis) for p in parts]


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """TensorFlow's split: an int gives that many equal parts; a list gives the sizes.

    Parameters
    ----------
    value
        The tensor to split.
    num_or_size_splits
        An int (that many equal parts) or the list of sizes.
    axis
        The axis to split along. Default 0.
    num
        Accepted for TensorFlow compatibility.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    value = convert_to_tensor(value)
    if isinstance(num_or_size_splits, (int, np.integer)):
        return K.split(value, int(num_or_size_splits), axis=axis)
    sizes = [int(s) for s in np.asarray(_raw(num_or_size_splits)).reshape(-1)]
    n = value.shape[axis]
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n:
        raise ValueError(f"split: the sizes {sizes} must add up to the size {n} of axis "
                         f"{axis}")
    return K.split(value, list(np.cumsum(sizes)[:-1]), axis=axis)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: the slices of ``params`` at ``indices`` along ``axis``.

    Parameters
    ----------
    params
        The tensor to gather from.
    indices
        The integer indices.
    validate_indices
        Accepted for TensorFlow compatibility and ignored.
    axis
        The axis to gather along. Default None: 0.
    batch_dims
        TensorFlow's number of leading batch axes; only 0 (the default) is supported.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    if batch_dims:
        raise ValueError("gather: batch_dims other than 0 is not supported")
    return K.take(params, indices, axis=0 if axis is None else axis)


def tile(input, multiples, name=None):  # noqa: A002
    """tf.tile: ``input`` repeated along each axis.

    Parameters
    ----------
    input
        The input tensor.
    multiples
        The repetitions per axis.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.tile(input, tuple(int(m) for m in np.asarray(_raw(multiples)).reshape(-1)))


def fill(dims, value, name=None):
    """tf.fill: a new tensor of shape ``dims`` filled with ``value``.

    Parameters
    ----------
    dims
        The shape of the result.
    value
        The value.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    v = np.asarray(_raw(value))
    dt = np.float32 if v.dtype.kind == "f" and not isinstance(value, np.ndarray) else v.dtype
    return K.full(tuple(int(d) for d in np.asarray(_raw(dims)).reshape(-1)), value, dtype=dt)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """tf.one_hot: one-hot vectors of length ``depth`` for the integer ``indices``.

    Parameters
    ----------
    indices
        The integer class indices.
    depth
        The number of classes.
    on_value
        The value at the class. Default 1.
    off_value
        The value elsewhere. Default 0.
    axis
        Where the new class axis goes. Default -1, last.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    oh = K.one_hot(indices, depth, axis=-1 if axis is None else axis, dtype=dtype)
    if on_value is None and off_value is None:
        return oh
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    return _wrap(np.where(_raw(oh) == 1, on, off).astype(oh.dtype))


def argmax(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """tf.math.argmax: the index of the largest value along ``axis``.

    Parameters
    ----------
    input
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    output_type
        The integer dtype of the result. Default int64.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    r = K.argmax(input, axis=0 if axis is None else axis)
    return P.cast(r, standardize_dtype(output_type, "output_type", "argmax"))


def argmin(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """tf.math.argmin: the index of the smallest value along ``axis``.

    Parameters
    ----------
    input
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    output_type
        The integer dtype of the result. Default int64.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    r = K.argmin(input, axis=0 if axis is None else axis)
    return P.cast(r, standardize_dtype(output_type, "output_type", "argmin"))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """tf.clip_by_value: ``t`` with its values limited to ``[clip_value_min, clip_value_max]``.

    Parameters
    ----------
    t
        The input tensor.
    clip_value_min
        The lower bound.
    clip_value_max
        The upper bound.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.clip(t, clip_value_min, clip_value_max)


def where(condition, x=None, y=None, name=None):
    """tf.where: values of ``x`` where ``condition`` holds, else of ``y``; with neither, the
    indices where it holds.

    Parameters
    ----------
    condition
        A boolean tensor.
    x
        The values where ``condition`` holds.
    y
        The values elsewhere.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.where(condition, x, y)


def shape(input, out_type=np.int32, name=None):  # noqa: A002
    """tf.shape: the shape of ``input`` as a tensor.

    Parameters
    ----------
    input
        The input tensor.
    out_type
        The integer dtype of the result.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return _wrap(np.asarray(K.shape(input), dtype=standardize_dtype(out_type)))


def size(input, out_type=np.int32, name=None):  # noqa: A002
    """tf.size: the number of values of ``input``.

    Parameters
    ----------
    input
        The input tensor.
    out_type
        The integer dtype of the result.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return _wrap(np.asarray(K.size(input), dtype=standardize_dtype(out_type)))


def rank(input, name=None):  # noqa: A002
    """tf.rank: the number of axes of ``input``.

    Parameters
    ----------
    input
        The input tensor.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return _wrap(np.asarray(K.ndim(input), dtype=np.int32))


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """tf.norm: the norm of ``tensor`` along ``axis``.

    Parameters
    ----------
    tensor
        The input tensor.
    ord
        The order of the norm. Default ``'euclidean'``.
    axis
        The axis (or pair of axes) of the norm. Default None: all values as one vector.
    keepdims
        Whether to keep the reduced axes. Default None: False.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    x = convert_to_tensor(tensor)
    r = P.norm(x, ord=None if ord == "euclidean" else ord, axis=_axis(axis),
               keepdims=bool(keepdims))
    if r is NotImplemented:
        raise ValueError(f"norm: ord must be 'euclidean', 'fro', 1, 2 or inf, got {ord!r}")
    return r


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y is 0."""
    a, b = convert_to_tensor(x), convert_to_tensor(y)
    zero = np.asarray(_raw(b)) == 0
    safe = K.where(zero, 1, b)
    return K.where(zero, 0, K.divide(a, safe))


def squared_difference(x, y, name=None):
    """tf.math.squared_difference: ``(x - y) ** 2``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    y
        The second operand, broadcast against ``x``.
    name
        Accepted for TensorFlow compatibility and ignored.
    """
    return K.square(K.subtract(x, y))


def _unary(fn):
    def op(x, name=None):
        """TensorFlow's spelling of the element-wise ``fastnn.ops`` function of the same name
        (``tf.exp`` is ``fastnn.ops.exp`` on ``x``), with TensorFlow's ``name`` argument.

        Parameters
        ----------
        x
            The input tensor.
        name
            Accepted for TensorFlow compatibility and ignored.

        Returns
        -------
        Tensor
            The result, of ``x``'s shape.
        """
        return fn(x)
    op.__name__ = fn.__name__
    return op


def _binary(fn):
    def op(x, y, name=None):
        """TensorFlow's spelling of the element-wise ``fastnn.ops`` function of the same name
        on two operands (``tf.add(x, y)`` is ``fastnn.ops.add(x, y)``; ``tf.pow`` is
        ``fastnn.ops.power``, ``tf.truediv`` is ``fastnn.ops.true_divide``), with
        broadcasting.

        Parameters
        ----------
        x
            The first operand.
        y
            The second operand, broadcast against ``x``.
        name
            Accepted for TensorFlow compatibility and ignored.

        Returns
        -------
        Tensor
            The result.
        """
        return fn(x, y)
    op.__name__ = fn.__name__
    return op


def l2_loss(t, name=None):
    return K.divide(K.sum(K.square(t)), 2)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    return K.binary_crossentropy(labels, logits, from_logits=True)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    return K.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    return K.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def _nn_softmax(logits, axis=None, name=None):
    return K.softmax(logits, axis=-1 if axis is None else axis)


def _nn_log_softmax(logits, axis=None, name=None):
    return K.log_softmax(logits, axis=-1 if axis is None else axis)


def _leaky_relu(features, alpha=0.2, name=None):
    return K.leaky_relu(features, negative_slope=alpha)


# Element-wise names that TensorFlow spells like keras.ops.
_SAME_UNARY = ("abs", "exp", "log", "log1p", "expm1", "sqrt", "square", "sign", "negative",
               "reciprocal", "sin", "cos", "tan", "sinh", "cosh", "tanh", "floor", "ceil",
               "round", "sigmoid", "softplus", "erf", "logical_not")
_SAME_BINARY = ("add", "subtract", "multiply", "divide", "maximum", "minimum", "equal",
                "not_equal", "greater", "greater_equal", "less", "less_equal",
                "logical_and", "logical_or", "logical_xor", "truediv")

_TOP = {
    "reduce_sum": reduce_sum, "reduce_mean": reduce_mean, "reduce_max": reduce_max,
    "reduce_min": reduce_min, "reduce_prod": reduce_prod, "reduce_any": reduce_any,
    "reduce_all": reduce_all, "reduce_logsumexp": reduce_logsumexp, "add_n": add_n,
    "concat": concat, "range": range, "constant": constant,
    "convert_to_tensor": convert_to_tensor, "cast": K.cast, "matmul": matmul,
    "tensordot": K.tensordot, "transpose": transpose, "reshape": reshape,
    "squeeze": squeeze, "expand_dims": expand_dims, "stack": stack, "unstack": unstack,
    "split": split, "gather": gather, "tile": tile, "fill": fill, "zeros": K.zeros,
    "ones": K.ones, "zeros_like": K.zeros_like, "ones_like": K.ones_like, "eye": K.eye,
    "linspace": K.linspace, "one_hot": one_hot, "argmax": argmax, "argmin": argmin,
    "clip_by_value": clip_by_value, "where": where, "shape": shape, "size": size,
    "rank": rank, "norm": norm, "pow": _binary(K.power), "stop_gradient": stop_gradient,
    "GradientTape": GradientTape, "custom_gradient": custom_gradient,
    "function": function, "Variable": Variable, "identity": P.identity,
    "broadcast_to": K.broadcast_to, "boolean_mask": lambda tensor, mask, axis=None, name=None:
    P.getitem(convert_to_tensor(tensor), np.asarray(_raw(mask), bool)),
    "sort": K.sort, "argsort": K.argsort, "cumsum": K.cumsum, "pad": K.pad,
    "squared_difference": squared_difference,
}
for _n in _SAME_UNARY:
    _TOP[_n] = _unary(getattr(K, _n if _n != "abs" else "abs"))
for _n in _SAME_BINARY:
    _TOP[_n] = _binary(K.true_divide if _n == "truediv" else getattr(K, _n))

ALIASES = dict(_TOP)
globals().update({_k: _v for _k, _v in _TOP.items() if _k not in globals()})

math = types.SimpleNamespace(
    **{n: f for n, f in _TOP.items() if n.startswith("reduce_") or n in _SAME_UNARY
       or n in _SAME_BINARY or n in ("add_n", "pow", "squared_difference", "argmax",
                                     "argmin", "cumsum")},
    reduce_std=reduce_std, reduce_variance=reduce_variance, divide_no_nan=divide_no_nan,
    is_nan=_unary(K.isnan), is_inf=_unary(K.isinf), is_finite=_unary(K.isfinite),
    log_sigmoid=_unary(K.log_sigmoid),
    l2_normalize=lambda x, axis=None, epsilon=1e-12, name=None: K.multiply(
        x, K.divide(1.0, K.sqrt(K.maximum(K.sum(K.square(x), axis=axis, keepdims=True),
                                          epsilon)))),
)

nn = types.SimpleNamespace(
    relu=_unary(K.relu), relu6=_unary(K.relu6), sigmoid=_unary(K.sigmoid),
    tanh=_unary(K.tanh), elu=_unary(K.elu), selu=_unary(K.selu),
    softplus=_unary(K.softplus), softsign=_unary(K.softsign), silu=_unary(K.silu),
    swish=_unary(K.silu),
    gelu=lambda features, approximate=False, name=None: K.gelu(features, approximate),
    leaky_relu=_leaky_relu, softmax=_nn_softmax, log_softmax=_nn_log_softmax,
    sigmoid_cross_entropy_with_logits=sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits=softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits=sparse_softmax_cross_entropy_with_logits,
    l2_loss=l2_loss, moments=lambda x, axes, keepdims=False, name=None: K.moments(
        x, axes, keepdims),
)

random = types.SimpleNamespace(
    normal=lambda shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None:
    K.random.normal(shape, mean, stddev, dtype, seed),
    uniform=lambda shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None:
    K.random.uniform(shape, minval, 1.0 if maxval is None else maxval, dtype, seed),
    truncated_normal=lambda shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None,
    name=None: K.random.truncated_normal(shape, mean, stddev, dtype, seed),
    shuffle=lambda value, seed=None, name=None: K.random.shuffle(value, 0, seed),
)
