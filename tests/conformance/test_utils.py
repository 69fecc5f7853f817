"""Keras 3's `keras/src/utils/numerical_utils_test.py` and
`keras/src/utils/summary_utils_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`, with the
parameters of a parameterised case). Imports are adapted (`keras.src.utils.
numerical_utils` -> `fastnn.utils`; `keras.src.backend.convert_to_tensor` /
`is_tensor` / `convert_to_numpy` -> `fastnn.ops`' functions of those names;
`backend.random.uniform` -> `fastnn.random.uniform`); `testing.TestCase` assertions
become plain pytest / NumPy ones with Keras' tolerances (`assertAllClose`: atol = rtol =
1e-6). `summary_utils.print_summary(model, ...)` (a Keras-internal function) is its
public form, `model.summary(...)`, which calls it in Keras.

Left out:

| Keras test | reason |
|---|---|
| numerical_utils_test::test_build_pos_neg_masks | `build_pos_neg_masks` is a Keras-internal helper of its contrastive losses, not in `keras.utils`; fastnn has neither |
| summary_utils_test::test_print_model_summary_with_mha | `MultiHeadAttention`: attention layers are not in fastnn (docs/DIFFERENCES.md) |
"""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models, ops
from fastnn import utils as numerical_utils

SRC = ("keras/src/utils/numerical_utils_test.py", "keras/src/utils/summary_utils_test.py")

NUM_CLASSES = 5


def assert_all_close(actual, desired, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), atol=atol, rtol=rtol)


# Keras: keras/src/utils/numerical_utils_test.py::TestNumericalUtils::test_to_categorical
# (the six shapes)
@pytest.mark.parametrize("shape,expected_shape", [
    ((1,), (1, NUM_CLASSES)),
    ((3,), (3, NUM_CLASSES)),
    ((4, 3), (4, 3, NUM_CLASSES)),
    ((5, 4, 3), (5, 4, 3, NUM_CLASSES)),
    ((3, 1), (3, NUM_CLASSES)),
    ((3, 2, 1), (3, 2, NUM_CLASSES)),
])
def test_to_categorical(shape, expected_shape):
    label = np.random.randint(0, NUM_CLASSES, shape)
    one_hot = numerical_utils.to_categorical(label, NUM_CLASSES)
    # Check shape
    assert one_hot.shape == expected_shape
    # Make sure there is only one 1 in a row
    assert np.all(one_hot.sum(axis=-1) == 1)
    # Get original labels back from one hots
    assert np.all(np.argmax(one_hot, -1).reshape(label.shape) == label)


# Keras: keras/src/utils/numerical_utils_test.py::TestNumericalUtils::test_to_categorical_without_num_classes
def test_to_categorical_without_num_classes():
    label = [0, 2, 5]
    one_hot = numerical_utils.to_categorical(label)
    assert one_hot.shape == (3, 5 + 1)


# Keras: keras/src/utils/numerical_utils_test.py::TestNumericalUtils::test_to_categorical_with_backend_tensor
def test_to_categorical_with_backend_tensor():
    label = ops.convert_to_tensor(np.array([0, 2, 1, 3, 4]))
    expected = ops.convert_to_tensor(
        np.array(
            [
                [1, 0, 0, 0, 0],
                [0, 0, 1, 0, 0],
                [0, 1, 0, 0, 0],
                [0, 0, 0, 1, 0],
                [0, 0, 0, 0, 1],
            ]
        )
    )
    one_hot = numerical_utils.to_categorical(label, NUM_CLASSES)
    assert ops.is_tensor(one_hot)
    assert_all_close(one_hot, expected)


# Keras: keras/src/utils/numerical_utils_test.py::TestNumericalUtils::test_normalize (1, 2, 3)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_normalize(order):
    xb = fastnn.random.uniform((3, 3), seed=1337)
    xnp = ops.convert_to_numpy(xb)

    # Expected result
    l2 = np.atleast_1d(np.linalg.norm(xnp, order, axis=-1))
    l2[l2 == 0] = 1
    expected = xnp / np.expand_dims(l2, axis=-1)

    # Test NumPy
    out = numerical_utils.normalize(xnp, axis=-1, order=order)
    assert isinstance(out, np.ndarray)
    assert_all_close(out, expected)

    # Test backend
    out = numerical_utils.normalize(xb, axis=-1, order=order)
    assert ops.is_tensor(out)
    assert_all_close(ops.convert_to_numpy(out), expected)


