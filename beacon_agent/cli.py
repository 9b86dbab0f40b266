"""``cimaise beacon``: the BLE beacon agent."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cimaise.cli_options import config_option, device_options, log_level_option
from cimaise.extras import require_extra
from cimaise.log import setup_logging
from cimaise.settings import default_state_dir, load_settings

if TYPE_CHECKING:
    from beacon_agent.agent import BeaconAgent

_log = logging.getLogger(__name__)


async def _run(agent: BeaconAgent) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.request_stop)
    try:
        return await agent.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


@click.command()
@device_options
@click.option("--name", default=None, help="Device name on the hub (default beacon-HOSTNAME).")
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Feed a recorded trace (JSONL) instead of the radio.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=None,
    help="Replay/simulation speed (1 real time; 0 as fast as possible, then exit).",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write what is heard to a trace (holds Bluetooth addresses: technicians only).",
)
@click.option("--simulate", is_flag=True, help="Hear a simulated gallery instead of the radio.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--seed", type=int, default=1, show_default=True, help="Simulation seed.")
@click.option("--adapter", default=None, help="Bluetooth adapter, e.g. hci0.")
@click.option("--passive", is_flag=True, help="Passive scanning (no scan requests).")
@click.option(
    "--advertise/--no-advertise",
    default=None,
    help="Advertise the zone's agent beacon (default: when scanning the radio).",
)
@click.option("--link-base", default=None, help="Base URL of the /b/ link (default: the hub).")
@config_option
@log_level_option
def beacon(
    hub_url: str | None,
    pair_code: str | None,
    state: Path | None,
    name: str | None,
    replay: Path | None,
    speed: float | None,
    record: Path | None,
    simulate: bool,
    duration: float | None,
    seed: int,
    adapter: str | None,
    passive: bool,
    advertise: bool | None,
    link_base: str | None,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Run the beacon agent: count visitors in a zone anonymously, advertise as a beacon.

    \b
    Without --hub the hub is found by zeroconf. Pair once with --pair CODE
    (from 'cimaise hub pair --kind beacon ...'); the token is kept in --state.
    """
    if replay is not None and simulate:
        raise click.UsageError("--replay and --simulate exclude each other")
    if replay is not None and record is not None:
        raise click.UsageError("--record writes what the radio hears; a replay is a recording")
    if speed is not None and replay is None and not simulate:
        raise click.UsageError("--speed applies to --replay and --simulate")
    if simulate and speed == 0 and duration is None:
        raise click.UsageError("--simulate --speed 0 needs --duration (it would never end)")
    settings = load_settings(config, hub_url=hub_url, state=state, log_level=log_level)
    setup_logging(settings.log_level, "beacon")
    live = replay is None and not simulate
    if live:
        require_extra("beacon", "beacon", "bleak", "dbus_fast")
    from beacon_agent.agent import AgentOptions, BeaconAgent

    interfaces = [settings.discovery_interface] if settings.discovery_interface else None
    options = AgentOptions(
        state=settings.state or default_state_dir("beacon"),
        hub_url=settings.hub_url,
        pair_code=pair_code,
        name=name or "",
        site=settings.site if "CIMAISE_SITE" in os.environ or config else None,
        replay=replay,
        speed=speed,
        record=record,
        simulate=simulate,
        duration=duration,
        seed=seed,
        adapter=adapter,
        passive=passive,
        advertise=advertise if live else False,
        link_base=link_base,
        discovery_interfaces=interfaces,
    )
    if record is not None:
        _log.warning("recording Bluetooth addresses to %s (delete it after use)", record)
    agent = BeaconAgent(options)
    sent = asyncio.run(_run(agent))
    if not live:
        click.echo(f"done: {sent} events sent to the hub")
