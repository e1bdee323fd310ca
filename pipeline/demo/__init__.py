"""``--demo``: the stand-ins the demo runs against (``run``), the fake Trakt (``fake_trakt``) and its sample
data (``data/``)."""
