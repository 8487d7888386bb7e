"""The model in the service: the loaded scorer and its child process, the registry of versions, relevance."""
