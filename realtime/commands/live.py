"""``run.py live``: the live biofeedback window (the default command)."""

NAME = "live"
HELP = "live window: video, signal traces, co-activation matrix and biofeedback gauge"


def add_arguments(p) -> None:
    p.add_argument("--source", default="camera",
                   help="camera, camera:N, demo or a video file (default: camera; the demo face "
                        "is shown if there is no camera)")
    p.add_argument("--profile", help="calibration profile (JSON): rest noise and maximal ranges")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--duration", type=float, help="close after this many seconds (headless runs)")
    p.add_argument("--screenshot", help="save a PNG of the whole window just before closing")
    p.add_argument("--beep", action="store_true", help="tone when the still region leaves its band")


def run(args) -> int:
    import os
    import sys

    from calibration.profile import load_profile
    from realtime.model_asset import resolve_model

    profile = load_profile(args.profile) if args.profile else None
    model = resolve_model(args.model)
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from realtime.live.engine import LiveEngine
    from realtime.live.window import LiveWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    engine = LiveEngine(model, args.source, profile=profile)
    try:
        engine.start()
        win = LiveWindow(engine, sources=[args.source], beep=args.beep)
        win.show()
        if args.duration is not None:
            def finish():
                if args.screenshot:
                    win.tick()
                    win.grab().save(args.screenshot)
                win.close()
            QTimer.singleShot(int(args.duration * 1000), finish)
        app.exec()
    finally:
        engine.stop()
        print(engine.stats.summary(), flush=True)
    return 0
