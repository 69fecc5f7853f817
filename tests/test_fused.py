"""The fused C engine (fastnn/engine.py + csrc/train.c) against the layer-by-layer path.

Both paths call the same C kernels (dense forward/backward, loss, optimizer updates) in
the same order on the same batches, so with one seed they must give bitwise the same
weights, predictions and per-batch numbers. The only differences allowed are in the
float64 bookkeeping of reported values, each explained where its tolerance is set.
"""
import math

import numpy as np
import pytest

import fastnn
from fastnn import engine
from fastnn import callbacks as cbs
from fastnn import layers as L
from fastnn import losses as Lo
from fastnn import optimizers as O
from fastnn import regularizers as R
from fastnn._codes import ACTIVATIONS
from fastnn.optimizers import schedules

# Reported losses: the layer path accumulates (batch_sum / n) * n per batch, the engine
# the batch sum itself, so a loss can differ by a rounding of that float64 division and
# multiplication (~1 ulp of a double per batch); everything else is the same arithmetic.
LOSS_RTOL = 1e-13
# With regularizers the penalty is summed differently: NumPy's pairwise
# np.abs(w).sum(dtype=float64) per weight (regularizers.py) vs a sequential float64 loop
# (fnn_reg_loss in csrc/train_impl.inc), and layer sums associated differently. Both are
# float64 sums of a few hundred terms: relative error ~n*eps = 1e-13 at most.
REG_RTOL = 1e-12
# mse/mae metrics: the layer path takes per-row means with NumPy (pairwise sums) and sums
# the batch in float64; the engine sums sequentially in float64 (fnn_metrics): again only
# a float64 summation order.
METRIC_RTOL = 1e-12
# Except after a sigmoid folded into the loss: the model's output comes from the
# activation kernel (8-lane AVX2 sigmoid for float32, csrc/act_avx2.inc) while the engine
# recomputes sigmoid(logit) for mse/mae with a scalar libm expression (fnn_metrics in
# csrc/train_impl.inc). In float32 those differ by an ulp or two (~1e-7 relative) per
# value; the float64 forms agree to ~1e-16.
FOLDED_SIGMOID_METRIC_RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): METRIC_RTOL}


