"""What each command runs: a source, the frame loop and the sinks it needs."""
