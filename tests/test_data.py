"""fastnn.data.Dataset against TensorFlow's documented behaviour.

Most tests replay an example of the `tf.data.Dataset` API docs (docstrings of
tensorflow/python/data/ops/dataset_ops.py) or of the tf.data guide
(tensorflow.org/guide/data, /guide/data#time_series_windowing) and compare with the output
printed there; arrays are compared by their printed form where the docs print them.
(NumPy >= 2 prints scalars as `np.int64(1)` where the docs show `1`; those compare by
value.) The rest pin TensorFlow's cardinality rules, errors and the shuffle's properties.
"""
import collections
import itertools
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data as tf_data
from fastnn import utils
from fastnn.data import Dataset, TensorSpec
from fastnn.tensor import Tensor


def as_list(ds):
    return list(ds.as_numpy_iterator())


# ------------------------------------------------------------------ Dataset (class docs)
def test_class_doc_source_and_map():
    dataset = Dataset.from_tensor_slices([1, 2, 3])
    elements = list(dataset)
    assert [e.numpy() for e in elements] == [1, 2, 3]
    assert all(isinstance(e, Tensor) and e.shape == () and e.dtype == np.int32
               for e in elements)
    assert as_list(dataset.map(lambda x: x * 2)) == [2, 4, 6]


def test_as_numpy_iterator_doc():
    dataset = Dataset.from_tensor_slices([1, 2, 3])
    assert [str(e) for e in dataset.as_numpy_iterator()] == ["1", "2", "3"]
    assert as_list(dataset) == [1, 2, 3]
    dataset = Dataset.from_tensor_slices({'a': ([1, 2], [3, 4]), 'b': [5, 6]})
    assert as_list(dataset) == [{'a': (1, 3), 'b': 5}, {'a': (2, 4), 'b': 6}]
    first = as_list(dataset)[0]
    assert isinstance(first, dict) and isinstance(first["a"], tuple)
    assert isinstance(first["b"], np.generic)     # a 0-d component is a NumPy scalar


def test_element_spec_doc():
    dataset = Dataset.from_tensor_slices([1, 2, 3])
    assert repr(dataset.element_spec) == "TensorSpec(shape=(), dtype=tf.int32, name=None)"
    assert repr(tf_data.experimental.get_structure(dataset)) == \
        "TensorSpec(shape=(), dtype=tf.int32, name=None)"
    assert repr(tf_data.experimental.get_structure(iter(dataset))) == \
        "TensorSpec(shape=(), dtype=tf.int32, name=None)"


def test_from_tensors_doc():
    dataset = Dataset.from_tensors([1, 2, 3])
    out = as_list(dataset)
    assert len(out) == 1 and repr(out[0]) == "array([1, 2, 3], dtype=int32)"
    dataset = Dataset.from_tensors(([1, 2, 3], 'A'))
    out = as_list(dataset)
    assert len(out) == 1
    assert repr(out[0][0]) == "array([1, 2, 3], dtype=int32)" and out[0][1] == b'A'
    example = np.array([1, 2, 3], dtype=np.int32)
    dataset = Dataset.from_tensors(example).repeat(2)
    assert [repr(a) for a in as_list(dataset)] == ["array([1, 2, 3], dtype=int32)"] * 2


def test_from_tensor_slices_doc():
    assert as_list(Dataset.from_tensor_slices([1, 2, 3])) == [1, 2, 3]
    out = as_list(Dataset.from_tensor_slices([[1, 2], [3, 4]]))
    assert [repr(a) for a in out] == ["array([1, 2], dtype=int32)",
                                      "array([3, 4], dtype=int32)"]
    assert as_list(Dataset.from_tensor_slices(([1, 2], [3, 4], [5, 6]))) == \
        [(1, 3, 5), (2, 4, 6)]
    assert as_list(Dataset.from_tensor_slices({"a": [1, 2], "b": [3, 4]})) == \
        [{'a': 1, 'b': 3}, {'a': 2, 'b': 4}]
    features = np.array([[1, 3], [2, 1], [3, 3]], dtype=np.int32)
    labels = np.array(['A', 'B', 'A'])
    dataset = Dataset.from_tensor_slices((features, labels))
    assert as_list(dataset)[1][1] == b'B'
    features_dataset = Dataset.from_tensor_slices(features)
    labels_dataset = Dataset.from_tensor_slices(labels)
    dataset = Dataset.zip((features_dataset, labels_dataset))
    assert [(a.tolist(), b) for a, b in as_list(dataset)] == \
        [([1, 3], b'A'), ([2, 1], b'B'), ([3, 3], b'A')]
    batched_features = np.array([[[1, 3], [2, 3]], [[2, 1], [1, 2]], [[3, 3], [3, 2]]],
                                dtype=np.int32)
    batched_labels = np.array([['A', 'A'], ['B', 'B'], ['A', 'B']]).reshape(3, 2, 1)
    dataset = Dataset.from_tensor_slices((batched_features, batched_labels))
    printed = [repr(e) for e in dataset.as_numpy_iterator()]
    assert printed == [
        "(array([[1, 3],\n       [2, 3]], dtype=int32), array([[b'A'],\n       [b'A']], "
        "dtype=object))",
        "(array([[2, 1],\n       [1, 2]], dtype=int32), array([[b'B'],\n       [b'B']], "
        "dtype=object))",
        "(array([[3, 3],\n       [3, 2]], dtype=int32), array([[b'A'],\n       [b'B']], "
        "dtype=object))"]


def test_from_generator_doc():
    def gen():
        for i in itertools.count(1):
            yield (i, [1] * i)

    dataset = Dataset.from_generator(gen, (np.int64, np.int64), ((), (None,)))
    out = as_list(dataset.take(3))
    assert [(a, b.tolist()) for a, b in out] == [(1, [1]), (2, [1, 1]), (3, [1, 1, 1])]
    assert [repr(b) for _, b in out] == ["array([1])", "array([1, 1])", "array([1, 1, 1])"]
    # the same with output_signature
    dataset = Dataset.from_generator(
        gen, output_signature=(TensorSpec(shape=(), dtype=np.int64),
                               TensorSpec(shape=(None,), dtype=np.int64)))
    assert [(a, b.tolist()) for a, b in as_list(dataset.take(3))] == \
        [(1, [1]), (2, [1, 1]), (3, [1, 1, 1])]
    assert repr(dataset.element_spec) == (
        "(TensorSpec(shape=(), dtype=tf.int64, name=None), "
        "TensorSpec(shape=(None,), dtype=tf.int64, name=None))")
    assert int(dataset.cardinality()) == tf_data.UNKNOWN_CARDINALITY