# ------------------------------------------------------------------------ helpers
def _data(n=97, d=6, k=3, kind="sparse", seed=1, dtype=np.float32):
    """(x, y) for a k-output model: kind sparse | onehot | binary | multilabel | regression."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, d)).astype(dtype)
    if kind == "sparse":
        y = r.integers(0, k, n)
    elif kind == "onehot":
        y = np.eye(k, dtype=dtype)[r.integers(0, k, n)]
    elif kind in ("binary", "multilabel"):
        y = (r.random((n, k)) < 0.5).astype(dtype)
    else:
        y = (x[:, :k] * 0.5 + 0.1 * r.standard_normal((n, k))).astype(dtype)
    return x, y


def _mlp(d=6, k=3, hidden=(8,), act="tanh", out_act=None, dtype=None, **dense_kw):
    layers = [L.Input((d,), dtype=dtype)]
    for h in hidden:
        layers.append(L.Dense(h, activation=act, **dense_kw))
    layers.append(L.Dense(k, activation=out_act, **dense_kw))
    return fastnn.Sequential(layers)


def _train(monkeypatch, fused, make_model, compile_kw, x, y, seed=0, **fit_kw):
    """Seed, build, compile (compile_kw() gives fresh optimizer/loss objects) and fit on
    one path; checks that the path asked for is the one that ran."""
    monkeypatch.setattr(engine, "ENABLED", fused)
    fastnn.utils.set_random_seed(seed)
    model = make_model()
    model.compile(**compile_kw())
    fit_kw.setdefault("verbose", 0)
    hist = model.fit(x, y, **fit_kw)
    if fused:
        assert model._engine.fit_plan is not None, f"plan refused: {model._engine.why}"
    else:
        assert model._engine.fit_plan is None
    return model, hist.history


def _both(monkeypatch, make_model, compile_kw, x, y, seed=0, **fit_kw):
    a = _train(monkeypatch, True, make_model, compile_kw, x, y, seed, **dict(fit_kw))
    b = _train(monkeypatch, False, make_model, compile_kw, x, y, seed, **dict(fit_kw))
    return a, b


def assert_same_weights(wa, wb):
    assert len(wa) == len(wb)
    for i, (a, b) in enumerate(zip(wa, wb)):
        assert a.dtype == b.dtype and a.shape == b.shape
        if not np.array_equal(a, b, equal_nan=True):
            raise AssertionError(f"weight {i} differs: max |diff| "
                                 f"{np.nanmax(np.abs(a.astype(np.float64) - b)):.3g}")


def assert_same_logs(la, lb, loss_rtol=LOSS_RTOL, metric_rtol=METRIC_RTOL):
    """Two history dicts (or logs dicts): same keys; accuracies (counts / n) exactly equal,
    losses and error metrics to the float64 bookkeeping tolerances above."""
    assert sorted(la) == sorted(lb)
    for key in la:
        a, b = np.atleast_1d(np.asarray(la[key], float)), np.atleast_1d(np.asarray(lb[key], float))
        assert a.shape == b.shape, key
        if "acc" in key:
            np.testing.assert_array_equal(a, b, err_msg=key)
        else:
            rtol = loss_rtol if key.endswith("loss") else metric_rtol
            np.testing.assert_allclose(a, b, rtol=rtol, atol=0, err_msg=key)


def _weights_changed(model, before):
    return any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


# ------------------------------------------------------------------------ optimizers
OPTIMIZERS = {
    "sgd": lambda: O.SGD(0.1),
    "sgd_momentum": lambda: O.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
    "sgd_wd": lambda: O.SGD(0.05, momentum=0.5, weight_decay=0.01),
    "adam": lambda: O.Adam(0.01),
    "adam_wd": lambda: O.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-5, weight_decay=0.02),
    "adamw": lambda: O.AdamW(0.01),
    "rmsprop": lambda: O.RMSprop(0.01),
    "rmsprop_momentum": lambda: O.RMSprop(0.005, momentum=0.7),
    "rmsprop_centered": lambda: O.RMSprop(0.005, centered=True),
    "rmsprop_centered_momentum_wd": lambda: O.RMSprop(0.005, rho=0.8, momentum=0.5,
                                                      centered=True, weight_decay=0.01),
    "adagrad": lambda: O.Adagrad(0.1),
    "adagrad_wd": lambda: O.Adagrad(0.1, initial_accumulator_value=0.5, weight_decay=0.01),
    "sgd_expdecay": lambda: O.SGD(schedules.ExponentialDecay(0.2, decay_steps=5, decay_rate=0.5)),
    "adam_expdecay_staircase": lambda: O.Adam(schedules.ExponentialDecay(
        0.02, decay_steps=4, decay_rate=0.7, staircase=True)),
    "rmsprop_callable_lr": lambda: O.RMSprop(lambda step: 0.01 / (1.0 + step)),
    "adam_amsgrad": lambda: O.Adam(0.01, amsgrad=True),
    "adamw_amsgrad": lambda: O.AdamW(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-5,
                                     amsgrad=True),
    "adadelta": lambda: O.Adadelta(1.0),
    "adadelta_wd": lambda: O.Adadelta(0.5, rho=0.9, epsilon=1e-6, weight_decay=0.01),
    "lion": lambda: O.Lion(0.003),
    "lion_wd_clipnorm": lambda: O.Lion(0.003, beta_1=0.8, beta_2=0.95, weight_decay=0.01,
                                       clipnorm=0.5),
    "adadelta_cosine_restarts": lambda: O.Adadelta(schedules.CosineDecayRestarts(
        1.0, 5, t_mul=1.5, m_mul=0.8, alpha=0.1)),
    "lion_polynomial": lambda: O.Lion(schedules.PolynomialDecay(0.005, 8, 0.001, power=0.5,
                                                                cycle=True)),
    "adam_amsgrad_cosine_warmup": lambda: O.Adam(schedules.CosineDecay(
        0.0, 10, alpha=0.1, warmup_target=0.02, warmup_steps=6), amsgrad=True),
}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_optimizers_fused_equals_layer_path(monkeypatch, opt, dtype):
    x, y = _data(dtype=dtype)
    compile_kw = lambda: dict(optimizer=OPTIMIZERS[opt](), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    make = lambda: _mlp(out_act="softmax", dtype=dtype.name)
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=13, epochs=3)
    assert ma.get_weights()[0].dtype == dtype
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    assert ma.optimizer.iterations == mb.optimizer.iterations == 3 * math.ceil(97 / 13)
    # The optimizer slots are the same arrays the engine updated in place.
    assert_same_weights(ma.optimizer.get_state()[1:], mb.optimizer.get_state()[1:])


@pytest.mark.parametrize("opt", ["sgd_momentum", "adam", "rmsprop_centered_momentum_wd"])
def test_learning_rate_changed_between_fits(monkeypatch, opt):
    x, y = _data(kind="regression", k=2)
    results = []
    for fused in (True, False):
        model, _ = _train(monkeypatch, fused, lambda: _mlp(k=2), lambda: dict(
            optimizer=OPTIMIZERS[opt](), loss="mse"), x, y, batch_size=16, epochs=2)
        model.optimizer.learning_rate = 0.5 * model.optimizer.learning_rate
        h = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        w = model.get_weights()
        model.optimizer.learning_rate = 0.0
        h0 = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        if opt == "adam":
            # Adam's step is alpha_t * m / (sqrt(v) + eps) with alpha_t = 0: no change.
            # (Momentum optimizers keep moving on their velocity.)
            assert_same_weights(model.get_weights(), w)
        results.append((model.get_weights(), h.history, h0.history))
    assert_same_weights(results[0][0], results[1][0])
    assert_same_logs(results[0][1], results[1][1])
    assert_same_logs(results[0][2], results[1][2])


def test_schedule_assigned_after_a_fit(monkeypatch):
    """A float learning rate replaced by a schedule between two fits (the setter allows
    it): the second fit must follow the schedule on both paths."""
    x, y = _data(kind="regression", k=2)
    results = []
    for fused in (True, False):
        model, _ = _train(monkeypatch, fused, lambda: _mlp(k=2), lambda: dict(
            optimizer=O.SGD(0.05), loss="mse"), x, y, batch_size=16, epochs=1)
        model.optimizer.learning_rate = schedules.ExponentialDecay(0.1, 3, 0.5)
        h = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append((model.get_weights(), h.history))
    assert_same_weights(results[0][0], results[1][0])
    assert_same_logs(results[0][1], results[1][1])


def test_recompile_with_another_optimizer_rebuilds_the_plan(monkeypatch):
    x, y = _data()
    results = []
    for fused in (True, False):
        model, _ = _train(monkeypatch, fused, lambda: _mlp(out_act="softmax"), lambda: dict(
            optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy"), x, y,
            batch_size=20, epochs=1)
        plan1 = model._engine.fit_plan
        model.compile(optimizer=O.RMSprop(0.01, momentum=0.3), loss=Lo.SparseCategoricalCrossentropy(),
                      metrics=["accuracy"])
        h = model.fit(x, y, batch_size=20, epochs=2, verbose=0)
        if fused:
            assert model._engine.fit_plan is not None and model._engine.fit_plan is not plan1
        results.append((model.get_weights(), h.history))
    assert_same_weights(results[0][0], results[1][0])
    assert_same_logs(results[0][1], results[1][1])


# ------------------------------------------------------------------------ losses
# (loss factory, output units, output activation, label kind, metrics)
LOSS_CASES = {
    "scce_logits": (lambda: Lo.SparseCategoricalCrossentropy(from_logits=True), 3, None, "sparse",
                    ["accuracy"]),
    "scce_softmax_folded": (lambda: "sparse_categorical_crossentropy", 3, "softmax", "sparse",
                            ["accuracy"]),
    # Not softmax: the engine must use the probability form (Keras normalises the rows).
    "scce_probs_sigmoid": (lambda: Lo.SparseCategoricalCrossentropy(), 3, "sigmoid", "sparse",
                           ["accuracy"]),
    "cce_logits": (lambda: Lo.CategoricalCrossentropy(from_logits=True), 3, None, "onehot",
                   ["accuracy", "mse"]),
    "cce_softmax_folded": (lambda: "categorical_crossentropy", 3, "softmax", "onehot", ["accuracy"]),
    # (binary accuracy on a logits output: test_binary_accuracy_on_logits_output)
    "bce_logits": (lambda: Lo.BinaryCrossentropy(from_logits=True), 1, None, "binary",
                   ["mse", "mae"]),
    "bce_sigmoid_folded": (lambda: "binary_crossentropy", 1, "sigmoid", "binary",
                           ["accuracy", "mse", "mae"]),
    "bce_multilabel_folded": (lambda: Lo.BinaryCrossentropy(), 3, "sigmoid", "multilabel",
                              ["accuracy"]),
    "bce_probs_hard_sigmoid": (lambda: Lo.BinaryCrossentropy(), 1, "hard_sigmoid", "binary",
                               ["accuracy"]),
    "mse_linear": (lambda: "mse", 2, None, "regression", ["mae"]),
    "mse_relu": (lambda: Lo.MeanSquaredError(), 2, "relu", "regression", ["mse", "mae"]),
    "mse_sigmoid": (lambda: Lo.MeanSquaredError(), 2, "sigmoid", "regression", ["mae"]),
    "mae_linear": (lambda: "mae", 2, None, "regression", ["mse"]),
    "mae_tanh": (lambda: Lo.MeanAbsoluteError(), 1, "tanh", "regression", []),
    "huber_linear": (lambda: Lo.Huber(delta=0.3), 2, None, "regression", ["mse", "mae"]),
    "huber_relu": (lambda: Lo.Huber(), 2, "relu", "regression", ["mae"]),
    "huber_sigmoid": (lambda: Lo.Huber(delta=2.0), 2, "sigmoid", "regression", []),
}


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_losses_fused_equals_layer_path(monkeypatch, case, dtype):
    loss, k, out_act, kind, metrics = LOSS_CASES[case]
    x, y = _data(k=k, kind=kind, dtype=dtype)
    compile_kw = lambda: dict(optimizer=O.Adam(0.02), loss=loss(), metrics=list(metrics))
    make = lambda: _mlp(k=k, out_act=out_act, dtype=dtype.name, hidden=(8, 5))
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=11, epochs=3)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    folded = ma._engine.fit_plan.on_logits and out_act == "sigmoid"
    mrtol = FOLDED_SIGMOID_METRIC_RTOL[dtype] if folded else METRIC_RTOL
    assert_same_logs(ha, hb, metric_rtol=mrtol)
    assert all(np.isfinite(v).all() for v in ha.values())
    # ... and the same model evaluated / predicted on each path.
    monkeypatch.setattr(engine, "ENABLED", True)
    ea, pa = ma.evaluate(x, y, batch_size=17, verbose=0, return_dict=True), ma.predict(x, verbose=0)
    monkeypatch.setattr(engine, "ENABLED", False)
    eb, pb = ma.evaluate(x, y, batch_size=17, verbose=0, return_dict=True), ma.predict(x, verbose=0)
    assert_same_logs(ea, eb, metric_rtol=mrtol)
    assert_same_weights([pa], [pb])


def test_binary_accuracy_on_logits_output(monkeypatch, dtype):
    """BinaryCrossentropy(from_logits=True) on a linear output: the model outputs logits,
    and Keras' BinaryAccuracy thresholds the model output itself (y_pred > 0.5), as the
    layer path does. The engine must not apply a sigmoid first (it may only do so when a
    sigmoid output layer was folded into the loss)."""
    x, y = _data(k=1, kind="binary", dtype=dtype)
    compile_kw = lambda: dict(optimizer=O.Adam(0.02), loss=Lo.BinaryCrossentropy(from_logits=True),
                              metrics=["accuracy"])
    make = lambda: _mlp(k=1, dtype=dtype.name)
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=11, epochs=3)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    out = ma.predict(x, verbose=0)
    monkeypatch.setattr(engine, "ENABLED", True)
    acc = ma.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert acc == np.mean((out > 0.5) == y)


def test_metric_accuracy_resolution(monkeypatch):
    """'accuracy' resolves to binary / sparse / categorical exactly as on the layer path."""
    expect = {"bce_sigmoid_folded": "BinaryAccuracy", "scce_logits": "SparseCategoricalAccuracy",
              "cce_softmax_folded": "CategoricalAccuracy"}
    for case, cls in expect.items():
        loss, k, out_act, kind, _ = LOSS_CASES[case]
        x, y = _data(k=k, kind=kind)
        model, _ = _train(monkeypatch, True, lambda: _mlp(k=k, out_act=out_act), lambda: dict(
            optimizer="adam", loss=loss(), metrics=["accuracy", "acc"]), x, y, epochs=1)
        assert [type(m).__name__ for m in model._metrics] == [cls, cls]
        code = {"BinaryAccuracy": engine._METRIC_BIN_ACC,
                "SparseCategoricalAccuracy": engine._METRIC_SPARSE_ACC,
                "CategoricalAccuracy": engine._METRIC_CAT_ACC}[cls]
        assert model._engine.fit_plan.metric_code == code


# ------------------------------------------------------------------------ activations
# Every kernel by its Keras name: gelu_tanh is gelu(approximate=True), relu_general is
# relu with options and threshold needs its parameters (tests/test_activation_kernels.py
# trains those with their parameters).
HIDDEN_ACTS = sorted(a for a in ACTIVATIONS
                     if a not in ("gelu_tanh", "relu_general", "threshold")) + ["swish"]


@pytest.mark.parametrize("act", HIDDEN_ACTS)
def test_hidden_activations_fused_equals_layer_path(monkeypatch, act):
    x, y = _data()
    compile_kw = lambda: dict(optimizer=O.SGD(0.05, momentum=0.5),
                              loss=Lo.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
    # Two stacked exponentials overflow float32 within a few steps: one of them then.
    make = lambda: _mlp(act=act, hidden=(8,) if act == "exponential" else (8, 7))
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=13, epochs=2)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    assert np.isfinite(ha["loss"]).all()


def _act_layer(name, **params):
    """An Activation layer with non-default parameters. The public layers for these
    (LeakyReLU, ELU) are subclasses; the plan folds only a plain Activation, so the
    parameters are set the way those subclasses set them."""
    layer = L.Activation(name)
    layer.activation_params = dict(params)
    return layer


@pytest.mark.parametrize("act_layer", [
    lambda: L.Activation("tanh"),
    lambda: L.Activation("leaky_relu"),
    lambda: _act_layer("leaky_relu", negative_slope=0.05),
    lambda: _act_layer("elu", alpha=0.4),
    lambda: _act_layer("gelu", approximate=False),
    lambda: _act_layer("gelu", approximate=True),
], ids=["tanh", "leaky_relu_default", "leaky_relu_0.05", "elu_0.4", "gelu_erf", "gelu_tanh"])
def test_activation_layer_folded_into_the_dense(monkeypatch, act_layer, dtype):
    x, y = _data(dtype=dtype)
    make = lambda: fastnn.Sequential([L.Input((6,), dtype=dtype.name), L.Dense(8), act_layer(),
                                      L.Dense(3), L.Activation("softmax")])
    compile_kw = lambda: dict(optimizer=O.Adam(0.02), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=13, epochs=3)
    plan = ma._engine.fit_plan
    assert len(plan.specs) == 2 and plan.on_logits            # both Activations folded
    name = ma.layers[1].activation_name
    params = ma.layers[1].activation_params
    expect = {"leaky_relu": params.get("negative_slope", 0.2), "elu": params.get("alpha", 1.0)}
    assert plan.specs[0]["act_param"] == expect.get(name, 0.0)
    if name == "gelu":
        want = "gelu_tanh" if params.get("approximate") else "gelu"
        assert plan.specs[0]["act_name"] == want and plan.specs[0]["act"] == ACTIVATIONS[want][0]
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


@pytest.mark.parametrize("layer", [lambda: L.LeakyReLU(negative_slope=0.05), lambda: L.ELU(alpha=0.4),
                                   lambda: L.ReLU()], ids=["LeakyReLU", "ELU", "ReLU"])
def test_activation_subclass_layers_train_the_same(monkeypatch, layer):
    """keras.layers.LeakyReLU / ELU / ReLU after a linear Dense: whichever path the plan
    picks, the numbers are the layer path's (and the custom slope/alpha is used)."""
    x, y = _data(kind="regression", k=2)
    make = lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8), layer(), L.Dense(2)])
    compile_kw = lambda: dict(optimizer=O.SGD(0.05), loss="mse")
    monkeypatch.setattr(engine, "ENABLED", True)
    fastnn.utils.set_random_seed(0)
    ma = make()
    ma.compile(**compile_kw())
    ha = ma.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    mb, hb = _train(monkeypatch, False, make, compile_kw, x, y, batch_size=16, epochs=2)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


