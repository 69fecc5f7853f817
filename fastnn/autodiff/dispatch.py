"""NumPy on Tensors, recorded: the `__array_ufunc__` / `__array_function__` protocols
and a few methods, set on `fastnn.tensor.Tensor` while a tape is active in any thread.

While no tape is active anywhere, none of this is on the class: NumPy on Tensors and
Variables is plain NumPy at its own speed. While one is, an operation whose inputs a
recording tape of this thread tracks goes to the differentiable primitives
(`primitives.py`); every other call (another thread's, an untracked one, one writing
to `out=`) computes exactly as NumPy does on ndarrays and returns the same types
(a Tensor in, a Tensor out).

An operation with no gradient rule whose inputs are tracked (a NumPy function that
converts its inputs with numpy.asarray, `numpy.einsum`, a ufunc with `where=`) is
recorded with a VJP that raises LookupError naming it, so a gradient never silently
skips it: the error comes from `gradient` only when the target depends on it.
In-place updates (`out=`, `a[i] = v`, `a += b`) are not recorded.
"""
import numbers

import numpy as np

from fastnn.tensor import Tensor, Variable
from fastnn.autodiff import primitives as P
from fastnn.autodiff import tape as _tape
from fastnn.autodiff.tape import _raw, _record, _state, _wrap

_ND = np.ndarray
_ND_UFUNC = np.ndarray.__array_ufunc__
_ND_FUNCTION = np.ndarray.__array_function__
_ndview = np.ndarray.view


# ------------------------------------------------------------------- plain NumPy
def _foreign(objs):
    """Whether another library's array type takes part (it gets its turn)."""
    for x in objs:
        if isinstance(x, (Tensor, numbers.Number)):
            continue
        f = getattr(type(x), "__array_ufunc__", _ND_UFUNC)
        if f is not _ND_UFUNC and f is not None:
            return True
    return False


def _plain_ufunc(ufunc, method, inputs, kwargs):
    """What NumPy computes without the override: Tensor inputs as ndarrays, the result
    viewed as the first Tensor input's class; `out=` arrays returned as given."""
    cls = None
    args = []
    for x in inputs:
        if isinstance(x, Tensor):
            if cls is None:
                cls = type(x)
            x = _ndview(x, _ND)
        args.append(x)
    out = kwargs.get("out")
    if out is not None:
        kwargs["out"] = tuple(_ndview(o, _ND) if isinstance(o, Tensor) else o for o in out)
        getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        return out[0] if len(out) == 1 else out
    res = getattr(ufunc, method)(*args, **kwargs)
    if method == "at" or cls is None:
        return res
    if issubclass(cls, Variable):
        cls = Tensor            # as Variable.__array_wrap__: values, not weights
    if isinstance(res, tuple):
        return tuple(_ndview(np.asarray(r), cls) for r in res)
    return _ndview(np.asarray(res), cls)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if _foreign(inputs):
        return NotImplemented
    if _state.tapes and "out" not in kwargs and _tape.should_record(inputs):
        if method == "__call__":
            return P.ufunc_call(ufunc, inputs, kwargs)
        return P.ufunc_method(ufunc, method, inputs, kwargs)
    return _plain_ufunc(ufunc, method, inputs, kwargs)


# ---------------------------------------------------------------- NumPy functions
def _leaves(args, kwargs):
    out = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, (list, tuple)):
            out.extend(a)
        else:
            out.append(a)
    return out


def _array_function(self, func, types, args, kwargs):
    if _state.tapes:
        leaves = _leaves(args, kwargs)
        if _tape.should_record(leaves):
            handler = FUNCTIONS.get(func)
            if handler is not None:
                try:
                    r = handler(*args, **kwargs)
                except TypeError:
                    r = NotImplemented      # a signature we do not mirror: NumPy's own
                if r is not NotImplemented:
                    return r
            return _unhandled(self, func, types, args, kwargs, leaves)
    return _ND_FUNCTION(self, func, types, args, kwargs)


def _unhandled(self, func, types, args, kwargs, leaves):
    """NumPy's implementation (its ufunc calls on Tensors are recorded); a float result
    the tapes do not know gets a node whose gradient raises."""
    res = _ND_FUNCTION(self, func, types, args, kwargs)
    name = f"numpy.{getattr(func, '__name__', 'function')}"
    inputs = tuple(x for x in leaves if isinstance(x, Tensor))

    def mark(r):
        if not isinstance(r, np.ndarray) or r.dtype.kind not in "fc" or \
                _tape._tracked_anywhere(r):
            return r
        r = _wrap(_raw(r))
        _record(inputs, (r,), P._no_gradient(name), name)
        return r
    if isinstance(res, (tuple, list)):
        return type(res)(mark(r) for r in res)
    return mark(res)


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _keep(keepdims):
    return False if keepdims is np._NoValue else bool(keepdims)


