"""Logging set-up: one line per fact, readable in journalctl."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str = "INFO", component: str = "cimaise") -> None:
    """Log to stderr as 'LEVEL component logger: message'.

    Under systemd (JOURNAL_STREAM set) the journal adds its own timestamps, so none
    are printed; elsewhere each line starts with the time.
    """
    under_journal = "JOURNAL_STREAM" in os.environ
    fmt = "%(levelname)s " + component + " %(name)s: %(message)s"
    if not under_journal:
        fmt = "%(asctime)s " + fmt
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt, datefmt="%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Chatty libraries stay at WARNING unless debugging.
    if level.upper() != "DEBUG":
        for name in ("aiohttp.access", "zeroconf", "kivy", "bleak", "PIL"):
            logging.getLogger(name).setLevel(logging.WARNING)
