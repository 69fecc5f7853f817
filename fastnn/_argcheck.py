"""Argument checks shared by the public constructors and functions.

Each check raises TypeError (the wrong kind of value) or ValueError (the right kind, a
value out of range, not finite, or too large for a float), with a message that names
the owner and the argument, says what was expected and shows what was given. Python
ints too large for a float (10**400) are refused as such, never an OverflowError.
"""
import math
import numbers

import numpy as np


def shown(value, limit=60):
    """repr(value) for a message: a huge int by its leading digits and digit count, any
    other long repr cut short."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        s = str(int(value))
        digits = len(s.lstrip("-"))
        if digits > 30:
            return f"{s[:8]}... (an int of {digits} digits)"
    try:
        r = repr(value)
    except Exception:  # a foreign object whose repr fails
        r = f"<{type(value).__name__}>"
    if "\n" in r:
        r = " ".join(r.split())
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _who(owner, name):
    return f"{owner}: {name}" if owner else name


def _num(x):
    return str(x) if isinstance(x, int) else f"{x:g}"


def _range(lo, hi, lo_open, hi_open):
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>' if lo_open else '>='} {_num(lo)}"
    if lo is None:
        return f" {'<' if hi_open else '<='} {_num(hi)}"
    return f" in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"


def _scalar(value):
    """A 0-d real NumPy array as its scalar; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return value[()]
    return value


def real(value, name, owner=None, *, lo=None, hi=None, lo_open=False, hi_open=False,
         allow_none=False):
    """`value` as a finite float, within [lo, hi] (bounds open when asked); None passes
    through when allow_none. Bools, strings, arrays: TypeError."""
    if type(value) is float and (lo is None or (value > lo if lo_open else value >= lo)) \
            and (hi is None or (value < hi if hi_open else value <= hi)) \
            and value - value == 0.0:        # the common case: a finite float in range
        return value
    if value is None and allow_none:
        return None
    value = _scalar(value)
    rng = _range(lo, hi, lo_open, hi_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        what = "a real number" + rng + (" or None" if allow_none else "")
        raise TypeError(f"{_who(owner, name)} must be {what}, got {type(value).__name__} "
                        f"{shown(value)}")
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    bad = not math.isfinite(v)
    if not bad and lo is not None:
        bad = v <= lo if lo_open else v < lo
    if not bad and hi is not None:
        bad = v >= hi if hi_open else v > hi
    if bad:
        raise ValueError(f"{_who(owner, name)} must be a finite number{rng}, got "
                         f"{shown(value)}")
    return v


def integer(value, name, owner=None, *, lo=None, hi=None, allow_none=False):
    """`value` as an int within [lo, hi]; None passes through when allow_none. Bools,
    floats, strings: TypeError."""
    if type(value) is int and (lo is None or value >= lo) and (hi is None or value <= hi):
        return value                         # the common case: an int in range
    if value is None and allow_none:
        return None
    value = _scalar(value)
    rng = _range(lo, hi, False, False)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        what = "an int" + rng + (" or None" if allow_none else "")
        raise TypeError(f"{_who(owner, name)} must be {what}, got {type(value).__name__} "
                        f"{shown(value)}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{_who(owner, name)} must be an int{rng}, got {shown(value)}")
    return v


def boolean(value, name, owner=None):
    """`value` as a bool; only True/False (Python or NumPy) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{_who(owner, name)} must be True or False, got "
                        f"{type(value).__name__} {shown(value)}")
    return bool(value)


def string(value, name, owner=None, *, choices=None, allow_none=False):
    """`value` as a str (one of `choices` when given); None passes when allow_none."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        what = "a str" + (" or None" if allow_none else "")
        if choices:
            what = "one of " + ", ".join(repr(c) for c in choices)
        raise TypeError(f"{_who(owner, name)} must be {what}, got {type(value).__name__} "
                        f"{shown(value)}")
    if choices is not None and value not in choices:
        raise ValueError(f"{_who(owner, name)} must be one of "
                         f"{', '.join(repr(c) for c in choices)}, got {shown(value)}")
    return value


def verbose(value, owner=None):
    """A callback's verbosity: an int >= 0 (True/False count as 1/0, as in Keras code)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return integer(value, "verbose", owner, lo=0)


def real_array(x, name, owner=None):
    """numpy.asarray(x) holding real numbers (bool, int, uint or float dtype): TypeError
    for strings, objects, ragged lists; ValueError for Python ints too large for a
    float (which NumPy would hold as objects)."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except Exception:  # ragged lists and the like
            raise TypeError(f"{_who(owner, name)} must be an array of real numbers (rows of "
                            f"equal length), got {type(x).__name__} {shown(x)}") from None
    if arr.dtype.kind == "O":
        try:
            np.asarray(arr, dtype=np.float64)
        except OverflowError:
            raise ValueError(f"{_who(owner, name)} must hold finite real numbers, got an "
                             f"int too large for a float in {shown(x)}") from None
        except Exception:
            pass
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{_who(owner, name)} must be an array of real numbers, got dtype "
                        f"{arr.dtype}")
    return arr


def float_array(x, name, owner=None, dtype=None):
    """real_array(x) as floats: float32/float64 kept, anything else (ints, bools,
    float16) float32, or `dtype` when given."""
    arr = real_array(x, name, owner)
    if dtype is not None:
        want = np.dtype(dtype)
    elif arr.dtype in (np.float32, np.float64):
        want = arr.dtype
    elif arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        want = np.dtype(np.float64)
    else:
        want = np.dtype(np.float32)
    if arr.dtype == want:
        return arr
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(want)


def op_floats(x, name, owner=None):
    """x as fastnn.ops converts an array argument: float32 and float64 NumPy arrays (and
    scalars) kept, wider NumPy floats as float64, anything else (ints, bools, float16,
    Python numbers and lists) as float32, Keras' floatx."""
    arr = real_array(x, name, owner)
    if isinstance(x, (np.ndarray, np.generic)):
        return float_array(arr, name, owner)
    with np.errstate(over="ignore"):   # 1e300 is inf in float32, as in Keras
        return arr.astype(np.float32)


def finite_array(arr, name, owner=None):
    """Raise ValueError unless every element of the real array `arr` is finite."""
    if arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{_who(owner, name)} must be finite, got {bad} NaN/Inf "
                         f"value{'s' if bad != 1 else ''}")
    return arr


def seed(value, name="seed", owner=None):
    """A random seed: None or an int >= 0."""
    return integer(value, name, owner, lo=0, allow_none=True)


def callable_or_none(value, name, owner=None):
    if value is not None and not callable(value):
        raise TypeError(f"{_who(owner, name)} must be a function or None, got "
                        f"{type(value).__name__} {shown(value)}")
    return value
