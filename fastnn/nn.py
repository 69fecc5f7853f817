"""tf.nn-style functions (`import fastnn as tf; tf.nn.softmax(logits)`), on fastnn.ops."""
import numpy as np

from fastnn import activations as _act
from fastnn import ops as _ops
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
    """tf.nn.leaky_relu (its slope argument is `alpha`, default 0.2)."""
    return _act.leaky_relu(features, negative_slope=alpha)


def relu6(x):
    r = _act.relu(x)
    return _as_tensor(np.minimum(r, 6).astype(r.dtype))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None):
    """Element-wise max(z, 0) - z*y + log1p(exp(-|z|)) (same shape as logits)."""
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        z = z.astype(np.float32)
    y = np.asarray(labels, dtype=z.dtype)
    if y.shape != z.shape:
        raise ValueError(f"sigmoid_cross_entropy_with_logits: labels must have the shape of logits "
                         f"{z.shape}, got {y.shape}")
    return _as_tensor(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1):
    """Per-row -sum(labels * log_softmax(logits))."""
    ls = _act.log_softmax(logits, axis=axis)
    return _as_tensor(-(np.asarray(labels, dtype=ls.dtype) * ls).sum(axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None):
    """Per-row cross-entropy against integer class labels."""
    return _as_tensor(_ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
