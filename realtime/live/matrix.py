"""Live co-activation matrix: driver (rows) x response (columns), one block per side.
A row is named for the movement its driver made on that side ("brow dn" where the brow went
down). Cell shade = how closely the pair moves together (|peak r|; green: the response moved the
opposite way to its name with that movement); synkinesis is boxed red. The pairs worth reading
are numbered in their cells and listed
below the blocks in clinical words and units (how the response moves, how far, how late), r last:
the cells are too small for a size with its unit, and r alone (~1 for any clear coupling) does
not say how strong the involuntary movement is."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QWidget

from realtime.landmarks import SIDES
from realtime.palette import SIDE_RGB
from realtime.signals.coactivation import CoactivationConfig, min_amplitude
from realtime.signals.episodes import MIN_WINDOW_S
from realtime.signals.features import NAMES, SIGNALS, movement
from realtime.signals.units import format_clinical, format_lag

SHORT = {"brow_raise": "brow", "eye_closure": "eye", "cheek_raise": "cheek", "nose_wrinkle": "nose",
         "smile": "smile", "pucker": "pucker", "lower_lip": "l.lip", "chin": "chin",
         "chin_dimpling": "dimple", "neck_bands": "neck"}
# A driver's row on a side where its larger movements went against its name (``Coupling.
# driver_direction`` -1): the movement it made, as short (the words are ``features.MOVES``').
SHORT_AGAINST = {"brow_raise": "brow dn", "eye_closure": "eye wide", "cheek_raise": "cheek dn",
                 "nose_wrinkle": "nose dn", "smile": "corner in", "pucker": "corner out", "lower_lip": "l.lip up",
                 "chin": "chin dn", "chin_dimpling": "chin smooth", "neck_bands": "neck smooth"}
CAPTIONS = 4      # pairs listed below the blocks
COMOVE_R = CoactivationConfig().comove_r   # a driver moved with something


@dataclass(frozen=True)
class Pair:
    """A numbered cell and its line below the blocks."""
    side: int
    driver: int
    response: int
    flagged: bool
    r: float
    text: str


class CoactivationMatrix(QWidget):
    def __init__(self, parent=None, label_strongest: int = 3):
        super().__init__(parent)
        n = len(SIGNALS)
        self.r = np.full((2, n, n), np.nan)
        self.lag = np.full((2, n, n), np.nan)
        self.size = np.full((2, n, n), np.nan)     # the response's movement, signal units (signed)
        self.seen: dict[tuple[int, int, int], tuple[str, str]] = {}   # (driver, response) moves in words
        self.flag = np.zeros((2, n, n), bool)
        self.driver_way = np.ones((2, n), int)   # +1: a driver's larger movements went its named way
        self.label_strongest = label_strongest
        self.updates = 0
        self.note = f"waiting for {MIN_WINDOW_S:.0f} s of signals"
        self.setMinimumSize(400, 240)

    def set_couplings(self, couplings, seconds: float) -> None:
        idx = {s: i for i, s in enumerate(SIGNALS)}
        for a in (self.r, self.lag, self.size):
            a[:] = np.nan
        self.flag[:] = False
        self.driver_way[:] = 1
        self.seen.clear()
        for c in couplings:
            s, d, r = SIDES.index(c.side), idx[c.driver], idx[c.response]
            self.r[s, d, r], self.lag[s, d, r], self.flag[s, d, r] = c.peak_r, c.lag_s, c.synkinesis
            self.size[s, d, r] = c.direction * c.amplitude
            self.seen[(s, d, r)] = c.as_seen()
            # As the report's rows (``report.driver_rows``): only a driver that moved with
            # something has "larger movements"; one that jittered at rest keeps its name.
            if abs(c.peak_r) >= COMOVE_R or c.synkinesis:
                self.driver_way[s, d] = c.driver_direction
        self.note = f"last {seconds:.0f} s"
        self.updates += 1
        self.update()

    def pairs(self) -> list[Pair]:
        """The flagged pairs and each side's ``label_strongest`` closest ones that moved visibly,
        flagged first, then by |r|; at most ``CAPTIONS``. A response that followed its driver
        closely but by less than the smallest visible movement is not told: blinks are taken out
        of the correlation, so a mouth corner that twitches with every blink followed the eye's
        remaining jitter at r 0.99 and was captioned "0.0 mm" (the report's blink-locked
        average is what sizes it)."""
        n = len(SIGNALS)
        floor = np.array([min_amplitude(name) for name in SIGNALS])
        out = []
        for s, side in enumerate(SIDES):
            visible = np.isfinite(self.size[s]) & (np.abs(self.size[s]) >= floor[None, :])
            vals = np.where(np.isfinite(self.r[s]) & visible, np.abs(self.r[s]), -np.inf)
            np.fill_diagonal(vals, -np.inf)
            order = np.argsort(vals.ravel())[::-1]
            strongest = {int(k) for k in order[:self.label_strongest] if np.isfinite(vals.ravel()[k])}
            for k in sorted(strongest | set(np.flatnonzero(self.flag[s].ravel()).tolist())):
                d, r = divmod(k, n)
                out.append(Pair(s, d, r, bool(self.flag[s, d, r]), float(self.r[s, d, r]),
                                self._caption(s, d, r)))
        out.sort(key=lambda p: (not p.flagged, -abs(p.r)))
        return out[:CAPTIONS]

    def row_label(self, s: int, d: int) -> str:
        """Driver ``d``'s row on side ``s``: the movement it made there, short."""
        return (SHORT if self.driver_way[s, d] > 0 else SHORT_AGAINST)[SIGNALS[d]]

    def _caption(self, s: int, d: int, r: int) -> str:
        v, size = self.r[s, d, r], self.size[s, d, r]
        # How each moved, the driver its larger way: a pucker's cheek goes down with the corner.
        driver, how = self.seen.get((s, d, r), (NAMES[SIGNALS[d]], movement(SIGNALS[r], 1 if v >= 0 else -1)))
        amount = f"{format_clinical(SIGNALS[r], abs(size))}, " if math.isfinite(size) else ""
        return (f"{SIDES[s][0].upper()}: {how} with {driver}: {amount}"
                f"lag {format_lag(self.lag[s, d, r])} (r {v:.2f})" + (" SYNKINESIS" if self.flag[s, d, r] else ""))

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        n = len(SIGNALS)
        w, h = self.width(), self.height()
        pairs = self.pairs()
        top, col_h = 40, 50
        # Text grows with the widget (readable at arm's length on a large screen, still fits a
        # laptop's): the caption's lines take their height first, the cells the rest.
        small = QFont(self.font())
        small.setPixelSize(int(max(11, min(15, h / 30))))
        line_h = QFontMetrics(small).lineSpacing()
        # Room for the longest row name either way round: the blocks do not jump when a row
        # is renamed.
        lab_w = 6 + max(QFontMetrics(small).horizontalAdvance(t) for t in (*SHORT.values(), *SHORT_AGAINST.values()))
        caption_h = line_h * max(1, len(pairs)) + 4
        block_w = (w - 2 * lab_w - 10) / 2
        cell = max(4.0, min(block_w / n, (h - top - col_h - caption_h) / n))
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPixelSize(int(max(12, min(17, cell * 0.46))))
        p.setFont(small)
        title = f"Co-activation (row: movement made; shade: |r|, green against; red: synkinesis) — {self.note}"
        p.drawText(QRectF(4, 0, w - 8, 20), Qt.AlignCenter,
                   QFontMetrics(small).elidedText(title, Qt.ElideMiddle, int(w - 8)))
        numbered = {(q.side, q.driver, q.response): i + 1 for i, q in enumerate(pairs)}
        for s, side in enumerate(SIDES):
            x0 = lab_w + s * (block_w + lab_w + 10)
            p.setFont(bold)
            p.setPen(QColor(*SIDE_RGB[side]))
            p.drawText(QRectF(x0, 20, cell * n, 18), Qt.AlignCenter, f"subject's {side.upper()}")
            p.setFont(small)
            p.setPen(Qt.black)
            for i in range(n):
                p.setPen(Qt.black if self.driver_way[s, i] > 0 else QColor(31, 95, 168))
                p.drawText(QRectF(x0 - lab_w, top + i * cell, lab_w - 3, cell), Qt.AlignRight | Qt.AlignVCenter,
                           self.row_label(s, i))
            p.setPen(Qt.black)
            for i, name in enumerate(SIGNALS):   # column labels turned upright: they fit any cell
                p.save()
                p.translate(x0 + (i + 0.5) * cell, top + n * cell + 3)
                p.rotate(-90)
                p.drawText(QRectF(-col_h + 2, -cell / 2, col_h - 2, cell), Qt.AlignRight | Qt.AlignVCenter, SHORT[name])
                p.restore()
            for d in range(n):
                for r in range(n):
                    rect = QRectF(x0 + r * cell, top + d * cell, cell - 1, cell - 1)
                    v = self.r[s, d, r]
                    if d == r or not math.isfinite(v):
                        p.fillRect(rect, QColor(245, 245, 245))
                        continue
                    a = max(0.0, min(1.0, abs(v)))
                    # Blue: the response moved its named way with the row's movement; green: the
                    # opposite way (a brow pulled down), as the report's cell signs.
                    p.fillRect(rect, QColor(int(255 - 120 * a), int(255 - 120 * a), 255) if v * self.driver_way[s, d] >= 0
                               else QColor(int(255 - 120 * a), int(255 - 40 * a), int(255 - 120 * a)))
                    if self.flag[s, d, r]:
                        p.setPen(QPen(QColor(220, 0, 0), 3))
                        p.drawRect(rect.adjusted(1, 1, -1, -1))
                    if (s, d, r) in numbered:
                        p.setPen(QColor(160, 0, 0) if self.flag[s, d, r] else Qt.black)
                        p.drawText(rect, Qt.AlignCenter, str(numbered[(s, d, r)]))
                    p.setPen(Qt.black)
        p.setFont(small)
        y = top + n * cell + col_h
        for i, q in enumerate(pairs):
            p.setPen(QColor(160, 0, 0) if q.flagged else Qt.black)
            line = QFontMetrics(small).elidedText(f"{i + 1}  {q.text}", Qt.ElideRight, int(w - 8))
            p.drawText(QRectF(4, y + i * line_h, w - 8, line_h), Qt.AlignLeft | Qt.AlignVCenter, line)
        p.end()
