"""Rest baseline and profile files."""

import json

import numpy as np
import pytest

from calibration.baseline import RestBaseline, rest_baseline
from calibration.profile import Profile, ProfileError, load_profile, save_profile
from realtime.signals.features import FEATURES, N_LANDMARK, SIGNALS, TEXTURE, F, S


def test_rest_baseline_level_is_median_and_noise_is_robust_sd():
    rng = np.random.default_rng(0)
    f = np.ones((200, 2, len(FEATURES)))
    f[:, :, F["corner_height"]] += rng.normal(0, 0.01, (200, 2))
    f[5] = np.nan                      # a faceless frame is ignored
    f[7, :, F["corner_height"]] = 5.0  # one outlier (a twitch) does not move the level
    b = rest_baseline(f)
    assert b.frames == 199
    assert b.level[0, F["corner_height"]] == pytest.approx(1.0, abs=0.003)
    # smile = (d lateral + d height) / sqrt 2 -> SD 0.01 / sqrt 2
    assert b.noise[0, S["smile"]] == pytest.approx(0.01 / np.sqrt(2), rel=0.2)
    assert b.noise[0, S["brow_raise"]] == pytest.approx(1e-3)  # floor for a perfectly still signal


def test_rest_baseline_needs_faces():
    with pytest.raises(ValueError, match="too few frames"):
        rest_baseline(np.full((10, 2, len(FEATURES)), np.nan))


def test_profile_round_trip(tmp_path):
    level = np.arange(2 * len(FEATURES), dtype=float).reshape(2, len(FEATURES)) / 10
    noise = np.full((2, len(SIGNALS)), 0.002)
    mr = np.full((2, len(SIGNALS)), np.nan)
    mr[0, S["smile"]] = 0.12
    p = Profile(rest=RestBaseline(level, noise, 60), max_range=mr, source="x.mp4")
    path = save_profile(p, tmp_path / "sub" / "me.json")
    q = load_profile(path)
    np.testing.assert_allclose(q.rest.level, level)
    np.testing.assert_allclose(q.rest.noise, noise)
    assert q.max_range[0, S["smile"]] == pytest.approx(0.12)
    assert np.isnan(q.max_range[1, S["smile"]])
    assert json.loads(path.read_text())["version"] == 1


def test_profile_from_before_the_texture_signals_loads_them_unknown(tmp_path):
    level = np.arange(2 * len(FEATURES), dtype=float).reshape(2, len(FEATURES)) / 10
    p = Profile(rest=RestBaseline(level, np.full((2, len(SIGNALS)), 0.002), 60))
    d = p.to_json()
    for side in ("left", "right"):       # as written before chin_dimpling and neck_bands existed
        for g, f in TEXTURE.items():
            del d["rest"]["level"][side][f], d["rest"]["noise"][side][g], d["max_range"][side][g]
    (tmp_path / "old.json").write_text(json.dumps(d))
    q = load_profile(tmp_path / "old.json")
    tex = [S[g] for g in TEXTURE]
    assert np.isnan(q.rest.noise[:, tex]).all() and np.isnan(q.rest.level[:, [F[f] for f in TEXTURE.values()]]).all()
    np.testing.assert_allclose(q.rest.noise[:, :N_LANDMARK], 0.002)


def test_bad_profiles_give_clear_errors(tmp_path):
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ProfileError, match="not a valid calibration"):
        load_profile(bad)
