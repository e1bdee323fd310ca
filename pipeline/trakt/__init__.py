"""The only code that knows Trakt: the client (``client``), its rate limit and its stored answers. The fake
Trakt for the tests and ``--demo`` is ``pipeline.demo.fake_trakt``."""
