"""Optimizer behaviours Keras' tests do not pin: None gradients, overwrite_with_gradient,
loss_scale_factor, LossScaleOptimizer, optimizer.variables / set_weights, and which
path (C engine or layer by layer) a model with them trains on."""
import pickle
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import engine, layers, optimizers
from fastnn.autodiff import GradientTape

DTYPES = [np.float32, np.float64]


def _var(values, dtype=np.float32, name=None):
    return fastnn.Variable(np.asarray(values, dtype), name=name)


def _data(dtype=np.float32, n=64):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, 4)).astype(dtype),
            rng.standard_normal((n, 1)).astype(dtype))


def _model(optimizer, dtype=np.float32):
    fastnn.utils.set_random_seed(1)
    policy = np.dtype(dtype).name
    m = fastnn.Sequential([layers.Input((4,)),
                           layers.Dense(8, activation="relu", dtype=policy),
                           layers.Dense(1, dtype=policy)])
    m.compile(optimizer=optimizer, loss="mse")
    return m


def _fit(optimizer, dtype=np.float32, fused=True, monkeypatch=None, edit=None):
    if monkeypatch is not None:
        monkeypatch.setattr(engine, "ENABLED", fused)
    x, y = _data(dtype)
    m = _model(optimizer, dtype)
    if edit is not None:
        edit(m)
    h = m.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    return m, h.history["loss"]


# ------------------------------------------------------------------ None gradients
@pytest.mark.parametrize("dtype", DTYPES)
def test_none_gradients_leave_their_variables_and_warn_naming_them(dtype):
    a, b = _var([1.0, 2.0], dtype, name="a"), _var([3.0, 4.0], dtype, name="b")
    opt = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match=r"gradients do not exist for variables \['a'\]"):
        opt.apply([None, np.ones(2, dtype)], [a, b])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(b, [2.5, 3.5])
    assert opt.iterations == 1


def test_a_step_with_no_gradient_at_all_is_refused_and_changes_nothing():
    a = _var([1.0, 2.0])
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None], [a])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert opt.iterations == 0


def test_an_empty_step_does_nothing():
    opt = optimizers.SGD()
    opt.apply([], [])
    assert opt.iterations == 0 and not opt.built


def test_apply_without_variables_takes_those_the_optimizer_was_built_with():
    a, b = _var([1.0]), _var([2.0])
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(1, np.float32)])
    opt.build([a, b])
    opt.apply([np.ones(1, np.float32), np.full(1, 2.0, np.float32)])
    np.testing.assert_array_equal(a, [0.0])
    np.testing.assert_array_equal(b, [0.0])
    with pytest.raises(ValueError, match="got 1 gradients for 2 variables"):
        opt.apply([np.ones(1, np.float32)])


# ------------------------------------------------------------------ overwrite_with_gradient
def test_overwrite_with_gradient_is_a_bool_flag_kept_by_pickle():
    v = _var([1.0])
    assert v.overwrite_with_gradient is False
    with pytest.raises(TypeError, match="overwrite_with_gradient must be True or False, got int 1"):
        v.overwrite_with_gradient = 1
    v.overwrite_with_gradient = True
    assert pickle.loads(pickle.dumps(v)).overwrite_with_gradient is True


@pytest.mark.parametrize("dtype", DTYPES)
def test_an_overwritten_variable_skips_clipping_decay_and_loss_scale(dtype):
    v, w = _var([1.0, 2.0], dtype), _var([1.0, 2.0], dtype)
    v.overwrite_with_gradient = True
    opt = optimizers.SGD(learning_rate=1.0, clipvalue=0.5, weight_decay=0.1,
                         loss_scale_factor=4.0)
    g = np.array([3.0, -8.0], dtype)
    opt.apply([g, g], [v, w])
    np.testing.assert_array_equal(v, g)              # as it came
    # w: decayed (w - w * 0.1), then the clipped unscaled gradient [0.5, -0.5]
    np.testing.assert_allclose(w, np.array([0.9, 1.8]) - [0.5, -0.5], rtol=1e-6)
    assert v.dtype == dtype


