"""Content bundles shipped with Cimaise; ``content/demo`` is the demo exhibition."""
