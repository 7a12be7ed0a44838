"""The operator dashboard: server-rendered pages over the same store the API reads."""
