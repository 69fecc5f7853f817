"""The order of evaluate's and *_on_batch's list results, as Keras 3 gives it
(keras/src/trainers/trainer.py, Trainer._flatten_metrics_in_order): the loss, then a
one-output model's compiled metrics in compile order; for several outputs, each output's
loss in output order and then the other logs in sorted key order. The orders below were
read off Keras 3.15.1 (TensorFlow backend) on these models. Also: train_on_batch /
test_on_batch take several inputs and outputs, as fit and evaluate do."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


def _two_outputs(names=("zed", "alpha")):
    keras.utils.set_random_seed(0)
    a = keras.Input(shape=(3,))
    h = layers.Dense(4, activation="relu")(a)
    return keras.Model(a, [layers.Dense(1, name=names[0])(h), layers.Dense(1, name=names[1])(h)])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((50, 3)).astype("float32"), rng.random(50).astype("float32")


def test_several_outputs_losses_first_then_sorted_logs(data):
    x, y = data
    m = _two_outputs()
    m.compile(loss=("mse", "mse"), optimizer="adam", metrics=[["mse", "mae"], ["mse", "mae"]])
    d = m.evaluate(x, (y, y), verbose=0, batch_size=50, return_dict=True)
    order = ["loss", "zed_loss", "alpha_loss", "alpha_mae", "alpha_mse", "zed_mae", "zed_mse"]
    assert sorted(d) == sorted(order)
    assert m.evaluate(x, (y, y), verbose=0, batch_size=50) == [d[k] for k in order]
    # the values are what they claim to be
    p1, p2 = m.predict(x, verbose=0)
    np.testing.assert_allclose(d["zed_loss"], np.mean((p1[:, 0] - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(d["alpha_mae"], np.mean(np.abs(p2[:, 0] - y)), rtol=1e-5)
    np.testing.assert_allclose(d["loss"], d["zed_loss"] + d["alpha_loss"], rtol=1e-6)


def test_loss_weights_and_class_named_metrics(data):
    """Hands-On ML's two-output model: loss_weights (0.9, 0.1) and
    metrics=["RootMeanSquaredError"] * 2; eval_results[:3] is (weighted, main, aux)."""
    x, y = data
    m = _two_outputs(("main", "aux"))
    m.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer="adam",
              metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
    r = m.evaluate(x, (y, y), verbose=0, batch_size=50)
    p1, p2 = m.predict(x, verbose=0)
    main, aux = np.mean((p1[:, 0] - y) ** 2), np.mean((p2[:, 0] - y) ** 2)
    np.testing.assert_allclose(r, [0.9 * main + 0.1 * aux, main, aux, np.sqrt(aux), np.sqrt(main)],
                               rtol=1e-5)
    # the same through the array path with a list of one input
    assert m.evaluate([x], [y, y], verbose=0, batch_size=50) == r


def test_one_output_compile_order(data):
    x, y = data
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(loss="mse", optimizer="adam",
              metrics=["mse", "mae", keras.metrics.RootMeanSquaredError(name="aaa")])
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    assert m.evaluate(x, y, verbose=0) == [d[k] for k in ("loss", "mse", "mae", "aaa")]
    assert m.test_on_batch(x, y) == pytest.approx([d[k] for k in ("loss", "mse", "mae", "aaa")])


def test_on_batch_with_several_outputs_and_inputs(data):
    x, y = data
    m = _two_outputs()
    m.compile(loss=("mse", "mse"), optimizer="sgd", metrics=[["mae"], ["mae"]])
    want = m.evaluate(x, (y, y), verbose=0, batch_size=50)
    assert m.test_on_batch(x, (y, y)) == pytest.approx(want)
    before = [w.copy() for w in m.get_weights()]
    logs = m.train_on_batch(x, [y, y], return_dict=True)
    assert sorted(logs) == ["alpha_loss", "alpha_mae", "loss", "zed_loss", "zed_mae"]
    assert not all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    assert int(m.optimizer.iterations) == 1

    keras.utils.set_random_seed(1)
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(2,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    two_in = keras.Model({"a": a, "b": b}, out)
    two_in.compile(loss="mse", optimizer="sgd")
    xs = {"a": x, "b": x[:, :2]}
    loss = two_in.test_on_batch(xs, y[:, None])
    assert loss == pytest.approx(two_in.evaluate(xs, y[:, None], verbose=0, batch_size=50))
    assert isinstance(two_in.train_on_batch(xs, y[:, None]), float)
    with pytest.raises(TypeError, match="train_on_batch: x must be arrays"):
        two_in.train_on_batch((xs for _ in range(2)), y)