# ------------------------------------------------------------------------ regularizers
@pytest.mark.parametrize("kreg,breg", [
    (lambda: R.L1(0.01), None),
    (lambda: R.L2(0.02), None),
    (lambda: R.L1L2(0.005, 0.01), lambda: R.L1L2(0.01, 0.02)),
    (None, lambda: R.L2(0.05)),
    (lambda: "l2", lambda: "l1"),
], ids=["l1_kernel", "l2_kernel", "l1l2_both", "l2_bias", "names"])
def test_regularizers_fused_equals_layer_path(monkeypatch, kreg, breg, dtype):
    x, y = _data(dtype=dtype)
    kw = {}
    if kreg:
        kw["kernel_regularizer"] = kreg
    if breg:
        kw["bias_regularizer"] = breg

    def make():
        return _mlp(out_act="softmax", dtype=dtype.name, hidden=(8, 5),
                    **{k: v() for k, v in kw.items()})

    compile_kw = lambda: dict(optimizer=O.SGD(0.1, momentum=0.5),
                              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=13, epochs=3,
                               validation_split=0.2)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb, loss_rtol=REG_RTOL)
    # The penalty is in the reported loss on both paths: it is not the plain data loss.
    monkeypatch.setattr(engine, "ENABLED", True)
    ea = ma.evaluate(x, y, verbose=0, return_dict=True)
    monkeypatch.setattr(engine, "ENABLED", False)
    eb = ma.evaluate(x, y, verbose=0, return_dict=True)
    assert_same_logs(ea, eb, loss_rtol=REG_RTOL)
    penalty = sum(layer.regularization_loss() for layer in ma.layers)
    data_loss = Lo.SparseCategoricalCrossentropy()(y, ma.predict(x, verbose=0))
    assert penalty > 0
    np.testing.assert_allclose(ea["loss"], data_loss + penalty, rtol=1e-5 if dtype == np.float32 else 1e-12)


# ------------------------------------------------------------------------ weights, validation
@pytest.mark.parametrize("case", ["scce_softmax_folded", "bce_sigmoid_folded", "mse_relu",
                                  "cce_logits"])
def test_sample_and_class_weight(monkeypatch, case, dtype):
    loss, k, out_act, kind, metrics = LOSS_CASES[case]
    x, y = _data(k=k, kind=kind, dtype=dtype)
    sw = np.random.default_rng(5).uniform(0, 2, len(x)).astype(dtype)
    sw[::7] = 0
    compile_kw = lambda: dict(optimizer=O.Adam(0.02), loss=loss(), metrics=list(metrics))
    make = lambda: _mlp(k=k, out_act=out_act, dtype=dtype.name)
    mrtol = FOLDED_SIGMOID_METRIC_RTOL[dtype] if out_act == "sigmoid" else METRIC_RTOL
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=10, epochs=2,
                               sample_weight=sw)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb, metric_rtol=mrtol)
    (mc, hc), _ = _both(monkeypatch, make, compile_kw, x, y, batch_size=10, epochs=2)
    assert not np.allclose(hc["loss"], ha["loss"])              # the weights mattered
    if kind != "regression":
        cw = {0: 0.5, 1: 2.0, 2: 1.5}
        (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=10, epochs=2,
                                   class_weight=cw, sample_weight=sw)
        assert_same_weights(ma.get_weights(), mb.get_weights())
        assert_same_logs(ha, hb, metric_rtol=mrtol)


@pytest.mark.parametrize("val", ["split", "data", "data_weighted"])
def test_validation_metrics(monkeypatch, val, dtype):
    x, y = _data(n=150, k=3, kind="onehot", dtype=dtype)
    xv, yv = _data(n=41, k=3, kind="onehot", seed=9, dtype=dtype)
    fit_kw = dict(batch_size=16, epochs=3)
    if val == "split":
        fit_kw["validation_split"] = 0.3
    elif val == "data":
        fit_kw.update(validation_data=(xv, yv), validation_batch_size=7)
    else:
        fit_kw["validation_data"] = (xv, yv, np.linspace(0, 2, len(xv)))
    compile_kw = lambda: dict(optimizer=O.RMSprop(0.01),
                              loss=Lo.CategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy", "mae"])
    make = lambda: _mlp(k=3, dtype=dtype.name)
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, **fit_kw)
    assert sorted(ha) == ["accuracy", "loss", "mae", "val_accuracy", "val_loss", "val_mae"]
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


# ------------------------------------------------------------------------ the training loop
def _cls_setup(dtype=np.float32):
    x, y = _data(dtype=dtype)
    compile_kw = lambda: dict(optimizer=O.Adam(0.02), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    return x, y, compile_kw, (lambda: _mlp(out_act="softmax", dtype=np.dtype(dtype).name))


def test_shuffle_false_and_initial_epoch(monkeypatch):
    x, y, compile_kw, make = _cls_setup()
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=12, epochs=3,
                               shuffle=False)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    # Without shuffling the batches do not depend on the RNG: another seed for the
    # fastnn generator after building gives the same result.
    monkeypatch.setattr(engine, "ENABLED", True)
    fastnn.utils.set_random_seed(0)
    mc = make()
    mc.compile(**compile_kw())
    fastnn.utils.set_random_seed(123)
    mc.fit(x, y, batch_size=12, epochs=3, shuffle=False, verbose=0)
    assert_same_weights(ma.get_weights(), mc.get_weights())
    # initial_epoch=2, epochs=5: three epochs, logged as epochs 2, 3, 4.
    seen = {}
    for fused in (True, False):
        epochs = []
        cb = cbs.LambdaCallback(on_epoch_begin=lambda e, logs=None: epochs.append(e))
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=12, epochs=5,
                      initial_epoch=2, callbacks=[cb])
        assert epochs == [2, 3, 4] and len(h["loss"]) == 3
        assert m.optimizer.iterations == 3 * math.ceil(len(x) / 12)
        seen[fused] = (m.get_weights(), h)
    assert_same_weights(seen[True][0], seen[False][0])
    assert_same_logs(seen[True][1], seen[False][1])
    # ... which is the same as three epochs from 0.
    assert_same_weights(seen[True][0], _train(monkeypatch, True, make, compile_kw, x, y,
                                              batch_size=12, epochs=3)[0].get_weights())


@pytest.mark.parametrize("fused", [True, False])
def test_batch_larger_than_the_data_is_one_batch_of_all(monkeypatch, fused):
    """Keras takes batch_size > len(x) as one batch of every row; the engine sizes its
    workspace to the rows there are (10**12 rows of scratch would be terabytes)."""
    x, y, compile_kw, make = _cls_setup()
    n, huge = len(x), 10**12
    ref, href = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=n, epochs=2,
                       validation_split=0.25, validation_batch_size=n)
    m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=huge, epochs=2,
                  validation_split=0.25, validation_batch_size=huge)
    assert m.optimizer.iterations == 2
    assert_same_weights(m.get_weights(), ref.get_weights())
    assert_same_logs(h, href)
    np.testing.assert_array_equal(m.predict(x, batch_size=huge, verbose=0),
                                  ref.predict(x, batch_size=n, verbose=0))
    assert m.evaluate(x, y, batch_size=huge, verbose=0) == \
        ref.evaluate(x, y, batch_size=n, verbose=0)
    # The same through the per-epoch path (a callback between epochs).
    m2, _ = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=huge, epochs=2,
                   validation_split=0.25, validation_batch_size=huge,
                   callbacks=[cbs.LambdaCallback(on_epoch_end=lambda e, logs=None: None)])
    assert_same_weights(m2.get_weights(), ref.get_weights())


def test_early_stopping_same_epoch(monkeypatch):
    x, _, compile_kw, make = _cls_setup()
    # Noisy but learnable labels: the validation loss improves for an epoch or more, then
    # the fast optimizer overfits, so training stops early and restores an older epoch.
    noise = np.random.default_rng(5).standard_normal((len(x), 3))
    y = np.argmax(x[:, :3] + 0.8 * noise, axis=1)
    runs = []
    for fused in (True, False):
        es = cbs.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=8, epochs=40,
                      validation_split=0.25, callbacks=[es])
        runs.append((m.get_weights(), h, es.stopped_epoch, es.best_epoch))
    assert 0 < runs[0][3] < runs[0][2] < 39         # stopped early, restored an older epoch
    assert runs[0][2:] == runs[1][2:]
    assert_same_weights(runs[0][0], runs[1][0])
    assert_same_logs(runs[0][1], runs[1][1])


class _BatchRecorder(cbs.Callback):
    """Records every batch hook: index, logs and (at batch end) a copy of the weights."""

    def __init__(self):
        super().__init__()
        self.begins, self.ends, self.weights = [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append((batch, dict(logs)))
        self.weights.append(self.model.get_weights())


@pytest.mark.parametrize("dtype_", [np.float32, np.float64], ids=["f32", "f64"])
def test_batch_callback_sees_every_step(monkeypatch, dtype_):
    """A callback with on_train_batch_end: the engine runs one step per C call, so the
    callback sees batches 0..steps-1 each epoch, with the layer path's running logs and
    weights after exactly that step."""
    x, y, compile_kw, make = _cls_setup(dtype_)
    rec = {}
    for fused in (True, False):
        r = _BatchRecorder()
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=20, epochs=2,
                      callbacks=[r])
        rec[fused] = (r, m, h)
    ra, rb = rec[True][0], rec[False][0]
    steps = math.ceil(len(x) / 20)
    assert ra.begins == rb.begins == list(range(steps)) * 2
    assert [b for b, _ in ra.ends] == [b for b, _ in rb.ends] == list(range(steps)) * 2
    for (_, la), (_, lb), wa, wb in zip(ra.ends, rb.ends, ra.weights, rb.weights):
        assert_same_logs(la, lb)
        assert_same_weights(wa, wb)
    # The epoch logs are the last batch's running logs.
    assert rec[True][2]["loss"][-1] == ra.ends[-1][1]["loss"]
    assert_same_logs(rec[True][2], rec[False][2])


