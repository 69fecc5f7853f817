"""Reverse-mode automatic differentiation for fastnn: TensorFlow's GradientTape, and the
`keras.ops` functions it differentiates::

    from fastnn.autodiff import GradientTape, ops
    w = fastnn.Variable(np.zeros((3, 1)))            # trainable: watched by itself
    with GradientTape() as tape:
        loss = ops.mean(ops.square(y - x @ w))       # or np.mean((y - x @ w) ** 2)
    dw = tape.gradient(loss, w)

Layout::

  tape.py        the thread-local tape stack, `record`, `GradientTape`, the backward pass
  primitives.py  differentiable primitives with NumPy's semantics (their VJPs use them)
  dispatch.py    NumPy operators and functions on Tensors, recorded while a tape is active
  numpy_ops.py, nn_ops.py, core_ops.py, linalg_ops.py, random_ops.py
                 the keras.ops functions (Keras' argument conversion and checks); the
                 activations and cross-entropies run fastnn's C kernels
  ops.py         the keras.ops namespace (and REGISTRY, the table the tests run over)
  tf_aliases.py  TensorFlow's names (tf.reduce_mean, tf.concat, tf.math.*, tf.nn.*)

Values. Operations take and return `fastnn.tensor.Tensor` (a numpy.ndarray subclass)
and `fastnn.tensor.Variable` (a Tensor holding a layer's weight; `trainable` flag).
With no tape active anywhere, NumPy on Tensors is plain NumPy (no hook is installed)
and a keras.ops function costs one thread-local check more than its computation.

Recording. An operation is recorded on each tape of the calling thread that tracks one
of its inputs: a value given to `tape.watch`, the output of a recorded operation, or a
trainable Variable read while a tape with `watch_accessed_variables=True` records (it
is then watched: `tape.watched_variables()`). Tapes track values by identity, so use
the objects an operation returns (a copy made with numpy.array(t) is a new, untracked
value, as `stop_gradient(t)` is on purpose).

Contract for composite operations (a layer whose forward and backward are C kernels)::

    out = record(inputs, outputs, vjp, name=None)

  - `inputs`: the operation's inputs as given (Tensors, Variables, arrays, numbers, None).
  - `outputs`: its result, an array or a tuple/list of arrays; `record` returns them as
    Tensors, and those returned objects are the ones the tapes know.
  - `vjp(*output_grads)`: one gradient array per output in (each of its output's shape;
    zeros for an output the target does not depend on), a sequence with one entry per
    input out: the gradient of sum(output * output_grad) with respect to that input,
    of the input's shape (sum away any broadcasting), or None (no gradient: integer
    inputs, flags). Gradients are cast to each input's dtype.
  - Without a recording tape it costs a thread-local check and a view per output.
    `should_record(inputs)` says beforehand whether anything will be recorded (to skip
    keeping what only the backward needs); `is_recording()` whether any tape records.
  - The VJP runs under the caller's outer tapes: written with these ops it is
    differentiable again (second derivatives); built on C backward kernels it gives
    first derivatives, and may test `is_recording()` to take the differentiable path
    when an outer tape asks for more (as fastnn's activations do).

  `custom_gradient` is TensorFlow's decorator with the same semantics: `f(*args)`
  returns `(y, grad_fn)`; `grad_fn(*dy)` returns one gradient per argument, or with a
  `variables` keyword argument `(input_grads, variable_grads)` for the Variables f read.

Gradients. `tape.gradient(target, sources, output_gradients=None,
unconnected_gradients="none")` sums over a non-scalar target (TensorFlow's behaviour);
sources may be a Tensor, a list, a dict or a nest; a non-persistent tape gives one set
of gradients. Nested tapes give higher derivatives. `jacobian` and `batch_jacobian`
take one backward pass per target element. `function` is tf.function as a pass-through.

What is not recorded: in-place updates (`out=`, `a[i] = v`, `a += b`, `v.assign`) and
values copied out of the tensor world (numpy.array(t), float(t), t.tolist()). A NumPy
function without a gradient rule (numpy.einsum, numpy.linalg.inv, ...) is recorded with
a VJP that raises LookupError naming it, if a gradient ever has to pass through it.
"""
from fastnn.tensor import Tensor, Variable  # noqa: F401
from fastnn.autodiff.tape import (GradientTape, UnconnectedGradients, is_recording,  # noqa: F401
                                  record, should_record, stop_recording, watch)
from fastnn.autodiff import dispatch as _dispatch  # noqa: F401  (installs the NumPy hooks)
from fastnn.autodiff.core_ops import (cast, convert_to_tensor, custom_gradient,  # noqa: F401
                                      function, stop_gradient)
from fastnn.autodiff import ops  # noqa: F401
from fastnn.autodiff.registry import OPS as REGISTRY  # noqa: F401

__all__ = ["GradientTape", "UnconnectedGradients", "record", "should_record",
           "is_recording", "stop_recording", "watch", "custom_gradient", "function",
           "stop_gradient", "convert_to_tensor", "cast", "ops", "Tensor", "Variable",
           "REGISTRY"]
