"""The installed version of nst (``nst.__version__``), in a module of its own so that
modules inside the package need not import the package ``__init__``."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nst")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"
