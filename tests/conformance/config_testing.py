"""What Keras' initializer and regularizer tests use from `keras.src.testing.TestCase`, on
unittest: assertAllClose (atol = rtol = 1e-6), assertAlmostEqual (3 decimals) and
assertNotAllClose keep Keras' tolerances; run_class_serialization_test round-trips an
object's config through JSON, its class's from_config, and its module's serialize and
get (the subclass names the module)."""
import json
import unittest

import numpy as np


class TestCase(unittest.TestCase):
    module = None        # fastnn.initializers, fastnn.regularizers, ...

    def assertAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None):
        np.testing.assert_allclose(np.asarray(x1), np.asarray(x2), atol=atol, rtol=rtol,
                                   err_msg=msg or "")

    def assertAlmostEqual(self, actual, desired, decimal=3, msg=None):
        np.testing.assert_almost_equal(actual, desired, decimal=decimal, err_msg=msg or "")

    def assertNotAllClose(self, x1, x2, atol=1e-6, rtol=1e-6):
        self.assertFalse(np.allclose(np.asarray(x1), np.asarray(x2), atol=atol, rtol=rtol))

    def run_class_serialization_test(self, instance):
        cls = type(instance)
        config = instance.get_config()
        json.dumps(config)
        revived = cls.from_config(config)
        self.assertEqual(revived.get_config(), config)
        again = self.module.get(json.loads(json.dumps(self.module.serialize(instance))))
        self.assertIs(type(again), cls)
        self.assertEqual(again.get_config(), config)
