"""A built-in demo face: a real photograph animated by image warping.

The photograph is scikit-image's ``astronaut()`` (public domain, shipped in the wheel).
Voluntary movements (smiles, puckers, brow raises), spontaneous blinks, head motion and one
optional planted synkinesis pattern are drawn as smooth displacement fields (and, for the chin
and neck, as skin-texture changes), so the true movement of every region is known exactly.
That makes it both a demo without a patient and the project's own ground truth for tests.

Patterns (``DemoConfig.pattern``; the response appears only on the ``synkinesis`` side, after
``delay_s``, with the driver's time course):

- ``smile-eye`` (default): smiles; the eye narrows by ``strength`` of its open fissure.
- ``blink-mouth``: rest with spontaneous blinks; each blink lifts the mouth corner by
  ``strength`` mm.
- ``pucker-brow-down``: puckers (mouth corners move medially); each pulls the brow down by
  ``strength`` mm.
- ``brow-neck``: brow raises; each brings out platysma bands (vertical ridges of contrast
  ``strength``) in the skin below the jaw line. The 640x480 crop shows a strip of neck, about
  25 mm tall, between the jaw and the collar of the suit; the bands are drawn there.
- ``pucker-chin``: puckers; each dimples the chin skin (mentalis "orange peel": fine bumps of
  contrast ``strength``) on that half of the chin, without moving any landmark.

A facial palsy on the ``affected`` side: ``rest_droop`` (0..1) makes that side droop at rest in
proportion (mouth corner lower and a little towards the midline, cheek lower, eye wider open,
brow lower; 1 is a clearly visible palsy, ``DROOP`` gives the sizes) and ``movement`` (0..1) scales
that side's voluntary movements (and its blinks) to a fraction of the healthy side's. Planted
synkinesis responses are involuntary and not scaled.

Protocol: by default the pattern's driver moves in random bursts. Given a ``timeline`` (the
format of ``realtime/clinical``: ``{"task", "rep", "start_s", "end_s", "phase"}``), the face
performs it instead: each task's hold is the movement ``TASK_MOVES`` names (the weekly test's
tasks and the guided assessment's), a task it does not know (rest) is a still face.

Millimetres: the photo's inter-ocular distance (iris centre to iris centre) is ``IOD_MM``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from realtime.signals.units import IOD_MM

# Crop of the 512x512 photo around the face (x0, y0, width, height); 4:3 like a webcam.
_CROP = (105, 35, 240, 180)
# Anatomical points of the neutral photo in its own pixel coordinates, measured once with the
# face model (landmarks 386/374/362/263, 159/145/133/33, 291, 61; iris 473/468; brow, chin and
# jaw-line groups of realtime/landmarks.py). Subject's left = image right.
_PHOTO_POINTS = {
    "left": {"upper_lid": (248.08, 100.20), "lower_lid": (245.89, 106.51),
             "inner": (236.41, 104.92), "outer": (255.32, 103.79), "corner": (244.49, 140.55),
             "iris": (246.69, 103.55), "brow": (252.73, 91.29), "chin": (234.51, 174.76),
             "cheek": (257.2, 122.1), "upper_lip": (229.9, 140.2), "lower_lip": (229.1, 154.9)},
    "right": {"upper_lid": (202.57, 97.82), "lower_lid": (204.20, 104.18),
              "inner": (213.59, 103.62), "outer": (195.28, 100.58), "corner": (202.28, 139.17),
              "iris": (203.59, 101.56), "brow": (199.75, 88.96), "chin": (208.60, 173.36),
              "cheek": (192.4, 118.9), "upper_lip": (217.5, 139.8), "lower_lip": (216.6, 154.4)},
}
# (cheek: malar landmarks 280/425/346 and 50/205/117; lips: 267/314 and 37/84.)
# The brows' upper edge (brow landmarks 300/293/334/296/336 and 70/63/105/66/107) and lower edge
# (276/283/282/295/285 and 46/53/52/65/55), photo px, from the lateral end to the medial one. The
# brow arches: its lateral end lies 3.6 px below the upper edge's mean height.
_BROW_EDGES = {"left": ([(264.6, 94.9), (261.0, 91.6), (254.9, 89.6), (246.6, 89.7), (236.6, 90.6)],
                        [(262.3, 96.8), (258.8, 94.0), (253.3, 92.6), (245.6, 92.8), (235.0, 95.6)]),
               "right": ([(187.9, 91.2), (191.7, 88.4), (197.8, 87.1), (205.9, 88.2), (215.5, 90.0)],
                         [(189.9, 93.4), (193.6, 91.1), (199.0, 90.4), (206.5, 91.4), (216.6, 95.2)])}
# Jaw line from the ear towards the chin (face-oval landmarks 361..400 and 132..148), photo px.
_JAW = {"left": [(268.3, 133.5), (265.4, 144.1), (261.1, 153.0), (256.2, 159.7), (249.7, 166.0),
                 (244.0, 170.8), (237.9, 175.0), (230.5, 178.0)],
        "right": [(181.1, 129.1), (182.7, 140.0), (185.8, 149.2), (189.7, 156.3), (195.2, 163.2),
                  (200.0, 168.4), (205.3, 173.3), (212.1, 177.0)]}
_NOISE_PAD = 64             # px: the noise field's margin, from which each frame's window is cut
_MIDLINE_X = 222.0          # photo px: chin (152) and lower lip (17) lie on it
_LOWER_LIP_Y = 152.0        # photo px, lower-lip landmarks

# Full voluntary movements (driver = 1), in inter-ocular distances: a pucker moves each mouth
# corner medially by ~6 mm, a brow raise lifts the brow by ~4 mm.
PUCKER_IOD = 0.10
BROW_RAISE_IOD = 0.065
# Showing the teeth: the lips part (lower lip down, upper lip up) and the corners go out.
TEETH_MM = {"lower_lip_down": 4.0, "upper_lip_up": 1.5, "corner_lateral": 2.5}
# Puffing the cheeks: each cheek bulges out below the malar eminence; the lips press shut.
PUFF_MM = {"cheek_out": 4.0, "corner_medial": 1.0}
GENTLE_CLOSURE = 0.9        # fraction of the fissure a gentle voluntary eye closure closes
# Resting droop of a palsied side at rest_droop = 1 (a clearly visible palsy): mouth corner down
# and towards the midline, the malar cheek lower (a flatter cheek and nasolabial fold), the
# lower lid sagging and the upper lid a little up (the eye wider open), the brow lower.
DROOP = {"corner_down_mm": 4.0, "corner_medial_mm": 1.0, "cheek_down_mm": 1.5,
         "brow_down_mm": 3.0, "fissure_widening": 0.25}
# The movement each task of a timeline asks for (weekly test and guided assessment keys).
TASK_MOVES = {"brow_raise": "brow_raise", "eye_closure_gentle": "eye_closure", "eye_gentle": "eye_closure",
              "eye_tight": "eye_closure", "smile": "smile", "smile_open": "smile", "smile_closed": "smile",
              "pucker": "pucker", "show_teeth": "show_teeth", "eee": "show_teeth", "cheek_puff": "cheek_puff"}
VOLUNTARY = ("smile", "pucker", "brow_raise", "eye_closure", "show_teeth", "cheek_puff")


@dataclass(frozen=True)
class Pattern:
    """One synkinesis pattern the demo face can plant. ``sign`` is the planted response's sign
    in the product's signal convention (features.py: brow_raise up +, smile corner up/out +,
    eye_closure narrowing +); ``signal``: the frames.csv signal that shows it (None: no signal
    measures it yet)."""
    driver: str          # "smile", "blink", "pucker" or "brow_raise"
    response: str        # what moves: eye_closure, corner_height, brow_height, neck_bands, chin_dimpling
    signal: str | None
    sign: int
    direction: str       # anatomical wording of the sign
    unit: str            # unit of strength and of the truth trace
    strength: float      # default size
    delay_s: float       # default delay


PATTERNS = {
    "smile-eye": Pattern("smile", "eye_closure", "eye_closure", 1, "narrowing", "fraction of fissure", 0.5, 0.15),
    "blink-mouth": Pattern("blink", "corner_height", "smile", 1, "up", "mm", 2.0, 0.08),
    "pucker-brow-down": Pattern("pucker", "brow_height", "brow_raise", -1, "down", "mm", 3.0, 0.1),
    "brow-neck": Pattern("brow_raise", "neck_bands", "neck_bands", 1, "bands", "contrast", 0.15, 0.1),
    "pucker-chin": Pattern("pucker", "chin_dimpling", "chin_dimpling", 1, "dimpling", "contrast", 0.2, 0.1),
}


@dataclass
class DemoConfig:
    seconds: float = 30.0
    fps: float = 30.0
    seed: int = 0
    synkinesis: str = "none"          # "left", "right" or "none": the subject's side
    strength: float | None = None     # planted size in the pattern's unit; None: its default
    delay_s: float | None = None      # planted response follows its driver by this much (s)
    head_motion: bool = False
    blinks_per_min: float = 12.0
    width: int = 640
    height: int = 480
    rest_s: float = 3.0               # leading stretch with no voluntary movement (calibration)
    noise: float = 1.5                # sensor noise, grey levels (std)
    pattern: str = "smile-eye"        # one of PATTERNS
    affected: str = "left"            # the palsy's side (subject's): rest_droop and movement apply there
    rest_droop: float = 0.0           # 0..1: that side's droop at rest (1: clearly visible, see DROOP)
    movement: float = 1.0             # 0..1: that side's voluntary movement, fraction of the healthy side's
    protocol: str = "bursts"          # "bursts" (the pattern's driver at random), or the name of ``timeline``
    timeline: list | None = None      # tasks to perform instead of bursts (realtime/clinical format)

    def __post_init__(self) -> None:
        if self.affected not in ("left", "right"):
            raise ValueError("affected must be 'left' or 'right'")
        for name in ("rest_droop", "movement"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1):
                raise ValueError(f"{name.replace('_', '-')} must be a number from 0 to 1")
        if (self.timeline is None) != (self.protocol == "bursts"):
            raise ValueError("a protocol other than 'bursts' needs its timeline (and a timeline its name)")
        if self.pattern not in PATTERNS:
            raise ValueError(f"pattern must be one of {', '.join(PATTERNS)}")
        if self.synkinesis not in ("left", "right", "none"):
            raise ValueError("synkinesis must be 'left', 'right' or 'none'")
        if not (self.seconds > 0 and self.fps > 0):
            raise ValueError("seconds and fps must be positive")
        if not (math.isfinite(self.blinks_per_min) and self.blinks_per_min >= 0):
            raise ValueError("blinks per minute must be a number >= 0")
        spec = PATTERNS[self.pattern]
        if self.strength is None:
            self.strength = spec.strength
        if self.delay_s is None:
            self.delay_s = spec.delay_s
        if not (math.isfinite(self.strength) and self.strength >= 0):
            raise ValueError("strength must be a number >= 0")
        if spec.unit != "mm" and self.strength > 1:
            raise ValueError(f"strength of {self.pattern} is a {spec.unit} from 0 to 1")
        if not (math.isfinite(self.delay_s) and self.delay_s >= 0):
            raise ValueError("delay must be a number of seconds >= 0")


@dataclass
class PlantedResponse:
    """One planted involuntary response. ``trace`` (n_frames,) is signed in the product's
    signal convention (see ``Pattern``) and given in ``unit``; ``size`` is its peak magnitude
    in ``unit`` with a full driver movement (each response scales with its own driver
    movement, 0.7-1 of full for voluntary ones, 1 for blinks) and ``size_mm`` the same in mm
    where it is a movement."""
    driver: str
    response: str
    signal: str | None
    side: str
    sign: int
    direction: str
    unit: str
    size: float
    size_mm: float | None
    delay_s: float
    trace: np.ndarray

    def to_json(self) -> dict:
        d = asdict(self)
        d["trace"] = self.trace.round(5).tolist()
        return d

    @classmethod
    def from_json(cls, d: dict) -> "PlantedResponse":
        return cls(**{**d, "trace": np.asarray(d["trace"], dtype=float)})


@dataclass
class DemoTruth:
    """What was planted, per frame. Arrays have shape (n_frames,); eye values are
    closure fractions (0 open, 1 closed); smile, pucker, brow_raise, eye_closure (voluntary),
    show_teeth and cheek_puff are 0..1 of the full voluntary movement of the healthy side
    (``driver_mm`` gives the full movements in mm; the affected side moves ``config.movement`` of
    it); blink is the eyelid closure of the blink (peak 0.85). ``palsy``: the affected side, its
    settings and the resting droop they drew, in mm (and the eye's widening as a fraction of its
    fissure)."""
    config: DemoConfig
    t: np.ndarray
    smile: np.ndarray
    blink: np.ndarray
    eye_planted: dict[str, np.ndarray] = field(default_factory=dict)
    head: np.ndarray | None = None      # (n, 4): dx px, dy px, rotation deg, scale
    pucker: np.ndarray | None = None
    brow_raise: np.ndarray | None = None
    responses: list[PlantedResponse] = field(default_factory=list)
    driver_mm: dict[str, float] = field(default_factory=dict)
    px_per_mm: float = float("nan")     # at the video's size, neutral face
    eye_closure: np.ndarray | None = None
    show_teeth: np.ndarray | None = None
    cheek_puff: np.ndarray | None = None
    palsy: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        n = len(self.t)
        zeros = np.zeros(n)
        later = {k: (zeros if getattr(self, k) is None else getattr(self, k)).round(5).tolist()
                 for k in ("eye_closure", "show_teeth", "cheek_puff")}
        return {"config": asdict(self.config), "t": self.t.round(5).tolist(),
                "smile": self.smile.round(5).tolist(), "blink": self.blink.round(5).tolist(),
                "eye_planted_left": self.eye_planted["left"].round(5).tolist(),
                "eye_planted_right": self.eye_planted["right"].round(5).tolist(),
                "head": self.head.round(5).tolist(),
                "pucker": (zeros if self.pucker is None else self.pucker).round(5).tolist(),
                "brow_raise": (zeros if self.brow_raise is None else self.brow_raise).round(5).tolist(),
                "responses": [r.to_json() for r in self.responses],
                "driver_mm": {k: round(float(v), 4) for k, v in self.driver_mm.items()},
                "px_per_mm": round(float(self.px_per_mm), 5), **later, "palsy": self.palsy}

    @classmethod
    def from_json(cls, d: dict) -> "DemoTruth":
        # Truth files written before the patterns existed lack the later keys.
        n = len(d["t"])
        return cls(config=DemoConfig(**d["config"]), t=np.asarray(d["t"]),
                   smile=np.asarray(d["smile"]), blink=np.asarray(d["blink"]),
                   eye_planted={"left": np.asarray(d["eye_planted_left"]),
                                "right": np.asarray(d["eye_planted_right"])},
                   head=np.asarray(d["head"]),
                   pucker=np.asarray(d.get("pucker", np.zeros(n))),
                   brow_raise=np.asarray(d.get("brow_raise", np.zeros(n))),
                   responses=[PlantedResponse.from_json(r) for r in d.get("responses", [])],
                   driver_mm=d.get("driver_mm", {}), px_per_mm=d.get("px_per_mm", float("nan")),
                   **{k: np.asarray(d.get(k, np.zeros(n))) for k in ("eye_closure", "show_teeth", "cheek_puff")},
                   palsy=d.get("palsy", {}))

    def driver(self, name: str) -> np.ndarray:
        """A driver's trace (n_frames,) by name: blink or one of ``VOLUNTARY``."""
        return {"smile": self.smile, "blink": self.blink, "pucker": self.pucker,
                "brow_raise": self.brow_raise, "eye_closure": self.eye_closure,
                "show_teeth": self.show_teeth, "cheek_puff": self.cheek_puff}[name]


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


