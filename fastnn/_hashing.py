"""Stable string hashes, bit-exact with TensorFlow's string-to-bucket ops.

Two 64-bit hashes, written in pure Python from the algorithms' definitions:

* ``fingerprint64``: FarmHash's ``Fingerprint64`` (its ``farmhashna::Hash64``), the
  hash of ``tf.strings.to_hash_bucket_fast``, which Keras' ``Hashing`` layer and the
  lookup layers' OOV buckets use by default;
* ``siphash64``: SipHash-2-4 keyed with two 64-bit integers, the hash of
  ``tf.strings.to_hash_bucket_strong`` (Keras' ``salt``).

A bucket is the hash modulo the number of buckets (``hash_buckets`` does this for an
array of byte strings). Arithmetic is on Python ints masked to 64 bits, so it wraps
around exactly as the C definitions do.
"""
import numbers
import struct

import numpy as np

from fastnn import _argcheck

_M = 0xFFFFFFFFFFFFFFFF

# FarmHash's constants (farmhash.cc: k0, k1, k2)
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F

_u64 = struct.Struct("<Q").unpack_from
_u32 = struct.Struct("<I").unpack_from


def _f64(s, i):
    return _u64(s, i)[0]


def _f32(s, i):
    return _u32(s, i)[0]


def _rot(v, shift):
    """Rotate a 64-bit value right by shift bits (0 < shift < 64)."""
    return ((v >> shift) | (v << (64 - shift))) & _M


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _hash_len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_f64(s, 0) + _K2) & _M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _f32(s, 0)
        return _hash_len16(n + (a << 3), _f32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = (a + (b << 8)) & 0xFFFFFFFF
        z = (n + (c << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _hash_len17to32(s, n):
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K1) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    return _hash_len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                       (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)


def _hash_len33to64(s, n):
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K2) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _hash_len16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_f64(s, 16) * mul) & _M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M
    h = ((z + _f64(s, n - 24)) * mul) & _M
    return _hash_len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                       (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak_hash_len32_with_seeds(s, i, a, b):
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(data):
    """FarmHash's Fingerprint64 of a byte string.

    Parameters
    ----------
    data : bytes
        The bytes to hash (a str must be encoded first; TensorFlow hashes its UTF-8).

    Returns
    -------
    int
        The hash, an integer in [0, 2**64).
    """
    s = bytes(data)
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s, n)
    if n <= 32:
        return _hash_len17to32(s, n)
    if n <= 64:
        return _hash_len33to64(s, n)
    seed = 81
    y = (seed * _K1 + 113) & _M
    z = (_shift_mix((y * _K2 + 113) & _M) * _K2) & _M
    v0 = v1 = w0 = w1 = 0
    x = (seed * _K2 + _f64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v1 + _f64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w1
        y = (y + v0 + _f64(s, i + 40)) & _M
        z = (_rot((z + w0) & _M, 33) * _K1) & _M
        v0, v1 = _weak_hash_len32_with_seeds(s, i, (v1 * _K1) & _M, (x + w0) & _M)
        w0, w1 = _weak_hash_len32_with_seeds(s, i + 32, (z + w1) & _M,
                                             (y + _f64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _M
    v0 = (v0 + w0) & _M
    w0 = (w0 + v0) & _M
    x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v1 + _f64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w1 * 9) & _M
    y = (y + v0 * 9 + _f64(s, i + 40)) & _M
    z = (_rot((z + w0) & _M, 33) * mul) & _M
    v0, v1 = _weak_hash_len32_with_seeds(s, i, (v1 * mul) & _M, (x + w0) & _M)
    w0, w1 = _weak_hash_len32_with_seeds(s, i + 32, (z + w1) & _M, (y + _f64(s, i + 16)) & _M)
    z, x = x, z
    return _hash_len16((_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _M,
                       (_hash_len16(v1, w1, mul) + x) & _M, mul)


def _sip_rounds(v0, v1, v2, v3, rounds):
    for _ in range(rounds):
        v0 = (v0 + v1) & _M
        v1 = ((v1 << 13) | (v1 >> 51)) & _M
        v1 ^= v0
        v0 = ((v0 << 32) | (v0 >> 32)) & _M
        v2 = (v2 + v3) & _M
        v3 = ((v3 << 16) | (v3 >> 48)) & _M
        v3 ^= v2
        v0 = (v0 + v3) & _M
        v3 = ((v3 << 21) | (v3 >> 43)) & _M
        v3 ^= v0
        v2 = (v2 + v1) & _M
        v1 = ((v1 << 17) | (v1 >> 47)) & _M
        v1 ^= v2
        v2 = ((v2 << 32) | (v2 >> 32)) & _M
    return v0, v1, v2, v3


def siphash64(key, data):
    """SipHash-2-4 of a byte string with a 128-bit key given as two 64-bit integers.

    Parameters
    ----------
    key : tuple of two int
        The key's two 64-bit halves (k0, k1), as TensorFlow's ``to_hash_bucket_strong``
        takes them; each is taken modulo 2**64 (a negative value wraps around).
    data : bytes
        The bytes to hash.

    Returns
    -------
    int
        The hash, an integer in [0, 2**64).
    """
    k0, k1 = int(key[0]) & _M, int(key[1]) & _M
    s = bytes(data)
    n = len(s)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    full = n - (n % 8)
    for i in range(0, full, 8):
        m = _f64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(s[full:], "little")
    v3 ^= last
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def hash_buckets(keys, num_buckets, salt=None):
    """Hash byte strings into buckets, as TensorFlow's ``to_hash_bucket_fast`` (no salt:
    FarmHash Fingerprint64) and ``to_hash_bucket_strong`` (salt: keyed SipHash-2-4) do:
    the 64-bit hash modulo ``num_buckets``.

    Parameters
    ----------
    keys : sequence of bytes
        The byte strings.
    num_buckets : int
        The number of buckets, at least 1.
    salt : tuple of two int, optional
        The SipHash key; None (the default) uses FarmHash.

    Returns
    -------
    numpy.ndarray
        int64 bucket indices in [0, num_buckets), one per key.
    """
    if salt is None:
        out = [fingerprint64(k) % num_buckets for k in keys]
    else:
        key = (int(salt[0]), int(salt[1]))
        out = [siphash64(key, k) % num_buckets for k in keys]
    return np.array(out, dtype=np.int64).reshape(len(out))


def salt_pair(salt, owner):
    """Keras' `salt` argument checked: None, or the SipHash key as the list [k0, k1].

    Parameters
    ----------
    salt : None, int or tuple / list of two int
        One int is used for both halves of the key. Each must be within the int64 range,
        as TensorFlow's key attribute takes them.
    owner : str
        The layer class named in error messages.

    Returns
    -------
    list of two int or None
    """
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        pair = list(salt)
    elif isinstance(salt, numbers.Integral) and not isinstance(salt, (bool, np.bool_)):
        pair = [salt, salt]
    else:
        raise ValueError(f"{owner}: The `salt` argument for `{owner}` can only be a tuple of "
                         f"size 2 integers, or a single integer. Received: "
                         f"salt={_argcheck.shown(salt)}.")
    return [_argcheck.integer(v, "salt", owner, lo=-(2 ** 63), hi=2 ** 63 - 1) for v in pair]


_INT64_LIMIT = 2.0 ** 63


def _key_of(v, owner):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
        if not -(2 ** 63) <= int(v) < 2 ** 64:
            raise ValueError(f"{owner}: integer inputs must fit int64 or uint64, got "
                             f"{_argcheck.shown(v)}")
        return str(int(v)).encode("ascii")
    raise TypeError(f"{owner}: inputs must be strings (str or bytes) or integers, got an "
                    f"element of type {type(v).__name__} {_argcheck.shown(v)}")


def input_keys(raw, owner):
    """The byte strings TensorFlow hashes for an array of inputs: str as UTF-8, bytes as
    they are, integers as their decimal digits (tf.strings.as_string), floats cut to
    int64 first and bools as "true" / "false" (as Keras' Hashing layer converts them).

    Parameters
    ----------
    raw : numpy.ndarray
        The inputs (any shape): a unicode, bytes, integer, float, bool or object array
        (of str, bytes and integers within int64 or uint64).
    owner : str
        The name error messages give.

    Returns
    -------
    tuple of (list of bytes, numpy.ndarray)
        The distinct keys, and for each input the position of its key (raw's shape).
    """
    kind = raw.dtype.kind
    if kind == "O":
        memo, keys = {}, []
        flat = raw.reshape(-1)
        inverse = np.empty(flat.shape, np.int64)
        for j, v in enumerate(flat):
            k = _key_of(v, owner)
            pos = memo.get(k)
            if pos is None:
                pos = memo[k] = len(keys)
                keys.append(k)
            inverse[j] = pos
        return keys, inverse.reshape(raw.shape)
    if kind == "f":
        bad = ~np.isfinite(raw) | (raw >= _INT64_LIMIT) | (raw < -_INT64_LIMIT)
        if np.any(bad):
            raise ValueError(f"{owner}: float inputs are hashed as integers (cut to int64), "
                             f"so they must be finite and within the int64 range, got "
                             f"{_argcheck.shown(raw[bad][:8].tolist())}")
        raw = np.trunc(raw).astype(np.int64)
        kind = "i"
    if kind not in "USiub":
        raise TypeError(f"{owner}: inputs must be strings (str or bytes) or integers, got "
                        f"dtype {raw.dtype}")
    uniq, inverse = np.unique(raw.reshape(-1), return_inverse=True)
    values = uniq.tolist()
    if kind == "U":
        keys = [v.encode("utf-8") for v in values]
    elif kind == "S":
        keys = values
    elif kind == "b":
        keys = [b"true" if v else b"false" for v in values]
    else:
        keys = [str(v).encode("ascii") for v in values]
    return keys, inverse.reshape(raw.shape)


def bucketize(raw, num_buckets, salt=None, owner="hash"):
    """The hash bucket of every input, as TensorFlow's ``to_hash_bucket_fast`` (or, with
    ``salt``, ``to_hash_bucket_strong``) gives it for the keys ``input_keys`` makes.

    Parameters
    ----------
    raw : numpy.ndarray
        The inputs, as ``input_keys`` takes them.
    num_buckets : int
        The number of buckets, at least 1.
    salt : tuple of two int, optional
        The SipHash key; None (the default) uses FarmHash.
    owner : str
        The name error messages give.

    Returns
    -------
    numpy.ndarray
        int64 bucket indices in [0, num_buckets), of raw's shape.
    """
    keys, inverse = input_keys(raw, owner)
    return hash_buckets(keys, num_buckets, salt)[inverse] if keys else \
        np.zeros(raw.shape, np.int64)
