"""The only code that knows Trakt: the client (``client``), its rate limit, and the fake Trakt for tests and
``--demo`` (``fake``)."""
