"""The live window. Runs on the GUI thread, driven by a QTimer; it only reads what the engine's
threads left behind (newest frame, ring buffer, latest co-activation), so slow drawing skips
display updates and never measurements."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from realtime.clinical.assessment import Task, default_timeline, prompt_at
from realtime.clinical.weekly import PEAK_SIGNALS, PROTOCOL, WEEKLY_BY_KEY, timeline_length, weekly_timeline
from realtime.jobs.schedule import due_text, next_due, schedule_line
from realtime.landmarks import SIDES
from realtime.live import overlay
from realtime.live.engine import LiveEngine
from realtime.live.feedback import BlinkGate, RepCounter, keep_below, still_movement
from realtime.live.gauge import Gauge
from realtime.live.matrix import SHORT, CoactivationMatrix
from realtime.live.status_line import StatusLine, status_parts
from realtime.palette import SIDE_HEX, SIDE_RGB
from realtime.reports.report import write_report
from realtime.signals.coactivation import MOVES_BOTH_WAYS, min_amplitude
from realtime.signals.episodes import MIN_WINDOW_S, WINDOW_S
from realtime.signals.features import NAMES, SIGNALS
from realtime.signals.units import UNITS_LEGEND, format_clinical, shown, unit, unit_words
from realtime.sinks.keyframes import INDEX as KEYFRAMES_INDEX
from realtime.sinks.keyframes import Keyframes
from realtime.tracking.quality import ADVICE

TRACE_SECONDS = 10.0
SCHEDULE_SHOWN_S = 60.0     # the weekly test's schedule stays in the banner this long after start


@dataclass
class Guided:
    """A prompted sequence running within the current recording: the guided assessment or the
    weekly test. ``finish`` gets the session folder once the recording is closed."""
    title: str
    timeline: list[dict]
    tasks: dict[str, Task] | None          # labels and instructions by key (None: the assessment's)
    finish: Callable[[Path], None]


def _first_size() -> tuple[int, int]:
    """1280x780, or less on a smaller screen (a 1366x768 laptop); the offscreen platform's
    800x800 "screen" is not a real one (headless screenshots keep the full size)."""
    screen = QApplication.primaryScreen()
    if screen is None or QApplication.platformName() == "offscreen":
        return 1280, 780
    avail = screen.availableGeometry()
    return min(1280, avail.width()), min(780, avail.height() - 30)   # the title bar


class Traces(pg.GraphicsLayoutWidget):
    """One small plot per signal, both sides overlaid; curves are created once."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.plots = []
        for i, sig in enumerate(SIGNALS):
            plot = self.addPlot(row=i, col=0)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            plot.setXRange(-TRACE_SECONDS, 0, padding=0)
            plot.getAxis("left").setWidth(34)
            plot.getAxis("bottom").setStyle(showValues=i == len(SIGNALS) - 1)
            if i == len(SIGNALS) - 1:
                plot.setLabel("bottom", "s (0 = now)", **{"font-size": "7pt"})
            for ax in ("left", "bottom", "right"):
                plot.getAxis(ax).enableAutoSIPrefix(False)
            # small: ten plots share the height, and "dimple × rest" must fit beside its own
            plot.setLabel("right", f"{SHORT[sig]} {unit(sig)}", **{"font-size": "7pt"})
            plot.getAxis("right").setStyle(showValues=False)
            plot.getAxis("right").setWidth(14)
            for side in SIDES:
                self.curves[(side, sig)] = plot.plot(pen=pg.mkPen(SIDE_RGB[side], width=2),
                                                     name=side)
            self.plots.append(plot)
        self.plots[0].setTitle(f"<span style='color:{SIDE_HEX['left']}'>subject's LEFT</span> / "
                               f"<span style='color:{SIDE_HEX['right']}'>subject's RIGHT</span> — last 10 s",
                               size="9pt")
        self.points = 0

    def set_data(self, t: np.ndarray, sig: np.ndarray) -> None:
        if len(t) == 0:
            return
        x = t - t[-1]
        for s, side in enumerate(SIDES):
            for j, name in enumerate(SIGNALS):
                self.curves[(side, name)].setData(x, shown(name, sig[:, s, j]), connect="finite")
        self.points = len(t)


