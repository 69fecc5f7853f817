"""keras.ops' NumPy-like functions (keras/src/ops/numpy.py), differentiable.

Arguments convert as in Keras (`convert_to_tensor`: Python floats and lists float32,
ints int32); results are Tensors. Python numbers mixed with a tensor take its dtype; an
integer tensor mixed with a float one takes the float's dtype; functions of floats
only (exp, sqrt, mean, ...) compute integer inputs in float32. The gradients are
those of the primitives (fastnn/autodiff/primitives.py).
"""
import builtins
import numbers

import numpy as np

from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff.core_ops import FLOATX, convert_to_tensor, standardize_dtype
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import _raw, _wrap

# ----------------------------------------------------------------------- helpers
def _t(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def _float(x):
    """x as a float Tensor (integers and bools in float32, Keras' floatx)."""
    x = _t(x)
    return x if x.dtype.kind in "fc" else P.cast(x, FLOATX)


def _operand(x):
    """A Python number stays a number (it takes the other operand's dtype)."""
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        return x
    return _t(x)


def _pair(x1, x2):
    """The two operands of a binary op, promoted as Keras does."""
    a, b = _operand(x1), _operand(x2)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a.dtype, b.dtype
        if da != db:
            if da.kind in "fc" and db.kind in "biu":
                b = P.cast(b, da)
            elif db.kind in "fc" and da.kind in "biu":
                a = P.cast(a, db)
    elif ta and isinstance(b, float) and a.dtype.kind in "biu":
        a = P.cast(a, FLOATX)
    elif tb and isinstance(a, float) and b.dtype.kind in "biu":
        b = P.cast(b, FLOATX)
    elif not ta and not tb:
        a, b = _t(a), _t(b)
    return a, b


def _check_axis(axis, ndim, name="axis", owner=None, allow_none=True, allow_tuple=True):
    """axis validated for an ndim-D input: None, an int in [-ndim, ndim) or a tuple of
    them; returned as given (ints as int)."""
    who = f"{owner}: " if owner else ""
    if axis is None:
        if allow_none:
            return None
        raise TypeError(f"{who}{name} must be an int, got None")
    if isinstance(axis, (list, tuple)) and allow_tuple:
        return tuple(_check_axis(a, ndim, name, owner, False, False) for a in axis)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{who}{name} must be an int{' or a tuple of ints' if allow_tuple else ''}"
                        f"{' or None' if allow_none else ''}, got {type(axis).__name__} "
                        f"{axis!r}")
    n = builtins.max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"{who}{name} must be in [{-n}, {n}) for a {ndim}-D input, got "
                         f"{axis}")
    return int(axis)


def _check_shape(shape, name="shape", owner=None):
    who = f"{owner}: " if owner else ""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (int(shape),)
    if not isinstance(shape, (list, tuple)) or not builtins.all(
            isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_))
            for s in shape):
        raise TypeError(f"{who}{name} must be an int or a tuple of ints, got "
                        f"{type(shape).__name__} {shape!r}")
    return tuple(int(s) for s in shape)


def _bool(v, name, owner):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {type(v).__name__} "
                        f"{v!r}")
    return bool(v)


# ====================================================================== creation
def _dt(dtype, owner, default=FLOATX):
    d = standardize_dtype(dtype, "dtype", owner)
    return default if d is None else d


def array(x, dtype=None):
    """A new Tensor holding a copy of x (Keras' ops.array).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    dtype
        The dtype. Default None: from ``x``.
    """
    t = convert_to_tensor(x, dtype=dtype)
    return _wrap(np.array(_raw(t), copy=True))


def zeros(shape, dtype=None):
    """A new tensor of ``shape`` filled with zeros.

    Parameters
    ----------
    shape
        The shape of the result.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    return _wrap(np.zeros(_check_shape(shape, owner="zeros"), _dt(dtype, "zeros")))


def ones(shape, dtype=None):
    """A new tensor of ``shape`` filled with ones.

    Parameters
    ----------
    shape
        The shape of the result.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    return _wrap(np.ones(_check_shape(shape, owner="ones"), _dt(dtype, "ones")))


def full(shape, fill_value, dtype=None):
    """A new tensor of ``shape`` filled with ``fill_value``.

    Parameters
    ----------
    shape
        The shape of the result.
    fill_value
        The value.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    fv = _raw(fill_value)
    return _wrap(np.full(_check_shape(shape, owner="full"), fv, _dt(dtype, "full")))


def zeros_like(x, dtype=None):
    """A new tensor of ``x``'s shape filled with zeros.

    Parameters
    ----------
    x
        The tensor whose shape (and by default dtype) the result takes.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    x = _t(x)
    return _wrap(np.zeros(x.shape, _dt(dtype, "zeros_like", x.dtype)))


