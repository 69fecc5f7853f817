"""Preprocessing layers: Rescaling (keras.layers.Rescaling)."""
import itertools
import numbers

import numpy as np

from fastnn import _argcheck, _hashing
from fastnn.autodiff import ops as _dops
from fastnn.layers.layer import Layer, _float_input


def _factor(value, argname, owner):
    """scale / offset: a real number, or an array of them (broadcast against the
    input's last axes) as a float64 array."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{owner}: {argname} must be a real number or an array of them, got "
                        f"{type(value).__name__} {_argcheck.shown(value)}")
    if isinstance(value, numbers.Real):
        return _argcheck.real(value, argname, owner)
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):
        a = np.asarray(None)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: {argname} must be a real number or an array of them, got "
                        f"{type(value).__name__} {_argcheck.shown(value)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{owner}: {argname} must be finite, got {_argcheck.shown(value)}")
    return a.astype(np.float64)


def _config_value(v):
    a = np.asarray(v)
    return float(a) if a.ndim == 0 else a.tolist()


class Rescaling(Layer):
    """keras.layers.Rescaling: y = x * scale + offset, in training and at inference
    (scale=1/255 maps [0, 255] to [0, 1]; scale=1/127.5, offset=-1 maps it to [-1, 1]).
    scale and offset are numbers or arrays broadcast against the input's last axes.
    Integer inputs become the layer's dtype; float inputs keep theirs unless the layer
    was given a dtype (Keras casts every input to the layer's compute dtype).

    Parameters
    ----------
    scale : float or array
        The factor inputs are multiplied by.
    offset : float or array
        The value added after scaling. Default 0.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        owner = "Rescaling"
        self._scale = _factor(scale, "scale", owner)
        self._offset = _factor(offset, "offset", owner)
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        x = _float_input(self, inputs)
        for argname, f in (("scale", self._scale), ("offset", self._offset)):
            shape = np.shape(f)
            try:
                fits = np.broadcast_shapes(tuple(x.shape), shape) == tuple(x.shape)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{self.name}: {argname} of shape {shape} does not fit inputs "
                                 f"of shape {tuple(x.shape)}: it must broadcast against their "
                                 f"last axes without growing them")
        dtype = np.dtype(x.dtype)
        with np.errstate(over="ignore"):
            scale, offset = np.asarray(self._scale, dtype), np.asarray(self._offset, dtype)
        for argname, f in (("scale", scale), ("offset", offset)):
            if not np.all(np.isfinite(f)):
                raise ValueError(f"{self.name}: {argname} holds values too large for the "
                                 f"inputs' {dtype} (largest {np.finfo(dtype).max:.4g}), got "
                                 f"{_argcheck.shown(getattr(self, argname))}")
        y = _dops.multiply(x, scale)
        if np.any(offset != 0):
            y = _dops.add(y, offset)
        return y

    def get_config(self):
        cfg = super().get_config()
        cfg.update(scale=_config_value(self._scale), offset=_config_value(self._offset))
        return cfg


# -- the categorical encodings (CategoryEncoding, Discretization, IntegerLookup) ---------

_ENCODINGS = ("one_hot", "multi_hot", "count")


def _raw(inputs):
    a = inputs.view(np.ndarray) if isinstance(inputs, np.ndarray) else np.asarray(inputs)
    return np.asarray(a)


def _whole(raw, owner, what):
    """raw as int64, refusing non-numbers, bools and floats that are not whole numbers
    (fit hands integer columns over as floats)."""
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: inputs must be integer {what}, got dtype {raw.dtype}")
    if raw.dtype.kind == "f":
        if raw.size and not np.all(np.isfinite(raw) & (raw == np.floor(raw))):
            bad = raw[~(np.isfinite(raw) & (raw == np.floor(raw)))]
            raise ValueError(f"{owner}: inputs must be whole numbers ({what}), got "
                             f"{_argcheck.shown(bad[:8].tolist())}")
    return raw.astype(np.int64)


def _encode(idx, mode, depth, dtype, count_weights=None):
    """Keras' numerical_utils.encode_categorical_inputs on int64 indices already checked
    to lie in [0, depth): one_hot adds an axis (dropping a trailing axis of 1),
    multi_hot / count reduce axis 1 (a rank-1 input is one sample), as Keras'
    backends compute them."""
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if mode == "one_hot":
        if idx.ndim > 1 and idx.shape[-1] == 1:
            idx = idx.reshape(idx.shape[:-1])
        out = np.zeros(idx.shape + (depth,), dtype)
        np.put_along_axis(out, idx[..., None], 1, axis=-1)
        return out
    # Keras (nn.multi_hot, the count path) reduces axis 1 (a rank-1 input: axis 0)
    if idx.ndim > 2:
        idx = np.moveaxis(idx, 1, -1)
        if count_weights is not None:
            count_weights = np.moveaxis(np.asarray(count_weights), 1, -1)
    lead = idx.shape[:-1]
    flat = idx.reshape(-1, idx.shape[-1])
    rows = np.repeat(np.arange(flat.shape[0]), flat.shape[1])
    if mode == "multi_hot":
        out = np.zeros((flat.shape[0], depth), dtype)
        out[rows, flat.reshape(-1)] = 1
    else:
        if count_weights is not None:
            w = np.broadcast_to(count_weights, idx.shape).reshape(-1)
            dtype = w.dtype
        else:
            w = np.ones(flat.size, np.float64)
        out = np.zeros((flat.shape[0], depth), np.float64)
        np.add.at(out, (rows, flat.reshape(-1)), w)
        out = out.astype(dtype)
    return out.reshape(lead + (depth,))


def _encoded_shape(input_shape, mode, depth):
    input_shape = tuple(input_shape)
    if len(input_shape) == 0:
        return (depth,)
    if mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return input_shape[:1] + input_shape[2:] + (depth,)


