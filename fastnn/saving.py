"""Saving and loading models and weights, without pickle.

``save_model(model, path)`` (what ``model.save(path)`` calls) and ``load_model(path)``
round-trip a model's architecture, weights, compile settings and optimizer state, so
that training resumes exactly where it stopped. ``save_weights(model, path)`` /
``load_weights(model, path)`` move only the weights (Keras layout) between models of the
same architecture. ``.fastnn`` is the suggested ending; names ending in ``.keras``,
``.weights.h5``, ``.h5`` or ``.hdf5`` choose Keras' formats instead (fastnn.saving_keras,
docs/KERAS_FILES.md).

File format (version 1; also in docs/FORMAT.md)
------------------------------------------------
A ZIP archive (members stored or deflated) holding exactly these members:

``config.json`` (UTF-8 JSON object)::

    {"format": "fastnn.model" | "fastnn.weights",
     "format_version": 1,
     "fastnn_version": "0.1.0",
     "model": {"class_name": "Sequential" | "Functional",                   # model files
               "config": <model.get_config()>},
     "compile": <model.compile_config> | null,                               # model files
     "dropout_seeds": ["<decimal>", ...],   # optional: the C engine's dropout stream keys
     "arrays": {"weights":   [<entry>, ...],    # model.get_weights() order (Keras layout)
                "optimizer": [<entry>, ...]}}   # optimizer.get_state(); absent/empty if none

with ``<entry> = {"file": "weights/00000.npy", "shape": [64, 25], "dtype": "<f4",
"sha256": "<hex digest of the member's bytes>"}``.

``weights/NNNNN.npy`` and ``optimizer/NNNNN.npy``: one NumPy ``.npy`` (format 1.0/2.0/3.0)
array per entry, numbered from 0 in list order, little-endian, C order; ``dtype`` is the
NumPy type string (``"<f4"`` float32, ``"<f8"`` float64, ``"<i8"`` int64, ``"|b1"`` bool).

Loading is safe and cheap to refuse
-----------------------------------
Nothing from the file is unpickled or executed: the JSON goes through ``json.loads``, each
array's ``.npy`` header through NumPy's header parser and its data through
``numpy.frombuffer``; only plain numeric dtypes are accepted. A file can neither run code
nor make a load expensive: each check below runs before the data it guards is
allocated, and any failure raises ValueError naming the file, the field and the problem
(``load_weights`` leaves the model untouched). docs/FORMAT.md has the details.

1. The archive: a regular file, a readable ZIP, members stored or deflated (no bzip2, no
   LZMA, no encryption), no duplicate and no unlisted members. Its members may together
   inflate to more than 32 MiB only up to ``MAX_COMPRESSION_RATIO`` (100) times the
   file's size on disk: trained weights compress about 1.1:1, so only a file that is
   nearly all one repeated byte (a deflate bomb, or an untrained model with large
   all-zero kernels) reaches that; set the ratio to ``None`` to read such a file.
2. ``config.json``: at most 16 MiB of UTF-8 JSON, nested at most 64 levels, whose numbers
   are all finite (no ``NaN``, ``Infinity``, or literals such as ``1e400`` that overflow)
   and whose integers lie in [-2**63, 2**63).
3. The arrays' sizes, from config.json and the ZIP directory alone: each declared shape
   and dtype gives a size (Python integers, so it cannot wrap); all arrays together may
   take at most ``MAX_LOAD_BYTES`` (4 GiB, or ``max_bytes=`` of load_model/load_weights),
   and each member's uncompressed size must be its array's plus a ``.npy`` header of at
   most 4096 bytes.
4. The architecture (``load_model``): the layers are built without random
   initialisation, and before each weight is allocated its size is counted against the
   weight values the file holds, so a config that asks for larger layers than the file
   has weights for is refused after a few arithmetic steps; every per-sample shape the
   layers compute must stay under the byte limit too. Then the weights' count, shapes and
   kinds must equal the file's. ``load_weights`` compares the file's entries with the
   given model before it reads any array.
5. The members: read in chunks up to the size the directory states (never more), each
   must match its SHA-256 digest, and its ``.npy`` header must declare exactly its
   entry's shape and dtype, in C order, before an array is made of it. The weights must
   be representable in the model's dtype; NaN and Inf (a model saved after it diverged)
   are loaded as they are, with a RuntimeWarning naming the arrays, as Keras loads them.
6. The optimizer state (``load_model`` with compile): the step count is a 0-d integer
   array with ``0 <= iterations < MAX_ITERATIONS`` (2**53: exact as a float, which
   schedules divide, and 285 years of training at a million steps a second, far from
   overflowing the engine's 64-bit counter); the slots are floating arrays of the shapes
   of the model's trainable weights (NaN and Inf loaded as the weights' are), and the
   running sums of squares and maxima (``v``, ``velocity``, ``velocity_hat``,
   ``accumulator``, ``norm``, ``accumulated_grad``, ``accumulated_delta_var``)
   non-negative; the learning rate (a schedule evaluated at
   the saved step) is a finite number >= 0.

Writes are atomic: the archive goes to a temporary file in the target's directory, is
flushed and fsync'ed, then ``os.replace``-d over the target, so an interrupted save leaves
either the old file or the new one, never a partial one.
"""
import datetime
import functools
import hashlib
import inspect
import io
import json
import math
import os
import secrets
import stat
import struct
import warnings
import zipfile
import zlib

import numpy as np

# keras.saving's serialization and registration functions (configs, not files)
from fastnn.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                  deserialize_keras_object, get_custom_objects,
                                  get_registered_name, get_registered_object,
                                  register_keras_serializable, serialize_keras_object)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FileNotFound", "FORMAT_VERSION",
           "MAX_LOAD_BYTES", "MAX_COMPRESSION_RATIO", "MAX_ITERATIONS", "CustomObjectScope",
           "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable", "serialize_keras_object",
           "deserialize_keras_object"]

FORMAT_VERSION = 1
MODEL_FORMAT = "fastnn.model"
WEIGHTS_FORMAT = "fastnn.weights"
TRAINING_FORMAT = "fastnn.training"   # BackupAndRestore's backups: weights, optimizer, epoch, RNG
CONFIG_NAME = "config.json"
_GROUPS = ("weights", "optimizer")
_ALLOWED_KINDS = "fiub"  # float, signed/unsigned int, bool: never object/void/str
_MAX_CONFIG_BYTES = 16 << 20

#: The most bytes the arrays of one file (weights and optimizer state together, as their
#: declared shapes and dtypes give them) may take; also the bound on the weights a
#: config may ask ``model_from_json`` to build and on any per-sample shape. 4 GiB is a
#: billion float32 values: a 350-million-parameter model with Adam's two slots. A load
#: can pass ``max_bytes=`` instead.
MAX_LOAD_BYTES = 4 << 30

#: A file's members may inflate to more than ``_RATIO_FREE_BYTES`` only up to this many
#: times the file's size on disk (``None``: no bound). Deflate reaches ~1030:1 on a run of
#: one byte; trained weights compress about 1.1:1.
MAX_COMPRESSION_RATIO = 100
_RATIO_FREE_BYTES = 32 << 20

#: The step count in a saved optimizer state must be below this: integers up to 2**53 are
#: exact as floats (schedules divide the step), and the counter cannot come near
#: overflowing a 64-bit integer in the C engine.
MAX_ITERATIONS = 2 ** 53

_NPY_HEADER_MAX = 4096          # np.save writes headers of 128 bytes for these arrays
_READ_CHUNK = 1 << 20
_INT_LIMIT = 2 ** 63            # JSON integers must lie in [-2**63, 2**63)
_MAX_DEPTH = 64                 # and JSON containers nest at most this deep
# Slots that are running sums of squares: negative values make the next update NaN.
_NONNEGATIVE_SLOTS = ("v", "velocity", "velocity_hat", "accumulator", "norm",
                      "accumulated_grad", "accumulated_delta_var")
# What a constructor or from_config raises on a value of the wrong type or range (a file
# may hold anything JSON can); MemoryError is left alone: the checks above keep a file
# from asking for memory, so one would be a real shortage, not a bad file.
_CONFIG_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                  ZeroDivisionError, RecursionError)


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