def ones_like(x, dtype=None):
    """A new tensor of ``x``'s shape filled with ones.

    Parameters
    ----------
    x
        The tensor whose shape (and by default dtype) the result takes.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    x = _t(x)
    return _wrap(np.ones(x.shape, _dt(dtype, "ones_like", x.dtype)))


def full_like(x, fill_value, dtype=None):
    """A new tensor of ``x``'s shape filled with ``fill_value``.

    Parameters
    ----------
    x
        The tensor whose shape (and by default dtype) the result takes.
    fill_value
        The value.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    x = _t(x)
    return _wrap(np.full(x.shape, _raw(fill_value), _dt(dtype, "full_like", x.dtype)))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); float32 if any bound is a float, else int32
    (unless dtype says otherwise).

    Parameters
    ----------
    start
        The first value (or, alone, the bound: ``arange(n)`` is 0 .. n-1).
    stop
        The bound, excluded.
    step
        The step. Default 1.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    if step is None:
        step = 1
    vals = [v for v in (start, stop, step) if v is not None]
    for nm, v in zip(("start", "stop", "step"), (start, stop, step)):
        if v is not None and (isinstance(v, (bool, np.bool_)) or
                              not isinstance(_raw(v) if not isinstance(v, np.ndarray)
                                             else v.item(), numbers.Real)):
            raise TypeError(f"arange: {nm} must be a real number, got {type(v).__name__} "
                            f"{v!r}")
    if dtype is None:
        dtype = FLOATX if builtins.any(np.asarray(_raw(v)).dtype.kind == "f" for v in vals) \
            else np.dtype(np.int32)
    if stop is None:
        return _wrap(np.arange(0, _raw(start), _raw(step), dtype=_dt(dtype, "arange")))
    return _wrap(np.arange(_raw(start), _raw(stop), _raw(step), dtype=_dt(dtype, "arange")))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Parameters
    ----------
    start
        The first value.
    stop
        The last value (or the bound, with ``endpoint=False``).
    num
        The number of values. Default 50.
    endpoint
        Whether ``stop`` is included. Default True.
    retstep
        Whether to return the step too, as ``(values, step)``. Default False.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    axis
        Where the values go in the result, for array bounds. Default 0.
    """
    if isinstance(num, np.ndarray) and num.ndim == 0 and num.dtype.kind in "iu":
        num = int(num)
    if isinstance(num, (bool, np.bool_)) or not isinstance(num, numbers.Integral) or num < 0:
        raise ValueError(f"linspace: num must be an int >= 0, got {num!r}")
    r = np.linspace(_raw(start), _raw(stop), int(num), endpoint=endpoint, retstep=retstep,
                    dtype=_dt(dtype, "linspace"), axis=axis)
    if retstep:
        return _wrap(r[0]), r[1]
    return _wrap(r)


def eye(N, M=None, k=0, dtype=None):
    """A 2-D array with ones on a diagonal and zeros elsewhere.

    Parameters
    ----------
    N
        The number of rows.
    M
        The number of columns. Default None: ``N``.
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    for nm, v in (("N", N), ("M", M), ("k", k)):
        if v is not None and (isinstance(v, (bool, np.bool_)) or
                              not isinstance(v, numbers.Integral)):
            raise TypeError(f"eye: {nm} must be an int, got {type(v).__name__} {v!r}")
    return _wrap(np.eye(N, M, k, dtype=_dt(dtype, "eye")))


def identity(n, dtype=None):
    """The ``n`` by ``n`` identity matrix.

    Parameters
    ----------
    n
        The size.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """A 2-D array with ones at and below the ``k``-th diagonal and zeros elsewhere.

    Parameters
    ----------
    N
        The number of rows.
    M
        The number of columns. Default None: ``N``.
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    """
    return _wrap(np.tri(N, M, k, dtype=_dt(dtype, "tri")))


# ==================================================================== arithmetic
def _binary(prim, name, *, floats=False):
    def op(x1, x2):
        """keras.ops' element-wise arithmetic on two operands: the NumPy function of the same
        name (``fastnn.ops.add`` computes ``numpy.add``), with broadcasting and Keras' dtype
        promotion. Differentiable under a GradientTape, and usable on the functional API's
        symbolic tensors.

        Parameters
        ----------
        x1
            The first operand.
        x2
            The second operand, broadcast against ``x1``.

        Returns
        -------
        Tensor
            The result.
        """
        a, b = _pair(x1, x2)
        if floats:
            a = _float(a) if isinstance(a, Tensor) else a
            b = _float(b) if isinstance(b, Tensor) else b
            if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
                d = np.promote_types(a.dtype, b.dtype)
                a, b = P.cast(a, d) if a.dtype != d else a, P.cast(b, d) if b.dtype != d else b
        return prim(a, b)
    op.__name__ = name
    return op


_BROADCAST = ((3, 4), (4,))
add = register("add", args=("x", "x"), shapes=_BROADCAST, ref=np.add)(_binary(P.add, "add"))
subtract = register("subtract", args=("x", "x"), shapes=((3, 1), (1, 4)),
                    ref=np.subtract)(_binary(P.subtract, "subtract"))
multiply = register("multiply", args=("x", "x"), shapes=((2, 3, 4), (3, 1)),
                    ref=np.multiply)(_binary(P.multiply, "multiply"))
divide = register("divide", args=("x", "nz"), shapes=_BROADCAST,
                  ref=np.divide)(_binary(P.divide, "divide", floats=True))
true_divide = register("true_divide", args=("nz", "nz"),
                       ref=np.true_divide)(_binary(P.divide, "true_divide", floats=True))
maximum = register("maximum", args=("distinct", "distinct"), ref=np.maximum)(
    _binary(P.maximum, "maximum"))
minimum = register("minimum", args=("distinct", "distinct"), shapes=_BROADCAST,
                   ref=np.minimum)(_binary(P.minimum, "minimum"))


def _ref_divide_no_nan(x1, x2):
    x1, x2 = np.asarray(x1), np.asarray(x2)
    zero = x2 == 0
    return np.where(zero, 0, x1 / np.where(zero, 1, x2))


@register("divide_no_nan", args=("x", "nz"), shapes=_BROADCAST, ref=_ref_divide_no_nan)
def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0 (Keras' ops.divide_no_nan); the gradient is 0 there
    too (the division runs on a denominator of 1 where x2 is 0).

    Parameters
    ----------
    x1
        The numerator.
    x2
        The denominator.
    """
    a, b = _pair(x1, x2)
    a = _float(a) if isinstance(a, Tensor) else a
    b = _float(b) if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        d = np.promote_types(a.dtype, b.dtype)
        a, b = P.cast(a, d) if a.dtype != d else a, P.cast(b, d) if b.dtype != d else b
    zero = np.asarray(_raw(b) == 0)
    if not zero.any():
        return P.divide(a, b)
    safe = P.where(zero, 1, b) if isinstance(b, Tensor) else np.where(zero, 1, b)
    return P.where(zero, 0, P.divide(a, safe))


