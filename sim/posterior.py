"""Bayesian calibration by adaptive importance sampling: the posterior of a few parameters.

The prior is uniform on the box a scenario's `[free]` table gives. The first stage draws
a Latin hypercube over the box; each later stage draws from a normal distribution fitted
to the weighted draws so far (its covariance doubled, truncated to the box), so the draws
concentrate where the likelihood is. Every draw's weight is prior × likelihood over the
mixture of all stages' proposals ("deterministic mixture" weights, Owen & Zhou 2000; the
adaptive form is Cornuet et al. 2012, AMIS), which keeps the weights bounded because the
prior is one of the proposals. The weighted draws are the posterior: its quantiles, its
effective sample size, and the samples a calibrated scenario carries and every run draws
from.

A parameter is *weakly identified* when its 90% credible interval still spans more than
half of the prior's (assumption: a threshold of 0.5, in the range 0.3-0.7 used informally
in calibration reports; it is reported beside the ratio, never used to hide anything).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.special import logsumexp

from sim.errors import ScenarioError

WEAK_IDENTIFICATION = 0.5  # 90% credible width / 90% prior width above which a parameter is weakly identified


@dataclass
class Posterior:
    """Weighted draws of the parameters `names` (one row per draw)."""

    names: list[str]
    box: NDArray[np.float64]             # (d, 2) prior bounds
    draws: NDArray[np.float64]           # (n, d)
    log_likelihood: NDArray[np.float64]  # (n,)
    log_weight: NDArray[np.float64]      # (n,) normalised: logsumexp = 0

    @property
    def weights(self) -> NDArray[np.float64]:
        return np.exp(self.log_weight)

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the weights."""
        w = self.weights
        return float(1.0 / np.sum(w ** 2))

    def quantile(self, q: float | list[float]) -> NDArray[np.float64]:
        """Weighted quantiles of each parameter: array (len(q), d) (or (d,) for one q)."""
        out = weighted_quantiles(self.draws, self.weights, np.atleast_1d(q))
        return out[0] if np.ndim(q) == 0 else out

    def mean(self) -> NDArray[np.float64]:
        return self.weights @ self.draws

    def interval(self, level: float = 0.9) -> NDArray[np.float64]:
        """Equal-tailed credible interval of each parameter: array (d, 2)."""
        return self.quantile([(1 - level) / 2, (1 + level) / 2]).T

    def identification(self) -> NDArray[np.float64]:
        """Width of each parameter's 90% credible interval over the 90% width of its prior."""
        width = np.diff(self.interval(0.9), axis=1)[:, 0]
        return width / (0.9 * (self.box[:, 1] - self.box[:, 0]))

    def weakly_identified(self) -> list[str]:
        return [n for n, r in zip(self.names, self.identification()) if r > WEAK_IDENTIFICATION]

    def correlation(self) -> NDArray[np.float64]:
        """Weighted correlation matrix of the parameters."""
        c = np.cov(self.draws.T, aweights=self.weights) if len(self.names) > 1 else np.ones((1, 1))
        s = np.sqrt(np.clip(np.diag(c), 1e-300, None))
        return c / np.outer(s, s)

    def best(self) -> NDArray[np.float64]:
        """The draw of highest likelihood (the posterior mode under the flat prior, to the
        resolution of the draws)."""
        return self.draws[int(np.argmax(self.log_likelihood))]

    def samples(self, cut: float = 1e-4, most: int = 400) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The draws that carry weight (above `cut` of the largest; at most `most`, heaviest
        first) and their weights, renormalised: what a calibrated scenario stores."""
        w = self.weights
        keep = np.argsort(-w)[:most]
        keep = keep[w[keep] >= cut * w.max()]
        return self.draws[keep], w[keep] / w[keep].sum()


def weighted_quantiles(values: NDArray[np.float64], weights: NDArray[np.float64],
                       qs: NDArray[np.float64] | list[float]) -> NDArray[np.float64]:
    """Weighted quantiles of each column of values (draws, columns): array (len(qs), columns)."""
    out = np.empty((len(qs), values.shape[1]))
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j])
        cdf = np.cumsum(weights[order]) - weights[order] / 2  # midpoint rule: one draw sits at its own value
        out[:, j] = np.interp(qs, cdf, values[order, j])
    return out


def sample_posterior(log_likelihood: Callable[[NDArray[np.float64]], NDArray[np.float64]], names: list[str],
                     box: NDArray[np.float64], draws: int, seed: int, stages: int = 3,
                     on_stage: Callable[[int, Posterior], None] | None = None) -> Posterior:
    """Adaptive importance sampling of the posterior under a uniform prior on `box`.

    `log_likelihood` takes an array (n, d) of parameter sets and returns (n,) values; it
    is called once per stage, so it can evaluate the stage's draws in parallel."""
    box = np.asarray(box, dtype=float)
    d = len(names)
    rng = np.random.default_rng(seed)
    sizes = _stage_sizes(draws, stages)
    lo, hi = box[:, 0], box[:, 1]
    log_prior = -float(np.sum(np.log(hi - lo)))
    proposals: list[tuple[int, NDArray[np.float64], NDArray[np.float64], float] | None] = []  # None: the prior
    thetas = np.empty((0, d))
    ll = np.empty(0)
    post: Posterior | None = None
    for stage, n in enumerate(sizes):
        if post is None:
            new = lo + stats.qmc.LatinHypercube(d=d, seed=rng).random(n) * (hi - lo)
            proposals.append(None)
        else:
            mu, cov = _fit_normal(post, thetas)
            new, log_z = _truncated_normal(rng, mu, cov, lo, hi, n)
            proposals.append((n, mu, cov, log_z) if new is not None else None)
            if new is None:  # the normal lies outside the box: fall back to the prior
                new = lo + rng.random((n, d)) * (hi - lo)
        thetas = np.vstack([thetas, new])
        ll = np.concatenate([ll, np.asarray(log_likelihood(new), dtype=float)])
        log_q = _mixture_log_density(thetas, proposals, sizes[:stage + 1], log_prior)
        log_w = ll + log_prior - log_q
        log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
        if not np.isfinite(logsumexp(log_w)):  # every draw impossible: the weights would be 0/0
            raise ScenarioError("observed: no parameter set of the [free] box gives the observations a likelihood "
                                "above zero (check their values and sigma against the indicators' units)")
        post = Posterior(names=list(names), box=box, draws=thetas.copy(), log_likelihood=ll.copy(),
                         log_weight=log_w - logsumexp(log_w))
        if on_stage:
            on_stage(stage, post)
    assert post is not None
    return post


