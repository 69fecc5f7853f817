"""keras.ops' math functions beyond NumPy's (keras/src/ops/math.py): rsqrt, erfinv,
top_k / in_top_k, the segment reductions, logdet, extract_sequences and the Fourier
transforms (fft, fft2, ifft2, rfft, irfft, stft, istft), differentiable where Keras'
are.

A complex tensor is a pair (real part, imaginary part) of float tensors of one shape,
as in Keras' fft functions.
"""
import math
import numbers

import numpy as np

from fastnn import _argcheck
from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff.core_ops import convert_to_tensor
from fastnn.autodiff.nn_ops import _erf_obj, _float
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import _raw, _record, _state, _wrap

__all__ = ["rsqrt", "erfinv", "top_k", "in_top_k", "segment_sum", "segment_max",
           "segment_min", "segment_prod", "logdet", "extract_sequences", "fft", "fft2",
           "ifft2", "rfft", "irfft", "stft", "istft", "erfc", "gammainc", "cdist",
           "view_as_complex", "view_as_real"]


def _tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


# ====================================================================== element-wise
@register("rsqrt", args=("pos",), ref=lambda x: 1 / np.sqrt(x))
def rsqrt(x):
    """The reciprocal of the square root of x, ``1 / sqrt(x)``, element-wise (ints and
    bools are computed in float32).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    x = _float(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return P.reciprocal(P.sqrt(x))


# Coefficients of M. Giles' single-precision approximation of erfinv ("Approximating
# the erfinv function", GPU Computing Gems, 2011), refined below by Newton steps.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefs, w):
    p = np.full_like(w, coefs[0])
    for c in coefs[1:]:
        p = p * w + c
    return p


def _erfinv_raw(x):
    """erfinv in float64: Giles' approximation and three Newton steps on math.erf."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
        central = _horner(_GILES_CENTRAL, w - 2.5)
        tail = _horner(_GILES_TAIL, np.sqrt(np.maximum(w, 0)) - 3.0)
        y = np.where(w < 5.0, central, tail) * x
        inside = np.abs(x) < 1
        y = np.where(inside, y, 0.0)
        k = 2.0 / math.sqrt(math.pi)
        for _ in range(3):
            err = np.asarray(_erf_obj(y), np.float64) - x
            step = err / (k * np.exp(-y * y))
            y = np.where(inside & np.isfinite(step), y - step, y)
        return np.where(inside, y, np.where(np.abs(x) == 1, np.sign(x) * np.inf, np.nan))


@register("erfinv", args=("unit",),
          ref=lambda x: _erfinv_raw(x).astype(np.asarray(x).dtype))
