"""Typed clients of the server's API, one per domain, over the schemas in ``shared`` (the server's own)."""
