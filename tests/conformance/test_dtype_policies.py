"""Keras 3's tests of dtype policies, ported to fastnn.mixed_precision.

Sources: keras-team/keras, `keras/src/dtype_policies/dtype_policy_test.py` (classes
DTypePolicyTest, DTypePolicyGlobalFunctionsTest, DTypePolicyEdgeCasesTest,
DTypePolicyGlobalFunctionsEdgeCasesTest) and `keras/src/layers/layer_test.py`
(test_mixed_precision, test_dtype_policy_setter). Each test names its source test.

Deliberate differences (docs/DIFFERENCES.md):

- fastnn runs the policies 'float32', 'float64' and 'mixed_bfloat16'. It refuses
  'float16' and 'mixed_float16' (no float16 kernels), 'bfloat16' (NumPy has no bfloat16
  array type to hold bfloat16 weights) and integer policies such as 'uint8' (layers
  compute in floats). Keras' tests that use 'mixed_float16' merely as *an* example of a
  mixed policy (repr, configs, serialization, the global setter) run here with
  'mixed_bfloat16'; the tests about float16 or bfloat16 themselves assert the refusal.
- Error messages are fastnn's (they name the argument, what was expected and what was
  given); the tests match them instead of Keras' wording.
- A layer's outputs under mixed_bfloat16 are float32 arrays (Keras': bfloat16 tensors).

Not ported: the quantized policies (QuantizedDTypePolicyTest, QuantizedFloat8, Int4,
GPTQ, AWQ: fastnn has no quantization) and DTypePolicyMap (dtype_policy_map_test.py).
"""
import copy
import pickle

import numpy as np
import pytest

from fastnn import layers, mixed_precision
from fastnn.mixed_precision import (DTypePolicy, FloatDTypePolicy, deserialize, dtype_policy,
                                    get, serialize, set_dtype_policy)

SRC = "keras/src/dtype_policies/dtype_policy_test.py"
REFUSED = "is not supported by fastnn"


@pytest.fixture(autouse=True)
def _global_policy():
    """Keras' setUp/tearDown: record the global policy, restore it afterwards (here: the
    unset state too, in which the global policy follows keras.backend.floatx())."""
    before = mixed_precision._GLOBAL[0]
    yield
    mixed_precision._GLOBAL[0] = before


def test_initialization_valid_name():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_initialization_valid_name
    # mixed_float16 is refused (no float16 kernels); the same with mixed_bfloat16:
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(ValueError, match=f"'mixed_float16' {REFUSED}"):
            cls("mixed_float16")
        policy = cls("mixed_bfloat16")
        assert policy.compute_dtype == "bfloat16"
        assert policy.variable_dtype == "float32"


@pytest.mark.parametrize("global_dtype_policy, expected_compute_dtype, expected_variable_dtype", [
    ("float32", "float32", "float32"),
    ("float16", None, None),
    ("bfloat16", None, None),
    ("mixed_float16", None, None),
    ("mixed_bfloat16", "bfloat16", "float32"),
])
def test_initialization_from_global(global_dtype_policy, expected_compute_dtype,
                                    expected_variable_dtype):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_initialization_from_global
    if expected_compute_dtype is None:     # a policy fastnn refuses
        with pytest.raises(ValueError, match=REFUSED):
            set_dtype_policy(global_dtype_policy)
        return
    set_dtype_policy(global_dtype_policy)
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls(name=None)
        assert policy.name == global_dtype_policy
        assert policy.compute_dtype == expected_compute_dtype
        assert policy.variable_dtype == expected_variable_dtype


def test_initialization_invalid_name():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_initialization_invalid_name
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(ValueError, match="name must be .* got 'invalid_name'"):
            cls("invalid_name")


def test_initialization_non_string_name():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_initialization_non_string_name
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(TypeError, match="name must be a string"):
            cls(123)


def test_properties_mixed_float16():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_properties_mixed_float16
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(ValueError, match="no float16 kernels"):
            cls("mixed_float16")


def test_properties_mixed_bfloat16():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_properties_mixed_bfloat16
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls("mixed_bfloat16")
        assert policy.compute_dtype == "bfloat16"
        assert policy.variable_dtype == "float32"


def test_initialization_with_invalid_name_behaviour():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_initialization_with_invalid_name_behaviour
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(ValueError, match="got 'invalid_name'"):
            cls("invalid_name")


def test_properties():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_properties
    # (mixed_bfloat16 for Keras' mixed_float16)
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls("mixed_bfloat16")
        assert policy.variable_dtype == "float32"
        assert policy.compute_dtype == "bfloat16"
        assert policy.name == "mixed_bfloat16"
        assert policy.quantization_mode is None


def test_properties_uint8():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_properties_uint8
    # fastnn's layers compute in floats: an integer policy is refused
    for cls in (DTypePolicy, FloatDTypePolicy):
        with pytest.raises(ValueError, match="got 'uint8'"):
            cls("uint8")


def test_repr():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_repr
    assert repr(DTypePolicy("mixed_bfloat16")) == '<DTypePolicy "mixed_bfloat16">'
    assert repr(FloatDTypePolicy("mixed_bfloat16")) == '<DTypePolicy "mixed_bfloat16">'


def test_get_config_from_config():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_get_config_from_config
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls("mixed_bfloat16")
        config = policy.get_config()
        assert config == {"name": "mixed_bfloat16"}
        assert cls.from_config(config).name == "mixed_bfloat16"


