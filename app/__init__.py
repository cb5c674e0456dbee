"""The service: HTTP API, storage, replies and routing around the classifier library."""
