"""All SQL of the hub lives in this package; handlers, jobs and the CLI call its functions."""

from felhom_hub.store.database import Database

__all__ = ["Database"]
