"""Skin texture of the chin (mentalis dimpling) and of the neck below the jaw (platysma bands),
per side, read from the registered frame.

Why texture: the mentalis puckers the chin skin into dimples ("orange peel") and the platysma
raises vertical cords in the neck; neither moves a face-mesh landmark by much, and the mesh has
no points on the neck at all. What changes is the skin's fine relief, i.e. the image's
band-pass contrast there.

Measure: the frame's luminance is resampled onto the reference's pixel grid (the registration
warp, so head motion is not texture change), band-passed by a difference of Gaussians at
``BAND_IOD`` (skin folds and cords 1-10 mm across) and divided by the local mean luminance
(so a global lighting change, which scales both, is not texture change either). A patch's
value is the RMS of that contrast over its pixels; signals/features.py turns it into the
change relative to the rest level.

Patches, drawn once on the reference (face frame of features.py, IOD units, from the midline
outwards on each side):
- chin: between the lower-lip edge and the chin contour, kept ``LIP_GAP_IOD`` and ``GAP_IOD``
  away, from ``CHIN_U[0]`` to ``CHIN_U[1]``;
- neck: from ``GAP_IOD + JAW_SLACK_IOD`` below the jaw line down to ``NECK_DEPTH_IOD`` below
  it, from ``NECK_U[0]`` to ``NECK_U[1]``.
Each frame they are placed again, because the registration is anchored high on the face: far
below it a small error of its scale is a shift of many pixels (a brow raise that moved the
forehead skin shifted the neck by 20 px in the registered frame, which brought the jaw's edge
into the patch), and the chin moves with the jaw when the mouth opens (a talking mouth put the
lip's edge into a chin patch that did not follow).
- The chin patch moves with the current frame's chin contour (landmarks), then is refined within
  ``CHIN_SEARCH_IOD`` by matching the reference's blurred chin below the lip (its contour and
  relief), and is cut to stay between the current lip edge and chin contour (as refined).
- The neck skin stays put when the jaw moves, so the neck patch is found by matching the
  reference's blurred luminance around it (the jaw line, a collar) within ``SEARCH_IOD`` of where
  it was, and cut to stay ``GAP_IOD`` below the current jaw line once the jaw drops by more than
  ``JAW_SLACK_IOD`` (an open mouth); smaller jaw-line moves of the mesh leave it alone (a pucker
  bends the mesh's jaw line, and following it read as a 4-7 % neck response to every pucker on
  the demo face, r 0.83, which then "drove" the mouth corner); it counts only pixels of skin in the
  current frame (colour and brightness like the reference chin's: a collar, hair and the dark
  shadow under the jaw left out), the filters' reach away from anything else.
A patch is unmeasurable (NaN and a reason) when the face is too small for the band to be
resolved, when too little of it is skin, or when it lies partly outside the picture (the neck
below the bottom edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.landmarks import JAW_LINE, LOWER_LIP_EDGE, SIDES
from realtime.signals.features import LATERAL, FaceFrame

REGIONS = ("chin", "neck")
BAND_IOD = (0.012, 0.036)      # difference-of-Gaussians sigmas (~0.8 and 2.3 mm)
MEAN_IOD = 0.08                # local mean luminance for the contrast (~5 mm)
GAP_IOD = 0.08                 # kept from the chin contour and the jaw line
LIP_GAP_IOD = 0.12             # kept from the lower lip's edge (its contrast is many times the skin's)
JAW_SLACK_IOD = 0.05           # the neck patch gives way to the jaw only when it drops further than this
CHIN_U = (0.03, 0.26)          # chin patch, from the midline outwards
NECK_U = (0.05, 0.70)
NECK_DEPTH_IOD = 0.40          # neck patch bottom below the reference jaw line
MIN_IOD_PX = 40.0              # below, the band's finer scale is under half a pixel
MIN_AREA_IOD2 = 0.02           # smallest measurable patch (chin ~0.08, neck ~0.15 IOD^2)
MIN_INSIDE = 0.8               # share of a patch that must lie inside the picture
SEARCH_IOD = 0.2               # the neck is found again within this shift
CHIN_SEARCH_IOD = 0.08         # the chin, around where its landmarks put it
MATCH_MARGIN_IOD = 0.1         # reference around a patch matched to find it (takes in its edges)
MATCH_BLUR_IOD = 0.025         # matched at this blur: the structure, not the texture that changes
_PAD_IOD = 0.5                 # measured box around the patches: jaw motion, search, margin, filters
_DARK = 0.35                   # the neck's skin is at least this bright relative to the chin's
_CHROMA = 14.0                 # and this close to its chroma (YCrCb levels)


@dataclass
class TextureCrop:
    """The frame in the measured box of reference pixels: rgb (h, w, 3) uint8; inside (h, w)
    bool: resampled from inside the picture, the filters' reach away from its edge."""
    rgb: np.ndarray
    inside: np.ndarray