def test_with_accumulation_an_overwritten_variable_takes_the_max_with_zero():
    # Keras' rule: the accumulator starts at 0 and keeps max(gradient, accumulator)
    v = _var([1.0, 1.0])
    v.overwrite_with_gradient = True
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.apply([np.array([-1.0, 5.0], np.float32)], [v])
    np.testing.assert_array_equal(v, [1.0, 1.0])
    opt.apply([np.array([-2.0, 3.0], np.float32)], [v])
    np.testing.assert_array_equal(v, [0.0, 5.0])
    np.testing.assert_array_equal(opt._slots[0]["gradient_accumulator"], [0.0, 0.0])


def test_an_overwritten_variable_has_no_moving_average():
    v, w = _var([1.0, 1.0], name="v"), _var([1.0, 1.0], name="w")
    v.overwrite_with_gradient = True
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True)
    opt.apply([np.full(2, 5.0, np.float32), np.ones(2, np.float32)], [v, w])
    assert [p.path.split("/")[1] for p in opt.variables] == ["iteration", "learning_rate",
                                                             "w_average"]
    opt.finalize_variable_values([v, w])
    np.testing.assert_array_equal(v, [5.0, 5.0])     # left as overwritten
    np.testing.assert_array_equal(w, [0.0, 0.0])     # its average (the first step's value)


def test_a_model_with_an_overwritten_weight_trains_layer_by_layer():
    x, y = _data()
    m = _model(optimizers.SGD(0.1))
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert m._engine.fit_plan is not None, m._engine.why
    bias = m.layers[0].bias
    bias.overwrite_with_gradient = True
    with GradientTape() as tape:
        loss = fastnn.losses.MeanSquaredError()(y[:16], m(x[:16], training=True))
    expected = np.array(tape.gradient(loss, [bias])[0])
    m.fit(x[:16], y[:16], epochs=1, batch_size=16, verbose=0)
    assert m._engine.fit_plan is None
    assert "overwrite_with_gradient" in m._engine.why
    np.testing.assert_allclose(bias, expected, rtol=1e-5, atol=1e-7)   # not a SGD step
    bias.overwrite_with_gradient = False       # the engine takes the model again
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert m._engine.fit_plan is not None, m._engine.why


# ------------------------------------------------------------------ loss_scale_factor
@pytest.mark.parametrize("value, exc, message", [
    (0.0, ValueError, "loss_scale_factor"),
    (-2.0, ValueError, "loss_scale_factor"),
    (float("inf"), ValueError, "loss_scale_factor"),
    ("2", TypeError, "loss_scale_factor"),
])
def test_loss_scale_factor_must_be_a_positive_number(value, exc, message):
    with pytest.raises(exc, match=message):
        optimizers.Adam(loss_scale_factor=value)


