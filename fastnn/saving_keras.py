"""Keras files: Keras 3's ``.keras`` and ``.weights.h5`` (read and written), and Keras 2's
legacy ``.h5`` model and weights files (read).

``fastnn.saving`` chooses these by the file name's ending (``model.save("m.keras")``,
``fastnn.models.load_model("m.keras")``, ``model.save_weights("w.weights.h5")``,
``load_model("old.h5")``); every other ending keeps fastnn's own format. The HDF5 files
need the optional package h5py (``pip install "fastnn-cpu[keras]"``), imported only here.
Neither Keras nor TensorFlow is ever imported.

What a ``.keras`` file holds (Keras 3's ``saving_lib``): a ZIP archive of
``metadata.json`` (``keras_version``, ``date_saved``), ``config.json`` (the model, each
object serialized as ``{"module", "class_name", "config", "registered_name"}``, with the
compile settings under ``compile_config``) and ``model.weights.h5``. In the HDF5 file
every layer's variables lie at ``layers/<snake_case class name>[_<n>]/vars/<i>`` (the
class name numbered per class in ``model.layers`` order; trainable variables first), the
model's own at ``vars`` and the optimizer's at ``optimizer/vars/<i>``: the step count,
the learning rate (absent for a schedule), then the slots in the order the Keras
optimizer's ``build`` creates them.

Reading is stricter than Keras' ``safe_mode``: nothing in a file names code that is run
or a module that is imported. Only the classes in fixed tables (fastnn's layers,
initializers, regularizers, constraints, losses, metrics, optimizers and schedules) are
made; ``Lambda`` layers and ``__lambda__`` objects are refused; a Keras argument fastnn
does not have is accepted only at the value that turns its feature off, and refused with
a ValueError naming the class, the argument and the value otherwise. In the HDF5 file,
soft and external links, external and virtual datasets, filtered (compressed) datasets and
committed datatypes are refused, and every dataset's shape and type are compared with
the weight it is read into, and its size with the file's, before it is read. The ZIP
archive gets the checks fastnn's own files get (docs/KERAS_FILES.md has the list).
"""
import datetime
import inspect
import io
import json
import math
import os
import stat
import warnings
import zipfile

import numpy as np

from fastnn import saving as _saving

__all__ = ["save_model", "load_model", "save_weights", "load_weights",
           "load_weights_from_model_file", "load_legacy_h5_model", "KERAS_VERSION"]

#: The Keras version whose file format is written (``metadata.json``'s keras_version).
KERAS_VERSION = "3.15.1"

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_ASSETS = "assets"
_MAX_METADATA_BYTES = 1 << 20
_MAX_H5_LINKS = 1 << 17           # groups and datasets one HDF5 file may hold
_H5_OVERHEAD = 16 << 20           # an HDF5 file's bytes beyond its arrays (headers, names)

_MODULES = {"layer": "keras.layers", "initializer": "keras.initializers",
            "regularizer": "keras.regularizers", "constraint": "keras.constraints",
            "loss": "keras.losses", "metric": "keras.metrics", "optimizer": "keras.optimizers",
            "schedule": "keras.optimizers.schedules"}

# Keras arguments fastnn has no feature for, with the value that leaves the feature off;
# a file may hold them only at these values (an argument fastnn's class takes is not
# looked up here).
_KERAS_ONLY = {
    "quantization_config": None, "lora_rank": None, "lora_alpha": None,      # Dense, Embedding
    "ragged": False, "sparse": False,                                        # InputLayer
    "synchronized": False,                                                   # BatchNormalization
    "beta_constraint": None, "gamma_constraint": None, "embeddings_constraint": None,
    "kernel_constraint": None, "bias_constraint": None,
    "max_value": None, "negative_slope": 0.0, "threshold": 0.0,             # ReLU
    "rms_scaling": False,                                                    # LayerNormalization
    "input_axes": None, "output_axes": None,                                 # initializers
    "loss_scale_factor": None,                                               # optimizers
    "decay": 0.0, "is_legacy_optimizer": False,                              # Keras 2 optimizers
}
# Arguments fastnn's get_config writes that the Keras class does not take (left out of a
# .keras file at these values).
_NOT_IN_KERAS = {"Discretization": {"trainable": True}}
# What Keras' get_config writes that follows from the other arguments (dropped on reading).
_DERIVED = {"IntegerLookup": ("vocabulary_size",), "StringLookup": ("vocabulary_size",)}
# Keras arguments that do not change what a model computes: accepted at any value.
_IGNORED = {"optimizer": ("jit_compile",)}
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
_OBJECT_KEYS = {"module", "class_name", "config", "registered_name", "build_config",
                "compile_config", "shared_object_id"}


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading and writing Keras' HDF5 files (.keras, .weights.h5, .h5) "
                          "needs the package h5py: pip install h5py (or pip install "
                          "'fastnn-cpu[keras]')") from None
    return h5py


def _tables():
    from fastnn import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from fastnn.optimizers import schedules
    return {"layer": layers.ALL_OBJECTS, "initializer": initializers.ALL_OBJECTS,
            "regularizer": regularizers.ALL_OBJECTS, "constraint": constraints.ALL_OBJECTS,
            "loss": losses.ALL_OBJECTS, "metric": metrics.ALL_OBJECTS,
            "optimizer": optimizers.ALL_OBJECTS, "schedule": schedules.ALL_OBJECTS}


def _snake(name):
    """Keras' naming.to_snake_case, which names a layer's group in the HDF5 file."""
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _kind_of_key(key):
    for suffix, kind in (("_initializer", "initializer"), ("_regularizer", "regularizer"),
                         ("_constraint", "constraint")):
        if key.endswith(suffix):
            return kind
    return None


def _bad(filepath, msg):
    return ValueError(f"{os.fspath(filepath)!s}: {msg}")


# ====================================================================== fastnn -> Keras
def _wrap(kind, obj):
    """fastnn's {"class_name", "config"} as Keras serializes the object."""
    cfg = dict(obj.get("config", {}))
    for key, value in cfg.items():
        sub = _kind_of_key(key)
        if sub and isinstance(value, dict):
            cfg[key] = _wrap(sub, value)
        elif kind == "optimizer" and key == "learning_rate" and isinstance(value, dict):
            cfg[key] = _wrap("schedule", value)
        elif kind == "optimizer" and key == "inner_optimizer" and isinstance(value, dict):
            cfg[key] = _wrap("optimizer", value)        # a LossScaleOptimizer's
    return {"module": _MODULES[kind], "class_name": obj["class_name"], "config": cfg,
            "registered_name": None}


def _policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _layer_to_keras(entry):
    if entry["class_name"] == "Sequential":
        raise ValueError("save: a Sequential model used as a layer is not written to .keras "
                         "files by fastnn (a functional model is); use fastnn's own format "
                         "(any other file ending) for this model")
    if entry["class_name"] == "Functional":        # a functional model used as a layer
        out = _spec_to_keras({"class_name": "Functional", "config": entry["config"]})
        out["build_config"] = {"input_shape": None}
        for key in ("name", "inbound_nodes"):
            if key in entry:
                out[key] = entry[key]
        return out
    if entry["class_name"] == "Lambda":
        raise ValueError("save: a Lambda layer holds Python code, which a .keras file "
                         "cannot hold in a form Keras loads safely; use fastnn's own format "
                         "(any other file ending) for this model")
    out = _wrap("layer", entry)
    cfg = out["config"]
    for key, default in _NOT_IN_KERAS.get(entry["class_name"], {}).items():
        if key in cfg and _same(cfg[key], default):
            del cfg[key]                  # an argument the Keras class does not take
    if entry["class_name"] != "InputLayer" and isinstance(cfg.get("dtype"), str):
        cfg["dtype"] = _policy(cfg["dtype"])
    for key in ("name", "inbound_nodes"):          # a functional model's graph
        if key in entry:
            out[key] = entry[key]
    return out


def _model_to_keras(model):
    from fastnn.layers import Lambda
    if any(isinstance(layer, Lambda) for _, layer in _layer_paths(model)):
        _layer_to_keras({"class_name": "Lambda"})         # refused, with the reason
    return _spec_to_keras(model.spec())


def _shift_model_refs(cfg, delta):
    """cfg's input_layers and output_layers with the node index of each reference to a
    functional model used as a layer moved by `delta`: Keras counts the node a model
    is made with there (its calls from 1), and only there (its inbound_nodes count
    the calls from 0, as fastnn counts them everywhere)."""
    models = {lc.get("name") for lc in cfg.get("layers", [])
              if isinstance(lc, dict) and lc.get("class_name") == "Functional"}
    if not models:
        return cfg

    def shift(ref):
        if isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str) \
                and isinstance(ref[1], int) and not isinstance(ref[1], bool):
            return [ref[0], ref[1] + delta, ref[2]] if ref[0] in models else ref
        if isinstance(ref, list):
            return [shift(r) for r in ref]
        if isinstance(ref, dict):
            return {k: shift(v) for k, v in ref.items()}
        return ref
    cfg = dict(cfg)
    for key in ("input_layers", "output_layers"):
        if key in cfg:
            cfg[key] = shift(cfg[key])
    return cfg


