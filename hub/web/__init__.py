"""The technicians' web page: accounts, pages, analytics rollups.

Wired into the hub by ``hub.web.routes.routes`` (the page routes) and
``hub.web.routes.web_ctx`` (a cleanup context: migrations, the analytics rollup follower).
"""