def _human(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _limit(max_bytes, what):
    """The byte limit of one load: max_bytes, or MAX_LOAD_BYTES when None."""
    if max_bytes is None:
        max_bytes, what = MAX_LOAD_BYTES, "fastnn.saving.MAX_LOAD_BYTES"
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 0:
        raise ValueError(f"{what} must be an int >= 0 (bytes), got {max_bytes!r}")
    return int(max_bytes)


def _limit_hint(what):
    return ("raise it with max_bytes=... or fastnn.saving.MAX_LOAD_BYTES if you trust the file"
            if what == "load" else "raise fastnn.saving.MAX_LOAD_BYTES if you mean it")


# ------------------------------------------------------------ JSON with bounded numbers
class _Unrepresentable:
    """A JSON number the config may not hold (NaN, Infinity, an overflowing float literal,
    an integer beyond 64 bits), kept as its text until _check_numbers names its field."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def _parse_int(text):
    digits = len(text) - text.startswith("-")
    return _Unrepresentable(text) if digits > 19 else int(text)   # 10**19 > 2**63


def _parse_float(text):
    value = float(text)
    return value if math.isfinite(value) else _Unrepresentable(text)


def _field(path):
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.isidentifier():
            out += f".{p}" if out else p
        else:
            out += f"[{p!r:.40}]"
    return out or "(top level)"


def _number_problem(value):
    if isinstance(value, _Unrepresentable):
        t = value.text
        if t in ("NaN", "Infinity", "-Infinity"):
            return f"is {t}; only finite numbers are allowed"
        if "." in t or "e" in t or "E" in t:
            return f"is {t[:30]}, which overflows a float; only finite numbers are allowed"
        return (f"is an integer of {len(t) - t.startswith('-')} digits; integers must lie in "
                f"[-2**63, 2**63)")
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT_LIMIT <= value < _INT_LIMIT:
        return f"is {value}; integers must lie in [-2**63, 2**63)"
    return None


def _check_numbers(obj, where):
    """Raise ValueError naming the first field of obj (parsed JSON) holding a number that
    cannot be used safely (see _Unrepresentable), or nesting deeper than _MAX_DEPTH (a
    fastnn config nests about 8 levels; deeper ones would only exhaust the stack of
    whatever walks them later). Iterative, so that the walk itself cannot."""
    stack = [(obj, ())]
    while stack:
        container, path = stack.pop()
        if len(path) >= _MAX_DEPTH:
            raise ValueError(f"{where}{_field(path[:8])}... nests deeper than {_MAX_DEPTH} levels")
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((value, path + (key,)))
            elif isinstance(value, (int, _Unrepresentable)):
                problem = _number_problem(value)
                if problem:
                    raise ValueError(f"{where}{_field(path + (key,))} {problem}")


def _loads(text, where, invalid):
    """json.loads with every number checked. where: the prefix of the messages naming a
    field; invalid: the message for text that is not JSON at all."""
    try:
        obj = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                         parse_constant=_Unrepresentable)
    except (ValueError, RecursionError) as e:   # JSONDecodeError is a ValueError
        raise ValueError(f"{invalid} ({type(e).__name__}: {str(e)[:200]})") from None
    if isinstance(obj, (dict, list)):
        _check_numbers(obj, where)
    elif _number_problem(obj):
        raise ValueError(f"{where.rstrip(': .')} {_number_problem(obj)}")
    return obj


# ------------------------------------------------------------ the archive
def _check_entry(filepath, group, i, entry):
    where = f"config.json: arrays.{group}[{i}]"
    if not isinstance(entry, dict) or set(entry) != {"file", "shape", "dtype", "sha256"}:
        raise _bad(filepath, f"{where} must be an object with keys file, shape, dtype, sha256, "
                             f"got {entry!r:.200}")
    expected_name = f"{group}/{i:05d}.npy"
    if entry["file"] != expected_name:
        raise _bad(filepath, f"{where}.file should be {expected_name!r}, got {entry['file']!r:.100}")
    shape = entry["shape"]
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2 ** 40 for d in shape)):
        raise _bad(filepath, f"{where}.shape must be a list of at most 32 sizes, each an int in "
                             f"[0, 2**40), got {shape!r:.100}")
    try:
        dtype = np.dtype(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype:
        raise _bad(filepath, f"{where}.dtype must be a numeric dtype such as '<f4', got {entry['dtype']!r:.100}")
    digest = entry["sha256"]
    if not isinstance(digest, str) or len(digest) != 64:
        raise _bad(filepath, f"{where}.sha256 is not a SHA-256 hex digest")
    shape = tuple(shape)
    return {"name": expected_name, "shape": shape, "dtype": dtype, "sha256": digest,
            "nbytes": math.prod(shape) * dtype.itemsize}     # Python ints: cannot wrap


class _Archive:
    """An open fastnn archive whose directory, config.json and manifest have been checked;
    no array member has been read yet. ``config``, ``declared[group]`` (the checked
    entries: name, shape, dtype, sha256, nbytes, info) and ``read(group)``."""

    def __init__(self, filepath, formats, max_bytes):
        self.filepath = os.fspath(filepath)
        self.formats = (formats,) if isinstance(formats, str) else tuple(formats)
        self.max_bytes = max_bytes
        self._zf = None

    def __enter__(self):
        filepath = self.filepath
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"load: {filepath!r} is a directory, not a fastnn file")
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"load: no such file: {filepath!r}")
        try:
            st = os.stat(filepath)
        except OSError as e:
            raise _bad(filepath, f"cannot be read ({e})") from None
        if not stat.S_ISREG(st.st_mode):    # a FIFO or a device would block or never end
            raise _bad(filepath, "not a regular file; fastnn files are ZIP archives on disk")
        self.size_on_disk = st.st_size
        try:
            self._zf = zipfile.ZipFile(filepath, "r")
        except _ZIP_ERRORS as e:
            raise _bad(filepath, f"not a fastnn file (not a readable ZIP archive: {e}); it may be "
                                 "truncated or in another format") from None
        except OSError as e:
            raise _bad(filepath, f"unreadable archive ({type(e).__name__}: {e})") from None
        try:
            self._guarded(self._open)
        except BaseException:
            self._zf.close()
            raise
        return self

    def __exit__(self, *exc):
        self._zf.close()

    def _guarded(self, fn, *args):
        try:
            return fn(*args)
        except _ZIP_ERRORS as e:  # e.g. a CRC mismatch or a broken deflate stream in a member
            raise _bad(self.filepath, f"corrupted or truncated ZIP archive ({type(e).__name__}: {e})") from None
        except OSError as e:
            raise _bad(self.filepath, f"unreadable archive ({type(e).__name__}: {e}); the file may be truncated") from None

    def _open(self):
        filepath, zf = self.filepath, self._zf
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if len(names) != len(set(names)):
            raise _bad(filepath, "archive holds duplicate member names")
        if CONFIG_NAME not in names:
            raise _bad(filepath, f"not a fastnn file: no {CONFIG_NAME} member (members: {names[:5]})")
        for info in infos:
            if info.flag_bits & 0x1:
                raise _bad(filepath, f"member {info.filename!r:.100} is encrypted; fastnn never writes "
                                     "encrypted members")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _bad(filepath, f"member {info.filename!r:.100} uses ZIP compression method "
                                     f"{info.compress_type}; fastnn files are stored or deflated")
        inflated = sum(i.file_size for i in infos)
        ratio = MAX_COMPRESSION_RATIO
        if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.number))
                                  or not ratio > 0):
            raise ValueError(f"fastnn.saving.MAX_COMPRESSION_RATIO must be a number > 0 or None, "
                             f"got {ratio!r:.60}")
        if ratio is not None and inflated > max(_RATIO_FREE_BYTES, ratio * self.size_on_disk):
            raise _bad(filepath, f"its members inflate to {_human(inflated)} ({inflated} bytes), "
                                 f"more than {ratio} times the file's {self.size_on_disk} bytes "
                                 "(fastnn.saving.MAX_COMPRESSION_RATIO); a deflate bomb, or arrays "
                                 "that are nearly all one value: set the ratio to None if you "
                                 "trust the file")
        self._infos = {i.filename: i for i in infos}
        raw = self._read(self._infos[CONFIG_NAME], _MAX_CONFIG_BYTES)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(filepath, f"{CONFIG_NAME} is not valid UTF-8 JSON ({e})") from None
        try:
            config = _loads(text, f"{CONFIG_NAME}: ", f"{CONFIG_NAME} is not valid UTF-8 JSON")
        except ValueError as e:
            raise _bad(filepath, str(e)) from None
        if not isinstance(config, dict):
            raise _bad(filepath, f"{CONFIG_NAME} must hold a JSON object")
        fmt = config.get("format")
        if fmt not in (MODEL_FORMAT, WEIGHTS_FORMAT, TRAINING_FORMAT):
            raise _bad(filepath, f"not a fastnn file: format is {fmt!r:.60}, expected {MODEL_FORMAT!r}, "
                                 f"{WEIGHTS_FORMAT!r} or {TRAINING_FORMAT!r}")
        if fmt not in self.formats:
            hint = {MODEL_FORMAT: "use fastnn.models.load_model()",
                    WEIGHTS_FORMAT: "it holds only weights: build the model and call "
                                    "model.load_weights()",
                    TRAINING_FORMAT: "it is a training backup: fit() with a "
                                     "callbacks.BackupAndRestore reads it"}[fmt]
            raise _bad(filepath, f"holds {fmt!r}, expected {self.formats[0]!r}: {hint}")
        version = config.get("format_version")
        if type(version) is not int or version != FORMAT_VERSION:
            raise _bad(filepath, f"format_version {version!r:.20} is not supported by this fastnn "
                                 f"(reads version {FORMAT_VERSION}); saved by fastnn "
                                 f"{config.get('fastnn_version')!r:.20}")
        manifest = config.get("arrays")
        if not isinstance(manifest, dict) or not set(manifest) <= set(_GROUPS) \
                or not all(isinstance(v, list) for v in manifest.values()):
            raise _bad(filepath, f"config.json: 'arrays' must map {list(_GROUPS)} to lists")
        declared, total = {}, 0
        expected_members = {CONFIG_NAME}
        for group in _GROUPS:
            declared[group] = []
            for i, entry in enumerate(manifest.get(group, [])):
                e = _check_entry(filepath, group, i, entry)
                name, nbytes = e["name"], e["nbytes"]
                total += nbytes
                if total > self.max_bytes:
                    raise _bad(filepath, f"its arrays take {_human(total)} ({total} bytes) or more "
                                         f"(arrays.{group}[{i}] has shape {e['shape']}, {e['dtype']}), "
                                         f"more than the {self.max_bytes} bytes a load may read; "
                                         + _limit_hint("load"))
                info = self._infos.get(name)
                if info is None:
                    raise _bad(filepath, f"member {name} listed in config.json is missing (truncated file?)")
                if info.file_size > nbytes + _NPY_HEADER_MAX:
                    raise _bad(filepath, f"member {name} is {info.file_size} bytes uncompressed, more "
                                         f"than its shape {e['shape']} and dtype {e['dtype']} in "
                                         f"config.json allow ({nbytes} bytes + a .npy header of at "
                                         f"most {_NPY_HEADER_MAX})")
                if info.file_size <= nbytes:
                    raise _bad(filepath, f"member {name} is {info.file_size} bytes uncompressed, fewer "
                                         f"than the {nbytes} bytes that config.json says it holds "
                                         f"(shape {e['shape']}, dtype {e['dtype']}) plus its .npy header")
                e["info"] = info
                expected_members.add(name)
                declared[group].append(e)
        extra = sorted(set(names) - expected_members)
        if extra:
            raise _bad(filepath, f"archive holds members config.json does not list: {extra[:5]}")
        self.config, self.declared = config, declared

    def _read(self, info, limit):
        """The member's bytes: at most `limit`, exactly the size the ZIP directory states,
        read in chunks (never a buffer of a size taken from the file unchecked)."""
        name, size = info.filename, info.file_size
        if size > limit:
            raise _bad(self.filepath, f"member {name} is {size} bytes, more than the {limit} it may hold")
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        with self._zf.open(info) as f:
            while got < size:
                chunk = f.read(min(_READ_CHUNK, size - got))
                if not chunk:
                    break
                view[got:got + len(chunk)] = chunk
                got += len(chunk)
        # (zipfile never returns more than the directory's size, and checks the CRC at the end)
        if got != size:
            raise _bad(self.filepath, f"member {name} holds {got} bytes, fewer than the {size} "
                                      "the ZIP directory states")
        return buf

    def read(self, group):
        return self._guarded(self._read_group, group)

    def _read_group(self, group):
        return [self._read_array(e) for e in self.declared[group]]

    def _read_array(self, e):
        filepath, name, shape, dtype = self.filepath, e["name"], e["shape"], e["dtype"]
        buf = self._read(e["info"], e["nbytes"] + _NPY_HEADER_MAX)
        if hashlib.sha256(buf).hexdigest() != e["sha256"]:
            raise _bad(filepath, f"member {name} does not match its SHA-256 digest in "
                                 "config.json (corrupted or tampered file)")
        # The header is parsed on its own, so that a header declaring a larger array than
        # config.json does is refused before NumPy would allocate it.
        head = io.BytesIO(bytes(buf[:_NPY_HEADER_MAX + 16]))
        try:
            major, minor = np.lib.format.read_magic(head)
            # 3.0 differs from 2.0 only in encoding the header as UTF-8 instead of
            # latin-1, which are the same bytes for a numeric dtype's ASCII header.
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0,
                           (3, 0): np.lib.format.read_array_header_2_0}.get((major, minor))
            if read_header is None:
                raise ValueError(f".npy format version {major}.{minor} is not one of 1.0, 2.0, 3.0")
            hshape, fortran, hdtype = read_header(head, max_header_size=_NPY_HEADER_MAX)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError, OverflowError,
                UnicodeDecodeError) as err:
            raise _bad(filepath, f"member {name} is not a valid .npy array ({err})") from None
        if hshape != shape or hdtype != dtype or fortran:
            raise _bad(filepath, f"member {name} holds {hdtype} {hshape}"
                                 f"{' in Fortran order' if fortran else ''}, config.json says {dtype} {shape}")
        offset = head.tell()
        if offset + e["nbytes"] != len(buf):
            raise _bad(filepath, f"member {name} has {len(buf) - offset} bytes of data after its .npy "
                                 f"header, {dtype} {shape} takes {e['nbytes']}")
        return np.frombuffer(buf, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)


def _read_archive(filepath, expected_format, max_bytes=None):
    """Open, validate and return (config, {"weights": [...], "optimizer": [...]})."""
    with _Archive(filepath, expected_format, _limit(max_bytes, "max_bytes")) as archive:
        return archive.config, {g: archive.read(g) for g in _GROUPS}


def _check_declared_fit(filepath, model_weights, declared):
    """The file's weight entries (or arrays) against the model's weights: count, shapes,
    kinds (floats for floats; Normalization's count is an int)."""
    if len(declared) != len(model_weights):
        raise _bad(filepath, f"holds {len(declared)} weight arrays, the model has {len(model_weights)}")
    for i, (have, got) in enumerate(zip(model_weights, declared)):
        shape, dtype = (got["shape"], got["dtype"]) if isinstance(got, dict) else (got.shape, got.dtype)
        if tuple(np.shape(have)) != tuple(shape):
            raise _bad(filepath, f"weight {i} has shape {tuple(shape)} in the file, the model expects "
                                 f"{tuple(np.shape(have))}")
        want = np.asarray(have).dtype
        if dtype.kind != want.kind:
            raise _bad(filepath, f"weight {i} has dtype {dtype}, the model's is {want}")


def _check_values(filepath, what, arr, want, nonfinite=None):
    """arr's finite values are ones `want` (a dtype) can represent. NaN and Inf are taken
    as they are (a model that diverged saves them; Keras loads them): `what` is appended
    to the list `nonfinite` for each array holding some, so the caller can warn."""
    if arr.size == 0 or arr.dtype.kind != "f":
        return
    lo, hi = arr.min(), arr.max()               # NaN propagates; no boolean temporary
    if not (np.isfinite(lo) and np.isfinite(hi)):
        if nonfinite is not None:
            nonfinite.append(what)
        finite = arr[np.isfinite(arr)]
        if finite.size == 0:
            return
        lo, hi = finite.min(), finite.max()
    if want.kind == "f" and max(-float(lo), float(hi)) > float(np.finfo(want).max):
        raise _bad(filepath, f"{what} holds values up to {max(-float(lo), float(hi)):.3g} in magnitude, "
                             f"beyond what the model's {want} can hold")


def _warn_nonfinite(filepath, caller, nonfinite):
    """One warning for the arrays of a file that hold NaN or Inf (loaded as they are)."""
    if nonfinite:
        shown = ", ".join(nonfinite[:4]) + (f" and {len(nonfinite) - 4} more"
                                            if len(nonfinite) > 4 else "")
        warnings.warn(f"{caller}: {os.fspath(filepath)!s}: {shown} hold NaN or Inf (the model "
                      f"had diverged when it was saved); loaded as they are",
                      RuntimeWarning, stacklevel=4)


def _set_weights(filepath, model, arrays, caller="load_model", pending=None):
    """Check and set the weights; the arrays holding NaN or Inf are warned about here,
    or appended to `pending` for the caller's one warning."""
    weights = model.weights
    _check_declared_fit(filepath, weights, arrays)
    nonfinite = [] if pending is None else pending
    for i, (w, a) in enumerate(zip(weights, arrays)):
        _check_values(filepath, f"weight {i} ({a.dtype} {a.shape})", a, w.dtype, nonfinite)
    if pending is None:
        _warn_nonfinite(filepath, caller, nonfinite)
    try:
        model.set_weights(arrays)
    except (ValueError, TypeError) as e:
        raise _bad(filepath, f"the weights cannot be set ({e})") from None


# ---------------------------------------------------------------------- architectures
_SHAPE_KEYS = ("batch_input_shape", "batch_shape", "input_shape", "shape")


class _ConfigError(ValueError):
    """A refusal worded here (its message names the field); not wrapped again."""


def _check_dims(value, where, allow_int=False):
    """A shape in a config: a list of sizes (ints >= 1) or None (unknown)."""
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > 32 or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 1) for d in value):
        raise _ConfigError(f"{where} must be a list of sizes (ints >= 1, or null for an unknown "
                           f"size), got {value!r:.100}")


