"""Signal maths as pure NumPy functions: features and activations, co-activation, resampling
onto a regular grid, online episodes. No I/O, no threads, no models."""
