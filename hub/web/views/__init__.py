"""Handlers of the technicians' pages, one module per page."""
