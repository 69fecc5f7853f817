"""Second derivatives through the built-in Dense and activation layers: nested
GradientTapes, as a WGAN-GP critic's gradient penalty takes them (the inner tape's
gradient of the critic's output with respect to its input, whose norm the outer tape
differentiates with respect to the critic's weights). The layers' backward passes are
C kernels, which give first derivatives; where an outer tape follows a gradient being
taken (fastnn.autodiff.tape.records_backward), a Dense layer's backward runs as
differentiable products and an activation's as its formula differentiated
(fastnn.autodiff.nn_ops.formula_of), so the outer tape records them. Before, the outer
gradient left the penalty's part out without a word.

Checked: the outer gradients against central differences (float64) and against the
same critic written with fastnn's differentiable ops, for the activations with a
formula, a LeakyReLU layer and Dropout; a gradient taken inside its own tape's block
keeps the C kernels' bits; the layers and losses whose backward has no differentiable
form here (BatchNormalization, LayerNormalization, a compiled loss, a regularizer)
raise a ValueError naming them when a second derivative through them is taken, instead
of leaving their part out, and only then: a second tape open beside the first (a GAN's
two tapes, a gradient taken inside the block) is not troubled."""
import numpy as np
import pytest

import fastnn as tf
from fastnn import layers

keras = tf.keras

# the activations of a Dense layer checked (each with a formula: formula_of)
ACTIVATIONS = ["tanh", "sigmoid", "relu", "elu", "softplus", "gelu", "silu", "selu",
               "softsign", "leaky_relu"]


def _critic(act, dtype="float64", seed=0, extra=None):
    keras.utils.set_random_seed(seed)
    parts = [keras.Input((3,), dtype=dtype), layers.Dense(5, activation=act, dtype=dtype)]
    if extra == "leaky_relu_layer":
        parts += [layers.Dense(4, dtype=dtype), layers.LeakyReLU(negative_slope=0.3, dtype=dtype)]
    elif extra == "dropout":
        parts += [layers.Dropout(0.0, dtype=dtype)]
    parts.append(layers.Dense(1, dtype=dtype))
    return keras.Sequential(parts)


def _x(dtype="float64", n=6, seed=1):
    return tf.constant(np.random.default_rng(seed).standard_normal((n, 3)).astype(dtype) * 0.8)


def _penalty(critic, x):
    """WGAN-GP's gradient penalty of the critic at x, and its gradient with respect to
    the critic's trainable weights (None where it does not depend on one)."""
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            pred = critic(x, training=True)
        g = inner.gradient(pred, [x])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1) + 1e-12)
        pen = tf.reduce_mean((norm - 1.0) ** 2)
    return float(pen), outer.gradient(pen, critic.trainable_weights)


def _central_differences(critic, x, eps=1e-6):
    out = []
    for w in critic.trainable_weights:
        d = np.zeros(w.shape)
        w0 = np.array(w)
        for i in np.ndindex(w.shape):
            w[i] = w0[i] + eps
            up = _penalty(critic, x)[0]
            w[i] = w0[i] - eps
            down = _penalty(critic, x)[0]
            w[...] = w0
            d[i] = (up - down) / (2 * eps)
        out.append(d)
    return out


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_a_gradient_penalty_through_dense_layers_matches_central_differences(act):
    critic, x = _critic(act), _x()
    _, grads = _penalty(critic, x)
    fd = _central_differences(critic, x)
    # the last layer's bias does not move the input gradient: no gradient (nor does
    # the first layer's through a piecewise linear activation, whose slopes are flat)
    assert grads[-1] is None
    assert (grads[1] is None) == (act in ("relu", "leaky_relu"))
    _assert_matches(grads, fd)


def _assert_matches(grads, fd):
    for g, d in zip(grads, fd):
        if g is None:
            np.testing.assert_allclose(d, 0.0, atol=1e-8)
        else:
            np.testing.assert_allclose(np.asarray(g), d, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("extra", ["leaky_relu_layer", "dropout"])
def test_activation_layers_and_dropout_pass_second_derivatives_too(extra):
    critic, x = _critic("tanh", extra=extra), _x()
    _, grads = _penalty(critic, x)
    assert all(g is not None for g in grads[:2])
    _assert_matches(grads, _central_differences(critic, x))


def test_the_penalty_matches_the_same_critic_written_with_ops():
    critic, x = _critic("tanh"), _x()
    pen, grads = _penalty(critic, x)
    W1, b1, W2, b2 = critic.trainable_weights
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            pred = tf.matmul(tf.tanh(tf.matmul(x, W1) + b1), W2) + b2
        g = inner.gradient(pred, x)
        norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1) + 1e-12)
        ref = tf.reduce_mean((norm - 1.0) ** 2)
    ref_grads = outer.gradient(ref, [W1, b1, W2])
    assert pen == pytest.approx(float(ref), rel=1e-12)
    for a, b in zip(grads, ref_grads):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-14)


