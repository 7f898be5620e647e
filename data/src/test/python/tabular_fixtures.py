"""Reference values for Kiln's tabular cleaning (dev.kiln.data.clean.tabular), from numpy and scipy.

Writes data/src/test/resources/clean/tabular_fixtures.json: for a few columns (NaN = missing,
written as null), numpy's default (linear) quantiles, mean, median, population and sample std,
scipy.stats.zscore with ddof 0 and 1, scipy.stats.mode (smallest value on ties), and the z-score
(threshold 2 and 3) and Tukey IQR (k 1.5 and 3) outlier masks. Run with the default python3
(numpy 2.x, scipy 1.1x):
  python3 data/src/test/python/tabular_fixtures.py
"""
import json
import os

import numpy as np
import scipy.stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "resources", "clean", "tabular_fixtures.json"))
QS = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.6, 0.75, 0.9, 0.99, 1.0]


def column(name, values):
    x = np.asarray(values, dtype=np.float64)
    present = x[~np.isnan(x)]
    q1, q3 = np.quantile(present, [0.25, 0.75])
    iqr = q3 - q1
    case = {
        "name": name,
        "values": [None if np.isnan(v) else float(v) for v in x],
        "quantiles": {repr(q): float(np.nanquantile(x, q)) for q in QS},
        "mean": float(np.nanmean(x)),
        "median": float(np.nanmedian(x)),
        "std_population": float(np.nanstd(x, ddof=0)),
        "std_sample": float(np.nanstd(x, ddof=1)),
        "mode": float(scipy.stats.mode(present, keepdims=False).mode),
    }
    for ddof, key in [(0, "z_population"), (1, "z_sample")]:
        z = scipy.stats.zscore(x, ddof=ddof, nan_policy="omit")
        case[key] = [None if np.isnan(v) else float(v) for v in z]
        for t in (2.0, 3.0):
            case[f"{key}_outliers_{t:g}"] = [bool(abs(v) > t) if not np.isnan(v) else False for v in z]
    for k in (1.5, 3.0):
        lo, hi = q1 - k * iqr, q3 + k * iqr
        case[f"iqr_fences_{k:g}"] = [float(lo), float(hi)]
        case[f"iqr_outliers_{k:g}"] = [bool(v < lo or v > hi) if not np.isnan(v) else False for v in x]
    return case


def main():
    rng = np.random.default_rng(20240611)
    heavy = rng.standard_normal(120)
    heavy[[3, 50, 77, 110]] = [8.5, -7.25, 12.0, 5.5]
    with_missing = rng.normal(10, 3, 97).round(2)
    with_missing[[0, 10, 20, 96]] = np.nan
    with_missing[[5, 60]] = [40.0, -25.0]
    cases = [
        column("small", [1, 2, 3, 4, 100]),
        column("even", [7, 1, 3, 3, 9, 2, 3, 8]),
        column("ties_and_nan", [5, np.nan, 2, 2, 5, np.nan, 9, -1, 0.5]),
        column("heavy_tails", heavy.tolist()),
        column("with_missing", with_missing.tolist()),
        column("uniform", rng.uniform(-1e6, 1e6, 201).tolist()),
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"numpy": np.__version__, "scipy": scipy.__version__, "cases": cases}, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
