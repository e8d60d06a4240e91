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


class OptionError(NSTError):
    """A bad option value, naming the option as the library knows it (``style_weights``).

    ``field`` is the option's field name and ``problem`` what is wrong with
    it; ``str(e)`` is ``"style_weights: got 3 weights for 2 style image(s)"``.
    The CLI prints the same problem under the option's flag
    (``--style-weights``), in one place (:func:`nst.cli.options.flag_of`).
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")