def _check_layer_entry(lc, at):
    """One layer's entry in a model config: {"class_name": ..., "config": {...}}, with
    its shapes and sizes well formed."""
    if not isinstance(lc, dict) or not isinstance(lc.get("class_name"), str):
        raise _ConfigError(f"{at} must be an object {{\"class_name\": \"Dense\", \"config\": {{...}}}}, "
                           f"got {lc!r:.100}")
    lcfg = lc.get("config", {})
    if not isinstance(lcfg, dict):
        raise _ConfigError(f"{at}.config must be an object of the layer's arguments, got {lcfg!r:.100}")
    for key in _SHAPE_KEYS:
        if lcfg.get(key) is not None:
            _check_dims(lcfg[key], f"{at}.config.{key}", allow_int=True)
    for key in ("input_dim", "batch_size"):
        v = lcfg.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise _ConfigError(f"{at}.config.{key} must be an int >= 1, got {v!r:.100}")


_MODEL_KINDS = ("Sequential", "Functional", "Model")


def _check_model_spec(spec, where):
    """spec = {"class_name": "Sequential" | "Functional", "config": {...}} with well-formed
    layer entries. `where` prefixes the messages and names the spec's place (e.g.
    "config.json: model")."""
    if not isinstance(spec, dict) or spec.get("class_name") not in _MODEL_KINDS \
            or not isinstance(spec.get("config"), dict):
        raise _ConfigError(f"{where}: expected {{\"class_name\": \"Sequential\" or \"Functional\", "
                           f"\"config\": {{...}}}}, got {str(spec)[:200]!r}")
    cfg = spec["config"]
    if spec["class_name"] != "Sequential":
        if cfg.get("name") is not None and not isinstance(cfg.get("name"), str):
            raise _ConfigError(f"{where}.config.name must be a string, got {cfg['name']!r:.100}")
        if not isinstance(cfg.get("trainable", True), bool):
            raise _ConfigError(f"{where}.config.trainable must be true or false, got "
                               f"{cfg['trainable']!r:.100}")
        layers = cfg.get("layers")
        if not isinstance(layers, list) or not layers:
            raise _ConfigError(f"{where}.config.layers must be a list of layers, got {layers!r:.100}")
        for i, lc in enumerate(layers):
            _check_layer_entry(lc, f"{where}.config.layers[{i}]")
        for key in ("input_layers", "output_layers"):
            if key not in cfg:
                raise _ConfigError(f"{where}.config has no {key!r} (the model's "
                                   f"{key.split('_')[0]} tensors)")
        return
    if cfg.get("name") is not None and not isinstance(cfg.get("name"), str):
        raise _ConfigError(f"{where}.config.name must be a string, got {cfg['name']!r:.100}")
    if not isinstance(cfg.get("trainable", True), bool):
        raise _ConfigError(f"{where}.config.trainable must be true or false, got {cfg['trainable']!r:.100}")
    if cfg.get("build_input_shape") is not None:
        _check_dims(cfg["build_input_shape"], f"{where}.config.build_input_shape")
    layers = cfg.get("layers", [])
    if not isinstance(layers, list):
        raise _ConfigError(f"{where}.config.layers must be a list of layers, got {layers!r:.100}")
    for i, lc in enumerate(layers):
        _check_layer_entry(lc, f"{where}.config.layers[{i}]")


