"""Optimizers: Keras defaults and one (or two) hand-computed steps per formula."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import optimizers
from fastnn.optimizers import schedules
from fastnn.optimizers.schedules import ExponentialDecay

W0 = np.array([1.0, -2.0, 3.0, 0.5])
G1 = np.array([0.1, -0.2, 0.3, -0.05])
G2 = np.array([-0.3, 0.1, 0.2, 0.4])


def _step(opt, grads_list, dtype=np.float64):
    w = W0.astype(dtype).copy()
    for g in grads_list:
        opt.apply([g.astype(dtype)], [w])
    return w


def test_keras_defaults():
    assert optimizers.SGD().learning_rate == 0.01
    assert optimizers.SGD().momentum == 0.0 and optimizers.SGD().nesterov is False
    a = optimizers.Adam()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert optimizers.AdamW().weight_decay == 0.004
    r = optimizers.RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (0.001, 0.9, 0.0, 1e-7, False)
    ag = optimizers.Adagrad()
    assert (ag.learning_rate, ag.initial_accumulator_value, ag.epsilon) == (0.001, 0.1, 1e-7)
    for cls in (optimizers.Nadam, optimizers.Adamax):
        o = cls()
        assert (o.learning_rate, o.beta_1, o.beta_2, o.epsilon, o.weight_decay) == \
            (0.001, 0.9, 0.999, 1e-7, None)
    ad = optimizers.Adadelta()
    assert (ad.learning_rate, ad.rho, ad.epsilon, ad.weight_decay) == (0.001, 0.95, 1e-7, None)
    li = optimizers.Lion()
    assert (li.learning_rate, li.beta_1, li.beta_2, li.weight_decay) == (0.001, 0.9, 0.99, None)
    assert optimizers.Adam().amsgrad is False and optimizers.AdamW().amsgrad is False


@pytest.mark.parametrize("opt, names", [
    (optimizers.Adam(amsgrad=True), ("m", "v", "velocity_hat")),
    (optimizers.AdamW(amsgrad=True), ("m", "v", "velocity_hat")),
    (optimizers.Adam(), ("m", "v")),
    (optimizers.Adadelta(), ("accumulated_grad", "accumulated_delta_var")),
    (optimizers.Lion(), ("momentum",)),
], ids=["adam_amsgrad", "adamw_amsgrad", "adam", "adadelta", "lion"])
def test_slot_names(opt, names):
    """Keras' slot names (Adam's m and v are fastnn's own, as before)."""
    opt.build([np.zeros(3)])
    assert tuple(opt.slots_for(opt._built_vars)[0]) == names
    assert len(opt.get_state()) == 1 + len(names)