def test_range_doc():
    assert as_list(Dataset.range(5)) == [0, 1, 2, 3, 4]
    assert as_list(Dataset.range(2, 5)) == [2, 3, 4]
    assert as_list(Dataset.range(1, 5, 2)) == [1, 3]
    assert as_list(Dataset.range(1, 5, -2)) == []
    assert as_list(Dataset.range(5, 1)) == []
    assert as_list(Dataset.range(5, 1, -2)) == [5, 3]
    out = as_list(Dataset.range(2, 5, output_type=np.int32))
    assert out == [2, 3, 4] and all(v.dtype == np.int32 for v in out)
    out = as_list(Dataset.range(1, 5, 2, output_type=np.float32))
    assert out == [1.0, 3.0] and all(v.dtype == np.float32 for v in out)
    assert Dataset.range(5).element_spec == TensorSpec((), np.int64)


def test_zip_doc():
    a = Dataset.range(1, 4)
    b = Dataset.range(4, 7)
    assert as_list(Dataset.zip((a, b))) == [(1, 4), (2, 5), (3, 6)]
    assert as_list(Dataset.zip((b, a))) == [(4, 1), (5, 2), (6, 3)]
    assert as_list(Dataset.zip(a, b)) == [(1, 4), (2, 5), (3, 6)]   # TF >= 2.13 form
    c = Dataset.range(7, 13).batch(2)
    printed = [f"({x}, {y}, {z!r})" for x, y, z in Dataset.zip((a, b, c)).as_numpy_iterator()]
    assert printed == ["(1, 4, array([7, 8]))", "(2, 5, array([ 9, 10]))",
                       "(3, 6, array([11, 12]))"]
    d = Dataset.range(13, 15)
    assert as_list(Dataset.zip((a, d))) == [(1, 13), (2, 14)]
    assert as_list(Dataset.zip({"x": a, "y": (b, d)})) == \
        [{"x": 1, "y": (4, 13)}, {"x": 2, "y": (5, 14)}]


def test_concatenate_doc():
    a = Dataset.range(1, 4)
    b = Dataset.range(4, 8)
    assert as_list(a.concatenate(b)) == [1, 2, 3, 4, 5, 6, 7]
    c = Dataset.zip((a, b))
    with pytest.raises(TypeError) as e:
        a.concatenate(c)
    assert str(e.value) == ("Two datasets to concatenate have different types "
                            "<dtype: 'int64'> and (tf.int64, tf.int64)")
    d = Dataset.from_tensor_slices(["a", "b", "c"])
    with pytest.raises(TypeError) as e:
        a.concatenate(d)
    assert str(e.value) == ("Two datasets to concatenate have different types "
                            "<dtype: 'int64'> and <dtype: 'string'>")


def test_prefetch_repeat_enumerate_doc():
    assert as_list(Dataset.range(3).prefetch(2)) == [0, 1, 2]
    assert as_list(Dataset.range(3).prefetch(tf_data.AUTOTUNE)) == [0, 1, 2]
    assert as_list(Dataset.from_tensor_slices([1, 2, 3]).repeat(3)) == \
        [1, 2, 3, 1, 2, 3, 1, 2, 3]
    assert as_list(Dataset.from_tensor_slices([1, 2, 3]).enumerate(start=5)) == \
        [(5, 1), (6, 2), (7, 3)]
    out = as_list(Dataset.from_tensor_slices([(7, 8), (9, 10)]).enumerate())
    assert [i for i, _ in out] == [0, 1]
    assert [repr(a) for _, a in out] == ["array([7, 8], dtype=int32)",
                                         "array([ 9, 10], dtype=int32)"]


def test_cache_doc():
    calls = []

    def square(x):
        calls.append(int(x))
        return x ** 2

    dataset = Dataset.range(5).map(square).cache()
    assert as_list(dataset) == [0, 1, 4, 9, 16]
    assert as_list(dataset) == [0, 1, 4, 9, 16]
    assert calls == [0, 1, 2, 3, 4]          # the second pass read the cache
    # an iteration stopped early keeps nothing (TensorFlow discards a partial cache)
    calls.clear()
    ds2 = Dataset.range(5).map(square).cache()
    next(iter(ds2))
    assert as_list(ds2) == [0, 1, 4, 9, 16]
    assert as_list(ds2) == [0, 1, 4, 9, 16]
    assert calls == [0, 0, 1, 2, 3, 4]


def test_take_skip_shard_doc():
    assert as_list(Dataset.range(10).take(3)) == [0, 1, 2]
    assert as_list(Dataset.range(10).skip(7)) == [7, 8, 9]
    A = Dataset.range(10)
    assert as_list(A.shard(num_shards=3, index=0)) == [0, 3, 6, 9]
    assert as_list(A.shard(num_shards=3, index=1)) == [1, 4, 7]
    assert as_list(A.shard(num_shards=3, index=2)) == [2, 5, 8]
    assert as_list(A.take(-1)) == list(range(10))
    assert as_list(A.skip(-1)) == []
    assert as_list(A.skip(20)) == []


def test_batch_doc():
    out = as_list(Dataset.range(8).batch(3))
    assert [repr(a) for a in out] == ["array([0, 1, 2])", "array([3, 4, 5])",
                                      "array([6, 7])"]
    out = as_list(Dataset.range(8).batch(3, drop_remainder=True))
    assert [repr(a) for a in out] == ["array([0, 1, 2])", "array([3, 4, 5])"]


