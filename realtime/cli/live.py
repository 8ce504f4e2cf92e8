"""``run.py live``: the live biofeedback window (the default command)."""

import os
import signal
from pathlib import Path

from realtime.cli import (
    AFFECTED_HELP,
    LSL_HELP,
    MIRRORED_HELP,
    add_demo_palsy,
    days_since_onset,
    demo_settings,
    print_rest,
    subject_id,
)

NAME = "live"
HELP = "live window: video, signal traces, co-activation matrix and biofeedback gauge"


def add_arguments(p) -> None:
    p.add_argument("--source", default="camera",
                   help="camera, camera:N, demo or a video file (default: camera; the demo face "
                        "is shown if there is no camera). A video file's rest baseline comes from its "
                        "most neutral stretch, found before it plays")
    p.add_argument("--profile", help="calibration profile (JSON): rest noise and maximal ranges")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--duration", type=float, help="close after this many seconds (headless runs)")
    p.add_argument("--screenshot", help="save a PNG of the whole window just before closing "
                   "(with --duration)")
    p.add_argument("--beep", action="store_true", help="tone when the still region leaves its band")
    p.add_argument("--sessions", help="folder for recordings made with the Record button "
                   "(default ~/synkinesis-sessions)")
    p.add_argument("--subject", type=subject_id, help="pseudonymous subject id stored with recordings (not a name)")
    p.add_argument("--days-since-onset", type=days_since_onset, help="days since onset, stored with recordings")
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--affected", choices=("left", "right"), help=AFFECTED_HELP)
    p.add_argument("--record", action="store_true",
                   help="start recording as soon as the rest calibration is done")
    p.add_argument("--lsl", action="store_true", help=LSL_HELP)
    add_demo_palsy(p)


def _quiet_offscreen_warning() -> None:
    """The offscreen platform warns on every window that it "does not support
    propagateSizeHints()"; that is expected there and reads like an error in a headless log."""
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import sys

    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)
    qInstallMessageHandler(handler)


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import sys

    from calibration.profile import load_profile
    from realtime.tracking.model_asset import resolve_model

    headless = (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                and not os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("QT_QPA_PLATFORM"):
        if args.duration is None:
            # Qt would abort with a screenful of xcb errors; say what to do instead.
            raise OSError("no display to open the live window on: run it on a desktop, or headless "
                          "with --duration S --screenshot OUT.png")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if args.screenshot:
        check_screenshot(args.screenshot, args.duration)
    profile = load_profile(args.profile) if args.profile else None
    lsl = None
    if args.lsl:
        from realtime.sinks.lsl_outlet import LslSettings, load_pylsl
        load_pylsl()
        lsl = LslSettings()
    model = resolve_model(args.model)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from realtime.live.engine import LiveEngine
    from realtime.live.window import LiveWindow

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        _quiet_offscreen_warning()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    saved: list[str] = []
    engine = LiveEngine(model, args.source, profile=profile,
                        profile_path=str(Path(args.profile).resolve()) if args.profile else None,
                        mirrored=args.mirrored, lsl=lsl, demo=demo_settings(args))
    try:
        engine.start()
        win = LiveWindow(engine, sources=[args.source], beep=args.beep, sessions_dir=args.sessions,
                         session_options={"subject": args.subject,
                                          "days_since_onset": args.days_since_onset,
                                          "affected": args.affected})
        win.show()
        print(win.schedule, flush=True)
        _close_on_signals(win)
        _yield_to_measurement()
        if args.record:
            def start_when_calibrated():
                if engine.baseline is None:
                    QTimer.singleShot(200, start_when_calibrated)
                elif engine.recording is None:
                    win._toggle_record()
            start_when_calibrated()
        if args.duration is not None:
            def finish():
                if args.screenshot:
                    win.tick()
                    if save_private(win.grab(), args.screenshot):
                        saved.append(args.screenshot)
                win.close()
            QTimer.singleShot(int(args.duration * 1000), finish)
        app.exec()
    finally:
        engine.stop()
        print(engine.stats.summary(), flush=True)
        print_rest(None if engine.calibration is None else engine.calibration.to_json())
        for folder in engine.recorded:
            print(f"recording saved in {folder}", flush=True)
        if not engine.recorded:
            print("nothing recorded (use the Record button or --record to keep a session)", flush=True)
    if args.screenshot and not saved:
        raise OSError(f"could not write the screenshot {args.screenshot}: check the folder and the .png name")
    if args.screenshot:
        print(f"screenshot saved in {args.screenshot}", flush=True)
    return 0


def check_screenshot(path: str, duration: float | None) -> None:
    """Before the window opens: a screenshot is taken at --duration, into a folder that exists."""
    if duration is None:
        raise ValueError("--screenshot is taken when --duration ends: add --duration S")
    p = Path(path).expanduser()
    if p.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise ValueError(f"--screenshot {path}: use a .png (or .jpg) file name")
    if not p.parent.is_dir() or not os.access(p.parent, os.W_OK):
        raise OSError(f"--screenshot {path}: folder {p.parent} does not exist or is not writable")


def save_private(pixmap, path: str) -> bool:
    """The window shows a face: the picture is readable by its owner only."""
    ok = bool(pixmap.save(path))
    if ok:
        os.chmod(path, 0o600)
    return ok


def _close_on_signals(win) -> None:
    """Ctrl+C and SIGTERM close the window like its close button (recordings end cleanly). Qt's
    event loop runs in C++, so a timer hands control back to Python a few times a second for the
    handlers to run."""
    from PySide6.QtCore import QTimer  # Qt loads only when the window opens (fast --help)

    def close(signum, frame):
        QTimer.singleShot(0, win.close)
    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    win._signal_wake = QTimer(win)
    win._signal_wake.timeout.connect(lambda: None)
    win._signal_wake.start(200)


def _yield_to_measurement(niceness: int = 5) -> None:
    """Lower the GUI thread's scheduling priority (Linux: niceness is per thread, and threads
    already started keep theirs): when the two cores are saturated, drawing waits and display
    updates are dropped, but capture and measurement keep the camera's pace."""
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import threading
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass   # not Linux, or not allowed: the window still works
