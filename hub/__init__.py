"""The Cimaise hub: device API, event store, content, guide, technician page, cloud sync.

``hub.client`` is the hub's client side, shared by kiosks and beacon agents.
"""
