"""What the engine writes is checked before it is written: no NaN or infinity, ever.

A non-finite number in an output is a bug of the engine (bad input is refused before a run), so
the check raises :class:`OutputIntegrityError`, which the command line reports in one line with
exit status 1 and without writing anything. Values that are legitimately undefined (a
correlation of a target hit on every path, the median of a series undefined on every path) are
``null`` in JSON and an empty cell in CSV; the rows that must always carry a number (P(hit),
its interval, hit counts) are checked to carry one.
"""

from __future__ import annotations

import json
import math

import numpy as np


class OutputIntegrityError(Exception):
    """An output would hold a number that is not finite, or lack one it must hold (a bug)."""


def non_finite(value, path: str = "") -> tuple[str, object] | None:
    """The first (key path, value) in nested dicts and lists holding a float that is NaN or ±inf."""
    stack = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, (float, np.floating)) and not math.isfinite(float(node)):
            return where, node
    return None


_EVALUATED = ("model", "trend", "prior")


def check_results(payload: dict) -> None:
    """Refuse a ``results.json`` payload with a non-finite number, or an evaluated target without
    its P(hit), interval and hit count."""
    bad = non_finite(payload)
    if bad:
        raise OutputIntegrityError(f"results.{bad[0]} is {bad[1]}: outputs must hold finite numbers or null")
    paths = payload.get("paths")
    for i, row in enumerate(payload.get("targets", [])):
        if row.get("method") not in _EVALUATED:
            continue
        for key in ("p_hit", "p_hit_ci95", "hits"):
            if row.get(key) is None:
                raise OutputIntegrityError(f"results.targets[{i}] ({row.get('id')}): {key} is missing")
        if not 0.0 <= row["p_hit"] <= 1.0 or not 0 <= row["hits"] <= paths:
            raise OutputIntegrityError(f"results.targets[{i}] ({row.get('id')}): p_hit {row['p_hit']} or hits "
                                       f"{row['hits']} out of range")
        if row.get("method") != "prior" and row.get("median") is None and row.get("undefined_paths") != paths:
            raise OutputIntegrityError(f"results.targets[{i}] ({row.get('id')}): median missing although "
                                       f"{paths - row.get('undefined_paths', 0)} paths are defined")


def check_table(name: str, table) -> None:
    """Refuse a :class:`~simulator.table.Table` with ±inf in a numeric column (NaN and None are
    written as an empty cell: undefined)."""
    infinite = table.first_infinite()
    if infinite is not None:
        raise OutputIntegrityError(f"{name}: column '{infinite[1]}', row {infinite[0]} is infinite")


def results_json(payload: dict) -> str:
    """``results.json`` text of a checked payload (``allow_nan=False`` as a last guard)."""
    check_results(payload)
    return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