def _zeros(shape, dtype="float32"):
    """The initializer of a model whose weights are about to be loaded: calloc'ed pages,
    no random draws."""
    return np.zeros(shape, dtype=dtype)


class _WeightBudget:
    """Stands in for each layer's add_weight while a model is built from a config: before
    a weight is allocated, its size is added up and checked against the limits (the values
    a file holds, and max_bytes), so that a config asking for huge layers is refused
    before anything of that size exists."""

    def __init__(self, where, index, max_bytes, declared=None, zero_init=False, hint=""):
        self.where, self.index, self.hint = where, index, hint
        self.max_bytes, self.zero_init = max_bytes, zero_init
        self.declared = declared        # the file's weight shapes, when loading one
        self.max_values = None if declared is None else sum(math.prod(s) for s in declared)
        self.values = self.bytes = 0
        self.asked = []

    def _first_difference(self):
        for i, (want, have) in enumerate(zip(self.asked, self.declared)):
            if want != have:
                return f" (weight {i} has shape {have} in the file, the model expects {want})"
        return ""

    def add_weight(self, layer, *args, **kwargs):
        method = type(layer).add_weight
        bound = inspect.signature(method).bind(layer, *args, **kwargs)
        bound.apply_defaults()
        shape = tuple(bound.arguments["shape"])
        at = f"{self.where}.layers[{self.index[id(layer)]}] ({type(layer).__name__} {layer.name!r})"
        if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise _ConfigError(f"{at}: weight {bound.arguments['name']!r} would have shape {shape}")
        shape = tuple(int(d) for d in shape)
        n = math.prod(shape)
        self.values += n
        self.bytes += n * np.dtype(layer.dtype).itemsize
        self.asked.append(shape)
        if self.max_values is not None and self.values > self.max_values:
            raise _ConfigError(f"{at} asks for a weight {bound.arguments['name']!r} of shape {shape}: "
                               f"the layers so far need {self.values} weight values, the file "
                               f"holds {self.max_values}{self._first_difference()}")
        if self.bytes > self.max_bytes:
            raise _ConfigError(f"{at} asks for a weight {bound.arguments['name']!r} of shape {shape}: "
                               f"the layers so far need {_human(self.bytes)} ({self.bytes} bytes) of "
                               f"weights, more than the limit of {self.max_bytes}; {self.hint}")
        if self.zero_init:
            bound.arguments["initializer"] = _zeros
        return method(*bound.args, **bound.kwargs)


def _check_per_sample(shape, what, itemsize, where, max_bytes, hint):
    """One per-sample shape (batch axis first) under max_bytes, or _ConfigError."""
    n = math.prod(int(d) for d in shape[1:] if d is not None)
    if n * itemsize > max_bytes:
        raise _ConfigError(f"{where}: {what} has shape {tuple(shape)}: {n} values per sample "
                           f"({_human(n * itemsize)}), more than the limit of {max_bytes} "
                           f"bytes; {hint}")


def _check_sample_shapes(model, input_shape, where, index, max_bytes, hint):
    """Every per-sample shape the layers compute (from the config alone, nothing built)
    stays under max_bytes: a layer may hold constants of that size (Normalization's
    given mean and variance), and one sample must fit through the model."""
    itemsize = np.dtype(model.dtype).itemsize
    shape = tuple(input_shape)

    def check(shape, what):
        _check_per_sample(shape, what, itemsize, where, max_bytes, hint)

    for layer in model._layers:
        check(shape, f"the input of layers[{index[id(layer)]}] ({type(layer).__name__} {layer.name!r})")
        shape = tuple(layer.compute_output_shape(shape))
    check(shape, "the model's output")


def _build_checked(spec, where, max_bytes, declared=None, zero_init=False, hint=""):
    """The model Sequential.from_config(spec["config"]) makes, built with every weight size
    checked before its allocation (_WeightBudget) and every per-sample shape before the
    build. ValueError (prefixed with `where`) for anything the config gets wrong."""
    if declared is not None:
        # A file's config: fastnn's own classes only (custom objects are not read from files).
        from fastnn.serialization import _BuiltinsOnly
        with _BuiltinsOnly():
            return _build_checked_inner(spec, where, max_bytes, declared, zero_init, hint)
    return _build_checked_inner(spec, where, max_bytes, declared, zero_init, hint)


