"""Per-person rest baseline, voluntary ranges and saved profiles."""