def test_a_wgan_gp_critic_step_trains():
    """The critic's step of Keras' WGAN-GP example, on dense layers: the loss and its
    penalty, one optimizer step; the penalty's part of the gradient is there."""
    critic = _critic("tanh", dtype="float32")
    opt = keras.optimizers.Adam(1e-3)
    real = _x("float32")
    fake = _x("float32", seed=2)
    alpha = tf.constant(np.random.default_rng(3).random((6, 1)).astype("float32"))
    grads = {}
    for weight in (0.0, 10.0):
        with tf.GradientTape() as tape:
            interpolated = real + alpha * (fake - real)
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(interpolated)
                pred = critic(interpolated, training=True)
            g = gp_tape.gradient(pred, [interpolated])[0]
            norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1))
            gp = tf.reduce_mean((norm - 1.0) ** 2)
            d_cost = tf.reduce_mean(critic(fake, training=True)) - \
                tf.reduce_mean(critic(real, training=True))
            d_loss = d_cost + gp * weight
        grads[weight] = tape.gradient(d_loss, critic.trainable_variables)
    # the penalty changes every weight's gradient but the last bias's
    for a, b in zip(grads[0.0][:-1], grads[10.0][:-1]):
        assert not np.allclose(np.asarray(a), np.asarray(b))
    before = [np.array(w) for w in critic.trainable_weights]
    opt.apply_gradients(zip(grads[10.0], critic.trainable_variables))
    assert all(not np.array_equal(a, np.asarray(w))        # (the last bias cancels
               for a, w in zip(before[:-1], critic.trainable_weights[:-1]))   # in d_cost)


def test_a_gradient_taken_inside_its_own_tape_keeps_the_kernels_bits():
    critic, x = _critic("tanh", dtype="float32"), _x("float32")
    results = []
    for inside in (False, True):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(critic(x, training=True)))
            if inside:
                grads = tape.gradient(loss, critic.trainable_weights)
        if not inside:
            grads = tape.gradient(loss, critic.trainable_weights)
        results.append(grads)
    for a, b in zip(*results):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def _nested(build, inner_target):
    x = _x()
    model = build()
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            target = inner_target(model, x)
        g = inner.gradient(target, [x] + model.trainable_weights)
        # (the first kernel's gradient too: a regularizer's part is in it alone)
        pen = tf.reduce_sum(tf.square(g[0])) + tf.reduce_sum(tf.square(g[1]))
    return outer.gradient(pen, model.trainable_weights)


@pytest.mark.parametrize("kind", ["batch_norm", "layer_norm", "loss", "regularizer"])
def test_operations_without_second_derivatives_say_so_under_nested_tapes(kind):
    def build():
        keras.utils.set_random_seed(0)
        mid = {"batch_norm": [layers.BatchNormalization(dtype="float64")],
               "layer_norm": [layers.LayerNormalization(dtype="float64")]}.get(kind, [])
        reg = keras.regularizers.L2(0.1) if kind == "regularizer" else None
        return keras.Sequential([keras.Input((3,), dtype="float64"),
                                 layers.Dense(4, activation="tanh", dtype="float64",
                                              kernel_regularizer=reg)] + mid +
                                [layers.Dense(2, dtype="float64")])
    y = np.zeros((6, 2))
    loss_fn = keras.losses.MeanSquaredError()
    if kind == "loss":
        target = lambda m, x: loss_fn(y, m(x, training=True))
        name = "MeanSquaredError"
    elif kind == "regularizer":
        target = lambda m, x: tf.reduce_sum(m(x, training=True)) + tf.add_n(m.losses)
        name = "regularizer"
    else:
        target = lambda m, x: tf.reduce_sum(m(x, training=True))
        name = "BatchNormalization" if kind == "batch_norm" else "LayerNormalization"
    with pytest.raises(ValueError, match=f"{name}.*second derivative.*first derivatives only"):
        _nested(build, target)
    # the same gradient taken alone (no outer tape): first derivatives as before
    x = _x()
    m = build()
    with tf.GradientTape() as tape:
        tape.watch(x)
        t = target(m, x)
    assert all(g is not None for g in tape.gradient(t, [x] + m.trainable_weights[:1]))


def test_a_gradient_taken_while_a_second_tape_records_is_not_refused():
    """A GAN's step with both tapes open and the gradients taken inside their block
    (a BatchNormalization layer and a compiled loss on the path): first derivatives,
    the same as those taken after the block (within rounding: with a second tape
    recording, the Dense layers' backward runs as differentiable products)."""
    def build():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((3,), dtype="float64"),
                                 layers.Dense(4, activation="tanh", dtype="float64"),
                                 layers.BatchNormalization(dtype="float64"),
                                 layers.Dense(1, dtype="float64")])
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    x = _x()
    results = []
    for inside in (False, True):
        disc = build()
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            fake = disc(x, training=True)
            gen_loss = loss_fn(tf.ones_like(fake), fake)
            disc_loss = loss_fn(tf.zeros_like(fake), fake)
            if inside:
                g1 = gen_tape.gradient(gen_loss, disc.trainable_variables)
                g2 = disc_tape.gradient(disc_loss, disc.trainable_variables)
        if not inside:
            g1 = gen_tape.gradient(gen_loss, disc.trainable_variables)
            g2 = disc_tape.gradient(disc_loss, disc.trainable_variables)
        results.append(g1 + g2)
    for a, b in zip(*results):
        assert a is not None
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-15)


def test_a_persistent_tape_takes_the_gradient_of_its_own_gradient():
    """One persistent tape: the input gradient taken inside its block, then the
    gradient of the penalty on it with respect to the weights, as nested tapes give."""
    critic, x = _critic("tanh"), _x()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        pred = critic(x, training=True)
        g = tape.gradient(pred, x)
        norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1) + 1e-12)
        pen = tf.reduce_mean((norm - 1.0) ** 2)
    grads = tape.gradient(pen, critic.trainable_weights)
    expected = _penalty(critic, x)[1]
    for a, b in zip(grads, expected):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-15)
