"""Golden values from Keras 3.15.1 (torch backend, CPU) for the optimizer options fastnn
took from Keras' base optimizer (use_ema, ema_momentum, ema_overwrite_frequency,
gradient_accumulation_steps, with clipping, weight decay and a schedule) and for Ftrl,
where Keras' own tests give few numbers: six apply_gradients steps on two float32
variables, and two epochs of `fit` on a small Dense model (shuffle=False, the same
initial weights). Tolerance: float32 rounding (the formulas are Keras', in the
variables' dtype).

The numbers were made by these two scripts, run with
`KERAS_BACKEND=torch python <script>`:

```python
# Reference trajectories from Keras 3 (torch backend) for fastnn's optimizer tests.
import os, json
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras
def run(make, steps=6, n=2):
    rng = np.random.default_rng(0)
    vs = [keras.Variable(np.array([1.0, -2.0, 3.0, 0.5], np.float32)), keras.Variable(np.array([[0.3, -0.1], [0.2, 0.4]], np.float32))]
    opt = make()
    out = []
    for t in range(steps):
        gs = [np.float32(0.1 * (t + 1)) * np.array([0.5, -1.0, 2.0, 0.25], np.float32) * np.float32((-1) ** t),
              np.array([[0.1, 0.2], [-0.3, 0.4]], np.float32) * np.float32(t - 2)]
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], vs))
        out.append([np.asarray(v.numpy(), np.float64).tolist() for v in vs])
    extra = {"iterations": int(opt.iterations.numpy())}
    if opt.use_ema:
        extra["averages"] = [np.asarray(a.numpy(), np.float64).tolist() for a in opt._model_variables_moving_average]
    return {"traj": out, **extra}
cases = {
 "ftrl_default": lambda: keras.optimizers.Ftrl(learning_rate=0.5),
 "ftrl_all": lambda: keras.optimizers.Ftrl(learning_rate=0.3, learning_rate_power=-0.7, initial_accumulator_value=0.2, l1_regularization_strength=0.01, l2_regularization_strength=0.02, l2_shrinkage_regularization_strength=0.03, beta=0.1, weight_decay=0.01),
 "ftrl_power0": lambda: keras.optimizers.Ftrl(learning_rate=0.1, learning_rate_power=0.0, l1_regularization_strength=0.05),
 "sgd_ema": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, use_ema=True, ema_momentum=0.9),
 "adam_ema_overwrite": lambda: keras.optimizers.Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2),
 "adam_accum": lambda: keras.optimizers.Adam(learning_rate=0.1, gradient_accumulation_steps=3),
 "rmsprop_accum_clip": lambda: keras.optimizers.RMSprop(learning_rate=0.05, gradient_accumulation_steps=2, clipnorm=0.1),
 "sgd_accum_ema": lambda: keras.optimizers.SGD(learning_rate=0.2, gradient_accumulation_steps=2, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
 "nadam_accum_wd": lambda: keras.optimizers.Nadam(learning_rate=0.1, gradient_accumulation_steps=2, weight_decay=0.1),
 "adamw_accum_sched": lambda: keras.optimizers.AdamW(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5), gradient_accumulation_steps=2),
 "lion_ema": lambda: keras.optimizers.Lion(learning_rate=0.05, use_ema=True),
 "adagrad_accum": lambda: keras.optimizers.Adagrad(learning_rate=0.1, gradient_accumulation_steps=2),
}
res = {k: run(f) for k, f in cases.items()}
print(json.dumps(res))
```

```python
import os, json
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras
rng = np.random.default_rng(7)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 2)).astype("float32")
w0 = [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]
out = {}
for name, make in {
    "adam_ema_accum": lambda: keras.optimizers.Adam(0.1, use_ema=True, ema_momentum=0.9, gradient_accumulation_steps=2),
    "ftrl": lambda: keras.optimizers.Ftrl(0.5, l1_regularization_strength=0.01),
    "sgd_ema_overwrite": lambda: keras.optimizers.SGD(0.1, momentum=0.5, use_ema=True, ema_overwrite_frequency=3),
}.items():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.set_weights(w0)
    m.compile(make(), "mse")
    h = m.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    out[name] = {"loss": [float(v) for v in h.history["loss"]], "weights": [w.tolist() for w in m.get_weights()],
                 "iterations": int(m.optimizer.iterations.numpy())}
print(json.dumps(out))
```
"""
import numpy as np
import pytest

