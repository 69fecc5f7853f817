"""The three kinds of models (Sequential, functional, subclassed) on one Trainer: the
functional API's graph (several inputs and outputs, shared layers), subclassed models
and custom layers (add_weight, add_loss), custom losses, metrics and train_step, and
every kind of input fit takes. Where two kinds of model compute the same thing they
give the same bits."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, losses, optimizers
from fastnn import ops
from fastnn.autodiff import GradientTape

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 6)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
R = X[:, :1] * 2 - X[:, 2:3]


def sequential(seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(2)])


def functional_chain(seed=1):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((6,))
    out = layers.Dense(2)(layers.Dense(8, activation="relu")(inp))
    return keras.Model(inp, out)


class Subclassed(keras.Model):
    def __init__(self, seed=1):
        keras.utils.set_random_seed(seed)
        super().__init__()
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.hidden(x))


def _compile(m, opt="adam"):
    m.compile(optimizer=opt, loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


@pytest.mark.parametrize("make", [functional_chain, lambda: Subclassed()])
def test_a_functional_chain_and_a_subclassed_model_train_as_the_sequential(make, monkeypatch):
    ref = _compile(sequential())
    h_ref = ref.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    m = _compile(make())
    m.build((None, 6))
    h = m.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    assert h == h_ref
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m.predict(X, verbose=0), ref.predict(X, verbose=0))


def test_a_functional_chain_lowers_onto_the_engine_and_a_graph_does_not():
    m = _compile(functional_chain())
    m.fit(X, Y, epochs=1, verbose=0)
    assert m._engine.fit_plan is not None
    inp = keras.Input((6,))
    shared = layers.Dense(8, activation="relu")
    out = layers.Dense(2)(shared(shared(layers.Dense(8)(inp))))     # a layer used twice
    g = _compile(keras.Model(inp, out))
    g.fit(X, Y, epochs=1, verbose=0)
    assert g._engine.fit_plan is None and g._chain() is None
    assert len(g.layers) == 4 and len(g.weights) == 6            # shared weights once


def test_functional_graph_with_two_inputs_and_two_outputs():
    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    h = layers.Dense(8, activation="relu")(a)
    h2 = layers.Dense(8, activation="relu")(b)
    cls = layers.Dense(2, name="cls")(ops.add(h, h2))
    reg = layers.Dense(1, name="reg")(h)
    m = keras.Model({"a": a, "b": b}, {"cls": cls, "reg": reg})
    m.compile("adam", loss={"cls": losses.SparseCategoricalCrossentropy(from_logits=True),
                            "reg": "mse"},
              loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    data = {"a": X[:, :4], "b": X[:, 4:]}
    hist = m.fit(data, {"cls": Y, "reg": R}, epochs=15, batch_size=16, verbose=0).history
    assert set(hist) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    assert hist["loss"][-1] < hist["loss"][0]
    # the total is the weighted sum of the outputs' losses
    logs = m.evaluate(data, {"cls": Y, "reg": R}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-6)
    out = m.predict(data, verbose=0)
    assert out["cls"].shape == (120, 2) and out["reg"].shape == (120, 1)
    np.testing.assert_allclose(out["reg"], np.asarray(m(data)["reg"]), rtol=1e-6)


def test_functional_config_round_trip_gives_the_same_predictions():
    inp = keras.Input((6,))
    x = layers.Dense(8, activation="tanh")(inp)
    out = layers.Dense(3, activation="softmax")(layers.Dense(8)(x))
    m = keras.Model(inp, out, name="net")
    again = keras.models.Functional.from_config(m.get_config())
    again.set_weights(m.get_weights())
    np.testing.assert_array_equal(again.predict(X, verbose=0), m.predict(X, verbose=0))
    assert again.name == "net" and [type(l).__name__ for l in again.layers] == \
        ["InputLayer", "Dense", "Dense", "Dense"]


def test_functional_api_errors_are_clear():
    with pytest.raises(ValueError, match="call the layer on a tensor"):
        keras.Model(keras.Input((3,)), layers.Dense(2))
    other = keras.Input((3,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        keras.Model(keras.Input((3,)), layers.Dense(2)(other))
    with pytest.raises(TypeError, match="symbolic input"):
        np.asarray(keras.Input((3,)))


class Linear(layers.Layer):
    """A custom layer as the Keras guide writes it."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        self.add_loss(1e-3 * ops.sum(ops.square(self.w)))
        return ops.matmul(inputs, self.w) + self.b