def erfinv(x):
    """The inverse of the error function, element-wise: y with erf(y) = x for x in
    (-1, 1); +-inf at +-1 and nan outside [-1, 1].

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    x = _float(x)
    xr = _raw(x)
    out = _wrap(_erfinv_raw(xr).astype(xr.dtype))
    if _state.tapes:
        k = math.sqrt(math.pi) / 2
        _record((x,), (out,),
                lambda g: (P.multiply(g, P.multiply(P.exp(P.square(out)),
                                                    np.asarray(k, xr.dtype))),), "erfinv")
    return out


# ======================================================================== top k
def _stable_descending(a):
    """Indices sorting a along its last axis in descending order, equal values in their
    original order (NaN first, as the largest)."""
    n = a.shape[-1]
    return (n - 1 - np.argsort(a[..., ::-1], axis=-1, kind="stable"))[..., ::-1]


@register("top_k", args=("distinct",), cases=({"k": 2}, {"k": 4, "sorted": False}),
          ref=lambda x, k, sorted=True: (
              -np.sort(-np.asarray(x), axis=-1)[..., :k],
              np.argsort(-np.asarray(x), axis=-1, kind="stable")[..., :k].astype(np.int32)))
def top_k(x, k, sorted=True, is_stable=True):
    """The k largest values along the last axis of x and their indices.

    Parameters
    ----------
    x
        The input tensor, at least 1-D.
    k
        How many values to take, an int in [0, x.shape[-1]].
    sorted
        Whether the values come in descending order. Default True (fastnn returns them
        in descending order either way).
    is_stable
        Whether equal values keep their order (lower index first). Default True (fastnn's
        order is stable either way).

    Returns
    -------
    tuple
        (values, indices): values of x's dtype, indices int32, both of shape
        ``x.shape[:-1] + (k,)``.
    """
    _argcheck.boolean(sorted, "sorted", "top_k")
    _argcheck.boolean(is_stable, "is_stable", "top_k")
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("top_k: x must have at least 1 dimension, got a scalar")
    n = x.shape[-1]
    k = _argcheck.integer(k, "k", "top_k", lo=0, hi=n)
    idx = _stable_descending(_raw(x))[..., :k]
    values = P.take_along_axis(x, idx, axis=-1) if x.dtype.kind == "f" else \
        _wrap(np.take_along_axis(_raw(x), idx, axis=-1))
    return values, _wrap(idx.astype(np.int32))


@register("in_top_k", args=("labels", "x"), shapes=((3,), (3, 4)), grad=False,
          cases=({"k": 1}, {"k": 2}),
          ref=lambda t, p, k: (np.sum(p > np.take_along_axis(
              p, np.asarray(t)[:, None], axis=1), axis=1) < k))
def in_top_k(targets, predictions, k):
    """Whether each target class is among the k largest predictions for it: its score
    is at least the k-th largest one (a tie with it counts as in). A NaN score counts as
    the largest; a target whose own score is NaN is never in.

    Parameters
    ----------
    targets
        The integer class of each row, shape ``predictions.shape[:-1]``.
    predictions
        The scores, shape (..., classes).
    k
        How many of the largest scores count, an int >= 0.

    Returns
    -------
    Tensor
        bool, of the shape of targets.
    """
    t = np.asarray(_raw(targets))
    p = np.asarray(_raw(predictions))
    k = _argcheck.integer(k, "k", "in_top_k", lo=0)
    if p.ndim < 1:
        raise ValueError("in_top_k: predictions must have at least 1 dimension (the "
                         "classes), got a scalar")
    if t.shape != p.shape[:-1]:
        raise ValueError(f"in_top_k: targets must have the shape {p.shape[:-1]} of "
                         f"predictions without its last axis (one class per row), got "
                         f"{t.shape}")
    if t.dtype.kind == "f" and np.all(t == np.floor(t)):
        t = t.astype(np.int64)
    if t.dtype.kind not in "iu":
        raise TypeError(f"in_top_k: targets must hold integer class indices, got dtype "
                        f"{t.dtype}" + (" with non-integer values" if t.dtype.kind == "f"
                                        else ""))
    n = p.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= n):
        raise ValueError(f"in_top_k: targets must be in [0, {n}), got values in "
                         f"[{t.min()}, {t.max()}]")
    own = np.take_along_axis(p, t.astype(np.int64)[..., None], axis=-1)
    with np.errstate(invalid="ignore"):
        above = p > own
    if p.dtype.kind == "f":
        above |= np.isnan(p)
    ok = np.sum(above, axis=-1) < k
    if p.dtype.kind == "f":
        ok &= ~np.isnan(own[..., 0])
    return _wrap(ok)


# ============================================================= segment reductions
def _segments(data, segment_ids, num_segments, sorted, owner):
    """(data Tensor, int64 ids, number of segments, mask of the ids in range)."""
    data = _tensor(data)
    ids = np.asarray(_raw(segment_ids))
    _argcheck.boolean(sorted, "sorted", owner)
    if ids.ndim != 1:
        raise ValueError(f"{owner}: Argument `segment_ids` should be an 1-D vector, got "
                         f"shape {ids.shape}. Flatten it with segment_ids.reshape(-1) and "
                         f"data with data.reshape((-1,) + data.shape[segment_ids.ndim:])")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{owner}: segment_ids must hold integers, got dtype {ids.dtype}")
    if data.ndim == 0 or data.shape[0] != ids.shape[0]:
        raise ValueError(f"{owner}: Argument `segment_ids` and `data` should have same "
                         f"leading dimension. Got {ids.shape} v.s. {data.shape}.")
    if num_segments is None:
        n = int(ids.max()) + 1 if ids.size else 0
        n = max(n, 0)
    else:
        n = _argcheck.integer(num_segments, "num_segments", owner, lo=0)
    ids = ids.astype(np.int64)
    valid = (ids >= 0) & (ids < n)
    return data, ids, n, valid


def _gather_back(g, ids, valid):
    """The output gradient g (num_segments, ...) gathered to each data row (zero for
    the rows of no segment)."""
    rows = P.getitem(g, (np.where(valid, ids, 0),))
    if valid.all():
        return rows
    shape = (-1,) + (1,) * (np.ndim(_raw(g)) - 1)
    return P.multiply(rows, _wrap(valid.reshape(shape).astype(rows.dtype)))


_SEG_DOC = """The {what} of the rows of `data` in each segment: output[i] is the {what}
    of the data[j] with segment_ids[j] == i ({empty} for a segment with no row).

    Parameters
    ----------
    data
        The input tensor, its first axis the rows to reduce.
    segment_ids
        The segment of each row, a 1-D int tensor of length data.shape[0]; rows whose id
        is outside [0, num_segments) are left out.
    num_segments
        The number of segments. Default None: the largest id + 1.
    sorted
        Whether segment_ids is sorted (it may be either way; the result is the same).
        Default False.

    Returns
    -------
    Tensor
        Shape ``(num_segments,) + data.shape[1:]``, of data's dtype.
    """


def _seg_ref(reduce, empty=0):
    """The NumPy reference of a segment reduction."""
    return lambda d, segment_ids, num_segments=None: np.stack(
        [reduce(d[segment_ids == i], axis=0) if (segment_ids == i).any()
         else np.full(d.shape[1:], empty, d.dtype)
         for i in range(num_segments or segment_ids.max() + 1)])


_SEG_IDS = np.array([0, 2, 2])      # segment 1 is empty


@register("segment_sum", args=("x",), shapes=((3, 4),),
          cases=({"segment_ids": _SEG_IDS}, {"segment_ids": _SEG_IDS, "num_segments": 4}),
          ref=_seg_ref(np.sum))
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    data, ids, n, valid = _segments(data, segment_ids, num_segments, sorted, "segment_sum")
    shape = (n,) + data.shape[1:]
    rows = np.nonzero(valid)[0]
    if data.dtype.kind == "f":
        return P.scatter(P.getitem(data, (rows,)), (ids[rows],), shape)
    out = np.zeros(shape, data.dtype)
    np.add.at(out, ids[rows], _raw(data)[rows])
    return _wrap(out)


def _extreme(ufunc, name, empty):
    def reduce(data, segment_ids, num_segments=None, sorted=False):
        data, ids, n, valid = _segments(data, segment_ids, num_segments, sorted, name)
        dr = _raw(data)
        if dr.dtype.kind == "f":
            fill = empty
        elif dr.dtype.kind == "b":
            fill = empty > 0           # max: False, min: True
        else:
            info = np.iinfo(dr.dtype)
            fill = info.min if empty < 0 else info.max
        out = np.full((n,) + dr.shape[1:], fill, dr.dtype)
        ufunc.at(out, ids[valid], dr[valid])
        out = _wrap(out)
        if _state.tapes and dr.dtype.kind == "f":
            def vjp(g):
                hit = (dr == _raw(out)[np.where(valid, ids, 0)]) & \
                    valid.reshape((-1,) + (1,) * (dr.ndim - 1))
                count = np.zeros(out.shape, dr.dtype)
                np.add.at(count, ids[valid], hit[valid].astype(dr.dtype))
                share = hit / np.maximum(count[np.where(valid, ids, 0)], 1)
                return (P.multiply(_gather_back(g, ids, valid),
                                   _wrap(share.astype(dr.dtype))),)
            _record((data,), (out,), vjp, name)
        return out
    reduce.__name__ = name
    return reduce


_SEG_IDS_FULL = np.array([1, 0, 1])      # no empty segment (max and min would be -inf)
segment_max = register("segment_max", args=("distinct",), shapes=((3, 4),),
                       cases=({"segment_ids": _SEG_IDS_FULL},), ref=_seg_ref(np.max))(
    _extreme(np.maximum, "segment_max", -np.inf))
segment_min = register("segment_min", args=("distinct",), shapes=((3, 4),),
                       cases=({"segment_ids": _SEG_IDS_FULL},), ref=_seg_ref(np.min))(
    _extreme(np.minimum, "segment_min", np.inf))


@register("segment_prod", args=("nz",), shapes=((3, 4),),
          cases=({"segment_ids": _SEG_IDS},),
          ref=_seg_ref(np.prod, 1))
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    data, ids, n, valid = _segments(data, segment_ids, num_segments, sorted,
                                    "segment_prod")
    dr = _raw(data)
    out = np.ones((n,) + dr.shape[1:], dr.dtype)
    np.multiply.at(out, ids[valid], dr[valid])
    out = _wrap(out)
    if _state.tapes and dr.dtype.kind == "f":
        def vjp(g):
            gb = _gather_back(g, ids, valid)
            if np.all(dr != 0):
                return (P.multiply(gb, P.divide(P.getitem(out, (np.where(valid, ids, 0),)),
                                                data)),)
            # zeros: the product of the other rows of the segment
            others = np.zeros_like(dr)
            for s in np.unique(ids[valid]):
                rows = np.nonzero(valid & (ids == s))[0]
                others[rows] = P._prod_others(dr[rows], (0,))
            return (P.multiply(gb, _wrap(others)),)
        _record((data,), (out,), vjp, "segment_prod")
    return out


for _f, _what, _empty in ((segment_sum, "sum", "0"), (segment_max, "maximum",
                                                       "the dtype's lowest value, -inf"),
                          (segment_min, "minimum", "the dtype's highest value, inf"),
                          (segment_prod, "product", "1")):
    _f.__doc__ = _SEG_DOC.format(what=_what, empty=_empty)


# ======================================================================= logdet
@register("logdet", args=("spd",), shapes=((2, 3, 3),),
          ref=lambda x: np.linalg.slogdet(x)[1])
def logdet(x):
    """The natural logarithm of the determinant of each square matrix in the last two
    axes of x (nan where the determinant is negative, -inf where it is 0).

    Parameters
    ----------
    x
        The input tensor, shape (..., n, n).
    """
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"logdet: x must hold square matrices in its last two axes, shape "
                         f"(..., n, n), got shape {x.shape}")
    xr = _raw(x)
    sign, logabs = np.linalg.slogdet(xr)
    with np.errstate(invalid="ignore"):
        r = np.where(sign > 0, logabs, np.where(sign == 0, -np.inf, np.nan))
    out = _wrap(np.asarray(r, xr.dtype))
    if _state.tapes:
        def vjp(g):
            gm = P.reshape(g, np.shape(_raw(g)) + (1, 1))
            return (P.multiply(gm, P.swapaxes(P.inv(x), -1, -2)),)
        _record((x,), (out,), vjp, "logdet")
    return out


# ============================================================ extract_sequences
@register("extract_sequences", shapes=((2, 7),),
          cases=({"sequence_length": 3, "sequence_stride": 2},
                 {"sequence_length": 4, "sequence_stride": 1}),
          ref=lambda x, sequence_length, sequence_stride: np.stack(
              [x[..., i:i + sequence_length] for i in
               range(0, x.shape[-1] - sequence_length + 1, sequence_stride)], axis=-2))
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` consecutive values along the last axis of x, every
    `sequence_stride` values.

    Parameters
    ----------
    x
        The input tensor, at least 1-D.
    sequence_length
        The length of each frame, an int >= 1.
    sequence_stride
        The step between the starts of two frames, an int >= 1.

    Returns
    -------
    Tensor
        Shape ``x.shape[:-1] + (num_frames, sequence_length)`` with
        ``num_frames = 1 + (x.shape[-1] - sequence_length) // sequence_stride`` (0 when
        x.shape[-1] < sequence_length).
    """
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError(f"extract_sequences: Input should have rank >= 1. Received: "
                         f"input.shape = {x.shape}")
    length = _argcheck.integer(sequence_length, "sequence_length", "extract_sequences",
                               lo=1)
    stride = _argcheck.integer(sequence_stride, "sequence_stride", "extract_sequences",
                               lo=1)
    n = x.shape[-1]
    frames = max(0, 1 + (n - length) // stride) if n >= length else 0
    idx = np.arange(frames)[:, None] * stride + np.arange(length)[None, :]
    return P.getitem(x, (Ellipsis, idx))


# ======================================================================= Fourier
def _complex_pair(x, owner, min_rank):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{owner}: Input `x` should be a tuple of two tensors - real and "
                         f"imaginary. Received: x={_argcheck.shown(x)}")
    re, im = _float(x[0]), _float(x[1])
    if re.dtype != im.dtype:
        dt = np.result_type(re.dtype, im.dtype)
        re, im = P.cast(re, dt), P.cast(im, dt)
    if re.shape != im.shape:
        raise ValueError(f"{owner}: Both the real and imaginary parts should have the same "
                         f"shape. Received: x[0].shape = {re.shape}, x[1].shape = "
                         f"{im.shape}")
    if re.ndim < min_rank:
        raise ValueError(f"{owner}: Input should have rank >= {min_rank}. Received: "
                         f"input.shape = {re.shape}")
    return re, im


