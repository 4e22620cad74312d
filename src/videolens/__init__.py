"""videolens: self-hosted video understanding on Temporal."""

__version__ = "0.1.0"
