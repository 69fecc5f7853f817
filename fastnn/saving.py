"""Saving and loading models and weights, without pickle.

``save_model(model, path)`` (what ``model.save(path)`` calls) and ``load_model(path)``
round-trip a model's architecture, weights, compile settings and optimizer state, so
that training resumes exactly where it stopped. ``save_weights(model, path)`` /
``load_weights(model, path)`` move only the weights (Keras layout) between models of the
same architecture. Any file name works; ``.fastnn`` is the suggested ending.

File format (version 1; also in docs/FORMAT.md)
------------------------------------------------
A ZIP archive (stored or deflated) holding exactly these members:

``config.json`` (UTF-8 JSON object)::

    {"format": "fastnn.model" | "fastnn.weights",
     "format_version": 1,
     "fastnn_version": "0.1.0",
     "model": {"class_name": "Sequential", "config": <model.get_config()>},  # model files
     "compile": <model.compile_config> | null,                               # model files
     "arrays": {"weights":   [<entry>, ...],    # model.get_weights() order (Keras layout)
                "optimizer": [<entry>, ...]}}   # optimizer.get_state(); absent/empty if none

with ``<entry> = {"file": "weights/00000.npy", "shape": [64, 25], "dtype": "<f4",
"sha256": "<hex digest of the member's bytes>"}``.

``weights/NNNNN.npy`` and ``optimizer/NNNNN.npy``: one NumPy ``.npy`` (format 1.0/2.0/3.0)
array per entry, numbered from 0 in list order, little-endian, C order; ``dtype`` is the
NumPy type string (``"<f4"`` float32, ``"<f8"`` float64, ``"<i8"`` int64, ``"|b1"`` bool).

Loading never unpickles and never executes anything from the file: the JSON goes through
``json.loads``; every array through ``numpy.load(..., allow_pickle=False)`` and must be a
plain numeric dtype (float16/32/64, int8-64, uint8-64, bool). Before anything is assigned
the reader checks: the archive is a readable ZIP with exactly the members the config
names (no others), the format name and version, each member's SHA-256 digest, each array's
shape and dtype against its entry, and the entries against the architecture being built
(count and shapes). Any failure raises ValueError naming the file and the problem, and
leaves an existing model untouched.

Writes are atomic: the archive goes to a temporary file in the target's directory, is
flushed and fsync'ed, then ``os.replace``-d over the target, so an interrupted save leaves
either the old file or the new one, never a partial one.
"""
import datetime
import hashlib
import io
import json
import os
import secrets
import struct
import warnings
import zipfile
import zlib

import numpy as np

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MODEL_FORMAT = "fastnn.model"
WEIGHTS_FORMAT = "fastnn.weights"
CONFIG_NAME = "config.json"
_GROUPS = ("weights", "optimizer")
_ALLOWED_KINDS = "fiub"  # float, signed/unsigned int, bool: never object/void/str
_MAX_CONFIG_BYTES = 16 << 20


def _fastnn_version():
    import fastnn
    return getattr(fastnn, "__version__", "unknown")


# ---------------------------------------------------------------------- writing
def _npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _as_saveable(arr, what):
    arr = np.asarray(arr)
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(f"save: {what} has dtype {arr.dtype}; only numeric arrays can be saved")
    # Little-endian on every machine, so the same model gives the same bytes everywhere.
    # (np.asarray, not ascontiguousarray: that one turns 0-d arrays such as the step count 1-d.)
    return np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")


def _create_temp_beside(filepath, directory):
    """Create and open a new temp file in ``directory``. os.open with mode 0o666 lets the
    kernel apply the umask, so the final file gets the usual permissions (mkstemp would
    make it 0600, and reading the umask with os.umask is not thread-safe)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{os.path.basename(filepath)}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file in {directory!r}")


def _atomic_write(filepath, write_fn):
    """Run write_fn(fileobj) on a temp file beside filepath, fsync it, then os.replace it."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"save: filepath {filepath!r} is an existing directory")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} of {filepath!r} does not exist")
    fd, tmp = _create_temp_beside(filepath, directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not possible everywhere (e.g. Windows)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_archive(filepath, header, groups):
    """header: the JSON-able config without "arrays"; groups: {"weights": [arrays], ...}."""
    members = []
    manifest = {}
    for group, arrays in groups.items():
        entries = []
        for i, arr in enumerate(arrays):
            arr = _as_saveable(arr, f"{group}[{i}]")
            data = _npy_bytes(arr)
            name = f"{group}/{i:05d}.npy"
            entries.append({"file": name, "shape": list(arr.shape), "dtype": arr.dtype.str,
                            "sha256": hashlib.sha256(data).hexdigest()})
            members.append((name, data))
        manifest[group] = entries
    config = dict(header)
    config["arrays"] = manifest
    config_bytes = json.dumps(config, indent=1, sort_keys=False, allow_nan=False).encode("utf-8")

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(CONFIG_NAME, config_bytes)
            for name, data in members:
                zf.writestr(name, data)

    _atomic_write(filepath, write)


# ---------------------------------------------------------------------- reading
# What the zipfile module raises on damaged archives (found by flipping every byte of a
# saved file): bad headers, broken deflate streams, unknown versions, odd field values.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError,
               struct.error, OverflowError, UnicodeDecodeError)


