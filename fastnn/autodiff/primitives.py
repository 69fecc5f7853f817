"""Differentiable primitives with NumPy's own semantics (dtypes, broadcasting, kwargs).

Each primitive computes with NumPy (or a C kernel) on plain ndarray views of its inputs,
returns a Tensor, and, when a tape is recording in this thread, records a vector-
Jacobian product written with these same primitives: the backward pass is therefore
differentiable too (second derivatives), and runs as plain NumPy when no tape records.

NumPy operators and functions on Tensors reach these through `ufunc_call` and the
tables `UFUNC_VJP` / `FUNCTIONS` while a tape is active (fastnn/autodiff/dispatch.py);
the Keras-named ops (numpy_ops, nn_ops) convert their arguments as Keras does and call
these.
"""
import builtins as _b
import math
import numbers

import numpy as np

from fastnn import _kernels
from fastnn.tensor import Tensor
from fastnn.autodiff.tape import _raw, _record, _state, _wrap

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _rec(name, inputs, out, vjp):
    """Record a one-output primitive (callers test `_state.tapes` first)."""
    _record(inputs, (out,), vjp, name)


def _is_t(x):
    return isinstance(x, Tensor)


def _shape(x):
    return np.shape(_raw(x))


def _floating(x):
    return isinstance(x, Tensor) and x.dtype.kind in "fc"


# ---------------------------------------------------------------- shape helpers
def _sum_to(g, x):
    """g summed over the axes NumPy broadcast x along, to x's shape; None for an input
    that is not a float Tensor (a number or a plain array has no gradient)."""
    if not _floating(x):
        return None
    return _sum_to_shape(g, x.shape)


def _sum_to_shape(g, shape):
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return reshape(g, shape) if g.shape != shape else g


