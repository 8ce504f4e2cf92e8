"""A person's calibration, saved as a small JSON file (``--profile``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from calibration.baseline import RestBaseline
from realtime.files import atomic_write
from realtime.landmarks import SIDES
from realtime.signals.features import SIGNALS

PROFILE_VERSION = 1


class ProfileError(ValueError):
    pass


@dataclass
class Profile:
    rest: RestBaseline
    # Maximum voluntary activation per side and signal (2, N_SIGNALS); NaN where not measured.
    max_range: np.ndarray = field(default_factory=lambda: np.full((2, len(SIGNALS)), np.nan))
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    source: str = ""

    def to_json(self) -> dict:
        return {"version": PROFILE_VERSION, "created": self.created, "source": self.source,
                "rest": self.rest.to_json(),
                "max_range": {side: {g: (None if np.isnan(v) else float(v))
                                     for g, v in zip(SIGNALS, self.max_range[i])}
                              for i, side in enumerate(SIDES)}}

    @classmethod
    def from_json(cls, d: dict) -> "Profile":
        if d.get("version") != PROFILE_VERSION:
            raise ProfileError(f"profile version {d.get('version')!r} is not {PROFILE_VERSION}")
        mr = d.get("max_range") or {}
        max_range = np.array([[np.nan if (mr.get(s) or {}).get(g) is None else mr[s][g]
                               for g in SIGNALS] for s in SIDES], dtype=float)
        return cls(rest=RestBaseline.from_json(d["rest"]), max_range=max_range,
                   created=d.get("created", ""), source=d.get("source", ""))


def save_profile(profile: Profile, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: json.dump(profile.to_json(), f, indent=1))


def load_profile(path: str | os.PathLike) -> Profile:
    try:
        return Profile.from_json(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        raise ProfileError(f"profile {path} not found; create one with 'python run.py calibrate'") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ProfileError(f"profile {path} is not a valid calibration file ({exc}); "
                           "recalibrate with 'python run.py calibrate'") from None


def max_voluntary_range(signals: np.ndarray) -> np.ndarray:
    """(2, N_SIGNALS) 98th percentile of each signal over frames of maximal effort (T, 2, N)."""
    return np.nanpercentile(signals, 98, axis=0)
