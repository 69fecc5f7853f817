"""Keras 3's data-adapter tests, ported to fastnn's adapters.

Sources (keras-team/keras, `keras/src/trainers/data_adapters/`):
`array_data_adapter_test.py`, `generator_data_adapter_test.py`,
`py_dataset_adapter_test.py`, `data_adapter_utils_test.py`; and, against
`fastnn.data.Dataset` standing in for `tf.data.Dataset`, `tf_dataset_adapter_test.py`
and `keras/src/trainers/epoch_iterator_test.py`. Each test names its source file and
test (with the parameters of a parameterised case). Keras runs each on the backend's
iterator (`get_tf_dataset`, `get_jax_iterator`, `get_torch_dataloader`) and on
`get_numpy_iterator` for the NumPy backend; fastnn has the NumPy one, so that is the one
exercised. Cases about TensorFlow / JAX / torch tensors, sparse or ragged tensors and
multi-process distribution are kept as skipped cases with the reason.
"""
import math
import time
import warnings

import numpy as np
import pytest

from fastnn import utils
from fastnn.data import Dataset
from fastnn.trainers import data_adapters
from fastnn.trainers.data_adapters import array_data_adapter
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters import dataset_adapter as tf_dataset_adapter
from fastnn.trainers.data_adapters import epoch_iterator
from fastnn.trainers.data_adapters import generator_data_adapter
from fastnn.trainers.data_adapters import py_dataset_adapter
from fastnn.trainers.data_adapters.data_adapter_utils import class_weight_to_sample_weights

FLOATX = "float32"

NOT_TF = "TensorFlow tensors: fastnn has no TensorFlow backend (TF is not a dependency)"
NOT_JAX = "JAX arrays: fastnn has no JAX backend"
NOT_TORCH = "torch tensors / DataLoader: fastnn has no torch backend"
SPARSE = "sparse tensors: fastnn's engine takes dense arrays"
RAGGED = "ragged tensors: fastnn's engine takes dense arrays"
DIST = "multi-process distribution (data sharding): fastnn trains in one process"