def test_padded_batch_doc():
    A = Dataset.range(1, 5, output_type=np.int32).map(lambda x: np.full([x], x))
    assert [str(e) for e in A.padded_batch(2).as_numpy_iterator()] == \
        ["[[1 0]\n [2 2]]", "[[3 3 3 0]\n [4 4 4 4]]"]
    assert [str(e) for e in A.padded_batch(2, padded_shapes=5).as_numpy_iterator()] == \
        ["[[1 0 0 0 0]\n [2 2 0 0 0]]", "[[3 3 3 0 0]\n [4 4 4 4 0]]"]
    D = A.padded_batch(2, padded_shapes=5, padding_values=-1)
    assert [str(e) for e in D.as_numpy_iterator()] == \
        ["[[ 1 -1 -1 -1 -1]\n [ 2  2 -1 -1 -1]]", "[[ 3  3  3 -1 -1]\n [ 4  4  4  4 -1]]"]
    elements = [([1, 2, 3], [10]), ([4, 5], [11, 12])]
    dataset = Dataset.from_generator(lambda: iter(elements), (np.int32, np.int32))
    dataset = dataset.padded_batch(2, padded_shapes=([4], [None]), padding_values=(-1, 100))
    out = as_list(dataset)
    assert len(out) == 1
    assert repr(out[0][0]) == "array([[ 1,  2,  3, -1],\n       [ 4,  5, -1, -1]], dtype=int32)"
    assert repr(out[0][1]) == "array([[ 10, 100],\n       [ 11,  12]], dtype=int32)"
    E = Dataset.zip((A, A)).padded_batch(2, padding_values=-1)
    printed = [repr(e) for e in E.as_numpy_iterator()]
    assert printed == [
        "(array([[ 1, -1],\n       [ 2,  2]], dtype=int32), array([[ 1, -1],\n"
        "       [ 2,  2]], dtype=int32))",
        "(array([[ 3,  3,  3, -1],\n       [ 4,  4,  4,  4]], dtype=int32), "
        "array([[ 3,  3,  3, -1],\n       [ 4,  4,  4,  4]], dtype=int32))"]


def test_map_doc():
    dataset = Dataset.range(1, 6)
    assert as_list(dataset.map(lambda x: x + 1)) == [2, 3, 4, 5, 6]
    elements = [(1, "foo"), (2, "bar"), (3, "baz")]
    dataset = Dataset.from_generator(lambda: elements, (np.int32, "string"))
    assert as_list(dataset.map(lambda x_int, y_str: x_int)) == [1, 2, 3]
    elements = ([{"a": 1, "b": "foo"}, {"a": 2, "b": "bar"}, {"a": 3, "b": "baz"}])
    dataset = Dataset.from_generator(lambda: elements, {"a": np.int32, "b": "string"})
    result = dataset.map(lambda d: str(d["a"]) + d["b"].numpy().decode())
    assert as_list(result) == [b"1foo", b"2bar", b"3baz"]
    dataset = Dataset.range(3)

    def g(x):
        return np.float32(37.0), np.array(["Foo", "Bar", "Baz"])
    assert repr(dataset.map(g).element_spec) == (
        "(TensorSpec(shape=(), dtype=tf.float32, name=None), "
        "TensorSpec(shape=(3,), dtype=tf.string, name=None))")

    def h(x):
        return 37.0, ["Foo", "Bar"], np.array([1.0, 2.0], dtype=np.float64)
    assert repr(dataset.map(h).element_spec) == (
        "(TensorSpec(shape=(), dtype=tf.float32, name=None), "
        "TensorSpec(shape=(2,), dtype=tf.string, name=None), "
        "TensorSpec(shape=(2,), dtype=tf.float64, name=None))")

    def i(x):
        return (37.0, [42, 16]), "foo"
    assert repr(dataset.map(i).element_spec) == (
        "((TensorSpec(shape=(), dtype=tf.float32, name=None), "
        "TensorSpec(shape=(2,), dtype=tf.int32, name=None)), "
        "TensorSpec(shape=(), dtype=tf.string, name=None))")
    # py_function's example: the element's .numpy() inside the function
    d = Dataset.from_tensor_slices(['hello', 'world'])
    d = d.map(lambda t: t.numpy().decode('utf-8').upper())
    assert as_list(d) == [b'HELLO', b'WORLD']
    # num_parallel_calls and deterministic are accepted
    out = Dataset.range(1, 6).map(lambda x: x + 1, num_parallel_calls=tf_data.AUTOTUNE,
                                  deterministic=False)
    assert as_list(out) == [2, 3, 4, 5, 6]


def test_map_list_result_is_a_tuple():
    # tf.data reads a list returned by map_func as a tuple of components
    out = as_list(Dataset.range(2).map(lambda x: [x, x * 10]))
    assert out == [(0, 0), (1, 10)] and isinstance(out[0], tuple)