def _build_checked_inner(spec, where, max_bytes, declared=None, zero_init=False, hint=""):
    from fastnn import layers as layers_mod
    from fastnn.models.sequential import Sequential
    _check_model_spec(spec, where)
    cfg = spec["config"]
    where = f"{where}.config"
    index, patched = {}, []
    budget = _WeightBudget(where, index, max_bytes, declared, zero_init, hint)
    if spec["class_name"] != "Sequential":
        return _build_functional_checked(cfg, where, index, patched, budget, max_bytes, hint)
    from fastnn.models import functional

    def on_nested_layer(layer, i):      # a layer of a functional model among the layers
        layer.add_weight = functools.partial(budget.add_weight, layer)
        patched.append(layer)
        index[id(layer)] = i
    try:
        # As Sequential.from_config, with each layer's add_weight routed through the budget.
        model = Sequential(name=cfg.get("name"), trainable=cfg.get("trainable", True))
        for i, lc in enumerate(cfg.get("layers", [])):
            try:
                with functional.nested_hooks(on_nested_layer, None):
                    layer = layers_mod.deserialize(lc)
            except _ConfigError:
                raise
            except _CONFIG_ERRORS as e:
                raise _ConfigError(f"{where}.layers[{i}] ({lc['class_name']!r:.60}) cannot be "
                                   f"built ({type(e).__name__}: {e})") from None
            layer.add_weight = functools.partial(budget.add_weight, layer)   # this object only
            patched.append(layer)
            index[id(layer)] = i
            try:
                model.add(layer, rebuild=False)
            except _CONFIG_ERRORS as e:
                raise _ConfigError(f"{where}.layers[{i}] ({lc['class_name']!r:.60}) cannot be "
                                   f"added ({type(e).__name__}: {e})") from None
        if model._input_layer is not None and model._layers:
            shape = (model._input_layer.batch_size,) + tuple(model._input_layer.shape)
        elif cfg.get("build_input_shape") is not None and model._layers:
            shape = tuple(cfg["build_input_shape"])
        else:
            return model                                  # nothing to build yet
        try:
            _check_sample_shapes(model, shape, where, index, max_bytes, hint)
            model.build(shape)
        except _ConfigError:
            raise
        except _CONFIG_ERRORS as e:
            raise _ConfigError(f"{where}: the layers cannot be built for inputs of shape "
                               f"{shape} ({type(e).__name__}: {e})") from None
        return model
    finally:
        for layer in patched:
            layer.__dict__.pop("add_weight", None)


def _build_functional_checked(cfg, where, index, patched, budget, max_bytes, hint):
    """_build_checked for a functional model's config: the layers are made and called in
    the graph's order (fastnn.models.functional.build_from_config), each one's weights
    through the budget, and every shape a call makes (the inputs' included) is checked
    against max_bytes as it is made."""
    from fastnn.models import functional

    def check(shape, what, dtype):
        try:
            itemsize = np.dtype(dtype).itemsize
        except TypeError:
            itemsize = 4
        _check_per_sample(shape, what, itemsize, where, max_bytes, hint)

    def on_layer(layer, i):
        at = f"layers[{i}] ({type(layer).__name__} {layer.name!r})"
        if layer._is_input_layer:
            check((None,) + tuple(layer.shape), f"the input {at}", layer.dtype)
        layer.add_weight = functools.partial(budget.add_weight, layer)   # this object only
        patched.append(layer)
        index[id(layer)] = i

    def on_call(layer, i, outputs):
        for t in outputs:
            check(t.shape, f"the output of layers[{i}] ({type(layer).__name__} {layer.name!r})",
                  t.dtype)
    try:
        with functional.nested_hooks(on_layer, on_call):
            return functional.build_from_config(cfg, on_layer=on_layer, on_call=on_call)
    except _ConfigError:
        raise
    except _CONFIG_ERRORS as e:
        raise _ConfigError(f"{where}: the functional model cannot be built "
                           f"({type(e).__name__}: {e})") from None
    finally:
        for layer in patched:
            layer.__dict__.pop("add_weight", None)


