"""The NumPy reference loop does the same math as Keras: gradients against central finite
differences (float64), one Adam step against an independent plain implementation of
Keras' formulas, float32 kept end to end. Quick: these run in smoke mode too."""
import numpy as np
import pytest

from numpy_mlp import NumpyMLP
from workloads import WORKLOADS, accuracy, get_workload, load_data

LOSS_CASES = [
    ("binary_crossentropy", [(5, "relu"), (1, "sigmoid")]),
    ("sparse_categorical_crossentropy", [(6, "tanh"), (4, "relu"), (3, "linear")]),
    ("sparse_categorical_crossentropy", [(4, "sigmoid"), (3, "softmax")]),
    ("mse", [(5, "relu"), (2, "linear")]),
]


def _data(loss, n, n_in, k, rng):
    x = rng.standard_normal((n, n_in))
    if loss == "binary_crossentropy":
        y = rng.integers(0, 2, (n, 1)).astype(np.float64)
    elif loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, k, n)
    else:
        y = rng.standard_normal((n, k))
    return x, y


def _loss_value(model, x, y):
    model._workspace(len(x))
    loss, _ = model._loss_and_grad(x, y, len(x))
    return loss


@pytest.mark.parametrize("loss,layers", LOSS_CASES)
def test_gradient_matches_central_differences_float64(loss, layers):
    rng = np.random.default_rng(3)
    n, n_in = 7, 4
    model = NumpyMLP(n_in, layers, loss, seed=1, dtype=np.float64)
    model.theta += 0.1 * rng.standard_normal(model.theta.shape)   # nonzero biases too
    x, y = _data(loss, n, n_in, layers[-1][0], rng)
    model._workspace(n)
    model._loss_and_grad(x, y, n)
    analytic = model.grad.copy()
    numeric = np.empty_like(analytic)
    h = 1e-6
    for j in range(model.theta.size):
        old = model.theta[j]
        model.theta[j] = old + h
        up = _loss_value(model, x, y)
        model.theta[j] = old - h
        down = _loss_value(model, x, y)
        model.theta[j] = old
        numeric[j] = (up - down) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def _plain_forward(params, layers, x):
    """Independent float64 forward pass; returns the logits."""
    a = x
    for i, (_, act) in enumerate(layers):
        z = a @ params[2 * i] + params[2 * i + 1]
        if i < len(layers) - 1:
            z = {"relu": np.maximum(z, 0), "tanh": np.tanh(z),
                 "sigmoid": 1 / (1 + np.exp(-z)), "linear": z}[act]
        a = z
    return a


def test_loss_values_match_plain_formulas():
    rng = np.random.default_rng(0)
    for loss, layers in LOSS_CASES:
        model = NumpyMLP(3, layers, loss, seed=2, dtype=np.float64)
        x, y = _data(loss, 9, 3, layers[-1][0], rng)
        z = _plain_forward(model.params, layers, x)
        if loss == "binary_crossentropy":
            p = 1 / (1 + np.exp(-z))
            want = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        elif loss == "sparse_categorical_crossentropy":
            logp = z - np.log(np.exp(z).sum(1, keepdims=True))
            want = -np.mean(logp[np.arange(len(y)), y])
        else:
            want = np.mean((z - y) ** 2)
        assert _loss_value(model, x, y) == pytest.approx(want, rel=1e-12)


def test_one_adam_step_is_keras_adam():
    """Full batch, no shuffle: theta_1 = theta_0 - alpha_1 * m / (sqrt(v) + 1e-7) with
    m = 0.1 g, v = 0.001 g^2 and alpha_1 = lr * sqrt(1 - 0.999) / (1 - 0.9)."""
    rng = np.random.default_rng(5)
    layers = [(4, "relu"), (3, "linear")]
    model = NumpyMLP(2, layers, "sparse_categorical_crossentropy", seed=0,
                     learning_rate=0.01, dtype=np.float64)
    x, y = _data("sparse_categorical_crossentropy", 6, 2, 3, rng)
    theta0 = model.theta.copy()
    model._workspace(6)
    model._loss_and_grad(x, y, 6)
    g = model.grad.copy()
    model.theta[...] = theta0
    model.fit(x, y, batch_size=6, epochs=1, shuffle=False)
    m, v = 0.1 * g, 0.001 * g * g
    alpha = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(model.theta, theta0 - alpha * m / (np.sqrt(v) + 1e-7),
                               rtol=1e-12, atol=1e-15)
    assert model.iterations == 1


