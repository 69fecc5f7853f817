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
from fastnn.autodiff.tape import _raw, _state, _wrap

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
square = _unary(lambda x: P.square(P.cast(x, np.int32) if x.dtype == np.bool_ else x),
               "square", np.square, floats=False)     # Keras: booleans square in int32
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
def _sum_dtype(dtype):
    """The dtype of a sum or product of ``dtype`` values, as Keras gives it: booleans and
    8- and 16-bit integers accumulate in int32, 8- and 16-bit unsigned ones in uint32,
    the others in their own dtype."""
    if dtype.kind == "b" or dtype.kind == "i" and dtype.itemsize < 4:
        return np.dtype(np.int32)
    if dtype.kind == "u" and dtype.itemsize < 4:
        return np.dtype(np.uint32)
    return dtype


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
    return _same_int(P.sum(x, axis=axis, keepdims=keepdims), _sum_dtype(x.dtype))


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
    elif x.dtype == np.bool_:
        x = P.cast(x, np.int32)
    return _same_int(P.prod(x, axis=axis, keepdims=keepdims), _sum_dtype(x.dtype))


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
    return _same_int(P.cumsum(x, axis=axis), x.dtype)


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
    if a.dtype == np.int8 and b.dtype == np.int8:      # Keras: int8 products sum in int32
        a, b = P.cast(a, np.int32), P.cast(b, np.int32)
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
    return _same_int(P.sum(d, axis=-1), _sum_dtype(x.dtype))


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


# ===================================================== more NumPy functions (batch 2)
def _same_int(out, dtype):
    """out in the integer dtype the input had (NumPy accumulates small integers in
    int64; Keras keeps the input's dtype)."""
    return P.cast(out, dtype) if dtype.kind in "iu" and out.dtype != dtype else out


def _promote(xs):
    """The Tensors xs cast to one dtype as Keras promotes them: the widest float if any
    is a float (an integer never widens a float), else NumPy's integer / bool rule."""
    dts = [x.dtype for x in xs]
    if len(set(dts)) <= 1:
        return list(xs)
    floats = [d for d in dts if d.kind in "fc"]
    d = np.result_type(*floats) if floats else np.result_type(*dts)
    return [x if x.dtype == d else P.cast(x, d) for x in xs]


def _int_arg(v, name, owner, low=None):
    """v as a Python int (an int or a 0-d integer array), at least ``low``."""
    if isinstance(v, (np.ndarray, Tensor)) and v.ndim == 0 and v.dtype.kind in "iu":
        v = int(v)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(v).__name__} {v!r}")
    if low is not None and v < low:
        raise ValueError(f"{owner}: {name} must be an int >= {low}, got {v}")
    return int(v)


def _min_ndim(x, n, owner, name="x"):
    if x.ndim < n:
        raise ValueError(f"{owner}: {name} must have at least {n} dimension"
                         f"{'s' if n > 1 else ''}, got shape {x.shape}")


def _axes_tuple(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,)


@register("einsum", args=("x", "x"), shapes=((2, 3), (3, 4)),
          cases=({"subscripts": "ij,jk->ik"}, {"subscripts": "ij,jk"},
                 {"subscripts": "ij,jk->k"}),
          ref=lambda a, b, subscripts: np.einsum(subscripts, a, b))
def _einsum_test(a, b, subscripts):
    return einsum(subscripts, a, b)


register("einsum_diagonal", args=("x", "x"), shapes=((3, 3), (2, 3)),
         ref=lambda a, b: np.einsum("ii,ji->j", a, b))(
    lambda a, b: einsum("ii,ji->j", a, b))
register("einsum_ellipsis", args=("x", "x"), shapes=((2, 3, 4), (1, 4, 2)),
         ref=lambda a, b: np.einsum("...ij,...jk->...ik", a, b))(
    lambda a, b: einsum("...ij,...jk->...ik", a, b))


def einsum(subscripts, *operands, **kwargs):
    """The Einstein summation ``subscripts`` over ``operands`` (as ``numpy.einsum``):
    ``einsum("ij,jk->ik", a, b)`` is the matrix product, ``einsum("ii", a)`` the trace.

    Parameters
    ----------
    subscripts
        The subscripts: a letter per axis, operands separated by commas, ``->`` and the
        output's letters (optional), ``...`` for broadcast axes.
    *operands
        The tensors.
    **kwargs
        Accepted for Keras compatibility; NumPy's ``optimize`` only (the result is the
        same either way).
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got "
                        f"{type(subscripts).__name__} {subscripts!r}")
    unknown = set(kwargs) - {"optimize"}
    if unknown:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(unknown)}")
    xs = _promote([_t(o) for o in operands])
    if xs and xs[0].dtype in (np.int8, np.int16, np.uint8, np.uint16):
        xs = [P.cast(x, np.int32) for x in xs]
    probe = np.empty((), np.int8)
    try:
        np.einsum_path(subscripts, *[np.broadcast_to(probe, x.shape) for x in xs])
    except ValueError as e:
        raise ValueError(f"einsum: subscripts {subscripts!r} do not fit the operands of "
                         f"shapes {[x.shape for x in xs]}: {e}") from None
    return P.einsum(subscripts, *xs)


@register("append", args=("x", "x"), shapes=((2, 3), (1, 3)),
          cases=({}, {"axis": 0}), ref=np.append)
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1``: both flattened first, or joined along ``axis``.

    Parameters
    ----------
    x1
        The first tensor.
    x2
        The values appended.
    axis
        The axis to join along. Default None: both flattened.
    """
    a, b = _promote([_t(x1), _t(x2)])
    if axis is None:
        return P.concatenate([P.ravel(a), P.ravel(b)], axis=0)
    _check_axis(axis, a.ndim, owner="append", allow_tuple=False)
    if a.ndim != b.ndim:
        raise ValueError(f"append: x1 and x2 must have the same number of dimensions with "
                         f"an axis, got shapes {a.shape} and {b.shape}")
    return P.concatenate([a, b], axis=axis)


def _ref_average(x, axis=None, weights=None):
    return np.average(x, axis=axis, weights=weights)


@register("average", args=("x", "pos"), shapes=((3, 4), (4,)), cases=({"axis": 1},),
          ref=lambda x, w, axis: np.average(x, axis=axis, weights=w))
def _average_test(x, w, axis):
    return average(x, axis=axis, weights=w)


register("average_unweighted", shapes=((2, 3, 4),), cases=({}, {"axis": 0}),
         ref=_ref_average)(lambda x, axis=None: average(x, axis=axis))


def average(x, axis=None, weights=None):
    """The weighted average along ``axis``: ``sum(x * weights) / sum(weights)``.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to average over. Default None: all of them.
    weights
        The weights: of ``x``'s shape, or 1-D of the length of ``axis``. Default None:
        equal weights (the mean).
    """
    x = _float(x)
    axis = _check_axis(axis, x.ndim, owner="average")
    if weights is None:
        return P.mean(x, axis=axis)
    w = _float(weights)
    x, w = _promote([x, w])
    if w.shape != x.shape:
        one = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        if one is None or isinstance(one, tuple):
            raise ValueError(f"average: weights must have x's shape {x.shape} unless axis is "
                             f"one axis, got weights of shape {w.shape} with axis={axis}")
        if w.ndim != 1 or w.shape[0] != x.shape[one]:
            raise ValueError(f"average: weights must have x's shape {x.shape} or be 1-D of "
                             f"length {x.shape[one]} (the size of axis {one}), got shape "
                             f"{w.shape}")
        shape = [1] * x.ndim
        shape[one] = -1
        w = P.reshape(w, shape)
    num = P.sum(P.multiply(x, w), axis=axis)
    den = P.sum(P.broadcast_to(w, x.shape), axis=axis)
    return P.divide(num, den)


@register("cumprod", args=("nz",), shapes=((2, 3, 4),), cases=({}, {"axis": 1}, {"axis": -1}),
          ref=np.cumprod)
def cumprod(x, axis=None, dtype=None):
    """The cumulative product along ``axis``.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis to multiply along. Default None: over the flattened values.
    dtype
        The dtype of the result. Default None: from ``x`` (booleans give int32).
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="cumprod", allow_tuple=False)
    if dtype is not None:
        x = P.cast(x, standardize_dtype(dtype, "dtype", "cumprod"))
    elif x.dtype == np.bool_:
        x = P.cast(x, np.int32)
    return _same_int(P.cumprod(x, axis=axis), x.dtype)


register("cumprod_zeros", shapes=((3, 4),), cases=({"axis": 1},),
         ref=lambda x, axis: np.cumprod(np.where(np.abs(x) < 0.5, 0, x), axis=axis))(
    lambda x, axis: cumprod(P.where(np.abs(_raw(x)) < 0.5, 0, x), axis=axis))


@register("diff", shapes=((3, 5),), cases=({}, {"n": 2}, {"axis": 0}, {"n": 0}), ref=np.diff)
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``: ``a[i + 1] - a[i]``, ``n`` times.

    Parameters
    ----------
    a
        The input tensor.
    n
        How many times to take differences. Default 1.
    axis
        The axis. Default -1.
    """
    a = _t(a)
    n = _int_arg(n, "n", "diff", low=0)
    _min_ndim(a, 1, "diff", "a")
    axis = _check_axis(axis, a.ndim, owner="diff", allow_none=False, allow_tuple=False)
    for _ in range(n):
        hi = (slice(None),) * (axis % a.ndim) + (slice(1, None),)
        lo = (slice(None),) * (axis % a.ndim) + (slice(None, -1),)
        if a.dtype == np.bool_:
            a = _wrap(np.not_equal(_raw(a)[hi], _raw(a)[lo]))
        else:
            a = P.subtract(P.getitem(a, hi), P.getitem(a, lo))
    return a