@dataclass
class TextureReading:
    """One frame's skin texture. values (2, len(REGIONS)) in SIDES x REGIONS order, RMS band-pass
    contrast, NaN where unmeasurable; reasons: why, per unmeasurable "<region>_<side>";
    outlines: each measured patch's outline, (n, 2) reference px (for display)."""
    values: np.ndarray
    reasons: dict[str, str]
    outlines: dict[str, np.ndarray]


@dataclass
class _Patch:
    """A patch on the reference: ``mask`` (h, w) bool within ``box`` (x0, y0, x1, y1) of the
    measured box; ``template`` the blurred reference around it, at ``tbox``."""
    box: tuple[int, int, int, int]
    mask: np.ndarray
    tbox: tuple[int, int, int, int]
    template: np.ndarray


def band_contrast(luma: np.ndarray, iod_px: float) -> np.ndarray:
    """(h, w) band-pass contrast: difference of Gaussians at BAND_IOD over the local mean
    luminance at MEAN_IOD, dimensionless (0.05: the relief is 5 % of the local brightness)."""
    s1, s2 = (max(0.5, f * iod_px) for f in BAND_IOD)
    fine = cv2.GaussianBlur(luma, (0, 0), s1)
    coarse = cv2.GaussianBlur(luma, (0, 0), s2)
    mean = cv2.GaussianBlur(luma, (0, 0), max(1.0, MEAN_IOD * iod_px))
    return (fine - coarse) / np.maximum(mean, 8.0)


def rms_over(c2: np.ndarray, mask: np.ndarray) -> float:
    """Root mean square of a contrast whose square is ``c2`` over the pixels of ``mask``."""
    return float(np.sqrt(c2[mask].mean())) if mask.any() else float("nan")


def _curve(u: np.ndarray, pts_u: np.ndarray, pts_v: np.ndarray) -> np.ndarray:
    """A contour v(u) through landmark points, held flat beyond its ends."""
    order = np.argsort(pts_u)
    return np.interp(u, pts_u[order], pts_v[order])


