"""A Dropout on a model's input (before its first Dense layer, as in the original dropout
networks: `Sequential([Input, Dropout(0.2), Dense, ...])`), or a GaussianNoise,
GaussianDropout or AlphaDropout there (noise on the inputs, as in denoising networks),
trains on the C engine: the engine drops out or perturbs the gathered rows in place
(after an input Normalization or Rescaling; a Flatten on either side) with the stream
the layer path's layer takes in a training step, so both paths train to the same bits,
at any team size."""
import numpy as np
import pytest

import fastnn as keras
from cases import assert_the_same_bits_at_team_sizes
from fastnn import _kernels, engine, layers


def _model(case, dtype="float64", rate=0.3):
    keras.utils.set_random_seed(0)
    front = {"dropout_then_flatten": [layers.Dropout(rate), layers.Flatten()],
             "flatten_then_dropout": [layers.Flatten(), layers.Dropout(rate)],
             "after_a_normalization": [layers.Flatten(),
                                       layers.Normalization(mean=0.5, variance=0.1),
                                       layers.Dropout(rate)],
             "after_a_rescaling": [layers.Rescaling(2.0, offset=-1), layers.Dropout(rate),
                                   layers.Flatten()],
             "gaussian_noise": [layers.GaussianNoise(rate), layers.Flatten()],
             "gaussian_dropout": [layers.Flatten(), layers.GaussianDropout(rate)],
             "alpha_dropout_after_a_normalization": [
                 layers.Flatten(), layers.Normalization(mean=0.5, variance=0.1),
                 layers.AlphaDropout(rate)]}[case]
    m = keras.Sequential([keras.Input((4, 5), dtype=dtype)] + front +
                         [layers.Dense(16, activation="relu", dtype=dtype),
                          layers.Dropout(0.2), layers.Dense(3, dtype=dtype)])
    m.compile(optimizer="adam", metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


CASES = ["dropout_then_flatten", "flatten_then_dropout", "after_a_normalization",
         "after_a_rescaling", "gaussian_noise", "gaussian_dropout",
         "alpha_dropout_after_a_normalization"]


def _data(dtype="float64", n=160):
    rng = np.random.default_rng(0)
    return rng.random((n, 4, 5)).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_an_input_dropout_trains_on_the_engine_as_on_the_layer_path(monkeypatch, case,
                                                                    dtype):
    x, y = _data(dtype)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case, dtype)
        h = m.fit(x, y, batch_size=32, epochs=3, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused, m._engine.why
        out.append((h, m.get_weights(), m.predict(x, verbose=0)))
    (h1, w1, p1), (h2, w2, p2) = out
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    for a, b in zip(w1 + [p1], w2 + [p2]):
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-6 if dtype == "float32" else 1e-12)


def test_the_input_is_dropped_out_at_the_rate_with_its_own_stream():
    """The engine's input mask is the layer's for the same step: rows dropped at about
    the rate, scaled by 1 / (1 - rate), a mask other than the one of the Dropout after
    the first Dense layer; and training with it differs from training without it."""
    x, y = _data()
    w = []
    for rate in (0.3, 0.0):
        m = _model("flatten_then_dropout", rate=rate)
        m.fit(x, y, batch_size=32, epochs=1, verbose=0)
        assert m._engine.fit_plan is not None
        w.append(m.get_weights())
    assert not np.array_equal(w[0][0], w[1][0])
    key_in = _kernels.dropout_key(7, 3, _kernels.INPUT_DROPOUT)
    key_0 = _kernels.dropout_key(7, 3, 0)
    ones = np.ones(20000)
    masks = []
    for key in (key_in, key_0):
        mask, out = np.empty_like(ones), np.empty_like(ones)
        _kernels.dropout_forward(0.3, key, ones, mask, out)
        masks.append(mask)
        assert abs((mask == 0).mean() - 0.3) < 0.02
        assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert not np.array_equal(masks[0], masks[1])


def test_team_sizes_change_nothing(set_threads):
    x, y = _data("float32", 400)
    for case in ("after_a_rescaling", "gaussian_dropout"):
        assert_the_same_bits_at_team_sizes(set_threads, lambda: _model(case, "float32"), x, y)


@pytest.mark.parametrize("case", ["two_input_dropouts", "normalization_after_it",
                                  "a_noise_shape", "one_of_two_inputs"])