def test_flat_map_interleave_doc():
    dataset = Dataset.from_tensor_slices([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert as_list(dataset.flat_map(lambda x: Dataset.from_tensor_slices(x))) == \
        [1, 2, 3, 4, 5, 6, 7, 8, 9]
    dataset = Dataset.range(1, 6)
    dataset = dataset.interleave(lambda x: Dataset.from_tensors(x).repeat(6),
                                 cycle_length=2, block_length=4)
    assert as_list(dataset) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                3, 3, 4, 4, 5, 5, 5, 5, 5, 5]
    # cycle_length=1 is flat_map
    assert as_list(Dataset.range(1, 4).interleave(lambda x: Dataset.range(x),
                                                  cycle_length=1)) == [0, 0, 1, 0, 1, 2]


def test_filter_apply_doc():
    dataset = Dataset.from_tensor_slices([1, 2, 3])
    dataset = dataset.filter(lambda x: x < 3)
    assert as_list(dataset) == [1, 2]
    assert as_list(dataset.filter(lambda x: np.equal(x, 1))) == [1]
    dataset = Dataset.range(100).apply(lambda ds: ds.filter(lambda x: x < 5))
    assert as_list(dataset) == [0, 1, 2, 3, 4]


def test_window_doc():
    dataset = Dataset.range(7).window(2)
    assert [as_list(w) for w in dataset] == [[0, 1], [2, 3], [4, 5], [6]]
    dataset = Dataset.range(7).window(3, 2, 1, True)
    assert [as_list(w) for w in dataset] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    dataset = Dataset.range(7).window(3, 1, 2, True)
    assert [as_list(w) for w in dataset] == [[0, 2, 4], [1, 3, 5], [2, 4, 6]]
    nested = ([1, 2, 3, 4], [5, 6, 7, 8])
    dataset = Dataset.from_tensor_slices(nested).window(2)
    assert [tuple(as_list(c) for c in w) for w in dataset] == \
        [([1, 2], [5, 6]), ([3, 4], [7, 8])]
    dataset = Dataset.from_tensor_slices({'a': [1, 2, 3, 4]}).window(2)
    assert [{'a': as_list(w['a'])} for w in dataset] == [{'a': [1, 2]}, {'a': [3, 4]}]


def test_reduce_unbatch_doc():
    assert Dataset.range(5).reduce(np.int64(0), lambda x, _: x + 1).numpy() == 5
    assert Dataset.range(5).reduce(np.int64(0), lambda x, y: x + y).numpy() == 10
    elements = [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
    dataset = Dataset.from_generator(lambda: elements, np.int64).unbatch()
    assert as_list(dataset) == [1, 2, 3, 1, 2, 1, 2, 3, 4]


def test_cardinality_doc():
    dataset = Dataset.range(42)
    assert str(dataset.cardinality().numpy()) == "42"
    dataset = dataset.repeat()
    cardinality = dataset.cardinality()
    assert str((cardinality == tf_data.INFINITE_CARDINALITY).numpy()) == "True"
    dataset = dataset.filter(lambda x: True)
    cardinality = dataset.cardinality()
    assert str((cardinality == tf_data.UNKNOWN_CARDINALITY).numpy()) == "True"
    # tf.data.experimental.cardinality and its constants
    ds = Dataset.range(42)
    assert tf_data.experimental.cardinality(ds).numpy() == 42
    assert (tf_data.experimental.cardinality(ds.repeat())
            == tf_data.experimental.INFINITE_CARDINALITY).numpy()
    assert tf_data.experimental.UNKNOWN_CARDINALITY == -2
    assert tf_data.INFINITE == -1 and tf_data.UNKNOWN == -2


def test_counter_take_while_doc():
    dataset = Dataset.counter().take(5)
    assert as_list(dataset) == [0, 1, 2, 3, 4]
    assert repr(dataset.element_spec) == "TensorSpec(shape=(), dtype=tf.int64, name=None)"
    assert repr(Dataset.counter(dtype=np.int32).element_spec) == \
        "TensorSpec(shape=(), dtype=tf.int32, name=None)"
    assert as_list(Dataset.counter(start=2).take(5)) == [2, 3, 4, 5, 6]
    assert as_list(Dataset.counter(start=2, step=5).take(5)) == [2, 7, 12, 17, 22]
    assert as_list(Dataset.counter(start=10, step=-1).take(5)) == [10, 9, 8, 7, 6]
    assert as_list(Dataset.range(10).take_while(lambda x: x < 5)) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ the tf.data guide
def test_guide_basic_mechanics():
    dataset = Dataset.from_tensor_slices([8, 3, 0, 8, 2, 1])
    assert [elem.numpy() for elem in dataset] == [8, 3, 0, 8, 2, 1]
    it = iter(dataset)
    assert next(it).numpy() == 8
    assert dataset.reduce(0, lambda state, value: state + value).numpy() == 22


def test_guide_dataset_structure():
    dataset1 = Dataset.from_tensor_slices(np.random.uniform(size=[4, 10]).astype(np.float32))
    assert repr(dataset1.element_spec) == \
        "TensorSpec(shape=(10,), dtype=tf.float32, name=None)"
    dataset2 = Dataset.from_tensor_slices(
        (np.random.uniform(size=[4]).astype(np.float32),
         np.random.randint(0, 100, size=[4, 100]).astype(np.int32)))
    assert repr(dataset2.element_spec) == (
        "(TensorSpec(shape=(), dtype=tf.float32, name=None), "
        "TensorSpec(shape=(100,), dtype=tf.int32, name=None))")
    dataset3 = Dataset.zip((dataset1, dataset2))
    assert repr(dataset3.element_spec) == (
        "(TensorSpec(shape=(10,), dtype=tf.float32, name=None), "
        "(TensorSpec(shape=(), dtype=tf.float32, name=None), "
        "TensorSpec(shape=(100,), dtype=tf.int32, name=None)))")
    # a for loop over a zipped dataset unpacks its structure
    for a, (b, c) in dataset3:
        assert a.shape == (10,) and b.shape == () and c.shape == (100,)


def test_guide_consuming_numpy_arrays():
    images = np.random.randint(0, 256, size=(60, 28, 28)).astype(np.uint8) / 255
    labels = np.random.randint(0, 10, size=60).astype(np.uint8)
    dataset = Dataset.from_tensor_slices((images, labels))
    assert repr(dataset) == (
        "<_TensorSliceDataset element_spec=(TensorSpec(shape=(28, 28), dtype=tf.float64, "
        "name=None), TensorSpec(shape=(), dtype=tf.uint8, name=None))>")


def test_guide_consuming_python_generators():
    def count(stop):
        i = 0
        while i < stop:
            yield i
            i += 1

    ds_counter = Dataset.from_generator(count, args=[25], output_types=np.int32,
                                        output_shapes=())
    printed = [str(b) for b in ds_counter.repeat().batch(10).take(10).as_numpy_iterator()]
    assert printed == ["[0 1 2 3 4 5 6 7 8 9]", "[10 11 12 13 14 15 16 17 18 19]",
                       "[20 21 22 23 24  0  1  2  3  4]", "[ 5  6  7  8  9 10 11 12 13 14]",
                       "[15 16 17 18 19 20 21 22 23 24]"] * 2

    def gen_series():
        i = 0
        while True:
            size = np.random.randint(0, 10)
            yield i, np.random.normal(size=(size,))
            i += 1

    ds_series = Dataset.from_generator(gen_series, output_types=(np.int32, np.float32),
                                       output_shapes=((), (None,)))
    assert repr(ds_series.element_spec) == (
        "(TensorSpec(shape=(), dtype=tf.int32, name=None), "
        "TensorSpec(shape=(None,), dtype=tf.float32, name=None))")
    ids, sequence_batch = next(iter(ds_series.shuffle(20).padded_batch(10)))
    assert ids.shape == (10,) and ids.dtype == np.int32
    assert sequence_batch.shape[0] == 10 and sequence_batch.dtype == np.float32
    assert len(set(ids.numpy().tolist())) == 10 and ids.numpy().max() < 30


def test_guide_simple_batching():
    inc_dataset = Dataset.range(100)
    dec_dataset = Dataset.range(0, -100, -1)
    dataset = Dataset.zip((inc_dataset, dec_dataset))
    batched_dataset = dataset.batch(4)
    printed = [repr([arr.numpy() for arr in batch]) for batch in batched_dataset.take(4)]
    assert printed == ["[array([0, 1, 2, 3]), array([ 0, -1, -2, -3])]",
                       "[array([4, 5, 6, 7]), array([-4, -5, -6, -7])]",
                       "[array([ 8,  9, 10, 11]), array([ -8,  -9, -10, -11])]",
                       "[array([12, 13, 14, 15]), array([-12, -13, -14, -15])]"]
    assert repr(batched_dataset.element_spec) == (
        "(TensorSpec(shape=(None,), dtype=tf.int64, name=None), "
        "TensorSpec(shape=(None,), dtype=tf.int64, name=None))")
    batched_dataset = dataset.batch(7, drop_remainder=True)
    assert repr(batched_dataset.element_spec) == (
        "(TensorSpec(shape=(7,), dtype=tf.int64, name=None), "
        "TensorSpec(shape=(7,), dtype=tf.int64, name=None))")


def test_guide_padded_batch():
    dataset = Dataset.range(100)
    dataset = dataset.map(lambda x: np.full([int(x)], x))
    dataset = dataset.padded_batch(4, padded_shapes=(None,))
    printed = [str(batch.numpy()) for batch in dataset.take(2)]
    assert printed == ["[[0 0 0]\n [1 0 0]\n [2 2 0]\n [3 3 3]]",
                       "[[4 4 4 4 0 0 0]\n [5 5 5 5 5 0 0]\n [6 6 6 6 6 6 0]\n"
                       " [7 7 7 7 7 7 7]]"]


def test_guide_shuffle_counter():
    # zip a counter with the data, shuffle with a buffer of 100, batch 20: the first
    # batch can only hold the first 120 elements
    lines = Dataset.range(1000).map(lambda x: x * 7)
    dataset = Dataset.zip((Dataset.counter(), lines)).shuffle(buffer_size=100).batch(20)
    n, line_batch = next(iter(dataset))
    assert n.shape == (20,) and int(n.numpy().max()) < 120
    assert (line_batch.numpy() == n.numpy() * 7).all()
    # shuffle before repeat: epoch boundaries are kept
    shuffled = Dataset.zip((Dataset.counter(), Dataset.range(10))).shuffle(
        buffer_size=100).batch(10).repeat(2)
    batches = [b[0].numpy() for b in shuffled]
    assert len(batches) == 2 and all(sorted(b.tolist()) == list(range(10)) for b in batches)


def test_guide_time_series_windowing():
    range_ds = Dataset.range(100000)
    batches = range_ds.batch(10, drop_remainder=True)
    assert [str(b) for b in batches.take(5).as_numpy_iterator()] == [
        "[0 1 2 3 4 5 6 7 8 9]", "[10 11 12 13 14 15 16 17 18 19]",
        "[20 21 22 23 24 25 26 27 28 29]", "[30 31 32 33 34 35 36 37 38 39]",
        "[40 41 42 43 44 45 46 47 48 49]"]

    def dense_1_step(batch):
        return batch[:-1], batch[1:]

    out = [f"{f.numpy()}  =>  {l.numpy()}" for f, l in batches.map(dense_1_step).take(3)]
    assert out == ["[0 1 2 3 4 5 6 7 8]  =>  [1 2 3 4 5 6 7 8 9]",
                   "[10 11 12 13 14 15 16 17 18]  =>  [11 12 13 14 15 16 17 18 19]",
                   "[20 21 22 23 24 25 26 27 28]  =>  [21 22 23 24 25 26 27 28 29]"]

    batches = range_ds.batch(15, drop_remainder=True)

    def label_next_5_steps(batch):
        return batch[:-5], batch[-5:]

    out = [f"{f.numpy()}  =>  {l.numpy()}" for f, l in batches.map(label_next_5_steps).take(3)]
    assert out == ["[0 1 2 3 4 5 6 7 8 9]  =>  [10 11 12 13 14]",
                   "[15 16 17 18 19 20 21 22 23 24]  =>  [25 26 27 28 29]",
                   "[30 31 32 33 34 35 36 37 38 39]  =>  [40 41 42 43 44]"]

    feature_length, label_length = 10, 3
    features = range_ds.batch(feature_length, drop_remainder=True)
    labels = range_ds.batch(feature_length).skip(1).map(lambda labels: labels[:label_length])
    predicted_steps = Dataset.zip((features, labels))
    out = [f"{f.numpy()}  =>  {l.numpy()}" for f, l in predicted_steps.take(5)]
    assert out == ["[0 1 2 3 4 5 6 7 8 9]  =>  [10 11 12]",
                   "[10 11 12 13 14 15 16 17 18 19]  =>  [20 21 22]",
                   "[20 21 22 23 24 25 26 27 28 29]  =>  [30 31 32]",
                   "[30 31 32 33 34 35 36 37 38 39]  =>  [40 41 42]",
                   "[40 41 42 43 44 45 46 47 48 49]  =>  [50 51 52]"]

    window_size = 5
    windows = range_ds.window(window_size, shift=1)
    flat = [str(x.numpy()) for x in windows.flat_map(lambda x: x).take(30)]
    assert " ".join(flat) + " " == ("0 1 2 3 4 1 2 3 4 5 2 3 4 5 6 3 4 5 6 7 4 5 6 7 8 "
                                    "5 6 7 8 9 ")

    def sub_to_batch(sub):
        return sub.batch(window_size, drop_remainder=True)

    assert [str(e.numpy()) for e in windows.flat_map(sub_to_batch).take(5)] == [
        "[0 1 2 3 4]", "[1 2 3 4 5]", "[2 3 4 5 6]", "[3 4 5 6 7]", "[4 5 6 7 8]"]

    def make_window_dataset(ds, window_size=5, shift=1, stride=1):
        windows = ds.window(window_size, shift=shift, stride=stride)

        def sub_to_batch(sub):
            return sub.batch(window_size, drop_remainder=True)

        return windows.flat_map(sub_to_batch)

    ds = make_window_dataset(range_ds, window_size=10, shift=5, stride=3)
    assert [str(e.numpy()) for e in ds.take(10)] == [
        "[ 0  3  6  9 12 15 18 21 24 27]", "[ 5  8 11 14 17 20 23 26 29 32]",
        "[10 13 16 19 22 25 28 31 34 37]", "[15 18 21 24 27 30 33 36 39 42]",
        "[20 23 26 29 32 35 38 41 44 47]", "[25 28 31 34 37 40 43 46 49 52]",
        "[30 33 36 39 42 45 48 51 54 57]", "[35 38 41 44 47 50 53 56 59 62]",
        "[40 43 46 49 52 55 58 61 64 67]", "[45 48 51 54 57 60 63 66 69 72]"]
    dense_labels_ds = ds.map(dense_1_step)
    assert [f"{i.numpy()} => {l.numpy()}" for i, l in dense_labels_ds.take(3)] == [
        "[ 0  3  6  9 12 15 18 21 24] => [ 3  6  9 12 15 18 21 24 27]",
        "[ 5  8 11 14 17 20 23 26 29] => [ 8 11 14 17 20 23 26 29 32]",
        "[10 13 16 19 22 25 28 31 34] => [13 16 19 22 25 28 31 34 37]"]


# ------------------------------------------------------------------ cardinality rules
@pytest.mark.parametrize("make,expected", [
    (lambda: Dataset.range(10).batch(3), 4),
    (lambda: Dataset.range(10).batch(3, drop_remainder=True), 3),
    (lambda: Dataset.range(10).repeat().batch(3), -1),
    (lambda: Dataset.range(10).filter(lambda x: True).batch(3), -2),
    (lambda: Dataset.range(10).batch(3, drop_remainder=True).unbatch(), 9),
    (lambda: Dataset.range(10).batch(3).unbatch(), -2),
    (lambda: Dataset.range(10).take(3), 3),
    (lambda: Dataset.range(10).take(30), 10),
    (lambda: Dataset.range(10).repeat().take(30), 30),
    (lambda: Dataset.range(10).skip(3), 7),
    (lambda: Dataset.range(10).skip(30), 0),
    (lambda: Dataset.range(10).repeat(3), 30),
    (lambda: Dataset.range(10).repeat(0), 0),
    (lambda: Dataset.range(0).repeat(), 0),
    (lambda: Dataset.range(10).filter(lambda x: True).repeat(), -1),
    (lambda: Dataset.range(10).shard(3, 0), 4),
    (lambda: Dataset.range(10).shard(3, 2), 3),
    (lambda: Dataset.range(10).map(lambda x: x), 10),
    (lambda: Dataset.range(10).shuffle(4), 10),
    (lambda: Dataset.range(10).cache().prefetch(1), 10),
    (lambda: Dataset.range(3).concatenate(Dataset.range(4)), 7),
    (lambda: Dataset.range(3).concatenate(Dataset.range(4).repeat()), -1),
    (lambda: Dataset.zip((Dataset.range(3), Dataset.range(5).repeat())), 3),
    (lambda: Dataset.zip((Dataset.range(3), Dataset.range(5).filter(bool))), -2),
    (lambda: Dataset.range(7).window(2), 4),
    (lambda: Dataset.range(7).window(3, 2, 1, True), 3),
    (lambda: Dataset.range(3).flat_map(lambda x: Dataset.range(x)), -2),
    (lambda: Dataset.from_tensor_slices(np.zeros((5, 2))).enumerate(), 5),
])
def test_cardinality_rules(make, expected):
    ds = make()
    assert int(ds.cardinality()) == expected
    if expected >= 0:
        assert len(ds) == expected == sum(1 for _ in ds)


def test_len_infinite_and_unknown():
    ds = Dataset.range(3).repeat()
    with pytest.raises(TypeError, match="^The dataset is infinite.$"):
        len(ds)
    with pytest.raises(TypeError, match="^The dataset length is unknown.$"):
        len(Dataset.range(3).filter(lambda x: True))
    assert bool(ds) is True and bool(Dataset.range(0)) is True   # __len__ is not truthiness


# ------------------------------------------------------------------ shuffle
def test_shuffle_is_a_buffer_shuffle():
    # an element comes out at most buffer_size - 1 places earlier than it went in
    out = as_list(Dataset.range(200).shuffle(10))
    assert sorted(out) == list(range(200)) and out != list(range(200))
    assert all(v < k + 10 for k, v in enumerate(out))
    assert out[0] < 10
    # a buffer of 1 does not shuffle
    assert as_list(Dataset.range(50).shuffle(1)) == list(range(50))


def test_shuffle_reshuffle_each_iteration():
    ds = Dataset.range(3).shuffle(3, reshuffle_each_iteration=False).repeat(2)
    out = as_list(ds)
    assert out[:3] == out[3:] and sorted(out[:3]) == [0, 1, 2]
    ds = Dataset.range(20).shuffle(20, reshuffle_each_iteration=False)
    assert as_list(ds) == as_list(ds)
    ds = Dataset.range(20).shuffle(20)      # reshuffles by default
    orders = [tuple(as_list(ds)) for _ in range(4)]
    assert len(set(orders)) > 1 and all(sorted(o) == list(range(20)) for o in orders)
    ds = Dataset.range(20).shuffle(20, reshuffle_each_iteration=True).repeat(2)
    out = as_list(ds)
    assert sorted(out[:20]) == sorted(out[20:]) == list(range(20)) and out[:20] != out[20:]


def test_shuffle_follows_fastnn_seed():
    utils.set_random_seed(11)
    a = Dataset.range(100).shuffle(100)
    first = [as_list(a), as_list(a)]
    utils.set_random_seed(11)
    b = Dataset.range(100).shuffle(100)
    assert [as_list(b), as_list(b)] == first
    utils.set_random_seed(12)
    c = Dataset.range(100).shuffle(100)
    assert as_list(c) != first[0]
    # tf.random.set_seed's module seeds the same generator
    fastnn.random.set_seed(11)
    d = Dataset.range(100).shuffle(100)
    assert as_list(d) == first[0]
    # an explicit seed does not depend on the global one
    utils.set_random_seed(1)
    e1 = as_list(Dataset.range(100).shuffle(100, seed=5))
    utils.set_random_seed(2)
    e2 = as_list(Dataset.range(100).shuffle(100, seed=5))
    assert e1 == e2


@pytest.mark.parametrize("buffer_size", [1, 7, 25, 40])
def test_shuffle_same_order_batched_or_not_and_on_any_source(buffer_size):
    # in-memory rows are shuffled as indices (a faster loop), other elements one by one:
    # the same order from the same seed either way, batched or not
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    src = Dataset.from_tensor_slices(x)
    rows = [r[0] for r in as_list(src.shuffle(buffer_size, seed=3))]
    assert sorted(rows) == x[:, 0].tolist()
    batched = np.concatenate([b[:, 0] for b in as_list(src.shuffle(buffer_size, seed=3)
                                                       .batch(4))])
    assert batched.tolist() == rows
    mapped = [r[0] for r in as_list(src.map(lambda v: v).shuffle(buffer_size, seed=3))]
    assert mapped == rows
    # an infinite index stream (repeat before shuffle) takes the general path
    endless = [r[0] for r in as_list(src.repeat().shuffle(buffer_size, seed=3).take(25))]
    mapped_endless = [r[0] for r in as_list(src.map(lambda v: v).repeat()
                                            .shuffle(buffer_size, seed=3).take(25))]
    assert endless == mapped_endless


def test_shuffle_full_buffer_is_uniform():
    # P(first element == k) = 1/5 for a full buffer: counts over 2000 shuffles
    counts = collections.Counter()
    ds = Dataset.range(5).shuffle(5, seed=0)
    for _ in range(2000):
        counts[int(next(ds.as_numpy_iterator()))] += 1
    assert set(counts) == {0, 1, 2, 3, 4}
    assert all(330 < c < 470 for c in counts.values()), counts


# ------------------------------------------------------------------ values and structures
def test_python_values_convert_as_tf_constant():
    spec = Dataset.from_tensors((1, 2.5, True, "s", [1, 2], [1.0], 2 ** 40)).element_spec
    assert [s.dtype for s in spec] == [np.int32, np.float32, np.bool_, np.dtype(object),
                                       np.int32, np.float32, np.int64]
    # NumPy values keep their dtype
    spec = Dataset.from_tensors((np.float64(1), np.arange(3, dtype=np.int16))).element_spec
    assert [s.dtype for s in spec] == [np.float64, np.int16]
    # lists are tensors, not structures; tuples and dicts nest; named tuples too
    Point = collections.namedtuple("Point", ["x", "y"])
    out = as_list(Dataset.from_tensor_slices(Point([1, 2], [3, 4])))
    assert out == [Point(1, 3), Point(2, 4)] and type(out[0]) is Point
    assert Dataset.from_tensors((1, [1, 2, 3])).element_spec[1].shape == (3,)


def test_elements_are_read_only_copies():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ds = Dataset.from_tensor_slices(x)
    x[0, 0] = 100.0                     # the dataset copied x when it was made
    first = next(ds.as_numpy_iterator())
    assert first.tolist() == [0.0, 1.0]
    with pytest.raises(ValueError):
        first[0] = 5.0
    assert next(ds.as_numpy_iterator()).tolist() == [0.0, 1.0]


def test_iteration_gives_tensors_with_numpy():
    for e in Dataset.from_tensor_slices({"a": np.ones((2, 3), np.float32)}):
        assert isinstance(e["a"], Tensor) and e["a"].numpy().shape == (3,)
    it = iter(Dataset.range(2))
    assert it.get_next().numpy() == 0 and next(it).numpy() == 1
    with pytest.raises(StopIteration):
        next(it)
    assert Dataset.from_tensors([1, 2, 3]).get_single_element().numpy().tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="more than one element"):
        Dataset.range(2).get_single_element()
    with pytest.raises(ValueError, match="empty"):
        Dataset.range(0).get_single_element()


def test_from_generator_conversions_and_errors():
    def floats():
        yield np.array([1.0, 2.0])          # float64

    # output_signature converts NumPy values of another dtype, as TensorFlow 2.21 does
    # (Keras' trainer tests rely on it: int64 batches under an int32 signature) ...
    sig = TensorSpec(shape=(2,), dtype=np.float32)
    out = as_list(Dataset.from_generator(floats, output_signature=sig))
    assert out[0].dtype == np.float32 and out[0].tolist() == [1.0, 2.0]
    ints = TensorSpec(shape=(None,), dtype=np.int32)
    out = as_list(Dataset.from_generator(lambda: iter([np.array([1, 2]), np.array([3.0])]),
                                         output_signature=ints))
    assert [o.dtype for o in out] == [np.int32, np.int32] and out[1].tolist() == [3]
    # ... but never changes a value (TensorFlow wraps 2**40 to 0, truncates 1.5 to 1 and
    # overflows 1e300 to inf without a word)
    for bad, spec, msg in ((np.array([2 ** 40]), ints, "values change when converted to int32"),
                           (np.array([1.5]), ints, "values change when converted to int32"),
                           (np.array([1e300]), TensorSpec((None,), np.float32),
                            "too large for float32")):
        with pytest.raises(TypeError, match=msg):
            as_list(Dataset.from_generator(lambda b=bad: iter([b]), output_signature=spec))
    # output_types converts as NumPy does
    out = as_list(Dataset.from_generator(floats, output_types=np.float32))
    assert out[0].dtype == np.float32
    with pytest.raises(TypeError, match="of shape \\(2,\\) where an element of shape \\(3,\\)"):
        as_list(Dataset.from_generator(floats, np.float64, output_shapes=(3,)))
    with pytest.raises(TypeError, match="did not match the expected structure"):
        as_list(Dataset.from_generator(lambda: iter([(1, 2, 3)]), (np.int32, np.int32)))
    with pytest.raises(TypeError, match="could not be converted to the expected type"):
        as_list(Dataset.from_generator(lambda: iter(["a"]), np.int32))
    with pytest.raises(TypeError, match="either the `output_signature` argument or the "
                                        "`output_types` argument"):
        Dataset.from_generator(floats)
    with pytest.raises(TypeError, match="`generator` must be a Python callable"):
        Dataset.from_generator(floats(), np.float32)
    # called again for every iteration
    ds = Dataset.from_generator(lambda: iter([1, 2]), np.int64)
    assert as_list(ds) == as_list(ds) == [1, 2]


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="rank >= 1"):
        Dataset.from_tensor_slices(5)
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(2)))
    with pytest.raises(ValueError) as e:
        as_list(Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), np.int64).batch(2))
    assert str(e.value) == ("Cannot batch tensors with different shapes in component 0. "
                            "First element had shape [2] and element 1 had shape [3].")
    with pytest.raises(ValueError, match="buffer_size must be >= 1"):
        Dataset.range(3).shuffle(0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        Dataset.range(3).batch(0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        Dataset.range(3).batch(2.5)
    with pytest.raises(TypeError, match="drop_remainder must be True or False"):
        Dataset.range(3).batch(2, drop_remainder="yes")
    with pytest.raises(TypeError, match="Python `list` is not supported"):
        Dataset.zip([Dataset.range(2), Dataset.range(2)])
    with pytest.raises(ValueError, match="scalar boolean"):
        as_list(Dataset.range(3).filter(lambda x: x))
    with pytest.raises(ValueError, match="step must be a non-zero"):
        Dataset.range(0, 5, 0)
    with pytest.raises(ValueError, match="index must be in"):
        Dataset.range(5).shard(2, 2)
    with pytest.raises(TypeError, match="must return a `Dataset`"):
        as_list(Dataset.range(2).flat_map(lambda x: x))
    with pytest.raises(TypeError, match="cannot be created directly"):
        Dataset()
    with pytest.raises(ValueError, match="non-rectangular"):
        Dataset.from_tensors([[1, 2], [3]])


def test_constants_and_experimental_module():
    assert tf_data.AUTOTUNE == -1
    assert tf_data.experimental.AUTOTUNE == -1
    import fastnn.data.experimental as exp
    assert exp.AUTOTUNE == -1 and exp is tf_data.experimental
    assert tf_data.INFINITE_CARDINALITY == -1 and tf_data.UNKNOWN_CARDINALITY == -2


def test_options_are_kept():
    options = tf_data.Options()
    options.experimental_deterministic = False
    options.experimental_optimization.map_fusion = True
    ds = Dataset.range(3).with_options(options)
    assert ds.options().experimental_deterministic is False
    assert ds.options().experimental_optimization.map_fusion is True
    assert as_list(ds.map(lambda x: x)) == [0, 1, 2]
    assert ds.map(lambda x: x).options().experimental_deterministic is False


def test_cache_filename_warns_and_caches_in_memory():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ds = Dataset.range(3).cache("/no/such/file")
    assert any("in memory" in str(x.message) for x in w)
    assert as_list(ds) == as_list(ds) == [0, 1, 2]


def test_batching_from_tensor_slices_is_views_when_in_order():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ds = Dataset.from_tensor_slices(x)
    batches = as_list(ds.batch(4))
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert np.concatenate(batches).tolist() == x.tolist()
    assert not batches[0].flags.writeable
    # the same values as batching element by element
    slow = as_list(ds.map(lambda v: v).batch(4))
    assert all((a == b).all() for a, b in zip(batches, slow))


# ------------------------------------------------------------------ more sources and ops
def test_choose_from_datasets_doc():
    datasets = [Dataset.from_tensors("foo").repeat(), Dataset.from_tensors("bar").repeat(),
                Dataset.from_tensors("baz").repeat()]
    choice_dataset = Dataset.range(3).repeat(3)       # [0, 1, 2, 0, 1, 2, 0, 1, 2]
    result = Dataset.choose_from_datasets(datasets, choice_dataset)
    assert as_list(result) == [b"foo", b"bar", b"baz"] * 3
    # a chosen dataset that has run out ends the result, or is skipped
    short = [Dataset.range(2), Dataset.range(10, 20)]
    choice = Dataset.from_tensor_slices(np.array([0, 1, 0, 0, 1], dtype=np.int64))
    assert as_list(Dataset.choose_from_datasets(short, choice)) == [0, 10, 1]
    assert as_list(Dataset.choose_from_datasets(short, choice, stop_on_empty_dataset=False)) \
        == [0, 10, 1, 11]
    with pytest.raises(TypeError, match="scalar `tf.int64`"):
        Dataset.choose_from_datasets(short, Dataset.from_tensor_slices([0, 1]))   # int32
    with pytest.raises(TypeError, match="compatible element types"):
        Dataset.choose_from_datasets([Dataset.range(2), Dataset.from_tensors("a")], choice)


def test_sample_from_datasets():
    dataset1 = Dataset.range(0, 3)
    dataset2 = Dataset.range(100, 103)
    sample_dataset = Dataset.sample_from_datasets([dataset1, dataset2], weights=[0.5, 0.5])
    out = as_list(sample_dataset)
    # one possible outcome in the docs is [100, 0, 1, 101, 2, 102]: each dataset's
    # elements in their order, interleaved at random
    assert sorted(out) == [0, 1, 2, 100, 101, 102]
    assert [v for v in out if v < 100] == [0, 1, 2]
    assert [v for v in out if v >= 100] == [100, 101, 102]
    assert as_list(sample_dataset) == out          # the same sequence every iteration
    # weights: about 90% from the first dataset
    ds = Dataset.sample_from_datasets([Dataset.range(0, 10000), Dataset.range(10000, 20000)],
                                      weights=[0.9, 0.1], seed=1).take(2000)
    share = np.mean(np.array(as_list(ds)) < 10000)
    assert 0.87 < share < 0.93
    # stop_on_empty_dataset ends at the first exhausted dataset
    ds = Dataset.sample_from_datasets([Dataset.range(3), Dataset.range(100, 1000)],
                                      stop_on_empty_dataset=True, seed=0)
    n = len(as_list(ds))
    assert 3 <= n < 903
    assert len(as_list(Dataset.sample_from_datasets([Dataset.range(3), Dataset.range(5)]))) == 8
    assert int(Dataset.sample_from_datasets([Dataset.range(3).repeat(),
                                             Dataset.range(5).repeat()]).cardinality()) == -1
    with pytest.raises(ValueError, match="one value per dataset"):
        Dataset.sample_from_datasets([dataset1, dataset2], weights=[1.0])


def test_scan_and_unique_doc():
    dataset = Dataset.range(10)
    initial_state = np.int64(0)
    scan_func = lambda state, i: (state + i, state + i)   # noqa: E731
    dataset = dataset.scan(initial_state=initial_state, scan_func=scan_func)
    assert as_list(dataset) == [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]
    assert int(dataset.cardinality()) == 10
    dataset = Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).unique()
    assert sorted(as_list(dataset)) == [1, 2, 37]
    assert as_list(dataset) == [1, 37, 2]           # first occurrences, in order
    assert as_list(Dataset.from_tensor_slices(["b", "a", "b"]).unique()) == [b"b", b"a"]
    with pytest.raises(TypeError, match="does not support"):
        Dataset.from_tensor_slices([1.5, 2.5]).unique()
