"""fastnn._hashing: FarmHash Fingerprint64 and SipHash-2-4, bit-exact with TensorFlow.

tests/fixtures/hashing/reference.json holds what TensorFlow's to_hash_bucket_fast
(FarmHash) and to_hash_bucket_strong (SipHash-2-4) gave for byte strings of every length
0-300, UTF-8 text, non-UTF-8 bytes and integers (as decimal strings), modulo several
bucket counts; tests/fixtures/hashing/make_reference.py made it (TensorFlow 2.21).
These tests need no TensorFlow."""
import json
import os

import numpy as np
import pytest

from fastnn import _hashing

_REF = os.path.join(os.path.dirname(__file__), "fixtures", "hashing", "reference.json")


def _reference():
    with open(_REF, encoding="utf-8") as f:
        return json.load(f)


REF = _reference()
CASES = REF["cases"]


def _data(case):
    return bytes.fromhex(case["hex"])


def test_the_reference_covers_every_path_of_the_algorithms():
    lengths = {len(_data(c)) for c in CASES}
    assert set(range(301)) <= lengths            # 0-16, 17-32, 33-64, the 64-byte loop
    kinds = {c["kind"] for c in CASES}
    assert kinds == {"bytes", "text", "int"}
    assert any(any(ord(ch) > 127 for ch in c.get("text", "")) for c in CASES)
    assert any(c["kind"] == "bytes" and not _is_utf8(_data(c)) for c in CASES)
    assert len(CASES) >= 300


