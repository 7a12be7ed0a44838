"""The real hub as a test peer (podman is in felhom_controller.testing)."""