# The most tokens (vocabulary entries, OOV indices, encoding width) a layer takes: an
# encoding of more columns than this could not be allocated anyway.
_MAX_TOKENS = 2 ** 31 - 1


def _output_mode(value, owner, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{owner}: output_mode must be one of {', '.join(map(repr, allowed))}, "
                         f"got {_argcheck.shown(value)}")
    return value


class _Encoder(Layer):
    """Shared by the encoding layers: no weights, no gradient to their inputs; inputs
    are kept as given (ints stay ints) and outputs have the dtype the mode gives."""

    supports_masking = False

    def _as_input(self, x):
        return x if isinstance(x, np.ndarray) or x is None else np.asarray(x)

    def _out_dtype(self):
        return self.dtype

    def _output_spec(self, args, kwargs):
        from fastnn.layers import symbolic as _symbolic
        from fastnn.layers.layer import _shape_tree_to_tensors
        shape = self.compute_output_shape(_symbolic.shape_of(args[0]))
        return _shape_tree_to_tensors(shape, np.dtype(self._out_dtype()))

    def _finish(self, out):
        from fastnn.tensor import Tensor
        return np.ascontiguousarray(out).view(Tensor)


class CategoryEncoding(_Encoder):
    """keras.layers.CategoryEncoding(num_tokens, output_mode="multi_hot", sparse=False):
    integer indices in [0, num_tokens) to one-hot rows ("one_hot": a trailing axis of 1
    is replaced), one multi-hot row per sample ("multi_hot": the last axis is reduced) or
    counts ("count", optionally weighted by call's count_weights). Whole-number floats
    are accepted as indices (fit hands columns over as floats); an index outside
    [0, num_tokens) raises ValueError naming it (Keras' backends give a wrong row or
    error). sparse=True is refused: fastnn has no sparse tensors.

    Parameters
    ----------
    num_tokens : int
        The number of categories; inputs are integer indices in ``[0, num_tokens)``.
    output_mode : str
        ``'one_hot'``, ``'multi_hot'`` (the default) or ``'count'``.
    sparse : bool
        Keras' sparse output; fastnn has no sparse tensors, so only False is accepted.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        owner = "CategoryEncoding"
        if isinstance(output_mode, str) and output_mode == "binary":
            output_mode = "multi_hot"
        if not isinstance(output_mode, str) or output_mode not in _ENCODINGS:
            raise ValueError(f"{owner}: Unknown arg for output_mode: {output_mode} (one of "
                             f"'one_hot', 'multi_hot', 'count')")
        self.output_mode = output_mode
        if num_tokens is None:
            raise ValueError(f"{owner}: num_tokens must be set to use this layer. If the number "
                             f"of tokens is not known beforehand, use the IntegerLookup layer "
                             f"instead.")
        self.num_tokens = _argcheck.integer(num_tokens, "num_tokens", owner, hi=_MAX_TOKENS)
        if self.num_tokens < 1:
            raise ValueError(f"{owner}: `num_tokens` must be >= 1. Received: "
                             f"num_tokens={num_tokens}.")
        if _argcheck.boolean(sparse, "sparse", owner):
            raise ValueError(f"{owner}: sparse=True is not supported (fastnn has no sparse "
                             f"tensors), got sparse={sparse!r}")
        self.sparse = False
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def call(self, inputs, count_weights=None):
        owner = self.name
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"{owner}: `count_weights` is not used when `output_mode` is "
                                 f"not `'count'`. Received count_weights={_argcheck.shown(count_weights)}")
            count_weights = np.asarray(_raw(count_weights), dtype=self.dtype)
        idx = _whole(_raw(inputs), owner, "indices")
        if count_weights is not None and count_weights.shape != idx.shape:
            raise ValueError(f"{owner}: count_weights must have the inputs' shape {idx.shape}, "
                             f"got {count_weights.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_tokens):
            bad = np.unique(idx[(idx < 0) | (idx >= self.num_tokens)])
            raise ValueError(f"{owner}: indices must be in [0, {self.num_tokens}) (num_tokens), "
                             f"got {_argcheck.shown(bad[:8].tolist())}")
        return self._finish(_encode(idx, self.output_mode, self.num_tokens, self.dtype,
                                    count_weights))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_tokens=self.num_tokens, output_mode=self.output_mode, sparse=self.sparse)
        return cfg


# Keras' approximate quantile summary (keras/src/layers/preprocessing/discretization.py),
# kept so that adapt() gives Keras' boundaries exactly.
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    num_buckets = 1.0 / epsilon
    step = max(values.size / num_buckets, 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def _merge_summaries(prev, nxt, epsilon):
    merged = np.concatenate((prev, nxt), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _batches(data, owner, steps=None):
    """adapt's data: one array, or an iterable of batches (an (x, y) tuple gives x), at
    most `steps` of them (so an endless generator can be given with steps)."""
    if steps is not None:
        steps = _argcheck.integer(steps, "steps", owner, lo=1)
    if isinstance(data, np.ndarray) or hasattr(data, "__array__"):
        return [np.asarray(data)]
    if isinstance(data, (list, tuple)) and data and not isinstance(data[0], (list, tuple)) \
            and not hasattr(data[0], "__array__"):
        return [np.asarray(data)]           # one batch given as a list of values
    if hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        return [np.asarray(b[0] if isinstance(b, tuple) else b)
                for b in itertools.islice(data, steps)]
    raise TypeError(f"{owner}: data must be an array or an iterable of batches, got "
                    f"{type(data).__name__}")


class Discretization(_Encoder):
    """keras.layers.Discretization(bin_boundaries=None, num_bins=None, epsilon=0.01,
    output_mode="int", sparse=False): the bucket of each value, as np.digitize(x,
    bin_boundaries) (a value equal to a boundary goes to the bucket above it: with
    boundaries [0., 1.], -1 -> 0, 0 -> 1, 0.5 -> 1, 1 -> 2), as int32 ("int") or encoded
    over len(bin_boundaries) + 1 buckets ("one_hot", "multi_hot", "count"). adapt(data)
    computes num_bins - 1 boundaries with Keras' own approximate quantile summary (the
    same NumPy code, so the same boundaries as Keras; epsilon sets its precision). The
    boundaries are in get_config, as in Keras, and so save with the model.

    Parameters
    ----------
    bin_boundaries : list of float, optional
        The sorted bucket boundaries. Either these or ``num_bins`` (then ``adapt``
        computes them).
    num_bins : int, optional
        The number of buckets ``adapt`` computes boundaries for.
    epsilon : float
        The error tolerance of the approximate quantiles ``adapt`` computes. Default
        0.01.
    output_mode : str
        ``'int'`` (the default, the bucket index), ``'one_hot'``, ``'multi_hot'`` or
        ``'count'``.
    sparse : bool
        Keras' sparse output; fastnn has no sparse tensors, so only False is accepted.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        owner = "Discretization"
        if _argcheck.boolean(sparse, "sparse", owner):
            if isinstance(output_mode, str) and output_mode == "int":
                raise ValueError(f"{owner}: sparse=True may only be used if output_mode is "
                                 f"'one_hot', 'multi_hot', or 'count'. Received: sparse={sparse} "
                                 f"and output_mode={output_mode}")
            raise ValueError(f"{owner}: sparse=True is not supported (fastnn has no sparse "
                             f"tensors), got sparse={sparse!r}")
        self.output_mode = _output_mode(output_mode, owner, ("int",) + _ENCODINGS)
        if num_bins is not None:
            num_bins = _argcheck.integer(num_bins, "num_bins", owner, lo=0)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{owner}: Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{owner}: You need to set either `num_bins` or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = self._check_boundaries(bin_boundaries, owner)
        self.epsilon = _argcheck.real(epsilon, "epsilon", owner)
        if not 0 < self.epsilon <= 1:
            raise ValueError(f"{owner}: epsilon must be in (0, 1], got {epsilon!r}")
        self.bin_boundaries, self.num_bins, self.sparse = bin_boundaries, num_bins, False
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        super().__init__(**kwargs)

    @staticmethod
    def _check_boundaries(value, owner):
        try:
            b = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"{owner}: bin_boundaries must be a list of numbers, got "
                            f"{_argcheck.shown(value)}") from None
        if b.ndim != 1 or not np.all(np.isfinite(b)) or np.any(np.diff(b) < 0):
            raise ValueError(f"{owner}: bin_boundaries must be a flat, sorted list of finite "
                             f"numbers, got {_argcheck.shown(value)}")
        return [float(v) for v in b]

    def _out_dtype(self):
        return "int32" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        return _encoded_shape(input_shape, self.output_mode, depth)

    def adapt(self, data, steps=None):
        owner = f"{self.name}.adapt"
        if self.num_bins is None:
            raise ValueError(f"{owner}: Cannot adapt a Discretization layer that has been "
                             f"initialized with `bin_boundaries`, use `num_bins` instead.")
        batches = _batches(data, owner, steps)
        self.summary = np.array([[], []], dtype="float32")
        for b in batches:
            if b.dtype.kind not in "biuf" or b.size == 0 or not np.all(np.isfinite(b)):
                raise ValueError(f"{owner}: data must be non-empty arrays of finite numbers, "
                                 f"got dtype {b.dtype} and shape {b.shape}")
            self.summary = _merge_summaries(_summarize(b.astype("float32"), self.epsilon),
                                            self.summary, self.epsilon)
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1] \
            .tolist() if self.num_bins else []

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"{self.name}: You need to either pass the `bin_boundaries` "
                             f"argument at construction time or call `adapt(dataset)` before "
                             f"you can start using the `Discretization` layer.")
        raw = _raw(inputs)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: inputs must be numbers, got dtype {raw.dtype}")
        idx = np.digitize(raw.astype(np.float64), np.asarray(self.bin_boundaries, np.float64))
        if self.output_mode == "int":
            return self._finish(idx.astype(np.int32))
        return self._finish(_encode(idx.astype(np.int64), self.output_mode,
                                    len(self.bin_boundaries) + 1, self.dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(bin_boundaries=None if self.bin_boundaries is None
                   else [float(v) for v in self.bin_boundaries],
                   num_bins=self.num_bins, epsilon=self.epsilon, output_mode=self.output_mode,
                   sparse=self.sparse)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            b = config.pop("bin_boundaries")
            layer = super().from_config(config)
            layer.bin_boundaries = list(b)
            return layer
        return super().from_config(config)


def _strings(raw, owner, encoding):
    """raw as a NumPy unicode array: str kept, bytes decoded with `encoding`; anything
    else is refused (a number is not a string token)."""
    if raw.dtype.kind == "U":
        return raw
    if raw.dtype.kind == "S":
        try:
            return np.char.decode(raw, encoding)
        except UnicodeDecodeError as e:
            raise ValueError(f"{owner}: inputs are not valid {encoding} ({e})") from None
    if raw.dtype.kind == "O":
        flat = raw.reshape(-1)
        out = []
        for v in flat:
            if isinstance(v, bytes):
                try:
                    v = v.decode(encoding)
                except UnicodeDecodeError as e:
                    raise ValueError(f"{owner}: inputs are not valid {encoding} ({e})") from None
            elif not isinstance(v, str):
                raise TypeError(f"{owner}: inputs must be strings, got an element of type "
                                f"{type(v).__name__} {_argcheck.shown(v)}")
            out.append(v)
        return np.array(out, dtype=str).reshape(raw.shape) if out else \
            np.zeros(raw.shape, dtype="<U1")
    raise TypeError(f"{owner}: inputs must be strings, got dtype {raw.dtype}")


def _oov_method(value, owner):
    if not isinstance(value, str) or value not in ("floormod", "farmhash"):
        raise ValueError(f"{owner}: Unknown value for `oov_method` argument of {owner}. "
                         f"Allowed values are: ('floormod', 'farmhash'). Received: "
                         f"oov_method={_argcheck.shown(value)}")
    return value


def _hashed_oov_index(x, oov, n, salt, owner):
    """Keras' OOV buckets when they are hashed: the FarmHash Fingerprint64 (SipHash-2-4
    keyed by `salt` when set) of each OOV token x[oov] -- a string's UTF-8 bytes, an
    integer's decimal digits -- modulo n, as TensorFlow's to_hash_bucket_fast /
    to_hash_bucket_strong give it."""
    out = np.zeros(x.shape, np.int64)
    out[oov] = _hashing.bucketize(x[oov], n, salt, owner)
    return out


class _IndexLookup(_Encoder):
    """What IntegerLookup and StringLookup share (Keras' IndexLookup): tokens to indices
    of a vocabulary (given, or learned by adapt(data): the max_tokens most frequent
    first, ties larger token first, as Keras orders them). Indices: the mask (only when
    mask_token is set and output_mode="int") is 0, then num_oov_indices OOV indices,
    then the vocabulary. output_mode "int" gives int64 indices; "one_hot", "multi_hot",
    "count" encode them over vocabulary_size() (max_tokens with pad_to_max_tokens=True).
    "tf_idf" multiplies the counts by each index's inverse document frequency
    (idf_weights, given with the vocabulary or computed by adapt).
    invert=True maps indices back to tokens. The vocabulary (learned or given) is kept
    in get_config, so it saves with the model (Keras writes an adapted one as an asset
    file). Not supported: sparse=True."""

    _owner = "IndexLookup"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                 idf_weights, invert, output_mode, sparse, pad_to_max_tokens, **kwargs):
        owner = self._owner
        if max_tokens is not None:
            max_tokens = _argcheck.integer(max_tokens, "max_tokens", owner, hi=_MAX_TOKENS)
            if max_tokens <= 1:
                raise ValueError(f"{owner}: If `max_tokens` is set for `{owner}`, it must "
                                 f"be greater than 1. Received: max_tokens={max_tokens}")
        if _argcheck.boolean(pad_to_max_tokens, "pad_to_max_tokens", owner) and max_tokens is None:
            raise ValueError(f"{owner}: If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        num_oov_indices = _argcheck.integer(num_oov_indices, "num_oov_indices", owner,
                                            hi=_MAX_TOKENS)
        if num_oov_indices < 0:
            raise ValueError(f"{owner}: The value of `num_oov_indices` argument for "
                             f"`{owner}` must >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        for argname, v in (("mask_token", mask_token), ("oov_token", oov_token)):
            if v is not None and not self._is_token(v):
                raise TypeError(f"{owner}: {argname} must be {self._token_kind} or None, got "
                                f"{_argcheck.shown(v)}")
        if isinstance(output_mode, str) and output_mode == "binary":
            output_mode = "multi_hot"
        if isinstance(output_mode, str) and output_mode == "tf-idf":
            output_mode = "tf_idf"
        self.output_mode = _output_mode(output_mode, owner, ("int",) + _ENCODINGS + ("tf_idf",))
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={_argcheck.shown(idf_weights)} "
                             f"and output_mode={output_mode}")
        if self.output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{owner}: When specifying the `vocabulary` argument, in TF-IDF "
                             f"output mode, the `idf_weights` argument must also be provided.")
        if _argcheck.boolean(invert, "invert", owner) and output_mode != "int":
            raise ValueError(f"{owner}: `output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if _argcheck.boolean(sparse, "sparse", owner):
            raise ValueError(f"{owner}: sparse=True is not supported (fastnn has no sparse "
                             f"tensors), got sparse={sparse!r}")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token = None if mask_token is None else self._token(mask_token)
        self.oov_token = None if oov_token is None else self._token(oov_token)
        self.invert, self.sparse = bool(invert), False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._tokens = None           # the learned/given vocabulary, no special tokens
        self.input_vocabulary = None
        # tf_idf: one weight per index (special tokens first), set with the vocabulary
        self.idf_weights = None
        kwargs.pop("vocabulary_size", None)   # in Keras' configs; the vocabulary gives it
        super().__init__(**kwargs)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
            self.input_vocabulary = [self._token(t) for t in self._tokens]

    # -- what differs between integer and string tokens ---------------------------------
    def _is_token(self, v):
        raise NotImplementedError

    def _token(self, v):
        """A token as get_vocabulary and get_config give it (int or str)."""
        raise NotImplementedError

    def _tokens_in(self, raw, owner, what):
        """Inputs (or a vocabulary) as a NumPy array of tokens (int64 or unicode)."""
        raise NotImplementedError

    def _oov_index(self, x, oov):
        """Index offsets in [0, num_oov_indices) of the OOV tokens x[oov]."""
        raise NotImplementedError

    # -- indices ------------------------------------------------------------------------
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices: special tokens and vocabulary (max_tokens when
        pad_to_max_tokens)."""
        n = self._token_start() + (0 if self._tokens is None else len(self._tokens))
        return self.max_tokens if self.pad_to_max_tokens else n

    def _special(self):
        return [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order, with the mask and OOV tokens first unless
        include_special_tokens=False."""
        tokens = [] if self._tokens is None else [self._token(t) for t in self._tokens]
        return self._special() + tokens if include_special_tokens else tokens

    def _read_vocabulary(self, vocabulary, owner):
        if isinstance(vocabulary, str):
            raise ValueError(f"{owner}: a vocabulary file is not supported; pass a list of "
                             f"{self._token_kind} tokens, got {vocabulary!r}")
        return vocabulary

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary.

        Parameters
        ----------
        vocabulary : list or array
            Distinct tokens, optionally starting with the special tokens in index order.
        idf_weights : list of float or array, optional
            With ``output_mode='tf_idf'`` (then required): one inverse document
            frequency per entry of ``vocabulary``; special tokens not in ``vocabulary``
            get their average.
        """
        owner = f"{self.name if hasattr(self, 'name') else self._owner}.set_vocabulary"
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{owner}: `idf_weights` must be set if output_mode is "
                                 f"'tf_idf'.")
            if isinstance(vocabulary, str):
                raise ValueError(f"{owner}: output_mode `'tf_idf'` does not support loading a "
                                 f"vocabulary from file, got vocabulary={vocabulary!r}")
        elif idf_weights is not None:
            raise ValueError(f"{owner}: `idf_weights` should only be set if output_mode is "
                             f"`'tf_idf'`. Received: output_mode={self.output_mode} and "
                             f"idf_weights={_argcheck.shown(idf_weights)}")
        vocabulary = self._read_vocabulary(vocabulary, owner)
        given = np.asarray(vocabulary, dtype=object if isinstance(vocabulary, (list, tuple))
                           and not vocabulary else None)
        if given.size == 0:
            raise ValueError(f"{owner}: Cannot set an empty vocabulary. Received: "
                             f"vocabulary={list(vocabulary)}")
        v = self._tokens_in(given, owner, "vocabulary").reshape(-1)
        special = self._special()
        ts = len(special)
        found_special = len(v) >= ts and [self._token(t) for t in v[:ts]] == special
        if idf_weights is not None:
            idf = self._check_idf_weights(idf_weights, len(v), owner)
        if found_special:
            v = v[ts:]
        uniq, counts = np.unique(v, return_counts=True)
        if np.any(counts > 1):
            raise ValueError(f"{owner}: The passed vocabulary has at least one repeated term. "
                             f"Please uniquify your dataset. The repeated terms are: "
                             f"{uniq[counts > 1].tolist()}")
        if self.mask_token is not None and self.mask_token in v:
            raise ValueError(f"{owner}: Found reserved mask token at unexpected location in "
                             f"`vocabulary`. Note that passed `vocabulary` does not need to "
                             f"include the OOV and mask tokens. Either remove all mask and OOV "
                             f"tokens, or include them only at the start of the vocabulary in "
                             f"precisely this order: {special}. Received: mask_token="
                             f"{self.mask_token} at vocabulary index "
                             f"{int(np.argwhere(v == self.mask_token)[-1][0])}")
        if self.oov_token is not None and self.invert and self.oov_token in v:
            raise ValueError(f"{owner}: Found reserved OOV token at unexpected location in "
                             f"`vocabulary`. Received: oov_token={self.oov_token}")
        if self.max_tokens is not None and ts + len(v) > self.max_tokens:
            raise ValueError(f"{owner}: Attempted to set a vocabulary larger than the maximum "
                             f"vocab size. Received vocabulary size is {ts + len(v)}; "
                             f"`max_tokens` is {self.max_tokens}.")
        self._set_tokens(v)
        if idf_weights is not None:
            # Keras: a vocabulary given without its special tokens gets the average weight
            # for them (no document frequency is known for them)
            self._set_idf(idf, None if found_special else np.mean(idf))

    @staticmethod
    def _check_idf_weights(idf_weights, n, owner):
        try:
            idf = np.asarray(_raw(idf_weights))
        except (TypeError, ValueError):
            idf = np.asarray(None)
        if idf.dtype.kind not in "iuf" or idf.ndim != 1:
            raise ValueError(f"{owner}: TF-IDF data must be a 1-index array of numbers. "
                             f"Received: idf_weights={_argcheck.shown(idf_weights)}")
        if len(idf) != n:
            raise ValueError(f"{owner}: `idf_weights` must be the same length as vocabulary. "
                             f"len(idf_weights) is {len(idf)}; len(vocabulary) is {n}")
        if not np.all(np.isfinite(idf)):
            raise ValueError(f"{owner}: idf_weights must be finite, got "
                             f"{_argcheck.shown(idf.tolist())}")
        return idf

    def _set_idf(self, idf, front):
        """The weights of the tf_idf mode, one per index: `front` (None: idf starts
        with the special tokens' weights) for the special tokens, then idf, then zeros
        up to max_tokens with pad_to_max_tokens, in the layer's float dtype."""
        dtype = np.dtype(self.dtype)
        idf = np.asarray(idf).astype(dtype)
        if front is not None:
            idf = np.concatenate([np.full(self._token_start(), front, dtype), idf])
        if self.pad_to_max_tokens and self.max_tokens is not None \
                and len(idf) < self.max_tokens:
            idf = np.concatenate([idf, np.zeros(self.max_tokens - len(idf), dtype)])
        self.idf_weights = idf

    def _set_tokens(self, tokens):
        self._tokens = tokens
        order = np.argsort(tokens, kind="stable")
        self._sorted = tokens[order]                       # for the lookup's binary search
        self._sorted_index = order.astype(np.int64) + self._token_start()

    def adapt(self, data, steps=None):
        """Learn the vocabulary from `data` (an array, or an iterable of batches; `steps`
        limits the batches): the tokens by count, the most frequent first."""
        owner = f"{self.name}.adapt"
        whole = isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "__array__")
        batches = _batches(data, owner, steps)
        parts = [self._tokens_in(b, owner, "tokens") for b in batches]
        if self.output_mode == "tf_idf":
            doc_tokens, num_documents = self._documents(parts, whole, owner)
        parts = [p.reshape(-1) for p in parts]
        toks = np.concatenate(parts) if parts else self._tokens_in(np.zeros(0, np.int64)
                                                                   if self._token_kind == "an int"
                                                                   else np.zeros(0, "<U1"),
                                                                   owner, "tokens")
        if self.mask_token is not None:
            toks = toks[toks != self.mask_token]
        if self.oov_token is not None:
            toks = toks[toks != self.oov_token]
        uniq, counts = np.unique(toks, return_counts=True)
        order = np.lexsort((uniq, counts))[::-1]         # Keras: count, then token, descending
        if self.max_tokens:
            order = order[:max(self.max_tokens - self._token_start(), 0)]
        self._set_tokens(uniq[order])
        if self.output_mode == "tf_idf":
            # Keras: log(1 + documents / (1 + documents holding the token)), then the
            # average of those for the special tokens
            d_uniq, d_counts = np.unique(doc_tokens, return_counts=True)
            pos = np.clip(np.searchsorted(d_uniq, self._tokens), 0, max(len(d_uniq) - 1, 0))
            held = np.where(d_uniq[pos] == self._tokens, d_counts[pos], 0) if len(d_uniq) \
                else np.zeros(len(self._tokens), np.int64)
            idf = np.log(1 + num_documents / (1 + held.astype(np.float64)))
            idf = idf.astype(np.dtype(self.dtype))
            self._set_idf(idf, np.mean(idf) if len(idf) else 0)

    @staticmethod
    def _documents(parts, whole, owner):
        """tf_idf's adapt: the tokens of every document, each counted once per document,
        and the number of documents. A document is a row of a 2-D batch; a 1-D batch is
        one document, except when the data was given whole (one array or list), where
        each element is one (as Keras reads them)."""
        rows, n = [], 0
        for p in parts:
            if p.ndim == 0:
                p = p.reshape(1, 1)
            elif p.ndim == 1:
                p = p[:, None] if whole else p[None, :]
            elif p.ndim > 2:
                raise ValueError(f"{owner}: with output_mode='tf_idf' the data must be "
                                 f"documents of tokens (a 1-D or 2-D array per batch), got a "
                                 f"batch of shape {p.shape}")
            n += p.shape[0]
            if p.size == 0:
                continue
            srt = np.sort(p, axis=1)
            first = np.ones(srt.shape, bool)
            first[:, 1:] = srt[:, 1:] != srt[:, :-1]
            rows.append(srt[first])
        return (np.concatenate(rows) if rows else np.zeros(0, parts[0].dtype if parts
                                                            else np.int64)), n

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        return _encoded_shape(input_shape, mode, self.vocabulary_size())

    def call(self, inputs):
        owner = self.name
        if self._tokens is None:
            raise ValueError(f"{owner}: the layer has no vocabulary; pass vocabulary= or call "
                             f"adapt(data) first")
        if self.invert:
            return self._invert(_whole(_raw(inputs), owner, "indices"))
        x = self._tokens_in(_raw(inputs), owner, "tokens")
        keys, vals = self._sorted, self._sorted_index
        pos = np.clip(np.searchsorted(keys, x), 0, max(len(keys) - 1, 0))
        found = keys[pos] == x if len(keys) else np.zeros(x.shape, bool)
        idx = np.where(found, vals[pos], -1)
        oov = ~found
        if self.mask_token is not None:
            masked = x == self.mask_token
            oov &= ~masked
        if np.any(oov):
            if self.num_oov_indices == 0:
                raise ValueError(f"{owner}: When `num_oov_indices=0` all inputs should be in "
                                 f"vocabulary, found OOV values "
                                 f"{_argcheck.shown(np.unique(x[oov])[:8].tolist())}, consider "
                                 f"setting `num_oov_indices=1`.")
            idx = np.where(oov, self._oov_index(x, oov) + self._oov_start(), idx)
        if self.output_mode == "int":
            if self.mask_token is not None:
                idx = np.where(masked, 0, idx)
            return self._finish(idx.astype(np.int64))
        depth = self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if self.mask_token is not None and np.any(masked):
            # non-int modes: the mask has no index; masked tokens are not encoded
            out = self._encode_masked(idx, masked, depth, mode)
        else:
            out = _encode(idx, mode, depth, self.dtype)
        if self.output_mode == "tf_idf":
            # Keras: the counts times each index's inverse document frequency
            out = out * self.idf_weights
        return self._finish(out)

    def _invert_table(self):
        return np.asarray(self.get_vocabulary())

    def _invert(self, x):
        vocab = self._invert_table()
        ok = (x >= 0) & (x < len(vocab))
        out = np.where(ok, vocab[np.clip(x, 0, max(len(vocab) - 1, 0))],
                       self._invert_oov())
        return self._finish(out.astype(vocab.dtype))

    def _encode_masked(self, idx, masked, depth, mode):
        if mode == "one_hot":
            out = _encode(np.where(masked, 0, idx), "one_hot", depth, self.dtype)
            m = masked.reshape(masked.shape[:-1]) if masked.ndim > 1 and masked.shape[-1] == 1 \
                else masked
            out[m] = 0
            return out
        w = np.where(masked, 0.0, 1.0)
        out = _encode(np.where(masked, 0, idx), "count", depth, self.dtype, w)
        if mode == "multi_hot":
            out = (out > 0)
        return out.astype(self.dtype)

    def get_config(self):
        cfg = super().get_config()
        vocabulary = None if self._tokens is None else [self._token(t) for t in self._tokens]
        idf_weights = None
        if self.idf_weights is not None and vocabulary is not None:
            # the weights of the special tokens too: the vocabulary is written with its
            # special tokens first (Keras reads both back as given)
            n = self._token_start() + len(vocabulary)
            special = self._special()
            if all(t is not None for t in special):
                vocabulary = special + vocabulary
                idf_weights = self.idf_weights[:n].tolist()
            else:
                idf_weights = self.idf_weights[self._token_start():n].tolist()
        cfg.update(max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
                   mask_token=self.mask_token, oov_token=self.oov_token,
                   vocabulary=vocabulary,
                   idf_weights=idf_weights, invert=self.invert, output_mode=self.output_mode,
                   sparse=self.sparse, pad_to_max_tokens=self.pad_to_max_tokens)
        return cfg


class IntegerLookup(_IndexLookup):
    """keras.layers.IntegerLookup: integer tokens to indices of a vocabulary (given, or
    learned by adapt(data): the max_tokens most frequent first, ties larger token first,
    as Keras orders them). Indices: the mask (only when mask_token is set and
    output_mode="int") is 0, then num_oov_indices OOV indices (an unknown token goes to
    token % num_oov_indices, Keras' default oov_method "floormod"; with
    oov_method="farmhash", to the FarmHash Fingerprint64 of its decimal digits modulo
    num_oov_indices, or their SipHash-2-4 keyed by `salt` -- an int or a pair of ints --
    bit-exact with Keras), then the vocabulary.
    output_mode "int" gives int64 indices; "one_hot", "multi_hot", "count" encode them
    over vocabulary_size() (max_tokens with pad_to_max_tokens=True). invert=True maps
    indices back to tokens. Whole-number floats are taken as tokens (fit hands columns
    over as floats). The vocabulary (learned or given) is kept in get_config, so it
    saves with the model (Keras writes an adapted one as an asset file).
    output_mode "tf_idf" gives the counts times each index's inverse document frequency:
    adapt computes log(1 + documents / (1 + documents holding the token)) for each token
    (a document is a row of a 2-D batch, or one element of 1-D data given whole) and
    gives the special tokens the average, as Keras does; with a given vocabulary,
    idf_weights must be given too. Not supported: sparse=True.

    Parameters
    ----------
    max_tokens : int, optional
        The largest vocabulary size, counting the mask and OOV indices. Default None:
        no limit.
    num_oov_indices : int
        The number of indices for out-of-vocabulary tokens. Default 1.
    mask_token : int, optional
        A token that stands for padding and maps to index 0. Default None: no mask
        token.
    oov_token : int
        The token an OOV index maps back to when ``invert=True``. Default -1.
    vocabulary : list of int or array, optional
        The vocabulary to use instead of calling ``adapt``.
    vocabulary_dtype : str
        The integer type of the tokens. Default ``'int64'``.
    idf_weights : list of float or array, optional
        With ``output_mode='tf_idf'`` and a given vocabulary (then required): the
        inverse document frequency of each vocabulary entry, one per entry of
        ``vocabulary`` (the special tokens get the average unless the vocabulary starts
        with them). Only for ``'tf_idf'``.
    invert : bool
        If True, the layer maps indices back to tokens. Default False.
    output_mode : str
        ``'int'`` (the default, the indices), ``'one_hot'``, ``'multi_hot'``,
        ``'count'`` or ``'tf_idf'`` (the counts times the inverse document
        frequencies).
    sparse : bool
        Keras' sparse output; fastnn has no sparse tensors, so only False is accepted.
    pad_to_max_tokens : bool
        If True, encoded outputs have ``max_tokens`` columns even when the vocabulary
        is smaller. Default False.
    oov_method : str
        How unknown tokens are spread over the OOV indices when there are more than
        one: ``'floormod'`` (the default: token modulo num_oov_indices) or
        ``'farmhash'`` (the FarmHash Fingerprint64 of the token's decimal digits modulo
        num_oov_indices, bit-exact with Keras).
    salt : int or tuple of two int, optional
        With ``oov_method='farmhash'``: hash with SipHash-2-4 keyed by these two 64-bit
        integers (one int: used for both) instead of FarmHash. Default None.
    """

    _owner = "IntegerLookup"
    _token_kind = "an int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, **kwargs):
        owner = self._owner
        if vocabulary_dtype != "int64":
            raise ValueError(f"{owner}: Only `vocabulary_dtype='int64'` is supported at this "
                             f"time. Received: vocabulary_dtype={vocabulary_dtype}")
        oov_method = _oov_method(oov_method, owner)
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"{owner}: `salt` can only be used when `oov_method='farmhash'`. "
                             f"Received: oov_method={oov_method}")
        self.vocabulary_dtype, self.oov_method = vocabulary_dtype, oov_method
        self.salt = _hashing.salt_pair(salt, owner)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens, **kwargs)

    def _is_token(self, v):
        return not isinstance(v, (bool, np.bool_)) and isinstance(v, (int, np.integer))

    def _token(self, v):
        return int(v)

    def _tokens_in(self, raw, owner, what):
        if what == "vocabulary":
            if raw.dtype.kind == "f" and raw.size and np.all(raw == np.floor(raw)):
                raw = raw.astype(np.int64)
            if raw.dtype.kind not in "iu":
                raise TypeError(f"{owner}: vocabulary must be integers, got dtype {raw.dtype}")
            return raw.astype(np.int64)
        return _whole(raw, owner, what)

    def _oov_index(self, x, oov):
        n = max(self.num_oov_indices, 1)
        if self.oov_method != "farmhash" or n == 1:
            return np.mod(x, n)
        return _hashed_oov_index(x, oov, n, self.salt, self.name)

    def _invert_oov(self):
        return -1 if self.oov_token is None else self.oov_token

    def _invert_table(self):
        return np.asarray(self.get_vocabulary(), dtype=np.int64)

    def _out_dtype(self):
        if self.output_mode == "int":
            return self.vocabulary_dtype if self.invert else "int64"
        return self.dtype

    def get_config(self):
        cfg = super().get_config()
        cfg.update(vocabulary_dtype=self.vocabulary_dtype, oov_method=self.oov_method,
                   salt=self.salt)
        return cfg


