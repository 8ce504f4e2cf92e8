"""One colour per anatomical side, everywhere (live window, reports, progress pages), so a
user who learnt "orange is my left" in the window reads the printed report the same way."""

SIDE_RGB = {"left": (240, 130, 0), "right": (0, 150, 230)}
SIDE_HEX = {side: "#%02x%02x%02x" % rgb for side, rgb in SIDE_RGB.items()}
ALERT_RGB = (255, 30, 30)   # involuntary co-activation
