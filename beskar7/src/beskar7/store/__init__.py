"""Object stores behind one protocol (protocol.py): the embedded SQLite store (embedded/) and
Kubernetes through lightkube (kube/); merge patches, label selectors, and open_store (open.py)
to pick one."""
