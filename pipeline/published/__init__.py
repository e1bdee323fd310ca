"""The records we publish, the one writer, their schemas and the checks of the published files."""