def test_sgd_plain_step():
    w = _step(optimizers.SGD(learning_rate=0.1), [G1])
    np.testing.assert_allclose(w, W0 - 0.1 * G1, rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps():
    lr, mu = 0.1, 0.9
    m1 = -lr * G1
    w1 = W0 + m1
    m2 = mu * m1 - lr * G2
    w2 = w1 + m2
    np.testing.assert_allclose(_step(optimizers.SGD(lr, momentum=mu), [G1, G2]), w2, atol=1e-14)


def test_sgd_nesterov_two_steps():
    lr, mu = 0.1, 0.9
    m1 = -lr * G1
    w1 = W0 + mu * m1 - lr * G1
    m2 = mu * m1 - lr * G2
    w2 = w1 + mu * m2 - lr * G2
    np.testing.assert_allclose(_step(optimizers.SGD(lr, momentum=mu, nesterov=True), [G1, G2]), w2,
                               atol=1e-14)


def _adam_ref(grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, wd=0.0):
    w = W0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - alpha * m / (np.sqrt(v) + eps)
    return w


def test_adam_two_steps():
    np.testing.assert_allclose(_step(optimizers.Adam(0.01), [G1, G2]), _adam_ref([G1, G2], lr=0.01),
                               rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # Known number: with bias correction, Adam's first step is lr*sign(g), shrunk only by
    # Keras' epsilon-hat: lr * g*sqrt(1-b2) / (|g|*sqrt(1-b2) + eps).
    w = _step(optimizers.Adam(0.01), [G1])
    s = math.sqrt(0.001)
    np.testing.assert_allclose(W0 - w, 0.01 * G1 * s / (np.abs(G1) * s + 1e-7), rtol=1e-12)
    np.testing.assert_allclose(W0 - w, 0.01 * np.sign(G1), rtol=1e-4)


def test_adamw_decoupled_decay():
    got = _step(optimizers.AdamW(0.01), [G1, G2])
    np.testing.assert_allclose(got, _adam_ref([G1, G2], lr=0.01, wd=0.004), rtol=1e-12)
    # decay really applied: differs from plain Adam
    assert not np.allclose(got, _adam_ref([G1, G2], lr=0.01))


def test_rmsprop_two_steps_eps_inside_sqrt():
    lr, rho, eps = 0.01, 0.9, 1e-7
    v = (1 - rho) * G1 ** 2
    w = W0 - lr * G1 / np.sqrt(v + eps)
    v = rho * v + (1 - rho) * G2 ** 2
    w = w - lr * G2 / np.sqrt(v + eps)
    np.testing.assert_allclose(_step(optimizers.RMSprop(lr), [G1, G2]), w, rtol=1e-12)


def test_rmsprop_centered_momentum():
    lr, rho, mu, eps = 0.01, 0.9, 0.5, 1e-7
    w, v, mg, mom = W0.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    for g in (G1, G2):
        v = rho * v + (1 - rho) * g * g
        mg = rho * mg + (1 - rho) * g
        inc = lr * g / np.sqrt(v - mg * mg + eps)
        mom = mu * mom + inc
        w = w - mom
    got = _step(optimizers.RMSprop(lr, momentum=mu, centered=True), [G1, G2])
    np.testing.assert_allclose(got, w, rtol=1e-12)


def test_adagrad_two_steps():
    lr, eps = 0.1, 1e-7
    acc = 0.1 + G1 ** 2
    w = W0 - lr * G1 / np.sqrt(acc + eps)
    acc = acc + G2 ** 2
    w = w - lr * G2 / np.sqrt(acc + eps)
    np.testing.assert_allclose(_step(optimizers.Adagrad(lr), [G1, G2]), w, rtol=1e-12)


def test_weight_decay_on_sgd():
    w = _step(optimizers.SGD(0.1, weight_decay=0.5), [G1])
    np.testing.assert_allclose(w, W0 - W0 * 0.05 - 0.1 * G1, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_in_place_keep_dtype(dtype):
    w = W0.astype(dtype)
    ref = w
    opt = optimizers.Adam()
    opt.apply([G1], [w])
    assert w is ref and w.dtype == dtype and w.flags.c_contiguous
    assert opt.iterations == 1


def test_clipnorm_clipvalue_global():
    g = np.array([3.0, 4.0])  # norm 5
    w = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=1.0).apply([g], [w])
    np.testing.assert_allclose(w, -g / 5)
    w = np.zeros(2)
    optimizers.SGD(1.0, clipvalue=3.5).apply([g], [w])
    np.testing.assert_allclose(w, [-3.0, -3.5])
    w1, w2 = np.zeros(2), np.zeros(2)
    optimizers.SGD(1.0, global_clipnorm=5.0).apply([g, g], [w1, w2])  # global norm 5*sqrt2
    np.testing.assert_allclose(w1, -g / math.sqrt(2))
    with pytest.raises(ValueError, match="only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_schedule_learning_rate():
    sched = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert fastnn.optimizers.schedules.ExponentialDecay is ExponentialDecay
    opt = optimizers.SGD(sched)
    assert opt.learning_rate == pytest.approx(0.1)
    w = np.zeros(1)
    for _ in range(10):
        opt.apply([np.ones(1)], [w])
    assert opt.iterations == 10
    assert opt.learning_rate == pytest.approx(0.05)
    # the steps used lr(step) for step 0..9
    assert w[0] == pytest.approx(-sum(0.1 * 0.5 ** (s / 10) for s in range(10)))
    stair = ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert stair(19) == pytest.approx(0.05)
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.3


def test_learning_rate_assignable():
    opt = optimizers.Adam()
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    opt.learning_rate = np.float32(0.25)
    assert opt.learning_rate == 0.25
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0


def test_learning_rate_variable_methods_keras_code_calls():
    """Keras returns the rate's variable: code calls .assign() and .numpy() on it."""
    import copy
    import pickle
    opt = optimizers.SGD(0.1)
    lr = opt.learning_rate
    assert isinstance(lr, float) and lr == 0.1
    assert type(lr.numpy()) is np.float32 and lr.numpy() == np.float32(0.1)
    assert opt.learning_rate.assign(0.05) == 0.05 and opt.learning_rate == 0.05
    assert opt.lr.assign(np.float64(0.02)) == 0.02      # the Keras 2 name too
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        opt.learning_rate.assign(float("nan"))
    assert opt.learning_rate == 0.02
    # A copy or a pickle is the value, never the optimizer.
    for c in (copy.deepcopy(opt.learning_rate), pickle.loads(pickle.dumps(opt.learning_rate))):
        assert type(c) is float and c == 0.02
    assert opt.get_config()["learning_rate"] == 0.02
    # The update uses the assigned rate.
    w = np.zeros(1)
    opt.apply([np.ones(1)], [w])
    assert w[0] == pytest.approx(-0.02)
    # A schedule's current value is a plain float: it has no variable to assign.
    sched = optimizers.SGD(ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    assert type(sched.learning_rate) is float


def test_learning_rate_assigned_between_fits_drives_the_engine():
    from fastnn import layers as L
    x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    y = np.arange(64) % 3
    m = fastnn.Sequential([L.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3)])
    m.compile(optimizers.Adam(0.01), fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, epochs=1, verbose=0)
    m.optimizer.learning_rate.assign(0.0)
    before = m.get_weights()
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.fit_plan is not None
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_get_set_state_round_trip_continues_identically():
    a = optimizers.Adam(0.01)
    wa = W0.copy()
    a.apply([G1], [wa])
    b = optimizers.Adam(0.01)
    wb = wa.copy()
    b.build([wb])
    state = a.get_state()
    assert len(state) == 3 and int(state[0]) == 1
    b.set_state(state)
    a.apply([G2], [wa])
    b.apply([G2], [wb])
    np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match="expected 3 arrays"):
        b.set_state(state[:2])


def test_set_state_before_build_is_applied_on_build():
    a = optimizers.RMSprop(momentum=0.5, centered=True)
    w = W0.copy()
    a.apply([G1], [w])
    b = optimizers.RMSprop(momentum=0.5, centered=True)
    b.set_state(a.get_state())
    w2 = w.copy()
    a.apply([G2], [w])
    b.apply([G2], [w2])
    np.testing.assert_array_equal(w, w2)


@pytest.mark.parametrize("opt", [optimizers.SGD(0.2, momentum=0.3, nesterov=True), optimizers.Adam(0.02),
                                 optimizers.AdamW(0.01, weight_decay=0.1), optimizers.RMSprop(rho=0.8),
                                 optimizers.Adagrad(initial_accumulator_value=0.2),
                                 optimizers.SGD(ExponentialDecay(0.1, 5, 0.9)),
                                 optimizers.Nadam(0.5, beta_1=0.5, beta_2=0.67, epsilon=1e-5),
                                 optimizers.Adamax(0.2, beta_1=0.85, beta_2=0.95,
                                                   weight_decay=0.01),
                                 optimizers.Adam(0.5, beta_1=0.5, beta_2=0.67, epsilon=1e-5,
                                                 amsgrad=True),
                                 optimizers.AdamW(0.5, weight_decay=0.008, amsgrad=True),
                                 optimizers.Adadelta(0.5, rho=0.9, epsilon=1e-5),
                                 optimizers.Lion(0.5, beta_1=0.5, beta_2=0.67,
                                                 weight_decay=0.01, clipvalue=2.0),
                                 optimizers.Lion(schedules.PolynomialDecay(0.1, 100, 0.005,
                                                                           power=2.0, cycle=True)),
                                 optimizers.Adadelta(schedules.CosineDecay(
                                     0.05, 10, alpha=0.1, warmup_target=0.2, warmup_steps=2)),
                                 optimizers.Adam(schedules.CosineDecayRestarts(
                                     0.05, 10, t_mul=3.0, m_mul=0.5, alpha=0.1))])
def test_config_round_trip(opt):
    cfg = optimizers.serialize(opt)
    new = optimizers.get(cfg)
    assert type(new) is type(opt)
    assert new.get_config() == opt.get_config()


def test_get_by_name_and_unknown():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamx'.*adagrad.*adam.*rmsprop.*sgd"):
        optimizers.get("adamx")


def test_get_none_is_none_as_keras_3():
    # Keras 3's optimizers.get: None is returned as it is (compile(optimizer=None))
    assert optimizers.get(None) is None
    with pytest.raises(ValueError, match=r"expected an optimizer name or a fastnn Optimizer, "
                                         r"got 3"):
        optimizers.get(3)


def test_compile_default_is_rmsprop():
    m = fastnn.Sequential([fastnn.layers.Dense(1)])
    m.compile(loss="mse")
    assert isinstance(m.optimizer, optimizers.RMSprop)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Nadam", "Adamax",
                                  "Adadelta", "Lion"])
