"""The Kubernetes store through lightkube (store.py) and its error mapping (errors.py)."""
