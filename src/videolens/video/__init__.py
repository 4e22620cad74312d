"""Video probing and frame sampling: a plain library, usable without Temporal."""
