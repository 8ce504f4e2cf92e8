"""Face tracking: the model asset, the landmark networks, image registration to the neutral
reference, per-region composites and ``FaceMeter``, which turns a frame into per-side features."""
