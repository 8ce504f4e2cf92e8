"""Synthetic sessions with known answers, written by the real SessionWriter.

Both sides smile six times; the subject's left eye narrows with each smile ``LAG_S`` later (a
one-sided synkinesis with an exact lag), the right eye makes movements of its own. Signals are
functions of continuous time, so a session sampled at any times has the same exact answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from realtime.signals.features import SIGNALS, S
from realtime.sinks.session import SessionWriter

FPS = 30.0
SECONDS = 40.0
LAG_S = 0.16
SMILES_S = (3.0, 9.0, 15.0, 21.0, 27.0, 33.0)
SMILE_W = 2.0
SMILE_AMP = 0.12
EYE_GAIN = 0.4          # left eye closure at the smile's peak (fraction of the rest fissure)
RIGHT_EYE_S = (6.0, 12.5, 24.5, 30.0)


def bumps(t: np.ndarray, starts, width: float, amp: float) -> np.ndarray:
    x = np.zeros_like(t)
    for s in starts:
        inside = (t >= s) & (t < s + width)
        x[inside] += amp * np.sin(np.pi * (t[inside] - s) / width) ** 2
    return x


def signals_at(t: np.ndarray, seed: int = 0) -> np.ndarray:
    """(len(t), 2, N_SIGNALS) activations at times ``t``."""
    rng = np.random.default_rng(seed)
    sig = rng.normal(0, 0.004, (len(t), 2, len(SIGNALS)))
    smile = bumps(t, SMILES_S, SMILE_W, SMILE_AMP)
    sig[:, :, S["smile"]] += smile[:, None]
    sig[:, 0, S["eye_closure"]] += EYE_GAIN * bumps(t - LAG_S, SMILES_S, SMILE_W, 1.0)
    sig[:, 1, S["eye_closure"]] += bumps(t, RIGHT_EYE_S, 1.0, 0.15)
    return sig


def full_rate_times(seconds: float = SECONDS, fps: float = FPS) -> np.ndarray:
    return np.arange(round(seconds * fps)) / fps


def dropped_mask(n: int, seed: int = 1, p_start: float = 0.15, max_run: int = 5) -> np.ndarray:
    """Which of ``n`` source frames are kept, when a slow computer drops runs of 1..max_run
    frames: about a third of the frames go."""
    rng = np.random.default_rng(seed)
    keep = np.ones(n, bool)
    i = 30                                   # the first second is kept whole
    while i < n - 1:
        if rng.random() < p_start:
            run = int(rng.integers(1, max_run + 1))
            keep[i:min(i + run, n - 1)] = False
            i += run + 1
        else:
            i += 1
    return keep


def write_session(folder: Path, t: np.ndarray, sig: np.ndarray | None, *, idx: np.ndarray | None = None,
                  meta: dict | None = None, events=(), close: bool = True) -> SessionWriter:
    """Rows (t, sig[i]) through SessionWriter (sig None: no face in any frame)."""
    w = SessionWriter(folder, fps=FPS)
    w.start({"fps": FPS, "source": "synthetic", **(meta or {})})
    idx = np.arange(len(t)) if idx is None else idx
    for k, (i, ti) in enumerate(zip(idx, t)):
        w.add_frame(int(i), float(ti), None if sig is None else sig[k])
    for e in events:
        w.add_event(*e)
    if close:
        w.close()
    return w