def assert_not_all_close(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert not np.allclose(a, b)


# =================================================================== array_data_adapter_test.py
def make_array(array_type, shape, dtype):
    x = np.array([[i] * shape[1] for i in range(shape[0])], dtype=dtype)
    if array_type == "np":
        return x
    if array_type == "pandas_data_frame":
        pandas = pytest.importorskip("pandas")
        return pandas.DataFrame(x)
    if array_type == "pandas_series":
        pandas = pytest.importorskip("pandas")
        return pandas.Series(x[:, 0])
    if array_type == "scipy_sparse":
        scipy_sparse = pytest.importorskip("scipy.sparse")
        return scipy_sparse.coo_matrix(x)
    raise AssertionError(array_type)


_ARRAY_SKIPS = {"tf": NOT_TF, "tf_ragged": RAGGED + " (tf.RaggedTensor)",
                "tf_sparse": SPARSE + " (tf.SparseTensor)", "jax": NOT_JAX,
                "jax_sparse": SPARSE + " (jax BCOO)", "torch": NOT_TORCH}


def _array_flow_params():
    out = []
    for array_type in ["np", "tf", "tf_ragged", "tf_sparse", "jax", "jax_sparse", "torch",
                       "pandas_data_frame", "pandas_series", "scipy_sparse"]:
        for array_dtype in ["float32", "float64"]:
            for shuffle in [False, "batch", True]:
                marks = ()
                if array_type in _ARRAY_SKIPS:
                    marks = pytest.mark.skip(reason=_ARRAY_SKIPS[array_type])
                out.append(pytest.param(array_type, array_dtype, shuffle, marks=marks,
                                        id=f"{array_type}-{array_dtype}-{shuffle}"))
    return out


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_basic_flow (array_type x array_dtype x shuffle)
@pytest.mark.parametrize("array_type,array_dtype,shuffle", _array_flow_params())
def test_array_basic_flow(array_type, array_dtype, shuffle):
    x = make_array(array_type, (34, 4), array_dtype)
    y = make_array(array_type, (34, 2), "int32")
    xdim1 = 1 if array_type == "pandas_series" else 4
    ydim1 = 1 if array_type == "pandas_series" else 2

    adapter = array_data_adapter.ArrayDataAdapter(
        x, y=y, sample_weight=None, batch_size=16, steps=None, shuffle=shuffle)
    assert adapter.num_batches == 3
    assert adapter.batch_size == 16
    assert adapter.has_partial_batch is True
    assert adapter.partial_batch_size == 2

    it = adapter.get_numpy_iterator()
    x_order, y_order = [], []
    for i, batch in enumerate(it):
        assert len(batch) == 2
        bx, by = batch
        assert isinstance(bx, np.ndarray)
        assert isinstance(by, np.ndarray)
        assert bx.dtype == np.dtype(FLOATX)
        assert by.dtype == np.dtype("int32")
        if i < 2:
            assert bx.shape == (16, xdim1)
            assert by.shape == (16, ydim1)
        else:
            assert bx.shape == (2, xdim1)
            assert by.shape == (2, ydim1)
        x_batch_order = [float(bx[j, 0]) for j in range(bx.shape[0])]
        y_batch_order = [float(by[j, 0]) for j in range(by.shape[0])]
        x_order.extend(x_batch_order)
        y_order.extend(y_batch_order)
        if shuffle == "batch":
            np.testing.assert_allclose(sorted(x_batch_order),
                                       list(range(i * 16, i * 16 + bx.shape[0])))
    np.testing.assert_allclose(x_order, y_order)
    if shuffle:
        assert_not_all_close(x_order, list(range(34)))
    else:
        np.testing.assert_allclose(x_order, list(range(34)))


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_tf_sparse_trailing_empty_rows
@pytest.mark.skip(reason=SPARSE + " (tf.SparseTensor, TensorFlow only)")
def test_array_tf_sparse_trailing_empty_rows():
    pass


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_multi_inputs_and_outputs
# (the numpy-iterator half; the second half reads get_tf_dataset, TensorFlow only)
def test_array_multi_inputs_and_outputs():
    x1 = np.random.random((34, 1))
    x2 = np.random.random((34, 2))
    y1 = np.random.random((34, 3))
    y2 = np.random.random((34, 4))
    sw = np.random.random((34,))
    adapter = array_data_adapter.ArrayDataAdapter(
        x={"x1": x1, "x2": x2}, y=[y1, y2], sample_weight=sw, batch_size=16, steps=None,
        shuffle=False)
    gen = adapter.get_numpy_iterator()
    n = 0
    for i, batch in enumerate(gen):
        n += 1
        assert len(batch) == 3
        bx, by, bw = batch
        assert isinstance(bx, dict)
        assert isinstance(by, list)
        assert isinstance(bw, list)
        assert isinstance(bx["x1"], np.ndarray)
        assert isinstance(bx["x2"], np.ndarray)
        assert isinstance(by[0], np.ndarray)
        assert isinstance(by[1], np.ndarray)
        assert isinstance(bw[0], np.ndarray)
        assert isinstance(bw[1], np.ndarray)
        assert bx["x1"].dtype == by[0].dtype
        assert bx["x1"].dtype == np.dtype(FLOATX)
        if i < 2:
            assert bx["x1"].shape == (16, 1)
            assert bx["x2"].shape == (16, 2)
            assert by[0].shape == (16, 3)
            assert by[1].shape == (16, 4)
            assert bw[0].shape == (16,)
            assert bw[1].shape == (16,)
        else:
            assert bx["x1"].shape == (2, 1)
            assert by[0].shape == (2, 3)
            assert bw[0].shape == (2,)
            assert bw[1].shape == (2,)
    assert n == 3


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_class_weights (target_encoding int / categorical)
@pytest.mark.parametrize("target_encoding", ["int", "categorical"])
def test_array_class_weights(target_encoding):
    x = np.random.random((4, 2))
    if target_encoding == "int":
        y = np.array([[0], [1], [2], [3]], dtype="int32")
    else:
        y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
                     dtype="float32")
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    adapter = array_data_adapter.ArrayDataAdapter(x, y=y, class_weight=class_weight,
                                                  batch_size=16)
    batches = list(adapter.get_numpy_iterator())
    assert len(batches) == 1
    for batch in batches:
        assert len(batch) == 3
        _, _, bw = batch
        np.testing.assert_allclose(bw, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_errors
# (Keras' `tensor_sw` is a tf.constant of shape (34, 2); here the same NumPy array.)
def test_array_errors():
    x = np.random.random((34, 1))
    y = np.random.random((34, 3))
    sw = np.random.random((34,))
    cw = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}

    with pytest.raises(ValueError, match="Expected all elements of `x` to be array-like"):
        array_data_adapter.ArrayDataAdapter(x="Invalid")
    with pytest.raises(ValueError, match="Expected all elements of `x` to be array-like"):
        array_data_adapter.ArrayDataAdapter(x=x, y="Invalid")
    with pytest.raises(ValueError, match="Expected all elements of `x` to be array-like"):
        array_data_adapter.ArrayDataAdapter(x=x, y=y, sample_weight="Invalid")

    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight`"):
        array_data_adapter.ArrayDataAdapter(x=x, y=y, sample_weight=sw, class_weight=cw)

    nested_y = ({"x": x, "y": y},)
    with pytest.raises(ValueError, match="You should provide one `sample_weight` array per"):
        array_data_adapter.ArrayDataAdapter(x=x, y=nested_y, sample_weight=[])

    tensor_sw = np.array([[i] * 2 for i in range(34)], dtype="int32")
    with pytest.raises(ValueError, match="For a model with multiple outputs, when providing"):
        array_data_adapter.ArrayDataAdapter(x=x, y=nested_y, sample_weight=tensor_sw)

    with pytest.raises(ValueError,
                       match="`class_weight` is only supported for Models with a single"):
        array_data_adapter.ArrayDataAdapter(x=x, y=nested_y, class_weight=cw)


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_torch_data_loader_nested_input
@pytest.mark.skip(reason=NOT_TORCH + " (get_torch_dataloader)")
def test_array_torch_data_loader_nested_input():
    pass


# keras/src/trainers/data_adapters/array_data_adapter_test.py
#   TestArrayDataAdapter.test_sharding (dataparallel / modelparallel /
#   modelparallel_large_mesh x shuffle)
@pytest.mark.parametrize("case", ["dataparallel", "modelparallel", "modelparallel_large_mesh"])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.skip(reason=DIST)
def test_array_sharding(case, shuffle):
    pass


# =============================================================== generator_data_adapter_test.py
def example_generator(x, y, sample_weight=None, batch_size=32):
    def make():
        for i in range(math.ceil(len(x) / batch_size)):
            low = i * batch_size
            high = min(low + batch_size, len(x))
            batch_x = x[low:high]
            batch_y = y[low:high]
            if sample_weight is not None:
                yield batch_x, batch_y, sample_weight[low:high]
            else:
                yield batch_x, batch_y
    return make


_GEN_SKIPS = {"tf": NOT_TF, "jax": NOT_JAX, "torch": NOT_TORCH}


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_basic_flow (use_weight / no_weight x generator_type)
@pytest.mark.parametrize("generator_type", [
    pytest.param(t, marks=pytest.mark.skip(reason=_GEN_SKIPS[t])) if t in _GEN_SKIPS else t
    for t in ["np", "tf", "jax", "torch"]])
@pytest.mark.parametrize("use_sample_weight", [True, False], ids=["use_weight", "no_weight"])
def test_generator_basic_flow(use_sample_weight, generator_type):
    x = np.random.random((34, 4)).astype("float32")
    y = np.array([[i, i] for i in range(34)], dtype="float32")
    sw = np.random.random((34,)).astype("float32")
    if not use_sample_weight:
        sw = None
    make_generator = example_generator(x, y, sample_weight=sw, batch_size=16)
    adapter = generator_data_adapter.GeneratorDataAdapter(make_generator())
    it = adapter.get_numpy_iterator()
    sample_order = []
    for i, batch in enumerate(it):
        if use_sample_weight:
            assert len(batch) == 3
            bx, by, bsw = batch
        else:
            assert len(batch) == 2
            bx, by = batch
        assert isinstance(bx, np.ndarray)
        assert isinstance(by, np.ndarray)
        assert bx.dtype == by.dtype
        assert "float32" in str(bx.dtype)
        if i < 2:
            assert bx.shape == (16, 4)
            assert by.shape == (16, 2)
        else:
            assert bx.shape == (2, 4)
            assert by.shape == (2, 2)
        if use_sample_weight:
            assert isinstance(bsw, np.ndarray)
        for j in range(by.shape[0]):
            sample_order.append(by[j, 0])
    np.testing.assert_allclose(sample_order, list(range(34)))


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_empty_generator_raises_clear_error
def test_generator_empty_generator_raises_clear_error():
    def generator():
        if False:
            yield

    with pytest.raises(ValueError, match="the generator must yield at least one batch"):
        generator_data_adapter.GeneratorDataAdapter(generator())


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_with_different_shapes
def test_generator_with_different_shapes():
    def generator():
        yield np.ones([16, 4], "float32"), np.ones([16, 2], "float32")
        yield np.ones([16, 5], "float32"), np.ones([16, 2], "float32")
        yield np.ones([2, 6], "float32"), np.ones([2, 2], "float32")

    adapter = generator_data_adapter.GeneratorDataAdapter(generator())
    n = 0
    for i, batch in enumerate(adapter.get_numpy_iterator()):
        n += 1
        assert len(batch) == 2
        bx, by = batch
        assert bx.dtype == by.dtype
        assert "float32" in str(bx.dtype)
        if i == 0:
            assert bx.shape == (16, 4)
            assert by.shape == (16, 2)
        elif i == 1:
            assert bx.shape == (16, 5)
            assert by.shape == (16, 2)
        else:
            assert bx.shape == (2, 6)
            assert by.shape == (2, 2)
    assert n == 3


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_with_unexpected_shapes
@pytest.mark.skip(reason="tf.data.Dataset specific behavior (get_tf_dataset's fixed "
                         "signature from the first two batches); the NumPy iterator takes "
                         "any shapes, as Keras' does")
def test_generator_with_unexpected_shapes():
    pass


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_sparse_tensors (generator_type tf / jax / scipy)
@pytest.mark.parametrize("generator_type", ["tf", "jax", "scipy"])
@pytest.mark.skip(reason=SPARSE + " (Keras runs it only on backends with sparse support)")
def test_generator_sparse_tensors(generator_type):
    pass


# keras/src/trainers/data_adapters/generator_data_adapter_test.py
#   GeneratorDataAdapterTest.test_ragged_tensors
@pytest.mark.skip(reason=RAGGED + " (tf.ragged)")
def test_generator_ragged_tensors():
    pass


# ================================================================= py_dataset_adapter_test.py
class ExamplePyDataset(py_dataset_adapter.PyDataset):
    def __init__(self, x_set, y_set, sample_weight=None, batch_size=32, delay=0,
                 infinite=False, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x_set, y_set
        self.batch_size = batch_size
        self.sample_weight = sample_weight
        self.delay = delay
        self.infinite = infinite

    @property
    def num_batches(self):
        if self.infinite:
            return None
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        time.sleep(self.delay)
        if self.infinite:
            idx = idx % math.ceil(len(self.x) / self.batch_size)
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        batch_x = self.x[low:high]
        batch_y = self.y[low:high]
        if self.sample_weight is not None:
            return batch_x, batch_y, self.sample_weight[low:high]
        return batch_x, batch_y


class DictPyDataset(py_dataset_adapter.PyDataset):
    def __init__(self, inputs, batch_size=32, **kwargs):
        super().__init__(**kwargs)
        self.inputs = inputs
        self.batch_size = batch_size

    @property
    def num_batches(self):
        return math.ceil(len(self.inputs["x"]) / self.batch_size)

    def __getitem__(self, idx):
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.inputs["x"]))
        return {"x": self.inputs["x"][low:high], "y": self.inputs["y"][low:high]}


class ExceptionPyDataset(py_dataset_adapter.PyDataset):
    @property
    def num_batches(self):
        return 4

    def __getitem__(self, index):
        if index < 2:
            return (np.random.random((8, 4)).astype("float32"),
                    np.random.random((8, 2)).astype("float32"))
        raise ValueError("Expected exception")


_PYDS_CASES = {
    "multiprocessing": dict(workers=2, use_multiprocessing=True, max_queue_size=10,
                            dataset_type="np"),
    "multithreading": dict(workers=2, use_multiprocessing=False, max_queue_size=10,
                           dataset_type="np"),
    "single_np": dict(dataset_type="np"),
    "single_tf": dict(dataset_type="tf"),
    "single_jax": dict(dataset_type="jax"),
    "single_torch": dict(dataset_type="torch"),
}
_PYDS_SKIPS = {"single_tf": NOT_TF, "single_jax": NOT_JAX, "single_torch": NOT_TORCH}


def _pyds_flow_params():
    out = []
    for name in _PYDS_CASES:
        for infinite in [True, False]:
            for shuffle in [True, False]:
                marks = pytest.mark.skip(reason=_PYDS_SKIPS[name]) if name in _PYDS_SKIPS else ()
                out.append(pytest.param(name, infinite, shuffle, marks=marks,
                                        id=f"{name}-infinite={infinite}-shuffle={shuffle}"))
    return out


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_basic_flow (case x infinite x shuffle). Keras skips
#   multiprocessing with shuffle for speed; fastnn starts no processes (threads), so
#   those two run here.
@pytest.mark.parametrize("case,infinite,shuffle", _pyds_flow_params())
def test_pydataset_basic_flow(case, infinite, shuffle):
    params = _PYDS_CASES[case]
    workers = params.get("workers", 0)
    use_multiprocessing = params.get("use_multiprocessing", False)
    max_queue_size = params.get("max_queue_size", 0)

    utils.set_random_seed(1337)
    x = np.random.random((64, 4)).astype("float32")
    y = np.array([[i, i] for i in range(64)], dtype="float32")
    py_dataset = ExamplePyDataset(x, y, batch_size=16, workers=workers,
                                  use_multiprocessing=use_multiprocessing,
                                  max_queue_size=max_queue_size, infinite=infinite)
    adapter = py_dataset_adapter.PyDatasetAdapter(py_dataset, shuffle=shuffle)
    it = adapter.get_numpy_iterator()

    sample_order = []
    adapter.on_epoch_begin()
    for batch in it:
        assert len(batch) == 2
        bx, by = batch
        assert isinstance(bx, np.ndarray)
        assert isinstance(by, np.ndarray)
        assert bx.dtype == by.dtype
        assert "float32" in str(bx.dtype)
        assert bx.shape == (16, 4)
        assert by.shape == (16, 2)
        for i in range(by.shape[0]):
            sample_order.append(by[i, 0])
        if infinite:
            if len(sample_order) == 64:
                adapter.on_epoch_end()
                adapter.on_epoch_begin()
            elif len(sample_order) >= 128:
                break
    adapter.on_epoch_end()

    expected_order = list(range(64))
    if infinite:
        np.testing.assert_allclose(sample_order, expected_order + expected_order)
    elif shuffle:
        assert_not_all_close(sample_order, expected_order)
        np.testing.assert_allclose(sorted(sample_order), expected_order)
    else:
        np.testing.assert_allclose(sample_order, expected_order)


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_class_weight
def test_pydataset_class_weight():
    x = np.random.randint(1, 100, (4, 5))
    y = np.array([0, 1, 2, 1])
    class_w = {0: 2, 1: 1, 2: 3}
    py_dataset = ExamplePyDataset(x, y, batch_size=2)
    adapter = py_dataset_adapter.PyDatasetAdapter(py_dataset, shuffle=False,
                                                  class_weight=class_w)
    gen = adapter.get_numpy_iterator()
    index = -1
    for index, batch in enumerate(gen):
        assert len(batch) == 3
        batch = [np.asarray(v) for v in batch]
        for sub_elem in range(2):
            np.testing.assert_array_equal(batch[0][sub_elem], x[index * 2 + sub_elem])
            np.testing.assert_array_equal(batch[1][sub_elem], y[index * 2 + sub_elem])
            class_key = np.int32(batch[1][sub_elem])
            np.testing.assert_array_equal(batch[2][sub_elem], class_w[class_key])
    assert index == 1  # 2 batches


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_speedup
# (Keras sleeps 0.2 s per batch; 0.05 s here keeps the suite quick and the comparison.)
def test_pydataset_speedup():
    x = np.random.random((40, 4))
    y = np.random.random((40, 2))
    no_speedup = ExamplePyDataset(x, y, batch_size=4, delay=0.05)
    adapter = py_dataset_adapter.PyDatasetAdapter(no_speedup, shuffle=False)
    t0 = time.time()
    for _ in adapter.get_numpy_iterator():
        pass
    no_speedup_time = time.time() - t0

    speedup = ExamplePyDataset(x, y, batch_size=4, workers=4, max_queue_size=8, delay=0.05)
    adapter = py_dataset_adapter.PyDatasetAdapter(speedup, shuffle=False)
    t0 = time.time()
    for _ in adapter.get_numpy_iterator():
        pass
    speedup_time = time.time() - t0
    assert speedup_time < no_speedup_time


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_dict_inputs
# (the numpy-iterator half; the second half reads get_tf_dataset, TensorFlow only)
def test_pydataset_dict_inputs():
    inputs = {"x": np.random.random((40, 4)), "y": np.random.random((40, 2))}
    py_dataset = DictPyDataset(inputs, batch_size=4)
    adapter = py_dataset_adapter.PyDatasetAdapter(py_dataset, shuffle=False)
    n = 0
    for batch in adapter.get_numpy_iterator():
        n += 1
        assert len(batch) == 2
        bx, by = batch["x"], batch["y"]
        assert isinstance(bx, np.ndarray)
        assert isinstance(by, np.ndarray)
        assert bx.dtype == by.dtype
        assert bx.shape == (4, 4)
        assert by.shape == (4, 2)
    assert n == 10


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_with_different_shapes
def test_pydataset_with_different_shapes():
    class TestPyDataset(py_dataset_adapter.PyDataset):
        @property
        def num_batches(self):
            return 3

        def __getitem__(self, idx):
            if idx == 0:
                return np.ones([16, 4], "float32"), np.ones([16, 2], "float32")
            if idx == 1:
                return np.ones([16, 5], "float32"), np.ones([16, 2], "float32")
            return np.ones([2, 6], "float32"), np.ones([2, 2], "float32")

    adapter = py_dataset_adapter.PyDatasetAdapter(TestPyDataset(), shuffle=False)
    n = 0
    for i, batch in enumerate(adapter.get_numpy_iterator()):
        n += 1
        assert len(batch) == 2
        bx, by = batch
        assert bx.dtype == by.dtype
        assert "float32" in str(bx.dtype)
        if i == 0:
            assert bx.shape == (16, 4)
            assert by.shape == (16, 2)
        elif i == 1:
            assert bx.shape == (16, 5)
            assert by.shape == (16, 2)
        else:
            assert bx.shape == (2, 6)
            assert by.shape == (2, 2)
    assert n == 3


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_exception_reported (multiprocessing / multithreading /
#   single; fastnn's "multiprocessing" runs threads)
@pytest.mark.parametrize("workers,use_multiprocessing,max_queue_size", [
    (2, True, 10), (2, False, 10), (0, False, 0)],
    ids=["multiprocessing", "multithreading", "single"])
def test_pydataset_exception_reported(workers, use_multiprocessing, max_queue_size):
    dataset = ExceptionPyDataset(workers=workers, use_multiprocessing=use_multiprocessing,
                                 max_queue_size=max_queue_size)
    adapter = py_dataset_adapter.PyDatasetAdapter(dataset, shuffle=False)
    it = iter(adapter.get_numpy_iterator())
    next(it)
    next(it)
    with pytest.raises(ValueError, match="Expected exception"):
        next(it)


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_iterate_finite
def test_pydataset_iterate_finite():
    py_dataset = ExamplePyDataset(np.ones((6, 11), dtype="int32"),
                                  np.zeros((6, 11), dtype="int32"), batch_size=2)
    batches = [batch for batch in py_dataset]
    assert len(batches) == 3


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_iterate_infinite_with_none_num_batches
def test_pydataset_iterate_infinite_with_none_num_batches():
    py_dataset = ExamplePyDataset(np.ones((6, 11), dtype="int32"),
                                  np.zeros((6, 11), dtype="int32"), batch_size=2,
                                  infinite=True)
    index = -1
    for index, _ in enumerate(py_dataset):
        if index >= 10:
            break
    assert index == 10


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_iterate_infinite_with_no_len
def test_pydataset_iterate_infinite_with_no_len():
    class NoLenDataset(py_dataset_adapter.PyDataset):
        def __getitem__(self, idx):
            yield np.ones((2, 11), dtype="int32")

    index = -1
    for index, _ in enumerate(NoLenDataset()):
        if index >= 10:
            break
    assert index == 10


# keras/src/trainers/data_adapters/py_dataset_adapter_test.py
#   PyDatasetAdapterTest.test_sharding (dataparallel / modelparallel /
#   modelparallel_large_mesh x shuffle)
@pytest.mark.parametrize("case", ["dataparallel", "modelparallel", "modelparallel_large_mesh"])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.skip(reason=DIST)
def test_pydataset_sharding(case, shuffle):
    pass


# ================================================================= data_adapter_utils_test.py
# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestDistributedBatchSampler.test_basic_sharding / test_uneven_sharding /
#   test_drop_last
@pytest.mark.parametrize("name", ["test_basic_sharding", "test_uneven_sharding",
                                  "test_drop_last"])
@pytest.mark.skip(reason=NOT_TORCH + "; DistributedBatchSampler shards torch batch "
                                     "samplers across processes (" + DIST + ")")
def test_utils_distributed_batch_sampler(name):
    pass


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestClassWeightToSampleWeights.test_class_weight_to_sample_weights (7 named cases)
@pytest.mark.parametrize("y,class_weight,expected", [
    pytest.param(np.array([0, 1, 0, 2]), {0: 1.0, 1: 2.0, 2: 3.0},
                 np.array([1.0, 2.0, 1.0, 3.0]), id="simple_class_labels"),
    pytest.param(np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]),
                 {0: 1.0, 1: 2.0, 2: 3.0}, np.array([1.0, 2.0, 1.0, 3.0]),
                 id="one_hot_encoded_labels"),
    pytest.param(np.array([0, 3, 0, 2]), {0: 1.0, 1: 2.0, 2: 3.0},
                 np.array([1.0, 1.0, 1.0, 3.0]), id="unmapped_class"),
    pytest.param(np.array([[0], [1], [0], [2]]), {0: 1.0, 1: 2.0, 2: 3.0},
                 np.array([1.0, 2.0, 1.0, 3.0]), id="multi_dimensional_input"),
    pytest.param(np.array([0, 1, 0, 2]), {}, np.array([1.0, 1.0, 1.0, 1.0]),
                 id="all_unmapped"),
    pytest.param(np.array([0, 1, 0, 2]), {"0": 1.0, "1": 2.0, "2": 3.0},
                 np.array([1.0, 2.0, 1.0, 3.0]), id="string_number_keys"),
    pytest.param(np.array([0, 1, 0, 2]), {0.0: 1.0, 1.0: 2.0, 2.0: 3.0},
                 np.array([1.0, 2.0, 1.0, 3.0]), id="float_number_keys"),
])
def test_utils_class_weight_to_sample_weights(y, class_weight, expected):
    np.testing.assert_allclose(class_weight_to_sample_weights(y, class_weight), expected)


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestClassWeightToSampleWeights.test_class_weight_to_sample_weights_invalid_key
def test_utils_class_weight_to_sample_weights_invalid_key():
    y = np.array([0, 1, 0, 2])
    with pytest.raises(ValueError, match="integer keys"):
        class_weight_to_sample_weights(y, {"invalid": 0.5})


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestClassWeightToSampleWeights.test_class_weight_to_sample_weights_non_dict
def test_utils_class_weight_to_sample_weights_non_dict():
    y = np.array([0, 1, 0, 2])
    with pytest.raises(ValueError, match="dict-like mapping"):
        class_weight_to_sample_weights(y, "not_a_dict")


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestClassWeightToSampleWeights.test_class_weight_to_sample_weights_none_key
def test_utils_class_weight_to_sample_weights_none_key():
    y = np.array([0, 1, 0, 2])
    with pytest.raises(ValueError, match="integer keys"):
        class_weight_to_sample_weights(y, {None: 0.5})


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestClassWeightToSampleWeights.test_class_weight_to_sample_weights_torch_specific /
#   _jax_specific / _tf_specific
@pytest.mark.parametrize("backend,reason", [("torch", NOT_TORCH), ("jax", NOT_JAX),
                                            ("tf", NOT_TF)])
def test_utils_class_weight_to_sample_weights_backend_specific(backend, reason):
    pytest.skip(reason)


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestMultiWorkerValidation.test_unsupported_type_multi_worker
@pytest.mark.skip(reason=DIST)
def test_utils_unsupported_type_multi_worker():
    pass


# keras/src/trainers/data_adapters/data_adapter_utils_test.py
#   TestDataAdapterFactory.test_generator_with_y_error
def test_utils_generator_with_y_error():
    def generator():
        yield np.ones((10, 2))

    with pytest.raises(ValueError, match="providing `x` as a generator"):
        data_adapters.get_data_adapter(generator(), y=np.ones((10, 1)))


# ================================================== tf_dataset_adapter_test.py (fastnn.data)
# The same tests with fastnn.data.Dataset in the place of tf.data.Dataset
# (tf.random.normal -> NumPy normal float32).

# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_basic_flow
def test_tfdataset_basic_flow():
    x = np.random.normal(size=(34, 4)).astype("float32")
    y = np.random.normal(size=(34, 2)).astype("float32")
    base_ds = Dataset.from_tensor_slices((x, y)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds)
    assert adapter.num_batches == 3
    assert adapter.batch_size is None
    assert adapter.has_partial_batch is None
    assert adapter.partial_batch_size is None
    n = 0
    for i, batch in enumerate(adapter.get_numpy_iterator()):
        n += 1
        assert len(batch) == 2
        bx, by = batch
        assert isinstance(bx, np.ndarray)
        assert isinstance(by, np.ndarray)
        assert bx.dtype == by.dtype
        assert "float32" in str(bx.dtype)
        if i < 2:
            assert bx.shape == (16, 4)
            assert by.shape == (16, 2)
        else:
            assert bx.shape == (2, 4)
            assert by.shape == (2, 2)
    assert n == 3


def _tfdataset_class_weights(target_encoding):
    x = np.random.random((4, 2))
    if target_encoding == "int":
        y = np.array([[0], [1], [2], [3]], dtype="int64")
    else:
        y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
                     dtype="float32")
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    base_ds = Dataset.from_tensor_slices((x, y)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)
    batches = list(adapter.get_numpy_iterator())
    assert len(batches) == 1
    for batch in batches:
        assert len(batch) == 3
        _, _, bw = batch
        np.testing.assert_allclose(bw, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weights_int_targets
def test_tfdataset_class_weights_int_targets():
    _tfdataset_class_weights("int")


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weights_categorical_targets
def test_tfdataset_class_weights_categorical_targets():
    _tfdataset_class_weights("categorical")


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weights_missing_classes_default_to_one
def test_tfdataset_class_weights_missing_classes_default_to_one():
    x = np.random.random((4, 2))
    y = np.array([[0], [1], [2], [3]], dtype="int64")
    class_weight = {0: 0.1, 2: 0.3}
    base_ds = Dataset.from_tensor_slices((x, y)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)
    batches = list(adapter.get_numpy_iterator())
    assert len(batches) == 1
    for batch in batches:
        assert len(batch) == 3
        _, _, bw = batch
        np.testing.assert_allclose(bw, [0.1, 1.0, 0.3, 1.0], rtol=1e-6)


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_empty_class_weights_ignored
def test_tfdataset_empty_class_weights_ignored():
    x = np.random.random((4, 2))
    y = np.array([[0], [1], [2], [3]], dtype="int64")
    base_ds = Dataset.from_tensor_slices((x, y)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight={})
    batches = list(adapter.get_numpy_iterator())
    assert len(batches) == 1
    for batch in batches:
        assert len(batch) == 2


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_num_batches
def test_tfdataset_num_batches():
    from fastnn import data as tf_data
    dataset = Dataset.range(42)
    assert int(dataset.cardinality()) == 42
    adapter = tf_dataset_adapter.TFDatasetAdapter(dataset)
    assert adapter.num_batches == 42

    dataset = Dataset.range(42).repeat()
    assert int(dataset.cardinality()) == tf_data.INFINITE_CARDINALITY
    adapter = tf_dataset_adapter.TFDatasetAdapter(dataset)
    assert adapter.num_batches is None

    dataset = dataset.filter(lambda x: True)
    assert int(dataset.cardinality()) == tf_data.UNKNOWN_CARDINALITY
    adapter = tf_dataset_adapter.TFDatasetAdapter(dataset)
    assert adapter.num_batches is None


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_invalid_dataset_type
def test_tfdataset_invalid_dataset_type():
    with pytest.raises(ValueError, match="Expected argument `dataset` to be a tf.data.Dataset"):
        tf_dataset_adapter.TFDatasetAdapter("This is not a tf.data.Dataset")


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weight_and_sample_weight_together
def test_tfdataset_class_weight_and_sample_weight_together():
    x = np.random.random((4, 2))
    y = np.array([[0], [1], [2], [3]], dtype="int64")
    sw = np.array([0.5, 0.5, 0.5, 0.5])
    base_ds = Dataset.from_tensor_slices((x, y, sw)).batch(16)
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at "
                                         "the same time."):
        tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_different_y_shapes_with_class_weight
def test_tfdataset_different_y_shapes_with_class_weight():
    x = np.random.random((4, 2))
    y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype="float32")
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    base_ds = Dataset.from_tensor_slices((x, y)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)
    seen = 0
    for batch in adapter.get_numpy_iterator():
        _, _, bw = batch
        np.testing.assert_allclose(bw, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
        seen += 1
    y_sparse = np.array([0, 1, 2, 3], dtype="int64")
    base_ds = Dataset.from_tensor_slices((x, y_sparse)).batch(16)
    adapter = tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)
    for batch in adapter.get_numpy_iterator():
        _, _, bw = batch
        np.testing.assert_allclose(bw, [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
        seen += 1
    assert seen == 2


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_nested_y_with_class_weight
def test_tfdataset_nested_y_with_class_weight():
    x = np.random.random((4, 2))
    y1 = np.array([0, 1, 2, 3], dtype="int64")
    y2 = np.array([0, 1, 2, 3], dtype="int64")
    base_ds = Dataset.from_tensor_slices((x, (y1, y2))).batch(16)
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    with pytest.raises(ValueError, match="`class_weight` is only supported for Models with a "
                                         "single output."):
        tf_dataset_adapter.TFDatasetAdapter(base_ds, class_weight=class_weight)


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weights_map_fn_with_sample_weight
def test_tfdataset_class_weights_map_fn_with_sample_weight():
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    class_weights_map_fn = tf_dataset_adapter.make_class_weight_map_fn(class_weight)
    x = np.array([[0.5, 0.5], [0.5, 0.5]])
    y = np.array([[1, 0], [0, 1]])
    sw = np.array([1.0, 1.0])
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at "
                                         "the same time."):
        class_weights_map_fn(x, y, sw)


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_class_weights_map_fn_nested_y
def test_tfdataset_class_weights_map_fn_nested_y():
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    class_weights_map_fn = tf_dataset_adapter.make_class_weight_map_fn(class_weight)
    x = np.array([[0.5, 0.5]])
    y1 = np.array([1])
    y2 = np.array([0])
    with pytest.raises(ValueError, match="`class_weight` is only supported for Models with a "
                                         "single output."):
        class_weights_map_fn(x, (y1, y2))


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   test_distribute_dataset, test_distributed_datasets_from_function_adapter_properties,
#   test_distributed_datasets_from_function_model_integration,
#   test_distribute_tf_dataset_multiple_replicas_per_process,
#   test_distribute_tf_dataset_error_not_divisible, test_unknown_batch_size,
#   test_num_model_replicas_one, test_distribute_dataset_sharding_behavior
@pytest.mark.parametrize("name", [
    "test_distribute_dataset", "test_distributed_datasets_from_function_adapter_properties",
    "test_distributed_datasets_from_function_model_integration",
    "test_distribute_tf_dataset_multiple_replicas_per_process",
    "test_distribute_tf_dataset_error_not_divisible", "test_unknown_batch_size",
    "test_num_model_replicas_one", "test_distribute_dataset_sharding_behavior"])
@pytest.mark.skip(reason=DIST + " (tf.distribute)")
def test_tfdataset_distribution(name):
    pass


# keras/src/trainers/data_adapters/tf_dataset_adapter_test.py
#   TestTFDatasetAdapter.test_tf_sparse_tensors
@pytest.mark.skip(reason=SPARSE + " (tf.SparseTensor)")
def test_tfdataset_tf_sparse_tensors():
    pass


# ================================================ keras/src/trainers/epoch_iterator_test.py
# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_basic_flow (iterator / enumerate_epoch)
@pytest.mark.parametrize("call_type", ["iterator", "enumerate_epoch"])
def test_epoch_iterator_basic_flow(call_type):
    x = np.random.random((100, 16))
    y = np.random.random((100, 4))
    sample_weight = np.random.random((100,))
    iterator = epoch_iterator.EpochIterator(x=x, y=y, sample_weight=sample_weight,
                                            batch_size=16, shuffle=True)
    steps_seen = []
    generator = iterator if call_type == "iterator" else iterator.enumerate_epoch()
    for begin_step, end_step, batch in generator:
        batch = batch[0]
        steps_seen.append(begin_step)
        assert begin_step == end_step
        assert len(batch) == 3
        assert isinstance(batch[0], np.ndarray)
    assert steps_seen == [0, 1, 2, 3, 4, 5, 6]


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_insufficient_data
def test_epoch_iterator_insufficient_data():
    batch_size = 8
    steps_per_epoch = 6
    dataset_size = batch_size * (steps_per_epoch - 2)
    x = np.arange(dataset_size).reshape((dataset_size, 1))
    y = x * 2
    iterator = epoch_iterator.EpochIterator(x=x, y=y, batch_size=batch_size,
                                            steps_per_epoch=steps_per_epoch)
    steps_seen = []
    with pytest.warns(match="Your input ran out of data"):
        for step, _, _ in iterator:
            steps_seen.append(step)
    assert len(steps_seen) == steps_per_epoch - 2
    assert isinstance(iterator, epoch_iterator.EpochIterator)


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_unknown_length_input_does_not_warn
def test_epoch_iterator_unknown_length_input_does_not_warn():
    num_batches = 4

    def generator_example():
        for i in range(num_batches):
            yield (np.array([i]), np.array([i * 2]))

    iterator = epoch_iterator.EpochIterator(x=generator_example())
    assert iterator.num_batches is None
    steps_seen = []
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        for step, _, _ in iterator:
            steps_seen.append(step)
    assert len(steps_seen) == num_batches
    assert [w for w in raised if "ran out of data" in str(w.message)] == []


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_unsupported_y_arg_tfdata
def test_epoch_iterator_unsupported_y_arg_tfdata():
    with pytest.raises(ValueError, match="`y` should not be passed"):
        x = Dataset.from_tensor_slices(np.random.random((100, 16)))
        y = np.random.random((100, 4))
        epoch_iterator.EpochIterator(x=x, y=y)


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_unsupported_sample_weights_arg_tfdata
def test_epoch_iterator_unsupported_sample_weights_arg_tfdata():
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        x = Dataset.from_tensor_slices(np.random.random((100, 16)))
        sample_weights = np.random.random((100,))
        epoch_iterator.EpochIterator(x=x, sample_weight=sample_weights)


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_torch_dataloader / test_unsupported_y_arg_torch_dataloader /
#   test_unsupported_sample_weights_arg_torch_dataloader
@pytest.mark.parametrize("name", ["test_torch_dataloader",
                                  "test_unsupported_y_arg_torch_dataloader",
                                  "test_unsupported_sample_weights_arg_torch_dataloader"])
@pytest.mark.skip(reason=NOT_TORCH)
def test_epoch_iterator_torch(name):
    pass


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_python_generator_input
def test_epoch_iterator_python_generator_input():
    def generator_example():
        for i in range(100):
            yield (np.array([i]), np.array([i * 2]))

    epoch_iter = epoch_iterator.EpochIterator(x=generator_example())
    assert isinstance(epoch_iter.data_adapter, data_adapters.GeneratorDataAdapter)


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_unrecognized_data_type
def test_epoch_iterator_unrecognized_data_type():
    with pytest.raises(ValueError, match="Unrecognized data type"):
        epoch_iterator.EpochIterator(x="unsupported_data")


# keras/src/trainers/epoch_iterator_test.py
#   TestEpochIterator.test_epoch_callbacks (infinite / finite)
# (the finite case runs out of data before steps_per_epoch: Keras warns there too)
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
@pytest.mark.parametrize("infinite", [True, False], ids=["infinite", "finite"])
def test_epoch_iterator_epoch_callbacks(infinite):
    class TestPyDataset(data_adapters.py_dataset_adapter.PyDataset):
        def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10,
                     infinite=False):
            super().__init__(workers, use_multiprocessing, max_queue_size)
            self.data = np.random.rand(64, 2)
            self.batch_size = 16
            self.infinite = infinite
            self.tracker = []

        @property
        def num_batches(self):
            if self.infinite:
                return None
            return len(self.data) // self.batch_size

        def on_epoch_begin(self):
            self.tracker.append(1)

        def __getitem__(self, index):
            idx = index % 2
            return self.data[idx * self.batch_size:(idx + 1) * self.batch_size]

        def on_epoch_end(self):
            self.tracker.append(2)

    ds = TestPyDataset(infinite=infinite)
    epoch_iter = epoch_iterator.EpochIterator(x=ds, steps_per_epoch=10)
    num_epochs = 5
    for _ in range(num_epochs):
        for _, _, _ in epoch_iter:
            pass
    assert ds.tracker == [1, 2] * num_epochs


# =============================================================================================
# fastnn's own tests of the adapters (not ported from Keras): what fastnn adds or decides
# (lists of numbers, tensor-like and pandas-like inputs, float_dtype, arrays(), shuffling
# from fastnn's generator, the validation split's floor, errors for strangers).
# =============================================================================================
class _TensorLike:
    """An eager tensor of another framework: only `.numpy()` and `.shape`."""

    def __init__(self, a):
        self._a = np.asarray(a)
        self.shape = self._a.shape

    def numpy(self):
        return self._a


def _fake_pandas(kind, values):
    cls = type(kind, (), {"__module__": "pandas.core.frame" if kind == "DataFrame"
                          else "pandas.core.series",
                          "__init__": lambda self, v: setattr(self, "_v", np.asarray(v)),
                          "to_numpy": lambda self: self._v})
    return cls(values)


def test_own_dispatch_by_input_kind():
    x = np.zeros((6, 2))

    class Seq(data_adapters.PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return x, x

    assert type(data_adapters.get_data_adapter(x, x)) is data_adapters.ArrayDataAdapter
    assert type(data_adapters.get_data_adapter({"a": x}, [x, x])) is \
        data_adapters.ArrayDataAdapter
    assert type(data_adapters.get_data_adapter(iter([(x, x)]))) is \
        data_adapters.GeneratorDataAdapter
    assert type(data_adapters.get_data_adapter(Seq())) is data_adapters.PyDatasetAdapter
    assert type(data_adapters.get_data_adapter(Dataset.from_tensors((x, x)))) is \
        data_adapters.DatasetAdapter
    adapter = data_adapters.get_data_adapter(x)
    assert data_adapters.get_data_adapter(adapter) is adapter
    assert data_adapters.Sequence is data_adapters.PyDataset


@pytest.mark.parametrize("bad", ["abc", 5, 3.5, object(), {1, 2}, range(4)])
def test_own_unrecognized_input_is_type_and_value_error(bad):
    for cls in (TypeError, ValueError):
        with pytest.raises(cls, match="Unrecognized data type: x="):
            data_adapters.get_data_adapter(bad)
    with pytest.raises(ValueError, match="x is required"):
        data_adapters.get_data_adapter(None)


def test_own_lists_tensor_likes_pandas_and_sparse():
    # a (nested) list of numbers is one array
    adapter = data_adapters.get_data_adapter([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 1, 0],
                                             batch_size=2)
    (bx, by), (bx2, by2) = adapter.get_numpy_iterator()
    assert bx.tolist() == [[1.0, 2.0], [3.0, 4.0]] and bx.dtype == np.float32
    assert by.tolist() == [0, 1] and by2.tolist() == [0]
    with pytest.raises(ValueError, match="rectangular"):
        data_adapters.get_data_adapter([[1.0, 2.0], [3.0]])
    # an eager tensor of another framework (`.numpy()`), and an object with __array__
    t = _TensorLike(np.arange(8.0).reshape(4, 2))

    class WithArray:
        def __array__(self, dtype=None, copy=None):
            return np.arange(4)

    adapter = data_adapters.get_data_adapter(t, WithArray(), batch_size=4)
    bx, by = next(iter(adapter.get_numpy_iterator()))
    assert bx.tolist() == np.arange(8.0).reshape(4, 2).tolist() and by.tolist() == [0, 1, 2, 3]
    # pandas (recognised by class, read with .to_numpy(); a Series is one column)
    df = _fake_pandas("DataFrame", np.arange(6.0).reshape(3, 2))
    s = _fake_pandas("Series", np.array([1, 2, 3]))
    adapter = data_adapters.get_data_adapter(df, s, batch_size=3)
    bx, by = next(iter(adapter.get_numpy_iterator()))
    assert bx.shape == (3, 2) and by.shape == (3, 1) and by[:, 0].tolist() == [1, 2, 3]
    # SciPy sparse matrices become dense
    scipy_sparse = pytest.importorskip("scipy.sparse")
    m = scipy_sparse.csr_matrix(np.eye(3))
    bx = next(iter(data_adapters.get_data_adapter(m).get_numpy_iterator()))   # x alone
    assert bx.tolist() == np.eye(3).tolist()


def test_own_scalars_and_bad_parts_named():
    with pytest.raises(ValueError, match="x must be an array of samples"):
        data_adapters.get_data_adapter(np.float64(3.0))
    with pytest.raises(ValueError, match=r"array-like.*y\['b'\]"):
        data_adapters.get_data_adapter(np.zeros((2, 1)), {"a": np.zeros(2), "b": "oops"})
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        data_adapters.get_data_adapter(np.zeros((3, 1)), np.zeros(4))


def test_own_check_data_cardinality_message():
    with pytest.raises(ValueError) as e:
        data_adapter_utils.check_data_cardinality((np.zeros((3, 1)), np.zeros(4), None))
    assert str(e.value) == ("Data cardinality is ambiguous. Make sure all arrays contain the "
                            "same number of samples.'x' sizes: 3\n'y' sizes: 4\n"
                            "'sample_weight' sizes: \n")
    data_adapter_utils.check_data_cardinality((np.zeros((3, 1)), [np.zeros(3)], None))


@pytest.mark.parametrize("name,kwargs", [
    ("batch_size", dict(batch_size=0)), ("batch_size", dict(batch_size=-2)),
    ("batch_size", dict(batch_size=2.5)), ("batch_size", dict(batch_size=True)),
    ("steps_per_epoch", dict(steps_per_epoch=0)), ("shuffle", dict(shuffle="yes")),
    ("shuffle", dict(shuffle=1))])
def test_own_arguments_checked_by_name(name, kwargs):
    with pytest.raises(ValueError, match=name):
        data_adapters.get_data_adapter(np.zeros((4, 1)), np.zeros(4), **kwargs)


def test_own_steps_give_the_batch_size():
    adapter = data_adapters.get_data_adapter(np.zeros((10, 1)), steps_per_epoch=3)
    assert adapter.batch_size == 4 and adapter.num_batches == 3
    assert adapter.partial_batch_size == 2


def test_own_float_dtype():
    x64 = np.arange(6.0).reshape(3, 2)
    y16 = np.ones(3, np.float16)
    a = data_adapters.get_data_adapter(x64, y16)
    assert a.arrays()[0].dtype == np.float32 and a.arrays()[1].dtype == np.float32
    a = data_adapters.get_data_adapter(x64, y16, float_dtype="float64")
    assert a.arrays()[0].dtype == np.float64 and a.arrays()[0] is x64   # no copy
    assert a.arrays()[1].dtype == np.float64
    a = data_adapters.get_data_adapter(x64, np.arange(3), float_dtype=None)
    assert a.arrays()[0] is x64 and a.arrays()[1].dtype == np.arange(3).dtype


def test_own_arrays_for_the_engine():
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    y = np.array([0, 1, 1, 0])
    a = data_adapters.get_data_adapter(x, y, class_weight={0: 2.0, 1: 0.5})
    ax, ay, asw = a.arrays()
    assert ax is x and ay is y and asw.tolist() == [2.0, 0.5, 0.5, 2.0]
    assert data_adapters.get_data_adapter(iter([(x, y)])).arrays() is None
    # a dataset that is exactly from_tensor_slices(...).batch(b) gives its arrays
    ds = Dataset.from_tensor_slices((x, y)).batch(3)
    adapter = data_adapters.get_data_adapter(ds)
    dx, dy, dsw = adapter.arrays()
    assert dx.tolist() == x.tolist() and dy.tolist() == y.tolist() and dsw is None
    assert adapter.source_batch_size == 3 and adapter.batch_size is None
    assert data_adapters.get_data_adapter(ds.prefetch(1)).source_batch_size == 3
    assert data_adapters.get_data_adapter(ds, class_weight={0: 1.0}).arrays() is None
    for other in (Dataset.from_tensor_slices((x, y)).shuffle(4).batch(3),
                  Dataset.from_tensor_slices((x, y)).batch(3, drop_remainder=True),
                  Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b)).batch(3),
                  Dataset.from_tensor_slices((x, y)).take(2).batch(3)):
        assert data_adapters.get_data_adapter(other).arrays() is None
        assert data_adapters.get_data_adapter(other).source_batch_size is None


def test_own_shuffle_draws_as_the_engine_does():
    # shuffle=True takes each epoch's order from fastnn.utils.epoch_orders: the orders
    # the C engine's fit draws, so both paths see the same batches
    n = 50
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    utils.set_random_seed(123)
    a = data_adapters.get_data_adapter(x, batch_size=8, shuffle=True)
    epochs = []
    for _ in range(2):
        a.on_epoch_begin()
        epochs.append(np.concatenate([b[:, 0] for b in a.get_numpy_iterator()]))
        a.on_epoch_end()
    utils.set_random_seed(123)
    expected = utils.epoch_orders(2, n)
    assert epochs[0].astype(int).tolist() == expected[0].tolist()
    assert epochs[1].astype(int).tolist() == expected[1].tolist()
    assert epochs[0].tolist() != epochs[1].tolist()


def test_own_pydataset_shuffle_follows_fastnn_seed():
    class Batches(data_adapters.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return np.full((2, 1), i)

    def order():
        a = data_adapters.get_data_adapter(Batches(), shuffle=True)
        return [int(b[0][0, 0]) for b in a.get_numpy_iterator()]

    utils.set_random_seed(5)
    first = order()
    utils.set_random_seed(5)
    assert order() == first and sorted(first) == list(range(8))


def test_own_pydataset_threads_keep_order_and_arguments_checked():
    class Slow(data_adapters.PyDataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            time.sleep(0.002 * ((i * 7) % 5))        # later batches often finish first
            return np.full((3, 1), i), np.full(3, i)

    a = py_dataset_adapter.PyDatasetAdapter(Slow(workers=4, max_queue_size=3))
    assert [int(b[0][0, 0]) for b in a.get_numpy_iterator()] == list(range(12))
    for bad in (dict(workers=-1), dict(max_queue_size=-1), dict(workers=1.5),
                dict(use_multiprocessing="yes")):
        with pytest.raises(ValueError):
            Slow(**bad)

    class NoSuper(data_adapters.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return np.zeros((1, 1))

    with pytest.warns(UserWarning, match="should call `super\\(\\).__init__"):
        py_dataset_adapter.PyDatasetAdapter(NoSuper())