def test_a_step_may_update_any_subset_of_the_built_variables(name):
    """As in Keras: built for [a, b, c], a step on [c, a] updates c and a with their own
    slots (as an optimizer built for them alone would), leaves b and its slots alone; a
    variable it was not built with is refused before anything changes."""
    kw = {"momentum": 0.9} if name == "SGD" else {}
    rng = np.random.default_rng(1)
    shapes = [(3, 2), (4,), (2, 5)]
    start = [rng.standard_normal(s) for s in shapes]
    g1 = [rng.standard_normal(s) for s in shapes]
    g2 = [rng.standard_normal(s) for s in (shapes[2], shapes[0])]
    opt = getattr(optimizers, name)(learning_rate=0.1, **kw)
    a, b, c = [w.copy() for w in start]
    opt.apply(g1, [a, b, c])
    b1, slots_b = b.copy(), {k: v.copy() for k, v in opt.slots_for([b])[0].items()}
    opt.apply(g2, [c, a])
    assert np.array_equal(b, b1)
    assert all(np.array_equal(v, slots_b[k]) for k, v in opt.slots_for([b])[0].items())
    ref = getattr(optimizers, name)(learning_rate=0.1, **kw)
    ra, rc = start[0].copy(), start[2].copy()
    ref.apply([g1[0], g1[2]], [ra, rc])
    ref.apply([g2[1], g2[0]], [ra, rc])
    assert np.array_equal(a, ra) and np.array_equal(c, rc)
    assert opt.iterations == ref.iterations == 2

    stranger, before = np.zeros((3, 2)), a.copy()
    with pytest.raises(ValueError, match=r"unknown variable 1 \(shape \(3, 2\)\).*3 variables it was built with"):
        opt.apply([g2[1], g2[1]], [a, stranger])
    assert np.array_equal(a, before) and opt.iterations == 2


