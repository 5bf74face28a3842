"""The project's one user-facing exception.

Every problem a user can cause (a missing file, a bad key, a value out of range) raises
:class:`InputError`; the CLI prints its message and exits with status 2. Anything else that
escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


_ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r", "\x0b": "\\v", "\x0c": "\\f", "\x85": " ",
                           "\u2028": " ", "\u2029": " "})


class InputError(Exception):
    """Bad user input: names the file, the key path inside it and what was expected.

    Parameters
    ----------
    message : str
        What is wrong and what would be right.
    file : str or Path, optional
        The file the bad value came from.
    key : str, optional
        Dotted key path inside that file, e.g. ``levers.investment_share``.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.file = str(file) if file is not None else None
        self.key = key
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(f"in {self.file}")
        if self.key:
            where.append(f"at key '{self.key}'")
        prefix = (" ".join(where) + ": ") if where else ""
        # one line, whatever a file name or a quoted value holds
        return (prefix + self.detail).translate(_ONE_LINE)


def brief(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a bad input in a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
