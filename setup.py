"""Build the fastnn._kernels extension: csrc/*.c (plain C99 + OpenMP) behind Cython.

OpenMP is probed by compiling and linking a tiny program; without it the module is
built single-threaded and says so (fastnn.build_info()). No host-specific -march flag: the AVX2/FMA
paths carry their own target attributes and are picked at run time.

Build options (environment variables read at build time; the default build uses neither):
  FASTNN_NO_OPENMP=1   build without OpenMP (single-threaded module); "" or "0" is unset.
  FASTNN_SANITIZE=...  build an instrumented module for the sanitizer CI jobs (.ci/sanitize):
                       the value goes to -fsanitize= (e.g. "address,undefined" or "thread"),
                       with -fno-sanitize-recover=all (the first report ends the process),
                       -fno-omit-frame-pointer -g -O1 instead of -O3, on compile and link.
                       GCC/Clang only. Python itself is not instrumented, so the runtime
                       must be preloaded: LD_PRELOAD=$(gcc -print-file-name=libasan.so)
                       (libtsan.so for "thread"); .ci/sanitize shows the whole recipe.

Release builds (every build but FASTNN_SANITIZE's) carry no debug information (-g0) and,
on Linux, no symbol table beyond the exported one (-s), and the run-time library path
that some Pythons put on every extension they build (-Wl,-rpath,<their lib dir>) is
dropped: the module must not look for libraries in the build machine's folders.
"""
import glob
import os
import shutil
import sys
import tempfile
import warnings

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# The OpenMP constructs the kernels use beyond OpenMP 2.0 (an unsigned loop index,
# "atomic write"): a compiler whose OpenMP lacks them (MSVC's plain /openmp) fails here
# and the next candidate flag is tried.
OPENMP_PROBE = r"""
#include <stddef.h>
#include <omp.h>
int main(void) {
    int n = 0, flag = 0;
    size_t i;
    #pragma omp parallel for reduction(+:n)
    for (i = 0; i < 4; i++)
        n += 1;
    #pragma omp parallel
    {
        #pragma omp atomic write
        flag = 1;
    }
    return n == 4 && flag == 1 ? 0 : 1;
}
"""


def no_openmp_asked():
    """FASTNN_NO_OPENMP set to anything but "" or "0"."""
    return os.environ.get("FASTNN_NO_OPENMP", "").strip() not in ("", "0")


