"""Prior targets: administrative targets judged by an attainment probability from the scenario.

Governance ranks, party and defence percentages, agreements signed and compliance rates of 100 %
have no series to simulate; the scenario's ``[priors]`` table gives each a probability, or a
Beta(alpha, beta) prior on it, with the reason beside it. Each path draws a hit for each prior
target, so they enter the joint and conditional probabilities like every other target.

Draws: a Gaussian copula. For path i and prior target j,
x_ij = √ρ·c_i + √(1 − ρ)·e_ij with c, e standard normal, and the target is hit when
Φ(x_ij) < p_ij, i.e. x_ij < Φ⁻¹(p_ij), p_ij the probability (or a Beta draw). Φ(x_ij) is
uniform, so P(hit) = E[p_j]
whatever ρ; ρ (``target_options.prior_correlation``) makes the prior targets one bet. The
scenario's ``volatility_scale`` does not apply: a prior is a probability of attainment, not a shock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from .errors import InputError
from .scenario import Scenario
from .targets import Method, Registry

if TYPE_CHECKING:
    from .draws import Draws


@dataclass(frozen=True)
class PriorSet:
    """The prior targets of a run, in registry order.

    Attributes
    ----------
    ids : tuple of str
    probability : array (k,)
        Fixed probabilities; NaN where a Beta prior is given.
    alpha, beta : array (k,)
        Beta parameters; NaN where a fixed probability is given.
    correlation : float
        ρ of the common factor.
    reasons : tuple of str
        Why each prior is what it is (the scenario's ``reason``).
    assumed : tuple of bool
        True where the prior gives no source (an assumption).
    """

    ids: tuple[str, ...]
    probability: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    correlation: float
    reasons: tuple[str, ...] = ()
    assumed: tuple[bool, ...] = ()

    @property
    def mean(self) -> np.ndarray:
        """P(hit) of each prior target, (k,)."""
        return np.where(np.isnan(self.probability), self.alpha / (self.alpha + self.beta), self.probability)


def prior_set(registry: Registry, scenario: Scenario) -> PriorSet:
    """The priors of every ``prior`` row of the registry, checked against the scenario.

    Raises
    ------
    InputError
        If a prior row has no prior, or a prior names an id that is not a prior row.
    """
    rows = [t for t in registry.targets if t.method is Method.PRIOR]
    ids = tuple(t.id for t in rows)
    for key in scenario.priors:
        if key not in ids:
            raise InputError(f"'{key}' is not a prior target of {registry.path}; prior targets: {', '.join(ids)}",
                             file=scenario.origin_of(f"priors.{key}"), key=f"priors.{key}")
    missing = [i for i in ids if i not in scenario.priors]
    if missing:
        raise InputError(f"no prior for the prior target(s) {', '.join(missing)}: add [priors.\"<id>\"] with "
                         "probability (or alpha and beta) and reason", file=scenario.source_file, key="priors")
    priors = [scenario.priors[i] for i in ids]
    nan = float("nan")
    return PriorSet(ids,
                    np.array([p.probability if p.probability is not None else nan for p in priors]),
                    np.array([p.alpha if p.alpha is not None else nan for p in priors]),
                    np.array([p.beta if p.beta is not None else nan for p in priors]),
                    scenario.target_options.prior_correlation, tuple(p.reason for p in priors),
                    tuple(p.assumption for p in priors))


def prior_hits(priors: PriorSet, draws: "Draws") -> np.ndarray:
    """Hit indicators (paths, k) of the prior targets from the chunk's raw draws.

    x_j = √ρ·c + √(1 − ρ)·e_j, hit when x_j < Φ⁻¹(p_j): p_j the fixed probability, or the
    path's draw from the Beta prior (``draws.prior_probability``).
    """
    k = len(priors.ids)
    n = draws.n_paths
    if k == 0:
        return np.zeros((n, 0), dtype=bool)
    rho = priors.correlation
    latent = np.sqrt(rho) * draws.prior_common + np.sqrt(1.0 - rho) * draws.prior_own  # (k, paths)
    # Φ(x) < p  ⇔  x < Φ⁻¹(p): one quantile per target, not one Φ per path and target
    fixed = ~np.isnan(priors.probability)
    hits = np.empty((k, n), dtype=bool)
    hits[fixed] = latent[fixed] < ndtri(priors.probability[fixed])[:, None]
    hits[~fixed] = latent[~fixed] < ndtri(draws.prior_probability[~fixed])
    return hits.T