def _bad(filepath, msg):
    return ValueError(f"{os.fspath(filepath)!s}: {msg}")


def _read_member(zf, filepath, name, limit):
    info = zf.getinfo(name)
    if info.flag_bits & 0x1:
        raise _bad(filepath, f"member {name} is encrypted; fastnn never writes encrypted members")
    if info.file_size > limit:
        raise _bad(filepath, f"member {name} is {info.file_size} bytes, more than the {limit} it may hold")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _bad(filepath, f"member {name} is larger than the {limit} bytes it may hold")
    return data


def _check_entry(filepath, group, i, entry):
    if not isinstance(entry, dict) or set(entry) != {"file", "shape", "dtype", "sha256"}:
        raise _bad(filepath, f"config.json: arrays.{group}[{i}] must be an object with keys "
                             f"file, shape, dtype, sha256, got {entry!r:.200}")
    expected_name = f"{group}/{i:05d}.npy"
    if entry["file"] != expected_name:
        raise _bad(filepath, f"config.json: arrays.{group}[{i}].file should be {expected_name!r}, got {entry['file']!r:.100}")
    shape = entry["shape"]
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2 ** 40 for d in shape)):
        raise _bad(filepath, f"config.json: arrays.{group}[{i}].shape is not a list of sizes: {shape!r:.100}")
    try:
        dtype = np.dtype(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
        raise _bad(filepath, f"config.json: arrays.{group}[{i}].dtype must be a numeric dtype, got {entry['dtype']!r:.100}")
    digest = entry["sha256"]
    if not isinstance(digest, str) or len(digest) != 64:
        raise _bad(filepath, f"config.json: arrays.{group}[{i}].sha256 is not a SHA-256 hex digest")
    return expected_name, tuple(shape), dtype, digest


def _read_archive(filepath, expected_format):
    """Open, validate and return (config, {"weights": [...], "optimizer": [...]})."""
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"load: {filepath!r} is a directory, not a fastnn file")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load: no such file: {filepath!r}")
    try:
        zf = zipfile.ZipFile(filepath, "r")
    except _ZIP_ERRORS as e:
        raise _bad(filepath, f"not a fastnn file (not a readable ZIP archive: {e}); it may be "
                             "truncated or in another format") from None
    try:
        with zf:
            names = zf.namelist()
            if len(names) != len(set(names)):
                raise _bad(filepath, "archive holds duplicate member names")
            if CONFIG_NAME not in names:
                raise _bad(filepath, f"not a fastnn file: no {CONFIG_NAME} member (members: {names[:5]})")
            raw = _read_member(zf, filepath, CONFIG_NAME, _MAX_CONFIG_BYTES)
            try:
                config = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
                raise _bad(filepath, f"{CONFIG_NAME} is not valid UTF-8 JSON ({e})") from None
            if not isinstance(config, dict):
                raise _bad(filepath, f"{CONFIG_NAME} must hold a JSON object")
            fmt = config.get("format")
            if fmt not in (MODEL_FORMAT, WEIGHTS_FORMAT):
                raise _bad(filepath, f"not a fastnn file: format is {fmt!r:.60}, expected {MODEL_FORMAT!r} or {WEIGHTS_FORMAT!r}")
            if fmt != expected_format:
                hint = ("use fastnn.models.load_model()" if fmt == MODEL_FORMAT else
                        "it holds only weights: build the model and call model.load_weights()")
                raise _bad(filepath, f"holds {fmt!r}, expected {expected_format!r}: {hint}")
            version = config.get("format_version")
            if version != FORMAT_VERSION:
                raise _bad(filepath, f"format_version {version!r:.20} is not supported by this fastnn "
                                     f"(reads version {FORMAT_VERSION}); saved by fastnn "
                                     f"{config.get('fastnn_version')!r:.20}")
            manifest = config.get("arrays")
            if not isinstance(manifest, dict) or not set(manifest) <= set(_GROUPS) \
                    or not all(isinstance(v, list) for v in manifest.values()):
                raise _bad(filepath, f"config.json: 'arrays' must map {list(_GROUPS)} to lists")
            arrays = {}
            expected_members = {CONFIG_NAME}
            for group in _GROUPS:
                arrays[group] = []
                for i, entry in enumerate(manifest.get(group, [])):
                    name, shape, dtype, digest = _check_entry(filepath, group, i, entry)
                    expected_members.add(name)
                    if name not in names:
                        raise _bad(filepath, f"member {name} listed in config.json is missing (truncated file?)")
                    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                    data = _read_member(zf, filepath, name, nbytes + 4096)  # + the .npy header
                    if hashlib.sha256(data).hexdigest() != digest:
                        raise _bad(filepath, f"member {name} does not match its SHA-256 digest in "
                                             "config.json (corrupted or tampered file)")
                    try:
                        arr = np.load(io.BytesIO(data), allow_pickle=False)
                    except (ValueError, OSError, EOFError) as e:
                        raise _bad(filepath, f"member {name} is not a valid .npy array ({e})") from None
                    if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.shape != shape:
                        raise _bad(filepath, f"member {name} holds {getattr(arr, 'dtype', '?')} "
                                             f"{getattr(arr, 'shape', '?')}, config.json says {dtype} {shape}")
                    arrays[group].append(arr)
            extra = sorted(set(names) - expected_members)
            if extra:
                raise _bad(filepath, f"archive holds members config.json does not list: {extra[:5]}")
    except _ZIP_ERRORS as e:  # e.g. a CRC mismatch or a broken deflate stream in a member
        raise _bad(filepath, f"corrupted or truncated ZIP archive ({type(e).__name__}: {e})") from None
    except OSError as e:
        raise _bad(filepath, f"unreadable archive ({type(e).__name__}: {e}); the file may be truncated") from None
    return config, arrays


