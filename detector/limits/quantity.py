"""Kubernetes resource quantities (``resource.Quantity``): ``20Gi``, ``500M``, ``250m``, ``1e3``, ``12``."""

from __future__ import annotations

import math
import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}

# <signedNumber><suffix>; the exponent form (e3, E-2) is tried before the bare exa suffix "E".
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE]?)"
)


def parse_quantity(text: str | int | float) -> float:
    """The value of a Kubernetes quantity in base units (bytes for memory and storage, cores for CPU).

    Accepts the API grammar: binary suffixes ``Ki Mi Gi Ti Pi Ei`` (powers of 1024), decimal suffixes
    ``n u m k M G T P E`` (powers of 1000; ``m`` is milli), exponents (``1e3``, ``5E-1``) and plain
    numbers, as strings or as the ints/floats a YAML parser produces for unquoted numbers.

    Raises ``ValueError`` naming the text for anything else (empty, spaces inside, ``1.5Gb``, ``Gi``,
    booleans, NaN, infinity).
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ValueError(f"{text!r} is not a Kubernetes quantity")
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    match = _QUANTITY.fullmatch(text.strip())
    if match is None or not text.strip():
        raise ValueError(f"{text!r} is not a Kubernetes quantity (expected e.g. 512Mi, 20Gi, 1G, 250m, 1e3)")
    number, suffix = float(match["number"]), match["suffix"]
    if suffix in _BINARY:
        return _finite(number * _BINARY[suffix], text)
    if suffix in _DECIMAL:
        return _finite(number * _DECIMAL[suffix], text)
    try:
        value = number * 10.0 ** int(suffix[1:])
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is out of range")
    return value


def _finite(value: float, text: object) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large for a Kubernetes quantity")
    return value
