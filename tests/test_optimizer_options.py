"""The options every optimizer takes from Keras' base optimizer (use_ema, ema_momentum,
ema_overwrite_frequency, gradient_accumulation_steps), Ftrl, finalize_variable_values
and SwapEMAWeights: against NumPy references of Keras' formulas, through fit, saving,
pickling, and with bad values. (Keras' own numbers: tests/conformance/
test_optimizer_options_keras.py, test_optimizer_base.py, test_ftrl.py.)"""
import io
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import callbacks, engine, layers, optimizers as O
from fastnn import saving

ALL = {
    "sgd": lambda **kw: O.SGD(0.1, momentum=0.5, **kw),
    "adam": lambda **kw: O.Adam(0.05, **kw),
    "adamw": lambda **kw: O.AdamW(0.05, **kw),
    "rmsprop": lambda **kw: O.RMSprop(0.01, centered=True, **kw),
    "adagrad": lambda **kw: O.Adagrad(0.1, **kw),
    "nadam": lambda **kw: O.Nadam(0.05, **kw),
    "adamax": lambda **kw: O.Adamax(0.05, **kw),
    "adadelta": lambda **kw: O.Adadelta(1.0, **kw),
    "lion": lambda **kw: O.Lion(0.01, **kw),
    "ftrl": lambda **kw: O.Ftrl(0.2, l1_regularization_strength=0.001, **kw),
}


def _variables():
    return [fastnn.Variable(np.array([[0.5, -1.0, 2.0], [0.25, 1.5, -0.75]], np.float32)),
            fastnn.Variable(np.array([0.1, -0.2, 0.3], np.float32))]


def _grads(t):
    rng = np.random.default_rng(100 + t)
    return [rng.normal(size=(2, 3)).astype(np.float32),
            rng.normal(size=3).astype(np.float32)]


def _copy(vs):
    return [np.array(v, copy=True) for v in vs]


@pytest.mark.parametrize("name", sorted(ALL))
def test_ema_keeps_keras_average_of_the_weights(name):
    """average = w after the first update, then m * average + (1 - m) * w (float32);
    the updates themselves are those of the optimizer without EMA."""
    plain, ema = ALL[name](), ALL[name](use_ema=True, ema_momentum=0.75)
    vp, ve = _variables(), _variables()
    ref = None
    m = np.float32(0.75)
    for t in range(5):
        g = _grads(t)
        plain.apply_gradients(zip(g, vp))
        ema.apply_gradients(zip([a.copy() for a in g], ve))
        for a, b in zip(vp, ve):
            np.testing.assert_array_equal(a, b)
        w = _copy(ve)
        ref = w if ref is None else [m * r + (np.float32(1) - m) * x for r, x in zip(ref, w)]
        for s, r in zip(ema.slots_for(ve), ref):
            np.testing.assert_allclose(s["average"], r, rtol=1e-6, atol=1e-7)
    assert ema.iterations == 5


