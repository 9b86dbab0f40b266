"""The kiosk's session core, driven by scripted touches and a scripted clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.session import Note, Session


def make(idle: float = 60.0, paired: bool = True) -> Session:
    counter = itertools.count(1)
    return Session(
        ["en", "fr"],
        "en",
        idle_timeout_s=idle,
        paired=paired,
        new_session_id=lambda: f"{next(counter):016x}",
    )


def test_first_touch_on_attract_starts_a_session_on_home() -> None:
    s = make()
    assert s.screen == "attract" and not s.in_session
    notes = s.touch(10.0)
    assert s.screen == "home"
    assert [n.action for n in notes] == ["session_start"]
    assert notes[0].session == s.session_id


def test_touches_inside_a_session_produce_no_notes() -> None:
    s = make()
    s.touch(0.0)
    assert s.touch(1.0) == []
    assert s.last_activity == 1.0


def test_artwork_then_back_returns_home_and_notes_the_view() -> None:
    s = make()
    s.touch(0.0)
    notes = s.open_artwork("wave", 1.0)
    assert (s.screen, s.artwork) == ("artwork", "wave")
    assert [(n.action, n.artwork) for n in notes] == [("view_artwork", "wave")]
    s.back(2.0)
    assert s.screen == "home" and not s.can_go_back


def test_zoom_is_noted_once_per_artwork_view() -> None:
    s = make()
    s.touch(0.0)
    s.open_artwork("wave", 1.0)
    assert [n.action for n in s.zoom(2.0)] == ["zoom"]
    assert s.zoom(3.0) == []
    s.open_artwork("dusk", 4.0)
    assert [n.artwork for n in s.zoom(5.0)] == ["dusk"]


def test_zoom_outside_artwork_screen_notes_nothing() -> None:
    s = make()
    s.touch(0.0)
    assert s.zoom(1.0) == []


def test_audio_play_and_pause_are_noted_and_leaving_stops_it() -> None:
    s = make()
    s.touch(0.0)
    s.open_artwork("wave", 1.0)
    assert [n.action for n in s.audio(True, 2.0)] == ["audio_play"]
    assert s.audio(True, 2.5) == []
    assert [n.action for n in s.audio(False, 3.0)] == ["audio_pause"]
    s.audio(True, 4.0)
    s.back(5.0)
    assert not s.audio_playing


def test_language_switch_is_noted_with_the_new_language() -> None:
    s = make()
    s.touch(0.0)
    notes = s.set_language("fr", 1.0)
    assert [(n.action, n.language) for n in notes] == [("language", "fr")]
    assert s.set_language("fr", 2.0) == []


def test_unknown_language_is_refused() -> None:
    s = make()
    s.touch(0.0)
    with pytest.raises(ValueError):
        s.set_language("xx", 1.0)


def test_idle_timeout_ends_the_session_and_forgets_everything() -> None:
    s = make(idle=60.0)
    s.touch(0.0)
    first = s.session_id
    s.set_language("fr", 1.0)
    s.set_accessibility(2.0, large_text=True, high_contrast=True)
    s.open_artwork("wave", 3.0)
    assert s.tick(62.9) == []
    notes = s.tick(63.0)
    assert [n.action for n in notes] == ["session_end"]
    assert notes[0].session == first
    assert s.screen == "attract" and not s.in_session
    assert (s.language, s.large_text, s.high_contrast, s.history) == ("en", False, False, [])
    s.touch(100.0)
    assert s.session_id not in (None, first)


def test_still_there_warning_shows_in_the_last_seconds_and_a_touch_clears_it() -> None:
    s = make(idle=60.0)
    assert s.idle_warning(0.0) is None
    s.touch(0.0)
    assert s.idle_warning(49.0) is None
    assert s.idle_warning(52.5) == pytest.approx(7.5)
    s.touch(53.0)
    assert s.idle_warning(54.0) is None


def test_activity_postpones_the_idle_timeout() -> None:
    s = make(idle=60.0)
    s.touch(0.0)
    s.touch(50.0)
    assert s.tick(100.0) == []
    assert [n.action for n in s.tick(110.0)] == ["session_end"]


def test_real_session_ids_are_random_hex_and_differ() -> None:
    a, b = Session(["en"], "en"), Session(["en"], "en")
    a.touch(0.0)
    b.touch(0.0)
    assert a.session_id and b.session_id and a.session_id != b.session_id
    assert all(c in "0123456789abcdef" for c in a.session_id)


def test_info_and_browse_and_search_are_noted() -> None:
    s = make()
    s.touch(0.0)
    assert [n.action for n in s.open_info(1.0)] == ["info"]
    assert s.open_info(1.5) == []
    s.back(2.0)
    assert [(n.action, n.screen) for n in s.browse("themes", 3.0)] == [("browse", "themes")]
    assert [n.action for n in s.search(4.0)] == ["search"]


def test_action_without_a_session_starts_one_first() -> None:
    s = make()
    notes = s.open_artwork("wave", 1.0)
    assert [n.action for n in notes] == ["session_start", "view_artwork"]


def test_unpaired_kiosk_starts_on_technician_screen_and_touches_do_nothing() -> None:
    s = make(paired=False)
    assert s.screen == "technician"
    assert s.touch(1.0) == []
    assert s.screen == "technician"
    s.set_paired()
    assert s.screen == "attract"


def test_revocation_ends_the_session_and_shows_technician_screen() -> None:
    s = make()
    s.touch(0.0)
    notes = s.need_pairing()
    assert [n.action for n in notes] == ["session_end"]
    assert s.screen == "technician" and not s.paired
    s.close_technician()
    assert s.screen == "technician"  # not until paired again


def test_hidden_gesture_opens_technician_screen_and_closing_returns_to_attract() -> None:
    s = make()
    s.touch(0.0)
    s.open_technician()
    assert s.screen == "technician" and not s.in_session
    s.close_technician()
    assert s.screen == "attract"


def test_attract_language_cycles_through_the_kiosk_languages() -> None:
    s = make()
    seen = [s.attract_language(t, period_s=3.0) for t in (0.0, 3.0, 6.0, 9.5)]
    assert seen == ["en", "fr", "en", "fr"]


def test_history_is_bounded() -> None:
    s = make()
    s.touch(0.0)
    for i in range(100):
        s.open_artwork(f"a{i}", float(i))
    assert len(s.history) <= 32


# --- any sequence of visitor actions keeps the session coherent ----------------------


def _close(s: Session, now: float) -> list[Note]:
    s.close_technician()
    return []


STEPS: dict[str, Callable[[Session, float], list[Note]]] = {
    "touch": lambda s, now: s.touch(now),
    "artwork": lambda s, now: s.open_artwork("wave", now),
    "info": lambda s, now: s.open_info(now),
    "home": lambda s, now: s.go_home(now),
    "back": lambda s, now: s.back(now),
    "browse": lambda s, now: s.browse("themes", now),
    "search": lambda s, now: s.search(now),
    "language": lambda s, now: s.set_language("fr", now),
    "large": lambda s, now: s.set_accessibility(now, large_text=True),
    "contrast": lambda s, now: s.set_accessibility(now, high_contrast=True),
    "zoom": lambda s, now: s.zoom(now),
    "play": lambda s, now: s.audio(True, now),
    "pause": lambda s, now: s.audio(False, now),
    "tick": lambda s, now: s.tick(now),
    "technician": lambda s, now: s.open_technician(),
    "close_technician": _close,
}

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(sorted(STEPS)),
        st.floats(min_value=0.0, max_value=200.0),
    ),
    max_size=60,
)


@given(ACTIONS)
@settings(max_examples=300, deadline=None)
def test_any_sequence_of_actions_keeps_the_session_coherent(
    steps: list[tuple[str, float]],
) -> None:
    s = make(idle=60.0)
    now = 0.0
    open_sessions: set[str] = set()
    for name, gap in steps:
        now += gap
        if s.screen == "technician" and name not in ("tick", "technician", "close_technician"):
            name = "close_technician"
        notes = STEPS[name](s, now)
        for note in notes:
            if note.action == "session_start":
                assert note.session not in open_sessions
                open_sessions = {note.session}
            else:
                assert note.session in open_sessions  # every note belongs to the open session
            if note.action == "session_end":
                open_sessions = set()
        # invariants after every step
        assert (s.session_id is None) == (s.screen in ("attract", "technician"))
        assert len(s.history) <= 32
        assert not s.audio_playing or s.screen == "artwork"
        assert s.language in s.languages
        if s.session_id is None:
            assert (s.language, s.large_text, s.high_contrast) == ("en", False, False)
