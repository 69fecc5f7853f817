"""Pictures: fastnn.utils.plot_history (learning curves), fastnn.utils.plot_model (Keras'
plot_model drawn with matplotlib alone), `python -m fastnn --plot`."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import fastnn  # noqa: E402
from fastnn import Input, Model, Sequential  # noqa: E402
from fastnn.layers import Add, Concatenate, Dense  # noqa: E402
from fastnn.utils import plot_history, plot_model  # noqa: E402
from fastnn.visualization import _model_figure  # noqa: E402  (the figure plot_model writes)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC


def svg_texts(path):
    """The text of every <text> element of an SVG file (which must parse as XML)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]


def figure_texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def digit_network():
    return Sequential([Input((64,)), Dense(25, activation="relu", name="hidden_1"),
                       Dense(15, activation="relu", name="hidden_2"),
                       Dense(10, name="logits")])


def branchy_model():
    """Two inputs, a branch, a skip connection over two layers (an Add), a merge
    (Concatenate) and a layer called twice."""
    a, b = Input((8,), name="left_in"), Input((4,), name="right_in")
    x = Dense(6, name="d1")(a)
    y = Dense(6, name="d2")(x)
    y = Dense(6, name="d3")(y)
    r = Add(name="skip_add")([x, y])
    c = Concatenate(name="merge")([r, b])
    shared = Dense(10, name="shared")    # called on its own output: units = its input's
    z = shared(c)
    out = Add(name="twice_add")([z, shared(z)])
    return Model([a, b], out)


# -- plot_model ----------------------------------------------------------------------
def test_plot_model_writes_a_png_and_returns_what_keras_returns(tmp_path):
    path = tmp_path / "model.png"
    result = plot_model(digit_network(), to_file=path, show_shapes=True, dpi=50)
    assert path.stat().st_size > 0 and is_png(path)
    try:
        from IPython import display
    except ImportError:
        assert result is None
    else:
        assert isinstance(result, display.Image) and result.data[:8] == PNG_MAGIC
    # no suffix: PNG, as Keras
    plain = tmp_path / "model"
    plot_model(digit_network(), to_file=str(plain), dpi=50)
    assert is_png(plain)


def test_plot_model_boxes_name_each_layer_its_shapes_and_parameter_count():
    model = digit_network()
    texts = figure_texts(_model_figure(model, show_shapes=True, show_layer_names=True,
                                       show_layer_activations=True))
    for layer in model.layers:
        assert f"{layer.name} (Dense)" in texts
        assert f"Input shape: {layer.input_shape}" in texts
        assert f"Output shape: {layer.output_shape}" in texts
        assert f"Params: {layer.count_params():,}" in texts
    # the arithmetic: 64*25 + 25 weights and biases
    assert "Params: 1,625" in texts and "Input shape: (None, 64)" in texts
    assert texts.count("Activation: relu") == 2 and "Activation: linear" in texts


def test_plot_model_keras_defaults_show_the_class_alone():
    texts = figure_texts(_model_figure(digit_network()))
    assert texts.count("Dense") == 3
    assert not any("shape" in t or "hidden_1" in t for t in texts)
    texts = figure_texts(_model_figure(digit_network(), show_params=False))
    assert texts == ["Dense"] * 3


def test_plot_model_dtype_and_trainable():
    model = digit_network()
    model.get_layer("hidden_2").trainable = False
    texts = figure_texts(_model_figure(model, show_dtype=True, show_trainable=True))
    assert texts.count("Output dtype: float32") == 3
    assert texts.count("Trainable") == 2 and texts.count("Non-trainable") == 1


def test_plot_model_svg_keeps_the_text(tmp_path):
    model = branchy_model()
    path = tmp_path / "graph.svg"
    plot_model(model, to_file=path, show_shapes=True, show_layer_names=True)
    texts = svg_texts(path)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in texts
    assert "Input shape: [(None, 6), (None, 4)]" in texts       # the merge's two inputs
    assert "Output shape: (None, 10)" in texts
    pdf = tmp_path / "graph.pdf"
    assert plot_model(model, to_file=pdf) is None
    assert pdf.read_bytes()[:5] == b"%PDF-"


def _boxes_and_arrows(fig):
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    ax = fig.axes[0]
    boxes = [(p.get_x(), p.get_y(), p.get_x() + p.get_width(), p.get_y() + p.get_height())
             for p in ax.patches if isinstance(p, FancyBboxPatch)]
    lines = []
    for p in ax.patches:
        if isinstance(p, FancyArrowPatch):
            path = p.get_path()
            # the line, up to the arrow head (drawn from a second MOVETO)
            moves = np.flatnonzero(path.codes == path.MOVETO)
            end = moves[1] if len(moves) > 1 else len(path.codes)
            lines.append(path.vertices[:end])
    return boxes, lines