def test_ema_overwrite_frequency_sets_the_weights_to_their_averages():
    opt = O.SGD(0.5, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    v = fastnn.Variable(np.array([4.0, -2.0], np.float32))
    g = np.array([1.0, -1.0], np.float32)
    opt.apply_gradients([(g, v)])                   # w = [3.5, -1.5], average = w
    np.testing.assert_allclose(v, [3.5, -1.5])
    opt.apply_gradients([(g, v)])                   # w = [3, -1]; average 3.25; overwrite
    np.testing.assert_allclose(v, [3.25, -1.25])
    np.testing.assert_allclose(opt.slots_for([v])[0]["average"], [3.25, -1.25])
    opt.apply_gradients([(g, v)])                   # no overwrite at the third update
    np.testing.assert_allclose(v, [2.75, -0.75])
    np.testing.assert_allclose(opt.slots_for([v])[0]["average"], [3.0, -1.0])


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("clip", [{}, {"clipnorm": 0.5}, {"global_clipnorm": 0.7},
                                  {"clipvalue": 0.2}], ids=["none", "norm", "global", "value"])
def test_accumulation_is_one_update_with_the_mean_gradient(name, clip):
    """n accumulated steps give one update with the mean of their gradients (clipped
    after averaging), every n-th call; the weights stay as they are in between;
    iterations counts the updates."""
    n = 3
    one, acc = ALL[name](**clip), ALL[name](gradient_accumulation_steps=n, **clip)
    v1, vn = _variables(), _variables()
    for update in range(3):
        gs = [_grads(10 * update + k) for k in range(n)]
        mean = [((gs[0][i] + gs[1][i]) + gs[2][i]) / np.float32(n) for i in range(2)]
        before = _copy(vn)
        for k in range(n):
            acc.apply_gradients(zip(gs[k], vn))
            if k < n - 1:
                for a, b in zip(vn, before):
                    np.testing.assert_array_equal(a, b)
                assert acc.iterations == update
        one.apply_gradients(zip(mean, v1))
        assert acc.iterations == update + 1 and acc._iterations == n * (update + 1)
        for a, b in zip(v1, vn):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for s in acc.slots_for(vn):
            assert not s["gradient_accumulator"].any()


def test_accumulation_schedule_reads_the_apply_calls():
    """Keras evaluates a learning-rate schedule at the number of apply() calls, not at
    the number of updates."""
    sched = O.schedules.PiecewiseConstantDecay([1, 3], [1.0, 0.5, 0.25])
    opt = O.SGD(sched, gradient_accumulation_steps=2)
    v = fastnn.Variable(np.array([0.0], np.float32))
    for _ in range(4):
        opt.apply_gradients([(np.array([1.0], np.float32), v)])
    # updates at calls 2 (lr at step 1: 1.0) and 4 (lr at step 3: 0.5)
    np.testing.assert_allclose(v, [-1.5])
    assert opt.iterations == 2 and opt._iterations == 4


def _ftrl_reference(w, g, n, z, lr, p, l1, l2, shrink, beta):
    """Keras' Ftrl update in float64 (the McMahan et al. form Keras writes), with
    p = -learning_rate_power."""
    g2 = g + 2 * shrink * w
    n_new = n + g * g
    z = z + g2 - (n_new ** p - n ** p) / lr * w
    quad = n_new ** p / lr + 2 * (l2 + beta / (2 * lr))
    w = (np.clip(z, -l1, l1) - z) / quad
    return w, n_new, z


@pytest.mark.parametrize("kw", [
    {},
    {"learning_rate_power": -0.3, "l1_regularization_strength": 0.05},
    {"l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.2,
     "beta": 0.5, "initial_accumulator_value": 0.3},
    {"learning_rate_power": 0.0, "initial_accumulator_value": 0.0, "beta": 1.0},
], ids=["defaults", "l1", "l2-shrinkage-beta", "power0"])
def test_ftrl_against_numpy_reference(kw):
    args = dict(learning_rate_power=-0.5, initial_accumulator_value=0.1,
                l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                l2_shrinkage_regularization_strength=0.0, beta=0.0)
    args.update(kw)
    opt = O.Ftrl(learning_rate=0.3, **kw)
    v = fastnn.Variable(np.array([1.0, -0.5, 0.25, 2.0], np.float64))
    w = np.array(v, copy=True)
    n = np.full(4, args["initial_accumulator_value"])
    z = np.zeros(4)
    for t in range(6):
        g = np.random.default_rng(t).normal(size=4)
        opt.apply_gradients([(g, v)])
        w, n, z = _ftrl_reference(w, g, n, z, 0.3, -args["learning_rate_power"],
                                  args["l1_regularization_strength"],
                                  args["l2_regularization_strength"],
                                  args["l2_shrinkage_regularization_strength"], args["beta"])
        np.testing.assert_allclose(v, w, rtol=1e-12, atol=1e-14)
    slots = opt.slots_for([v])[0]
    np.testing.assert_allclose(slots["accumulator"], n, rtol=1e-12)
    np.testing.assert_allclose(slots["linear"], z, rtol=1e-12, atol=1e-14)


def test_ftrl_by_name_and_refuses_a_zero_learning_rate_before_any_change():
    assert isinstance(O.get("ftrl"), O.Ftrl) and isinstance(O.get("Ftrl"), O.Ftrl)
    opt = O.Ftrl(learning_rate=0.0)
    v = fastnn.Variable(np.array([1.0, 2.0], np.float32))
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        opt.apply_gradients([(np.ones(2, np.float32), v)])
    np.testing.assert_array_equal(v, [1.0, 2.0])


@pytest.mark.parametrize("name", sorted(ALL))
def test_config_round_trip(name):
    opt = ALL[name](use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5,
                    gradient_accumulation_steps=4)
    cfg = opt.get_config()
    assert (cfg["use_ema"], cfg["ema_momentum"], cfg["ema_overwrite_frequency"],
            cfg["gradient_accumulation_steps"]) == (True, 0.9, 5, 4)
    again = O.get(O.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == cfg
    assert type(opt).from_config(cfg).get_config() == cfg
    # a Keras config also holds loss_scale_factor (None unless mixed precision)
    assert type(opt).from_config({**cfg, "loss_scale_factor": None}).get_config() == cfg
    assert pickle.loads(pickle.dumps(opt)).get_config() == cfg


@pytest.mark.parametrize("bad, exc, word", [
    ({"use_ema": "yes"}, TypeError, "use_ema"),
    ({"ema_momentum": -0.1}, ValueError, "ema_momentum"),
    ({"ema_momentum": 1.5}, ValueError, "ema_momentum"),
    ({"ema_momentum": float("nan")}, ValueError, "ema_momentum"),
    ({"ema_momentum": "0.9"}, TypeError, "ema_momentum"),
    ({"ema_overwrite_frequency": 0}, ValueError, "ema_overwrite_frequency"),
    ({"ema_overwrite_frequency": 2.5}, TypeError, "ema_overwrite_frequency"),
    ({"ema_overwrite_frequency": True}, TypeError, "ema_overwrite_frequency"),
    ({"gradient_accumulation_steps": 1}, ValueError, "gradient_accumulation_steps"),
    ({"gradient_accumulation_steps": 0}, ValueError, "gradient_accumulation_steps"),
    ({"gradient_accumulation_steps": -3}, ValueError, "gradient_accumulation_steps"),
    ({"gradient_accumulation_steps": 2.0}, TypeError, "gradient_accumulation_steps"),
    ({"gradient_accumulation_steps": True}, TypeError, "gradient_accumulation_steps"),
])
@pytest.mark.parametrize("name", ["sgd", "adam", "ftrl"])
def test_bad_option_values_are_refused_naming_them(name, bad, exc, word):
    with pytest.raises(exc, match=word):
        ALL[name](**bad)


@pytest.mark.parametrize("kw, word", [
    ({"learning_rate_power": 0.5}, "learning_rate_power"),
    ({"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ({"l1_regularization_strength": -1.0}, "l1_regularization_strength"),
    ({"l2_regularization_strength": float("inf")}, "l2_regularization_strength"),
    ({"l2_shrinkage_regularization_strength": -0.1}, "l2_shrinkage_regularization_strength"),
    ({"beta": "0"}, "beta"),
])
def test_ftrl_bad_arguments(kw, word):
    with pytest.raises((ValueError, TypeError), match=word):
        O.Ftrl(**kw)


def test_options_that_decide_the_slots_cannot_change_once_built():
    opt = O.Adam(use_ema=True, gradient_accumulation_steps=2)
    v = fastnn.Variable(np.ones(2, np.float32))
    opt.apply_gradients([(np.ones(2, np.float32), v)])
    with pytest.raises(ValueError, match="use_ema"):
        opt.use_ema = False
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        opt.gradient_accumulation_steps = 3
    assert opt.use_ema and opt.gradient_accumulation_steps == 2


def _model(opt, seed=0):
    rng = np.random.default_rng(seed)
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(5, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    m.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in m.get_weights()])
    m.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, 40)


@pytest.mark.parametrize("kw", [{"use_ema": True}, {"gradient_accumulation_steps": 2}],
                         ids=["use_ema", "gradient_accumulation_steps"])
def test_engine_runs_the_option_with_the_layer_path_numbers(monkeypatch, kw):
    """The C engine trains with these options (csrc/train_impl.inc), bitwise as the
    layer path (tests/test_engine_optimizers.py has the rest)."""
    x, y = _data()
    m = _model(O.Adam(0.01, **kw))
    fastnn.utils.set_random_seed(3)    # the same batches on both paths
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert m._engine.why is None and m._engine.fit_plan is not None
    monkeypatch.setattr(engine, "ENABLED", False)
    ref = _model(O.Adam(0.01, **kw))
    fastnn.utils.set_random_seed(3)
    ref.fit(x, y, epochs=1, batch_size=8, verbose=0)
    for a, b in zip(m.get_weights() + m.optimizer.get_state(),
                    ref.get_weights() + ref.optimizer.get_state()):
        np.testing.assert_array_equal(a, b)


def test_fit_ends_with_the_moving_averages_as_the_weights():
    """Keras' fit calls finalize_variable_values after the last epoch: the weights are
    the optimizer's averages (test_ema_with_model_fit of Keras' optimizer_test, with
    labels of the output's shape)."""
    x_train = np.ones((1, 1)).astype("float32")
    y_train = np.zeros((1, 2)).astype("float32")
    optimizer = O.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    model = fastnn.Sequential([layers.Dense(2, kernel_initializer="ones", use_bias=False)])
    model.compile(loss="mse", optimizer=optimizer)
    model.fit(x_train, y_train, batch_size=1, epochs=2, verbose=0)
    np.testing.assert_allclose(optimizer.slots_for(model.trainable_weights)[0]["average"],
                               [[0.891, 0.891]], atol=1e-5)
    np.testing.assert_allclose(model.trainable_weights[0], [[0.891, 0.891]], atol=1e-5)


def test_fit_with_no_epochs_leaves_the_weights():
    x, y = _data()
    m = _model(O.SGD(0.1, use_ema=True))
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    w = m.get_weights()
    m.fit(x, y, epochs=0, verbose=0)
    for a, b in zip(m.get_weights(), w):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kw", [
    {"use_ema": True, "ema_momentum": 0.8},
    {"gradient_accumulation_steps": 3},
    {"use_ema": True, "gradient_accumulation_steps": 2, "ema_overwrite_frequency": 2},
], ids=["ema", "accumulation", "both"])
@pytest.mark.parametrize("how", ["file", "pickle"])
def test_saved_and_pickled_models_keep_the_slots_and_train_on_alike(kw, how, tmp_path):
    """The moving averages and the gradient sums are optimizer state: a model saved (or
    pickled) mid-accumulation trains on exactly as the original does."""
    x, y = _data()
    m = _model(O.Adam(0.02, **kw))
    m.fit(x[:24], y[:24], epochs=1, batch_size=8, shuffle=False, verbose=0)   # 3 steps
    state = m.optimizer.get_state()
    if how == "file":
        m.save(tmp_path / "m.keras")
        m2 = saving.load_model(tmp_path / "m.keras")
    else:
        m2 = pickle.loads(pickle.dumps(m))
    assert m2.optimizer.get_config() == m.optimizer.get_config()
    assert m2.optimizer._iterations == m.optimizer._iterations == 3
    assert m2.optimizer.iterations == m.optimizer.iterations
    state2 = m2.optimizer.get_state()
    assert len(state2) == len(state)
    for a, b in zip(state, state2):
        np.testing.assert_array_equal(a, b)
    if kw.get("gradient_accumulation_steps") == 2:
        # saved between an accumulation and its update: the sums are not zero
        assert any(s["gradient_accumulator"].any()
                   for s in m2.optimizer.slots_for(m2.trainable_weights))
    m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    m2.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_swap_ema_weights_swaps_in_place_and_back():
    x, y = _data()
    m = _model(O.SGD(0.1, use_ema=True, ema_momentum=0.5))
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    opt = m.optimizer
    weights = [np.array(w, copy=True) for w in m.trainable_weights]
    averages = [np.array(s["average"], copy=True)
                for s in opt.slots_for(m.trainable_weights)]
    cb = callbacks.SwapEMAWeights()
    preds = []

    class Record(callbacks.Callback):
        def on_predict_end(self, logs=None):
            preds.append([np.array(w, copy=True) for w in self.model.trainable_weights])

    m.predict(x, callbacks=[cb, Record()], verbose=0)
    for a, b in zip(preds[0], averages):          # predict ran with the averages
        np.testing.assert_array_equal(a, b)
    for a, b in zip(m.trainable_weights, weights):    # and swapped back after it
        np.testing.assert_array_equal(a, b)
    r1 = m.evaluate(x, y, callbacks=[cb], verbose=0)
    for a, b in zip(m.trainable_weights, weights):
        np.testing.assert_array_equal(a, b)
    m.set_weights([np.array(a) for a in averages] +
                  [w for w in m.get_weights()[len(averages):]])
    assert m.evaluate(x, y, verbose=0) == r1