class StringLookup(_IndexLookup):
    """keras.layers.StringLookup: string tokens to indices of a vocabulary (given as a
    list, an array or a text file with one token per line, or learned by adapt(data):
    the max_tokens most frequent first, ties larger token first, as Keras orders them).
    Indices: the mask (only when mask_token is set and output_mode="int") is 0, then
    num_oov_indices OOV indices (with more than one, an unknown token goes to the FarmHash
    Fingerprint64 of its UTF-8 bytes modulo num_oov_indices, or their SipHash-2-4 keyed
    by `salt` -- an int or a pair of ints --, bit-exact with Keras; oov_method is accepted
    as in Keras and changes nothing for strings; oov_token, "[UNK]" by default, is what
    invert=True gives for an unknown index), then the vocabulary. output_mode "int"
    gives int64 indices; "one_hot", "multi_hot", "count" encode them over
    vocabulary_size().
    Inputs: str or bytes (decoded with `encoding`), as lists or NumPy arrays; invert=True
    gives a NumPy array of str. The vocabulary is kept in get_config, so it saves with
    the model (Keras writes it as an asset file and its config holds None).
    output_mode "tf_idf" gives the counts times each index's inverse document frequency:
    adapt computes log(1 + documents / (1 + documents holding the token)) for each token
    (a document is a row of a 2-D batch, or one element of 1-D data given whole) and
    gives the special tokens the average, as Keras does; with a given vocabulary,
    idf_weights must be given too. Not supported: sparse=True.

    Parameters
    ----------
    max_tokens : int, optional
        The largest vocabulary size, counting the mask and OOV indices. Default None:
        no limit.
    num_oov_indices : int
        The number of indices for out-of-vocabulary tokens. Default 1. With more than
        one, an unknown token goes to the FarmHash Fingerprint64 of its UTF-8 bytes
        modulo num_oov_indices (SipHash-2-4 with ``salt``), bit-exact with Keras.
    mask_token : str, optional
        A token that stands for padding and maps to index 0. Default None: no mask
        token.
    oov_token : str
        The token an OOV index maps back to when ``invert=True``. Default ``'[UNK]'``.
    vocabulary : list of str, array or str, optional
        The vocabulary to use instead of calling ``adapt``: the tokens, or the path of
        a text file with one token per line.
    idf_weights : list of float or array, optional
        With ``output_mode='tf_idf'`` and a given vocabulary (then required): the
        inverse document frequency of each vocabulary entry, one per entry of
        ``vocabulary`` (the special tokens get the average unless the vocabulary starts
        with them). Only for ``'tf_idf'``.
    invert : bool
        If True, the layer maps indices back to tokens. Default False.
    output_mode : str
        ``'int'`` (the default, the indices), ``'one_hot'``, ``'multi_hot'``,
        ``'count'`` or ``'tf_idf'`` (the counts times the inverse document
        frequencies).
    pad_to_max_tokens : bool
        If True, encoded outputs have ``max_tokens`` columns even when the vocabulary
        is smaller. Default False.
    sparse : bool
        Keras' sparse output; fastnn has no sparse tensors, so only False is accepted.
    encoding : str
        The text encoding of bytes inputs and of a vocabulary file. Default
        ``'utf-8'``.
    name : str, optional
        The layer's name.
    salt : int or tuple of two int, optional
        Hash unknown tokens with SipHash-2-4 keyed by these two 64-bit integers (one
        int: used for both) instead of FarmHash. Default None.
    oov_method : str
        ``'floormod'`` (Keras' default) or ``'farmhash'``: accepted as Keras accepts
        them; strings are always hashed.
    """

    _owner = "StringLookup"
    _token_kind = "a string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 oov_method="floormod", **kwargs):
        owner = self._owner
        self.oov_method = _oov_method(oov_method, owner)
        self.salt = _hashing.salt_pair(salt, owner)
        if not isinstance(encoding, str):
            raise TypeError(f"{owner}: encoding must be a str, got {_argcheck.shown(encoding)}")
        try:
            "".encode(encoding)
        except LookupError:
            raise ValueError(f"{owner}: unknown encoding {encoding!r}") from None
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)    # Keras' configs never hold another
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens,
                         name=name, **kwargs)

    def _is_token(self, v):
        return isinstance(v, (str, bytes))

    def _token(self, v):
        return v.decode(self.encoding) if isinstance(v, bytes) else str(v)

    def _read_vocabulary(self, vocabulary, owner):
        if isinstance(vocabulary, str):            # a file: one token per line
            try:
                with open(vocabulary, encoding=self.encoding) as f:
                    return [line.rstrip("\n").rstrip("\r") for line in f]
            except OSError as e:
                raise ValueError(f"{owner}: cannot read the vocabulary file {vocabulary!r} "
                                 f"({e.strerror})") from None
        return vocabulary

    def _tokens_in(self, raw, owner, what):
        return _strings(raw, owner, self.encoding)

    def _oov_index(self, x, oov):
        n = max(self.num_oov_indices, 1)
        if n == 1:
            return np.zeros(x.shape, np.int64)
        return _hashed_oov_index(x, oov, n, self.salt, self.name)

    def _invert_oov(self):
        return "" if self.oov_token is None else self.oov_token

    def _out_dtype(self):
        if self.output_mode == "int":
            return "str" if self.invert else "int64"
        return self.dtype

    def _finish(self, out):
        if out.dtype.kind == "U":
            return np.ascontiguousarray(out)
        return super()._finish(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(encoding=self.encoding, oov_method=self.oov_method, salt=self.salt)
        return cfg
