"""The Hashing preprocessing layer (keras.layers.Hashing)."""
import numbers

import numpy as np

from fastnn import _argcheck, _hashing
from fastnn.layers.preprocessing import (_ENCODINGS, _MAX_TOKENS, _Encoder, _encode,
                                         _encoded_shape, _raw)

# TensorFlow's bucket count is an int64
_MAX_BINS = 2 ** 63 - 1


class Hashing(_Encoder):
    """keras.layers.Hashing: hashes strings and integers into `num_bins` bins.

    Each input is hashed with FarmHash's Fingerprint64 (or, when `salt` is given, with
    SipHash-2-4 keyed by the salt) and its bin is the hash modulo the number of bins,
    bit-exact with Keras, which uses TensorFlow's ``tf.strings.to_hash_bucket_fast`` /
    ``to_hash_bucket_strong``. Strings are hashed as their UTF-8 bytes (bytes as they
    are); integers as their decimal digits; floats are cut to int64 first and bools
    hashed as "true" / "false", as Keras converts them.

    Parameters
    ----------
    num_bins : int
        The number of bins, at least 1. It includes the bin of `mask_value` when that is
        set: the other values then go to bins 1 to num_bins - 1.
    mask_value : str, int or float, optional
        Inputs equal to it go to bin 0 (when num_bins > 1) and the others are hashed
        into the remaining bins. None (the default): no mask bin.
    salt : int or tuple of two int, optional
        Hash with SipHash-2-4 keyed by these two 64-bit integers (one int: used for both)
        instead of FarmHash. Each must be within the int64 range (negative values are
        taken modulo 2**64, as TensorFlow does). Default None: FarmHash.
    output_mode : str
        "int" (the default): the bin indices. "one_hot": a one-hot row per input of
        width num_bins (a trailing axis of 1 is replaced). "multi_hot": one row per
        sample, 1 at each bin present (the sample axis is reduced: the last of a
        rank-2 input, axis 1 of a higher rank, as in Keras). "count": as multi_hot,
        with the number of times each bin occurs.
    sparse : bool
        Keras' sparse outputs; fastnn has no sparse tensors, so only False is
        accepted (True with output_mode="int" raises Keras' error).
    **kwargs
        The Layer arguments (name, dtype...). dtype is the output dtype: "int64" (the
        default) or "int32" for output_mode="int", "float32" or "float64" (the default
        float type) for the other modes.

    Inputs are str or bytes (in lists or NumPy arrays) or integers, of any shape.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        owner = "Hashing"
        dtype = kwargs.pop("dtype", None)
        if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):
            dtype = dtype["config"].get("name", dtype)   # a Keras dtype policy
        if num_bins is None or (isinstance(num_bins, numbers.Real)
                                and not isinstance(num_bins, (bool, np.bool_))
                                and num_bins <= 0):
            raise ValueError(f"{owner}: The `num_bins` for `Hashing` cannot be `None` or "
                             f"non-positive values. Received: num_bins={num_bins}.")
        num_bins = _argcheck.integer(num_bins, "num_bins", owner, lo=1, hi=_MAX_BINS)
        int_dtype = None
        if isinstance(output_mode, str) and output_mode == "int":
            name = "int64" if dtype is None else _dtype_name(dtype)
            if name not in ("int32", "int64"):
                raise ValueError(f"{owner}: When `output_mode=\"int\"`, `dtype` should be an "
                                 f"integer type, 'int32' or 'int64'. Received: "
                                 f"dtype={_argcheck.shown(dtype)}")
            int_dtype, dtype = name, None
        if not isinstance(output_mode, str) or output_mode not in ("int",) + _ENCODINGS:
            raise ValueError(f"{owner}: Invalid value for argument `output_mode`. Expected one "
                             f"of {('int',) + _ENCODINGS}. Received: "
                             f"output_mode={_argcheck.shown(output_mode)}")
        if output_mode != "int" and num_bins > _MAX_TOKENS:
            raise ValueError(f"{owner}: num_bins must be at most {_MAX_TOKENS} with "
                             f"output_mode={output_mode!r} (each output row has num_bins "
                             f"columns), got num_bins={num_bins}")
        if _argcheck.boolean(sparse, "sparse", owner):
            if output_mode == "int":
                raise ValueError(f"{owner}: `sparse` may only be true if `output_mode` is "
                                 f"`\"one_hot\"`, `\"multi_hot\"`, or `\"count\"`. Received: "
                                 f"sparse={sparse} and output_mode={output_mode}")
            raise ValueError(f"{owner}: sparse=True is not supported (fastnn has no sparse "
                             f"tensors), got sparse={sparse!r}")
        if mask_value is not None and (isinstance(mask_value, (bool, np.bool_)) or not
                                       isinstance(mask_value, (str, numbers.Real))):
            raise TypeError(f"{owner}: mask_value must be a str, an int, a float or None, got "
                            f"{type(mask_value).__name__} {_argcheck.shown(mask_value)}")
        if isinstance(mask_value, numbers.Integral):
            mask_value = _argcheck.integer(mask_value, "mask_value", owner,
                                           lo=-(2 ** 63), hi=2 ** 64 - 1)
        elif isinstance(mask_value, numbers.Real):
            mask_value = _argcheck.real(mask_value, "mask_value", owner)
        self.salt = _hashing.salt_pair(salt, owner)
        self.num_bins, self.mask_value = num_bins, mask_value
        self.strong_hash = self.salt is not None
        self.output_mode, self.sparse = output_mode, False
        self._int_dtype = int_dtype
        super().__init__(dtype=dtype, **kwargs)

    def _out_dtype(self):
        return self._int_dtype if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return _encoded_shape(input_shape, self.output_mode, self.num_bins)

    def _mask(self, raw):
        """Where the inputs equal mask_value (compared as Keras compares them: strings with
        strings, numbers with numbers)."""
        owner, m = self.name, self.mask_value
        kind = raw.dtype.kind
        if isinstance(m, str):
            if kind == "U":
                return raw == m
            if kind == "S":
                return raw == m.encode("utf-8")
            if kind == "O":
                key = m.encode("utf-8")
                flat = [v == m or v == key for v in raw.reshape(-1).tolist()]
                return np.array(flat, bool).reshape(raw.shape)
        elif kind in "iuf":
            return raw == m
        raise TypeError(f"{owner}: mask_value {_argcheck.shown(m)} cannot be compared with "
                        f"inputs of dtype {raw.dtype}: it must be a string for string inputs "
                        f"and a number for numeric inputs")

    def call(self, inputs):
        raw = _raw(inputs)
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = self._mask(raw)
        idx = _hashing.bucketize(raw, bins, self.salt, self.name)
        if masked is not None:
            idx = np.where(masked, 0, idx + 1)
        if self.output_mode == "int":
            return self._finish(idx.astype(self._int_dtype))
        return self._finish(_encode(idx, self.output_mode, self.num_bins, self.dtype))

    def get_config(self):
        cfg = super().get_config()
        if self.output_mode == "int":
            cfg["dtype"] = self._int_dtype
        cfg.update(num_bins=self.num_bins, salt=None if self.salt is None else list(self.salt),
                   mask_value=self.mask_value, output_mode=self.output_mode,
                   sparse=self.sparse)
        return cfg


def _dtype_name(dtype):
    try:
        return np.dtype(dtype).name
    except (TypeError, ValueError):
        return None
