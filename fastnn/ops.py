"""keras.ops: the NumPy-like, math, nn and core functions Keras code calls
(`keras.ops.mean(keras.ops.square(y - p))`), differentiable under a GradientTape where
Keras' are (fastnn.autodiff), and usable on the functional API's symbolic tensors,
where a call becomes a node of the model's graph (as keras.ops on KerasTensors).

fastnn's kernel-level functions that keras.ops does not have (`dense`,
`dense_backward`, `loss_and_grad`, `adam_update`, ...) are here too, from
fastnn.kernel_ops.
"""
import functools as _functools
import sys as _sys

import numpy as _np

from fastnn import _kernels
from fastnn import kernel_ops as _kernel_ops
from fastnn._codes import ACTIVATIONS as _ACTIVATIONS
from fastnn.autodiff import ops as _ops
from fastnn.autodiff.tape import _state, _wrap
from fastnn.layers.symbolic import is_symbolic as _is_symbolic
from fastnn.tensor import Tensor as _Tensor, Variable as _Variable

# Argument types that are never symbolic (no KerasTensor inside): a call whose arguments
# are all of these skips the walk through its arguments.
_PLAIN = frozenset((_np.ndarray, _Tensor, _Variable, float, int, bool, str, type(None)))
# Arrays the one-call fast paths below take as they are.
_ARRAYS = frozenset((_np.ndarray, _Tensor, _Variable))


def _symbolic_aware(fn):
    """fn, or on KerasTensors a node of the graph that calls fn on the values."""
    @_functools.wraps(fn)
    def op(*args, **kwargs):
        for a in args:
            if type(a) not in _PLAIN:
                break
        else:
            if not kwargs:
                return fn(*args)
        if _is_symbolic((args, kwargs)):
            from fastnn.layers.core import op_node
            return op_node(fn, *args, **kwargs)
        return fn(*args, **kwargs)
    return op


# ---------------------------------------------------------------- fast paths
# The common call, arrays of one float dtype and no GradientTape recording in this
# thread, goes straight to one C entry (fastnn._kernels.fast_*), which returns None for
# anything it does not take as it is; the general path then runs, with the conversions,
# the recording and the errors. Both compute with the same C call: the same bits.

def _fast_matmul(general):
    def matmul(x1, x2):
        if type(x1) in _ARRAYS and type(x2) in _ARRAYS and not _state.tapes:
            out = _kernels.fast_matmul(x1, x2, _Tensor)
            if out is not None:
                return out
        return general(x1, x2)
    return _functools.update_wrapper(matmul, general)


def _fast_activation(general, key):
    code = _ACTIVATIONS[key][0]
    fast_act = _kernels.fast_act

    def act(x):
        if type(x) in _ARRAYS and not _state.tapes:
            out = fast_act(code, 0.0, x, _Tensor)
            if out is not None:
                return out
        return general(x)
    return _functools.update_wrapper(act, general)


def _fast_binary(general, ufunc):
    nd, view = _np.ndarray, _np.ndarray.view

    def op(x1, x2):
        t1, t2 = type(x1), type(x2)
        if t1 in _ARRAYS and t2 in _ARRAYS and not _state.tapes and x1.dtype == x2.dtype:
            return _wrap(ufunc(x1 if t1 is nd else view(x1, nd),
                               x2 if t2 is nd else view(x2, nd)))
        return general(x1, x2)
    return _functools.update_wrapper(op, general)


_names = [n for n in dir(_ops) if not n.startswith("_") and n not in ("REGISTRY", "random")]
for _n in _names:
    _f = getattr(_ops, _n)
    globals()[_n] = _symbolic_aware(_f) if callable(_f) else _f
matmul = _fast_matmul(matmul)  # noqa: F821 (set by the loop above)
# the activations that are one element-wise C kernel with no parameter (fastnn's
# activation functions call it with param 0)
for _n in ("relu", "sigmoid", "tanh", "selu", "softplus", "softsign", "silu",
           "hard_sigmoid"):
    globals()[_n] = _fast_activation(globals()[_n], _n)
swish = silu  # noqa: F821
# same-dtype arithmetic: the NumPy ufunc, as the general path computes it
add = _fast_binary(add, _np.add)  # noqa: F821
subtract = _fast_binary(subtract, _np.subtract)  # noqa: F821
multiply = _fast_binary(multiply, _np.multiply)  # noqa: F821
random = _ops.random


# Functions that read a KerasTensor's spec rather than make a node of the graph (Keras'
# ops.shape / ops.dtype return the symbolic tensor's shape and dtype, is_tensor is
# False for it, and convert_to_numpy refuses it: it has no values).
def _spec_aware(general, on_symbolic):
    def op(x, *args, **kwargs):
        if type(x) not in _PLAIN and _is_symbolic(x):
            return on_symbolic(x)
        return general(x, *args, **kwargs)
    return _functools.update_wrapper(op, general)


def _no_numpy(x):
    raise ValueError(f"convert_to_numpy: x is a symbolic KerasTensor {x!r}, a placeholder "
                     f"for a shape and a dtype with no values: it cannot be converted to a "
                     f"NumPy array. Build a model with keras.Model(inputs, outputs) and call "
                     f"it on data")


shape = _spec_aware(_ops.shape, lambda x: tuple(x.shape))
dtype = _spec_aware(_ops.dtype, lambda x: x.dtype)
is_tensor = _spec_aware(_ops.is_tensor, lambda x: False)
convert_to_numpy = _spec_aware(_ops.convert_to_numpy, _no_numpy)
for _n in ("dense", "dense_forward", "dense_backward", "activation_forward", "activation_grad",
           "loss_and_grad", "sgd_update", "adam_update", "rmsprop_update", "adagrad_update",
           "mean_squared_error", "mean_absolute_error", "huber", "mse", "mae", "linear",
           "exponential"):
    globals().setdefault(_n, getattr(_kernel_ops, _n))
__all__ = sorted(n for n in globals() if not n.startswith("_"))

# keras.ops.nn, keras.ops.numpy, keras.ops.linalg: modules of the functions above that
# Keras lists in each (fastnn/_ops_namespaces.py)
# (an empty __path__ lets `import keras.ops.nn` find them as submodules of this module)
from fastnn import _ops_namespaces  # noqa: E402

__path__ = []
globals().update(_ops_namespaces.build(_sys.modules[__name__]))
__all__ += sorted(_ops_namespaces.KERAS_NAMES)
