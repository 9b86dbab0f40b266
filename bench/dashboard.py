"""Analytics page queries over months of synthetic events: p95 per query (target < 200 ms).

Builds the rollup tables the way the rollup follower counts (``hub.web.rollup.accumulate``
then ``hub.web.rollup_store.apply_delta``), one group per day of generated events, then
times every query of the analytics page and the overview over several date ranges.

Then (``--follow-events``, 0 to skip) the cost of keeping the rollups while ingesting:
8 tasks ``Store.ingest`` batches of 100 (no HTTP) into a real store (WAL,
synchronous=FULL) with no rollups and with the rollup follower (``hub.web.follower``, after
commit; it waits while ingest is heavy, so that its counting mostly follows the last batch):
events/s answered, events/s until the rollups hold every event, CPU per event, and whether
the follower's rollup tables equal those of every event counted at once.

    .venv/bin/python bench/dashboard.py [--events 10000000] [--days 180] [--repeat 40]
                                        [--follow-events 64000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.client.events import Event, Interaction, Occupancy, Visit
from hub.store.migrations import apply_migrations
from hub.web import analytics
from hub.web.follower import RollupFollower
from hub.web.rollup import accumulate_all
from hub.web.rollup_store import FlowMemory, apply_delta, rollup_events
from hub.web.schema import COMPONENT, WEB_MIGRATIONS

TARGET_MS = 200.0
ZONES = [f"zone-{i:02d}" for i in range(12)]
ARTWORKS = [f"artwork-{i:03d}" for i in range(60)]
LANGS = ["fr", "en", "de", "es", "it", "nl"]
ACTIONS = ["view_artwork", "zoom", "audio_play", "language", "info", "browse"]


def day_events(day: date, n: int, rng: random.Random) -> list[Event]:
    """About ``n`` events of one opening day (10:00-18:00 UTC)."""
    opening = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    events: list[Event] = []
    n_visits = int(n * 0.6)
    n_inter = int(n * 0.32)
    n_occ = n - n_visits - n_inter
    visitors = max(1, n_visits // 4)
    for v in range(visitors):
        pseudo = f"{rng.getrandbits(64):016x}"
        t = opening + timedelta(seconds=rng.uniform(0, 7 * 3600))
        for _ in range(4):
            dwell = rng.expovariate(1 / 120)
            start = t
            end = start + timedelta(seconds=dwell)
            events.append(
                Visit(
                    id=f"v{day}{v}{len(events)}",
                    ts=end,
                    zone=rng.choice(ZONES),
                    visitor=pseudo,
                    start=start,
                    end=end,
                    dwell_s=dwell,
                    samples=9,
                )
            )
            t = end + timedelta(seconds=rng.uniform(5, 300))
    for i in range(n_inter):
        t = opening + timedelta(seconds=rng.uniform(0, 8 * 3600))
        action = "session_start" if i % 10 == 0 else rng.choice(ACTIONS)
        events.append(
            Interaction(
                id=f"i{day}{i}",
                ts=t,
                session=f"{i // 10:08x}",
                action=action,
                artwork=None if action == "session_start" else rng.choice(ARTWORKS),
                language=rng.choice(LANGS),
            )
        )
    for i in range(n_occ):
        start = opening + timedelta(minutes=(i * 8 * 60) // max(1, n_occ))
        events.append(
            Occupancy(
                id=f"o{day}{i}",
                ts=start,
                zone=ZONES[i % len(ZONES)],
                start=start,
                end=start + timedelta(minutes=1),
                count=rng.randint(0, 30),
                peak=rng.randint(0, 40),
            )
        )
    return events


def build(conn: sqlite3.Connection, total: int, days: int, first: date) -> tuple[int, float]:
    rng = random.Random(7)
    per_day = total // days
    memory = FlowMemory()  # as the follower keeps it
    made = 0
    started = time.perf_counter()
    for d in range(days):
        events = day_events(first + timedelta(days=d), per_day, rng)
        made += len(events)
        delta = accumulate_all(((e, None) for e in events), UTC)
        conn.execute("BEGIN")
        changes = apply_delta(conn, delta, memory)
        conn.execute("COMMIT")
        memory.update(changes)
        if d % 30 == 29:
            rate = made / (time.perf_counter() - started)
            print(f"  {d + 1} days, {made:,} events ({rate:,.0f} events/s)", flush=True)
    return made, time.perf_counter() - started


TABLES = (
    "web_zone_hour",
    "web_dwell",
    "web_kiosk_artwork",
    "web_kiosk_language",
    "web_flow",
    "web_day",
)


async def _ingest_run(
    path: Path, mode: str, batches: list[list[list[object]]]
) -> dict[str, object]:
    from hub.store import Store

    async with Store(path) as store:
        await store.run_write(lambda c: apply_migrations(c, COMPONENT, WEB_MIGRATIONS))
        follower = RollupFollower(store, UTC) if mode == "follower" else None
        if follower is not None:
            await follower.start()

        async def client(mine: list[list[object]]) -> None:
            for batch in mine:
                await store.ingest(batch)  # type: ignore[arg-type]

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(client(b) for b in batches))
        answered = time.perf_counter() - started
        if follower is not None:
            await follower.catch_up()
        counted = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
        if follower is not None:
            await follower.stop()
        with store.read() as conn:
            tables = _tables(conn)
    return {"answered": answered, "counted": counted, "cpu": cpu_s, "tables": tables}


def _tables(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every rollup table's rows, sorted; dwell sums to the microsecond (groups add floats
    in another order)."""
    return {
        t: sorted(
            tuple(round(v, 6) if isinstance(v, float) else v for v in row)
            for row in conn.execute(f"SELECT * FROM {t}")  # noqa: S608
        )
        for t in TABLES
    }


