"""What a user sees of how fastnn was built and installed: a clear ImportError where the
compiled module is missing, a warning on builds without OpenMP, one version number."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

import fastnn
from fastnn import _kernels

PACKAGE_DIR = os.path.dirname(os.path.abspath(fastnn.__file__))


def _python(code, cwd, **env):
    """Run `python -c code` in cwd with only cwd's packages ahead of the installed ones."""
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONWARNINGS")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def _copy_package_without_module(dest):
    """A copy of the fastnn package as a source checkout has it before the build."""
    shutil.copytree(PACKAGE_DIR, os.path.join(dest, "fastnn"),
                    ignore=shutil.ignore_patterns("_kernels*.so", "_kernels*.pyd",
                                                  "__pycache__"))
    assert not glob.glob(os.path.join(dest, "fastnn", "_kernels*.so"))


# An editable install of fastnn elsewhere (setuptools' finder, which runs after the
# path-based one) would supply the missing module from its own folder: left out here.
CATCH_IMPORT_ERROR = ("import sys\n"
                      "sys.meta_path[:] = [f for f in sys.meta_path\n"
                      "                    if 'editable' not in getattr(f, '__module__', '')]\n"
                      "try:\n"
                      "    import fastnn\n"
                      "except ImportError as e:\n"
                      "    print(type(e).__name__, '|', e.name, '|', e)\n"
                      "else:\n"
                      "    print('imported', fastnn.__file__)\n")


def test_import_without_the_built_module_says_what_to_run(tmp_path):
    """Was: "cannot import name '_kernels' from partially initialized module 'fastnn'
    (most likely due to a circular import)"."""
    _copy_package_without_module(tmp_path)
    proc = _python(CATCH_IMPORT_ERROR, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("ImportError | fastnn._kernels | "), out
    assert "compiled extension fastnn._kernels is not built" in out
    assert str(tmp_path / "fastnn") in out
    assert "pip install -e ." in out and "python setup.py build_ext --inplace" in out
    assert "run Python from outside that folder" in out
    assert "circular import" not in out and "another Python" not in out


def test_import_with_a_module_built_for_another_python_says_so(tmp_path):
    _copy_package_without_module(tmp_path)
    stale = "_kernels.cpython-29-x86_64-linux-gnu.so"   # no Python 2.9 will ever load it
    (tmp_path / "fastnn" / stale).write_bytes(b"")
    proc = _python(CATCH_IMPORT_ERROR, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError | fastnn._kernels | "), proc.stdout
    assert f"holds {stale}, built for another Python" in proc.stdout


def test_import_with_an_unloadable_module_keeps_the_loaders_message(tmp_path):
    """A module built for this Python that cannot be loaded (here: not a shared library
    at all; in life: a missing libgomp) is reported by the loader, not called unbuilt."""
    _copy_package_without_module(tmp_path)
    from importlib.machinery import EXTENSION_SUFFIXES
    (tmp_path / "fastnn" / ("_kernels" + EXTENSION_SUFFIXES[0])).write_bytes(b"not an ELF")
    proc = _python(CATCH_IMPORT_ERROR, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError | "), proc.stdout
    assert "is not built" not in proc.stdout


# Run on whichever build is imported: CI runs this file on the normal build (OpenMP) and
# on one made with FASTNN_NO_OPENMP=1 (.ci/run), so both branches are exercised there.
WARNINGS_AT_IMPORT_AND_SET = (
    "import warnings\n"
    "with warnings.catch_warnings(record=True) as w:\n"
    "    warnings.simplefilter('always')\n"
    "    import fastnn\n"
    "    at_import = [(x.category.__name__, str(x.message)) for x in w]\n"
    "    del w[:]\n"
    "    fastnn.set_num_threads(1)\n"
    "    at_one = [str(x.message) for x in w]\n"
    "    del w[:]\n"
    "    fastnn.set_num_threads(2)\n"
    "    at_two = [(x.category.__name__, str(x.message)) for x in w]\n"
    "print(repr((fastnn.build_info()['openmp'], fastnn.get_num_threads(), at_import, "
    "at_one, at_two)))\n")


def test_builds_without_openmp_warn_at_import_and_on_set_num_threads(tmp_path):
    home = os.path.dirname(PACKAGE_DIR)
    proc = _python(WARNINGS_AT_IMPORT_AND_SET, cwd=tmp_path, PYTHONPATH=home)
    assert proc.returncode == 0, proc.stderr
    openmp, threads, at_import, at_one, at_two = eval(proc.stdout.strip())
    assert openmp is _kernels.openmp_enabled()
    assert at_one == []
    omp_import = [m for m in at_import if "built without OpenMP" in m[1]]
    omp_set = [m for m in at_two if "built without OpenMP" in m[1]]
    if openmp:
        assert omp_import == [] and omp_set == []
        assert threads == 2
    else:
        assert len(omp_import) == 1 and omp_import[0][0] == "RuntimeWarning"
        assert "one thread" in omp_import[0][1]
        assert len(omp_set) == 1 and omp_set[0][0] == "RuntimeWarning"
        assert "set_num_threads(2)" in omp_set[0][1]
        assert threads == 1


def test_the_no_openmp_warning_yields_to_the_warnings_filters(tmp_path):
    home = os.path.dirname(PACKAGE_DIR)
    proc = _python("import fastnn; fastnn.set_num_threads(2); print('ok')", cwd=tmp_path,
                   PYTHONPATH=home,
                   PYTHONWARNINGS="ignore:fastnn was built without OpenMP::,"
                                  "ignore:fastnn.set_num_threads(2)::")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert "OpenMP" not in proc.stderr


def test_one_version_number():
    from fastnn._version import __version__
    assert fastnn.__version__ == __version__ == fastnn.build_info()["version"]
    assert fastnn.version.VERSION == __version__
    try:
        from importlib.metadata import PackageNotFoundError, version
        installed = version("fastnn-cpu")
    except PackageNotFoundError:
        pytest.skip("fastnn-cpu is not installed (an in-place build): no metadata to compare")
    assert installed == __version__
