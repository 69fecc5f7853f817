"""Pictures of training and of models: `plot_history` (learning curves per epoch) and
`plot_model` (Keras' `keras.utils.plot_model`, drawn with matplotlib alone).

matplotlib is an optional dependency (``pip install "fastnn-cpu[plot]"``), imported only when
one of these functions runs. `plot_model` needs neither pydot nor Graphviz: the layers are
placed in ranks (each layer one rank below the layers it takes its inputs from, a
connection that skips ranks routed through its own lane) and drawn as boxes with arrows.
"""
import math
import os
import sys

import numpy as np

from fastnn import _argcheck

_FORMATS = ("png", "svg", "pdf")
_RANKDIRS = ("TB", "BT", "LR", "RL")
_SPLINES = ("ortho", "polyline", "line", "curved", "spline")


def _matplotlib(what):
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"{what} draws with matplotlib, which is not installed: "
                          f'pip install "fastnn-cpu[plot]" (or pip install matplotlib)') from None
    return matplotlib


def _file_format(path, name, what, default=None):
    """(path as str, format) for a file to write; the format from the suffix."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what}: {name} must be a file path (str or os.PathLike), got "
                        f"{type(path).__name__} {_argcheck.shown(path)}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        raise TypeError(f"{what}: {name} must be a str path, got bytes {path!r}")
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if not suffix and default is not None:
        return path, default
    if suffix not in _FORMATS:
        raise ValueError(f"{what}: {name} must end in one of "
                         f"{', '.join('.' + f for f in _FORMATS)} (the file's format), got "
                         f"{path!r}")
    return path, suffix


def _agg_figure(figsize, dpi):
    """A figure on its own Agg canvas: no window, nothing registered with pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _backend_chosen(matplotlib):
    """Whether a matplotlib backend has been chosen (by MPLBACKEND, matplotlibrc,
    matplotlib.use or pyplot's first figure)."""
    get = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if get is not None:
        return get() is not None
    return "MPLBACKEND" in os.environ or "matplotlib.pyplot" in sys.modules


def _save(fig, path, fmt, dpi):
    import matplotlib
    # SVG text stays text (searchable, smaller) rather than outlines
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(path, format=fmt, dpi=dpi)


# -- learning curves ---------------------------------------------------------------
def _history_series(history, what):
    """{name: float64 array per epoch} from a History or its .history dict."""
    logs = history if isinstance(history, dict) else getattr(history, "history", None)
    if not isinstance(logs, dict):
        raise TypeError(f"{what}: history must be the History that fit() returns or its "
                        f".history dict, got {type(history).__name__} "
                        f"{_argcheck.shown(history)}")
    series = {}
    for key, values in logs.items():
        if not isinstance(key, str):
            raise TypeError(f"{what}: history's keys must be str names (loss, accuracy, "
                            f"val_loss...), got {type(key).__name__} {_argcheck.shown(key)}")
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        if isinstance(values, (str, bytes, dict)) or arr is None or arr.ndim != 1:
            raise ValueError(f"{what}: history[{key!r}] must be a list of numbers, one per "
                             f"epoch, got {_argcheck.shown(values)}")
        if arr.size:
            series[key] = arr
    if not series:
        raise ValueError(f"{what}: history holds no epochs (train with fit() first), got "
                         f"{_argcheck.shown(logs)}")
    return series


def _quantities(series, metrics, what):
    """The panels: (title, training key or None, validation key or None)."""
    if metrics is None:
        names = [k for k in series if not k.startswith("val_")]
        names += [k[4:] for k in series if k.startswith("val_") and k[4:] not in series]
        names.sort(key=lambda k: k != "loss")        # loss first, the rest as logged
    else:
        if isinstance(metrics, str):
            metrics = [metrics]
        if not isinstance(metrics, (list, tuple)) or not metrics \
                or not all(isinstance(m, str) for m in metrics):
            raise TypeError(f"{what}: metrics must be a name or a non-empty list of names "
                            f"from the history, got {_argcheck.shown(metrics)}")
        names = []
        for m in metrics:
            if m not in series and "val_" + m not in series:
                raise ValueError(f"{what}: metrics names {m!r}, which the history does "
                                 f"not hold; it holds {sorted(series)}")
            base = m[4:] if m.startswith("val_") else m    # drawn with its training curve
            if base not in names:
                names.append(base)
    return [(n, n if n in series else None, "val_" + n if "val_" + n in series else None)
            for n in names]


