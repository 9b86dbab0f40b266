"""The guide's Jinja2 environment (autoescaped) and page rendering."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from hub.guide import pages


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of ``hub/guide/templates``, HTML-escaped by default, built once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hub.guide", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        media_url=pages.media_url,
        variant=pages.variant,
        paragraphs=pages.paragraphs,
        human_size=pages.human_size,
        artwork_url=pages.artwork_url,
        zone_anchor=pages.zone_anchor,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render one page of the guide."""
    return environment().get_template(template).render(**context)