def test_on_batch_end_keras2_name_counts_as_a_batch_hook(monkeypatch):
    """A callback overriding only the Keras 2 name on_batch_end is still called for every
    batch on the fused path."""
    x, y, compile_kw, make = _cls_setup()

    class Old(cbs.Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    cb = Old()
    _train(monkeypatch, True, make, compile_kw, x, y, batch_size=25, epochs=1, callbacks=[cb])
    assert cb.batches == [0, 1, 2, 3]


def test_verbose_progress_bar_does_not_change_numbers(monkeypatch, capsys):
    """verbose=1 makes the engine run time-sliced chunks of steps for the progress bar;
    the numbers are those of verbose=0 (one C call per epoch) and of the layer path."""
    x, y, compile_kw, make = _cls_setup()
    m0, h0 = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=5, epochs=2)
    monkeypatch.setattr(engine, "_PROGRESS_INTERVAL_S", 0.0)    # force 1-step chunks
    m1, h1 = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=5, epochs=2, verbose=1)
    monkeypatch.setattr(engine, "_PROGRESS_INTERVAL_S", 1e3)    # whole epoch in one chunk
    m2, h2 = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=5, epochs=2, verbose=1)
    mb, hb = _train(monkeypatch, False, make, compile_kw, x, y, batch_size=5, epochs=2, verbose=1)
    assert "Epoch 2/2" in capsys.readouterr().out
    for m, h in ((m1, h1), (m2, h2), (mb, hb)):
        assert_same_weights(m0.get_weights(), m.get_weights())
        assert_same_logs(h0, h)


def test_terminate_on_nan_stops_at_the_same_batch(monkeypatch):
    x, y = _data(kind="regression", k=2)
    x = x * 100
    make = lambda: _mlp(k=2, act="relu", hidden=(16,))
    compile_kw = lambda: dict(optimizer=O.SGD(1e6), loss="mse")
    runs = []
    for fused in (True, False):
        rec = _BatchRecorder()
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=10, epochs=5,
                      callbacks=[cbs.TerminateOnNaN(), rec])
        runs.append((m, h, rec))
    (ma, ha, ra), (mb, hb, rb) = runs
    stop = [b for b, _ in ra.ends]
    assert stop == [b for b, _ in rb.ends]
    assert len(ha["loss"]) == len(hb["loss"]) == 1           # stopped in the first epoch
    assert 0 < len(stop) < math.ceil(len(x) / 10)            # ... before its last batch
    assert not np.isfinite(ra.ends[-1][1]["loss"]) and not np.isfinite(rb.ends[-1][1]["loss"])
    assert all(np.isfinite(l["loss"]) for _, l in ra.ends[:-1])
    assert ma.optimizer.iterations == mb.optimizer.iterations == len(stop)
    assert_same_weights(ma.get_weights(), mb.get_weights())


# ------------------------------------------------------------------------ dropout
def _dropout_model(rate=0.3, seed=None, d=6, k=3):
    """Dense-Dropout-Dense-Dropout-Dense; seed (if given) seeds both Dropout layers."""
    return fastnn.Sequential([L.Input((d,)), L.Dense(16, activation="relu"),
                              L.Dropout(rate, seed=seed), L.Dense(12, activation="tanh"),
                              L.Dropout(rate / 2, seed=None if seed is None else seed + 1),
                              L.Dense(k, activation="softmax")])


def _no_dropout_twin():
    return fastnn.Sequential([L.Input((6,)), L.Dense(16, activation="relu"),
                              L.Dense(12, activation="tanh"), L.Dense(3, activation="softmax")])


def test_dropout_fused_training(monkeypatch, set_threads):
    """The engine draws its own counter-based masks (not the layer path's), so compare
    the fused path with itself: reproducible, different from no dropout, thread-free."""
    x, y, compile_kw, _ = _cls_setup()

    def run(make, seed=0, **kw):
        return _train(monkeypatch, True, make, compile_kw, x, y, seed=seed, batch_size=13,
                      epochs=3, **kw)

    ma, ha = run(_dropout_model)
    assert [s["dropout"] for s in ma._engine.fit_plan.specs] == [0.3, 0.15, 0.0]
    mb, hb = run(_dropout_model)                       # same seed: bitwise the same
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert ha == hb
    mt, ht = run(_no_dropout_twin)                     # same initial weights, no dropout
    assert not np.array_equal(ma.get_weights()[0], mt.get_weights()[0])
    assert ha["loss"] != ht["loss"]
    m0, h0 = run(lambda: _dropout_model(rate=0.0))     # rate 0 is no dropout at all
    assert_same_weights(m0.get_weights(), mt.get_weights())
    assert h0 == ht
    # 1 vs 2 threads: the masks depend on (seed, step, layer, element) only.
    set_threads(1)
    m1, h1 = run(_dropout_model)
    set_threads(2)
    m2, h2 = run(_dropout_model)
    assert_same_weights(m1.get_weights(), m2.get_weights())
    assert_same_weights(ma.get_weights(), m2.get_weights())
    assert h1 == h2
    # Seeded Dropout layers: the masks follow the layer seeds, not the global generator.
    md1, _ = run(lambda: _dropout_model(seed=7), shuffle=False)
    md2, _ = run(lambda: _dropout_model(seed=8), shuffle=False)
    assert not np.array_equal(md1.get_weights()[0], md2.get_weights()[0])
    fastnn.utils.set_random_seed(0)
    md3 = _dropout_model(seed=7)                       # the same initial weights as md1
    md3.compile(**compile_kw())
    fastnn.utils.set_random_seed(99)                   # ... another global stream
    md3.fit(x, y, batch_size=13, epochs=3, verbose=0, shuffle=False)
    assert_same_weights(md1.get_weights(), md3.get_weights())


def test_dropout_ignored_by_predict_and_evaluate(monkeypatch):
    x, y, compile_kw, _ = _cls_setup()
    m, _ = _train(monkeypatch, True, lambda: _dropout_model(0.5), compile_kw, x, y,
                  batch_size=13, epochs=2)
    p1 = m.predict(x, verbose=0)
    e1 = m.evaluate(x, y, verbose=0, return_dict=True)
    assert_same_weights([p1], [m.predict(x, verbose=0)])            # deterministic
    assert_same_weights([p1], [m(x)])
    # Same numbers on the layer path (whose Dropout is the identity at inference) ...
    monkeypatch.setattr(engine, "ENABLED", False)
    assert_same_weights([p1], [m.predict(x, verbose=0)])
    assert_same_logs(e1, m.evaluate(x, y, verbose=0, return_dict=True))
    # ... and as the same weights without the Dropout layers.
    plain = _no_dropout_twin()
    plain.set_weights(m.get_weights())
    monkeypatch.setattr(engine, "ENABLED", True)
    assert_same_weights([p1], [plain.predict(x, verbose=0)])


# ------------------------------------------------------------------------ threads
@pytest.mark.parametrize("net", ["seed", "wide"])
def test_thread_count_does_not_change_training(monkeypatch, set_threads, net):
    if net == "seed":
        x, y, compile_kw, make = _cls_setup()
        fit_kw = dict(batch_size=13, epochs=3)
    else:
        # Wide enough that the GEMMs split across threads (256x512 at batch 128).
        r = np.random.default_rng(3)
        x = r.standard_normal((300, 256)).astype(np.float32)
        y = r.integers(0, 10, 300)
        compile_kw = lambda: dict(optimizer=O.Adam(1e-3), loss="sparse_categorical_crossentropy",
                                  metrics=["accuracy"])
        make = lambda: fastnn.Sequential([L.Input((256,)), L.Dense(512, activation="relu"),
                                          L.Dense(10, activation="softmax")])
        fit_kw = dict(batch_size=128, epochs=2)
    out = []
    for n in (1, 2):
        set_threads(n)
        m, h = _train(monkeypatch, True, make, compile_kw, x, y, **fit_kw)
        out.append((m.get_weights(), h, m.predict(x, verbose=0),
                    m.evaluate(x, y, verbose=0, return_dict=True)))
    assert_same_weights(out[0][0], out[1][0])
    assert out[0][1] == out[1][1]
    assert_same_weights([out[0][2]], [out[1][2]])
    assert out[0][3] == out[1][3]
    if net == "wide":
        # ... and the layer path at 2 threads agrees with both.
        mb, hb = _train(monkeypatch, False, make, compile_kw, x, y, **fit_kw)
        assert_same_weights(out[1][0], mb.get_weights())
        assert_same_logs(out[1][1], hb)


# ------------------------------------------------------------------------ refused models
@pytest.mark.parametrize("clip", [dict(clipvalue=0.01), dict(clipnorm=0.05), dict(clipnorm=50.0),
                                  dict(global_clipnorm=0.1), dict(global_clipnorm=0.1, frozen=1)],
                         ids=["value", "norm", "norm_unreached", "global", "global_frozen"])
@pytest.mark.parametrize("opt", ["Adam", "SGD", "RMSprop"])
def test_gradient_clipping_on_the_engine_gives_the_layer_path_bits(monkeypatch, dtype, clip, opt):
    """Keras' clipvalue, clipnorm and global_clipnorm run in the engine (after the
    regularizer terms, the global norm over every trained gradient) with the layer
    path's bits; a threshold that binds changes the result."""
    clip = dict(clip)
    frozen = clip.pop("frozen", None)
    x, y = _data(k=3, dtype=dtype)

    def make():
        m = _mlp(hidden=(8, 5), out_act="softmax", dtype=dtype.name,
                 kernel_regularizer=R.L2(0.01))
        if frozen is not None:
            m.layers[frozen].trainable = False
        return m

    kw = {"SGD": dict(momentum=0.5)}.get(opt, {})
    runs = []
    for fused in (True, False):
        compile_kw = lambda: dict(optimizer=getattr(O, opt)(0.05, **kw, **clip),
                                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        runs.append(_train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=2))
    (ma, ha), (mb, hb) = runs
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    plain = _train(monkeypatch, True, make, lambda: dict(
        optimizer=getattr(O, opt)(0.05, **kw), loss="sparse_categorical_crossentropy",
        metrics=["accuracy"]), x, y, batch_size=16, epochs=2)[0]
    same = all(np.array_equal(a, b) for a, b in zip(plain.get_weights(), ma.get_weights()))
    assert same == (clip == dict(clipnorm=50.0))


@pytest.mark.parametrize("placement", ["after_activation", "before_activation"])
@pytest.mark.parametrize("case", ["plain", "no_center", "no_scale", "regularized", "clipnorm",
                                  "global_clip", "frozen_first", "frozen_middle", "sgd"])