def test_own_pydataset_bad_batches():
    class Bad(data_adapters.PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return (np.zeros(2),) * 4

    with pytest.raises(ValueError, match="must return a tuple or a dict"):
        list(py_dataset_adapter.PyDatasetAdapter(Bad()).get_numpy_iterator())


def test_own_generators():
    x = np.ones((2, 3))
    # a bare array (or dict) is x alone; lists are tuples
    a = data_adapters.get_data_adapter(iter([x, x]))
    assert [len(b) for b in a.get_numpy_iterator()] == [1, 1]
    a = data_adapters.get_data_adapter(iter([[x, x[:, 0]]]))
    assert [tuple(p.shape for p in b) for b in a.get_numpy_iterator()] == [((2, 3), (2,))]
    a = data_adapters.get_data_adapter(iter([({"a": [[1, 2]]}, [5])]))
    bx, by = next(iter(a.get_numpy_iterator()))
    assert bx["a"].tolist() == [[1, 2]] and by.tolist() == [5]
    with pytest.raises(ValueError, match="1 to 3 parts\\), got a tuple of 4"):
        data_adapters.get_data_adapter(iter([(x, x, x, x)]))
    with pytest.raises(TypeError, match="must yield batches"):
        data_adapters.get_data_adapter(iter(["text"]))
    with pytest.raises(ValueError, match="not supported for Python generator"):
        data_adapters.get_data_adapter(iter([(x, x)]), class_weight={0: 1.0})
    with pytest.warns(UserWarning, match="will be ignored"):
        data_adapters.get_data_adapter(iter([(x, x)]), shuffle=True)

    # read once: a second pass continues where the first stopped
    def gen():
        for i in range(4):
            yield np.full((1, 1), i)

    a = data_adapters.get_data_adapter(gen())
    it = a.get_numpy_iterator()
    assert [int(next(it)[0][0, 0]) for _ in range(3)] == [0, 1, 2]
    assert [int(b[0][0, 0]) for b in a.get_numpy_iterator()] == [3]
    assert list(a.get_numpy_iterator()) == []


def test_own_dataset_inputs():
    x, y = np.zeros((5, 2)), np.arange(5)
    ds = Dataset.from_tensor_slices((x, y)).batch(2)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        data_adapters.get_data_adapter(ds, y)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        data_adapters.get_data_adapter(ds, sample_weight=y)
    with pytest.warns(UserWarning, match="shuffle=True"):
        data_adapters.get_data_adapter(ds, shuffle=True)
    with pytest.raises(ValueError, match="class_weight needs targets"):
        data_adapters.get_data_adapter(Dataset.from_tensor_slices(x).batch(2),
                                       class_weight={0: 1.0})
    a = data_adapters.get_data_adapter(Dataset.from_tensor_slices((x, y)).batch(
        2, drop_remainder=True))
    assert a.batch_size == 2 and a.num_batches == 2
    a = data_adapters.get_data_adapter(Dataset.from_tensor_slices({"a": x}).batch(2))
    assert [b["a"].shape for b in a.get_numpy_iterator()] == [(2, 2), (2, 2), (1, 2)]


def test_own_class_weight_checks():
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match=r"class_weight\[1\]"):
        class_weight_to_sample_weights(y, {0: 1.0, 1: -1.0})
    with pytest.raises(ValueError, match="finite"):
        class_weight_to_sample_weights(y, {0: float("nan")})
    with pytest.raises(ValueError, match="finite labels"):
        class_weight_to_sample_weights(np.array([0.0, np.nan]), {0: 1.0})
    with pytest.raises(ValueError, match="one label per sample"):
        class_weight_to_sample_weights(np.zeros((2, 3, 4)), {0: 1.0})
    with pytest.raises(ValueError, match="integer keys"):
        class_weight_to_sample_weights(y, {True: 1.0})
    with pytest.raises(ValueError, match="class_weight needs targets"):
        data_adapters.get_data_adapter(np.zeros((3, 1)), class_weight={0: 1.0})
    # binary probabilities round to their class, as Keras does
    np.testing.assert_allclose(class_weight_to_sample_weights(np.array([[0.2], [0.7]]),
                                                              {0: 1.0, 1: 3.0}), [1.0, 3.0])


