"""Pure rules, no I/O: what the mapping sources and Trakt's answers say about a mapping (``rules``: discovery)."""