_NOV = np._NoValue


def _reduction(prim):
    def handler(a, axis=None, dtype=None, out=None, keepdims=_NOV, initial=_NOV,
                where=_NOV):
        if out is not None or initial is not _NOV or where is not _NOV:
            return NotImplemented
        if dtype is not None:
            a = P.cast(a, dtype)
        return prim(a, axis=_axis(axis), keepdims=_keep(keepdims))
    return handler


def _extreme(prim):
    def handler(a, axis=None, out=None, keepdims=_NOV, initial=_NOV, where=_NOV):
        if out is not None or initial is not _NOV or where is not _NOV:
            return NotImplemented
        return prim(a, axis=_axis(axis), keepdims=_keep(keepdims))
    return handler


def _np_mean(a, axis=None, dtype=None, out=None, keepdims=_NOV, where=_NOV):
    if out is not None or where is not _NOV:
        return NotImplemented
    ar = _raw(a)
    if dtype is not None:
        a = P.cast(a, dtype)
    elif np.asarray(ar).dtype.kind in "biu":
        a = P.cast(a, np.float64)
    return P.mean(a, axis=_axis(axis), keepdims=_keep(keepdims))


def _moments(prim):
    def handler(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NOV, where=_NOV,
                mean=_NOV, correction=_NOV):
        if out is not None or where is not _NOV or mean is not _NOV:
            return NotImplemented
        if correction is not _NOV:
            ddof = correction
        if dtype is not None:
            a = P.cast(a, dtype)
        elif np.asarray(_raw(a)).dtype.kind in "biu":
            a = P.cast(a, np.float64)
        return prim(a, axis=_axis(axis), keepdims=_keep(keepdims), ddof=ddof)
    return handler


def _np_cumsum(a, axis=None, dtype=None, out=None):
    if out is not None:
        return NotImplemented
    if dtype is not None:
        a = P.cast(a, dtype)
    return P.cumsum(a, axis=axis)


def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C" or copy:
        return NotImplemented
    return P.reshape(a, shape if shape is not None else newshape)


def _np_transpose(a, axes=None):
    return P.transpose(a, axes)


def _np_concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        return NotImplemented
    r = P.concatenate(arrays, axis=axis)
    return r if dtype is None else P.cast(r, dtype)


def _np_stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        return NotImplemented
    r = P.stack(arrays, axis=axis)
    return r if dtype is None else P.cast(r, dtype)


def _np_take(a, indices, axis=None, out=None, mode="raise"):
    if out is not None or mode != "raise":
        return NotImplemented
    return P.take(a, indices, axis=axis)


def _np_where(condition, x=_NOV, y=_NOV):
    if x is _NOV or y is _NOV:
        return NotImplemented
    return P.where(condition, x, y)


def _np_clip(a, a_min=_NOV, a_max=_NOV, out=None, *, min=_NOV, max=_NOV, **kwargs):
    if out is not None or kwargs:
        return NotImplemented
    lo = a_min if a_min is not _NOV else (min if min is not _NOV else None)
    hi = a_max if a_max is not _NOV else (max if max is not _NOV else None)
    return P.clip(a, lo, hi)


def _np_dot(a, b, out=None):
    return NotImplemented if out is not None else P.dot(a, b)


def _np_outer(a, b, out=None):
    return NotImplemented if out is not None else P.outer(a, b)


def _np_copy(a, order="K", subok=False):
    return P.copy(a)


def _np_pad(array, pad_width, mode="constant", **kwargs):
    if mode != "constant" or set(kwargs) - {"constant_values"}:
        return NotImplemented
    cv = kwargs.get("constant_values", 0)
    if not isinstance(cv, numbers.Number):
        return NotImplemented
    return P.pad(array, pad_width, cv)


def _np_norm(x, ord=None, axis=None, keepdims=False):
    return P.norm(x, ord=ord, axis=_axis(axis), keepdims=keepdims)


def _np_broadcast_to(array, shape, subok=False):
    return P.broadcast_to(array, shape)


def _np_ravel(a, order="C"):
    return P.ravel(a) if order == "C" else NotImplemented


