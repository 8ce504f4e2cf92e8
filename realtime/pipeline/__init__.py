"""The one frame loop: source -> reference/calibration -> measurement -> signals ->
co-activation, fanned out to the attached sinks."""
