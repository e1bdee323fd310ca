"""Pure rules: what the mapping sources and Trakt's answers say about one mapping (no I/O, no Trakt calls)."""
