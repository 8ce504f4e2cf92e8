"""The live biofeedback window: capture and measurement threads (``engine``), a ring buffer of
signals (``ring``), biofeedback rules (``feedback``) and the Qt widgets (``window``, ``gauge``,
``matrix``, ``overlay``)."""
