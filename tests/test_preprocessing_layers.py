"""CategoryEncoding, Discretization and IntegerLookup (keras.layers): NumPy references,
adapt results, a structured-data functional model (fit, evaluate, save / load) on the
layer-by-layer path, and the errors bad arguments and inputs raise."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import layers


def _np_one_hot(idx, depth):
    return np.eye(depth, dtype=np.float32)[idx]


# -- NumPy references --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(7,), (5, 1), (4, 3), (2, 3, 4)])
def test_category_encoding_matches_numpy(shape):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, shape)
    oh = layers.CategoryEncoding(6, "one_hot")(x)
    ref = _np_one_hot(x[..., 0] if len(shape) > 1 and shape[-1] == 1 else x, 6)
    np.testing.assert_array_equal(oh, ref)
    count = np.asarray(layers.CategoryEncoding(6, "count")(x))
    mh = np.asarray(layers.CategoryEncoding(6, "multi_hot")(x))
    if len(shape) == 1:
        ref_count = np.bincount(x, minlength=6)
    else:
        xs = np.moveaxis(x, 1, -1)          # Keras reduces axis 1
        ref_count = np.apply_along_axis(lambda r: np.bincount(r, minlength=6), -1, xs)
    np.testing.assert_array_equal(count, ref_count)
    np.testing.assert_array_equal(mh, (ref_count > 0).astype(np.float32))
    assert count.dtype == np.float32


def test_category_encoding_accepts_whole_floats_and_weights():
    layer = layers.CategoryEncoding(4, "count")
    x = np.array([[0., 3., 3.], [1., 1., 2.]])
    w = np.array([[1., .5, .25], [2., 2., 1.]])
    np.testing.assert_allclose(layer(x, count_weights=w), [[1, 0, 0, .75], [0, 4, 1, 0]])


def test_discretization_matches_np_digitize():
    rng = np.random.default_rng(1)
    b = [-1.0, 0.0, 0.5, 2.0]
    x = np.concatenate([rng.normal(size=50), b]).reshape(-1, 1).astype(np.float32)
    out = np.asarray(layers.Discretization(bin_boundaries=b)(x))
    np.testing.assert_array_equal(out, np.digitize(x, b))
    assert out.dtype == np.int32
    oh = layers.Discretization(bin_boundaries=b, output_mode="one_hot")(x)
    np.testing.assert_array_equal(oh, _np_one_hot(np.digitize(x[:, 0], b), 5))


def test_discretization_adapt_gives_quantiles():
    x = np.arange(1000, dtype=np.float32)
    layer = layers.Discretization(num_bins=4)
    layer.adapt(x)
    # Keras' approximate summary: within epsilon (1%) of the exact quartiles
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(x, [.25, .5, .75]), atol=10)
    counts = np.bincount(np.asarray(layer(x)).ravel(), minlength=4)
    assert counts.min() >= 240 and counts.max() <= 260
    # batches: the same as one array here (whole summaries merge)
    layer2 = layers.Discretization(num_bins=4)
    layer2.adapt([x[:500], x[500:]])
    np.testing.assert_allclose(layer2.bin_boundaries, layer.bin_boundaries, atol=10)


def test_integer_lookup_adapt_orders_by_frequency():
    layer = layers.IntegerLookup()
    layer.adapt(np.array([[7., 7., 3.], [3., 7., 9.], [11., 2., 2.]]))
    # counts: 7:3, 3:2, 2:2, 9:1, 11:1 -- ties: larger token first (Keras' lexsort)
    assert layer.get_vocabulary() == [-1, 7, 3, 2, 11, 9]
    assert layer.get_vocabulary(include_special_tokens=False) == [7, 3, 2, 11, 9]
    assert layer.vocabulary_size() == 6
    np.testing.assert_array_equal(layer(np.array([7, 9, 5, 2])), [1, 5, 0, 3])
    small = layers.IntegerLookup(max_tokens=3)
    small.adapt([7, 7, 7, 3, 3, 9])
    assert small.get_vocabulary() == [-1, 7, 3]


def test_integer_lookup_modes_and_mask():
    layer = layers.IntegerLookup(vocabulary=[4, 5, 6], mask_token=0, output_mode="int")
    assert layer.get_vocabulary() == [0, -1, 4, 5, 6]
    np.testing.assert_array_equal(layer([[0, 4], [9, 6]]), [[0, 2], [1, 4]])
    mh = layers.IntegerLookup(vocabulary=[4, 5, 6], output_mode="multi_hot")
    np.testing.assert_array_equal(mh([[4, 4, 9], [6, 5, 6]]), [[1, 1, 0, 0], [0, 0, 1, 1]])
    ct = layers.IntegerLookup(vocabulary=[4, 5, 6], output_mode="count")
    np.testing.assert_array_equal(ct([[4, 4, 9], [6, 5, 6]]), [[1, 2, 0, 0], [0, 0, 1, 2]])
    inv = layers.IntegerLookup(vocabulary=[4, 5, 6], invert=True)
    np.testing.assert_array_equal(inv([[1, 3], [0, 99]]), [[4, 6], [-1, -1]])


# -- a structured-data model ---------------------------------------------------------------

def _structured_model():
    rng = np.random.default_rng(3)
    n = 256
    city = rng.choice([10, 20, 30, 40, 99], n)            # an int column
    age = rng.uniform(18, 80, n).astype(np.float32)       # a float column
    y = (np.isin(city, [20, 40]) ^ (age > 50)).astype(np.float32)
    lookup = layers.IntegerLookup(output_mode="int")
    lookup.adapt(city[:200])
    disc = layers.Discretization(num_bins=5)
    disc.adapt(age[:200])
    c_in = fastnn.Input((1,), dtype="int64", name="city")
    a_in = fastnn.Input((1,), name="age")
    c = layers.CategoryEncoding(lookup.vocabulary_size(), "one_hot")(lookup(c_in))
    a = layers.CategoryEncoding(5, "one_hot")(disc(a_in))
    h = layers.Dense(16, activation="relu")(layers.Concatenate()([c, a]))
    out = layers.Dense(1, activation="sigmoid")(h)
    model = fastnn.Model([c_in, a_in], out)
    return model, [city.reshape(-1, 1), age.reshape(-1, 1)], y


def test_structured_data_model_fits_evaluates_saves_and_loads(tmp_path):
    fastnn.utils.set_random_seed(0)
    model, x, y = _structured_model()
    model.compile(optimizer=fastnn.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, y, batch_size=32, epochs=30, verbose=0)
    assert model._engine.fit_plan is None          # the layer-by-layer path
    assert h.history["loss"][-1] < h.history["loss"][0] * 0.7
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.85
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = fastnn.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    lk = [l for l in loaded.layers if isinstance(l, layers.IntegerLookup)][0]
    src = [l for l in model.layers if isinstance(l, layers.IntegerLookup)][0]
    assert lk.get_vocabulary() == src.get_vocabulary()
    dl = [l for l in loaded.layers if isinstance(l, layers.Discretization)][0]
    sd = [l for l in model.layers if isinstance(l, layers.Discretization)][0]
    assert dl.bin_boundaries == sd.bin_boundaries


def test_sequential_with_category_encoding_trains():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, (64, 1)).astype(np.float32)     # as fit hands them over
    y = (x[:, 0] == 2).astype(np.float32)
    m = fastnn.Sequential([fastnn.Input((1,)), layers.CategoryEncoding(4, "one_hot"),
                           layers.Dense(1, activation="sigmoid")])
    m.compile(fastnn.optimizers.Adam(0.1), "binary_crossentropy")
    h = m.fit(x, y, epochs=20, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


# -- errors ------------------------------------------------------------------------------

def test_bad_indices_and_tokens_raise():
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[-1, 7\]"):
        layers.CategoryEncoding(4)(np.array([[1, 7, -1]]))
    with pytest.raises(ValueError, match="whole numbers"):
        layers.CategoryEncoding(4)(np.array([[1.5]]))
    with pytest.raises(TypeError, match="dtype"):
        layers.CategoryEncoding(4)(np.array([["a"]]))
    with pytest.raises(ValueError, match="count_weights must have"):
        layers.CategoryEncoding(4, "count")(np.array([[1, 2]]), count_weights=np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"OOV values \[9\]"):
        layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)(np.array([1, 9]))
    with pytest.raises(ValueError, match="adapt"):
        layers.IntegerLookup()(np.array([1]))
    with pytest.raises(ValueError, match="whole numbers"):
        layers.IntegerLookup(vocabulary=[1, 2])(np.array([1.25]))


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="num_tokens"):
        layers.CategoryEncoding(2.5)
    with pytest.raises(ValueError, match="sparse"):
        layers.CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="output_mode"):
        layers.Discretization(bin_boundaries=[0.], output_mode="tf_idf")
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[1., 0.])
    with pytest.raises(ValueError, match="num_bins"):
        layers.Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="epsilon"):
        layers.Discretization(num_bins=3, epsilon=0)
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.Discretization(bin_boundaries=[0.]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="idf_weights"):
        layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1, 2])
    with pytest.raises(ValueError, match="idf_weights"):
        layers.IntegerLookup(output_mode="count", vocabulary=[1, 2], idf_weights=[1., 1.])
    with pytest.raises(ValueError, match="invert"):
        layers.IntegerLookup(invert=True, output_mode="one_hot")
    with pytest.raises(ValueError, match="repeated"):
        layers.IntegerLookup(vocabulary=[1, 2, 1])
    with pytest.raises(ValueError, match="mask token"):
        layers.IntegerLookup(vocabulary=[1, 0], mask_token=0)
    with pytest.raises(TypeError, match="mask_token"):
        layers.IntegerLookup(mask_token="x")
    with pytest.raises(ValueError, match="max_tokens"):
        layers.IntegerLookup(vocabulary=[1, 2, 3], max_tokens=3)
    with pytest.raises(ValueError, match="pad_to_max_tokens"):
        layers.IntegerLookup(pad_to_max_tokens=True)


def test_bad_arguments_found_by_fuzzing():
    """An array as output_mode, a number too large for an int or a float: ValueError or
    TypeError naming the argument (NumPy's truth-value error and OverflowError escaped)."""
    import numpy as np
    import pytest
    from fastnn import layers
    with pytest.raises(ValueError, match="output_mode"):
        layers.IntegerLookup(vocabulary=[1, 2], output_mode=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(num_tokens=3, output_mode=np.array([0.0, 1.0]))
    with pytest.raises((ValueError, TypeError), match="num_oov_indices"):
        layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=10 ** 400)
    with pytest.raises((ValueError, TypeError), match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[10 ** 400])
    with pytest.raises((ValueError, TypeError), match="num_tokens"):
        layers.CategoryEncoding(num_tokens=2 ** 40)


# -- StringLookup ---------------------------------------------------------------------------

def test_string_lookup_matches_keras_on_special_tokens_and_encodings():
    """Figures from Keras 3.15.1 (TensorFlow backend, the only one StringLookup runs on)."""
    from fastnn.layers import StringLookup
    l = StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot", mask_token="")
    np.testing.assert_array_equal(l(["a", "", "z"]), [[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]])
    l = StringLookup(vocabulary=["a", "b"], mask_token="[M]")
    np.testing.assert_array_equal(l(np.array([b"a", b"b", b"[M]", b"x"], dtype=object)),
                                  [2, 3, 0, 1])
    l = StringLookup(vocabulary=["a", "b", "c"], output_mode="multi_hot")
    np.testing.assert_array_equal(l([["a", "b"], ["c", "z"]]), [[0, 1, 1, 0], [1, 0, 0, 1]])
    l = StringLookup(vocabulary=["a", "b", "c"], output_mode="count", pad_to_max_tokens=True,
                     max_tokens=6)
    np.testing.assert_array_equal(l([["a", "a"], ["c", "z"]]),
                                  [[0, 2, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0]])
    l = StringLookup()
    l.adapt(["b", "a", "c", "b", "a", "d"])
    assert l.get_vocabulary() == ["[UNK]", "b", "a", "d", "c"]
    l = StringLookup(vocabulary=["a", "b"], mask_token="[M]", invert=True)
    assert l(np.array([0, 1, 2, 3, 7])).tolist() == ["[M]", "[UNK]", "a", "b", "[UNK]"]


def test_string_lookup_bytes_and_encodings():
    from fastnn.layers import StringLookup
    l = StringLookup(vocabulary=["é", "b"], encoding="latin-1")
    np.testing.assert_array_equal(l(np.array(["é".encode("latin-1"), b"b", b"q"])), [1, 2, 0])
    with pytest.raises(ValueError, match="not valid utf-8"):
        StringLookup(vocabulary=["a"])(np.array([b"\xff"]))
    with pytest.raises(ValueError, match="unknown encoding"):
        StringLookup(encoding="no-such-codec")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(num_oov_indices=-1), ValueError, "num_oov_indices"),
    (dict(oov_method="murmur"), ValueError, "oov_method"),
    (dict(salt="pepper"), ValueError, "salt"),
    (dict(salt=[1, 2.5]), TypeError, "salt"),
    (dict(salt=[1, 2 ** 63]), ValueError, "salt"),
    (dict(mask_token=0), TypeError, "mask_token must be a string"),
    (dict(encoding=5), TypeError, "encoding must be a str"),
    (dict(output_mode="tf_idf", vocabulary=["a"]), ValueError, "idf_weights"),
    (dict(output_mode="tf_idf", vocabulary=["a"], idf_weights=[1., 2.]), ValueError,
     "same length"),
    (dict(output_mode="tf_idf", vocabulary=["a"], idf_weights=[np.inf]), ValueError,
     "finite"),
    (dict(vocabulary=["a", "a"]), ValueError, "repeated term"),
    (dict(vocabulary="/no/such/vocabulary.txt"), ValueError, "cannot read the vocabulary file"),
])
def test_string_lookup_bad_arguments(kwargs, exc, match):
    from fastnn.layers import StringLookup
    with pytest.raises(exc, match=match):
        StringLookup(**kwargs)