@register("power", args=("pos", "x"), shapes=_BROADCAST, ref=np.power)
def power(x1, x2):
    """``x1 ** x2``, element-wise, with broadcasting.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    return P.power(a, b)


def _unary(prim, name, ref, kind="x", floats=True, **kw):
    def op(x):
        """keras.ops' element-wise math functions: the NumPy function of the same name applied
        to ``x`` (``fastnn.ops.exp`` computes ``numpy.exp``; integer inputs are computed in
        float32, as Keras does). Differentiable under a GradientTape, and usable on the
        functional API's symbolic tensors.

        Parameters
        ----------
        x
            The input tensor (an array, a Tensor or a number).

        Returns
        -------
        Tensor
            The result, of ``x``'s shape.
        """
        return prim(_float(x) if floats else _t(x))
    op.__name__ = name
    return register(name, args=(kind,), ref=ref, **kw)(op)


negative = _unary(P.negative, "negative", np.negative, floats=False)
square = _unary(P.square, "square", np.square, floats=False)
sqrt = _unary(P.sqrt, "sqrt", np.sqrt, "pos")
exp = _unary(P.exp, "exp", np.exp)
exp2 = _unary(P.exp2, "exp2", np.exp2)
expm1 = _unary(P.expm1, "expm1", np.expm1)
log = _unary(P.log, "log", np.log, "pos")
log1p = _unary(P.log1p, "log1p", np.log1p, "pos")
log2 = _unary(P.log2, "log2", np.log2, "pos")
log10 = _unary(P.log10, "log10", np.log10, "pos")
reciprocal = _unary(P.reciprocal, "reciprocal", np.reciprocal, "nz")
sin = _unary(P.sin, "sin", np.sin)
cos = _unary(P.cos, "cos", np.cos)
tan = _unary(P.tan, "tan", np.tan, "unit")
arcsin = _unary(P.arcsin, "arcsin", np.arcsin, "unit")
arccos = _unary(P.arccos, "arccos", np.arccos, "unit")
arctan = _unary(P.arctan, "arctan", np.arctan)
sinh = _unary(P.sinh, "sinh", np.sinh)
cosh = _unary(P.cosh, "cosh", np.cosh)
arcsinh = _unary(P.arcsinh, "arcsinh", np.arcsinh)
arccosh = _unary(P.arccosh, "arccosh", np.arccosh, "gt1")
arctanh = _unary(P.arctanh, "arctanh", np.arctanh, "unit")


@register("abs", args=("nz",), ref=np.abs)
def abs(x):
    """The absolute value of ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return P.absolute(_t(x))


@register("absolute", args=("nz",), ref=np.absolute)
def absolute(x):
    """The absolute value of ``x``, element-wise (as ``abs``).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return P.absolute(_t(x))


@register("sign", args=("nz",), ref=np.sign, grad=False)
def sign(x):
    """The sign of ``x`` (-1, 0 or 1), element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _wrap(np.sign(_raw(_t(x))))


@register("floor", args=("x",), ref=np.floor, grad=False)
def floor(x):
    """The largest integer at most ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _wrap(np.floor(_raw(_float(x))))


@register("ceil", args=("x",), ref=np.ceil, grad=False)
def ceil(x):
    """The smallest integer at least ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _wrap(np.ceil(_raw(_float(x))))


@register("round", args=("x",), cases=({}, {"decimals": 1}), ref=np.round, grad=False)
def round(x, decimals=0):
    """``x`` rounded to ``decimals`` decimals (halves to even), element-wise.

    Parameters
    ----------
    x
        The input tensor.
    decimals
        The number of decimals. Default 0.
    """
    return _wrap(np.round(_raw(_t(x)), decimals))


@register("clip", args=("x",), cases=({"x_min": -0.5, "x_max": 0.7},),
          ref=lambda x, x_min, x_max: np.clip(x, x_min, x_max))
def clip(x, x_min, x_max):
    """``x`` with its values limited to ``[x_min, x_max]``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    x_min
        The lower bound.
    x_max
        The upper bound.
    """
    x = _t(x)
    if x.dtype == np.bool_:
        x = P.cast(x, np.int32)
    lo = _raw(x_min) if not isinstance(x_min, Tensor) else x_min
    hi = _raw(x_max) if not isinstance(x_max, Tensor) else x_max
    out = P.clip(x, lo, hi)
    return out if out.dtype == x.dtype else P.cast(out, x.dtype)