def test_apply_checks_variables_once_and_gradients_every_step():
    """The variables are checked when the optimizer is built (then only those very arrays
    are taken), each gradient's shape at every step, and a bad call changes nothing."""
    opt = optimizers.Adam(0.1)
    w = np.ones((4, 3))
    with pytest.raises(ValueError, match="C-contiguous"):
        opt.apply([np.ones((3, 4))], [w.T])
    assert not opt.built and opt.iterations == 0
    with pytest.raises(TypeError, match="float32 or float64"):
        optimizers.SGD().apply([np.ones(3)], [np.ones(3, dtype=np.int64)])
    opt.apply([np.ones((4, 3))], [w])
    before = w.copy()
    with pytest.raises(ValueError, match=r"Adam.apply: gradient 0 has shape \(3, 4\), its variable \(4, 3\)"):
        opt.apply([np.ones((3, 4))], [w])
    assert np.array_equal(w, before) and opt.iterations == 1
    nan_lr = optimizers.SGD(lambda step: float("nan"))
    with pytest.raises(ValueError, match="SGD.apply: the learning rate must be finite, got nan"):
        nan_lr.apply([np.ones((4, 3))], [w])
    assert np.array_equal(w, before) and nan_lr.iterations == 0


@pytest.mark.parametrize("name", ["Nadam", "Adamax"])
def test_state_round_trip_and_fit_with_the_newer_optimizers(name, tmp_path):
    """Nadam's running product of its momentum factors follows from the step count, so
    the saved state (step count and slots) continues bit for bit; both train a model
    (on the layer path: the C engine has no step for them) and save with it."""
    rng = np.random.default_rng(0)
    a = getattr(optimizers, name)(0.01)
    wa = W0.copy()
    for _ in range(30):
        a.apply([rng.standard_normal(4)], [wa])
    b = getattr(optimizers, name)(0.01)
    wb = wa.copy()
    b.build([wb])
    b.set_state(a.get_state())
    for _ in range(5):
        g = rng.standard_normal(4)
        a.apply([g], [wa])
        b.apply([g], [wb])
    np.testing.assert_array_equal(wa, wb)

    fastnn.utils.set_random_seed(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.float32)
    m = fastnn.Sequential([fastnn.layers.Input((5,)), fastnn.layers.Dense(8, activation="relu"),
                           fastnn.layers.Dense(1, activation="sigmoid")])
    m.compile(name.lower(), "binary_crossentropy")
    assert type(m.optimizer).__name__ == name
    h = m.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    path = str(tmp_path / "m.fastnn")
    m.save(path)
    m2 = fastnn.models.load_model(path)
    assert type(m2.optimizer) is type(m.optimizer) and m2.optimizer.iterations == 12
    m.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    m2.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    for p, q in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(p, q)


