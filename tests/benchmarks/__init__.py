"""Scripts that print speed and precision figures (each command in docs/performance.md); not tests."""
