"""Sampled designs (Latin hypercube, Sobol, Morris) and their sensitivity indices, through SALib.

A sampled design draws rows of parameter values inside ``[low, high]`` ranges;
``sample`` returns SALib's matrix (one row per condition, in SALib's order,
which the analysis needs back), ``analyse`` turns one model output per row
into indices: Sobol first-order and total indices with confidence intervals
(Sobol 2001; Saltelli 2002; Saltelli et al. 2010), Morris μ*, μ and σ
(Morris 1991; Campolongo et al. 2007).  Nothing here knows about runs or files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import latin, morris, sobol

RESAMPLES = 200  # bootstrap resamples behind the confidence intervals
SIGNIFICANT_DIGITS = 10  # sampled floats are written with this many, so Hydra reads back what was meant


def problem(ranges: dict[str, tuple[float, float]]) -> dict:
    """SALib's problem description: parameter names and their [low, high] bounds."""
    return {"num_vars": len(ranges), "names": list(ranges), "bounds": [list(b) for b in ranges.values()]}


def sample(design: str, spec: dict, samples: int, seed: int, levels: int = 4,
           second_order: bool = False) -> np.ndarray:
    """The design's rows: ``samples`` rows for LHS, N·(D+2) (N·(2D+2) with second order) for
    Sobol with N = ``samples`` a power of two, ``samples`` trajectories of D+1 rows for Morris."""
    if design == "lhs":
        return latin.sample(spec, samples, seed=seed)
    if design == "sobol":
        return sobol.sample(spec, samples, calc_second_order=second_order, seed=seed)
    if design == "morris":
        return morris.sample(spec, samples, num_levels=levels, seed=seed)
    raise ValueError(f"not a sampled design: {design!r}")


def tidy_value(value: float, integer: bool) -> int | float:
    """A sampled number as a run will use it: rounded to an integer for integer parameters,
    else to ``SIGNIFICANT_DIGITS`` digits (no 0.7999999999999999 in overrides)."""
    if integer:
        return int(round(value))
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def analyse(design: str, spec: dict, X: np.ndarray, Y: np.ndarray, seed: int, levels: int = 4,
            second_order: bool = False) -> pd.DataFrame:
    """Sensitivity indices of output ``Y`` (one value per row of ``X``), one row per parameter.

    Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (95% intervals are ± conf);
    Morris: ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``.  (A Latin
    hypercube has no indices of its own.)
    """
    if design == "sobol":
        result = sobol_analysis.analyze(spec, Y, calc_second_order=second_order, num_resamples=RESAMPLES,
                                        conf_level=0.95, seed=seed)
        columns = ["S1", "S1_conf", "ST", "ST_conf"]
    elif design == "morris":
        result = morris_analysis.analyze(spec, X, Y, num_resamples=RESAMPLES, conf_level=0.95,
                                         num_levels=levels, seed=seed)
        columns = ["mu", "mu_star", "sigma", "mu_star_conf"]
    else:
        raise ValueError(f"no sensitivity indices for design {design!r}")
    table = pd.DataFrame({name: np.asarray(result[name], dtype=float) for name in columns})
    table.insert(0, "parameter", spec["names"])
    return table
