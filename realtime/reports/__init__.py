"""HTML pages from measured sessions: the session report and the progress page."""
