"""validate --patterns, cut down: a pattern planted on one side, and the same pattern clean,
through the whole analysis, judged and written as the table's rows (the full table: ``run.py
validate --patterns``)."""

from __future__ import annotations

from realtime.checks.pattern_table import BELOW_FLOOR, HEADER, cases, check_case, row, small_strength, summary
from realtime.sources.demo_face import PATTERNS, DemoConfig


def test_planted_chin_dimpling_is_called_on_its_side_with_its_lag_and_clean_is_not(model_path, tmp_path):
    planted = check_case(DemoConfig(seconds=12, seed=77, pattern="pucker-chin", synkinesis="right"),
                         model_path, tmp_path)
    assert planted.found is not None and planted.found.key() == ("pucker", "chin_dimpling", "right")
    assert planted.direction_ok and planted.lag_error_frames <= 1.0 and planted.correct
    clean = check_case(DemoConfig(seconds=12, seed=78, pattern="pucker-chin", synkinesis="none"),
                       model_path, tmp_path)
    assert clean.called == [] and clean.correct
    assert summary([planted, clean]) == "2 of 2 right"


def test_a_brow_pulled_down_is_found_the_way_it_moves(model_path, tmp_path):
    # A response planted the opposite way to its signal's name (brow_raise, down): found as such,
    # and the table says so in words.
    case = check_case(DemoConfig(seconds=12, seed=79, pattern="pucker-brow-down", synkinesis="left"),
                      model_path, tmp_path)
    assert case.found is not None and case.found.key() == ("pucker", "brow_raise", "left")
    assert case.found.direction == -1 and case.direction_ok and case.lag_error_frames <= 1.0
    line = row(case)
    assert line.count("|") == HEADER.splitlines()[0].count("|")
    # the size read is in mm, within a fifth of the planted peak (the brow is read from the image)
    size = float(line.split("| left, brow down, ")[1].split(" mm, lag error")[0])
    assert abs(size - case.planted_peak) <= 0.2 * case.planted_peak, (size, case.planted_peak)
    assert line.endswith(f"| {'right' if case.correct else 'WRONG'} |")


def test_a_brow_lowering_below_the_visible_floor_is_called_nothing(model_path, tmp_path):
    # The other side of the floor: 0.6 mm (floor ~1.26 mm) moves the brow, and nothing is called.
    cfg = DemoConfig(seconds=12, seed=80, pattern="pucker-brow-down", synkinesis="left",
                     strength=BELOW_FLOOR["pucker-brow-down"])
    case = check_case(cfg, model_path, tmp_path)
    assert case.below_floor and case.planted_peak > 0
    assert case.called == [] and case.correct, [str(c) for c in case.called]
    assert "below the visible floor: nothing expected, nothing called" in row(case)


def test_every_pattern_is_planted_above_its_floor_on_both_sides_and_clean():
    configs = cases(5100)
    assert len({c.seed for c in configs}) == len(configs)
    for pattern in ("smile-eye", "blink-mouth", "pucker-brow-down", "brow-neck", "pucker-chin"):
        mine = [c for c in configs if c.pattern == pattern]
        planted = [c for c in mine if c.synkinesis != "none" and c.strength != BELOW_FLOOR.get(pattern)]
        assert sorted((c.synkinesis, c.strength) for c in planted) == sorted(
            (side, s) for side in ("left", "right") for s in (PATTERNS[pattern].strength, small_strength(pattern)))
        assert sum(c.synkinesis == "none" for c in mine) == 1
    assert small_strength("pucker-brow-down") > PATTERNS["pucker-brow-down"].strength / 2
