"""fit with a loss written in Python (a function of keras.ops, a Loss subclass) on a model
that otherwise lowers onto the C engine: the network's forward, backward and update run
in C, and only the loss of each step's outputs on the tape (engine.custom_plan_for,
csrc/train.h fnn_custom_forward / fnn_custom_backward). The weights, losses and metrics
are bitwise those of the layer-by-layer path."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, ops


def huber(y_true, y_pred):
    err = y_true - y_pred
    small = ops.abs(err) < 1.0
    return ops.mean(ops.where(small, 0.5 * ops.square(err), ops.abs(err) - 0.5), axis=-1)


def sparse_ce_logits(y_true, y_pred):
    return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)


def cce_probs(y_true, y_pred):
    return ops.categorical_crossentropy(y_true, y_pred)


def bce_probs(y_true, y_pred):
    return ops.mean(ops.binary_crossentropy(y_true, y_pred), axis=-1)


# Keras' loss functions on probabilities: on a softmax or sigmoid output they take its
# logits (`_keras_logits`), on the engine as on the layer path
def losses_bce(y_true, y_pred):
    return keras.losses.binary_crossentropy(y_true, y_pred)


def losses_cce(y_true, y_pred):
    return keras.losses.categorical_crossentropy(y_true, y_pred)


def sparse_ce_object(y_true, y_pred):
    return keras.losses.SparseCategoricalCrossentropy()(y_true, y_pred)


def bce_and_probabilities(y_true, y_pred):
    """Reads the logits (the cross-entropy) and the probabilities (the penalty): the
    gradient reaches the logits both ways."""
    return keras.losses.binary_crossentropy(y_true, y_pred) + \
        0.5 * ops.mean(ops.square(y_pred), axis=-1)


class ScaledMSE(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return 3.0 * ops.mean(ops.square(y_true - y_pred), axis=-1)


def _data(kind, n, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 6)).astype(dtype)
    if kind.endswith("_saturated"):     # outputs near 0 and 1: probabilities clipped
        x, kind = 40 * x, kind[:-len("_saturated")]
    if kind == "regression":
        return x, rng.standard_normal((n, 2)).astype(dtype)
    if kind == "sparse":
        return x, rng.integers(0, 4, n)
    if kind == "onehot":
        return x, np.eye(4, dtype=dtype)[rng.integers(0, 4, n)]
    return x, rng.integers(0, 2, (n, 1)).astype(dtype)


CASES = {
    # name: (data kind, output units, output activation, loss, extra layer kwargs, optimizer)
    "huber_relu_adam": ("regression", 2, None, huber, {}, "adam"),
    "sparse_ce_logits_sgd_momentum": ("sparse", 4, None, sparse_ce_logits, {},
                                      lambda: keras.optimizers.SGD(0.05, momentum=0.9)),
    "cce_on_softmax_rmsprop": ("onehot", 4, "softmax", cce_probs, {}, "rmsprop"),
    "bce_on_sigmoid_adagrad": ("binary", 1, "sigmoid", bce_probs, {}, "adagrad"),
    "loss_subclass_l2_regularized": ("regression", 2, None, ScaledMSE(),
                                     {"kernel_regularizer": keras.regularizers.L2(0.01),
                                      "bias_regularizer": keras.regularizers.L1(0.01)},
                                     lambda: keras.optimizers.Adam(clipnorm=0.5)),
    # a built-in loss on the tape: Dice over each row (its C kernel takes axis=None)
    "dice_per_row_builtin_on_the_tape": ("onehot", 4, "softmax", keras.losses.Dice(axis=1),
                                         {}, "lion"),
    "losses_bce_on_saturated_sigmoid": ("binary_saturated", 1, "sigmoid", losses_bce, {},
                                        "adam"),
    "losses_cce_on_saturated_softmax": ("onehot_saturated", 4, "softmax", losses_cce, {},
                                        "adam"),
    "sparse_ce_object_on_softmax": ("sparse_saturated", 4, "softmax", sparse_ce_object, {},
                                    "sgd"),
    "bce_reading_logits_and_probabilities": ("binary_saturated", 1, "sigmoid",
                                             bce_and_probabilities, {}, "adam"),
}


def _train(case, fused, dtype, monkeypatch, sample_weight=False, batchnorm=False,
           frozen=False):
    kind, units, act, loss, kw, opt = CASES[case]
    monkeypatch.setattr(engine, "ENABLED", fused)
    x, y = _data(kind, 100, dtype)
    keras.utils.set_random_seed(7)
    stack = [keras.Input((6,), dtype=dtype), layers.Dense(8, activation="relu", **kw)]
    if batchnorm:
        stack.append(layers.BatchNormalization())
    stack += [layers.Dense(5, activation="tanh", **kw), layers.Dense(units, activation=act)]
    m = keras.Sequential(stack)
    if frozen:
        m.layers[0].trainable = False
    m.compile(optimizer=opt() if callable(opt) else opt, loss=loss,
              metrics=["mae"] if kind == "regression" else ["accuracy"])
    sw = np.linspace(0.5, 2.0, 100).astype(dtype) if sample_weight else None
    h = m.fit(x, y, sample_weight=sw, epochs=3, batch_size=16, verbose=0)
    return m, h.history


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bitwise_the_layer_path(case, dtype, monkeypatch):
    a, ha = _train(case, True, dtype, monkeypatch)
    assert a._engine.custom_plan is not None          # trained through the engine
    b, hb = _train(case, False, dtype, monkeypatch)
    assert b._engine.custom_plan is None
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert ha == hb
    assert int(a.optimizer.iterations) == int(b.optimizer.iterations) == 21


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", [losses_cce, bce_and_probabilities])
def test_an_activation_layer_last_hands_its_logits_to_the_loss(loss, dtype, monkeypatch):
    """A softmax or sigmoid Activation layer after a linear Dense layer: its output carries
    its logits into the loss on the engine as on the layer path."""
    kind, units, act = ("onehot_saturated", 4, "softmax") if loss is losses_cce else \
        ("binary_saturated", 1, "sigmoid")
    x, y = _data(kind, 100, dtype)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(5)
        m = keras.Sequential([keras.Input((6,), dtype=dtype),
                              layers.Dense(8, activation="relu", dtype=dtype),
                              layers.Dense(units, dtype=dtype),
                              layers.Activation(act, dtype=dtype)])
        m.compile(optimizer="adam", loss=loss)
        h = m.fit(x, y, epochs=3, batch_size=16, verbose=0)
        assert (m._engine.custom_plan is not None) == fused
        out.append((m.get_weights(), h.history))
    for u, v in zip(out[0][0], out[1][0]):
        np.testing.assert_array_equal(u, v)
    assert out[0][1] == out[1][1]


def test_the_logits_change_the_saturated_loss():
    """What the cases above guard: on saturated outputs the cross-entropy of the logits
    is far from that of the clipped probabilities."""
    x, y = _data("binary_saturated", 100, "float32")
    keras.utils.set_random_seed(7)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(1, activation="sigmoid")])
    p = m(x)
    z = np.asarray(p._keras_logits[0])
    from_logits = np.asarray(keras.losses.binary_crossentropy(y, z, from_logits=True))
    clipped = np.asarray(keras.losses.binary_crossentropy(y, np.asarray(p)))
    np.testing.assert_array_equal(np.asarray(losses_bce(y, p)), from_logits)
    assert np.max(np.abs(from_logits - clipped)) > 1.0


def test_custom_forward_and_backward_check_the_logits_array(monkeypatch):
    x, y = _data("binary", 32, "float32")
    m = keras.Sequential([keras.Input((6,)), layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss=losses_bce)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    plan = m._engine.custom_plan
    ws = plan.take_workspace(16)
    try:
        perm = np.arange(32, dtype=np.int64)
        out = np.empty((16, 1), np.float32)
        with pytest.raises(ValueError,
                           match=r"logits must have out's shape \(16, 1\), got \(8, 1\)"):
            plan.net.custom_forward(ws, 16, x, perm, 0, 1, out, np.empty((8, 1), np.float32))
        with pytest.raises(ValueError, match="logits overlaps out"):
            plan.net.custom_forward(ws, 16, x, perm, 0, 1, out, out)
        z = np.empty_like(out)
        assert plan.net.custom_forward(ws, 16, x, perm, 0, 1, out, z) == 16
        np.testing.assert_allclose(out, 1 / (1 + np.exp(-z)), rtol=1e-6)
    finally:
        plan.give_workspace(16, ws)


@pytest.mark.parametrize("variant", ["sample_weight", "batchnorm", "frozen"])
def test_bitwise_with_sample_weights_batchnorm_frozen_layers(variant, monkeypatch):
    kw = {variant: True}
    a, ha = _train("huber_relu_adam", True, "float32", monkeypatch, **kw)
    assert a._engine.custom_plan is not None
    b, hb = _train("huber_relu_adam", False, "float32", monkeypatch, **kw)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert ha == hb


def test_dropout_trains_and_evaluates(monkeypatch):
    """With Dropout the engine draws its masks from the stream the layer path draws from
    (keyed by the layer's seed and the step): the same weights and losses, bit for bit."""
    x, y = _data("regression", 100, "float32")
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.3), layers.Dense(2)])
        m.compile(optimizer="adam", loss=huber)
        h = m.fit(x, y, epochs=20, batch_size=16, verbose=0)
        assert (m._engine.custom_plan is not None) == fused
        assert h.history["loss"][-1] < h.history["loss"][0]
        assert m.evaluate(x, y, verbose=0) == pytest.approx(
            float(np.mean(np.asarray(huber(y, m.predict(x, verbose=0))))), rel=1e-5)
        runs.append((m.get_weights(), h.history))
    for u, v in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(u, v)
    assert runs[0][1] == runs[1][1]


