"""keras.ops: the NumPy-like, math, nn and core functions Keras code calls
(`keras.ops.mean(keras.ops.square(y - p))`), differentiable under a GradientTape where
Keras' are (fastnn.autodiff), and usable on the functional API's symbolic tensors,
where a call becomes a node of the model's graph (as keras.ops on KerasTensors).

fastnn's kernel-level functions that keras.ops does not have (`dense`,
`dense_backward`, `loss_and_grad`, `adam_update`, ...) are here too, from
fastnn.kernel_ops.
"""
import functools as _functools

from fastnn import kernel_ops as _kernel_ops
from fastnn.autodiff import ops as _ops
from fastnn.layers.symbolic import is_symbolic as _is_symbolic


def _symbolic_aware(fn):
    """fn, or on KerasTensors a node of the graph that calls fn on the values."""
    @_functools.wraps(fn)
    def op(*args, **kwargs):
        if _is_symbolic((args, kwargs)):
            from fastnn.layers.core import op_node
            return op_node(fn, *args, **kwargs)
        return fn(*args, **kwargs)
    return op


_names = [n for n in dir(_ops) if not n.startswith("_") and n not in ("REGISTRY", "random")]
for _n in _names:
    _f = getattr(_ops, _n)
    globals()[_n] = _symbolic_aware(_f) if callable(_f) else _f
random = _ops.random
for _n in ("dense", "dense_forward", "dense_backward", "activation_forward", "activation_grad",
           "loss_and_grad", "sgd_update", "adam_update", "rmsprop_update", "adagrad_update",
           "mean_squared_error", "mean_absolute_error", "huber", "mse", "mae", "linear",
           "exponential"):
    globals().setdefault(_n, getattr(_kernel_ops, _n))
__all__ = sorted(n for n in globals() if not n.startswith("_"))
