"""Embedding (keras.layers.Embedding) and the global poolings over steps that bag-of-words
text classifiers put after it (GlobalAveragePooling1D, GlobalMaxPooling1D). Their calls
are fastnn.autodiff ops, so they train on a GradientTape (the embedding rows a batch
uses get the gradient, summed where an index repeats); the C engine does not run them
(a model with one trains layer by layer)."""
import numpy as np

import numbers

from fastnn import _argcheck, constraints, initializers, regularizers
from fastnn.autodiff import ops as _dops
from fastnn.layers.layer import Layer


class Embedding(Layer):
    """keras.layers.Embedding(input_dim, output_dim, embeddings_initializer="uniform",
    embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False): maps each
    integer index in [0, input_dim) to a row of a trainable (input_dim, output_dim)
    matrix; inputs (batch, ...) give outputs (batch, ..., output_dim).

    Indices are checked before they are used: an index outside [0, input_dim), or a
    non-integer value, raises ValueError naming it (Keras on TensorFlow's CPU raises too;
    on a GPU it gives zeros). Inputs may come as floats (fit converts x to the model's
    float type): whole numbers are taken as indices, exact up to 2**24 in float32.
    mask_zero=True: index 0 is padding; the outputs carry the mask ``inputs != 0``, which
    the layers after pass on (Dense, Dropout, ...) or use (GlobalAveragePooling1D
    averages over the other steps; a loss or metric on a masked output leaves the
    masked steps out), as in Keras. input_dim must then leave room for the padding
    index (index 0 still has a row, as in Keras).

    Parameters
    ----------
    input_dim : int
        The size of the vocabulary: indices run from 0 to ``input_dim - 1``.
    output_dim : int
        The size of each embedding vector.
    embeddings_initializer : str or initializer
        Initializer of the embedding matrix. Default ``'uniform'``.
    embeddings_regularizer : str or regularizer, optional
        A regularizer for the embedding matrix (a name such as ``'l2'`` or a Regularizer
        object), whose penalty is added to the layer's losses. Default
        None.
    embeddings_constraint : str or constraint, optional
        A constraint applied to the embedding matrix after each optimizer update (a
        name such as ``'non_neg'`` or a Constraint object). Default None.
    mask_zero : bool
        Whether index 0 is padding: the outputs then carry the mask ``inputs != 0``
        for the layers after. Default False.
    weights : array or list of array, optional
        Initial embeddings: an ``(input_dim, output_dim)`` matrix, or a list holding
        one. Given, the layer is built at once (as in Keras).
    lora_rank : None
        Keras' low-rank adaptation; not supported by fastnn, only None is accepted.
    input_length : int, optional
        Keras 2 argument, accepted and ignored (the input's length comes from the
        data).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, input_length=None, **kwargs):
        owner = "Embedding"
        self.input_dim = _positive_dim(input_dim, "input_dim")
        self.output_dim = _positive_dim(output_dim, "output_dim")
        mask_zero = _argcheck.boolean(mask_zero, "mask_zero", owner)
        if lora_rank is not None:
            raise ValueError(f"Embedding: lora_rank is not supported by fastnn, got "
                             f"{_argcheck.shown(lora_rank)}")
        if input_length is not None:       # Keras 2's argument, ignored by Keras 3 too
            _argcheck.integer(input_length, "input_length", owner, lo=1)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        super().__init__(**kwargs)
        self.supports_masking = mask_zero
        if weights is not None:          # Keras: built at once, with these values
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape=None):
        if self.built:                   # built at instantiation (weights=), as Keras
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          name="embeddings")
        if input_shape is None:      # Keras' build() takes no shape: the weights are all
            self.built = True
        else:
            super().build(input_shape)

    def _as_input(self, x):
        return x          # indices stay as given (ints are not made floats)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _indices(self, inputs):
        raw = np.asarray(inputs).view(np.ndarray) if isinstance(inputs, np.ndarray) \
            else np.asarray(inputs)
        if raw.dtype.kind == "b" or raw.dtype.kind not in "iuf":
            raise TypeError(f"{self.name}: inputs must be integer indices, got dtype "
                            f"{raw.dtype}")
        if raw.dtype.kind == "f":
            if raw.size and not np.all(np.isfinite(raw) & (raw == np.floor(raw))):
                raise ValueError(f"{self.name}: inputs must be whole numbers (indices), got "
                                 f"{_argcheck.shown(raw)}")
        if raw.size and (raw.min() < 0 or raw.max() >= self.input_dim):
            raise ValueError(f"{self.name}: indices must be in [0, {self.input_dim}) "
                             f"(input_dim), got values in [{raw.min()}, {raw.max()}]")
        return raw.astype(np.int64)

    def call(self, inputs):
        return _dops.take(self.embeddings, self._indices(inputs), axis=0)

    def compute_mask(self, inputs, previous_mask=None):
        """Keras': `inputs != 0` with mask_zero, else None."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs).view(np.ndarray) != 0

    def get_config(self):
        cfg = super().get_config()
        cfg.update(input_dim=self.input_dim, output_dim=self.output_dim,
                   embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                   embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                   embeddings_constraint=constraints.serialize(self.embeddings_constraint),
                   mask_zero=self.mask_zero)
        return cfg


