"""extended-anitrakt: MyAnimeList -> Trakt mappings enriched with Trakt metadata, built nightly."""