def test_models_that_do_not_lower_keep_the_layer_path(monkeypatch):
    x, y = _data("regression", 64, "float32")
    inp = keras.Input((6,))
    h = layers.Dense(4)(inp)            # a branch that starts at an Activation
    m = keras.Model(inp, layers.Dense(2)(layers.Concatenate()(
        [h, layers.Dense(3)(layers.Activation("tanh")(inp))])))
    m.compile(optimizer="adam", loss=huber)
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.custom_plan is None
    # a built-in loss keeps the fused engine's whole-epoch path
    s = keras.Sequential([keras.Input((6,)), layers.Dense(2)])
    s.compile(optimizer="adam", loss="mse")
    s.fit(x, y, epochs=1, verbose=0)
    assert s._engine.custom_plan is None and s._engine.plan is not None


def test_a_wide_and_deep_model_takes_a_custom_loss_on_the_engine(monkeypatch):
    x, y = _data("regression", 64, "float64")
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(4)
        inp = keras.Input((6,), dtype="float64")
        h = layers.Dense(4, activation="relu", dtype="float64")(inp)
        m = keras.Model(inp, layers.Dense(2, dtype="float64")(
            layers.Concatenate(dtype="float64")([inp, h])))
        m.compile(optimizer="adam", loss=huber)
        m.fit(x, y, epochs=2, batch_size=16, verbose=0)
        if fused:
            assert m._engine.custom_plan is not None
        out.append(m.get_weights())
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_read_only_inputs_and_the_interrupt_guarantee(monkeypatch):
    """Read-only (memory-mapped) data trains without a copy error, and a step is whole:
    the weights and the step count agree after fit."""
    x, y = _data("regression", 64, "float32")
    x.setflags(write=False)
    y.setflags(write=False)
    keras.utils.set_random_seed(4)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(2)])
    m.compile(optimizer="sgd", loss=huber)
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert m._engine.custom_plan is not None
    assert int(m.optimizer.iterations) == 8
