"""The original's reparameterisation (spec §2.1): constrained values <-> the engine's raw floats.

The engine optimises unconstrained raw parameters; people, files and LLMs speak in constrained
values (centres, radii, intensities). These transforms are the only bridge between the two.
"""

from __future__ import annotations

import math

TYPE_CODES = {"circle": 0, "ellipse": 1, "triangle": 2}
TYPE_NAMES = ("circle", "ellipse", "triangle")
# Raw floats per shape, intensity first (the original registers intensity_raw before geometry).
PARAM_COUNTS = {"circle": 4, "ellipse": 6, "triangle": 7}


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    # PyTorch switches to the identity above 20; matching it keeps large radii exact.
    return x if x > 20.0 else math.log1p(math.exp(x))


def logit_param(x: float) -> float:
    c = min(max(x, 1e-6), 1.0 - 1e-6)
    return math.log(c / (1.0 - c))


def inv_softplus(x: float) -> float:
    c = max(x, 1e-6)
    return c if c > 20.0 else math.log(math.expm1(c))


def intensity_raw(v: float) -> float:
    return logit_param(min(max(v, 0.01), 0.99))
