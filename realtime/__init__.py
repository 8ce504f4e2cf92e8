"""Synkinesis: live measurement of involuntary facial co-activation.

``from realtime import analyze_video, load_session`` is the Python API (``realtime/api``). It
and ``__version__`` load on first use (PEP 562), so ``import realtime``, which every command
and module does, stays light: no face model, no pandas.
"""

API = ("analyze_video", "load_session", "SessionResult", "Quality", "Verdict")


def __getattr__(name: str):
    if name == "__version__":
        from realtime.version import package_version  # reads package metadata: only when asked
        return package_version()
    if name in API:
        # The API's front door, not a dependency: it loads pandas and the jobs, only when used.
        from realtime import api
        return getattr(api, name)
    raise AttributeError(f"module 'realtime' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "__version__", *API])