def _norm_axes(axis, ndim):
    """axis (None, int or tuple) -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim if ndim else 0 for a in axis))
    return (int(axis) % ndim if ndim else 0,)


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, x_shape, axis, keepdims):
    """A reduction's output gradient broadcast back to the input's shape."""
    axes = _norm_axes(axis, len(x_shape))
    if not keepdims:
        g = reshape(g, _keep_shape(x_shape, axes))
    return broadcast_to(g, x_shape)


def _const(a):
    """A plain array (a mask, a count) as an untracked Tensor constant."""
    return _wrap(a)


# ==================================================================== elementwise
def add(x, y):
    out = _wrap(np.add(_raw(x), _raw(y)))
    if _state.tapes:
        _rec("add", (x, y), out, lambda g: (_sum_to(g, x), _sum_to(g, y)))
    return out


def subtract(x, y):
    out = _wrap(np.subtract(_raw(x), _raw(y)))
    if _state.tapes:
        _rec("subtract", (x, y), out,
             lambda g: (_sum_to(g, x), _sum_to(negative(g), y) if _floating(y) else None))
    return out


def multiply(x, y):
    out = _wrap(np.multiply(_raw(x), _raw(y)))
    if _state.tapes:
        _rec("multiply", (x, y), out,
             lambda g: (_sum_to(multiply(g, y), x) if _floating(x) else None,
                        _sum_to(multiply(g, x), y) if _floating(y) else None))
    return out


def divide(x, y):
    out = _wrap(np.true_divide(_raw(x), _raw(y)))
    if _state.tapes:
        _rec("divide", (x, y), out,
             lambda g: (_sum_to(divide(g, y), x) if _floating(x) else None,
                        _sum_to(negative(multiply(g, divide(out, y))), y)
                        if _floating(y) else None))
    return out


true_divide = divide


def negative(x):
    out = _wrap(np.negative(_raw(x)))
    if _state.tapes:
        _rec("negative", (x,), out, lambda g: (negative(g),))
    return out


def power(x, y):
    out = _wrap(np.power(_raw(x), _raw(y)))
    if _state.tapes:
        def vjp(g):
            gx = gy = None
            if _floating(x):
                gx = _sum_to(multiply(g, multiply(y, power(x, subtract(y, 1)))), x)
            if _floating(y):
                xr = _raw(x)
                pos = np.asarray(xr > 0)
                safe = where(pos, x, 1) if _is_t(x) else np.where(pos, xr, 1)
                gy = _sum_to(multiply(g, where(pos, multiply(out, log(safe)), 0)), y)
            return gx, gy
        _rec("power", (x, y), out, vjp)
    return out


def maximum(x, y):
    out = _wrap(np.maximum(_raw(x), _raw(y)))
    if _state.tapes:
        def vjp(g):
            m = np.asarray(_raw(x) >= _raw(y))
            return (_sum_to(where(m, g, 0), x), _sum_to(where(m, 0, g), y))
        _rec("maximum", (x, y), out, vjp)
    return out


def minimum(x, y):
    out = _wrap(np.minimum(_raw(x), _raw(y)))
    if _state.tapes:
        def vjp(g):
            m = np.asarray(_raw(x) <= _raw(y))
            return (_sum_to(where(m, g, 0), x), _sum_to(where(m, 0, g), y))
        _rec("minimum", (x, y), out, vjp)
    return out


def where(cond, x, y):
    c = np.asarray(_raw(cond))
    out = _wrap(np.where(c, _raw(x), _raw(y)))
    if _state.tapes:
        _rec("where", (x, y), out,
             lambda g: (_sum_to(where(c, g, 0), x) if _floating(x) else None,
                        _sum_to(where(c, 0, g), y) if _floating(y) else None))
    return out


def clip(x, lo, hi):
    xr, lr, hr = _raw(x), _raw(lo), _raw(hi)
    out = _wrap(np.clip(xr, lr, hr))
    if _state.tapes:
        _rec("clip", (x, lo, hi), out, lambda g: _clip_rule(g, out, x, lo, hi))
    return out


def _clip_rule(g, y, x, lo, hi):
    xr, lr, hr = _raw(x), _raw(lo), _raw(hi)
    shape = np.shape(_raw(y))
    below = np.broadcast_to(xr < lr, shape) if lr is not None else np.zeros(shape, bool)
    above = np.broadcast_to(xr > hr, shape) if hr is not None else np.zeros(shape, bool)
    inside = ~(below | above)
    return (_sum_to(where(inside, g, 0), x),
            _sum_to(where(below & ~above, g, 0), lo) if _floating(lo) else None,
            _sum_to(where(above, g, 0), hi) if _floating(hi) else None)


# Element-wise ufuncs: ufunc -> vjp(g, out, *inputs) with these primitives. Binary
# rules receive the raw inputs too (for masks) and return one gradient per input.
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _unary_rule(fn):
    return lambda g, out, x: (fn(g, out, x),)


UFUNC_VJP = {
    np.negative: _unary_rule(lambda g, y, x: negative(g)),
    np.positive: _unary_rule(lambda g, y, x: g),
    np.conjugate: _unary_rule(lambda g, y, x: g),
    np.exp: _unary_rule(lambda g, y, x: multiply(g, y)),
    np.exp2: _unary_rule(lambda g, y, x: multiply(g, multiply(y, _LN2))),
    np.expm1: _unary_rule(lambda g, y, x: multiply(g, add(y, 1))),
    np.log: _unary_rule(lambda g, y, x: divide(g, x)),
    np.log2: _unary_rule(lambda g, y, x: divide(g, multiply(x, _LN2))),
    np.log10: _unary_rule(lambda g, y, x: divide(g, multiply(x, _LN10))),
    np.log1p: _unary_rule(lambda g, y, x: divide(g, add(x, 1))),
    np.sqrt: _unary_rule(lambda g, y, x: divide(multiply(g, 0.5), y)),
    np.cbrt: _unary_rule(lambda g, y, x: divide(g, multiply(square(y), 3))),
    np.square: _unary_rule(lambda g, y, x: multiply(g, multiply(x, 2))),
    np.reciprocal: _unary_rule(lambda g, y, x: negative(multiply(g, square(y)))),
    np.absolute: _unary_rule(lambda g, y, x: multiply(g, _const(np.sign(_raw(x))))),
    np.fabs: _unary_rule(lambda g, y, x: multiply(g, _const(np.sign(_raw(x))))),
    np.sin: _unary_rule(lambda g, y, x: multiply(g, cos(x))),
    np.cos: _unary_rule(lambda g, y, x: negative(multiply(g, sin(x)))),
    np.tan: _unary_rule(lambda g, y, x: multiply(g, add(square(y), 1))),
    np.arcsin: _unary_rule(lambda g, y, x: divide(g, sqrt(subtract(1, square(x))))),
    np.arccos: _unary_rule(lambda g, y, x: negative(divide(g, sqrt(subtract(1, square(x)))))),
    np.arctan: _unary_rule(lambda g, y, x: divide(g, add(square(x), 1))),
    np.sinh: _unary_rule(lambda g, y, x: multiply(g, cosh(x))),
    np.cosh: _unary_rule(lambda g, y, x: multiply(g, sinh(x))),
    np.tanh: _unary_rule(lambda g, y, x: multiply(g, subtract(1, square(y)))),
    np.arcsinh: _unary_rule(lambda g, y, x: divide(g, sqrt(add(square(x), 1)))),
    np.arccosh: _unary_rule(lambda g, y, x: divide(g, sqrt(subtract(square(x), 1)))),
    np.arctanh: _unary_rule(lambda g, y, x: divide(g, subtract(1, square(x)))),
    np.deg2rad: _unary_rule(lambda g, y, x: multiply(g, math.pi / 180)),
    np.rad2deg: _unary_rule(lambda g, y, x: multiply(g, 180 / math.pi)),
    np.add: lambda g, y, a, b: (_sum_to(g, a), _sum_to(g, b)),
    np.subtract: lambda g, y, a, b: (_sum_to(g, a), _sum_to(negative(g), b)
                                     if _floating(b) else None),
    np.multiply: lambda g, y, a, b: (_sum_to(multiply(g, b), a) if _floating(a) else None,
                                     _sum_to(multiply(g, a), b) if _floating(b) else None),
    np.true_divide: lambda g, y, a, b: (
        _sum_to(divide(g, b), a) if _floating(a) else None,
        _sum_to(negative(multiply(g, divide(y, b))), b) if _floating(b) else None),
    np.hypot: lambda g, y, a, b: (_sum_to(multiply(g, divide(a, y)), a) if _floating(a) else None,
                                  _sum_to(multiply(g, divide(b, y)), b) if _floating(b) else None),
    np.arctan2: lambda g, y, a, b: (
        _sum_to(multiply(g, divide(b, add(square(a), square(b)))), a) if _floating(a) else None,
        _sum_to(negative(multiply(g, divide(a, add(square(a), square(b))))), b)
        if _floating(b) else None),
    np.logaddexp: lambda g, y, a, b: (
        _sum_to(multiply(g, exp(subtract(a, y))), a) if _floating(a) else None,
        _sum_to(multiply(g, exp(subtract(b, y))), b) if _floating(b) else None),
    np.logaddexp2: lambda g, y, a, b: (
        _sum_to(multiply(g, exp2(subtract(a, y))), a) if _floating(a) else None,
        _sum_to(multiply(g, exp2(subtract(b, y))), b) if _floating(b) else None),
    np.remainder: lambda g, y, a, b: (
        _sum_to(g, a),
        _sum_to(negative(multiply(g, _const(np.floor_divide(_raw(a), _raw(b))))), b)
        if _floating(b) else None),
    np.fmod: lambda g, y, a, b: (
        _sum_to(g, a),
        _sum_to(negative(multiply(g, _const(np.trunc(np.true_divide(_raw(a), _raw(b)))))), b)
        if _floating(b) else None),
}


def _max_rule(g, y, a, b, ge):
    m = np.asarray(ge(_raw(a), _raw(b)))
    return (_sum_to(where(m, g, 0), a), _sum_to(where(m, 0, g), b))


def _power_rule(g, y, a, b):
    gx = gy = None
    if _floating(a):
        gx = _sum_to(multiply(g, multiply(b, power(a, subtract(b, 1)))), a)
    if _floating(b):
        pos = np.asarray(_raw(a) > 0)
        safe = where(pos, a, 1)
        gy = _sum_to(multiply(g, where(pos, multiply(y, log(safe)), 0)), b)
    return gx, gy


UFUNC_VJP.update({
    np._core.umath.clip: lambda g, y, x, lo, hi: _clip_rule(g, y, x, lo, hi),
    np.maximum: lambda g, y, a, b: _max_rule(g, y, a, b, np.greater_equal),
    np.fmax: lambda g, y, a, b: _max_rule(g, y, a, b, np.greater_equal),
    np.minimum: lambda g, y, a, b: _max_rule(g, y, a, b, np.less_equal),
    np.fmin: lambda g, y, a, b: _max_rule(g, y, a, b, np.less_equal),
    np.power: _power_rule,
    np.float_power: _power_rule,
})

# Piecewise-constant or non-numeric results: no gradient (as TensorFlow's
# NotDifferentiable ops), so nothing is recorded.
NOT_DIFFERENTIABLE = {
    np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.isfinite,
    np.isnan, np.isinf, np.signbit, np.sign, np.floor, np.ceil, np.trunc, np.rint,
    np.floor_divide, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.left_shift, np.right_shift, np.gcd, np.lcm, np.spacing, np.nextafter,
    np.isnat, np.heaviside,
}


def _plain_kwargs(kwargs):
    """Whether a ufunc's keyword arguments keep its gradient formula (dtype and casting
    do; where=, axes=, ... do not)."""
    for k in kwargs:
        if k not in ("dtype", "casting", "order", "subok"):
            return False
    return True


def _no_gradient(what):
    def vjp(*gs):
        raise LookupError(f"no gradient is defined for {what}: the target depends on the "
                          f"source through it (use the fastnn.autodiff ops, or "
                          f"stop_gradient where no gradient is meant to flow)")
    return vjp


def ufunc_call(ufunc, inputs, kwargs):
    """`ufunc(*inputs, **kwargs)` (method __call__) recorded with its VJP rule; called
    while a tape records in this thread."""
    if ufunc is np.matmul and not kwargs:
        return matmul(*inputs)
    out = ufunc(*[_raw(x) for x in inputs], **kwargs)
    if isinstance(out, tuple):
        outs = tuple(_wrap(o) for o in out)
        if ufunc not in NOT_DIFFERENTIABLE and any(o.dtype.kind in "fc" for o in outs):
            _record(inputs, outs, _no_gradient(f"numpy.{ufunc.__name__}"), ufunc.__name__)
        return outs
    out = _wrap(out)
    if ufunc in NOT_DIFFERENTIABLE or out.dtype.kind not in "fc":
        return out
    rule = UFUNC_VJP.get(ufunc)
    if rule is None:
        _rec(ufunc.__name__, inputs, out, _no_gradient(f"numpy.{ufunc.__name__}"))
    elif not _plain_kwargs(kwargs):
        _rec(ufunc.__name__, inputs, out,
             _no_gradient(f"numpy.{ufunc.__name__} with "
                          f"{', '.join(k + '=' for k in sorted(kwargs))}"))
    else:
        _rec(ufunc.__name__, inputs, out, lambda g: rule(g, out, *inputs))
    return out


def ufunc_method(ufunc, method, inputs, kwargs):
    """The ufunc methods reduce / accumulate / outer, recorded where a rule exists."""
    if method == "reduce" and len(inputs) == 1:
        x = inputs[0]
        kw = dict(kwargs)
        axis = kw.pop("axis", 0)
        keepdims = kw.pop("keepdims", False)
        dtype = kw.pop("dtype", None)
        red = {np.add: sum, np.multiply: prod, np.maximum: max, np.minimum: min,
               np.fmax: max, np.fmin: min}.get(ufunc)
        if red is not None and not kw:
            if dtype is not None:
                x = cast(x, dtype)
            return red(x, axis=axis, keepdims=keepdims)
    if method == "accumulate" and len(inputs) == 1 and ufunc is np.add:
        kw = dict(kwargs)
        axis = kw.pop("axis", 0)
        dtype = kw.pop("dtype", None)
        if not kw:
            return cumsum(inputs[0] if dtype is None else cast(inputs[0], dtype), axis=axis)
    if method == "outer" and len(inputs) == 2 and ufunc in UFUNC_VJP:
        a, b = inputs
        nb = np.ndim(_raw(b))
        a2 = reshape(a, _shape(a) + (1,) * nb) if _is_t(a) else \
            np.reshape(a, np.shape(a) + (1,) * nb)
        return ufunc_call(ufunc, (a2, b), kwargs)
    out = getattr(ufunc, method)(*[_raw(x) for x in inputs], **kwargs)
    if method == "at":
        return None
    out = _wrap(out)
    if ufunc not in NOT_DIFFERENTIABLE and out.dtype.kind in "fc":
        _rec(f"{ufunc.__name__}.{method}", inputs, out,
             _no_gradient(f"numpy.{ufunc.__name__}.{method}"))
    return out


def _elementwise(ufunc):
    rule = UFUNC_VJP[ufunc]

    def op(x):
        out = _wrap(ufunc(_raw(x)))
        if _state.tapes:
            _rec(ufunc.__name__, (x,), out, lambda g: rule(g, out, x))
        return out
    op.__name__ = ufunc.__name__
    return op


exp = _elementwise(np.exp)
exp2 = _elementwise(np.exp2)
expm1 = _elementwise(np.expm1)
log = _elementwise(np.log)
log2 = _elementwise(np.log2)
log10 = _elementwise(np.log10)
log1p = _elementwise(np.log1p)
sqrt = _elementwise(np.sqrt)
square = _elementwise(np.square)
reciprocal = _elementwise(np.reciprocal)
absolute = _elementwise(np.absolute)
sin = _elementwise(np.sin)
cos = _elementwise(np.cos)
tan = _elementwise(np.tan)
arcsin = _elementwise(np.arcsin)
arccos = _elementwise(np.arccos)
arctan = _elementwise(np.arctan)
sinh = _elementwise(np.sinh)
cosh = _elementwise(np.cosh)
tanh = _elementwise(np.tanh)
arcsinh = _elementwise(np.arcsinh)
arccosh = _elementwise(np.arccosh)
arctanh = _elementwise(np.arctanh)


def logaddexp(x, y):
    return ufunc_call(np.logaddexp, (x, y), {}) if _state.tapes else \
        _wrap(np.logaddexp(_raw(x), _raw(y)))


# ===================================================================== reductions
def sum(x, axis=None, keepdims=False):
    xr = _raw(x)
    if not isinstance(xr, np.ndarray):
        xr = np.asarray(xr)
    if xr.dtype == np.bool_:
        out = _wrap(np.sum(xr, axis=axis, keepdims=keepdims))
    else:
        out = _wrap(np.add.reduce(xr, axis=axis, keepdims=keepdims))
    if _state.tapes:
        shape = xr.shape
        _rec("sum", (x,), out, lambda g: (_expand_back(g, shape, axis, keepdims),))
    return out


def mean(x, axis=None, keepdims=False):
    xr = _raw(x)
    if not isinstance(xr, np.ndarray) or xr.dtype not in (_F32, _F64):
        out = _wrap(np.mean(xr, axis=axis, keepdims=keepdims))    # float16 sums in float32
        xr = np.asarray(xr)
    else:       # numpy.mean's own steps (the same bits) without its Python layers
        out = None
    shape = xr.shape
    n = 1
    for a in _norm_axes(axis, xr.ndim):
        n *= shape[a]
    if out is None:
        if n:
            out = _wrap(np.true_divide(np.add.reduce(xr, axis=axis, keepdims=keepdims), n))
        else:
            out = _wrap(np.mean(xr, axis=axis, keepdims=keepdims))    # nan, and its warning
    if _state.tapes:
        _rec("mean", (x,), out,
             lambda g: (divide(_expand_back(g, shape, axis, keepdims), _b.max(n, 1)),))
    return out


def _extreme(np_fn, name):
    def op(x, axis=None, keepdims=False):
        xr = np.asarray(_raw(x))
        out = _wrap(np_fn(xr, axis=axis, keepdims=keepdims))
        if _state.tapes:
            def vjp(g):
                axes = _norm_axes(axis, xr.ndim)
                yk = np.reshape(_raw(out), _keep_shape(xr.shape, axes))
                mask = (xr == yk)
                share = mask / np.sum(mask, axis=axes, keepdims=True)
                return (multiply(_expand_back(g, xr.shape, axis, keepdims),
                                 _const(share.astype(xr.dtype, copy=False))),)
            _rec(name, (x,), out, vjp)
        return out
    op.__name__ = name
    return op


max = _extreme(np.maximum.reduce, "max")
min = _extreme(np.minimum.reduce, "min")


def prod(x, axis=None, keepdims=False):
    xr = _raw(x)
    out = _wrap(np.prod(xr, axis=axis, keepdims=keepdims))
    if _state.tapes:
        def vjp(g):
            gb = _expand_back(g, xr.shape, axis, keepdims)
            axes = _norm_axes(axis, xr.ndim)
            if np.all(xr != 0):
                yb = _expand_back(out, xr.shape, axis, keepdims)
                return (multiply(gb, divide(yb, x)),)
            # zeros: the product of the other elements, by exclusive products
            return (multiply(gb, _const(_prod_others(xr, axes))),)
        _rec("prod", (x,), out, vjp)
    return out


def _prod_others(xr, axes):
    """For each element, the product of the other elements of its reduced group."""
    rest = [a for a in range(xr.ndim) if a not in axes]
    moved = np.transpose(xr, rest + list(axes))
    lead = moved.shape[:len(rest)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), xr.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


def var(x, axis=None, keepdims=False, ddof=0):
    xr = _raw(x)
    out = _wrap(np.var(xr, axis=axis, keepdims=keepdims, ddof=ddof))
    if _state.tapes:
        def vjp(g):
            axes = _norm_axes(axis, xr.ndim)
            n = 1
            for a in axes:
                n *= xr.shape[a]
            centered = subtract(x, mean(x, axis=axes, keepdims=True))
            gb = _expand_back(g, xr.shape, axis, keepdims)
            return (multiply(gb, multiply(centered, 2.0 / _b.max(n - ddof, 1))),)
        _rec("var", (x,), out, vjp)
    return out


def std(x, axis=None, keepdims=False, ddof=0):
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def cumsum(x, axis=None):
    xr = _raw(x)
    out = _wrap(np.cumsum(xr, axis=axis))
    if _state.tapes:
        def vjp(g):
            if axis is None:
                r = flip(cumsum(flip(g, 0), 0), 0)
                return (reshape(r, xr.shape),)
            return (flip(cumsum(flip(g, axis), axis), axis),)
        _rec("cumsum", (x,), out, vjp)
    return out


def logsumexp(x, axis=None, keepdims=False):
    xr = _raw(x)
    axes = _norm_axes(axis, xr.ndim) if axis is not None or xr.ndim else ()
    m = np.max(xr, axis=axes, keepdims=True) if xr.size else np.zeros(
        _keep_shape(xr.shape, axes), xr.dtype)
    m = np.where(np.isfinite(m), m, 0).astype(xr.dtype, copy=False)
    with np.errstate(divide="ignore"):
        r = m + np.log(np.sum(np.exp(xr - m), axis=axes, keepdims=True))
    out = _wrap(r if keepdims else np.reshape(r, [s for i, s in enumerate(r.shape)
                                                    if i not in axes]))
    if _state.tapes:
        def vjp(g):
            gb = _expand_back(g, xr.shape, axes, keepdims)
            yb = _expand_back(out, xr.shape, axes, keepdims)
            return (multiply(gb, exp(subtract(x, yb))),)
        _rec("logsumexp", (x,), out, vjp)
    return out


# ========================================================================= shapes
def reshape(x, shape):
    xr = _raw(x)
    out = _wrap(np.reshape(xr, shape))
    if _state.tapes:
        s = xr.shape
        _rec("reshape", (x,), out, lambda g: (reshape(g, s),))
    return out


def transpose(x, axes=None):
    xr = _raw(x)
    out = _wrap(np.transpose(xr, axes))
    if _state.tapes:
        perm = tuple(range(xr.ndim))[::-1] if axes is None else \
            tuple(int(a) % xr.ndim for a in axes)
        inv = tuple(np.argsort(perm))
        _rec("transpose", (x,), out, lambda g: (transpose(g, inv),))
    return out


def swapaxes(x, a, b):
    n = np.ndim(_raw(x))
    perm = list(range(n))
    a, b = int(a) % n, int(b) % n
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    n = np.ndim(_raw(x))
    src = [int(s) % n for s in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [int(d) % n for d in (destination if isinstance(destination, (list, tuple))
                                else [destination])]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source and destination must have the same number of "
                         f"elements, got {len(src)} and {len(dst)}")
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def broadcast_to(x, shape):
    xr = _raw(x)
    out = _wrap(np.broadcast_to(xr, shape))
    if _state.tapes:
        _rec("broadcast_to", (x,), out, lambda g: (_sum_to(g, x),))
    return out


def expand_dims(x, axis):
    return reshape(x, np.expand_dims(_raw(x), axis).shape)


def squeeze(x, axis=None):
    return reshape(x, np.squeeze(_raw(x), axis).shape)


def ravel(x):
    return reshape(x, (-1,))


def flip(x, axis=None):
    out = _wrap(np.flip(_raw(x), axis))
    if _state.tapes:
        _rec("flip", (x,), out, lambda g: (flip(g, axis),))
    return out


def copy(x):
    out = _wrap(np.array(_raw(x), copy=True))
    if _state.tapes:
        _rec("copy", (x,), out, lambda g: (g,))
    return out


def identity(x):
    """x as a new Tensor sharing its memory (a distinct value for the tape).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    out = _wrap(_raw(x))
    if _state.tapes:
        _rec("identity", (x,), out, lambda g: (g,))
    return out


