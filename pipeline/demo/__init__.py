"""``--demo``: the stand-ins the demo runs against (``run``): the fake Trakt (``fake_trakt``, the HTTP server,
``wire`` its socket level) over its world (``world``: what it knows and answers), and the sample data (``data/``)."""
