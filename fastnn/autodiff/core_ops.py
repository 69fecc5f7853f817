"""keras.ops core functions: conversion, casting, shapes, stop_gradient, control flow
(cond, switch, while_loop, fori_loop, scan, associative_scan, map, vectorized_map),
slicing and scattering, and TensorFlow's `custom_gradient` and `function`.

fastnn runs eagerly: `cond` calls the branch `pred` chooses, and the loops are Python
loops over the functions given; gradients flow through whatever those functions compute.
Structures (tuples, lists and dicts of tensors, nested) are kept as Keras documents."""
import builtins
import functools
import inspect
import numbers

import numpy as np

from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff import tape as _tape
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import _raw, _state, _wrap

__all__ = ["convert_to_tensor", "convert_to_numpy", "is_tensor", "cast", "shape", "dtype",
           "stop_gradient", "custom_gradient", "function", "standardize_dtype", "FLOATX",
           "saturate_cast", "cond", "switch", "while_loop", "fori_loop", "scan",
           "associative_scan", "map", "vectorized_map", "slice", "slice_update", "scatter",
           "scatter_update", "unstack", "get_item", "rearrange"]

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


def _holds_text(x):
    """Whether x is text: a str or bytes, or an array or (nested) list of them."""
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "US"
    if isinstance(x, (list, tuple)):
        leaves = list(_leaves(x))
        return bool(leaves) and all(isinstance(v, (str, bytes, np.str_, np.bytes_))
                                    for v in leaves)
    return False


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
    if dtype == "string" or (dtype is None and _holds_text(x)):
        # text (TensorFlow's string tensors; a model's Input(dtype="string") takes them):
        # a NumPy array of str, not differentiable
        a = np.asarray(x)
        if a.dtype.kind not in "USO":
            raise TypeError(f"convert_to_tensor: dtype='string' takes text, got dtype "
                            f"{a.dtype} from {type(x).__name__}")
        return a
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


# ------------------------------------------------------------------ saturate_cast
def _ref_saturate_cast(x, dtype):
    d = np.dtype(dtype)
    lo, hi = (np.finfo(d).min, np.finfo(d).max) if d.kind == "f" else \
        (np.iinfo(d).min, np.iinfo(d).max)
    return np.clip(np.asarray(x, np.float64), lo, hi).astype(d)


@register("saturate_cast", args=("x",), cases=({"dtype": "float64"},),
          ref=_ref_saturate_cast)
def saturate_cast(x, dtype):
    """x converted to `dtype` with its values first limited to the range `dtype` can
    hold (a plain cast wraps around or overflows: cast of 256.0 to uint8 is 0, a
    saturating cast 255). Differentiable between float dtypes (zero gradient where a
    value was limited).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    dtype
        The dtype to convert to.
    """
    dt = standardize_dtype(dtype, "dtype", "saturate_cast")
    x = convert_to_tensor(x)
    src = x.dtype
    if dt.kind == "b" or src.kind == "b":
        return P.cast(x, dt)
    if dt.kind == "f":
        lo, hi = np.finfo(dt).min, np.finfo(dt).max
    elif dt.kind in "iu":
        lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    else:
        return P.cast(x, dt)
    if src.kind == "f":
        # the limits as values of x's dtype that do not exceed them (float32 rounds
        # int32's largest value up to 2**31, which would overflow)
        if dt.kind == "f" and src.itemsize <= dt.itemsize:
            return P.cast(x, dt)            # as wide a float holds every value
        flo, fhi = np.array(lo, src), np.array(hi, src)
        if dt.kind in "iu":
            if int(fhi) > hi:
                fhi = np.nextafter(fhi, np.array(0, src))
            if int(flo) < lo:
                flo = np.nextafter(flo, np.array(0, src))
        if dt.kind in "iu":
            x = P.where(np.isnan(_raw(x)), np.zeros((), src), x)
        return P.cast(P.clip(x, flo, fhi), dt)
    # integer to integer (or float): limits in the wider of the two
    info = np.iinfo(src)
    lo, hi = builtins.max(int(lo), info.min), builtins.min(int(hi), info.max)
    return P.cast(_wrap(np.clip(_raw(x), np.array(lo, src), np.array(hi, src))), dt)


# -------------------------------------------------------------------- structures
def _is_nest(x):
    return isinstance(x, (list, tuple, dict))


def _leaves_of(x):
    return _tape._flatten(x)


