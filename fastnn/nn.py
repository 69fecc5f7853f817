"""tf.nn-style functions (`import fastnn as tf; tf.nn.softmax(logits)`), on fastnn.kernel_ops."""
import numpy as np

from fastnn import _argcheck
from fastnn import activations as _act
from fastnn import kernel_ops as _ops
from fastnn.tensor import as_tensor as _as_tensor

relu = _act.relu
sigmoid = _act.sigmoid
tanh = _act.tanh
elu = _act.elu
selu = _act.selu
softplus = _act.softplus
softsign = _act.softsign
silu = _act.silu
swish = _act.silu
gelu = _act.gelu
softmax = _act.softmax
log_softmax = _act.log_softmax


def leaky_relu(features, alpha=0.2):
    """tf.nn.leaky_relu (its slope argument is `alpha`, default 0.2).

    Parameters
    ----------
    features : array-like
        The input tensor.
    alpha : float
        The slope for negative inputs. Default 0.2.

    Returns
    -------
    Tensor
        The activation, of the input's shape.
    """
    alpha = _argcheck.real(alpha, "alpha", "leaky_relu")
    x = _act._arr(features, "features")
    return _as_tensor(_act._forward("leaky_relu", x, "features", negative_slope=alpha))


def relu6(x):
    """tf.nn.relu6: ``min(max(x, 0), 6)``, element-wise.

    Parameters
    ----------
    x : array-like
        The input tensor.

    Returns
    -------
    Tensor
        The activation, of the input's shape.
    """
    r = _act.relu(x)
    return _as_tensor(np.minimum(r, 6).astype(r.dtype))


def _labels_and_logits(what, labels, logits):
    """(labels, logits) as arrays of logits' float dtype, of the same shape."""
    for name, v in (("labels", labels), ("logits", logits)):
        if v is None:
            raise TypeError(f"{what}: {name} is required, got None")
    z = _act._arr(logits, "logits")   # as fastnn.ops converts: lists are float32
    y = _argcheck.float_array(labels, "labels", what, dtype=z.dtype)
    if y.shape != z.shape:
        raise ValueError(f"{what}: labels must have the shape of logits {z.shape}, got "
                         f"{y.shape}")
    return y, z


def sigmoid_cross_entropy_with_logits(labels=None, logits=None):
    """Element-wise ``max(z, 0) - z*y + log1p(exp(-|z|))`` (same shape as logits).

    Parameters
    ----------
    labels : array-like
        The targets, in [0, 1], of the logits' shape.
    logits : array-like
        The unbounded scores.

    Returns
    -------
    Tensor
        The loss of each value.
    """
    y, z = _labels_and_logits("sigmoid_cross_entropy_with_logits", labels, logits)
    return _as_tensor(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1):
    """Per-row -sum(labels * log_softmax(logits)).

    Parameters
    ----------
    labels : array-like
        A probability distribution over the classes for each row (one-hot labels, say).
    logits : array-like
        The unbounded scores, of the labels' shape.
    axis : int
        The class axis. Default -1.

    Returns
    -------
    Tensor
        The loss of each row.
    """
    y, z = _labels_and_logits("softmax_cross_entropy_with_logits", labels, logits)
    ls = _act.log_softmax(z, axis=axis)
    return _as_tensor(-(y * ls).sum(axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None):
    """Per-row cross-entropy against integer class labels.

    Parameters
    ----------
    labels : array-like
        The integer class of each row.
    logits : array-like
        The unbounded scores, ``(rows, classes)``.

    Returns
    -------
    Tensor
        The loss of each row.
    """
    return _as_tensor(_ops._per_sample("sparse_categorical_crossentropy", labels, logits,
                                       from_logits=True, names=("labels", "logits")))


def _follow_tapes(name, fn):
    """fn, or under a GradientTape that follows one of its tensor arguments,
    TensorFlow's differentiable version from fastnn.autodiff (the same kernels,
    recorded with their gradients)."""
    import functools
    from fastnn.autodiff import tf_aliases as _tfa
    from fastnn.autodiff.tape import should_record
    from fastnn.tensor import Tensor
    diff = getattr(_tfa.nn, name, None)
    if diff is None:
        return fn

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
        if tensors and should_record(tensors):
            return diff(*args, **kwargs)
        return fn(*args, **kwargs)
    return wrapped


for _name in [n for n in list(globals()) if not n.startswith("_")]:
    _fn = globals()[_name]
    if callable(_fn) and getattr(_fn, "__module__", "").startswith("fastnn"):
        globals()[_name] = _follow_tapes(_name, _fn)
