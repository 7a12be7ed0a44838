"""felhom-controller: the node agent that feeds felhom-hub."""

__version__ = "0.1.0"