@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_plot_model_graph_arrows_never_cross_a_box(rankdir):
    model = branchy_model()
    fig = _model_figure(model, show_shapes=True, show_layer_names=True, rankdir=rankdir)
    boxes, lines = _boxes_and_arrows(fig)
    assert len(boxes) == len(model.layers) == 9
    # one arrow per connection between layers (Keras draws each pair once): left_in->d1,
    # d1->d2, d2->d3, d1->skip_add, d3->skip_add, skip_add->merge, right_in->merge,
    # merge->shared, shared->shared (its second call), shared->twice_add
    assert len(lines) == 10
    for i, b in enumerate(boxes):                       # boxes apart
        for c in boxes[i + 1:]:
            assert b[2] <= c[0] or c[2] <= b[0] or b[3] <= c[1] or c[3] <= b[1]
    inset = 0.02
    for line in lines:
        for p, q in zip(line[:-1], line[1:]):
            for t in np.linspace(0, 1, 41):
                x, y = p + t * (q - p)
                for x0, y0, x1, y1 in boxes:
                    assert not (x0 + inset < x < x1 - inset and y0 + inset < y < y1 - inset), \
                        (rankdir, p, q, (x0, y0, x1, y1))


def test_plot_model_rankdir_orders_the_stack():
    model = digit_network()
    for rankdir, axis, sign in (("TB", 1, -1), ("BT", 1, 1), ("LR", 0, 1), ("RL", 0, -1)):
        boxes, _ = _boxes_and_arrows(_model_figure(model, rankdir=rankdir))
        centres = [sign * (b[axis] + b[axis + 2]) / 2 for b in boxes]
        assert centres == sorted(centres) and len(set(centres)) == 3, rankdir


def test_plot_model_subclassed_model_is_one_box(tmp_path):
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(3)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.zeros((2, 4), "float32"))
    texts = figure_texts(_model_figure(net, show_layer_names=True))
    assert texts == [f"{net.name} (Net)", "Params: 15"]


def test_plot_model_nested_model_is_one_box_and_expand_nested_is_refused(tmp_path):
    inner = Sequential([Input((4,)), Dense(3), Dense(2)], name="inner")
    x = Input((4,))
    model = Model(x, Dense(1)(inner(x)))
    texts = figure_texts(_model_figure(model, show_layer_names=True))
    assert "inner (Sequential)" in texts and "Params: 23" in texts
    with pytest.raises(ValueError, match="expand_nested"):
        plot_model(model, to_file=tmp_path / "m.png", expand_nested=True)
    plot_model(digit_network(), to_file=tmp_path / "m.png", expand_nested=True, dpi=50)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"rankdir": "XY"}, ValueError, "rankdir"),
    ({"rankdir": 1}, TypeError, "rankdir"),
    ({"splines": "wiggly"}, ValueError, "splines"),
    ({"dpi": 0}, ValueError, "dpi"),
    ({"dpi": "high"}, TypeError, "dpi"),
    ({"show_shapes": "yes"}, TypeError, "show_shapes"),
    ({"show_layer_names": None}, TypeError, "show_layer_names"),
    ({"to_file": "model.gif"}, ValueError, "to_file"),
    ({"to_file": 3}, TypeError, "to_file"),
    ({"layer_range": ["a", "b"]}, ValueError, "layer_range"),
    ({"colour": "red"}, ValueError, "colour"),
])
def test_plot_model_bad_arguments_name_themselves(tmp_path, kwargs, error, name):
    kwargs = {"to_file": str(tmp_path / "m.png"), **kwargs}
    with pytest.raises(error, match=name):
        plot_model(digit_network(), **kwargs)
    assert not (tmp_path / "m.png").exists()


def test_plot_model_needs_a_built_model(tmp_path):
    with pytest.raises(TypeError, match="model must be a fastnn Model"):
        plot_model(Dense(3), to_file=tmp_path / "m.png")
    with pytest.raises(ValueError, match="not yet been built"):
        plot_model(Sequential([Dense(3)]), to_file=tmp_path / "m.png")


def test_model_to_dot_is_absent_and_says_why():
    assert not hasattr(fastnn.utils, "model_to_dot")
    with pytest.raises(AttributeError, match="matplotlib"):
        fastnn.utils.model_to_dot  # noqa: B018


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib fails
    with pytest.raises(ImportError, match=r'pip install "fastnn-cpu\[plot\]"'):
        plot_model(digit_network(), to_file=tmp_path / "m.png")
    with pytest.raises(ImportError, match=r'pip install "fastnn-cpu\[plot\]"'):
        plot_history({"loss": [1.0, 0.5]})