@register("where", args=("bool", "x", "x"), shapes=((3, 4), (3, 4), (4,)), ref=np.where)
def where(condition, x1=None, x2=None):
    """Elements of x1 where condition holds, else of x2; with neither, the indices of
    the non-zero elements of condition (a tuple of int arrays).

    Parameters
    ----------
    condition
        A boolean tensor.
    x1
        The values where ``condition`` holds.
    x2
        The values elsewhere.
    """
    c = np.asarray(_raw(condition))
    if x1 is None and x2 is None:
        return tuple(_wrap(i.astype(np.int32)) for i in np.nonzero(c))
    if x1 is None or x2 is None:
        raise ValueError("where: x1 and x2 must be given together (or neither), got "
                         f"x1={'None' if x1 is None else 'an array'}, x2="
                         f"{'None' if x2 is None else 'an array'}")
    a, b = _pair(x1, x2)
    return P.where(c.astype(bool, copy=False), a, b)


@register("logaddexp", args=("x", "x"), ref=np.logaddexp)
def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))``, element-wise, computed stably.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(_float(x1), _float(x2))
    return P.logaddexp(a, b)


@register("hypot", args=("nz", "nz"), ref=np.hypot)
def hypot(x1, x2):
    """``sqrt(x1 ** 2 + x2 ** 2)``, element-wise.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(_float(x1), _float(x2))
    return P.ufunc_call(np.hypot, (a, b), {})


@register("arctan2", args=("nz", "nz"), ref=np.arctan2)
def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)``, ``arctan(x1 / x2)`` in the right quadrant,
    element-wise.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(_float(x1), _float(x2))
    return P.ufunc_call(np.arctan2, (a, b), {})


@register("mod", args=("x", "pos"), ref=np.mod)
def mod(x1, x2):
    """The remainder of ``x1 / x2``, element-wise (the sign of ``x2``).

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    return P.ufunc_call(np.remainder, (a, b), {})


@register("floor_divide", args=("x", "pos"), ref=np.floor_divide, grad=False)
def floor_divide(x1, x2):
    """``x1 // x2``, element-wise, with broadcasting.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    return _wrap(np.floor_divide(_raw(a), _raw(b)))


# ===================================================================== reductions
def _reduce_args(x, axis, keepdims, owner):
    x = _t(x)
    return x, _check_axis(axis, x.ndim, owner=owner), _bool(keepdims, "keepdims", owner)


_RED_CASES = ({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1})
_RED_SHAPE = ((2, 3, 4),)


@register("sum", shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.sum)
def sum(x, axis=None, keepdims=False):
    """The sum along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "sum")
    if x.dtype == np.bool_:
        x = P.cast(x, np.int32)
    return P.sum(x, axis=axis, keepdims=keepdims)


@register("mean", shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.mean)
def mean(x, axis=None, keepdims=False):
    """The mean along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "mean")
    return P.mean(_float(x), axis=axis, keepdims=keepdims)


@register("max", args=("distinct",), shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.max)
def max(x, axis=None, keepdims=False, initial=None):
    """The largest value along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    initial
        A starting value for the reduction (NumPy's ``initial``). Default None.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "max")
    if initial is not None and x.size == 0:
        return _wrap(np.max(_raw(x), axis=axis, keepdims=keepdims, initial=_raw(initial)))
    out = P.max(x, axis=axis, keepdims=keepdims)
    return out if initial is None else P.maximum(out, initial)


@register("min", args=("distinct",), shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.min)
def min(x, axis=None, keepdims=False, initial=None):
    """The smallest value along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    initial
        A starting value for the reduction (NumPy's ``initial``). Default None.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "min")
    if initial is not None and x.size == 0:
        return _wrap(np.min(_raw(x), axis=axis, keepdims=keepdims, initial=_raw(initial)))
    out = P.min(x, axis=axis, keepdims=keepdims)
    return out if initial is None else P.minimum(out, initial)


amax, amin = max, min


@register("prod", args=("nz",), shapes=((2, 3, 2),), cases=_RED_CASES, ref=np.prod)
def prod(x, axis=None, keepdims=False, dtype=None):
    """The product along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    dtype
        The dtype of the result. Default None: from ``x``.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "prod")
    if dtype is not None:
        x = P.cast(x, standardize_dtype(dtype, "dtype", "prod"))
    return P.prod(x, axis=axis, keepdims=keepdims)


@register("var", shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.var)
def var(x, axis=None, keepdims=False):
    """The variance along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "var")
    return P.var(_float(x), axis=axis, keepdims=keepdims)


@register("std", shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.std)
def std(x, axis=None, keepdims=False):
    """The standard deviation along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "std")
    return P.std(_float(x), axis=axis, keepdims=keepdims)


def _arg_extreme(np_fn, name):
    def op(x, axis=None, keepdims=False):
        """keras.ops' ``argmax`` and ``argmin``: the index of the largest (smallest) value
        along ``axis``, as int32.

        Parameters
        ----------
        x
            The input tensor (an array, a Tensor or a number).
        axis
            The axis to search along. Default None: over the flattened values.
        keepdims
            Whether to keep the reduced axes, with size 1. Default False.

        Returns
        -------
        Tensor
            The indices, int32.
        """
        x, axis, keepdims = _reduce_args(x, axis, keepdims, name)
        if isinstance(axis, tuple):
            raise TypeError(f"{name}: axis must be an int or None, got a tuple {axis}")
        r = np_fn(_raw(x), axis=axis, keepdims=keepdims)
        return _wrap(np.asarray(r).astype(np.int32))
    op.__name__ = name
    return register(name, args=("distinct",), shapes=_RED_SHAPE,
                    cases=({}, {"axis": 1}, {"axis": -1, "keepdims": True}),
                    ref=np_fn, grad=False)(op)


