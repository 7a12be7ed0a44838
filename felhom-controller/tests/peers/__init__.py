"""Real peers for the controller's tests: the hub as a process, podman's Engine API."""