def test_swap_ema_weights_bad_argument():
    with pytest.raises(TypeError, match="swap_on_epoch"):
        callbacks.SwapEMAWeights(swap_on_epoch="yes")
    m = _model(O.SGD(0.1))
    x, y = _data()
    w = m.get_weights()
    with pytest.raises(ValueError, match="use_ema=True"):
        m.fit(x, y, epochs=1, callbacks=[callbacks.SwapEMAWeights()], verbose=0)
    for a, b in zip(m.get_weights(), w):      # refused before any step
        np.testing.assert_array_equal(a, b)


def test_finalize_variable_values_without_ema_changes_nothing():
    opt = O.SGD(0.1)
    v = fastnn.Variable(np.ones(2, np.float32))
    opt.apply_gradients([(np.ones(2, np.float32), v)])
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v, [0.9, 0.9])


def test_summary_counts_the_extra_slots():
    x, y = _data()
    m = _model(O.SGD(0.1, use_ema=True, gradient_accumulation_steps=2))
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    out = io.StringIO()
    m.summary(print_fn=lambda s: out.write(s))
    n = sum(w.size for w in m.trainable_weights)
    # iterations + learning rate + an average and a gradient sum per weight
    assert f"Optimizer params: {2 * n + 2:,}" in out.getvalue()