def test_custom_layer_with_add_weight_and_add_loss_trains_by_the_tape():
    keras.utils.set_random_seed(4)
    m = keras.Sequential([keras.Input((6,)), Linear(8), layers.Activation("relu"), Linear(2)])
    _compile(m)
    assert len(m.trainable_weights) == 4
    y_pred = m(X)
    assert len(m.losses) == 2       # one add_loss per Linear call
    before = m.evaluate(X, Y, verbose=0)[0]
    m.fit(X, Y, epochs=20, verbose=0)
    assert m.evaluate(X, Y, verbose=0)[0] < before
    assert m._engine.why is not None                              # custom: the layer path
    # the gradient through the custom layers matches central differences
    w = m.layers[0].w
    with GradientTape() as tape:
        loss = ops.mean(ops.square(m(X[:5])))
    g = np.asarray(tape.gradient(loss, w))
    eps, i = 1e-3, (1, 2)
    keep = float(w[i])
    w[i] = keep + eps
    up = float(np.mean(np.square(np.asarray(m(X[:5]), np.float64))))
    w[i] = keep - eps
    down = float(np.mean(np.square(np.asarray(m(X[:5]), np.float64))))
    w[i] = keep
    assert g[i] == pytest.approx((up - down) / (2 * eps), rel=2e-2, abs=1e-4)
    assert y_pred.shape == (120, 2)


def test_custom_loss_function_and_metric_function():
    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    def mean_error(y_true, y_pred):
        return ops.mean(y_pred - y_true, axis=-1)

    keras.utils.set_random_seed(5)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(1)])
    m.compile(optimizers.SGD(0.05), loss=my_mse, metrics=[mean_error])
    keras.utils.set_random_seed(5)
    ref = keras.Sequential([keras.Input((6,)), layers.Dense(1)])
    ref.compile(optimizers.SGD(0.05), loss="mse")
    h = m.fit(X, R, epochs=3, batch_size=20, shuffle=False, verbose=0).history
    h_ref = ref.fit(X, R, epochs=3, batch_size=20, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], h_ref["loss"], rtol=1e-5)
    np.testing.assert_allclose(m.get_weights()[0], ref.get_weights()[0], rtol=1e-5, atol=1e-6)
    assert "mean_error" in h


def test_a_loss_subclass():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred), axis=-1) * 2.0

        def __call__(self, y_true, y_pred, sample_weight=None):
            return ops.mean(self.call(y_true, y_pred))

    m = keras.Sequential([keras.Input((6,)), layers.Dense(1)])
    m.compile("adam", loss=Scaled())
    h = m.fit(X, R, epochs=5, verbose=0).history
    assert h["loss"][-1] < h["loss"][0]