# ---------------------------------------------------------------------- models
def _header(fmt):
    return {"format": fmt, "format_version": FORMAT_VERSION, "fastnn_version": _fastnn_version(),
            "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _check_model(model, what, kinds="Sequential", built=True):
    """The model a save or load works on: a Sequential or functional model (a whole
    model file), or any built model (kinds="Model": its weights alone)."""
    from fastnn.models import Model, MODEL_CLASSES
    if kinds == "Model":
        if not isinstance(model, Model):
            raise TypeError(f"{what}: model must be a fastnn Model, got {type(model).__name__}")
    elif MODEL_CLASSES.get(type(model).__name__) is not type(model):
        hint = ""
        if isinstance(model, Model):
            hint = (": a subclassed model's architecture is its Python code, which a model "
                    "file does not hold; save its weights with model.save_weights(path) and "
                    "load them into a new instance with model.load_weights(path)")
        raise TypeError(f"{what}: model must be a fastnn Sequential or functional Model, got "
                        f"{type(model).__name__}{hint}")
    if built and not model.built:
        raise ValueError(f"{what}: the model is not built, so it has no weights to save; give it an "
                         "Input(shape), call it on data or fit it first")


def _refuse_ops(model, what):
    """ValueError for a model that uses a Sequential model as a layer, or a functional
    model (or one used as a layer in it) with a keras.ops call on its tensors: model
    files do not hold them."""
    from fastnn.layers.core import OpLayer
    from fastnn.models import MODEL_CLASSES
    for layer in getattr(model, "_graph_layers", None) or getattr(model, "layers", []):
        if isinstance(layer, OpLayer):
            raise ValueError(f"{what}: the model {model.name!r} has a keras.ops call on its "
                             f"tensors ({layer.name!r}), which model files do not hold; use a "
                             "layer for it (keras.layers.Add for x + y, say), save the "
                             "architecture with model.to_json() and the weights with "
                             "save_weights(), or save the weights alone")
        if layer is not model and type(layer).__name__ == "Sequential" and \
                MODEL_CLASSES.get("Sequential") is type(layer):
            raise ValueError(f"{what}: the model {model.name!r} uses the Sequential model "
                             f"{layer.name!r} as a layer, which model files do not hold; "
                             "make it a functional model (keras.Model(inputs, outputs)), or "
                             "save the weights alone")
        if layer is not model and getattr(layer, "_graph_layers", None):
            _refuse_ops(layer, what)             # a functional model used as a layer


def _suffix(filepath):
    """The format a file name asks for: "keras" (Keras 3's .keras), "weights.h5" (Keras
    3's weights file), "h5" (Keras' legacy HDF5) or None (fastnn's own format)."""
    name = os.fspath(filepath)
    name = (name.decode(errors="replace") if isinstance(name, bytes) else name).lower()
    if name.endswith(".keras"):
        return "keras"
    if name.endswith(".weights.h5"):
        return "weights.h5"
    if name.endswith((".h5", ".hdf5")):
        return "h5"
    return None


def _keras_layout(model):
    """Whether Keras' HDF5 weights layout is written for `model` (Sequential and
    functional models; a subclassed model's weights go in fastnn's own format)."""
    from fastnn.models import MODEL_CLASSES
    return MODEL_CLASSES.get(type(model).__name__) is type(model)


def _is_zip(filepath):
    """Whether the file starts as a ZIP archive does (fastnn's own format), so that a
    subclassed model's .weights.h5 written by fastnn reads back; anything else goes to
    the HDF5 reader, which checks it."""
    try:
        with open(filepath, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


class FileNotFound(FileNotFoundError, ValueError):
    """The file to load does not exist. Both a FileNotFoundError (Python's error for a
    missing file) and a ValueError (what Keras' ``load_model`` and ``load_weights``
    raise for one), so that code written for either catches it."""


def _require_file(filepath, what):
    """Raise FileNotFound, with Keras' wording, when nothing exists at `filepath`."""
    if os.path.exists(filepath):
        return
    fp = os.fspath(filepath)
    fp = fp.decode(errors="replace") if isinstance(fp, bytes) else fp
    kind = _suffix(filepath)
    if kind == "keras":
        msg = (f"File not found: filepath={fp}. Please ensure the file is an accessible "
               "`.keras` zip file.")
    elif kind is not None:
        msg = f"File not found: filepath={fp}."
    else:
        msg = (f"File not found: filepath={fp}. (File format not supported by Keras 3, "
               "which reads `.keras`, `.weights.h5` and legacy `.h5` files; fastnn reads "
               "its own format under any other name.)")
    raise FileNotFound(f"{what}: {msg}")


def _no_legacy_writes(filepath, what):
    raise ValueError(f"{what}: {os.fspath(filepath)!r}: fastnn does not write Keras' legacy "
                     "HDF5 format (.h5, .hdf5); use .keras for a Keras 3 model file, "
                     ".weights.h5 for Keras 3 weights, or any other ending for fastnn's own format")


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to
    ``filepath`` atomically: a name ending in ``.keras`` gives Keras 3's format
    (fastnn.saving_keras), any other ending (not ``.h5``) the format described in the
    module docstring.

    Parameters
    ----------
    model : Sequential or functional Model
        The model to save (subclassed models cannot be saved: their architecture is
        their Python code).
    filepath : str or path
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced. Default True.
    zipped : bool, optional
        False: write Keras' unzipped model directory (the members of a ``.keras`` file
        as files in the directory ``filepath``, which must not end in ``.keras``);
        ``load_model`` reads it back. Default None: one file.
    """
    _check_model(model, "save_model")
    _refuse_ops(model, "save_model")
    # Keras 3's saving_api.save_model: save_format is deprecated (refused unless the
    # file name says .keras or .h5), include_optimizer only matters for legacy .h5
    # files, zipped=False writes a directory; any other keyword is a ValueError.
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    zipped = kwargs.pop("zipped", None)
    if save_format:
        if str(filepath).endswith((".h5", ".hdf5", ".keras")):
            warnings.warn(f"save_model: the `save_format` argument is deprecated in Keras 3 "
                          f"and unused: the file name gives the format. Received: "
                          f"save_format={save_format}", stacklevel=2)
        else:
            raise ValueError("save_model: The `save_format` argument is deprecated in Keras "
                             "3. Please remove this argument and pass a file path with "
                             "either `.keras` or `.h5` extension. Received: "
                             f"save_format={save_format}")
    if kwargs:
        raise ValueError(f"save_model: The following argument(s) are not supported: "
                         f"{list(kwargs)}")
    if include_optimizer is not True:
        raise ValueError(f"save_model: include_optimizer={include_optimizer!r} is not "
                         f"supported: Keras uses it only for legacy .h5 files, which fastnn "
                         f"does not write; the optimizer's state is always saved")
    if zipped is not None and not isinstance(zipped, bool):
        raise TypeError(f"save_model: zipped must be True, False or None, got "
                        f"{type(zipped).__name__} {zipped!r:.100}")
    kind = _suffix(filepath)
    if zipped is False:
        if kind == "keras":
            raise ValueError("save_model: When using `zipped=False`, the `filepath` argument "
                             f"should not end in `.keras`. Received: filepath={os.fspath(filepath)}")
        from fastnn import saving_keras
        return saving_keras.save_model(model, filepath, overwrite=overwrite, zipped=False)
    if kind == "keras":
        from fastnn import saving_keras
        return saving_keras.save_model(model, filepath, overwrite=overwrite)
    if kind is not None:
        _no_legacy_writes(filepath, "save_model")
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_model: {filepath!r} exists and overwrite=False")
    header = _header(MODEL_FORMAT)
    header["model"] = model.spec()
    header["compile"] = _compile_settings(model)
    if getattr(model, "_dropout_draws", None):   # the engine's dropout stream (as strings:
        header["dropout_seeds"] = [str(d) for d in model._dropout_draws]  # 62-bit ints)
    groups = {"weights": model.get_weights()}
    optimizer = getattr(model, "optimizer", None) if header["compile"] is not None else None
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


def _compile_settings(model):
    """The model's compile settings as a model file stores them, or None (not compiled,
    or compiled with an object that cannot be stored by name: a Python function as the
    loss, a metric or loss class of the user's, a learning-rate function; the file is
    then written without them, with a warning, and load_model returns the model
    uncompiled, as Keras does when it cannot compile a loaded model)."""
    from fastnn import metrics, optimizers
    from fastnn.trainers import trainer
    if not getattr(model, "compiled", False):
        return None
    problem = None
    try:
        cfg = model.get_compile_config()
        json.dumps(cfg, allow_nan=False)
        # the settings must come back as the same kinds of objects
        if type(optimizers.get(cfg["optimizer"])) is not type(model.optimizer):
            problem = f"the optimizer {type(model.optimizer).__name__} is not fastnn's"

        def same_loss(stored, given):
            nonlocal problem
            if given is not None and type(trainer.compile_utils.get_loss(stored)) is not type(
                    trainer.compile_utils.get_loss(given)):
                problem = f"the loss {given!r:.60} is not one of fastnn's"
        _zip_leaves(same_loss, cfg["loss"], model._loss_identifier)

        def same_metric(stored, given):
            nonlocal problem
            if not isinstance(stored, str) and type(metrics.get(stored)) is not type(given):
                problem = f"the metric {given!r:.60} is not one of fastnn's"
        _zip_leaves(same_metric, cfg["metrics"], model._metric_ids)
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        problem = f"{type(e).__name__}: {e}"
    if problem is None:
        return cfg
    warnings.warn(f"save_model: the file holds the architecture and weights without the "
                  f"compile settings, which cannot be stored by name ({problem}); "
                  f"load_model will return the model uncompiled: compile it again",
                  stacklevel=3)
    return None


def _zip_leaves(fn, stored, given):
    """fn(stored entry, given entry) over two compile arguments of the same structure."""
    from fastnn.trainers.trainer import _is_serialized
    if stored is None or given is None:
        return
    if isinstance(given, (list, tuple)):
        for a, b in zip(stored, given):
            _zip_leaves(fn, a, b)
    elif isinstance(given, dict) and not _is_serialized(stored):
        for k in given:
            _zip_leaves(fn, stored[k], given[k])
    else:
        fn(stored, given)


def _preserving_rng():
    """Building layers may draw from fastnn's RNG; loading must not move it (so that
    training after a load continues the same random stream as before the save)."""
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


def _check_optimizer_state(filepath, opt, trainable, state):
    """The step count and the slots, before the optimizer takes any of them."""
    what = "arrays.optimizer[0] (the step count, optimizer.iterations)"
    nonfinite = []
    it = state[0]
    if it.shape != () or it.dtype.kind not in "iu":
        raise _bad(filepath, f"{what} must be a 0-d integer array, got {it.dtype} {it.shape}")
    n, bound = int(it), MAX_ITERATIONS
    if not 0 <= n < bound:
        shown = "2**53" if bound == 2 ** 53 else str(bound)
        raise _bad(filepath, f"{what} must be in [0, {shown}) (fastnn.saving.MAX_ITERATIONS), got {n}")
    if len(state) == 1:
        return nonfinite
    names = opt._slot_names_for()
    k = 1
    for i, w in enumerate(trainable):
        for name in names:
            a, where = state[k], f"arrays.optimizer[{k}] (slot {name!r} of trainable weight {i})"
            if a.shape != w.shape:
                raise _bad(filepath, f"the optimizer state does not fit the optimizer: {where} has "
                                     f"shape {a.shape}, the weight has {w.shape}")
            if a.dtype.kind != "f":
                raise _bad(filepath, f"{where} must be floating-point, got {a.dtype}")
            _check_values(filepath, where, a, w.dtype, nonfinite)
            if name in _NONNEGATIVE_SLOTS and a.size and np.nanmin(a) < 0:
                raise _bad(filepath, f"{where} is a sum of squares, so it cannot be negative; "
                                     f"it holds {float(np.nanmin(a)):.3g}")
            k += 1
    return nonfinite


def _restore_optimizer(filepath, model, state, pending=()):
    opt = model.optimizer
    per_var = len(opt._slot_names_for())
    trainable = model.trainable_weights
    if len(state) > 1 and len(state) != 1 + per_var * len(trainable):
        # Slots for another set of variables (the optimizer was built before layers
        # were unfrozen): Keras skips the optimizer's state then, and so do we.
        warnings.warn(f"load_model: {filepath}: skipping the optimizer state: it holds "
                      f"{len(state) - 1} slot arrays, and {type(opt).__name__} keeps "
                      f"{per_var} for each of the model's {len(trainable)} trainable "
                      "weights; the optimizer starts afresh", stacklevel=3)
        _warn_nonfinite(filepath, "load_model", list(pending))
        return
    if not state:
        _warn_nonfinite(filepath, "load_model", list(pending))
        return
    _warn_nonfinite(filepath, "load_model",
                    list(pending) + _check_optimizer_state(filepath, opt, trainable, state))
    try:
        if len(state) > 1:
            # Build the slots for the model's trainable weights now, so set_state
            # checks every shape here and not at the first training step.
            opt.build(trainable)
        opt.set_state(state)
    except (ValueError, TypeError) as e:
        raise _bad(filepath, f"the optimizer state does not fit the optimizer ({e})") from None


def _check_learning_rate(filepath, opt):
    try:
        lr = opt.learning_rate     # a schedule is evaluated at the restored step
        problem = None if math.isfinite(lr) and lr >= 0 else f"it gives {lr}"
    except _CONFIG_ERRORS as e:
        problem = f"{type(e).__name__}: {e}"
    if problem:
        raise _bad(filepath, f"config.json: compile.optimizer.config.learning_rate cannot be used at "
                             f"the saved step {opt.iterations} ({problem}); a learning rate must be "
                             "a finite number >= 0")


def _check_dropout_seeds(filepath, seeds, model):
    """config.json's "dropout_seeds": decimal strings of integers in [0, 2**62), at most
    one per layer of the model."""
    if not isinstance(seeds, list) or len(seeds) > len(model.layers):
        raise _bad(filepath, f"config.json: 'dropout_seeds' must be a list of at most "
                             f"{len(model.layers)} seeds (one per layer)")
    for s in seeds:
        if not (isinstance(s, str) and s.isascii() and s.isdigit() and len(s) <= 19 and int(s) < 2 ** 62):
            raise _bad(filepath, f"config.json: 'dropout_seeds' must hold decimal strings of "
                                 f"integers in [0, 2**62), got {s!r:.40}")
    return [int(s) for s in seeds]


def load_model(filepath, compile=True, custom_objects=None, safe_mode=True, max_bytes=None):
    """Read a model written by save_model/model.save: a built Sequential or functional
    model with the saved weights and, with ``compile=True`` (the default) and a compiled original, the same
    optimizer (including its step count and slots), loss and metrics.

    A name ending in ``.keras`` is read as Keras 3's format, ``.h5`` or ``.hdf5`` as
    Keras' legacy HDF5 format (fastnn.saving_keras, with the same guarantees), a
    directory holding ``config.json`` as Keras' unzipped model directory
    (``save_model(..., zipped=False)``); any other ending as fastnn's own format.

    ``max_bytes``: the most bytes the file's arrays may take together, as their declared
    shapes give them (default ``fastnn.saving.MAX_LOAD_BYTES``, 4 GiB). A file may also
    inflate to more than 32 MiB only up to ``fastnn.saving.MAX_COMPRESSION_RATIO`` (100)
    times its size on disk.

    Raises ValueError, naming the file and the field, for a truncated, foreign, tampered
    or malformed file, before the data in question is allocated (the checks are listed
    in the module doc and docs/FORMAT.md); nothing from the file is ever executed.
    ``custom_objects`` is not supported; ``safe_mode`` is always on.

    Parameters
    ----------
    filepath : str or path
        The file to read.
    compile : bool
        Whether to compile the model as it was saved. Default True.
    custom_objects : None
        Not supported: only None (or an empty dict) is accepted.
    safe_mode : bool
        Accepted for Keras compatibility; loading is always safe (nothing from the file
        is executed).
    max_bytes : int, optional
        The most bytes the file's arrays may take together. Default ``MAX_LOAD_BYTES``.

    Returns
    -------
    Model
        The model.
    """
    if custom_objects:
        raise ValueError("load_model: custom_objects are not supported; fastnn files only refer "
                         "to fastnn's built-in layers, activations, losses and optimizers")
    _require_file(filepath, "load_model")
    kind = _suffix(filepath)
    if os.path.isdir(filepath) and os.path.exists(os.path.join(filepath, CONFIG_NAME)):
        from fastnn import saving_keras          # an unzipped model directory
        return saving_keras.load_model(filepath, compile=compile, max_bytes=max_bytes)
    if kind == "keras":
        from fastnn import saving_keras
        return saving_keras.load_model(filepath, compile=compile, max_bytes=max_bytes)
    if kind is not None:
        from fastnn import saving_keras
        return saving_keras.load_legacy_h5_model(filepath, compile=compile, max_bytes=max_bytes)
    return _load_fastnn_model(filepath, compile=compile, max_bytes=max_bytes)


def _load_fastnn_model(filepath, compile=True, max_bytes=None):
    """load_model for fastnn's own format."""
    max_bytes = _limit(max_bytes, "load_model: max_bytes")
    with _Archive(filepath, MODEL_FORMAT, max_bytes) as archive:
        filepath, config, declared = archive.filepath, archive.config, archive.declared
        # The architecture first, without random initialisation: no layer may ask for
        # more weight values than the file holds, so the build costs what the file does.
        with _preserving_rng():
            try:
                model = _build_checked(config.get("model"), "config.json: model", max_bytes,
                                       declared=[e["shape"] for e in declared["weights"]],
                                       zero_init=True, hint=_limit_hint("load"))
            except ValueError as e:
                raise _bad(filepath, str(e)) from None
        if not model.built:
            raise _bad(filepath, "config.json: the model config has no input shape "
                                 "(build_input_shape or an Input layer) or no layers")
        _check_declared_fit(filepath, model.weights, declared["weights"])
        weights = archive.read("weights")
        compile_cfg = config.get("compile")
        restore = compile and compile_cfg is not None
        state = archive.read("optimizer") if restore else []
    nonfinite = []
    _set_weights(filepath, model, weights, pending=nonfinite)
    draws = _check_dropout_seeds(filepath, config.get("dropout_seeds", []), model)
    if draws:
        model._dropout_draws = draws
    if restore:
        if not isinstance(compile_cfg, dict):
            raise _bad(filepath, "config.json: 'compile' must be an object or null")
        try:
            model.compile_from_config(compile_cfg)
        except _CONFIG_ERRORS as e:
            raise _bad(filepath, f"config.json: the compile settings cannot be restored ({type(e).__name__}: {e})") from None
        _restore_optimizer(filepath, model, state, nonfinite)
        _check_learning_rate(filepath, model.optimizer)
    else:
        _warn_nonfinite(filepath, "load_model", nonfinite)
    return model


