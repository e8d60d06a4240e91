"""Errors the user can fix: bad files, bad options.

The CLI prints ``NSTError`` messages as one line on stderr and exits with
status 2; library callers catch them like any ``ValueError``.
"""

from __future__ import annotations


class NSTError(ValueError):
    """A usage or input error with a one-line, user-facing message.

    Raised for missing or undecodable images, invalid options (sizes, layer
    names, weights), unwritable outputs and wrong weights files. Subclasses
    ``ValueError`` so library users can catch it generically.
    """
