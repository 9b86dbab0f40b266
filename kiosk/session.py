"""The kiosk's session state: a pure core, fed touches and a clock, no widgets.

A *session* is one visitor (or group) at the screen: it starts with the first touch
on the attract loop and ends when nobody touched the screen for ``idle_timeout_s``,
at which point everything is forgotten (language, accessibility choices, history)
and the attract loop comes back. Each transition returns the interaction notes it
produced; the adapter stamps them with an id and a time and puts them in the outbox.

The session id is random (``secrets.token_hex``), made fresh per session and linked
to nothing: no person, no device address, no earlier session.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from typing import Final, Literal

from hub.client.events import InteractionAction

Screen = Literal["technician", "attract", "home", "artwork", "info"]
BrowseMode = Literal["rooms", "themes", "search"]

DEFAULT_IDLE_TIMEOUT_S: Final = 90.0
IDLE_WARNING_S: Final = 10.0  # "still there?" shows this long before the session ends
ATTRACT_LANGUAGE_PERIOD_S: Final = 3.0
HISTORY_LIMIT: Final = 32


@dataclasses.dataclass(frozen=True, slots=True)
class Note:
    """One interaction a transition produced (made into an ``Interaction`` event by the app)."""

    action: InteractionAction
    session: str
    artwork: str | None = None
    language: str | None = None
    screen: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Place:
    """Where the visitor is: a screen, and the artwork when it is the artwork screen."""

    screen: Screen
    artwork: str | None = None


def _new_session_id() -> str:
    return secrets.token_hex(8)


class Session:
    """The state of the kiosk's screen, driven by visitor actions and a clock.

    Every method that a visitor triggers takes ``now`` (monotonic seconds) and returns
    the notes it produced. ``tick(now)`` ends an idle session.
    """

    def __init__(
        self,
        languages: Sequence[str],
        default_language: str,
        *,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        paired: bool = True,
        new_session_id: Callable[[], str] = _new_session_id,
    ) -> None:
        if not languages:
            raise ValueError("a kiosk needs at least one language")
        self._new_session_id = new_session_id
        self.idle_timeout_s = idle_timeout_s
        self.languages: tuple[str, ...] = tuple(languages)
        self.default_language = (
            default_language if default_language in self.languages else self.languages[0]
        )
        self.paired = paired
        self.place = Place("attract" if paired else "technician")
        self.history: list[Place] = []
        self.language = self.default_language
        self.large_text = False
        self.high_contrast = False
        self.browse_mode: BrowseMode = "rooms"
        self.zoomed = False
        self.audio_playing = False
        self.session_id: str | None = None
        self.last_activity = 0.0
        self._technician_return: Place | None = None

    # --- reading ---------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        return self.place.screen

    @property
    def artwork(self) -> str | None:
        return self.place.artwork

    @property
    def in_session(self) -> bool:
        return self.session_id is not None

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)

    def attract_language(self, now: float, period_s: float = ATTRACT_LANGUAGE_PERIOD_S) -> str:
        """The language the attract loop shows "touch to start" in at ``now`` (cycles)."""
        index = int(now // period_s) % len(self.languages)
        return self.languages[index]

    def idle_warning(self, now: float) -> float | None:
        """Seconds left before an idle session ends, during its last ``IDLE_WARNING_S``."""
        if not self.in_session:
            return None
        left = self.idle_timeout_s - (now - self.last_activity)
        warn_for = min(IDLE_WARNING_S, self.idle_timeout_s / 3)
        return max(0.0, left) if left <= warn_for else None

    def idle_for(self, now: float) -> float:
        """Seconds since the last visitor action (0 outside a session)."""
        return max(0.0, now - self.last_activity) if self.in_session else 0.0

    # --- the visitor ---------------------------------------------------------------------

    def touch(self, now: float) -> list[Note]:
        """Any touch anywhere: keeps the session alive; on the attract loop, starts one."""
        if self.screen == "technician":
            return []
        self.last_activity = now
        if self.screen != "attract":
            return []
        self.session_id = self._new_session_id()
        self.place = Place("home")
        self.history.clear()
        return [self._note("session_start", screen="home")]

    def open_artwork(self, artwork: str, now: float) -> list[Note]:
        """Show one artwork (from home, or from another artwork)."""
        notes = self._ensure_session(now)
        self._stop_media()
        self._go(Place("artwork", artwork))
        return [*notes, self._note("view_artwork", artwork=artwork, screen="artwork")]

    def open_info(self, now: float) -> list[Note]:
        """Show the practical information screen."""
        notes = self._ensure_session(now)
        if self.screen == "info":
            return notes
        self._stop_media()
        self._go(Place("info"))
        return [*notes, self._note("info", screen="info")]

    def go_home(self, now: float) -> list[Note]:
        """Back to the exhibition's home screen, forgetting the way there."""
        notes = self._ensure_session(now)
        self._stop_media()
        self.place = Place("home")
        self.history.clear()
        return notes

    def back(self, now: float) -> list[Note]:
        """One step back; from the first screen of a session, nothing happens."""
        notes = self._ensure_session(now)
        if self.history:
            self._stop_media()
            self.place = self.history.pop()
        return notes

    def browse(self, mode: BrowseMode, now: float) -> list[Note]:
        """Switch the home screen between rooms, themes and search."""
        notes = self._ensure_session(now)
        if mode == self.browse_mode:
            return notes
        self.browse_mode = mode
        return [*notes, self._note("browse", screen=mode)]

    def search(self, now: float) -> list[Note]:
        """A search was run (the words typed are never recorded)."""
        notes = self._ensure_session(now)
        return [*notes, self._note("search", screen="home")]

    def set_language(self, language: str, now: float) -> list[Note]:
        """Switch the language of every text on the screen."""
        if language not in self.languages:
            raise ValueError(f"language {language!r} is not one of this kiosk's")
        notes = self._ensure_session(now)
        if language == self.language:
            return notes
        self.language = language
        return [*notes, self._note("language", screen=self.screen)]

    def set_accessibility(
        self, now: float, *, large_text: bool | None = None, high_contrast: bool | None = None
    ) -> list[Note]:
        """Larger text and/or high contrast, for the rest of this session."""
        notes = self._ensure_session(now)
        changed = False
        if large_text is not None and large_text != self.large_text:
            self.large_text, changed = large_text, True
        if high_contrast is not None and high_contrast != self.high_contrast:
            self.high_contrast, changed = high_contrast, True
        if not changed:
            return notes
        name = "large_text" if large_text is not None else "high_contrast"
        return [*notes, self._note("accessibility", screen=name)]

    def zoom(self, now: float) -> list[Note]:
        """The visitor zoomed into the artwork's image (noted once per artwork view)."""
        notes = self._ensure_session(now)
        if self.screen != "artwork" or self.zoomed:
            return notes
        self.zoomed = True
        return [*notes, self._note("zoom", artwork=self.artwork, screen="artwork")]

    def audio(self, playing: bool, now: float) -> list[Note]:
        """The audio description started or paused."""
        notes = self._ensure_session(now)
        if playing == self.audio_playing or self.screen != "artwork":
            return notes
        self.audio_playing = playing
        action: InteractionAction = "audio_play" if playing else "audio_pause"
        return [*notes, self._note(action, artwork=self.artwork, screen="artwork")]

    def audio_finished(self) -> None:
        """The audio description reached its end by itself (not a visitor action)."""
        self.audio_playing = False

    # --- the clock and the technician ----------------------------------------------------

    def tick(self, now: float) -> list[Note]:
        """Call regularly: ends a session idle for ``idle_timeout_s`` and forgets it."""
        if not self.in_session or now - self.last_activity < self.idle_timeout_s:
            return []
        return self._end_session()

    def end_session(self) -> list[Note]:
        """End the session now (e.g. content or pairing changed under it)."""
        return self._end_session() if self.in_session else []

    def need_pairing(self) -> list[Note]:
        """The hub refused this kiosk (never paired, or revoked): show the technician screen."""
        notes = self._end_session() if self.in_session else []
        self.paired = False
        self.place = Place("technician")
        self._technician_return = None
        return notes

    def open_technician(self) -> list[Note]:
        """The hidden gesture: the technician screen, ending any visitor session."""
        if self.screen == "technician":
            return []
        notes = self._end_session() if self.in_session else []
        self._technician_return = Place("attract")
        self.place = Place("technician")
        return notes

    def close_technician(self) -> None:
        """Leave the technician screen (only once paired) to the attract loop."""
        if self.screen == "technician" and self.paired:
            self.place = self._technician_return or Place("attract")
            self._technician_return = None

    def set_paired(self) -> None:
        """Enrollment succeeded: from the technician screen to the attract loop."""
        self.paired = True
        if self.screen == "technician":
            self.place = Place("attract")

    # --- inside ---------------------------------------------------------------------------

    def _ensure_session(self, now: float) -> list[Note]:
        """Actions outside a session (a stray tap during the fade) start one."""
        if self.screen == "technician":
            raise RuntimeError("visitor action on the technician screen")
        self.last_activity = now
        if self.in_session:
            return []
        self.session_id = self._new_session_id()
        if self.screen == "attract":
            self.place = Place("home")
        return [self._note("session_start", screen="home")]

    def _go(self, place: Place) -> None:
        if place != self.place:
            self.history.append(self.place)
            del self.history[:-HISTORY_LIMIT]
            self.place = place
        self.zoomed = False

    def _stop_media(self) -> None:
        self.audio_playing = False
        self.zoomed = False

    def _end_session(self) -> list[Note]:
        notes: list[Note] = []
        if self.session_id is not None:
            notes.append(self._note("session_end", screen=self.screen))
        self.session_id = None
        self.place = Place("attract")
        self.history.clear()
        self.language = self.default_language
        self.large_text = False
        self.high_contrast = False
        self.browse_mode = "rooms"
        self._stop_media()
        return notes

    def _note(
        self, action: InteractionAction, *, artwork: str | None = None, screen: str | None = None
    ) -> Note:
        assert self.session_id is not None
        return Note(
            action=action,
            session=self.session_id,
            artwork=artwork,
            language=self.language,
            screen=screen,
        )

    def set_languages(self, languages: Sequence[str], default_language: str) -> None:
        """New content may bring other languages (applied between visitors)."""
        if not languages:
            return
        self.languages = tuple(languages)
        self.default_language = (
            default_language if default_language in self.languages else self.languages[0]
        )
        if self.language not in self.languages:
            self.language = self.default_language
