"""Signals in the units a person reads: eye closure in % of the rest fissure, every other
movement in mm.

Signals are computed in face units (realtime/signals/features.py): eye_closure as a fraction of
the rest fissure height, the rest as displacements in inter-ocular distances (IOD). One IOD is
taken as ``IOD_MM`` unless the user measured their own.
"""

from __future__ import annotations

IOD_MM = 63.0              # adult mean inter-ocular distance (pupil to pupil), mm
FRACTION_OF_FISSURE = frozenset({"eye_closure"})


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
