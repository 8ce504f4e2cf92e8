"""Plant a one-sided eye narrowing, driven by the face's own smile, into a real video
(``run.py demo-video OUT --from VIDEO``; ``validate --real`` uses it).

Why: the product must be checked against a known narrowing on real faces, and real clips of
synkinesis with ground truth do not exist. The planted narrowing follows the face's own smile
(with a delay), so it looks like smile -> eye synkinesis on one side only.

Truth definition (all in the truth JSON beside the video):
  * visible palpebral fissure = distance from the upper lid margin to the lower lid margin,
    perpendicular to the eye's corner-corner line. A margin is the mesh lid contour shifted
    to where the mean lid/globe edge along the whole curve is strongest (vertical intensity
    gradient: dark lid -> bright globe for the upper lid, the reverse for the lower one),
    measured on the most typical rest frame (lowest smile drive, typical eye opening, no
    blink; the product's reference rule), with every rest frame voting on where the edge lies
    relative to its mesh (the product's own rule: tracking/eye_opening.margin_offsets). Stored
    as a profile across the eye in eye-width units and in px at the widest column; the value
    each rest frame alone would give is also stored, as a measure of how well defined it is
    on this face.
  * narrowing(t) = strength * d(t - delay_s): the fissure at every column across the eye is
    reduced by that fraction of its rest height, 75 % by lowering the upper margin, 25 % by
    raising the lower one. Where the original lids leave too little room (blinks), the
    planted amount is clamped and the clamped value is what the JSON records; frames where
    the original eye blinks are flagged (original_blink) and should be left out of gains.

The warp lives in the eye's own axes (u along the corner-corner line, v perpendicular),
built per frame from the raw mesh, so it follows head motion. Each lid zone moves as a unit
next to its margin (the tarsal plate) and fades smoothly towards brow and cheek; the globe
between the lids stays in place and the lids slide over it (occlusion, as real lids do). The mesh follows lid margins
at a fraction of their motion, so in frames where the eye itself is narrowed the margins are
found again in the image (same edge rule, +/-CORR_MAX rest fissures) before warping. The
amplitude across u is proportional to the rest fissure profile, so it vanishes at the
corners. Pixels outside the field are copied unchanged; the output is FFV1 (lossless), so
planted minus original is only the warp.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from calibration.reference import typical_index
from realtime.landmarks import SIDES
from realtime.signals.features import FEATURES, FaceFrame, S, activations, frame_features
from realtime.tracking.eye_opening import (
    C,
    LOWER,
    UPPER,
    EyeView,
    eye_axes,
    margin_evidence,
    margin_offsets,
    peak_centre,
)
from realtime.tracking.landmarker import Landmarker


U_GRID = np.linspace(-0.5, 0.5, 41)                     # eye-width units, corner to corner

# Field shape, in units of the rest fissure F (see module docstring).
TOL = 0.10          # plateau past each (tracked) margin into the globe: the margin's uncertainty
TARSUS_UP = 0.45    # plateau above the upper margin
DECAY_UP = 0.9      # then smooth decay to zero towards the brow
TARSUS_LO = 0.25
DECAY_LO = 0.6
UPPER_SHARE = 0.75
CORR_MAX = 0.15     # per-frame margin correction limit, rest fissures
MIN_SQUASH = 1.0    # 1: the globe is not squashed at all, the lids slide over it (occlusion)


def contour_uv(lm: np.ndarray, side: str):
    """Mesh upper and lower lid contours as v(u) on U_GRID, eye-width units."""
    o, ex, ey, w = eye_axes(lm, side)
    out = []
    for idx in (UPPER[side], LOWER[side]):
        p = (lm[idx, :2].astype(np.float64) - o) / w
        u, v = p @ ex, p @ ey
        order = np.argsort(u)
        out.append(np.interp(U_GRID, u[order], v[order]))
    return out[0], out[1]


def rest_geometry(gray: np.ndarray, mesh: np.ndarray, side: str, views: Sequence[EyeView] = ()) -> dict:
    """Offsets (visible margin - mesh contour) on U_GRID and the rest fissure profile, in
    eye-width units, of the rest frame ``gray`` with its ``mesh`` (478, 2) px; the margins are
    found as the product finds its reference's (eye_opening.margin_offsets), with the other rest
    frames ``views`` voting."""
    d_up, d_lo = margin_offsets(margin_evidence(gray, mesh, side),
                                [margin_evidence(v.gray, v.landmarks, side) for v in views]) / C
    up_m, lo_m = contour_uv(mesh, side)
    off_u, off_l = np.full(len(U_GRID), d_up), np.full(len(U_GRID), d_lo)
    prof = np.clip((lo_m + off_l) - (up_m + off_u), 0, None)
    # Fade at the corners, where the fissure closes anyway.
    prof *= np.clip((0.5 - np.abs(U_GRID)) / 0.08, 0, 1)
    return {"off_up": off_u, "off_lo": off_l, "fissure": prof}


def frame_corrections(frames, meshes, side: str, geom: dict) -> np.ndarray:
    """Per frame, (upper, lower) shifts in eye widths of the actual margins from the rest
    rule (mesh contour + rest offset). The mesh follows lid motion at a fraction of its size,
    so in a frame where the eye itself is narrowed (a Duchenne smile) the rest rule misses
    the margin; the field's plateau must sit on the real margin or the planted amount is
    not what the truth says. Found like the rest margins (strongest edge along the whole
    curve, here shift only, within +/-CORR_MAX rest fissures), then median-filtered over 3 frames."""
    fmax = float(geom["fissure"].max())
    d0s = np.arange(-CORR_MAX, CORR_MAX + 1e-9, 0.02) * fmax   # eye widths
    rest = np.array([geom["off_up"][0], geom["off_lo"][0]])
    out = np.zeros((len(frames), 2))
    for i, fr in enumerate(frames):
        lm = meshes[i, :, :2]
        if not np.isfinite(lm).all():
            continue
        ev = margin_evidence(cv2.cvtColor(fr, cv2.COLOR_RGB2GRAY), lm, side)
        if not ev.inner.any():
            continue
        score = ev.scores((rest[:, None] + d0s[None, :]) * C)
        for k, sign in enumerate((1, -1)):
            out[i, k] = d0s[0] + 0.02 * fmax * peak_centre(score[k], towards=sign)
    for k in range(2):
        padded = np.pad(out[:, k], 1, mode="edge")
        out[:, k] = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    return out


def smile_drive(meshes: np.ndarray, fps: float, side: str | None = None) -> np.ndarray:
    """0..1 per frame: how far the mouth corner on ``side`` (None: both, averaged) is pulled up
    and out, the smile by the same definition as the product's signal (signals/features.py),
    but from the raw mesh in each frame's own face frame (iris centres), with no registration,
    reference or calibration of the product's. Mouth width alone follows speech (cap12_edit:
    r 0.58 with the product's smile signal, 0.79 for this one). Above its lowest decile, over
    its 98th percentile, lightly smoothed (sigma 40 ms). NaN where no face.

    A planting follows its own side's corner: synkinesis on one side comes with that side's
    nerve activity, and corners do not move in step: the product's right smile led the mean
    of both raw corners by ~130 ms on franck, and on vitallens_smiles a narrowing planted 0.15 s
    after the mean read 0.07 s after the right smile (0.13 s when planted after the right
    corner)."""
    feats = np.full((len(meshes), len(SIDES), len(FEATURES)), np.nan)
    for i, lm in enumerate(meshes):
        if np.isfinite(lm[:, :2]).all():
            feats[i] = frame_features({side: lm[:, :2] for side in SIDES}, FaceFrame.from_landmarks(lm[:, :2]))
    # Any rest level only shifts the smile, which is measured from its lowest decile below.
    rest = feats[np.flatnonzero(np.isfinite(feats[:, 0, 0]))[0]]
    smile = activations(feats, rest)[..., S["smile"]]
    r = smile.mean(axis=1) if side is None else smile[:, SIDES.index(side)]
    ok = np.isfinite(r)
    base = np.percentile(r[ok], 10)
    scale = np.percentile(r[ok] - base, 98)
    d = np.full(len(r), np.nan)
    d[ok] = np.clip((r[ok] - base) / max(scale, 1e-6), 0, 1)
    filled = np.interp(np.arange(len(r)), np.flatnonzero(ok), d[ok])
    sigma = max(0.04 * fps, 0.5)
    k = np.exp(-0.5 * (np.arange(-3 * int(np.ceil(sigma)), 3 * int(np.ceil(sigma)) + 1) / sigma) ** 2)
    k /= k.sum()
    sm = np.convolve(np.pad(filled, len(k) // 2, mode="edge"), k, mode="valid")
    sm[~ok] = np.nan
    return np.clip(sm, 0, 1)


def _source_1d(vout: np.ndarray, mu: float, ml: float, du: float, dl: float, f: float) -> np.ndarray:
    """Backward map for one column: source v for each output v (px, down +).

    Lid zones (up to TOL*f past each margin) move with their margin, with a tarsal plateau and
    a smooth decay away from the eye. The globe between them is squashed, but no more than to
    MIN_SQUASH of its height: beyond that the lids slide over it (the hidden strip sits at the
    margin, as under a real lid) rather than crush the iris."""
    tol = TOL * f
    g = ml - mu - 2 * tol                            # source globe interior height
    s = np.linspace(-3 * f, 3 * f, 1201)             # source offsets for the lid zones
    a = -s                                           # height above the upper margin
    k = np.clip((a - TARSUS_UP * f) / (DECAY_UP * f), 0, 1)
    fu = du * (1 - k * k * (3 - 2 * k))
    src_u = mu + s[s <= tol]
    out_u = src_u + fu[s <= tol]
    k = np.clip((s - TARSUS_LO * f) / (DECAY_LO * f), 0, 1)
    fl = -dl * (1 - k * k * (3 - 2 * k))
    src_l = ml + s[s >= -tol]
    out_l = src_l + fl[s >= -tol]
    top_out, bot_out = mu + tol + du, ml - tol - dl  # interior in the output
    inner_out = max(bot_out - top_out, 0.0)
    inner_src = min(g, inner_out / MIN_SQUASH) if g > 0 else 0.0
    hidden = max(g - inner_src, 0.0)
    top_src = mu + tol + UPPER_SHARE * hidden
    res = np.empty_like(vout)
    up = vout <= top_out
    lo = vout >= bot_out
    mid = ~(up | lo)
    res[up] = np.interp(vout[up], out_u, src_u)
    res[lo] = np.interp(vout[lo], out_l, src_l)
    if inner_out > 0:
        res[mid] = top_src + (vout[mid] - top_out) * (inner_src / inner_out)
    else:
        res[mid] = top_src
    return res


def warp_eye(rgb: np.ndarray, lm: np.ndarray, side: str, geom: dict, n: float, corr=(0.0, 0.0)):
    """Narrow one eye by fraction n of its rest fissure. Returns (image, planted fraction).
    ``corr``: this frame's margin shifts from the rest rule (frame_corrections)."""
    o, ex, ey, w = eye_axes(lm, side)
    up_m, lo_m = contour_uv(lm, side)
    mu = (up_m + geom["off_up"] + corr[0]) * w       # px, on U_GRID
    ml = (lo_m + geom["off_lo"] + corr[1]) * w
    frest = geom["fissure"] * w
    fmax = float(frest.max())
    if n <= 0 or fmax <= 0:
        return rgb, 0.0
    room = np.clip(ml - mu - 2 * TOL * fmax, 0, None)   # the lids may meet, not cross
    want = n * frest
    # Keep the fraction uniform over the open part of the eye (that is where the truth is
    # defined); towards the corners, where the fissure closes, each column is capped alone.
    central = frest >= 0.5 * fmax
    scale = float(min(1.0, np.min(room[central] / np.maximum(want[central], 1e-9))))
    total = np.minimum(want * scale, room)
    du, dl = UPPER_SHARE * total, (1 - UPPER_SHARE) * total
    v_top = float(mu.min() - (TARSUS_UP + DECAY_UP) * fmax - 3)
    v_bot = float(ml.max() + (TARSUS_LO + DECAY_LO) * fmax + 3)
    step = 0.1
    vs = np.arange(v_top - 2, v_bot + 2, step)
    u_px = U_GRID * w
    inv = np.zeros((len(U_GRID), len(vs)), np.float32)
    sig = max(0.5, 0.04 * fmax) / step               # soften seams and plateau joints
    for j in range(len(U_GRID)):
        if total[j] <= 1e-4:
            continue
        src = _source_1d(vs, mu[j], ml[j], du[j], dl[j], fmax) - vs
        inv[j] = cv2.GaussianBlur(src[None].astype(np.float32), (0, 0), sigmaX=sig, sigmaY=0.01)[0]
    corners = np.array([[ux, vy] for ux in (-0.56 * w, 0.56 * w) for vy in (v_top, v_bot)])
    pts = o + corners[:, :1] * ex + corners[:, 1:] * ey
    h_img, w_img = rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(pts.max(axis=0)).astype(int) + 3, [w_img, h_img])
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    d = np.stack([xx - o[0], yy - o[1]], -1)
    uu, vv = d @ ex, d @ ey
    fu = (uu - u_px[0]) / (u_px[1] - u_px[0])
    fv = (vv - vs[0]) / step
    g = cv2.remap(inv, fv.astype(np.float32), fu.astype(np.float32),
                  cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mapx = (xx + g * ey[0]).astype(np.float32)
    mapy = (yy + g * ey[1]).astype(np.float32)
    out = rgb.copy()
    moved = np.abs(g) > 1e-3
    warped = cv2.remap(rgb, mapx, mapy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    region = out[y0:y1, x0:x1]
    region[moved] = warped[moved]
    return out, n * scale


def _blink_mask(meshes: np.ndarray, side: str) -> np.ndarray:
    gaps = []
    for lm in meshes:
        if not np.isfinite(lm).all():
            gaps.append(np.nan)
            continue
        up, lo = contour_uv(lm, side)
        gaps.append(float(np.max(lo - up)))
    gaps = np.array(gaps)
    return gaps < 0.6 * np.nanmedian(gaps), gaps


def read_video(path):
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames, float(fps)


def mesh_per_frame(frames, model_path) -> np.ndarray:
    """Raw FaceLandmarker mesh, IMAGE mode (no temporal smoothing, no delay); NaN where no face."""
    out = np.full((len(frames), 478, 3), np.nan, np.float32)
    with Landmarker(model_path, num_faces=1) as lmk:
        for i, fr in enumerate(frames):
            faces = lmk.detect(fr)
            if faces:
                out[i] = faces[0]
    return out


def choose_rest(drive: np.ndarray, blink: np.ndarray, max_frames: int = 15,
                meshes: np.ndarray | None = None) -> np.ndarray:
    """Rest frames: lowest smile drive, no blink, and (with meshes) a typical eye opening on
    both sides (low drive alone also picks downward glances and half-closed eyes)."""
    ok = np.isfinite(drive) & ~blink
    idx = np.flatnonzero(ok)
    thr = max(0.05, np.percentile(drive[idx], 10))
    cand = idx[drive[idx] <= thr]
    if meshes is not None and len(cand) > 5:
        score = np.zeros(len(cand))
        for side in ("left", "right"):
            g = np.array([np.max(np.subtract(*contour_uv(meshes[i, :, :2], side)[::-1])) for i in cand])
            score += np.abs(g / np.median(g) - 1)
        cand = cand[score <= np.percentile(score, 60)]
    if len(cand) > max_frames:
        cand = cand[np.linspace(0, len(cand) - 1, max_frames).astype(int)]
    return cand


def plant_eye_narrowing(video_in, video_out, side: str, strength: float, delay_s: float,
                        model_path, *, meshes: np.ndarray | None = None, sheet: str | None = None) -> dict:
    """Write ``video_out`` (FFV1 .mkv) with ``side``'s eye narrowed by strength * d(t - delay);
    write the truth JSON beside it (``video_out`` with suffix .json) and return it."""
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right' (the subject's own side)")
    out_path = Path(video_out)
    # Before the long mesh pass: a folder that cannot be written fails at once, in one line.
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot write video {out_path}: {exc.strerror or exc}; choose a folder you can write to") from None
    if not os.access(out_path.parent, os.W_OK):
        raise OSError(f"cannot write video {out_path}: the folder is not writable; choose a folder you can write to")
    frames, fps = read_video(video_in)
    if meshes is None:
        meshes = mesh_per_frame(frames, model_path)
    drive = smile_drive(meshes, fps, side)
    t = np.arange(len(frames)) / fps
    filled = np.where(np.isfinite(drive), drive, 0.0)
    delayed = np.interp(t - delay_s, t, filled, left=filled[0])
    blink, _gaps = _blink_mask(meshes, side)
    both_blink = _blink_mask(meshes, "left")[0] | _blink_mask(meshes, "right")[0]
    rest_idx = choose_rest(drive, both_blink, meshes=meshes)
    # The rest fissure is measured as the product measures its reference's: on the most typical
    # rest frame, with every rest frame voting on where its margins lie (on small, blurred eyes
    # one frame alone picks either of two near-equal edges). What each rest frame alone would
    # give is reported as the spread.
    ref = int(rest_idx[typical_index([meshes[i] for i in rest_idx])])
    grays = {int(i): cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY) for i in rest_idx}
    geom = rest_geometry(grays[ref], meshes[ref, :, :2], side,
                         [EyeView(g, meshes[i, :, :2]) for i, g in grays.items() if i != ref])
    w_rest = float(eye_axes(meshes[ref, :, :2], side)[3])
    spread = [float(rest_geometry(g, meshes[i, :, :2], side)["fissure"].max() * eye_axes(meshes[i, :, :2], side)[3])
              for i, g in grays.items()]
    planted = np.zeros(len(frames))
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {out_path} (FFV1): check the folder exists and is writable")
    out_frames = {}
    corr = frame_corrections(frames, meshes, side, geom)
    for i, fr in enumerate(frames):
        img = fr
        if np.isfinite(meshes[i]).all() and delayed[i] > 0:
            img, planted[i] = warp_eye(fr, meshes[i, :, :2], side, geom, strength * delayed[i], corr[i])
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        out_frames[i] = img if sheet else None
    writer.release()
    jmax = int(np.argmax(geom["fissure"]))
    truth = {
        "video_in": str(video_in), "video_out": str(out_path), "side": side,
        "strength": strength, "delay_s": delay_s, "fps": fps, "n_frames": len(frames),
        "definition": "narrowing = fraction of the rest visible fissure (upper to lower lid margin, "
                      "strongest lid/globe image edge, perpendicular to the corner line), uniform "
                      "across the eye; 75 % upper lid down, 25 % lower lid up",
        "rest_frames": rest_idx.tolist(),
        "rest_reference_frame": ref,
        "rest_fissure_px_each_rest_frame": np.round(spread, 3).tolist(),
        "rest_fissure_px": float(geom["fissure"][jmax] * w_rest),
        "rest_eye_width_px": w_rest,
        "rest_fissure_profile_eyewidths": geom["fissure"].round(5).tolist(),
        "u_grid_eyewidths": U_GRID.round(4).tolist(),
        "mesh_gap_over_visible": float(np.median([
            (contour_uv(meshes[i, :, :2], side)[1] - contour_uv(meshes[i, :, :2], side)[0])[jmax]
            for i in rest_idx]) / max(geom["fissure"][jmax], 1e-9)),
        "drive": np.round(np.nan_to_num(drive, nan=-1), 5).tolist(),
        "drive_delayed": np.round(delayed, 5).tolist(),
        "planted_narrowing": np.round(planted, 5).tolist(),
        "requested_narrowing": np.round(strength * delayed, 5).tolist(),
        "face": np.isfinite(meshes[:, 0, 0]).tolist(),
        "original_blink": blink.tolist(),
        "margin_corrections_eyewidths": np.round(corr, 5).tolist(),
        "field": {"tol": TOL, "min_squash": MIN_SQUASH, "tarsus_up": TARSUS_UP, "decay_up": DECAY_UP,
                  "tarsus_lo": TARSUS_LO, "decay_lo": DECAY_LO, "upper_share": UPPER_SHARE},
    }
    with open(out_path.with_suffix(".json"), "w") as f:
        json.dump(truth, f)
    if sheet:
        contact_sheet(frames, out_frames, meshes, side, planted, geom, sheet, ref, corr)
    return truth


