"""Model.get_state_tree / set_state_tree, variable paths and model.metrics_variables:
what Keras' tests do not pin (errors, both dtypes, a full round trip that trains on)."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, optimizers

DTYPES = [np.float32, np.float64]


def _data(dtype, n=48):
    rng = np.random.default_rng(3)
    return (rng.standard_normal((n, 5)).astype(dtype),
            rng.standard_normal((n, 2)).astype(dtype))


def _model(dtype, seed=0, metrics=("mae",)):
    fastnn.utils.set_random_seed(seed)
    policy = np.dtype(dtype).name
    x = fastnn.Input((5,), name="x")
    h = layers.Dense(6, activation="tanh", name="hidden", dtype=policy)(x)
    h = layers.BatchNormalization(name="bn", dtype=policy)(h)
    out = layers.Dense(2, name="out", dtype=policy)(h)
    m = fastnn.Model(x, out)
    m.compile(optimizer=optimizers.Adam(0.01, name="opt"), loss="mse", metrics=list(metrics))
    return m


def test_paths_name_the_layer_and_the_weight():
    m = _model(np.float32)
    assert [w.path for w in m.trainable_variables] == [
        "hidden/kernel", "hidden/bias", "bn/gamma", "bn/beta", "out/kernel", "out/bias"]
    assert [w.path for w in m.non_trainable_variables] == ["bn/moving_mean",
                                                           "bn/moving_variance"]
    assert fastnn.Variable([1.0], name="w").path == "w"
    v = fastnn.Variable([1.0])
    with pytest.raises(TypeError, match="path must be a str, got int 3"):
        v.path = 3


def test_metrics_variables_are_the_trackers_then_the_compiled_metrics():
    m = _model(np.float32)
    assert [v.path for v in m.metrics_variables] == ["loss/total", "loss/count"]
    x, y = _data(np.float32)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    paths = [v.path for v in m.metrics_variables]
    assert paths[:2] == ["loss/total", "loss/count"] and len(paths) == 4
    assert paths[2].endswith("/total") and paths[3].endswith("/count")


@pytest.mark.parametrize("dtype", DTYPES)
def test_get_state_tree_nests_by_path(dtype):
    m = _model(dtype)
    x, y = _data(dtype)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    tree = m.get_state_tree()
    assert sorted(tree) == ["metrics_variables", "non_trainable_variables",
                            "optimizer_variables", "trainable_variables"]
    assert sorted(tree["trainable_variables"]) == ["bn", "hidden", "out"]
    kernel = tree["trainable_variables"]["hidden"]["kernel"]
    assert np.shares_memory(kernel, m.get_layer("hidden").kernel)      # backend tensors
    opt = tree["optimizer_variables"]["opt"]
    assert opt["iteration"] == 3 and opt["learning_rate"] == np.float32(0.01)
    assert opt["hidden_kernel_momentum"].dtype == dtype
    assert tree["metrics_variables"]["loss"]["count"] == 48
    copies = m.get_state_tree(value_format="numpy_array")
    k = copies["trainable_variables"]["hidden"]["kernel"]
    assert type(k) is np.ndarray and not np.shares_memory(k, m.get_layer("hidden").kernel)
    np.testing.assert_array_equal(k, kernel)
    with pytest.raises(ValueError, match="value_format must be 'backend_tensor' or "
                                         "'numpy_array', got 'numpy'"):
        m.get_state_tree(value_format="numpy")


@pytest.mark.parametrize("dtype", DTYPES)
def test_set_state_tree_makes_another_model_train_on_alike(dtype):
    """The whole state of a trained model, through a state tree into another one
    (other initial weights): both train on bit for bit."""
    x, y = _data(dtype)
    a = _model(dtype, seed=0)
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    b = _model(dtype, seed=5)
    b.fit(x[:16], y[:16], epochs=1, batch_size=16, verbose=0)   # built, slots made
    b.set_state_tree(a.get_state_tree(value_format="numpy_array"))
    assert b.optimizer.iterations == a.optimizer.iterations == 6
    ha = a.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False).history["loss"]
    hb = b.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False).history["loss"]
    assert ha == hb
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_set_state_tree_takes_part_of_a_tree_and_refuses_what_does_not_fit():
    m = _model(np.float32)
    m.set_state_tree({"trainable_variables": {"out": {"bias": [0.5, -0.5]}},
                      "optimizer_variables": {"opt": {"learning_rate": 0.125}}})
    np.testing.assert_array_equal(m.get_layer("out").bias, [0.5, -0.5])
    assert m.optimizer.learning_rate == 0.125
    with pytest.raises(ValueError, match=r"trainable_variables has no variable with path "
                                         r"'out/gamma'"):
        m.set_state_tree({"trainable_variables": {"out": {"gamma": [1.0]}}})
    with pytest.raises(ValueError, match=r"unknown variable group\(s\) \['weights'\]"):
        m.set_state_tree({"weights": {}})
    with pytest.raises(TypeError, match="state_tree must be a dict, got list"):
        m.set_state_tree([])
    with pytest.raises(ValueError, match="expected a value of shape"):
        m.set_state_tree({"trainable_variables": {"out": {"bias": [1.0, 2.0, 3.0]}}})


def test_duplicate_paths_are_refused():
    class Twice(fastnn.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(3, name="same")
            self.b = layers.Dense(3, name="same")

        def call(self, x):
            return self.b(self.a(x))

    m = Twice()
    m(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="'same/kernel'.*unique"):
        m.get_state_tree()