def _positive_dim(value, argname):
    """Keras' rule for input_dim / output_dim: a positive integer (not a bool, a float
    such as 4.0 or a string); NumPy integers pass too."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value <= 0:
        raise ValueError(f"Embedding: `{argname}` must be a positive integer, got "
                         f"{type(value).__name__} {_argcheck.shown(value)}")
    return int(value)


class _GlobalPooling1D(Layer):
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        from fastnn.layers.reshaping import _data_format
        owner = type(self).__name__
        self.data_format = _data_format(data_format, owner)
        self.keepdims = _argcheck.boolean(keepdims, "keepdims", owner)
        super().__init__(**kwargs)
        self.built = True       # stateless: built when created, as Keras' _build_at_init

    def _axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: expects inputs of rank 3 (batch, steps, features), "
                             f"got shape {tuple(input_shape)}")
        shape = list(input_shape)
        if self.keepdims:
            shape[self._axis()] = 1
        else:
            del shape[self._axis()]
        return tuple(shape)

    def _check_rank(self, inputs):
        if np.ndim(inputs) != 3:
            raise ValueError(f"{self.name}: expects inputs of rank 3 (batch, steps, features), "
                             f"got shape {np.shape(inputs)}")

    def call(self, inputs):
        self._check_rank(inputs)
        return type(self)._reduce(inputs, axis=self._axis(), keepdims=self.keepdims)

    def _check_mask(self, inputs, mask):
        steps = np.shape(inputs)[self._axis()]
        m = np.asarray(mask).view(np.ndarray)
        if m.shape != (np.shape(inputs)[0], steps):
            raise ValueError(f"{self.name}: mask must have shape (batch, steps) = "
                             f"{(np.shape(inputs)[0], steps)}, got {m.shape}")
        return m.astype(bool)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(data_format=self.data_format, keepdims=self.keepdims)
        return cfg


class GlobalAveragePooling1D(_GlobalPooling1D):
    """keras.layers.GlobalAveragePooling1D(data_format="channels_last", keepdims=False):
    the mean over the steps axis of (batch, steps, features) inputs. Given a mask
    (batch, steps), as an Embedding with mask_zero attaches, the mean over the unmasked
    steps only (a row with every step masked gives NaN, as Keras' 0 / 0); the mask ends
    here.

    Parameters
    ----------
    data_format : str
        ``'channels_last'`` (the default: inputs are ``(batch, steps, features)``) or
        ``'channels_first'`` (``(batch, features, steps)``).
    keepdims : bool
        Whether to keep the pooled axis, of size 1. Default False.
    """
    _reduce = staticmethod(_dops.mean)
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        self._check_rank(inputs)
        m = self._check_mask(inputs, mask)
        keep = np.expand_dims(m, 2 if self._axis() == 1 else 1)
        w = keep.astype(np.asarray(inputs).dtype)
        # Keras: where(mask, inputs, 0), so that a masked step's inf or NaN drops out
        # (inf * 0 would be NaN)
        kept = _dops.where(keep, inputs, np.zeros((), w.dtype))
        total = _dops.sum(kept, axis=self._axis(), keepdims=self.keepdims)
        count = np.sum(w, axis=self._axis(), keepdims=self.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _dops.divide(total, count)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """keras.layers.GlobalMaxPooling1D(data_format="channels_last", keepdims=False): the
    largest value over the steps axis of (batch, steps, features) inputs.

    Parameters
    ----------
    data_format : str
        ``'channels_last'`` (the default: inputs are ``(batch, steps, features)``) or
        ``'channels_first'`` (``(batch, features, steps)``).
    keepdims : bool
        Whether to keep the pooled axis, of size 1. Default False.
    """
    _reduce = staticmethod(_dops.max)