def cast(x, dtype):
    xr = _raw(x)
    dtype = np.dtype(dtype)
    out = _wrap(xr.astype(dtype) if isinstance(xr, np.ndarray) else np.asarray(xr, dtype))
    if _state.tapes and dtype.kind in "fc":
        _rec("cast", (x,), out,
             lambda g: (cast(g, x.dtype) if _floating(x) else None,))
    return out


def concatenate(xs, axis=0):
    xs = list(xs)
    if axis is None:
        xs = [ravel(x) if _is_t(x) else np.ravel(x) for x in xs]
        axis = 0
    raws = [_raw(x) for x in xs]
    out = _wrap(np.concatenate(raws, axis=axis))
    if _state.tapes:
        ax = int(axis) % out.ndim
        sizes = [np.shape(r)[ax] for r in raws]

        def vjp(g):
            parts = split(g, list(np.cumsum(sizes)[:-1]), axis=ax)
            return tuple(p if _floating(x) else None for p, x in zip(parts, xs))
        _rec("concatenate", tuple(xs), out, vjp)
    return out


def stack(xs, axis=0):
    xs = list(xs)
    out = _wrap(np.stack([_raw(x) for x in xs], axis=axis))
    if _state.tapes:
        ax = int(axis) % out.ndim

        def vjp(g):
            parts = split(g, len(xs), axis=ax) if xs else []
            return tuple(reshape(p, _shape(x)) if _floating(x) else None
                         for p, x in zip(parts, xs))
        _rec("stack", tuple(xs), out, vjp)
    return out


