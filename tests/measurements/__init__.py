"""Scripts that measure a night or a move on the full data and print figures; not tests."""