def test_serialization():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_serialization
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls("mixed_bfloat16")
        config = serialize(policy)
        assert deserialize(config).name == policy.name
        assert get(config).name == policy.name


def test_python_serialization(tmp_path):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_python_serialization
    for cls in (DTypePolicy, FloatDTypePolicy):
        policy = cls("mixed_bfloat16")
        assert repr(copy.deepcopy(policy)) == '<DTypePolicy "mixed_bfloat16">'
        assert repr(copy.copy(policy)) == '<DTypePolicy "mixed_bfloat16">'
        with open(tmp_path / "policy.pickle", "wb") as f:
            pickle.dump(policy, f)
        with open(tmp_path / "policy.pickle", "rb") as f:
            copied = pickle.load(f)
        assert repr(copied) == '<DTypePolicy "mixed_bfloat16">'


def test_eq():
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyTest::test_eq
    # (without its QuantizedDTypePolicy case: no quantization in fastnn)
    policy = DTypePolicy("mixed_bfloat16")
    assert policy == DTypePolicy("mixed_bfloat16")
    assert policy == FloatDTypePolicy("mixed_bfloat16")
    assert policy != "mixed_float16"


# ------------------------------------------------------- DTypePolicyGlobalFunctionsTest
@pytest.fixture
def float32_global():
    """DTypePolicyGlobalFunctionsTest's setUp."""
    set_dtype_policy("float32")


def test_set_dtype_policy_valid_string(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_set_dtype_policy_valid_string
    set_dtype_policy("mixed_bfloat16")
    assert dtype_policy().name == "mixed_bfloat16"


def test_set_dtype_policy_valid_policy(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_set_dtype_policy_valid_policy
    set_dtype_policy(DTypePolicy("mixed_bfloat16"))
    assert dtype_policy().name == "mixed_bfloat16"


def test_set_dtype_policy_invalid(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_set_dtype_policy_invalid
    with pytest.raises(ValueError, match="policy must be a policy name .* got int 12345"):
        set_dtype_policy(12345)


def test_dtype_policy_default(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_dtype_policy_default
    assert dtype_policy().name == "float32"


def test_get_valid_policy(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_get_valid_policy
    # bfloat16 and mixed_float16 are refused; mixed_bfloat16 and float32 in their place
    with pytest.raises(ValueError, match=REFUSED):
        get("bfloat16")
    with pytest.raises(ValueError, match=REFUSED):
        get("mixed_float16")
    assert get("mixed_bfloat16").name == "mixed_bfloat16"
    assert get(DTypePolicy("float32")).name == "float32"
    assert get(FloatDTypePolicy("mixed_bfloat16")).name == "mixed_bfloat16"


def test_get_invalid_policy(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsTest::test_get_invalid_policy
    with pytest.raises(ValueError, match="got 'mixed_bfloat15'"):
        get("mixed_bfloat15")
    with pytest.raises(ValueError, match="dtype must be a policy name .* got int 123"):
        get(123)


@pytest.mark.parametrize("name", ["", "@mixed_float16!", "mixed_float16" * 100,
                                  "mixed_float15"])
def test_edge_case_names(name):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyEdgeCasesTest::test_empty_name
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyEdgeCasesTest::test_special_character_name
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyEdgeCasesTest::test_very_long_name
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyEdgeCasesTest::test_almost_valid_name
    with pytest.raises(ValueError, match="name must be 'float32', 'float64' or 'mixed_bfloat16'"):
        DTypePolicy(name)


def test_set_policy_multiple_times(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsEdgeCasesTest::test_set_policy_multiple_times
    set_dtype_policy("mixed_bfloat16")
    assert dtype_policy().name == "mixed_bfloat16"
    set_dtype_policy("float32")
    assert dtype_policy().name == "float32"


def test_set_policy_none(float32_global):
    # keras/src/dtype_policies/dtype_policy_test.py::DTypePolicyGlobalFunctionsEdgeCasesTest::test_set_policy_none
    with pytest.raises(ValueError, match="policy must be a policy name .* got NoneType"):
        set_dtype_policy(None)


# ------------------------------------------------------------------ layers
def test_mixed_precision():
    # keras/src/layers/layer_test.py::LayerTest::test_mixed_precision
    # float16 and mixed_float16 are refused; mixed_bfloat16 in their place, whose output
    # is a float32 array here (a bfloat16 tensor in Keras)
    x = np.ones((4, 4))
    with pytest.raises(ValueError, match=REFUSED):
        layers.Dense(2, dtype="float16")
    with pytest.raises(ValueError, match=REFUSED):
        layers.Dense(2, dtype="mixed_float16")
    layer = layers.Dense(2, dtype="mixed_bfloat16")
    y = layer(x)
    assert layer.compute_dtype == "bfloat16"
    assert layer.variable_dtype == "float32"
    assert y.dtype == np.float32
    assert layer.kernel.dtype == np.float32


def test_dtype_policy_setter():
    # keras/src/layers/layer_test.py::LayerTest::test_dtype_policy_setter
    # (without its mixed_float16 and DTypePolicyMap cases)
    layer = layers.Dense(2)
    layer.dtype_policy = "mixed_bfloat16"
    assert layer.dtype_policy.name == "mixed_bfloat16"
    assert layer.dtype_policy.compute_dtype == "bfloat16"
    assert layer.dtype_policy.variable_dtype == "float32"
    layer.dtype_policy = DTypePolicy("float32")
    assert layer.dtype_policy.name == "float32"
    with pytest.raises(ValueError, match=REFUSED):
        layer.dtype_policy = DTypePolicy("mixed_float16")