def test_weight_decay_exclusions():
    """Keras' exclude_from_weight_decay: by variable or by a regular expression on the
    name; only before the optimizer is built."""
    v1 = fastnn.Variable(np.array([2.0]), name="kernel")
    v2 = fastnn.Variable(np.array([2.0]), name="bias")
    opt = optimizers.AdamW(1.0, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.zeros(1), np.zeros(1)], [v1, v2])
    assert float(v1[0]) == pytest.approx(2.0 * 0.9) and float(v2[0]) == 2.0
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_list=[v1])
    with pytest.raises(ValueError, match="not a regular expression"):
        optimizers.SGD().exclude_from_weight_decay(var_names=["("])


@pytest.mark.parametrize("make", [
    lambda: optimizers.Adadelta(1.0, rho=0.9),
    lambda: optimizers.Lion(0.003, weight_decay=0.01),
    lambda: optimizers.Adam(0.01, amsgrad=True),
    lambda: optimizers.AdamW(schedules.CosineDecayRestarts(0.01, 5, alpha=0.1), amsgrad=True),
    lambda: optimizers.Lion(schedules.PolynomialDecay(0.004, 6, 0.001, power=0.5, cycle=True)),
], ids=["adadelta", "lion", "adam_amsgrad", "adamw_amsgrad_restarts", "lion_polynomial"])
def test_state_save_load_and_continued_training(make, tmp_path):
    """The slots (get_state / set_state, and a model file) carry the whole optimizer state:
    training continues bit for bit after a round trip. These train on the C engine."""
    rng = np.random.default_rng(0)
    a = make()
    wa = W0.copy()
    for _ in range(30):
        a.apply([rng.standard_normal(4)], [wa])
    b = make()
    wb = wa.copy()
    b.build([wb])
    b.set_state(a.get_state())
    for _ in range(5):
        g = rng.standard_normal(4)
        a.apply([g], [wa])
        b.apply([g], [wb])
    np.testing.assert_array_equal(wa, wb)

    fastnn.utils.set_random_seed(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.float32)
    m = fastnn.Sequential([fastnn.layers.Input((5,)), fastnn.layers.Dense(8, activation="relu"),
                           fastnn.layers.Dense(1, activation="sigmoid")])
    m.compile(make(), "binary_crossentropy")
    h = m.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert m._engine.fit_plan is not None, m._engine.why
    assert h.history["loss"][-1] < h.history["loss"][0]
    path = str(tmp_path / "m.fastnn")
    m.save(path)
    m2 = fastnn.models.load_model(path)
    assert type(m2.optimizer) is type(m.optimizer) and m2.optimizer.iterations == 12
    assert m2.optimizer.get_config() == m.optimizer.get_config()
    for p, q in zip(m.optimizer.get_state(), m2.optimizer.get_state()):
        np.testing.assert_array_equal(p, q)
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    m2.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for p, q in zip(m.get_weights() + m.optimizer.get_state(),
                    m2.get_weights() + m2.optimizer.get_state()):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("slot", ["velocity_hat", "accumulated_grad", "accumulated_delta_var"])
