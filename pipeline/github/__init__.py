"""The only code that knows GitHub: the `gh` command (``gh``) and the `latest` release (``release``)."""
