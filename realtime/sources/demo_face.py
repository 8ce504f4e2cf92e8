"""A built-in demo face: a real photograph animated by image warping.

The photograph is scikit-image's ``astronaut()`` (public domain, shipped in the wheel).
Smiles, blinks, head motion and an optional planted synkinesis (one eye narrowing with each
smile, after a delay) are drawn as smooth displacement fields, so the true movement of every
region is known exactly. That makes it both a demo without a patient and the project's own
ground truth for tests.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

# Crop of the 512x512 photo around the face (x0, y0, width, height); 4:3 like a webcam.
_CROP = (105, 35, 240, 180)
# Anatomical points of the neutral photo in its own pixel coordinates, measured once with the
# face model (landmarks 386/374/362/263, 159/145/133/33, 291, 61). Subject's left = image right.
_PHOTO_POINTS = {
    "left": {"upper_lid": (248.08, 100.20), "lower_lid": (245.89, 106.51),
             "inner": (236.41, 104.92), "outer": (255.32, 103.79), "corner": (244.49, 140.55)},
    "right": {"upper_lid": (202.57, 97.82), "lower_lid": (204.20, 104.18),
              "inner": (213.59, 103.62), "outer": (195.28, 100.58), "corner": (202.28, 139.17)},
}


@dataclass
class DemoConfig:
    seconds: float = 30.0
    fps: float = 30.0
    seed: int = 0
    synkinesis: str = "none"          # "left", "right" or "none": the subject's side
    strength: float = 0.5             # planted eye narrowing, fraction of the open fissure
    delay_s: float = 0.15             # planted narrowing follows the smile by this much
    head_motion: bool = False
    blinks_per_min: float = 12.0
    width: int = 640
    height: int = 480
    rest_s: float = 3.0               # leading stretch with no smile (calibration)
    noise: float = 1.5                # sensor noise, grey levels (std)

    def __post_init__(self) -> None:
        if self.synkinesis not in ("left", "right", "none"):
            raise ValueError("synkinesis must be 'left', 'right' or 'none'")
        if not (self.seconds > 0 and self.fps > 0):
            raise ValueError("seconds and fps must be positive")


@dataclass
class DemoTruth:
    """What was planted, per frame. Arrays have shape (n_frames,); eye values are
    closure fractions (0 open, 1 closed), smile is 0..1 of the full smile."""
    config: DemoConfig
    t: np.ndarray
    smile: np.ndarray
    blink: np.ndarray
    eye_planted: dict[str, np.ndarray] = field(default_factory=dict)
    head: np.ndarray | None = None      # (n, 4): dx px, dy px, rotation deg, scale

    def to_json(self) -> dict:
        return {"config": asdict(self.config), "t": self.t.round(5).tolist(),
                "smile": self.smile.round(5).tolist(), "blink": self.blink.round(5).tolist(),
                "eye_planted_left": self.eye_planted["left"].round(5).tolist(),
                "eye_planted_right": self.eye_planted["right"].round(5).tolist(),
                "head": self.head.round(5).tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "DemoTruth":
        return cls(config=DemoConfig(**d["config"]), t=np.asarray(d["t"]),
                   smile=np.asarray(d["smile"]), blink=np.asarray(d["blink"]),
                   eye_planted={"left": np.asarray(d["eye_planted_left"]),
                                "right": np.asarray(d["eye_planted_right"])},
                   head=np.asarray(d["head"]))


def _bursts(t: np.ndarray, events: list[tuple[float, float, float, float, float]]) -> np.ndarray:
    """Sum of raised-cosine bursts (start, rise, hold, fall, amplitude) evaluated at times t."""
    out = np.zeros_like(t)
    for start, rise, hold, fall, amp in events:
        x = t - start
        up = (x >= 0) & (x < rise)
        out[up] += amp * 0.5 * (1 - np.cos(np.pi * x[up] / rise))
        flat = (x >= rise) & (x < rise + hold)
        out[flat] += amp
        down = (x >= rise + hold) & (x < rise + hold + fall)
        out[down] += amp * 0.5 * (1 + np.cos(np.pi * (x[down] - rise - hold) / fall))
    return out


class DemoFace:
    """Renders frame i of a scripted face video; ``truth`` holds what was planted."""

    def __init__(self, config: DemoConfig | None = None):
        self.config = cfg = config or DemoConfig()
        rng = np.random.default_rng(cfg.seed)
        self._base, self._points = self._load_photo(cfg.width, cfg.height)
        n = int(round(cfg.seconds * cfg.fps))
        t = np.arange(n) / cfg.fps

        smiles, start = [], cfg.rest_s
        while start < cfg.seconds:
            rise, hold, fall = rng.uniform(0.4, 0.7), rng.uniform(0.8, 2.0), rng.uniform(0.4, 0.7)
            smiles.append((start, rise, hold, fall, rng.uniform(0.7, 1.0)))
            start += rise + hold + fall + rng.uniform(1.5, 3.5)
        blinks, start = [], 1.0 + rng.exponential(60.0 / cfg.blinks_per_min) if cfg.blinks_per_min > 0 else math.inf
        while start < cfg.seconds:
            blinks.append((start, 0.1, 0.05, 0.15, 0.85))
            start += 1.5 + rng.exponential(60.0 / cfg.blinks_per_min)
        self._smile_events = smiles
        smile = np.clip(_bursts(t, smiles), 0, 1)
        blink = np.clip(_bursts(t, blinks), 0, 1)
        planted = {s: np.zeros(n) for s in ("left", "right")}
        if cfg.synkinesis != "none":
            planted[cfg.synkinesis] = cfg.strength * np.clip(_bursts(t - cfg.delay_s, smiles), 0, 1)
        head = np.zeros((n, 4))
        head[:, 3] = 1.0
        if cfg.head_motion:
            ph = rng.uniform(0, 2 * np.pi, 4)
            head[:, 0] = 14 * np.sin(2 * np.pi * t / 7.3 + ph[0])
            head[:, 1] = 9 * np.sin(2 * np.pi * t / 5.1 + ph[1])
            head[:, 2] = 2.5 * np.sin(2 * np.pi * t / 9.7 + ph[2])
            head[:, 3] = 1 + 0.03 * np.sin(2 * np.pi * t / 6.3 + ph[3])
        self.truth = DemoTruth(cfg, t, smile, blink, planted, head)
        self.n_frames = n

        # Displacements are evaluated on a coarse grid (step 4) and interpolated: they are smooth.
        self._step = 4
        gx = np.arange(0, cfg.width, self._step) + (self._step - 1) / 2
        gy = np.arange(0, cfg.height, self._step) + (self._step - 1) / 2
        self._gx, self._gy = np.meshgrid(gx.astype(np.float32), gy.astype(np.float32))
        self._centre = np.mean([self._points[s]["corner"] for s in ("left", "right")]
                               + [self._points[s]["inner"] for s in ("left", "right")], axis=0)
        # Sensor-like noise, pre-applied to a few copies of the photo (cheaper than per frame,
        # and still a different pattern on consecutive frames, which is what jitters the model).
        noise_rng = np.random.default_rng(cfg.seed + 1)
        self._bases = [np.clip(self._base.astype(np.int16)
                               + noise_rng.normal(0, cfg.noise, (cfg.height, cfg.width, 1)).astype(np.int16),
                               0, 255).astype(np.uint8) for _ in range(7)] if cfg.noise > 0 else [self._base]

    @staticmethod
    def _load_photo(width: int, height: int):
        from skimage import data  # imported here: only the demo needs scikit-image
        photo = data.astronaut()
        x0, y0, w, h = _CROP
        crop = photo[y0:y0 + h, x0:x0 + w]
        sx, sy = width / w, height / h
        base = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)
        pts = {side: {k: np.array([(x - x0) * sx, (y - y0) * sy], dtype=np.float32)
                      for k, (x, y) in d.items()} for side, d in _PHOTO_POINTS.items()}
        return base, pts

    def _displacement(self, x: np.ndarray, y: np.ndarray, smile: float, eye: dict[str, float]):
        """Forward displacement (dx, dy) in pixels at base-image points (x, y)."""
        dx = np.zeros_like(x)
        dy = np.zeros_like(y)
        for side, lat in (("left", 1.0), ("right", -1.0)):
            p = self._points[side]
            width = abs(p["outer"][0] - p["inner"][0])
            ap = abs(p["lower_lid"][1] - p["upper_lid"][1])
            e = eye[side]
            if e > 0:
                for key, move, sx, sy in (("upper_lid", 0.7 * ap * e, 0.45 * width, 0.5 * ap),
                                          ("lower_lid", -0.3 * ap * e, 0.45 * width, 0.5 * ap)):
                    cx, cy = p[key]
                    g = np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))
                    dy += move * g
            if smile > 0:
                mouth = abs(self._points["left"]["corner"][0] - self._points["right"]["corner"][0])
                cx, cy = p["corner"]
                g = np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.21 * mouth) ** 2)
                dx += lat * 0.11 * mouth * smile * g
                dy -= 0.09 * mouth * smile * g
        return dx, dy

    def render(self, i: int) -> np.ndarray:
        """Frame i as an RGB uint8 array of shape (height, width, 3)."""
        cfg, tr = self.config, self.truth
        i = i % self.n_frames
        eye = {s: 1 - (1 - tr.blink[i]) * (1 - tr.eye_planted[s][i]) for s in ("left", "right")}
        hdx, hdy, rot, scale = tr.head[i]
        # Inverse head motion: output pixel -> point of the (expression-warped) face.
        c = self._centre
        th = np.deg2rad(rot)
        px, py = self._gx - c[0] - hdx, self._gy - c[1] - hdy
        qx = (np.cos(th) * px + np.sin(th) * py) / scale + c[0]
        qy = (-np.sin(th) * px + np.cos(th) * py) / scale + c[1]
        # Invert the expression warp x + D(x) = q by fixed-point iteration (D is smooth, small).
        sx, sy = qx, qy
        for _ in range(3):
            dx, dy = self._displacement(sx, sy, tr.smile[i], eye)
            sx, sy = qx - dx, qy - dy
        map_x = cv2.resize(sx.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        map_y = cv2.resize(sy.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        return cv2.remap(self._bases[i % len(self._bases)], map_x, map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)


def write_demo_video(path: str | Path, config: DemoConfig) -> DemoTruth:
    """Write the demo face as an mp4 and its ground truth beside it as ``<name>.truth.json``."""
    path = Path(path)
    demo = DemoFace(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), config.fps,
                             (config.width, config.height))
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}: check the folder exists and is writable")
    try:
        for i in range(demo.n_frames):
            writer.write(cv2.cvtColor(demo.render(i), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    truth_path = path.with_suffix(".truth.json")
    truth_path.write_text(json.dumps(demo.truth.to_json()))
    return demo.truth
