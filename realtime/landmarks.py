"""MediaPipe face-mesh landmark indices, grouped by anatomical region and side.

"left" and "right" are always the subject's own sides. In an unmirrored camera image
the subject's left side appears on the image's right (larger x).
"""

from __future__ import annotations

SIDES: tuple[str, str] = ("left", "right")

# Per side: index lists. Checked against the model's output on a frontal photograph
# (subject-left indices have larger image x in the unmirrored image).
REGIONS: dict[str, dict[str, list[int]]] = {
    "left": {
        "brow": [300, 293, 334, 296, 336],
        "eye_upper": [385, 386, 387],
        "eye_lower": [380, 374, 373],
        "eye_inner": [362],
        "eye_outer": [263],
        "iris": [473, 474, 475, 476, 477],
        "cheek": [280, 425, 346],
        "ala": [358, 278, 294, 327],
        "corner": [291],
        "lower_lip": [314, 405, 321],
        "chin": [400, 377, 396, 369],
    },
    "right": {
        "brow": [70, 63, 105, 66, 107],
        "eye_upper": [160, 159, 158],
        "eye_lower": [144, 145, 153],
        "eye_inner": [133],
        "eye_outer": [33],
        "iris": [468, 469, 470, 471, 472],
        "cheek": [50, 205, 117],
        "ala": [129, 48, 64, 98],
        "corner": [61],
        "lower_lip": [84, 181, 91],
        "chin": [176, 148, 171, 140],
    },
}

# Midline points from forehead to chin; used for the face frame and to split sides.
MIDLINE = [10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 2, 0, 13, 14, 17, 152]
NOSE_BRIDGE = [9, 8, 168, 6, 197]  # stops above the tip, which smiles move
# Nose dorsum from its root between the eyes down to mid-nose: the image registration's
# anchor (composite.Composer._registration_mask).
NOSE_DORSUM = [168, 6, 197, 195]  # not 5, just above the tip: a smile lifts it
# Forehead: top edge of the mesh (left to right in the image) and the brows' upper edge
# (right to left), which together bound the band used for image registration.
FOREHEAD_TOP = [54, 103, 67, 109, 10, 338, 297, 332, 284]
ABOVE_BROWS = [300, 293, 334, 296, 336, 9, 107, 66, 105, 63, 70]
FOREHEAD = FOREHEAD_TOP + [151]
# Outline of the whole face (face oval), used for crops.
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21,
             54, 103, 67, 109]

# Landmark groups that make up each measured region, for masks and outlines.
UPPER_REGION = ("brow", "eye_upper", "eye_lower", "eye_inner", "eye_outer", "iris")
LOWER_REGION = ("cheek", "ala", "corner", "lower_lip", "chin")

# Eye lids for drawing (closed polygon around the palpebral fissure).
EYE_OUTLINE = {
    "left": [362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398],
    "right": [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
}
# Outer lip contour, split at the midline (0 top, 17 bottom) into the two halves.
LIP_HALF = {
    "left": [0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17],
    "right": [0, 37, 39, 40, 185, 61, 146, 91, 181, 84, 17],
}

# Every lip point, outer and inner contour (MediaPipe's FACE_LANDMARKS_LIPS): the mouth's area,
# kept out of the bare-skin patches of tracking/skin_cover.py.
LIPS = [0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181, 185, 191,
        267, 269, 270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375, 402, 405, 409, 415]

# Lower lip edge and jaw line from the midline outwards, per side (skin texture patches,
# tracking/texture.py): the chin skin lies between them, the neck below the jaw line.
LOWER_LIP_EDGE = {"left": [17, 314, 405, 321], "right": [17, 84, 181, 91]}
JAW_LINE = {"left": [152, 377, 400, 378, 379, 365, 397], "right": [152, 148, 176, 149, 150, 136, 172]}

INNER_EYE = {"left": 362, "right": 133}
IRIS_CENTRE = {"left": 473, "right": 468}
