"""Lightbox: read, view and keep the discs radiology clinics hand out.

``__version__`` is the one version string: pyproject.toml reads it from here (setuptools'
``attr:``), ``lightbox --version``, ``--self-test`` and Help → About show it.
"""

__version__ = "0.1.0"