def test_loss_scale_factor_is_in_the_config_and_scales_the_loss():
    opt = optimizers.Adam(loss_scale_factor=8.0)
    cfg = opt.get_config()
    assert cfg["loss_scale_factor"] == 8.0
    assert optimizers.Adam.from_config(cfg).get_config() == cfg
    assert opt.scale_loss(1.5) == 12.0
    assert optimizers.Adam().scale_loss(1.5) == 1.5


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_scaled_loss_has_the_scaled_gradient(dtype):
    """scale_loss on a tape: its gradient is the loss's times the factor (checked
    against central finite differences)."""
    w = _var([0.3, -0.7], dtype)
    opt = optimizers.SGD(loss_scale_factor=16.0)

    def loss_of(a):
        return np.sum(np.sin(a) * a)

    with GradientTape() as tape:
        loss = opt.scale_loss(fastnn.ops.sum(fastnn.ops.sin(w) * w))
    g = np.asarray(tape.gradient(loss, w))
    h = 1e-3 if dtype == np.float32 else 1e-6
    fd = [16.0 * (loss_of(np.asarray(w) + h * e) - loss_of(np.asarray(w) - h * e)) / (2 * h)
          for e in np.eye(2)]
    np.testing.assert_allclose(g, fd, rtol=1e-3 if dtype == np.float32 else 1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_with_a_loss_scale_trains_as_without_it_layer_by_layer(monkeypatch, dtype):
    """A power-of-two scale is exact: the weights come out bit for bit as without it;
    the C engine declines the scale."""
    plain, h1 = _fit(optimizers.Adam(0.01), dtype, fused=False, monkeypatch=monkeypatch)
    scaled, h2 = _fit(optimizers.Adam(0.01, loss_scale_factor=1024.0), dtype, fused=True,
                      monkeypatch=monkeypatch)
    assert scaled._engine.fit_plan is None
    assert "loss_scale_factor" in scaled._engine.why
    for u, v in zip(plain.get_weights(), scaled.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert h1 == h2                      # the logged loss is the unscaled one


# ------------------------------------------------------------------ optimizer.variables
def test_variables_follow_keras_order_and_paths():
    w = _var(np.ones((2, 2)), name="w")
    opt = optimizers.Adam(name="adam_x")
    assert [v.path for v in opt.variables] == ["adam_x/iteration", "adam_x/learning_rate"]
    opt.build([w])
    assert [v.path for v in opt.variables] == ["adam_x/iteration", "adam_x/learning_rate",
                                               "adam_x/w_momentum", "adam_x/w_velocity"]
    opt = optimizers.SGD(momentum=0.9, use_ema=True, gradient_accumulation_steps=2,
                         name="s")
    opt.build([w])
    assert [v.path for v in opt.variables][2:] == ["s/w_average", "s/w_gradient_accumulator",
                                                   "s/w_momentum"]
    opt = optimizers.RMSprop(momentum=0.5, centered=True, name="r")
    opt.build([w])
    assert [v.path for v in opt.variables][2:] == ["r/w_velocity", "r/w_momentum",
                                                   "r/w_average_gradient"]
    v = opt.variables
    assert v[0].dtype == np.int64 and v[1].dtype == np.float32
    assert not any(x.trainable for x in v)


def test_a_schedule_or_callable_rate_is_no_variable():
    opt = optimizers.SGD(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    assert [v.path.split("/")[1] for v in opt.variables] == ["iteration"]
    opt = optimizers.SGD(learning_rate=lambda: 0.1)
    assert len(opt.variables) == 1
    opt.learning_rate = 0.2
    assert len(opt.variables) == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_assigning_an_optimizer_variable_changes_the_optimizer(dtype):
    w = _var(np.ones(3), dtype, name="w")
    opt = optimizers.Adam(learning_rate=0.001)
    opt.apply([np.ones(3, dtype)], [w])
    it, lr, m, v = opt.variables
    it.assign(5)
    assert opt.iterations == 5
    lr.assign(0.25)
    assert opt.learning_rate == 0.25
    lr.assign_sub(0.05)
    assert opt.learning_rate == pytest.approx(0.2)
    m.assign(np.full(3, 7.0, dtype))
    np.testing.assert_array_equal(opt._slots[0]["m"], 7.0)
    assert m.dtype == dtype
    with pytest.raises(ValueError, match="shape"):
        lr.assign([0.1, 0.2])


def test_a_float32_round_trip_keeps_the_rate_as_given():
    opt = optimizers.Adam(learning_rate=0.001)
    opt.variables[1].assign(opt.variables[1].numpy())
    assert opt.learning_rate == 0.001


@pytest.mark.parametrize("dtype", DTYPES)
def test_set_weights_copies_another_optimizers_state(dtype):
    x, y = _var([[1.0, 2.0]], dtype), _var([[1.0, 2.0]], dtype)
    a = optimizers.Nadam(learning_rate=0.01)
    for _ in range(3):
        a.apply([np.array([[0.5, -1.0]], dtype)], [x])
    b = optimizers.Nadam(learning_rate=0.01)
    b.build([y])
    b.set_weights(a.variables)
    for u, v in zip(a.variables, b.variables):
        np.testing.assert_array_equal(u, v)
    y.assign(x)
    a.apply([np.array([[0.5, -1.0]], dtype)], [x])
    b.apply([np.array([[0.5, -1.0]], dtype)], [y])
    np.testing.assert_array_equal(x, y)


def test_set_weights_refuses_what_does_not_fit():
    w = _var(np.ones(3), name="w")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="not yet been built"):
        opt.set_weights([0, 0.1])
    opt.build([w])
    with pytest.raises(ValueError, match="expected 4 arrays .* got 3"):
        opt.set_weights([0, 0.1, np.zeros(3)])
    with pytest.raises(ValueError, match=r"variable 3 \(adam(_\d+)?/w_velocity\) has shape "
                                         r"\(3,\), the value given \(2,\)"):
        opt.set_weights([0, 0.1, np.zeros(3), np.zeros(2)])


# ------------------------------------------------------------------ LossScaleOptimizer
def test_loss_scale_optimizer_refuses_bad_arguments():
    with pytest.raises(TypeError, match="inner_optimizer must be a fastnn Optimizer, got str"):
        optimizers.LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="initial_scale"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=0.0)
    with pytest.raises(ValueError, match="dynamic_growth_steps"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)
    opt = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="set use_ema on the inner_optimizer"):
        opt.use_ema = True


