"""The version of nst (``nst.__version__``), in a module of its own so that modules inside the
package need not import the package ``__init__``. ``pyproject.toml`` reads it from here (one
place), and no package metadata is looked up at start-up."""

__version__ = "0.1.0"
