"""Losses over structures of outputs (Keras 3's CompileLoss): several losses for one
output, a loss given a whole sub-structure of the outputs, per-leaf losses in a nested
structure; loss_weights in the losses' structure or flat in order; each loss logged
as '<output or path>_loss' (with several losses for one output, the log of that name
holds the last one's value, as Keras logs it); the gradient is the total's."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, losses, ops

TOL = {"float32": 2e-5, "float64": 1e-11}


def _model(dtype, kind=list):
    i = keras.Input((3,), dtype=dtype)
    a = layers.Dense(1, name="out_a", dtype=dtype,
                     kernel_initializer=keras.initializers.Constant(0.3))(i)
    b = layers.Dense(1, name="out_b", activation="sigmoid", dtype=dtype,
                     kernel_initializer=keras.initializers.Constant(-0.2))(i)
    return keras.Model(i, kind([a, b]) if kind is not dict else {"a": a, "b": b})


def _data(dtype):
    x = np.linspace(0, 1, 24).reshape(8, 3).astype(dtype)
    y1 = np.full((8, 1), 0.5, dtype)
    y2 = np.array([[0], [1]] * 4, dtype)
    return x, y1, y2


def _reference(m, x, y1, y2):
    pa, pb = [np.asarray(p, np.float64) for p in m.predict(x, batch_size=8, verbose=0)]
    pb_c = np.clip(pb, 1e-7, 1 - 1e-7)
    return {"mse_a": np.mean((pa - y1) ** 2), "mae_a": np.mean(np.abs(pa - y1)),
            "mse_b": np.mean((pb - y2) ** 2),
            "bce_b": np.mean(-(y2 * np.log(pb_c) + (1 - y2) * np.log(1 - pb_c)))}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_several_losses_for_one_output(dtype):
    x, y1, y2 = _data(dtype)
    m = _model(dtype)
    r = _reference(m, x, y1, y2)
    for loss_weights, want in (
            (None, r["mse_a"] + r["mse_b"] + r["bce_b"]),
            ([1.0, [2.0, 3.0]], r["mse_a"] + 2 * r["mse_b"] + 3 * r["bce_b"]),
            ([1.0, 2.0, 3.0], r["mse_a"] + 2 * r["mse_b"] + 3 * r["bce_b"])):
        m.compile(optimizer="sgd", loss=["mse", ["mse", "bce"]], loss_weights=loss_weights)
        logs = m.evaluate(x, [y1, y2], batch_size=8, verbose=0, return_dict=True)
        assert sorted(logs) == ["loss", "out_a_loss", "out_b_loss"]
        np.testing.assert_allclose(logs["loss"], want, rtol=TOL[dtype])
        np.testing.assert_allclose(logs["out_a_loss"], r["mse_a"], rtol=TOL[dtype])
        # two losses log as out_b_loss: the last one's (unweighted) value, as in Keras
        np.testing.assert_allclose(logs["out_b_loss"], r["bce_b"], rtol=TOL[dtype])
    m.compile(optimizer="sgd", loss=[["mae", "mse"], ["mse", "bce"]])
    logs = m.evaluate(x, [y1, y2], batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], r["mae_a"] + r["mse_a"] + r["mse_b"] + r["bce_b"],
                               rtol=TOL[dtype])


def test_loss_weights_that_match_neither_structure_nor_count():
    x, y1, y2 = _data("float64")
    m = _model("float64")
    m.compile(optimizer="sgd", loss=["mse", ["mse", "bce"]], loss_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"loss_weights must match the losses.*got 2 "
                                         r"weights for 3 losses"):
        m.fit(x, [y1, y2], verbose=0)


def _sum_of_mae(y_true, y_pred):
    """A loss over a whole structure: the per-sample MAE of each leaf, summed."""
    return losses.mean_absolute_error(y_true[0], y_pred[0]) + \
        losses.mean_absolute_error(y_true[1], y_pred[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_loss_over_the_whole_structure_and_per_leaf(dtype):
    x, y1, y2 = _data(dtype)
    m = _model(dtype, tuple)
    r = _reference(m, x, y1, y2)
    pb = np.asarray(m.predict(x, verbose=0)[1], np.float64)
    mae_b = np.mean(np.abs(pb - y2))
    # a list of losses on tuple outputs: each loss is given the whole tuple
    m.compile(optimizer="sgd", loss=[_sum_of_mae, ("mse", "mse")],
              loss_weights=[0.5, (1.0, 2.0)])
    logs = m.evaluate(x, (y1, y2), batch_size=8, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "out_a_loss", "out_a_out_b_loss", "out_b_loss"]
    np.testing.assert_allclose(logs["out_a_out_b_loss"], r["mae_a"] + mae_b, rtol=TOL[dtype])
    np.testing.assert_allclose(logs["loss"], 0.5 * (r["mae_a"] + mae_b) + r["mse_a"]
                               + 2 * r["mse_b"], rtol=TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dict_outputs_with_a_loss_over_both(dtype):
    x, y1, y2 = _data(dtype)
    m = _model(dtype, dict)
    pa, pb = (np.asarray(m.predict(x, verbose=0)[k], np.float64) for k in ("a", "b"))

    def both(y_true, y_pred):
        assert sorted(y_true) == sorted(y_pred) == ["a", "b"]
        return ops.square(y_true["a"] - y_pred["a"])[:, 0] + \
            ops.square(y_true["b"] - y_pred["b"])[:, 0]

    m.compile(optimizer="sgd", loss=[both, {"a": "mae"}])
    logs = m.evaluate(x, {"a": y1, "b": y2}, batch_size=8, verbose=0, return_dict=True)
    assert sorted(logs) == ["a_b_loss", "a_loss", "loss"]
    want_both = np.mean((pa - y1) ** 2 + (pb - y2) ** 2)
    np.testing.assert_allclose(logs["a_b_loss"], want_both, rtol=TOL[dtype])
    np.testing.assert_allclose(logs["loss"], want_both + np.mean(np.abs(pa - y1)),
                               rtol=TOL[dtype])


def test_the_step_follows_the_finite_difference_gradient_of_the_total():
    """SGD(learning_rate=1) on several losses for one output: the kernels move by
    minus the central-difference gradient of the total loss evaluate reports."""
    x, y1, y2 = _data("float64")
    m = _model("float64")
    probe = _model("float64")
    for model in (m, probe):
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss=["mse", ["mse", "bce"]],
                      loss_weights=[1.0, [0.5, 2.0]])
    w = m.get_weights()
    eps = 1e-6
    want = []
    for k in (0, 2):          # the two kernels
        fd = np.zeros_like(w[k])
        for idx in np.ndindex(*w[k].shape):
            vals = []
            for sign in (1, -1):
                ww = [a.copy() for a in w]
                ww[k][idx] += sign * eps
                probe.set_weights(ww)
                vals.append(probe.evaluate(x, [y1, y2], batch_size=8, verbose=0)[0])
            fd[idx] = (vals[0] - vals[1]) / (2 * eps)
        want.append(fd)
    m.train_on_batch(x, [y1, y2])
    after = m.get_weights()
    np.testing.assert_allclose(w[0] - after[0], want[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(w[2] - after[2], want[1], rtol=1e-6, atol=1e-9)


def test_a_path_the_outputs_do_not_have_is_a_key_error():
    x, y1, y2 = _data("float64")
    m = _model("float64", dict)
    m.compile(optimizer="sgd", loss=["mse", {"c": "mae"}])
    before = m.get_weights()
    with pytest.raises(KeyError, match=r"\('c',\) in the `loss` argument"):
        m.fit(x, {"a": y1, "b": y2}, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
