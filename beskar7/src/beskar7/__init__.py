"""beskar7: a Cluster API infrastructure provider for bare metal."""

__version__ = "0.1.0"
