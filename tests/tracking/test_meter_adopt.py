"""FaceMeter.adopt: a frame measured before (a pre-scanned video's rest frame) taken as it is,
the meter going on from it as if it had just measured it."""

import numpy as np

from realtime.sources.demo_face import DemoConfig, DemoFace
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.meter import FaceMeter, Reference


def test_adopting_a_measurement_resumes_registration_from_it(model_path):
    demo = DemoFace(DemoConfig(seconds=1, seed=5, synkinesis="left", head_motion=True))
    frames = [demo.render(i) for i in range(12)]
    with Landmarker(model_path) as full:
        ref = Reference(frames[0], full.detect(frames[0])[0])
        with FaceMeter(model_path, ref, full_landmarker=full) as meter:
            first = [meter.measure(f, i, i / 30) for i, f in enumerate(frames)]
            # The registration now goes on from frame 11; measured from there, frame 6 differs...
            apart = meter.measure(frames[6], 6, 6 / 30)
            # ... but after adopting frame 5 it starts where it started the first time.
            assert meter.adopt(first[5]).result() is first[5]
            again = meter.measure(frames[6], 6, 6 / 30)
    assert all(m.face for m in first) and again.face
    assert not np.array_equal(apart.warp, first[6].warp)
    np.testing.assert_array_equal(again.warp, first[6].warp)
    # The frame after an adopted one is probed afresh (the last probe may be seconds old), and
    # the probe's head turn is taken off the geometry (head_turn.py): the same frame measured
    # after another probe differs by that turn's estimate, here under 0.005 IOD (0.3 mm).
    np.testing.assert_allclose(again.features, first[6].features, rtol=0, atol=0.005)