def test_batch_normalization_on_the_engine_gives_the_layer_path_bits(monkeypatch, dtype, case,
                                                                     placement):
    """Dense(act) -> BatchNormalization and Dense -> BatchNormalization -> Activation
    stages train on the engine with the layer path's bits (both run csrc/batchnorm.c):
    weights, moving statistics, history, predict on batches, evaluate."""
    x, y = _data(n=90, k=3, dtype=dtype)
    xp = np.random.default_rng(4).standard_normal((500, 6)).astype(dtype)
    bn_kw = {"no_center": dict(center=False), "no_scale": dict(scale=False),
             "regularized": dict(gamma_regularizer=R.L2(0.05), beta_regularizer=R.L1(0.02))
             }.get(case, {})

    def make():
        if placement == "after_activation":
            hidden = [L.Dense(9, activation="relu"), L.BatchNormalization(momentum=0.8, **bn_kw),
                      L.Dense(7, activation="tanh"), L.BatchNormalization()]
            frozen = {"frozen_first": (0, 1), "frozen_middle": (2, 3)}.get(case, ())
        else:
            hidden = [L.Dense(9), L.BatchNormalization(momentum=0.8, **bn_kw), L.ReLU(),
                      L.Dense(7), L.BatchNormalization(), L.Activation("tanh")]
            frozen = {"frozen_first": (0, 1), "frozen_middle": (3, 4)}.get(case, ())
        m = fastnn.Sequential([L.Input((6,), dtype=dtype.name)] + hidden
                              + [L.Dense(3, activation="softmax")])
        for i in frozen:
            m.layers[i].trainable = False
        return m

    opt = {"clipnorm": lambda: O.Adam(0.02, clipnorm=0.1),
           "global_clip": lambda: O.RMSprop(0.01, global_clipnorm=0.2),
           "sgd": lambda: O.SGD(0.05, momentum=0.9)}.get(case, lambda: O.Adam(0.02))
    compile_kw = lambda: dict(optimizer=opt(), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    out = []
    for fused in (True, False):
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=3)
        out.append((m.get_weights(), h, m.predict(xp, verbose=0),
                    m.predict(x, batch_size=8, verbose=0), m.evaluate(x, y, verbose=0)))
    (wa, ha, pa, qa, ea), (wb, hb, pb, qb, eb) = out
    assert_same_weights(wa, wb)
    assert_same_logs(ha, hb)
    assert_same_weights([pa, qa], [pb, qb])
    assert ea == pytest.approx(eb, rel=LOSS_RTOL)


@pytest.mark.parametrize("placement", ["after_activation", "before_activation"])
def test_batch_normalization_in_the_row_block_engine(monkeypatch, dtype, placement):
    """predict over many rows takes the row-block engine when the weights pack (forced
    here): each block normalises in place with the moving statistics (then activates,
    for a normalisation before the activation), the layer path's bits."""
    from fastnn import _kernels
    _kernels._gemm_force_path("packed")
    fastnn.utils.set_random_seed(2)
    hidden = ([L.Dense(9, activation="relu"), L.BatchNormalization()]
              if placement == "after_activation" else
              [L.Dense(9), L.BatchNormalization(), L.Activation("elu")])
    m = fastnn.Sequential([L.Input((6,), dtype=dtype.name)] + hidden + [L.Dense(3)])
    bn = m.layers[1]
    r = np.random.default_rng(5)
    bn.set_weights([r.standard_normal(9), r.standard_normal(9), r.standard_normal(9),
                    r.random(9) + 0.5])
    m.compile(optimizer="adam", loss=Lo.SparseCategoricalCrossentropy(from_logits=True))
    xp = r.standard_normal((500, 6)).astype(dtype)
    fused = m.predict(xp, batch_size=32, verbose=0)
    assert m._engine.plan is not None
    monkeypatch.setattr(engine, "ENABLED", False)
    layer = m.predict(xp, batch_size=32, verbose=0)
    assert_same_weights([fused], [layer])


@pytest.mark.parametrize("frozen", [(0,), (1,), (0, 1), (2,)],
                         ids=["first", "middle", "base", "head"])
def test_frozen_layers_train_on_the_engine_with_the_layer_path_numbers(monkeypatch, frozen):
    """Fine-tuning: frozen layers get no gradient and no update on the engine (below the
    lowest trainable one no backward at all), the rest train exactly as on the layer
    path, regularizers included."""
    x, y = _data(k=3)

    def make():
        m = fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu",
                                                      kernel_regularizer=R.L2(0.01)),
                               L.Dense(7, activation="tanh"),
                               L.Dense(3, activation="softmax")])
        for i in frozen:
            m.layers[i].trainable = False
        return m

    compile_kw = lambda: dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    fastnn.utils.set_random_seed(0)
    before = make().get_weights()
    runs = [_train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=3)
            for fused in (True, False)]
    (ma, ha), (mb, hb) = runs
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    for i, layer in enumerate(ma.layers):
        moved = not np.array_equal(layer.kernel, before[2 * i])
        assert moved == (i not in frozen), (i, frozen)
    assert len(ma.optimizer._slots) == 2 * (3 - len(frozen))


def _frozen_bn():
    m = fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                           L.Dense(3, activation="softmax")])
    m.layers[1].trainable = False
    return m


def _one_tensor_in_two_adds():
    inp = L.Input((6,))
    h = L.Dense(8, activation="relu")(inp)
    a = L.Add()([h, L.Dense(8)(h)])
    b = L.Add()([h, L.Dense(8)(a)])          # h taken by a second Add: not a chain
    return fastnn.Model(inp, L.Dense(3, activation="softmax")(b))


# name -> (model factory, compile kwargs factory, words expected in model._engine.why)
REFUSED = {
    "not_a_chain": (_one_tensor_in_two_adds,
                    lambda: dict(optimizer="adam", loss="sparse_categorical_crossentropy"),
                    "not a graph the engine runs"),
    "flatten_after_dense": (lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"),
                                                       L.Flatten(), L.Dense(3, activation="softmax")]),
                            lambda: dict(optimizer="adam", loss="sparse_categorical_crossentropy"),
                            "Flatten after a Dense"),
    "batchnorm_last": (lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"),
                                                  L.Dense(3), L.BatchNormalization()]),
                       lambda: dict(optimizer="adam",
                                    loss=Lo.SparseCategoricalCrossentropy(from_logits=True)),
                       "BatchNormalization after the last"),
    "activation_after_activation_and_batchnorm": (
        lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"),
                                   L.BatchNormalization(), L.Activation("tanh"),
                                   L.Dense(3, activation="softmax")]),
        lambda: dict(optimizer="adam", loss="sparse_categorical_crossentropy"), "Activation"),
    "softmax_after_batchnorm": (
        lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8), L.BatchNormalization(),
                                   L.Activation("softmax"), L.Dense(3, activation="softmax")]),
        lambda: dict(optimizer="adam", loss="sparse_categorical_crossentropy"),
        "softmax after a BatchNormalization"),
    "batchnorm_frozen_alone": (lambda: _frozen_bn(),
                               lambda: dict(optimizer="adam",
                                            loss="sparse_categorical_crossentropy"),
                               "trainable unlike"),
    "dropout_last": (lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"),
                                                L.Dense(3), L.Dropout(0.3)]),
                     lambda: dict(optimizer="adam",
                                  loss=Lo.SparseCategoricalCrossentropy(from_logits=True)),
                     "Dropout"),
    "two_dropouts": (lambda: fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="relu"),
                                                L.Dropout(0.2), L.Dropout(0.2),
                                                L.Dense(3, activation="softmax")]),
                     lambda: dict(optimizer="adam", loss="sparse_categorical_crossentropy"),
                     "Dropout"),
    "from_logits_after_softmax": (lambda: _mlp(out_act="softmax"),
                                  lambda: dict(optimizer="adam",
                                               loss=Lo.SparseCategoricalCrossentropy(from_logits=True)),
                                  "from_logits"),
    # (metrics the engine cannot sum no longer refuse it: tests/test_engine_metrics.py)
}
_REFUSED_DATA = {}


@pytest.mark.parametrize("fused", [True, False])
def test_activation_assigned_after_training_takes_effect(monkeypatch, fused):
    """Keras users take logits from a trained classifier with
    model.layers[-1].activation = None; predict, __call__, the config and further
    training follow (the engine's cached plan is rebuilt)."""
    x, y, compile_kw, make = _cls_setup()
    m, _ = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=1)
    probs = m.predict(x, verbose=0)
    m.layers[-1].activation = None
    logits = m.predict(x, verbose=0)
    (k0, b0), (k1, b1) = m.layers[0].get_weights(), m.layers[1].get_weights()
    expect = np.tanh(x @ k0 + b0) @ k1 + b1
    np.testing.assert_allclose(logits, expect, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(m(x)), logits, rtol=1e-6, atol=1e-6)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), probs, rtol=1e-4, atol=1e-6)
    assert m.layers[-1].get_config()["activation"] == "linear"
    m.layers[0].activation = "relu"           # a hidden layer too
    np.testing.assert_allclose(m.predict(x, verbose=0),
                               np.maximum(x @ k0 + b0, 0) @ k1 + b1, rtol=1e-4, atol=1e-5)
    # Training goes on with the new activations, the same on both paths.
    m.compile(**dict(compile_kw(), loss=Lo.SparseCategoricalCrossentropy(from_logits=True)))
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert (m._engine.fit_plan is not None) == fused
    weights = m.get_weights()
    other, _ = _train(monkeypatch, not fused, make, compile_kw, x, y, batch_size=16, epochs=1)
    other.layers[-1].activation = None
    other.layers[0].activation = "relu"
    other.compile(**dict(compile_kw(), loss=Lo.SparseCategoricalCrossentropy(from_logits=True)))
    other.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert_same_weights(weights, other.get_weights())


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_models_train_on_the_layer_path(monkeypatch, case):
    make, compile_kw, why = REFUSED[case]
    kind = _REFUSED_DATA.get(case, "sparse")
    x, y = _data(k=1 if kind == "binary" else 3, kind=kind)
    monkeypatch.setattr(engine, "ENABLED", True)
    fastnn.utils.set_random_seed(0)
    model = make()
    model.compile(**compile_kw())
    before = model.get_weights()
    h = model.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    assert model._engine.fit_plan is None
    assert why.lower() in model._engine.why.lower(), model._engine.why
    assert engine.plan_for(model, x, training=True) is None
    assert np.isfinite(h["loss"]).all() and _weights_changed(model, before)
    # Exactly what the layer path does when the engine is switched off.
    mb, hb = _train(monkeypatch, False, make, compile_kw, x, y, batch_size=16, epochs=2)
    assert_same_weights(model.get_weights(), mb.get_weights())
    assert h == hb


