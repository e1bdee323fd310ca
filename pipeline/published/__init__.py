"""The records we publish and what writes them: the data commit's message, the predecessor's entries imported."""
