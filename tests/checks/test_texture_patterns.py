"""validate --texture, cut down: one skin-texture pattern planted on one side, and the same
pattern clean, through the whole analysis (the full table: ``run.py validate --texture``)."""

from __future__ import annotations

from realtime.checks.texture_patterns import check_case
from realtime.sources.demo_face import DemoConfig


def test_planted_chin_dimpling_is_called_on_its_side_with_its_lag_and_clean_is_not(model_path, tmp_path):
    planted = check_case(DemoConfig(seconds=12, seed=77, pattern="pucker-chin", synkinesis="right"),
                         model_path, tmp_path)
    assert planted.texture_flags == [("pucker", "chin_dimpling", "right")]
    assert planted.direction_ok and planted.lag_error_frames <= 1.0 and planted.correct
    clean = check_case(DemoConfig(seconds=12, seed=78, pattern="pucker-chin", synkinesis="none"),
                       model_path, tmp_path)
    assert clean.texture_flags == [] and clean.correct
