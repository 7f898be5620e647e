"""Fits the float polynomials of dev.kiln.tensor.kernels.cpu.VectorErf (run with any python3 + numpy).

erf(x) = x * P(x^2)                       for |x| <= 1, P of degree 5
erfc(t) = exp(-t^2) / t * Q(1/t)          for 1 <= t <= 10, Q of degree 10

Weighted least squares on Chebyshev nodes, weights 1/|f| so the *relative* error is what is
minimised; reference values from Python's double-precision math.erf/erfc. Prints the float32
coefficients (ascending powers) and the worst relative error of a float32 Horner evaluation.
"""
import math

import numpy as np
from numpy.polynomial import polynomial as P


def fit(f, a, b, deg, n=4000):
    x = np.cos(np.pi * (np.arange(n) + 0.5) / n) * (b - a) / 2 + (a + b) / 2
    y = np.array([f(t) for t in x])
    return P.polyfit(x, y, deg, w=1 / np.abs(y)).astype(np.float32)


def horner32(c, v):
    v = np.float32(v)
    r = np.float32(c[-1])
    for k in c[-2::-1]:
        r = np.float32(np.float32(r * v) + k)
    return r


erf_small = fit(lambda s: math.erf(math.sqrt(s)) / math.sqrt(s) if s > 0 else 2 / math.sqrt(math.pi), 0, 1, 5)
erfc_large = fit(lambda u: (1 / u) * math.exp(1 / u ** 2) * math.erfc(1 / u), 0.1, 1.0, 10)
for name, c in (("ERF_SMALL", erf_small), ("ERFC_LARGE", erfc_large)):
    print(name, "=", ", ".join(repr(float(v)) + "f" for v in c))
worst = max(abs(float(np.float32(x) * horner32(erf_small, np.float32(x) * np.float32(x))) - math.erf(x)) / math.erf(x)
            for x in np.linspace(1e-4, 1, 5001))
print("erf |x| <= 1: max relative error", worst)
worst = max(abs(float(horner32(erfc_large, np.float32(1 / t))) - t * math.exp(t * t) * math.erfc(t))
            / (t * math.exp(t * t) * math.erfc(t)) for t in np.linspace(1, 10, 5001))
print("exp(t^2) t erfc(t), 1 <= t <= 10: max relative error", worst)