def test_a_model_compiled_without_an_optimizer_says_why_it_keeps_the_layer_path():
    x, y = _data(k=3, kind="sparse")
    fastnn.utils.set_random_seed(0)
    m = _mlp(out_act="softmax")
    m.compile(optimizer=None, loss="sparse_categorical_crossentropy")
    m.evaluate(x, y, verbose=0)
    assert m._engine.plan is None and m._engine.why == "compiled without an optimizer"


class _TwoInputs(fastnn.Model):
    """A subclassed model of two inputs (a dict), as DLwP's ticket model; `shared`: one
    Dense layer on both (a graph the engine does not walk)."""

    def __init__(self, shared=False):
        super().__init__()
        self.shared = shared
        self.join = L.Concatenate()
        self.hidden = L.Dense(8, activation="relu")
        self.out = L.Dense(3, activation="softmax")

    def call(self, inputs):
        if self.shared:
            return self.out(self.join([self.hidden(inputs["a"]), self.hidden(inputs["b"])]))
        return self.out(self.hidden(self.join([inputs["a"], inputs["b"]])))


@pytest.mark.parametrize("shared", [False, True])
def test_a_subclassed_model_of_several_inputs_lowers_or_says_why_not(shared):
    """Its call() is traced into a graph (tests/test_subclassed_graph_engine.py): the
    engine takes it as it takes the functional model of that graph, else says why."""
    x, y = _data(k=3, kind="sparse")
    m = _TwoInputs(shared)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    h = m.fit({"a": x[:, :3], "b": x[:, 3:]}, y, batch_size=16, epochs=1, verbose=0).history
    assert np.isfinite(h["loss"]).all()
    if shared:
        assert m._engine.plan is None and "not a graph the engine runs" in m._engine.why
    else:
        assert m._engine.plan is not None and m._engine.why is None


def test_amsgrad_cannot_change_once_built():
    """amsgrad decides the slots (velocity_hat): it may change until the optimizer is
    built, never after (the engine and the layer path would lack the slot)."""
    opt = O.Adam(amsgrad=True)
    opt.amsgrad = False
    w = np.ones(3)
    opt.apply([np.ones(3)], [w])
    with pytest.raises(ValueError, match="amsgrad can only be changed before"):
        opt.amsgrad = True
    assert opt.amsgrad is False and len(opt.get_state()) == 3


@pytest.mark.parametrize("recompile", ["same_optimizer", "new_optimizer", "no"])
def test_freezing_a_layer_after_fused_fit(monkeypatch, recompile):
    """Fit on the engine, freeze the first layer (Keras' fine-tuning recipe recompiles,
    with the same optimizer object or a new one; without it the flag holds too): the plan
    must notice, the frozen weights must not move, and both paths give the same numbers
    (the optimizer keeps its slots for the layers that still train)."""
    x, y, compile_kw, make = _cls_setup()
    res = []
    for fused in (True, False):
        m, _ = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=1)
        opt = m.optimizer
        m.layers[0].trainable = False
        if recompile != "no":
            m.compile(optimizer=opt if recompile == "same_optimizer" else O.Adam(0.01),
                      loss=m.loss, metrics=["accuracy"])
        w0 = m.layers[0].kernel.copy()
        slots0 = [{k: v.copy() for k, v in s.items()} for s in opt._slots]
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused   # frozen layers train there too
        np.testing.assert_array_equal(m.layers[0].kernel, w0)
        if recompile != "new_optimizer":
            # the frozen kernel's and bias' slots (built first) stay, the others move
            moved = [any(not np.array_equal(b[k], a[k]) for k in b)
                     for b, a in zip(slots0, opt._slots)]
            assert moved == [False, False] + [True] * (len(moved) - 2)
        res.append((m.get_weights(), h))
    assert_same_weights(res[0][0], res[1][0])
    assert_same_logs(res[0][1], res[1][1])


def test_unfreezing_needs_an_optimizer_built_for_the_layer(monkeypatch):
    """An optimizer first built while a layer was frozen has no slots for it: training
    it later raises Keras' error on either path, and a new optimizer trains it."""
    x, y, compile_kw, make = _cls_setup()
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(0)
        m = make()
        m.build((None, x.shape[1]))
        m.layers[0].trainable = False
        m.compile(**compile_kw())
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        m.layers[0].trainable = True
        w = m.get_weights()
        with pytest.raises(ValueError, match="unknown variable 0 .*built with"):
            m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        assert_same_weights(w, m.get_weights())
        m.compile(**compile_kw())
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        assert not np.array_equal(m.layers[0].kernel, w[0])


@pytest.mark.parametrize("freeze", ["layer", "model"])
def test_frozen_models_still_predict_and_evaluate_on_the_engine(monkeypatch, freeze):
    """Inference does not care what trains: a frozen layer (or model) keeps the one-call
    predict and evaluate, with the layer path's numbers (a frozen model fits on the layer
    path, which updates nothing)."""
    x, y, compile_kw, make = _cls_setup()
    m, _ = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=16, epochs=1)
    if freeze == "layer":
        m.layers[0].trainable = False
    else:
        m.trainable = False
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert (m._engine.fit_plan is None) == (freeze == "model")
    calls = []
    real = engine.FusedPlan.predict
    monkeypatch.setattr(engine.FusedPlan, "predict",
                        lambda self, *a: calls.append(1) or real(self, *a))
    out = m.predict(x, verbose=0)
    ev = m.evaluate(x, y, verbose=0)
    assert calls and m._engine.plan is not None
    monkeypatch.setattr(engine, "ENABLED", False)
    np.testing.assert_array_equal(out, m.predict(x, verbose=0))
    assert ev == pytest.approx(m.evaluate(x, y, verbose=0), rel=LOSS_RTOL)


def test_train_and_test_on_batch_run_on_the_engine_with_the_layer_path_numbers(monkeypatch):
    x, y, compile_kw, make = _cls_setup()
    runs = []
    for fused in (True, False):
        m, _ = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=16, epochs=1)
        calls = []
        for name in ("train_batch", "test_batch"):
            real = getattr(engine.FusedPlan, name)
            monkeypatch.setattr(engine.FusedPlan, name,
                                lambda self, *a, _r=real, _n=name: calls.append(_n) or _r(self, *a))
        out = [m.train_on_batch(x[b:b + 20], y[b:b + 20], return_dict=True)
               for b in range(0, 60, 20)]
        out.append(m.test_on_batch(x[60:], y[60:], return_dict=True))
        m.reset_metrics()
        out.append(m.test_on_batch(x[:7], y[:7], return_dict=True))
        assert calls == (["train_batch"] * 3 + ["test_batch"] * 2 if fused else [])
        runs.append((m.get_weights(), out))
        monkeypatch.undo()
    assert_same_weights(runs[0][0], runs[1][0])
    for a, b in zip(runs[0][1], runs[1][1]):
        assert_same_logs(a, b)


def test_model_trainable_false(monkeypatch):
    x, y, compile_kw, make = _cls_setup()
    m, _ = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=16, epochs=1)
    m.trainable = False
    w = m.get_weights()
    h = m.fit(x, y, batch_size=16, epochs=1, verbose=0).history
    assert m._engine.fit_plan is None
    assert_same_weights(w, m.get_weights())
    assert np.isfinite(h["loss"]).all()


