"""The published data and what writes it: the records and their key order, the one writer, the schemas and the checks
of the published files, what one run decided for each file, meta.json and the run summary the report reads."""
