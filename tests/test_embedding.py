"""Embedding, GlobalAveragePooling1D and GlobalMaxPooling1D (the bag-of-words text
classifier of the Keras and TensorFlow text tutorials), and integer keras.Input."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


@pytest.fixture(scope="module")
def tokens():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, (200, 12))
    return x, (x.mean(1) > 24.5).astype(np.float32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lookup_values_and_gradient(dtype):
    keras.utils.set_random_seed(0)
    e = layers.Embedding(6, 3, dtype=dtype)
    idx = np.array([[0, 5, 5], [2, 0, 1]])
    out = np.asarray(e(idx))
    table = np.asarray(e.embeddings)
    assert out.shape == (2, 3, 3) and out.dtype == dtype
    np.testing.assert_array_equal(out, table[idx])
    # floats that are whole numbers are indices too (fit converts x to floats)
    np.testing.assert_array_equal(np.asarray(e(idx.astype(np.float32))), out)
    # the gradient: a repeated index gets the sum of its rows' gradients
    g_out = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    with keras.GradientTape() as tape:
        loss = keras.ops.sum(e(idx) * g_out)
    g = np.asarray(tape.gradient(loss, e.embeddings))
    want = np.zeros_like(table)
    np.add.at(want, idx.reshape(-1), g_out.reshape(-1, 3))
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_bad_indices_and_arguments():
    e = layers.Embedding(5, 2)
    with pytest.raises(ValueError, match=r"indices must be in \[0, 5\) \(input_dim\), got values in \[0, 5\]"):
        e(np.array([[0, 5]]))
    with pytest.raises(ValueError, match=r"indices must be in \[0, 5\)"):
        e(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="inputs must be whole numbers"):
        e(np.array([[0.5, 1.0]]))
    with pytest.raises(TypeError, match="inputs must be integer indices"):
        e(np.array([[True, False]]))
    with pytest.raises(TypeError, match="mask_zero"):
        layers.Embedding(5, 2, mask_zero="yes")
    with pytest.raises((ValueError, TypeError), match="input_dim"):
        layers.Embedding(0, 2)
    with pytest.raises((ValueError, TypeError), match="output_dim"):
        layers.Embedding(5, 2.5)
    with pytest.raises(ValueError, match="data_format"):
        layers.GlobalAveragePooling1D(data_format="nhwc")


@pytest.mark.parametrize("cls, fn", [(layers.GlobalAveragePooling1D, np.mean),
                                     (layers.GlobalMaxPooling1D, np.max)])
def test_global_poolings(cls, fn):
    x = np.random.default_rng(2).standard_normal((4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(cls()(x)), fn(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cls(keepdims=True)(x)), fn(x, axis=1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cls(data_format="channels_first")(x)), fn(x, axis=2),
                               rtol=1e-6)
    assert cls().compute_output_shape((None, 7, 3)) == (None, 3)
    with pytest.raises(ValueError, match="rank 3"):
        cls()(x[:, 0])


def test_bag_of_words_classifier_trains_saves_and_loads(tokens, tmp_path):
    x, y = tokens
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((12,), dtype="int64"), layers.Embedding(50, 8),
                          layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
    h = m.fit(x, y, epochs=30, verbose=0).history
    assert h["loss"][-1] < 0.8 * h["loss"][0] and h["accuracy"][-1] > 0.8
    assert m.dtype == "float32"
    m.save(tmp_path / "bow.keras")
    r = keras.models.load_model(tmp_path / "bow.keras")
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))
    assert r.layers[0].get_config()["input_dim"] == 50


def test_functional_with_any_sequence_length(tokens):
    x, y = tokens
    keras.utils.set_random_seed(1)
    inp = keras.Input((None,), dtype="int32")
    h = layers.GlobalMaxPooling1D()(layers.Embedding(50, 4)(inp))
    m = keras.Model(inp, layers.Dense(1)(h))
    assert m.input.dtype == "int32"
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    assert m.predict(x[:, :5], verbose=0).shape == (200, 1)    # shorter sequences too
