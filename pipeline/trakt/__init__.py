"""The only code that knows Trakt: the client (``client``), its rate limit (``ratelimit``), its stored answers
(``stored``) and its answers parsed into records (``parse``). The fake Trakt for the tests and ``--demo`` is
``pipeline.demo.fake_trakt``."""
