"""The tracker on scripted sequences: enter, dwell, exit, dropouts, two visitors, rotation."""

from __future__ import annotations

import pytest

from beacon_agent.pipeline import AgentCore
from beacon_agent.pseudonym import Pseudonymizer, PseudonymKey, pseudonym_of
from beacon_agent.smoothing import RssiKalman
from beacon_agent.tracker import Tracker, TrackerConfig
from hub.client.events import Occupancy, Visit
from hub.client.manifest import Zone

T0 = 1_800_000_000.0  # a Unix time on an occupancy boundary (multiple of 60)
ZONE = Zone(
    id="zone-a", name={"en": "A"}, enter_rssi=-70, exit_rssi=-80, min_enter_s=5, min_exit_s=10
)


def config(**overrides: float) -> TrackerConfig:
    return TrackerConfig.from_zone(ZONE, **overrides)


def run(tracker: Tracker, script: list[tuple[float, str, float]], until: float) -> list[Visit]:
    """Feed (t, pseudonym, rssi) samples, tick every second, return the visits."""
    samples = sorted(script)
    i = 0
    t = 0.0
    while t <= until:
        while i < len(samples) and samples[i][0] <= t:
            st, who, rssi = samples[i]
            tracker.observe(who, rssi, T0 + st, -59)
            i += 1
        tracker.tick(T0 + t)
        t += 1.0
    return [e for e in tracker.events() if isinstance(e, Visit)]


def steady(
    who: str, start: float, end: float, rssi: float, every: float = 1.0
) -> list[tuple[float, str, float]]:
    out = []
    t = start
    while t < end:
        out.append((t, who, rssi))
        t += every
    return out


def started() -> Tracker:
    tracker = Tracker(config())
    tracker.start(T0)
    return tracker


def test_enter_dwell_exit_makes_one_visit_with_its_times() -> None:
    tracker = started()
    visits = run(tracker, steady("aa" * 8, 0, 120, -60) + steady("aa" * 8, 120, 160, -95), 200)
    assert len(visits) == 1
    visit = visits[0]
    assert visit.zone == "zone-a" and visit.visitor == "aa" * 8
    assert visit.start.timestamp() == T0
    # the smoothed level crosses -80 a few samples after the drop at 120 s
    assert 120 <= visit.end.timestamp() - T0 <= 126
    assert visit.dwell_s == pytest.approx((visit.end - visit.start).total_seconds())
    assert visit.samples >= 120
    assert visit.min_distance_m is not None and visit.min_distance_m < 1.5


def test_passing_by_shorter_than_the_minimum_time_is_not_a_visit() -> None:
    tracker = started()
    assert run(tracker, steady("bb" * 8, 0, 3, -60), 100) == []


def test_far_device_never_enters() -> None:
    tracker = started()
    assert run(tracker, steady("bb" * 8, 0, 100, -85), 150) == []


def test_hysteresis_keeps_a_visitor_between_the_thresholds() -> None:
    tracker = started()
    # in at -60, then hovering at -75 (below enter, above exit): still in, one visit
    script = steady("cc" * 8, 0, 30, -60) + steady("cc" * 8, 30, 300, -75)
    visits = run(tracker, script, 400)
    assert len(visits) == 1
    assert visits[0].end.timestamp() - T0 >= 299


def test_dropouts_shorter_than_the_timeout_do_not_split_a_visit() -> None:
    tracker = started()
    script = [s for s in steady("dd" * 8, 0, 200, -62) if not 50 <= s[0] < 70]
    visits = run(tracker, script, 300)
    assert len(visits) == 1
    assert visits[0].end.timestamp() - T0 == pytest.approx(199)


def test_device_lost_for_longer_than_the_timeout_ends_at_last_heard() -> None:
    tracker = started()
    visits = run(tracker, steady("ee" * 8, 0, 40, -60), 200)
    assert len(visits) == 1
    assert visits[0].end.timestamp() - T0 == pytest.approx(39)


def test_single_outlier_does_not_end_a_visit() -> None:
    tracker = started()
    script = steady("ff" * 8, 0, 100, -60)
    script = [(t, w, -100 if t in (30.0, 31.0) else r) for t, w, r in script]
    assert len(run(tracker, script, 200)) == 1