def test_negative_sums_of_squares_are_refused_on_load(slot, tmp_path):
    """The slots that are sums of squares or their running maximum cannot be negative in
    a file (the next update would be NaN)."""
    opt = optimizers.Adam(0.01, amsgrad=True) if slot == "velocity_hat" else optimizers.Adadelta(1.0)
    m = fastnn.Sequential([fastnn.layers.Input((3,)), fastnn.layers.Dense(2)])
    m.compile(opt, "mse")
    m.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    names = opt._slot_names_for()
    for st in opt.slots_for(opt._built_vars):
        st[slot][...] = -1.0
    path = str(tmp_path / "m.fastnn")
    m.save(path)
    with pytest.raises(ValueError, match=slot):
        fastnn.models.load_model(path)
    assert slot in names


def _restarts_by_walking(step, first, t_mul, m_mul, alpha):
    """Keras' test reference (np_cosine_decay_restarts): walk the periods one by one."""
    fac, decay_steps = 1.0, first
    while step >= decay_steps:
        step -= decay_steps
        decay_steps *= t_mul
        fac *= m_mul
    decay = fac * 0.5 * (1.0 + math.cos(math.pi * step / decay_steps))
    return (1.0 - alpha) * decay + alpha


@pytest.mark.parametrize("t_mul", [1.0, 1.5, 2.0, 3.0, 0.9])
def test_cosine_decay_restarts_every_step(t_mul):
    """Every step of the first periods, boundaries included (where the closed form's
    logarithm can round to the period before), as walking the periods gives it."""
    first, m_mul, alpha = 7, 0.8, 0.1
    s = schedules.CosineDecayRestarts(2.0, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    last = 60 if t_mul < 1 else 400       # t_mul = 0.9: all periods end at step 70
    for step in range(last):
        assert s(step) == pytest.approx(2.0 * _restarts_by_walking(step, first, t_mul, m_mul,
                                                                   alpha), rel=1e-9, abs=1e-12)
    # at each restart the rate is back at m_mul**i times the initial one
    start = 0.0
    for i in range(5 if t_mul < 1 else 8):
        assert s(start) == pytest.approx(2.0 * ((1 - alpha) * m_mul ** i + alpha), rel=1e-12)
        start += first * t_mul ** i
        if t_mul != 1.0 and abs(start - round(start)) > 1e-9:
            break


def test_polynomial_and_cosine_warmup_values():
    p = schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0)
    assert p(0) == 0.1 and p(10) == pytest.approx(0.01) and p(50) == pytest.approx(0.01)
    assert p(5) == pytest.approx(0.09 * 0.25 + 0.01)
    c = schedules.PolynomialDecay(0.1, 10, 0.01, cycle=True)
    # cycle: step 15 decays over 20 steps, step 20 ends the second cycle
    assert c(15) == pytest.approx(0.09 * 0.25 + 0.01) and c(20) == pytest.approx(0.01)
    assert c(21) == pytest.approx(0.09 * (1 - 21 / 30) + 0.01)
    w = schedules.CosineDecay(0.0, 10, alpha=0.2, warmup_target=1.0, warmup_steps=4)
    assert [w(s) for s in range(5)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert w(9) == pytest.approx(0.2 + 0.8 * 0.5)        # half way through the decay
    assert w(14) == pytest.approx(0.2) and w(1000) == pytest.approx(0.2)
    # warmup_steps=0 with a target: the decay starts at the target
    assert schedules.CosineDecay(0.5, 10, warmup_target=1.0)(0) == 1.0
    # InverseTimeDecay's staircase floors step / decay_steps (Keras)
    it = schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)
    assert it(9) == 0.1 and it(10) == pytest.approx(0.1 / 1.5) and it(29) == pytest.approx(0.05)