def _spec_to_keras(spec):
    cfg = dict(spec["config"])
    if spec["class_name"] != "Sequential":
        cfg = _shift_model_refs(cfg, 1)
    cfg["layers"] = [_layer_to_keras(lc) for lc in cfg.get("layers", [])]
    if spec["class_name"] == "Sequential":
        out = {"module": "keras", "class_name": "Sequential", "config": cfg,
               "registered_name": None}
        if cfg.get("build_input_shape") is not None:
            out["build_config"] = {"input_shape": cfg["build_input_shape"]}
    else:
        out = {"module": "keras.src.models.functional", "class_name": "Functional",
               "config": cfg, "registered_name": "Functional"}
    return out


def _map_objects(fn, value):
    """fn over the serialized objects in a compile argument (one, or a list or dict by
    output); strings and numbers as they are."""
    if isinstance(value, dict) and "class_name" in value:
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_objects(fn, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_objects(fn, v) for v in value]
    return value


def _compile_to_keras(cc):
    return {"optimizer": _wrap("optimizer", cc["optimizer"]),
            "loss": _map_objects(lambda o: _wrap("loss", o), cc["loss"]),
            "loss_weights": cc.get("loss_weights"),
            "metrics": _map_objects(lambda o: _wrap("metric", o), cc.get("metrics")) or None,
            "weighted_metrics": _map_objects(lambda o: _wrap("metric", o),
                                             cc.get("weighted_metrics")) or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _is_nested_model(layer):
    from fastnn.models import MODEL_CLASSES
    return MODEL_CLASSES.get(type(layer).__name__) is type(layer)


def _layer_paths(model, prefix="layers"):
    """[(path, layer)] of model.layers, named as Keras' saving_lib names them; a model
    used as a layer is followed by its own layers, under `<its path>/layers`."""
    used, out = {}, []
    for layer in model.layers:
        name = _snake(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append((f"{prefix}/{name}", layer))
        if _is_nested_model(layer):
            out.extend(_layer_paths(layer, f"{prefix}/{name}/layers"))
    return out


def _skipped_paths(paths, skip):
    """The paths of `paths` ([(path, layer)]) whose layer, or a model holding it, is in
    `skip` (ids)."""
    roots = [p for p, layer in paths if id(layer) in skip]
    return {p for p, _ in paths if any(p == r or p.startswith(r + "/") for r in roots)}


def _keras_vars(layer, what):
    """A layer's variables in Keras' order: those made trainable, then the others (a
    model used as a layer has none of its own: its layers hold them)."""
    if _is_nested_model(layer):
        return []
    if layer._sublayers():
        raise ValueError(f"{what}: layer {layer.name!r} ({type(layer).__name__}) holds other "
                         "layers, which fastnn does not write in Keras' layout; use fastnn's "
                         "own format (any other file ending)")
    return layer._own_weights(True) + layer._own_weights(False)


# -- optimizer state: Keras' variables <-> fastnn's get_state()
def _slot_groups(opt):
    """The slots in the order the Keras optimizer's build() makes them: one tuple per
    add_optimizer_variables call, whose names interleave per variable. The base
    optimizer's build() makes its own first: the moving averages (use_ema), then the
    gradient accumulators (gradient_accumulation_steps)."""
    base = ([("average",)] if opt._use_ema else []) + \
        ([("gradient_accumulator",)] if opt._accumulation else [])
    return base + _own_slot_groups(opt)


def _own_slot_groups(opt):
    name = type(opt).__name__
    if name == "SGD":
        return [("momentum",)] if opt.momentum != 0 else []
    if name in ("Adam", "AdamW"):
        return [("m", "v")] + ([("velocity_hat",)] if opt.amsgrad else [])
    if name == "RMSprop":
        return ([("velocity",)] + ([("momentum",)] if opt.momentum > 0 else [])
                + ([("average_gradient",)] if opt.centered else []))
    return {"Adagrad": [("accumulator",)], "Adadelta": [("accumulated_grad", "accumulated_delta_var")],
            "Adamax": [("momentum", "norm")], "Nadam": [("momentum", "velocity")],
            "Lion": [("momentum",)], "Ftrl": [("accumulator", "linear")]}[name]


def _has_lr_variable(opt):
    from fastnn.optimizers.schedules import LearningRateSchedule
    lr = opt._learning_rate
    return not (isinstance(lr, LearningRateSchedule) or callable(lr))


def _is_loss_scale(opt):
    return type(opt).__name__ == "LossScaleOptimizer"


def _optimizer_to_keras(opt, trainable):
    """The Keras optimizer's variables for `opt` built on `trainable`: step count,
    learning rate (unless a schedule), slots, and Nadam's product of momentum factors.
    A LossScaleOptimizer's are its own four (iteration, learning rate, step counter,
    dynamic scale), then its inner optimizer's, as Keras lists them."""
    if _is_loss_scale(opt):
        return [np.asarray(opt._own[0], dtype=np.int64), np.asarray(opt._own[1], np.float32),
                np.asarray(opt.step_counter, dtype=np.int64),
                np.asarray(opt.dynamic_scale, dtype=np.float32)] + \
            _optimizer_to_keras(opt.inner_optimizer, trainable)
    # Keras' "iteration" variable counts apply() calls (its `iterations` divides them by
    # gradient_accumulation_steps), as fastnn's _iterations does
    out = [np.asarray(opt._iterations, dtype=np.int64)]
    if _has_lr_variable(opt):
        out.append(np.asarray(opt._learning_rate, dtype=np.float32))
    if opt.knows(trainable):
        slots = opt.slots_for(trainable, "save")
    else:     # not built yet: the slots Keras' build() would make (Keras builds on load)
        slots = [{n: opt._init_slot(n, w) for n in opt._slot_names_for()} for w in trainable]
    for group in _slot_groups(opt):
        for s in slots:
            out.extend(np.asarray(s[n]) for n in group)
    if type(opt).__name__ == "Nadam":
        out.append(np.asarray(opt._u_product(opt.iterations), dtype=np.float32))
    return out


def _check_layout_model(model, what):
    """Keras' HDF5 layout is written and read here for Sequential and functional models."""
    from fastnn.models import MODEL_CLASSES, Model
    if isinstance(model, Model) and MODEL_CLASSES.get(type(model).__name__) is not type(model):
        raise TypeError(f"{what}: Keras' .weights.h5 and .h5 layouts are read and written for "
                        f"Sequential and functional models only, got the subclassed model "
                        f"{type(model).__name__}; use another file ending (fastnn's own format) "
                        "for its weights")
    _saving._check_model(model, what)


def _write_h5(model, what, with_optimizer, skip=frozenset()):
    """The HDF5 bytes of `model`'s weights (and optimizer state); the objects whose ids
    are in `skip` (layers, the optimizer, the model itself) are left out, as Keras'
    objects_to_skip leaves them."""
    h5py = _h5py()
    buf = io.BytesIO()
    if id(model) in skip:
        with h5py.File(buf, "w"):
            pass
        return buf.getvalue()
    with h5py.File(buf, "w") as f:
        paths = _layer_paths(model)
        skipped = _skipped_paths(paths, skip)
        for path, layer in paths:
            if path in skipped:
                continue
            g = f.create_group(f"{path}/vars")
            g.attrs["name"] = layer.name
            for i, w in enumerate(_keras_vars(layer, what)):
                g.create_dataset(str(i), data=np.asarray(w))
        f.create_group("vars").attrs["name"] = model.name
        opt = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
        if with_optimizer and opt is not None and id(opt) not in skip:
            g = f.create_group("optimizer/vars")
            g.attrs["name"] = opt.name
            for i, a in enumerate(_optimizer_to_keras(opt, model.trainable_weights)):
                g.create_dataset(str(i), data=a)
            if _is_loss_scale(opt):     # Keras writes the inner optimizer's again, alone
                g = f.create_group("optimizer/inner_optimizer/vars")
                g.attrs["name"] = opt.inner_optimizer.name
                for i, a in enumerate(_optimizer_to_keras(opt.inner_optimizer,
                                                          model.trainable_weights)):
                    g.create_dataset(str(i), data=a)
    return buf.getvalue()


def save_model(model, filepath, overwrite=True, zipped=True):
    """Write ``model`` as a Keras 3 ``.keras`` file: architecture, weights, compile
    settings and optimizer state, which ``keras.saving.load_model`` reads (for the layers,
    losses, metrics and optimizers Keras has).

    Parameters
    ----------
    model : Sequential or functional Model
        A built model (a subclassed model's architecture is Python code: save its weights).
    filepath : str or os.PathLike
        The file to write, atomically (a temporary file renamed over it); with
        ``zipped=False``, the directory to write the archive's members into, each
        atomically (plus the empty ``assets`` directory Keras writes).
    overwrite : bool
        Whether an existing file (or the directory's files) may be replaced.
    zipped : bool
        False: an unzipped model directory, as Keras writes it. Default True.
    """
    _saving._check_model(model, "save_model")
    filepath = os.fspath(filepath)
    if not zipped:
        if os.path.exists(filepath) and not os.path.isdir(filepath):
            raise FileExistsError(f"save_model: {filepath!r} exists and is not a directory; "
                                  "zipped=False writes a model directory")
        if not overwrite and os.path.exists(os.path.join(filepath, _CONFIG)):
            raise FileExistsError(f"save_model: {filepath!r} holds a model and overwrite=False")
    elif not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_model: {filepath!r} exists and overwrite=False")
    config = _model_to_keras(model)
    compile_cfg = _saving._compile_settings(model)
    if compile_cfg is not None:
        config["compile_config"] = _compile_to_keras(compile_cfg)
    try:
        config_bytes = json.dumps(config, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"save_model: the model's config cannot be stored as JSON ({e}); custom "
                        "objects (a Python function as activation or schedule) cannot be "
                        "saved") from None
    weights = _write_h5(model, "save_model", with_optimizer=compile_cfg is not None)
    metadata = json.dumps({"keras_version": KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                           "fastnn_version": _saving._fastnn_version()}).encode("utf-8")

    if not zipped:
        os.makedirs(os.path.join(filepath, _ASSETS), exist_ok=True)
        # The weights first and the config last: a directory whose config.json is there
        # holds the rest (an interrupted save over an older model leaves files of both).
        for name, data in ((_WEIGHTS, weights), (_METADATA, metadata), (_CONFIG, config_bytes)):
            _saving._atomic_write(os.path.join(filepath, name), lambda f, d=data: f.write(d))
        return

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(_METADATA, metadata)
            zf.writestr(_CONFIG, config_bytes)
            zf.writestr(_WEIGHTS, weights)
    _saving._atomic_write(filepath, write)


def _skip_ids(model, objects_to_skip, what):
    """The ids of `objects_to_skip` (None or a list of the model's layers, its optimizer
    or the model itself), each checked to belong to `model`."""
    if objects_to_skip is None:
        return frozenset()
    if isinstance(objects_to_skip, (str, bytes, dict)) or not hasattr(objects_to_skip, "__iter__"):
        raise TypeError(f"{what}: objects_to_skip must be a list of the model's layers (or "
                        f"its optimizer), got {type(objects_to_skip).__name__}")
    known = {id(layer) for _, layer in _layer_paths(model)} | {id(model)}
    opt = getattr(model, "optimizer", None)
    if opt is not None:
        known.add(id(opt))
    ids = set()
    for obj in objects_to_skip:
        if id(obj) not in known:
            shown = getattr(obj, "name", None) or type(obj).__name__
            raise ValueError(f"{what}: objects_to_skip holds {shown!r} "
                             f"({type(obj).__name__}), which is not one of the layers of "
                             f"model {model.name!r}, its optimizer or the model itself; pass "
                             "the objects of the model whose weights are saved or loaded")
        ids.add(id(obj))
    return frozenset(ids)


def save_weights(model, filepath, overwrite=True, objects_to_skip=None):
    """Write ``model``'s weights (and its optimizer's state, as Keras does) as a Keras 3
    ``.weights.h5`` file, which ``keras.Model.load_weights`` reads.

    Parameters
    ----------
    model : Sequential or functional Model
        A built model.
    filepath : str or os.PathLike
        The file to write (its name ends in ``.weights.h5``), atomically.
    overwrite : bool
        Whether an existing file may be replaced.
    objects_to_skip : list, optional
        Layers of the model (or its optimizer) whose variables are not written.
    """
    _check_layout_model(model, "save_weights")
    skip = _skip_ids(model, objects_to_skip, "save_weights")
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    data = _write_h5(model, "save_weights", with_optimizer=True, skip=skip)
    _saving._atomic_write(filepath, lambda f: f.write(data))


# ====================================================================== Keras -> fastnn
class _Converter:
    """Turns Keras' serialized objects into fastnn's, refusing anything outside the
    tables; `where` prefixes every message with the field."""

    def __init__(self):
        self.tables = _tables()

    def obj(self, kind, obj, where):
        """One serialized object of `kind` (a key of _tables()) as fastnn's
        {"class_name", "config"} (a functional layer entry keeps its graph keys)."""
        if not isinstance(obj, dict) or not isinstance(obj.get("class_name"), str):
            raise ValueError(f"{where} must be a serialized {kind} {{\"class_name\": ..., "
                             f"\"config\": {{...}}}}, got {obj!r:.100}")
        name = obj["class_name"]
        if name in ("__lambda__", "Lambda"):
            raise ValueError(f"{where} is a {name} object, which holds Python code; fastnn "
                             "never runs code from a file")
        extra = set(obj) - _OBJECT_KEYS - ({"name", "inbound_nodes"} if kind == "layer" else set())
        if extra:
            raise ValueError(f"{where} has keys {sorted(extra)[:5]} that a serialized {kind} "
                             "does not have")
        module = obj.get("module")
        if module is not None and not (isinstance(module, str)
                                       and (module == "keras" or module.startswith("keras."))):
            raise ValueError(f"{where}: module {module!r:.80} is not Keras'; only Keras' "
                             f"built-in classes are read (nothing is imported from a file)")
        cls = self.tables[kind].get(name)
        if cls is None:
            raise ValueError(f"{where}: {name!r:.80} is not a {kind} fastnn has; known: "
                             f"{sorted(self.tables[kind])}")
        registered = obj.get("registered_name")
        if registered is not None and registered != name:
            raise ValueError(f"{where}: registered_name {registered!r:.80} names a custom "
                             f"object; only Keras' built-in {name} is read")
        cfg = obj.get("config", {})
        if not isinstance(cfg, dict):
            raise ValueError(f"{where}.config must be an object of {name}'s arguments, got "
                             f"{cfg!r:.100}")
        if name == "InputLayer" and "batch_input_shape" in cfg and "batch_shape" not in cfg:
            cfg = dict(cfg)                  # Keras 2's name for it, as Keras 3 reads it
            cfg["batch_shape"] = cfg.pop("batch_input_shape")
        out = {"class_name": name, "config": self.args(kind, cls, cfg, f"{where}.config")}
        if kind == "layer":
            if "name" in obj:
                out["name"] = obj["name"]
            if "inbound_nodes" in obj:
                out["inbound_nodes"] = _nodes(obj["inbound_nodes"], f"{where}.inbound_nodes")
        return out

    def args(self, kind, cls, cfg, where):
        """The arguments `cfg` of `cls`, nested objects converted, Keras-only arguments
        at their defaults dropped (any other value refused)."""
        accepted = _accepted(cls)
        out = {}
        for key, value in cfg.items():
            sub = _kind_of_key(key)
            if key == "dtype" and isinstance(value, dict):
                value = _dtype_name(value, f"{where}.dtype")
            elif sub and isinstance(value, dict):
                value = self.obj(sub, value, f"{where}.{key}")
            elif kind == "optimizer" and key == "learning_rate" and isinstance(value, dict):
                value = self.obj("schedule", value, f"{where}.{key}")
            elif key == "activation" and isinstance(value, dict):
                value = _activation_name(value, f"{where}.{key}")
            if accepted is not None and key not in accepted:
                if key in _IGNORED.get(kind, ()) or key in _DERIVED.get(cls.__name__, ()):
                    continue
                if key in _KERAS_ONLY:
                    default = _KERAS_ONLY[key]
                    if _same(value, default):
                        continue
                    raise ValueError(f"{where}: {cls.__name__} with {key}={value!r:.80}: fastnn "
                                     f"has no such feature (only {key}={default!r} is read)")
            out[key] = value
        return out


def _nodes(nodes, where):
    """A functional layer's calls in Keras 3's form ({"args", "kwargs"}); Keras 2 wrote
    each as a list of [layer name, node index, tensor index, kwargs] of its inputs."""
    if not isinstance(nodes, list):
        return nodes                                  # refused by the graph builder
    out = []
    for j, node in enumerate(nodes):
        if not isinstance(node, list):
            out.append(node)
            continue
        tensors, kwargs = [], {}
        for ref in node:
            if not (isinstance(ref, list) and len(ref) in (3, 4) and isinstance(ref[0], str)
                    and (len(ref) == 3 or isinstance(ref[3], dict))):
                raise ValueError(f"{where}[{j}] must list [layer name, node index, tensor "
                                 f"index, kwargs] of each input, got {ref!r:.100}")
            tensors.append({"class_name": "__keras_tensor__",
                            "config": {"keras_history": list(ref[:3])}})
            kwargs = ref[3] if len(ref) == 4 else {}
        out.append({"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs})
    return out


def _same(value, default):
    """value is default (None, a bool, a number or a string), True not taken for 1."""
    if default is None or value is None:
        return value is default
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _accepted(cls):
    """The argument names cls takes (None: any)."""
    from fastnn.layers.layer import Layer
    params = inspect.signature(cls.__init__).parameters
    names = {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            return None
        names |= set(inspect.signature(Layer.__init__).parameters)
        names |= {"activity_regularizer", "autocast", "dynamic", "input_length"}
    return names - {"self"}


def _dtype_name(value, where):
    if value.get("class_name") not in _DTYPE_POLICIES or not isinstance(value.get("config"), dict) \
            or not isinstance(value["config"].get("name"), str):
        raise ValueError(f"{where} must be a DTypePolicy with a name such as 'float32', got "
                         f"{value!r:.100}")
    module = value.get("module")
    if module is not None and not (isinstance(module, str) and module.startswith("keras")):
        raise ValueError(f"{where}: module {module!r:.80} is not Keras'")
    return value["config"]["name"]


def _activation_name(value, where):
    """A built-in activation as Keras may serialize it: {"class_name": "function",
    "config": "relu", "module": "keras.activations"}."""
    if value.get("class_name") == "function" and isinstance(value.get("config"), str) \
            and value.get("module") in ("keras.activations", None):
        return value["config"]
    raise ValueError(f"{where} must name one of Keras' built-in activations, got {value!r:.100}")


def _refuse_code(obj, where):
    """Any "__lambda__" object (Python bytecode) anywhere in a config is refused."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            if o.get("class_name") == "__lambda__":
                raise ValueError(f"{where} holds a __lambda__ object (Python bytecode); fastnn "
                                 "never runs code from a file")
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)


_MODEL_KEYS = ("name", "trainable", "layers", "build_input_shape", "input_layers",
               "output_layers")


_MAX_NESTING = 16       # models used as layers, one in another


def _layer_from_keras(conv, lc, where, depth):
    """One entry of a model's layers: a layer, or a functional model used as a layer."""
    if isinstance(lc, dict) and lc.get("class_name") == "Functional":
        if depth >= _MAX_NESTING:
            raise ValueError(f"{where}: models nest more than {_MAX_NESTING} deep")
        extra = set(lc) - _OBJECT_KEYS - {"name", "inbound_nodes"}
        if extra:
            raise ValueError(f"{where} has keys {sorted(extra)[:5]} that a serialized model "
                             "does not have")
        out = _model_from_keras(conv, lc, where, depth + 1)
        if "name" in lc:
            out["name"] = lc["name"]
        if "inbound_nodes" in lc:
            nodes = _nodes(lc["inbound_nodes"], f"{where}.inbound_nodes")
            if isinstance(nodes, list):    # Keras records mask=None with a model's calls
                nodes = [dict(n, kwargs={k: v for k, v in n["kwargs"].items()
                                         if not (k == "mask" and v is None)})
                         if isinstance(n, dict) and isinstance(n.get("kwargs"), dict) else n
                         for n in nodes]
            out["inbound_nodes"] = nodes
        return out
    return conv.obj("layer", lc, where)


def _model_from_keras(conv, obj, where, depth=0):
    """A Keras model config -> fastnn's spec {"class_name", "config"}."""
    if not isinstance(obj, dict) or obj.get("class_name") not in ("Sequential", "Functional", "Model") \
            or not isinstance(obj.get("config"), dict):
        raise ValueError(f"{where} must be a Keras Sequential or Functional model, got "
                         f"{str(obj)[:120]!r}; subclassed models hold Python code: build the "
                         "model and use load_weights")
    module = obj.get("module")
    if module is not None and not (isinstance(module, str) and module.startswith("keras")):
        raise ValueError(f"{where}: module {module!r:.80} is not Keras'")
    if obj.get("registered_name") not in (None, "Functional", obj["class_name"]):
        raise ValueError(f"{where}: registered_name {obj['registered_name']!r:.80} names a "
                         "custom model class")
    cfg = obj["config"]
    out = {}
    for key, value in cfg.items():
        if key == "layers":
            if not isinstance(value, list):
                raise ValueError(f"{where}.config.layers must be a list, got {value!r:.80}")
            out["layers"] = [_layer_from_keras(conv, lc, f"{where}.config.layers[{i}]", depth)
                             for i, lc in enumerate(value)]
        elif key == "dtype":       # the model's policy; each layer has its own
            if isinstance(value, dict):
                value = _dtype_name(value, f"{where}.config.dtype")
            if value not in (None, "float32", "float64"):
                raise ValueError(f"{where}.config.dtype: {value!r:.40}; fastnn computes in "
                                 "float32 or float64")
        elif key in _MODEL_KEYS:
            out[key] = value
        else:
            raise ValueError(f"{where}.config: {obj['class_name']} with {key}={value!r:.60} "
                             "is not read by fastnn")
    name = "Sequential" if obj["class_name"] == "Sequential" else "Functional"
    if name == "Functional":
        out = _shift_model_refs(out, -1)
    return {"class_name": name, "config": out}


# What a compile_config (or a legacy training_config) may hold; run_eagerly, jit_compile
# and steps_per_execution do not change results and are not read.
_COMPILE_KEYS = ("optimizer", "optimizer_config", "loss", "loss_weights", "metrics",
                 "weighted_metrics", "run_eagerly", "jit_compile", "steps_per_execution")


def _compile_from_keras(conv, cc, where):
    """Keras' compile_config (or a legacy training_config) -> fastnn's compile config."""
    if not isinstance(cc, dict):
        raise ValueError(f"{where} must be an object, got {cc!r:.80}")
    unknown = set(cc) - set(_COMPILE_KEYS)
    if unknown:
        raise ValueError(f"{where}: compile arguments {sorted(unknown)[:5]} are not read by "
                         f"fastnn (it reads {list(_COMPILE_KEYS)})")
    opt = cc.get("optimizer", cc.get("optimizer_config"))
    if isinstance(opt, str):
        opt = {"class_name": opt}
    out = {"optimizer": conv.obj("optimizer", opt, f"{where}.optimizer")}

    def leaves(kind, value, at):
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "class_name" in value:
            return conv.obj(kind, value, at)
        if isinstance(value, dict):
            return {k: leaves(kind, v, f"{at}[{k!r}]") for k, v in value.items()}
        if isinstance(value, list):
            return [leaves(kind, v, f"{at}[{i}]") for i, v in enumerate(value)]
        raise ValueError(f"{at} must be a name or a serialized {kind}, got {value!r:.80}")
    out["loss"] = leaves("loss", cc.get("loss"), f"{where}.loss")
    out["loss_weights"] = cc.get("loss_weights")
    out["metrics"] = leaves("metric", cc.get("metrics"), f"{where}.metrics") or []
    out["weighted_metrics"] = leaves("metric", cc.get("weighted_metrics"),
                                     f"{where}.weighted_metrics") or []
    return out


# ------------------------------------------------------------------ the files
class _Zip:
    """A .keras archive, checked as fastnn's own: regular file, readable ZIP, members
    stored or deflated, unencrypted, unique, the expected ones only, inflating at most
    MAX_COMPRESSION_RATIO times the file's size; members read in bounded chunks."""

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)

    def __enter__(self):
        fp = self.filepath
        if os.path.isdir(fp):
            raise IsADirectoryError(f"load: {fp!r} is a directory, not a .keras file")
        if not os.path.exists(fp):
            raise FileNotFoundError(f"load: no such file: {fp!r}")
        st = os.stat(fp)
        if not stat.S_ISREG(st.st_mode):
            raise _bad(fp, "not a regular file; .keras files are ZIP archives on disk")
        self.size = st.st_size
        try:
            self.zf = zipfile.ZipFile(fp, "r")
        except _saving._ZIP_ERRORS + (OSError,) as e:
            raise _bad(fp, f"not a .keras file (not a readable ZIP archive: {e})") from None
        try:
            self._check()
        except BaseException:
            self.zf.close()
            raise
        return self

    def __exit__(self, *exc):
        self.zf.close()

    def _check(self):
        fp, infos = self.filepath, self.zf.infolist()
        names = [i.filename for i in infos]
        if len(names) != len(set(names)):
            raise _bad(fp, "archive holds duplicate member names")
        for info in infos:
            if info.flag_bits & 0x1:
                raise _bad(fp, f"member {info.filename!r:.100} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _bad(fp, f"member {info.filename!r:.100} uses ZIP compression method "
                               f"{info.compress_type}; only stored or deflated members are read")
        ratio = _saving.MAX_COMPRESSION_RATIO
        inflated = sum(i.file_size for i in infos)
        if ratio is not None and inflated > max(_saving._RATIO_FREE_BYTES, ratio * self.size):
            raise _bad(fp, f"its members inflate to {inflated} bytes, more than {ratio} times "
                           f"the file's {self.size} bytes (fastnn.saving.MAX_COMPRESSION_RATIO): "
                           "a deflate bomb, or arrays that are nearly all one value; set the "
                           "ratio to None if you trust the file")
        self.infos = {i.filename: i for i in infos}

    def member_names(self):
        return set(self.infos)

    def read(self, name, limit):
        info = self.infos.get(name)
        if info is None:
            raise _bad(self.filepath, f"not a .keras file: no {name} member (members: "
                                      f"{sorted(self.infos)[:5]})")
        if info.file_size > limit:
            raise _bad(self.filepath, f"member {name} is {info.file_size} bytes, more than the "
                                      f"{limit} it may hold; raise max_bytes= if you trust the file")
        buf, got = bytearray(info.file_size), 0
        try:
            with self.zf.open(info) as f:
                while got < info.file_size:
                    chunk = f.read(min(1 << 20, info.file_size - got))
                    if not chunk:
                        break
                    buf[got:got + len(chunk)] = chunk
                    got += len(chunk)
        except _saving._ZIP_ERRORS + (OSError,) as e:
            raise _bad(self.filepath, f"corrupted ZIP member {name} ({type(e).__name__}: {e})") from None
        if got != info.file_size:
            raise _bad(self.filepath, f"member {name} is truncated")
        return bytes(buf)

    def json(self, name, limit):
        raw = self.read(name, limit)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(self.filepath, f"{name} is not UTF-8 JSON ({e})") from None
        try:
            obj = _saving._loads(text, f"{name}: ", f"{name} is not valid JSON")
        except ValueError as e:
            raise _bad(self.filepath, str(e)) from None
        if not isinstance(obj, dict):
            raise _bad(self.filepath, f"{name} must hold a JSON object")
        return obj


class _Dir(_Zip):
    """An unzipped model directory (``save_model(..., zipped=False)``): the members of a
    .keras archive as regular files (no links), beside at most an empty ``assets``
    directory, read with the checks and limits a .keras member gets."""

    def __enter__(self):
        fp = self.filepath
        try:
            entries = sorted(os.listdir(fp))
        except OSError as e:
            raise _bad(fp, f"cannot be read as a model directory ({e})") from None
        self.files = {}
        for name in entries:
            path = os.path.join(fp, name)
            st = os.lstat(path)
            if name == _ASSETS and stat.S_ISDIR(st.st_mode):
                if os.listdir(path):
                    raise _bad(fp, f"its {_ASSETS} directory is not empty; fastnn's layers "
                                   "have no assets to read")
                continue
            if not stat.S_ISREG(st.st_mode):
                raise _bad(fp, f"{name!r:.100} is not a regular file (links and other "
                               "entries are not read)")
            self.files[name] = st.st_size
        self.infos = self.files
        return self

    def __exit__(self, *exc):
        return False

    def read(self, name, limit):
        size = self.files.get(name)
        if size is None:
            raise _bad(self.filepath, f"not a model directory: no {name} file (files: "
                                      f"{sorted(self.files)[:5]})")
        if size > limit:
            raise _bad(self.filepath, f"{name} is {size} bytes, more than the {limit} it may "
                                      "hold; raise max_bytes= if you trust the file")
        path = os.path.join(self.filepath, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                data = f.read(size + 1)
        except OSError as e:
            raise _bad(self.filepath, f"{name} cannot be read ({e})") from None
        if len(data) != size:
            raise _bad(self.filepath, f"{name} changed size while it was read")
        return data


# What h5py and the HDF5 library raise on a damaged file (found by flipping bytes of
# Keras-written files): broken heaps and B-trees, impossible sizes.
_H5_ERRORS = (OSError, RuntimeError, KeyError, OverflowError, TypeError, IndexError,
              AttributeError)


class _H5Errors:
    """Turns what h5py raises on a damaged file into a ValueError naming the file."""

    def __init__(self, filepath, label):
        self.filepath, self.label = filepath, label

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if kind is None or isinstance(e, FileNotFoundError):
            return False
        # A refusal worded here names the file first; anything else came from h5py
        # (a ValueError such as an undecodable name or an impossible float type included).
        ours = issubclass(kind, ValueError) and str(e).startswith(os.fspath(self.filepath))
        if issubclass(kind, _H5_ERRORS + (ValueError,)) and not ours:
            raise _bad(self.filepath, f"{self.label} is damaged or not a Keras HDF5 file "
                                      f"({kind.__name__}: {str(e)[:200]})") from None
        return False


class _H5:
    """An HDF5 file opened read-only, every link in it checked first: hard links only
    (no soft or external links), groups and datasets only, no dataset stored outside
    the file (external), made of other datasets (virtual) or filtered (compressed).
    ``array(path, like, where)`` reads one dataset after checking its shape and type
    against ``like`` and the running total of bytes read against the file's size."""

    def __init__(self, source, size, filepath, label):
        h5py = self.h5py = _h5py()
        self.filepath, self.label, self.size, self.read_bytes = filepath, label, size, 0
        try:
            self.f = h5py.File(source, "r")
        except (ValueError,) + _H5_ERRORS as e:
            raise _bad(filepath, f"{label} is not a readable HDF5 file ({e})") from None
        try:
            with _H5Errors(filepath, label):
                self._check_links()
        except BaseException:
            self.f.close()
            raise

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        self.close()
        return _H5Errors(self.filepath, self.label).__exit__(kind, e, tb)

    def _err(self, msg):
        return _bad(self.filepath, f"{self.label}: {msg}")

    def _check_links(self):
        h5py = self.h5py
        stack, count, seen = [("", self.f)], 0, set()
        while stack:
            path, group = stack.pop()
            for name in group:
                count += 1
                if count > _MAX_H5_LINKS:
                    raise self._err(f"holds more than {_MAX_H5_LINKS} groups and datasets")
                at = f"{path}/{name}"
                link = group.get(name, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise self._err(f"{at} is a {type(link).__name__}; only hard links are read "
                                    "(a soft or external link may point anywhere)")
                try:
                    obj = group[name]
                except (KeyError, OSError, ValueError) as e:
                    raise self._err(f"{at} cannot be opened ({e})") from None
                if isinstance(obj, h5py.Group):
                    key = h5py.h5o.get_info(obj.id).token if hasattr(
                        h5py.h5o.get_info(obj.id), "token") else h5py.h5o.get_info(obj.id).addr
                    if key in seen:
                        raise self._err(f"{at} links back to a group met before (a cycle)")
                    seen.add(key)
                    stack.append((at, obj))
                elif isinstance(obj, h5py.Dataset):
                    self._check_layout(obj, at)
                else:
                    raise self._err(f"{at} is a {type(obj).__name__}; only groups and datasets "
                                    "are read")

    def _check_layout(self, ds, at):
        h5d = self.h5py.h5d
        plist = ds.id.get_create_plist()
        layout = plist.get_layout()
        if layout == getattr(h5d, "VIRTUAL", -1):
            raise self._err(f"{at} is a virtual dataset (made of other files' data); refused")
        if plist.get_external_count() > 0:
            raise self._err(f"{at} is stored in external files; refused")
        if plist.get_nfilters() > 0:
            raise self._err(f"{at} is filtered (compressed); Keras writes plain datasets and "
                            "only those are read")

    def group(self, path):
        """The group at path, or None when the file has none."""
        obj = self.f.get(path)
        if obj is None:
            return None
        if not isinstance(obj, self.h5py.Group):
            raise self._err(f"{path} should be a group, it is a {type(obj).__name__}")
        return obj

    def declared(self, group, key, where):
        """(shape, dtype) of a dataset, checked to be a plain number array."""
        ds = group.get(key)
        if not isinstance(ds, self.h5py.Dataset):
            raise self._err(f"{where} is missing or not a dataset")
        dtype = ds.dtype
        if dtype.kind not in "fiub" or dtype.fields is not None or dtype.subdtype is not None:
            raise self._err(f"{where} has type {dtype}; only numbers are read")
        shape = ds.shape
        if shape is None or len(shape) > 32:
            raise self._err(f"{where} has no shape or more than 32 dimensions")
        return tuple(int(d) for d in shape), dtype

    def array(self, group, key, like, where):
        shape, dtype = self.declared(group, key, where)
        want = tuple(np.shape(like))
        if shape != want:
            raise self._err(f"{where} has shape {shape}, the weight it is read into has {want}")
        kind = np.asarray(like).dtype.kind
        if (kind == "f") != (dtype.kind == "f"):
            raise self._err(f"{where} has type {dtype}, the weight it is read into is "
                            f"{np.asarray(like).dtype}")
        ds = group[key]
        nbytes = math.prod(shape) * dtype.itemsize
        storage = ds.id.get_storage_size()
        if nbytes and storage < nbytes:
            raise self._err(f"{where} declares {nbytes} bytes and stores {storage} (a shape "
                            "larger than its data)")
        self.read_bytes += nbytes
        if self.read_bytes > self.size:
            raise self._err(f"its datasets declare {self.read_bytes} bytes or more, more than "
                            f"the file's {self.size} bytes")
        try:
            out = np.empty(shape, dtype=dtype.newbyteorder("="))
            if out.size:
                ds.read_direct(out)
        except (OSError, ValueError, TypeError) as e:
            raise self._err(f"{where} cannot be read ({e})") from None
        return out


def _vars_of(h5, path, where):
    """The datasets "0".."n-1" of group `path`/vars, as (group, n); (None, 0) if absent."""
    g = h5.group(f"{path}/vars") if h5.group(path) is not None else None
    if g is None:
        return None, 0
    keys = list(g.keys())
    n = len(keys)
    if sorted(keys, key=lambda k: (len(k), k)) != [str(i) for i in range(n)]:
        raise h5._err(f"{where}/vars holds {sorted(keys)[:5]}; expected datasets named 0 to "
                      f"{n - 1}")
    return g, n


def _expected_paths(spec, prefix="layers"):
    """Each layer's group, from the config alone (model.layers' order: a Sequential
    model's layers less its InputLayer; a functional model used as a layer followed by
    its own layers)."""
    used, out = {}, []
    for lc in spec["config"].get("layers", []):
        cls = lc.get("class_name")
        if spec["class_name"] == "Sequential" and cls == "InputLayer":
            continue
        name = _snake(cls)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append(f"{prefix}/{name}")
        if cls == "Functional" and isinstance(lc.get("config"), dict):
            out.extend(_expected_paths(lc, f"{prefix}/{name}/layers"))
    return out


def _declared_shapes(h5, spec):
    shapes = []
    for path in _expected_paths(spec):
        g, n = _vars_of(h5, path, path)
        for i in range(n):
            shapes.append(h5.declared(g, str(i), f"{path}/vars/{i}")[0])
    return shapes


def _read_model_weights(h5, model, skip=frozenset()):
    """model.weights' values from the file, each checked before it is read; the layers
    whose ids are in `skip` keep their values (the file need not hold them)."""
    by_id = {}
    paths = _layer_paths(model)
    skipped = _skipped_paths(paths, skip)
    for path, layer in paths:
        own = _keras_vars(layer, "load")
        if path in skipped or id(model) in skip:
            by_id.update((id(w), np.array(w, copy=True)) for w in own)
            continue
        g, n = _vars_of(h5, path, path)
        if n != len(own):
            raise h5._err(f"{path}/vars holds {n} arrays, layer {layer.name!r} "
                          f"({type(layer).__name__}) has {len(own)} weights")
        for i, w in enumerate(own):
            by_id[id(w)] = h5.array(g, str(i), w, f"{path}/vars/{i}")
    missing = [i for i, w in enumerate(model.weights) if id(w) not in by_id]
    if missing:
        raise h5._err(f"holds no values for the model's weights {missing[:5]}")
    return [by_id[id(w)] for w in model.weights]


def _keras_optimizer_vars(h5, path="optimizer"):
    """The datasets of a .keras file's optimizer group, in order: [(group, key, where)],
    or None when the file has none."""
    g, n = _vars_of(h5, path, path)
    return None if g is None else [(g, str(i), f"{path}/vars/{i}") for i in range(n)]


def _optimizer_state(h5, model, filepath, found):
    """fastnn's get_state() order from Keras' optimizer variables `found` (a list of
    (group, key, where) in Keras' order), or None (with a warning, as Keras skips them)
    when they do not fit the optimizer. Returns (state, the learning rate variable)."""
    if found is None:
        return None
    opt, trainable = model.optimizer, model.trainable_weights
    wrapper = None
    if _is_loss_scale(opt):     # its own four variables first, then the inner optimizer's
        if len(found) < 4:
            warnings.warn(f"load: {filepath}: skipping the optimizer state: the file holds "
                          f"{len(found)} optimizer variables, a LossScaleOptimizer keeps at "
                          "least 4; the optimizer starts afresh", stacklevel=4)
            return None
        wrapper = (int(h5.array(*found[0][:2], np.zeros((), np.int64), found[0][2])),
                   float(h5.array(*found[1][:2], np.zeros((), np.float32), found[1][2])),
                   int(h5.array(*found[2][:2], np.zeros((), np.int64), found[2][2])),
                   np.float32(h5.array(*found[3][:2], np.zeros((), np.float32), found[3][2])))
        if not (0 <= wrapper[2] and math.isfinite(wrapper[3]) and wrapper[3] > 0):
            raise _bad(filepath, f"the LossScaleOptimizer's step counter and scale are "
                                 f"{wrapper[2]} and {wrapper[3]}; expected a count >= 0 and "
                                 "a finite scale > 0")
        opt, found = opt.inner_optimizer, found[4:]
    n = len(found)
    groups = _slot_groups(opt)
    per_var = sum(len(gr) for gr in groups)
    lead = 2 if _has_lr_variable(opt) else 1
    tail = 1 if type(opt).__name__ == "Nadam" else 0     # its product of momentum factors
    full = lead + per_var * len(trainable) + tail
    if n not in (full, lead):
        warnings.warn(f"load: {filepath}: skipping the optimizer state: the file holds {n} "
                      f"optimizer variables, {type(opt).__name__} keeps {full} for this model; "
                      "the optimizer starts afresh", stacklevel=4)
        return None

    def read(k, like):
        return h5.array(*found[k][:2], like, found[k][2])
    state = [read(0, np.zeros((), np.int64))]
    lr = read(1, np.zeros((), np.float32)) if lead == 2 else None
    if n == full and per_var:
        slots = [dict() for _ in trainable]
        k = lead
        for group in groups:
            for i, w in enumerate(trainable):
                for name in group:
                    slots[i][name] = read(k, w)
                    k += 1
        for s in slots:
            state.extend(s[name] for name in opt._slot_names_for())
    return state, lr, wrapper


def _restore_optimizer(filepath, model, found):
    if found is None:
        return
    state, lr, wrapper = found
    _saving._restore_optimizer(filepath, model, state)
    opt = model.optimizer
    if wrapper is not None:
        opt._own[:] = wrapper[:2]
        opt._scale = [np.asarray(wrapper[2], np.int64), np.asarray(wrapper[3], np.float32)]
        opt = opt.inner_optimizer
    if lr is not None:
        value = float(lr)
        if not (math.isfinite(value) and value >= 0):
            raise _bad(filepath, f"the optimizer's learning_rate variable holds {value}; a "
                                 "learning rate is a finite number >= 0")
        # The variable is float32: the config's rate stands when it rounds to it (a
        # callback that changed the rate shows as a different value).
        if np.float32(opt._learning_rate) != np.float32(value):
            opt.learning_rate = value
    _saving._check_learning_rate(filepath, opt)


def _build(filepath, spec, declared, max_bytes):
    with _saving._preserving_rng():
        try:
            model = _saving._build_checked(spec, "config.json: model", max_bytes,
                                           declared=declared, zero_init=True,
                                           hint=_saving._limit_hint("load"))
        except ValueError as e:
            raise _bad(filepath, str(e)) from None
    if not model.built:
        raise _bad(filepath, "the model config has no input shape (build_input_shape or an "
                             "InputLayer) or no layers")
    return model


def _compile(filepath, model, conv, cc, where):
    try:
        fcc = _compile_from_keras(conv, cc, where)
    except ValueError as e:
        raise _bad(filepath, str(e)) from None
    if fcc["loss"] is None:
        warnings.warn(f"load: {filepath}: the compile settings name no loss; the model is "
                      "returned uncompiled", stacklevel=4)
        return False
    try:
        model.compile_from_config(fcc)
    except _saving._CONFIG_ERRORS as e:
        raise _bad(filepath, f"{where}: the compile settings cannot be restored "
                             f"({type(e).__name__}: {e})") from None
    return True


def load_model(filepath, compile=True, max_bytes=None):
    """Read a Keras 3 ``.keras`` file (written by Keras or by fastnn): the model with its
    weights and, with ``compile=True``, its compile settings and optimizer state.

    Parameters
    ----------
    filepath : str or os.PathLike
        The ``.keras`` file, or a model directory (``save_model(..., zipped=False)``).
    compile : bool
        Whether to compile the model as saved and restore the optimizer's state.
    max_bytes : int, optional
        The most bytes the file's arrays may take (default
        ``fastnn.saving.MAX_LOAD_BYTES``).

    Returns
    -------
    Sequential or Functional
        The built model.
    """
    max_bytes = _saving._limit(max_bytes, "load_model: max_bytes")
    opener = _Dir if os.path.isdir(filepath) else _Zip
    with opener(filepath) as z:
        filepath = z.filepath
        names = z.member_names()
        if _WEIGHTS not in names and _CONFIG in names and any(n.startswith("weights/") for n in names):
            legacy_fastnn = True     # fastnn's own format under a .keras name (fastnn < 0.2)
        else:
            legacy_fastnn = False
            unexpected = names - {_CONFIG, _METADATA, _WEIGHTS}
            if unexpected:
                raise _bad(filepath, f"holds members {sorted(unexpected)[:5]}; fastnn reads "
                                     f"{_METADATA}, {_CONFIG} and {_WEIGHTS} only (no assets)")
            if _METADATA in names:
                z.json(_METADATA, _MAX_METADATA_BYTES)
            config = z.json(_CONFIG, _saving._MAX_CONFIG_BYTES)
            weights_bytes = z.read(_WEIGHTS, max_bytes + _H5_OVERHEAD)
    if legacy_fastnn:
        return _saving._load_fastnn_model(filepath, compile=compile, max_bytes=max_bytes)
    conv = _Converter()
    try:
        _refuse_code(config, f"{_CONFIG}")
        spec = _model_from_keras(conv, config, "config.json")
    except ValueError as e:
        raise _bad(filepath, str(e)) from None
    h5 = _H5(io.BytesIO(weights_bytes), len(weights_bytes), filepath, _WEIGHTS)
    with h5:
        model = _build(filepath, spec, _declared_shapes(h5, spec), max_bytes)
        weights = _read_model_weights(h5, model)
        _saving._set_weights(filepath, model, weights)
        cc = config.get("compile_config")
        if compile and cc:
            if _compile(filepath, model, conv, cc, "config.json: compile_config"):
                _restore_optimizer(filepath, model, _optimizer_state(
                    h5, model, filepath, _keras_optimizer_vars(h5)))
    return model


def _h5_file(filepath, max_bytes, what):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{what}: no such file: {filepath!r}")
    st = os.stat(filepath)
    if not stat.S_ISREG(st.st_mode):
        raise _bad(filepath, "not a regular file")
    if st.st_size > max_bytes + _H5_OVERHEAD:
        raise _bad(filepath, f"is {st.st_size} bytes, more than the {max_bytes} a load may read "
                             f"(plus {_H5_OVERHEAD} for the file's structure); "
                             + _saving._limit_hint("load"))
    return filepath, _H5(filepath, st.st_size, filepath, "HDF5 file")


def load_weights(model, filepath, max_bytes=None, objects_to_skip=None):
    """Set ``model``'s weights from a Keras 3 ``.weights.h5`` file (Keras' layout), or from
    a legacy Keras ``.h5`` model or weights file (matched to the model's layers with
    weights, in order, as Keras 2 matches them). Every array is checked against the model
    before any is assigned; the optimizer state the file may hold is not read.

    Parameters
    ----------
    model : Sequential or functional Model
        A built model of the saved architecture.
    filepath : str or os.PathLike
        The ``.weights.h5``, ``.h5`` or ``.hdf5`` file.
    max_bytes : int, optional
        As for load_model.
    objects_to_skip : list, optional
        Layers of the model whose weights keep their values (``.weights.h5`` files only).
    """
    _check_layout_model(model, "load_weights")
    skip = _skip_ids(model, objects_to_skip, "load_weights")
    max_bytes = _saving._limit(max_bytes, "load_weights: max_bytes")
    filepath, h5 = _h5_file(filepath, max_bytes, "load_weights")
    with h5:
        if h5.group("model_weights") is not None or "layer_names" in h5.f.attrs:
            if skip:
                raise ValueError(f"load_weights: {filepath}: objects_to_skip is read for Keras 3 "
                                 "weights files only; this file has the legacy Keras 2 layout")
            weights = _legacy_weights(h5, model)
        else:
            weights = _read_model_weights(h5, model, skip)
    _saving._set_weights(filepath, model, weights, "load_weights")


def load_weights_from_model_file(model, filepath, max_bytes=None):
    """Set ``model``'s weights from a Keras 3 ``.keras`` model file (its
    ``model.weights.h5`` member), as ``keras.Model.load_weights`` reads one; the
    optimizer state the file may hold is not read. A file fastnn wrote in its own format
    under a ``.keras`` name (before it wrote Keras' format) is read too.

    Parameters
    ----------
    model : Sequential or functional Model
        A built model of the saved architecture.
    filepath : str or os.PathLike
        The ``.keras`` file.
    max_bytes : int, optional
        As for load_model.
    """
    _check_layout_model(model, "load_weights")
    max_bytes = _saving._limit(max_bytes, "load_weights: max_bytes")
    with _Zip(filepath) as z:
        filepath = z.filepath
        names = z.member_names()
        if _WEIGHTS not in names and _CONFIG in names and any(n.startswith("weights/") for n in names):
            weights_bytes = None     # fastnn's own format under a .keras name (fastnn < 0.2)
        else:
            weights_bytes = z.read(_WEIGHTS, max_bytes + _H5_OVERHEAD)
    if weights_bytes is None:
        return _saving._load_fastnn_weights(model, filepath, max_bytes)
    with _H5(io.BytesIO(weights_bytes), len(weights_bytes), filepath, _WEIGHTS) as h5:
        weights = _read_model_weights(h5, model)
    _saving._set_weights(filepath, model, weights, "load_weights")


# ------------------------------------------------------------------ legacy .h5 (Keras 2)
def _attr(h5, obj, name, where, limit=_saving._MAX_CONFIG_BYTES):
    """An attribute of obj, its size checked before it is read: a string (the JSON
    configs) or an array of strings (layer and weight names)."""
    if name not in obj.attrs:
        return None
    aid = obj.attrs.get_id(name)
    if aid.shape is not None and len(aid.shape) > 1:
        raise h5._err(f"{where} attribute {name!r} has shape {aid.shape}")
    count = math.prod(aid.shape) if aid.shape else 1
    try:
        stored = aid.get_storage_size()
    except RuntimeError:          # HDF5 reports an empty attribute's 0 bytes as an error
        stored = 0
    if count > _MAX_H5_LINKS or stored > limit:
        raise h5._err(f"{where} attribute {name!r} is larger than {limit} bytes")
    value = obj.attrs[name]
    if isinstance(value, np.ndarray):
        value = [v.decode("utf-8") if isinstance(v, bytes) else v for v in value.tolist()]
        if not all(isinstance(v, str) for v in value):
            raise h5._err(f"{where} attribute {name!r} must hold strings")
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise h5._err(f"{where} attribute {name!r} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise h5._err(f"{where} attribute {name!r} is longer than {limit} characters")
    return value


def _legacy_weights(h5, model):
    """model.weights' values from a Keras 2 weights group (layer_names, weight_names),
    matched to the model's layers that have weights, in order, as Keras 2 matches them."""
    root = h5.group("model_weights") or h5.f
    names = _attr(h5, root, "layer_names", "model_weights") or []
    groups = []
    for name in names:
        g = h5.group(f"{root.name.rstrip('/')}/{name}")
        if g is None:
            raise h5._err(f"layer {name!r:.80} is listed in layer_names and has no group")
        wn = _attr(h5, g, "weight_names", name) or []
        if wn:
            groups.append((name, g, wn))
    layers = [l for l in model.layers if l.weights]
    if len(groups) != len(layers):
        raise h5._err(f"holds weights for {len(groups)} layers, the model has {len(layers)} "
                      "layers with weights")
    by_id = {}
    for (name, g, wn), layer in zip(groups, layers):
        own = _keras_vars(layer, "load")
        if len(wn) != len(own):
            raise h5._err(f"layer {name!r} holds {len(wn)} weights, the model's layer "
                          f"{layer.name!r} ({type(layer).__name__}) has {len(own)}")
        for w_name, w in zip(wn, own):
            parent, _, key = w_name.rpartition("/")
            sub = g if not parent else h5.group(f"{g.name}/{parent}")
            if sub is None:
                raise h5._err(f"weight {w_name!r:.100} of layer {name!r} is missing")
            by_id[id(w)] = h5.array(sub, key, w, f"{name}/{w_name}")
    return [by_id[id(w)] for w in model.weights]


def load_legacy_h5_model(filepath, compile=True, max_bytes=None):
    """Read a model from a legacy Keras ``.h5`` file (Keras 2's format, which Keras 3
    still writes for ``model.save("x.h5")``): the ``model_config`` attribute, the weights
    in ``model_weights`` and, with ``compile=True``, the ``training_config`` and the
    optimizer's state as Keras 3 writes it (``optimizer_weights``; a Keras 2 optimizer's
    state is skipped with a warning).

    Parameters
    ----------
    filepath : str or os.PathLike
        The ``.h5`` or ``.hdf5`` file.
    compile : bool
        Whether to compile the model as saved.
    max_bytes : int, optional
        As for load_model.

    Returns
    -------
    Sequential or Functional
        The built model.
    """
    max_bytes = _saving._limit(max_bytes, "load_model: max_bytes")
    filepath, h5 = _h5_file(filepath, max_bytes, "load_model")
    conv = _Converter()
    with h5:
        text = _attr(h5, h5.f, "model_config", "the file")
        if text is None:
            raise h5._err("has no model_config attribute: it holds weights only (use "
                          "model.load_weights) or is not a Keras model file")
        where = "model_config"
        try:
            config = _saving._loads(text, f"{where}: ", f"{where} is not valid JSON")
            _refuse_code(config, where)
            spec = _model_from_keras(conv, config, where)
        except ValueError as e:
            raise _bad(filepath, str(e)) from None
        model = _build(filepath, spec, None, max_bytes)
        if h5.group("model_weights") is None:
            raise h5._err("has no model_weights group")
        _saving._set_weights(filepath, model, _legacy_weights(h5, model))
        training = _attr(h5, h5.f, "training_config", "the file")
        if compile and training:
            try:
                tc = _saving._loads(training, "training_config: ", "training_config is not valid JSON")
                _refuse_code(tc, "training_config")
            except ValueError as e:
                raise _bad(filepath, str(e)) from None
            if _compile(filepath, model, conv, tc, "training_config"):
                _restore_optimizer(filepath, model, _legacy_optimizer_state(h5, model, filepath))
    return model


def _legacy_optimizer_state(h5, model, filepath):
    """Keras 3's legacy optimizer_weights (iteration, learning_rate, slots in Keras 3's
    order) into fastnn's order, or None with a warning for any other layout."""
    g = h5.group("optimizer_weights")
    if g is None:
        return None
    names = _attr(h5, g, "weight_names", "optimizer_weights") or []
    lead = ["iteration"] + (["learning_rate"] if _has_lr_variable(model.optimizer) else [])
    if [n.rpartition("/")[2] for n in names[:len(lead)]] != lead:
        warnings.warn(f"load_model: {filepath}: skipping the optimizer state: it is not laid "
                      "out as Keras 3 writes it (Keras 2's optimizers keep other variables); "
                      "the optimizer starts afresh", stacklevel=3)
        return None
    found = []
    for n in names:
        parent, _, key = n.rpartition("/")
        sub = h5.group(f"{g.name}/{parent}") if parent else g
        if sub is None:
            raise h5._err(f"optimizer weight {n!r:.100} is missing")
        found.append((sub, key, f"optimizer_weights/{n}"))
    return _optimizer_state(h5, model, filepath, found)


# ------------------------------------------------------------------ sharded weights
# Keras 3's save_weights(path, max_shard_size=...): `<base>.weights.json` maps each
# variables group ("/layers/dense/vars") to the shard files holding its datasets, which
# lie beside it as `<base>_00000.weights.h5`, `<base>_00001.weights.h5`, ...; a shard is
# closed when the next array would take it over max_shard_size (in GB, 1024**3 bytes).
_SHARD_MAP_BYTES = 16 << 20


def _shard_base(filepath, what):
    """(the map file's path, the shards' base name): a name ending in .weights.h5 is
    renamed to .json, as Keras renames it (with a warning)."""
    directory, name = os.path.split(filepath)
    if not name.endswith(".json"):
        stem = name.rsplit(".", 1)[0] if "." in name else name
        new = stem + ".json"
        warnings.warn(f"{what}: sharded weights need a name ending in `.json`: "
                      f"{filepath} is renamed {os.path.join(directory, new)}", stacklevel=4)
        name = new
    base = name[:-len(".json")]
    base = base[:-len(".weights")] if base.endswith(".weights") else base
    return os.path.join(directory, name), directory, base


def _max_shard_bytes(max_shard_size, what):
    if isinstance(max_shard_size, bool) or not isinstance(max_shard_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what}: max_shard_size must be a number of gigabytes (1024**3 "
                        f"bytes), got {type(max_shard_size).__name__} {max_shard_size!r:.100}")
    size = float(max_shard_size) * 1024 ** 3
    if not (math.isfinite(size) and size > 0):
        raise ValueError(f"{what}: max_shard_size must be a number of gigabytes > 0, got "
                         f"{max_shard_size!r}")
    return size


def _variables_in_order(model, with_optimizer, skip):
    """[(group path, [arrays])] as Keras' save visits them: the layers, the model's own
    (none), the optimizer."""
    out = []
    if id(model) in skip:
        return out
    paths = _layer_paths(model)
    skipped = _skipped_paths(paths, skip)
    for path, layer in paths:
        if path not in skipped:
            out.append((path, layer.name, [np.asarray(w) for w in _keras_vars(layer, "save_weights")]))
    opt = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    if with_optimizer and opt is not None and id(opt) not in skip:
        out.append(("optimizer", opt.name, _optimizer_to_keras(opt, model.trainable_weights)))
    return out


def save_sharded_weights(model, filepath, max_shard_size, overwrite=True, objects_to_skip=None):
    """Write ``model``'s weights (and its optimizer's state) as Keras 3's sharded weights:
    the map ``<base>.weights.json`` and the shards ``<base>_NNNNN.weights.h5`` beside it,
    each at most ``max_shard_size`` gigabytes, which ``keras.Model.load_weights`` reads.

    Parameters
    ----------
    model : Sequential or functional Model
        A built model.
    filepath : str or os.PathLike
        The map file (its name ends in ``.weights.json``).
    max_shard_size : int or float
        The most gigabytes (1024**3 bytes) of arrays a shard holds.
    overwrite : bool
        Whether existing files may be replaced.
    objects_to_skip : list, optional
        Layers of the model (or its optimizer) whose variables are not written.
    """
    what = "save_weights"
    _check_layout_model(model, what)
    limit = _max_shard_bytes(max_shard_size, what)
    skip = _skip_ids(model, objects_to_skip, what)
    path, directory, base = _shard_base(os.fspath(filepath), what)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{what}: {path!r} exists and overwrite=False")
    h5py = _h5py()
    shards, weight_map, total = [], {}, 0.0
    current, used = None, 0.0

    def new_shard():
        buf = io.BytesIO()
        shards.append((f"{base}_{len(shards):05d}.weights.h5", buf, h5py.File(buf, "w")))
        return shards[-1]
    current = new_shard()
    current[2].create_group("vars").attrs["name"] = model.name
    for group_path, owner, arrays in _variables_in_order(model, True, skip):
        named = False
        for i, a in enumerate(arrays):
            size = float(a.nbytes)
            total += size
            if size > limit:
                raise ValueError(f"{what}: the array {group_path}/vars/{i} takes {int(size)} "
                                 f"bytes, more than max_shard_size ({int(limit)} bytes); "
                                 "raise max_shard_size")
            used += size
            if used > limit:
                current = new_shard()
                used = size
            g = current[2].require_group(f"{group_path}/vars")
            if not named:
                g.attrs["name"] = owner
                named = True
            g.create_dataset(str(i), data=a)
            files = weight_map.setdefault(f"/{group_path}/vars", [])
            if current[0] not in files:
                files.append(current[0])
    for _, _, f in shards:
        f.close()
    config = json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=4)
    for name, buf, _ in shards:
        data = buf.getvalue()
        _saving._atomic_write(os.path.join(directory, name), lambda f, d=data: f.write(d))
    # the map last: it names only shards already written
    _saving._atomic_write(path, lambda f: f.write(config.encode("utf-8")))


class _Merged:
    """One variables group spread over shards: [(its _H5, its h5py group)]."""

    def __init__(self, parts):
        self.parts = parts

    def keys(self):
        out = []
        for _, g in self.parts:
            out.extend(k for k in g.keys() if k not in out)
        return out

    def owner(self, key):
        for h5, g in self.parts:
            if key in g:
                return h5, g
        return None, None


class _Sharded:
    """The shards a sharded weights map names, opened as _H5 files (each checked), seen
    as one file by _read_model_weights: group(path) and array(group, key, like, where)."""

    def __init__(self, filepath, max_bytes):
        self.filepath = filepath = os.fspath(filepath)
        st = os.stat(filepath)
        if not stat.S_ISREG(st.st_mode):
            raise _bad(filepath, "not a regular file")
        if st.st_size > _SHARD_MAP_BYTES:
            raise _bad(filepath, f"is {st.st_size} bytes; a sharded weights map is JSON of at "
                                 f"most {_SHARD_MAP_BYTES}")
        with open(filepath, "rb") as f:
            raw = f.read(_SHARD_MAP_BYTES + 1)
        try:
            obj = _saving._loads(raw.decode("utf-8"), "weights map: ",
                                 "not a sharded weights map (not JSON)")
        except UnicodeDecodeError as e:
            raise _bad(filepath, f"not a sharded weights map (not UTF-8: {e})") from None
        except ValueError as e:
            raise _bad(filepath, str(e)) from None
        wm = obj.get("weight_map") if isinstance(obj, dict) else None
        if not isinstance(wm, dict):
            raise _bad(filepath, "not a sharded weights map: expected a JSON object with a "
                                 "'weight_map' object")
        self.map, names = {}, []
        for key, files in wm.items():
            files = [files] if isinstance(files, str) else files
            if not isinstance(files, list) or not files or not all(isinstance(n, str) for n in files):
                raise _bad(filepath, f"weight_map[{key!r:.100}] must name shard files, got "
                                     f"{files!r:.100}")
            for n in files:
                if os.path.basename(n) != n or n in (".", "..") or not n.endswith(".h5"):
                    raise _bad(filepath, f"weight_map[{key!r:.100}] names {n!r:.100}; shards "
                                         "are .h5 files beside the map (no directories)")
                if n not in names:
                    names.append(n)
            self.map[key] = files
        if len(names) > _MAX_H5_LINKS:
            raise _bad(filepath, f"names more than {_MAX_H5_LINKS} shards")
        directory = os.path.dirname(filepath)
        budget = max_bytes + _H5_OVERHEAD * max(1, len(names))
        self.files, total = {}, 0
        try:
            for n in names:
                p = os.path.join(directory, n)
                try:
                    sst = os.lstat(p)
                except FileNotFoundError:
                    raise _bad(filepath, f"the shard {n!r} it names does not exist") from None
                if not stat.S_ISREG(sst.st_mode):
                    raise _bad(filepath, f"the shard {n!r} is not a regular file")
                total += sst.st_size
                if total > budget:
                    raise _bad(filepath, f"its shards take more than {budget} bytes; "
                                         + _saving._limit_hint("load"))
                self.files[n] = _H5(p, sst.st_size, filepath, n)
        except BaseException:
            self.close()
            raise

    def close(self):
        for h5 in self.files.values():
            h5.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        self.close()
        return False

    def _err(self, msg):
        return _bad(self.filepath, msg)

    def group(self, path):
        key = "/" + path.strip("/")
        if not key.endswith("/vars"):
            key += "/vars"
        files = self.map.get(key)
        if files is None:
            return None
        parts = []
        for n in files:
            h5 = self.files[n]
            g = h5.group(path)
            if g is None:
                raise self._err(f"the shard {n!r} holds no group {path}, which weight_map "
                                "lists in it")
            parts.append((h5, g))
        return _Merged(parts)

    def declared(self, group, key, where):
        h5, g = group.owner(key)
        if h5 is None:
            raise self._err(f"{where} is missing from the shards that weight_map lists")
        return h5.declared(g, key, where)

    def array(self, group, key, like, where):
        h5, g = group.owner(key)
        if h5 is None:
            raise self._err(f"{where} is missing from the shards that weight_map lists")
        return h5.array(g, key, like, where)


def load_sharded_weights(model, filepath, max_bytes=None, objects_to_skip=None):
    """Set ``model``'s weights from Keras 3's sharded weights (a ``.weights.json`` map and
    the shards it names beside it), every array checked against the model before any is
    assigned; the optimizer state the shards may hold is not read.

    Parameters
    ----------
    model : Sequential or functional Model
        A built model of the saved architecture.
    filepath : str or os.PathLike
        The map file.
    max_bytes : int, optional
        As for load_model.
    objects_to_skip : list, optional
        Layers of the model whose weights keep their values.
    """
    _check_layout_model(model, "load_weights")
    skip = _skip_ids(model, objects_to_skip, "load_weights")
    max_bytes = _saving._limit(max_bytes, "load_weights: max_bytes")
    with _Sharded(filepath, max_bytes) as sharded:
        weights = _read_model_weights(sharded, model, skip)
    _saving._set_weights(os.fspath(filepath), model, weights, "load_weights")
