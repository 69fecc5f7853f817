"""A small port of what Keras' metric tests use from `keras.src.testing.TestCase` and
`absl.testing.parameterized`, so that `keras/src/metrics/*_test.py` read as in Keras:
test classes are plain pytest classes (renamed `Test<Keras class>`), `parameters` /
`named_parameters` become `pytest.mark.parametrize`. Tolerances are Keras':
assertAllClose atol = rtol = 1e-6, assertAlmostEqual 3 decimals."""
import inspect
import re

import numpy as np
import pytest

from fastnn import metrics


class TestCase:
    def assertEqual(self, a, b, msg=None):
        assert a == b, msg or f"{a!r} != {b!r}"

    def assertNotEqual(self, a, b, msg=None):
        assert a != b, msg

    def assertTrue(self, x, msg=None):
        assert x, msg

    def assertFalse(self, x, msg=None):
        assert not x, msg

    def assertIn(self, a, b, msg=None):
        assert a in b, msg

    def assertNotIn(self, a, b, msg=None):
        assert a not in b, msg

    def assertLen(self, x, n, msg=None):
        assert len(x) == n, msg

    def assertAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None):
        np.testing.assert_allclose(np.asarray(x1, np.float64), np.asarray(x2, np.float64),
                                   atol=atol, rtol=rtol, err_msg=msg or "")

    def assertAlmostEqual(self, x1, x2, decimal=3, msg=None):
        np.testing.assert_almost_equal(np.asarray(x1, np.float64),
                                       np.asarray(x2, np.float64), decimal=decimal,
                                       err_msg=msg or "")

    def assertRaisesRegex(self, exc, regex):
        return pytest.raises(exc, match=regex)

    def assertRaises(self, exc):
        return pytest.raises(exc)

    def run_class_serialization_test(self, instance, custom_objects=None):
        """Keras' check: get_config -> from_config gives the same config, and
        serialize -> deserialize (fastnn: metrics.serialize / metrics.get) too."""
        cls = type(instance)
        config = instance.get_config()
        revived = cls.from_config(config)
        assert type(revived) is cls
        assert revived.get_config() == config
        again = metrics.get(metrics.serialize(instance))
        assert type(again) is cls
        assert again.get_config() == config


def _parametrize(fn, cases, named):
    names = [p for p in inspect.signature(fn).parameters if p != "self"]
    rows, ids = [], []
    for i, case in enumerate(cases):
        if isinstance(case, dict):
            case = dict(case)
            ids.append(str(case.pop("testcase_name", i)))
            rows.append(tuple(case[n] for n in names))
        else:
            case = tuple(case) if isinstance(case, (tuple, list)) else (case,)
            if named:
                ids.append(str(case[0]))
                case = case[1:]
            else:
                ids.append("-".join(re.sub(r"\W+", "_", repr(c))[:20] for c in case))
            rows.append(case)
    if len(names) == 1:
        rows = [r[0] for r in rows]
    return pytest.mark.parametrize(",".join(names), rows, ids=ids)(fn)


class parameterized:
    @staticmethod
    def parameters(*cases):
        if len(cases) == 1 and isinstance(cases[0], (list, tuple)) and cases[0] and \
                isinstance(cases[0][0], (dict, tuple)):
            cases = cases[0]
        return lambda fn: _parametrize(fn, cases, named=False)

    @staticmethod
    def named_parameters(*cases):
        if len(cases) == 1 and isinstance(cases[0], (list, tuple)) and cases[0] and \
                isinstance(cases[0][0], (dict, tuple)):
            cases = cases[0]
        return lambda fn: _parametrize(fn, cases, named=True)
