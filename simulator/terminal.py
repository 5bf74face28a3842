"""The terminal: tables that fit its width, a progress line, output streams that never fail on
an encoding.

Nothing here computes: :func:`fit_table` trims the cells the report modules built, and
:class:`ProgressLine` is the callback ``simulator.run(..., progress=...)`` calls after each chunk.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO

SEPARATOR = 2  # spaces between columns


def terminal_width(stream: TextIO | None = None) -> int | None:
    """Columns of the terminal ``stream`` writes to, or None when it is not a terminal (a pipe or
    a file gets every column). ``COLUMNS`` in the environment wins, as for every Unix tool."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size().columns


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked by an ellipsis."""
    text = str(text)
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"



def plain_table(head: tuple, rows: list[tuple], *, left: int = 2) -> str:
    """Rows under a header and a rule, each column as wide as its widest cell: the first ``left``
    columns (an id and a name) left-aligned, the numbers right-aligned."""
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = "  ".join

    def fmt(row):
        return line(str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([fmt(head), line("-" * w for w in widths)] + [fmt(r) for r in rows])


def _total(widths: list[int]) -> int:
    return sum(widths) + SEPARATOR * (len(widths) - 1)


def table_width(head: tuple, rows: list[tuple]) -> int:
    """Columns :func:`plain_table` needs for these cells."""
    return _total([max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))])


def fit_table(head: tuple, rows: list[tuple], *, width: int | None, steps) -> tuple[tuple, list[tuple], list[int]]:
    """Cells that fit ``width`` columns, trimmed step by step until they do.

    ``steps`` are ``("shorten", column, floor)`` (cut that column's cells as short as needed but
    not below ``floor`` characters, marking the cut with "…") and ``("drop", column)`` (leave it
    out), most dispensable first. Returns the head, the rows and the indices of the columns kept.
    With ``width`` None nothing is trimmed (``--wide``).
    """
    keep = list(range(len(head)))
    if width is None:
        return head, rows, keep
    natural = {i: max(len(str(r[i])) for r in [head, *rows]) for i in keep}
    caps = dict(natural)

    def total() -> int:
        return _total([caps[i] for i in keep])

    for step in steps:
        if total() <= width:
            break
        if step[0] == "drop":
            if step[1] in keep:
                keep.remove(step[1])
        else:
            _, column, floor = step
            others = total() - caps[column]
            caps[column] = min(caps[column], max(width - others, floor))

    def trim(row: tuple) -> tuple:
        return tuple(shorten(row[i], caps[i]) for i in keep)

    return trim(head), [trim(r) for r in rows], keep


class ProgressLine:
    """A one-line progress report on a terminal's standard error, redrawn in place.

    ``line(done_paths, total_paths)`` after each chunk; at most a few redraws a second; nothing at
    all when the stream is not a terminal or ``enabled`` is False. :meth:`close` clears the line.
    """

    def __init__(self, *, stream: TextIO | None = None, enabled: bool = True, interval: float = 0.25):
        self.stream = stream or sys.stderr
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.enabled = enabled and tty
        self.interval = interval
        self.started = time.monotonic()
        self._last = -interval
        self._shown = False

    def text(self, done: int, total: int, elapsed: float) -> str:
        share = done / total if total else 1.0
        left = f", about {elapsed * (1 - share) / share:.0f} s left" if 0 < share < 1 else ""
        return f"simulate: {done:,} of {total:,} paths ({share:.0%}), {elapsed:.0f} s{left}"

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval and done < total:
            return
        self._last = now
        self.stream.write("\r" + self.text(done, total, now - self.started) + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def safe_streams() -> None:
    """Make stdout and stderr replace what their encoding cannot show (``PYTHONIOENCODING=ascii``,
    a legacy console) instead of failing on the first Vietnamese letter."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