argmax = _arg_extreme(np.argmax, "argmax")
argmin = _arg_extreme(np.argmin, "argmin")


@register("cumsum", shapes=_RED_SHAPE, cases=({}, {"axis": 1}, {"axis": -1}), ref=np.cumsum)
def cumsum(x, axis=None, dtype=None):
    """The cumulative sum along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis to sum along. Default None: over the flattened values.
    dtype
        The dtype of the result. Default None: from ``x``.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="cumsum")
    if isinstance(axis, tuple):
        raise TypeError(f"cumsum: axis must be an int or None, got a tuple {axis}")
    if dtype is not None:
        x = P.cast(x, standardize_dtype(dtype, "dtype", "cumsum"))
    elif x.dtype == np.bool_:
        x = P.cast(x, np.int32)
    return P.cumsum(x, axis=axis)


def _ref_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


@register("logsumexp", shapes=_RED_SHAPE, cases=_RED_CASES, ref=_ref_logsumexp)
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis, shifted by the maximum so it never overflows.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "logsumexp")
    return P.logsumexp(_float(x), axis=axis, keepdims=keepdims)


def _logical_reduce(np_fn, name):
    def op(x, axis=None, keepdims=False):
        """keras.ops' ``all`` and ``any``: whether all (any) values along ``axis`` are true.

        Parameters
        ----------
        x
            The input tensor (an array, a Tensor or a number).
        axis
            The axis (or axes) to reduce over. Default None: all of them.
        keepdims
            Whether to keep the reduced axes, with size 1. Default False.

        Returns
        -------
        Tensor
            A boolean tensor.
        """
        x, axis, keepdims = _reduce_args(x, axis, keepdims, name)
        return _wrap(np.asarray(np_fn(_raw(x), axis=axis, keepdims=keepdims)))
    op.__name__ = name
    return register(name, args=("bool",), shapes=_RED_SHAPE,
                    cases=({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}),
                    ref=np_fn, grad=False)(op)


all = _logical_reduce(np.all, "all")
any = _logical_reduce(np.any, "any")


# ================================================================ linear algebra
@register("matmul", args=("x", "x"), shapes=((3, 4), (4, 2)), ref=np.matmul)
def matmul(x1, x2):
    """The matrix product of ``x1`` and ``x2`` (batched over leading axes, as
    ``numpy.matmul``).

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: x1 and x2 must have at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ValueError(f"matmul: x2 must have {ka} rows to match the last dimension of "
                         f"x1 (x1.shape={a.shape}), got x2.shape={b.shape}")
    return P.matmul(a, b)


register("matmul_batched", args=("x", "x"), shapes=((2, 3, 4), (4, 2)),
         ref=np.matmul)(lambda x1, x2: matmul(x1, x2))
register("matmul_vector", args=("x", "x"), shapes=((4,), (2, 4, 3)),
         ref=np.matmul)(lambda x1, x2: matmul(x1, x2))


@register("dot", args=("x", "x"), shapes=((2, 3, 4), (4, 2)), ref=np.dot)
def dot(x1, x2):
    """The dot product of ``x1`` and ``x2`` (as ``numpy.dot``).

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    return P.dot(a, b)


@register("tensordot", args=("x", "x"), shapes=((2, 3, 4), (4, 3, 5)),
          cases=({"axes": 1}, {"axes": ([1, 2], [1, 0])}), ref=np.tensordot)
def tensordot(x1, x2, axes=2):
    """The sum of products of ``x1`` and ``x2`` over the given axes.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    axes
        An int N (the last N axes of ``x1`` with the first N of ``x2``) or a pair of
        axis lists. Default 2.
    """
    a, b = _pair(x1, x2)
    return P.tensordot(a, b, axes=axes)


@register("outer", args=("x", "x"), shapes=((3,), (2, 2)), ref=np.outer)
def outer(x1, x2):
    """The outer product of ``x1`` and ``x2`` (both flattened).

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    return P.outer(a, b)


@register("inner", args=("x", "x"), shapes=((2, 4), (3, 4)), ref=np.inner)
def inner(x1, x2):
    """The inner product of ``x1`` and ``x2`` over their last axes.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return P.multiply(a, b)
    return P.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


@register("transpose", shapes=((2, 3, 4),), cases=({}, {"axes": (1, 0, 2)}, {"axes": (2, 0, 1)}),
          ref=np.transpose)
def transpose(x, axes=None):
    """``x`` with its axes permuted.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axes
        The new order of the axes. Default None: reversed.
    """
    x = _t(x)
    if axes is not None:
        axes = _check_axis(tuple(axes), x.ndim, "axes", "transpose")
        if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes must be a permutation of the {x.ndim} axes, "
                             f"got {axes}")
    return P.transpose(x, axes)


@register("trace", args=("x",), shapes=((3, 3),), ref=np.trace)
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal of ``x``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    offset
        The diagonal's offset from the main one. Default 0.
    axis1
        The first axis of the 2-D planes. Default 0.
    axis2
        The second axis of the 2-D planes. Default 1.
    """
    x = _t(x)
    d = diagonal(x, offset, axis1, axis2)
    return P.sum(d, axis=-1)


