"""The C engine's optimizers and optimizer options against the layer-by-layer path.

Nadam, Adamax and Ftrl, and use_ema, gradient_accumulation_steps and
exclude_from_weight_decay on every optimizer, run inside the engine's training step
(csrc/train_impl.inc). Both paths call the same update kernels in the same order, so the
weights, every optimizer slot (the moving averages and gradient accumulators included)
and the step count must be bitwise the same; so must the reported accuracies, and the
losses up to the float64 bookkeeping test_fused.py explains (LOSS_RTOL).

Dropout draws its masks differently on the two paths (test_fused.py), so the
comparisons use models with a BatchNormalization and a Dropout of rate 0; the models
with a real Dropout are checked on the engine alone (resuming from a file equals going
on, the same run twice is bitwise the same).
"""
import numpy as np
import pytest

import fastnn
from fastnn import _kernels, engine
from fastnn import layers as L
from fastnn import optimizers as O

from cases import tol

LOSS_RTOL = 1e-13

# name -> factory of the optimizer (keyword arguments: its options)
OPTIMIZERS = {
    "sgd": lambda **kw: O.SGD(0.05, momentum=0.9, nesterov=True, **kw),
    "adam": lambda **kw: O.Adam(0.01, **kw),
    "adamw_amsgrad": lambda **kw: O.AdamW(0.01, amsgrad=True, **kw),
    "rmsprop": lambda **kw: O.RMSprop(0.01, momentum=0.5, centered=True, **kw),
    "adagrad": lambda **kw: O.Adagrad(0.05, **kw),
    "adadelta": lambda **kw: O.Adadelta(1.0, **kw),
    "lion": lambda **kw: O.Lion(0.001, **kw),
    "nadam": lambda **kw: O.Nadam(0.01, **kw),
    "adamax": lambda **kw: O.Adamax(0.02, **kw),
    "ftrl": lambda **kw: O.Ftrl(0.2, l1_regularization_strength=0.001,
                                l2_regularization_strength=0.01,
                                l2_shrinkage_regularization_strength=0.01, beta=0.1, **kw),
}

# name -> (optimizer options, whether to exclude the biases from the weight decay)
OPTIONS = {
    "plain": ({}, False),
    "weight_decay": ({"weight_decay": 0.02}, False),
    "use_ema": ({"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 4}, False),
    "accumulation": ({"gradient_accumulation_steps": 3}, False),
    "accumulation_ema_clipnorm": ({"gradient_accumulation_steps": 2, "use_ema": True,
                                   "clipnorm": 0.05}, False),
    "accumulation_global_clipnorm": ({"gradient_accumulation_steps": 2,
                                      "global_clipnorm": 0.1}, False),
    "exclude_from_weight_decay": ({"weight_decay": 0.05}, True),
}


def _opt(name, option):
    kw, exclude = OPTIONS[option]
    kw = dict(kw)
    if name == "adamw_amsgrad":
        kw.setdefault("weight_decay", 0.004)
    opt = OPTIMIZERS[name](**kw)
    if exclude:
        opt.exclude_from_weight_decay(var_names=["bias"])
    return opt


def _data(dtype, n=75, d=6, k=3, seed=1):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)).astype(dtype), r.integers(0, k, n)


def _model(dtype, rate=0.0):
    """Dense -> BatchNormalization -> Dropout -> Dense -> Dense (softmax)."""
    dt = np.dtype(dtype).name
    return fastnn.Sequential([L.Input((6,), dtype=dt),
                              L.Dense(8, activation="relu", dtype=dt),
                              L.BatchNormalization(dtype=dt), L.Dropout(rate, dtype=dt),
                              L.Dense(5, activation="tanh", dtype=dt),
                              L.Dense(3, activation="softmax", dtype=dt)])