def test_ftrl_refuses_a_zero_accumulator_that_would_give_nan():
    """With n = 0, no L2 and no beta, a weight whose gradient is 0 would be 0/0."""
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        O.Ftrl(initial_accumulator_value=0.0)
    for ok in ({"l2_regularization_strength": 0.1}, {"beta": 0.5},
               {"learning_rate_power": 0.0}):
        opt = O.Ftrl(initial_accumulator_value=0.0, **ok)
        v = fastnn.Variable(np.array([1.0, 2.0], np.float32))
        opt.apply_gradients([(np.array([0.0, 1.0], np.float32), v)])
        assert np.isfinite(v).all()


def test_ftrl_step_that_overflows_changes_nothing():
    """A step giving inf or NaN (here 16.1^314 overflows) is refused before any variable,
    slot or the step count changes (Keras writes the infinities)."""
    opt = O.Ftrl(learning_rate=0.001, learning_rate_power=-314.0)
    vs = [fastnn.Variable(np.array([0.5, 0.0], np.float64)),
          fastnn.Variable(np.array([1.0, -2.0, 0.0, 3.0], np.float64))]
    before = _copy(vs)
    with pytest.raises(ValueError, match="non-finite.*nothing was changed"):
        opt.apply_gradients(zip([np.array([0.1, 0.2]), np.array([4.0, 0.0, -1.0, 1e-3])], vs))
    for a, b in zip(vs, before):
        np.testing.assert_array_equal(a, b)
    assert opt.iterations == 0
    for s in opt.slots_for(vs):
        np.testing.assert_array_equal(s["accumulator"], 0.1)
        assert not s["linear"].any()
