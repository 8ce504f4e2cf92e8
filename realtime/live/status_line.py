"""The live window's status line: what the user must know or do first (a recording under way, a
lost face and what to do about it, a recording problem), the measurement figures last. It fits
the width it is given: the end is shortened with an ellipsis and the whole text goes in its
tooltip, so a long folder path or warning never pushes "face the camera" out of sight."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy

SEPARATOR = " — "
ELLIPSIS = "\u2026"
STYLES = {"": "", "rec": "color:#d00; font-weight:bold", "alert": "font-weight:bold"}


@dataclass(frozen=True)
class Part:
    """One piece of the line, in the order shown (most important first)."""
    text: str
    style: str = ""          # a key of STYLES: "rec" (red, bold), "alert" (bold) or "" (plain)


def status_parts(*, recording: str | None, warning: str | None, face_ok: bool, figures: str) -> list[Part]:
    """The line's pieces: ``recording`` ("● REC 01:02 FOLDER", None when not recording), the
    recording's ``warning``, the face, then ``figures`` (source, rate, delay)."""
    parts = [Part(recording, "rec")] if recording else []
    if not face_ok:
        parts.append(Part("FACE LOST — face the camera", "alert"))
    if warning:
        parts.append(Part(warning, "alert"))
    parts.append(Part(figures + (" — face OK" if face_ok else "")))
    return parts


def _esc(text: str) -> str:
    return html.escape(text, quote=False)     # text between tags only


class StatusLine(QLabel):
    """A one-line label that shows ``Part``s within its width (see the module's notes)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.parts: list[Part] = []
        self.setTextFormat(Qt.RichText)
        # Its text changes many times a second: it must neither widen the window nor wrap (a
        # second line would make the panels above jump).
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setMinimumHeight(QFontMetrics(self.font()).height() + 4)

    def set_parts(self, parts: list[Part]) -> None:
        if parts != self.parts:
            self.parts = list(parts)
            self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def full_text(self) -> str:
        return SEPARATOR.join(p.text for p in self.parts)

    def _metrics(self, style: str) -> QFontMetrics:
        font = QFont(self.font())
        font.setBold("bold" in STYLES[style])
        return QFontMetrics(font)

    def _fit(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin() - 2   # a pixel or two of rounding
        shown, cut = [], False
        for i, p in enumerate(self.parts):
            sep = SEPARATOR if i else ""
            fm = self._metrics(p.style)
            need = fm.horizontalAdvance(sep) + fm.horizontalAdvance(p.text)
            if need <= room:
                shown.append((sep, p.text, p.style))
                room -= need
                continue
            cut = True
            left = room - fm.horizontalAdvance(sep)
            if left > fm.horizontalAdvance("xx" + ELLIPSIS):       # a stub of a word says nothing
                shown.append((sep, fm.elidedText(p.text, Qt.ElideRight, left), p.style))
            elif shown:
                # no room for even a stub: mark the line as shortened where it ends
                s, text, style = shown[-1]
                fm_last = self._metrics(style)
                shown[-1] = (s, fm_last.elidedText(text + ELLIPSIS, Qt.ElideRight, fm_last.horizontalAdvance(text)),
                             style)
            break
        self.setText("".join(_esc(sep) + (f"<span style='{STYLES[style]}'>{_esc(text)}</span>" if style else _esc(text))
                             for sep, text, style in shown))
        # The whole line where the visible one is shortened; none otherwise.
        self.setToolTip(self.full_text() if cut else "")


__all__ = ["Part", "StatusLine", "status_parts"]