def _stage_sizes(draws: int, stages: int) -> list[int]:
    """Half the draws from the prior, the rest spread over the adaptive stages."""
    if draws < 2 * stages:
        return [draws]
    first = draws // 2
    rest = draws - first
    k = stages - 1
    return [first] + [rest // k + (1 if i < rest % k else 0) for i in range(k)]


def _fit_normal(post: Posterior, thetas: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and doubled covariance of the weighted draws, with a floor of the prior stage's
    spacing so that a single heavy draw still gives a proposal of some width."""
    w = post.weights
    mu = w @ thetas
    diff = thetas - mu
    cov = 2.0 * (diff * w[:, None]).T @ diff
    width = post.box[:, 1] - post.box[:, 0]
    floor = (width / len(thetas)) ** 2
    return mu, cov + np.diag(floor)


def _truncated_normal(rng: np.random.Generator, mu: NDArray[np.float64], cov: NDArray[np.float64],
                      lo: NDArray[np.float64], hi: NDArray[np.float64],
                      n: int) -> tuple[NDArray[np.float64] | None, float]:
    """n draws of the normal truncated to the box, and the log of the mass the box holds
    (estimated from the draws made; None if it holds almost none)."""
    kept: list[NDArray[np.float64]] = []
    tried = inside = 0
    while inside < n and tried < 200 * n + 20_000:
        batch = rng.multivariate_normal(mu, cov, size=max(4 * n, 4096))
        ok = np.all((batch >= lo) & (batch <= hi), axis=1)
        tried += len(batch)
        inside += int(ok.sum())
        kept.append(batch[ok])
    if inside < n:
        return None, 0.0
    return np.vstack(kept)[:n], float(np.log(inside / tried))


def _mixture_log_density(thetas: NDArray[np.float64], proposals: list, sizes: list[int],
                         log_prior: float) -> NDArray[np.float64]:
    """log Σ_s (n_s / N) q_s(θ) over every stage's proposal (the prior where a stage drew from it)."""
    total = sum(sizes)
    parts = []
    for n, prop in zip(sizes, proposals):
        if prop is None:
            parts.append(np.full(len(thetas), np.log(n / total) + log_prior))
        else:
            _, mu, cov, log_z = prop
            parts.append(np.log(n / total) + stats.multivariate_normal(mu, cov, allow_singular=True).logpdf(thetas)
                         - log_z)
    return logsumexp(np.vstack(parts), axis=0)
