#!/usr/bin/env python3
"""The one entry point: ``python run.py --help``."""

import sys

from realtime.cli import main

if __name__ == "__main__":
    sys.exit(main())
