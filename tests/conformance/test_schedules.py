"""Keras 3's `keras/src/optimizers/schedules/learning_rate_schedule_test.py`, ported to
fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<Class>::<test>`).
Adaptations: `keras.src.optimizers.schedules` -> `fastnn.optimizers.schedules`; a
`backend.Variable` step that the test assigns becomes a plain number (a fastnn schedule
is evaluated at a Python number, the optimizer's step count); `assertAllClose` keeps
Keras' tolerances (atol = rtol = 1e-6 unless the test gives its own; its third positional
argument is rtol). `run_class_serialization_test` becomes a `serialize` / `deserialize`
round trip comparing the configs, and a `from_config` round trip.

Deliberate difference: fastnn evaluates schedules in float64 on Python numbers (Keras
in the dtype of `initial_learning_rate`, float32 for a Python float); the values below
agree to Keras' tolerances either way.
"""
import math

import numpy as np

import fastnn
from fastnn import layers, optimizers
from fastnn.optimizers import schedules

SOURCE = "keras/src/optimizers/schedules/learning_rate_schedule_test.py"


def _close(actual, desired, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), desired, rtol=rtol, atol=atol)


def _serialization(schedule):
    config = schedule.get_config()
    new = schedules.deserialize(schedules.serialize(schedule))
    assert type(new) is type(schedule)
    assert new.get_config() == config
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    for step in (0, 1, 7, 25):
        assert new(step) == schedule(step) == again(step)


# Keras: ...::TestFitLRSchedulesFlow::test_fit_lr_correctness
def test_fit_lr_correctness():
    model = fastnn.Sequential([layers.Dense(2, kernel_initializer="ones",
                                            bias_initializer="ones")])
    optimizer = optimizers.Adam(learning_rate=schedules.ExponentialDecay(
        initial_learning_rate=0.05, decay_steps=1, decay_rate=0.9))
    assert len(optimizer.variables) == 1
    assert optimizer.variables[0] == 0

    model.compile(optimizer=optimizer, loss="mse")
    x = np.arange(32).reshape((16, 2))
    y = np.arange(32).reshape((16, 2))
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    assert optimizer.variables[0] == 4 * 3
    _close(history.history["loss"], [230.79457092285156, 128.30319213867188, 79.33648681640625],
           rtol=5e-5)


# ------------------------------------------------------------------ ExponentialDecay
# Keras: ...::ExponentialDecayTest::test_config
def test_exponential_decay_config():
    _serialization(schedules.ExponentialDecay(initial_learning_rate=0.05, decay_steps=10,
                                              decay_rate=0.96, staircase=True, name="my_ed"))


# Keras: ...::ExponentialDecayTest::test_continuous
def test_exponential_decay_continuous():
    step = 5
    decayed_lr = schedules.ExponentialDecay(0.05, 10, 0.96)
    expected = 0.05 * 0.96 ** (5.0 / 10.0)
    _close(decayed_lr(step), expected, 1e-6)


# Keras: ...::ExponentialDecayTest::test_staircase
def test_exponential_decay_staircase():
    decayed_lr = schedules.ExponentialDecay(0.1, 3, 0.96, staircase=True)
    # No change to learning rate due to staircase
    _close(decayed_lr(1.0), 0.1, 1e-6)
    _close(decayed_lr(2), 0.1, 1e-6)
    # Decayed learning rate
    _close(decayed_lr(100), 0.1 * 0.96 ** (100 // 3), 1e-6)


# Keras: ...::ExponentialDecayTest::test_variables
def test_exponential_decay_variables():
    decayed_lr = schedules.ExponentialDecay(0.1, 3, 0.96, staircase=True)
    _close(decayed_lr(1), 0.1, 1e-6)
    _close(decayed_lr(2), 0.1, 1e-6)
    _close(decayed_lr(100), 0.1 * 0.96 ** (100 // 3), 1e-6)


# ------------------------------------------------------------ PiecewiseConstantDecay
# Keras: ...::PiecewiseConstantDecayTest::test_config
def test_piecewise_constant_decay_config():
    _serialization(schedules.PiecewiseConstantDecay(boundaries=[10, 20], values=[1, 2, 3],
                                                    name="my_pcd"))


# Keras: ...::PiecewiseConstantDecayTest::test_piecewise_values
def test_piecewise_values():
    decayed_lr = schedules.PiecewiseConstantDecay([100, 110, 120], [1.0, 0.1, 0.01, 0.001])
    for x, expected in [(-999.0, 1.0), (100, 1.0), (105, 0.1), (110, 0.1), (120, 0.01),
                        (999, 0.001)]:
        _close(decayed_lr(x), expected, 1e-6)


# Keras: ...::PiecewiseConstantDecayTest::test_boundary_values
def test_piecewise_boundary_values():
    boundaries, values = [1, 2, 3], [0.4, 0.5, 0.6, 0.7]
    decayed_lr = schedules.PiecewiseConstantDecay(boundaries, values)
    for x, expected in [(0, 0.4), (1, 0.4), (2, 0.5), (3, 0.6), (4, 0.7)]:
        _close(decayed_lr(np.int64(x)), expected, 1e-6)


# ------------------------------------------------------------------- PolynomialDecay
# Keras: ...::LinearDecayTest::test_config
def test_polynomial_decay_config():
    _serialization(schedules.PolynomialDecay(initial_learning_rate=0.1, decay_steps=100,
                                             end_learning_rate=0.005, power=1.0, cycle=False,
                                             name="my_ld"))


# Keras: ...::LinearDecayTest::test_halfway
def test_linear_halfway():
    lr, end_lr = 0.05, 0.0
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr)
    _close(decayed_lr(5), lr * 0.5, 1e-6)


# Keras: ...::LinearDecayTest::test_end
def test_linear_end():
    lr, end_lr = 0.05, 0.001
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr)
    _close(decayed_lr(10), end_lr, 1e-6)


# Keras: ...::LinearDecayTest::test_halfway_with_end
def test_linear_halfway_with_end():
    lr, end_lr = 0.05, 0.001
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr)
    _close(decayed_lr(5), (lr + end_lr) * 0.5, 1e-6)


# Keras: ...::LinearDecayTest::test_beyond_end
def test_linear_beyond_end():
    lr, end_lr = 0.05, 0.001
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr)
    _close(decayed_lr(15), end_lr, 1e-6)