def test_two_visitors_are_counted_apart_with_occupancy_peak() -> None:
    tracker = started()
    script = steady("a1" * 8, 0, 100, -60) + steady("b2" * 8, 30, 150, -65)
    samples = sorted(script)
    i = 0
    for t in range(0, 240):
        while i < len(samples) and samples[i][0] <= t:
            tracker.observe(samples[i][1], samples[i][2], T0 + samples[i][0], -59)
            i += 1
        tracker.tick(T0 + t)
    events = tracker.events()
    visits = sorted((e for e in events if isinstance(e, Visit)), key=lambda v: v.start)
    assert [v.visitor for v in visits] == ["a1" * 8, "b2" * 8]
    occupancy = [e for e in events if isinstance(e, Occupancy)]
    assert [(o.count, o.peak) for o in occupancy[:3]] == [(2, 2), (2, 2), (1, 1)]
    assert all((o.end - o.start).total_seconds() == 60 for o in occupancy)
    assert occupancy[0].start.timestamp() == T0


def test_address_rotation_splits_a_long_stay_into_visits_of_each_pseudonym() -> None:
    core = AgentCore(config(), [])
    core.set_key(PseudonymKey(secret=b"k" * 32, key_id="k1"), T0)
    for t in range(0, 900):
        address = "5A:00:00:00:00:01" if t < 450 else "6B:00:00:00:00:02"
        core.feed(address, -60, None, {0x004C: b"\x10\x05\x01"}, {}, T0 + t)
    core.finish(T0 + 900)
    visits = [e for e in core.events() if isinstance(e, Visit)]
    assert len(visits) == 2
    assert visits[0].visitor == pseudonym_of(b"k" * 32, "5A:00:00:00:00:01")
    assert visits[1].visitor != visits[0].visitor
    assert "5A" not in visits[0].visitor.upper()[:2] or len(visits[0].visitor) == 16


def test_no_key_means_nothing_pseudonymous_is_made() -> None:
    core = AgentCore(config(), [])
    for t in range(0, 300):
        core.feed("5A:00:00:00:00:01", -60, None, {}, {}, T0 + t)
    core.finish(T0 + 300)
    assert core.events() == []
    assert core.stats.without_key == 300


def test_key_rotation_ends_visits_under_the_old_key() -> None:
    core = AgentCore(config(), [])
    core.set_key(PseudonymKey(secret=b"a" * 32, key_id="day1"), T0)
    for t in range(0, 100):
        core.feed("5A:00:00:00:00:01", -60, None, {}, {}, T0 + t)
    core.set_key(PseudonymKey(secret=b"b" * 32, key_id="day2"), T0 + 100)
    for t in range(100, 200):
        core.feed("5A:00:00:00:00:01", -60, None, {}, {}, T0 + t)
    core.finish(T0 + 200)
    visits = [e for e in core.events() if isinstance(e, Visit)]
    assert [v.visitor for v in visits] == [
        pseudonym_of(b"a" * 32, "5A:00:00:00:00:01"),
        pseudonym_of(b"b" * 32, "5A:00:00:00:00:01"),
    ]


def test_expired_key_stops_counting() -> None:
    p = Pseudonymizer()
    p.set_key(PseudonymKey(secret=b"x" * 32, key_id="k", expires=T0 + 10))
    assert p.pseudonym("5A:00:00:00:00:01") is not None
    assert p.expire(T0 + 10)
    assert p.pseudonym("5A:00:00:00:00:01") is None


def test_key_is_never_shown_in_its_repr() -> None:
    key = PseudonymKey(secret=b"\x01\x02secret", key_id="k")
    assert "secret" not in repr(key).replace("secret=", "") and "\\x01" not in repr(key)


def test_pseudonyms_differ_per_key_and_are_16_hex() -> None:
    a = pseudonym_of(b"a" * 32, "5a:00:00:00:00:01")
    assert a == pseudonym_of(b"a" * 32, "5A:00:00:00:00:01")
    assert a != pseudonym_of(b"b" * 32, "5A:00:00:00:00:01")
    assert len(a) == 16 and int(a, 16) >= 0


def test_stationary_device_leaves_the_counts() -> None:
    tracker = Tracker(config(max_visit_s=600))
    tracker.start(T0)
    visits = run(tracker, steady("99" * 8, 0, 1200, -60), 1300)
    assert visits == []
    assert tracker.discarded_long == 1


def test_kalman_filter_averages_noise_and_follows_a_step() -> None:
    f = RssiKalman(-60, 0.0)
    values = [f.update(-60 + (8 if i % 2 else -8), float(i)) for i in range(1, 40)]
    assert max(abs(v + 60) for v in values[10:]) < 4
    for i in range(40, 60):
        f.update(-90, float(i))
    assert f.estimate < -85
