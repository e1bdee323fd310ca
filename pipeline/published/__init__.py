"""The published data: what one run decided for each file, the one writer of the files and ``meta.json``,
and the run summary the report reads."""