@register("diagonal", args=("x",), shapes=((3, 4),), cases=({}, {"offset": 1}),
          ref=np.diagonal)
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of ``x`` over two of its axes.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    offset
        The diagonal's offset from the main one. Default 0.
    axis1
        The first axis of the 2-D planes. Default 0.
    axis2
        The second axis of the 2-D planes. Default 1.
    """
    x = _t(x)
    a1 = _check_axis(axis1, x.ndim, "axis1", "diagonal", False, False) % builtins.max(x.ndim, 1)
    a2 = _check_axis(axis2, x.ndim, "axis2", "diagonal", False, False) % builtins.max(x.ndim, 1)
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 must be different axes, got axis1="
                         f"{axis1} and axis2={axis2} (both axis {a1})")
    moved = P.moveaxis(x, (axis1, axis2), (-2, -1))
    n, m = moved.shape[-2], moved.shape[-1]
    i = np.arange(builtins.max(0, builtins.min(n, m - offset) if offset >= 0
                               else builtins.min(n + offset, m)))
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    return P.getitem(moved, (Ellipsis, rows, cols))


# ========================================================================= shapes
@register("reshape", shapes=((2, 3, 4),), cases=({"newshape": (6, 4)}, {"newshape": (-1,)},
                                                 {"newshape": (4, -1, 2)}),
          ref=lambda x, newshape: np.reshape(x, newshape))
def reshape(x, newshape):
    """``x`` with a new shape and the same values.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    newshape
        The new shape; one entry may be -1.
    """
    x = _t(x)
    shape = _check_shape(newshape, "newshape", "reshape")
    known = [s for s in shape if s != -1]
    if builtins.any(s < -1 for s in shape):
        raise ValueError(f"reshape: each size in newshape must be a non-negative integer "
                         f"or -1 (one unknown dimension), got newshape={shape}")
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: newshape may hold at most one unknown dimension (-1), "
                         f"got newshape={shape}")
    k = int(np.prod(known, dtype=np.int64)) if known else 1
    if (-1 not in shape and k != x.size) or (-1 in shape and (k == 0 or x.size % k)):
        raise ValueError(f"reshape: cannot reshape an array of size {x.size} (shape "
                         f"{x.shape}) into shape {shape}")
    return P.reshape(x, shape)


@register("expand_dims", shapes=((3, 4),), cases=({"axis": 0}, {"axis": -1}, {"axis": (0, 2)}),
          ref=np.expand_dims)
def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        Where the new axis goes.
    """
    x = _t(x)
    _check_axis(axis, x.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1),
                owner="expand_dims", allow_none=False)
    return P.expand_dims(x, axis)


@register("squeeze", shapes=((3, 1, 4, 1),), cases=({}, {"axis": 1}, {"axis": (1, 3)}),
          ref=np.squeeze)
def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (or the given ones).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to remove. Default None: all of size 1.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="squeeze")
    if axis is not None:
        for a in (axis if isinstance(axis, tuple) else (axis,)):
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 (x.shape="
                                 f"{x.shape})")
    return P.squeeze(x, axis)


@register("ravel", shapes=((2, 3, 2),), ref=np.ravel)
def ravel(x):
    """``x`` flattened to one axis.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return P.ravel(_t(x))


flatten = ravel


@register("concatenate", args=("x", "x", "x"), shapes=((2, 3), (1, 3), (4, 3)),
          ref=lambda *xs, axis=0: np.concatenate(xs, axis=axis))
def _concatenate_test(*xs, axis=0):
    return concatenate(xs, axis=axis)


def concatenate(xs, axis=0):
    """xs joined along an existing axis (None: flattened first).

    Parameters
    ----------
    xs
        The tensors to join.
    axis
        The axis to join along. Default 0 (None: the inputs are flattened first).
    """
    xs = [_t(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: xs must hold at least one array, got none")
    if axis is not None:
        _check_axis(axis, xs[0].ndim, owner="concatenate", allow_tuple=False)
    dts = {x.dtype for x in xs}
    if len(dts) > 1:
        d = np.result_type(*dts)
        xs = [x if x.dtype == d else P.cast(x, d) for x in xs]
    return P.concatenate(xs, axis=axis)


@register("stack", args=("x", "x"), shapes=((3, 4), (3, 4)),
          cases=({}, {"axis": 1}, {"axis": -1}),
          ref=lambda *xs, axis=0: np.stack(xs, axis=axis))
def _stack_test(*xs, axis=0):
    return stack(xs, axis=axis)


def stack(x, axis=0):
    """The arrays x (same shape) stacked along a new axis.

    Parameters
    ----------
    x
        The tensors to stack, all of one shape.
    axis
        The position of the new axis. Default 0.
    """
    xs = [_t(v) for v in x]
    if not xs:
        raise ValueError("stack: x must hold at least one array, got none")
    _check_axis(axis, xs[0].ndim + 1, owner="stack", allow_tuple=False, allow_none=False)
    dts = {v.dtype for v in xs}
    if len(dts) > 1:
        d = np.result_type(*dts)
        xs = [v if v.dtype == d else P.cast(v, d) for v in xs]
    return P.stack(xs, axis=axis)


@register("split", shapes=((6, 4),), cases=({"indices_or_sections": 3},
                                           {"indices_or_sections": [1, 4]},
                                           {"indices_or_sections": 2, "axis": 1}),
          ref=np.split)
def split(x, indices_or_sections, axis=0):
    """``x`` split into several tensors along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    indices_or_sections
        An int (that many equal parts) or the indices to split at.
    axis
        The axis to split along. Default 0.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="split", allow_none=False, allow_tuple=False)
    if isinstance(indices_or_sections, numbers.Integral) and \
            not isinstance(indices_or_sections, bool):
        n = int(indices_or_sections)
        if n <= 0 or x.shape[axis] % n:
            raise ValueError(f"split: indices_or_sections={n} must divide the size "
                             f"{x.shape[axis]} of axis {axis} into equal parts")
    return P.split(x, indices_or_sections, axis)