def _is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{len(c['hex']) // 2}")
def test_fingerprint64_matches_tensorflow(case):
    h = _hashing.fingerprint64(_data(case))
    assert 0 <= h < 2 ** 64
    assert [h % m for m in REF["moduli"]] == case["fast"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{len(c['hex']) // 2}")
def test_siphash64_matches_tensorflow(case):
    for key, expected in zip(REF["keys"], case["strong"]):
        h = _hashing.siphash64(key, _data(case))
        assert 0 <= h < 2 ** 64
        assert [h % m for m in REF["moduli"]] == expected, key


def test_the_full_64_bit_hash_is_recovered_from_the_reference():
    # hash mod 2**62 gives the low 62 bits and hash mod (2**63 - 1) the top two, so the
    # reference pins down every bit of the hash
    for case in CASES[:50]:
        low = case["fast"][1]
        full = [t * 2 ** 62 + low for t in range(4)
                if (t * 2 ** 62 + low) % (2 ** 63 - 1) == case["fast"][0]]
        assert full == [_hashing.fingerprint64(_data(case))]


def test_input_keys_are_the_bytes_tensorflow_hashes():
    ints = [c for c in CASES if c["kind"] == "int"]
    texts = [c for c in CASES if c["kind"] == "text"]
    # integers: their decimal strings (tf.strings.as_string)
    got = _hashing.bucketize(np.array([c["int"] for c in ints], np.int64), 2 ** 63 - 1)
    assert got.tolist() == [c["fast"][0] for c in ints]
    # str: UTF-8; bytes: as they are; the same in a unicode, bytes or object array
    want = [c["fast"][0] for c in texts]
    for arr in (np.array([c["text"] for c in texts]),
                np.array([c["text"] for c in texts], dtype=object),
                np.array([c["text"].encode() for c in texts], dtype=object)):
        assert _hashing.bucketize(arr, 2 ** 63 - 1).tolist() == want
    raw = [c for c in CASES if c["kind"] == "bytes" and not _is_utf8(_data(c))]
    arr = np.array([_data(c) for c in raw], dtype=object)
    assert _hashing.bucketize(arr, 2 ** 63 - 1).tolist() == [c["fast"][0] for c in raw]


def test_input_keys_of_floats_bools_and_unsigned_ints():
    # floats are cut to int64 (Keras casts them before tf.strings.as_string)
    assert _hashing.bucketize(np.array([3.0, -2.7, 7.9]), 1000003).tolist() == \
        _hashing.bucketize(np.array([3, -2, 7]), 1000003).tolist()
    assert _hashing.input_keys(np.array([True, False]), "t")[0] == [b"false", b"true"]
    big = np.array([2 ** 64 - 1], np.uint64)
    assert _hashing.input_keys(big, "t")[0] == [b"18446744073709551615"]
    # Python ints in an object array: their decimal digits too
    assert _hashing.input_keys(np.array([2 ** 64 - 1, "7", 7], dtype=object), "t")[0] == \
        [b"18446744073709551615", b"7"]
    # the same key in several places is hashed once and given to each
    keys, inverse = _hashing.input_keys(np.array([["a", "b"], ["b", "a"]]), "t")
    assert keys == [b"a", b"b"] and inverse.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("raw, error, match", [
    (np.array([1.0, np.nan]), ValueError, "finite"),
    (np.array([1e19]), ValueError, "int64 range"),
    (np.array(["a", None], dtype=object), TypeError, "element of type NoneType"),
    (np.array([2 ** 64], dtype=object), ValueError, "fit int64 or uint64"),
    (np.array([1 + 2j]), TypeError, "dtype complex128"),
])
def test_input_keys_refuse_what_has_no_key(raw, error, match):
    with pytest.raises(error, match=match):
        _hashing.bucketize(raw, 3, owner="hashing")


def test_siphash_keys_wrap_to_64_bits():
    assert _hashing.siphash64((-1, 5), b"x") == _hashing.siphash64((2 ** 64 - 1, 5), b"x")
    assert _hashing.siphash64((1, 2), b"x") != _hashing.siphash64((2, 1), b"x")


# ====================================================================== the layers
from fastnn import layers  # noqa: E402


def _layer_input(data):
    a = np.array(data)
    return a.astype(np.int64) if a.dtype.kind in "iu" else a


@pytest.mark.parametrize("case", REF["layers"],
                         ids=lambda c: f"{c['layer']}-{'-'.join(map(str, c['config']))}")
def test_layers_match_keras(case):
    # what Keras 3's own layers gave (TensorFlow backend), recorded by make_reference.py
    layer = getattr(layers, case["layer"])(**case["config"])
    out = layer(_layer_input(case["input"]))
    assert np.asarray(out).tolist() == case["output"]


def test_hashing_str_bytes_and_object_inputs_agree():
    words = ["omar", "café", "日本語", ""]
    layer = layers.Hashing(num_bins=1000, mask_value="café")
    want = np.asarray(layer(np.array(words))).tolist()
    for x in (words, np.array(words, dtype=object), [w.encode() for w in words],
              np.array([w.encode() for w in words], dtype=object)):
        assert np.asarray(layer(x)).tolist() == want
    assert want[1] == 0
    # bytes that are not UTF-8 are hashed as they are (as TensorFlow does)
    raw = [c for c in CASES if c["kind"] == "bytes" and not _is_utf8(_data(c))][0]
    out = layers.Hashing(num_bins=1000003)(np.array([_data(raw)], dtype=object))
    assert np.asarray(out).tolist() == [raw["fast"][3]]


def test_hashing_numeric_mask_values():
    # compared before floats are cut to int64, as Keras compares them
    out = layers.Hashing(num_bins=5, mask_value=3.0)(np.array([3.0, 3.5, 4.0]))
    assert np.asarray(out).tolist() == [0, 2, 4]             # Keras 3.15.1's bins
    big = np.array([2 ** 64 - 1, 7], np.uint64)
    out = layers.Hashing(num_bins=5, mask_value=2 ** 64 - 1)(big)
    assert np.asarray(out)[0] == 0 and np.asarray(out)[1] != 0


def test_hashing_output_dtypes_and_shapes():
    x = np.array([["a", "b"], ["c", "a"]])
    assert layers.Hashing(num_bins=3)(x).dtype == np.int64
    assert layers.Hashing(num_bins=3, dtype="int32")(x).dtype == np.int32
    assert layers.Hashing(num_bins=3, output_mode="one_hot")(x).shape == (2, 2, 3)
    assert layers.Hashing(num_bins=3, output_mode="count", dtype="float64")(x).dtype == np.float64
    # a mask with one bin: Keras keeps everything in bin 0
    assert np.asarray(layers.Hashing(num_bins=1, mask_value="a")(x)).tolist() == [[0, 0], [0, 0]]


def test_hashing_config_round_trips_through_json():
    import json
    for kwargs in (dict(num_bins=5, salt=[1, 2], mask_value="x", output_mode="count"),
                   dict(num_bins=5, salt=7, mask_value=3, dtype="int32"),
                   dict(num_bins=2 ** 40)):
        layer = layers.Hashing(**kwargs)
        config = json.loads(json.dumps(layer.get_config()))
        again = layers.Hashing.from_config(config)
        assert again.get_config() == layer.get_config()
        x = np.array(["x", "3", "5"]) if isinstance(layer.mask_value, str) \
            else np.array([0, 3, 5, 7])
        assert np.array_equal(np.asarray(again(x)), np.asarray(layer(x)))


@pytest.mark.parametrize("fmt", ["m.keras", "m.fastnn"])
def test_hashing_model_saves_and_loads(fmt, tmp_path):
    import fastnn
    model = fastnn.Sequential([layers.Input((3,), dtype="int64"),
                               layers.Hashing(num_bins=7, mask_value=4, salt=[1, 2])])
    x = np.array([[1, 2, 3], [4, 5, 6]])
    want = model.predict(x, verbose=0)
    model.save(tmp_path / fmt)
    again = fastnn.saving.load_model(tmp_path / fmt)
    assert np.array_equal(again.predict(x, verbose=0), want)
    assert want[1, 0] == 0                     # the mask value's bin


def test_a_keras_written_model_with_hashing_loads_and_predicts_the_same():
    import fastnn
    ref = REF["keras_file"]
    path = os.path.join(os.path.dirname(_REF), ref["file"])
    model = fastnn.saving.load_model(path)
    outs = model.predict(np.array(ref["input"], np.int64), verbose=0)
    assert [np.asarray(o).tolist() for o in outs] == ref["outputs"]
    salted = model.get_layer("salted")
    assert (salted.num_bins, salted.mask_value, salted.salt) == (9, 2, [5, 11])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_bins="3"), TypeError, "num_bins"),
    (dict(num_bins=2.5), TypeError, "num_bins"),
    (dict(num_bins=2 ** 63), ValueError, "num_bins"),
    (dict(num_bins=2 ** 31, output_mode="one_hot"), ValueError, "num_bins"),
    (dict(num_bins=3, salt=True), ValueError, "salt"),
    (dict(num_bins=3, salt=[1, "2"]), TypeError, "salt"),
    (dict(num_bins=3, salt=[1, -(2 ** 63) - 1]), ValueError, "salt"),
    (dict(num_bins=3, mask_value=[1]), TypeError, "mask_value"),
    (dict(num_bins=3, mask_value=b"x"), TypeError, "mask_value"),
    (dict(num_bins=3, mask_value=True), TypeError, "mask_value"),
    (dict(num_bins=3, mask_value=10 ** 40), ValueError, "mask_value"),
    (dict(num_bins=3, mask_value=float("nan")), ValueError, "mask_value"),
    (dict(num_bins=3, dtype="int8"), ValueError, "dtype"),
    (dict(num_bins=3, output_mode="one_hot", dtype="int32"), ValueError, "dtype"),
    (dict(num_bins=3, output_mode="multi_hot", sparse=True), ValueError, "sparse"),
    (dict(num_bins=3, sparse=1), TypeError, "sparse"),
    (dict(num_bins=3, output_mode=None), ValueError, "output_mode"),
])
def test_hashing_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.Hashing(**kwargs)


