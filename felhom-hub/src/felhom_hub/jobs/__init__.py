"""Background jobs: each is a ``run_once`` that does one unit of work, plus a thin loop."""
