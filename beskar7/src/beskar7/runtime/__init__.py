"""Object stores (embedded SQLite, Kubernetes), work queue, manager and leader election."""