@register("take", args=("x", "int"), shapes=((3, 4), (2, 2)),
          cases=({}, {"axis": 0}, {"axis": 1}), ref=np.take)
def take(x, indices, axis=None):
    """The values of ``x`` at ``indices`` along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    indices
        The integer indices.
    axis
        The axis to take along. Default None: from the flattened values.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="take", allow_tuple=False)
    idx = np.asarray(_raw(indices))
    if idx.dtype.kind not in "iu":
        if idx.dtype.kind == "f" and idx.size and np.all(idx == np.floor(idx)):
            idx = idx.astype(np.int64)
        elif idx.size:
            raise TypeError(f"take: indices must be integers, got dtype {idx.dtype}")
        else:
            idx = idx.astype(np.int64)
    n = x.size if axis is None else x.shape[axis]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise ValueError(f"take: indices must be in [{-n}, {n}) for "
                         f"{'the flattened x' if axis is None else f'axis {axis}'}, got values "
                         f"in [{idx.min()}, {idx.max()}]")
    return P.take(x, idx, axis)


@register("take_along_axis", args=("x", "int"), shapes=((3, 4), (3, 2)),
          cases=({"axis": 1},), ref=np.take_along_axis)
def take_along_axis(x, indices, axis=None):
    """The values of ``x`` at ``indices``, matched along ``axis`` (as
    ``numpy.take_along_axis``).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    indices
        The integer indices, of ``x``'s rank.
    axis
        The axis to take along.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="take_along_axis", allow_tuple=False)
    idx = np.asarray(_raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {idx.dtype}")
    n = x.size if axis is None else x.shape[axis]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise ValueError(f"take_along_axis: indices must be in [{-n}, {n}), got values in "
                         f"[{idx.min()}, {idx.max()}]")
    return P.take_along_axis(x, idx, axis)


@register("tile", shapes=((2, 3),), cases=({"repeats": 2}, {"repeats": (2, 1, 3)}),
          ref=lambda x, repeats: np.tile(x, repeats))
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    repeats
        The repetitions per axis.
    """
    x = _t(x)
    reps = repeats if isinstance(repeats, (list, tuple)) else [repeats]
    for r in reps:
        if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Integral) or r < 0:
            raise ValueError(f"tile: repeats must be ints >= 0, got {repeats!r}")
    return P.tile(x, repeats)


@register("repeat", shapes=((2, 3),), cases=({"repeats": 2}, {"repeats": 2, "axis": 1},
                                             {"repeats": [1, 0, 2], "axis": 1}),
          ref=np.repeat)
def repeat(x, repeats, axis=None):
    """Each value of ``x`` repeated ``repeats`` times along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    repeats
        How many times each value is repeated.
    axis
        The axis to repeat along. Default None: over the flattened values.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="repeat", allow_tuple=False)
    r = np.asarray(_raw(repeats))
    if r.dtype.kind not in "iu" or (r.size and r.min() < 0):
        raise ValueError(f"repeat: repeats must be ints >= 0, got {repeats!r}")
    return P.repeat(x, r if r.ndim else int(r), axis)


@register("broadcast_to", shapes=((3, 1),), cases=({"shape": (2, 3, 4)},),
          ref=lambda x, shape: np.broadcast_to(x, shape))
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    shape
        The shape to broadcast to.
    """
    x = _t(x)
    shape = _check_shape(shape, owner="broadcast_to")
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast x of shape {x.shape} to shape "
                         f"{shape}") from None
    return P.broadcast_to(x, shape)


@register("swapaxes", shapes=((2, 3, 4),), cases=({"axis1": 0, "axis2": 2},),
          ref=np.swapaxes)
def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis1
        The first axis.
    axis2
        The second axis.
    """
    x = _t(x)
    _check_axis(axis1, x.ndim, "axis1", "swapaxes", False, False)
    _check_axis(axis2, x.ndim, "axis2", "swapaxes", False, False)
    return P.swapaxes(x, axis1, axis2)


@register("moveaxis", shapes=((2, 3, 4),), cases=({"source": 0, "destination": -1},
                                                  {"source": (0, 1), "destination": (2, 0)}),
          ref=np.moveaxis)
def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    source
        The axis (or axes) to move.
    destination
        Where they go.
    """
    x = _t(x)
    _check_axis(source, x.ndim, "source", "moveaxis", False)
    _check_axis(destination, x.ndim, "destination", "moveaxis", False)
    return P.moveaxis(x, source, destination)


@register("flip", shapes=((2, 3, 4),), cases=({}, {"axis": 1}, {"axis": (0, 2)}), ref=np.flip)
def flip(x, axis=None):
    """``x`` with the order of its values reversed along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis (or axes) to reverse. Default None: all.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="flip")
    return P.flip(x, axis)


