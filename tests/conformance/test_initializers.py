"""Keras 3's `keras/src/initializers/constant_initializers_test.py` and
`keras/src/initializers/random_initializers_test.py`, ported to fastnn.

The test bodies are Keras' own, with three kinds of change. `testing.TestCase` becomes the
shim of `config_testing.py`, with Keras' tolerances and a config round trip for
`run_class_serialization_test`. `backend.convert_to_numpy` becomes
numpy.asarray. Where fastnn words an error differently, the pattern is fastnn's. Each test
names its source (`# Keras: <file>::<test>`).

Not ported, and why:
- the STFT initializer: it is for STFT convolution kernels, and fastnn has no
  convolution layers;
- seeds given as a `keras.random.SeedGenerator`: fastnn's initializers take an int seed
  or None (docs/DIFFERENCES.md);
- the MultiHeadAttention kernel's variance: fastnn has no MultiHeadAttention.
"""
import numpy as np
import pytest

from fastnn import initializers, utils
from fastnn.initializers import _fans
from tests.conformance import config_testing


class backend:                                 # noqa: N801 (Keras' module name)
    convert_to_numpy = staticmethod(np.asarray)


def compute_fans(shape, input_axes=None, output_axes=None):
    """Keras' compute_fans, through VarianceScaling's fans (the function fastnn uses)."""
    init = initializers.VarianceScaling(input_axes=input_axes, output_axes=output_axes)
    if input_axes is not None and output_axes is not None:
        from fastnn.initializers import _axes_size
        return (_axes_size("compute_fans", "input_axes", init.input_axes, shape),
                _axes_size("compute_fans", "output_axes", init.output_axes, shape))
    return _fans(shape)


class _TestCase(config_testing.TestCase):
    module = initializers


class ConstantInitializersTest(_TestCase):
    def test_zeros_initializer(self):
        # Keras: keras/src/initializers/constant_initializers_test.py::test_zeros_initializer
        shape = (3, 3)

        initializer = initializers.Zeros()
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        np_values = backend.convert_to_numpy(values)
        self.assertAllClose(np_values, np.zeros(shape=shape))

        self.run_class_serialization_test(initializer)

    def test_ones_initializer(self):
        # Keras: keras/src/initializers/constant_initializers_test.py::test_ones_initializer
        shape = (3, 3)

        initializer = initializers.Ones()
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        np_values = backend.convert_to_numpy(values)
        self.assertAllClose(np_values, np.ones(shape=shape))

        self.run_class_serialization_test(initializer)

    def test_constant_initializer(self):
        # Keras: keras/src/initializers/constant_initializers_test.py::test_constant_initializer
        shape = (3, 3)
        constant_value = 6.0

        initializer = initializers.Constant(value=constant_value)
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        np_values = backend.convert_to_numpy(values)
        self.assertAllClose(
            np_values, np.full(shape=shape, fill_value=constant_value)
        )

        self.run_class_serialization_test(initializer)

    def test_constant_initializer_array_value(self):
        # Keras: keras/src/initializers/constant_initializers_test.py::test_constant_initializer_array_value
        shape = (3, 3)
        constant_value = np.random.random((3, 3))

        initializer = initializers.Constant(value=constant_value)
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        np_values = backend.convert_to_numpy(values)
        self.assertAllClose(
            np_values, np.full(shape=shape, fill_value=constant_value)
        )

        self.run_class_serialization_test(initializer)

    def test_identity_initializer(self):
        # Keras: keras/src/initializers/constant_initializers_test.py::test_identity_initializer
        shape = (3, 3)
        gain = 2

        initializer = initializers.Identity(gain=gain)
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        np_values = backend.convert_to_numpy(values)
        self.assertAllClose(np_values, np.eye(*shape) * gain)

        self.run_class_serialization_test(initializer)

        # Test compatible class_name
        initializer = initializers.get("IdentityInitializer")
        self.assertIsInstance(initializer, initializers.Identity)


