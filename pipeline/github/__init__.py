"""The only code that knows GitHub: the `gh` command (``gh``), the `latest` release (``release``), and the
data commit's git: its identity, catching up with the remote, pushing (``push``)."""
