"""The model in the service: the active scorer and its health, batches scored together (here or in a child process),
the registry of versions, relevance."""
