"""The hub's device API (``/api/v1``): one module of routes per concern."""