import fastnn
from fastnn import layers
from fastnn import optimizers as O

# name: (weights after step 3, weights after step 6, iterations after 6 steps, moving
# averages after 6 steps or None)
STEPS = {
    'ftrl_default': (
        [[-0.12086939811706543, 0.10566816478967667, 0.19314992427825928, -0.07371513545513153],
         [[0.4428144097328186, 0.5368237495422363], [-0.5378363132476807, 0.928766131401062]]],
        [[0.12379297614097595, -0.19898390769958496, 0.5245354771614075, 0.09023984521627426],
         [[-0.1843353807926178, -0.24101591110229492],
          [0.2841460704803467, 0.08912338316440582]]],
        6,
        None),
    'ftrl_all': (
        [[-0.0878266915678978, 0.122125044465065, 0.022077485918998718, -0.04521457105875015],
         [[0.18413634598255157, 0.2521165609359741], [-0.241718128323555, 0.546325147151947]]],
        [[0.029312530532479286, -0.03034096583724022, 0.17496010661125183,
          0.022663835436105728],
         [[-0.1303788274526596, -0.15559989213943481],
          [0.17032472789287567, 0.13354431092739105]]],
        6,
        None),
    'ftrl_power0': (
        [[-0.005000000819563866, 0.015000002458691597, -0.03500000387430191,
          -3.7252903539730653e-10],
         [[0.02500000037252903, 0.054999999701976776],
          [-0.08500000089406967, 0.11500000953674316]]],
        [[0.010000000707805157, -0.02500000037252903, 0.054999999701976776,
          0.002500000176951289],
         [[-0.02500000037252903, -0.054999999701976776],
          [0.08500000089406967, -0.11500000953674316]]],
        6,
        None),
    'sgd_ema': (
        [[0.9904499650001526, -1.9808999300003052, 2.9618000984191895, 0.4952249825000763],
         [[0.37320002913475037, 0.046400003135204315],
          [-0.01960001140832901, 0.692799985408783]]],
        [[1.0026381015777588, -2.0052762031555176, 3.010552406311035, 0.5013190507888794],
         [[0.3395628035068512, -0.02087441086769104], [0.08131158351898193, 0.558251142501831]]],
        6,
        [[0.9955256581306458, -1.9910513162612915, 2.9821019172668457, 0.4977628290653229],
         [[0.33816424012184143, -0.023671595379710197],
          [0.08550739288330078, 0.552656888961792]]]),
    'adam_ema_overwrite': (
        [[0.8730054497718811, -1.873002052307129, 2.873000383377075, 0.37301209568977356],
         [[0.49069738388061523, 0.09069880843162537],
          [0.009300731122493744, 0.5906994938850403]]],
        [[0.8951880931854248, -1.8951849937438965, 2.8951833248138428, 0.3951944410800934],
         [[0.4362207353115082, 0.03622180223464966], [0.0637778490781784, 0.5362223386764526]]],
        6,
        [[0.8951880931854248, -1.8951849937438965, 2.8951833248138428, 0.3951944410800934],
         [[0.4362207353115082, 0.03622180223464966], [0.0637778490781784, 0.5362223386764526]]]),
    'adam_accum': (
        [[0.9000101685523987, -1.9000053405761719, 2.900002956390381, 0.40001964569091797],
         [[0.39999619126319885, -2.250075340270996e-06],
          [0.10000172257423401, 0.4999985694885254]]],
        [[0.9442297220230103, -1.9442256689071655, 2.944223642349243, 0.444237619638443],
         [[0.36338672041893005, -0.036611974239349365],
          [0.13661153614521027, 0.46338871121406555]]],
        2,
        None),
    'rmsprop_accum_clip': (
        [[1.1579461097717285, -2.158071994781494, 3.1581034660339355, 0.6574461460113525],
         [[0.4578772485256195, 0.058054618537425995],
          [0.041912466287612915, 0.5580990314483643]]],
        [[1.3685996532440186, -2.3688015937805176, 3.368852376937866, 0.8677953481674194],
         [[0.24726560711860657, -0.1526646763086319],
          [0.25265172123908997, 0.3473528027534485]]],
        3,
        None),
    'sgd_accum_ema': (
        [[1.0049999952316284, -2.009999990463257, 3.0199999809265137, 0.5024999976158142],
         [[0.33000001311302185, -0.03999999910593033],
          [0.10999999940395355, 0.5200000405311584]]],
        [[1.0124999284744263, -2.0249998569488525, 3.049999952316284, 0.5062499642372131],
         [[0.2750000059604645, -0.15000000596046448],
          [0.2750000059604645, 0.30000007152557373]]],
        3,
        [[1.0099999904632568, -2.0199999809265137, 3.0399999618530273, 0.5049999952316284],
         [[0.30000001192092896, -0.10000000149011612],
          [0.20000000298023224, 0.40000006556510925]]]),
    'nadam_accum_wd': (
        [[1.0962777137756348, -2.086277961730957, 3.0762779712677, 0.601277232170105],
         [[0.40327805280685425, 0.007278069853782654],
          [0.09172192960977554, 0.5022780895233154]]],
        [[1.2221792936325073, -2.192478895187378, 3.162777900695801, 0.7370287179946899],
         [[0.28215688467025757, -0.10596273094415665],
          [0.20299264788627625, 0.3791867792606354]]],
        3,
        None),
    'adamw_accum_sched': (
        [[1.0497933626174927, -2.0495965480804443, 3.049398183822632, 0.5498870611190796],
         [[0.34993863105773926, -0.04998086392879486],
          [0.1499606966972351, 0.4499194025993347]]],
        [[1.0653510093688965, -2.0650925636291504, 3.0648317337036133, 0.5654747486114502],
         [[0.353748083114624, -0.04614637419581413],
          [0.14611993730068207, 0.45372265577316284]]],
        3,
        None),
    'lion_ema': (
        [[0.949999988079071, -1.9500000476837158, 2.950000047683716, 0.44999998807907104],
         [[0.4500000476837158, 0.05000000074505806], [0.05000000819563866, 0.550000011920929]]],
        [[1.0, -2.0, 3.0, 0.5],
         [[0.30000001192092896, -0.10000000149011612],
          [0.20000000298023224, 0.3999999761581421]]],
        6,
        [[0.9514703154563904, -1.9514703750610352, 2.951470375061035, 0.4514703154563904],
         [[0.3514406979084015, -0.04855935648083687], [0.1485593616962433, 0.4514406621456146]]]),
    'adagrad_accum': (
        [[1.0078810453414917, -2.0156173706054688, 3.030151128768921, 0.503949761390686],
         [[0.34285712242126465, -0.03117530047893524],
          [0.11818183213472366, 0.48846518993377686]]],
        [[1.0235704183578491, -2.046297550201416, 3.0867536067962646, 0.5118400454521179],
         [[0.27097997069358826, -0.12807157635688782],
          [0.22410529851913452, 0.37853124737739563]]],
        3,
        None),
}

