"""Beskar7Cluster: the control-plane endpoint and readiness of a Cluster API cluster.

reconciler.py (the thin shell), core.py (the pure next status).
"""
