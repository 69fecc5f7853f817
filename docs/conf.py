"""Sphinx configuration for fastnn's documentation.

Build it from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""
import os
import sys

# Document the fastnn of this checkout (its compiled kernels built in place or installed).
sys.path.insert(0, os.path.abspath(".."))

import fastnn  # noqa: E402

project = "fastnn"
author = "the fastnn authors"
copyright = "the fastnn authors"
version = release = fastnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# NumPy-style docstrings (Parameters / Returns sections).
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# Argument types are shown as written, not resolved as cross-references (a type named
# "dtype" or "shape" would match several attributes and fail the build).
napoleon_use_param = False
napoleon_use_keyword = False

autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
# A class's page shows its docstring; the constructor's arguments are documented there.
autoclass_content = "class"

# A schema sketch in a ```json block (a "A" | "B" choice) is shown without colours
# rather than failing the build.
suppress_warnings = ["misc.highlighting_failure"]

# Markdown pages: headings get anchors so that "PAGE.md#section" links resolve.
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"fastnn {release}"


def _public_bases(app, name, obj, options, bases):
    """Show only public base classes ("Bases: Layer", not the private mixins)."""
    bases[:] = [b for b in bases if not getattr(b, "__name__", "").startswith("_")]


def setup(app):
    app.connect("autodoc-process-bases", _public_bases)