def split(x, indices_or_sections, axis=0):
    xr = _raw(x)
    ios = indices_or_sections
    if not isinstance(ios, numbers.Integral):
        ios = [int(i) for i in np.asarray(_raw(ios)).reshape(-1)]
    outs = tuple(_wrap(p) for p in np.split(xr, ios, axis=axis))
    if _state.tapes:
        _record((x,), outs, lambda *gs: (concatenate(gs, axis=axis),), "split")
    return list(outs)


def _plain_key(key):
    """An index key with Tensors replaced by plain arrays."""
    if isinstance(key, tuple):
        return tuple(_raw(k) for k in key)
    return _raw(key)


def _basic_key(key):
    ks = key if isinstance(key, tuple) else (key,)
    for k in ks:
        if not (k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral))) \
                or isinstance(k, (bool, np.bool_)):
            return False
    return True


def getitem(x, key):
    xr = _raw(x)
    key = _plain_key(key)
    out = _wrap(xr[key])
    if _state.tapes:
        shape = xr.shape
        _rec("getitem", (x,), out, lambda g: (scatter(g, key, shape),))
    return out


def scatter(g, key, shape):
    """zeros(shape) with g added at `key` (repeated indices add up): getitem's VJP."""
    gr = _raw(g)
    z = np.zeros(shape, gr.dtype)
    if _basic_key(key):
        z[key] = gr
    else:
        np.add.at(z, key, gr)
    out = _wrap(z)
    if _state.tapes:
        _rec("scatter", (g,), out, lambda gg: (getitem(gg, key),))
    return out