def plot_history(history, path=None, metrics=None, title=None, figsize=None, dpi=100):
    """Draw the learning curves of a training run: one panel per quantity (the loss and
    each metric) against the epoch, the validation curve (the ``val_*`` entry) beside
    the training one.

    Parameters
    ----------
    history : History or dict
        What ``model.fit`` returns, or its ``.history`` dict mapping each name
        (``"loss"``, ``"accuracy"``, ``"val_loss"``...) to one number per epoch.
    path : str or os.PathLike, optional
        Where to write the picture; the suffix gives the format (``.png``, ``.svg`` or
        ``.pdf``). When given and no matplotlib backend has been chosen, the figure is
        drawn on its own non-interactive Agg canvas (no window opens, nothing is left in
        ``matplotlib.pyplot``); otherwise it is a ``pyplot`` figure, shown as usual.
    metrics : str or list of str, optional
        The quantities to draw (``"loss"``, ``"accuracy"``...), in this order; each
        panel also shows the ``val_`` curve of its quantity when the history has one.
        Default: every quantity of the history, the loss first.
    title : str, optional
        A title above the panels.
    figsize : (float, float), optional
        Width and height in inches. Default: 4.5 by 3.4 inches per panel, up to three
        panels a row.
    dpi : float, default 100
        Resolution of the figure (and of the written PNG) in dots per inch.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one Axes per quantity: x the epoch (counted from 1), lines labelled
        ``"training"`` and ``"validation"``.

    Notes
    -----
    A validation curve with fewer values than epochs (``fit(validation_freq=k)``) is
    drawn at every k-th epoch, k being the number of epochs over the number of
    validation values.
    """
    what = "plot_history"
    matplotlib = _matplotlib(what)
    series = _history_series(history, what)
    panels = _quantities(series, metrics, what)
    if path is not None:
        path, fmt = _file_format(path, "path", what)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{what}: title must be a str or None, got {type(title).__name__} "
                        f"{_argcheck.shown(title)}")
    dpi = _argcheck.real(dpi, "dpi", what, lo=1, hi=2000)
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    if figsize is None:
        figsize = (4.5 * ncols, 3.4 * nrows + (0.4 if title else 0.0))
    else:
        if not isinstance(figsize, (list, tuple)) or len(figsize) != 2:
            raise TypeError(f"{what}: figsize must be (width, height) in inches, got "
                            f"{_argcheck.shown(figsize)}")
        figsize = tuple(_argcheck.real(v, f"figsize[{i}]", what, lo=0.5, hi=200)
                        for i, v in enumerate(figsize))

    epochs = getattr(history, "epoch", None)
    if path is not None and not _backend_chosen(matplotlib):
        fig = _agg_figure(figsize, dpi)
    else:
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=figsize, dpi=dpi)
    fig.set_layout_engine("constrained")
    from matplotlib.ticker import MaxNLocator
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (name, train_key, val_key) in zip(axes, panels):
        n = max(len(series[k]) for k in (train_key, val_key) if k)
        if isinstance(epochs, list) and len(epochs) == n:
            x = np.asarray(epochs, dtype=np.float64) + 1      # History.epoch counts from 0
        else:
            x = np.arange(1, n + 1, dtype=np.float64)
        marker = "o" if n <= 30 else None
        for key, label, style in ((train_key, "training", "-"), (val_key, "validation", "--")):
            if key is None:
                continue
            y = series[key]
            k = max(1, n // len(y))
            ax.plot(x[k - 1::k][:len(y)], y, style, marker=marker, markersize=3,
                    label=label)
        ax.set_title(name, parse_math=False)            # names are text, never TeX
        ax.set_xlabel("epoch")
        ax.set_ylabel(name, parse_math=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, parse_math=False)
    if path is not None:
        _save(fig, path, fmt, dpi)
    return fig


# -- model pictures ------------------------------------------------------------------
def _model_classes():
    from fastnn.models.functional import Functional
    from fastnn.models.model import Model
    from fastnn.models.sequential import Sequential
    return Model, Sequential, Functional


def _graph_of(model):
    """(layers, edges, {layer id: (input shapes, output shapes, output dtypes)}) of what
    Keras draws: a Sequential's layers (its Input not drawn), a functional model's
    layers (its Inputs included), a subclassed model as one box."""
    Model, Sequential, Functional = _model_classes()
    if isinstance(model, Sequential):
        layers = model.layers
        edges = list(zip(layers[:-1], layers[1:]))
        shapes = {id(l): (l.input_shape, l.output_shape, l.dtype) for l in layers}
        return layers, edges, shapes
    if isinstance(model, Functional):
        # every operation of the graph, the keras.ops calls too (model.layers lists the
        # layers only), as Keras draws them
        layers, edges, seen, shapes = list(model._graph_layers), [], set(), {}
        for node in model._nodes:
            for t in node.inputs:
                src = t._keras_history[0]
                if (id(src), id(node.layer)) not in seen:
                    seen.add((id(src), id(node.layer)))
                    edges.append((src, node.layer))
            if id(node.layer) not in shapes:      # the layer's first call, as Keras
                ins, outs = [t.shape for t in node.inputs], [t.shape for t in node.outputs]
                shapes[id(node.layer)] = (
                    None if not ins else ins[0] if len(ins) == 1 else ins,
                    outs[0] if len(outs) == 1 else outs,
                    node.outputs[0].dtype if len(node.outputs) == 1
                    else [t.dtype for t in node.outputs])
        return layers, edges, shapes
    shapes = {id(model): (getattr(model, "input_shape", None),
                          getattr(model, "output_shape", None), model.dtype)}
    return [model], [], shapes


def _shape_text(shape):
    return "?" if shape is None else str(shape).replace("{", "").replace("}", "")


def _activation_name(layer):
    act = layer.activation
    return getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)


