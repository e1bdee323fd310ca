"""The pure decisions, no I/O and no Trakt calls: what the sources, the published files and Trakt's answers say.

``rules``: discovery's claims for the MAL ids upstream lacks; ``mappings``: which mapping wins for each MAL id
(upstream, override, discovered, or the entry published before); ``retention``: what a published entry
becomes tonight; ``resolve`` and ``entries``: each mapping's verdict over Trakt's answers, and each MAL id's
entry; ``seasons``, ``taken``, ``shared_seasons``: the season and episode evidence, corrections and
collisions; ``overrides``: an override's episodes checked like the evidence; ``episode_map`` and
``episode_maps``: the episode map across Trakt seasons; ``crossref``: the AniDB and AniList ids; ``guards``:
the mass-change guards.
"""
