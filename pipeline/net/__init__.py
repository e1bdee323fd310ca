"""Downloads of the outside sources: retries with backoff, and one bounded time budget a night for each source."""