FUNCTIONS = {
    np.sum: _reduction(P.sum),
    np.prod: _reduction(P.prod),
    np.mean: _np_mean,
    np.max: _extreme(P.max),
    np.amax: _extreme(P.max),
    np.min: _extreme(P.min),
    np.amin: _extreme(P.min),
    np.var: _moments(P.var),
    np.std: _moments(P.std),
    np.cumsum: _np_cumsum,
    np.reshape: _np_reshape,
    np.transpose: _np_transpose,
    np.swapaxes: P.swapaxes,
    np.moveaxis: P.moveaxis,
    np.expand_dims: P.expand_dims,
    np.squeeze: P.squeeze,
    np.broadcast_to: _np_broadcast_to,
    np.ravel: _np_ravel,
    np.concatenate: _np_concatenate,
    np.stack: _np_stack,
    np.split: P.split,
    np.take: _np_take,
    np.take_along_axis: P.take_along_axis,
    np.tile: P.tile,
    np.repeat: P.repeat,
    np.flip: P.flip,
    np.where: _np_where,
    np.clip: _np_clip,
    np.dot: _np_dot,
    np.tensordot: P.tensordot,
    np.outer: _np_outer,
    np.copy: _np_copy,
    np.pad: _np_pad,
    np.linalg.norm: _np_norm,
}


# ------------------------------------------------------------------------ methods
def _tracked(self):
    return _state.tapes and _tape.should_record((self,))


def _method(handler, nd_method):
    """A Tensor method: the differentiable handler for a tracked Tensor, else ndarray's."""
    def method(self, *args, **kwargs):
        if _tracked(self):
            try:
                r = handler(self, *args, **kwargs)
            except TypeError:
                r = NotImplemented
            if r is not NotImplemented:
                return r
        return nd_method(self, *args, **kwargs)
    method.__name__ = nd_method.__name__
    method.__doc__ = nd_method.__doc__
    return method


def _getitem(self, key):
    if _tracked(self):
        return P.getitem(self, key)
    return _ND.__getitem__(self, key)


def _shape_args(args):
    return args[0] if len(args) == 1 else args


def _m_reshape(self, *shape, order="C", copy=None):
    if order != "C" or copy:
        return NotImplemented
    return P.reshape(self, _shape_args(shape))


def _m_transpose(self, *axes):
    axes = _shape_args(axes) if axes else None
    return P.transpose(self, axes)


def _m_astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
    return P.cast(self, dtype)


def _m_flatten(self, order="C"):
    return P.reshape(P.copy(self), (-1,)) if order == "C" else NotImplemented


def _m_T(self):
    if _tracked(self):
        return P.transpose(self)
    return _ND.T.__get__(self)


def _m_clip(self, min=None, max=None, out=None, **kwargs):
    if out is not None or kwargs:
        return NotImplemented
    return P.clip(self, min, max)


def _m_copy(self, order="C"):
    return P.copy(self)


def _unrecorded(nd_method):
    """Printing a Tensor runs NumPy on it; none of that is recorded."""
    def method(self, *args):
        saved = _state.tapes
        _state.tapes = []
        try:
            return nd_method(self, *args)
        finally:
            _state.tapes = saved
    method.__name__ = nd_method.__name__
    return method


ATTRIBUTES = {
    "__repr__": _unrecorded(_ND.__repr__),
    "__str__": _unrecorded(_ND.__str__),
    "__array_ufunc__": _array_ufunc,
    "__array_function__": _array_function,
    "__getitem__": _getitem,
    "T": property(_m_T),
    "reshape": _method(_m_reshape, _ND.reshape),
    "transpose": _method(_m_transpose, _ND.transpose),
    "astype": _method(_m_astype, _ND.astype),
    "flatten": _method(_m_flatten, _ND.flatten),
    "ravel": _method(_np_ravel, _ND.ravel),
    "squeeze": _method(P.squeeze, _ND.squeeze),
    "swapaxes": _method(P.swapaxes, _ND.swapaxes),
    "sum": _method(_reduction(P.sum), _ND.sum),
    "prod": _method(_reduction(P.prod), _ND.prod),
    "mean": _method(_np_mean, _ND.mean),
    "max": _method(_extreme(P.max), _ND.max),
    "min": _method(_extreme(P.min), _ND.min),
    "var": _method(_moments(P.var), _ND.var),
    "std": _method(_moments(P.std), _ND.std),
    "cumsum": _method(_np_cumsum, _ND.cumsum),
    "dot": _method(_np_dot, _ND.dot),
    "clip": _method(_m_clip, _ND.clip),
    "copy": _method(_m_copy, _ND.copy),
    "repeat": _method(P.repeat, _ND.repeat),
    "take": _method(_np_take, _ND.take),
}


def install():
    Tensor._autodiff_install(ATTRIBUTES)


def remove():
    Tensor._autodiff_remove()


_tape._on_first.append(install)
_tape._on_last.append(remove)
