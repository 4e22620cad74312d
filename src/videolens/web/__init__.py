"""The web UI: static files (``static/``) the API server serves at ``/``."""