def _pack(structure, flat):
    """`flat` (leaves in _leaves_of order) in the shape of `structure`."""
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            vals = {k: build(s[k]) for k in sorted(s, key=_tape._sort_key)}
            return type(s)((k, vals[k]) for k in s) if type(s) is not dict else \
                {k: vals[k] for k in s}
        if isinstance(s, (list, tuple)):
            items = [build(v) for v in s]
            if isinstance(s, tuple) and hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        return next(it)
    return build(structure)


def _map_leaves(fn, x):
    return _pack(x, [fn(v) for v in _leaves_of(x)])


def _to_tensor_leaf(v):
    return v if v is None else convert_to_tensor(v)


def _same_structure(a, b, owner, what):
    """ValueError unless a and b are nests of the same shape (leaves may differ)."""
    def kind(x):
        if isinstance(x, dict):
            return ("dict", tuple(sorted(builtins.map(str, x))))
        if isinstance(x, (list, tuple)):
            return ("seq", len(x))
        return ("leaf",)

    def walk(x, y):
        kx, ky = kind(x), kind(y)
        if kx != ky:
            raise ValueError(f"{owner}: {what} must have the structure of the initial "
                             f"value {_describe(a)}, got {_describe(b)}")
        if kx[0] == "dict":
            for k in x:
                walk(x[k], y[k])
        elif kx[0] == "seq":
            for u, v in zip(x, y):
                walk(u, v)
    walk(a, b)