def test_other_input_dropouts_keep_the_layer_path(case):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if case == "one_of_two_inputs":    # the engine drops out the whole joined input
        a, b = keras.Input((5,)), keras.Input((3,))
        h = layers.Dense(4)(layers.Dropout(0.2)(a))
        m = keras.Model([a, b], layers.Dense(2)(layers.Concatenate()([h, b])))
        x = [rng.random((32, 5)), rng.random((32, 3))]
    else:
        front = {"two_input_dropouts": [layers.Dropout(0.2), layers.Dropout(0.1)],
                 "normalization_after_it": [layers.Dropout(0.2),
                                            layers.Normalization(mean=0.5, variance=0.1)],
                 "a_noise_shape": [layers.Dropout(0.2, noise_shape=(None, 1))]}[case]
        m = keras.Sequential([keras.Input((5,))] + front + [layers.Dense(4), layers.Dense(2)])
        x = rng.random((32, 5))
    m.compile(optimizer="adam", loss="mse")
    h = m.fit(x, rng.random((32, 2)), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(h["loss"][0]) and m._engine.plan is None


@pytest.mark.parametrize("noise", [(0, 0.1, 1), (4, 0.1, 1), (1, 1.5, 1), (2, 1.0, 1)])
def test_the_net_refuses_bad_input_noise(noise):
    from cases import net_spec
    with pytest.raises(ValueError, match="in_noise"):
        _kernels.FusedNet([net_spec(4, 2)], 0, 1.0, False, 2, 0,
                          {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64, in_noise=noise)
    with pytest.raises(ValueError, match="in_noise"):     # not with a dropout too
        _kernels.FusedNet([net_spec(4, 2)], 0, 1.0, False, 2, 0,
                          {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64, in_dropout=0.2,
                          in_noise=(1, 0.1, 1))


@pytest.mark.parametrize("rate, parts", [(1.0, None), (-0.1, None), (0.2, (2, 2))])
def test_the_net_refuses_a_bad_input_dropout(rate, parts):
    from cases import net_spec
    spec = net_spec(2, 2, part=1) if parts else net_spec(4, 2)
    with pytest.raises(ValueError, match="in_dropout"):
        _kernels.FusedNet([spec], 0, 1.0, False, 2, 0, {"kind": _kernels.OPT_CODES["sgd"]},
                          1, np.float64, parts=parts, in_dropout=rate)


@pytest.mark.parametrize("front", [True, False])
def test_two_dropouts_in_a_row_draw_two_masks_in_a_training_step(front):
    """Two Dropouts after one Dense layer (or two on the input) drop out independently,
    as in Keras: about 1 - 0.5 * 0.5 of the units are zero after both, the kept ones
    scaled by 4. (They shared one stream, so the second dropped out what the first had:
    half the units, scaled by 4.) The engine runs one Dropout per Dense layer: the layer
    path trains such a model."""
    keras.utils.set_random_seed(0)
    d1, d2 = layers.Dropout(0.5), layers.Dropout(0.5)
    seen = {}

    class Spy(layers.Layer):
        def call(self, x):
            seen["out"] = np.asarray(x)
            return x

    body = [d1, d2, layers.Dense(2000, kernel_initializer="ones", use_bias=False)] if front \
        else [layers.Dense(2000, kernel_initializer="identity", use_bias=False), d1, d2]
    m = keras.Sequential([keras.Input((2000,))] + body + [Spy()])
    m.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    x = np.ones((1, 2000), np.float32) if not front else np.eye(2000, dtype=np.float32)[:1]
    m.fit(x, np.zeros((1, 2000), np.float32), verbose=0)
    assert m._engine.plan is None
    out = seen["out"]
    if front:       # the one input unit's way through: kept with probability 1/4
        assert set(np.unique(out)) <= {0.0, 4.0}
        out = None
        kept = []
        for seed in range(200):
            keras.utils.set_random_seed(seed)
            m.fit(x, np.zeros((1, 2000), np.float32), verbose=0)
            kept.append(seen["out"][0, 0] != 0)
        assert abs(np.mean(kept) - 0.25) < 0.1
    else:
        assert set(np.unique(out)) == {0.0, 4.0}
        assert abs((out != 0).mean() - 0.25) < 0.03