class LiveWindow(QMainWindow):
    def __init__(self, engine: LiveEngine, *, sources: list[str] | None = None, beep: bool = False,
                 interval_ms: int = 40, sessions_dir: str | Path | None = None,
                 session_options: dict | None = None):
        super().__init__()
        self.engine = engine
        self.sessions_dir = Path(sessions_dir) if sessions_dir else Path.home() / "synkinesis-sessions"
        self.session_options = session_options or {}
        self.setWindowTitle("Synkinesis — live biofeedback")
        self.resize(*_first_size())
        self._ring_seen = 0
        self._coact_seen = None
        self._was_over = False
        self._user_chose = False
        self._ticks = 0
        self.reps = RepCounter()
        self.guided: Guided | None = None             # the assessment or weekly test being prompted
        self.weekly_scale = 1.0                       # tests only: a shortened weekly test
        # The last weekly test and when the next is due: in the banner for the first minute.
        self.schedule = schedule_line(self.sessions_dir)
        self._schedule_until = time.monotonic() + SCHEDULE_SHOWN_S
        self.blinks = BlinkGate()
        self.flagged: list = []

        central = QWidget()
        grid = QGridLayout(central)
        grid.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        bf = QFont(self.font())
        bf.setPointSize(12)
        bf.setBold(True)
        self.banner.setFont(bf)
        self.banner.setStyleSheet("padding:4px; background:#fff7d6; border:1px solid #e0c060;")
        grid.addWidget(self.banner, 0, 0, 1, 3)

        self.video = QLabel("starting…")
        self.video.setAlignment(Qt.AlignCenter)
        # Scales with the window (the frame is drawn to the label's size): a fixed 512x384 made
        # the window too tall for a 1366x768 laptop.
        self.video.setMinimumSize(320, 240)
        self.video.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.video.setStyleSheet("background:#222; color:white;")
        vbox = QVBoxLayout()
        vbox.addWidget(self.video, 1)
        cap = QLabel(f"Mirror view. <b style='color:{SIDE_HEX['left']}'>L</b> = subject's left, "
                     f"<b style='color:{SIDE_HEX['right']}'>R</b> = subject's right; red = involuntary co-activation. "
                     f"Units: mm, {UNITS_LEGEND}.")
        cap.setWordWrap(True)
        vbox.addWidget(cap)
        grid.addLayout(vbox, 1, 0)

        self.traces = Traces()
        grid.addWidget(self.traces, 1, 1, 2, 1)

        grid.addWidget(self._feedback_panel(beep), 1, 2, 2, 1)

        self.matrix = CoactivationMatrix()
        grid.addWidget(self.matrix, 2, 0)
        grid.addWidget(self._control_bar(sources or []), 3, 0, 1, 3)
        # A line of its own, the window's width: beside the buttons it had a third of it and a
        # recording's folder and warning pushed "face the camera" out of sight.
        self.status = StatusLine()
        grid.addWidget(self.status, 4, 0, 1, 3)
        grid.setColumnStretch(0, 4)
        grid.setColumnStretch(1, 3)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(2, 1)
        self.setCentralWidget(central)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(interval_ms)

    # ---- panels ----------------------------------------------------------------------
    def _feedback_panel(self, beep: bool) -> QWidget:
        box = QGroupBox("Biofeedback")
        lay = QVBoxLayout(box)
        self.practised = QComboBox()
        self.still = QComboBox()
        self.side = QComboBox()
        for sig in SIGNALS:
            self.practised.addItem(NAMES[sig], sig)
            self.still.addItem(NAMES[sig], sig)
        for side in SIDES:
            self.side.addItem(f"subject's {side}", side)
        self.practised.setCurrentIndex(SIGNALS.index("smile"))
        if self.session_options.get("affected") in SIDES:      # practise on the affected side
            self.side.setCurrentIndex(SIDES.index(self.session_options["affected"]))
        self.still.setCurrentIndex(SIGNALS.index("eye_closure"))
        for c in (self.practised, self.still, self.side):
            c.activated.connect(self._chosen)
        form = QGridLayout()
        form.addWidget(QLabel("Practise"), 0, 0)
        form.addWidget(self.practised, 0, 1)
        form.addWidget(QLabel("Keep still"), 1, 0)
        form.addWidget(self.still, 1, 1)
        form.addWidget(QLabel("Side"), 2, 0)
        form.addWidget(self.side, 2, 1)
        lay.addLayout(form)
        self.gauge = Gauge()
        lay.addWidget(self.gauge, 1)
        self.band_label = QLabel()
        self.band_label.setWordWrap(True)
        lay.addWidget(self.band_label)
        self.rep_label = QLabel()
        f = QFont(self.font())
        f.setPointSize(14)
        f.setBold(True)
        self.rep_label.setFont(f)
        lay.addWidget(self.rep_label)
        self.beep = QCheckBox("tone when over the band")
        self.beep.setChecked(beep)
        lay.addWidget(self.beep)
        box.setFixedWidth(250)
        return box

    def _control_bar(self, sources: list[str]) -> QWidget:
        bar = QWidget()
        lay = QHBoxLayout(bar)
        lay.setContentsMargins(0, 0, 0, 0)
        self.calibrate = QPushButton("Calibrate rest (hold still 3 s)")
        self.calibrate.clicked.connect(lambda: self.engine.request_calibration("manual"))
        lay.addWidget(self.calibrate)
        lay.addWidget(QLabel("Source"))
        self.source = QComboBox()
        self.source.setEditable(True)
        for s in dict.fromkeys(sources + ["camera", "camera:1", "demo"]):
            self.source.addItem(s)
        self.source.setCurrentText(self.engine.source_name)
        lay.addWidget(self.source)
        self.switch = QPushButton("Switch / reconnect")
        self.switch.clicked.connect(self._switch)
        lay.addWidget(self.switch)
        self.assess = QPushButton("Guided assessment")
        self.assess.setToolTip("Standard task sequence (rest, brow raise, eye closures, smiles, pucker, "
                               "'eee'), prompted here, recorded, then scored in report.html")
        self.assess.clicked.connect(lambda: self.start_assessment())
        lay.addWidget(self.assess)
        self.weekly = QPushButton("Weekly test")
        self.weekly.setToolTip("About 90 s, once a week: rest, gentle eye closure, brow raise, smile, pucker, "
                               "show teeth, cheek puff; prompted here, recorded with a picture of each task")
        self.weekly.clicked.connect(lambda: self.start_weekly_test())
        lay.addWidget(self.weekly)
        self.record = QPushButton("\u25cf Record")
        self.record.setCheckable(True)
        self.record.clicked.connect(self._toggle_record)
        lay.addWidget(self.record)
        lay.addStretch(1)
        return bar

    def _chosen(self) -> None:
        self._user_chose = True
        self.reps.reset()

    def _toggle_record(self) -> None:
        e = self.engine
        if e.recording is not None:
            folder = e.recording.folder
            meta = e.stop_recording() or {}
            e.message = f"saved {meta.get('frames', 0)} frames to {folder}"
        else:
            folder = self.sessions_dir / datetime.now().strftime("%Y-%m-%d_%H%M%S")
            try:
                e.start_recording(folder, **self.session_options)
                e.message = ""
            except (OSError, RuntimeError) as exc:
                e.message = f"cannot record: {exc}"
        self.record.setChecked(e.recording is not None)

    @property
    def assessment(self) -> list[dict] | None:
        """The timeline being prompted (assessment or weekly test), None when none runs."""
        return None if self.guided is None else self.guided.timeline

    def start_assessment(self, timeline: list[dict] | None = None) -> None:
        """Prompt the standard task sequence on screen while recording; the timeline is saved
        in session.json (times from the recording's start) so the report can score it."""
        e = self.engine
        if self.guided is not None:
            return
        if e.baseline is None:
            e.message = "calibrate first: hold still for the rest calibration, then start the assessment"
            return
        if e.recording is None:
            self._toggle_record()
            if e.recording is None:
                return
        timeline = timeline or default_timeline()
        self.guided = Guided("Assessment", timeline, None, self._assessment_done)
        e.recording.writer.update_meta(timeline=timeline, assessment="guided, live")
        e.assessment_started(timeline)
        e.message = ""

    def _assessment_done(self, folder: Path) -> None:
        threading.Thread(target=_write_report, args=(folder, self.engine), name="live-report", daemon=True).start()

    def start_weekly_test(self) -> None:
        """The weekly test: its own recording (a new session folder, ``"protocol": "weekly"``),
        prompted here, with one keyframe per task; ends with where it was saved and when the
        next one is due."""
        e = self.engine
        if self.guided is not None:
            return
        if e.baseline is None:
            e.message = "calibrate first: hold still for the rest calibration, then start the weekly test"
            return
        if e.recording is not None:        # the test is a session of its own
            self._toggle_record()
        timeline = weekly_timeline(self.weekly_scale)
        folder = self.sessions_dir / datetime.now().strftime("%Y-%m-%d_%H%M%S")
        try:
            e.start_recording(folder, **self.session_options, timeline=timeline, timeline_file=True,
                              extra_meta={"protocol": PROTOCOL, "keyframes": KEYFRAMES_INDEX, "assessment": "weekly, live"},
                              sinks=(lambda rec: Keyframes(rec, timeline, PEAK_SIGNALS),))
        except (OSError, RuntimeError) as exc:
            e.message = f"cannot record the weekly test: {exc}"
            return
        self.guided = Guided("Weekly test", timeline, WEEKLY_BY_KEY, self._weekly_done)
        e.demo_performs(timeline, PROTOCOL)
        e.assessment_started(timeline)
        self.schedule = ""
        e.message = ""

    def _weekly_done(self, folder: Path) -> None:
        started = datetime.now().astimezone()
        due = due_text(next_due(started), date.today())
        shots = len(list((folder / "keyframes").glob("*.png"))) if (folder / "keyframes").is_dir() else 0
        self.engine.message = f"Weekly test saved in {folder} ({shots} pictures). Next weekly test due {due}."

    def _assessment_prompt(self) -> str | None:
        """The banner text while a guided sequence runs; ends it at the end (the assessment
        then writes its report)."""
        e, rec, g = self.engine, self.engine.recording, self.guided
        if g is None:
            return None
        if rec is None:                        # recording stopped (button, disk full): abandon
            self.guided = None
            return None
        if rec.t0 is None or e.ring.last_time is None:
            return f"{g.title}: starting…"
        t = e.ring.last_time - rec.t0
        p = prompt_at(g.timeline, t, g.tasks)
        if p is None and t >= timeline_length(g.timeline):
            folder = rec.folder
            self.guided = None
            self._toggle_record()
            g.finish(folder)
            return None
        if p is None:
            return f"{g.title}: get ready…"
        if p.phase == "hold":
            what = f"{p.label.upper()}: {p.instruction}  HOLD {p.seconds_left:.0f} s"
        elif p.phase == "prompt":
            what = f"Next: {p.label.upper()}: {p.instruction}  Starts in {p.seconds_left:.0f} s"
        else:
            what = f"Relax ({p.seconds_left:.0f} s)"
        rep = f", rep {p.rep}/{p.reps}" if p.reps > 1 else ""
        return f"{g.title} {p.task_number}/{p.tasks}{rep} — {what}"

    def _switch(self) -> None:
        try:
            self.engine.switch_source(self.source.currentText().strip())
        except Exception as exc:  # a bad path must not close the window
            self.engine.message = str(exc)

    # ---- the GUI tick ----------------------------------------------------------------
    def tick(self) -> None:
        e = self.engine
        self._ticks += 1
        packet = e.take_packet()
        if packet is not None:
            self._show_frame(packet)
        t, s, self._ring_seen = e.ring.since(self._ring_seen)
        self._feedback(s)
        if self._ticks % 3 == 0:   # 10 Hz is smooth enough for a 10 s scrolling trace
            self.traces.set_data(*e.ring.window(TRACE_SECONDS))
        co = e.coactivation
        if co is not None and co is not self._coact_seen:
            self._coact_seen = co
            self.show_coactivation(co.couplings, co.seconds)
        self._status()

    def show_coactivation(self, couplings, seconds: float) -> None:
        """The latest co-activation (``Coupling``s over the last ``seconds``) in the matrix and
        the banner; the gauge turns to the strongest synkinesis until the user chooses."""
        self.matrix.set_couplings(couplings, seconds)
        # strongest first, in multiples of the smallest visible movement (the units differ)
        self.flagged = sorted((c for c in couplings if c.synkinesis),
                              key=lambda c: -c.amplitude / min_amplitude(c.response))
        if self.flagged and not self._user_chose:
            top = self.flagged[0]
            self.practised.setCurrentIndex(SIGNALS.index(top.driver))
            self.still.setCurrentIndex(SIGNALS.index(top.response))
            self.side.setCurrentIndex(SIDES.index(top.side))

    def _show_frame(self, packet) -> None:
        highlight = {(c.side, c.response) for c in self.flagged}
        alert = {(self.side.currentData(), self.still.currentData())} if self.gauge.over else set()
        # Scale to the label before drawing (Qt's smooth scaling cost ~4 ms a frame on the GUI
        # thread, which competes with the measurement for the same two cores).
        h, w = packet.frame.image.shape[:2]
        box = self.video.size()
        k = min(box.width() / w, box.height() / h)
        img = overlay.render(packet.frame.image, packet.measurement, highlight, alert,
                             scale=k if k > 0 else 1.0)
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, 3 * w, QImage.Format_RGB888)
        self.video.setPixmap(QPixmap.fromImage(qimg.copy()))
        self.engine.mark_shown(packet)

    def band(self):
        e = self.engine
        side, still = SIDES.index(self.side.currentData()), SIGNALS.index(self.still.currentData())
        if e.noise is None:
            return None
        return keep_below(e.noise, e.max_range, side, still)

    def _feedback(self, new: np.ndarray) -> None:
        e = self.engine
        band = self.band()
        side = SIDES.index(self.side.currentData())
        still, prac = SIGNALS.index(self.still.currentData()), SIGNALS.index(self.practised.currentData())
        if band is None:
            self.gauge.set_state(float("nan"), 1.0, "calibrating…", idle="calibrating")
            self.band_label.setText("")
            self.rep_label.setText("")
            return
        on = keep_below(e.noise, e.max_range, side, prac, k=6.0, fraction=0.3).limit
        eye = SIGNALS.index("eye_closure")
        other_band = keep_below(e.noise, e.max_range, 1 - side, eye).limit
        blink = self.gauge.blink          # unchanged until a new frame says otherwise
        for row in new:
            if np.isfinite(row).all():
                this_over = still_movement(row[side, still], SIGNALS[still]) > band.limit
                # a blink closes both eyes briefly: neither a leak nor "too much"
                blink = still == eye and self.blinks.update(time.monotonic(), this_over,
                                                            row[1 - side, eye] > other_band)
                self.reps.update(row[side, prac], on, this_over and not blink)
        value = float(still_movement(new[-1, side, still], SIGNALS[still])) if len(new) else self.gauge.value
        if len(new) and not np.isfinite(value):
            value = float("nan")
        name = f"{self.side.currentData().upper()} {NAMES[SIGNALS[still]]}"
        either = SIGNALS[still] in MOVES_BOTH_WAYS      # a brow pulled down leaks as a raised one does
        over = self.gauge.set_state(value, band.limit, name, blink=bool(blink),
                                    fmt=partial(format_clinical, SIGNALS[still]),
                                    unit=unit_words(SIGNALS[still]) + (", either way" if either else ""))
        if over and not self._was_over and self.beep.isChecked():
            QApplication.beep()
        self._was_over = over
        limit = format_clinical(SIGNALS[still], band.limit, words=True) + (" either way" if either else "")
        self.band_label.setText(f"Keep below {limit} ({band.how}) "
                                f"while you practise the {NAMES[SIGNALS[prac]]} on the {self.side.currentData()} side.")
        self.rep_label.setText(f"Clean reps: {self.reps.clean} / {self.reps.total}")

    def _status(self) -> None:
        e = self.engine
        st = e.stats
        proc = np.median(st.process_ms) if st.process_ms else float("nan")
        lat = st.latencies_ms[-1] if st.latencies_ms else float("nan")
        rec = e.recording
        recording = None
        if rec is not None:
            secs = int(time.monotonic() - rec.started_at)
            recording = f"\u25cf REC {secs // 60:02d}:{secs % 60:02d} {rec.folder.name}"
        self.record.setChecked(rec is not None)
        self.record.setEnabled(e.baseline is not None or rec is not None)
        cal = e.calibration
        rest = "" if cal is None else f"rest {cal.rest[0]:.1f}-{cal.rest[1]:.1f} s ({cal.mode}), "
        self.status.set_parts(status_parts(
            recording=recording, warning=None if rec is None else rec.writer.warning,
            # a video searched for its rest before it plays has shown no frame yet, lost no face
            face_ok=e.face_ok or e.calibrating in ("scanning", "building"),
            figures=f"{e.source_name}: {rest}{st.fps:.1f} fps, processing {proc:.0f} ms, delay {lat:.0f} ms, "
                    f"dropped {st.dropped}"))
        self.banner.setText(self.guidance())

    def guidance(self) -> str:
        e = self.engine
        prompt = self._assessment_prompt()
        if prompt is not None:
            return prompt
        msg = (e.message + "  ") if e.message else ""
        if self.schedule and time.monotonic() < self._schedule_until:
            msg = f"{self.schedule}  {msg}"
        if e.calibrating == "scanning":
            return msg + (f"Finding the most neutral stretch of {e.searching} for the rest baseline "
                          f"({e.calibration_progress:.0%}); the video then plays from its start.")
        if e.calibrating in ("auto", "manual"):
            return msg + (f"Hold still and look at the camera with a relaxed face: calibrating rest "
                          f"({e.calibration_progress:.0%}).")
        if e.calibrating == "building":
            return msg + f"Calibrating: building your rest reference ({e.calibration_progress:.0%})…"
        if not e.face_ok:
            return msg + "Face lost: face the camera, well lit. What was measured is kept."
        why = e.quality_reason
        if why in ADVICE and why not in ("calibrating", "no face"):
            return msg + (f"Not measuring ({why}): {ADVICE[why]}. These frames are left out of "
                          "the co-activation.")
        if self.flagged:
            c = self.flagged[0]
            driver, moves = c.as_seen()      # the driver named for the way it moved ("brow down")
            return msg + (f"Synkinesis on the subject's {c.side.upper()}: {moves} with the {driver} "
                          f"({format_clinical(c.response, c.amplitude, words=True)}, {max(c.lag_s, 0.0):.2f} s later; "
                          f"r {c.peak_r:.2f}). Next: {driver} slowly and softly, keeping the gauge "
                          "green; hold 5 s, relax.")
        if e.coactivation is None:
            return msg + ("Measuring… move as you would in an exercise; co-activation appears after "
                          f"~{MIN_WINDOW_S:.0f} s.")
        return msg + (f"No involuntary co-activation in the last {WINDOW_S:.0f} s. Practise the chosen movement "
                      "slowly; keep the still region's gauge green.")

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self.engine.stop()
        super().closeEvent(event)


def _write_report(folder: Path, engine: LiveEngine) -> None:
    try:
        path = write_report(folder)
        engine.message = f"Assessment saved; report: {path}"
    except Exception as exc:  # the recording is safe on disk; say why the page is missing
        engine.message = f"Assessment saved in {folder}; report failed ({exc}): run 'python run.py report {folder}'"
