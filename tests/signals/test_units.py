from realtime.signals.units import IOD_MM, clinical, format_clinical, format_lag, shown, unit


def test_eye_closure_reads_in_percent_of_the_rest_fissure():
    assert unit("eye_closure") == "%"
    assert clinical("eye_closure", 0.5) == 50.0
    assert format_clinical("eye_closure", 0.123) == "12 %"


def test_movements_read_in_mm_from_the_inter_ocular_distance():
    assert unit("smile") == "mm"
    assert clinical("smile", 0.01) == 0.01 * IOD_MM
    assert clinical("brow_raise", 0.02, iod_mm=60.0) == 1.2
    assert format_clinical("smile", 0.04) == "2.5 mm"


def test_skin_texture_reads_as_a_multiple_of_its_rest_contrast():
    """Bands three and a half times as contrasty as at rest (a change of +2.41 of the rest
    contrast) read "3.4× rest", not "+241 % tex"; the tables keep the percentage."""
    assert unit("neck_bands") == "× rest"
    assert shown("neck_bands", 2.41) == 3.41 and shown("chin_dimpling", 0.0) == 1.0
    assert clinical("neck_bands", 2.41) == 241.0
    assert format_clinical("neck_bands", 2.41) == "3.4× rest"
    assert format_clinical("chin_dimpling", 0.1, words=True) == "1.10× the skin's texture contrast at rest"
    assert format_clinical("chin_dimpling", -0.2) == "0.80× rest"       # smoother than at rest
    assert format_clinical("neck_bands", 15.3) == "16× rest"
    assert shown("smile", 0.01) == clinical("smile", 0.01)


def test_no_negative_zero():
    assert format_clinical("eye_closure", -0.004) == "0 %"
    assert format_clinical("smile", -0.0004) == "0.0 mm"


def test_lag_reads_signed_in_seconds_without_negative_zero():
    assert format_lag(0.113) == "+0.11 s"
    assert format_lag(-0.2) == "-0.20 s"
    assert format_lag(-0.001) == "+0.00 s"     # a zero-lag pair read "lag -0.00 s" in the live window