def _model_file_bytes(model):
    """The bytes of `model`'s file, as save_model writes it (for pickle)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="fastnn-pickle-") as d:
        path = os.path.join(d, "model.fastnn")
        save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def _model_from_file_bytes(data):
    """load_model of a model file's bytes (for pickle), with every check a file gets."""
    import tempfile
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"a pickled fastnn model holds its model file's bytes, got "
                        f"{type(data).__name__}")
    with tempfile.TemporaryDirectory(prefix="fastnn-pickle-") as d:
        path = os.path.join(d, "model.fastnn")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)


# ---------------------------------------------------------------------- weights only
def save_weights(model, filepath, overwrite=True, max_shard_size=None, objects_to_skip=None):
    """Write only ``model.get_weights()`` (Keras layout) to ``filepath``, atomically: a
    name ending in ``.weights.h5`` gives Keras 3's weights file (fastnn.saving_keras), any
    other ending (not ``.h5``) fastnn's own format.

    Parameters
    ----------
    model : Model
        The model whose weights are saved.
    filepath : str or path
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced. Default True.
    max_shard_size : int or float, optional
        Write Keras 3's sharded weights: the name (ending in ``.weights.json``) is a map
        of the shards ``<base>_00000.weights.h5``, ... written beside it, each holding at
        most this many gigabytes (1024**3 bytes) of arrays (Sequential and functional
        models). Default None: one file.
    objects_to_skip : list, optional
        Layers of the model (or its optimizer) whose variables are not written
        (``.weights.h5`` and sharded files only, as in Keras).
    """
    _check_model(model, "save_weights", kinds="Model")
    if max_shard_size is not None:
        name = os.fspath(filepath)
        name = name.decode(errors="replace") if isinstance(name, bytes) else name
        if not name.endswith(("weights.h5", "weights.json")):
            raise ValueError("save_weights: The filename must end in `.weights.json` when "
                             f"`max_shard_size` is specified. Received: filepath={name}")
        if not _keras_layout(model):
            raise ValueError(f"save_weights: max_shard_size: sharded weights are written for "
                             f"Sequential and functional models only, got the subclassed "
                             f"model {type(model).__name__}")
        from fastnn import saving_keras
        return saving_keras.save_sharded_weights(model, filepath, max_shard_size,
                                                 overwrite=overwrite,
                                                 objects_to_skip=objects_to_skip)
    kind = _suffix(filepath)
    if objects_to_skip is not None and not (kind == "weights.h5" and _keras_layout(model)):
        raise ValueError("save_weights: objects_to_skip is supported for Keras 3 "
                         "'.weights.h5' files of Sequential and functional models only. "
                         f"Received: {os.fspath(filepath)}")
    if kind == "weights.h5" and _keras_layout(model):
        from fastnn import saving_keras
        return saving_keras.save_weights(model, filepath, overwrite=overwrite,
                                         objects_to_skip=objects_to_skip)
    if kind == "weights.h5":
        warnings.warn(f"save_weights: {os.fspath(filepath)!r}: fastnn writes Keras' "
                      f".weights.h5 layout for Sequential and functional models; the weights "
                      f"of the subclassed model {type(model).__name__} go in fastnn's own format "
                      f"under this name, which fastnn's load_weights reads and Keras does not",
                      stacklevel=3)
        kind = None
    if kind is not None:
        _no_legacy_writes(filepath, "save_weights")
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    _write_archive(filepath, _header(WEIGHTS_FORMAT), {"weights": model.get_weights()})