def _zeros(x):
    return _wrap(np.zeros(x.shape, x.dtype))


def _fft_ref(fn, axes_kw):
    def ref(re, im):
        c = fn(np.asarray(re) + 1j * np.asarray(im), **axes_kw)
        return c.real.astype(np.asarray(re).dtype), c.imag.astype(np.asarray(re).dtype)
    return ref


def _fft_pair(fn):
    return lambda re, im: fn((re, im))


def fft(x):
    """The discrete Fourier transform along the last axis of a complex tensor.

    Parameters
    ----------
    x
        A tuple (real, imag) of float tensors of one shape, at least 1-D.

    Returns
    -------
    tuple
        (real, imag) of the transform, of x's shape.
    """
    re, im = _complex_pair(x, "fft", 1)
    return P.fftn(re, im, (re.ndim - 1,))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of a complex tensor.

    Parameters
    ----------
    x
        A tuple (real, imag) of float tensors of one shape, at least 2-D.

    Returns
    -------
    tuple
        (real, imag) of the transform, of x's shape.
    """
    re, im = _complex_pair(x, "fft2", 2)
    return P.fftn(re, im, (re.ndim - 2, re.ndim - 1))


def ifft2(x):
    """The inverse of fft2: the 2-D inverse discrete Fourier transform over the last
    two axes (scaled by 1 / (rows * columns)).

    Parameters
    ----------
    x
        A tuple (real, imag) of float tensors of one shape, at least 2-D.

    Returns
    -------
    tuple
        (real, imag) of the transform, of x's shape.
    """
    re, im = _complex_pair(x, "ifft2", 2)
    return P.fftn(re, im, (re.ndim - 2, re.ndim - 1), inverse=True)


register("fft", args=("x", "x"), ref=_fft_ref(np.fft.fft, {}))(_fft_pair(fft))
register("fft2", args=("x", "x"), ref=_fft_ref(np.fft.fft2, {}))(_fft_pair(fft2))
register("ifft2", args=("x", "x"), ref=_fft_ref(np.fft.ifft2, {}))(_fft_pair(ifft2))


def _fit_last(x, n):
    """x cropped or zero-padded to length n along its last axis."""
    m = x.shape[-1]
    if m > n:
        return P.getitem(x, (Ellipsis, slice(0, n)))
    if m < n:
        return P.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - m)])
    return x


def _fft_length(fft_length, default, owner):
    if fft_length is None:
        return default
    return _argcheck.integer(fft_length, "fft_length", owner, lo=1)


@register("rfft", cases=({}, {"fft_length": 6}),
          ref=lambda x, fft_length=None: tuple(
              p.astype(np.asarray(x).dtype) for p in (
                  np.fft.rfft(x, n=fft_length).real, np.fft.rfft(x, n=fft_length).imag)))
def rfft(x, fft_length=None):
    """The discrete Fourier transform of a real tensor along its last axis, the
    ``fft_length // 2 + 1`` non-negative frequencies.

    Parameters
    ----------
    x
        The real input tensor, at least 1-D.
    fft_length
        The length of the transform: x is cropped or zero-padded to it along its last
        axis. Default None: x.shape[-1].

    Returns
    -------
    tuple
        (real, imag), shape ``x.shape[:-1] + (fft_length // 2 + 1,)``.
    """
    x = _float(x)
    if x.ndim < 1:
        raise ValueError(f"rfft: Input should have rank >= 1. Received: input.shape = "
                         f"{x.shape}")
    n = _fft_length(fft_length, x.shape[-1], "rfft")
    xs = _fit_last(x, n)
    re, im = P.fftn(xs, _zeros(xs), (xs.ndim - 1,))
    half = (Ellipsis, slice(0, n // 2 + 1))
    return P.getitem(re, half), P.getitem(im, half)


def irfft(x, fft_length=None):
    """The inverse of rfft: the real signal of length `fft_length` whose discrete Fourier
    transform has the non-negative frequencies x (the others are their conjugates).

    Parameters
    ----------
    x
        A tuple (real, imag) of float tensors of one shape, at least 1-D: the
        non-negative frequencies along the last axis.
    fft_length
        The length of the output. Default None: ``2 * (x.shape[-1] - 1)``. The input is
        cropped or zero-padded to ``fft_length // 2 + 1`` frequencies.

    Returns
    -------
    Tensor
        The real signal, shape ``x.shape[:-1] + (fft_length,)``.
    """
    re, im = _complex_pair(x, "irfft", 1)
    n = _fft_length(fft_length, 2 * (re.shape[-1] - 1), "irfft")
    if n < 1:
        raise ValueError(f"irfft: the output length must be >= 1; with fft_length None it "
                         f"is 2 * (x.shape[-1] - 1), got x.shape[-1] = {re.shape[-1]}")
    m = n // 2 + 1
    re, im = _fit_last(re, m), _fit_last(im, m)
    # the negative frequencies: conjugates of frequencies n - m .. 1, reversed
    mirror = (Ellipsis, np.arange(n - m, 0, -1))
    full_re = P.concatenate([re, P.getitem(re, mirror)], axis=-1)
    full_im = P.concatenate([im, P.negative(P.getitem(im, mirror))], axis=-1)
    out, _ = P.fftn(full_re, full_im, (full_re.ndim - 1,), inverse=True)
    return out


register("irfft", args=("x", "x"), shapes=((2, 4), (2, 4)), cases=({}, {"fft_length": 5}),
         ref=lambda re, im, fft_length=None: np.fft.irfft(
             np.asarray(re) + 1j * np.asarray(im), n=fft_length).astype(
                 np.asarray(re).dtype))(
    lambda re, im, fft_length=None: irfft((re, im), fft_length))


# ================================================================ STFT / ISTFT
def _stft_window(window, sequence_length, fft_length, dtype, owner):
    """The analysis window of `sequence_length` values (a periodic Hann or Hamming
    window by name, the given values, or ones for None), zero-padded in the middle of
    `fft_length` values."""
    if window is None:
        return np.ones(fft_length, dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{owner}: If a string is passed to `window`, it must be one "
                             f"of `\"hann\"`, `\"hamming\"`. Received: window={window!r}")
        if sequence_length == 1:
            win = np.ones(1)
        else:
            a = 0.5 if window == "hann" else 0.54
            win = a - (1 - a) * np.cos(2 * np.pi * np.arange(sequence_length) /
                                       sequence_length)
    else:
        win = np.asarray(_raw(window), np.float64)
        if win.ndim != 1 or win.shape[0] != sequence_length:
            raise ValueError(f"{owner}: The shape of `window` must be equal to "
                             f"[sequence_length] = [{sequence_length}]. Received: window "
                             f"shape={win.shape}")
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left)).astype(dtype)


def _stft_lengths(sequence_length, sequence_stride, fft_length, owner):
    if isinstance(sequence_stride, (bool, np.bool_)) or \
            not isinstance(sequence_stride, numbers.Integral) or sequence_stride <= 0:
        raise ValueError(f"{owner}: `sequence_stride` must be a positive integer. "
                         f"Received: sequence_stride={sequence_stride!r}")
    length = _argcheck.integer(sequence_length, "sequence_length", owner, lo=1)
    n = _argcheck.integer(fft_length, "fft_length", owner, lo=1)
    if n < length:
        raise ValueError(f"{owner}: `fft_length` must equal or larger than "
                         f"`sequence_length`. Received: sequence_length={length}, "
                         f"fft_length={n}")
    return length, int(sequence_stride), n


def _reflect_indices(n, pad):
    """Indices of an axis of n values padded by `pad` on each side by reflection (the
    edge value not repeated), as numpy.pad's mode 'reflect'."""
    idx = np.arange(-pad, n + pad)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.mod(idx, period)
    return np.where(idx >= n, period - idx, idx)


def _stft_ref(x, sequence_length, sequence_stride, fft_length, window="hann",
              center=True):
    x = np.asarray(x, np.float64)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2,) * 2], mode="reflect")
    win = _stft_window(window, sequence_length, fft_length, np.float64, "stft")
    starts = range(0, x.shape[-1] - fft_length + 1, sequence_stride)
    spec = np.stack([np.fft.rfft(x[..., s:s + fft_length] * win) for s in starts], -2)
    return spec.real, spec.imag