# Keras: keras/src/utils/numerical_utils_test.py::TestNumericalUtils::test_normalize_numpy_axis_zero
def test_normalize_numpy_axis_zero():
    x = np.array(
        [
            [3.0, 0.0, 12.0],
            [4.0, 5.0, 0.0],
        ]
    )

    expected = np.array(
        [
            [0.6, 0.0, 1.0],
            [0.8, 1.0, 0.0],
        ]
    )

    out = numerical_utils.normalize(x, axis=0)

    assert isinstance(out, np.ndarray)
    assert out.shape == x.shape
    assert_all_close(out, expected)


# Keras: keras/src/utils/summary_utils_test.py::SummaryUtilsTest::test_print_model_summary
# (adam, None)
@pytest.mark.parametrize("optimizer", ["adam", None])
def test_print_model_summary(optimizer):
    inputs = layers.Input((2,))
    outputs = layers.Dense(3)(inputs)
    model = models.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mse"])
    if optimizer:
        # Trigger the optimizer weights creation
        model.fit(x=np.zeros([4, 2]), y=np.zeros([4, 3]))

    summary_content = []

    def print_to_variable(text, line_break=False):
        summary_content.append(text)

    try:
        model.summary(print_fn=print_to_variable)
        summary_content = "\n".join(summary_content)
        if optimizer:
            assert "Total params: 29" in summary_content
            assert "Trainable params: 9" in summary_content
            assert "Non-trainable params: 0" in summary_content
            assert "Optimizer params: 20" in summary_content
        else:
            assert "Total params: 9" in summary_content
            assert "Trainable params: 9" in summary_content
            assert "Non-trainable params: 0" in summary_content
            assert "Optimizer params" not in summary_content
    except ImportError:
        pass


# Keras: keras/src/utils/summary_utils_test.py::SummaryUtilsTest::test_print_model_summary_custom_build
def test_print_model_summary_custom_build():
    class MyModel(models.Model):
        def __init__(self):
            super().__init__()
            self.dense1 = layers.Dense(4, activation="relu")
            self.dense2 = layers.Dense(2, activation="softmax")
            self.unbuilt_dense = layers.Dense(1)

        def build(self, input_shape):
            self.dense1.build(input_shape)
            input_shape = self.dense1.compute_output_shape(input_shape)
            self.dense2.build(input_shape)

        def call(self, inputs):
            x = self.dense1(inputs)
            return self.dense2(x)

    model = MyModel()
    model.build((None, 2))

    summary_content = []

    def print_to_variable(text, line_break=False):
        summary_content.append(text)

    model.summary(print_fn=print_to_variable)
    summary_content = "\n".join(summary_content)
    assert "(None, 4)" in summary_content  # dense1
    assert "(None, 2)" in summary_content  # dense2
    assert "?" in summary_content  # unbuilt_dense
    assert "Total params: 22" in summary_content
    assert "Trainable params: 22" in summary_content
    assert "Non-trainable params: 0" in summary_content


# Keras: keras/src/utils/summary_utils_test.py::SummaryUtilsTest::test_print_model_summary_op_as_layer
def test_print_model_summary_op_as_layer():
    inputs = layers.Input((2,))
    x = layers.Dense(4)(inputs)
    outputs = ops.mean(x)
    model = models.Model(inputs, outputs)

    summary_content = []

    def print_to_variable(text, line_break=False):
        summary_content.append(text)

    model.summary(print_fn=print_to_variable, show_trainable=True)
    summary_content = "\n".join(summary_content)
    assert "(None, 4)" in summary_content  # dense
    assert "Y" in summary_content  # dense
    assert "()" in summary_content  # mean
    assert "-" in summary_content  # mean
    assert "Total params: 12" in summary_content
    assert "Trainable params: 12" in summary_content
    assert "Non-trainable params: 0" in summary_content


# Keras: keras/src/utils/summary_utils_test.py::SummaryUtilsTest::test_print_model_summary_dict_output
def test_print_model_summary_dict_output():
    """model.summary() should not crash when a layer returns a dict."""

    class DictHead(layers.Layer):
        def __init__(self):
            super().__init__()
            self.head1 = layers.Dense(10)

        def call(self, x):
            return {"head1": self.head1(x)}

        def compute_output_shape(self, input_shape):
            return {"head1": self.head1.compute_output_shape(input_shape)}

    class MyModel(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(32)
            self.dict_head = DictHead()

        def call(self, x):
            return self.dict_head(self.dense(x))

    model = MyModel()
    model(np.zeros((1, 16)))

    summary_content = []

    def print_to_variable(text, line_break=False):
        summary_content.append(text)

    model.summary(print_fn=print_to_variable)
    summary_content = "\n".join(summary_content)
    assert "(1, 10)" in summary_content  # dict_head