def load_weights(model, filepath, skip_mismatch=False, max_bytes=None, **kwargs):
    """Set ``model``'s weights from a file written by save_weights (or a model file). The
    file's shapes are checked against the model before any array is read, and every
    value before anything is assigned; ``max_bytes`` as for load_model. A name ending in
    ``.keras`` is read as Keras 3's model file (its weights), ``.weights.h5``, ``.h5`` or
    ``.hdf5`` as Keras' HDF5 weights (Keras 3's layout, or the legacy one of a Keras 2
    file), ``.weights.json`` as Keras 3's sharded weights (the map of the shards beside
    it); any other ending as fastnn's own format.

    Parameters
    ----------
    model : Model
        The model to set the weights of (built, with the same architecture).
    filepath : str or path
        A file written by ``save_weights`` or ``save_model``.
    skip_mismatch : bool
        Only False: every weight must match the file's.
    max_bytes : int, optional
        The most bytes the file's arrays may take together. Default ``MAX_LOAD_BYTES``.
    objects_to_skip : list, optional
        Layers of the model whose weights keep their values (``.weights.h5`` files and
        sharded ``.weights.json`` maps only, as in Keras).
    by_name : bool, optional
        Keras' option for legacy ``.h5`` files; only False is supported.

    Raises
    ------
    FileNotFound
        (a ValueError and a FileNotFoundError) when the file does not exist.
    """
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"load_weights: Invalid keyword arguments: {kwargs}")
    if skip_mismatch is not False:
        raise ValueError(f"load_weights: skip_mismatch={skip_mismatch!r} is not supported; "
                         "every weight of the model must match the file's (skip_mismatch=False)")
    _check_model(model, "load_weights", kinds="Model")
    kind = _suffix(filepath)
    name = os.fspath(filepath)
    name = name.decode(errors="replace") if isinstance(name, bytes) else name
    if name.endswith(".weights.json") and not (os.path.exists(filepath) and _is_zip(filepath)):
        kind = "weights.json"          # Keras' sharded weights (not fastnn's own file)
    if objects_to_skip is not None and kind not in ("weights.h5", "weights.json"):
        raise ValueError("load_weights: `objects_to_skip` only supports loading '.weights.h5' "
                         f"files. Received: {os.fspath(filepath)}")
    if by_name is not None:
        if kind != "h5":
            raise ValueError("load_weights: `by_name` only supports loading legacy '.h5' or "
                             f"'.hdf5' files. Received: {os.fspath(filepath)}")
        if by_name:
            raise ValueError("load_weights: by_name=True is not supported; the weights of a "
                             "legacy .h5 file are matched to the model's layers in order")
    _require_file(filepath, "load_weights")
    if kind == "weights.json":
        from fastnn import saving_keras
        return saving_keras.load_sharded_weights(model, filepath, max_bytes=max_bytes,
                                                 objects_to_skip=objects_to_skip)
    if kind == "keras":
        from fastnn import saving_keras
        return saving_keras.load_weights_from_model_file(model, filepath, max_bytes=max_bytes)
    if kind in ("weights.h5", "h5") and not _is_zip(filepath):
        from fastnn import saving_keras
        return saving_keras.load_weights(model, filepath, max_bytes=max_bytes,
                                         objects_to_skip=objects_to_skip)
    if objects_to_skip is not None:
        raise ValueError(f"load_weights: {os.fspath(filepath)!s}: objects_to_skip is read for "
                         "Keras 3 weights files only; this file is in fastnn's own format")
    return _load_fastnn_weights(model, filepath, max_bytes)


def _load_fastnn_weights(model, filepath, max_bytes=None):
    """load_weights for fastnn's own format."""
    max_bytes = _limit(max_bytes, "load_weights: max_bytes")
    with _Archive(filepath, (WEIGHTS_FORMAT, MODEL_FORMAT, TRAINING_FORMAT), max_bytes) as archive:
        _check_declared_fit(archive.filepath, model.weights, archive.declared["weights"])
        weights = archive.read("weights")
    _set_weights(archive.filepath, model, weights, "load_weights")


# ---------------------------------------------------------------------- training backups
# What callbacks.BackupAndRestore writes at the end of an epoch (or every few batches)
# and reads when fit() starts again: the weights, the optimizer's step count and slots,
# its learning rate when that is a number (callbacks change it), the epoch to continue
# from, and the state of fastnn's random generator, from which fit draws each epoch's
# shuffling. With all of these restored, the epochs after the backup run as they would
# have without the interruption. One file, written atomically: a crash while saving
# leaves the previous backup.
_MAX_EPOCH = 2 ** 53


def _rng_to_json(state):
    """A bit generator's state with its integers as decimal strings (PCG64's are 128-bit,
    beyond what config.json may hold as numbers)."""
    if isinstance(state, dict):
        return {k: _rng_to_json(v) for k, v in state.items()}
    if isinstance(state, (bool, np.bool_)):
        return int(state)
    if isinstance(state, (int, np.integer)):
        return str(int(state))
    return state


def _rng_from_json(obj):
    if isinstance(obj, dict):
        return {k: _rng_from_json(v) for k, v in obj.items()}
    if isinstance(obj, str) and obj.isdigit() and len(obj) <= 80:
        return int(obj)
    return obj


def save_training_state(model, filepath, epoch, batch=0):
    """Write ``model``'s training state to ``filepath`` (atomically): the weights, the
    optimizer's state and learning rate, fastnn's random generator and ``epoch`` (the
    next epoch to run), ``batch`` (batches done in it)."""
    from fastnn import utils
    _check_model(model, "save_training_state", kinds="Model")
    header = _header(TRAINING_FORMAT)
    opt = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    lr = None
    if opt is None:
        state = []
    else:
        state = (opt.get_state(model.trainable_weights) if opt.knows(model.trainable_weights)
                 else opt.get_state())
        if not callable(opt._learning_rate):
            lr = float(opt._learning_rate)
    header["training"] = {"epoch": int(epoch), "batch": int(batch), "learning_rate": lr,
                          "rng": _rng_to_json(utils.get_rng().bit_generator.state)}
    _write_archive(filepath, header, {"weights": model.get_weights(), "optimizer": state})


def _check_training(filepath, training, opt):
    """config.json's "training" object: (epoch, batch, learning rate or None, RNG state)."""
    from fastnn import utils
    if not isinstance(training, dict):
        raise _bad(filepath, "config.json: 'training' must be an object")
    out = []
    for key in ("epoch", "batch"):
        v = training.get(key)
        if type(v) is not int or not 0 <= v < _MAX_EPOCH:
            raise _bad(filepath, f"config.json: training.{key} must be an integer in [0, 2**53), "
                                 f"got {v!r:.40}")
        out.append(v)
    lr = training.get("learning_rate")
    if lr is not None:
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 <= lr <= 3.4e38:
            raise _bad(filepath, f"config.json: training.learning_rate must be null or a number "
                                 f"in [0, float32's largest], got {lr!r:.40}")
        if opt is None or callable(opt._learning_rate):
            lr = None         # the optimizer's rate is a schedule (or there is none) now
    out.append(lr)
    rng = _rng_from_json(training.get("rng"))
    gen = utils.get_rng().bit_generator
    if not isinstance(rng, dict) or rng.get("bit_generator") != type(gen).__name__:
        raise _bad(filepath, f"config.json: training.rng must be the state of a "
                             f"{type(gen).__name__} bit generator")
    try:
        type(gen)().state = rng          # checked on a scratch generator
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise _bad(filepath, f"config.json: training.rng is not a valid {type(gen).__name__} "
                             f"state ({type(e).__name__}: {e})") from None
    out.append(rng)
    return out


def load_training_state(model, filepath, max_bytes=None):
    """Restore what save_training_state wrote into ``model`` and fastnn's random
    generator, and return (epoch, batch). Everything in the file is checked against the
    model first (as load_model checks); on any problem a ValueError names the file and
    nothing has changed."""
    from fastnn import utils
    _check_model(model, "load_training_state", kinds="Model")
    max_bytes = _limit(max_bytes, "load_training_state: max_bytes")
    opt = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    with _Archive(filepath, TRAINING_FORMAT, max_bytes) as archive:
        filepath = archive.filepath
        epoch, batch, lr, rng = _check_training(filepath, archive.config.get("training"), opt)
        _check_declared_fit(filepath, model.weights, archive.declared["weights"])
        weights = archive.read("weights")
        state = archive.read("optimizer")
    nonfinite = []
    for i, (w, a) in enumerate(zip(model.weights, weights)):
        _check_values(filepath, f"weight {i} ({a.dtype} {a.shape})", a, w.dtype, nonfinite)
    trainable = model.trainable_weights
    if state and opt is None:
        raise _bad(filepath, "holds an optimizer state, and the model is not compiled")
    if state:
        names = opt._slot_names_for()
        if len(state) > 1 and len(state) != 1 + len(names) * len(trainable):
            raise _bad(filepath, f"its optimizer state holds {len(state) - 1} slot arrays, and "
                                 f"{type(opt).__name__} keeps {len(names)} for each of the "
                                 f"model's {len(trainable)} trainable weights")
        nonfinite += _check_optimizer_state(filepath, opt, trainable, state)
        if len(state) > 1 and opt.built and not opt.knows(trainable):
            raise _bad(filepath, f"the model's {type(opt).__name__} was built for other "
                                 "variables than the model's trainable weights")
    # Everything checked: from here on, only assignments.
    _warn_nonfinite(filepath, "load_training_state", nonfinite)
    model.set_weights(weights)
    if state:
        if len(state) > 1:
            if not opt.built:
                opt.build(trainable)
            k = 1
            for slots in opt.slots_for(trainable, "load_training_state"):
                for name in names:
                    slots[name][...] = state[k]
                    k += 1
        opt.iterations = int(state[0])
    if lr is not None:
        opt.learning_rate = lr
    utils.get_rng().bit_generator.state = rng
    return epoch, batch
