"""The `beskar7` command (main.py) and what its subcommands use: apply, get (output formats),
manifests (reading files), manager (the manager process), flags (value parsers)."""