@pytest.mark.parametrize("kwargs, x, error, match", [
    (dict(mask_value="a"), np.array([1, 2]), TypeError, "mask_value"),
    (dict(mask_value=1), np.array(["a"]), TypeError, "mask_value"),
    ({}, np.array(["a", None], dtype=object), TypeError, "inputs must be strings"),
    ({}, np.array([np.inf]), ValueError, "finite"),
])
def test_hashing_bad_inputs(kwargs, x, error, match):
    with pytest.raises(error, match=match):
        layers.Hashing(num_bins=3, name="buckets", **kwargs)(x)


def test_lookups_hash_oov_tokens_as_keras():
    # the OOV offset of a string is its FarmHash modulo num_oov_indices; of an int, with
    # oov_method="farmhash", that of its decimal digits
    words = ["omar", "stringer", "café"]
    lookup = layers.StringLookup(vocabulary=["a"], num_oov_indices=6, mask_token="[M]")
    hashed = layers.Hashing(num_bins=6)(words)
    assert np.asarray(lookup(words)).tolist() == (np.asarray(hashed) + 1).tolist()
    lookup = layers.IntegerLookup(vocabulary=[5], num_oov_indices=6, oov_method="farmhash",
                                  salt=3)
    assert np.asarray(lookup([7, 5, -9])).tolist() == \
        [int(layers.Hashing(num_bins=6, salt=3)([7])[0]), 6,
         int(layers.Hashing(num_bins=6, salt=3)([-9])[0])]
    # floormod stays the default for ints
    assert np.asarray(layers.IntegerLookup(vocabulary=[5], num_oov_indices=6)([7, -9])) \
        .tolist() == [1, 3]


@pytest.mark.parametrize("cls, kwargs, error, match", [
    ("IntegerLookup", dict(salt=3), ValueError, "salt.*farmhash"),
    ("IntegerLookup", dict(oov_method="farmhash", salt=[1, 2, 3]), ValueError, "salt"),
    ("IntegerLookup", dict(oov_method="sha"), ValueError, "oov_method"),
    ("StringLookup", dict(oov_method=None), ValueError, "oov_method"),
    ("StringLookup", dict(salt=1.5), ValueError, "salt"),
])
def test_lookup_bad_hash_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(layers, cls)(**kwargs)


def test_lookup_configs_keep_the_salt():
    for layer in (layers.StringLookup(vocabulary=["a"], num_oov_indices=3, salt=5),
                  layers.IntegerLookup(vocabulary=[1], num_oov_indices=3,
                                       oov_method="farmhash", salt=(5, 6))):
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config and config["salt"] in ([5, 5], [5, 6])