def test_schedules_deserialize_keras_form():
    """Keras' serialized form (with "module" and "registered_name") is read as well."""
    cfg = {"module": "keras.optimizers.schedules", "class_name": "CosineDecayRestarts",
           "config": {"initial_learning_rate": 0.05, "first_decay_steps": 10, "t_mul": 3.0,
                      "m_mul": 4.0, "alpha": 0.1, "name": "my_cdr"},
           "registered_name": None}
    s = schedules.deserialize(cfg)
    assert isinstance(s, schedules.CosineDecayRestarts) and s.get_config() == cfg["config"]
    assert schedules.serialize(s) == {"class_name": "CosineDecayRestarts", "config": cfg["config"]}


@pytest.mark.parametrize("schedule", [
    schedules.PolynomialDecay(0.02, 5, 0.002, power=0.5, cycle=True),
    schedules.CosineDecay(0.0, 6, alpha=0.1, warmup_target=0.02, warmup_steps=3),
    schedules.CosineDecayRestarts(0.02, 4, t_mul=1.5, m_mul=0.7, alpha=0.05),
    schedules.InverseTimeDecay(0.02, 3, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([5, 9], [0.02, 0.01, 0.005]),
], ids=["polynomial", "cosine_warmup", "cosine_restarts", "inverse_time", "piecewise"])
def test_model_with_a_schedule_saves_and_continues(schedule, tmp_path):
    """A model whose optimizer follows a schedule: the file keeps the schedule (its
    config) and the step, and training continues with the same rates."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = x[:, :2] * 0.5
    fastnn.utils.set_random_seed(1)
    m = fastnn.Sequential([fastnn.layers.Input((4,)), fastnn.layers.Dense(6, activation="tanh"),
                           fastnn.layers.Dense(2)])
    m.compile(optimizers.Adam(schedule), "mse")
    m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = str(tmp_path / "m.fastnn")
    m.save(path)
    m2 = fastnn.models.load_model(path)
    lr2 = m2.optimizer._learning_rate
    assert type(lr2) is type(schedule) and lr2.get_config() == schedule.get_config()
    assert m2.optimizer.iterations == 10 and m2.optimizer.learning_rate == m.optimizer.learning_rate
    m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    m2.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for p, q in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(p, q)


def test_compile_without_an_optimizer_evaluates_and_predicts_but_does_not_train():
    # Keras 3 compiles with optimizer=None (for evaluate / predict); its fit then fails
    # on the missing optimizer (AttributeError): fastnn refuses by name, before any step
    from fastnn.trainers.trainer import NoOptimizerError
    m = fastnn.Sequential([fastnn.Input((3,)), fastnn.layers.Dense(2)])
    m.compile(optimizer=None, loss="mse", metrics=["mae"])
    assert m.optimizer is None
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    logs = m.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}
    assert m.predict(x, verbose=0).shape == (4, 2)
    before = [w.copy() for w in m.get_weights()]
    for train in (lambda: m.fit(x, y, verbose=0), lambda: m.train_on_batch(x, y)):
        with pytest.raises(NoOptimizerError, match=r"compiled with optimizer=None, so it "
                                                   r"cannot train; expected an optimizer.*got None"):
            train()
    assert issubclass(NoOptimizerError, AttributeError) and issubclass(NoOptimizerError,
                                                                        ValueError)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert m.get_compile_config()["optimizer"] is None