MAKE = {
    "ftrl_default": lambda: O.Ftrl(learning_rate=0.5),
    "ftrl_all": lambda: O.Ftrl(learning_rate=0.3, learning_rate_power=-0.7,
                               initial_accumulator_value=0.2, l1_regularization_strength=0.01,
                               l2_regularization_strength=0.02,
                               l2_shrinkage_regularization_strength=0.03, beta=0.1,
                               weight_decay=0.01),
    "ftrl_power0": lambda: O.Ftrl(learning_rate=0.1, learning_rate_power=0.0,
                                  l1_regularization_strength=0.05),
    "sgd_ema": lambda: O.SGD(learning_rate=0.1, momentum=0.9, use_ema=True, ema_momentum=0.9),
    "adam_ema_overwrite": lambda: O.Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.8,
                                         ema_overwrite_frequency=2),
    "adam_accum": lambda: O.Adam(learning_rate=0.1, gradient_accumulation_steps=3),
    "rmsprop_accum_clip": lambda: O.RMSprop(learning_rate=0.05, gradient_accumulation_steps=2,
                                            clipnorm=0.1),
    "sgd_accum_ema": lambda: O.SGD(learning_rate=0.2, gradient_accumulation_steps=2,
                                   use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
    "nadam_accum_wd": lambda: O.Nadam(learning_rate=0.1, gradient_accumulation_steps=2,
                                      weight_decay=0.1),
    "adamw_accum_sched": lambda: O.AdamW(learning_rate=O.schedules.ExponentialDecay(0.1, 1, 0.5),
                                         gradient_accumulation_steps=2),
    "lion_ema": lambda: O.Lion(learning_rate=0.05, use_ema=True),
    "adagrad_accum": lambda: O.Adagrad(learning_rate=0.1, gradient_accumulation_steps=2),
}