@register("diag", shapes=((4,),), cases=({}, {"k": 1}, {"k": -2}), ref=np.diag)
def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D tensor with the 1-D ``x`` on its
    ``k``-th diagonal.

    Parameters
    ----------
    x
        A 1-D or 2-D tensor.
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    """
    x = _t(x)
    k = _int_arg(k, "k", "diag")
    if x.ndim == 1:
        n = x.shape[0] + builtins.abs(k)
        i = np.arange(x.shape[0])
        key = (i - builtins.min(k, 0), i + builtins.max(k, 0))
        return P.scatter(x, key, (n, n))
    if x.ndim == 2:
        r0, c0 = builtins.max(-k, 0), builtins.max(k, 0)
        m = builtins.max(0, builtins.min(x.shape[0] - r0, x.shape[1] - c0))
        i = np.arange(m)
        return P.getitem(x, (i + r0, i + c0))
    raise ValueError(f"diag: x must be 1-D or 2-D, got shape {x.shape}")


register("diag_2d", shapes=((3, 4),), cases=({}, {"k": 1}, {"k": -1}, {"k": 5}),
         ref=np.diag)(diag)


@register("diagflat", shapes=((2, 2),), cases=({}, {"k": 1}), ref=np.diagflat)
def diagflat(x, k=0):
    """A 2-D tensor with the flattened ``x`` on its ``k``-th diagonal.

    Parameters
    ----------
    x
        The input tensor.
    k
        The diagonal: 0 the main one, positive above, negative below. Default 0.
    """
    return diag(P.ravel(_t(x)), k)


def _joined(xs, owner):
    if isinstance(xs, (Tensor, np.ndarray)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{owner}: xs must be a list or tuple of tensors, got "
                        f"{type(xs).__name__}")
    xs = [_t(x) for x in xs]
    if not xs:
        raise ValueError(f"{owner}: xs must hold at least one tensor, got none")
    return _promote(xs)


def _concat(xs, axis, owner):
    nd = xs[0].ndim
    for x in xs[1:]:
        if x.ndim != nd or builtins.any(s != t for i, (s, t) in enumerate(zip(x.shape, xs[0].shape))
                                        if i != axis % builtins.max(nd, 1)):
            raise ValueError(f"{owner}: the tensors must have the same shape except along "
                             f"axis {axis}, got shapes {[v.shape for v in xs]}")
    return P.concatenate(xs, axis=axis)


def _at_least(x, n):
    """x with axes of size 1 added as numpy.atleast_2d / atleast_3d add them."""
    if x.ndim >= n:
        return x
    if x.ndim == 0:
        return P.reshape(x, (1,) * n)
    if n == 2:
        return P.reshape(x, (1,) + x.shape)
    return P.reshape(x, (1,) + x.shape + (1,) if x.ndim == 1 else x.shape + (1,))


def hstack(xs):
    """The tensors ``xs`` joined along their second axis (the first for 1-D tensors).

    Parameters
    ----------
    xs
        The tensors.
    """
    xs = _joined(xs, "hstack")
    xs = [P.reshape(x, (1,)) if x.ndim == 0 else x for x in xs]
    return _concat(xs, 0 if xs[0].ndim == 1 else 1, "hstack")


def vstack(xs):
    """The tensors ``xs`` joined along their first axis (1-D tensors as rows).

    Parameters
    ----------
    xs
        The tensors.
    """
    xs = [_at_least(x, 2) for x in _joined(xs, "vstack")]
    return _concat(xs, 0, "vstack")


def dstack(xs):
    """The tensors ``xs`` joined along their third axis (as ``numpy.dstack``: 1-D and 2-D
    tensors gain axes first).

    Parameters
    ----------
    xs
        The tensors.
    """
    xs = [_at_least(x, 3) for x in _joined(xs, "dstack")]
    return _concat(xs, 2, "dstack")


def column_stack(xs):
    """The tensors ``xs`` joined as columns: 1-D tensors become columns of a 2-D result,
    others join along their second axis.

    Parameters
    ----------
    xs
        The tensors.
    """
    xs = _joined(xs, "column_stack")
    xs = [P.reshape(x, (-1, 1)) if x.ndim < 2 else x for x in xs]
    return _concat(xs, 1, "column_stack")


for _name, _fn, _shapes in (("hstack", hstack, ((2, 3), (2, 1))),
                            ("vstack", vstack, ((3,), (2, 3))),
                            ("dstack", dstack, ((2, 3), (2, 3))),
                            ("column_stack", column_stack, ((3,), (3, 2)))):
    register(_name, args=("x", "x"), shapes=_shapes,
             ref=(lambda f: lambda a, b: f([a, b]))(getattr(np, _name)))(
        (lambda f: lambda a, b: f([a, b]))(_fn))


def _sections(x, ios, axis, owner, equal):
    """indices_or_sections checked, as the split indices along axis."""
    n = x.shape[axis]
    if isinstance(ios, (np.ndarray, Tensor)) and _raw(ios).ndim == 0:
        ios = int(_raw(ios))
    if isinstance(ios, numbers.Integral) and not isinstance(ios, (bool, np.bool_)):
        k = int(ios)
        if k <= 0:
            raise ValueError(f"{owner}: indices_or_sections must be a positive int or a list "
                             f"of indices, got {k}")
        if equal:
            if n % k:
                raise ValueError(f"{owner}: indices_or_sections={k} must divide the size {n} "
                                 f"of axis {axis} into equal parts")
            return k
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return [int(v) for v in np.cumsum(sizes)[:-1]]
    idx = np.asarray(_raw(ios))
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise TypeError(f"{owner}: indices_or_sections must be an int or a 1-D list of ints, "
                        f"got {ios!r}")
    return [int(v) for v in idx]


def array_split(x, indices_or_sections, axis=0):
    """``x`` split into parts along ``axis``: an int ``n`` makes ``n`` parts whose sizes
    differ by at most one (the first ones larger); a list gives the split indices.

    Parameters
    ----------
    x
        The input tensor.
    indices_or_sections
        The number of parts, or the indices to split at.
    axis
        The axis. Default 0.
    """
    x = _t(x)
    _min_ndim(x, 1, "array_split")
    axis = _check_axis(axis, x.ndim, owner="array_split", allow_none=False,
                       allow_tuple=False) % x.ndim
    return P.split(x, _sections(x, indices_or_sections, axis, "array_split", False), axis)


def _fixed_split(x, indices_or_sections, axis, need, owner):
    x = _t(x)
    _min_ndim(x, need, owner)
    if owner == "hsplit" and x.ndim == 1:
        axis = 0
    return P.split(x, _sections(x, indices_or_sections, axis, owner, True), axis)


def hsplit(x, indices_or_sections):
    """``x`` split along its second axis (the first for a 1-D ``x``) into equal parts or
    at the given indices.

    Parameters
    ----------
    x
        The input tensor.
    indices_or_sections
        The number of equal parts, or the indices to split at.
    """
    return _fixed_split(x, indices_or_sections, 1, 1, "hsplit")


def vsplit(x, indices_or_sections):
    """``x`` (at least 2-D) split along its first axis into equal parts or at the given
    indices.

    Parameters
    ----------
    x
        The input tensor.
    indices_or_sections
        The number of equal parts, or the indices to split at.
    """
    return _fixed_split(x, indices_or_sections, 0, 2, "vsplit")


def dsplit(x, indices_or_sections):
    """``x`` (at least 3-D) split along its third axis into equal parts or at the given
    indices.

    Parameters
    ----------
    x
        The input tensor.
    indices_or_sections
        The number of equal parts, or the indices to split at.
    """
    return _fixed_split(x, indices_or_sections, 2, 3, "dsplit")


for _name, _fn, _shape, _ios in (("array_split", array_split, (5, 3), 3),
                                 ("hsplit", hsplit, (2, 6), [1, 4]),
                                 ("vsplit", vsplit, (4, 3), 2),
                                 ("dsplit", dsplit, (2, 1, 4), 2)):
    register(_name, shapes=(_shape,), cases=({"indices_or_sections": _ios},),
             ref=getattr(np, _name))(_fn)


@register("roll", shapes=((3, 4),), cases=({"shift": 2}, {"shift": -1, "axis": 1},
                                          {"shift": (1, 2), "axis": (0, 1)}), ref=np.roll)
def roll(x, shift, axis=None):
    """``x`` with its values shifted by ``shift`` places along ``axis``, those past the
    end coming back at the start.

    Parameters
    ----------
    x
        The input tensor.
    shift
        The number of places (an int, or one per axis).
    axis
        The axis (or axes). Default None: over the flattened values, keeping the shape.
    """
    x = _t(x)
    if isinstance(axis, (np.ndarray, Tensor)):
        axis = tuple(int(a) for a in np.ravel(_raw(axis)))
    axis = _check_axis(axis, x.ndim, owner="roll")
    if isinstance(shift, (np.ndarray, Tensor)):
        shift = [int(v) for v in np.ravel(_raw(shift))]
    shifts = shift if isinstance(shift, (list, tuple)) else [shift]
    shifts = [_int_arg(s, "shift", "roll") for s in shifts]
    if axis is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: shift must be one int when axis is None, got {shift!r}")
        if x.size == 0:
            return P.copy(x)
        return P.reshape(P.take(P.ravel(x), np.roll(np.arange(x.size), shifts[0])), x.shape)
    axes = list(axis) if isinstance(axis, tuple) else [axis]
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    elif len(shifts) != len(axes):
        raise ValueError(f"roll: shift and axis must have the same length (or one of them "
                         f"length 1), got {shift!r} and {axis!r}")
    total = {}
    for s, a in zip(shifts, axes):
        total[a % x.ndim] = total.get(a % x.ndim, 0) + s
    key = tuple(np.roll(np.arange(n), total[d]) if d in total else slice(None)
                for d, n in enumerate(x.shape))
    out = x
    for d, k in enumerate(key):
        if not isinstance(k, slice):
            out = P.take(out, k, axis=d)
    return out


@register("trunc", args=("x",), ref=np.trunc, grad=False)
def trunc(x):
    """``x`` rounded toward zero, element-wise (integers unchanged).

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    return _wrap(np.trunc(_raw(x)) if x.dtype.kind in "fc" else np.array(_raw(x)))


# -------------------------------------------------------------------- quantiles
_Q_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, axis, method, keepdims, owner, skip_nan, scale=1.0):
    x = _float(x)
    qa = np.asarray(_raw(q), dtype=np.float64) / scale
    if qa.ndim > 1:
        raise ValueError(f"{owner}: q must be a number or a 1-D list, got shape {qa.shape}")
    top = "100" if scale != 1.0 else "1"
    if np.isnan(qa).any() or (qa < 0).any() or (qa > 1).any():
        raise ValueError(f"{owner}: q must be in [0, {top}], got {_raw(q)!r}")
    if method not in _Q_METHODS:
        raise ValueError(f"{owner}: method must be one of {', '.join(_Q_METHODS)}, got "
                         f"{method!r}")
    keepdims = _bool(keepdims, "keepdims", owner)
    axis = _check_axis(axis, x.ndim, owner=owner)
    if x.ndim == 0:
        x = P.reshape(x, (1,))
        axis, keepdims, scalar_in = None, False, True
    else:
        scalar_in = False
    axes = _axes_tuple(axis, x.ndim)
    rest = [d for d in range(x.ndim) if d not in axes]
    rest_shape = tuple(x.shape[d] for d in rest)
    xm = P.reshape(P.transpose(x, rest + list(axes)), rest_shape + (-1,))
    xr = _raw(xm)
    m = xr.shape[-1]
    if m == 0:
        raise ValueError(f"{owner}: x must have values along the reduced axes, got shape "
                         f"{x.shape}")
    order = np.argsort(xr, axis=-1, kind="stable")              # NaN sorts last
    s = P.take_along_axis(xm, order, -1)
    nan = np.isnan(xr)
    n = (m - nan.sum(axis=-1)) if skip_nan else np.full(rest_shape, m)
    qv = qa.reshape((-1,) + (1,) * len(rest_shape))
    pos = qv * np.maximum(n - 1, 0)                              # (Q,) + rest_shape
    lo = np.floor(pos)
    hi = np.ceil(pos)
    frac = pos - lo
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi
    elif method == "nearest":
        lo = hi = np.around(pos)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)

    def gather(idx):
        idx = np.moveaxis(idx.astype(np.int64), 0, -1)           # rest_shape + (Q,)
        return P.take_along_axis(s, idx, -1)
    v_lo = gather(lo)
    if method in ("lower", "higher", "nearest"):
        out = v_lo
    else:
        f = np.moveaxis(frac, 0, -1).astype(x.dtype)
        v_hi = gather(hi)
        with np.errstate(invalid="ignore"):
            out = P.add(v_lo, P.multiply(P.subtract(v_hi, v_lo), f))
        lo_r = _raw(v_lo)
        same = (f == 0) | (np.isinf(lo_r) & (lo_r == _raw(v_hi)))  # no step, or inf to inf
        if same.any():
            out = P.where(same, v_lo, out)
    bad = (n == 0) if skip_nan else nan.any(axis=-1)
    if bad.any():
        out = P.where(bad[..., None], np.nan, out)
    out = P.moveaxis(out, -1, 0)                                 # (Q,) + rest_shape
    if keepdims:
        out = P.reshape(out, (qv.shape[0],) + tuple(
            1 if d in axes else x.shape[d] for d in range(x.ndim)))
    if qa.ndim == 0:
        out = P.reshape(out, out.shape[1:])
    if scalar_in and out.ndim and qa.ndim == 0:
        out = P.reshape(out, ())
    return out


