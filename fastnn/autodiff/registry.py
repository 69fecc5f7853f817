"""The one table of `keras.ops` functions fastnn.autodiff provides.

Each op registers itself with `@register(name, ...)` beside its definition: its Keras
name, whether it has a gradient, and how the tests exercise it (the kinds of sample
arguments, shapes, keyword cases and the NumPy reference). `tests/test_autodiff_ops.py`
is parametrised over this table, so adding an op adds its forward and gradient tests.

Sample argument kinds (the tests draw the values):
  "x"        real numbers              "pos"      in (0.5, 2)
  "unit"     in (-0.9, 0.9)            "gt1"      in (1.2, 3)
  "nz"       |x| in (0.5, 2), signed   "prob"     in (0.05, 0.95)
  "distinct" well separated values (no ties: max, sort, maximum)
  "simplex"  rows of positive values summing to 1 (along the last axis)
  "onehot"   one-hot rows              "labels"   class indices for the last axis of
                                                   the next argument
  "int"      small integers            "bool"     booleans
  "spd"      symmetric positive-definite matrices (in the last two axes)
Gradients are checked for the float kinds (all but labels, int and bool).
"""

__all__ = ["OPS", "OpSpec", "register"]

FLOAT_KINDS = frozenset({"x", "pos", "unit", "gt1", "nz", "prob", "distinct", "simplex",
                         "onehot", "spd"})


class OpSpec:
    __slots__ = ("name", "fn", "grad", "args", "shapes", "cases", "ref", "rtol", "kinds")

    def __init__(self, name, fn, grad, args, shapes, cases, ref, rtol):
        self.name = name
        self.fn = fn
        self.grad = grad            # has a gradient with respect to its float arguments
        self.args = args            # sample kinds of the positional array arguments
        self.shapes = shapes        # their shapes (None: (3, 4) each)
        self.cases = cases          # keyword-argument dicts, one test each
        self.ref = ref              # NumPy reference with the same signature, or None
        self.rtol = rtol            # forward tolerance in float32 (float64: 1e-12 scale)

    def __repr__(self):
        return f"OpSpec({self.name!r})"


OPS = {}


def register(name, *, args=("x",), shapes=None, cases=({},), ref=None, grad=True,
             rtol=1e-5):
    """Class decorator-style registration of a `keras.ops` function under `name`."""
    def deco(fn):
        if name in OPS:
            raise ValueError(f"register: the op {name!r} is registered twice")
        OPS[name] = OpSpec(name, fn, grad, tuple(args), shapes, tuple(cases), ref, rtol)
        return fn
    return deco
