"""The engine keeps a model's plan between calls while the key of what it was built on
(engine.FusedPlan._key) is unchanged. Each change below, made between two calls, must
give a new plan, and training after it must be bitwise what the layer-by-layer path
gives; a call with nothing changed must reuse the plan (the per-call cost)."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import _changes, engine, layers


def _data():
    rng = np.random.default_rng(0)
    return rng.random((48, 6)).astype("float32"), rng.integers(0, 3, 48)


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                          layers.Dense(5, activation="relu"), layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.Adam(1e-2),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def _swap_second_layer(m):
    # a new layer object with new weight arrays in place of the second one
    old = m.layers[1]
    m.pop()
    m.pop()
    m.add(layers.Dense(5, activation="relu", name=old.name + "_new"))
    m.add(layers.Dense(3))


def _rebuild_first_layer(m):
    # build() again: the same layer object, new weight arrays of the same shape
    layer = m.layers[0]
    old = [w.copy() for w in layer.get_weights()]
    layer.built = False
    layer.build((None, 6))
    layer.set_weights([o * 0.5 for o in old])


def _recompile_loss(m):
    m.compile(optimizer=m.optimizer, loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])


CHANGES = {
    "beta_1": lambda m: setattr(m.optimizer, "beta_1", 0.5),
    "epsilon": lambda m: setattr(m.optimizer, "epsilon", 1e-3),
    "clipnorm": lambda m: setattr(m.optimizer, "clipnorm", 0.05),
    "activation": lambda m: setattr(m.layers[1], "activation", keras.activations.get("tanh")),
    "freeze_layer": lambda m: setattr(m.layers[0], "trainable", False),
    "recompiled_loss": _recompile_loss,
    # read when the plan is built: one set later must reach the engine as it reaches the
    # layer path (an activity regularizer sends the model to the layer path)
    "kernel_regularizer": lambda m: setattr(m.layers[0], "kernel_regularizer",
                                            keras.regularizers.L2(0.5)),
    "bias_regularizer": lambda m: setattr(m.layers[1], "bias_regularizer",
                                          keras.regularizers.L1(0.5)),
    "activity_regularizer": lambda m: setattr(m.layers[0], "activity_regularizer",
                                              keras.regularizers.L2(0.5)),
    "frozen_kernel": lambda m: setattr(m.layers[1].kernel, "trainable", False),
    "weight_decay": lambda m: setattr(m.optimizer, "weight_decay", 0.05),
}


def _train(fused, change, monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", fused)
    x, y = _data()
    m = _model()
    h1 = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    plan = m._engine.plan
    if change is not None:
        CHANGES[change](m)
    h2 = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    return m, h1, h2, plan


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_between_calls_rebuilds_the_plan(change, monkeypatch):
    m, h1, h2, plan = _train(True, change, monkeypatch)
    assert plan is not None, m._engine.why
    assert m._engine.plan is not plan, f"the plan was not rebuilt after {change}"
    ref, r1, r2, _ = _train(False, change, monkeypatch)
    assert (h1, h2) == (r1, r2)
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    x, _ = _data()
    np.testing.assert_array_equal(m.predict(x, verbose=0), ref.predict(x, verbose=0))


@pytest.mark.parametrize("change", [_swap_second_layer, _rebuild_first_layer],
                         ids=["new_layer", "rebuilt_weights"])
def test_new_weight_arrays_rebuild_the_inference_plan(change, monkeypatch):
    # (the optimizer, once built, refuses weights it was not built for: these changes
    # are made before any training, between two predicts)
    x, _ = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model()
        p1 = m.predict(x, verbose=0)
        plan = m._engine.plan
        change(m)
        p2 = m.predict(x, verbose=0)
        if fused:
            assert plan is not None and m._engine.plan is not None
            assert m._engine.plan is not plan
        out.append((p1, p2))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(out[0][0], out[0][1])


@pytest.mark.parametrize("new_mean, new_variance", [((0.1, 0.2, 0.3), (1.0, 2.0, 3.0)),
                                                     ((0.1, 0.2, 0.3), (4.0, 2.0, 3.0)),
                                                     ((0.5, 0.2, 0.3), (1.0, 2.0, 3.0))])
def test_a_normalization_given_its_statistics_and_built_again(new_mean, new_variance,
                                                                monkeypatch):
    """A Normalization given mean= and variance= holds them as constant arrays, made anew
    by each build(): the next fit compares them by value (an array's == is no truth
    value: that call used to raise), keeps the plan when they are the same, and takes a
    new mean or variance, as the layer path does."""
    x = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(2)
        norm = layers.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 3.0])
        m = keras.Sequential([keras.Input((3,)), norm, layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=1, verbose=0)
        plan = m._engine.plan
        norm.input_mean, norm.input_variance = new_mean, new_variance
        norm.build((None, 3))
        h = m.fit(x, y, epochs=2, verbose=0)
        if fused:
            assert m._engine.plan is not None
            same = (new_mean, new_variance) == ((0.1, 0.2, 0.3), (1.0, 2.0, 3.0))
            assert (m._engine.plan is plan) == same
        out.append((h.history["loss"], m.predict(x, verbose=0)))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_nothing_changed_keeps_the_plan(monkeypatch):
    m, _, _, plan = _train(True, None, monkeypatch)
    assert plan is not None and m._engine.plan is plan
    x, y = _data()
    m.predict(x, verbose=0)
    m.evaluate(x, y, verbose=0)
    m.train_on_batch(x[:4], y[:4])
    assert m._engine.plan is plan


def test_learning_rate_change_keeps_the_plan_and_takes_effect(monkeypatch):
    # the rate is read at every step, not part of the key: same plan, new rate used
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        x, y = _data()
        m = _model()
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        plan = m._engine.plan
        m.optimizer.learning_rate = 0.5
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        if fused:
            assert m._engine.plan is plan
        out.append(m.get_weights())
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rate", [float("nan"), -1.0, float("inf"), 1e39])
def test_a_bad_constant_learning_rate_is_refused_before_any_step(rate):
    # the optimizer's setter refuses these; the engine checks again what it is given
    # (a rate stored past the setter), before any step
    x, y = _data()
    m = _model()
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = m.get_weights()
    m.optimizer._learning_rate = rate
    with pytest.raises(ValueError, match="learning rate"):
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weight_decay_times_the_rate_past_float32_is_refused():
    x, y = _data()
    m = _model()
    m.compile(optimizer=keras.optimizers.AdamW(1e30, weight_decay=1e10),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="weight_decay"):
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_a_custom_layer_with_sublayers_in_the_key():
    # a layer holding other layers: its weights are its sublayers' (Layer.weights), and
    # the key follows them when they change
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = layers.Dense(3)

        def call(self, x):
            return self.inner(x)

    m = keras.Sequential([keras.Input((6,)), layers.Dense(4), Block()])
    m.compile(optimizer="adam", loss="mse")
    k1 = engine.FusedPlan._key(m)
    assert engine.FusedPlan._key(m) == k1
    block = m.layers[1]
    block.inner = layers.Dense(3)
    block.inner.build((None, 4))
    assert engine.FusedPlan._key(m) != k1


def test_inference_keeps_the_plan_over_optimizer_settings_and_fit_rebuilds_it(monkeypatch):
    # predict / evaluate run no optimizer step: a changed optimizer setting keeps their
    # plan (the same outputs as the layer path), and the next fit builds a new one that
    # trains as the layer path does
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model()
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        plan = m._engine.plan
        m.optimizer.beta_1 = 0.5
        p = m.predict(x, verbose=0)
        e = m.evaluate(x, y, verbose=0)
        if fused:
            assert m._engine.plan is plan
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
        if fused:
            assert m._engine.plan is not plan
        out.append((p, e, h, m.get_weights()))
    (pa, ea, ha, wa), (pb, eb, hb, wb) = out
    np.testing.assert_array_equal(pa, pb)
    assert ea == eb and ha == hb
    for a, b in zip(wa, wb):
        np.testing.assert_array_equal(a, b)


def test_a_model_that_does_not_lower_is_not_retried_at_every_call(monkeypatch):
    # known not to lower (a key without the optimizer's settings kept by an inference
    # call, or with them by fit): neither kind of call builds a plan again until
    # something changes
    built = []
    real = engine.FusedPlan.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(engine.FusedPlan, "__init__", counting)
    x, y = _data()
    m = _model()
    m.compile(optimizer=keras.optimizers.Adam(1e-2, use_ema=True),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.predict(x, verbose=0)
    if m._engine.plan is not None:
        pytest.skip("the engine runs this optimizer: nothing to check here")
    n = len(built)
    m.predict(x, verbose=0)
    m.evaluate(x, y, verbose=0)
    assert len(built) == n
    m.fit(x, y, epochs=1, verbose=0)   # a training key (and the slots the first fit made)
    m.fit(x, y, epochs=1, verbose=0)
    n = len(built)
    m.fit(x, y, epochs=1, verbose=0)
    m.predict(x, verbose=0)
    m.evaluate(x, y, verbose=0)
    assert len(built) == n
    assert m._engine.why


def test_calls_with_nothing_changed_do_not_read_the_model_again(monkeypatch):
    # The per-call cost: once a plan was checked, calls with nothing counted as a change
    # since (fastnn._changes) skip the key, until an attribute set counts as one.
    m, _, _, plan = _train(True, None, monkeypatch)
    x, y = _data()
    m.predict(x, verbose=0)
    m.train_on_batch(x[:4], y[:4])
    keys = []
    real = engine.FusedPlan._key
    monkeypatch.setattr(engine.FusedPlan, "_key",
                        staticmethod(lambda *a, **k: keys.append(1) or real(*a, **k)))
    for _ in range(2):
        m.predict(x, verbose=0)
        m.predict_on_batch(x)
        m(x)
        m.evaluate(x, y, verbose=0)
        m.test_on_batch(x, y)
        m.train_on_batch(x[:4], y[:4])
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert keys == [] and m._engine.plan is plan
    m.optimizer.beta_2 = 0.9
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert keys and m._engine.plan is not plan


def test_a_change_made_while_the_model_is_checked_is_seen_at_the_next_call(monkeypatch):
    # the count is read before the key: a change made while the key is computed (as
    # another thread may make it) leaves the plan unchecked for the next call
    m, _, _, plan = _train(True, None, monkeypatch)
    x, y = _data()
    real = engine.FusedPlan._key
    _changes.note()       # a change that alters nothing: the next call checks the model

    def key_then_change(model, optimizer=True):
        k = real(model, optimizer)
        model.optimizer.beta_1 = 0.5     # after the key was read
        return k
    monkeypatch.setattr(engine.FusedPlan, "_key", staticmethod(key_then_change))
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.plan is plan        # the key read matched: kept, with beta_1 0.9
    monkeypatch.setattr(engine.FusedPlan, "_key", staticmethod(real))
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.plan is not plan
    assert dict(m._engine.plan.key[1])["beta_1"] == 0.5


def _fuzz_model():
    return keras.Sequential([keras.Input((6,)), layers.Dense(8), layers.BatchNormalization(),
                             layers.Activation("relu"), layers.Dropout(0.1),
                             layers.Dense(7, activation="relu"), layers.Dense(3)])


def _fuzz_changes(rng):
    def dense(m):
        return [layer for layer in m.layers if isinstance(layer, layers.Dense)]

    def pick(options):
        return options[rng.integers(0, len(options))]
    return [
        lambda m: setattr(dense(m)[rng.integers(1, 3)], "activation",
                          keras.activations.get(pick(["relu", "tanh", "sigmoid"]))),
        lambda m: setattr(m.layers[rng.integers(0, 6)], "trainable", bool(rng.integers(0, 2))),
        lambda m: setattr(dense(m)[rng.integers(0, 3)].kernel, "trainable",
                          bool(rng.integers(0, 2))),
        lambda m: setattr(m.optimizer, "beta_1", pick([0.5, 0.9])),
        lambda m: setattr(m.optimizer, "epsilon", pick([1e-7, 1e-3])),
        lambda m: setattr(m.optimizer, "clipnorm", pick([0.1, 1.0])),
        lambda m: setattr(m.optimizer, "learning_rate", pick([1e-3, 1e-2])),
        lambda m: setattr(dense(m)[rng.integers(0, 3)], "kernel_regularizer",
                          keras.regularizers.L2(pick([0.0, 0.1]))),
        lambda m: m.compile(optimizer=m.optimizer, metrics=["accuracy"],
                            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        lambda m: setattr(m.layers[3], "rate", pick([0.0, 0.3])),
        lambda m: setattr(m.layers[1], "momentum", pick([0.9, 0.5])),
    ]


def _fuzz_run(fused, seed, monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", fused)
    keras.utils.set_random_seed(seed)
    m = _fuzz_model()
    m.compile(optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(seed)
    x, y = rng.random((40, 6)).astype("float32"), rng.integers(0, 3, 40)
    changes = _fuzz_changes(np.random.default_rng(seed + 1000))
    plan_rng = np.random.default_rng(seed + 2000)
    out = []
    for _ in range(6):
        for k in plan_rng.choice(len(changes), size=plan_rng.integers(0, 3), replace=False):
            changes[k](m)
        call = plan_rng.integers(0, 4)
        try:
            if call == 0:
                out.append(m.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"])
            elif call == 1:
                out.append(m.train_on_batch(x[:8], y[:8]))
            elif call == 2:
                out.append(m.evaluate(x, y, verbose=0))
            else:
                out.append(m.predict(x, verbose=0))
        except ValueError as e:       # (an optimizer asked for variables it was not built for)
            out.append(str(e))
    return out, m.get_weights()


@pytest.mark.parametrize("seed", range(16))
def test_random_changes_between_calls_train_as_the_layer_path(seed, monkeypatch):
    # Random settings changed between random calls: with the change count deciding when
    # the key is read, the engine must still give the layer path's numbers (a change it
    # missed would train with the old setting)
    got, got_w = _fuzz_run(True, seed, monkeypatch)
    ref, ref_w = _fuzz_run(False, seed, monkeypatch)
    for a, b in zip(got, ref):
        if isinstance(a, str) or isinstance(b, str):
            assert a == b
        else:
            np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float),
                                       rtol=1e-5, atol=1e-6)
    for a, b in zip(got_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
