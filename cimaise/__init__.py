"""Cimaise: in-gallery interaction system for museums."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cimaise")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"