@pytest.mark.parametrize("bad", [np.array([1.0, 2.0]), [1, 2], np.array([None, "a"], dtype=object)])
def test_string_lookup_refuses_non_strings(bad):
    from fastnn.layers import StringLookup
    with pytest.raises(TypeError, match="inputs must be strings"):
        StringLookup(vocabulary=["a"])(bad)


def test_string_lookup_without_vocabulary_says_so():
    from fastnn.layers import StringLookup
    with pytest.raises(ValueError, match="no vocabulary"):
        StringLookup()(["a"])


def test_text_made_a_tensor_as_tensorflow_does_feeds_a_string_input():
    """Keras' structured-data example predicts on `{name: tf.convert_to_tensor([value])}`
    with a text value among them: convert_to_tensor gives text as an array of str (not
    differentiable) where it gave a TypeError, and the model's StringLookup takes it."""
    import fastnn as tf
    t = tf.convert_to_tensor(["fixed"])
    assert isinstance(t, np.ndarray) and t.dtype.kind == "U" and t.tolist() == ["fixed"]
    assert tf.convert_to_tensor("a").shape == () and \
        tf.convert_to_tensor([[b"x"], [b"y"]]).dtype.kind == "S"
    assert tf.convert_to_tensor(["a", "b"], dtype="string").tolist() == ["a", "b"]
    with pytest.raises(TypeError, match="dtype='string' takes text"):
        tf.convert_to_tensor([1.0], dtype="string")
    assert tf.convert_to_tensor([]).dtype == np.float32        # (no text: numbers)
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(np.array([["fixed"], ["normal"], ["reversible"], ["normal"]]))
    inp = fastnn.Input((1,), dtype="string", name="thal")
    model = fastnn.Model(inp, layers.Dense(1, activation="sigmoid")(lookup(inp)))
    pred = model.predict({"thal": tf.convert_to_tensor(["fixed"])}, verbose=0)
    assert pred.shape == (1, 1) and np.isfinite(pred).all()
    assert np.array_equal(pred, model.predict({"thal": np.array([["fixed"]])}, verbose=0))
