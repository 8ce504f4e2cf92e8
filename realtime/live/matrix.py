"""Live co-activation matrix: driver (rows) x response (columns), one block per side.
Cell colour = peak correlation; the strongest pairs show r and lag; synkinesis is boxed red."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from realtime.landmarks import SIDES
from realtime.palette import SIDE_RGB
from realtime.signals.episodes import MIN_WINDOW_S
from realtime.signals.features import SIGNALS, movement

SHORT = {"brow_raise": "brow", "eye_closure": "eye", "cheek_raise": "cheek", "nose_wrinkle": "nose",
         "smile": "smile", "pucker": "pucker", "lower_lip": "l.lip", "chin": "chin",
         "chin_dimpling": "dimple", "neck_bands": "neck"}


class CoactivationMatrix(QWidget):
    def __init__(self, parent=None, label_strongest: int = 3):
        super().__init__(parent)
        n = len(SIGNALS)
        self.r = np.full((2, n, n), np.nan)
        self.lag = np.full((2, n, n), np.nan)
        self.flag = np.zeros((2, n, n), bool)
        self.label_strongest = label_strongest
        self.updates = 0
        self.note = f"waiting for {MIN_WINDOW_S:.0f} s of signals"
        self.setMinimumSize(400, 240)

    def set_couplings(self, couplings, seconds: float) -> None:
        idx = {s: i for i, s in enumerate(SIGNALS)}
        self.r[:] = np.nan
        self.lag[:] = np.nan
        self.flag[:] = False
        for c in couplings:
            s, d, r = SIDES.index(c.side), idx[c.driver], idx[c.response]
            self.r[s, d, r], self.lag[s, d, r], self.flag[s, d, r] = c.peak_r, c.lag_s, c.synkinesis
        self.note = f"last {seconds:.0f} s"
        self.updates += 1
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        n = len(SIGNALS)
        w, h = self.width(), self.height()
        lab_w, top, caption_h, col_h = 54, 40, 36, 50
        block_w = (w - 2 * lab_w - 10) / 2
        cell = min(block_w / n, (h - top - col_h - caption_h) / n)
        captions = []
        # Text grows with the cells (readable at arm's length on a large screen, still fits
        # a laptop's smaller cells).
        small = QFont(self.font())
        small.setPixelSize(int(max(11, min(16, cell * 0.42))))
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPixelSize(int(max(12, min(17, cell * 0.46))))
        p.setFont(bold)
        p.drawText(QRectF(0, 0, w, 20), Qt.AlignCenter,
                   f"Co-activation (row drives column): peak r (negative: moves the opposite way) — {self.note}")
        for s, side in enumerate(SIDES):
            x0 = lab_w + s * (block_w + lab_w + 10)
            p.setFont(bold)
            p.setPen(QColor(*SIDE_RGB[side]))
            p.drawText(QRectF(x0, 20, cell * n, 18), Qt.AlignCenter, f"subject's {side.upper()}")
            p.setFont(small)
            p.setPen(Qt.black)
            for i, name in enumerate(SIGNALS):
                p.drawText(QRectF(x0 - lab_w, top + i * cell, lab_w - 3, cell), Qt.AlignRight | Qt.AlignVCenter, SHORT[name])
            for i, name in enumerate(SIGNALS):   # column labels turned upright: they fit any cell
                p.save()
                p.translate(x0 + (i + 0.5) * cell, top + n * cell + 3)
                p.rotate(-90)
                p.drawText(QRectF(-col_h + 2, -cell / 2, col_h - 2, cell), Qt.AlignRight | Qt.AlignVCenter, SHORT[name])
                p.restore()
            vals = np.where(np.isfinite(self.r[s]), np.abs(self.r[s]), -np.inf).ravel()
            strongest = set(np.argsort(vals)[::-1][:self.label_strongest]) if np.isfinite(vals).any() else set()
            for d in range(n):
                for r in range(n):
                    rect = QRectF(x0 + r * cell, top + d * cell, cell - 1, cell - 1)
                    v = self.r[s, d, r]
                    if d == r or not math.isfinite(v):
                        p.fillRect(rect, QColor(245, 245, 245))
                        continue
                    a = max(0.0, min(1.0, abs(v)))
                    # Blue: moves with the driver; green: the opposite way (a brow pulled down).
                    p.fillRect(rect, QColor(int(255 - 120 * a), int(255 - 120 * a), 255) if v >= 0
                               else QColor(int(255 - 120 * a), int(255 - 40 * a), int(255 - 120 * a)))
                    if self.flag[s, d, r]:
                        p.setPen(QPen(QColor(220, 0, 0), 3))
                        p.drawRect(rect.adjusted(1, 1, -1, -1))
                    if self.flag[s, d, r] or d * n + r in strongest:
                        # r in the cell; the lag goes in the caption below (cells are small)
                        p.setPen(QColor(160, 0, 0) if self.flag[s, d, r] else Qt.black)
                        p.drawText(rect, Qt.AlignCenter, f"{v:.2f}".replace("0.", ".", 1))
                        captions.append((self.flag[s, d, r], abs(v),
                                         f"{side[0].upper()} {movement(SIGNALS[r], 1 if v >= 0 else -1)} with "
                                         f"{SHORT[SIGNALS[d]]}: lag {self.lag[s, d, r]:+.2f} s, r {v:.2f}"
                                         + (" SYNKINESIS" if self.flag[s, d, r] else "")))
                    p.setPen(Qt.black)
        captions.sort(key=lambda c: (not c[0], -c[1]))
        p.setFont(small)
        p.setPen(Qt.black)
        p.drawText(QRectF(4, top + n * cell + col_h, w - 8, caption_h), Qt.AlignLeft | Qt.TextWordWrap,
                   "; ".join(c[2] for c in captions[:4]))
        p.end()