def test_loss_scale_optimizer_takes_over_the_inner_scale_and_rate():
    inner = optimizers.SGD(learning_rate=0.5, loss_scale_factor=3.0)
    opt = optimizers.LossScaleOptimizer(inner, initial_scale=8.0)
    assert inner.loss_scale_factor is None
    assert opt.scale_loss(2.0) == 16.0
    opt.learning_rate = 0.25
    assert inner.learning_rate == 0.25 and opt.learning_rate == 0.25
    assert fastnn.mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer


def test_loss_scale_optimizer_variables_are_keras_list():
    w = _var([1.0], name="w")
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(momentum=0.5, name="in"),
                                        initial_scale=4.0, name="lso")
    opt.build([w])
    assert [v.path for v in opt.variables] == [
        "lso/iteration", "lso/learning_rate", "lso/step_counter", "lso/dynamic_scale",
        "in/iteration", "in/learning_rate", "in/w_momentum"]
    opt.variables[3].assign(64.0)
    assert opt.scale_loss(1.0) == 64.0


def test_a_non_finite_step_is_skipped_and_halves_the_scale():
    w = _var([1.0, 2.0])
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=8.0,
                                        dynamic_growth_steps=3)
    opt.apply([np.array([np.nan, 1.0], np.float32)], [w])
    np.testing.assert_array_equal(w, [1.0, 2.0])
    assert opt.iterations == 0 and opt.dynamic_scale == 4.0
    for _ in range(3):
        opt.apply([np.array([4.0, 4.0], np.float32)], [w])
    assert opt.iterations == 3 and opt.dynamic_scale == 8.0 and opt.step_counter == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_with_loss_scale_optimizer_matches_its_inner_optimizer(monkeypatch, dtype):
    plain, h1 = _fit(optimizers.Adam(0.01), dtype, fused=False, monkeypatch=monkeypatch)
    lso, h2 = _fit(optimizers.LossScaleOptimizer(optimizers.Adam(0.01)), dtype, fused=True,
                   monkeypatch=monkeypatch)
    assert lso._engine.fit_plan is None and "LossScaleOptimizer" in lso._engine.why
    for u, v in zip(plain.get_weights(), lso.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert h1 == h2
    assert lso.optimizer.iterations == plain.optimizer.iterations == 8


def test_a_model_with_loss_scale_optimizer_saves_and_loads(tmp_path):
    m, _ = _fit(optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=256.0))
    m.save(tmp_path / "m.fastnn")
    again = fastnn.models.load_model(tmp_path / "m.fastnn")
    opt = again.optimizer
    assert type(opt) is optimizers.LossScaleOptimizer
    assert opt.initial_scale == 256.0 and type(opt.inner_optimizer) is optimizers.Adam
    assert opt.iterations == 8
    for u, v in zip(m.optimizer.get_state(), opt.get_state()):
        np.testing.assert_array_equal(u, v)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(pickle.dumps(m.optimizer))