@register("pad", shapes=((2, 3),), cases=({"pad_width": ((1, 0), (2, 1))},
                                          {"pad_width": 1, "constant_values": 2.0}),
          ref=lambda x, pad_width, constant_values=0: np.pad(
              x, pad_width, constant_values=constant_values))
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded with ``pad_width`` values on each side of each axis.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    pad_width
        ``((before, after), ...)`` per axis, or one pair for all.
    mode
        Only ``'constant'`` (the default) is supported.
    constant_values
        The value padded with in ``'constant'`` mode. Default None: 0.
    """
    x = _t(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    return P.pad(x, pad_width, 0 if constant_values is None else constant_values)


def size(x):
    """The number of elements of x.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return int(np.size(_raw(x)))


def ndim(x):
    """The number of dimensions of x.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return int(np.ndim(_raw(x)))


def shape(x):
    """The shape of ``x``, a tuple.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return tuple(np.shape(_raw(x)))


@register("copy", ref=np.copy)
def copy(x):
    """A copy of ``x``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return P.copy(_t(x))


@register("tril", shapes=((3, 4),), cases=({}, {"k": 1}), ref=np.tril)
def tril(x, k=0):
    """``x`` with the values above the ``k``-th diagonal set to zero.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    """
    x = _t(x)
    m = np.tri(x.shape[-2], x.shape[-1], k, dtype=bool)
    return P.where(m, x, 0)


@register("triu", shapes=((3, 4),), cases=({}, {"k": -1}), ref=np.triu)
def triu(x, k=0):
    """``x`` with the values below the ``k``-th diagonal set to zero.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    """
    x = _t(x)
    m = ~np.tri(x.shape[-2], x.shape[-1], k - 1, dtype=bool)
    return P.where(m, x, 0)


# ============================================================ comparison & logic
def _compare(np_fn, name, kinds=("distinct", "distinct")):
    def op(x1, x2):
        """keras.ops' element-wise comparisons and logical operations: the NumPy function of
        the same name (``fastnn.ops.greater`` computes ``numpy.greater``), with
        broadcasting. The result is boolean, without a gradient.

        Parameters
        ----------
        x1
            The first operand.
        x2
            The second operand, broadcast against ``x1``.

        Returns
        -------
        Tensor
            A boolean tensor.
        """
        a, b = _pair(x1, x2)
        return _wrap(np.asarray(np_fn(_raw(a), _raw(b))))
    op.__name__ = name
    return register(name, args=kinds, ref=np_fn, grad=False)(op)


equal = _compare(np.equal, "equal")
not_equal = _compare(np.not_equal, "not_equal")
greater = _compare(np.greater, "greater")
greater_equal = _compare(np.greater_equal, "greater_equal")
less = _compare(np.less, "less")
less_equal = _compare(np.less_equal, "less_equal")
logical_and = _compare(np.logical_and, "logical_and", ("bool", "bool"))
logical_or = _compare(np.logical_or, "logical_or", ("bool", "bool"))
logical_xor = _compare(np.logical_xor, "logical_xor", ("bool", "bool"))


@register("logical_not", args=("bool",), ref=np.logical_not, grad=False)
def logical_not(x):
    """The logical NOT of ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _wrap(np.logical_not(_raw(_t(x))))


def _test(np_fn, name):
    def op(x):
        """keras.ops' value tests, ``isnan``, ``isinf`` and ``isfinite``: the NumPy function of
        the same name, element-wise.

        Parameters
        ----------
        x
            The input tensor (an array, a Tensor or a number).

        Returns
        -------
        Tensor
            A boolean tensor of ``x``'s shape.
        """
        return _wrap(np.asarray(np_fn(_raw(_t(x)))))
    op.__name__ = name
    return register(name, args=("x",), ref=np_fn, grad=False)(op)


isnan = _test(np.isnan, "isnan")
isinf = _test(np.isinf, "isinf")
isfinite = _test(np.isfinite, "isfinite")


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether all values of ``x1`` and ``x2`` are close: ``abs(x1 - x2) <= atol + rtol *
    abs(x2)``.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    rtol
        The relative tolerance. Default 1e-5.
    atol
        The absolute tolerance. Default 1e-8.
    equal_nan
        Whether NaNs compare equal. Default False.
    """
    return _wrap(np.asarray(np.allclose(_raw(_t(x1)), _raw(_t(x2)), rtol, atol, equal_nan)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether each value of ``x1`` is close to ``x2``'s: ``abs(x1 - x2) <= atol + rtol *
    abs(x2)``.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    rtol
        The relative tolerance. Default 1e-5.
    atol
        The absolute tolerance. Default 1e-8.
    equal_nan
        Whether NaNs compare equal. Default False.
    """
    return _wrap(np.isclose(_raw(_t(x1)), _raw(_t(x2)), rtol, atol, equal_nan))


@register("sort", args=("distinct",), shapes=((3, 4),), cases=({}, {"axis": 0}), ref=np.sort)
def sort(x, axis=-1):
    """Sorted along axis; the gradient goes back to each element's place.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis to sort along. Default -1.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="sort", allow_tuple=False)
    if axis is None:
        return sort(P.ravel(x), 0)
    idx = np.argsort(_raw(x), axis=axis, kind="stable")
    return P.take_along_axis(x, idx, axis)


@register("argsort", args=("distinct",), shapes=((3, 4),), cases=({}, {"axis": 0}),
          ref=np.argsort, grad=False)
def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis``.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis to sort along. Default -1.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="argsort", allow_tuple=False)
    return _wrap(np.argsort(_raw(x), axis=axis, kind="stable").astype(np.int32))