_QCASES = ({"q": 0.3}, {"q": [0.0, 0.5, 1.0], "axis": 1},
           {"q": 0.7, "axis": (0, 2), "keepdims": True})


@register("quantile", shapes=_RED_SHAPE, cases=_QCASES + (
    {"q": [0.2, 0.6], "axis": -1, "method": "lower"}, {"q": 0.4, "method": "higher"},
    {"q": 0.45, "axis": 1, "method": "nearest"}, {"q": 0.3, "axis": 0, "method": "midpoint"}),
    ref=lambda x, q, **kw: np.quantile(x, q, **kw).astype(x.dtype))
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles of ``x`` along ``axis`` (``q`` in [0, 1]); with a list of
    ``q`` the quantiles stack along a new first axis.

    Parameters
    ----------
    x
        The input tensor.
    q
        The quantile, or a 1-D list of them, in [0, 1].
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    method
        How a quantile between two values is taken: ``'linear'`` (the default),
        ``'lower'``, ``'higher'``, ``'midpoint'`` or ``'nearest'``.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", False)


@register("percentile", shapes=_RED_SHAPE,
          cases=({"q": 30.0}, {"q": [0.0, 50.0, 100.0], "axis": 1},
                 {"q": 70.0, "axis": (0, 2), "keepdims": True}),
          ref=lambda x, q, **kw: np.percentile(x, q, **kw).astype(x.dtype))
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles of ``x`` along ``axis`` (``q`` in [0, 100]); with a list
    of ``q`` the percentiles stack along a new first axis.

    Parameters
    ----------
    x
        The input tensor.
    q
        The percentile, or a 1-D list of them, in [0, 100].
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    method
        How a percentile between two values is taken: ``'linear'`` (the default),
        ``'lower'``, ``'higher'``, ``'midpoint'`` or ``'nearest'``.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, q, axis, method, keepdims, "percentile", False, 100.0)


@register("median", shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.median)
def median(x, axis=None, keepdims=False):
    """The median along ``axis`` (the mean of the two middle values for an even count).

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", False)


@register("nan_to_num", args=("x",), cases=({}, {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}),
          ref=lambda x, **kw: np.nan_to_num(np.where(np.abs(x) > 1.5, np.inf * x, x), **kw))
def _nan_to_num_test(x, **kw):
    return nan_to_num(P.where(np.abs(_raw(x)) > 1.5, _raw(x) * np.inf, x), **kw)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf`` / ``neginf``
    (default: the largest finite values of the dtype). The gradient flows through the
    finite values only.

    Parameters
    ----------
    x
        The input tensor.
    nan
        The value for NaN. Default 0.0.
    posinf
        The value for +inf. Default None: the dtype's largest finite value.
    neginf
        The value for -inf. Default None: the dtype's smallest finite value.
    """
    x = _t(x)
    for nm, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None and (isinstance(v, (bool, np.bool_)) or
                              not isinstance(_raw(v), (numbers.Real, np.ndarray))):
            raise TypeError(f"nan_to_num: {nm} must be a number, got {type(v).__name__} "
                            f"{v!r}")
    if x.dtype.kind not in "fc":
        return P.copy(x)
    xr = _raw(x)
    fin = np.isfinite(xr)
    if fin.all():
        return P.copy(x)
    info = np.finfo(x.dtype)
    repl = np.where(np.isnan(xr), nan, np.where(
        xr > 0, info.max if posinf is None else posinf,
        info.min if neginf is None else neginf)).astype(x.dtype)
    return P.where(fin, x, repl)


def meshgrid(*x, indexing="xy"):
    """Coordinate tensors from 1-D coordinate vectors: ``meshgrid(a, b)`` gives two
    tensors of shape ``(len(b), len(a))`` (``indexing='xy'``) or ``(len(a), len(b))``
    (``'ij'``).

    Parameters
    ----------
    *x
        The 1-D coordinate tensors.
    indexing
        ``'xy'`` (Cartesian, the default) or ``'ij'`` (matrix indexing).
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [P.ravel(_t(v)) for v in x]
    n = len(xs)
    shape = [v.shape[0] for v in xs]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, v in enumerate(xs):
        d = i
        if indexing == "xy" and n > 1 and i < 2:
            d = 1 - i
        s = [1] * n
        s[d] = -1
        out.append(P.broadcast_to(P.reshape(v, s), tuple(shape)))
    return out


register("meshgrid", args=("x", "x"), shapes=((3,), (2,)), cases=({}, {"indexing": "ij"}),
         ref=np.meshgrid)(meshgrid)


@register("isin", args=("int", "int"), shapes=((3, 4), (3,)),
          cases=({}, {"invert": True}, {"assume_unique": True}), ref=np.isin, grad=False)
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each value of ``x1`` is among the values of ``x2`` (a boolean tensor of
    ``x1``'s shape).

    Parameters
    ----------
    x1
        The values tested.
    x2
        The values looked for.
    assume_unique
        Whether both hold unique values (a speed hint). Default False.
    invert
        Whether to return the opposite (not in ``x2``). Default False.
    """
    a, b = _t(x1), _t(x2)
    return _wrap(np.isin(_raw(a), _raw(b), assume_unique=_bool(assume_unique, "assume_unique",
                                                              "isin"),
                         invert=_bool(invert, "invert", "isin")))


@register("count_nonzero", args=("int",), shapes=_RED_SHAPE,
          cases=({}, {"axis": 1}, {"axis": (0, 2)}),
          ref=lambda x, axis=None: np.asarray(np.count_nonzero(x, axis=axis), np.int32),
          grad=False)
def count_nonzero(x, axis=None):
    """The number of non-zero values along ``axis``, int32.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to count over. Default None: all of them.
    """
    x = _t(x)
    axis = _check_axis(axis, x.ndim, owner="count_nonzero")
    return _wrap(np.asarray(np.count_nonzero(_raw(x), axis=axis), np.int32))


@register("ptp", args=("distinct",), shapes=_RED_SHAPE, cases=_RED_CASES, ref=np.ptp)
def ptp(x, axis=None, keepdims=False):
    """The range (maximum minus minimum) along ``axis``.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims = _reduce_args(x, axis, keepdims, "ptp")
    if x.dtype == np.bool_:
        raise TypeError("ptp: x must be numeric, got dtype bool")
    return P.subtract(P.max(x, axis=axis, keepdims=keepdims),
                      P.min(x, axis=axis, keepdims=keepdims))


def select(condlist, choicelist, default=0):
    """Per element, the value of the first choice whose condition holds, else
    ``default``.

    Parameters
    ----------
    condlist
        The boolean tensors.
    choicelist
        The tensors to choose from, one per condition.
    default
        The value where no condition holds. Default 0.
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise TypeError(f"select: condlist and choicelist must be lists, got "
                        f"{type(condlist).__name__} and {type(choicelist).__name__}")
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError(f"select: condlist and choicelist must have the same, non-zero "
                         f"length, got {len(condlist)} and {len(choicelist)}")
    conds = [np.asarray(_raw(c)) for c in condlist]
    for c in conds:
        if c.dtype != np.bool_:
            raise TypeError(f"select: condlist must hold boolean tensors, got dtype {c.dtype}")
    choices = _promote([_t(c) for c in choicelist])
    out = _operand(default)
    if isinstance(out, Tensor):
        out, *choices = _promote([out] + choices)
    for c, v in zip(conds[::-1], choices[::-1]):
        out = P.where(c, v, out)
    return out


register("select", args=("bool", "x", "bool", "x"), ref=lambda c1, x1, c2, x2: np.select(
    [c1, c2], [x1, x2], -1.0))(lambda c1, x1, c2, x2: select([c1, c2], [x1, x2], -1.0))