def _performed(timeline: list[dict], rng: np.random.Generator) -> dict[str, list[tuple]]:
    """Bursts (start, rise, hold, fall, amplitude) per voluntary movement for the holds of a
    timeline: each starts after a reaction time, is held to the end of the hold and let go in
    the relaxation after it (a test-shortened hold shortens the reaction and the rise too)."""
    out: dict[str, list[tuple]] = {}
    for e in timeline:
        move = TASK_MOVES.get(e["task"])
        if move is None or e.get("phase", "hold") != "hold":
            continue
        length = float(e["end_s"]) - float(e["start_s"])
        react, rise, fall = min(0.3, 0.1 * length), min(0.5, 0.15 * length), min(0.5, 0.15 * length)
        out.setdefault(move, []).append((float(e["start_s"]) + react, rise, max(0.0, length - react - rise),
                                         fall, rng.uniform(0.85, 1.0)))
    return out


def _smooth_mask(shape: tuple[int, int], polygon: np.ndarray, blur_px: float) -> np.ndarray:
    """A filled polygon (image px) with soft edges, float32 0..1."""
    m = np.zeros(shape, np.float32)
    cv2.fillPoly(m, [np.round(polygon).astype(np.int32)], 1.0)
    k = int(2 * round(2 * blur_px) + 1)
    return cv2.GaussianBlur(m, (k, k), blur_px)


