"""The guide's Android packaging: its entry point and the staging of its sources."""
