"""The import of the predecessor's files (pipeline.migrate): rebuilding its entries, what is held back, the report."""
