"""The validation experiments, shared by the tests (which assert) and validation/report.py
(which writes VALIDATION.md and its figures), so the report shows exactly what the tests check."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numba
import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_twin import MesaBass  # noqa: E402

from sim.engine.indicators import Recorder  # noqa: E402
from sim.engine.model import CityModel  # noqa: E402
from sim.experiments.ensemble import run_ensemble  # noqa: E402
from sim.experiments.execution import Execution  # noqa: E402
from sim.inputs.scenario import load_scenario  # noqa: E402
from sim.schema import Scenario  # noqa: E402

BASS = ROOT / "scenarios" / "validation" / "bass.toml"
DAK_LAK = ROOT / "scenarios" / "dak_lak.toml"

# (p, q) per year: the literature average, and imitation-dominated cases with q/p of 50 and 120,
# and one where q = p (no inflection).
BASS_CASES = ((0.03, 0.38), (0.01, 0.5), (0.005, 0.6), (0.1, 0.1))


def _series(result, indicator: str) -> np.ndarray:
    """(runs, months) of one indicator from an ensemble result."""
    return np.stack([r.values[:, r.names.index(indicator)] for r in result.runs])


def bass_ensemble(p: float, q: float, runs: int = 6, scale: float = 0.02, workers: int = 1) -> np.ndarray:
    """online_services_adoption of the Bass scenario: array (runs, months)."""
    numba.set_num_threads(1)  # tests run two at a time on two cores
    spec = load_scenario(BASS, [f"behaviour.online_services.p={p}", f"behaviour.online_services.q={q}",
                                f"ensemble.runs={runs}", f"ensemble.scale={scale}"])
    result = run_ensemble(spec, execution=Execution("processes" if workers > 1 else "inline", workers))
    return _series(result, "online_services_adoption")


# --------------------------------------------------------------------------- engine vs plain Mesa

TWIN_P, TWIN_Q, TWIN_MONTHS = 0.03, 0.6, 96
TWIN_SCALE = 0.00079  # about 2,000 adults of Dak Lak
CHECK_MONTHS = (12, 24, 36, 60, 96)  # compared in distribution


@cache
def _twin_scenario() -> Scenario:
    """The Bass scenario on the contact network (read once, shared by every seed)."""
    return load_scenario(BASS, [f"behaviour.online_services.p={TWIN_P}", f"behaviour.online_services.q={TWIN_Q}",
                                "network.mean_field=false", "time.end=2032-12"])


def twin_pair(seed: int, months: int = TWIN_MONTHS, twin_q: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """One seed: the engine and the plain-Mesa twin on the engine's own contact network.

    Returns (engine shares, twin shares, N)."""
    numba.set_num_threads(1)  # 2,000 agents: thread start-up would cost more than it saves
    model = CityModel.build(_twin_scenario(), seed=seed, scale=TWIN_SCALE)
    recorder = Recorder(model)
    net = model.world.network
    engine = np.empty(months)
    for m in range(months):
        recorder.step()
        engine[m] = recorder.latest["online_services_adoption"]
    twin = MesaBass(net.indptr, net.indices, TWIN_P, TWIN_Q if twin_q is None else twin_q, seed=seed)
    return engine, np.array(twin.run(months)), net.n


def twin_ensembles(seeds: range, twin_q: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    pairs = [twin_pair(s, twin_q=twin_q) for s in seeds]
    return np.stack([e for e, _, _ in pairs]), np.stack([t for _, t, _ in pairs]), pairs[0][2]


def half_time(shares: np.ndarray) -> np.ndarray:
    """Months until half the population has adopted, per run (interpolated)."""
    out = np.empty(len(shares))
    for r, s in enumerate(shares):
        k = int(np.argmax(s >= 0.5))
        prev = s[k - 1] if k > 0 else 0.0
        out[r] = k + (0.5 - prev) / (s[k] - prev)  # months are 1-based: share after month k+1
    return out


@dataclass
class Agreement:
    statistic: str
    engine_mean: float
    twin_mean: float
    ks_p: float


def agreement(engine: np.ndarray, twin: np.ndarray) -> list[Agreement]:
    """Two-sample Kolmogorov-Smirnov tests of the share at CHECK_MONTHS and of the half-time."""
    rows = []
    for m in CHECK_MONTHS:
        a, b = engine[:, m - 1], twin[:, m - 1]
        rows.append(Agreement(f"share after {m} months", a.mean(), b.mean(), stats.ks_2samp(a, b).pvalue))
    a, b = half_time(engine), half_time(twin)
    rows.append(Agreement("months to 50%", a.mean(), b.mean(), stats.ks_2samp(a, b).pvalue))
    return rows


# --------------------------------------------------------------------------- common random numbers

CRN_FAST = ["ensemble.scale=0.003", "time.end=2030-12"]
CRN_POLICY = "budget.dx_share=0.06"


def crn_differences(runs: int = 12, workers: int = 1, uncertainty: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Policy-minus-baseline online_services_uptake at the end of 2030, per run: (paired, unpaired).

    Paired: policy run r and baseline run r share a seed. Unpaired: the policy runs use other seeds."""
    common = CRN_FAST + [f"ensemble.runs={runs}", f"ensemble.uncertainty={str(uncertainty).lower()}"]
    seed = load_scenario(DAK_LAK).ensemble.seed
    execution = Execution("processes" if workers > 1 else "inline", workers)

    def final(overrides: list[str]) -> np.ndarray:
        result = run_ensemble(load_scenario(DAK_LAK, common + overrides), execution=execution)
        return _series(result, "online_services_uptake")[:, -1]

    base = final([])
    policy = final([CRN_POLICY])
    policy_other_seeds = final([CRN_POLICY, f"ensemble.seed={seed + 10_000}"])
    return policy - base, policy_other_seeds - base


# --------------------------------------------------------------------------- hindcasts per mechanism

HISTORY = ROOT / "scenarios" / "validation"
# (mechanism, history scenario, fitted up to): every history with a later observation to forecast.
HINDCASTS = (("online public services (p, q)", "vietnam_dossiers", 2019),
             ("accounts (uptake hazard)", "vietnam_accounts", 2014),
             ("accounts (uptake hazard)", "vietnam_accounts", 2017))


@dataclass
class Hindcast:
    mechanism: str
    scenario: str
    until: int
    calibration: object   # sim.experiments.calibrate.Calibration
    held: object        # pandas DataFrame: the held-out observations and every forecast of them


def hindcast(mechanism: str, name: str, until: int, draws: int = 96, runs: int | None = None,
             scale: float | None = None, workers: int = 1) -> Hindcast:
    """Fit a history up to `until`, forecast its later observations three ways: the calibrated
    model (posterior mean and 90% interval), the scenario as written (uncalibrated), and no
    change since the last fitted observation."""
    from sim.experiments.calibrate import calibrate, model_at

    spec = load_scenario(HISTORY / f"{name}.toml")
    cal = calibrate(spec, draws=draws, runs=runs, scale=scale, until=until, execution=Execution(workers=workers))
    as_written = model_at(spec, {k: spec.number_at(k) for k in spec.free}, runs=runs or spec.ensemble.runs,
                          scale=scale, execution=Execution(workers=workers))
    held = cal.hindcast()
    held["uncalibrated"] = as_written.model.to_numpy()[~cal.fit.fitted.to_numpy()]
    return Hindcast(mechanism, name, until, cal, held)
