"""Fits the float polynomials of dev.kiln.tensor.kernels.cpu.VectorMath (python3 + numpy).

exp(r) = P(r)                      for |r| <= ln(2)/2 (after exp(x) = 2^n exp(r)), P of degree 6
tanh(x) = x + x^3 * Q(x^2)         for |x| <= 0.55, Q of degree 5

Weighted least squares on Chebyshev nodes for relative error; the constant and linear
coefficients of exp are pinned to 1 (exact at 0). Prints float32 coefficients (ascending) and the
worst relative error of a float32 Horner evaluation against Python's double math.exp/tanh.
"""
import math

import numpy as np


def nodes(a, b, n=4000):
    return np.cos(np.pi * (np.arange(n) + 0.5) / n) * (b - a) / 2 + (a + b) / 2


def horner32(c, v):
    v = np.float32(v)
    r = np.float32(c[-1])
    for k in c[-2::-1]:
        r = np.float32(np.float32(r * v) + np.float32(k))
    return r


h = math.log(2) / 2
r = nodes(-h, h)
# exp(r) - 1 - r = r^2 * S(r), S of degree 4
y = np.array([(math.exp(t) - 1 - t) / (t * t) for t in r])
s = np.polynomial.polynomial.polyfit(r, y, 4, w=np.array([t * t / math.exp(t) for t in r]))
exp_c = np.concatenate([[1.0, 1.0], s]).astype(np.float32)
print("EXP =", ", ".join(repr(float(v)) + "f" for v in exp_c))
print("exp: max relative error", max(abs(float(horner32(exp_c, t)) - math.exp(t)) / math.exp(t) for t in np.linspace(-h, h, 20001)))

x = nodes(1e-4, 0.55)
q = np.polynomial.polynomial.polyfit(x * x, np.array([(math.tanh(t) - t) / t ** 3 for t in x]), 5,
                                     w=np.array([t ** 3 / math.tanh(t) for t in x]))
tanh_c = q.astype(np.float32)
print("TANH_SMALL =", ", ".join(repr(float(v)) + "f" for v in tanh_c))


def tanh32(t):
    t = np.float32(t)
    s = np.float32(t * t)
    return np.float32(t + np.float32(np.float32(t * s) * horner32(tanh_c, s)))


print("tanh: max relative error", max(abs(float(tanh32(t)) - math.tanh(float(np.float32(t)))) / math.tanh(float(np.float32(t)))
                                      for t in np.linspace(1e-4, 0.55, 20001)))