# -- plot_history --------------------------------------------------------------------
def _fit(epochs=5, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((160, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    fastnn.utils.set_random_seed(0)
    model = Sequential([Input((5,)), Dense(8, activation="relu"), Dense(2)])
    model.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, **kwargs)


def _lines(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in ax.lines}


def test_plot_history_one_panel_per_quantity_validation_beside_training(tmp_path):
    history = _fit(validation_split=0.25)
    path = tmp_path / "curves.png"
    fig = plot_history(history, path)
    assert is_png(path)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        name = ax.get_title()
        lines = _lines(ax)
        assert set(lines) == {"training", "validation"}
        assert lines["training"] == ([1, 2, 3, 4, 5], history.history[name])
        assert lines["validation"] == ([1, 2, 3, 4, 5], history.history["val_" + name])
        assert ax.get_xlabel() == "epoch"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training",
                                                                        "validation"]


def test_plot_history_without_validation_and_from_the_dict(tmp_path):
    history = _fit(epochs=3)
    fig = plot_history(history.history, tmp_path / "curves.svg", metrics="accuracy",
                       title="a run")
    svg_texts(tmp_path / "curves.svg")                       # valid SVG
    assert [ax.get_title() for ax in fig.axes] == ["accuracy"]
    assert _lines(fig.axes[0]) == {"training": ([1, 2, 3], history.history["accuracy"])}
    assert fig._suptitle.get_text() == "a run"
    fig = plot_history(history, tmp_path / "curves.pdf")
    assert (tmp_path / "curves.pdf").read_bytes()[:5] == b"%PDF-"


def test_plot_history_validation_every_other_epoch():
    history = _fit(epochs=6, validation_split=0.25, validation_freq=2)
    lines = _lines(plot_history(history, metrics=["loss"]).axes[0])
    assert lines["training"][0] == [1, 2, 3, 4, 5, 6]
    assert lines["validation"] == ([2, 4, 6], history.history["val_loss"])


def test_plot_history_names_are_text_and_validation_alone_is_validation(tmp_path):
    logs = {"val_loss": [0.9, 0.7], "cost$1$": [2.0, 1.0]}     # "$...$" is not TeX here
    fig = plot_history(logs, tmp_path / "c.png", metrics=["val_loss", "cost$1$"])
    assert [ax.get_title() for ax in fig.axes] == ["loss", "cost$1$"]
    assert _lines(fig.axes[0]) == {"validation": ([1, 2], [0.9, 0.7])}
    assert is_png(tmp_path / "c.png")


def test_plot_model_layer_names_are_text(tmp_path):
    model = Sequential([Input((3,)), Dense(2, name="a$b$c")])
    plot_model(model, to_file=tmp_path / "m.svg", show_layer_names=True)
    assert "a$b$c (Dense)" in svg_texts(tmp_path / "m.svg")


def test_plot_history_with_a_path_uses_agg_and_leaves_pyplot_alone(tmp_path):
    path = tmp_path / "c.png"
    code = ("import sys; from fastnn.utils import plot_history; "
            f"fig = plot_history({{'loss': [3.0, 2.0, 1.5]}}, {str(path)!r}); "
            "print(type(fig.canvas).__name__, 'matplotlib.pyplot' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("MPLBACKEND", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["FigureCanvasAgg", "False"]
    assert is_png(path)


@pytest.mark.parametrize("args, kwargs, error, name", [
    ((5,), {}, TypeError, "history"),
    (({},), {}, ValueError, "history holds no epochs"),
    (({"loss": []},), {}, ValueError, "history holds no epochs"),
    (({"loss": "low"},), {}, ValueError, "history\\['loss'\\]"),
    (({"loss": [[1.0, 2.0]]},), {}, ValueError, "history\\['loss'\\]"),
    (({1: [1.0]},), {}, TypeError, "keys"),
    (({"loss": [1.0]},), {"metrics": ["accuracy"]}, ValueError, "metrics"),
    (({"loss": [1.0]},), {"metrics": 3}, TypeError, "metrics"),
    (({"loss": [1.0]},), {"path": "c.gif"}, ValueError, "path"),
    (({"loss": [1.0]},), {"path": 2.5}, TypeError, "path"),
    (({"loss": [1.0]},), {"dpi": -3}, ValueError, "dpi"),
    (({"loss": [1.0]},), {"figsize": 4}, TypeError, "figsize"),
    (({"loss": [1.0]},), {"title": 7}, TypeError, "title"),
])
def test_plot_history_bad_arguments_name_themselves(args, kwargs, error, name):
    with pytest.raises(error, match=name):
        plot_history(*args, **kwargs)


# -- python -m fastnn --plot ---------------------------------------------------------
def run_main(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastnn", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_main_plot_writes_the_learning_curves(tmp_path):
    path = tmp_path / "curves.png"
    proc = run_main("--quiet", "--epochs", "3", "--plot", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy:" in proc.stdout and f"learning curves: {path}" in proc.stdout
    assert is_png(path)


def test_main_plot_refuses_an_unknown_format(tmp_path):
    proc = run_main("--plot", str(tmp_path / "curves.gif"))
    assert proc.returncode == 2 and "--plot must name a .png, .svg or .pdf" in proc.stderr
    assert not (tmp_path / "curves.gif").exists()
