"""The hub's stable id, kept in its data folder (announced by zeroconf as ``hub_id``)."""

from __future__ import annotations

import uuid
from pathlib import Path

FILE_NAME = "hub_id"


def load_hub_id(data: Path) -> str:
    """The hub id of this data folder, made on first use."""
    path = Path(data) / FILE_NAME
    try:
        text = path.read_text().strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    hub_id = uuid.uuid4().hex
    tmp = path.with_name(FILE_NAME + ".tmp")
    tmp.write_text(hub_id + "\n")
    tmp.replace(path)
    return hub_id