def test_own_pack_and_unpack():
    x, y, sw = np.zeros(2), np.ones(2), np.full(2, 2.0)
    assert data_adapter_utils.pack_x_y_sample_weight(x) is x
    packed = data_adapter_utils.pack_x_y_sample_weight((x, y))
    assert isinstance(packed, tuple) and len(packed) == 1       # x was a tuple: (x,)
    assert data_adapter_utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert data_adapter_utils.pack_x_y_sample_weight(x, y, sw) == (x, y, sw)
    assert data_adapter_utils.unpack_x_y_sample_weight(x) == (x, None, None)
    assert data_adapter_utils.unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert data_adapter_utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert data_adapter_utils.unpack_x_y_sample_weight((x, y, sw)) == (x, y, sw)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        data_adapter_utils.unpack_x_y_sample_weight((x, y, sw, sw))


def test_own_train_validation_split_floor():
    x = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    (tx, ty, tsw), (vx, vy, vsw) = data_adapters.train_validation_split((x, y, None), 0.25)
    # Keras: split_at = floor(10 * 0.75) = 7 train, 3 validate (ceil would keep 8 and 2)
    assert tx.shape == (7, 2) and vx.shape == (3, 2)
    assert ty.tolist() == list(range(7)) and vy.tolist() == [7, 8, 9]
    assert tsw is None and vsw is None
    assert np.shares_memory(tx, x) and np.shares_memory(vx, x)      # views, no copy
    (t2,), (v2,) = data_adapters.train_validation_split((list(range(9)),), 0.5)
    assert t2.tolist() == [0, 1, 2, 3] and v2.tolist() == [4, 5, 6, 7, 8]   # floor(4.5)
    (tr, _), (va, _) = data_adapters.train_validation_split(
        ({"a": x, "b": [x, x]}, y), 0.1)
    assert tr["b"][1].shape == (9, 2) and va["a"].shape == (1, 2)
    with pytest.raises(ValueError, match="not sufficient to split it"):
        data_adapters.train_validation_split((x[:1],), 0.5)
    for bad in (0.0, 1.0, -0.1, True, "0.2"):
        with pytest.raises(ValueError, match="validation_split"):
            data_adapters.train_validation_split((x,), bad)
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays"):
        data_adapters.train_validation_split((x, iter([1])), 0.5)
    assert data_adapters.train_validation_split((None, None), 0.5) == ((None, None),
                                                                       (None, None))


def test_own_epoch_iterator_carries_an_infinite_generator_across_epochs():
    def endless():
        i = 0
        while True:
            yield (np.full((1, 1), i),)
            i += 1

    it = epoch_iterator.EpochIterator(endless(), steps_per_epoch=3)
    seen = []
    for _ in range(2):
        for _, _, batches in it:
            seen.append(int(batches[0][0][0, 0]))
    assert seen == [0, 1, 2, 3, 4, 5] and it.num_batches == 3

    def four():
        for i in range(4):
            yield (np.full((1, 1), i),)

    it = epoch_iterator.EpochIterator(four())
    assert sum(1 for _ in it) == 4 and it.num_batches == 4   # the size, once learnt
