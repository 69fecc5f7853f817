"""The `.numpy()` idiom of TensorFlow code (fastnn/tensor.py), and the TensorFlow 2
beginners' quickstart run with only its imports changed."""
import copy
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import layers as L
from fastnn.tensor import Scalar, Tensor, Variable

from test_seeds import run


def _model():
    fastnn.utils.set_random_seed(0)
    m = fastnn.Sequential([L.Input((4,)), L.Dense(5, activation="relu"), L.Dense(3)])
    m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


X = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
Y = np.arange(6) % 3


def test_tensor_numpy_is_a_plain_copy_and_scalars_are_numpy_scalars():
    t = np.arange(6.0).reshape(2, 3).view(Tensor)
    a = t.numpy()
    assert type(a) is np.ndarray and not np.shares_memory(a, t)
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3))
    s = np.asarray(2.5).view(Tensor).numpy()
    assert type(s) is np.float64 and s == 2.5
    # NumPy arithmetic keeps the method; values and dtypes are NumPy's
    assert isinstance(t * 2, Tensor) and (t * 2).numpy().dtype == np.float64


def test_scalar_is_a_float_with_numpy():
    s = Scalar(0.25)
    assert isinstance(s, float) and s == 0.25 and type(s.numpy()) is np.float64
    for c in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert type(c) is float and c == 0.25


def test_weights_are_variables_with_snapshot_numpy_and_assign():
    """Keras code reads `layer.kernel.numpy()` before and after training and sets weights
    with `.assign()`; get_weights gives plain arrays."""
    m = _model()
    kernel = m.layers[0].kernel
    assert isinstance(kernel, Variable) and all(isinstance(w, Variable) for w in m.weights)
    before = kernel.numpy()
    m.fit(X, Y, epochs=2, verbose=0)
    assert m._engine.fit_plan is not None
    assert not np.array_equal(kernel.numpy(), before)       # the snapshot did not move
    assert all(type(w) is np.ndarray for w in m.get_weights())
    kernel.assign(np.zeros((4, 5)))
    np.testing.assert_array_equal(m.get_weights()[0], 0)
    np.testing.assert_array_equal(m.predict(X, verbose=0),      # the engine sees it
                                  np.broadcast_to(m.layers[0].bias.numpy().clip(0) @
                                                  m.layers[1].kernel.numpy() +
                                                  m.layers[1].bias.numpy(), (6, 3)))
    with pytest.raises(ValueError, match=r"assign: expected a value of shape \(4, 5\), got \(5, 4\)"):
        kernel.assign(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="finite"):
        kernel.assign(np.full((4, 5), np.nan))
    np.testing.assert_array_equal(kernel, 0)


def test_keras_facing_calls_answer_numpy():
    m = _model()
    out = m(X)
    assert isinstance(out, Tensor) and type(out.numpy()) is np.ndarray
    np.testing.assert_array_equal(out.numpy(), m.predict(X, verbose=0))
    assert isinstance(m.layers[0](X), Tensor)
    # predict, predict_on_batch and fastnn.ops give plain arrays, as Keras' predict does
    assert type(m.predict(X, verbose=0)) is np.ndarray
    assert type(m.predict_on_batch(X)) is np.ndarray
    assert type(fastnn.kernel_ops.relu(X)) is np.ndarray    # fastnn's kernel-level ops
    assert type(fastnn.ops.relu(X)) is Tensor           # keras.ops: differentiable tensors
    p = out.numpy()
    for fn in (fastnn.nn.softmax, fastnn.nn.relu, fastnn.nn.relu6, fastnn.activations.tanh,
               fastnn.activations.linear, lambda z: fastnn.nn.leaky_relu(z, alpha=0.1)):
        r = fn(p)
        assert isinstance(r, Tensor) and r.shape == p.shape
    np.testing.assert_allclose(fastnn.nn.softmax(p).numpy().sum(axis=1), 1.0, rtol=1e-6)
    ce = fastnn.nn.sparse_softmax_cross_entropy_with_logits(labels=Y, logits=p)
    assert isinstance(ce, Tensor) and ce.shape == (6,)
    loss_fn = fastnn.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss = loss_fn(Y, p)
    assert isinstance(loss, Scalar) and loss.numpy() == pytest.approx(float(ce.numpy().mean()),
                                                                       rel=1e-6)
    per = fastnn.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(Y, p)
    assert isinstance(per, Tensor) and per.dtype == np.float32
    acc = fastnn.metrics.SparseCategoricalAccuracy()
    acc.update_state(Y, p)
    assert isinstance(acc.result(), Scalar)
    assert acc.result().numpy() == np.mean(np.argmax(p, axis=1) == Y)
    m.fit(X, Y, epochs=1, verbose=0)
    assert type(m.optimizer.learning_rate.numpy()) is np.float32


# The TensorFlow 2 quickstart for beginners (tensorflow.org/tutorials/quickstart/beginner),
# as published; only the MNIST download is replaced by data of its shapes (the tests
# have no network), and its notebook's bare expressions are assigned to names.
QUICKSTART = """
import tensorflow as tf
print("TensorFlow version:", tf.__version__)

x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
probs = tf.nn.softmax(predictions).numpy()

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
first_loss = loss_fn(y_train[:1], predictions).numpy()

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])

model.fit(x_train, y_train, epochs=5)

model.evaluate(x_test,  y_test, verbose=2)

probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])

five = probability_model(x_test[:5])
"""


def test_tensorflow_quickstart_runs_with_the_imports_changed():
    # Digit-like data of MNIST's shapes: the 8x8 digits placed in 28x28 frames (0-255).
    from fastnn.datasets import digits
    (xd, yd), (xt, yt) = digits.load_data()

    def frame(x):
        out = np.zeros((len(x), 28, 28), np.float32)
        out[:, 10:18, 10:18] = x.reshape(-1, 8, 8) * (255.0 / 16.0)
        return out

    fastnn.utils.set_random_seed(0)
    ns = run(QUICKSTART, x_train=frame(xd), y_train=yd, x_test=frame(xt), y_test=yt)
    assert "TensorFlow version: " + fastnn.__version__ in ns["_stdout"]
    assert type(ns["predictions"]) is np.ndarray and ns["predictions"].shape == (1, 10)
    np.testing.assert_allclose(ns["probs"].sum(), 1.0, rtol=1e-6)
    logp = ns["predictions"][0] - np.log(np.exp(ns["predictions"][0]).sum())
    assert ns["first_loss"] == pytest.approx(-logp[yd[0]], rel=1e-5)
    # five epochs train the digits well; the evaluation line is printed (verbose=2)
    model = ns["model"]
    x_test = ns["x_test"]                  # scaled to [0, 1] by the snippet
    loss, acc = model.evaluate(x_test, yt, verbose=0)
    assert acc > 0.9
    assert "accuracy:" in ns["_stdout"]
    # the probability model shares the trained layers and ends in a softmax
    five = ns["five"]
    logits = model.predict(x_test[:5], verbose=0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(five.numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
