"""Analytics page queries over months of synthetic events: p95 per query (target < 200 ms).

Builds the rollup tables the way the ingest hook does (``hub.web.rollup.accumulate`` then
``hub.web.rollup_store.apply_delta``), one group per day of generated events, then times
every query of the analytics page and the overview over several date ranges.

    .venv/bin/python bench/dashboard.py [--events 10000000] [--days 180] [--repeat 40]
"""

from __future__ import annotations

import argparse
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
from hub.web.rollup import accumulate_all
from hub.web.rollup_store import apply_delta
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
            events.append(Visit(id=f"v{day}{v}{len(events)}", ts=end, zone=rng.choice(ZONES),
                                visitor=pseudo, start=start, end=end, dwell_s=dwell, samples=9))
            t = end + timedelta(seconds=rng.uniform(5, 300))
    for i in range(n_inter):
        t = opening + timedelta(seconds=rng.uniform(0, 8 * 3600))
        action = "session_start" if i % 10 == 0 else rng.choice(ACTIONS)
        events.append(Interaction(id=f"i{day}{i}", ts=t, session=f"{i // 10:08x}", action=action,
                                  artwork=None if action == "session_start" else
                                  rng.choice(ARTWORKS), language=rng.choice(LANGS)))
    for i in range(n_occ):
        start = opening + timedelta(minutes=(i * 8 * 60) // max(1, n_occ))
        events.append(Occupancy(id=f"o{day}{i}", ts=start, zone=ZONES[i % len(ZONES)],
                                start=start, end=start + timedelta(minutes=1),
                                count=rng.randint(0, 30), peak=rng.randint(0, 40)))
    return events


def build(conn: sqlite3.Connection, total: int, days: int, first: date) -> tuple[int, float]:
    rng = random.Random(7)
    per_day = total // days
    made = 0
    started = time.perf_counter()
    for d in range(days):
        events = day_events(first + timedelta(days=d), per_day, rng)
        made += len(events)
        delta = accumulate_all(((e, None) for e in events), UTC)
        conn.execute("BEGIN")
        apply_delta(conn, delta)
        conn.execute("COMMIT")
        if d % 30 == 29:
            rate = made / (time.perf_counter() - started)
            print(f"  {d + 1} days, {made:,} events ({rate:,.0f} events/s)", flush=True)
    return made, time.perf_counter() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temp dir)")
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
        for table in ("web_zone_hour", "web_dwell", "web_kiosk_artwork", "web_kiosk_language",
                      "web_flow", "web_day"):
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
            queries = {name: (lambda n=name, d=days: analytics.chart(reader, n, d, 5))
                       for name in analytics.CHARTS}
            queries["overview"] = lambda: analytics.day_counts(reader, last)
            for name, run in queries.items():
                samples = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    run()
                    samples.append((time.perf_counter() - t0) * 1000)
                q95 = p95(samples)
                worst = max(worst, q95)
                print(f"{name:<12}{span:>7}d{statistics.median(samples):>10.2f}{q95:>10.2f}"
                      f"{q95 / TARGET_MS:>8.3f}")
        reader.close()
    print(f"\nworst p95: {worst:.2f} ms; target {TARGET_MS:.0f} ms; ratio {worst / TARGET_MS:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