def _check_weights_fit(filepath, model_weights, loaded):
    if len(loaded) != len(model_weights):
        raise _bad(filepath, f"holds {len(loaded)} weight arrays, the model has {len(model_weights)}")
    for i, (have, got) in enumerate(zip(model_weights, loaded)):
        if tuple(np.shape(have)) != got.shape:
            raise _bad(filepath, f"weight {i} has shape {got.shape}, the model expects {tuple(np.shape(have))}")
        want = np.asarray(have).dtype
        if got.dtype.kind != want.kind:   # floats for floats; Normalization's count is an int
            raise _bad(filepath, f"weight {i} has dtype {got.dtype}, the model's is {want}")


# ---------------------------------------------------------------------- models
def _header(fmt):
    return {"format": fmt, "format_version": FORMAT_VERSION, "fastnn_version": _fastnn_version(),
            "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _check_model(model, what):
    from fastnn.sequential import Sequential
    if not isinstance(model, Sequential):
        raise TypeError(f"{what}: model must be a fastnn Sequential, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"{what}: the model is not built, so it has no weights to save; give it an "
                         "Input(shape), call it on data or fit it first")


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to
    ``filepath`` atomically, in the format described in the module docstring."""
    _check_model(model, "save_model")
    if kwargs:
        raise TypeError(f"save_model: unexpected arguments {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_model: {filepath!r} exists and overwrite=False")
    header = _header(MODEL_FORMAT)
    header["model"] = model.spec()
    header["compile"] = model.compile_config
    groups = {"weights": model.get_weights()}
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    if optimizer is None:
        groups["optimizer"] = []
    elif optimizer.built and optimizer.knows(model.trainable_weights):
        # The slots of the weights that train now (a layer frozen since the optimizer
        # was built has none here), which is what load_model builds the optimizer for.
        groups["optimizer"] = optimizer.get_state(model.trainable_weights)
    else:
        groups["optimizer"] = optimizer.get_state()
    try:
        json.dumps(header, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"save_model: the model's config cannot be stored as JSON ({e}); custom "
                        "objects (a Python function as activation or schedule) cannot be saved") from None
    _write_archive(filepath, header, groups)


def _preserving_rng():
    """Building layers draws initial weights from fastnn's RNG; loading must not move it
    (so that training after a load continues the same random stream as before the save)."""
    import contextlib
    from fastnn import utils

    @contextlib.contextmanager
    def cm():
        rng = utils.get_rng()
        state = rng.bit_generator.state
        try:
            yield
        finally:
            rng.bit_generator.state = state
    return cm()


def load_model(filepath, compile=True, custom_objects=None, safe_mode=True):
    """Read a model written by save_model/model.save: a built Sequential with the saved
    weights and, with ``compile=True`` (the default) and a compiled original, the same
    optimizer (including its step count and slots), loss and metrics.

    Raises ValueError for a truncated, foreign or tampered file (see the module doc);
    nothing from the file is ever executed. ``custom_objects`` is not supported.
    """
    from fastnn.sequential import Sequential
    if custom_objects:
        raise ValueError("load_model: custom_objects are not supported; fastnn files only refer "
                         "to fastnn's built-in layers, activations, losses and optimizers")
    config, arrays = _read_archive(filepath, MODEL_FORMAT)
    model_cfg = config.get("model")
    if not Sequential.is_spec(model_cfg):
        raise _bad(filepath, "config.json: 'model' must be {\"class_name\": \"Sequential\", \"config\": {...}}")
    with _preserving_rng():
        try:
            model = Sequential.from_config(model_cfg["config"])
        except (ValueError, TypeError, KeyError, AttributeError, MemoryError) as e:
            # MemoryError: a config asking for absurd layer sizes, refused by the allocator.
            raise _bad(filepath, f"config.json: the model config cannot be rebuilt ({type(e).__name__}: {e})") from None
    if not model.built:
        raise _bad(filepath, "config.json: the model config has no input shape (build_input_shape or an Input layer)")
    _check_weights_fit(filepath, model.weights, arrays["weights"])
    model.set_weights(arrays["weights"])
    compile_cfg = config.get("compile")
    if compile and compile_cfg is not None:
        if not isinstance(compile_cfg, dict):
            raise _bad(filepath, "config.json: 'compile' must be an object or null")
        try:
            model.compile_from_config(compile_cfg)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise _bad(filepath, f"config.json: the compile settings cannot be restored ({type(e).__name__}: {e})") from None
        state = arrays["optimizer"]
        opt = model.optimizer
        per_var = len(opt._slot_names_for())
        trainable = model.trainable_weights
        if len(state) > 1 and len(state) != 1 + per_var * len(trainable):
            # Slots for another set of variables (the optimizer was built before layers
            # were unfrozen): Keras skips the optimizer's state then, and so do we.
            warnings.warn(f"load_model: {filepath}: skipping the optimizer state: it holds "
                          f"{len(state) - 1} slot arrays, and {type(opt).__name__} keeps "
                          f"{per_var} for each of the model's {len(trainable)} trainable "
                          "weights; the optimizer starts afresh", stacklevel=2)
        elif state:
            try:
                if len(state) > 1:
                    # Build the slots for the model's trainable weights now, so set_state
                    # checks every shape here and not at the first training step.
                    opt.build(trainable)
                opt.set_state(state)
            except (ValueError, TypeError) as e:
                raise _bad(filepath, f"the optimizer state does not fit the optimizer ({e})") from None
    return model


# ---------------------------------------------------------------------- weights only
def save_weights(model, filepath, overwrite=True):
    """Write only ``model.get_weights()`` (Keras layout) to ``filepath``, atomically."""
    _check_model(model, "save_weights")
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    _write_archive(filepath, _header(WEIGHTS_FORMAT), {"weights": model.get_weights()})


def load_weights(model, filepath):
    """Set ``model``'s weights from a file written by save_weights (or a model file). Every
    count and shape is checked before anything is assigned."""
    _check_model(model, "load_weights")
    try:
        _, arrays = _read_archive(filepath, WEIGHTS_FORMAT)
    except ValueError as e:
        if f"holds {MODEL_FORMAT!r}" not in str(e):
            raise
        _, arrays = _read_archive(filepath, MODEL_FORMAT)  # a whole-model file has the weights too
    _check_weights_fit(filepath, model.weights, arrays["weights"])
    model.set_weights(arrays["weights"])
