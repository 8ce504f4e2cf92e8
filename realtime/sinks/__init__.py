"""Where measured frames go: analysis files, session folders, the live ring buffer, the console."""
