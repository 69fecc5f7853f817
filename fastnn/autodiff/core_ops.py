"""keras.ops core functions: conversion, casting, shapes, stop_gradient, and
TensorFlow's `custom_gradient` and `function`."""
import functools
import inspect

import numpy as np

from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff import tape as _tape
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import _raw, _state, _wrap

__all__ = ["convert_to_tensor", "convert_to_numpy", "is_tensor", "cast", "shape", "dtype",
           "stop_gradient", "custom_gradient", "function", "standardize_dtype", "FLOATX"]

FLOATX = np.dtype(np.float32)     # Keras' floatx
_PY_DTYPES = {bool: "bool", int: "int32", float: "float32"}
_NAMES = {"float": "float32", "int": "int32", "floatx": "float32"}


def standardize_dtype(dtype, name="dtype", owner=None):
    """A dtype argument (NumPy dtype, its name, or Python bool/int/float) as a NumPy
    dtype; Python int is int32 and float is float32 (Keras' defaults)."""
    if dtype is None:
        return None
    if dtype in _PY_DTYPES:
        dtype = _PY_DTYPES[dtype]
    if isinstance(dtype, str):
        dtype = _NAMES.get(dtype, dtype)
    try:
        d = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    except TypeError:
        who = f"{owner}: " if owner else ""
        raise TypeError(f"{who}{name} must be a dtype (a NumPy dtype or a name such as "
                        f"'float32'), got {type(dtype).__name__} {dtype!r}") from None
    if d.kind not in "biufc":
        who = f"{owner}: " if owner else ""
        raise TypeError(f"{who}{name} must be a numeric or bool dtype, got {d}")
    return d


def _infer(x):
    """Keras' dtype for a Python value: floats float32, ints int32, bools bool."""
    a = np.asarray(x)
    if a.dtype.kind == "f":
        return FLOATX
    if a.dtype.kind in "iu":
        if a.size and (a.max() > np.iinfo(np.int32).max or a.min() < np.iinfo(np.int32).min):
            return np.dtype(np.int64)
        return np.dtype(np.int32)
    return a.dtype


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """x as a Tensor: a Tensor or Variable of that dtype is returned as it is (so the
    tape still knows it); an array is viewed without a copy; Python numbers and lists
    become float32 (floats), int32 (ints) or bool, as in Keras. With `dtype`, a cast
    (differentiable).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    dtype
        The dtype to convert to. Default None: kept (numbers and lists: float32, int32
        or bool).
    sparse
        Keras' sparse tensors; fastnn has none, so only None or False is accepted.
    ragged
        TensorFlow's ragged tensors; fastnn has none, so only None or False is
        accepted.
    """
    dt = standardize_dtype(dtype, "dtype", "convert_to_tensor")
    if isinstance(x, Tensor):
        if dt is None or x.dtype == dt:
            return x
        return P.cast(x, dt)
    if isinstance(x, np.ndarray):
        return _wrap(x if dt is None or x.dtype == dt else x.astype(dt))
    if isinstance(x, np.generic):
        return _wrap(np.asarray(x, dtype=dt))
    try:
        if isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in _leaves(x)):
            return P.stack([convert_to_tensor(v) for v in x]) if dt is None else \
                P.cast(P.stack([convert_to_tensor(v) for v in x]), dt)
        a = np.asarray(x)
    except Exception as e:
        raise TypeError(f"convert_to_tensor: x must be an array, a number or a nested list "
                        f"of numbers with rows of equal length, got {type(x).__name__} "
                        f"({e})") from None
    if a.dtype.kind not in "biufc":
        raise TypeError(f"convert_to_tensor: x must hold numbers or bools, got dtype "
                        f"{a.dtype} from {type(x).__name__}")
    if dt is None:
        dt = _infer(a)
    with np.errstate(over="ignore"):
        return _wrap(a.astype(dt, copy=False))


def _leaves(x):
    for v in x:
        if isinstance(v, (list, tuple)):
            yield from _leaves(v)
        else:
            yield v


def convert_to_numpy(x):
    """x as a plain NumPy array (a copy for a Tensor, as .numpy()).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return np.array(_raw(x))


def is_tensor(x):
    """Whether ``x`` is a fastnn Tensor.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return isinstance(x, Tensor)


@register("cast", args=("x",), cases=({"dtype": "float64"},),
          ref=lambda x, dtype: np.asarray(x).astype(dtype))
def cast(x, dtype):
    """x converted to `dtype` (differentiable between float dtypes).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    dtype
        The dtype to convert to.
    """
    dt = standardize_dtype(dtype, "dtype", "cast")
    x = convert_to_tensor(x)
    return P.cast(x, dt)


def shape(x):
    """The shape of x as a tuple of ints."""
    return tuple(np.shape(_raw(x)))


