"""The hub's client side: what devices share to talk to the hub (schema, discovery, outbox)."""
