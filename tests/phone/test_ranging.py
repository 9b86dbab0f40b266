"""The ranging core on scripted walks: the card follows the visitor without flicker."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phone.ranging import Nearby, Ranging, RangingConfig
from tests.phone.walk import Walk, walk_past

THREE = [("b-a", "a"), ("b-b", "b"), ("b-c", "c")]


def run(walk: Walk, ranging: Ranging) -> list[tuple[float, str | None]]:
    """Feed the walk and return the card's history [(t, artwork)] (changes only)."""
    shown: list[tuple[float, str | None]] = [(0.0, None)]
    for s in walk.sightings:
        ranging.observe(s.beacon, s.rssi, s.t)
        card = ranging.update(s.t).artwork
        if card != shown[-1][1]:
            shown.append((s.t, card))
    end = walk.sightings[-1].t
    for k in range(1, 100):  # the visitor has left: time passes with no sighting
        card = ranging.update(end + k * 0.1).artwork
        if card != shown[-1][1]:
            shown.append((end + k * 0.1, card))
    return shown


def test_card_follows_a_walk_past_three_artworks_once_per_true_change() -> None:
    walk, _ = walk_past(THREE)
    ranging = Ranging(dict(THREE))
    shown = run(walk, ranging)
    assert [a for _, a in shown] == [a for _, a in walk.truth]
    assert walk.true_changes() == 4  # nothing -> a -> b -> c -> nothing
    assert ranging.switches == walk.true_changes()


def test_card_reaches_each_artwork_soon_after_the_visitor_does() -> None:
    walk, _ = walk_past(THREE)
    shown = run(walk, Ranging(dict(THREE)))
    assert [a for _, a in shown] == [a for _, a in walk.truth]
    # Between two artworks the truth changes at the midpoint; the card follows once the
    # visitor is clearly closer to the next one (within a few seconds of walking).
    for (t_true, artwork), (t_shown, _) in zip(walk.truth[2:-1], shown[2:-1], strict=True):
        assert 0 <= t_shown - t_true < 8.0, (artwork, t_true, t_shown)
    # "Nothing near" has a fuzzy edge (a distance vs an RSSI threshold): seconds, not more.
    assert abs(shown[1][0] - walk.truth[1][0]) < 6.0
    assert abs(shown[-1][0] - walk.truth[-1][0]) < 12.0


def test_no_flicker_over_many_noisy_walks() -> None:
    for seed in range(40):
        walk, _ = walk_past(THREE, seed=seed, noise_db=6.0, spacing=2.5)
        ranging = Ranging(dict(THREE))
        run(walk, ranging)
        assert ranging.switches <= walk.true_changes(), seed


def test_without_hysteresis_the_same_walk_flickers() -> None:
    # The walks are noisy enough that the hysteresis is what keeps the card still.
    walk, _ = walk_past(THREE, noise_db=6.0, spacing=2.5)
    naive = Ranging(
        dict(THREE),
        RangingConfig(
            process_var=1e6, margin_db=0.0, hold_s=0.0, confirm_s=0.0, exit_margin_db=0.0
        ),
    )
    run(walk, naive)
    assert naive.switches > 3 * walk.true_changes()


def feed(ranging: Ranging, start: float, levels: dict[str, int], seconds: float = 3.0) -> Nearby:
    """Hear each beacon at a steady level every 0.3 s, updating the card each time."""
    card = Nearby(None)
    for k in range(round(seconds / 0.3)):
        now = start + k * 0.3
        for beacon, rssi in levels.items():
            ranging.observe(beacon, rssi, now)
        card = ranging.update(now)
    return card


def test_nothing_near_when_beacons_are_far_or_silent() -> None:
    ranging = Ranging({"b1": "a1"})
    assert feed(ranging, 0.0, {"b1": -90}, 6.0) == Nearby(None, ())
    assert feed(ranging, 6.0, {"b1": -55}, 6.0).artwork == "a1"
    # The phone goes into a pocket: no sighting for longer than stale_s.
    assert ranging.update(12.0 + ranging.config.stale_s + 0.5).artwork is None


def test_next_closest_artworks_are_listed_below_the_nearest() -> None:
    ranging = Ranging({"b1": "a1", "b2": "a2", "b3": "a3", "b4": "a4"})
    card = feed(ranging, 0.0, {"b1": -58, "b2": -66, "b3": -74, "b4": -99})
    assert card == Nearby("a1", ("a2", "a3"))


def test_other_devices_are_ignored_and_nothing_about_them_kept() -> None:
    _, strangers = walk_past(THREE, strangers=5)
    ranging = Ranging(dict(THREE))
    for t, who, rssi in strangers:
        ranging.observe(who, rssi, t)
    assert ranging.tracked() == []
    assert ranging.update(10.0) == Nearby(None, ())


def test_zone_beacons_without_an_artwork_never_make_a_card() -> None:
    ranging = Ranging({"zone-1": None})
    ranging.observe("zone-1", -40, 0.0)
    assert ranging.update(0.1).artwork is None
    assert ranging.tracked() == []


def test_two_beacons_of_one_artwork_count_as_its_loudest() -> None:
    ranging = Ranging({"b1": "a1", "b2": "a1", "b3": "a2"})
    assert feed(ranging, 0.0, {"b1": -80, "b2": -60, "b3": -66}).artwork == "a1"


def test_a_close_neighbour_does_not_take_the_card_within_the_margin() -> None:
    ranging = Ranging({"b1": "a1", "b2": "a2"})
    assert feed(ranging, 0.0, {"b1": -60, "b2": -70}).artwork == "a1"
    # The visitor steps between the two: a2 is now a little louder, not by the margin.
    margin = ranging.config.margin_db
    assert feed(ranging, 3.0, {"b1": -62, "b2": round(-62 + margin - 2)}, 20.0).artwork == "a1"
    assert feed(ranging, 23.0, {"b1": -66, "b2": -58}, 20.0).artwork == "a2"
    assert ranging.switches == 2


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["b-a", "b-b", "b-c", "zone", "stranger"]),
            st.integers(-110, -20),
            st.floats(0, 0.5),
        ),
        max_size=200,
    )
)
def test_any_sighting_sequence_keeps_the_card_on_a_known_artwork(
    sightings: list[tuple[str, int, float]],
) -> None:
    ranging = Ranging({**dict(THREE), "zone": None})
    now = 0.0
    for beacon, rssi, dt in sightings:
        now += dt
        ranging.observe(beacon, rssi, now)
        nearby = ranging.update(now)
        assert nearby.artwork in (None, "a", "b", "c")
        assert nearby.artwork not in nearby.others
        assert set(ranging.tracked()) <= {"b-a", "b-b", "b-c"}