class DemoFace:
    """Renders frame i of a scripted face video; ``truth`` holds what was planted."""

    def __init__(self, config: DemoConfig | None = None):
        self.config = cfg = config or DemoConfig()
        spec = PATTERNS[cfg.pattern]
        rng = np.random.default_rng(cfg.seed)
        self._base, self._points, self._scale = self._load_photo(cfg.width, cfg.height)
        n = int(round(cfg.seconds * cfg.fps))
        t = np.arange(n) / cfg.fps

        # The voluntary movements are drawn first and blinks after, from one generator, so a
        # seed gives the same timeline (and the same smile-eye video as before patterns existed).
        moves, start = [], cfg.rest_s
        performed = _performed(cfg.timeline, rng) if cfg.timeline is not None else {}
        while cfg.timeline is None and start < cfg.seconds:
            rise, hold, fall = rng.uniform(0.4, 0.7), rng.uniform(0.8, 2.0), rng.uniform(0.4, 0.7)
            moves.append((start, rise, hold, fall, rng.uniform(0.7, 1.0)))
            start += rise + hold + fall + rng.uniform(1.5, 3.5)
        if cfg.timeline is not None:     # the pattern's response follows its driver's holds
            moves = performed.get(spec.driver, [])
        blinks, start = [], 1.0 + rng.exponential(60.0 / cfg.blinks_per_min) if cfg.blinks_per_min > 0 else math.inf
        while start < cfg.seconds:
            blinks.append((start, 0.1, 0.05, 0.15, 0.85))
            start += 1.5 + rng.exponential(60.0 / cfg.blinks_per_min)
        voluntary = np.clip(_bursts(t, moves), 0, 1)
        drivers = {k: np.zeros(n) for k in VOLUNTARY}
        if spec.driver in drivers:
            drivers[spec.driver] = voluntary
        for move, events in performed.items():
            drivers[move] = np.clip(_bursts(t, events), 0, 1)
        self._smile_events = moves if spec.driver == "smile" else []
        blink = np.clip(_bursts(t, blinks), 0, 1)

        # The response has its driver's time course, shifted by the delay, peak = strength.
        if spec.driver == "blink":
            shape = np.clip(_bursts(t - cfg.delay_s, [b[:4] + (1.0,) for b in blinks]), 0, 1)
        else:
            shape = np.clip(_bursts(t - cfg.delay_s, moves), 0, 1)
        planted = {s: np.zeros(n) for s in ("left", "right")}
        self._response = {s: np.zeros(n) for s in ("left", "right")}   # in the pattern's unit, unsigned
        responses = []
        iod_px = float(np.linalg.norm(self._points["left"]["iris"] - self._points["right"]["iris"]))
        self.px_per_mm = iod_px / IOD_MM
        if cfg.synkinesis != "none":
            trace = cfg.strength * shape
            if spec.response == "eye_closure":
                planted[cfg.synkinesis] = trace
            self._response[cfg.synkinesis] = trace
            size_mm = cfg.strength if spec.unit == "mm" else None
            if spec.response == "eye_closure":   # of the open fissure, in mm
                p = self._points[cfg.synkinesis]
                size_mm = cfg.strength * abs(p["lower_lid"][1] - p["upper_lid"][1]) / self.px_per_mm
            responses.append(PlantedResponse(spec.driver, spec.response, spec.signal, cfg.synkinesis,
                                              spec.sign, spec.direction, spec.unit, float(cfg.strength),
                                              None if size_mm is None else float(size_mm),
                                              float(cfg.delay_s), spec.sign * trace))
        head = np.zeros((n, 4))
        head[:, 3] = 1.0
        if cfg.head_motion:
            ph = rng.uniform(0, 2 * np.pi, 4)
            head[:, 0] = 14 * np.sin(2 * np.pi * t / 7.3 + ph[0])
            head[:, 1] = 9 * np.sin(2 * np.pi * t / 5.1 + ph[1])
            head[:, 2] = 2.5 * np.sin(2 * np.pi * t / 9.7 + ph[2])
            head[:, 3] = 1 + 0.03 * np.sin(2 * np.pi * t / 6.3 + ph[3])
        mouth_px = float(abs(self._points["left"]["corner"][0] - self._points["right"]["corner"][0]))
        driver_mm = {"smile_lateral": 0.11 * mouth_px / self.px_per_mm, "smile_up": 0.09 * mouth_px / self.px_per_mm,
                     "pucker_medial": PUCKER_IOD * IOD_MM, "brow_raise_up": BROW_RAISE_IOD * IOD_MM}
        driver_mm.update({"eye_closure_fraction": GENTLE_CLOSURE, **{f"show_teeth_{k}": v for k, v in TEETH_MM.items()},
                          **{f"cheek_puff_{k}": v for k, v in PUFF_MM.items()}})
        palsy = {"affected": cfg.affected, "rest_droop": cfg.rest_droop, "movement": cfg.movement,
                 **{k: round(cfg.rest_droop * v, 4) for k, v in DROOP.items()}}
        self.truth = DemoTruth(cfg, t, drivers["smile"], blink, planted, head, drivers["pucker"],
                               drivers["brow_raise"], responses, driver_mm, self.px_per_mm,
                               drivers["eye_closure"], drivers["show_teeth"], drivers["cheek_puff"], palsy)
        self.n_frames = n

        # Displacements are evaluated on a coarse grid (step 4) and interpolated: they are smooth.
        self._step = 4
        gx = np.arange(0, cfg.width, self._step) + (self._step - 1) / 2
        gy = np.arange(0, cfg.height, self._step) + (self._step - 1) / 2
        self._gx, self._gy = np.meshgrid(gx.astype(np.float32), gy.astype(np.float32))
        # Per side, (n, 2) image px sorted by x: the brow's upper and lower edge, and the upper
        # lid's margin from corner to corner (which the brow's movement must not reach).
        self._brow_lines = {}
        for side, (upper, lower) in _BROW_EDGES.items():
            p = self._points[side]
            lid = np.stack([p["inner"], p["upper_lid"], p["outer"]])
            self._brow_lines[side] = tuple(line[np.argsort(line[:, 0])].astype(np.float64)
                                           for line in (self._to_image(upper), self._to_image(lower), lid))
        self._centre = np.mean([self._points[s]["corner"] for s in ("left", "right")]
                               + [self._points[s]["inner"] for s in ("left", "right")], axis=0)
        if cfg.rest_droop > 0:
            # The droop is in every frame: drawn into the photo once (4x cheaper frames than a
            # droop field evaluated in every frame's warp); the movements then act on that face.
            self._base = self._drooped(self._base)
        # Sensor-like noise, a different pattern in every frame: a window of one larger noise
        # field at a random offset per frame (cheaper than drawing it per frame). Not a few
        # copies in turn: the skin texture's contrast differs a little between copies, and 7 of
        # them in a cycle put a 0.23 s rhythm of +-3.5 % into the chin texture, which shifted the
        # lag of a half-strength chin dimpling by 1.8 frames.
        noise_rng = np.random.default_rng(cfg.seed + 1)
        self._base16 = self._base.astype(np.int16)
        if cfg.noise > 0:
            pad = _NOISE_PAD
            self._noise = noise_rng.normal(0, cfg.noise, (cfg.height + pad, cfg.width + pad, 1)).astype(np.int16)
            self._noise_at = noise_rng.integers(0, pad + 1, (n, 2))
        else:
            self._noise = None
        self._texture = self._texture_map(spec.response) if spec.unit == "contrast" else None
        if self._texture is not None:   # only the box where the skin changes is touched per frame
            ys, xs = np.nonzero(np.abs(self._texture["left"]) + np.abs(self._texture["right"]) > 1e-3)
            self._texture_box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
            self._texture = {k: v[self._texture_box] for k, v in self._texture.items()}

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
        return base, pts, np.array([sx, sy])

    def _to_image(self, pts) -> np.ndarray:
        x0, y0 = _CROP[:2]
        return (np.asarray(pts, dtype=np.float64) - (x0, y0)) * self._scale

    def _texture_map(self, response: str) -> dict[str, np.ndarray]:
        """Per side, the skin-texture change of a full response in base-image pixels: a float32
        (height, width) map t, the frame's luminance being multiplied by 1 + amount * t."""
        cfg = self.config
        h, w = cfg.height, cfg.width
        s = float(self._scale[0])
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        mid_x = float(self._to_image([(_MIDLINE_X, 0)])[0, 0])
        out = {}
        if response == "neck_bands":
            # Platysma bands: near-vertical cords ~8 mm apart in the neck skin below the jaw,
            # medial to the jaw angle (lateral to it the crop shows the suit and background).
            period = 8.0 * self.px_per_mm
            r, g, b = (self._base[..., k].astype(np.float32) for k in range(3))
            skin = cv2.GaussianBlur(((r - b > 35) & (r > 110) & (r > g)).astype(np.float32), (0, 0), 1.5 * s)
            for side, lat in (("left", 1.0), ("right", -1.0)):
                jaw = self._to_image(_JAW[side][3:])          # from below the jaw angle to the chin
                poly = np.concatenate([jaw, (jaw + (0, 30 * s))[::-1]])
                mask = _smooth_mask((h, w), poly, 2 * s) * skin
                # The cords fan out from under the chin towards the collar bone: slightly oblique.
                phase = 2 * np.pi * (xx - lat * 0.25 * (yy - jaw[-1, 1])) / period
                out[side] = (mask * np.cos(phase)).astype(np.float32)
        else:
            # Mentalis "orange peel": band-passed noise (bumps ~2 mm across) on one half of the chin.
            rng = np.random.default_rng(cfg.seed + 2)
            noise = rng.normal(0, 1, (h, w)).astype(np.float32)
            bump = 1.5 * self.px_per_mm / 2.355            # 1.5 mm full width at half height
            tex = cv2.GaussianBlur(noise, (0, 0), bump) - cv2.GaussianBlur(noise, (0, 0), 2.5 * bump)
            tex = np.clip(tex / tex.std(), -2, 2) / 2     # -1..1: strength is the peak contrast
            for side, lat in (("left", 1.0), ("right", -1.0)):
                # The chin boss: between the lower lip and the chin tip, beside the midline.
                chin = self._to_image([_PHOTO_POINTS[side]["chin"]])[0]
                cx = (chin[0] + mid_x) / 2
                cy = (float(self._to_image([(0, _LOWER_LIP_Y)])[0, 1]) + chin[1]) / 2 + 2 * s
                g = np.exp(-0.5 * (((xx - cx) / (6.0 * s)) ** 2 + ((yy - cy) / (5.0 * s)) ** 2))
                half = 1 / (1 + np.exp(np.clip(-lat * (xx - mid_x) / (0.8 * s), -50, 50)))   # this side of the midline only
                out[side] = (g * half * tex).astype(np.float32)
        return out

    def _displacement(self, x: np.ndarray, y: np.ndarray, smile, eye: dict[str, float],
                      pucker=0.0, brow_up: dict | None = None, corner_up: dict | None = None,
                      teeth: dict | None = None, puff: dict | None = None, droop: dict | None = None):
        """Forward displacement (dx, dy) in pixels at base-image points (x, y). smile and pucker:
        0..1, the same on both sides or per side; brow_up and corner_up: per side, px (positive
        up); teeth, puff (0..1) and droop (0..1 of ``DROOP``): per side."""
        dx = np.zeros_like(x)
        dy = np.zeros_like(y)
        mouth = abs(self._points["left"]["corner"][0] - self._points["right"]["corner"][0])
        iod = self.px_per_mm * IOD_MM
        mm = self.px_per_mm
        both_smile, both_pucker = smile, pucker
        for side, lat in (("left", 1.0), ("right", -1.0)):
            smile = both_smile[side] if isinstance(both_smile, dict) else both_smile
            pucker = both_pucker[side] if isinstance(both_pucker, dict) else both_pucker
            p = self._points[side]
            width = abs(p["outer"][0] - p["inner"][0])
            ap = abs(p["lower_lid"][1] - p["upper_lid"][1])
            e = eye[side]
            if e > 0:
                # The lids are hinged at the canthi: each moves in proportion to the eye's local
                # opening, fully at the middle, not at all at and beyond the corners. (A bell
                # that reached past them moved the canthi by half the lid's travel and the nasal
                # root beside them, the registration's anchor: every blink shifted the registered
                # mouth corners by 0.4-0.6 mm.)
                mid = (p["inner"][0] + p["outer"][0]) / 2
                hinge = np.clip(1 - ((x - mid) / (width / 2)) ** 2, 0, None)
                for key, move in (("upper_lid", 0.7 * ap * e), ("lower_lid", -0.3 * ap * e)):
                    cy = p[key][1]
                    dy += move * hinge * np.exp(-0.5 * ((y - cy) / (0.5 * ap)) ** 2)
            up = (corner_up or {}).get(side, 0.0)
            if smile > 0 or pucker > 0 or up != 0:
                cx, cy = p["corner"]
                g = np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.21 * mouth) ** 2)
                if smile > 0:
                    dx += lat * 0.11 * mouth * smile * g
                    dy -= 0.09 * mouth * smile * g
                if pucker > 0:
                    dx -= lat * PUCKER_IOD * iod * pucker * g
                if up != 0:
                    dy -= up * g
            b = (brow_up or {}).get(side, 0.0)
            if b != 0:
                # The brow moves as a whole: every point between its upper and lower edge, along
                # its arch and out to both ends, by the planted amount. The forehead skin above
                # follows over a long reach; the upper-lid skin below folds over a short one, so
                # that the lid margin and the eye corners stay where they are.
                upper, lower, lid = self._brow_lines[side]
                y_up, y_lo, y_lid = (np.interp(x, line[:, 0], line[:, 1]) for line in (upper, lower, lid))
                reach_up = 2.0 * (p["upper_lid"][1] - p["brow"][1])
                above = np.maximum(y_up - y, 0.0) / reach_up
                below = np.maximum(y - y_lo, 0.0) / (0.25 * np.maximum(y_lid - y_lo, 1.0))
                # Beyond its ends: laterally over 0.15 of its length, medially within a few pixels
                # (the nasal root between the brows is the registration's anchor, and no brow
                # movement may reach it).
                length = upper[-1, 0] - upper[0, 0]
                lateral, medial = (x - upper[-1, 0], upper[0, 0] - x) if side == "left" else (upper[0, 0] - x, x - upper[-1, 0])
                beyond = (np.maximum(lateral, 0.0) / (0.15 * length) + np.maximum(medial, 0.0) / (0.03 * length))
                dy -= b * np.exp(-0.5 * (above ** 2 + below ** 2 + beyond ** 2))
            th, pf, dr = ((d or {}).get(side, 0.0) for d in (teeth, puff, droop))
            if th or pf or dr:
                cx, cy = p["corner"]
                g = np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.21 * mouth) ** 2)
                dx += lat * mm * (TEETH_MM["corner_lateral"] * th - PUFF_MM["corner_medial"] * pf
                                  - DROOP["corner_medial_mm"] * dr) * g
                dy += mm * DROOP["corner_down_mm"] * dr * g
            if th:
                for key, move in (("lower_lip", TEETH_MM["lower_lip_down"]), ("upper_lip", -TEETH_MM["upper_lip_up"])):
                    cx, cy = p[key]
                    dy += mm * move * th * np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.15 * mouth) ** 2)
            if pf:
                # Between the mouth corner and the malar cheek: the bulge seen from the front.
                cx, cy = p["corner"][0] + lat * 0.3 * mouth, p["corner"][1] - 0.15 * mouth
                dx += lat * mm * PUFF_MM["cheek_out"] * pf * np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.3 * mouth) ** 2)
            if dr:
                cx, cy = p["cheek"]
                dy += mm * DROOP["cheek_down_mm"] * dr * np.exp(-0.5 * ((x - cx) ** 2 + (y - cy) ** 2) / (0.35 * mouth) ** 2)
                # The eye opens wider: the lower lid sags (most of it), the upper lid lifts a little.
                width = abs(p["outer"][0] - p["inner"][0])
                ap = abs(p["lower_lid"][1] - p["upper_lid"][1])
                for key, move in (("upper_lid", -0.2), ("lower_lid", 0.8)):
                    cx, cy = p[key]
                    g = np.exp(-0.5 * (((x - cx) / (0.45 * width)) ** 2 + ((y - cy) / (0.5 * ap)) ** 2))
                    dy += move * DROOP["fissure_widening"] * ap * dr * g
        return dx, dy

    def _drooped(self, base: np.ndarray) -> np.ndarray:
        """The photo with the affected side's resting droop (``DROOP`` x ``rest_droop``)."""
        cfg = self.config
        brow = {cfg.affected: -cfg.rest_droop * DROOP["brow_down_mm"] * self.px_per_mm}
        shut = {"left": 0.0, "right": 0.0}
        sx, sy = self._gx, self._gy
        for _ in range(8):    # inverts x + D(x) = q, as in render
            dx, dy = self._displacement(sx, sy, 0.0, shut, 0.0, brow, droop={cfg.affected: cfg.rest_droop})
            sx, sy = self._gx - dx, self._gy - dy
        map_x = cv2.resize(sx.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        map_y = cv2.resize(sy.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        return cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def render(self, i: int) -> np.ndarray:
        """Frame i as an RGB uint8 array of shape (height, width, 3)."""
        cfg, tr = self.config, self.truth
        spec = PATTERNS[cfg.pattern]
        i = i % self.n_frames
        # The affected side moves a fraction of the healthy side's movement (1.0 x: unchanged).
        m = {s: cfg.movement if s == cfg.affected else 1.0 for s in ("left", "right")}
        eye = {s: 1 - (1 - m[s] * tr.blink[i]) * (1 - tr.eye_planted[s][i])
               * (1 - m[s] * GENTLE_CLOSURE * tr.eye_closure[i]) for s in ("left", "right")}
        brow_px = BROW_RAISE_IOD * IOD_MM * self.px_per_mm * tr.brow_raise[i]
        brow_up = {s: m[s] * brow_px for s in ("left", "right")}
        smile = {s: m[s] * tr.smile[i] for s in ("left", "right")}
        pucker = {s: m[s] * tr.pucker[i] for s in ("left", "right")}
        teeth = {s: m[s] * tr.show_teeth[i] for s in ("left", "right")}
        puff = {s: m[s] * tr.cheek_puff[i] for s in ("left", "right")}
        corner_up = {}
        if spec.response == "brow_height":
            for s in brow_up:
                brow_up[s] += spec.sign * self._response[s][i] * self.px_per_mm
        elif spec.response == "corner_height":
            corner_up = {s: spec.sign * self._response[s][i] * self.px_per_mm for s in ("left", "right")}
        moving = (tr.pucker[i] > 0 or any(v != 0 for v in brow_up.values()) or corner_up
                  or tr.show_teeth[i] > 0 or tr.cheek_puff[i] > 0)
        hdx, hdy, rot, scale = tr.head[i]
        # Inverse head motion: output pixel -> point of the (expression-warped) face.
        c = self._centre
        th = np.deg2rad(rot)
        px, py = self._gx - c[0] - hdx, self._gy - c[1] - hdy
        qx = (np.cos(th) * px + np.sin(th) * py) / scale + c[0]
        qy = (-np.sin(th) * px + np.cos(th) * py) / scale + c[1]
        # Invert the expression warp x + D(x) = q by fixed-point iteration (D is smooth, small;
        # the brow and pucker fields are steeper and get more iterations).
        sx, sy = qx, qy
        for _ in range(6 if moving else 3):
            dx, dy = self._displacement(sx, sy, smile, eye, pucker, brow_up, corner_up, teeth, puff)
            sx, sy = qx - dx, qy - dy
        map_x = cv2.resize(sx.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        map_y = cv2.resize(sy.astype(np.float32), (cfg.width, cfg.height), interpolation=cv2.INTER_LINEAR)
        if self._noise is None:
            src = self._base
        else:
            oy, ox = self._noise_at[i]
            noise = self._noise[oy:oy + cfg.height, ox:ox + cfg.width]
            src = np.clip(self._base16 + noise, 0, 255).astype(np.uint8)
        if self._texture is not None:
            amount = {s: self._response[s][i] for s in ("left", "right")}
            if any(amount.values()):
                gain = 1.0 + sum(a * self._texture[s] for s, a in amount.items())
                src = src.copy()
                box = self._texture_box
                src[box] = np.clip(np.rint(src[box] * gain[..., None]), 0, 255).astype(np.uint8)
        return cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def write_demo_video(path: str | Path, config: DemoConfig) -> DemoTruth:
    """Write the demo face as an mp4 and its ground truth beside it as ``<name>.truth.json``."""
    path = Path(path)
    demo = DemoFace(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A skin-texture pattern is written with every frame a key frame: MPEG-4 predicted frames
    # build fine detail up over several frames, so the planted texture reached the file 1.0-1.2
    # frames late (rendered frames and intra-only files: 0.0), and the file would no longer
    # carry its truth's timing. It costs ~9x the file size. So is a pattern driven by blinks:
    # its response lasts 0.3 s, and predicted frames held the mouth corner up a frame longer
    # than it was (the blink-locked average peaked 1.3 frames late; rendered frames: on time).
    size, fourcc = (config.width, config.height), cv2.VideoWriter_fourcc(*"mp4v")
    spec = PATTERNS[config.pattern]
    if spec.unit == "contrast" or spec.driver == "blink":
        writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, fourcc, config.fps, size,
                                 [cv2.VIDEOWRITER_PROP_GOP_SIZE, 1])
    else:
        writer = cv2.VideoWriter(str(path), fourcc, config.fps, size)
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