@register("vdot", args=("x", "x"), shapes=((3, 4), (12,)), ref=np.vdot)
def vdot(x1, x2):
    """The dot product of the flattened ``x1`` and ``x2`` (``x1`` conjugated).

    Parameters
    ----------
    x1
        The first tensor.
    x2
        The second tensor, with as many values.
    """
    a, b = _promote([_t(x1), _t(x2)])
    if a.size != b.size:
        raise ValueError(f"vdot: x1 and x2 must have the same number of values, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.dtype.kind == "c":
        a = P.ufunc_call(np.conjugate, (a,), {})
    if a.dtype.kind in "biu":       # Keras keeps the operands' dtype (NumPy's vdot too)
        return _wrap(np.asarray(np.vdot(_raw(a), _raw(b))))
    return P.sum(P.multiply(P.ravel(a), P.ravel(b)))


@register("kron", args=("x", "x"), shapes=((2, 3), (2, 2)), ref=np.kron)
def kron(x1, x2):
    """The Kronecker product of ``x1`` and ``x2``: blocks of ``x2`` scaled by each value
    of ``x1``.

    Parameters
    ----------
    x1
        The first tensor.
    x2
        The second tensor.
    """
    a, b = _promote([_t(x1), _t(x2)])
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    ai = P.reshape(a, tuple(v for s in sa for v in (s, 1)))
    bi = P.reshape(b, tuple(v for s in sb for v in (1, s)))
    return P.reshape(P.multiply(ai, bi), tuple(p * q for p, q in zip(sa, sb)))


register("kron_1d", args=("x", "x"), shapes=((3,), (2, 2)), ref=np.kron)(kron)


@register("cross", args=("x", "x"), shapes=((4, 3), (4, 3)),
          cases=({}, {"axis": 1}), ref=np.cross)
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of the 2- or 3-vectors of ``x1`` and ``x2`` (along ``axisa`` and
    ``axisb``; a 2-vector has z = 0, and two 2-vectors give the z component only).

    Parameters
    ----------
    x1
        The first vectors.
    x2
        The second vectors.
    axisa
        The axis of ``x1`` holding the vectors. Default -1.
    axisb
        The axis of ``x2`` holding the vectors. Default -1.
    axisc
        The axis of the result holding the vectors. Default -1.
    axis
        If given, the one axis for all three. Default None.
    """
    a, b = _promote([_t(x1), _t(x2)])
    if axis is not None:
        axisa = axisb = axisc = axis
    _min_ndim(a, 1, "cross", "x1")
    _min_ndim(b, 1, "cross", "x2")
    axisa = _check_axis(axisa, a.ndim, "axisa", "cross", False, False)
    axisb = _check_axis(axisb, b.ndim, "axisb", "cross", False, False)
    shapes = (a.shape, b.shape)
    a, b = P.moveaxis(a, axisa, -1), P.moveaxis(b, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: the vectors must have 2 or 3 components, got {na} (x1) "
                         f"and {nb} (x2)")
    try:
        np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ValueError(f"cross: x1 and x2 must broadcast apart from the vector axis, got "
                         f"shapes {shapes[0]} and {shapes[1]}") from None

    def comp(v, i):
        return P.getitem(v, (Ellipsis, i))
    a0, a1, b0, b1 = comp(a, 0), comp(a, 1), comp(b, 0), comp(b, 1)
    z = P.subtract(P.multiply(a0, b1), P.multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    a2 = comp(a, 2) if na == 3 else None
    b2 = comp(b, 2) if nb == 3 else None
    if a2 is None:
        c0, c1 = P.multiply(a1, b2), P.negative(P.multiply(a0, b2))
    elif b2 is None:
        c0, c1 = P.negative(P.multiply(a2, b1)), P.multiply(a2, b0)
    else:
        c0 = P.subtract(P.multiply(a1, b2), P.multiply(a2, b1))
        c1 = P.subtract(P.multiply(a2, b0), P.multiply(a0, b2))
    shp = np.broadcast_shapes(c0.shape, c1.shape, z.shape)
    out = P.stack([P.broadcast_to(c, shp) for c in (c0, c1, z)], axis=-1)
    axisc = _check_axis(axisc, out.ndim, "axisc", "cross", False, False)
    return P.moveaxis(out, -1, axisc)


register("cross_2d", args=("x", "x"), shapes=((4, 2), (4, 3)),
         ref=lambda a, b: np.cross(np.pad(a, ((0, 0), (0, 1))), b))(cross)


@register("signbit", args=("x",), ref=np.signbit, grad=False)
def signbit(x):
    """Whether the sign bit of each value is set (true for negative values and -0.0).

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    return _wrap(np.asarray(np.signbit(_raw(x)) if x.dtype != np.bool_ else
                            np.zeros(x.shape, bool)))


def _float_ufunc(ufunc, name, kind="x", doc=None):
    def op(x):
        return P.ufunc_call(ufunc, (_float(x),), {})
    op.__name__ = name
    op.__doc__ = doc
    return register(name, args=(kind,), ref=ufunc)(op)


_UFUNC_DOC = """{what}, element-wise (integer inputs computed in float32).

    Parameters
    ----------
    x
        The input tensor.
    """
deg2rad = _float_ufunc(np.deg2rad, "deg2rad", doc=_UFUNC_DOC.format(
    what="``x`` converted from degrees to radians"))
rad2deg = _float_ufunc(np.rad2deg, "rad2deg", doc=_UFUNC_DOC.format(
    what="``x`` converted from radians to degrees"))
cbrt = _float_ufunc(np.cbrt, "cbrt", "nz", doc=_UFUNC_DOC.format(
    what="The cube root of ``x``"))
fabs = _float_ufunc(np.fabs, "fabs", "nz", doc=_UFUNC_DOC.format(
    what="The absolute value of ``x`` as a float"))


@register("fliplr", shapes=((3, 4),), ref=np.fliplr)
def fliplr(x):
    """``x`` (at least 2-D) with its columns (second axis) in reverse order.

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    _min_ndim(x, 2, "fliplr")
    return P.flip(x, 1)


@register("flipud", shapes=((3, 4),), ref=np.flipud)
def flipud(x):
    """``x`` (at least 1-D) with its rows (first axis) in reverse order.

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    _min_ndim(x, 1, "flipud")
    return P.flip(x, 0)


@register("rot90", shapes=((2, 3, 4),), cases=({}, {"k": 2}, {"k": -1, "axes": (1, 2)},
                                               {"k": 3, "axes": (2, 0)}),
          ref=lambda x, k=1, axes=(0, 1): np.rot90(x, k, axes))
def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes`` (from the
    first axis toward the second).

    Parameters
    ----------
    array
        The input tensor, at least 2-D.
    k
        The number of quarter turns (negative: the other way). Default 1.
    axes
        The two axes of the plane. Default (0, 1).
    """
    x = _t(array)
    _min_ndim(x, 2, "rot90", "array")
    k = _int_arg(k, "k", "rot90")
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(f"rot90: axes must be a pair of axes, got {axes!r}")
    a0 = _check_axis(axes[0], x.ndim, "axes", "rot90", False, False) % x.ndim
    a1 = _check_axis(axes[1], x.ndim, "axes", "rot90", False, False) % x.ndim
    if a0 == a1:
        raise ValueError(f"rot90: axes must be two different axes, got {tuple(axes)}")
    k %= 4
    if k == 0:
        return P.copy(x)
    if k == 2:
        return P.flip(x, (a0, a1))
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return P.transpose(P.flip(x, a1), perm)
    return P.flip(P.transpose(x, perm), a1)


def empty(shape, dtype=None):
    """A new tensor of ``shape`` (its values are zeros here; Keras leaves them
    unspecified).

    Parameters
    ----------
    shape
        The shape of the result.
    dtype
        The dtype of the result. Default None: float32.
    """
    return zeros(shape, dtype)


def empty_like(x, dtype=None):
    """A new tensor of ``x``'s shape (its values are zeros here; Keras leaves them
    unspecified).

    Parameters
    ----------
    x
        The tensor whose shape (and by default dtype) the result takes.
    dtype
        The dtype of the result. Default None: ``x``'s.
    """
    return zeros_like(x, dtype)


def _space_num(num, owner):
    return _int_arg(num, "num", owner, low=0)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale: ``base ** linspace(start, stop)``.

    Parameters
    ----------
    start
        The first exponent.
    stop
        The last exponent (or the bound, with ``endpoint=False``).
    num
        The number of values. Default 50.
    endpoint
        Whether ``stop`` is included. Default True.
    base
        The base. Default 10.
    dtype
        The dtype of the result. Default None: float32.
    axis
        Where the values go in the result, for array bounds. Default 0.
    """
    num = _space_num(num, "logspace")
    endpoint = _bool(endpoint, "endpoint", "logspace")
    return _wrap(np.asarray(np.logspace(_raw(start), _raw(stop), num, endpoint, _raw(base),
                                        axis=axis)).astype(_dt(dtype, "logspace")))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale from ``start`` to ``stop`` (a geometric
    progression; both must be non-zero).

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
    dtype
        The dtype of the result. Default None: float32.
    axis
        Where the values go in the result, for array bounds. Default 0.
    """
    num = _space_num(num, "geomspace")
    endpoint = _bool(endpoint, "endpoint", "geomspace")
    if np.any(np.asarray(_raw(start)) == 0) or np.any(np.asarray(_raw(stop)) == 0):
        raise ValueError(f"geomspace: start and stop must be non-zero, got {start!r} and "
                         f"{stop!r}")
    return _wrap(np.asarray(np.geomspace(_raw(start), _raw(stop), num, endpoint,
                                         axis=axis)).astype(_dt(dtype, "geomspace")))


@register("nonzero", args=("int",), ref=lambda x: tuple(
    i.astype(np.int32) for i in np.nonzero(x)), grad=False)
def nonzero(x):
    """The indices of the non-zero values of ``x``: one int32 tensor per axis.

    Parameters
    ----------
    x
        The input tensor.
    """
    return tuple(_wrap(i.astype(np.int32)) for i in np.nonzero(np.atleast_1d(_raw(_t(x)))))


@register("searchsorted", args=("distinct", "x"), shapes=((6,), (3, 2)),
          cases=({}, {"side": "right"}),
          ref=lambda s, v, side="left": np.searchsorted(np.sort(s), v, side).astype(np.int32),
          grad=False)
def _searchsorted_test(s, v, side="left"):
    return searchsorted(sort(s), v, side)


def searchsorted(sorted_sequence, values, side="left"):
    """The int32 indices where ``values`` would be inserted in the 1-D ascending
    ``sorted_sequence`` to keep it sorted.

    Parameters
    ----------
    sorted_sequence
        A 1-D tensor sorted in ascending order.
    values
        The values to place.
    side
        ``'left'`` (the default: the first suitable index) or ``'right'`` (the last).
    """
    s, v = _t(sorted_sequence), _t(values)
    if s.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D, got shape {s.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return _wrap(np.asarray(np.searchsorted(_raw(s), _raw(v), side), np.int32))


@register("digitize", args=("x", "distinct"), shapes=((3, 4), (5,)),
          ref=lambda x, b: np.digitize(x, np.sort(b)).astype(np.int32), grad=False)
def _digitize_test(x, b):
    return digitize(x, sort(b))


def digitize(x, bins):
    """For each value of ``x``, the int32 index of the bin it falls in: ``i`` with
    ``bins[i - 1] <= x < bins[i]`` for increasing ``bins``.

    Parameters
    ----------
    x
        The input tensor.
    bins
        A 1-D tensor of bin edges, increasing or decreasing.
    """
    x, b = _t(x), _t(bins)
    if b.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {b.shape}")
    try:
        return _wrap(np.asarray(np.digitize(_raw(x), _raw(b)), np.int32))
    except ValueError:
        raise ValueError("digitize: bins must be monotonically increasing or "
                         "decreasing") from None


@register("bincount", args=("int",), shapes=((7,),), cases=({}, {"minlength": 5}),
          ref=lambda x, minlength=0: np.bincount(x, minlength=minlength).astype(np.int32),
          grad=False)
def bincount(x, weights=None, minlength=0, sparse=False):
    """The number of occurrences of each value 0, 1, ... in the non-negative integer ``x``
    (or the sum of ``weights`` per value); a 2-D ``x`` counts per row.

    Parameters
    ----------
    x
        A 1-D or 2-D tensor of non-negative integers.
    weights
        Weights of ``x``'s shape. Default None: each occurrence counts 1.
    minlength
        The least length of the result. Default 0.
    sparse
        Whether to return a sparse tensor: only False is supported.
    """
    x = _t(x)
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (fastnn has no sparse "
                         "tensors)")
    if x.dtype.kind not in "iu":
        raise TypeError(f"bincount: x must hold integers, got dtype {x.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"bincount: x must be 1-D or 2-D, got shape {x.shape}")
    minlength = _int_arg(minlength, "minlength", "bincount", low=0)
    xr = _raw(x)
    if xr.size and xr.min() < 0:
        raise ValueError(f"bincount: x must be non-negative, got a minimum of {xr.min()}")
    w = None
    if weights is not None:
        w = _raw(_t(weights))
        if w.shape != xr.shape:
            raise ValueError(f"bincount: weights must have x's shape {xr.shape}, got "
                             f"{w.shape}")
    dt = np.dtype(np.int32) if w is None else (
        w.dtype if w.dtype.kind in "fc" or w.dtype.itemsize >= 4 else np.dtype(np.int32))
    n = builtins.max(minlength, int(xr.max()) + 1 if xr.size else 0)
    rows = xr.reshape(-1, xr.shape[-1])
    wr = None if w is None else w.reshape(rows.shape)
    out = np.stack([np.bincount(r, None if wr is None else wr[i], n)
                    for i, r in enumerate(rows)]) if rows.shape[0] else np.zeros((0, n))
    return _wrap(out.astype(dt).reshape(xr.shape[:-1] + (n,)))


@register("unravel_index", args=("int",), shapes=((5,),), cases=({"shape": (3, 4)},),
          ref=np.unravel_index, grad=False)
def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of the flat ``indices``: one tensor per
    axis, of ``indices``' dtype.

    Parameters
    ----------
    indices
        The flat integer indices.
    shape
        The shape of the array.
    """
    idx = _t(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got dtype {idx.dtype}")
    shape = _check_shape(shape, owner="unravel_index")
    total = int(np.prod(shape))
    r = _raw(idx)
    if r.size and (r.min() < 0 or r.max() >= total):
        raise ValueError(f"unravel_index: indices must be in [0, {total}) for shape "
                         f"{shape}, got values in [{r.min()}, {r.max()}]")
    return tuple(_wrap(c.astype(idx.dtype)) for c in np.unravel_index(r, shape))


@register("argpartition", args=("distinct",), shapes=((3, 5),), cases=({"kth": 2},
                                                                       {"kth": 1, "axis": 0}),
          ref=lambda x, kth, axis=-1: np.sort(np.take_along_axis(
              x, np.argpartition(x, kth, axis), axis), axis), grad=False)
def _argpartition_test(x, kth, axis=-1):
    # argpartition's order within each side is unspecified: compare the partitioned
    # values, sorted
    part = np.take_along_axis(_raw(x), _raw(argpartition(x, kth, axis)), axis)
    return _wrap(np.sort(part, axis))


def argpartition(x, kth, axis=-1):
    """The int32 indices that partition ``x`` along ``axis``: the ``kth`` value in sorted
    order lands at index ``kth``, smaller ones before it and the others after (in no
    particular order).

    Parameters
    ----------
    x
        The input tensor.
    kth
        The index of the value to place.
    axis
        The axis. Default -1 (None: over the flattened values).
    """
    x = _t(x)
    _min_ndim(x, 1, "argpartition")
    axis = _check_axis(axis, x.ndim, owner="argpartition", allow_tuple=False)
    if axis is None:
        x, axis = P.ravel(x), 0
    if isinstance(kth, (bool, np.bool_)) or not isinstance(kth, numbers.Integral):
        raise ValueError(f"argpartition: kth must be an int, got {type(kth).__name__} {kth!r}")
    kth = int(kth)
    n = x.shape[axis]
    if not -n <= kth < n:
        raise ValueError(f"argpartition: kth must be in [{-n}, {n}) for an axis of size "
                         f"{n}, got {kth}")
    return _wrap(np.argpartition(_raw(x), kth, axis).astype(np.int32))


@register("trapezoid", shapes=((3, 5),), cases=({}, {"dx": 0.5, "axis": 0}), ref=np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at the sample points
    ``x`` (or spaced ``dx`` apart).

    Parameters
    ----------
    y
        The values.
    x
        The sample points: 1-D of ``y``'s length along ``axis``, or of ``y``'s shape.
        Default None: spaced ``dx`` apart.
    dx
        The spacing when ``x`` is None. Default 1.0.
    axis
        The axis to integrate along. Default -1.
    """
    y = _float(y)
    _min_ndim(y, 1, "trapezoid", "y")
    axis = _check_axis(axis, y.ndim, owner="trapezoid", allow_none=False,
                       allow_tuple=False) % y.ndim
    lead = (slice(None),) * axis
    mid = P.divide(P.add(P.getitem(y, lead + (slice(1, None),)),
                         P.getitem(y, lead + (slice(None, -1),))), 2.0)
    if x is None:
        if isinstance(dx, (bool, np.bool_)) or not isinstance(_raw(dx), (numbers.Real,
                                                                         np.ndarray)):
            raise TypeError(f"trapezoid: dx must be a number, got {type(dx).__name__} {dx!r}")
        return P.multiply(P.sum(mid, axis=axis), _raw(dx))
    xs = _float(x)
    y, xs = _promote([y, xs])
    if xs.ndim == 1:
        if xs.shape[0] != y.shape[axis]:
            raise ValueError(f"trapezoid: x must have {y.shape[axis]} values (y's length "
                             f"along axis {axis}), got shape {xs.shape}")
        shape = [1] * y.ndim
        shape[axis] = -1
        xs = P.reshape(xs, shape)
    elif xs.shape != y.shape:
        raise ValueError(f"trapezoid: x must be 1-D or of y's shape {y.shape}, got shape "
                         f"{xs.shape}")
    d = diff(xs, axis=axis)
    return P.sum(P.multiply(mid, d), axis=axis)


register("trapezoid_x", args=("x", "distinct"), shapes=((3, 5), (5,)),
         ref=lambda y, x: np.trapezoid(y, x))(lambda y, x: trapezoid(y, x))


@register("heaviside", args=("x", "x"), shapes=((3, 4), (4,)), ref=np.heaviside, grad=False)
def heaviside(x1, x2):
    """The Heaviside step function: 0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where
    ``x1 > 0``.

    Parameters
    ----------
    x1
        The input tensor.
    x2
        The value at zero, broadcast against ``x1``.
    """
    a, b = _t(x1), _t(x2)
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        return _wrap(np.asarray(np.where(_raw(a), True, _raw(b))))
    a, b = _promote([_float(a), _float(b)])
    return _wrap(np.asarray(np.heaviside(_raw(a), _raw(b))))


@register("sinc", args=("x",), ref=np.sinc)
def sinc(x):
    """The normalized sinc function, ``sin(pi x) / (pi x)`` (1 at 0), element-wise.

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _float(x)
    zero = np.asarray(_raw(x) == 0)
    px = P.multiply(P.where(zero, 1, x) if zero.any() else x, np.pi)
    out = P.divide(P.sin(px), px)
    return P.where(zero, 1, out) if zero.any() else out


@register("logaddexp2", args=("x", "x"), ref=np.logaddexp2)
def logaddexp2(x1, x2):
    """``log2(2 ** x1 + 2 ** x2)``, element-wise, computed stably.

    Parameters
    ----------
    x1
        The first operand.
    x2
        The second operand, broadcast against ``x1``.
    """
    a, b = _promote([_float(x1), _float(x2)])
    return P.ufunc_call(np.logaddexp2, (a, b), {})


@register("ldexp", args=("x", "int"), ref=lambda a, b: np.ldexp(a, b.astype(np.int32)))
def ldexp(x1, x2):
    """``x1 * 2 ** x2``, element-wise, for integer ``x2``.

    Parameters
    ----------
    x1
        The mantissas.
    x2
        The integer exponents, broadcast against ``x1``.
    """
    a, b = _float(x1), _t(x2)
    if b.dtype.kind not in "iub":
        raise TypeError(f"ldexp: x2 must hold integers, got dtype {b.dtype}")
    scale = np.ldexp(np.ones((), a.dtype), _raw(b).astype(np.int32))
    return P.multiply(a, scale.astype(a.dtype))


def _value_test(fn, name, doc):
    def op(x):
        return _wrap(np.asarray(fn(_raw(_t(x)))))
    op.__name__ = name
    op.__doc__ = doc
    return register(name, args=("x",), ref=fn, grad=False)(op)


_TEST_DOC = """Whether each value of ``x`` {what} (a boolean tensor).

    Parameters
    ----------
    x
        The input tensor.
    """
isneginf = _value_test(lambda x: np.isneginf(x) if x.dtype.kind in "fc" else
                       np.zeros(np.shape(x), bool), "isneginf",
                       _TEST_DOC.format(what="is negative infinity"))
isposinf = _value_test(lambda x: np.isposinf(x) if x.dtype.kind in "fc" else
                       np.zeros(np.shape(x), bool), "isposinf",
                       _TEST_DOC.format(what="is positive infinity"))
isreal = _value_test(np.isreal, "isreal", _TEST_DOC.format(
    what="is real (a zero imaginary part)"))


@register("real", ref=np.real)
def real(x):
    """The real part of ``x`` (``x`` itself for real tensors).

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    if x.dtype.kind == "c":
        out = _wrap(np.real(_raw(x)).copy())
        if _state.tapes:    # TensorFlow's convention: the gradient g + 0j
            P._rec("real", (x,), out, lambda g: (_wrap(_raw(g).astype(x.dtype)),))
        return out
    return P.copy(x)


@register("imag", ref=np.imag, grad=False)
def imag(x):
    """The imaginary part of ``x`` (zeros for real tensors).

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    if x.dtype.kind == "c":
        out = _wrap(np.imag(_raw(x)).copy())
        if _state.tapes:    # TensorFlow's convention: the gradient 0 + g i
            P._rec("imag", (x,), out, lambda g: (_wrap((1j * _raw(g)).astype(x.dtype)),))
        return out
    return _wrap(np.zeros(x.shape, x.dtype))


@register("conjugate", ref=np.conjugate)
def conjugate(x):
    """The complex conjugate of ``x``, element-wise (``x`` itself for real tensors).

    Parameters
    ----------
    x
        The input tensor.
    """
    x = _t(x)
    return P.ufunc_call(np.conjugate, (x,), {}) if x.dtype.kind in "fc" else P.copy(x)


conj = conjugate


@register("fmod", args=("x", "pos"), ref=np.fmod)
def fmod(x1, x2):
    """The remainder of ``x1 / x2`` truncated toward zero (the sign of ``x1``),
    element-wise.

    Parameters
    ----------
    x1
        The dividend.
    x2
        The divisor, broadcast against ``x1``.
    """
    a, b = _pair(x1, x2)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype == b.dtype == np.bool_:
        a, b = P.cast(a, np.int32), P.cast(b, np.int32)
    return P.ufunc_call(np.fmod, (a, b), {})


@register("corrcoef", shapes=((3, 6),), ref=lambda x: np.corrcoef(x).astype(x.dtype))
def corrcoef(x):
    """The Pearson correlation coefficients of the rows of ``x`` (each row a variable,
    each column an observation).

    Parameters
    ----------
    x
        A 1-D or 2-D tensor.
    """
    x = _float(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"corrcoef: x must be 1-D or 2-D, got shape {x.shape}")
    x2 = P.reshape(x, (1, -1)) if x.ndim == 1 else x
    xm = P.subtract(x2, P.mean(x2, axis=1, keepdims=True))
    cov = P.matmul(xm, P.transpose(xm))
    i = np.arange(cov.shape[0])
    d = P.sqrt(P.getitem(cov, (i, i)))
    c = P.clip(P.divide(cov, P.multiply(P.reshape(d, (-1, 1)), P.reshape(d, (1, -1)))),
               -1.0, 1.0)
    return P.reshape(c, ()) if x.ndim == 1 else c


@register("correlate", args=("x", "x"), shapes=((7,), (3,)),
          cases=({}, {"mode": "same"}, {"mode": "full"}), ref=np.correlate)
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D tensors, ``c[k] = sum_n x1[n + k] * x2[n]``.

    Parameters
    ----------
    x1
        The first 1-D tensor.
    x2
        The second 1-D tensor.
    mode
        ``'valid'`` (the default: only where the two overlap fully), ``'same'`` (the
        length of the longer input) or ``'full'`` (every overlap).
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    a, b = _promote([_float(x1), _float(x2)])
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"correlate: x1 and x2 must be 1-D, got shapes {a.shape} and "
                         f"{b.shape}")
    m, n = a.shape[0], b.shape[0]
    if m == 0 or n == 0:
        raise ValueError(f"correlate: x1 and x2 must not be empty, got shapes {a.shape} and "
                         f"{b.shape}")
    if b.dtype.kind == "c":
        b = P.ufunc_call(np.conjugate, (b,), {})
    padded = P.pad(a, [(n - 1, n - 1)])
    windows = np.arange(m + n - 1)[:, None] + np.arange(n)[None, :]
    full = P.matmul(P.getitem(padded, windows), b)          # c[k], k = -(n-1) .. m-1
    lo, hi = builtins.min(m, n), builtins.max(m, n)
    if mode == "full":
        start, length = 0, m + n - 1
    elif mode == "valid":
        start, length = lo - 1, hi - lo + 1
    else:
        start, length = (lo - 1) // 2 if m >= n else lo // 2, hi
    if m < n:
        start = (m + n - 1) - start - length
    return P.getitem(full, slice(start, start + length))


register("correlate_long_kernel", args=("x", "x"), shapes=((3,), (6,)),
         cases=({}, {"mode": "same"}, {"mode": "full"}), ref=np.correlate)(correlate)


@register("vander", shapes=((4,),), cases=({}, {"N": 3}, {"N": 5, "increasing": True}),
          ref=lambda x, **kw: np.vander(x, **kw).astype(x.dtype))
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns the powers ``x ** (N - 1)``, ...,
    ``x ** 0`` (or increasing).

    Parameters
    ----------
    x
        A 1-D tensor.
    N
        The number of columns. Default None: ``len(x)``.
    increasing
        Whether the powers increase from left to right. Default False.
    """
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {x.shape}")
    N = x.shape[0] if N is None else _int_arg(N, "N", "vander", low=0)
    increasing = _bool(increasing, "increasing", "vander")
    cols, p = [], None
    for i in range(N):
        p = _wrap(np.ones(x.shape, x.dtype)) if i == 0 else (x if i == 1 else
                                                              P.multiply(p, x))
        cols.append(p)
    if not cols:
        return _wrap(np.zeros(x.shape + (0,), x.dtype))
    out = P.stack(cols if increasing else cols[::-1], axis=1)
    return out


def histogram(x, bins=10, range=None):
    """The counts of the values of the 1-D ``x`` in ``bins`` equal-width bins over
    ``range``, and the bin edges: ``(counts, edges)``.

    Parameters
    ----------
    x
        A 1-D tensor.
    bins
        The number of bins. Default 10.
    range
        ``(low, high)`` of the bins. Default None: the minimum and maximum of ``x``.
    """
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D, got shape {x.shape}")
    bins = _int_arg(bins, "bins", "histogram", low=1)
    if range is not None:
        if not isinstance(range, (list, tuple)) or len(range) != 2 or \
                not range[0] < range[1]:
            raise ValueError(f"histogram: range must be a pair (low, high) with low < high, "
                             f"got {range!r}")
    xr = _raw(_float(x))
    counts, edges = np.histogram(xr, bins=bins, range=range)
    return _wrap(counts.astype(np.int32)), _wrap(edges.astype(xr.dtype))


register("histogram", shapes=((20,),), cases=({}, {"bins": 4, "range": (-1.0, 1.0)}),
         ref=lambda x, **kw: (np.histogram(x, **kw)[0].astype(np.int32),
                              np.histogram(x, **kw)[1]), grad=False)(histogram)


# --------------------------------------------------------------- NaN-ignoring reductions
def _nan_args(x, axis, keepdims, owner):
    x, axis, keepdims = _reduce_args(x, axis, keepdims, owner)
    mask = np.isnan(_raw(x)) if x.dtype.kind in "fc" else None
    return x, axis, keepdims, (mask if mask is not None and mask.any() else None)


def _nan_extreme(prim, fill, name):
    def op(x, axis=None, keepdims=False):
        x, axis, keepdims, mask = _nan_args(x, axis, keepdims, name)
        if mask is None:
            return prim(x, axis=axis, keepdims=keepdims)
        out = prim(P.where(mask, fill, x), axis=axis, keepdims=keepdims)
        empty = np.all(mask, axis=axis, keepdims=keepdims)
        return P.where(empty, np.nan, out) if empty.any() else out
    op.__name__ = name
    op.__doc__ = f"""The {'largest' if fill < 0 else 'smallest'} value along ``axis``, NaNs
        ignored (NaN where all values are NaN).

        Parameters
        ----------
        x
            The input tensor.
        axis
            The axis (or axes) to reduce over. Default None: all of them.
        keepdims
            Whether to keep the reduced axes, with size 1. Default False.
        """
    return op


nanmax = _nan_extreme(P.max, -np.inf, "nanmax")
nanmin = _nan_extreme(P.min, np.inf, "nanmin")


def nansum(x, axis=None, keepdims=False):
    """The sum along ``axis``, NaNs counted as zero.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims, mask = _nan_args(x, axis, keepdims, "nansum")
    x = _same_int(x, _sum_dtype(x.dtype))
    return _same_int(P.sum(x if mask is None else P.where(mask, 0, x), axis=axis,
                           keepdims=keepdims), x.dtype)


def nanprod(x, axis=None, keepdims=False):
    """The product along ``axis``, NaNs counted as one.

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims, mask = _nan_args(x, axis, keepdims, "nanprod")
    x = _same_int(x, _sum_dtype(x.dtype))
    return _same_int(P.prod(x if mask is None else P.where(mask, 1, x), axis=axis,
                            keepdims=keepdims), x.dtype)


def _nan_count(x, mask, axis, keepdims):
    n = np.sum(~mask, axis=axis, keepdims=keepdims) if mask is not None else \
        np.prod([x.shape[a] for a in _axes_tuple(axis, x.ndim)])
    return np.asarray(n, x.dtype)


def nanmean(x, axis=None, keepdims=False):
    """The mean along ``axis`` of the values that are not NaN (NaN where all are).

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims, mask = _nan_args(_float(x), axis, keepdims, "nanmean")
    if mask is None:
        return P.mean(x, axis=axis, keepdims=keepdims)
    n = _nan_count(x, mask, axis, keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return P.divide(P.sum(P.where(mask, 0, x), axis=axis, keepdims=keepdims), n)


def nanvar(x, axis=None, keepdims=False):
    """The variance along ``axis`` of the values that are not NaN (NaN where all are).

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    x, axis, keepdims, mask = _nan_args(_float(x), axis, keepdims, "nanvar")
    if mask is None:
        return P.var(x, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = nanmean(x, axis=axis, keepdims=True)
        dev = P.where(mask, 0, P.subtract(x, mu))
        return P.divide(P.sum(P.square(dev), axis=axis, keepdims=keepdims),
                        _nan_count(x, mask, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation along ``axis`` of the values that are not NaN (NaN where
    all are).

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return P.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_arg(np_fn, fill, name):
    def op(x, axis=None, keepdims=False):
        x, axis, keepdims = _reduce_args(x, axis, keepdims, name)
        if isinstance(axis, tuple):
            raise TypeError(f"{name}: axis must be an int or None, got a tuple {axis}")
        xr = _raw(x)
        if x.dtype.kind in "fc":
            mask = np.isnan(xr)
            xr = np.where(mask, fill, xr)
            r = np.asarray(np_fn(xr, axis=axis, keepdims=keepdims))
            r = np.where(np.all(mask, axis=axis, keepdims=keepdims), -1, r)
        else:
            r = np_fn(xr, axis=axis, keepdims=keepdims)
        return _wrap(np.asarray(r).astype(np.int32))
    op.__name__ = name
    op.__doc__ = f"""The int32 index of the {'largest' if fill < 0 else 'smallest'} value
        along ``axis``, NaNs ignored (-1 where all values are NaN).

        Parameters
        ----------
        x
            The input tensor.
        axis
            The axis to search along. Default None: over the flattened values.
        keepdims
            Whether to keep the reduced axis, with size 1. Default False.
        """
    return op


nanargmax = _nan_arg(np.argmax, -np.inf, "nanargmax")
nanargmin = _nan_arg(np.argmin, np.inf, "nanargmin")


def _nan_cumulative(fn, fill, name):
    def op(x, axis=None, dtype=None):
        x = _t(x)
        mask = np.isnan(_raw(x)) if x.dtype.kind in "fc" else None
        if mask is not None and mask.any():
            x = P.where(mask, fill, x)
        out = fn(x, axis=axis, dtype=dtype)
        if dtype is not None:
            return out
        return _same_int(out, np.dtype(np.int32) if x.dtype == np.bool_ else x.dtype)
    op.__name__ = name
    op.__doc__ = f"""The cumulative {'sum' if fill == 0 else 'product'} along ``axis``,
        NaNs counted as {'zero' if fill == 0 else 'one'}.

        Parameters
        ----------
        x
            The input tensor.
        axis
            The axis. Default None: over the flattened values.
        dtype
            The dtype of the result. Default None: from ``x`` (booleans give int32).
        """
    return op


nancumsum = _nan_cumulative(cumsum, 0, "nancumsum")
nancumprod = _nan_cumulative(cumprod, 1, "nancumprod")


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles along ``axis`` of the values that are not NaN (``q`` in
    [0, 1]; NaN where all values are NaN).

    Parameters
    ----------
    x
        The input tensor.
    q
        The quantile, or a 1-D list of them, in [0, 1].
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    method
        ``'linear'`` (the default), ``'lower'``, ``'higher'``, ``'midpoint'`` or
        ``'nearest'``.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, q, axis, method, keepdims, "nanquantile", True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles along ``axis`` of the values that are not NaN (``q`` in
    [0, 100]; NaN where all values are NaN).

    Parameters
    ----------
    x
        The input tensor.
    q
        The percentile, or a 1-D list of them, in [0, 100].
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    method
        ``'linear'`` (the default), ``'lower'``, ``'higher'``, ``'midpoint'`` or
        ``'nearest'``.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, q, axis, method, keepdims, "nanpercentile", True, 100.0)


def nanmedian(x, axis=None, keepdims=False):
    """The median along ``axis`` of the values that are not NaN (NaN where all are).

    Parameters
    ----------
    x
        The input tensor.
    axis
        The axis (or axes) to reduce over. Default None: all of them.
    keepdims
        Whether to keep the reduced axes, with size 1. Default False.
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", True)


def _nan_pattern(shape):
    """Every fifth value (from the third) of a test input: NaN there leaves no slice of
    the test shapes all NaN."""
    return (np.arange(int(np.prod(shape))) % 5 == 2).reshape(shape)


def _with_nans(fn):
    """fn applied to x with NaN at _nan_pattern (the registry's test of the nan ops)."""
    def op(x, **kw):
        return fn(P.where(_nan_pattern(x.shape), np.nan, x), **kw)
    return op


def _ref_with_nans(np_fn):
    def ref(x, **kw):
        r = np.asarray(np_fn(np.where(_nan_pattern(x.shape), np.nan, x), **kw))
        return r.astype(x.dtype) if r.dtype.kind == "f" else r
    return ref


for _name, _fn, _grad, _cases in (
        ("nanmax", nanmax, True, _RED_CASES), ("nanmin", nanmin, True, _RED_CASES),
        ("nansum", nansum, True, _RED_CASES), ("nanprod", nanprod, True, _RED_CASES),
        ("nanmean", nanmean, True, _RED_CASES), ("nanvar", nanvar, True, _RED_CASES),
        ("nanstd", nanstd, True, _RED_CASES), ("nanmedian", nanmedian, True, _RED_CASES),
        ("nanquantile", nanquantile, True, _QCASES),
        ("nanpercentile", nanpercentile, True,
         ({"q": 30.0}, {"q": [0.0, 50.0, 100.0], "axis": 1})),
        ("nancumsum", nancumsum, True, ({}, {"axis": 1})),
        ("nancumprod", nancumprod, True, ({}, {"axis": 1})),
        ("nanargmax", nanargmax, False, ({}, {"axis": 1})),
        ("nanargmin", nanargmin, False, ({}, {"axis": 1}))):
    register(_name, args=("distinct" if _name in ("nanmax", "nanmin", "nanargmax",
                                                   "nanargmin") else "x",),
             shapes=((2, 3, 4),), cases=_cases, grad=_grad,
             ref=_ref_with_nans(getattr(np, _name)))(_with_nans(_fn))


# ------------------------------------------------------------ integers and bits
def _int_pair(x1, x2, owner, names=("x1", "x2")):
    a, b = _pair(x1, x2)
    a, b = _t(a), _t(b)
    for nm, v in zip(names, (a, b)):
        if v.dtype.kind not in "biu":
            raise TypeError(f"{owner}: {nm} must hold integers or booleans, got dtype "
                            f"{v.dtype}")
    if a.dtype != b.dtype:
        a, b = _promote([a, b])
    return a, b


def _int_op(np_fn, x, y, owner, names):
    a, b = _int_pair(x, y, owner, names)
    if a.dtype == np.bool_ and np_fn in (np.gcd, np.lcm, np.left_shift, np.right_shift):
        return _wrap(np.asarray(np_fn(_raw(a).astype(np.int32),
                                      _raw(b).astype(np.int32)).astype(bool)))
    return _wrap(np.asarray(np_fn(_raw(a), _raw(b))))


def _int_binary(np_fn, name, what, names=("x1", "x2")):
    if names == ("x1", "x2"):
        def op(x1, x2):
            return _int_op(np_fn, x1, x2, name, names)
    else:
        def op(x, y):
            return _int_op(np_fn, x, y, name, names)
    op.__name__ = name
    op.__doc__ = f"""{what}, element-wise with broadcasting, for integer or boolean
        tensors.

        Parameters
        ----------
        {names[0]}
            The first operand.
        {names[1]}
            The second operand, broadcast against the first.
        """
    return register(name, args=("int", "int"), ref=np_fn, grad=False)(op)


gcd = _int_binary(np.gcd, "gcd", "The greatest common divisor of ``x1`` and ``x2``")
lcm = _int_binary(np.lcm, "lcm", "The least common multiple of ``x1`` and ``x2``")
bitwise_and = _int_binary(np.bitwise_and, "bitwise_and", "The bit-wise AND of ``x`` and "
                          "``y``", ("x", "y"))
bitwise_or = _int_binary(np.bitwise_or, "bitwise_or", "The bit-wise OR of ``x`` and ``y``",
                         ("x", "y"))
bitwise_xor = _int_binary(np.bitwise_xor, "bitwise_xor", "The bit-wise XOR of ``x`` and "
                          "``y``", ("x", "y"))
bitwise_left_shift = _int_binary(np.left_shift, "bitwise_left_shift", "The bits of ``x`` "
                                 "shifted left by ``y``", ("x", "y"))
bitwise_right_shift = _int_binary(np.right_shift, "bitwise_right_shift", "The bits of ``x`` "
                                  "shifted right by ``y``", ("x", "y"))


def left_shift(x, y):
    """The bits of ``x`` shifted left by ``y`` (as ``bitwise_left_shift``).

    Parameters
    ----------
    x
        The integer tensor.
    y
        The shift, broadcast against ``x``.
    """
    return _int_op(np.left_shift, x, y, "left_shift", ("x", "y"))


def right_shift(x, y):
    """The bits of ``x`` shifted right by ``y`` (as ``bitwise_right_shift``).

    Parameters
    ----------
    x
        The integer tensor.
    y
        The shift, broadcast against ``x``.
    """
    return _int_op(np.right_shift, x, y, "right_shift", ("x", "y"))


@register("bitwise_invert", args=("int",), ref=np.invert, grad=False)
def bitwise_invert(x):
    """The bit-wise NOT of ``x`` (logical NOT for booleans), element-wise.

    Parameters
    ----------
    x
        An integer or boolean tensor.
    """
    return _invert(x, "bitwise_invert")


def _invert(x, owner):
    x = _t(x)
    if x.dtype.kind not in "biu":
        raise TypeError(f"{owner}: x must hold integers or booleans, got dtype {x.dtype}")
    return _wrap(np.asarray(np.invert(_raw(x))))


def bitwise_not(x):
    """The bit-wise NOT of ``x`` (as ``bitwise_invert``).

    Parameters
    ----------
    x
        An integer or boolean tensor.
    """
    return _invert(x, "bitwise_not")


@register("nextafter", args=("x", "x"), ref=np.nextafter, grad=False)
def nextafter(x1, x2):
    """The next representable value after ``x1`` toward ``x2``, element-wise (integer
    inputs in float32).

    Parameters
    ----------
    x1
        The values to step from.
    x2
        The direction, broadcast against ``x1``.
    """
    a, b = _promote([_float(x1), _float(x2)])
    return _wrap(np.asarray(np.nextafter(_raw(a), _raw(b))))


@register("i0", args=("x",), ref=np.i0)
def i0(x):
    """The modified Bessel function of the first kind, order 0, element-wise (integer
    inputs in float32); its derivative is the order-1 function.

    Parameters
    ----------
    x
        The input tensor.
    """
    return P.bessel_i(0, _float(x))


# --------------------------------------------------------------------- windows
def _window(np_fn, name, what):
    def op(x):
        m = _int_arg(x, "x", name)
        return _wrap(np_fn(m).astype(FLOATX))
    op.__name__ = name
    op.__doc__ = f"""The {what} window of ``x`` points (float32; empty for ``x`` < 1).

    Parameters
    ----------
    x
        The number of points.
    """
    return op


bartlett = _window(np.bartlett, "bartlett", "Bartlett (triangular)")
blackman = _window(np.blackman, "blackman", "Blackman")
hamming = _window(np.hamming, "hamming", "Hamming")
hanning = _window(np.hanning, "hanning", "Hann")


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape parameter ``beta`` (float32).

    Parameters
    ----------
    x
        The number of points.
    beta
        The shape parameter (0: rectangular; larger: narrower).
    """
    m = _int_arg(x, "x", "kaiser")
    b = _raw(beta)
    if isinstance(beta, (bool, np.bool_)) or not isinstance(b, (numbers.Real, np.ndarray)):
        raise TypeError(f"kaiser: beta must be a number, got {type(beta).__name__} {beta!r}")
    return _wrap(np.kaiser(m, float(b)).astype(FLOATX))


# ============================================== fmax / fmin, angle, slogdet, unique, ...
def _nan_extreme(name, np_fn, pick_first):
    def op(x1, x2):
        a, b = _pair(x1, x2)
        a, b = _t(a), _t(b)
        if a.dtype != b.dtype:
            a, b = _promote([a, b])
        ar, br = _raw(a), _raw(b)
        with np.errstate(invalid="ignore"):
            first = pick_first(ar, br)
        if br.dtype.kind in "fc":
            first = first | np.isnan(br)
        return P.where(first, a, b)
    op.__name__ = name
    word = "larger" if name == "fmax" else "smaller"
    op.__doc__ = f"""The {word} of ``x1`` and ``x2``, element-wise, ignoring NaNs: where one
        of the two is NaN the other is returned (NaN where both are).

        Parameters
        ----------
        x1
            The first operand.
        x2
            The second operand, broadcast against ``x1``.
        """
    return register(name, args=("x", "x"), shapes=_BROADCAST, ref=np_fn)(op)


fmax = _nan_extreme("fmax", np.fmax, lambda a, b: a >= b)
fmin = _nan_extreme("fmin", np.fmin, lambda a, b: a <= b)


def _angle_ref(x):
    x = np.asarray(x)
    return np.angle(x).astype(x.dtype)


@register("angle", args=("nz",), ref=_angle_ref, grad=False)
def angle(x):
    """The angle (argument) of each element of ``x``, in radians, in ``(-pi, pi]``:
    0 for a non-negative real number, pi for a negative one. Integers and booleans
    give float32 (int64: float32 too, as Keras' ``floatx``); complex64 float32 and
    complex128 float64.

    Parameters
    ----------
    x
        The input tensor, real or complex.
    """
    x = _t(x)
    if x.dtype.kind in "biu":
        x = P.cast(x, FLOATX)
    r = np.angle(_raw(x))
    want = np.float32 if x.dtype in (np.complex64, np.float32) else \
        np.float64 if x.dtype in (np.complex128, np.float64) else x.dtype
    return _wrap(np.asarray(r, want))


def _slogdet_ref(x):
    s, l = np.linalg.slogdet(x)
    return s, l


@register("slogdet", args=("x",), shapes=((2, 3, 3),), ref=_slogdet_ref, rtol=1e-4)
def slogdet(x):
    """The sign and the natural logarithm of the absolute value of the determinant of
    each square matrix in the last two axes of ``x``, as ``(sign, logabsdet)``.

    ``sign`` is 1, 0 or -1 for a real matrix (a complex one: a number of absolute value 1,
    or 0); ``logabsdet`` is ``-inf`` for a singular matrix. Integers are computed in
    float32. The gradient flows through ``logabsdet`` (``inv(x)`` transposed).

    Parameters
    ----------
    x
        The input tensor, shape ``(..., n, n)``.
    """
    x = _t(x)
    if x.dtype.kind not in "fc":
        x = P.cast(x, FLOATX)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"slogdet: x must hold square matrices in its last two axes, "
                         f"shape (..., n, n), got shape {x.shape}")
    xr = _raw(x)
    sign, logabs = np.linalg.slogdet(xr)
    sign = _wrap(np.asarray(sign, xr.dtype))
    logabs = _wrap(np.asarray(logabs, np.float32 if xr.dtype in (np.float32, np.complex64)
                              else np.float64))
    if _state.tapes and xr.dtype.kind == "f":
        def vjp(g):
            gm = P.reshape(g, tuple(np.shape(_raw(g))) + (1, 1))
            return (P.multiply(gm, P.swapaxes(P.inv(x), -1, -2)),)
        P._rec("slogdet", (x,), logabs, vjp)
    return sign, logabs


def _unique_ref(x, **kw):
    return np.unique(x, **kw)


@register("unique", args=("int",), shapes=((4, 5),), grad=False,
          cases=({}, {"return_counts": True, "return_index": True},
                 {"return_inverse": True, "axis": 0}),
          ref=_unique_ref)
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The unique values of ``x`` in ascending order (or its unique slices along
    ``axis``), with optionally the index of the first occurrence of each, the indices
    that rebuild ``x`` from them and their counts.

    Parameters
    ----------
    x
        The input tensor.
    sorted
        Accepted for Keras' signature; the values always come sorted (which every
        order satisfies). Default True.
    return_index
        Also return the index of each value's first occurrence (int32). Default False.
    return_inverse
        Also return, for each element of ``x`` (each slice along ``axis``), the index of
        its value in the result (int32). Default False.
    return_counts
        Also return how many times each value occurs (int32). Default False.
    axis
        None (default): the values of the flattened ``x``; an int: the unique slices
        along that axis.
    size
        None (default): as many results as there are unique values. An int: exactly
        ``size`` of them, the last ones dropped or ``fill_value`` added (with the
        first value's index as their index and a count of 0).
    fill_value
        The value added when ``size`` is larger than the number of unique values.
        Default None: 0.

    Returns
    -------
    Tensor or tuple of Tensors
        The values, then the index, the inverse and the counts that were asked for.
    """
    x = _t(x)
    for n, v in (("sorted", sorted), ("return_index", return_index),
                 ("return_inverse", return_inverse), ("return_counts", return_counts)):
        _bool(v, n, "unique")
    if axis is not None:
        if x.ndim == 0:
            raise ValueError(f"unique: axis must be None for a 0-D input, got {axis!r}")
        axis = _check_axis(axis, x.ndim, owner="unique", allow_tuple=False) % x.ndim
    if size is not None:
        size = _int_arg(size, "size", "unique", low=0)
    res = np.unique(_raw(x), return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis, equal_nan=False)
    res = list(res) if isinstance(res, tuple) else [res]
    values = res[0]
    extra = [np.asarray(r).astype(np.int32) for r in res[1:]]
    if return_inverse:      # NumPy 2 gives it the shape of x for axis=None
        k = 1 if return_index else 0
        extra[k] = extra[k].reshape(x.shape if axis is None else (x.shape[axis],))
    if size is not None:
        dim = 0 if axis is None else axis
        n = values.shape[dim]
        if n >= size:
            values = np.take(values, np.arange(size), axis=dim)
        else:
            widths = [(0, 0)] * values.ndim
            widths[dim] = (0, size - n)
            values = np.pad(values, widths, constant_values=0 if fill_value is None
                            else fill_value)
        for i, r in enumerate(extra):
            if return_inverse and i == (1 if return_index else 0):
                continue
            # counts pad with 0, indices with the first value's index (as JAX does)
            pad = r[0] if return_index and i == 0 and n else 0
            extra[i] = r[:size] if n >= size else np.pad(r, (0, size - n),
                                                        constant_values=pad)
    out = [_wrap(values)] + [_wrap(r) for r in extra]
    return out[0] if len(out) == 1 else tuple(out)


def _parse_signature(signature):
    """numpy.vectorize's gufunc signature ``"(m,n),(n)->(m)"`` as (input core dims,
    output core dims), each a list of tuples of names."""
    import re
    arg = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
    args = rf"{arg}(?:\s*,\s*{arg})*"
    if not isinstance(signature, str) or not re.fullmatch(rf"\s*{args}\s*->\s*{args}\s*",
                                                          signature):
        raise ValueError(f"vectorize: signature must look like '(m,n),(n)->(m)', got "
                         f"{signature!r}")
    ins, outs = signature.split("->")

    def parts(s):
        return [tuple(d for d in re.split(r"\s*,\s*", p.strip()) if d)
                for p in re.findall(r"\(([^)]*)\)", s)]
    return parts(ins), parts(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to map over the leading (batch) axes of its tensor arguments, as
    numpy.vectorize: without ``signature`` it is called on each element (a 0-D tensor)
    of the broadcast arguments; with a gufunc ``signature`` such as
    ``"(m,n),(n)->(m)"`` on each core slice. The results are stacked, so gradients flow
    through ``pyfunc``'s fastnn ops.

    Parameters
    ----------
    pyfunc
        The function to vectorize.
    excluded
        Positions (ints) or names (strs) of arguments passed to ``pyfunc`` as they are.
        Default None.
    signature
        A generalized-ufunc signature (``"(m,n),(n)->(m)"``). Default None: scalars in,
        scalars out.

    Returns
    -------
    callable
        The vectorized function.
    """
    if not callable(pyfunc):
        raise ValueError(f"vectorize: pyfunc must be a callable, got "
                         f"{type(pyfunc).__name__} {pyfunc!r}")
    excluded = frozenset() if excluded is None else frozenset(excluded)
    for e in excluded:
        if isinstance(e, bool) or not isinstance(e, (int, str)):
            raise TypeError(f"vectorize: excluded must hold ints (positions) or strs "
                            f"(names), got {type(e).__name__} {e!r}")
    core_in, core_out = _parse_signature(signature) if signature is not None else (None,
                                                                                  None)

    def vectorized(*args, **kwargs):
        pos = [i for i in range(len(args)) if i not in excluded]
        names = [k for k in kwargs if k not in excluded]
        tensors = [_t(args[i]) for i in pos] + [_t(kwargs[k]) for k in names]
        if core_in is not None and len(core_in) != len(tensors):
            raise ValueError(f"vectorize: the signature {signature!r} names "
                             f"{len(core_in)} inputs, got {len(tensors)} vectorized "
                             f"arguments")
        cores = core_in or [()] * len(tensors)
        sizes = {}
        loops = []
        for t, core in zip(tensors, cores):
            if t.ndim < len(core):
                raise ValueError(f"vectorize: an argument of shape {t.shape} has fewer "
                                 f"axes than its core dimensions {core} in {signature!r}")
            cs = t.shape[t.ndim - len(core):]
            for d, s in zip(core, cs):
                if sizes.setdefault(d, s) != s:
                    raise ValueError(f"vectorize: the core dimension {d!r} is {sizes[d]} "
                                     f"in one argument and {s} in another")
            loops.append(t.shape[:t.ndim - len(core)])
        try:
            loop = np.broadcast_shapes(*loops) if loops else ()
        except ValueError:
            raise ValueError(f"vectorize: the arguments' batch shapes {loops} do not "
                             f"broadcast together") from None
        tensors = [P.broadcast_to(t, loop + t.shape[t.ndim - len(c):])
                   if t.shape[:t.ndim - len(c)] != loop else t
                   for t, c in zip(tensors, cores)]
        results = []
        for idx in np.ndindex(*loop):
            sl = [P.getitem(t, idx) if idx else t for t in tensors]
            a = list(args)
            kw = dict(kwargs)
            for i, s in zip(pos, sl):
                a[i] = s
            for k, s in zip(names, sl[len(pos):]):
                kw[k] = s
            results.append(pyfunc(*a, **kw))
        if not results:
            raise ValueError("vectorize: the arguments have a batch dimension of size 0")
        multi = isinstance(results[0], tuple)
        if core_out is not None and (len(core_out) > 1) != multi:
            raise ValueError(f"vectorize: the signature {signature!r} names "
                             f"{len(core_out)} outputs, pyfunc returned "
                             f"{'a tuple' if multi else 'one value'}")
        cols = list(zip(*results)) if multi else [results]
        outs = []
        for col in cols:
            col = [_t(c) for c in col]
            st = P.stack(col, axis=0) if len(col) > 1 or loop else col[0]
            outs.append(P.reshape(st, loop + tuple(col[0].shape)) if loop else st)
        return tuple(outs) if multi else outs[0]
    return vectorized


def _vectorize_ref(x, y):
    return x * np.sin(y)


register("vectorize", args=("x", "x"), shapes=((3, 4), (4,)), ref=_vectorize_ref)(
    lambda x, y: vectorize(lambda a, b: multiply(a, sin(b)))(x, y))
register("vectorize_signature", args=("x", "x"), shapes=((2, 3, 4), (4,)),
         ref=lambda m, v: np.einsum("bij,j->bi", m, v))(
    lambda m, v: vectorize(matmul, signature="(m,n),(n)->(m)")(m, v))


@register("view", args=("x",), cases=({"dtype": "int32"},),
          ref=lambda x, dtype: x.view(np.int32),
          grad=False)
def view(x, dtype=None):
    """The same bytes as ``x`` read as ``dtype`` (no copy, no conversion of the
    values). A dtype of another item size changes the last axis' length.

    Parameters
    ----------
    x
        The input tensor.
    dtype
        The dtype to read the bytes as. Default None: ``x``'s own.
    """
    x = _t(x)
    d = standardize_dtype(dtype, "dtype", "view")
    if d is None:
        return _wrap(_raw(x).view())
    if d.itemsize != x.dtype.itemsize:
        if x.ndim == 0:
            raise ValueError(f"view: a 0-D tensor of {x.dtype} cannot be viewed as {d} "
                             f"(another item size)")
        nbytes = x.shape[-1] * x.dtype.itemsize
        if nbytes % d.itemsize:
            raise ValueError(f"view: the last axis of shape {x.shape} holds {nbytes} "
                             f"bytes of {x.dtype}, not a whole number of {d} "
                             f"({d.itemsize} bytes each)")
    return _wrap(np.ascontiguousarray(_raw(x)).view(d))


def _unique_spec(x, sorted=True, return_index=False, return_inverse=False,
                 return_counts=False, axis=None, size=None, fill_value=None):
    """unique on a symbolic tensor: the number of unique values is known only from
    ``size``."""
    from fastnn.layers.symbolic import KerasTensor
    shape = tuple(x.shape)
    for n, v in (("sorted", sorted), ("return_index", return_index),
                 ("return_inverse", return_inverse), ("return_counts", return_counts)):
        _bool(v, n, "unique")
    if size is not None:
        size = _int_arg(size, "size", "unique", low=0)
    if axis is None:
        values = (size,)
    else:
        if not shape:
            raise ValueError(f"unique: axis must be None for a 0-D input, got {axis!r}")
        axis = _check_axis(axis, len(shape), owner="unique", allow_tuple=False) % len(shape)
        values = shape[:axis] + (size,) + shape[axis + 1:]
    out = [KerasTensor(values, x.dtype)]
    if return_index:
        out.append(KerasTensor((size,), "int32"))
    if return_inverse:
        out.append(KerasTensor(shape if axis is None else (shape[axis],), "int32"))
    if return_counts:
        out.append(KerasTensor((size,), "int32"))
    return out[0] if len(out) == 1 else tuple(out)


unique.compute_output_spec = _unique_spec
