"""felhom-hub: the fleet hub that felhom-controllers push reports, events and backups to."""

__version__ = "0.1.0"
