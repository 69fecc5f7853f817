"""The C-kernel activations of fastnn.ops keep a 0-d input 0-d (NumPy's
ascontiguousarray makes it 1-d), forward and backward."""
import numpy as np
import pytest

import fastnn as keras
from fastnn.autodiff import ops as K

NAMES = ["relu", "sigmoid", "tanh", "softplus", "hard_sigmoid", "elu", "selu", "silu", "gelu",
         "softsign"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_scalar_stays_a_scalar(name, dtype):
    x = keras.Variable(np.asarray(0.5, dtype))
    with keras.GradientTape() as tape:
        y = getattr(K, name)(x)
    g = tape.gradient(y, x)
    assert np.shape(y) == () and np.shape(g) == ()
    vec = np.asarray(getattr(K, name)(np.asarray([0.5], dtype)))
    assert float(y) == pytest.approx(float(vec[0]))
