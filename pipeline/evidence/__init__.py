"""Pure rules, no I/O and no Trakt calls: what the mapping sources and Trakt's answers say about one mapping.

``rules``: discovery's claims for the MAL ids upstream lacks; ``seasons``: the season and episode evidence for
every published TV mapping.
"""
