"""Self-checks a user can run: accuracy validation and the benchmark."""
