"""Signals in the units a person reads: eye closure in % of the rest fissure, every other
movement in mm.

Signals are computed in face units (realtime/signals/features.py; ``face_unit`` names them):
eye_closure as a fraction of the rest fissure height, the rest as displacements in inter-ocular
distances (IOD). One IOD is taken as ``IOD_MM`` unless the user measured their own.
"""

from __future__ import annotations

IOD_MM = 63.0              # adult mean inter-ocular distance (pupil to pupil), mm
# Adult mean palpebral fissure length (inner to outer eye corner), mm: the eye's opening is
# measured as a fraction of it (features.py eye_aperture), so this turns it into mm.
EYE_WIDTH_MM = 28.0
FRACTION_OF_FISSURE = frozenset({"eye_closure"})


# The units signals are measured and stored in (features.py), spelt as column-name suffixes: the
# tables a person opens name the unit of every column (sinks/tables.py).
FACE_UNITS = ("iod", "fissure_fraction")


def face_unit(signal: str) -> str:
    """The unit ``signal`` is stored in: a fraction of the rest fissure, or IOD."""
    return "fissure_fraction" if signal in FRACTION_OF_FISSURE else "iod"


def face_unit_label(signal: str) -> str:
    """``face_unit`` in words, for metadata a person reads (the LSL stream's channel units)."""
    return "fraction of rest eye opening" if signal in FRACTION_OF_FISSURE else "IOD"


def unit(signal: str) -> str:
    return "%" if signal in FRACTION_OF_FISSURE else "mm"


def clinical(signal: str, value: float, iod_mm: float = IOD_MM) -> float:
    """A signal value (face units) in ``unit(signal)``."""
    return value * 100.0 if signal in FRACTION_OF_FISSURE else value * iod_mm


def format_clinical(signal: str, value: float, iod_mm: float = IOD_MM) -> str:
    v = clinical(signal, value, iod_mm)
    if signal in FRACTION_OF_FISSURE:
        return f"{round(v):d} %"
    return f"{round(v, 1) + 0.0:.1f} mm"   # + 0.0: no "-0.0"