def _compiled(dtype, make_opt, rate=0.0, seed=0):
    fastnn.utils.set_random_seed(seed)
    m = _model(dtype, rate)
    m.compile(optimizer=make_opt(), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def _state(m):
    """Everything training changes: the weights (moving statistics included), then the
    optimizer's step count and slots."""
    return m.get_weights() + m.optimizer.get_state()


def assert_same_arrays(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, i
        if not np.array_equal(x, y, equal_nan=True):
            raise AssertionError(f"array {i} differs: max |diff| "
                                 f"{np.nanmax(np.abs(x.astype(np.float64) - y)):.3g}")


def assert_same_history(ha, hb):
    assert sorted(ha) == sorted(hb)
    for key in ha:
        if "loss" in key:
            np.testing.assert_allclose(ha[key], hb[key], rtol=LOSS_RTOL, err_msg=key)
        else:
            assert ha[key] == hb[key], key


def _fit_on(monkeypatch, fused, dtype, make_opt, x, y, **fit_kw):
    monkeypatch.setattr(engine, "ENABLED", fused)
    m = _compiled(dtype, make_opt)
    fastnn.utils.set_random_seed(7)       # the same batches on both paths
    h = m.fit(x, y, verbose=0, **fit_kw).history
    if fused:
        assert m._engine.why is None, m._engine.why
        assert m._engine.fit_plan is not None
    else:
        assert m._engine.fit_plan is None
    return m, h


# ------------------------------------------------------------ engine == layer path
@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_engine_trains_as_the_layer_path(monkeypatch, name, option, dtype):
    """Three epochs of 5 batches (the last one short; 15 calls, so an accumulation of 2
    ends the fit with gradients pending): bitwise the same weights, slots, averages and
    accumulators, and the same history."""
    x, y = _data(dtype)
    make = lambda: _opt(name, option)
    ma, ha = _fit_on(monkeypatch, True, dtype, make, x, y, batch_size=16, epochs=3)
    mb, hb = _fit_on(monkeypatch, False, dtype, make, x, y, batch_size=16, epochs=3)
    assert_same_arrays(_state(ma), _state(mb))
    assert_same_history(ha, hb)
    assert ma.optimizer.iterations == mb.optimizer.iterations
    assert ma.optimizer._iterations == mb.optimizer._iterations == 15
    # the options did something: the weights moved, and the state holds what they keep
    assert not all(np.array_equal(a, b) for a, b in
                   zip(ma.get_weights(), _compiled(dtype, make).get_weights()))
    names = ma.optimizer._slot_names_for()
    assert ("average" in names) == ma.optimizer.use_ema
    assert ("gradient_accumulator" in names) == bool(ma.optimizer.gradient_accumulation_steps)


@pytest.mark.parametrize("name", ["nadam", "adamax", "ftrl", "adam"])
def test_paths_switched_during_training(monkeypatch, name, dtype):
    """Epochs on the engine then on the layer path (and the other way round) equal the
    same epochs on one path: the state each keeps (the step count, Nadam's product of
    the u_k, the accumulators, the averages) is the same."""
    x, y = _data(dtype)
    make = lambda: _opt(name, "accumulation_ema_clipnorm")
    runs = []
    for order in ((True, True), (True, False), (False, True), (False, False)):
        m = _compiled(dtype, make)
        fastnn.utils.set_random_seed(11)
        hist = []
        for fused in order:
            monkeypatch.setattr(engine, "ENABLED", fused)
            hist.append(m.fit(x, y, batch_size=16, epochs=2, verbose=0).history)
            assert (m._engine.fit_plan is not None) == fused
        runs.append((_state(m), hist))
    for state, hist in runs[1:]:
        assert_same_arrays(state, runs[0][0])
        for h, h0 in zip(hist, runs[0][1]):
            assert_same_history(h, h0)


@pytest.mark.parametrize("name", ["nadam", "sgd", "ftrl"])
def test_train_on_batch_and_fit_interleaved(monkeypatch, name, dtype):
    """train_on_batch (one engine call of one step) between fits: the calls count as
    steps of the accumulation and of the averages exactly as on the layer path."""
    x, y = _data(dtype)
    make = lambda: _opt(name, "accumulation_ema_clipnorm")
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _compiled(dtype, make)
        fastnn.utils.set_random_seed(5)
        logs = [m.train_on_batch(x[:9], y[:9])]
        logs.append(m.fit(x, y, batch_size=16, epochs=1, verbose=0).history)
        logs.append(m.train_on_batch(x[9:20], y[9:20]))
        logs.append(m.train_on_batch(x[20:30], y[20:30]))
        logs.append(m.fit(x, y, batch_size=20, epochs=2, verbose=0).history)
        if fused:
            assert m._engine.why is None
        results.append((_state(m), logs))
    assert_same_arrays(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1]):
        if isinstance(a, dict):
            assert_same_history(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=LOSS_RTOL)


@pytest.mark.parametrize("name", ["nadam", "adamax", "ftrl"])
def test_custom_loss_trains_as_the_layer_path(monkeypatch, name):
    """A loss written in Python (the engine's custom step: forward and update in C, the
    loss on the tape) with accumulation and averages."""
    x, y = _data(np.float32)
    y1 = np.eye(3, dtype=np.float32)[y]

    def loss(y_true, y_pred):
        return fastnn.ops.mean(fastnn.ops.square(y_true - y_pred), axis=-1)

    states = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(0)
        m = _model(np.float32)
        m.compile(optimizer=_opt(name, "accumulation_ema_clipnorm"), loss=loss)
        fastnn.utils.set_random_seed(2)
        h = m.fit(x, y1, batch_size=16, epochs=2, verbose=0).history
        assert (m._engine.custom_plan is not None) == fused
        states.append((_state(m), h))
    assert_same_arrays(states[0][0], states[1][0])
    assert_same_history(states[0][1], states[1][1])


# ------------------------------------------------------------ resuming from a file
@pytest.mark.parametrize("name, option", [("nadam", "accumulation_ema_clipnorm"),
                                          ("adamax", "weight_decay"),
                                          ("ftrl", "accumulation"),
                                          ("sgd", "use_ema")])
def test_resume_from_a_file_equals_going_on(tmp_path, name, option, dtype):
    """On the engine, with a real Dropout: fit, save, then going on equals loading the
    file and going on (75 rows in batches of 16 is 5 calls an epoch, so after one epoch
    an accumulation of 2 or 3 is saved with gradients pending); the averages and
    accumulators travel in the model file."""
    x, y = _data(dtype)
    make = lambda: _opt(name, option)
    m = _compiled(dtype, make, rate=0.3)
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.why is None and m._engine.fit_plan is not None
    path = tmp_path / "mid.fastnn"
    m.save(path)
    if OPTIONS[option][0].get("gradient_accumulation_steps"):
        acc = [s["gradient_accumulator"] for s in m.optimizer._slots]
        assert any(np.any(a != 0) for a in acc)     # a partial sum is in the file
    saved = m.get_weights()
    fastnn.utils.set_random_seed(21)
    h = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    r = fastnn.models.load_model(path)
    assert_same_arrays(r.get_weights(), saved)
    fastnn.utils.set_random_seed(21)
    hr = r.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    assert r._engine.why is None and r._engine.fit_plan is not None
    assert_same_arrays(_state(r), _state(m))
    assert_same_history(hr, h)


def test_dropout_runs_are_reproducible_with_the_options(dtype):
    """A real Dropout with averages and accumulation: the engine's run is a function of
    the seed (the options add no other state)."""
    x, y = _data(dtype)
    make = lambda: _opt("nadam", "accumulation_ema_clipnorm")
    states = []
    for _ in range(2):
        m = _compiled(dtype, make, rate=0.3)
        fastnn.utils.set_random_seed(4)
        m.fit(x, y, batch_size=16, epochs=3, verbose=0)
        assert m._engine.why is None
        states.append(_state(m))
    assert_same_arrays(states[0], states[1])


# ------------------------------------------------------------ what still declines
def test_options_decline_when_the_optimizer_has_variables_that_no_longer_train(monkeypatch):
    """The layer path averages and resets every variable the optimizer was built with;
    after a layer is frozen the engine would miss those, so it leaves the model to the
    layer path (and says why)."""
    x, y = _data(np.float32)
    for option in ("use_ema", "accumulation"):
        m = _compiled(np.float32, lambda: _opt("adam", option))
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        assert m._engine.why is None
        m.layers[3].trainable = False            # the Dense(5) layer
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        assert m._engine.fit_plan is None
        assert "use_ema or gradient_accumulation_steps" in m._engine.why


# ------------------------------------------------------------ Ftrl's kernel
def _ftrl_reference(w, g, acc, z, lr, lr_power, l1, l2, shrinkage, beta, wd):
    """Keras 3's Ftrl step (keras/src/optimizers/ftrl.py) in NumPy, in w's dtype."""
    dt = w.dtype.type
    lr_t = dt(lr)
    if wd:
        w = w - w * dt(wd) * lr_t
    power = dt(-lr_power)
    l2_t = dt(l2) + dt(beta) / (dt(2.0) * lr_t)
    l1_t = dt(l1)
    gs = g + dt(2 * shrinkage) * w
    na = acc + np.square(g)
    npow = np.power(na, power)
    nz = z + (gs - (npow - np.power(acc, power)) / lr_t * w)
    q = npow / lr_t + dt(2) * l2_t
    return (np.clip(nz, -l1_t, l1_t) - nz) / q, na, nz


FTRL_CASES = {
    "default": dict(lr=0.1, lr_power=-0.5, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0, wd=0.0),
    "regularized": dict(lr=0.05, lr_power=-0.5, l1=0.01, l2=0.02, shrinkage=0.03, beta=0.5,
                        wd=0.0),
    "power_and_decay": dict(lr=0.3, lr_power=-0.7, l1=0.002, l2=0.0, shrinkage=0.0, beta=0.1,
                            wd=0.01),
    "fixed_rate": dict(lr=0.01, lr_power=0.0, l1=0.0, l2=0.1, shrinkage=0.0, beta=0.0, wd=0.0),
}


@pytest.mark.parametrize("shape", [(1,), (7, 3), (1000,)])
@pytest.mark.parametrize("case", sorted(FTRL_CASES))
def test_ftrl_kernel_matches_the_numpy_reference(case, shape, dtype, threads):
    """Five steps of fnn_ftrl against Keras' formula in NumPy (a few ulps apart: NumPy's
    power is not libm's), at 1 and 2 threads."""
    kw = FTRL_CASES[case]
    rng = np.random.default_rng(0)
    w = rng.normal(size=shape).astype(dtype).reshape(-1)
    acc = np.full_like(w, 0.1)
    z = np.zeros_like(w)
    rw, racc, rz = w.copy(), acc.copy(), z.copy()
    for _ in range(5):
        g = rng.normal(size=w.shape).astype(dtype)
        assert _kernels.ftrl_update(w, g, acc, z, check_only=True, **_ftrl_args(kw))
        _kernels.ftrl_update(w, g, acc, z, **_ftrl_args(kw))
        rw, racc, rz = _ftrl_reference(rw, g, racc, rz, **kw)
        assert w.dtype == dtype and acc.dtype == dtype and z.dtype == dtype
        np.testing.assert_allclose(acc, racc, **tol(dtype))
        np.testing.assert_allclose(z, rz, **tol(dtype))
        np.testing.assert_allclose(w, rw, **tol(dtype))


def _ftrl_args(kw):
    return dict(lr=kw["lr"], lr_power=kw["lr_power"], l1=kw["l1"], l2=kw["l2"],
                shrinkage=kw["shrinkage"], beta=kw["beta"], wd=kw["wd"])


def test_ftrl_kernel_check_writes_nothing_and_predicts_overflow(dtype):
    """check_only computes the step without writing and says whether it stays finite;
    a rate <= 0 is refused by name."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=50).astype(dtype)
    g = rng.normal(size=50).astype(dtype)
    acc = np.full_like(w, 0.1)
    z = np.zeros_like(w)
    before = [a.copy() for a in (w, acc, z)]
    kw = dict(FTRL_CASES["default"])
    assert _kernels.ftrl_update(w, g, acc, z, check_only=True, **_ftrl_args(kw))
    huge = dict(kw, lr_power=-500.0)            # acc^500 overflows in either dtype
    assert not _kernels.ftrl_update(w, g, acc, z, check_only=True, **_ftrl_args(huge))
    assert_same_arrays([w, acc, z], before)
    with pytest.raises(ValueError, match="lr must be > 0"):
        _kernels.ftrl_update(w, g, acc, z, **_ftrl_args(dict(kw, lr=0.0)))
    with pytest.raises(ValueError, match="acc must have 50 elements"):
        _kernels.ftrl_update(w, g, acc[:3], z, **_ftrl_args(kw))


@pytest.mark.parametrize("bad", ["overflow", "zero_rate"])
def test_ftrl_step_refused_alike_on_both_paths(monkeypatch, bad):
    """An Ftrl step that would give non-finite weights (or a rate of 0 from a schedule)
    raises the optimizer's ValueError on both paths, after the same steps, and changes
    no weight or slot of the refused step."""
    x, y = _data(np.float64)
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        if bad == "overflow":
            make = lambda: O.Ftrl(0.5, learning_rate_power=-2000.0)
            match = "non-finite weights or slots"
        else:
            make = lambda: O.Ftrl(lambda step: 0.1 if step < 7 else 0.0)
            match = "learning rate must be > 0"
        m = _compiled(np.float64, make)
        fastnn.utils.set_random_seed(1)
        with pytest.raises(ValueError, match=match):
            m.fit(x, y, batch_size=16, epochs=3, verbose=0)
        if fused:
            assert m._engine.why is None
        assert np.all([np.isfinite(a).all() for a in m.get_weights()])
        results.append((_state(m), m.optimizer._iterations))
    assert results[0][1] == results[1][1]
    assert_same_arrays(results[0][0], results[1][0])


def test_callable_learning_rate_of_no_argument_on_both_paths(monkeypatch):
    """A learning rate given as a function of no argument is called so at each step, as
    Keras calls it, on the engine and the layer path alike; a function of one argument
    gets the step. Both give the rates they say: the no-argument function that returns
    what the step function gives for the same step trains the same weights."""
    x, y = _data(np.float64)
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        for form in ("no_argument", "step"):
            calls = []
            if form == "step":
                def lr(step):
                    calls.append(step)
                    return 0.05 / (1 + step)
            else:
                def lr():
                    calls.append(None)
                    return 0.05 / (1 + m.optimizer._iterations)
            m = _compiled(np.float64, lambda: O.SGD(lr))
            fastnn.utils.set_random_seed(1)
            m.fit(x, y, batch_size=16, epochs=2, verbose=0)
            if fused:
                assert m._engine.why is None
            assert m.optimizer._iterations == 10
            if form == "step":
                assert set(range(10)) <= set(calls) <= set(range(11))
            else:
                assert len(calls) >= 10 and set(calls) == {None}
            results.append(_state(m))
    for r in results[1:]:
        assert_same_arrays(results[0], r)


@pytest.mark.parametrize("how", ["var_list", "var_names"])
def test_exclude_from_weight_decay_excludes_on_the_engine(monkeypatch, how):
    """The excluded variables (by object or by name) are not decayed on the engine, as
    on the layer path, and the exclusion changes the result."""
    x, y = _data(np.float32)

    def make_model(exclude):
        fastnn.utils.set_random_seed(0)
        m = _model(np.float32)
        opt = O.AdamW(0.01, weight_decay=0.1)
        if exclude and how == "var_list":
            opt.exclude_from_weight_decay(var_list=[m.layers[0].kernel, m.layers[4].bias])
        elif exclude:
            opt.exclude_from_weight_decay(var_names=["gamma", "beta"])
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        return m

    states = []
    for fused, exclude in ((True, True), (False, True), (True, False)):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = make_model(exclude)
        fastnn.utils.set_random_seed(3)
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        assert (m._engine.fit_plan is not None) == fused
        states.append(m.get_weights())
    assert_same_arrays(states[0], states[1])
    changed = [not np.array_equal(a, b) for a, b in zip(states[0], states[2])]
    assert any(changed)


@pytest.mark.parametrize("name", ["nadam", "ftrl"])
def test_options_with_a_layer_frozen_from_the_start(monkeypatch, name):
    """A frozen first layer (with its BatchNormalization): the optimizer knows only the
    rest, so the engine averages and accumulates exactly those, as the layer path."""
    x, y = _data(np.float64)
    states = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(0)
        m = _model(np.float64)
        m.layers[0].trainable = m.layers[1].trainable = False
        m.compile(optimizer=_opt(name, "accumulation_ema_clipnorm"),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        fastnn.utils.set_random_seed(9)
        h = m.fit(x, y, batch_size=16, epochs=3, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused, m._engine.why
        assert len(m.optimizer._slots) == 4         # the two trained Dense layers
        states.append((_state(m), h))
    assert_same_arrays(states[0][0], states[1][0])
    assert_same_history(states[0][1], states[1][1])
