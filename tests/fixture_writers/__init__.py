"""Scripts that cut tests/fixtures/ from the full snapshots in ../shared (run by hand)."""