def _close(actual, desired):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(desired),
                               rtol=1e-5, atol=3e-6)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_steps_as_keras(name):
    at3, at6, iterations, averages = STEPS[name]
    vs = [fastnn.Variable(np.array([1.0, -2.0, 3.0, 0.5], np.float32)),
          fastnn.Variable(np.array([[0.3, -0.1], [0.2, 0.4]], np.float32))]
    opt = MAKE[name]()
    for t in range(6):
        gs = [np.float32(0.1 * (t + 1)) * np.array([0.5, -1.0, 2.0, 0.25], np.float32)
              * np.float32((-1) ** t),
              np.array([[0.1, 0.2], [-0.3, 0.4]], np.float32) * np.float32(t - 2)]
        opt.apply_gradients(zip(gs, vs))
        if t == 2:
            for v, r in zip(vs, at3):
                _close(v, r)
    for v, r in zip(vs, at6):
        _close(v, r)
    assert opt.iterations == iterations
    if averages is not None:
        for s, r in zip(opt.slots_for(vs), averages):
            _close(s["average"], r)


# name: (loss per epoch, weights after fit, optimizer.iterations after fit)
FIT = {
    'adam_ema_accum': (
        [1.9884307384490967, 1.3962609767913818],
        [[[0.22529710829257965, 0.2372758984565735], [-1.0476564168930054, 0.02634880319237709],
          [1.2019903659820557, -1.3710819482803345]],
         [0.04697725921869278, -0.17585304379463196]],
        4),
    'ftrl': (
        [1.8636735677719116, 1.0622578859329224],
        [[[0.5085577368736267, -0.11513718217611313],
          [-0.4733041226863861, 0.12457133829593658],
          [0.17257475852966309, -0.7621248960494995]],
         [-0.011542192660272121, -0.3357199430465698]],
        8),
    'sgd_ema_overwrite': (
        [1.8816953897476196, 1.5883007049560547],
        [[[0.18231067061424255, 0.15756040811538696], [-1.158143401145935, 0.11941255629062653],
          [1.4166041612625122, -1.427168369293213]],
         [-0.04326362907886505, -0.14317090809345245]],
        8),
}

FIT_MAKE = {
    "adam_ema_accum": lambda: O.Adam(0.1, use_ema=True, ema_momentum=0.9,
                                     gradient_accumulation_steps=2),
    "ftrl": lambda: O.Ftrl(0.5, l1_regularization_strength=0.01),
    "sgd_ema_overwrite": lambda: O.SGD(0.1, momentum=0.5, use_ema=True,
                                       ema_overwrite_frequency=3),
}


@pytest.mark.parametrize("name", sorted(FIT))
def test_fit_as_keras(name):
    """fit with the option (the layer path: the engine declines these) ends with Keras'
    weights: for use_ema, the moving averages that fit's finalize_variable_values
    gives the weights."""
    losses, weights, iterations = FIT[name]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    w0 = [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]
    m = fastnn.Sequential([fastnn.Input((3,)), layers.Dense(2)])
    m.set_weights(w0)
    m.compile(FIT_MAKE[name](), "mse")
    h = m.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    _close(h.history["loss"], losses)
    for w, r in zip(m.get_weights(), weights):
        _close(w, r)
    assert m.optimizer.iterations == iterations
