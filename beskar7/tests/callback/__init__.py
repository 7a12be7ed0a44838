"""Tests of the :8082 callback server."""
