"""Synkinesis: live measurement of involuntary facial co-activation."""

__version__ = "0.1.0"