@register("stft", shapes=((2, 20),),
          cases=({"sequence_length": 8, "sequence_stride": 4, "fft_length": 8},
                 {"sequence_length": 5, "sequence_stride": 3, "fft_length": 8,
                  "window": "hamming", "center": False},
                 {"sequence_length": 6, "sequence_stride": 2, "fft_length": 6,
                  "window": None}),
          ref=lambda x, **kw: tuple(p.astype(x.dtype) for p in _stft_ref(x, **kw)))
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis of x: the discrete Fourier
    transforms (fft_length // 2 + 1 frequencies) of windowed frames of x every
    `sequence_stride` values.

    Parameters
    ----------
    x
        The real input tensor, float32 or float64, at least 1-D.
    sequence_length
        The length of the window, at most fft_length (the window is zero-padded to
        fft_length, centred).
    sequence_stride
        The step between the starts of two frames, an int >= 1.
    fft_length
        The length of each frame and of its Fourier transform.
    window
        "hann" or "hamming" (periodic windows of sequence_length values), the window's
        values (sequence_length of them), or None (no windowing). Default "hann".
    center
        Whether x is padded by reflection with fft_length // 2 values on each side, so
        that frame t is centred on x[t * sequence_stride]. Default True.

    Returns
    -------
    tuple
        (real, imag), shape ``x.shape[:-1] + (num_frames, fft_length // 2 + 1)``.
    """
    length, stride, n = _stft_lengths(sequence_length, sequence_stride, fft_length, "stft")
    x = _tensor(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"stft: Invalid input type. Expected `float32` or `float64`. "
                        f"Received: input type={x.dtype}")
    if x.ndim < 1:
        raise ValueError(f"stft: Input should have rank >= 1. Received: input.shape = "
                         f"{x.shape}")
    _argcheck.boolean(center, "center", "stft")
    win = _stft_window(window, length, n, x.dtype, "stft")
    if center:
        x = P.getitem(x, (Ellipsis, _reflect_indices(x.shape[-1], n // 2)))
    frames = P.multiply(extract_sequences(x, n, stride), _wrap(win))
    return rfft(frames)


def _istft_ref(x_re, x_im, sequence_length, sequence_stride, fft_length, length=None,
               window="hann", center=True):
    frames = np.fft.irfft(np.asarray(x_re) + 1j * np.asarray(x_im), n=fft_length)
    num = frames.shape[-2]
    total = fft_length + sequence_stride * (num - 1)
    out = np.zeros(frames.shape[:-2] + (total,))
    norm = np.zeros(total)
    win = _stft_window(window, sequence_length, fft_length, np.float64, "istft")
    for t in range(num):
        s = t * sequence_stride
        out[..., s:s + fft_length] += frames[..., t, :] * (win if window is not None else 1)
        norm[s:s + fft_length] += win * win
    if window is not None:
        out = np.where(norm > 1e-10, out / np.where(norm > 1e-10, norm, 1), out)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else total - (start if center else 0)
    return out[..., start:end].astype(np.asarray(x_re).dtype)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of stft: the frames' inverse Fourier transforms, windowed and
    overlap-added, divided by the overlap-added squared window (where it is not ~0), so
    that istft(stft(x)) gives x back with the same arguments. With window=None the
    frames are overlap-added as they are.

    Parameters
    ----------
    x
        A tuple (real, imag) of float tensors of one shape (..., num_frames, frequencies),
        at least 2-D.
    sequence_length
        The length of the window, at most fft_length.
    sequence_stride
        The step between the starts of two frames, an int >= 1.
    fft_length
        The length of each frame's inverse Fourier transform.
    length
        The length of the output (cropped or zero-padded to it). Default None: all the
        overlap-added values, less the padding of center.
    window
        "hann", "hamming", the window's values or None, as in stft. Default "hann".
    center
        Whether stft padded its input (the fft_length // 2 values on each side are
        dropped). Default True.

    Returns
    -------
    Tensor
        Shape ``x.shape[:-2] + (output length,)``.
    """
    seq, stride, n = _stft_lengths(sequence_length, sequence_stride, fft_length, "istft")
    re, im = _complex_pair(x, "istft", 2)
    _argcheck.boolean(center, "center", "istft")
    length = _argcheck.integer(length, "length", "istft", lo=0, allow_none=True)
    win = _stft_window(window, seq, n, re.dtype, "istft")
    frames = irfft((re, im), fft_length=n)
    num = frames.shape[-2]
    total = n + stride * (num - 1)
    idx = np.arange(num)[:, None] * stride + np.arange(n)[None, :]
    if window is not None:
        frames = P.multiply(frames, _wrap(win))
    out = P.scatter(frames, (Ellipsis, idx), frames.shape[:-2] + (total,))
    if window is not None:
        norm = np.zeros(total, re.dtype)
        np.add.at(norm, idx, np.broadcast_to(win * win, idx.shape))
        big = norm > 1e-10
        out = P.multiply(out, _wrap(np.where(big, 1 / np.where(big, norm, 1), 1)
                                    .astype(re.dtype)))
    start = n // 2 if center else 0
    end = start + length if length is not None else total - (start if center else 0)
    if end > total:
        out = P.pad(out, [(0, 0)] * (out.ndim - 1) + [(0, end - total)])
    return P.getitem(out, (Ellipsis, slice(start, end)))


register("istft", args=("x", "x"), shapes=((2, 5, 5), (2, 5, 5)),
         cases=({"sequence_length": 8, "sequence_stride": 4, "fft_length": 8},
                {"sequence_length": 6, "sequence_stride": 2, "fft_length": 8,
                 "window": "hamming", "center": False, "length": 12},
                {"sequence_length": 8, "sequence_stride": 4, "fft_length": 8,
                 "window": None}),
         ref=_istft_ref)(lambda re, im, **kw: istft((re, im), **kw))


# ====================================================== erfc, gammainc, cdist, views
_erfc_obj = np.frompyfunc(math.erfc, 1, 1)
_lgamma_obj = np.frompyfunc(math.lgamma, 1, 1)


def _erfc_ref(x):
    x = np.asarray(x)
    return np.asarray(_erfc_obj(x.astype(np.float64)), np.float64).astype(x.dtype)


@register("erfc", ref=_erfc_ref)
def erfc(x):
    """The complementary error function, ``1 - erf(x)``, element-wise, computed without
    the cancellation of ``1 - erf(x)`` for large ``x`` (through math.erfc: exact, not
    vectorised). Integers and booleans are computed in float32.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    x = _float(x)
    xr = _raw(x)
    out = _wrap(_erfc_ref(xr))
    if _state.tapes:
        k = -2 / math.sqrt(math.pi)
        _record((x,), (out,),
                lambda g: (P.multiply(g, P.multiply(P.exp(P.negative(P.square(x))),
                                                    np.asarray(k, xr.dtype))),), "erfc")
    return out


def _lgamma(a):
    return np.asarray(_lgamma_obj(a), np.float64)


def _gammainc_f64(a, x):
    """The regularized lower incomplete gamma function P(a, x) in float64: its power
    series where x < a + 1, else 1 - Q(a, x) with Q's continued fraction (modified
    Lentz), both to full double precision (Numerical Recipes, section 6.2)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x >= 0) & ~np.isnan(a) & ~np.isnan(x)
    out[ok & (x == 0)] = 0.0
    out[ok & np.isposinf(x)] = 1.0
    todo = ok & (x > 0) & np.isfinite(x) & np.isfinite(a)
    out[ok & np.isposinf(a) & np.isfinite(x)] = 0.0
    ser = todo & (x < a + 1)
    cf = todo & ~ser
    if ser.any():
        aa, xx = a[ser], x[ser]
        term = 1.0 / aa
        total = term.copy()
        ap = aa.copy()
        for _ in range(10000):
            ap = ap + 1
            term = term * xx / ap
            total = total + term
            if np.all(np.abs(term) < np.abs(total) * 1e-17):
                break
        out[ser] = total * np.exp(-xx + aa * np.log(xx) - _lgamma(aa))
    if cf.any():
        aa, xx = a[cf], x[cf]
        tiny = 1e-300
        b = xx + 1 - aa
        c = np.full_like(b, 1 / tiny)
        d = 1 / b
        h = d.copy()
        for i in range(1, 10000):
            an = -i * (i - aa)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if np.all(np.abs(delta - 1) < 1e-16):
                break
        out[cf] = 1 - np.exp(-xx + aa * np.log(xx) - _lgamma(aa)) * h
    return out


