"""The HTTP API: request models, authentication, and the routes."""