def dtype(x):
    """The dtype name of x ('float32', ...).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return np.asarray(_raw(x)).dtype.name


def stop_gradient(variable):
    """The same values, with no gradient flowing back through them.

    Parameters
    ----------
    variable
        The input tensor.
    """
    if isinstance(variable, (list, tuple)):
        return type(variable)(stop_gradient(v) for v in variable)
    return P.stop_gradient(variable if isinstance(variable, np.ndarray)
                           else convert_to_tensor(variable))


# ------------------------------------------------------------------ custom_gradient
def custom_gradient(f=None):
    """TensorFlow's @tf.custom_gradient: `f(*args)` returns `(y, grad_fn)`, where
    `grad_fn(*dy)` returns the gradients for the Tensor arguments of f (one, or a list
    with one per argument, None for none). If f reads Variables, grad_fn must take a
    keyword argument `variables` and return `(input_grads, variable_grads)`.

    The operations inside f are not recorded; the decorated call is recorded as one
    operation whose VJP is grad_fn (itself recorded by an outer tape when written with
    differentiable ops, for second derivatives).

    Parameters
    ----------
    f : callable
        The function to decorate.

    Returns
    -------
    callable
        The decorated function.
    """
    if f is None:
        return custom_gradient
    if not callable(f):
        raise TypeError(f"custom_gradient: expected a function, got {type(f).__name__}")

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        if not _state.tapes:
            y, _ = f(*args, **kwargs)
            return _as_outputs(y)
        # Run f unrecorded by the active tapes, but see which Variables it reads.
        saved = list(_state.tapes)
        probe = _tape._Tape(watch_accessed=True)
        for t in reversed(saved):
            _tape._pop(t)
        _tape._push(probe)
        try:
            y, grad_fn = f(*args, **kwargs)
        finally:
            _tape._pop(probe)
            for t in saved:
                _tape._push(t)
        in_tensors = _tape._flatten(list(args))
        arg_ids = {id(a) for a in in_tensors}
        variables = [v for v in probe.variables.values() if id(v) not in arg_ids]
        single = not isinstance(y, (list, tuple))
        outs = _as_outputs(y)
        out_tuple = (outs,) if single else tuple(outs)
        takes_vars = _takes_variables(grad_fn)
        if variables and not takes_vars:
            raise TypeError("custom_gradient: the function reads Variables "
                            f"({', '.join(v.name or str(v.shape) for v in variables)}), so "
                            "its grad_fn must accept a keyword argument `variables` and "
                            "return (input_gradients, variable_gradients)")
        n_in = len(in_tensors)

        def vjp(*dys):
            if variables:
                res = grad_fn(*dys, variables=variables)
                if not (isinstance(res, (list, tuple)) and len(res) == 2):
                    raise ValueError("custom_gradient: with variables, grad_fn must return "
                                     "(input_gradients, variable_gradients)")
                gin, gvar = res
                gvar = list(gvar)
                if len(gvar) != len(variables):
                    raise ValueError(f"custom_gradient: grad_fn returned {len(gvar)} "
                                     f"variable gradient(s) for {len(variables)} variable(s)")
            else:
                gin, gvar = grad_fn(*dys), []
            gin = list(gin) if isinstance(gin, (list, tuple)) else [gin]
            if len(gin) != n_in:
                raise ValueError(f"custom_gradient: grad_fn returned {len(gin)} gradient(s) "
                                 f"for {n_in} argument(s)")
            return [None if g is None else convert_to_tensor(g) for g in gin + gvar]
        _tape._record(tuple(in_tensors) + tuple(variables), out_tuple, vjp,
                      getattr(f, "__name__", "custom_gradient"))
        return outs
    return decorated


def _as_outputs(y):
    if isinstance(y, (list, tuple)):
        return type(y)(_fresh(v) for v in y)
    return _fresh(y)


def _fresh(v):
    """A new Tensor object for an output (a function may return its input itself)."""
    return _wrap(_raw(v)) if isinstance(v, np.ndarray) else convert_to_tensor(v)


def _takes_variables(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "variables" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


# ---------------------------------------------------------------------- function
_FUNCTION_ARGS = ("input_signature", "autograph", "jit_compile", "reduce_retracing",
                  "experimental_implements", "experimental_autograph_options",
                  "experimental_attributes", "experimental_relax_shapes",
                  "experimental_compile", "experimental_follow_type_hints", "name")


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None, name=None):
    """TensorFlow's @tf.function, as a pass-through: fastnn runs eagerly, so the function
    is called as it is (its arguments are accepted and checked for type only).
    Usable as `@function`, `@function(jit_compile=True)` or `function(f)`.

    Parameters
    ----------
    func : callable, optional
        The function; without it, ``function(...)`` returns a decorator.
    input_signature, autograph, jit_compile, reduce_retracing, name : optional
        TensorFlow's tracing options, accepted and checked for type only.
    experimental_implements, experimental_autograph_options, experimental_attributes, experimental_relax_shapes, experimental_compile, experimental_follow_type_hints : optional
        TensorFlow's experimental options, accepted and ignored.

    Returns
    -------
    callable
        ``func`` itself, or a decorator.
    """
    for argname, v in (("autograph", autograph), ("reduce_retracing", reduce_retracing)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"function: {argname} must be True or False, got "
                            f"{type(v).__name__} {v!r}")
    if jit_compile is not None and not isinstance(jit_compile, (bool, np.bool_)):
        raise TypeError(f"function: jit_compile must be True, False or None, got "
                        f"{type(jit_compile).__name__} {jit_compile!r}")
    if input_signature is not None and not isinstance(input_signature, (list, tuple)):
        raise TypeError(f"function: input_signature must be a list or tuple (of "
                        f"TensorSpec-like objects) or None, got "
                        f"{type(input_signature).__name__}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"function: name must be a str or None, got {type(name).__name__}")

    def wrap(fn):
        if not callable(fn):
            raise TypeError(f"function: expected a function to wrap, got "
                            f"{type(fn).__name__} {fn!r}")

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            return fn(*args, **kwargs)
        wrapped.python_function = fn
        wrapped.jit_compile = jit_compile
        wrapped.input_signature = input_signature
        return wrapped
    return wrap if func is None else wrap(func)
