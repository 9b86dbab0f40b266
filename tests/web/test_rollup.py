from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hub.client.events import Interaction, Occupancy, Visit, new_event_id
from hub.web.analytics import DateRange, day_counts, dwell_distribution, zone_flows
from hub.web.rollup import Last, VisitStep, accumulate_all, count_flows, dwell_bucket
from hub.web.rollup_store import rollup_events

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def visit(visitor: str, zone: str, start_min: float, dwell_min: float) -> Visit:
    start = T0 + timedelta(minutes=start_min)
    end = start + timedelta(minutes=dwell_min)
    return Visit(id=new_event_id(), ts=end, zone=zone, visitor=visitor, start=start, end=end,
                 dwell_s=dwell_min * 60, samples=10)


def test_dwell_buckets_have_closed_upper_bounds() -> None:
    seconds = (0, 9.9, 10, 59, 60, 599, 600, 9999)
    assert [dwell_bucket(s) for s in seconds] == [0, 0, 1, 2, 3, 5, 6, 6]


def test_moves_follow_each_visitor_in_time_order_within_the_gap() -> None:
    steps = [
        VisitStep("v1", "b", 600.0, 700.0, "d"),
        VisitStep("v1", "a", 0.0, 500.0, "d"),
        VisitStep("v1", "c", 700.0 + 3600, 9000.0, "d"),  # an hour later: not a move
        VisitStep("v2", "a", 0.0, 10.0, "d"),
    ]
    result = count_flows({}, steps)
    assert dict(result.flows) == {("d", "a", "b"): 1}
    assert result.new_visitors["d"] == 2
    assert result.last["v1"].zone == "c"


def test_a_late_visit_counts_as_a_move_into_the_remembered_zone() -> None:
    last = {"v": Last("b", 600.0, 700.0, "d")}
    result = count_flows(last, [VisitStep("v", "a", 0.0, 500.0, "d")])
    assert dict(result.flows) == {("d", "a", "b"): 1}
    assert result.last["v"].zone == "b"
    assert not result.new_visitors


def test_memory_does_not_link_days() -> None:
    last = {"v": Last("a", 0.0, 10.0, "d1")}
    result = count_flows(last, [VisitStep("v", "b", 20.0, 30.0, "d2")])
    assert not result.flows
    assert result.new_visitors["d2"] == 1


def test_hook_groups_add_up_like_one_bulk_group(tmp_path) -> None:
    import sqlite3

    from hub.store.migrations import apply_migrations
    from hub.web.schema import COMPONENT, WEB_MIGRATIONS

    events = []
    for i in range(12):
        v = f"{i:016x}"
        events.append(visit(v, "hall", i, 3))
        events.append(visit(v, "room-2", i + 4, 12))
    events.append(Occupancy(id=new_event_id(), ts=T0, zone="hall", start=T0,
                            end=T0 + timedelta(minutes=1), count=3, peak=7))
    events.append(Interaction(id=new_event_id(), ts=T0, session="ab12cd34",
                              action="session_start", language="fr"))
    dbs = []
    for name, groups in (("bulk", [events]), ("hook", [events[i:i + 5] for i in range(0, 26, 5)])):
        conn = sqlite3.connect(tmp_path / f"{name}.db", isolation_level=None)
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
        for group in groups:
            rollup_events(conn, [(e, None) for e in group], UTC)
        dbs.append(conn)
    days = DateRange(date(2026, 11, 27), date(2026, 11, 27))
    for table in ("web_zone_hour", "web_dwell", "web_kiosk_artwork", "web_kiosk_language",
                  "web_flow", "web_day"):
        q = f"SELECT * FROM {table}"  # noqa: S608
        assert sorted(dbs[0].execute(q)) == sorted(dbs[1].execute(q)), table
    conn = dbs[1]
    counts = day_counts(conn, date(2026, 11, 27))
    assert (counts.visitors, counts.visits, counts.kiosk_sessions) == (12, 24, 1)
    assert zone_flows(conn, days, k=5).rows == [("hall", "room-2", 12, 12)]
    hidden = zone_flows(conn, days, k=13)
    assert hidden.rows == [] and "fewer than 13" in hidden.note
    dwell = dwell_distribution(conn, days).rows
    assert ("hall", 4, "2-5 min", 12) in dwell and ("room-2", 6, "10+ min", 12) in dwell
    peak = conn.execute("SELECT peak FROM web_zone_hour WHERE zone = 'hall'").fetchone()[0]
    assert peak == 7
    for c in dbs:
        c.close()