class SkinTexture:
    """Chin and neck texture of both sides against one reference (see module docstring)."""

    def __init__(self, ref_rgb: np.ndarray, ref_lm: np.ndarray, frame: FaceFrame):
        self.frame = frame
        iod = frame.iod_px
        self.iod_px = iod
        lm = ref_lm[:, :2].astype(np.float64)
        face_pts = frame.to_face(lm)
        # The measured box: every patch's landmarks and the neck's depth, padded.
        idx = sorted({i for s in SIDES for i in JAW_LINE[s] + LOWER_LIP_EDGE[s]})
        pts = face_pts[idx]
        deep = pts - (0, NECK_DEPTH_IOD)
        corners = np.array([[a, b] for a in (pts[:, 0].min() - _PAD_IOD, pts[:, 0].max() + _PAD_IOD)
                            for b in (deep[:, 1].min() - _PAD_IOD, pts[:, 1].max() + _PAD_IOD)])
        px = frame.origin + iod * (corners[:, :1] * frame.u + corners[:, 1:] * frame.v)
        x0, y0 = np.floor(px.min(axis=0)).astype(int)
        x1, y1 = np.ceil(px.max(axis=0)).astype(int)
        self.box = (int(x0), int(y0), int(x1), int(y1))
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        self._grid = np.stack([xx, yy], axis=-1)                          # (h, w, 2) reference px
        face = frame.to_face(self._grid)
        u, v = self._u, self._v = face[..., 0], face[..., 1]
        self._ref_lm = lm
        self._edge = int(np.ceil(2 * BAND_IOD[1] * iod))                   # filters' reach, px
        self._search = int(np.ceil(SEARCH_IOD * iod))
        self._chin_search = int(np.ceil(CHIN_SEARCH_IOD * iod))
        self.reason = ("" if iod >= MIN_IOD_PX else
                       f"face too small for skin texture ({iod:.0f} px between the eyes, {MIN_IOD_PX:.0f} needed)")
        ref = self.crop(ref_rgb, np.array([[1.0, 0, 0], [0, 1.0, 0]]), force=True)
        blurred = self._blur(ref.rgb)
        self.patches: dict[str, _Patch | None] = {}
        for side in SIDES:
            for region, mask in (("chin", _chin_mask(side, face_pts, u, v)),
                                 ("neck", _neck_mask(side, face_pts, u, v))):
                self.patches[f"{region}_{side}"] = self._patch(mask, blurred, above=region == "neck")
        chin = np.zeros(u.shape, bool)
        for side in SIDES:
            p = self.patches[f"chin_{side}"]
            if p is not None:
                chin[p.box[1]:p.box[3], p.box[0]:p.box[2]] |= p.mask
        chin &= ref.inside
        ycc = cv2.cvtColor(ref.rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)
        self._skin_colour = tuple(float(np.median(ycc[..., k][chin])) for k in range(3)) if chin.sum() >= 10 else None

    def _blur(self, rgb: np.ndarray) -> np.ndarray:
        luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.GaussianBlur(luma, (0, 0), max(0.7, MATCH_BLUR_IOD * self.iod_px))

    def _patch(self, mask: np.ndarray, blurred: np.ndarray, above: bool) -> _Patch | None:
        """A patch from its mask over the measured box, with the reference around it to match
        (``above``: the margin above it too; the chin's is the lip, which moves on its own)."""
        ys, xs = np.nonzero(mask)
        if not len(ys):
            return None
        h, w = mask.shape
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        m = int(np.ceil(MATCH_MARGIN_IOD * self.iod_px))
        tbox = (max(0, box[0] - m), max(0, box[1] - (m if above else 0)), min(w, box[2] + m), min(h, box[3] + m))
        if tbox[2] - tbox[0] < 4 or tbox[3] - tbox[1] < 4:
            return None
        return _Patch(box, mask[box[1]:box[3], box[0]:box[2]].copy(), tbox,
                      blurred[tbox[1]:tbox[3], tbox[0]:tbox[2]].copy())

    def crop(self, rgb: np.ndarray, warp: np.ndarray, force: bool = False) -> TextureCrop | None:
        """The frame in the measured box of reference pixels (warp: reference -> frame px);
        None when the face is too small to measure texture at all (unless ``force``)."""
        if self.reason and not force:
            return None
        x0, y0, x1, y1 = self.box
        w = warp.astype(np.float64).copy()
        w[:, 2] += w[:, :2] @ np.array([x0, y0], np.float64)
        colour = cv2.warpAffine(rgb, w, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
        at = self._grid @ warp[:, :2].T.astype(np.float64) + warp[:, 2]
        h, wd = rgb.shape[:2]
        inside = ((at[..., 0] >= 0) & (at[..., 0] <= wd - 1) & (at[..., 1] >= 0) & (at[..., 1] <= h - 1))
        k = 2 * self._edge + 1
        inside = cv2.erode(inside.astype(np.uint8), np.ones((k, k), np.uint8), borderType=cv2.BORDER_CONSTANT,
                           borderValue=0).astype(bool)
        return TextureCrop(colour, inside)

    def _skin(self, rgb: np.ndarray) -> np.ndarray:
        """(h, w) bool: skin like the reference chin's in this crop, the filters' reach away
        from anything else (a collar, hair, the dark shadow under the jaw)."""
        if self._skin_colour is None:
            return np.zeros(rgb.shape[:2], bool)
        y0, cr0, cb0 = self._skin_colour
        ycc = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32), (0, 0),
                               max(0.7, MATCH_BLUR_IOD * self.iod_px))    # the colour, not pixel noise
        skin = ((ycc[..., 0] > _DARK * y0) & (np.abs(ycc[..., 1] - cr0) < _CHROMA)
                & (np.abs(ycc[..., 2] - cb0) < _CHROMA)).astype(np.uint8)
        skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        k = 2 * self._edge + 1
        return cv2.erode(skin, np.ones((k, k), np.uint8)).astype(bool)

    def _find(self, p: _Patch, blurred: np.ndarray, around: np.ndarray, r: int) -> np.ndarray:
        """(dx, dy) px within ``r`` of ``around`` where the reference around the patch matches
        this crop best (``around`` itself when the search would leave the crop)."""
        x0, y0, x1, y1 = p.tbox
        ax, ay = int(around[0]), int(around[1])
        h, w = blurred.shape
        if x0 + ax - r < 0 or y0 + ay - r < 0 or x1 + ax + r > w or y1 + ay + r > h:
            return np.array([ax, ay])
        area = blurred[y0 + ay - r:y1 + ay + r, x0 + ax - r:x1 + ax + r]
        score = cv2.matchTemplate(area, p.template, cv2.TM_CCOEFF_NORMED)
        _, _, _, (bx, by) = cv2.minMaxLoc(score)
        return np.array([ax + bx - r, ay + by - r])

    def _shifted(self, p: _Patch | None, d: np.ndarray) -> np.ndarray:
        """The patch's mask moved by d px over the measured box (cut at its edges)."""
        m = np.zeros(self._u.shape, bool)
        if p is None:
            return m
        h, w = m.shape
        x0, y0, x1, y1 = p.box
        dx, dy = int(d[0]), int(d[1])
        tx0, ty0, tx1, ty1 = max(0, x0 + dx), max(0, y0 + dy), min(w, x1 + dx), min(h, y1 + dy)
        if tx1 > tx0 and ty1 > ty0:
            m[ty0:ty1, tx0:tx1] = p.mask[ty0 - y0 - dy:ty1 - y0 - dy, tx0 - x0 - dx:tx1 - x0 - dx]
        return m

    def placed(self, crop: TextureCrop, per_side: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each patch's pixels in this crop ("<region>_<side>" -> (h, w) bool), placed for the
        current frame (see module docstring). per_side: each side's (478, 2) landmarks in
        reference px."""
        blurred = self._blur(crop.rgb)
        skin = self._skin(crop.rgb)
        out = {}
        for side in SIDES:
            lm = np.asarray(per_side[side], np.float64)[:, :2]
            chin_pts = JAW_LINE[side][:3]
            follow = np.rint((lm[chin_pts] - self._ref_lm[chin_pts]).mean(axis=0))
            p = self.patches[f"chin_{side}"]
            at = follow if p is None else self._find(p, blurred, follow, self._chin_search)
            now = self.frame.to_face(lm + (at - follow))     # the landmarks, as the image refines them
            out[f"chin_{side}"] = self._shifted(p, at) & _chin_mask(side, now, self._u, self._v, (0.0, 1.0))
            p = self.patches[f"neck_{side}"]
            found = np.zeros(2) if p is None else self._find(p, blurred, np.zeros(2), self._search)
            lat = LATERAL[side]
            jaw, rest = now[JAW_LINE[side]], self.frame.to_face(self._ref_lm[JAW_LINE[side]] + found)
            line = np.minimum(_curve(lat * self._u, lat * rest[:, 0], rest[:, 1]) - JAW_SLACK_IOD,
                              _curve(lat * self._u, lat * jaw[:, 0], jaw[:, 1]))
            out[f"neck_{side}"] = self._shifted(p, found) & skin & (self._v < line - GAP_IOD)
        return out

    def measure(self, crop: TextureCrop | None, per_side: dict[str, np.ndarray]) -> TextureReading:
        """The texture of every patch in this frame (see ``TextureReading``). per_side: each
        side's (478, 2) landmarks in reference px."""
        out = np.full((len(SIDES), len(REGIONS)), np.nan)
        if crop is None:
            return TextureReading(out, {f"{r}_{s}": self.reason for s in SIDES for r in REGIONS}, {})
        luma = cv2.cvtColor(crop.rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        c2 = band_contrast(luma, self.iod_px) ** 2
        min_px = MIN_AREA_IOD2 * self.iod_px ** 2
        reasons, outlines = {}, {}
        placed = self.placed(crop, per_side)
        for i, side in enumerate(SIDES):
            for j, region in enumerate(REGIONS):
                key = f"{region}_{side}"
                mask = placed[key]
                seen = mask & crop.inside
                n = int(mask.sum())
                if n < min_px:
                    reasons[key] = f"too little {region} skin in view"
                elif seen.sum() < MIN_INSIDE * n:
                    reasons[key] = f"{region} outside the picture"
                else:
                    out[i, j] = rms_over(c2, seen)
                    outlines[key] = self._outline(seen)
        return TextureReading(out, reasons, outlines)

    def _outline(self, mask: np.ndarray) -> np.ndarray:
        """The largest part of a patch as a simplified polygon, (n, 2) reference px."""
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        c = cv2.approxPolyDP(max(contours, key=cv2.contourArea), 1.5, True)[:, 0].astype(np.float64)
        return c + self.box[:2]


def _chin_mask(side: str, face_pts: np.ndarray, u: np.ndarray, v: np.ndarray,
               across: tuple[float, float] = CHIN_U) -> np.ndarray:
    """The chin patch of ``side`` over a grid whose face coordinates are (u, v): between the
    lip edge and the chin contour of ``face_pts``, ``across`` IOD from the midline."""
    lat = LATERAL[side]
    mid = face_pts[[LOWER_LIP_EDGE[side][0], JAW_LINE[side][0]], 0].mean()
    out = lat * (u - mid)
    lip = face_pts[LOWER_LIP_EDGE[side]]
    jaw = face_pts[JAW_LINE[side]]
    below_lip = v < _curve(out, lat * (lip[:, 0] - mid), lip[:, 1]) - LIP_GAP_IOD
    above_chin = v > _curve(out, lat * (jaw[:, 0] - mid), jaw[:, 1]) + GAP_IOD
    return (out >= across[0]) & (out <= across[1]) & below_lip & above_chin


def _neck_mask(side: str, face_pts: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The neck patch of ``side`` (before the skin test)."""
    lat = LATERAL[side]
    out = lat * u
    jaw = face_pts[JAW_LINE[side]]
    line = _curve(out, lat * jaw[:, 0], jaw[:, 1])
    return ((out >= NECK_U[0]) & (out <= NECK_U[1]) & (v < line - GAP_IOD - JAW_SLACK_IOD)
            & (v > line - NECK_DEPTH_IOD))