class CustomStep(keras.Model):
    """train_step as the Keras guide 'Customizing what happens in fit()' writes it."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x, training=None):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(y - y_pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def test_train_step_override_runs_in_fit():
    keras.utils.set_random_seed(6)
    m = CustomStep()
    m.compile(optimizer=optimizers.SGD(0.05))
    h = m.fit(X, R, epochs=5, batch_size=30, verbose=0).history
    assert len(h["loss"]) == 5 and h["loss"][-1] < h["loss"][0]
    assert m.optimizer.iterations == 5 * 4


@pytest.mark.parametrize("kind", ["generator", "dataset", "pydataset"])
def test_fit_takes_generators_datasets_and_pydatasets(kind):
    from fastnn.trainers.data_adapters import PyDataset

    class Batches(PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[i * 30:(i + 1) * 30], Y[i * 30:(i + 1) * 30]

    def gen():
        while True:
            for i in range(4):
                yield X[i * 30:(i + 1) * 30], Y[i * 30:(i + 1) * 30]

    data = {"generator": gen(), "pydataset": Batches(),
            "dataset": keras.data.Dataset.from_tensor_slices((X, Y)).batch(30)}[kind]
    ref = _compile(sequential())
    ref.fit(X, Y, epochs=2, batch_size=30, shuffle=False, verbose=0)
    m = _compile(sequential())
    kw = {"steps_per_epoch": 4} if kind == "generator" else {}
    m.fit(data, epochs=2, shuffle=False, verbose=0, **kw)
    assert m.optimizer.iterations == 8
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_callbacks_get_a_logs_dict_at_every_hook():
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

        def on_train_batch_end(self, batch, logs=None):
            assert isinstance(logs, dict) and "loss" in logs

    m = _compile(functional_chain())
    m.fit(X, Y, epochs=2, verbose=0, callbacks=[Spy()])
    assert [set(d) for d in seen] == [{"loss", "accuracy"}] * 2


def test_engine_decides_in_one_place():
    m = _compile(sequential())
    assert engine.plan_for(m, X, training=True) is not None
    m.compile(optimizer="adam", loss=lambda y, p: ops.mean(ops.square(p)))
    assert engine.plan_for(m, X, training=True) is None
    assert "loss" in m._engine.why


def test_a_gradient_tape_training_loop_as_tensorflow_tutorials_write_it():
    """'Writing a training loop from scratch': a Loss object, tape.gradient,
    optimizer.apply_gradients, a metric; the same steps as fit takes."""
    import fastnn as tf
    ref = _compile(sequential(), opt=optimizers.SGD(0.1))
    ref.fit(X, Y, epochs=2, batch_size=30, shuffle=False, verbose=0)
    model = sequential()
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = tf.keras.metrics.SparseCategoricalAccuracy()
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(30)
    for epoch in range(2):
        for x_batch, y_batch in dataset:
            with tf.GradientTape() as tape:
                logits = model(x_batch, training=True)
                loss_value = loss_fn(y_batch, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            acc.update_state(y_batch, logits)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert 0 <= float(acc.result()) <= 1


@pytest.mark.parametrize("training", [None, False, True])
def test_a_compiled_model_called_under_a_tape_is_followed_by_it(training):
    """model(x) of a compiled model (whose inference the engine runs) under a
    GradientTape: the layers compute, so the tape follows the weights, with or without
    training=..., as for a model never compiled (a compiled model called with the
    default training used to give no gradient: the engine's inference is not
    recorded)."""
    import fastnn as tf
    grads = []
    for compiled in (False, True):
        model = sequential()
        if compiled:
            _compile(model)
            model.predict(X, verbose=0)          # (the engine's plan made)
        with tf.GradientTape() as tape:
            out = model(X[:30]) if training is None else model(X[:30], training=training)
            loss = tf.reduce_mean(tf.square(out))
        grads.append(tape.gradient(loss, model.trainable_weights))
    assert all(g is not None for g in grads[1])
    for a, b in zip(*grads):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def _one_layer_model(kind, width, layer):
    if kind == "sequential":
        return keras.Sequential([keras.Input((width,)), layer])
    inp = keras.Input((width,))
    return keras.Model(inp, layer(inp))


@pytest.mark.parametrize("kind", ["sequential", "functional"])
@pytest.mark.parametrize("compiled", [False, True])
def test_a_model_called_on_another_models_output_under_a_tape_passes_its_gradient(compiled,
                                                                                  kind):
    """A GAN's step: discriminator(generator(z)) under a GradientTape. The gradient
    reaches the generator's weights and the tape's watched input through the
    discriminator (whose input is a Tensor the tape follows), with the bits of one model
    of both models' layers; compiled or not (the engine's models took such a Tensor
    as a new array, and the generator got no gradient)."""
    import fastnn as tf
    keras.utils.set_random_seed(3)
    d1, d2 = layers.Dense(6, activation="tanh"), layers.Dense(2, activation="relu")
    gen, disc = _one_layer_model(kind, 4, d1), _one_layer_model(kind, 6, d2)
    whole = keras.Sequential([keras.Input((4,)), d1, d2])
    if compiled:
        for m, width in ((gen, 4), (disc, 6), (whole, 4)):
            _compile(m)
            m.predict(X[:5, :width], verbose=0)       # (the engine's plan made)
    z = tf.constant(X[:12, :4])
    results = []
    for run in ("two models", "one model"):
        with tf.GradientTape() as tape:
            tape.watch(z)
            out = disc(gen(z, training=True)) if run == "two models" else whole(z, training=True)
            loss = tf.reduce_mean(tf.square(out - 0.5))
        results.append(tape.gradient(loss, [z] + whole.trainable_weights))
    for a, b in zip(*results):
        assert a is not None and np.asarray(a).tobytes() == np.asarray(b).tobytes()


def test_activations_and_tf_nn_functions_are_differentiable_under_a_tape():
    import fastnn as tf
    x = tf.constant(RNG.normal(size=(5, 4)))
    w = tf.Variable(RNG.normal(size=(4, 3)))
    for f in (lambda z: tf.nn.softmax(z), lambda z: tf.keras.activations.relu(z),
              lambda z: tf.keras.activations.gelu(z), lambda z: tf.nn.leaky_relu(z),
              lambda z: tf.keras.activations.relu(z, max_value=0.5, threshold=0.1)):
        with tf.GradientTape() as tape:
            s = tf.reduce_sum(f(tf.matmul(x, w)) * np.arange(3.0))
        g = np.asarray(tape.gradient(s, w))
        eps, i = 1e-6, (2, 1)
        w0 = np.array(w)
        up, down = w0.copy(), w0.copy()
        up[i] += eps
        down[i] -= eps
        num = (float(np.sum(np.asarray(f(np.asarray(x) @ up)) * np.arange(3.0)))
               - float(np.sum(np.asarray(f(np.asarray(x) @ down)) * np.arange(3.0)))) / (2 * eps)
        assert g[i] == pytest.approx(num, rel=1e-5, abs=1e-8)


# ---------------------------------------------------------------- functional subclassing
def test_functional_subclass_is_a_functional_of_its_class_and_revives_from_config():
    # Keras 3's functional subclassing: a Model subclass that hands its graph to
    # Model.__init__ is a Functional of that class; from_config gives the extra config
    # keys of its get_config to its constructor (Keras' functional_from_config)
    from fastnn.models.functional import Functional

    class Scaled(keras.Model):
        def __init__(self, *args, param=1, **kwargs):
            super().__init__(*args, **kwargs)
            self.param = param

        def get_config(self):
            return super().get_config() | {"param": self.param}

    inputs = keras.Input((3,))
    model = Scaled(inputs=inputs, outputs=layers.Dense(5)(inputs), param=3)
    assert isinstance(model, Scaled) and isinstance(model, Functional)
    assert len(model.outputs) == 1 and model.output_shape == (None, 5)
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    assert model(x).shape == (4, 5)
    config = model.get_config()
    assert config["param"] == 3 and "layers" in config
    revived = Scaled.from_config(config)
    assert isinstance(revived, Scaled) and revived.param == 3
    revived.set_weights(model.get_weights())
    np.testing.assert_allclose(revived.predict(x, verbose=0), model.predict(x, verbose=0))


def _two_loss_model():
    class TwoLoss(keras.Model):
        def __init__(self):
            inputs = keras.Input(shape=(3,), name="inputs")
            outputs = layers.Dense(1, name="a")(inputs)
            super().__init__(inputs=inputs, outputs=outputs)

        def compute_loss(self, x, y, y_pred, sample_weight=None, **kwargs):
            return super().compute_loss(x=x, y=y, y_pred=[y_pred, y_pred],
                                        sample_weight=sample_weight, **kwargs)
    return TwoLoss()


def test_functional_subclass_compute_loss_may_restructure_the_outputs():
    # compile takes a loss per output of what compute_loss gives the compiled loss (Keras
    # builds its compiled loss at the first call); each loss is logged by its name, the
    # metrics unprefixed, as Keras does when the outputs have no names
    rng = np.random.default_rng(0)
    x = rng.random((8, 3))
    y1, y2 = rng.random((8, 1)), rng.integers(0, 2, (8, 1)).astype("float64")
    model = _two_loss_model()
    model.compile(optimizer="sgd", loss=["mean_squared_error", "binary_crossentropy"],
                  metrics=[["mae"], ["accuracy"]])
    hist = model.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert sorted(hist.history) == ["accuracy", "binary_crossentropy_loss", "loss", "mae",
                                    "mean_squared_error_loss"]
    logs = model.evaluate(x, (y1, y2), verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    mse = float(np.mean((y1 - p) ** 2))
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    bce = float(np.mean(-(y2 * np.log(pc) + (1 - y2) * np.log(1 - pc))))
    np.testing.assert_allclose(logs["mean_squared_error_loss"], mse, rtol=1e-4)
    np.testing.assert_allclose(logs["binary_crossentropy_loss"], bce, rtol=1e-3)
    np.testing.assert_allclose(logs["loss"], mse + bce, rtol=1e-3)
    np.testing.assert_allclose(logs["mae"], float(np.mean(np.abs(y1 - p))), rtol=1e-4)


def test_a_wrong_number_of_losses_is_still_refused_at_compile_without_compute_loss():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(1, name="a")(inputs))
    with pytest.raises(ValueError, match=r"loss must have one entry per output \(1: \['a'\]\), "
                                         r"got 2"):
        model.compile(optimizer="sgd", loss=["mse", "mse"])


@pytest.mark.filterwarnings("ignore:.*gradients do not exist")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_outputs_losses_are_logged_one_by_one_only_when_several_outputs_have_one(dtype):
    # Keras 3 logs '<output>_loss' for each output with a loss when more than one has
    # one; with a loss for one output only, that loss is the total, logged as 'loss'
    def make():
        keras.utils.set_random_seed(2)
        inp = keras.Input((3,), name="x", dtype=dtype)
        return keras.Model(inp, {
            "a": layers.Dense(1, name="a", dtype=dtype)(inp),
            "b": layers.Dense(1, name="b", activation="sigmoid", dtype=dtype)(inp),
            "c": layers.Dense(1, name="c", dtype=dtype)(inp)})
    rng = np.random.default_rng(5)
    x = rng.random((8, 3)).astype(dtype)
    y = {"a": rng.random((8, 1)).astype(dtype), "b": rng.integers(0, 2, (8, 1)).astype(dtype),
         "c": rng.random((8, 1)).astype(dtype)}
    for loss, metrics, keys in (
            ({"b": "binary_crossentropy"}, None, ["loss"]),
            ({"b": "binary_crossentropy", "a": None}, {"a": ["mae"]}, ["a_mae", "loss"]),
            ({"b": "binary_crossentropy", "a": "mse"}, None, ["a_loss", "b_loss", "loss"])):
        m = make()
        m.compile(optimizer="sgd", loss=loss, metrics=metrics)
        assert sorted(m.fit(x, y, batch_size=4, epochs=1, verbose=0).history) == keys
        logs = m.evaluate(x, y, verbose=0, return_dict=True)
        assert sorted(logs) == keys
        p = m.predict(x, verbose=0)
        pb = np.clip(p["b"].astype(np.float64), 1e-7, 1 - 1e-7)
        bce = float(np.mean(-(y["b"] * np.log(pb) + (1 - y["b"]) * np.log(1 - pb))))
        mse = float(np.mean((y["a"] - p["a"]) ** 2))
        total = bce + (mse if "a_loss" in keys else 0.0)
        assert logs["loss"] == pytest.approx(total, rel=1e-4)
        if "a_loss" in keys:
            assert logs["a_loss"] == pytest.approx(mse, rel=1e-4)
            assert logs["b_loss"] == pytest.approx(bce, rel=1e-4)