def take(x, indices, axis=None):
    idx = np.asarray(_raw(indices))
    if axis is None:
        return getitem(ravel(x), idx)
    n = np.ndim(_raw(x))
    ax = int(axis) % n
    return getitem(x, (slice(None),) * ax + (idx,))


def take_along_axis(x, indices, axis=None):
    idx = np.asarray(_raw(indices))
    if axis is None:
        return getitem(ravel(x), idx.reshape(-1))
    xr = _raw(x)
    n = xr.ndim
    ax = int(axis) % n
    if idx.ndim != n:
        raise ValueError(f"take_along_axis: indices must have the same number of "
                         f"dimensions as x ({n}), got {idx.ndim}")
    key = []
    for d in range(n):
        if d == ax:
            key.append(np.where(idx < 0, idx + xr.shape[ax], idx))
        else:
            shp = [1] * n
            shp[d] = xr.shape[d]
            key.append(np.arange(xr.shape[d]).reshape(shp))
    # broadcast the other dims like numpy.take_along_axis does
    b = np.broadcast_shapes(*[k.shape for k in key])
    return getitem(x, tuple(np.broadcast_to(k, b) for k in key))


def tile(x, reps):
    xr = _raw(x)
    out = _wrap(np.tile(xr, reps))
    if _state.tapes:
        r = (tuple(reps) if isinstance(reps, (tuple, list)) else (int(reps),))
        d = _b.max(len(r), xr.ndim)
        r = (1,) * (d - len(r)) + tuple(int(v) for v in r)
        s = (1,) * (d - xr.ndim) + xr.shape

        def vjp(g):
            inter = []
            for rv, sv in zip(r, s):
                inter += [rv, sv]
            gg = reshape(g, inter)
            gg = sum(gg, axis=tuple(range(0, 2 * d, 2)))
            return (reshape(gg, xr.shape),)
        _rec("tile", (x,), out, vjp)
    return out


def repeat(x, repeats, axis=None):
    xr = _raw(x)
    rep = _raw(repeats)
    if axis is None:
        return repeat(ravel(x), repeats, 0)
    out = _wrap(np.repeat(xr, rep, axis=axis))
    if _state.tapes:
        ax = int(axis) % xr.ndim
        _rec("repeat", (x,), out, lambda g: (segment_sum(g, rep, ax, xr.shape[ax]),))
    return out


def segment_sum(g, repeats, axis, n):
    """Sums of consecutive runs (of lengths `repeats`) along `axis`: repeat's VJP."""
    gr = _raw(g)
    reps = np.broadcast_to(np.asarray(repeats, dtype=np.int64), (n,))
    seg = np.repeat(np.arange(n), reps)
    moved = np.moveaxis(gr, axis, 0)
    acc = np.zeros((n,) + moved.shape[1:], gr.dtype)
    np.add.at(acc, seg, moved)
    out = _wrap(np.moveaxis(acc, 0, axis))
    if _state.tapes:
        _rec("segment_sum", (g,), out, lambda gg: (repeat(gg, reps, axis),))
    return out


def pad(x, pad_width, constant_values=0):
    xr = _raw(x)
    out = _wrap(np.pad(xr, pad_width, mode="constant", constant_values=constant_values))
    if _state.tapes:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (xr.ndim, 2))
        key = tuple(slice(int(a), int(a) + s) for (a, _), s in zip(pw, xr.shape))
        _rec("pad", (x,), out, lambda g: (getitem(g, key),))
    return out


# ================================================================= linear algebra
def _gemm_operand(a):
    """(array, transposed) that the C GEMM can read without a copy."""
    if a.flags.c_contiguous:
        return a, False
    if a.T.flags.c_contiguous:
        return a.T, True
    return np.ascontiguousarray(a), False


def _matmul_raw(a, b):
    if (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim == 2 and
            b.ndim == 2 and a.dtype == b.dtype and a.dtype in (_F32, _F64) and
            a.shape[1] == b.shape[0]):
        c = np.empty((a.shape[0], b.shape[1]), a.dtype)
        if c.size:
            if a.shape[1] == 0:
                c.fill(0)
            else:
                A, ta = _gemm_operand(a)
                B, tb = _gemm_operand(b)
                _kernels.gemm(ta, tb, A, B, c, 1.0, 0.0)
        return c
    return np.matmul(a, b)


def matmul(a, b):
    ar, br = _raw(a), _raw(b)
    out = _wrap(_matmul_raw(ar, br))
    if _state.tapes:
        def vjp(g):
            an, bn = np.ndim(ar), np.ndim(br)
            a2 = reshape(a, (1, -1)) if an == 1 else a
            b2 = reshape(b, (-1, 1)) if bn == 1 else b
            s2a, s2b = np.shape(_raw(a2)), np.shape(_raw(b2))
            g2 = reshape(g, np.broadcast_shapes(s2a[:-2], s2b[:-2]) + (s2a[-2], s2b[-1]))
            ga = gb = None
            if _floating(a):
                ga = matmul(g2, swapaxes(b2, -1, -2))
                ga = reshape(_sum_to_shape(ga, np.shape(_raw(a2))), ar.shape)
            if _floating(b):
                gb = matmul(swapaxes(a2, -1, -2), g2)
                gb = reshape(_sum_to_shape(gb, np.shape(_raw(b2))), br.shape)
            return ga, gb
        _rec("matmul", (a, b), out, vjp)
    return out


def tensordot(a, b, axes=2):
    ar, br = _raw(a), _raw(b)
    na, nb = np.ndim(ar), np.ndim(br)
    if isinstance(axes, numbers.Integral):
        ax_a = list(range(na - int(axes), na))
        ax_b = list(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = [int(v) % na for v in (ax_a if isinstance(ax_a, (list, tuple)) else [ax_a])]
        ax_b = [int(v) % nb for v in (ax_b if isinstance(ax_b, (list, tuple)) else [ax_b])]
    out = _wrap(np.tensordot(ar, br, axes=(ax_a, ax_b)))
    if _state.tapes:
        free_a = [i for i in range(na) if i not in ax_a]
        free_b = [i for i in range(nb) if i not in ax_b]

        def vjp(g):
            ga = gb = None
            nfa = len(free_a)
            if _floating(a):
                r = tensordot(g, b, axes=(list(range(nfa, nfa + len(free_b))), free_b))
                order = free_a + [ax_a[k] for k in np.argsort(ax_b)]
                ga = transpose(r, list(np.argsort(order)))
            if _floating(b):
                r = tensordot(a, g, axes=(free_a, list(range(nfa))))
                order = [ax_b[k] for k in np.argsort(ax_a)] + free_b
                gb = transpose(r, list(np.argsort(order)))
            return ga, gb
        _rec("tensordot", (a, b), out, vjp)
    return out


def dot(a, b):
    na, nb = np.ndim(_raw(a)), np.ndim(_raw(b))
    if na == 0 or nb == 0:
        return multiply(a, b)
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([na - 1], [nb - 2 if nb >= 2 else 0]))


