"""Cloud sync: the hub's worker that sends anonymized batches, and the reference receiver."""
