"""A large vertical gauge: the still region's activation against its "keep below" band."""

from __future__ import annotations

import math
from typing import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

OK_COLOUR = QColor(40, 170, 70)
OVER_COLOUR = QColor(220, 40, 40)
BLINK_COLOUR = QColor(150, 150, 150)


class Gauge(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.value = float("nan")
        self.limit = 1.0
        self.title = ""
        self.over = False
        self.blink = False
        self.fmt: Callable[[float], str] | None = None   # a value in the unit shown
        self.unit = ""                                   # that unit in words, under the title
        self.idle = "no face"                            # shown when there is no value
        self.setMinimumSize(110, 200)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)

    def set_state(self, value: float, limit: float, title: str = "", blink: bool = False,
                  fmt: Callable[[float], str] | None = None, idle: str = "no face", unit: str = "") -> bool:
        """Update; returns True if the value is over the band (the caller may beep on a rise).
        ``blink``: the eye is closing with the other one, briefly: shown grey, never "too much".
        ``fmt``: writes a value with its unit (the value and the band's edge are labelled);
        ``idle``: what to say when there is no value; ``unit``: the unit in words, under the title."""
        self.value, self.limit, self.title, self.blink = value, max(limit, 1e-6), title, blink
        self.fmt, self.idle, self.unit = fmt, idle, unit
        self.over = bool(math.isfinite(value) and value > self.limit and not blink)
        self.update()
        return self.over

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        top, bottom = (52 if self.unit else 34), h - 26
        small = QFont(self.font())
        small.setPointSize(8)
        edge = self.fmt(self.limit) if self.fmt is not None else ""
        # The bar moves left as far as the band's edge label needs ("1.10× rest" is wider
        # than "1.3 mm"): the label is never cut.
        room = QFontMetrics(small).horizontalAdvance(edge) + 14
        bar = QRectF(max(4.0, min(w * 0.25, w * 0.5 - room)), top, w * 0.5, bottom - top)
        scale = 3.0 * self.limit                       # full bar = three times the limit
        y_of = lambda v: bottom - (bottom - top) * min(max(v / scale, 0.0), 1.0)  # noqa: E731
        p.fillRect(bar, QColor(235, 235, 235))
        band = QRectF(bar.left(), y_of(self.limit), bar.width(), bottom - y_of(self.limit))
        p.fillRect(band, QColor(200, 235, 205))        # the "keep below" band
        colour = BLINK_COLOUR if self.blink else (OVER_COLOUR if self.over else OK_COLOUR)
        if math.isfinite(self.value):
            fill = QRectF(bar.left() + 6, y_of(self.value), bar.width() - 12, bottom - y_of(self.value))
            p.fillRect(fill, colour)
        p.setPen(QPen(Qt.black, 2, Qt.DashLine))
        p.drawLine(int(bar.left() - 8), int(y_of(self.limit)), int(bar.right() + 8), int(y_of(self.limit)))
        p.setPen(Qt.black)
        p.drawRect(bar)
        if edge:
            p.setFont(small)
            p.drawText(QRectF(bar.right() + 2, y_of(self.limit) - 16, w - bar.right() - 2, 14),
                       Qt.AlignLeft | Qt.AlignVCenter, edge)
        f = QFont(self.font())
        f.setBold(True)
        f.setPointSize(11)
        p.setFont(f)
        p.drawText(QRectF(0, 0, w, 34), Qt.AlignCenter, self.title)
        if self.unit:
            small = QFont(self.font())
            small.setPointSize(9)
            p.setFont(small)
            p.drawText(QRectF(0, 26, w, top - 28), Qt.AlignCenter, f"({self.unit})")
            p.setFont(f)
        p.setPen(colour)
        txt = (self.idle if not math.isfinite(self.value) else "blink" if self.blink
               else "TOO MUCH" if self.over else "OK")
        if math.isfinite(self.value) and self.fmt is not None:
            txt += f"  {self.fmt(self.value)}"
        p.drawText(QRectF(0, bottom + 2, w, 24), Qt.AlignCenter, txt)
        p.end()