def outer(a, b):
    a1 = ravel(a) if _is_t(a) else np.ravel(a)
    b1 = ravel(b) if _is_t(b) else np.ravel(b)
    return multiply(reshape(a1, (-1, 1)) if _is_t(a1) else np.reshape(a1, (-1, 1)),
                    reshape(b1, (1, -1)) if _is_t(b1) else np.reshape(b1, (1, -1)))


def zeros_like(x):
    xr = _raw(x)
    return _wrap(np.zeros(np.shape(xr), getattr(xr, "dtype", _F32)))


def stop_gradient(x):
    """x as a new, untracked Tensor sharing its memory: no gradient flows through."""
    return _wrap(_raw(x)) if isinstance(x, np.ndarray) else _wrap(np.asarray(x))


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm for vectors (ord None/2, 1, inf, -inf) and the Frobenius norm."""
    xr = _raw(x)
    if ord in (None, 2, "fro", "euclidean") and (axis is None or ord != 2 or
                                                 isinstance(axis, numbers.Integral)):
        if ord == 2 and axis is None and xr.ndim == 2:
            return NotImplemented          # the spectral norm
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    if ord == 1 and (xr.ndim == 1 or isinstance(axis, numbers.Integral)):
        return sum(absolute(x), axis=axis, keepdims=keepdims)
    if ord in (np.inf, -np.inf) and (xr.ndim == 1 or isinstance(axis, numbers.Integral)):
        f = max if ord > 0 else min
        return f(absolute(x), axis=axis, keepdims=keepdims)
    return NotImplemented


# ---- core and linalg ops (batch 2)
def index_update(x, key, v):
    """A copy of x with `v` written at `key` (x[key] = v; of repeated indices the last
    write wins): scatter_update's and slice_update's primitive."""
    xr = _raw(x)
    out_r = np.array(xr, copy=True)
    key = _plain_key(key)
    out_r[key] = _raw(v)
    out = _wrap(out_r)
    if _state.tapes:
        hit = np.zeros(xr.shape, bool)
        hit[key] = True
        if _basic_key(key):
            kept = None
        else:
            # which of the written values survive (the last write of a repeated index)
            ids = np.broadcast_to(np.arange(np.size(_raw(v))).reshape(np.shape(_raw(v))),
                                  np.shape(xr[key]))
            last = np.full(xr.shape, -1, np.int64)
            last[key] = ids
            kept = last[key] == ids

        def vjp(g):
            gx = where(hit, 0, g) if _floating(x) else None
            gv = None
            if _floating(v):
                gv = getitem(g, key)
                if kept is not None:
                    gv = where(kept, gv, 0)
                gv = _sum_to(gv, v)
            return gx, gv
        _rec("index_update", (x, v), out, vjp)
    return out


def _mT(x):
    return swapaxes(x, -1, -2)


def _col(g):
    """A batch of scalars (..., ) as (..., 1, 1)."""
    return expand_dims(expand_dims(g, -1), -1)


def det(x):
    xr = _raw(x)
    out = _wrap(np.asarray(np.linalg.det(xr), xr.dtype))
    if _state.tapes:
        _rec("det", (x,), out,
             lambda g: (multiply(_col(multiply(g, out)), _mT(inv(x))),))
    return out


def inv(x):
    out = _wrap(np.linalg.inv(_raw(x)))
    if _state.tapes:
        _rec("inv", (x,), out,
             lambda g: (negative(matmul(_mT(out), matmul(g, _mT(out)))),))
    return out


def _as_matrix_rhs(a, b):
    """b of a solve as (..., M, K) and whether it was a batch of vectors (..., M)."""
    return np.ndim(_raw(b)) == np.ndim(_raw(a)) - 1


def solve(a, b):
    vec = _as_matrix_rhs(a, b)
    bm = expand_dims(b, -1) if vec and _is_t(b) else (np.expand_dims(b, -1) if vec else b)
    ar, br = _raw(a), _raw(bm)
    xr = np.linalg.solve(ar, br)
    out = _wrap(xr[..., 0] if vec else xr)
    if _state.tapes:
        def vjp(g):
            gm = expand_dims(g, -1) if vec else g
            gb = solve(_mT(a), gm)
            ga = None
            if _floating(a):
                xm = expand_dims(out, -1) if vec else out
                ga = _sum_to_shape(negative(matmul(gb, _mT(xm))), ar.shape)
            if vec:
                gb = squeeze(gb, -1)
            return ga, (_sum_to(gb, b) if _floating(b) else None)
        _rec("solve", (a, b), out, vjp)
    return out


def _triangle(a, lower):
    n = np.shape(_raw(a))[-1]
    mask = np.tri(n, dtype=bool) if lower else np.tri(n, dtype=bool).T
    return mask


def solve_triangular(a, b, lower=False):
    """The solution of a x = b reading only the lower (or upper) triangle of a."""
    vec = _as_matrix_rhs(a, b)
    mask = _triangle(a, lower)
    ar = _raw(a)
    tri = np.where(mask, ar, np.zeros((), ar.dtype))
    br = _raw(b)
    br = br[..., None] if vec else br
    xr = np.linalg.solve(tri, br)
    out = _wrap(xr[..., 0] if vec else xr)
    if _state.tapes:
        def vjp(g):
            gm = expand_dims(g, -1) if vec else g
            gb = solve_triangular(_mT(a), gm, lower=not lower)
            ga = None
            if _floating(a):
                xm = expand_dims(out, -1) if vec else out
                ga = where(mask, negative(matmul(gb, _mT(xm))), 0)
                ga = _sum_to_shape(ga, ar.shape)
            if vec:
                gb = squeeze(gb, -1)
            return ga, (_sum_to(gb, b) if _floating(b) else None)
        _rec("solve_triangular", (a, b), out, vjp)
    return out


def cholesky(x):
    """The lower Cholesky factor L of x (x = L L^T; only x's lower triangle is read)."""
    xr = _raw(x)
    out = _wrap(np.linalg.cholesky(xr))
    if _state.tapes:
        n = xr.shape[-1]
        low = np.tri(n, dtype=bool)
        half = np.where(np.eye(n, dtype=bool), 0.5, 1.0).astype(xr.dtype)

        def vjp(g):
            # Phi(L^T G): its lower triangle with the diagonal halved; then
            # S = L^-T Phi L^-1, symmetrised, read by the lower triangle
            phi = multiply(where(low, matmul(_mT(out), g), 0), half)
            s = solve_triangular(_mT(out), phi, lower=False)
            s = _mT(solve_triangular(_mT(out), _mT(s), lower=False))
            sym = multiply(add(s, _mT(s)), 0.5)
            return (where(low, multiply(sym, add(half, half)), 0),)
        _rec("cholesky", (x,), out, vjp)
    return out


def _gap_inverse(v):
    """F[..., i, j] = 1 / (v[j] - v[i]) off the diagonal, 0 on it and where two values
    are equal; differentiable in v (the SVD and eigh VJPs use it)."""
    n = np.shape(_raw(v))[-1]
    diff = subtract(expand_dims(v, -2), expand_dims(v, -1))
    ok = ~np.eye(n, dtype=bool) & (_raw(diff) != 0)
    return where(ok, divide(1, where(ok, diff, 1)), 0)


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of the symmetric x (its lower triangle
    is read)."""
    xr = _raw(x)
    w, v = np.linalg.eigh(xr)
    outs = (_wrap(w), _wrap(v))
    if _state.tapes:
        n = xr.shape[-1]
        low = np.tri(n, dtype=bool)
        eye = np.eye(n, dtype=bool)

        def vjp(gw, gv):
            wv, vv = outs
            inner = add(multiply(_gap_inverse(wv), matmul(_mT(vv), gv)),
                        multiply(expand_dims(gw, -1), _wrap(eye.astype(xr.dtype))))
            full = matmul(vv, matmul(inner, _mT(vv)))
            # x enters through its lower triangle: the symmetric gradient folded onto it
            return (where(low, where(eye, full, add(full, _mT(full))), 0),)
        _record((x,), outs, vjp, "eigh")
    return outs


def svd(x):
    """The reduced SVD of x: (u, s, vt) with x = u @ diag(s) @ vt, s descending."""
    xr = _raw(x)
    u, s, vt = np.linalg.svd(xr, full_matrices=False)
    outs = (_wrap(u), _wrap(s), _wrap(vt))
    if _state.tapes:
        m, n = xr.shape[-2:]
        k = _b.min(m, n)
        eye = np.eye(k, dtype=xr.dtype)

        def vjp(gu, gs, gvt):
            uu, ss, vtt = outs
            vv = _mT(vtt)
            gv = _mT(gvt)
            f = _gap_inverse(square(ss))
            ut_gu = matmul(_mT(uu), gu)
            vt_gv = matmul(vtt, gv)
            j = multiply(f, subtract(ut_gu, _mT(ut_gu)))
            kk = multiply(f, subtract(vt_gv, _mT(vt_gv)))
            core = add(add(multiply(j, expand_dims(ss, -2)),
                           multiply(expand_dims(gs, -1), _wrap(eye))),
                       multiply(expand_dims(ss, -1), kk))
            ga = matmul(uu, matmul(core, vtt))
            sr = _raw(ss)
            inv_s = where(sr != 0, divide(1, where(sr != 0, ss, 1)), 0)
            if m > k:            # the part of gu outside u's columns
                rest = subtract(gu, matmul(uu, ut_gu))
                ga = add(ga, matmul(multiply(rest, expand_dims(inv_s, -2)), vtt))
            if n > k:            # the part of gv outside v's columns
                rest = subtract(gv, matmul(vv, vt_gv))
                ga = add(ga, matmul(multiply(uu, expand_dims(inv_s, -2)), _mT(rest)))
            return (ga,)
        _record((x,), outs, vjp, "svd")
    return outs


def singular_values(x):
    """The singular values of x (..., min(M, N)), largest first."""
    if not _state.tapes:
        return _wrap(np.linalg.svd(_raw(x), compute_uv=False))
    return svd(x)[1]


def qr(x, mode="reduced"):
    """The QR decomposition of x (numpy.linalg.qr's "reduced" or "complete"), with a
    gradient where it is unique: M >= N ("reduced"), or a square x."""
    xr = _raw(x)
    q, r = np.linalg.qr(xr, mode=mode)
    outs = (_wrap(q), _wrap(r))
    if _state.tapes:
        m, n = xr.shape[-2:]
        if m < n or (mode == "complete" and m != n):
            def vjp(*_):
                raise LookupError("qr has no gradient in fastnn for a matrix with more "
                                  "columns than rows, or with mode='complete' of a "
                                  "non-square one")
        else:
            low = np.tri(n, dtype=bool)
            strict = np.tri(n, k=-1, dtype=bool)

            def vjp(gq, gr):
                qq, rr = outs
                mm = subtract(matmul(rr, _mT(gr)), matmul(_mT(gq), qq))
                # copyltu(M): M's lower triangle mirrored onto the upper one
                sym = add(where(low, mm, 0), _mT(where(strict, mm, 0)))
                rhs = add(gq, matmul(qq, sym))
                # rhs @ R^-T
                return (_mT(solve_triangular(rr, _mT(rhs), lower=False)),)
        _record((x,), outs, vjp, "qr")
    return outs


_INDEX_REDUCE = {"max": np.maximum, "min": np.minimum, "mul": np.multiply}


def _positions(key, v_shape, x_shape):
    """The flat position in x of each element of v written at x[key] (key: a tuple of
    integer arrays for x's leading axes; v: their shape, then x's remaining axes)."""
    trail = x_shape[len(key):]
    comps = [np.broadcast_to(np.reshape(k, np.shape(k) + (1,) * len(trail)), v_shape)
             for k in key]
    for i, t in enumerate(trail):
        shape = [1] * len(v_shape)
        shape[len(v_shape) - len(trail) + i] = t
        comps.append(np.broadcast_to(np.arange(t).reshape(shape), v_shape))
    return np.ravel_multi_index(tuple(comps), x_shape)


def index_reduce(x, key, v, kind):
    """A copy of x with the values v combined into x[key] by `kind` ("max", "min" or
    "mul"; values at a repeated index all combine): scatter_update's reductions. The
    gradient of max / min goes to the value kept (x's where it ties with an update,
    else the first update among equal ones)."""
    xr, vr = _raw(x), _raw(v)
    key = _plain_key(key)
    out_r = np.array(xr, copy=True)
    _INDEX_REDUCE[kind].at(out_r, key, vr)
    out = _wrap(out_r)
    if _state.tapes:
        hit = np.zeros(xr.shape, bool)
        hit[key] = True
        if kind == "mul":
            def vjp(g):
                ones = _wrap(np.ones(xr.shape, xr.dtype))
                prod = index_reduce(ones, key, v, "mul")       # the updates' product
                gx = multiply(g, prod) if _floating(x) else None
                gv = None
                if _floating(v):
                    # product of the other updates at the same index, times x
                    nz = vr != 0
                    others = divide(getitem(prod, key), where(nz, v, 1))
                    if not np.all(nz):
                        exact = np.ones(vr.shape, vr.dtype)
                        flat_ids = _positions(key, vr.shape, xr.shape)
                        for i in zip(*np.nonzero(~nz)):
                            same = flat_ids == flat_ids[i]
                            same[i] = False
                            exact[i] = np.prod(vr[same])
                        others = where(nz, others, _wrap(exact))
                    gv = _sum_to(multiply(getitem(multiply(g, x), key), others), v)
                return gx, gv
        else:
            keep_x = hit & (xr == out_r)
            cand = (vr == out_r[key]) & ~keep_x[key]
            ids = np.arange(vr.size).reshape(vr.shape)
            first = np.full(xr.shape, vr.size, np.int64)
            np.minimum.at(first, key, np.where(cand, ids, vr.size))
            win = cand & (ids == first[key])

            def vjp(g):
                gx = where(hit & ~keep_x, 0, g) if _floating(x) else None
                gv = _sum_to(where(win, getitem(g, key), 0), v) if _floating(v) else None
                return gx, gv
        _rec("index_reduce", (x, v), out, vjp)
    return out


# ---- nn and math ops (batch 2)
def fftn(re, im, axes, inverse=False):
    """The discrete Fourier transform (inverse=True: its inverse, scaled by 1/n) of the
    complex array re + i*im over `axes`, as the pair (real part, imaginary part) in the
    dtype of the inputs. Both are linear, and each is its adjoint's multiple: the VJP of
    the forward transform is n times the inverse one of the output gradients, and the
    VJP of the inverse transform is the forward one divided by n."""
    rr, ir = _raw(re), _raw(im)
    dtype = np.result_type(rr, ir)
    z = rr + 1j * ir if dtype.kind == "f" else rr.astype(np.complex128) + 1j * ir
    c = np.fft.ifftn(z, axes=axes) if inverse else np.fft.fftn(z, axes=axes)
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)
    outs = (_wrap(np.ascontiguousarray(c.real, dtype=dtype)),
            _wrap(np.ascontiguousarray(c.imag, dtype=dtype)))
    if _state.tapes:
        n = 1
        for a in axes:
            n *= rr.shape[a]

        def vjp(gr, gi):
            br, bi = fftn(gr, gi, axes, inverse=not inverse)
            k = 1.0 / n if inverse else float(n)
            return (multiply(br, k) if _floating(re) else None,
                    multiply(bi, k) if _floating(im) else None)
        _record((re, im), outs, vjp, "ifftn" if inverse else "fftn")
    return outs


# ---- NumPy-family ops (batch 2)
def _einsum_explicit(subscripts, shapes):
    """An einsum's input subscripts and output subscript with the output made explicit
    and each '...' replaced by letters the subscripts do not use (broadcast dims
    right-aligned, as NumPy does)."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    ins = lhs.split(",")
    used = set(spec)
    spare = [c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba"
             if c not in used]
    n_ell = 0
    for s, shp in zip(ins, shapes):
        if "..." in s:
            n_ell = _b.max(n_ell, len(shp) - (len(s) - 3))
    ell = "".join(spare[:n_ell][::-1])
    out_ins = []
    for s, shp in zip(ins, shapes):
        if "..." in s:
            k = len(shp) - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        out_ins.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(s.replace("...", "") for s in ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return out_ins, out


def einsum(subscripts, *operands):
    """numpy.einsum, recorded: each operand's gradient is the einsum of the output
    gradient with the other operands (constant ones and identity matrices stand in for
    the operand's own summed and repeated letters)."""
    raws = [_raw(o) for o in operands]
    # optimize: contractions NumPy can hand to BLAS (tensordot) go there
    out = _wrap(np.asarray(np.einsum(subscripts, *raws, optimize=len(raws) > 1)))
    if _state.tapes:
        ins, osub = _einsum_explicit(subscripts, [np.shape(r) for r in raws])
        sizes = {}
        for s, r in zip(ins, raws):
            for c, n in zip(s, np.shape(r)):
                sizes[c] = _b.max(sizes.get(c, 1), n)

        def vjp(g):
            grads = []
            for i, (s, x) in enumerate(zip(ins, operands)):
                if not _floating(x):
                    grads.append(None)
                    continue
                others = [(ins[j], operands[j]) for j in range(len(ins)) if j != i]
                present = set(osub).union(*[set(t) for t, _ in others])
                subs, args, target = [osub], [g], ""
                for t, o in others:
                    subs.append(t)
                    args.append(o)
                fresh = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         if c not in sizes]
                seen = set()
                for c in s:
                    if c in seen:                    # a repeated letter: its diagonal
                        f = fresh.pop(0)
                        subs.append(c + f)
                        args.append(_const(np.eye(sizes[c], dtype=_raw(g).dtype)))
                        target += f
                        continue
                    seen.add(c)
                    if c not in present:             # summed in this operand only
                        subs.append(c)
                        args.append(_const(np.ones(sizes[c], dtype=_raw(g).dtype)))
                    target += c
                gi = einsum(",".join(subs) + "->" + target, *args)
                grads.append(_sum_to_shape(gi, np.shape(_raw(x))))
            return tuple(grads)
        _record(tuple(operands), (out,), vjp, "einsum")
    return out


def cumprod(x, axis=None):
    """numpy.cumprod, recorded. Without zeros the gradient is a reversed cumulative sum
    divided by x; with zeros, each element's gradient sums the products of the other
    elements up to each later position."""
    if axis is None:
        return cumprod(ravel(x), 0)
    xr = _raw(x)
    out = _wrap(np.cumprod(xr, axis=axis))
    if _state.tapes:
        ax = int(axis) % xr.ndim

        def vjp(g):
            if np.all(xr != 0):
                return (divide(flip(cumsum(flip(multiply(g, out), ax), ax), ax), x),)
            n = xr.shape[ax]
            xm = moveaxis(x, ax, -1)
            gm = moveaxis(g, ax, -1)
            rows = where(_const(np.eye(n, dtype=bool)), 1, expand_dims(xm, -2))
            c = cumprod(rows, -1)              # c[..., j, k]: prod of x_i, i <= k, i != j
            later = _const(np.triu(np.ones((n, n), dtype=bool)))
            gj = sum(where(later, multiply(expand_dims(gm, -2), c), 0), axis=-1)
            return (moveaxis(gj, -1, ax),)
        _rec("cumprod", (x,), out, vjp)
    return out


def bessel_i(n, x):
    """The modified Bessel function of the first kind of integer order n, recorded:
    the derivative of I_n is (I_{n-1} + I_{n+1}) / 2 (I_{-1} = I_1), so every order of
    derivative is one more of these. I_0 is numpy.i0; the other orders come from
    I_n(x) = (1 / pi) * integral over [0, pi] of exp(x cos t) cos(n t) dt by the
    trapezoidal rule, exact to rounding for an integrand this smooth and periodic once
    the points outnumber |x| / 2 + n."""
    xr = np.asarray(_raw(x))
    n = _b.abs(int(n))
    if n == 0:
        r = np.i0(xr)
    else:
        big = float(np.max(np.abs(xr))) if xr.size else 0.0
        m = 48 + n + int(_b.min(big, 1000.0))
        t = np.linspace(0.0, np.pi, m + 1)
        w = np.full(m + 1, 1.0 / m)
        w[0] = w[-1] = 0.5 / m
        xs = xr.astype(np.float64)[..., None]
        r = np.sum(np.exp(xs * np.cos(t)) * (np.cos(n * t) * w), axis=-1)
    out = _wrap(np.asarray(r).astype(xr.dtype, copy=False))
    if _state.tapes:
        _rec("bessel_i", (x,), out,
             lambda g: (multiply(g, multiply(add(bessel_i(n - 1, x), bessel_i(n + 1, x)),
                                             0.5)),))
    return out
