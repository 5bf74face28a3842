"""Joint and conditional probabilities of hitting several targets, from the same paths.

Only integer counts survive a chunk (memory bounded by the chunk, numbers independent of the
chunking): the co-hit matrix N_ab = #paths hitting both a and b (N_aa = hits of a), and for each
group the histogram of the number of its targets hit on a path. Everything else is derived:

- P(all of a group) = histogram[n] / paths; P(at least k of n) = tail sums of the histogram;
- P(A | B) = N_AB / N_BB (undefined when B is never hit);
- the correlation of hit indicators (phi coefficient)
  (p_AB − p_A p_B) / √(p_A(1 − p_A) p_B(1 − p_B)), undefined for a target hit on all or no paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .evaluate import wilson_interval


@dataclass
class JointCounter:
    """Streaming counts of target hits (mutable while a run accumulates; frozen into JointSummary)."""

    ids: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    cohits: np.ndarray = field(init=False)
    group_histograms: dict[str, np.ndarray] = field(init=False)
    paths: int = 0

    def __post_init__(self):
        self._index = {t: i for i, t in enumerate(self.ids)}
        self._group_columns = {g: np.array([self._index[t] for t in members], dtype=int) for g, members in self.groups.items()}
        self.cohits = np.zeros((len(self.ids), len(self.ids)), dtype=np.int64)
        self.group_histograms = {g: np.zeros(len(m) + 1, dtype=np.int64) for g, m in self.groups.items()}

    def add(self, hits: np.ndarray) -> None:
        """Count hits (paths, len(ids)) bool, columns in ``ids`` order."""
        # sums of 0/1 products are exact in float32 below 2**24 paths (its 24-bit significand), in float64 below 2**53
        h = hits.astype(np.float32 if hits.shape[0] < 2**24 else np.float64)
        self.cohits += np.rint(h.T @ h).astype(np.int64)
        for g, columns in self._group_columns.items():
            self.group_histograms[g] += np.bincount(hits[:, columns].sum(axis=1), minlength=len(columns) + 1)
        self.paths += hits.shape[0]

    def merge(self, other: "JointCounter") -> None:
        """Add the counts of other paths (same targets and groups), exactly."""
        if other.ids != self.ids or other.groups != self.groups:
            raise ValueError("joint counts of different targets or groups cannot be merged")
        self.cohits += other.cohits
        for g, histogram in other.group_histograms.items():
            self.group_histograms[g] += histogram
        self.paths += other.paths

    def summary(self) -> JointSummary:
        return JointSummary(self.ids, dict(self.groups), self.cohits.copy(),
                            {g: h.copy() for g, h in self.group_histograms.items()}, self.paths)


@dataclass(frozen=True)
class JointSummary:
    """Counts of joint hits and what follows from them.

    Attributes
    ----------
    ids : tuple of str
        Every evaluated target, registry order.
    groups : dict name -> tuple of ids
    cohits : int array (n, n)
        Paths hitting both targets; the diagonal is each target's hits.
    group_histograms : dict name -> int array (len(group) + 1,)
        Paths by the number of the group's targets hit.
    paths : int
    """

    ids: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    cohits: np.ndarray
    group_histograms: dict[str, np.ndarray]
    paths: int

    def _i(self, target_id: str) -> int:
        try:
            return self.ids.index(target_id)
        except ValueError:
            raise KeyError(f"'{target_id}' is not an evaluated target; evaluated: {', '.join(self.ids)}") from None

    def p_hit(self) -> np.ndarray:
        """P(hit) of each target, (n,)."""
        return np.diag(self.cohits) / self.paths

    def p_both(self) -> np.ndarray:
        """P(A and B), (n, n)."""
        return self.cohits / self.paths

    def conditional(self, given: str) -> np.ndarray:
        """P(A | given hit) for every A, (n,); NaN when ``given`` is never hit."""
        j = self._i(given)
        hits = self.cohits[j, j]
        return self.cohits[:, j] / hits if hits else np.full(len(self.ids), np.nan)

    def correlation(self) -> np.ndarray:
        """Correlation of the hit indicators (n, n); NaN for a target that is always or never hit."""
        p = self.p_hit()
        cov = self.p_both() - np.outer(p, p)
        sd = np.sqrt(p * (1.0 - p))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / np.outer(sd, sd)
        corr[~np.isfinite(corr)] = np.nan
        np.fill_diagonal(corr, np.where(sd > 0, 1.0, np.nan))
        return corr

    def p_at_least(self, group: str) -> np.ndarray:
        """P(at least k of the group's n targets hit), k = 0..n, (n + 1,)."""
        histogram = self.group_histograms[group]
        return histogram[::-1].cumsum()[::-1] / self.paths

    def p_all(self, group: str) -> float:
        """P(every target of the group hit on the same path)."""
        return float(self.group_histograms[group][-1] / self.paths)

    def group_table(self) -> list[dict]:
        """One dict per group: members, P(all) with its Wilson interval, P(at least k) for k = 0..n."""
        rows = []
        for g, members in self.groups.items():
            hits = int(self.group_histograms[g][-1])
            rows.append({"group": g, "targets": list(members), "n": len(members), "p_all": hits / self.paths,
                         "p_all_ci95": list(wilson_interval(hits, self.paths)),
                         "expected_hits": float(np.arange(len(members) + 1) @ self.group_histograms[g] / self.paths),
                         "p_at_least": [float(x) for x in self.p_at_least(g)]})
        return rows