def _labels(layer, shapes, opts):
    """(header, body lines) of a layer's box."""
    cls = type(layer).__name__
    header = f"{layer.name} ({cls})" if opts["show_layer_names"] else cls
    lines = []
    if opts["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        lines.append(f"Activation: {_activation_name(layer)}")
    in_shape, out_shape, dtype = shapes
    if opts["show_shapes"]:
        if cls != "InputLayer":
            lines.append(f"Input shape: {_shape_text(in_shape)}")
        lines.append(f"Output shape: {_shape_text(out_shape)}")
    if opts["show_dtype"]:
        lines.append(f"Output dtype: {dtype or '?'}")
    if opts["show_params"]:
        lines.append(f"Params: {layer.count_params() if layer.built else 0:,}")
    status = None
    if opts["show_trainable"] and layer.weights:
        status = "Trainable" if layer.trainable else "Non-trainable"
    return header, lines, status


def _ranks(layers, edges):
    """Rank of each layer: one more than the highest-ranked layer it takes inputs from
    (layers come in an order where producers come first; a shared layer's later calls,
    which may feed it its own output, do not move it). A layer that takes no inputs (an
    Input) sits just above the first layer that uses it."""
    rank, parents, children = {}, {}, {}
    for src, dst in edges:
        parents.setdefault(id(dst), []).append(src)
        children.setdefault(id(src), []).append(dst)
    for layer in layers:
        ups = [rank[id(p)] for p in parents.get(id(layer), ()) if id(p) in rank]
        rank[id(layer)] = max(ups) + 1 if ups else 0
    for layer in layers:
        if id(layer) not in parents and children.get(id(layer)):
            rank[id(layer)] = max(0, min(rank[id(c)] for c in children[id(layer)]) - 1)
    return rank


def _layout(layers, edges):
    """Sugiyama-style layers: ranks, a dummy slot per rank a long edge passes, the order
    within each rank from a few barycentre sweeps. Returns (rows, paths, back): rows a
    list per rank of ("layer", layer) or ("dummy", edge index) entries, paths the
    entries each forward edge passes through, back the edges drawn as arcs."""
    rank = _ranks(layers, edges)
    depth = max(rank.values()) + 1
    rows = [[] for _ in range(depth)]
    for layer in layers:
        rows[rank[id(layer)]].append(("layer", layer))
    paths, back, links = {}, [], []   # links: (upper entry id, lower entry id)

    def ident(entry):
        return (entry[0], id(entry[1])) if entry[0] == "layer" else entry

    for i, (src, dst) in enumerate(edges):
        r0, r1 = rank[id(src)], rank[id(dst)]
        if r1 <= r0:
            back.append(i)
            continue
        chain = [("layer", src)]
        for r in range(r0 + 1, r1):
            dummy = ("dummy", (i, r))
            rows[r].append(dummy)
            chain.append(dummy)
        chain.append(("layer", dst))
        paths[i] = chain
        links += [(ident(a), ident(b)) for a, b in zip(chain[:-1], chain[1:])]
    ups, downs = {}, {}
    for a, b in links:
        downs.setdefault(a, []).append(b)
        ups.setdefault(b, []).append(a)
    for sweep in range(4):                   # down, up, down, up
        order = range(1, depth) if sweep % 2 == 0 else range(depth - 2, -1, -1)
        near = ups if sweep % 2 == 0 else downs
        for r in order:
            pos = {ident(e): j for j, e in enumerate(rows[r - 1 if sweep % 2 == 0 else r + 1])}
            cur = {ident(e): j for j, e in enumerate(rows[r])}

            def centre(entry):
                ns = [pos[n] for n in near.get(ident(entry), ()) if n in pos]
                return sum(ns) / len(ns) if ns else cur[ident(entry)]
            rows[r].sort(key=lambda e: (centre(e), cur[ident(e)]))
    return rows, paths, back, ident


def _model_figure(model, show_shapes=False, show_dtype=False, show_layer_names=False,
                  rankdir="TB", dpi=200, show_layer_activations=False,
                  show_trainable=False, splines="ortho", show_params=True):
    """The figure plot_model writes (arguments checked by plot_model)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
    from matplotlib.path import Path
    from matplotlib.backends.backend_agg import RendererAgg

    opts = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                show_layer_names=show_layer_names, show_params=show_params,
                show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    layers, edges, shapes = _graph_of(model)
    labels = {id(l): _labels(l, shapes.get(id(l), (None, None, None)), opts) for l in layers}

    # Sizes in inches, measured with the fonts the boxes use.
    head_font = FontProperties(size=10, weight="bold")
    body_font = FontProperties(size=9)
    renderer = RendererAgg(10, 10, 72)

    def width(text, font):
        return renderer.get_text_width_height_descent(text, font, ismath=False)[0] / 72

    texts_w = [width(h, head_font) for h, _, _ in labels.values()]
    texts_w += [width(t, body_font) for _, lines, _ in labels.values() for t in lines]
    texts_w += [width(s, body_font) for _, _, s in labels.values() if s]
    pad, head_h, line_h = 0.12, 0.30, 0.20
    box_w = max(texts_w) + 2 * pad

    def box_h(layer):
        _, lines, status = labels[id(layer)]
        n = len(lines) + (1 if status else 0)
        return head_h + n * line_h + (0.12 if n else 0.0)

    vertical = rankdir in ("TB", "BT")
    lane, gap_across, gap_along = 0.18, 0.35, (0.55 if vertical else 0.65)
    rows, paths, back, ident = _layout(layers, edges)
    # Canonical frame: ranks go down the "along" axis, a rank's boxes side by side on
    # the "across" axis; to_xy turns it into the rankdir's picture.
    size = {}                                  # entry id -> (across, along) in inches
    for row in rows:
        for e in row:
            if e[0] == "layer":
                h = box_h(e[1])
                size[ident(e)] = (box_w, h) if vertical else (h, box_w)
            else:
                size[ident(e)] = (lane, 0.0)
    centre, rank_along, r_pos = {}, [], 0.0
    for row in rows:
        extent = max(size[ident(e)][1] for e in row)
        r_pos += extent / 2
        total = sum(size[ident(e)][0] for e in row) + gap_across * (len(row) - 1)
        a = -total / 2
        for e in row:
            s_a = size[ident(e)][0]
            centre[ident(e)] = (a + s_a / 2, r_pos)
            a += s_a + gap_across
        rank_along.append(extent)
        r_pos += extent / 2 + gap_along

    def to_xy(a, r):
        return {"TB": (a, -r), "BT": (a, r), "LR": (r, -a), "RL": (-r, -a)}[rankdir]

    corners = []
    for key, (a, r) in centre.items():
        s_a, s_r = size[key]
        corners += [to_xy(a - s_a / 2, r - s_r / 2), to_xy(a + s_a / 2, r + s_r / 2)]
    margin = 0.25 + (0.45 if back else 0.0)
    x0 = min(x for x, _ in corners) - margin
    x1 = max(x for x, _ in corners) + margin
    y0 = min(y for _, y in corners) - margin
    y1 = max(y for _, y in corners) + margin
    fig = _agg_figure((x1 - x0, y1 - y0), dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()

    dark, light, edge_colour = "#263238", "#f5f7f8", "#455a64"
    for layer in layers:
        key = ("layer", id(layer))
        x, y = to_xy(*centre[key])
        w, h = box_w, box_h(layer)
        top = y + h / 2
        header, lines, status = labels[id(layer)]
        body = FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                              boxstyle="round,pad=0,rounding_size=0.06",
                              facecolor=light, edgecolor=dark, linewidth=1.0, zorder=2)
        ax.add_patch(body)
        band = Rectangle((x - w / 2, top - head_h), w, head_h, facecolor=dark,
                         edgecolor="none", zorder=3)
        ax.add_patch(band)
        band.set_clip_path(body)
        ax.text(x, top - head_h / 2, header, fontproperties=head_font, color="white",
                ha="center", va="center", zorder=4, parse_math=False)
        for i, text in enumerate(lines):
            ax.text(x, top - head_h - 0.06 - (i + 0.5) * line_h, text,
                    fontproperties=body_font, color="black", ha="center", va="center",
                    zorder=4, parse_math=False)
        if status:
            colour = "forestgreen" if status == "Trainable" else "firebrick"
            ax.text(x, top - head_h - 0.06 - (len(lines) + 0.5) * line_h, status,
                    fontproperties=body_font, color=colour, weight="bold", ha="center",
                    va="center", zorder=4, parse_math=False)

    # An arrow leaves a box at its far side (the bottom for TB) and enters the next at
    # its near side, several arrows into one box spread along that side; a connection
    # that skips ranks runs straight through its lane in each rank it passes, and turns
    # only in the gaps between ranks.
    incoming = {}
    for i in sorted(paths, key=lambda i: centre[ident(paths[i][-2])][0]):
        incoming.setdefault(id(edges[i][1]), []).append(i)
    spread, turn = {}, {}
    for i_list in incoming.values():
        dst = ("layer", id(edges[i_list[0]][1]))
        step = min(size[dst][0] / (len(i_list) + 1), 0.3)
        for j, i in enumerate(i_list):
            spread[i] = (j - (len(i_list) - 1) / 2) * step
            turn[i] = (j + 1) / (len(i_list) + 1)   # where in the gap it turns: apart
    arrow = dict(arrowstyle="-|>", mutation_scale=11, color=edge_colour, linewidth=1.1,
                 zorder=1)
    for i, chain in paths.items():
        src, dst = ident(chain[0]), ident(chain[-1])
        a_s, r_s = centre[src]
        a_d, r_d = centre[dst]
        legs = [(a_s, r_s + size[src][1] / 2)]              # (exit, entry) in the gaps
        for e in chain[1:-1]:
            a, r = centre[ident(e)]
            extent = rank_along[e[1][1]]          # a dummy is ("dummy", (edge, rank))
            legs += [(a, r - extent / 2), (a, r + extent / 2)]
        legs.append((a_d + spread[i], r_d - size[dst][1] / 2))
        verts, codes = [legs[0]], [Path.MOVETO]
        for k in range(0, len(legs) - 1, 2):
            (a0, r0), (a1, r1) = legs[k], legs[k + 1]
            mid = r0 + (r1 - r0) * (turn[i] if k + 2 == len(legs) else 0.5)
            if splines == "ortho":
                verts += [(a0, mid), (a1, mid), (a1, r1)]
                codes += [Path.LINETO] * 3
            elif splines in ("curved", "spline"):
                verts += [(a0, mid), (a1, mid), (a1, r1)]
                codes += [Path.CURVE4] * 3
            else:
                verts.append((a1, r1))
                codes.append(Path.LINETO)
            if k + 2 < len(legs):                          # straight through a lane
                verts.append(legs[k + 2])
                codes.append(Path.LINETO)
        path = Path([to_xy(a, r) for a, r in verts], codes)
        ax.add_patch(FancyArrowPatch(path=path, **arrow))
    for i in back:                       # a shared layer fed by a later layer (or itself)
        src, dst = ("layer", id(edges[i][0])), ("layer", id(edges[i][1]))
        (a_s, r_s), (a_d, r_d) = centre[src], centre[dst]
        if src == dst:                   # a loop on the box's side
            quarter = size[src][1] / 4
            r_s, r_d = r_s + quarter, r_s - quarter
        side_s, side_d = a_s + size[src][0] / 2, a_d + size[dst][0] / 2
        bulge = max(side_s, side_d) + 0.35
        verts = [(side_s, r_s), (bulge, r_s), (bulge, r_d), (side_d, r_d)]
        path = Path([to_xy(a, r) for a, r in verts],
                    [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        ax.add_patch(FancyArrowPatch(path=path, **arrow))
    return fig


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho",
               show_params=True, **kwargs):
    """Draw a model's layers and their connections to an image file, as
    ``keras.utils.plot_model`` does, with matplotlib instead of pydot and Graphviz.

    Each layer is a box: a header with its name and class, then what the arguments ask
    for (activation, input and output shapes, output dtype, parameter count, whether it
    trains). A Sequential model is its stack of layers; a functional model the graph of
    its layers from the Inputs to the outputs, an arrow from each layer to each layer
    that takes its output (branches fan out, merges such as Add or Concatenate take
    several arrows, a connection that skips layers runs in its own lane). A subclassed
    model is one box, as in Keras.

    Parameters
    ----------
    model : fastnn Model
        A built model (a Sequential with an Input or after training, a functional model,
        a subclassed model after its first call).
    to_file : str or os.PathLike, default "model.png"
        The file to write; ``.png``, ``.svg`` or ``.pdf`` (no suffix: PNG, as Keras).
    show_shapes : bool, default False
        Show each layer's input and output shapes.
    show_dtype : bool, default False
        Show each layer's output dtype.
    show_layer_names : bool, default False
        Show each layer's name before its class.
    rankdir : {"TB", "LR", "BT", "RL"}, default "TB"
        Direction of the drawing: top to bottom, left to right, or the reverses.
    expand_nested : bool, default False
        Keras draws the layers of nested models inside a frame; fastnn draws a nested
        model as one box and refuses True for a model that contains one.
    dpi : float, default 200
        Resolution of the figure in dots per inch.
    show_layer_activations : bool, default False
        Show the activation of layers that have one (``layer.activation``).
    show_trainable : bool, default False
        Mark each layer with weights "Trainable" or "Non-trainable".
    splines : {"ortho", "polyline", "line", "curved", "spline"}, default "ortho"
        How arrows are drawn: right-angled, straight, or curved.
    show_params : bool, default True
        Show each layer's parameter count (a fastnn addition; Keras shows none).
    **kwargs
        Keras' ``layer_range`` (no longer supported, as in Keras) or any other keyword
        raises ValueError.

    Returns
    -------
    IPython.display.Image or IPython.display.SVG or None
        As Keras: the written picture as an IPython display object when IPython is
        installed (so a notebook shows it), None for PDF or without IPython.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    ValueError, TypeError
        For a model that is not built, an argument of the wrong kind or value.
    """
    what = "plot_model"
    _matplotlib(what)
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(f"{what}: layer_range is no longer supported (as in Keras 3)")
    if kwargs:
        raise ValueError(f"{what}: unrecognized keyword arguments {sorted(kwargs)}")
    Model, Sequential, Functional = _model_classes()
    if not isinstance(model, Model):
        raise TypeError(f"{what}: model must be a fastnn Model (Sequential, functional or "
                        f"subclassed), got {type(model).__name__} {_argcheck.shown(model)}")
    flags = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                 show_layer_names=show_layer_names, expand_nested=expand_nested,
                 show_layer_activations=show_layer_activations,
                 show_trainable=show_trainable, show_params=show_params)
    for name, value in flags.items():
        _argcheck.boolean(value, name, what)
    rankdir = _argcheck.string(rankdir, "rankdir", what, choices=_RANKDIRS)
    splines = _argcheck.string(splines, "splines", what, choices=_SPLINES)
    dpi = _argcheck.real(dpi, "dpi", what, lo=1, hi=2000)
    path, fmt = _file_format(to_file, "to_file", what, default="png")
    if not model.built or (isinstance(model, Sequential) and not model.layers):
        raise ValueError(f"{what}: the model {model.name!r} has not yet been built; build "
                         f"it first (give it an Input, call build(input_shape), or call it "
                         f"on a batch of data)")
    if expand_nested and any(isinstance(l, Model) for l in model.layers):
        raise ValueError(f"{what}: expand_nested=True is not supported: fastnn draws a "
                         f"nested model as one box (plot the inner model on its own to see "
                         f"its layers)")
    del flags["expand_nested"]
    fig = _model_figure(model, rankdir=rankdir, dpi=dpi, splines=splines, **flags)
    _save(fig, path, fmt, dpi)
    if fmt == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.SVG(filename=path) if fmt == "svg" else \
        display.Image(filename=path, format="png")