def openmp_flags(compiler):
    """Return (compile_flags, link_flags) that enable OpenMP, or None if none work."""
    if no_openmp_asked():
        return None
    if compiler.compiler_type == "msvc":
        # /openmp:llvm (Visual Studio 2019 16.9+): OpenMP 3.1 on LLVM's runtime; /openmp
        # is OpenMP 2.0, kept in case a newer MSVC accepts the constructs there.
        candidates = [(["/openmp:llvm"], []), (["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"]),
                      (["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    tmp = tempfile.mkdtemp(prefix="fastnn-omp-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        for cflags, lflags in candidates:
            try:
                # linked as the module will be (a shared object, with LDFLAGS: where a
                # Homebrew libomp lives on macOS), not as an executable
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_shared_object(objs, compiler.shared_object_filename("probe"),
                                            output_dir=tmp, extra_postargs=lflags)
                return cflags, lflags
            except Exception:
                continue
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


NO_OPENMP_WARNING = ("fastnn is built WITHOUT OpenMP: the kernels will run on one thread. "
                     "{why} fastnn.build_info()['openmp'] says False on such a build.")


def warn_no_openmp(why):
    """Say that the module being built is single-threaded: on stderr and as a warning.

    pip shows a build's output only with -v (or when the build fails), so the same words
    are given at run time too: `import fastnn` warns on such a build."""
    msg = NO_OPENMP_WARNING.format(why=why)
    print(f"WARNING: {msg}", file=sys.stderr)
    warnings.warn(msg)


def drop_build_rpath(compiler):
    """Remove from a Unix compiler's link command the run-time library paths that Python's
    own build configuration put there (LDSHARED: e.g. -Wl,-rpath,<Python's lib dir>);
    those given in LDFLAGS stay."""
    import sysconfig
    ours = {a for a in (sysconfig.get_config_var("LDSHARED") or "").split()
            if a.startswith(("-Wl,-rpath", "-Wl,-R", "-R"))}
    for attr in ("linker_so", "linker_so_cxx"):
        cmd = getattr(compiler, attr, None)
        if cmd and ours:
            setattr(compiler, attr, [a for a in cmd if a not in ours])


class BuildExt(build_ext):
    def build_extensions(self):
        flags = openmp_flags(self.compiler)
        if flags is None:
            warn_no_openmp("FASTNN_NO_OPENMP is set." if no_openmp_asked()
                           else "The C compiler has no usable OpenMP (GCC: -fopenmp; Clang: "
                                "install libomp; MSVC: Visual Studio 2019 16.9 or later).")
        msvc = self.compiler.compiler_type == "msvc"
        base = ["/O2"] if msvc else ["-O3", "-fno-math-errno", "-fno-trapping-math", "-Wall",
                                      "-Wno-unused-function", "-Wno-unknown-pragmas",
                                      "-Wno-sign-compare"]
        link = []
        sanitize = os.environ.get("FASTNN_SANITIZE", "").strip()
        if sanitize:
            if msvc:
                raise SystemExit("FASTNN_SANITIZE is for GCC/Clang builds")
            san = [f"-fsanitize={sanitize}", "-fno-sanitize-recover=all",
                   "-fno-omit-frame-pointer", "-g"]
            base = [f for f in base if f != "-O3"] + ["-O1"] + san
            link = san
            print(f"fastnn: building with -fsanitize={sanitize} (-O1 -g)", file=sys.stderr)
        elif not msvc:
            base = base + ["-g0"]                 # after Python's own -g: no debug info
            if sys.platform.startswith("linux"):
                link = ["-s"]                     # no symbol table beyond the exported one
        if not msvc:
            drop_build_rpath(self.compiler)
        for ext in self.extensions:
            ext.extra_compile_args = base + (flags[0] if flags else [])
            ext.extra_link_args = link + (flags[1] if flags else [])
        if self.reuse_built_module():
            return
        super().build_extensions()
        self.write_stamps()

    # pip builds a local project afresh on every install, so a second
    # `pip install -e ".[extras]"` would compile the kernels again. In place and editable
    # builds reuse the module the last such build left in the source tree when nothing it
    # is made from has changed: the sources, the compiler and flags, Python and Cython
    # (a stamp beside the module records them, with the module's own digest).
    def run(self):
        # setuptools builds into build_lib and then copies the module into the source
        # tree (inplace is False meanwhile): remember where the module ends up
        self._to_tree = bool(self.inplace or getattr(self, "editable_mode", False))
        super().run()

    def _in_place(self):
        return getattr(self, "_to_tree", False)

    def _tree_module(self, ext):
        here = os.path.dirname(os.path.abspath(__file__))
        return os.path.join(here, *ext.name.split(".")[:-1],
                            os.path.basename(self.get_ext_filename(ext.name)))

    def _key(self, ext):
        import hashlib
        import Cython
        h = hashlib.sha256()
        for part in (sys.version, Cython.__version__, self.compiler.compiler_type,
                     repr(getattr(self.compiler, "compiler_so", "")),
                     repr(getattr(self.compiler, "linker_so", "")), repr(ext.extra_compile_args),
                     repr(ext.extra_link_args), repr(sorted(os.environ.get(k, "") for k in (
                         "CC", "CFLAGS", "LDFLAGS", "FASTNN_NO_OPENMP", "FASTNN_SANITIZE")))):
            h.update(part.encode() + b"\0")
        here = os.path.dirname(os.path.abspath(__file__))
        files = [f for f in ext.sources if not f.endswith("_kernels.c")] + list(ext.depends) \
            + ["fastnn/_kernels.pyx", "setup.py"]
        for f in sorted(set(files)):
            with open(os.path.join(here, f), "rb") as fh:
                h.update(f.encode() + b"\0" + hashlib.sha256(fh.read()).digest())
        return h.hexdigest()

    @staticmethod
    def _digest(path):
        import hashlib
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()

    def reuse_built_module(self):
        import json
        if not self._in_place() or self.force:
            return False
        plans = []
        for ext in self.extensions:
            module = self._tree_module(ext)
            try:
                with open(module + ".stamp") as fh:
                    stamp = json.load(fh)
                ok = stamp.get("key") == self._key(ext) and \
                    stamp.get("module") == self._digest(module)
            except (OSError, ValueError):
                ok = False
            if not ok:
                return False
            plans.append((module, self.get_ext_fullpath(ext.name)))
        for module, target in plans:
            if os.path.abspath(module) != os.path.abspath(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(module, target)
            print(f"fastnn: {os.path.basename(module)} is up to date with its sources, "
                  "compiler and flags: not compiled again", file=sys.stderr)
        return True

    def write_stamps(self):
        import json
        if not self._in_place():
            return
        for ext in self.extensions:
            built = self.get_ext_fullpath(ext.name)
            stamp = {"key": self._key(ext), "module": self._digest(built)}
            with open(self._tree_module(ext) + ".stamp", "w") as fh:
                json.dump(stamp, fh)


def extensions():
    from Cython.Build import cythonize
    ext = Extension(
        "fastnn._kernels",
        sources=["fastnn/_kernels.pyx"] + sorted(glob.glob("csrc/*.c")),
        include_dirs=["csrc"],
        depends=sorted(glob.glob("csrc/*.h") + glob.glob("csrc/*.inc")
                       + glob.glob("fastnn/*.pxi")),
    )
    return cythonize(
        [ext],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
