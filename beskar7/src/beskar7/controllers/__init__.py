"""One folder per kind (machine/, host/, cluster/): a thin reconciler over a pure core."""
