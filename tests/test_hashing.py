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
    # the same key in several places is hashed once and given to each
    keys, inverse = _hashing.input_keys(np.array([["a", "b"], ["b", "a"]]), "t")
    assert keys == [b"a", b"b"] and inverse.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("raw, error, match", [
    (np.array([1.0, np.nan]), ValueError, "finite"),
    (np.array([1e19]), ValueError, "int64 range"),
    (np.array(["a", 3], dtype=object), TypeError, "element of type int"),
    (np.array([1 + 2j]), TypeError, "dtype complex128"),
])
def test_input_keys_refuse_what_has_no_key(raw, error, match):
    with pytest.raises(error, match=match):
        _hashing.bucketize(raw, 3, owner="hashing")


def test_siphash_keys_wrap_to_64_bits():
    assert _hashing.siphash64((-1, 5), b"x") == _hashing.siphash64((2 ** 64 - 1, 5), b"x")
    assert _hashing.siphash64((1, 2), b"x") != _hashing.siphash64((2, 1), b"x")
