"""model.summary()'s Keras arguments (show_trainable; expand_nested and layer_range
refused unless at their defaults), keras.utils.to_categorical's output types (float64
for NumPy input, a Tensor for a Tensor, as Keras 3), a user's build() marking the
layer built, as Keras' build wrapper does, and the output shapes the summary of a
subclassed model shows (those of the call that built it, as Keras)."""
import numpy as np
import pytest

from fastnn import layers, models, ops, utils


def _lines(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return "\n".join(out).splitlines()


def test_summary_show_trainable_column():
    m = models.Sequential([layers.Input((2,)), layers.Dense(3, name="t"),
                           layers.Dense(3, name="f", trainable=False), layers.Dropout(0.1, name="drop")])
    lines = _lines(m, show_trainable=True)
    assert "Trainable" in lines[2]
    row = {ln.split()[1]: ln for ln in lines if ln.startswith("│ ")}
    assert row["t"].rstrip("│ ").endswith("Y")
    assert row["f"].rstrip("│ ").endswith("N")
    assert row["drop"].rstrip("│ ").endswith("-")
    assert "Trainable" not in _lines(m)[2]


def test_summary_refuses_what_it_would_ignore():
    m = models.Sequential([layers.Input((2,)), layers.Dense(3)])
    _lines(m, expand_nested=False, layer_range=None)
    with pytest.raises(ValueError, match="summary: expand_nested is not supported"):
        m.summary(expand_nested=True)
    with pytest.raises(ValueError, match="summary: layer_range is not supported"):
        m.summary(layer_range=["dense", "dense"])
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['show_params'\]"):
        m.summary(show_params=True)
    with pytest.raises(TypeError, match="show_trainable must be a bool, got int 1"):
        m.summary(show_trainable=1)


def test_to_categorical_types():
    assert utils.to_categorical([0, 1]).dtype == np.float64
    out = utils.to_categorical(ops.convert_to_tensor(np.array([[1], [0]])), 3)
    assert ops.is_tensor(out) and out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(out), [[0, 1, 0], [1, 0, 0]])


def test_a_users_build_marks_the_model_built():
    class M(models.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(4)

        def build(self, input_shape):
            self.d.build(input_shape)

        def call(self, x):
            return self.d(x)

    m = M()
    m.build((None, 2))
    assert m.built and len(m.weights) == 2
    assert any("Total params: 12" in ln for ln in _lines(m))

    class L(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],))

        def call(self, x):
            return x * self.w

    layer = L()
    layer.build((None, 3))
    assert layer.built
    np.testing.assert_array_equal(np.asarray(layer(np.ones((1, 3), np.float32))).shape, (1, 3))


class _TwoHeads(layers.Layer):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(2)
        self.b = layers.Dense(3)

    def call(self, x):
        return {"a": self.a(x), "b": self.b(x)}

    def compute_output_shape(self, input_shape):
        return {"a": self.a.compute_output_shape(input_shape),
                "b": self.b.compute_output_shape(input_shape)}


class _OneHead(layers.Layer):
    def __init__(self):
        super().__init__()
        self.head = layers.Dense(10)

    def call(self, x):
        return {"head": self.head(x)}

    def compute_output_shape(self, input_shape):
        return {"head": self.head.compute_output_shape(input_shape)}


class _Subclassed(models.Model):
    def __init__(self, head):
        super().__init__()
        self.dense = layers.Dense(4)
        self.head = head

    def call(self, x):
        return self.head(self.dense(x))


def _shapes_column(model):
    return [ln.split("│")[2].strip() for ln in _lines(model) if ln.startswith("│ ")]


def test_a_subclassed_model_built_by_a_call_shows_the_shapes_of_that_call():
    model = _Subclassed(_TwoHeads())
    model(np.zeros((7, 2)))
    model(np.zeros((3, 2)))        # a later call changes nothing
    assert _shapes_column(model) == ["(7, 4)", "{a: (7, 2), b: (7, 3)}"]
    model = _Subclassed(_OneHead())
    model(np.zeros((1, 16)))
    assert _shapes_column(model) == ["(1, 4)", "(1, 10)"]     # one shape: shown alone
    # built by build(): the batch size stays unknown
    model = _Subclassed(_OneHead())
    model.build((None, 16))
    assert _shapes_column(model) == ["(None, 4)", "(None, 10)"]
    # a Sequential called on data: its layers' shapes keep an unknown batch size
    seq = models.Sequential([layers.Dense(3)])
    seq(np.zeros((5, 2)))
    assert _shapes_column(seq) == ["(None, 3)"]
