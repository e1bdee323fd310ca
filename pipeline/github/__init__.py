"""The only code that knows GitHub: the `gh` command (``gh``), the `latest` release (``release``), the data
commit's git: its identity, catching up with the remote, pushing (``push``), and its message (``commit_message``)."""
