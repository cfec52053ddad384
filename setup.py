"""Builds the one compiled module, geo/options_kernel.py (Cython, pure-Python mode); the
rest of the project metadata is in pyproject.toml.

-ffp-contract=off: no fused multiply-add, so the compiled maths rounds exactly as CPython
does (the kernel's answers are compared with the Python reference path using ==)."""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("geo.options_kernel", ["geo/options_kernel.py"], extra_compile_args=["-ffp-contract=off"])],
        compiler_directives={"language_level": 3},
    ),
)
