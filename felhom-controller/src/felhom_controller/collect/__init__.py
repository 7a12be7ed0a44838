"""Collectors: each reads one part of the node and returns plain report fragments."""