def _counted_at_once(path: Path, pairs: list[tuple[Event, str | None]]) -> dict[str, object]:
    """The rollup tables of every event counted in one call: what the follower must reach."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
        conn.execute("BEGIN")
        rollup_events(conn, pairs, UTC)
        conn.execute("COMMIT")
        return dict(_tables(conn))
    finally:
        conn.close()


def follow_bench(events: int, folder: Path) -> None:
    """Store.ingest with no rollups and with the follower; the follower checked against
    every event counted at once."""
    from hub.api.events import event_row
    from hub.devices.registry import Device

    device = Device(id="bench", kind="kiosk", name="bench", zone="hall")
    rng = random.Random(11)
    made = day_events(date.today(), events, rng)
    rows = [event_row(e, device, "bench") for e in made]
    rows = rows[: len(rows) // 800 * 800]
    per = len(rows) // 8
    batches = [
        [rows[c * per + i : c * per + i + 100] for i in range(0, per, 100)] for c in range(8)
    ]
    print(
        f"\nrollups while ingesting {len(rows):,} events (8 tasks x batches of 100, "
        "Store.ingest, no HTTP, WAL synchronous=FULL)"
    )
    print(f"{'rollups':<28}{'answered/s':>12}{'counted/s':>12}{'CPU us/ev':>11}{'lag ms':>9}")
    results = {}
    for mode in ("none", "follower"):
        r = asyncio.run(_ingest_run(folder / f"{mode}.db", mode, batches))
        results[mode] = r
        answered = float(r["answered"])  # type: ignore[arg-type]
        counted = float(r["counted"])  # type: ignore[arg-type]
        label = {"none": "none (store alone)", "follower": "follower (after commit)"}[mode]
        print(
            f"{label:<28}{len(rows) / answered:>12,.0f}{len(rows) / counted:>12,.0f}"
            f"{float(r['cpu']) * 1e6 / len(rows):>11.1f}"  # type: ignore[arg-type]
            f"{(counted - answered) * 1000:>9.0f}"
        )
    kept = made[: len(rows)]
    pairs: list[tuple[Event, str | None]] = [(e, r.zone) for e, r in zip(kept, rows, strict=True)]
    same = results["follower"]["tables"] == _counted_at_once(folder / "at-once.db", pairs)
    print(
        "follower's rollup tables identical to every event counted at once "
        f"(sums to 1e-6): {'yes' if same else 'NO'}"
    )


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temp dir)")
    parser.add_argument(
        "--follow-events",
        type=int,
        default=64_000,
        help="events of the ingest-with-rollups comparison (0: skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "hub.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # bulk build only; the hub runs FULL
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
        first = date(2026, 6, 1)
        print(f"building rollups from {args.events:,} synthetic events over {args.days} days")
        made, seconds = build(conn, args.events, args.days, first)
        print(f"built from {made:,} events in {seconds:.1f} s ({made / seconds:,.0f} events/s)")
        for table in TABLES:
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            print(f"  {table}: {rows:,} rows")
        print(f"  database: {path.stat().st_size / 1e6:.1f} MB")
        conn.close()
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        last = first + timedelta(days=args.days - 1)
        worst = 0.0
        print(f"\n{'query':<12}{'range':>8}{'p50 ms':>10}{'p95 ms':>10}{'ratio':>8}")
        for span in (1, 7, 30, 90, args.days):
            days = analytics.DateRange(last - timedelta(days=span - 1), last)
            queries = {
                name: (lambda n=name, d=days: analytics.chart(reader, n, d, 5))
                for name in analytics.CHARTS
            }
            queries["overview"] = lambda: analytics.day_counts(reader, last)
            for name, run in queries.items():
                samples = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    run()
                    samples.append((time.perf_counter() - t0) * 1000)
                q95 = p95(samples)
                worst = max(worst, q95)
                print(
                    f"{name:<12}{span:>7}d{statistics.median(samples):>10.2f}{q95:>10.2f}"
                    f"{q95 / TARGET_MS:>8.3f}"
                )
        reader.close()
        print(
            f"\nworst p95: {worst:.2f} ms; target {TARGET_MS:.0f} ms; ratio {worst / TARGET_MS:.3f}"
        )
        if args.follow_events > 0:
            follow_bench(args.follow_events, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
