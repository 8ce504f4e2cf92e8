"""The Python API: a video or a session folder as pandas tables.

    from realtime import analyze_video, load_session
    res = analyze_video("clip.mp4", out="results")   # as run.py analyze; out=None keeps no files
    res.coactivation.query("verdict == 'synkinesis'")
    res.frames.plot(x="timestamp_s", y=["eye_closure_left", "eye_closure_right"])
    again = load_session("results")                    # or a recorded session folder

``realtime.api.result`` holds the result types and ``load_session``; ``realtime.api.analyze``
runs the measurement. Nothing below this layer imports it.
"""

from realtime.api.analyze import analyze_video
from realtime.api.result import Quality, SessionResult, Verdict, load_session

__all__ = ["analyze_video", "load_session", "SessionResult", "Quality", "Verdict"]