# Keras: ...::LinearDecayTest::test_beyond_end_with_cycle
def test_linear_beyond_end_with_cycle():
    lr, end_lr = 0.05, 0.001
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, cycle=True)
    _close(decayed_lr(15), (lr - end_lr) * 0.25 + end_lr, 1e-6)


# Keras: ...::SqrtDecayTest::test_halfway
def test_sqrt_halfway():
    lr, end_lr, power = 0.05, 0.0, 0.5
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, power=power)
    _close(decayed_lr(5), lr * 0.5 ** power, 1e-6)


# Keras: ...::SqrtDecayTest::test_end
def test_sqrt_end():
    lr, end_lr, power = 0.05, 0.001, 0.5
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, power=power)
    _close(decayed_lr(10), end_lr, 1e-6)


# Keras: ...::SqrtDecayTest::test_halfway_with_end
def test_sqrt_halfway_with_end():
    lr, end_lr, power = 0.05, 0.001, 0.5
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, power=power)
    _close(decayed_lr(5), (lr - end_lr) * 0.5 ** power + end_lr, 1e-6)


# Keras: ...::SqrtDecayTest::test_beyond_end
def test_sqrt_beyond_end():
    lr, end_lr, power = 0.05, 0.001, 0.5
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, power=power)
    _close(decayed_lr(15), end_lr, 1e-6)


# Keras: ...::SqrtDecayTest::test_beyond_end_with_cycle
def test_sqrt_beyond_end_with_cycle():
    lr, end_lr, power = 0.05, 0.001, 0.5
    decayed_lr = schedules.PolynomialDecay(lr, 10, end_lr, power=power, cycle=True)
    _close(decayed_lr(15), (lr - end_lr) * 0.25 ** power + end_lr, 1e-6)


# Keras: ...::SqrtDecayTest::test_begin_with_cycle
def test_sqrt_begin_with_cycle():
    lr, decay_steps = 0.001, 10
    decayed_lr = schedules.PolynomialDecay(lr, decay_steps, cycle=True)
    _close(decayed_lr(0), lr, 1e-6)


# ------------------------------------------------------------------ InverseTimeDecay
# Keras: ...::InverseTimeDecayTest::test_config
def test_inverse_time_decay_config():
    _serialization(schedules.InverseTimeDecay(initial_learning_rate=0.05, decay_steps=10,
                                              decay_rate=0.96, staircase=True, name="my_itd"))


# Keras: ...::InverseTimeDecayTest::test_decay
def test_inverse_time_decay():
    initial_lr, k, decay_rate = 0.1, 10, 0.96
    decayed_lr = schedules.InverseTimeDecay(initial_lr, k, decay_rate)
    step = 0.0
    for i in range(k + 1):
        _close(decayed_lr(step), initial_lr / (1 + i / k * decay_rate), 1e-6)
        step = step + 1