class RandomInitializersTest(_TestCase):
    def test_random_normal(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_random_normal
        # (the parts with a SeedGenerator left out: see the module's docstring)
        utils.set_random_seed(1337)
        shape = (25, 20)
        mean = 0.0
        stddev = 1.0
        seed = 1234
        initializer = initializers.RandomNormal(
            mean=mean, stddev=stddev, seed=seed
        )
        values = initializer(shape=shape)
        self.assertEqual(initializer.mean, mean)
        self.assertEqual(initializer.stddev, stddev)
        self.assertEqual(initializer.seed, seed)
        self.assertEqual(values.shape, shape)
        self.assertAllClose(
            np.std(backend.convert_to_numpy(values)), stddev, atol=1e-1
        )

        self.run_class_serialization_test(initializer)

        # Test that a fixed seed yields the same results each call.
        initializer = initializers.RandomNormal(
            mean=mean, stddev=stddev, seed=1337
        )
        values = initializer(shape=shape)
        next_values = initializer(shape=shape)
        self.assertAllClose(values, next_values)

        # Test that unseeded generator gets different results after cloning
        initializer = initializers.RandomNormal(
            mean=mean, stddev=stddev, seed=None
        )
        values = initializer(shape=shape)
        cloned_initializer = initializers.RandomNormal.from_config(
            initializer.get_config()
        )
        new_values = cloned_initializer(shape=shape)
        self.assertNotAllClose(values, new_values)

        # Test that seeded generator gets same results after cloning
        initializer = initializers.RandomNormal(
            mean=mean, stddev=stddev, seed=1337
        )
        values = initializer(shape=shape)
        cloned_initializer = initializers.RandomNormal.from_config(
            initializer.get_config()
        )
        new_values = cloned_initializer(shape=shape)
        self.assertAllClose(values, new_values)

    def test_random_uniform(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_random_uniform
        shape = (5, 5)
        minval = -1.0
        maxval = 1.0
        seed = 1234
        initializer = initializers.RandomUniform(
            minval=minval, maxval=maxval, seed=seed
        )
        values = initializer(shape=shape)
        self.assertEqual(initializer.minval, minval)
        self.assertEqual(initializer.maxval, maxval)
        self.assertEqual(initializer.seed, seed)
        self.assertEqual(values.shape, shape)
        values = backend.convert_to_numpy(values)
        self.assertGreaterEqual(np.min(values), minval)
        self.assertLess(np.max(values), maxval)

        self.run_class_serialization_test(initializer)

    def test_variance_scaling(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling
        utils.set_random_seed(1337)
        shape = (25, 20)
        scale = 2.0
        seed = 1234
        initializer = initializers.VarianceScaling(
            scale=scale, seed=seed, mode="fan_in"
        )
        values = initializer(shape=shape)
        self.assertEqual(initializer.scale, scale)
        self.assertEqual(initializer.seed, seed)
        self.assertEqual(values.shape, shape)
        self.assertAllClose(
            np.std(backend.convert_to_numpy(values)),
            np.sqrt(scale / 25),
            atol=1e-1,
        )
        self.run_class_serialization_test(initializer)

        initializer = initializers.VarianceScaling(
            scale=scale, seed=seed, mode="fan_out"
        )
        values = initializer(shape=shape)
        self.assertEqual(initializer.scale, scale)
        self.assertEqual(initializer.seed, seed)
        self.assertEqual(values.shape, shape)
        self.assertAllClose(
            np.std(backend.convert_to_numpy(values)),
            np.sqrt(scale / 20),
            atol=1e-1,
        )
        self.run_class_serialization_test(initializer)

    def test_orthogonal(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_orthogonal
        shape = (5, 5)
        gain = 2.0
        seed = 1234
        initializer = initializers.Orthogonal(gain=gain, seed=seed)
        values = initializer(shape=shape)
        self.assertEqual(initializer.seed, seed)
        self.assertEqual(initializer.gain, gain)

        self.assertEqual(values.shape, shape)
        array = backend.convert_to_numpy(values)
        # Making sure that the columns have gain * unit norm value
        for column in array.T:
            self.assertAlmostEqual(np.linalg.norm(column), gain * 1.0)

        # Making sure that each column is orthonormal to the other column
        for i in range(array.shape[-1]):
            for j in range(i + 1, array.shape[-1]):
                self.assertAlmostEqual(
                    np.dot(array[..., i], array[..., j]), 0.0
                )

        self.run_class_serialization_test(initializer)

        # Test compatible class_name
        initializer = initializers.get("OrthogonalInitializer")
        self.assertIsInstance(initializer, initializers.Orthogonal)

    def test_get_method(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_get_method
        obj = initializers.get("glorot_normal")
        self.assertTrue(obj, initializers.GlorotNormal)

        obj = initializers.get(None)
        self.assertEqual(obj, None)

        with self.assertRaises(ValueError):
            initializers.get("typo")

    def test_get_method_with_tensor(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_get_method_with_tensor
        # (a fastnn array stands for the backend tensor)
        shape = (5, 5)

        # Test backend tensor
        tensor = initializers.RandomUniform()(shape)
        initializer = initializers.get(tensor)
        values = initializer(shape=shape)
        self.assertAllClose(values, tensor)

        # Test numpy array
        tensor = np.random.uniform(size=shape).astype("float32")
        initializer = initializers.get(tensor)
        values = initializer(shape=shape)
        self.assertAllClose(values, tensor)

        # Test bad `shape` argument
        with self.assertRaisesRegex(ValueError, r"Expected `shape` to be"):
            initializer(shape=(10, 10))

    def test_variance_scaling_invalid_scale(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling_invalid_scale
        seed = 1234

        with self.assertRaisesRegex(ValueError, "VarianceScaling: scale must be"):
            initializers.VarianceScaling(scale=-1.0, seed=seed, mode="fan_in")

    def test_variance_scaling_invalid_mode(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling_invalid_mode
        scale = 2.0
        seed = 1234

        with self.assertRaisesRegex(ValueError, "VarianceScaling: mode must be"):
            initializers.VarianceScaling(
                scale=scale, seed=seed, mode="invalid_mode"
            )

    def test_variance_scaling_invalid_distribution(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling_invalid_distribution
        scale = 2.0
        seed = 1234

        with self.assertRaisesRegex(ValueError, "VarianceScaling: distribution must be"):
            initializers.VarianceScaling(
                scale=scale,
                seed=seed,
                mode="fan_in",
                distribution="invalid_dist",
            )

    def test_compute_fans_with_axes(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_compute_fans_with_axes
        shape = (512, 8, 64)

        # Test with explicit axes (e.g. Query projection)
        fan_in, fan_out = compute_fans(
            shape, input_axes=[0], output_axes=[1, 2]
        )
        self.assertEqual(fan_in, 512)
        self.assertEqual(fan_out, 512)

        # Test with another combination (e.g. Output projection)
        fan_in, fan_out = compute_fans(
            shape, input_axes=[0, 1], output_axes=[2]
        )
        self.assertEqual(fan_in, 512 * 8)
        self.assertEqual(fan_out, 64)

    def test_variance_scaling_with_axes(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling_with_axes
        utils.set_random_seed(1337)
        shape = (32, 4, 16)
        scale = 2.0
        seed = 1234

        # Testing standard deviation with given axes
        initializer = initializers.VarianceScaling(
            scale=scale,
            seed=seed,
            mode="fan_in",
            input_axes=[0],
            output_axes=[1, 2],
        )
        values = initializer(shape=shape)
        self.assertEqual(values.shape, shape)
        self.assertAllClose(
            np.std(backend.convert_to_numpy(values)),
            np.sqrt(scale / 32),
            atol=1e-1,
        )

        # Test output standard deviation without axes
        initializer = initializers.VarianceScaling(
            scale=scale, seed=seed, mode="fan_in"
        )
        values = initializer(shape=shape)
        self.assertAllClose(
            np.std(backend.convert_to_numpy(values)),
            np.sqrt(scale / 128),
            atol=1e-1,
        )

    def test_variance_scaling_serialization_with_axes(self):
        # Keras: keras/src/initializers/random_initializers_test.py::test_variance_scaling_serialization_with_axes
        initializer = initializers.VarianceScaling(
            input_axes=[0], output_axes=[1, 2]
        )
        self.run_class_serialization_test(initializer)


# fastnn's own checks of what the ported tests touch -------------------------------

@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (2, 3, 5), (5, 1)])
def test_orthogonal_is_orthonormal_on_the_smaller_side(shape):
    values = initializers.Orthogonal(seed=0)(shape, "float64")
    m = values.reshape(-1, shape[-1])
    small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(small, np.eye(len(small)), atol=1e-12)


def test_initializer_classes_are_instantiated_as_keras_does():
    from fastnn import layers
    dense = layers.Dense(3, kernel_initializer=initializers.Identity,
                         bias_initializer=initializers.Ones)
    dense.build((None, 3))
    np.testing.assert_array_equal(dense.kernel, np.eye(3))
    np.testing.assert_array_equal(dense.bias, np.ones(3))


def test_identity_and_orthogonal_refuse_shapes_they_cannot_fill():
    with pytest.raises(ValueError, match=r"Identity: shape must be 2-D"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match=r"Orthogonal: shape must have at least 2 axes"):
        initializers.Orthogonal()((4,))
    with pytest.raises(ValueError, match=r"Constant: value of shape \(3,\) does not broadcast"):
        initializers.Constant(np.ones(3))((2, 2))
    with pytest.raises(ValueError, match=r"VarianceScaling: input_axes holds axis 3"):
        initializers.VarianceScaling(input_axes=[3], output_axes=[0])((2, 2))


@pytest.mark.parametrize("name", ["identity", "orthogonal", "Identity", "Orthogonal"])
def test_new_initializers_train_in_a_saved_model(tmp_path, name):
    import fastnn as keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, kernel_initializer=name),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((16, 4), dtype=np.float32)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(again.layers[0].kernel_initializer) is type(model.layers[0].kernel_initializer)


def test_keras_snake_case_names_and_deserialize():
    """keras.initializers.he_normal(seed=1), keras.initializers.deserialize, and the
    compatibility class names, as Keras' initializers module has them."""
    for name, cls in (("constant", initializers.Constant), ("identity", initializers.Identity),
                      ("orthogonal", initializers.Orthogonal),
                      ("he_normal", initializers.HeNormal),
                      ("glorot_uniform", initializers.GlorotUniform),
                      ("variance_scaling", initializers.VarianceScaling),
                      ("IdentityInitializer", initializers.Identity),
                      ("OrthogonalInitializer", initializers.Orthogonal)):
        assert getattr(initializers, name) is cls
    np.testing.assert_array_equal(initializers.he_normal(seed=1)((3, 2)),
                                  initializers.HeNormal(seed=1)((3, 2)))
    again = initializers.deserialize({"class_name": "OrthogonalInitializer",
                                      "config": {"gain": 2.0, "seed": 3}})
    assert type(again) is initializers.Orthogonal and again.gain == 2.0
    assert type(initializers.get({"class_name": "IdentityInitializer", "config": {}})) \
        is initializers.Identity
    with pytest.raises(ValueError):
        initializers.deserialize({"class_name": "NoSuchInitializer", "config": {}})
