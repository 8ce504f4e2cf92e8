"""The live co-activation matrix's numbered pairs and their lines, on a real widget offscreen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from realtime.live.matrix import CoactivationMatrix  # noqa: E402
from realtime.signals.coactivation import Coupling  # noqa: E402
from realtime.signals.features import S  # noqa: E402


def test_a_zero_lag_pair_reads_plus_zero_and_its_size_in_mm(tmp_path):
    app = QApplication.instance() or QApplication([])
    m = CoactivationMatrix()
    m.resize(560, 330)
    m.set_couplings([Coupling("cheek_raise", "smile", "right", peak_r=0.998, lag_s=-0.001, gain=1.0,
                              amplitude=0.054, synkinesis=False)], seconds=10)
    (pair,) = m.pairs()
    assert pair.text == "R: mouth corner up and out with cheek raise: 3.4 mm, lag +0.00 s (r 1.00)"
    m.show()
    app.processEvents()
    assert m.grab().save(str(tmp_path / "matrix.png"))


def test_what_rides_along_a_driver_moving_its_other_way_is_told_as_it_moved():
    """In a pucker the cheek and the "smile" signal both go down: r is positive, but the line
    must not say the corner went up and out with a cheek raise."""
    app = QApplication.instance() or QApplication([])
    m = CoactivationMatrix()
    m.set_couplings([Coupling("cheek_raise", "smile", "right", peak_r=0.998, lag_s=0.0, gain=1.0,
                              amplitude=0.054, synkinesis=False, driver_direction=-1)], seconds=10)
    (pair,) = m.pairs()
    assert pair.text.startswith("R: mouth corner down and in with cheek down: 3.4 mm")
    # ... and its row on that side is named for that movement; the other side's keeps its name
    assert (m.row_label(1, S["cheek_raise"]), m.row_label(0, S["cheek_raise"])) == ("cheek dn", "cheek")
    app.processEvents()


def test_a_close_but_invisible_co_movement_is_not_told():
    # r 0.99 with a response that moved 0.1 mm: nothing a person sees; a visible pair is told.
    app = QApplication.instance() or QApplication([])
    m = CoactivationMatrix()
    m.set_couplings([Coupling("eye_closure", "smile", "right", peak_r=0.99, lag_s=0.07, gain=0.01,
                              amplitude=0.0015, synkinesis=False),
                     Coupling("cheek_raise", "nose_wrinkle", "right", peak_r=0.9, lag_s=0.0, gain=1.0,
                              amplitude=0.03, synkinesis=False)], seconds=10)
    assert [p.text.split(":")[1].strip() for p in m.pairs()] == ["nose wing up with cheek raise"]
    app.processEvents()
