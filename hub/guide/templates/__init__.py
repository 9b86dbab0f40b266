"""Jinja2 templates of the mobile guide (a package so that wheels ship them)."""