def contact_sheet(frames, planted_frames, meshes, side, planted, geom, path, rest_frame, corr, zoom=6):
    """Original and planted eye at drive ~0 and at the peak, with the rest margins marked."""
    peak = int(np.argmax(planted))
    rows = []
    for i in (rest_frame, peak):
        lm = meshes[i, :, :2]
        o, ex, ey, w = eye_axes(lm, side)
        tiles = []
        for which, img in enumerate((frames[i], planted_frames[i])):
            # eye-aligned crop, upsampled
            k = w / C
            pw, ph = int(1.6 * C), int(1.1 * C)
            m = np.array([[ex[0] * k, ey[0] * k, 0.0], [ex[1] * k, ey[1] * k, 0.0]])
            m[:, 2] = o - m[:, :2] @ np.array([(pw - 1) / 2, (ph - 1) / 2])
            crop = cv2.warpAffine(img, m, (pw, ph), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
            big = cv2.resize(crop, None, fx=zoom * 0.5, fy=zoom * 0.5, interpolation=cv2.INTER_CUBIC)
            big = np.ascontiguousarray(big[:, :, ::-1])
            up_m, lo_m = contour_uv(lm, side)
            s = zoom * 0.5
            # Red/green: rest-defined margins at this frame; on the planted tile, where the
            # planted margins should be.
            shift = planted[i] * geom["fissure"] * which
            for v, col in ((up_m + geom["off_up"] + corr[i, 0] + UPPER_SHARE * shift, (0, 0, 255)),
                           (lo_m + geom["off_lo"] + corr[i, 1] - (1 - UPPER_SHARE) * shift, (0, 255, 0))):
                xs = (U_GRID * C + (pw - 1) / 2) * s
                ys = (v * C + (ph - 1) / 2) * s
                for x, y in zip(xs[::4], ys[::4]):
                    cv2.circle(big, (int(x), int(y)), 2, col, -1)
            cv2.putText(big, f"frame {i} planted {planted[i]:.2f}", (5, 18), cv2.FONT_HERSHEY_SIMPLEX,
                        0.5, (255, 255, 255), 1)
            tiles.append(big)
        rows.append(np.hstack(tiles))
    cv2.imwrite(str(path), np.vstack(rows))