@register("gammainc", args=("pos",), shapes=((3, 4),),
          cases=({"a": 0.7}, {"a": 1.0}, {"a": 3.5}),
          ref=lambda x, a: np.asarray(
              [[_gammainc_series_ref(a, float(v)) for v in row]
               for row in np.asarray(x, np.float64)]).astype(np.asarray(x).dtype))
def _gammainc_of_x(x, a):
    # gammainc as a function of its second argument (the gradient fastnn provides)
    return gammainc(a, x)


def _gammainc_series_ref(a, x):
    """P(a, x) by its power series summed in Python with math.fsum (the tests'
    reference: a slower, independent computation)."""
    terms = [1.0 / a]
    n = 0
    while abs(terms[-1]) > 1e-18 * abs(terms[0]) or n < 5:
        n += 1
        terms.append(terms[-1] * x / (a + n))
    return math.fsum(terms) * math.exp(-x + a * math.log(x) - math.lgamma(a))


def gammainc(x1, x2):
    """The regularized lower incomplete gamma function,
    ``P(x1, x2) = 1 / Gamma(x1) * integral from 0 to x2 of t**(x1 - 1) exp(-t) dt``,
    element-wise with broadcasting (NaN where ``x1 <= 0`` or ``x2 < 0``). Integers are
    computed in float32.

    The gradient flows to ``x2`` (``x2**(x1 - 1) exp(-x2) / Gamma(x1)``); none is
    defined with respect to the shape parameter ``x1``.

    Parameters
    ----------
    x1
        The shape parameter ``a`` (positive).
    x2
        The upper limit of the integral (non-negative), broadcast against ``x1``.
    """
    def plain(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    # a Python number takes the other operand's float dtype
    a = _float(x1) if not plain(x1) or plain(x2) else None
    x = _float(x2) if not plain(x2) or plain(x1) else None
    a = convert_to_tensor(x1, x.dtype) if a is None else a
    x = convert_to_tensor(x2, a.dtype) if x is None else x
    dt = np.result_type(a.dtype, x.dtype)
    if a.dtype != dt:
        a = P.cast(a, dt)
    if x.dtype != dt:
        x = P.cast(x, dt)
    ar, xr = _raw(a), _raw(x)
    with np.errstate(all="ignore"):
        out = _wrap(_gammainc_f64(ar, xr).astype(dt))
    if _state.tapes:
        shape = out.shape

        def vjp(g):
            af = np.broadcast_to(ar, shape)
            with np.errstate(all="ignore"):
                logc = np.asarray(-_lgamma(np.asarray(af, np.float64)).reshape(shape), dt)
                am1 = np.asarray(af - 1, dt)
            xb = P.broadcast_to(x, shape) if x.shape != shape else x
            dens = P.exp(P.add(P.subtract(P.multiply(am1, P.log(xb)), xb), logc))
            gx = P.multiply(g, dens)
            if x.shape != shape:
                gx = P._sum_to(gx, x)
            return (gx,)
        _record((x,), (out,), vjp, "gammainc")
    return out


@register("cdist", args=("x", "x"), shapes=((2, 3, 4), (5, 4)),
          ref=lambda x, y: np.sqrt(np.sum((x[..., :, None, :] - y[..., None, :, :]) ** 2,
                                          axis=-1)))
def cdist(x, y):
    """The Euclidean distance between each vector of ``x`` and each vector of ``y``:
    for ``x`` of shape ``(..., m, d)`` and ``y`` of shape ``(..., n, d)`` (batch axes
    broadcast), the ``(..., m, n)`` tensor of ``||x[..., i, :] - y[..., j, :]||``.
    Integers are computed in float32.

    Parameters
    ----------
    x
        The first collection of vectors, rank 2 or more.
    y
        The second collection of vectors, rank 2 or more, with ``x``'s last axis.
    """
    x = _float(x)
    y = _float(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"cdist: x and y must have rank 2 or more, shape (..., m, d) and "
                         f"(..., n, d), got shapes {x.shape} and {y.shape}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"cdist: x and y must have the same last axis (the vectors' "
                         f"length), got shapes {x.shape} and {y.shape}")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(f"cdist: the batch axes of x and y must broadcast together, got "
                         f"shapes {x.shape} and {y.shape}") from None
    if x.dtype != y.dtype:
        dt = np.result_type(x.dtype, y.dtype)
        x, y = P.cast(x, dt), P.cast(y, dt)
    diff = P.subtract(P.expand_dims(x, -2), P.expand_dims(y, -3))
    return P.sqrt(P.sum(P.square(diff), axis=-1))


@register("view_as_complex", args=("x",), shapes=((3, 2),), grad=False,
          ref=lambda x: (x[..., 0] + 1j * x[..., 1]).astype(np.complex64))
def view_as_complex(x):
    """The complex tensor whose real and imaginary parts are the two entries of ``x``'s
    last axis: shape ``x.shape[:-1]``, complex64 (Keras' dtype, float64 parts too).

    Parameters
    ----------
    x
        A real tensor whose last axis has size 2.
    """
    x = _tensor(x)
    if x.dtype.kind == "c":
        raise TypeError(f"view_as_complex: x must be a real tensor, got {x.dtype}")
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"view_as_complex: x's last dimension must be size 2 (the real and "
                         f"imaginary parts), got shape {x.shape}")
    xr = _raw(x)
    out = np.empty(x.shape[:-1], np.complex64)
    out.real = xr[..., 0]
    out.imag = xr[..., 1]
    return _wrap(out)


@register("view_as_real", args=("x",), grad=False,
          ref=lambda x: np.stack([x, np.zeros_like(x)], axis=-1))
def view_as_real(x):
    """The real and imaginary parts of ``x`` stacked along a new last axis of size 2:
    complex64 gives float32, complex128 float64; a real tensor gives itself and zeros.

    Parameters
    ----------
    x
        A complex (or real) tensor.
    """
    x = _tensor(x)
    xr = _raw(x)
    return _wrap(np.stack([np.real(xr), np.imag(xr)], axis=-1))
