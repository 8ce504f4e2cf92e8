"""Signals in the units a person reads: eye closure in % of the rest fissure, chin dimpling
and neck bands in % change of the skin's texture contrast from rest, every other movement in mm.

Signals are computed in face units (realtime/signals/features.py; ``face_unit`` names them):
eye_closure as a fraction of the rest fissure height, the texture signals as a fraction of
their rest texture contrast, the rest as displacements in inter-ocular distances (IOD). One IOD
is taken as ``IOD_MM`` unless the user measured their own.
"""

from __future__ import annotations

IOD_MM = 63.0              # adult mean inter-ocular distance (pupil to pupil), mm
# Adult mean palpebral fissure length (inner to outer eye corner), mm: the eye's opening is
# measured as a fraction of it (features.py eye_aperture), so this turns it into mm.
EYE_WIDTH_MM = 28.0
FRACTION_OF_FISSURE = frozenset({"eye_closure"})
FRACTION_OF_TEXTURE = frozenset({"chin_dimpling", "neck_bands"})
PERCENT = FRACTION_OF_FISSURE | FRACTION_OF_TEXTURE


# The units signals are measured and stored in (features.py), spelt as column-name suffixes: the
# tables a person opens name the unit of every column (sinks/tables.py).
FACE_UNITS = ("iod", "fissure_fraction", "texture_fraction")


def face_unit(signal: str) -> str:
    """The unit ``signal`` is stored in: a fraction of the rest fissure or of the rest texture
    contrast, or IOD."""
    if signal in FRACTION_OF_FISSURE:
        return "fissure_fraction"
    return "texture_fraction" if signal in FRACTION_OF_TEXTURE else "iod"


def face_unit_label(signal: str) -> str:
    """``face_unit`` in words, for metadata a person reads (the LSL stream's channel units)."""
    if signal in FRACTION_OF_FISSURE:
        return "fraction of rest eye opening"
    return "fraction of rest texture contrast" if signal in FRACTION_OF_TEXTURE else "IOD"


# How a person reads each unit: short, for cramped labels (a gauge's edge, a plot's axis), and
# in words, where there is room (tables, banners, notes); keyed by ``face_unit``.
UNIT_SHORT = {"iod": "mm", "fissure_fraction": "%", "texture_fraction": "% tex"}
UNIT_WORDS = {"iod": "mm", "fissure_fraction": "% of the rest eye opening",
              "texture_fraction": "% texture change vs rest"}

# The short units explained, once, beside the numbers that use them.
UNITS_LEGEND = "; ".join(f"{UNIT_SHORT[u]} = {w}" for u, w in UNIT_WORDS.items() if UNIT_SHORT[u] != w)


def unit(signal: str) -> str:
    """The unit a person reads, short: "%" (of the rest eye opening), "% tex" (change of the
    skin's texture contrast from rest) or "mm"."""
    return UNIT_SHORT[face_unit(signal)]


def unit_words(signal: str) -> str:
    """``unit`` in words: "% of the rest eye opening", "% texture change vs rest" or "mm"."""
    return UNIT_WORDS[face_unit(signal)]


def clinical(signal: str, value: float, iod_mm: float = IOD_MM) -> float:
    """A signal value (face units) in ``unit(signal)``."""
    return value * 100.0 if signal in PERCENT else value * iod_mm


def format_clinical(signal: str, value: float, iod_mm: float = IOD_MM, words: bool = False) -> str:
    """``value`` in the unit a person reads: "32 %", "72 % tex", "1.3 mm"; ``words``: the unit
    spelt out ("72 % texture change vs rest")."""
    v = clinical(signal, value, iod_mm)
    u = unit_words(signal) if words else unit(signal)
    if signal in PERCENT:
        return f"{round(v):d} {u}"
    return f"{round(v, 1) + 0.0:.1f} {u}"   # + 0.0: no "-0.0"


def format_lag(seconds: float) -> str:
    """A lag as a person reads it: "+0.11 s" (positive: the response follows the driver)."""
    return f"{round(seconds, 2) + 0.0:+.2f} s"   # + 0.0: a lag of -0.001 s reads "+0.00", not "-0.00"
