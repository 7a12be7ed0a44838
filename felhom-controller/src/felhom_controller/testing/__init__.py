"""Real peers for tests, the benchmark and the lab (not used by the agent itself)."""
