def main() -> int:
    """Placeholder until the inspector lands."""
    return 0