class _EpochSpy(cbs.Callback):
    """A callback that runs between epochs: fit then trains epoch by epoch."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


@pytest.mark.parametrize("budget", [None, 200])
@pytest.mark.parametrize("shuffle", [True, False])
def test_many_epochs_per_call_equal_epoch_by_epoch(monkeypatch, dtype, shuffle, budget):
    """Without callbacks (History only) fit runs many epochs per C call; weights, history
    and the optimizer's step count equal the epoch-by-epoch run bitwise, also when the
    epochs are cut into several calls (budget: row indices per call) and with a schedule."""
    if budget:
        monkeypatch.setattr(engine, "_EPOCH_INDEX_BUDGET", budget)
    x, y = _data(n=97, k=3, dtype=dtype)
    make = lambda: _mlp(k=3, hidden=(8, 5), act="relu", dtype=dtype.name)
    comp = lambda: dict(optimizer=O.Adam(schedules.ExponentialDecay(0.05, 7, 0.5)),
                        loss=Lo.SparseCategoricalCrossentropy(from_logits=True),
                        metrics=["accuracy"])
    runs = []
    for spy in (None, _EpochSpy()):
        fastnn.utils.set_random_seed(3)
        m = make()
        m.compile(**comp())
        h = m.fit(x, y, batch_size=10, epochs=7, initial_epoch=2, shuffle=shuffle, verbose=0,
                  callbacks=[spy] if spy else None)
        # the next draw shows whether both runs advanced the global generator alike
        runs.append((m, h, spy, fastnn.utils.get_rng().integers(0, 2 ** 62)))
    (ma, ha, _, da), (mb, hb, spy, db) = runs
    assert spy.epochs == [2, 3, 4, 5, 6]
    assert ha.epoch == hb.epoch == [2, 3, 4, 5, 6]
    assert ha.history == hb.history
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert ma.optimizer.iterations == mb.optimizer.iterations == 5 * 10
    assert da == db


def test_many_epochs_record_history_as_epoch_by_epoch_with_error_metrics(monkeypatch):
    """The many-epochs call records History column by column: the same floats, keys and
    metric state as History.on_epoch_end epoch by epoch, for mse and mae too."""
    x, y = _data(n=50, k=2, kind="regression")
    runs = []
    for spy in (None, _EpochSpy()):
        fastnn.utils.set_random_seed(6)
        m = _mlp(k=2, hidden=(7,))
        m.compile(optimizer=O.Adam(0.01), loss="mse", metrics=["mae", "mse"])
        h = m.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[spy] if spy else None)
        runs.append((m, h))
    (ma, ha), (mb, hb) = runs
    assert list(ha.history) == list(hb.history) == ["loss", "mae", "mse"]
    assert ha.history == hb.history and ha.epoch == hb.epoch == [0, 1, 2, 3]
    assert ma.history is ha
    assert [m.result() for m in ma._metrics] == [m.result() for m in mb._metrics]
    assert ma._metrics[0].result() == ha.history["mae"][-1]


@pytest.mark.parametrize("how", ["data", "data_sw_freq_batch", "split"])
def test_validation_in_the_many_epochs_call_equals_epoch_by_epoch(monkeypatch, dtype, how):
    """With validation data and only History, the epochs and their evaluations run in the
    same C calls (fit_epochs), also cut into several calls; history (val_* included),
    weights and metric state equal the epoch-by-epoch run with evaluate() bitwise."""
    monkeypatch.setattr(engine, "_EPOCH_INDEX_BUDGET", 200)
    x, y = _data(n=97, k=3, dtype=dtype)
    xv, yv = _data(n=23, k=3, dtype=dtype, seed=5)
    kw = {"data": dict(validation_data=(xv, yv)),
          "data_sw_freq_batch": dict(validation_data=(xv, yv, np.linspace(0.5, 2, 23)),
                                     validation_freq=2, validation_batch_size=4),
          "split": dict(validation_split=0.25)}[how]
    make = lambda: _mlp(k=3, hidden=(8, 5), act="relu", dtype=dtype.name)
    calls = []
    real = engine.FusedPlan.fit_epochs
    monkeypatch.setattr(engine.FusedPlan, "fit_epochs",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    runs = []
    for spy in (None, _EpochSpy()):
        fastnn.utils.set_random_seed(3)
        m = make()
        m.compile(optimizer=O.Adam(0.05), metrics=["accuracy"],
                  loss=Lo.SparseCategoricalCrossentropy(from_logits=True))
        h = m.fit(x, y, batch_size=10, epochs=7, initial_epoch=1, verbose=0, **kw,
                  callbacks=[spy] if spy else None)
        runs.append((m, h, [mt.result() for mt in m._metrics]))
    assert len(calls) == 1                       # the run without the spy took the C path
    (ma, ha, ra), (mb, hb, rb) = runs
    assert ha.epoch == hb.epoch == [1, 2, 3, 4, 5, 6]
    assert ha.history == hb.history
    assert len(ha.history["val_loss"]) == (3 if how == "data_sw_freq_batch" else 6)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert ra == rb


# ------------------------------------------------------------------------ inference
@pytest.mark.parametrize("case", ["scce_softmax_folded", "bce_sigmoid_folded", "huber_relu",
                                  "cce_logits"])
def test_predict_evaluate_call_fused_equal_layer_path(monkeypatch, case, dtype):
    loss, k, out_act, kind, metrics = LOSS_CASES[case]
    n = 61
    x, y = _data(n=n, k=k, kind=kind, dtype=dtype)
    sw = np.linspace(0.1, 2.0, n)
    make = lambda: _mlp(k=k, out_act=out_act, dtype=dtype.name, hidden=(9, 4), act="elu",
                        kernel_regularizer=R.L2(0.01), bias_regularizer=R.L1(0.02))
    m, _ = _train(monkeypatch, True, make, lambda: dict(optimizer=O.Adam(0.02), loss=loss(),
                                                        metrics=list(metrics)),
                  x, y, batch_size=8, epochs=2)

    def infer():
        out = {f"predict_{b}": m.predict(x, batch_size=b, verbose=0) for b in (1, 7, 32, n, n + 5)}
        out["call"] = m(x)
        out["call_one_row"] = m(x[:1])
        out["predict_on_batch"] = m.predict_on_batch(x[:10])
        ev = {f"evaluate_{b}": m.evaluate(x, y, batch_size=b, verbose=0, return_dict=True)
              for b in (1, 10, n + 1)}
        ev["evaluate_sw"] = m.evaluate(x, y, batch_size=9, sample_weight=sw, verbose=0,
                                       return_dict=True)
        return out, ev

    monkeypatch.setattr(engine, "ENABLED", True)
    assert engine.plan_for(m, x) is not None
    oa, ea = infer()
    monkeypatch.setattr(engine, "ENABLED", False)
    ob, eb = infer()
    for key in oa:
        assert oa[key].dtype == dtype and oa[key].shape[1] == k
        assert_same_weights([oa[key]], [ob[key]])
        # rows do not depend on the batch they were computed in
        assert_same_weights([oa[key]], [oa["predict_32"][:len(oa[key])]])
    mrtol = FOLDED_SIGMOID_METRIC_RTOL[dtype] if out_act == "sigmoid" else METRIC_RTOL
    for key in ea:
        assert_same_logs(ea[key], eb[key], loss_rtol=REG_RTOL, metric_rtol=mrtol)
    # evaluate includes the regularization penalty; and the batch size only changes the
    # order of a float64 sum.
    for key in ("evaluate_10", "evaluate_62"):
        assert_same_logs(ea["evaluate_1"], ea[key], loss_rtol=1e-6 if dtype == np.float32 else 1e-12,
                         metric_rtol=1e-12)
    assert ea["evaluate_sw"]["loss"] != ea["evaluate_10"]["loss"]


@pytest.mark.parametrize("n", [384, 385, 1000])   # exactly 2 blocks; a 1-row tail; 40 rows
@pytest.mark.parametrize("nt", [1, 2, 3])
def test_row_parallel_inference_equals_layer_path(monkeypatch, set_threads, simd_path, dtype, nt,
                                                   n):
    """Large inputs take the row-parallel engine (weights packed once, threads over row
    blocks through every layer): the same bits as the layer path, whatever the thread
    count, the block a row falls in, or the batch size asked for. Layers 300->200 and
    200->150 take the packed GEMM (two K blocks for K = 300), 150->10 the direct one."""
    set_threads(nt)
    k = 10
    x, y = _data(n=n, d=300, k=k, dtype=dtype)
    make = lambda: _mlp(d=300, k=k, out_act="softmax", dtype=dtype.name, hidden=(200, 150),
                        act="relu")
    m, _ = _train(monkeypatch, True, make, lambda: dict(optimizer=O.Adam(0.01),
                                                        loss=Lo.SparseCategoricalCrossentropy(),
                                                        metrics=["accuracy"]),
                  x, y, batch_size=100, epochs=1)
    fused = {b: m.predict(x, batch_size=b, verbose=0) for b in (32, 128, 512)}
    part = m.predict(x[n - 384:], verbose=0)
    ev = m.evaluate(x, y, batch_size=128, verbose=0, return_dict=True)
    monkeypatch.setattr(engine, "ENABLED", False)
    ref = m(x)
    # the layer path in small batches too: its GEMMs take the direct kernel there, which
    # sums K = 300 in the same blocks as the packed one
    fused.update({("layer", b): m.predict(x, batch_size=b, verbose=0) for b in (7, 32)})
    for b, out in fused.items():
        assert_same_weights([out], [ref])
    assert_same_weights([part], [ref[n - 384:]])
    assert_same_logs(ev, m.evaluate(x, y, batch_size=128, verbose=0, return_dict=True))


def test_inference_before_training_then_fit(monkeypatch):
    """predict on a compiled, untrained model builds a plan without optimizer slots; the
    first fit must then build the slots and train as the layer path does."""
    x, y, compile_kw, make = _cls_setup()
    res = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(0)
        m = make()
        p0 = m.predict(x, verbose=0)                       # not compiled: layer path
        m.compile(**compile_kw())
        p1 = m.predict(x, verbose=0)
        e1 = m.evaluate(x, y, verbose=0, return_dict=True)
        assert not m.optimizer.built
        if fused:
            assert m._engine.plan is not None and not m._engine.plan.can_train
        h = m.fit(x, y, batch_size=13, epochs=2, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused
        res.append((p0, p1, e1, m.get_weights(), h))
    a, b = res
    assert_same_weights(a[:2], b[:2])
    assert_same_weights([a[0]], [a[1]])
    assert_same_logs(a[2], b[2])
    assert_same_weights(a[3], b[3])
    assert_same_logs(a[4], b[4])


def test_uncompiled_model_predicts_on_the_layer_path(monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", True)
    m = _mlp()
    x, _ = _data()
    assert engine.plan_for(m, x) is None
    out = m.predict(x, verbose=0)
    assert out.shape == (len(x), 3) and np.isfinite(out).all()


# ------------------------------------------------------------------------ leading Flatten
def test_leading_flatten_with_3d_input(monkeypatch, dtype):
    r = np.random.default_rng(4)
    x = r.standard_normal((90, 8, 8)).astype(dtype)
    y = r.integers(0, 4, 90)
    make = lambda: fastnn.Sequential([L.Input((8, 8), dtype=dtype.name), L.Flatten(),
                                      L.Dense(16, activation="relu"), L.Dense(4, activation="softmax")])
    compile_kw = lambda: dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=16, epochs=2,
                               validation_split=0.2)
    assert ma._engine.fit_plan.flatten_first
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    monkeypatch.setattr(engine, "ENABLED", True)
    pa, ea = ma.predict(x, batch_size=7, verbose=0), ma.evaluate(x, y, verbose=0, return_dict=True)
    ca = ma(x)
    monkeypatch.setattr(engine, "ENABLED", False)
    assert_same_weights([pa, ca], [ma.predict(x, batch_size=7, verbose=0), ma(x)])
    assert_same_logs(ea, ma.evaluate(x, y, verbose=0, return_dict=True))
    # Flattened by hand, into the same Dense stack: the same outputs.
    flat = fastnn.Sequential([L.Input((64,), dtype=dtype.name), L.Dense(16, activation="relu"),
                              L.Dense(4, activation="softmax")])
    flat.set_weights(ma.get_weights())
    monkeypatch.setattr(engine, "ENABLED", True)
    assert_same_weights([pa], [flat.predict(x.reshape(90, 64), batch_size=7, verbose=0)])


# ------------------------------------------------------------------------ saving
@pytest.mark.parametrize("opt", ["adam", "rmsprop_centered_momentum_wd", "sgd_expdecay"])
def test_save_load_mid_training_then_fused(monkeypatch, tmp_path, opt):
    x, y, _, make = _cls_setup()
    compile_kw = lambda: dict(optimizer=OPTIMIZERS[opt](), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    full, hfull = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=13, epochs=4)
    first, _ = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=13, epochs=2)
    path = str(tmp_path / "mid.keras")
    rng_state = fastnn.utils.get_rng().bit_generator.state
    first.save(path)
    loaded = fastnn.models.load_model(path)
    assert loaded.optimizer.iterations == first.optimizer.iterations
    h = loaded.fit(x, y, batch_size=13, epochs=4, initial_epoch=2, verbose=0).history
    assert loaded._engine.fit_plan is not None
    assert_same_weights(full.get_weights(), loaded.get_weights())
    assert_same_weights(full.optimizer.get_state(), loaded.optimizer.get_state())
    assert h["loss"] == hfull["loss"][2:] and h["accuracy"] == hfull["accuracy"][2:]
    # The original model goes on training the same way (from the same shuffling stream).
    fastnn.utils.get_rng().bit_generator.state = rng_state
    first.fit(x, y, batch_size=13, epochs=4, initial_epoch=2, verbose=0)
    assert_same_weights(full.get_weights(), first.get_weights())


# ------------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("batch_size", [1, 96, 97, 150])
def test_batch_sizes_down_to_one_and_beyond_n(monkeypatch, batch_size):
    x, y, compile_kw, make = _cls_setup()
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=batch_size,
                               epochs=2)
    assert ma.optimizer.iterations == 2 * math.ceil(97 / batch_size)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


def test_lr_callbacks_change_the_rate_per_epoch(monkeypatch):
    x, y, compile_kw, make = _cls_setup()
    res = []
    for fused in (True, False):
        sched = cbs.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
        plateau = cbs.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=0.05)
        m, h = _train(monkeypatch, fused, make, compile_kw, x, y, batch_size=13, epochs=4,
                      callbacks=[sched, plateau])
        res.append((m.get_weights(), h, m.optimizer.learning_rate))
    assert res[0][2] == res[1][2] < 0.02 * 0.5 ** 3
    assert_same_weights(res[0][0], res[1][0])
    assert_same_logs(res[0][1], res[1][1])


def test_plan_retried_after_the_refusal_is_lifted(monkeypatch):
    """A refusal is cached per model state; changing what caused it (here a Python
    function as a layer's activation, set after construction) must let the next fit use
    the engine, with the layer path's numbers."""
    x, y, _, make = _cls_setup()
    compile_kw = lambda: dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy",
                              metrics=["accuracy"])
    res = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(0)
        m = make()
        m.compile(**compile_kw())
        # a Python function as activation: the engine has no C kernel for it
        m.layers[0].activation = lambda z: fastnn.ops.tanh(z)
        m.fit(x, y, batch_size=13, epochs=1, verbose=0)
        assert m._engine.fit_plan is None
        if fused:
            assert "Python function as activation" in m._engine.why
        m.layers[0].activation = "tanh"     # the same function, as the engine's kernel
        h = m.fit(x, y, batch_size=13, epochs=2, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused
        res.append((m.get_weights(), h))
    assert_same_weights(res[0][0], res[1][0])
    assert_same_logs(res[0][1], res[1][1])


def test_dropout_rate_changed_between_fits(monkeypatch):
    """The plan depends on the Dropout rates: setting them to 0 after a fit makes the
    next fit a plain one (the same as the layer path's, which then has no randomness)."""
    x, y, compile_kw, _ = _cls_setup()
    res = []
    for fused in (True, False):
        m, _ = _train(monkeypatch, fused, _no_dropout_twin, compile_kw, x, y, batch_size=13,
                      epochs=1)
        w = m.get_weights()
        fastnn.utils.set_random_seed(5)
        d = _dropout_model(0.4)
        d.compile(**compile_kw())
        d.set_weights(w)
        d.fit(x, y, batch_size=13, epochs=1, verbose=0)
        assert (d._engine.fit_plan is not None) == fused
        for layer in d.layers:
            if isinstance(layer, L.Dropout):
                layer.rate = 0.0
        d.set_weights(w)
        d.optimizer = O.Adam(0.02)                   # a fresh optimizer state too
        h = d.fit(x, y, batch_size=13, epochs=2, verbose=0, shuffle=False).history
        if fused:
            assert [s["dropout"] for s in d._engine.fit_plan.specs] == [0.0, 0.0, 0.0]
        res.append((d.get_weights(), h))
    assert_same_weights(res[0][0], res[1][0])
    assert_same_logs(res[0][1], res[1][1])


def test_epochs_zero_and_empty_range(monkeypatch):
    x, y, compile_kw, make = _cls_setup()
    m, h = _train(monkeypatch, True, make, compile_kw, x, y, epochs=0)
    assert h == {} and m.optimizer.iterations == 0
    w = m.get_weights()
    h = m.fit(x, y, epochs=3, initial_epoch=3, verbose=0).history
    assert h == {} and m.optimizer.iterations == 0
    assert_same_weights(w, m.get_weights())


def test_both_simd_paths(monkeypatch, simd_path):
    """On the portable C kernels as on the AVX2 ones, the two paths agree bitwise."""
    loss, k, out_act, kind, metrics = LOSS_CASES["bce_sigmoid_folded"]
    x, y = _data(k=k, kind=kind)
    make = lambda: _mlp(k=k, out_act=out_act, act="silu", hidden=(16, 9))
    compile_kw = lambda: dict(optimizer=O.RMSprop(0.01, momentum=0.2), loss=loss(),
                              metrics=["accuracy"])
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=13, epochs=2)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


