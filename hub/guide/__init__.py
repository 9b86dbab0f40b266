"""The mobile guide: server-rendered pages for visitors' phones, and ``/b/{beacon}`` short links.

``language`` picks the visitor's language, ``strings`` holds the interface texts,
``pages`` turns the public pack into what the templates show (all pure);
``routes`` is the thin aiohttp layer and ``render`` the Jinja2 environment.
"""
