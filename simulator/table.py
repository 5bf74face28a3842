"""Result tables held as columns of plain values, written as CSV without pandas.

A run writes five CSV tables; building them with pandas made every run load it (0.3 s of a
1,000-path run). A :class:`Table` gives the same bytes as pandas' ``DataFrame.to_csv`` with the
same options, and the same DataFrame through :meth:`Table.frame` for the Python API. Each
column has one kind, read from its values as pandas reads a column of Python values:

=========  ===================================================  ===============================
kind       values                                               written as
=========  ===================================================  ===============================
``bool``   True/False, none missing                             ``True``, ``False``
``int``    integers, none missing                               ``str(v)``
``float``  numbers with or without missing ones (None, NaN),    ``float_format % v`` or the
           or a column listed in ``floats``                     shortest repr; missing empty
``object`` anything else                                        ``str(v)``; missing empty
=========  ===================================================  ===============================
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from dataclasses import dataclass, field

import numpy as np


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def column_kind(values) -> str:
    """The kind of a column of Python or numpy scalars (see the module docstring)."""
    present = [v for v in values if not _missing(v)]
    complete = len(present) == len(values)
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return "bool" if complete else "object"
    if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Number) for v in present):
        return "object"
    if complete and present and all(isinstance(v, numbers.Integral) for v in present):
        return "int"
    return "float" if present or values and all(isinstance(v, float) for v in values) else "object"


@dataclass(frozen=True)
class Table:
    """Named columns of equal length, optionally with an index column (a label and its values).

    Attributes
    ----------
    columns : dict name -> list
    index : (label, values), optional
        Written as the first column, as ``to_csv(index_label=label)`` writes a frame's index.
    floats : tuple of str
        Columns held as floats whatever their values (None is missing).
    """

    columns: dict[str, list]
    index: tuple[str, list] | None = None
    floats: tuple[str, ...] = field(default=())

    @classmethod
    def from_rows(cls, rows: list[dict], *, order: tuple[str, ...] = (), floats: tuple[str, ...] = ()) -> "Table":
        """A table of dict rows: the columns in ``order``, then the others as they first appear."""
        names = list(order) + [k for row in rows for k in row if k not in order]
        names = list(dict.fromkeys(names))
        return cls({name: [row.get(name) for row in rows] for name in names}, floats=floats)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def kind(self, name: str) -> str:
        return "float" if name in self.floats else column_kind(self.columns[name])

    def _cells(self, name: str, float_format: str | None) -> list[str]:
        kind, values = self.kind(name), self.columns[name]
        if kind == "float":
            def text(v):
                return repr(float(v)) if float_format is None else float_format % float(v)
            return ["" if _missing(v) else text(v) for v in values]
        if kind == "int":
            return [str(int(v)) for v in values]
        if kind == "bool":
            return [str(bool(v)) for v in values]
        return ["" if _missing(v) else str(v) for v in values]

    def to_csv(self, *, float_format: str | None = None) -> str:
        """The CSV text, as ``DataFrame.to_csv(index=<index given>, float_format=...)`` writes it."""
        names = list(self.columns)
        cells = [self._cells(name, float_format) for name in names]
        header = names
        if self.index is not None:
            label, values = self.index
            header = [label] + names
            cells = [[str(v) for v in values]] + cells
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*cells))
        return out.getvalue()

    def first_infinite(self) -> tuple[int, str] | None:
        """(row, column name) of the first ±inf in an int or float column, row by row; None if none."""
        found = []
        for position, name in enumerate(self.columns):
            if self.kind(name) in ("int", "float"):
                values = np.array([np.nan if v is None else v for v in self.columns[name]], dtype=float)
                rows = np.flatnonzero(np.isinf(values))
                if rows.size:
                    found.append((int(rows[0]), position, name))
        return min(found)[::2] if found else None

    def frame(self):
        """The table as a pandas DataFrame (pandas loads here)."""
        import pandas as pd

        data = {name: (np.array([np.nan if v is None else v for v in values], dtype=float) if name in self.floats
                       else values) for name, values in self.columns.items()}
        if self.index is None:
            return pd.DataFrame(data)
        return pd.DataFrame(data, index=list(self.index[1]))
