"""Container images and deployment manifests of the services (docs/deploy.md)."""
