"""``--demo``: the stand-ins the demo runs against (``run``)."""
