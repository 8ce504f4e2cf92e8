"""Signals in the units a person reads: eye closure in % of the rest fissure, chin dimpling
and neck bands as a multiple of the skin's texture contrast at rest ("3.4× rest": the bands
three and a half times as contrasty as at rest; 1× = as at rest), every other movement in mm.

Signals are computed in face units (realtime/signals/features.py; ``face_unit`` names them):
eye_closure as a fraction of the rest fissure height, the texture signals as the change of their
texture contrast as a fraction of its rest level, the rest as displacements in inter-ocular
distances (IOD). One IOD is taken as ``IOD_MM`` unless the user measured their own.

Two conversions: ``clinical`` is the value the tables hold beside the face units (mm, % of the
rest fissure, % change of the rest texture contrast: columns users' scripts read, unchanged);
``shown`` is the value a person reads on a screen or page, in ``unit`` (the texture's change
as a multiple of its rest contrast, which a person can picture; "+241 % tex" could not be).
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
UNIT_SHORT = {"iod": "mm", "fissure_fraction": "%", "texture_fraction": "× rest"}
UNIT_WORDS = {"iod": "mm", "fissure_fraction": "% of the rest eye opening",
              "texture_fraction": "× the skin's texture contrast at rest"}

# The short units explained, once, beside the numbers that use them.
UNITS_LEGEND = "; ".join(f"{UNIT_SHORT[u]} = {w}" for u, w in UNIT_WORDS.items() if UNIT_SHORT[u] != w)


def unit(signal: str) -> str:
    """The unit a person reads, short: "%" (of the rest eye opening), "× rest" (the skin's
    texture contrast as a multiple of its rest level) or "mm"."""
    return UNIT_SHORT[face_unit(signal)]


def unit_words(signal: str) -> str:
    """``unit`` in words: "% of the rest eye opening", "× the skin's texture contrast at rest"
    or "mm"."""
    return UNIT_WORDS[face_unit(signal)]


def clinical(signal: str, value, iod_mm: float = IOD_MM):
    """A signal value (face units; a float or an array) in the tables' clinical unit: % of the
    rest fissure, % change of the rest texture contrast, or mm."""
    return value * 100.0 if signal in PERCENT else value * iod_mm


def shown(signal: str, value, iod_mm: float = IOD_MM):
    """A signal value (face units; a float or an array) in ``unit(signal)``: the skin's texture
    contrast as a multiple of its rest level (a change of +2.4 reads 3.4, rest reads 1),
    otherwise as ``clinical``. A size in a matrix cell or a trace: the texture's is relative to
    rest too (a response that smooths the skin reads below 1)."""
    if signal in FRACTION_OF_TEXTURE:
        return 1.0 + value
    return clinical(signal, value, iod_mm)


def format_clinical(signal: str, value: float, iod_mm: float = IOD_MM, words: bool = False) -> str:
    """``value`` as a person reads it: "32 %", "3.4× rest", "1.3 mm"; ``words``: the unit
    spelt out ("3.4× the skin's texture contrast at rest")."""
    v = shown(signal, value, iod_mm)
    u = unit_words(signal) if words else unit(signal)
    if signal in FRACTION_OF_TEXTURE:
        # Small changes are what matters clinically (the visible floor is 1.10×): two decimals
        # there, fewer as the multiple grows.
        return f"{multiple_text(v)}{u}"
    if signal in PERCENT:
        return f"{round(v):d} {u}"
    return f"{round(v, 1) + 0.0:.1f} {u}"   # + 0.0: no "-0.0"


def multiple_text(v: float) -> str:
    """A multiple of the rest texture contrast with 2-3 significant figures: "1.15", "3.4", "16"."""
    return f"{v:.2f}" if abs(v) < 2 else f"{v:.1f}" if abs(v) < 9.95 else f"{v:.0f}"


def format_lag(seconds: float) -> str:
    """A lag as a person reads it: "+0.11 s" (positive: the response follows the driver)."""
    return f"{round(seconds, 2) + 0.0:+.2f} s"   # + 0.0: a lag of -0.001 s reads "+0.00", not "-0.00"