@pytest.mark.parametrize("opt", ["adam", "rmsprop_centered_momentum_wd", "adagrad"])
def test_layers_without_bias(monkeypatch, opt):
    """use_bias=False changes which optimizer slots belong to which layer: the engine must
    pair each weight with its own slots."""
    x, y = _data(k=2, kind="regression")
    make = lambda: fastnn.Sequential([
        L.Input((6,)), L.Dense(8, activation="relu", use_bias=False, kernel_regularizer="l2"),
        L.Dense(5, activation="tanh"), L.Dense(2, use_bias=False, bias_regularizer="l1")])
    compile_kw = lambda: dict(optimizer=OPTIMIZERS[opt](), loss=Lo.Huber(0.5), metrics=["mae"])
    (ma, ha), (mb, hb) = _both(monkeypatch, make, compile_kw, x, y, batch_size=9, epochs=3)
    assert [w.shape for w in ma.get_weights()] == [(6, 8), (8, 5), (5,), (5, 2)]
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_weights(ma.optimizer.get_state(), mb.optimizer.get_state())
    assert_same_logs(ha, hb, loss_rtol=REG_RTOL)


@pytest.mark.parametrize("labels", ["int32", "int64_column", "float64", "float32_onehot"])
def test_label_dtypes_and_shapes(monkeypatch, labels):
    x, y = _data()
    loss = "sparse_categorical_crossentropy"
    if labels == "int32":
        y = y.astype(np.int32)
    elif labels == "int64_column":
        y = y.reshape(-1, 1)
    elif labels == "float64":
        y = y.astype(np.float64)
    else:
        y, loss = np.eye(3, dtype=np.float32)[y], "categorical_crossentropy"
    compile_kw = lambda: dict(optimizer=O.Adam(0.01), loss=loss, metrics=["accuracy"])
    (ma, ha), (mb, hb) = _both(monkeypatch, lambda: _mlp(out_act="softmax"), compile_kw, x, y,
                               batch_size=13, epochs=2)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)
    # The same training as with the plain int64 labels.
    ref, href = _train(monkeypatch, True, lambda: _mlp(out_act="softmax"), lambda: dict(
        optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
        *_data(), batch_size=13, epochs=2)
    assert_same_weights(ma.get_weights(), ref.get_weights())


def test_test_batch_hooks_during_fit_validation(monkeypatch):
    """A callback hooking test batches makes validation run batch by batch in Python;
    the val_ numbers are the ones the engine's one-call evaluate gives."""
    x, y, compile_kw, make = _cls_setup()

    class TestHook(cbs.Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_test_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    hook = TestHook()
    ma, ha = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=13, epochs=2,
                    validation_split=0.3, validation_batch_size=8, callbacks=[hook])
    assert hook.batches == list(range(4)) * 2               # 30 validation rows / 8
    mb, hb = _train(monkeypatch, True, make, compile_kw, x, y, batch_size=13, epochs=2,
                    validation_split=0.3, validation_batch_size=8)
    assert_same_weights(ma.get_weights(), mb.get_weights())
    assert_same_logs(ha, hb)


@pytest.mark.parametrize("change", ["momentum", "beta_1"])
def test_optimizer_hyperparameter_changed_between_fits(monkeypatch, change):
    x, y, _, make = _cls_setup()
    opt = {"momentum": lambda: O.SGD(0.05, momentum=0.9), "beta_1": lambda: O.Adam(0.01)}[change]
    res = []
    for fused in (True, False):
        m, _ = _train(monkeypatch, fused, make, lambda: dict(
            optimizer=opt(), loss="sparse_categorical_crossentropy"), x, y, batch_size=13, epochs=1)
        setattr(m.optimizer, change, 0.1)
        m.fit(x, y, batch_size=13, epochs=1, verbose=0)
        res.append(m.get_weights())
    assert_same_weights(res[0], res[1])


def test_phase_timing_reports_every_phase_and_changes_nothing(dtype):
    """FusedNet.set_phase_timing: per-step times of the gather, the loss head and each
    layer's forward, backward, update and activation backward; the weights are the same
    bits with timing on or off."""
    r = np.random.default_rng(2)
    x = r.standard_normal((256, 30)).astype(dtype)
    y = r.integers(0, 4, 256)
    results = []
    for timing in (False, True):
        fastnn.utils.set_random_seed(6)
        m = fastnn.Sequential([L.Input((30,), dtype=dtype.name), L.Dense(20, activation="relu"),
                               L.Dropout(0.2), L.Dense(4)])
        m.compile(optimizer="adam", loss=Lo.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(x[:32], y[:32], batch_size=32, verbose=0)
        net = m._engine.fit_plan.net
        assert net.phase_times() is None
        net.set_phase_timing(timing)
        m.fit(x, y, batch_size=16, epochs=3, verbose=0)
        results.append(m.get_weights())
        if timing:
            phases = net.phase_times()
            assert set(phases) == {"gather", "loss", "forward 0", "backward 0", "update 0",
                                   "forward 1", "backward 1", "update 1", "act_backward 1"}
            assert all(v >= 0 for v in phases.values()) and phases["forward 0"] > 0
            net.set_phase_timing(False)
            assert net.phase_times() is None
    for a, b in zip(*results):
        assert np.array_equal(a, b)
