"""The last pieces of Keras 3's vocabulary: the lookups' tf_idf mode, vector-valued
F-scores in compile, losses' dtype, masked BatchNormalization and Softmax, string
inputs in functional models and non-finite weights in saved files."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import layers


# -- IntegerLookup / StringLookup output_mode="tf_idf" ------------------------------------

def _np_tf_idf(docs, vocab_order, test, depth_pad=None):
    """NumPy reference of Keras' tf_idf: idf = log(1 + N / (1 + df)) per token, the OOV
    index weighted by their mean, output = counts per row times idf."""
    n = len(docs)
    df = {t: sum(t in set(d) for d in docs) for t in vocab_order}
    idf = np.array([np.log(1 + n / (1 + df[t])) for t in vocab_order]).astype(np.float32)
    weights = np.concatenate([[idf.mean()], idf])
    if depth_pad:
        weights = np.concatenate([weights, np.zeros(depth_pad - len(weights), np.float32)])
    index = {t: i + 1 for i, t in enumerate(vocab_order)}
    out = np.zeros((len(test), len(weights)), np.float32)
    for r, row in enumerate(test):
        for t in row:
            out[r, index.get(t, 0)] += 1
    return out * weights, weights


def test_integer_lookup_tf_idf_adapt_matches_numpy_reference():
    rng = np.random.default_rng(0)
    docs = rng.integers(0, 9, (40, 6))
    layer = layers.IntegerLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary(include_special_tokens=False)
    test = rng.integers(0, 12, (5, 7))
    ref, weights = _np_tf_idf([list(d) for d in docs], vocab, [list(t) for t in test])
    np.testing.assert_allclose(layer.idf_weights, weights, rtol=1e-6)
    out = layer(test)
    assert out.dtype == np.float32 and out.shape == (5, len(vocab) + 1)
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_string_lookup_tf_idf_batches_are_documents_and_pad_to_max_tokens():
    # an iterable of batches: a 1-D batch is one document, a 2-D batch one per row
    batches = [np.array(["a", "b", "a"]), np.array([["c", "a"], ["d", "d"]])]
    layer = layers.StringLookup(output_mode="tf_idf", max_tokens=8, pad_to_max_tokens=True)
    layer.adapt(iter(batches))
    vocab = layer.get_vocabulary(include_special_tokens=False)
    assert vocab == ["a", "d", "c", "b"]          # by count, ties the larger token first
    docs = [["a", "b", "a"], ["c", "a"], ["d", "d"]]
    test = np.array([["a", "zz", "d", "d"], ["b", "c", "a", "a"]])
    ref, weights = _np_tf_idf(docs, vocab, test.tolist(), depth_pad=8)
    np.testing.assert_allclose(layer.idf_weights, weights, rtol=1e-6)
    np.testing.assert_allclose(layer(test), ref, rtol=1e-6)


def test_tf_idf_given_weights_mask_token_and_config_round_trip():
    layer = layers.IntegerLookup(vocabulary=[5, 7], idf_weights=[0.5, 2.0],
                                 output_mode="tf-idf", mask_token=0)
    assert layer.output_mode == "tf_idf"
    # the OOV index gets the mean of the given weights; the mask token is not counted
    np.testing.assert_allclose(layer.idf_weights, [1.25, 0.5, 2.0])
    out = layer(np.array([[5, 0, 9, 7, 7], [0, 0, 0, 0, 5]]))
    np.testing.assert_allclose(out, [[1.25, 0.5, 4.0], [0.0, 0.5, 0.0]])
    cfg = layer.get_config()
    assert cfg["vocabulary"] == [-1, 5, 7] and cfg["idf_weights"] == [1.25, 0.5, 2.0]
    again = layers.IntegerLookup.from_config(cfg)
    np.testing.assert_array_equal(again.idf_weights, layer.idf_weights)
    # a vocabulary given with its special tokens keeps their given weights
    s = layers.StringLookup(vocabulary=["[UNK]", "x"], idf_weights=[3.0, 1.0],
                            output_mode="tf_idf")
    np.testing.assert_allclose(s(np.array([["x", "q", "q"]])), [[6.0, 1.0]])
    s.set_vocabulary(["x", "y"], idf_weights=[1.0, 2.0])
    np.testing.assert_allclose(s.idf_weights, [1.5, 1.0, 2.0])


def test_tf_idf_model_saves_and_loads(tmp_path):
    rng = np.random.default_rng(1)
    docs = rng.integers(1, 20, (64, 5))
    lookup = layers.IntegerLookup(output_mode="tf_idf")
    lookup.adapt(docs)
    inp = fastnn.Input((5,), dtype="int64")
    model = fastnn.Model(inp, layers.Dense(1)(lookup(inp)))
    for name in ("m.fastnn", "m.keras"):
        path = os.path.join(tmp_path, name)
        model.save(path)
        loaded = fastnn.models.load_model(path)
        np.testing.assert_array_equal(model.predict(docs, verbose=0),
                                      loaded.predict(docs, verbose=0))


@pytest.mark.parametrize("make, exc, match", [
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1]), ValueError,
     "idf_weights` argument must also be provided"),
    (lambda: layers.IntegerLookup(output_mode="count", idf_weights=[1.0]), ValueError,
     "only be set if `output_mode` is `'tf_idf'`"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=[[1.0]]), ValueError, "1-index array"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=["a"]), ValueError, "1-index array"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1, 2],
                                  idf_weights=[1.0]), ValueError, "same length"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=[np.nan]), ValueError, "finite"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf").adapt(np.ones((2, 2, 2), int)),
     ValueError, "shape"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", invert=True), ValueError, "invert"),
    (lambda: layers.StringLookup(output_mode="tf_idf", vocabulary=["a"],
                                 idf_weights=[1.0]).set_vocabulary(["b"]), ValueError,
     "`idf_weights` must be set"),
])
def test_tf_idf_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