def test_accumulate_counts_interactions_per_artwork_and_language() -> None:
    events = [
        Interaction(id=new_event_id(), ts=T0, session="ab12cd34", action="view_artwork",
                    artwork="halo", language="en"),
        Interaction(id=new_event_id(), ts=T0, session="ab12cd34", action="view_artwork",
                    artwork="halo", language="en"),
    ]
    delta = accumulate_all([(e, "hall") for e in events], UTC)
    assert delta.kiosk[("2026-11-27", "halo", "en", "view_artwork")] == 2


def test_flows_use_the_sync_counts_for_days_the_sync_has_counted(tmp_path) -> None:
    import sqlite3

    from hub.store.migrations import apply_migrations
    from hub.sync import tables
    from hub.web.schema import COMPONENT, WEB_MIGRATIONS

    conn = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
    apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
    apply_migrations(conn, tables.COMPONENT, tables.MIGRATIONS)
    conn.executemany("INSERT INTO web_flow VALUES (?, ?, ?, ?, ?)", [
        ("2026-11-25", "a", "b", 50, 40),  # counted by the sync: its figures win
        ("2026-11-26", "a", "b", 3, 3),
        ("2026-11-26", "b", "c", 4, 4),
    ])
    conn.execute("INSERT INTO sync_flows(day, hour, from_zone, to_zone, count, visitors) "
                 "VALUES ('2026-11-25', '2026-11-25T10:00:00Z', 'a', 'b', 9, 7)")
    conn.execute("INSERT INTO sync_flow_days VALUES ('2026-11-25', 'x', 100, 20, 1, 3)")
    days = DateRange(date(2026, 11, 25), date(2026, 11, 26))
    chart = zone_flows(conn, days, k=5)
    assert chart.rows == [("a", "b", 12, 10)]
    assert "1 pair" in chart.note  # b -> c: 4 visitors < 5
    conn.close()


def test_a_visitor_making_the_same_move_twice_counts_two_moves_and_one_person(tmp_path) -> None:
    import sqlite3

    from hub.store.migrations import apply_migrations
    from hub.web.schema import COMPONENT, WEB_MIGRATIONS

    back_and_forth = [
        visit(f"{v:016x}", zone, start, 2)
        for v in range(3)
        for zone, start in (("hall", 0), ("room-2", 3), ("hall", 6), ("room-2", 9))
    ]
    results = []
    for name, groups in (
        ("bulk", [back_and_forth]),
        ("each", [[e] for e in back_and_forth]),
        ("pairs", [back_and_forth[i : i + 2] for i in range(0, 12, 2)]),
    ):
        conn = sqlite3.connect(tmp_path / f"{name}.db", isolation_level=None)
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
        for group in groups:
            rollup_events(conn, [(e, None) for e in group], UTC)
        results.append(sorted(conn.execute("SELECT from_zone, to_zone, n, visitors FROM web_flow")))
        conn.close()
    assert results[0] == [("hall", "room-2", 6, 3), ("room-2", "hall", 3, 3)]
    assert results[1] == results[0] and results[2] == results[0]


def test_local_day_and_hour_follow_daylight_saving_changes() -> None:
    from zoneinfo import ZoneInfo

    from hub.web.rollup import day_hour

    for name in ("Europe/Paris", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns"):
        tz = ZoneInfo(name)
        for start in (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 3, tzinfo=UTC),
                      datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 4, 4, tzinfo=UTC)):
            for minute in range(0, 3 * 24 * 60, 7):
                moment = start + timedelta(minutes=minute, seconds=minute % 60)
                local = moment.astimezone(tz)
                assert day_hour(moment, tz) == (local.date().isoformat(), local.hour), moment
