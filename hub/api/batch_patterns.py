"""The event schema's string patterns checked once per batch instead of once per value.

msgspec checks a ``pattern`` constraint by calling Python's ``re`` for every value, about
0.2 us each and four or five per event: most of what validating a batch costs. The
ingest fast path decodes a batch with *twins* of the wire types (``TWINS``), built here
from them: the same fields in the same order with every other constraint kept, and each
patterned string a plain string. ``patterns_hold`` then checks each pattern once over
all of a batch's values of it, joined by newlines: no pattern may match a newline
(checked at import) and a value that holds one makes the count of newlines wrong, so
each match is one value. The twins subclass the wire types, so a twin is a ``Visit``
(etc.) to every reader and encodes to the same bytes. A batch that fails the check takes
the strict path, which names each bad event.
"""

from __future__ import annotations

import operator
import re
import re._parser as _parser  # type: ignore[import-not-found]  # to prove a pattern newline-free
import typing
from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any, Final

import msgspec
from msgspec import structs

from hub.client.events import WHOLE_END, Event, Interaction, Occupancy, Visit, whole

_not_none = partial(operator.is_not, None)
_NEWLINE = ord("\n")


def _newline_free(items: Any) -> bool:
    """True when a parsed pattern can only match text without a newline.

    A whitelist (literals, positive sets of literals and ranges, repeats, groups,
    alternatives): anything else (``.``, ``\\s``, negated sets...) might match one.
    """
    for op, arg in items:
        if op is _parser.LITERAL:
            if arg == _NEWLINE:
                return False
        elif op is _parser.IN:
            for kind, value in arg:
                if kind is _parser.LITERAL and value != _NEWLINE:
                    continue
                if kind is _parser.RANGE and not value[0] <= _NEWLINE <= value[1]:
                    continue
                return False
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
            if not _newline_free(arg[2]):
                return False
        elif op is _parser.SUBPATTERN:
            if not _newline_free(arg[3]):
                return False
        elif op is _parser.BRANCH:
            if not all(_newline_free(branch) for branch in arg[1]):
                return False
        else:
            return False
    return True


def _bulk(pattern: str) -> re.Pattern[str]:
    """``pattern`` (``whole(body)``) over newline-joined values, each whole.

    Joining is sound only when the body cannot match a newline: then every item the
    regex matches lies between two newlines, so each is one value. Checked here, at
    import, so that a pattern added to the schema later cannot slip through.
    """
    body = pattern.removeprefix("^").removesuffix(WHOLE_END)
    if pattern != whole(body):
        raise TypeError(f"pattern {pattern!r} is not written as whole(body)")
    if not _newline_free(_parser.parse(body)):
        raise TypeError(f"pattern {pattern!r} might match a newline: no batch check for it")
    return re.compile(f"(?:{body})(?:\n(?:{body}))*")


def _strip(tp: Any) -> tuple[Any, str | None]:
    """``tp`` without its pattern constraint, and that pattern (None when it has none)."""
    if typing.get_origin(tp) is Annotated:
        base, *metas = typing.get_args(tp)
        kept: list[Any] = []
        pattern = None
        for meta in metas:
            if isinstance(meta, msgspec.Meta) and meta.pattern is not None:
                others = [
                    name
                    for name in ("min_length", "max_length", "gt", "ge", "lt", "le", "tz")
                    if getattr(meta, name) is not None
                ]
                if others:  # a twin would lose them: give them a Meta of their own
                    raise TypeError(f"a pattern shares its Meta with {others}: split them")
                pattern = meta.pattern
            else:
                kept.append(meta)
        return (Annotated[(base, *kept)] if kept else base), pattern
    if typing.get_origin(tp) in (typing.Union, type(int | None)):
        stripped = [_strip(arg) for arg in typing.get_args(tp)]
        found = {p for _, p in stripped if p is not None}
        if len(found) > 1:
            raise TypeError(f"{tp} has several patterns")
        return typing.Union[tuple(t for t, _ in stripped)], next(iter(found), None)  # noqa: UP007
    return tp, None


class _Twin:
    """One wire type's twin and how to collect its patterned values."""

    def __init__(self, wire: type[msgspec.Struct]) -> None:
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        checked: list[tuple[str, str]] = []
        for field in structs.fields(wire):
            tp, pattern = _strip(field.type)
            if pattern is not None:
                checked.append((field.name, pattern))
            if field.required:
                fields.append((field.name, tp))
            else:
                fields.append((field.name, tp, field.default))
        config = wire.__struct_config__
        # every field declared again, so the twin keeps the wire type's field order
        self.type: type[msgspec.Struct] = msgspec.defstruct(
            f"{wire.__name__}Checked",
            fields,
            bases=(wire,),
            frozen=config.frozen,
            kw_only=True,
            tag=config.tag,
            tag_field=config.tag_field,
        )
        if not checked:
            raise TypeError(f"{wire.__name__} has no patterned field: it needs no twin")
        self.patterns = [pattern for _, pattern in checked]
        self.values = operator.attrgetter(*(name for name, _ in checked))


TWINS: Final = {wire: _Twin(wire) for wire in (Visit, Occupancy, Interaction)}
_BY_TWIN: Final = {twin.type: twin for twin in TWINS.values()}
_BULK: Final = {
    pattern: _bulk(pattern) for twin in TWINS.values() for pattern in twin.patterns
}
CHECKED_VISIT: Final = TWINS[Visit].type
CHECKED_OCCUPANCY: Final = TWINS[Occupancy].type
CHECKED_INTERACTION: Final = TWINS[Interaction].type
#: the union to decode a batch's events with (each a subclass of its wire type)
CHECKED_EVENT: Any = typing.Union[tuple(twin.type for twin in TWINS.values())]  # noqa: UP007


def patterns_hold(events: Sequence[Event]) -> bool:
    """True when every patterned value of ``events`` (decoded as twins) matches its pattern."""
    by_pattern: dict[str, list[str]] = {}
    by_type: dict[type, list[Any]] = {}
    for event in events:
        by_type.setdefault(type(event), []).append(event)
    for kind, same in by_type.items():
        twin = _BY_TWIN[kind]
        rows = list(map(twin.values, same))
        columns = zip(*rows, strict=True) if len(twin.patterns) > 1 else [rows]
        for pattern, column in zip(twin.patterns, columns, strict=True):
            by_pattern.setdefault(pattern, []).extend(filter(_not_none, column))
    for pattern, values in by_pattern.items():
        if not values:
            continue
        joined = "\n".join(values)
        # a value holding a newline would pass as two: the count tells them apart
        if _BULK[pattern].fullmatch(joined) is None or joined.count("\n") != len(values) - 1:
            return False
    return True
