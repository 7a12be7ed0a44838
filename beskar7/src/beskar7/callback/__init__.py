"""The :8082 callback server: iPXE boot scripts, inspection reports, provisioning callbacks."""