def _describe(x):
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_describe(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    return "tensor" if isinstance(x, np.ndarray) else type(x).__name__


def _callable(f, name, owner):
    if not callable(f):
        raise TypeError(f"{owner}: {name} should be a callable, got {type(f).__name__} "
                        f"{f!r}")


def _scalar_pred(pred, name, owner):
    a = np.asarray(_raw(pred))
    if a.size != 1:
        raise ValueError(f"{owner}: {name} must be a scalar (one value), got an array of "
                         f"shape {a.shape}")
    return bool(a.reshape(()))


def _int_arg(v, name, owner, allow_none=False):
    if v is None and allow_none:
        return None
    a = np.asarray(_raw(v))
    if a.ndim == 0 and a.dtype.kind == "f" and float(a) == int(a):
        return int(a)                   # an integral float (a symbolic tensor's probe)
    if a.ndim != 0 or a.dtype.kind not in "iu":
        if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
            return int(v)
        raise TypeError(f"{owner}: {name} must be an integer scalar"
                        f"{' or None' if allow_none else ''}, got {type(v).__name__} {v!r}")
    return int(a)


# -------------------------------------------------------------------- control flow
def cond(pred, true_fn, false_fn):
    """The result of `true_fn()` if `pred` is true, else of `false_fn()`. Only the
    chosen function runs.

    Parameters
    ----------
    pred
        A boolean scalar (a Python bool or a one-element tensor).
    true_fn : callable
        Called with no arguments when `pred` is true.
    false_fn : callable
        Called with no arguments when `pred` is false.
    """
    _callable(true_fn, "true_fn", "cond")
    _callable(false_fn, "false_fn", "cond")
    return true_fn() if _scalar_pred(pred, "pred", "cond") else false_fn()


def _cond_spec(pred, true_fn, false_fn):
    """cond on a symbolic pred: both branches run, and must agree in structure, shapes
    and dtypes (the result's spec)."""
    from fastnn.layers.symbolic import KerasTensor
    _callable(true_fn, "true_fn", "cond")
    _callable(false_fn, "false_fn", "cond")
    if tuple(getattr(pred, "shape", ())) not in ((), (1,)):
        raise ValueError(f"cond: pred must be a scalar (one value), got shape {pred.shape}")
    a, b = true_fn(), false_fn()
    _same_structure(a, b, "cond", "the value false_fn returns")

    def spec(v):
        return (tuple(v.shape), np.dtype(v.dtype).name) if v is not None and hasattr(
            v, "shape") else (tuple(np.shape(v)), np.asarray(v).dtype.name) \
            if v is not None else None
    sa, sb = [spec(v) for v in _leaves_of(a)], [spec(v) for v in _leaves_of(b)]
    if sa != sb:
        raise ValueError(f"cond: true_fn and false_fn must return tensors of the same "
                         f"shapes and dtypes, got {sa} and {sb}")
    return _map_leaves(lambda v: None if v is None else
                       KerasTensor(*spec(v)), a)


cond.compute_output_spec = _cond_spec


def switch(index, branches, *operands):
    """`branches[index](*operands)`, with `index` clamped to `[0, len(branches) - 1]`.
    Only the chosen branch runs.

    Parameters
    ----------
    index
        An integer scalar choosing the branch.
    branches : sequence of callables
        The functions to choose from.
    *operands
        The arguments passed to the chosen branch.
    """
    if not isinstance(branches, (list, tuple)) or not branches:
        raise TypeError(f"switch: branches must be a non-empty list or tuple of "
                        f"callables, got {type(branches).__name__} {branches!r}")
    for i, b in enumerate(branches):
        _callable(b, f"branches[{i}]", "switch")
    i = _int_arg(index, "index", "switch")
    return branches[builtins.min(builtins.max(i, 0), len(branches) - 1)](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(loop_vars)` while `cond(loop_vars)` is true (and at most
    `maximum_iterations` times), and returns the final loop variables.

    A tuple or list of loop variables is passed to `cond` and `body` as separate
    positional arguments and returned as a tuple; any other value (a tensor, a number,
    a dict) is passed as one argument and returned as it is. Numbers become tensors
    (float32, int32 or bool, as convert_to_tensor makes them). `body` must return the
    loop variables' structure.

    Parameters
    ----------
    cond : callable
        The loop condition; returns a boolean scalar.
    body : callable
        The loop body; returns the new loop variables.
    loop_vars
        The initial loop variables: a tensor, or a nest (tuple, list, dict) of them.
    maximum_iterations : int, optional
        The most iterations to run (default None: no limit).
    """
    _callable(cond, "cond", "while_loop")
    _callable(body, "body", "while_loop")
    limit = _int_arg(maximum_iterations, "maximum_iterations", "while_loop",
                     allow_none=True)
    if limit is not None and limit < 0:
        raise ValueError(f"while_loop: maximum_iterations must be >= 0 or None, got {limit}")
    seq = isinstance(loop_vars, (list, tuple))
    state = tuple(_map_leaves(_to_tensor_leaf, v) for v in loop_vars) if seq else \
        _map_leaves(_to_tensor_leaf, loop_vars)
    n = 0
    while limit is None or n < limit:
        if not _scalar_pred(cond(*state) if seq else cond(state), "the value cond returns",
                            "while_loop"):
            break
        new = body(*state) if seq else body(state)
        if seq and len(state) == 1 and not isinstance(new, (list, tuple)):
            new = (new,)
        _same_structure(state, tuple(new) if seq and isinstance(new, list) else new,
                        "while_loop", "the value body returns")
        state = tuple(_map_leaves(_to_tensor_leaf, v) for v in new) if seq else \
            _map_leaves(_to_tensor_leaf, new)
        n += 1
    return state


def _while_loop_spec(cond, body, loop_vars, maximum_iterations=None):
    """The loop variables' specs (the loop keeps their shapes and dtypes)."""
    from fastnn.layers.symbolic import KerasTensor

    def spec(v):
        if isinstance(v, KerasTensor):
            return KerasTensor(tuple(v.shape), v.dtype)
        t = convert_to_tensor(v)
        return KerasTensor(t.shape, t.dtype.name)
    if isinstance(loop_vars, (list, tuple)):
        return tuple(_map_leaves(spec, v) for v in loop_vars)
    return _map_leaves(spec, loop_vars)


while_loop.compute_output_spec = _while_loop_spec


def fori_loop(lower, upper, body_fun, init_val):
    """Runs `val = body_fun(i, val)` for i from `lower` to `upper - 1` and returns the
    final `val` (`init_val` when `upper <= lower`).

    Parameters
    ----------
    lower
        The first value of the loop index (an integer scalar).
    upper
        The loop stops before this index (an integer scalar).
    body_fun : callable
        Called as `body_fun(i, val)`; returns the new `val`.
    init_val
        The initial value: a tensor, a number or a nest of them.
    """
    _callable(body_fun, "body_fun", "fori_loop")
    lo = _int_arg(lower, "lower", "fori_loop")
    hi = _int_arg(upper, "upper", "fori_loop")
    val = init_val
    for i in range(lo, hi):
        val = body_fun(i, val)
    return val


def _leading(leaves, owner, name):
    """The common leading-axis length of array leaves (ValueError if they differ)."""
    n = None
    for v in leaves:
        s = np.shape(_raw(v))
        if not s:
            raise ValueError(f"{owner}: each tensor of {name} must have a leading axis to "
                             f"iterate over, got a scalar")
        if n is None:
            n = s[0]
        elif s[0] != n:
            raise ValueError(f"{owner}: the tensors of {name} must have the same leading "
                             f"axis length, got {n} and {s[0]}")
    return n


def _stack_steps(steps, owner):
    """One stacked tensor per leaf of a list of equally structured step outputs."""
    first = steps[0]
    flat = [_leaves_of(s) for s in steps]
    for s in steps[1:]:
        _same_structure(first, s, owner, "each step's output")
    out = []
    for k in range(len(flat[0])):
        col = [f[k] for f in flat]
        if builtins.all(c is None for c in col):
            out.append(None)
        else:
            out.append(P.stack([convert_to_tensor(c) for c in col]))
    return _pack(first, out)


def _empty_like_steps(step):
    """Stacks of zero steps of a step output's structure."""
    def empty(v):
        if v is None:
            return None
        v = convert_to_tensor(v)
        return _wrap(np.zeros((0,) + v.shape, v.dtype))
    return _map_leaves(empty, step)


def _element(xs, i):
    return _map_leaves(lambda v: None if v is None else P.getitem(convert_to_tensor(v), i), xs)


def _zero_element(xs):
    return _map_leaves(lambda v: None if v is None else
                       _wrap(np.zeros(np.shape(_raw(v))[1:], np.asarray(_raw(v)).dtype)), xs)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Scans `f` over the leading axis of `xs` carrying a state: for each slice `x`,
    `carry, y = f(carry, x)`. Returns the final carry and the `y`s stacked along a new
    leading axis (in the order of `xs`, also when `reverse` is True).

    Parameters
    ----------
    f : callable
        Called as `f(carry, x)`; returns `(new_carry, y)`, the carry with the structure
        of `init` and `y` a tensor, a nest of tensors or None.
    init
        The initial carry: a tensor, a number or a nest of them.
    xs
        The values to scan over along their leading axis: a tensor or a nest of them
        (default None: `f` receives None, `length` times).
    length : int, optional
        The number of steps; required when `xs` is None, and if given must equal the
        leading axis length of `xs`.
    reverse : bool
        Scan from the last slice to the first (default False).
    unroll : int or bool
        Accepted for compatibility (an eager loop has nothing to unroll); must be a
        positive int or a bool.
    """
    _callable(f, "f", "scan")
    if not isinstance(reverse, (bool, np.bool_)):
        raise TypeError(f"scan: reverse must be True or False, got {type(reverse).__name__} "
                        f"{reverse!r}")
    if not isinstance(unroll, (bool, np.bool_)) and not (
            isinstance(unroll, numbers.Integral) and unroll >= 1):
        raise ValueError(f"scan: unroll must be a positive integer or boolean, got "
                         f"{unroll!r}")
    length = _int_arg(length, "length", "scan", allow_none=True)
    if xs is None:
        if length is None:
            raise ValueError("scan: xs and length are both None: give xs to scan over and/or "
                             "length, the number of steps")
        n = length
    else:
        xs = _map_leaves(_to_tensor_leaf, xs)
        n = _leading([v for v in _leaves_of(xs) if v is not None], "scan", "xs")
        if length is not None and length != n:
            raise ValueError(f"scan: length ({length}) must equal the leading axis length "
                             f"of xs ({n})")
    if n < 0:
        raise ValueError(f"scan: length must be >= 0, got {n}")
    carry = _map_leaves(_to_tensor_leaf, init)
    ys = []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        out = f(carry, None if xs is None else _element(xs, i))
        if not (isinstance(out, (list, tuple)) and len(out) == 2):
            raise ValueError(f"scan: f must return a pair (new_carry, y), got "
                             f"{_describe(out)}")
        new, y = out
        _same_structure(carry, new, "scan", "the carry f returns")
        carry = _map_leaves(_to_tensor_leaf, new)
        ys.append(y)
    if not ys:
        _, y = f(carry, None if xs is None else _zero_element(xs))
        return carry, _empty_like_steps(y)
    if reverse:
        ys.reverse()
    return carry, _stack_steps(ys, "scan")


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive prefix combination of `elems` along `axis` with the associative
    binary function `f` (with `f = add`, a cumulative sum): result[i] = f(...f(f(e[0],
    e[1]), e[2])..., e[i]). `f` is called on whole arrays (slices of `elems` along
    `axis`), about log2(n) times.

    Parameters
    ----------
    f : callable
        An associative function `f(a, b)` of two values with the structure of `elems`,
        applied element-wise along `axis`; returns a value of that structure.
    elems
        A tensor or a nest of tensors, all of the same length along `axis`.
    reverse : bool
        Combine from the last element to the first (default False).
    axis : int
        The axis to scan along (default 0).
    """
    _callable(f, "f", "associative_scan")
    if not isinstance(reverse, (bool, np.bool_)):
        raise TypeError(f"associative_scan: reverse must be True or False, got "
                        f"{type(reverse).__name__} {reverse!r}")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"associative_scan: axis must be an int, got "
                        f"{type(axis).__name__} {axis!r}")
    elems = _map_leaves(convert_to_tensor, elems)
    leaves = _leaves_of(elems)
    if not leaves:
        raise ValueError("associative_scan: elems must hold at least one tensor")
    axes = []
    for v in leaves:
        if not -v.ndim <= axis < builtins.max(v.ndim, 0) or v.ndim == 0:
            raise ValueError(f"associative_scan: axis {axis} is out of range for a tensor "
                             f"of shape {v.shape}")
        axes.append(axis % v.ndim)
    sizes = {v.shape[a] for v, a in zip(leaves, axes)}
    if len(sizes) != 1:
        raise ValueError(f"associative_scan: the tensors of elems must have the same "
                         f"length along axis {axis} (the first dimension scanned), got "
                         f"{sorted(sizes)}")
    n = sizes.pop()

    def part(vals, start, stop):
        return [P.getitem(v, (builtins.slice(None),) * a + (builtins.slice(start, stop),))
                for v, a in zip(vals, axes)]

    cur = [P.flip(v, a) for v, a in zip(leaves, axes)] if reverse else leaves
    d = 1
    while d < n:
        # Hillis-Steele step: element i combines with element i - d
        lo = _pack(elems, part(cur, 0, n - d))
        hi = _pack(elems, part(cur, d, n))
        comb = f(lo, hi) if not reverse else f(hi, lo)
        _same_structure(elems, comb, "associative_scan", "the value f returns")
        comb = [convert_to_tensor(c) for c in _leaves_of(comb)]
        cur = [P.concatenate([h, c], axis=a) for h, c, a in zip(part(cur, 0, d), comb, axes)]
        d *= 2
    if reverse:
        cur = [P.flip(v, a) for v, a in zip(cur, axes)]
    return _pack(elems, cur)


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, the results stacked
    along a new leading axis (as `stack([f(x) for x in xs])`, for nests leaf by leaf).

    Parameters
    ----------
    f : callable
        Called on one slice of `xs` (of the structure of `xs`).
    xs
        A tensor or a nest of tensors with a common leading axis length.
    """
    return _map_over(f, xs, "map", "f", "xs")


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along axis 0, the results stacked
    along a new axis 0. With a tuple or list of tensors, `function` receives a tuple or
    list of their slices. (fastnn runs the calls one after another.)

    Parameters
    ----------
    function : callable
        Called on one slice of `elements`.
    elements
        A tensor or a nest of tensors with a common leading axis length.
    """
    return _map_over(function, elements, "vectorized_map", "function", "elements")


def _map_over(f, xs, owner, fname, xname):
    _callable(f, fname, owner)
    xs = _map_leaves(convert_to_tensor, xs)
    leaves = _leaves_of(xs)
    if not leaves:
        raise ValueError(f"{owner}: {xname} must hold at least one tensor")
    n = _leading(leaves, owner, xname)
    outs = [f(_element(xs, i)) for i in range(n)]
    if not outs:
        return _empty_like_steps(f(_zero_element(xs)))
    return _stack_steps(outs, owner)


# ---------------------------------------------------------------- slices, scatter
def _index_vector(v, name, owner, n, what="inputs"):
    a = np.asarray(_raw(v))
    if a.size and a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and
                                                   np.all(a == np.round(a))):
        raise TypeError(f"{owner}: {name} must hold integers, got dtype {a.dtype}")
    if a.ndim > 1:
        raise ValueError(f"{owner}: {name} must be a list of integers, got an array of "
                         f"shape {a.shape}")
    a = a.astype(np.int64).reshape(-1)
    if a.size != n:
        first, second = (what, name) if name == "shape" else (name, what)
        raise ValueError(f"{owner}: the number of dimensions in `{first}` must match the "
                         f"number of dimensions in `{second}`: {what} has {n}, {name} "
                         f"has {a.size} ({a.tolist()!r})")
    return a


def _slices(start, size, shape, owner):
    key = []
    for ax, (s, k, d) in enumerate(zip(start, size, shape)):
        if k == -1:
            k = d - s
        if k < 0 or k > d:
            raise ValueError(f"{owner}: the size along axis {ax} must be -1 (to the end) "
                             f"or in [0, {d}], got {k}")
        if s < 0 or s + k > d:
            raise ValueError(f"{owner}: the slice along axis {ax} starts at {s} with size "
                             f"{k}, which does not fit in the axis length {d}")
        key.append(builtins.slice(int(s), int(s + k)))
    return tuple(key)


def slice(inputs, start_indices, shape):
    """The block of `inputs` that starts at `start_indices` and has the given `shape`:
    `inputs[s0:s0 + n0, s1:s1 + n1, ...]`, a size of -1 meaning "to the end of the
    axis". Differentiable.

    Parameters
    ----------
    inputs
        The input tensor.
    start_indices
        One starting index per axis of `inputs` (a list, tuple or integer tensor).
    shape
        The size of the block along each axis (-1: the rest of the axis).
    """
    x = convert_to_tensor(inputs)
    size = _index_vector(shape, "shape", "slice", x.ndim)
    start = _index_vector(start_indices, "start_indices", "slice", x.ndim)
    return P.getitem(x, _slices(start, size, x.shape, "slice"))


def _slice_spec(inputs, start_indices, shape):
    from fastnn.layers.symbolic import KerasTensor, is_symbolic
    ishape = tuple(inputs.shape)
    size = _index_vector(shape, "shape", "slice", len(ishape))
    symbolic_start = is_symbolic(start_indices)
    if not symbolic_start:
        start = _index_vector(start_indices, "start_indices", "slice", len(ishape))
    elif len(start_indices.shape) != 1 or start_indices.shape[0] not in (None, len(ishape)):
        raise ValueError(f"slice: the number of dimensions in `start_indices` must match "
                         f"the number of dimensions in `inputs` ({len(ishape)}), got "
                         f"shape {start_indices.shape}")
    out = []
    for ax, (k, d) in enumerate(zip(size, ishape)):
        if k != -1:
            out.append(int(k))
        elif symbolic_start or d is None:
            out.append(None)
        else:
            out.append(d - int(start[ax]))
    return KerasTensor(tuple(out), inputs.dtype)


slice.compute_output_spec = _slice_spec


def slice_update(inputs, start_indices, updates):
    """A copy of `inputs` with the block that starts at `start_indices` replaced by
    `updates` (`inputs[s0:s0 + updates.shape[0], ...] = updates`). Differentiable with
    respect to both.

    Parameters
    ----------
    inputs
        The input tensor.
    start_indices
        One starting index per axis of `inputs` (a list, tuple or integer tensor).
    updates
        The new values: a tensor of the same rank as `inputs` (cast to its dtype).
    """
    x = convert_to_tensor(inputs)
    u = convert_to_tensor(updates)
    if u.ndim != x.ndim:
        raise ValueError(f"slice_update: updates must have the rank of inputs ({x.ndim}), "
                         f"got shape {u.shape} for inputs of shape {x.shape}")
    start = _index_vector(start_indices, "start_indices", "slice_update", x.ndim)
    key = _slices(start, u.shape, x.shape, "slice_update")
    return P.index_update(x, key, u if u.dtype == x.dtype else P.cast(u, x.dtype))


def _scatter_key(indices, shape, owner, name="indices"):
    """indices (N, k) as a NumPy index key for the first k axes of `shape`."""
    idx = np.asarray(_raw(indices))
    if idx.dtype.kind not in "iu":
        if idx.dtype.kind == "f" and np.all(idx == np.round(idx)):
            idx = idx.astype(np.int64)      # integral floats (a symbolic tensor's probe)
        else:
            raise TypeError(f"{owner}: {name} must hold integers, got dtype {idx.dtype}")
    if idx.ndim < 1:
        raise ValueError(f"{owner}: {name} must have shape (..., k) with k index "
                         f"components, got a scalar")
    k = idx.shape[-1]
    if k > len(shape):
        raise ValueError(f"{owner}: each index of {name} has {k} components, more than "
                         f"the {len(shape)} axes of the shape {tuple(shape)}")
    for ax in range(k):
        col = idx[..., ax]
        if col.size and (col.min() < 0 or col.max() >= shape[ax]):
            raise ValueError(f"{owner}: {name} along axis {ax} must be in [0, "
                             f"{shape[ax]}), got values from {col.min()} to {col.max()}")
    return tuple(idx[..., ax] for ax in range(k)), idx.shape[:-1] + tuple(shape[k:])


def scatter(indices, values, shape):
    """A tensor of `shape`, zero except at `indices`, where it holds `values` (values
    at a repeated index add up). Differentiable with respect to `values`.

    Parameters
    ----------
    indices
        Integer indices of shape `(N, k)` (or `(..., k)`): each row one position of the
        first `k` axes.
    values
        The values, of shape `indices.shape[:-1] + shape[k:]`.
    shape
        The shape of the result.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (int(shape),)
    try:
        shp = tuple(int(s) for s in np.asarray(_raw(shape)).reshape(-1))
    except (TypeError, ValueError):
        raise TypeError(f"scatter: shape must be a tuple of ints, got {shape!r}") from None
    v = convert_to_tensor(values)
    key, vshape = _scatter_key(indices, shp, "scatter")
    if v.shape != vshape:
        v = P.broadcast_to(v, vshape) if _broadcastable(v.shape, vshape) else None
        if v is None:
            raise ValueError(f"scatter: values must have shape {vshape} (the indices' "
                             f"leading shape and then shape[k:]), got "
                             f"{np.shape(_raw(values))}")
    return P.scatter(v, key, shp)


def _broadcastable(src, dst):
    try:
        return np.broadcast_shapes(src, dst) == tuple(dst)
    except ValueError:
        return False


_REDUCTIONS = ("add", "max", "min", "mul")


def scatter_update(inputs, indices, updates, reduction=None):
    """A copy of `inputs` with `updates` written at `indices` (`inputs[indices] =
    updates`), or combined with the values there by `reduction`.

    Parameters
    ----------
    inputs
        The input tensor.
    indices
        Integer indices of shape `(N, k)`: each row one position of the first `k` axes
        of `inputs`.
    updates
        The values, of shape `(N,) + inputs.shape[k:]` (cast to the dtype of `inputs`).
    reduction : str, optional
        None (default): the updates replace the values (of a repeated index the last
        one wins); "add", "max", "min" or "mul": they are combined with them (and with
        each other at a repeated index). Differentiable with respect to `inputs` and
        `updates` (for "max" and "min" the gradient goes to the value kept).
    """
    x = convert_to_tensor(inputs)
    if reduction is not None and reduction not in _REDUCTIONS:
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or "
                         f"'mul', got {reduction!r}")
    key, ushape = _scatter_key(indices, x.shape, "scatter_update")
    u = convert_to_tensor(updates)
    if u.shape != ushape:
        if not _broadcastable(u.shape, ushape):
            raise ValueError(f"scatter_update: updates must have shape {ushape} (the "
                             f"indices' leading shape and then inputs.shape[k:]), got "
                             f"{u.shape}")
        u = P.broadcast_to(u, ushape)
    if u.dtype != x.dtype:
        u = P.cast(u, x.dtype)
    if reduction is None:
        return P.index_update(x, key, u)
    if reduction == "add":
        return P.add(x, P.scatter(u, key, x.shape))
    return P.index_reduce(x, key, u, reduction)


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list of tensors of rank `x.ndim - 1`.

    Parameters
    ----------
    x
        The input tensor.
    num : int, optional
        The length of `axis`; if given it must match.
    axis : int
        The axis to unstack along (default 0).
    """
    x = convert_to_tensor(x)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"unstack: axis must be an int, got {type(axis).__name__} {axis!r}")
    if x.ndim == 0:
        raise ValueError("unstack: x must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"unstack: axis {axis} is out of bounds for a {x.ndim}-D input "
                         f"(it must be in [{-x.ndim}, {x.ndim}))")
    ax = axis % x.ndim
    n = x.shape[ax]
    if num is not None and _int_arg(num, "num", "unstack") != n:
        raise ValueError(f"unstack: num ({num}) must equal the length of axis {axis} "
                         f"({n})")
    return [P.getitem(x, (builtins.slice(None),) * ax + (i,)) for i in range(n)]


def _unstack_spec(x, num=None, axis=0):
    from fastnn.layers.symbolic import KerasTensor
    shape = tuple(x.shape)
    nd = len(shape)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"unstack: axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -nd <= axis < nd:
        raise ValueError(f"unstack: axis {axis} is out of bounds for a {nd}-D input "
                         f"(it must be in [{-nd}, {nd}))")
    ax = axis % nd
    n = shape[ax]
    if n is None:
        if num is None:
            raise ValueError(f"unstack: the length of axis {axis} is unknown. Cannot infer "
                             f"argument `num` from shape {shape}; give num")
        n = _int_arg(num, "num", "unstack")
    elif num is not None and _int_arg(num, "num", "unstack") != n:
        raise ValueError(f"unstack: num ({num}) must equal the length of axis {axis} "
                         f"({n})")
    return [KerasTensor(shape[:ax] + shape[ax + 1:], x.dtype) for _ in range(n)]


unstack.compute_output_spec = _unstack_spec


def get_item(x, key):
    """`x[key]`: NumPy indexing (ints, slices, None, Ellipsis, integer or boolean
    arrays). Differentiable.

    Parameters
    ----------
    x
        The input tensor.
    key
        The index.
    """
    x = convert_to_tensor(x)
    try:
        return P.getitem(x, key)
    except IndexError as e:
        raise IndexError(f"get_item: the key {key!r} does not index a tensor of shape "
                         f"{x.shape}: {e}") from None


# ------------------------------------------------------------------------ rearrange
def _rearrange_side(text, pattern):
    """One side of an einops pattern as a list of groups (lists of axis names)."""
    groups, current = [], None
    for tok in text.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in the pattern {pattern!r}")
            current = []
        elif tok == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced ')' in the pattern {pattern!r}")
            groups.append(current)
            current = None
        elif tok.isidentifier():
            (groups if current is None else current).append(tok if current is not None
                                                             else [tok])
        else:
            raise ValueError(f"rearrange: the pattern {pattern!r} may hold axis names "
                             f"(identifiers) and parentheses only, got {tok!r}")
    if current is not None:
        raise ValueError(f"rearrange: unbalanced '(' in the pattern {pattern!r}")
    names = [n for g in groups for n in g]
    if len(set(names)) != len(names):
        raise ValueError(f"rearrange: an axis name repeats on one side of the pattern "
                         f"{pattern!r}")
    return groups, names


def _rearrange_plan(shape, pattern, axes_lengths):
    """(the lengths of the input's axes split into single names, the order of those
    names in the output, the output shape); lengths may be None (unknown)."""
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: pattern must be a string 'input axes -> output "
                         f"axes', got {pattern!r}")
    left, right = pattern.split("->")
    lgroups, lnames = _rearrange_side(left, pattern)
    rgroups, rnames = _rearrange_side(right, pattern)
    if set(lnames) != set(rnames):
        raise ValueError(f"rearrange: both sides of the pattern {pattern!r} must name the "
                         f"same axes; only on one side: "
                         f"{sorted(set(lnames) ^ set(rnames))}")
    extra = sorted(set(axes_lengths) - set(lnames))
    if extra:
        raise ValueError(f"rearrange: axes_lengths names axes the pattern {pattern!r} does "
                         f"not have: {extra}")
    for k, v in axes_lengths.items():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"rearrange: the length of axis {k!r} must be a positive int, "
                             f"got {v!r}")
    if len(lgroups) != len(shape):
        raise ValueError(f"rearrange: the input side of the pattern {pattern!r} has "
                         f"{len(lgroups)} axes, the tensor {len(shape)} (shape "
                         f"{tuple(shape)})")
    lengths = {}
    for group, dim in zip(lgroups, shape):
        known = [int(axes_lengths[n]) for n in group if n in axes_lengths]
        unknown = [n for n in group if n not in axes_lengths]
        prod = int(np.prod(known)) if known else 1
        if len(unknown) > 1:
            raise ValueError(f"rearrange: give the lengths of all but one of the axes "
                             f"{group} (as keyword arguments); unknown: {unknown}")
        if unknown:
            if dim is None:
                lengths[unknown[0]] = None
            elif dim % prod:
                raise ValueError(f"rearrange: the axis of length {dim} cannot be split "
                                 f"into {group} with the lengths given")
            else:
                lengths[unknown[0]] = dim // prod
        elif dim is not None and dim != prod:
            raise ValueError(f"rearrange: the axis of length {dim} does not match the "
                             f"lengths of {group} (product {prod})")
        for n in group:
            if n in axes_lengths:
                lengths[n] = int(axes_lengths[n])

    def product(names):
        vals = [lengths[n] for n in names]
        return None if any(v is None for v in vals) else int(np.prod(vals, dtype=np.int64))
    out_shape = tuple(product(g) for g in rgroups)
    return [lengths[n] for n in lnames], [lnames.index(n) for n in rnames], out_shape


def rearrange(tensor, pattern, **axes_lengths):
    """The axes of `tensor` reordered, split and merged as an einops pattern says:
    `rearrange(x, "b h w c -> b c h w")` moves an axis, `"b h w c -> (b h) w c"` merges
    two, `"(h w) c -> h w c"` with `h=2` splits one (the lengths of all but one axis of
    a split given as keyword arguments). Differentiable.

    Parameters
    ----------
    tensor
        The input tensor.
    pattern : str
        "input axes -> output axes": axis names (identifiers), a parenthesised group of
        names standing for one axis of their lengths' product.
    **axes_lengths
        The lengths of axes that a split needs (`h=2`).
    """
    x = convert_to_tensor(tensor)
    split, order, out_shape = _rearrange_plan(x.shape, pattern, axes_lengths)
    y = P.reshape(x, tuple(split)) if tuple(split) != x.shape else x
    if order != sorted(order):
        y = P.transpose(y, order)
    return P.reshape(y, out_shape) if out_shape != y.shape else y


def _rearrange_spec(tensor, pattern, **axes_lengths):
    from fastnn.layers.symbolic import KerasTensor
    _, _, out_shape = _rearrange_plan(tuple(tensor.shape), pattern, axes_lengths)
    return KerasTensor(out_shape, tensor.dtype)


rearrange.compute_output_spec = _rearrange_spec