# Keras: ...::InverseTimeDecayTest::test_staircase
def test_inverse_time_decay_staircase():
    initial_lr, k, decay_rate = 0.1, 10, 0.96
    decayed_lr = schedules.InverseTimeDecay(initial_lr, k, decay_rate, staircase=True)
    step = 0.0
    for i in range(k + 1):
        _close(decayed_lr(step), initial_lr / (1 + decay_rate * (i // k)), 1e-6)
        step = step + 1


# ------------------------------------------------------------------------ CosineDecay
def np_cosine_decay(step, decay_steps, alpha=0.0):
    step = min(step, decay_steps)
    completed_fraction = step / decay_steps
    decay = 0.5 * (1.0 + math.cos(math.pi * completed_fraction))
    return (1.0 - alpha) * decay + alpha


def linear_warmup(step, warmup_steps, initial_lr, target_lr):
    completed_fraction = step / warmup_steps
    total_delta = target_lr - initial_lr
    return completed_fraction * total_delta


# Keras: ...::CosineDecayTest::test_config
def test_cosine_decay_config():
    _serialization(schedules.CosineDecay(initial_learning_rate=0.05, decay_steps=10, alpha=0.1,
                                         warmup_target=0.2, warmup_steps=2, name="my_cd"))


# Keras: ...::CosineDecayTest::test_decay
def test_cosine_decay():
    num_training_steps, initial_lr = 1000, 1.0
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecay(initial_lr, num_training_steps)
        _close(decayed_lr(step), np_cosine_decay(step, num_training_steps), 1e-6)


# Keras: ...::CosineDecayTest::test_warmup
def test_cosine_decay_warmup():
    warmup_steps, initial_lr, target_lr = 1500, 0.0, 10.0
    for step in range(0, 1500, 250):
        lr = schedules.CosineDecay(initial_lr, 10, warmup_target=target_lr,
                                   warmup_steps=warmup_steps)
        _close(lr(step), linear_warmup(step, warmup_steps, initial_lr, target_lr))


# Keras: ...::CosineDecayTest::test_alpha
def test_cosine_decay_alpha():
    num_training_steps, initial_lr, alpha = 1000, 1.0, 0.1
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecay(initial_lr, num_training_steps, alpha)
        _close(decayed_lr(step), np_cosine_decay(step, num_training_steps, alpha), 1e-6)


# Keras: ...::CosineDecayTest::test_float64
def test_cosine_decay_float64():
    num_training_steps, initial_lr = 1000, np.float64(1.0)
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecay(initial_lr, num_training_steps)
        _close(decayed_lr(step), np_cosine_decay(step, num_training_steps), 1e-6)


# Keras: ...::CosineDecayTest::test_warmup_decay
def test_cosine_decay_warmup_decay():
    warmup_steps, decay_steps, initial_lr, target_lr = 2000, 1000, 0.0, 10.0
    for step in range(0, 3000, 250):
        lr = schedules.CosineDecay(initial_lr, decay_steps, warmup_target=target_lr,
                                   warmup_steps=warmup_steps)
        if step < warmup_steps + 1:
            expected = linear_warmup(step, warmup_steps, initial_lr, target_lr)
        else:
            expected = target_lr * np_cosine_decay(step - warmup_steps, decay_steps)
        _close(lr(step), expected)


# --------------------------------------------------------------- CosineDecayRestarts
def np_cosine_decay_restarts(step, decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    fac = 1.0
    while step >= decay_steps:
        step -= decay_steps
        decay_steps *= t_mul
        fac *= m_mul
    completed_fraction = step / decay_steps
    decay = fac * 0.5 * (1.0 + math.cos(math.pi * completed_fraction))
    return (1.0 - alpha) * decay + alpha


# Keras: ...::CosineDecayRestartsTest::test_config
def test_cosine_decay_restarts_config():
    _serialization(schedules.CosineDecayRestarts(initial_learning_rate=0.05,
                                                 first_decay_steps=10, alpha=0.1, t_mul=3.0,
                                                 m_mul=4.0, name="my_cdr"))


# Keras: ...::CosineDecayRestartsTest::test_decay
def test_cosine_decay_restarts():
    num_training_steps, initial_lr = 1000, 1.0
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecayRestarts(initial_lr, num_training_steps)
        _close(decayed_lr(step), np_cosine_decay_restarts(step, num_training_steps), 1e-6)


# Keras: ...::CosineDecayRestartsTest::test_float64
def test_cosine_decay_restarts_float64():
    num_training_steps, initial_lr = 1000, np.float64(1.0)
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecayRestarts(initial_lr, num_training_steps)
        _close(decayed_lr(step), np_cosine_decay_restarts(step, num_training_steps), 1e-6)


# Keras: ...::CosineDecayRestartsTest::test_alpha
def test_cosine_decay_restarts_alpha():
    num_training_steps, initial_lr, alpha = 1000, 1.0, 0.1
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecayRestarts(initial_lr, num_training_steps, alpha=alpha)
        _close(decayed_lr(step),
               np_cosine_decay_restarts(step, num_training_steps, alpha=alpha), 1e-6)


# Keras: ...::CosineDecayRestartsTest::test_mmul
def test_cosine_decay_restarts_mmul():
    num_training_steps, initial_lr, m_mul = 1000, 1.0, 0.9
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecayRestarts(initial_lr, num_training_steps, m_mul=m_mul)
        _close(decayed_lr(step),
               np_cosine_decay_restarts(step, num_training_steps, m_mul=m_mul), 1e-6)


# Keras: ...::CosineDecayRestartsTest::test_tmul
def test_cosine_decay_restarts_tmul():
    num_training_steps, initial_lr, t_mul = 1000, 1.0, 1.0
    for step in range(0, 1500, 250):
        decayed_lr = schedules.CosineDecayRestarts(initial_lr, num_training_steps, t_mul=t_mul)
        _close(decayed_lr(step),
               np_cosine_decay_restarts(step, num_training_steps, t_mul=t_mul), 1e-6)