def test_glorot_uniform_init_and_zero_biases():
    model = NumpyMLP(300, [(200, "relu"), (10, "linear")], "mse", seed=0)
    W = model.params[0]
    limit = np.sqrt(6 / 500)
    assert W.shape == (300, 200) and np.abs(W).max() <= limit
    assert np.std(W) == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert not model.params[1].any() and not model.params[3].any()


def test_float32_end_to_end_and_minibatch_views():
    """Odd batch (last batch smaller) trains, stays float32, and learns the digits."""
    w = get_workload("W2", scale=0.1)
    d = load_data(w)
    model = NumpyMLP(64, w.layers, w.loss, seed=0)
    hist = model.fit(d.x_train, d.y_train, batch_size=50, epochs=w.epochs)
    assert model.theta.dtype == np.float32 and model._m.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.params)
    assert hist["loss"][-1] < hist["loss"][0]
    out = model.predict(d.x_test, batch_size=33)
    assert out.dtype == np.float32 and out.shape == (len(d.x_test), 10)
    assert accuracy(w, out, d.y_test) > 0.8          # 10 epochs: well past chance (0.1)


def test_predict_applies_output_activation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    for act, loss in (("sigmoid", "binary_crossentropy"),
                      ("softmax", "sparse_categorical_crossentropy"),
                      ("linear", "sparse_categorical_crossentropy")):
        k = 1 if act == "sigmoid" else 4
        model = NumpyMLP(3, [(6, "relu"), (k, act)], loss, seed=0, dtype=np.float64)
        z = _plain_forward(model.params, model.layers, x)
        want = {"sigmoid": 1 / (1 + np.exp(-z)),
                "softmax": np.exp(z) / np.exp(z).sum(1, keepdims=True),
                "linear": z}[act]
        np.testing.assert_allclose(model.predict(x, batch_size=2), want, rtol=1e-12)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="loss"):
        NumpyMLP(3, [(1, "sigmoid")], "hinge")
    with pytest.raises(ValueError, match="hidden activation"):
        NumpyMLP(3, [(4, "gelu"), (1, "sigmoid")], "binary_crossentropy")


def test_workloads_are_fixed_and_scale():
    for name in WORKLOADS:
        assert get_workload(name) is WORKLOADS[name]
    small = get_workload("W3", scale=0.01)
    assert small.n_train == 600 and small.n_test == 128 and small.epochs == 1
    assert get_workload("W2", scale=0.05).epochs == 5
    with pytest.raises(ValueError, match="scale"):
        get_workload("W1", scale=0)
    with pytest.raises(ValueError, match="workload"):
        get_workload("W9")
    a, b = load_data(get_workload("W1")), load_data(get_workload("W1"))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.dtype == np.float32 and 0 <= a.x_train.min() and a.x_train.max() <= 1
    assert set(np.unique(a.y_train)) == {0.0, 1.0} and a.y_train.shape[1] == 1
    d2 = load_data(get_workload("W2"))
    assert len(d2.x_train) + len(d2.x_test) == 1797 and 350 <= len(d2.x_test) <= 360
    assert d2.x_train.max() == 1.0 and set(np.unique(d2.y_test)) == set(range(10))
    s = load_data(small)
    assert s.x_train.shape == (600, 784) and s.x_train.dtype == np.float32
    # The teacher is shared by train and test, the rows are not.
    assert not np.array_equal(s.x_train[:128], s.x_test)
    assert len(np.unique(s.y_train)) == 10
